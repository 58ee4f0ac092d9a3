"""Built-in workloads on hwrt's device API. An iteration is a schedule: a list of [op, params] generated from
(workload, seed, worker, iteration) alone, so the repro writer can regenerate, replay and delta-debug exactly what a worker ran.
Each iteration is self-contained: buffers live in numbered slots and everything still allocated is freed by the last op.

Devices are the vendor contract's (drivers/base.py Device, opened by hwrt.devices.open_device): alloc/free, copyin/copyout/copy,
builtin_program("empty" / "inc"), launch, synchronize, create_queue() (q.close()), close(). Failures raise hwrt.errors.GPUFault /
GPUTimeout / HwrtError."""
from __future__ import annotations
import importlib, random
from hwrt.errors import BadArgument, CheckFailed

SCHEDULE_VERSION = 2
WORKLOADS = {"launch-loop": "a trivial kernel launched over and over", "alloc-churn": "allocate and free buffers of random sizes",
             "copy-churn": "copy in, copy on the device's copy engine, copy out and check", "queue-churn": "create and destroy queues/channels",
             "mix": "a seeded random mix of all the operations above"}
SIZES = [4, 64, 4096, 65536, 1 << 20, 3 << 20]

def _fill(runs, n):
  return b"".join(bytes([f]) * ln for ln, f in runs)[:n]

# op name -> callable(dev, state, params). state: {"bufs": {slot: buf}, "progs": {name: prog}, "timeout": seconds}
def _alloc(dev, st, p): st["bufs"][p["slot"]] = dev.alloc(p["nbytes"])
def _free(dev, st, p): dev.free(st["bufs"].pop(p["slot"]))
def _copyin(dev, st, p): dev.copyin(st["bufs"][p["slot"]], bytes([p["fill"]]) * p["nbytes"])
def _copy(dev, st, p): dev.copy(st["bufs"][p["dst"]], st["bufs"][p["src"]], p["nbytes"])
def _copyout(dev, st, p):
  got = bytes(dev.copyout(st["bufs"][p["slot"]], p["nbytes"]))
  if p.get("expect") is not None and got != (want := _fill(p["expect"], p["nbytes"])):
    bad = next(i for i in range(min(len(got), len(want)) + 1) if i >= min(len(got), len(want)) or got[i] != want[i])
    raise CheckFailed(f"copyout of slot {p['slot']} differs at byte {bad}", slot=p["slot"], offset=bad)
def _launch(dev, st, p):
  prog = st["progs"].get(p["program"]) or st["progs"].setdefault(p["program"], dev.builtin_program(p["program"]))
  kw = {} if p.get("wait", True) else {"wait": False}       # an asynchronous launch: the device keeps running it
  dev.launch(prog, args=[st["bufs"][s].va for s in p.get("args", [])] + list(p.get("scalars", [])), grid=tuple(p["grid"]),
             block=tuple(p["block"]), timeout=st["timeout"], **kw)
def _sync(dev, st, p): dev.synchronize(st["timeout"])
def _queue(dev, st, p):
  qs = [dev.create_queue() for _ in range(p.get("n", 1))]
  for q in qs: q.close()
OPS = {"alloc": _alloc, "free": _free, "copyin": _copyin, "copy": _copy, "copyout": _copyout, "launch": _launch, "sync": _sync, "queue": _queue}

