"""Shrink a stress failure to a minimal case that still shows the same signature.

A case is {schedule: [[op, params], ...] (stress/workloads.py), procs: N, iterations: K}: N processes each replay the
schedule K times on a freshly opened device. One attempt runs a case once and collects every failure signature it shows:
the workload's own ("GPU fault in launch", as stress/worker.py names them) and the kernel log's (stress/logparse.py) from
the lines logged during the attempt. Order of shrinking (each step within the budget of attempts and seconds):
  1. the failing iteration's schedule alone (1 process, 1 iteration); if that does not show the signature, the failing
     worker's iterations 0..i concatenated, then the journal's process count;
  2. the schedule by delta debugging (ddmin, Zeller & Hildebrandt 2002), each candidate made well-formed (ops on a slot
     that is not allocated are dropped, what is still allocated is freed at the end);
  3. the number of processes, then the iterations.
Then the minimal case is run `rate_runs` times: reproduction rate and mean time to failure (from attempt start to the
first failing op, or to the end of the attempt when only the kernel log showed it).

Simulated devices with one process run in this process on a fresh hwrt.sim machine per attempt (tens of ms each);
anything else runs `python -m hwrt.repro.minimize --child SPEC` processes."""
from __future__ import annotations
import json, os, subprocess, sys, tempfile, time
from hwrt.errors import BadInput, HwrtError, GPUFault, GPUTimeout
from hwrt.helpers import Deadline

WORKLOAD_KINDS = ("gpu_fault", "gpu_timeout", "workload_error", "exception", "crash", "exit", "hang")

def pick_signature(recs: list[dict], wanted: str | None = None) -> dict:
  """The failure to reproduce: `wanted` (exact signature or a unique substring), else the first error from the kernel log,
  else the first error. Returns the journal event."""
  evs = [r["event"] for r in recs if r.get("t") == "event" and r["event"].get("severity", "error") == "error"]
  if not evs: raise BadInput("the journal records no failure to reproduce")
  if wanted:
    exact = [e for e in evs if e["signature"] == wanted]
    sub = exact or [e for e in evs if wanted in e["signature"]]
    if not sub: raise BadInput(f"no failure signature matching {wanted!r} in the journal (have: {'; '.join(sorted({e['signature'] for e in evs}))})")
    if len({e["signature"] for e in sub}) > 1: raise BadInput(f"{wanted!r} matches several signatures: {'; '.join(sorted({e['signature'] for e in sub}))}")
    return sub[0]
  kern = [e for e in evs if e["kind"] not in WORKLOAD_KINDS]
  return (kern or evs)[0]

def failing_origin(recs: list[dict], target: dict) -> tuple[int, int]:
  """(worker, iteration) the target failure came from. A workload failure names its own; a kernel-log line is attributed by
  the runner from the pid, which can lag or lead by an iteration, so the workload failure of that worker nearest in time
  (within 2 s) is preferred when there is one."""
  if target.get("kind") in WORKLOAD_KINDS and target.get("worker") is not None and target.get("iteration") is not None:
    return int(target["worker"]), int(target["iteration"])
  evs = [(r["time"], r["event"]) for r in recs if r.get("t") == "event"]
  t = next((tt for tt, e in evs if e is target), None)
  near = [(abs(tt - t), e) for tt, e in evs if t is not None and e.get("kind") in WORKLOAD_KINDS and e.get("iteration") is not None
          and e.get("worker") is not None and abs(tt - t) <= 2.0 and (target.get("worker") is None or e["worker"] == target["worker"])]
  if not near and t is not None and target.get("worker") is not None and target.get("iteration") is not None:
    # a loaded machine can delay the kernel-log watcher past 2 s: then the same worker's workload failure one iteration either
    # side of the attributed one (the pid attribution's lag or lead), whatever the time between them
    near = [(abs(tt - t), e) for tt, e in evs if e.get("kind") in WORKLOAD_KINDS and e.get("worker") == target["worker"]
            and e.get("iteration") is not None and abs(int(e["iteration"]) - int(target["iteration"])) <= 1]
  if near:
    e = min(near, key=lambda x: x[0])[1]
    return int(e["worker"]), int(e["iteration"])
  return int(target.get("worker") or 0), int(target.get("iteration") or 0)

# ---- making candidate schedules well-formed
SLOT_KEYS = ("slot", "dst", "src")
def wellformed(ops: list[list]) -> list[list]:
  live, out = set(), []
  for op, p in ops:
    if op == "alloc":
      if p["slot"] in live: continue
      live.add(p["slot"])
    elif any(k in p for k in SLOT_KEYS) and not all(p[k] in live for k in SLOT_KEYS if k in p): continue
    if op == "free": live.discard(p["slot"])
    out.append([op, p])
  out += [["free", {"slot": s}] for s in sorted(live)]
  return out

