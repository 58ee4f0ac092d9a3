"""`hwrt sim-run`: unmodified programs (shell tools, a Python program on hwrt's driver, a C program on raw RM/UVM ioctls)
run against the simulated H100 through the LD_PRELOAD shim; composed with `hwrt trace`, the trace must list exactly the
calls the C program journaled, each decoded."""
import os, subprocess, sys
import pytest
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bridge_fixtures.helpers import HERE, shim, fixture_binary, hwrt, load
from conftest import oracle

@pytest.fixture(autouse=True)
def simdir(tmp_path, monkeypatch):
  monkeypatch.setenv("HWRT_SIM_DIR", str(tmp_path / "sim"))

def test_files_and_nodes_come_from_the_simulator(tmp_path):
  shim()
  script = ("cat /proc/driver/nvidia/version; ls /proc/driver/nvidia/gpus; stat -c '%F %t:%T' /dev/nvidiactl /dev/nvidia0;"
            "test -e /dev/nvidia1 || echo no-nvidia1; test -e /dev/kfd || echo no-kfd; ls /sys/class/kfd 2>&1 >/dev/null || echo no-kfd-sysfs")
  r = hwrt("sim-run", "--device", "sim:nv", "--", "sh", "-c", script, cwd=tmp_path)
  assert r.returncode == 0, r.stderr
  from hwrt.sim.nv.gpu import PCI_BUS
  lines = r.stdout.splitlines()
  assert "(hwrt-sim)" in lines[0]
  assert f"{PCI_BUS}.0" in lines
  assert "character special file c3:ff" in lines and "character special file c3:0" in lines   # 195:255, 195:0
  assert {"no-nvidia1", "no-kfd", "no-kfd-sysfs"} <= set(lines)          # the host's real GPUs stay hidden

def test_python_program_on_the_driver(tmp_path):
  shim()
  prog = ("import os\nfrom hwrt.drivers.nv.device import NVDevice\nfrom hwrt.ioctl.syscalls import HOST\n"
          "d = NVDevice(HOST)\nb = d.alloc(1 << 16, host=True)\nd.copyin(b, bytes(range(256)) * 4)\n"
          "print(d.gpu_name, d.arch, d.copyout(b, 1024) == bytes(range(256)) * 4)\nd.close()\n"
          "try: os.open('/dev/nvidia1', os.O_RDWR)\nexcept FileNotFoundError: print('ENOENT')\n")
  r = hwrt("sim-run", "--device", "sim:nv", "--", sys.executable, "-c", prog, cwd=tmp_path)
  assert r.returncode == 0, r.stderr
  from hwrt.sim.nv.identity import identity
  assert r.stdout.split("\n")[:2] == [f"{identity('h100').name} sm_90 True", "ENOENT"]

@pytest.fixture(scope="module")
def vadd_code(tmp_path_factory):
  ptxas = oracle("ptxas")
  d = tmp_path_factory.mktemp("vadd")
  subprocess.run([ptxas, "-arch=sm_90", os.path.join(HERE, "vadd.ptx"), "-o", str(d / "vadd.cubin")], check=True)
  from hwrt.assemblers.sass.cubin import read_cubin
  k = read_cubin((d / "vadd.cubin").read_bytes()).kernels["vadd"]
  assert k.params == [(0, 8), (8, 8), (16, 8), (24, 4)]                  # the layout vadd_nv.c writes
  (d / "code.bin").write_bytes(k.code)
  return str(d / "code.bin"), k.regs, k.param_base

