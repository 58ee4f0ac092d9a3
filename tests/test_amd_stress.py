"""`hwrt stress` on the simulated AMD GPU: every built-in workload runs clean on sim:amd, and the planted MES bug
(HWRT_SIM_BUGS=mes-queue-churn: rapid compute-queue create/destroy from two or more processes) is found by
`hwrt stress run --workload queue-churn --device sim:amd --procs 4`, with the simulated amdgpu's kernel-log lines parsed."""
import os, subprocess, sys
from hwrt.stress import journal as J
from hwrt.stress.workloads import WORKLOADS

def stress(tmp_path, workload, procs, bugs="", iterations=3, name="j"):
  j = tmp_path / f"{name}.jsonl"
  env = {**os.environ, "HWRT_SIM_DIR": str(tmp_path / f"sim-{name}"), "HWRT_SIM_SEED": "1"}
  env.pop("HWRT_SIM_BUGS", None); env.pop("HWRT_SIM_FAULTS", None)
  p = subprocess.run([sys.executable, "-m", "hwrt", "stress", "run", "--workload", workload, "--device", "sim:amd", "--procs", str(procs),
                      "--iterations", str(iterations), "--ops", "12", "--seed", "1", "--deadline", "30", "--journal", str(j), "--plain",
                      "--env", f"HWRT_SIM_BUGS={bugs}"], env=env, capture_output=True, text=True, timeout=240)
  recs, _ = J.read(str(j))
  return p, [r["event"] for r in recs if r["t"] == "event"]

def test_every_workload_runs_clean_on_sim_amd(tmp_path):
  for w in WORKLOADS:
    p, evs = stress(tmp_path, w, 1, iterations=2, name=w)
    assert p.returncode == 0 and evs == [], (w, p.stdout[-2000:], p.stderr[-2000:])

def test_mes_queue_churn_is_found_with_four_processes_and_not_without_the_bug(tmp_path):
  p, evs = stress(tmp_path, "queue-churn", 4, "mes-queue-churn", name="bug")
  assert p.returncode == 1, p.stdout[-2000:]
  kinds = {(e["kind"], e.get("source")) for e in evs}
  assert any("MES failed to respond" in e.get("signature", "") + e.get("line", "") for e in evs), kinds
  assert any(k == "gpu_reset" for k, _ in kinds), kinds
  p, evs = stress(tmp_path, "queue-churn", 4, "", name="clean")
  assert p.returncode == 0 and evs == [], p.stdout[-2000:]