# ---- one attempt
def _signatures_from_log(text: str, source: str) -> list[dict]:
  from hwrt.stress.logparse import parse_text
  return [e for e in parse_text(text, source=source) if e.get("severity", "error") == "error"]

def run_schedule_once(dev, sched, iterations: int, timeout: float) -> tuple[dict | None, float]:
  """-> (the workload failure event or None, seconds to it)."""
  from hwrt.stress import workloads as W
  t0 = time.monotonic()
  state = {"bufs": {}, "progs": {}, "timeout": timeout}
  for it in range(iterations):
    cur = [0]
    def on_op(k): cur[0] = k
    try: W.run_schedule(dev, sched, state, on_op)
    except Exception as e:
      hw = isinstance(e, HwrtError)
      what = e.what if hw else type(e).__name__
      kind = "gpu_fault" if isinstance(e, GPUFault) else "gpu_timeout" if isinstance(e, GPUTimeout) else "workload_error" if hw else "exception"
      W.cleanup(dev, state)
      return {"kind": kind, "signature": f"{what} in {sched[cur[0]][0]}", "op_index": cur[0], "iteration": it, "error": str(e)}, time.monotonic() - t0
  W.cleanup(dev, state)          # free what the schedule still holds, as the recorder (repro/record.py) and so the repro do
  return None, time.monotonic() - t0

def _sim_env(env: dict) -> tuple[str, str, str]:
  return env.get("HWRT_SIM_FAULTS", ""), env.get("HWRT_SIM_SEED", ""), env.get("HWRT_SIM_BUGS", "")

def attempt_inproc(case: dict, env: dict, timeout: float) -> dict:
  """A sim:* case with one process, on a fresh simulated machine in this process."""
  from hwrt.sim.kernel import new_machine
  from hwrt.sim.faults import FaultPlan
  import importlib
  from hwrt.devices import VENDORS
  from hwrt.devices import sim_chip
  vendor, chip = case["device"].split(":")[1], sim_chip(case["device"])     # sim:nv or sim:nv:<chip>
  saved = os.environ.get("HWRT_SIM_DIR")
  d = tempfile.mkdtemp(prefix="hwrt-repro-sim-")
  os.environ["HWRT_SIM_DIR"] = d
  t0 = time.monotonic()
  m = dev = None
  try:
    f, s, b = _sim_env(env)
    m = new_machine(vendor, plan=FaultPlan.parse(f, s, b), **({"gpu": chip} if chip else {}))
    dev = importlib.import_module(VENDORS[vendor]).open_device(m.syscalls, 0, case["device"])   # any driver of the contract
    ev, ttf = run_schedule_once(dev, case["schedule"], case.get("iterations", 1), timeout)
  except HwrtError as e:
    ev, ttf = {"kind": "workload_error", "signature": f"{e.what} in open", "error": str(e)}, time.monotonic() - t0
  finally:
    for x in (dev, m):
      try:
        if x is not None: x.close()
      except Exception: pass
    kt = open(os.path.join(d, "kmsg")).read() if os.path.exists(os.path.join(d, "kmsg")) else ""
    if saved is None: os.environ.pop("HWRT_SIM_DIR", None)
    else: os.environ["HWRT_SIM_DIR"] = saved
    import shutil; shutil.rmtree(d, ignore_errors=True)
  sigs = ([ev["signature"]] if ev else []) + [e["signature"] for e in _signatures_from_log(kt, "sim-kmsg")]
  return {"signatures": sigs, "ttf": ttf if ev else time.monotonic() - t0, "event": ev, "kmsg": kt}

