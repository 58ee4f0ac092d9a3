"""On the simulated NVIDIA GPU (sim:nv): fault injection (HWRT_SIM_FAULTS) of a hang, an Xid 31 fault and a machine panic is
detected and journalled, and `resume` recovers the panic record from the simulated pstore."""
import os, subprocess, sys
import pytest
from hwrt.stress import journal as J

def _sim_not_ready() -> str | None:
  """None when sim:nv opens; else why not. Only a simulator that is not there skips: one that opens but cannot launch fails."""
  env = {**os.environ, "HWRT_SIM_FAULTS": ""}
  p = subprocess.run([sys.executable, "-c", "from hwrt.devices import open_device\nopen_device('sim:nv').close()"], env=env,
                     capture_output=True, text=True, timeout=120)
  return None if p.returncode == 0 else (p.stderr.strip().splitlines() or ["?"])[-1]

_WHY = _sim_not_ready()
pytestmark = pytest.mark.skipif(_WHY is not None, reason=f"simulated NVIDIA GPU not built yet ({_WHY})")

def run(tmp_path, faults, *extra, iterations=3, deadline=6, ops=4):
  j = tmp_path / "j.jsonl"
  env = {**os.environ, "HWRT_SIM_DIR": str(tmp_path / "sim"), "HWRT_SIM_SEED": "1"}
  env.pop("HWRT_SIM_FAULTS", None)
  p = subprocess.run([sys.executable, "-m", "hwrt", "stress", "run", "--workload", "launch-loop", "--device", "sim:nv", "--procs", "1",
                      "--iterations", str(iterations), "--ops", str(ops), "--seed", "1", "--deadline", str(deadline), "--journal", str(j), "--plain",
                      "--env", f"HWRT_SIM_FAULTS={faults}", *extra], env=env, capture_output=True, text=True, timeout=120)
  recs, _ = J.read(str(j))
  return p, recs, [r["event"] for r in recs if r["t"] == "event"], env

def test_clean_run_adds_no_errors(tmp_path):
  p, recs, evs, _ = run(tmp_path, "")
  assert p.returncode == 0 and evs == [] and recs[-1]["iterations"] == 3, p.stdout + p.stderr

def test_injected_hang_is_detected(tmp_path):
  p, recs, evs, _ = run(tmp_path, "hang@launch=2", deadline=4)
  assert p.returncode == 1, p.stdout + p.stderr
  hung = [e for e in evs if e["kind"] in ("gpu_timeout", "hang")]
  assert hung and hung[0]["iteration"] == 0 and hung[0]["op_index"] == 1 and hung[0]["op"][0] == "launch"

def test_injected_xid31_is_detected_in_the_workload_and_the_simulated_kmsg(tmp_path):
  p, recs, evs, _ = run(tmp_path, "fault@launch=2")
  assert p.returncode == 1, p.stdout + p.stderr
  wf = [e for e in evs if e["kind"] == "gpu_fault"]
  assert wf and wf[0]["op_index"] == 1 and wf[0]["info"].get("xid") == 31
  kx = [e for e in evs if e["kind"] == "xid" and e["xid"] == 31]
  assert kx and kx[0]["source"] == "sim-kmsg" and kx[0]["signature"].startswith("NVRM: Xid 31")

def test_injected_panic_is_journalled_and_resume_recovers_it_from_pstore(tmp_path):
  p, recs, evs, env = run(tmp_path, "panic@launch=2", iterations=50, ops=1)     # one launch per iteration: iteration 1 panics
  assert p.returncode == 1, p.stdout + p.stderr
  assert any(e["kind"] == "panic" and e["source"] == "sim-kmsg" for e in evs) and recs[-1]["reason"] == "kernel panic"
  assert os.listdir(tmp_path / "sim" / "pstore")
  r = subprocess.run([sys.executable, "-m", "hwrt", "stress", "resume", str(tmp_path / "j.jsonl")], env=env, capture_output=True, text=True, timeout=60)
  assert r.returncode == 1 and "1 new pstore record(s)" in r.stdout, r.stdout + r.stderr
  recs2, _ = J.read(str(tmp_path / "j.jsonl"))
  ps = [x["event"] for x in recs2 if x["t"] == "event" and x["event"].get("source") == "pstore"]
  assert {e["kind"] for e in ps} >= {"panic"} and [x for x in recs2 if x["t"] == "resume"][0]["last_iteration_finished"] == {"0": 0}
  assert "worker 0: last iteration finished: 0" in r.stdout
