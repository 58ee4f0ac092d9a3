"""repro/minimize.py on a stand-in attempt function (no device): delta debugging keeps exactly the ops a failure needs,
candidates stay well-formed, processes and iterations shrink, the rate and time to failure are measured; and the
failure to reproduce is picked from a journal as documented."""
import pytest
from hwrt.errors import BadInput
from hwrt.repro import minimize as M
from hwrt.stress.workloads import make_schedule

SIG = "NVRM: Xid 31: GPU memory page fault (MMU) FAULT_PDE on GRAPHICS"

def fake_attempt(rule):
  calls = []
  def attempt(case, env, timeout):
    calls.append(case)
    hit = rule(case)
    return {"signatures": [SIG] if hit else [], "ttf": 0.01 * len(case["schedule"]), "event": None, "kmsg": ""}
  return attempt, calls

def test_ddmin_keeps_exactly_the_ops_that_matter():
  sched = next(s for s in (make_schedule("mix", seed, 0, 0, 40) for seed in range(100)) if sum(op == "launch" for op, _ in s) >= 4)
  # the bug: the third launch in a process faults (like HWRT_SIM_FAULTS=fault@launch=3)
  attempt, calls = fake_attempt(lambda c: sum(op == "launch" for op, _ in c["schedule"]) * c.get("iterations", 1) >= 3)
  mz = M.Minimizer("sim:nv", {}, SIG, budget_s=30, attempt=attempt)
  case = mz.ddmin({"schedule": sched, "procs": 1, "iterations": 1})
  assert [op for op, _ in case["schedule"]] == ["launch"] * 3
  assert mz.attempts == len(calls) < 100

def test_candidates_are_wellformed_and_dependencies_survive():
  sched = make_schedule("alloc-churn", 5, 1, 2, 30)
  target = next(p["slot"] for op, p in sched if op == "free")
  # the bug needs the alloc and the free of one particular slot (a use-after-free in the driver, say)
  def rule(c):
    ops = c["schedule"]
    for op, p in ops:                                    # every candidate the minimiser runs is well-formed
      assert op != "free" or any(o == "alloc" and q["slot"] == p["slot"] for o, q in ops)
    return any(op == "free" and p["slot"] == target for op, p in ops) and any(op == "alloc" and p["slot"] == target for op, p in ops)
  attempt, _ = fake_attempt(rule)
  mz = M.Minimizer("sim:nv", {}, SIG, budget_s=30, attempt=attempt)
  case = mz.ddmin({"schedule": sched, "procs": 1, "iterations": 1})
  assert [op for op, _ in case["schedule"]] == ["alloc", "free"]
  assert all(p.get("slot") == target for _, p in case["schedule"])

def test_processes_and_iterations_shrink():
  attempt, _ = fake_attempt(lambda c: c["procs"] >= 2 and c["iterations"] >= 3)
  mz = M.Minimizer("sim:nv", {}, SIG, budget_s=30, attempt=attempt)
  case = mz.shrink_counts({"schedule": [["launch", {}]], "procs": 8, "iterations": 16})
  assert (case["procs"], case["iterations"]) == (2, 3)

def test_budget_of_attempts_is_respected():
  attempt, calls = fake_attempt(lambda c: False)
  mz = M.Minimizer("sim:nv", {}, SIG, budget_s=30, max_attempts=7, attempt=attempt)
  mz.ddmin({"schedule": make_schedule("mix", 1, 0, 0, 64), "procs": 1, "iterations": 1})
  assert len(calls) == 7

def test_rate_and_mean_time_to_failure():
  seq = iter([True, False, True, True, False, True, True, True, False, True])
  attempt, _ = fake_attempt(lambda c: next(seq))
  m = M.Minimizer("sim:nv", {}, SIG, budget_s=30, attempt=attempt).measure({"schedule": [["launch", {}]] * 2, "procs": 1, "iterations": 1}, 10)
  assert (m["runs"], m["hits"], m["rate"]) == (10, 7, 0.7) and m["mean_time_to_failure_s"] == pytest.approx(0.02)

def journal(events, workload="mix"):
  recs = [{"t": "start", "time": 1.0, "config": {"workload": workload, "device": "sim:nv", "seed": 9, "procs": 2, "ops": 12, "env": []}}]
  recs += [{"t": "event", "time": 2.0 + i, "event": e} for i, e in enumerate(events)]
  return recs

def test_pick_signature_prefers_the_kernel_log_and_honours_a_choice():
  wl = {"kind": "gpu_fault", "signature": "GPU fault in launch", "worker": 1, "iteration": 4, "severity": "error"}
  xid = {"kind": "xid", "signature": SIG, "severity": "error"}
  xid43 = {"kind": "xid", "signature": "NVRM: Xid 43: GPU stopped processing", "severity": "error"}
  recs = journal([wl, xid, xid43])
  assert M.pick_signature(recs)["signature"] == SIG
  assert M.pick_signature(recs, "GPU fault in")["signature"] == "GPU fault in launch"
  assert M.failing_origin(recs, M.pick_signature(recs)) == (1, 4)       # the kernel line is attributed to the workload failure
  with pytest.raises(BadInput): M.pick_signature(recs, "Xid")             # ambiguous
  with pytest.raises(BadInput): M.pick_signature(recs, "no such thing")
  with pytest.raises(BadInput): M.pick_signature(journal([]))

def test_minimize_end_to_end_with_a_stand_in_device():
  recs = journal([{"kind": "gpu_fault", "signature": "GPU fault in launch", "worker": 1, "iteration": 2, "severity": "error"},
                  {"kind": "xid", "signature": SIG, "severity": "error"}])
  # fault at the Kth launch counted over the process's whole life, K the launches of iterations 0..2: the failing
  # iteration alone does not show it, its worker's history does
  n = lambda ops: sum(op == "launch" for op, _ in ops)
  k = sum(n(make_schedule("mix", 9, 1, i, 12)) for i in range(3))
  assert k > n(make_schedule("mix", 9, 1, 2, 12)) and k >= 2
  attempt, _ = fake_attempt(lambda c: n(c["schedule"]) * c["iterations"] >= k)
  r = M.minimize(recs, budget_s=30, rate_runs=4, attempt=attempt)
  assert r["reproduced"] and r["signature"] == SIG and r["origin"] == {"worker": 1, "iteration": 2}
  assert [op for op, _ in r["case"]["schedule"]] == ["launch"] * k and r["case"]["procs"] == 1
  assert r["hits"] == r["runs"] == 4 and r["original"]["ops"] > 3
  with pytest.raises(BadInput): M.minimize([{"t": "start", "time": 0, "config": {"cmd": "true", "device": None}}] + recs[1:], attempt=attempt)

def test_kernel_line_attributed_an_iteration_off_is_tied_to_the_workload_failure():
  # the runner attributes a kernel-log line by pid, and can name the iteration before the one that failed
  wl = {"kind": "gpu_fault", "signature": "GPU fault in launch", "worker": 0, "iteration": 2, "severity": "error"}
  xid = {"kind": "xid", "signature": SIG, "severity": "error", "worker": 0, "iteration": 1, "attributed_by_pid": True}
  recs = journal([wl, xid])
  assert M.failing_origin(recs, M.pick_signature(recs)) == (0, 2)