def attempt_procs(case: dict, env: dict, timeout: float) -> dict:
  """N child processes, each replaying the schedule; the kernel log read before and after (sim kmsg or /dev/kmsg)."""
  sim = case["device"].startswith("sim:")
  d = tempfile.mkdtemp(prefix="hwrt-repro-sim-") if sim else None
  cenv = {**os.environ, **env}
  if sim: cenv["HWRT_SIM_DIR"] = d
  before = "" if sim else _host_kmsg()
  spec = json.dumps({"device": case["device"], "schedule": case["schedule"], "iterations": case.get("iterations", 1), "timeout": timeout})
  t0 = time.monotonic()
  ps = [subprocess.Popen([sys.executable, "-m", "hwrt.repro.minimize", "--child", spec], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         env=cenv, text=True) for _ in range(case.get("procs", 1))]
  sigs, ttf, ev = [], None, None
  dl = Deadline(timeout * (case.get("iterations", 1) * len(case["schedule"]) + 4))
  for p in ps:
    try: out, _ = p.communicate(timeout=max(dl.remaining(), 1))
    except subprocess.TimeoutExpired:
      p.kill(); out, _ = p.communicate(); sigs.append("hang: attempt over its deadline"); continue
    for line in out.splitlines():
      try: r = json.loads(line)
      except ValueError: continue
      if r.get("event"):
        sigs.append(r["event"]["signature"]); ev = ev or r["event"]
        ttf = r["ttf"] if ttf is None else min(ttf, r["ttf"])
    if p.returncode not in (0, None) and not any(True for _ in sigs): sigs.append(f"worker exited with status {p.returncode}")
  if sim:
    kt = open(os.path.join(d, "kmsg")).read() if os.path.exists(os.path.join(d, "kmsg")) else ""
    import shutil; shutil.rmtree(d, ignore_errors=True)
  else:
    after = _host_kmsg(); kt = after[len(before):] if after.startswith(before) else after
  sigs += [e["signature"] for e in _signatures_from_log(kt, "sim-kmsg" if sim else "kmsg")]
  return {"signatures": sigs, "ttf": ttf if ttf is not None else time.monotonic() - t0, "event": ev, "kmsg": kt}

def _host_kmsg() -> str:
  from hwrt.ioctl.syscalls import HOST
  try: return HOST.read_kmsg()
  except Exception: return ""

def child(spec_json: str) -> int:
  from hwrt.stress.workloads import open_device
  spec = json.loads(spec_json)
  t0 = time.monotonic()
  try: dev = open_device(spec["device"])
  except HwrtError as e:
    print(json.dumps({"event": {"kind": "workload_error", "signature": f"{e.what} in open", "error": str(e)}, "ttf": time.monotonic() - t0})); return 1
  try: ev, ttf = run_schedule_once(dev, spec["schedule"], spec["iterations"], spec["timeout"])
  finally:
    try: dev.close()
    except Exception: pass
  print(json.dumps({"event": ev, "ttf": ttf}), flush=True)
  return 1 if ev else 0

