"""Run a minimised case once under `hwrt trace` and log what the trace cannot see: the CPU's writes into GPU-visible
mappings (QMDs, constant banks, pushbuffers, GPFIFO entries, staged data), each GP_PUT update and doorbell ring, and each
wait on a semaphore with the error notifier beside it. The emitters merge this log with the trace by wall-clock time.

  python -m hwrt.repro.record SPEC_JSON_FILE        (SPEC: {device, schedule, iterations, timeout, log})

Writes are found by comparing every CPU-mapped buffer of the device with a shadow copy at each submission (the mapping
starts as the kernel hands it out: zeros). Bytes the GPU writes are left out: the semaphore page at the start of the arena,
each channel's USERD (GP_PUT is logged explicitly, after the ring entry it publishes) and the error notifier.
The driver tells the recorder about each submission and wait through its hook (drivers/base.py Device.add_hook); the
vendor part of each record comes from the driver (ring.record(), dev.wait_record(), dev.record_opened())."""
from __future__ import annotations
import json, sys, time
import numpy as np

def main(path: str) -> int:
  spec = json.load(open(path))
  from hwrt.ioctl.ffi import ffi
  from hwrt.stress import workloads as W
  from hwrt.errors import HwrtError
  log = open(spec["log"], "w")
  def emit(rec: dict): log.write(json.dumps(rec) + "\n"); log.flush()
  shadows: dict[int, np.ndarray] = {}

  def diff(dev) -> list:
    out = []
    live = {b.cpu: b for b in dev.cpu_buffers()}
    for cpu in list(shadows):
      if cpu not in live: del shadows[cpu]
    for cpu, b in sorted(live.items()):
      cur = np.frombuffer(ffi.buffer(ffi.cast("char *", cpu), b.size), dtype=np.uint8).copy()
      old = shadows.get(cpu)
      if old is None or old.size != cur.size: old = np.zeros_like(cur)
      for lo, hi in dev.gpu_written(b): cur[lo:hi] = old[lo:hi]
      idx = np.flatnonzero(cur != old)
      shadows[cpu] = cur
      if idx.size == 0: continue
      # coalesce changed bytes into runs, bridging gaps under 32 bytes
      breaks = np.flatnonzero(np.diff(idx) > 32)
      starts = np.concatenate(([idx[0]], idx[breaks + 1])); ends = np.concatenate((idx[breaks], [idx[-1]])) + 1
      for s, e in zip(starts.tolist(), ends.tolist()): out.append([cpu, s, cur[s:e].tobytes().hex()])
    return out

  final_check = [False]                            # set for the bounded wait after the last operation
  class Hook:
    """The driver's submit/wait hook (drivers/base.py Device.add_hook)."""
    def __init__(self, dev): self.dev = dev
    def submitted(self, ring, t): emit({"t": t, "ev": "submit", "writes": diff(self.dev), **ring.record()})
    def waited(self, sig, value, timeout, t, result, err):
      rec = {"t": t, "ev": "wait", "sig": sig.cpu, "value": value, "timeout": timeout, **self.dev.wait_record(), "check": final_check[0],
             "result": result}
      if result == "fault": rec |= {"error_text": str(err), "xid": err.info.get("xid")}
      elif result == "timeout": rec["error_text"] = str(err)
      emit(rec)
  _safe_read_kmsg()

  dev = W.open_device(spec["device"])
  dev.add_hook(Hook(dev))
  emit({"t": time.time(), "ev": "opened", **dev.record_opened()})
  st = {"bufs": {}, "progs": {}, "timeout": spec.get("timeout", 10.0)}
  rc, it = 0, 0
  def failed(e):
    what = e.what if isinstance(e, HwrtError) else type(e).__name__
    emit({"t": time.time(), "ev": "fail", "error": f"{what}: {e}"})
  for it in range(spec.get("iterations", 1)):
    def on_op(k, it=it): emit({"t": time.time(), "ev": "op", "iteration": it, "index": k, "op": spec["schedule"][k]})
    try: W.run_schedule(dev, spec["schedule"], st, on_op)
    except Exception as e: failed(e); rc = 1; break
  if rc == 0:
    # What the minimiser's attempt does after the schedule (repro/minimize.py run_schedule_once): free what the schedule
    # still holds, in slot order (stress/workloads.py cleanup). Then observe what the schedule left running: one bounded
    # wait for the last timeline value with the error notifier beside it. A failure that only shows after the last op (a
    # launch faulted by a free while in flight) is seen here, and the repro programs end with this wait.
    try:
      for k, (s, b) in enumerate(list(st["bufs"].items())):
        emit({"t": time.time(), "ev": "op", "iteration": it, "index": len(spec["schedule"]) + k, "op": ["free", {"slot": s}], "cleanup": True})
        st["bufs"].pop(s); dev.free(b)
      final_check[0] = True
      dev.synchronize(st["timeout"])
    except Exception as e: failed(e); rc = 1
  emit({"t": time.time(), "ev": "end", "rc": rc})
  try:
    W.cleanup(dev, st); dev.close()
  except Exception: pass
  return rc

