"""Built-in workloads: schedules from the seed alone, replayable; run on a small fake device (the device contract of
hwrt.devices.open_device) in-process and end to end through `hwrt stress run`, with injected hangs, faults and crashes."""
import json, os, signal, subprocess, sys, time
import pytest
from hwrt.errors import GPUFault, BadArgument
from hwrt.stress import workloads as W, journal as J

HERE = os.path.dirname(os.path.abspath(__file__))

class FakeBuf:
  def __init__(self, va, size): self.va, self.size, self.data = va, size, bytearray(size)

class FakeQueue:
  def __init__(self, dev): self.dev = dev; dev.queues += 1
  def close(self): self.dev.queues -= 1

LAUNCHES = [0]                                           # per process, across device re-opens

class FakeDevice:
  """The device contract in memory. FAKE_FAULT=KIND@launch=N (KIND: hang, fault, segv) misbehaves at the Nth launch of this
  process; FAKE_KMSG=path makes a fault also print a driver-like Xid line there, as the real driver would."""
  def __init__(self):
    self.next_va, self.bufs, self.queues, self.launches, self.calls = 0x10000, {}, 0, 0, []
    f = os.environ.get("FAKE_FAULT", "")
    self.fault = (f.split("@")[0], int(f.split("=")[1])) if f else None
  def __enter__(self): return self
  def __exit__(self, *a): self.close()
  def alloc(self, n):
    b = FakeBuf(self.next_va, n); self.bufs[b.va] = b; self.next_va += (n + 0xfff) & ~0xfff; self.calls.append(("alloc", n)); return b
  def free(self, b): del self.bufs[b.va]; self.calls.append(("free", b.size))
  def copyin(self, b, data): b.data[:len(data)] = data; self.calls.append(("copyin", len(data)))
  def copyout(self, b, n): self.calls.append(("copyout", n)); return bytes(b.data[:n])
  def copy(self, d, s, n): d.data[:n] = s.data[:n]; self.calls.append(("copy", n))
  def builtin_program(self, name): assert name in ("empty", "inc"); return object()
  def synchronize(self, timeout=10): self.calls.append(("sync",))
  def launch(self, prog, args=(), grid=(1, 1, 1), block=(32, 1, 1), timeout=10, wait=True):
    self.launches += 1; LAUNCHES[0] += 1; self.calls.append(("launch", tuple(grid), tuple(block)))
    if self.fault and LAUNCHES[0] == self.fault[1]:
      kind = self.fault[0]
      if kind == "hang": time.sleep(3600)
      if kind == "segv": os.kill(os.getpid(), signal.SIGSEGV)
      if kind == "fault":
        if p := os.environ.get("FAKE_KMSG"):
          with open(p, "a") as f: f.write(f"3,{self.launches},1000,-;NVRM: Xid (PCI:0000:01:00): 31, pid={os.getpid()}, name=python, Ch 00000002, "
                                          "intr 10000000. MMU Fault: ENGINE GRAPHICS GPCCLIENT_T1_0 faulted @ 0x1_00000000. Fault is of type FAULT_PDE ACCESS_TYPE_READ\n")
        raise GPUFault("MMU fault", xid=31)
  def create_queue(self): return FakeQueue(self)
  def close(self): pass

@pytest.mark.parametrize("wl", list(W.WORKLOADS))
def test_schedule_is_a_function_of_the_seed_and_runs_clean(wl):
  a = W.make_schedule(wl, 7, 1, 3); b = W.make_schedule(wl, 7, 1, 3)
  assert a == b and json.loads(json.dumps(a)) == a and all(op in W.OPS for op, _ in a)
  assert W.make_schedule(wl, 8, 1, 3) != a or wl in ("queue-churn",) and W.make_schedule(wl, 9, 1, 3) != a
  for it in range(20):                                   # every op works and every copyout check holds on a correct device
    dev, st = FakeDevice(), {"bufs": {}, "progs": {}, "timeout": 5}
    sched = W.make_schedule(wl, 11, 0, it)
    W.run_schedule(dev, sched, st)
    assert dev.bufs == {} and st["bufs"] == {} and dev.queues == 0   # an iteration frees what it allocates
  if wl in ("copy-churn", "mix"): assert any(op == "copyout" and p["expect"] for op, p in a + W.make_schedule(wl, 11, 0, 1))

def test_replay_gives_the_same_calls():
  sched = W.make_schedule("mix", 42, 3, 9, n_ops=64)
  d1, d2 = FakeDevice(), FakeDevice()
  W.run_schedule(d1, sched, {"bufs": {}, "progs": {}, "timeout": 5}); W.run_schedule(d2, sched, {"bufs": {}, "progs": {}, "timeout": 5})
  assert d1.calls == d2.calls and len(d1.calls) >= 64