class Minimizer:
  def __init__(self, device: str, env: dict, signature: str, budget_s: float = 120.0, max_attempts: int = 400, timeout: float = 10.0,
               log=None, attempt=None):
    self.device, self.env, self.sig = device, env, signature
    self.dl, self.max_attempts, self.timeout = Deadline(budget_s), max_attempts, timeout
    self.attempts, self.cache = 0, {}
    self.log = log or (lambda msg: None)
    self._attempt = attempt

  def out_of_budget(self) -> bool: return self.dl.expired() or self.attempts >= self.max_attempts

  def run(self, case: dict) -> dict:
    case = {"device": self.device, **case}
    # each op's wait is bounded by what is left of the budget, so that the last attempt ends near the budget, not after it
    t = min(self.timeout, max(2.0, self.dl.remaining() / max(1, case.get("iterations", 1) * len(case["schedule"]))))
    if self._attempt: return self._attempt(case, self.env, t)
    if case["device"].startswith("sim:") and case.get("procs", 1) == 1: return attempt_inproc(case, self.env, t)
    return attempt_procs(case, self.env, t)

  def reproduces(self, case: dict, tries: int = 1) -> bool:
    key = json.dumps(case, sort_keys=True)
    if key in self.cache: return self.cache[key]
    ok = False
    for _ in range(tries):
      if self.out_of_budget(): break
      self.attempts += 1
      if self.sig in self.run(case)["signatures"]: ok = True; break
    self.cache[key] = ok
    return ok

  def ddmin(self, case: dict) -> dict:
    """Delta debugging over the schedule's ops (the frees appended by wellformed() are not candidates)."""
    ops = list(case["schedule"])
    n = 2
    while len(ops) >= 2 and not self.out_of_budget():
      chunk = max(1, len(ops) // n)
      parts = [ops[i:i + chunk] for i in range(0, len(ops), chunk)]
      reduced = False
      for i in range(len(parts)):                       # try each complement (removing one part)
        cand = [o for j, p in enumerate(parts) if j != i for o in p]
        if not cand: continue
        c = {**case, "schedule": wellformed(cand)}
        if self.reproduces(c):
          self.log(f"ddmin: {len(ops)} -> {len(cand)} ops")
          ops, n, reduced = cand, max(n - 1, 2), True
          break
        if self.out_of_budget(): break
      if not reduced:
        if n >= len(ops): break
        n = min(len(ops), n * 2)
    # the wellformed frees at the end can themselves go when not needed
    best = {**case, "schedule": wellformed(ops)}
    tail = best["schedule"]
    while tail and tail[-1][0] == "free" and not self.out_of_budget():
      c = {**best, "schedule": tail[:-1]}
      if not self.reproduces(c): break
      best, tail = c, tail[:-1]
    return best

  def shrink_counts(self, case: dict) -> dict:
    for key in ("procs", "iterations"):
      while case.get(key, 1) > 1 and not self.out_of_budget():
        smaller = max(1, case[key] // 2)
        c = {**case, key: smaller}
        if not self.reproduces(c, tries=2):
          c = {**case, key: case[key] - 1}
          if not self.reproduces(c, tries=2): break
        case = c
        self.log(f"{key}: -> {case[key]}")
    return case

  def measure(self, case: dict, runs: int) -> dict:
    hits, ttfs, done = 0, [], 0
    for _ in range(runs):
      if self.dl.expired() and done >= 3: break
      r = self.run(case); done += 1
      if self.sig in r["signatures"]: hits += 1; ttfs.append(r["ttf"])
    return {"runs": done, "hits": hits, "rate": hits / done if done else 0.0,
            "mean_time_to_failure_s": round(sum(ttfs) / len(ttfs), 4) if ttfs else None}

MAX_HISTORY_OPS = 4096

def minimize(recs: list[dict], signature: str | None = None, budget_s: float = 120.0, rate_runs: int = 10, log=None, attempt=None,
             max_attempts: int = 400) -> dict:
  """From journal records to {signature, case, original, attempts, rate, mean_time_to_failure_s, ...}."""
  start = next((r for r in recs if r.get("t") == "start"), None)
  if not start: raise BadInput("the journal has no start record (not a stress journal?)")
  cfg = start.get("config") or {}
  if not cfg.get("workload"): raise BadInput("only journals of built-in workloads (--workload) can be minimised: a --cmd run has no schedule to shrink")
  if not cfg.get("device"): raise BadInput("the journal does not name the device it ran on")
  target = pick_signature(recs, signature)
  worker, it = failing_origin(recs, target)
  from hwrt.stress.workloads import make_schedule
  env = dict(kv.split("=", 1) for kv in cfg.get("env") or [])
  timeout = cfg.get("op_timeout") or (cfg.get("deadline") or 20.0) / 2
  mz = Minimizer(cfg["device"], env, target["signature"], budget_s=budget_s, max_attempts=max_attempts, timeout=min(timeout, 10.0),
                 log=log, attempt=attempt)
  one = make_schedule(cfg["workload"], cfg["seed"], worker, it, cfg.get("ops", 16))
  candidates = [{"schedule": one, "procs": 1, "iterations": 1}]
  if (it + 1) * len(one) <= MAX_HISTORY_OPS:          # a failure late in a long run: the whole history is no candidate within a budget
    history = [s for i in range(it + 1) for s in make_schedule(cfg["workload"], cfg["seed"], worker, i, cfg.get("ops", 16))]
    candidates += [{"schedule": history, "procs": 1, "iterations": 1}, {"schedule": history, "procs": cfg.get("procs", 1), "iterations": 1}]
  elif log: log(f"the failure came at iteration {it}: its {(it + 1) * len(one)}-op history is past {MAX_HISTORY_OPS} ops; trying its own iteration only")
  original = None
  for c in candidates:
    if mz.reproduces(c, tries=3): original = c; break
    if mz.out_of_budget(): break
  if original is None:
    return {"signature": target["signature"], "target": target, "reproduced": False, "attempts": mz.attempts, "device": cfg["device"],
            "env": env, "case": None, "origin": {"worker": worker, "iteration": it}, "config": cfg}
  log and log(f"reproduces with {len(original['schedule'])} ops, {original['procs']} process(es); shrinking")
  case = mz.ddmin(original)
  case = mz.shrink_counts(case)
  if len(case["schedule"]) > 1 and not mz.out_of_budget(): case = mz.ddmin(case)
  m = mz.measure(case, rate_runs)
  return {"signature": target["signature"], "target": target, "reproduced": True, "attempts": mz.attempts, "device": cfg["device"], "env": env,
          "case": {"device": cfg["device"], **case}, "original": {"ops": len(original["schedule"]), "procs": original["procs"]},
          "origin": {"worker": worker, "iteration": it}, "config": cfg, "timeout": mz.timeout, **m}

if __name__ == "__main__":
  if len(sys.argv) == 3 and sys.argv[1] == "--child": sys.exit(child(sys.argv[2]))
  print("usage: python -m hwrt.repro.minimize --child SPEC_JSON", file=sys.stderr); sys.exit(2)