def _safe_read_kmsg():
  """HostSyscalls.read_kmsg loops forever when /dev/kmsg is a regular file (as `hwrt sim-run` presents the simulated
  machine's log): a read at end of file returns b'' instead of EAGAIN. Stop at end of file here (reported to the lead)."""
  import os
  from hwrt.ioctl import syscalls as S
  def read_kmsg(self):
    try: fd = os.open("/dev/kmsg", os.O_RDONLY | os.O_NONBLOCK)
    except OSError: return ""
    out = []
    try:
      while True:
        try: b = os.read(fd, 8192)
        except BlockingIOError: break
        except OSError: break
        if not b: break
        out.append(b.decode(errors="replace"))
    finally: os.close(fd)
    return "".join(out)
  S.HostSyscalls.read_kmsg = read_kmsg

def capture(case: dict, env: dict, workdir: str, timeout: float = 10.0, limit_s: float = 300.0) -> tuple[list[dict], list[dict], dict]:
  """Run CASE once under `hwrt trace` (and `hwrt sim-run` for sim devices) -> (trace records, recorder log, info)."""
  import os, subprocess
  from hwrt.errors import HwrtError
  from hwrt.sim.bridge.records import load_jsonl
  dev = case["device"]
  sim = dev.startswith("sim:")
  spec = os.path.join(workdir, "record-spec.json"); logp = os.path.join(workdir, "record-log.jsonl"); tr = os.path.join(workdir, "trace.jsonl")
  json.dump({"device": "nv:0" if sim else dev, "schedule": case["schedule"], "iterations": case.get("iterations", 1), "timeout": timeout,
             "log": logp}, open(spec, "w"))
  inner = [sys.executable, "-m", "hwrt.repro.record", spec]
  if sim: inner = [sys.executable, "-m", "hwrt", "sim-run", "--device", dev, "--"] + inner
  cmd = [sys.executable, "-m", "hwrt", "trace", "-q", "-o", tr, "--"] + inner
  e = {**os.environ, **env}
  if sim: e["HWRT_SIM_DIR"] = os.path.join(workdir, "sim")
  try: p = subprocess.run(cmd, env=e, capture_output=True, text=True, timeout=limit_s)
  except subprocess.TimeoutExpired: raise HwrtError(f"recording the minimised case under `hwrt trace` took over {limit_s:.0f} s")
  if not os.path.exists(tr) or not os.path.exists(logp):
    raise HwrtError(f"recording the minimised case under `hwrt trace` failed (exit {p.returncode}): {p.stderr.strip()[-600:]}")
  log = [json.loads(l) for l in open(logp) if l.strip()]
  kmsg = ""
  if sim and os.path.exists(os.path.join(workdir, "sim", "kmsg")): kmsg = open(os.path.join(workdir, "sim", "kmsg")).read()
  return load_jsonl(tr), log, {"returncode": p.returncode, "stderr": p.stderr[-4000:], "kmsg": kmsg, "command": cmd}

if __name__ == "__main__": sys.exit(main(sys.argv[1]))
