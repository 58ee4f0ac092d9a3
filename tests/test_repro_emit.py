"""repro/program.py + emit_c.py + emit_py.py on a small trace in `hwrt trace`'s format (no simulator needed): handles,
fds, mappings and tokens the kernel returned are threaded as variables, nested RM parameter blocks become their own
buffers, every ioctl is named in a comment, the C compiles against the embedded structs, the Python is standard library +
ctypes only, and the program ends at the wait where the recording failed."""
import ast, os, shutil, subprocess
import pytest
from hwrt.repro import program, emit_c, emit_py
from hwrt.sim.bridge import abi_header
from hwrt.ioctl import nv

ROOT, DEV, MEM, CH = 0xC1D00000, 0xCAF00000, 0xCAF00001, 0xCAF00002
CPU = 0x7F0000000000
T = [1000.0]
def t():
  T[0] += 0.001; return T[0]

def ioctl(fd, name, req, struct, before, after=None, nested=None, symbols=None):
  return {"t": t(), "pid": 42, "tid": 42, "call": "ioctl", "fd": fd, "path": "/dev/nvidiactl", "request": f"{req:#x}", "name": name,
          "struct": struct, "arg": 0x55550000, "before": before, "after": after or before, "nested": nested, "symbols": symbols or {},
          "ret": 0, "errno": None, "dur_us": 1.0}

def alloc(fd, parent, cls, new, nested=None, sym=""):
  b = {"hRoot": ROOT if cls != nv.NV01_ROOT_CLIENT else 0, "hObjectParent": parent, "hObjectNew": 0, "hClass": cls,
       "pAllocParms": nested["addr"] if nested else 0, "paramsSize": nested["size"] if nested else 0, "status": 0}
  return ioctl(fd, "NV_ESC_RM_ALLOC", nv.NV_ESC_RM_ALLOC, "NVOS21_PARAMETERS", b, {**b, "hObjectNew": new},
               {"pAllocParms": nested} if nested else None, {"hClass": sym})

def trace_and_log():
  tr = [{"t": t(), "pid": 42, "tid": 42, "call": "process", "ppid": 1, "exe": "/home/someone/python"},
        {"t": t(), "pid": 42, "tid": 42, "call": "open", "fd": 5, "path": "/dev/nvidiactl", "flags": 0o2000002, "ret": 5, "errno": None}]
  tr.append(alloc(5, 0, nv.NV01_ROOT_CLIENT, ROOT, sym="NV01_ROOT_CLIENT"))
  dev_params = {"addr": 0x55551000, "size": 56, "struct": "NV0080_ALLOC_PARAMETERS",
                "before": {"deviceId": 0, "hClientShare": ROOT, "vaMode": 2}, "after": {"deviceId": 0, "hClientShare": ROOT, "vaMode": 2}}
  tr.append(alloc(5, ROOT, nv.NV01_DEVICE_0, DEV, dev_params, "NV01_DEVICE_0"))
  tr.append(alloc(5, DEV, nv.NV01_MEMORY_SYSTEM, MEM, sym="NV01_MEMORY_SYSTEM"))
  tr.append({"t": t(), "pid": 42, "tid": 42, "call": "open", "fd": 6, "path": "/dev/nvidiactl", "flags": 0o2000002, "ret": 6, "errno": None})
  mm = {"params": {"hClient": ROOT, "hDevice": DEV, "hMemory": MEM, "offset": 0, "length": 0x10000, "pLinearAddress": 0, "status": 0, "flags": 0}, "fd": 6}
  tr.append(ioctl(5, "NV_ESC_RM_MAP_MEMORY", nv.NV_ESC_RM_MAP_MEMORY, "nv_ioctl_nvos33_parameters_with_fd", mm))
  tr.append({"t": t(), "pid": 42, "tid": 42, "call": "mmap", "fd": 6, "path": "/dev/nvidiactl", "addr": 0, "length": 0x10000, "prot": 3, "flags": 1,
             "offset": 0, "ret": CPU, "errno": None})
  tr.append({"t": t(), "pid": 42, "tid": 42, "call": "close", "fd": 6, "path": "/dev/nvidiactl", "ret": 0, "errno": None})
  tok = {"addr": 0x55552000, "size": 4, "struct": "NVC36F_CTRL_CMD_GPFIFO_GET_WORK_SUBMIT_TOKEN_PARAMS", "before": {"workSubmitToken": 0}, "after": {"workSubmitToken": 9}}
  b = {"hClient": ROOT, "hObject": CH, "cmd": nv.NVC36F_CTRL_CMD_GPFIFO_GET_WORK_SUBMIT_TOKEN, "flags": 0, "params": tok["addr"], "paramsSize": 4, "status": 0}
  tr.append(ioctl(5, "NV_ESC_RM_CONTROL", nv.NV_ESC_RM_CONTROL, "NVOS54_PARAMETERS", b, nested={"params": tok}, symbols={"cmd": "NVC36F_CTRL_CMD_GPFIFO_GET_WORK_SUBMIT_TOKEN"}))
  log = [{"t": t(), "ev": "op", "iteration": 0, "index": 0, "op": ["launch", {"program": "empty"}]},
         {"t": t(), "ev": "submit", "channel": "compute", "writes": [[CPU, 0x2000, "deadbeef"]], "arena": CPU, "gp_put_off": 0x308c, "put": 1,
          "doorbell": CPU, "doorbell_off": 0x90, "token": 9},
         {"t": t(), "ev": "wait", "sig": CPU, "value": 1, "timeout": 5.0, "notifier": CPU + 0x8000, "status_off": 14, "info_off": 8, "error": 0xFFFF,
          "result": "fault", "error_text": "Xid 31"}]
  tr.append(ioctl(5, "NV_ESC_RM_ALLOC", nv.NV_ESC_RM_ALLOC, "NVOS21_PARAMETERS", {"hRoot": ROOT, "hObjectParent": DEV, "hClass": 0x1}))   # after the failure: dropped
  return tr, log

