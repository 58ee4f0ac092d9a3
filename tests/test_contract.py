"""The vendor contract (drivers/base.py): both drivers fill it in; the shared logic (deadlines, fault/timeout mapping,
DEBUG=2 launch line, submit/wait hooks, argument packing) behaves the same for each; the stress workloads, `hwrt launch`
and the repro recorder reach a device only through it."""
import ast, os, time
import numpy as np, pytest
from hwrt.errors import BadArgument, GPUFault, GPUTimeout
from hwrt.ioctl.ffi import ffi
from hwrt.drivers import base
from hwrt.drivers.nv.device import NVDevice
from hwrt.drivers.nv.program import NVProgram
from hwrt.drivers.nv.queue import NVComputeQueue, NVCopyQueue
from hwrt.drivers.amd.device import AMDDevice
from hwrt.drivers.amd.program import AMDProgram
from hwrt.drivers.amd.queue import AMDComputeQueue, AMDCopyQueue
from hwrt.stress import workloads as W

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONTRACT = {n for n in dir(base.Device) if not n.startswith("__")} | {"name", "index", "sys", "buffers", "hooks", "timeline", "start"}

def test_both_drivers_fill_in_the_whole_contract():
  for cls in (NVDevice, AMDDevice): assert base.ensure_contract(cls) is cls
  assert all(issubclass(q, base.Queue) for q in (NVComputeQueue, NVCopyQueue, AMDComputeQueue, AMDCopyQueue))
  assert issubclass(NVProgram, base.Program) and issubclass(AMDProgram, base.Program)
  for cls in (NVDevice, AMDDevice):      # the shared logic is not written again by a vendor
    for m in ("launch", "wait", "_wait_loop", "copyin", "copyout", "copy", "builtin_program", "free", "synchronize"):
      assert getattr(cls, m) is getattr(base.Device, m), (cls.__name__, m)
  class Half(base.Device): pass
  with pytest.raises(Exception, match="does not implement _open, _close"): base.ensure_contract(Half)

def _dev_attributes(path: str, names=("dev", "d")) -> set[str]:
  """Every attribute read off a variable called dev (or d) in a module."""
  tree = ast.parse(open(os.path.join(ROOT, path)).read())
  return {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id in names}

@pytest.mark.parametrize("path", ["stress/workloads.py", "hwrt/launch.py", "repro/record.py"])
def test_users_reach_devices_only_through_the_contract(path):
  used = _dev_attributes(path)
  assert used and used <= CONTRACT, sorted(used - CONTRACT)
  src = open(os.path.join(ROOT, path)).read()
  assert "drivers.nv" not in src and "drivers.amd" not in src      # no vendor module, no monkey-patching

class MemDevice(base.Device):
  """The contract over host memory, for the shared logic alone: a ring 'runs' a submission when told to."""
  vendor = "mem"
  def _open(self):
    self.mem = ffi.new("uint64_t[8]")
    a = int(ffi.cast("uintptr_t", self.mem))
    self.timeline, self.start = base.Signal(a, a), base.Signal(a + 16, a + 16)
    self.recovered, self.fault, self.runs = 0, None, True
  def _close(self): pass
  def identity(self): return {"vendor": "mem"}
  def alloc(self, size, host=False, cpu_access=None): raise NotImplementedError
  def _free(self, buf): pass
  def load(self, binary, kernel=None): raise NotImplementedError
  def assemble_builtin(self, source): raise NotImplementedError
  def compute_queue(self): return MemQueue(self, self)
  def copy_queue(self): return MemQueue(self, self)
  def create_queue(self): raise NotImplementedError
  def recover(self): self.recovered += 1; self.fault = None
  def _fault(self): return self.fault
  def submit(self, words):
    if self.runs:
      for va, v in words: ffi.cast("uint64_t *", va)[0] = v
    self._notify("submitted", self, time.time())

class MemQueue(base.Queue):
  def _signal(self, sig, value, timestamp):
    if timestamp: self.words.append((sig.va + 8, int(time.perf_counter_ns())))
    self.words.append((sig.va, value))
  def _exec(self, prog, args, grid, block): prog.pack_args(args, 16)

class Nop(base.Program):
  name, params = "nop", [(0, 8), (8, 4)]

def test_shared_wait_maps_faults_and_deadlines_once_and_recovers():
  seen = []
  class Hook:
    def submitted(self, ring, t): seen.append("submit")
    def waited(self, sig, value, timeout, t, result, err): seen.append(result)
  with MemDevice(None, 0) as d:
    d.add_hook(Hook())
    assert d.launch(Nop(), [1, 2]) >= 0 and d.timeline.current == 1 and seen == ["submit", "ok"]
    d.fault = GPUFault("mem: boom")
    with pytest.raises(GPUFault, match="boom"): d.synchronize()
    assert d.recovered == 1 and seen[-1] == "fault"
    d.runs = False
    t0 = time.monotonic()
    with pytest.raises(GPUTimeout, match=r"no completion within 0.2 s \(timeline at 1, waiting for 2\); queues torn down and recreated"):
      d.launch(Nop(), [1, 2], timeout=0.2)
    assert 0.2 <= time.monotonic() - t0 < 5 and d.recovered == 2 and seen[-1] == "timeout"
    with pytest.raises(BadArgument, match="takes 2 parameters"): d.launch(Nop(), [1])
    with pytest.raises(BadArgument, match="bad block"): d.launch(Nop(), [1, 2], (1,), (33, 33))
    with pytest.raises(BadArgument, match="bad grid"): d.launch(Nop(), [1, 2], (0,), (1,))

def test_param_bytes_packs_every_argument_kind():
  b = base.Buffer(0x1234_5678_9000, 64)
  assert base.param_bytes(b, 8, "p") == (0x1234_5678_9000).to_bytes(8, "little")
  assert base.param_bytes(np.float32(1.5), 4, "x") == np.float32(1.5).tobytes() and base.param_bytes(2.5, 8, "y") == np.float64(2.5).tobytes()
  assert base.param_bytes(-1, 4, "i") == b"\xff" * 4
  with pytest.raises(BadArgument, match="is 8 bytes, the argument is 4"): base.param_bytes(np.int32(1), 8, "z")
  with pytest.raises(BadArgument, match="cannot pass a str"): base.param_bytes("s", 4, "s")

@pytest.mark.parametrize("device", ["sim:nv", "sim:amd"])
def test_every_workload_and_the_launch_line_on_each_vendor(device, capsys, monkeypatch):
  """The same seeded schedules on both drivers; DEBUG=2 prints the one launch line (written once, in drivers/base.py)."""
  from hwrt.devices import open_device
  with open_device(device) as d:
    for w in W.WORKLOADS: W.replay(d, W.make_schedule(w, 1, 0, 0, 12), timeout=30)
    monkeypatch.setenv("DEBUG", "2")
    d.launch(d.builtin_program("empty"), [], (2, 1, 1), (64, 1, 1), flops=128)
  lines = [l for l in capsys.readouterr().err.splitlines() if l.startswith("***")]
  assert len(lines) == 1 and device in lines[0] and "empty" in lines[0] and "GFLOP/s" in lines[0] and lines[0].endswith("GB/s")