def make_schedule(workload: str, seed: int, worker: int, iteration: int, n_ops: int = 16) -> list[list]:
  """The ops of one iteration, from the seed alone. Pure data: [[op, params], ...] (JSON-serialisable)."""
  if workload not in WORKLOADS: raise BadArgument(f"unknown workload {workload!r} (known: {', '.join(WORKLOADS)})")
  rng = random.Random(f"hwrt-stress/{SCHEDULE_VERSION}/{workload}/{seed}/{worker}/{iteration}")
  sched, live, content, nslot = [], {}, {}, 0            # live: slot -> size; content: slot -> [[len, fill]] or None (unknown)
  def alloc():
    nonlocal nslot
    size = rng.choice(SIZES); sched.append(["alloc", {"slot": nslot, "nbytes": size}]); live[nslot] = size; content[nslot] = None; nslot += 1
    return nslot - 1
  def copyin(s):
    f = rng.randrange(256); sched.append(["copyin", {"slot": s, "nbytes": live[s], "fill": f}]); content[s] = [[live[s], f]]
  def copy(d, s):
    n = min(live[d], live[s]); sched.append(["copy", {"dst": d, "src": s, "nbytes": n}])
    if content[s] is None or (content[d] is None and n < live[d]): content[d] = None
    else: content[d] = _cut(content[s], n) + (_tail(content[d], n) if n < live[d] else [])
  def copyout(s): sched.append(["copyout", {"slot": s, "nbytes": live[s], "expect": content[s]}])
  def free(s): sched.append(["free", {"slot": s}]); live.pop(s); content.pop(s)
  def launch(): sched.append(["launch", {"program": "empty", "grid": [rng.choice([1, 2, 64]), 1, 1], "block": [rng.choice([1, 32, 256]), 1, 1]}])
  def launch_async(s):
    """inc over slot s without waiting: later ops may touch or free the buffer while the GPU still works on it"""
    n = max(1, live[s] // 4)
    sched.append(["launch", {"program": "inc", "args": [s], "scalars": [n], "grid": [(n + 255) // 256, 1, 1], "block": [256, 1, 1], "wait": False}])
    content[s] = None
  if workload == "launch-loop":
    for _ in range(n_ops): launch()
  elif workload == "alloc-churn":
    for _ in range(n_ops):
      if live and (len(live) > 8 or rng.random() < 0.5): free(rng.choice(sorted(live)))
      else: alloc()
  elif workload == "copy-churn":
    a, b = alloc(), alloc()
    for _ in range(max(1, n_ops // 4)):
      copyin(a); copy(b, a); copyout(b); a, b = b, a
  elif workload == "queue-churn":
    for _ in range(n_ops): sched.append(["queue", {"n": rng.choice([1, 1, 2, 4])}])
  else:
    for _ in range(n_ops):
      r = rng.random()
      if not live or r < 0.2: alloc()
      elif r < 0.35 and len(live) > 1: free(rng.choice(sorted(live)))
      elif r < 0.5: copyin(rng.choice(sorted(live)))
      elif r < 0.65 and len(live) > 1: d, s = rng.sample(sorted(live), 2); copy(d, s)
      elif r < 0.8: copyout(rng.choice(sorted(live)))
      elif r < 0.86: launch()
      elif r < 0.92: launch_async(rng.choice(sorted(live)))
      elif r < 0.95: sched.append(["sync", {}])
      else: sched.append(["queue", {"n": 1}])
  for s in sorted(live): free(s)
  return sched

def _cut(runs, n):
  out, left = [], n
  for ln, f in runs:
    if left <= 0: break
    out.append([min(ln, left), f]); left -= ln
  return out

def _tail(runs, n):
  out, pos = [], 0
  for ln, f in runs:
    if pos + ln > n: out.append([pos + ln - max(n, pos), f])
    pos += ln
  return out

def run_schedule(dev, sched: list[list], state: dict, on_op=None):
  """Execute ops in order; on_op(i) before each (the worker records it so a hang names its op)."""
  for i, (op, p) in enumerate(sched):
    if on_op: on_op(i)
    OPS[op](dev, state, p)

def replay(dev, sched: list[list], timeout: float = 10.0, on_op=None):
  """Run one journalled schedule on a freshly opened device (what the repro writer replays and delta-debugs)."""
  state = {"bufs": {}, "progs": {}, "timeout": timeout}
  try: run_schedule(dev, sched, state, on_op)
  finally: cleanup(dev, state)

def cleanup(dev, state: dict):
  """After a failure mid-schedule: free what the iteration still holds (ignoring errors: the device may be gone)."""
  for s, b in list(state["bufs"].items()):
    try: dev.free(b)
    except Exception: pass
    state["bufs"].pop(s, None)
  state["progs"].clear()

def open_device(spec: str):
  """hwrt.devices.open_device(spec); "py:module:callable" opens a device from any factory (tests use a fake device)."""
  if spec.startswith("py:"):
    mod, _, fn = spec[3:].rpartition(":")
    return getattr(importlib.import_module(mod), fn)()
  try: from hwrt.devices import open_device as od
  except ImportError as e: raise BadArgument(f"hwrt.devices is not available ({e}); built-in workloads need it") from e
  return od(spec)
