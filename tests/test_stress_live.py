"""The live view: rich on a terminal (workers, iterations and rate, elapsed/remaining, events deduplicated by signature), plain
lines otherwise."""
import io, time
from hwrt.stress.live import RichView, PlainView, make_view

class FakeRunner:
  def __init__(self):
    self.cfg = {"cmd": "python demo.py", "workload": None, "procs": 2, "device": "sim:nv", "seed": 5, "deadline": 10, "duration": 60}
    self.jpath, self.failures, self.done = "/tmp/j.jsonl", 3, 0
    self.sigs = {"NVRM: Xid 31: GPU memory page fault (MMU)": {"signature": "NVRM: Xid 31: GPU memory page fault (MMU)", "kind": "xid",
                 "severity": "error", "count": 3, "workers": {0, 1}, "first": time.monotonic()}}
  def progress(self):
    return {"0": {"done": self.done, "current": self.done, "op": None, "restarts": 0, "pid": 101, "finished": False},
            "1": {"done": 2 * self.done, "current": None, "op": None, "restarts": 1, "pid": 102, "finished": True}}

def test_rich_view_renders_workers_rates_and_deduplicated_events():
  out = io.StringIO()
  v = RichView(out)
  r = FakeRunner()
  v.start(r)
  v.console.width = 200
  v.prev = {"0": (time.monotonic() - 2, 0), "1": (time.monotonic() - 2, 0)}
  r.done = 10
  v.update(r, 12.0); v.stop(r, 12.5)
  text = out.getvalue()
  assert "NVRM: Xid 31" in text and "elapsed 0:00:12" in text and "remaining 0:00:47" in text and "iterations 30" in text
  assert "101" in text and "done" in text and "iter 10" in text and "5.0" in text          # pid, states, rate 10 iterations / 2 s

def test_plain_view_prints_each_new_signature_once():
  out = io.StringIO()
  v = PlainView(out); r = FakeRunner(); v.start(r)
  sig = {"count": 1}
  ev = {"kind": "xid", "signature": "NVRM: Xid 31: x", "severity": "error", "worker": 1, "line": "NVRM: Xid (PCI:0000:01:00): 31"}
  v.event(ev, sig); sig["count"] = 2; v.event(ev, sig); sig["count"] = 10; v.event(ev, sig)
  lines = out.getvalue().splitlines()
  assert sum("NVRM: Xid 31: x" in l for l in lines) == 2 and "(x10)" in out.getvalue()
  assert isinstance(make_view(io.StringIO()), PlainView)