def test_copyout_check_catches_corruption():
  class Corrupt(FakeDevice):
    def copy(self, d, s, n): super().copy(d, s, n); d.data[n // 2] ^= 1
  sched = W.make_schedule("copy-churn", 1, 0, 0)
  with pytest.raises(Exception, match="differs at byte"): W.run_schedule(Corrupt(), sched, {"bufs": {}, "progs": {}, "timeout": 5})

def test_unknown_workload():
  with pytest.raises(BadArgument): W.make_schedule("nope", 1, 0, 0)

def _run(tmp_path, *args, env=None, timeout=60):
  e = {**os.environ, "PYTHONPATH": HERE + os.pathsep + os.environ.get("PYTHONPATH", ""), **(env or {})}
  j = str(tmp_path / "j.jsonl")
  p = subprocess.run([sys.executable, "-m", "hwrt", "stress", "run", "--plain", "--journal", j, *args], env=e, capture_output=True, text=True, timeout=timeout)
  return p, (J.read(j)[0] if os.path.exists(j) else [])

DEV = "py:test_stress_workloads:FakeDevice"

def test_workload_end_to_end_clean(tmp_path):
  p, recs = _run(tmp_path, "--workload", "mix", "--device", DEV, "--procs", "2", "--iterations", "5", "--seed", "3", "--no-kmsg")
  assert p.returncode == 0, p.stdout + p.stderr
  end = recs[-1]
  assert end["t"] == "end" and end["iterations"] == 10 and end["failures"] == 0

def test_workload_fault_hang_and_crash_are_journalled(tmp_path):
  klog = tmp_path / "kmsg"; klog.write_text("")
  # one run per injected kind; each worker process counts its own launches
  found = {}
  for kind in ("fault", "hang", "segv"):
    d = tmp_path / kind; d.mkdir()
    p, recs = _run(d, "--workload", "launch-loop", "--device", DEV, "--procs", "2", "--iterations", "2", "--seed", "5", "--deadline", "1.5",
                   "--ops", "4", "--kmsg-file", str(klog), env={"FAKE_FAULT": f"{kind}@launch=3", "FAKE_KMSG": str(klog)})
    assert p.returncode == 1, p.stdout + p.stderr
    found[kind] = [r["event"] for r in recs if r["t"] == "event"]
    assert recs[-1]["t"] == "end"
  f = [e for e in found["fault"] if e["kind"] == "gpu_fault"]
  assert len(f) == 2 and f[0]["op"][0] == "launch" and f[0]["op_index"] == 2 and f[0]["schedule"] == W.make_schedule("launch-loop", 5, f[0]["worker"], 0, 4)
  assert f[0]["info"]["xid"] == 31 and f[0]["signature"] == "GPU fault in launch"
  assert any(e["kind"] == "xid" and e["xid"] == 31 and e["address"] == "0x0000000100000000" for e in found["fault"])
  h = [e for e in found["hang"] if e["kind"] == "hang"]
  # the restarted worker is a new process, which hangs (crashes) again at its 3rd launch: iteration 0 op 2, then iteration 1 op 2
  assert sorted((e["worker"], e["iteration"], e["op_index"], e["signature"]) for e in h) == \
         [(w, it, 2, "hang in launch") for w in (0, 1) for it in (0, 1)]
  c = [e for e in found["segv"] if e["kind"] == "crash"]
  assert sorted((e["worker"], e["iteration"], e["signal"], e["signature"]) for e in c) == \
         [(w, it, "SIGSEGV", "worker killed by SIGSEGV") for w in (0, 1) for it in (0, 1)]

def test_bad_device_is_bad_input(tmp_path):
  p, _ = _run(tmp_path, "--workload", "mix", "--device", "py:no_such_module_x:Dev", "--iterations", "1")
  assert p.returncode == 2 and "Traceback" not in p.stderr
  p, _ = _run(tmp_path, "--workload", "mix", "--iterations", "1")
  assert p.returncode == 2 and "--device" in p.stderr

def test_replay_frees_what_a_failing_schedule_left():
  class FaultOnCopy(FakeDevice):
    def copy(self, d, s, n): raise GPUFault("copy engine fault")
  dev = FaultOnCopy()
  with pytest.raises(GPUFault): W.replay(dev, W.make_schedule("copy-churn", 2, 0, 0))
  assert dev.bufs == {}