def test_c_vadd_on_raw_ioctls_runs_and_is_traced(tmp_path, vadd_code):
  shim()
  code, regs, base = vadd_code
  exe, n = fixture_binary("vadd_nv"), 3000
  out, jpath = tmp_path / "t.jsonl", tmp_path / "journal.txt"
  r = hwrt("trace", "-q", "-o", str(out), "--", sys.executable, "-m", "hwrt", "sim-run", "--device", "sim:nv", "--",
           exe, code, str(regs), str(base), str(n), str(jpath), cwd=tmp_path)
  assert r.returncode == 0, r.stdout + r.stderr
  assert f"vadd_nv: {n} elements, 0 wrong" in r.stdout                    # the kernel ran on the simulated GPU
  recs = load(out)
  io = [x for x in recs if x["call"] == "ioctl"]
  did = [tuple(int(v, 0) for v in l.split()) for l in jpath.read_text().splitlines()]
  assert [(x["fd"], int(x["request"], 16), x["ret"]) for x in io] == did   # every ioctl, in order, with its result
  assert {x["pid"] for x in recs if x["call"] != "process"} == {x["pid"] for x in io}   # all from the C program
  for x in io:                                                            # each by name, decoded, RM status OK
    assert not x["name"].startswith("_IO") and type(x["before"]) is type(x["after"]) and x["before"] != {}, x
    a = x["after"] if isinstance(x["after"], dict) else {}
    st = a.get("status", a.get("rmStatus"))
    if st is None and isinstance(a.get("params"), dict): st = a["params"].get("status")
    assert (st or 0) == 0, x
  names = [x["name"] for x in io]
  for nm in ("NV_ESC_RM_ALLOC", "NV_ESC_RM_CONTROL", "NV_ESC_RM_MAP_MEMORY", "NV_ESC_REGISTER_FD", "NV_ESC_CARD_INFO",
             "NV_ESC_CHECK_VERSION_STR", "NV_ESC_RM_FREE", "UVM_INITIALIZE", "UVM_REGISTER_GPU", "UVM_REGISTER_GPU_VASPACE",
             "UVM_CREATE_EXTERNAL_RANGE", "UVM_MAP_EXTERNAL_ALLOCATION"):
    assert nm in names, nm
  allocs = [x for x in io if x["name"] == "NV_ESC_RM_ALLOC"]
  assert [a["symbols"]["hClass"] for a in allocs][:3] == ["NV01_ROOT_CLIENT", "NV01_DEVICE_0", "NV20_SUBDEVICE_0"]
  chan = next(a for a in allocs if a["symbols"]["hClass"] == "HOPPER_CHANNEL_GPFIFO_A")
  assert chan["nested"]["pAllocParms"]["struct"] == "NV_CHANNEL_ALLOC_PARAMS"
  assert chan["nested"]["pAllocParms"]["before"]["gpFifoEntries"] == 0x400
  assert all(a["after"]["hObjectNew"] for a in allocs)
  tok = next(x for x in io if x.get("symbols", {}).get("cmd") == "NVC36F_CTRL_CMD_GPFIFO_GET_WORK_SUBMIT_TOKEN")
  assert tok["nested"]["params"]["before"]["workSubmitToken"] == 0 and "workSubmitToken" in tok["nested"]["params"]["after"]
  maps = [x for x in recs if x["call"] == "mmap"]
  assert len(maps) == 7 and all(m["ret"] > 0 for m in maps)              # doorbell + six sysmem buffers
  assert any(x["call"] == "munmap" and x["addr"] == maps[0]["ret"] for x in recs)
  opens = [x["path"] for x in recs if x["call"] == "open"]
  assert opens[:2] == ["/dev/nvidiactl", "/dev/nvidia-uvm"] and "/dev/nvidia0" in opens
  listing = hwrt("trace", "show", str(out)).stdout
  assert "hClass=0xc86f(HOPPER_CHANNEL_GPFIFO_A)" in listing and "pAllocParms->NV_CHANNEL_ALLOC_PARAMS{" in listing

