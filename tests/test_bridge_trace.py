"""`hwrt trace` without a GPU: the shim is built with the system C compiler and a plain file is declared a device node
(--also PATH=nv), so every call reaches the real kernel (which answers ENOTTY) through the shim. What the fixture programs
journal themselves is compared with the decoded trace."""
import collections, errno, os, stat, subprocess, sys
import pytest
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bridge_fixtures.helpers import shim, fixture_binary, hwrt, load

@pytest.fixture
def fakedev(tmp_path):
  p = tmp_path / "fakedev"
  p.write_bytes(b"")
  return str(p)

def journal(stdout: str) -> list[tuple]:
  out = []
  for line in stdout.splitlines():
    if line.startswith("CALL "):
      pid, tid, fd, h, ret, err = map(int, line.split()[1:])
      out.append((pid, tid, fd, h, ret, err))
  return out

def test_fork_and_threads_traced_completely(tmp_path, fakedev):
  shim()
  forky = fixture_binary("forky")
  out = tmp_path / "t.jsonl"
  nchild, ncall = 4, 25
  r = hwrt("trace", "-q", "-o", str(out), "--also", f"{fakedev}=nv", "--", forky, fakedev, str(nchild), str(ncall))
  assert r.returncode == 7, r.stderr                                # the program's exit code comes back
  did = journal(r.stdout)
  assert len(did) == nchild * 2 * ncall
  recs = load(out)
  assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
  io = [x for x in recs if x["call"] == "ioctl"]
  traced = [(x["pid"], x["tid"], x["fd"], x["before"]["hObject"], x["ret"],
             getattr(errno, x["errno"]) if x["errno"] else 0) for x in io]
  assert collections.Counter(traced) == collections.Counter(did)   # every call, attributed to its process and thread
  for x in io:
    assert x["name"] == "NV_ESC_RM_CONTROL" and x["path"] == fakedev and x["errno"] == "ENOTTY"
    assert x["symbols"]["cmd"] == "NV0000_CTRL_CMD_GPU_GET_ID_INFO_V2"
    assert x["nested"]["params"]["struct"] == "NV0000_CTRL_GPU_GET_ID_INFO_V2_PARAMS"
    assert x["nested"]["params"]["before"]["gpuId"] == x["before"]["hObject"]   # the pointed-to block was captured
  pids = {p for p, *_ in did}
  assert len(pids) == nchild
  procs = {x["pid"]: x for x in recs if x["call"] == "process"}
  assert set(procs) == pids and len({x["ppid"] for x in procs.values()}) == 1 and procs[next(iter(pids))]["exe"] == forky
  for p in pids:
    mine = [x for x in recs if x["pid"] == p]
    assert [x["call"] for x in mine][:2] == ["process", "open"] and mine[-1]["call"] == "close"
    assert len({x["tid"] for x in mine if x["call"] == "ioctl"}) == 2
  assert [x["t"] for x in recs] == sorted(x["t"] for x in recs)

def test_show_and_summary(tmp_path, fakedev):
  shim()
  out = tmp_path / "t.jsonl"
  r = hwrt("trace", "-o", str(out), "--also", f"{fakedev}=nv", "--", fixture_binary("forky"), fakedev, "2", "3")
  assert r.returncode == 7
  assert "NV_ESC_RM_CONTROL" in r.stderr and "hwrt trace: 16 calls from 2 processes" in r.stderr   # listing printed
  s = hwrt("trace", "show", str(out))
  assert s.returncode == 0
  lines = [l for l in s.stdout.splitlines() if "ioctl(" in l]
  assert len(lines) == 12
  assert all("NV_ESC_RM_CONTROL" in l and "params->NV0000_CTRL_GPU_GET_ID_INFO_V2_PARAMS{gpuId=" in l and "ENOTTY" in l for l in lines)
  m = hwrt("trace", "show", str(out), "--summary")
  assert m.returncode == 0
  counts = {l.split()[0]: int(l.split()[1]) for l in m.stdout.splitlines()[1:-1]}
  assert counts == {"NV_ESC_RM_CONTROL": 12, "open": 2, "close": 2}

def test_bad_pointers_do_not_crash_the_program(tmp_path, fakedev):
  shim()
  out = tmp_path / "t.jsonl"
  r = hwrt("trace", "-q", "-o", str(out), "--also", f"{fakedev}=nv", "--", fixture_binary("forky"), fakedev, "0", "0")
  assert r.returncode == 7, r.stderr
  io = [x for x in load(out) if x["call"] == "ioctl"]
  assert io[0]["before"] is None and io[0]["arg"] == 16                  # unreadable argument: recorded as such
  assert io[1]["before"]["params"] == 16 and io[1]["nested"]["params"]["before"] is None