def test_program_threads_kernel_values_and_stops_at_the_failure():
  tr, log = trace_and_log()
  p = program.build(tr, log)
  io = [s for s in p["steps"] if s["s"] == "ioctl"]
  assert [s["name"] for s in io] == ["NV_ESC_RM_ALLOC"] * 3 + ["NV_ESC_RM_MAP_MEMORY", "NV_ESC_RM_CONTROL"]      # the post-failure alloc is gone
  assert [o["var"] for s in io for o in s["outputs"]] == ["h1", "h2", "h3", "token1"]
  dev = dict((path, v) for path, _, _, _, v in io[1]["arg"]["leaves"])
  assert dev["hRoot"] == {"var": "h1"} and dev["hObjectParent"] == {"var": "h1"} and dev["pAllocParms"] == {"addr": "p2_pAllocParms"}
  assert dict((pth, v) for pth, _, _, _, v in io[1]["nested"][0]["leaves"])["hClientShare"] == {"var": "h1"}
  mm = dict((pth, v) for pth, _, _, _, v in io[3]["arg"]["leaves"])
  assert mm["params.hMemory"] == {"var": "h3"} and mm["fd"] == {"var": "fd2"}
  kinds = [s["s"] for s in p["steps"]]
  assert kinds[-5:] == ["write", "gpput", "doorbell", "wait", "end"] and p["steps"][-3]["token"] == "token1"
  assert p["steps"][-2]["final"] and p["steps"][-1]["observed"] == "fault"

def test_c_compiles_and_names_every_ioctl(tmp_path):
  tr, log = trace_and_log()
  p = program.build(tr, log)
  c = emit_c.emit(p, abi_header(("nv", "uvm"), hw=False), "Xid 31 */ test")
  assert "hwrt" not in c.split("*/", 2)[-1].lower().replace("generated by hwrt.sim.bridge", "")   # code: no hwrt dependency
  assert c.count("/* NV_ESC_RM_ALLOC") == 3 and "/* NV_ESC_RM_MAP_MEMORY" in c and "NVC36F_CTRL_CMD_GPFIFO_GET_WORK_SUBMIT_TOKEN */" in c
  assert "a2.hObjectParent = h1;" in c and "a2.pAllocParms = (uint64_t)(uintptr_t)&p2_pAllocParms;" in c and "p2_pAllocParms.hClientShare = h1;" in c
  assert f"{ROOT:#x}" not in c.lower().split("int main", 1)[1]                   # the kernel's handle values are not baked in
  assert "= token1;" in c and "memcpy(map1 + 0x2000, \"\\xde\\xad\\xbe\\xef\", 4);" in c
  cc = shutil.which("cc") or shutil.which("gcc")
  if not cc: pytest.skip("no C compiler")
  (tmp_path / "r.c").write_text(c)
  r = subprocess.run([cc, "-fsyntax-only", "-Wall", "-Werror", "-Wno-unused-but-set-variable", str(tmp_path / "r.c")], capture_output=True, text=True)
  assert r.returncode == 0, r.stderr[-3000:]

def test_python_is_stdlib_and_ctypes_only():
  tr, log = trace_and_log()
  py = emit_py.emit(program.build(tr, log), "Xid 31 test")
  mods = {a.name.split(".")[0] for n in ast.walk(ast.parse(py)) if isinstance(n, ast.Import) for a in n.names}
  mods |= {n.module.split(".")[0] for n in ast.walk(ast.parse(py)) if isinstance(n, ast.ImportFrom)}
  assert mods <= {"ctypes", "errno", "os", "struct", "sys", "time"}, mods
  assert "# NV_ESC_RM_MAP_MEMORY" in py and "h1 = u32(a1, 0x8)" in py and "token1 = u32(p5_params, 0x0)" in py
  main = py.split("def main", 1)[1]
  assert ROOT.to_bytes(4, "little").hex() not in main and f"{ROOT:#x}" not in main     # patched in at run time, not baked in
