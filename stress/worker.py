"""One stress worker process: `python -m hwrt.stress.worker SPEC_JSON`. It runs iterations of a command or a built-in workload
and keeps its status in a shared slot (Status) that the runner reads to see progress and hangs without any messages; events
(a command's crash or exit status, a GPU fault) go to the runner as JSON lines on stdout."""
from __future__ import annotations
import ctypes, json, mmap, os, re, resource, shlex, signal, struct, subprocess, sys, time, traceback

SLOT = struct.Struct("<qqdqdq")  # iterations done, current iteration (-1 idle), its start (CLOCK_MONOTONIC), current op, worker CPU s,
                                 # pid of the command running the current iteration (--cmd)

class Status:
  def __init__(self, path: str, nslots: int):
    if not os.path.exists(path) or os.path.getsize(path) < nslots * SLOT.size:
      with open(path, "wb") as f: f.write(b"\0" * nslots * SLOT.size)
    self.f = open(path, "r+b")
    self.m = mmap.mmap(self.f.fileno(), nslots * SLOT.size)
  def get(self, i: int) -> tuple: return SLOT.unpack_from(self.m, i * SLOT.size)
  def set(self, i: int, done: int, cur: int, t0: float, op: int = -1, cpu: float = 0.0, child: int = 0):
    SLOT.pack_into(self.m, i * SLOT.size, done, cur, t0, op, cpu, child)
  def close(self): self.m.close(); self.f.close()

def _self_cpu() -> float:
  r = resource.getrusage(resource.RUSAGE_SELF); return r.ru_utime + r.ru_stime

try: _PRCTL = ctypes.CDLL(None, use_errno=True).prctl
except (OSError, AttributeError): _PRCTL = None

def _die_with_parent(parent: int | None = None):
  """PR_SET_PDEATHSIG = SIGTERM: when the runner dies, on_term below takes this worker and its command down (no orphans); if
  the parent is already gone (killed while this process was starting), exit now."""
  if _PRCTL is not None: _PRCTL(1, signal.SIGTERM)
  if parent is not None and os.getppid() != parent: os._exit(1)

def emit(ev: dict):
  sys.stdout.write(json.dumps({"event": ev}, default=str) + "\n"); sys.stdout.flush()

def _tail(path: str, n: int = 2000) -> str:
  try:
    with open(path, "rb") as f:
      f.seek(max(0, os.path.getsize(path) - n)); return f.read().decode("utf-8", "replace")
  except OSError: return ""

def run_cmd(spec, st, idx):
  out = spec["out"]
  argv = shlex.split(spec["cmd"]) if not re.search(r"[|&;<>()$`\\\"'*?\[#~=%{}\n]", spec["cmd"]) else None   # no shell needed: exec it directly
  i, it_end = spec["start"], spec.get("iterations")
  while it_end is None or i < it_end:
    t0 = time.monotonic()
    st.set(idx, i, i, t0)
    with open(out, "wb") as f:
      p = subprocess.Popen(argv or spec["cmd"], shell=argv is None, stdout=f, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
      st.set(idx, i, i, t0, -1, 0.0, p.pid)
      rc = p.wait()
    if argv is None and 128 < rc <= 128 + 64 and (rc - 128) in signal.Signals._value2member_map_: rc = -(rc - 128)   # sh reports a signal death as 128+N
    if rc != 0:
      ev = {"iteration": i, "returncode": rc, "output_tail": _tail(out), "severity": "error", "vendor": None}
      if rc < 0:
        name = signal.Signals(-rc).name if -rc in signal.Signals._value2member_map_ else f"signal {-rc}"
        ev.update(kind="crash", signal=name, signature=f"command killed by {name}", line=f"iteration {i}: command killed by {name}")
      else: ev.update(kind="exit", signature=f"command exited with status {rc}", line=f"iteration {i}: command exited with status {rc}")
      emit(ev)
    i += 1
    st.set(idx, i, -1, 0.0, -1, _self_cpu(), p.pid)       # keep the last command's pid: its kernel-log lines may come later

def run_workload(spec, st, idx):
  from hwrt.errors import HwrtError, GPUFault, GPUTimeout
  from hwrt.stress import workloads as W
  dev = W.open_device(spec["device"])
  state = {"bufs": {}, "progs": {}, "timeout": spec.get("op_timeout", spec["deadline"])}
  i, it_end = spec["start"], spec.get("iterations")
  while it_end is None or i < it_end:
    sched = W.make_schedule(spec["workload"], spec["seed"], idx, i, spec.get("ops", 16))
    t0 = time.monotonic()
    st.set(idx, i, i, t0)
    cur = [0]
    def on_op(k): cur[0] = k; st.set(idx, i, i, t0, k)
    try: W.run_schedule(dev, sched, state, on_op)
    except Exception as e:                               # HwrtError: what the GPU/driver reported; anything else: a bug in the driver code
      hw = isinstance(e, HwrtError)
      kind = "gpu_fault" if isinstance(e, GPUFault) else "gpu_timeout" if isinstance(e, GPUTimeout) else "workload_error" if hw else "exception"
      op = sched[cur[0]][0]
      what = e.what if hw else type(e).__name__
      emit({"kind": kind, "vendor": None, "severity": "error", "signature": f"{what} in {op}", "iteration": i, "op_index": cur[0],
            "op": sched[cur[0]], "schedule": sched, "error": str(e), "info": getattr(e, "info", {}) if hw else {},
            "traceback": None if hw else traceback.format_exc()[-4000:], "line": f"iteration {i} op {cur[0]} {op}: {what}: {e}"})
      W.cleanup(dev, state)
      try: dev.close()
      except Exception: pass
      dev = W.open_device(spec["device"])                # a fault may have killed the channel/context: start clean
    i += 1
    st.set(idx, i, -1, 0.0, -1)
  dev.close()

def main(argv=None) -> int:
  spec = json.loads((argv or sys.argv[1:])[0])
  st, idx = Status(spec["status"], spec["nslots"]), spec["index"]
  def on_term(*_):                                       # the runner stopping the run, or dying (PDEATHSIG)
    d, *_rest = st.get(idx)
    st.set(idx, d, -1, 0.0, -1, _self_cpu())
    try: os.killpg(0, signal.SIGKILL)                    # this worker's process group: itself and the command it runs
    finally: os._exit(0)
  signal.signal(signal.SIGTERM, on_term)
  _die_with_parent(spec.get("parent"))
  try:
    (run_cmd if spec.get("cmd") else run_workload)(spec, st, idx)
  except Exception as e:                                 # the runner sees the exit status; say why on stdout
    emit({"kind": "workload_error", "vendor": None, "severity": "error", "signature": f"worker failed: {type(e).__name__}",
          "error": str(e), "traceback": traceback.format_exc()[-4000:], "line": f"worker {idx}: {type(e).__name__}: {e}"})
    return 3
  d, *_rest = st.get(idx)
  st.set(idx, d, -1, 0.0, -1, _self_cpu())
  return 0

if __name__ == "__main__": sys.exit(main())