def test_other_calls_pass_through_and_exit_codes(tmp_path):
  shim()
  out = tmp_path / "t.jsonl"
  r = hwrt("trace", "-q", "-o", str(out), "--", "sh", "-c", "echo hi > f.txt; cat f.txt; ls /dev/null; exit 5", cwd=tmp_path)
  assert r.returncode == 5 and r.stdout == "hi\n/dev/null\n"
  assert load(out) == []
  r = hwrt("trace", "-q", "-o", str(out), "--", "sh", "-c", "kill -TERM $$")
  assert r.returncode == 128 + 15

@pytest.mark.parametrize("args", [["trace"], ["trace", "--"], ["trace", "show", "/nonexistent.jsonl"], ["trace", "--also", "x=nv", "--", "true"],
                                  ["trace", "--also", "/x=gpu", "--", "true"], ["trace", "--", "/nonexistent-program"],
                                  ["sim-run", "--device", "sim:bogus", "--", "true"], ["sim-run", "--device", "sim:nv"]])
def test_bad_input_is_one_line_exit_2(args, tmp_path):
  r = hwrt(*args, cwd=tmp_path)
  assert r.returncode == 2, r.stderr
  assert len(r.stderr.strip().splitlines()) == 1 and r.stderr.startswith("hwrt ")

def test_show_rejects_what_is_not_a_trace(tmp_path):
  p = tmp_path / "x.jsonl"
  p.write_text("this is not json\n")
  r = hwrt("trace", "show", str(p))
  assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1

def test_missing_compiler_is_named(monkeypatch, tmp_path):
  from hwrt.sim import bridge
  from hwrt.errors import HwrtError
  monkeypatch.delenv("CC", raising=False)
  monkeypatch.setenv("PATH", str(tmp_path))
  with pytest.raises(HwrtError, match="no C compiler found .*cc, gcc, clang"):
    bridge.build(force=True)

def test_generated_header_layouts_match_the_tables(tmp_path):
  """nv_abi.h (used by the C fixtures) lays every NV/UVM struct out as hwrt.ioctl's cffi declarations do"""
  so, cc, inc = shim()
  from hwrt.ioctl.abi import load as load_iface
  from hwrt.ioctl.ffi import ffi
  names = load_iface("nv").structs + load_iface("uvm").structs
  src = '#include <stdio.h>\n#include "nv_abi.h"\nint main(void) {\n' + "".join(
    f'  printf("%zu %zu\\n", sizeof({n}), _Alignof({n}));\n' for n in names) + "  return 0;\n}\n"
  (tmp_path / "l.c").write_text(src)
  subprocess.run([cc, f"-I{inc}", "-o", str(tmp_path / "l"), str(tmp_path / "l.c")], check=True)
  got = subprocess.run([str(tmp_path / "l")], capture_output=True, text=True, check=True).stdout.split("\n")
  for n, line in zip(names, got):
    assert line == f"{ffi.sizeof(n)} {ffi.alignof(n)}", n
  assert len(names) > 50

def test_exec_keeps_one_file_per_pid(tmp_path, fakedev):
  """a process that execs another image keeps its pid: both images' records are kept, in order"""
  shim()
  out = tmp_path / "t.jsonl"
  forky = fixture_binary("forky")
  prog = (f"import os, fcntl\nfd = os.open({fakedev!r}, os.O_RDWR)\n"
          f"try: fcntl.ioctl(fd, 0xc020462a, bytes(32))\nexcept OSError: pass\n"
          f"os.execv({forky!r}, [{forky!r}, {fakedev!r}, '0', '0'])\n")
  r = hwrt("trace", "-q", "-o", str(out), "--also", f"{fakedev}=nv", "--", sys.executable, "-c", prog)
  assert r.returncode == 7, r.stderr
  recs = load(out)
  assert len({x["pid"] for x in recs}) == 1
  assert [x["call"] for x in recs] == ["process", "open", "ioctl", "process", "open", "ioctl", "ioctl", "close"]
  assert recs[0]["exe"] == os.path.realpath(sys.executable) and recs[3]["exe"] == forky
  assert recs[2]["name"] == "NV_ESC_RM_CONTROL" and recs[2]["errno"] == "ENOTTY"

def test_subprocess_children_do_not_disturb_the_parent(tmp_path, fakedev):
  """Python's subprocess closes fds with close_range in a vfork child that shares the parent's memory: the parent's device
  fds must stay known (every later call traced)"""
  shim()
  out = tmp_path / "t.jsonl"
  prog = (f"import os, fcntl, subprocess\nfd = os.open({fakedev!r}, os.O_RDWR)\n"
          "for i in range(3):\n  subprocess.run(['true'], check=True)\n"
          "  try: fcntl.ioctl(fd, 0xc020462a, bytes(32))\n  except OSError: pass\nos.close(fd)\n")
  r = hwrt("trace", "-q", "-o", str(out), "--also", f"{fakedev}=nv", "--", sys.executable, "-c", prog)
  assert r.returncode == 0, r.stderr
  assert [x["call"] for x in load(out)] == ["process", "open", "ioctl", "ioctl", "ioctl", "close"]