def test_fork_after_the_simulator_started(tmp_path):
  """the parent's simulator is running (its interpreter owned by the shim) when it forks: children and their threads make
  their own calls on their copy, the parent goes on with its own; nothing deadlocks, every call is traced and attributed"""
  shim()
  out = tmp_path / "t.jsonl"
  r = hwrt("trace", "-q", "-o", str(out), "--", sys.executable, "-m", "hwrt", "sim-run", "--device", "sim:nv", "--",
           fixture_binary("forky"), "/dev/nvidiactl", "-3", "4", cwd=tmp_path, timeout=120)
  assert r.returncode == 7, r.stderr
  did = sorted(tuple(map(int, l.split()[1:])) for l in r.stdout.splitlines() if l.startswith("CALL "))
  assert len(did) == 4 * 2 + 3 * 2 * 4 and all(ret == 0 for *_, ret, _ in did)
  io = [x for x in load(out) if x["call"] == "ioctl"]
  assert sorted((x["pid"], x["tid"], x["fd"], x["before"]["hObject"], x["ret"], 0) for x in io) == did
  assert len({x["pid"] for x in io}) == 4
  assert all("status" in x["symbols"] for x in io)                  # the simulated RM answered each one

class _SysfsStandIn:
  """A simulator's Syscalls as an AMD one would present its sysfs (directories, files, symlinks): what rocminfo, libdrm and
  Intel's runtime walk. No AMD simulator exists yet; this checks the shadow tree and the shim's path handling for it."""
  class machine:
    @staticmethod
    def files(): return {"/sys/devices/pci0000:00/0000:03:00.0/vendor": "0x1002\n"}
    @staticmethod
    def owns(p): return True
    @staticmethod
    def close(): pass
  dev = "/sys/devices/pci0000:00/0000:03:00.0"
  tree = {"/sys/class/drm": ["renderD128"], dev: ["vendor", "driver", "drm"], dev + "/drm": ["renderD128"],
          dev + "/drm/renderD128": ["device"], "/dev/dri": ["renderD128"], "/sys/dev/char": ["226:128", "4:0"]}
  links = {"/sys/class/drm/renderD128": "../../devices/pci0000:00/0000:03:00.0/drm/renderD128",
           dev + "/drm/renderD128/device": "../../../0000:03:00.0", dev + "/driver": "/sys/bus/pci/drivers/amdgpu",
           "/sys/dev/char/226:128": "../../devices/pci0000:00/0000:03:00.0/drm/renderD128"}
  def readlink(self, p): return self.links.get(p)
  def listdir(self, p): return self.tree.get(p, [])
  def exists(self, p): return p in self.tree or p in self.links or p in ("/sys/bus/pci/drivers/amdgpu", "/dev/dri/renderD128")
  def read_text(self, p):
    if p.endswith("vendor"): return "0x1002\n"
    raise FileNotFoundError(p)

def test_shadow_tree_serves_a_sysfs_with_symlinks(tmp_path, monkeypatch):
  so, _, _ = shim()
  from hwrt.sim.bridge import host
  monkeypatch.setattr(host, "_new_syscalls", lambda vendor, shared=True: _SysfsStandIn())
  root = str(tmp_path / "root")
  prefixes = host.build_shadow("amd", root)
  assert _SysfsStandIn.dev in prefixes                                   # symlink targets become the simulator's paths too
  env = dict(os.environ, LD_PRELOAD=so, HWRT_SIM="amd", HWRT_SIM_ROOT=root, HWRT_SIM_PREFIXES=";".join(prefixes))
  script = ("readlink /sys/class/drm/renderD128; cat /sys/class/drm/renderD128/device/vendor;"
            "basename $(readlink -f /sys/dev/char/226:128/device/driver); readlink -f /sys/dev/char/226:128/device;"
            "ls /sys/class/drm /dev/dri; stat -c '%F %t:%T' /dev/dri/renderD128; ls /sys/dev/char/4:0 >/dev/null && echo host-char")
  r = subprocess.run(["sh", "-c", script], env=env, capture_output=True, text=True)
  assert r.returncode == 0, r.stderr
  assert r.stdout.splitlines() == ["../../devices/pci0000:00/0000:03:00.0/drm/renderD128", "0x1002", "amdgpu", _SysfsStandIn.dev,
                                   "/dev/dri:", "renderD128", "", "/sys/class/drm:", "renderD128",
                                   "character special file e2:80", "host-char"]
