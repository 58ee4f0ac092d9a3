"""Issue 8's first "must show", end to end on the simulated H100 with the planted driver bug HWRT_SIM_BUGS=free-in-flight
(sim/faults.py: freeing memory that an unfinished launch still uses faults the launch, Xid 31, deterministically):
`hwrt stress` (the `mix` workload's asynchronous `inc` launches) finds the Xid 31; `hwrt repro make` minimises it to a
handful of operations and records the minimal case; the emitted repro.c and repro.py see the failure themselves (the
channel's error notifier, at their final bounded wait after the last operation) and exit 1 in 10/10 runs each under
`hwrt sim-run`, with the Xid 31 in that run's kernel log; on the simulator without the bug (the control) the same
programs exit 0 in 10/10 runs and nothing is logged. Everything runs on a private HWRT_SIM_DIR.
`hwrt repro make` gets the bug setting from the journal only (it is not in its environment), as a vendor's engineer
handed the journal would. Takes 18-28 s on 2 cores (stress run, minimiser, one traced run, 40 runs of the programs under sim-run, 4 at a time)."""
import json, os, subprocess, sys
import pytest
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bridge_fixtures.helpers import shim, hwrt
from hwrt.stress import journal as J

SIG = "NVRM: Xid 31: GPU memory page fault (MMU) FAULT_PDE on GRAPHICS"
BUG = {"HWRT_SIM_BUGS": "free-in-flight"}

@pytest.fixture(scope="module")
def chain(tmp_path_factory):
  shim()                                                   # skips (fails in CI) without a C compiler / Python headers
  d = tmp_path_factory.mktemp("fif")
  clean = {k: v for k, v in os.environ.items() if not k.startswith("HWRT_SIM_")}
  env = {**clean, "HWRT_SIM_DIR": str(d / "sim")}
  j = d / "j.jsonl"
  r = subprocess.run([sys.executable, "-m", "hwrt", "stress", "run", "--workload", "mix", "--device", "sim:nv", "--procs", "1", "--iterations", "10",
                      "--seed", "3", "--deadline", "10", "--journal", str(j), "--plain"], env={**env, **BUG}, capture_output=True, text=True, timeout=120)
  out = d / "bundle"
  # the minimiser is bounded by its attempts here, not by seconds: a loaded machine must not end it early with a bigger case (issue #20)
  m = subprocess.run([sys.executable, "-m", "hwrt", "repro", "make", str(j), "-o", str(out), "--budget", "3600", "--max-attempts", "400",
                      "--verify-runs", "0"],
                     env=env, capture_output=True, text=True, timeout=300)
  return {"dir": d, "journal": j, "stress": r, "make": m, "out": out, "env": env}

def test_stress_finds_the_xid_31(chain):
  recs, _ = J.read(str(chain["journal"]))
  start = next(x for x in recs if x["t"] == "start")
  assert "HWRT_SIM_BUGS=free-in-flight" in start["config"]["env"]                 # inherited, so recorded for the repro writer
  assert any(x["t"] == "event" and x["event"]["signature"] == SIG for x in recs), chain["stress"].stdout[-3000:] + chain["stress"].stderr[-2000:]

def test_make_minimises_to_a_handful_of_operations_and_the_recording_fails(chain):
  m = chain["make"]
  assert m.returncode == 0, m.stdout + m.stderr
  assert "warning" not in m.stderr, m.stderr                                  # the recorded run showed the failure the minimiser saw
  meta = json.loads((chain["out"] / "repro.json").read_text())
  case = meta["case"]
  assert meta["signature"] == SIG and meta["signature_source"] == "kernel-log" and meta["sim_env"] == BUG
  assert len(case["schedule"]) <= 5 and case["procs"] == 1 and case["iterations"] == 1, case
  ops = [op for op, _ in case["schedule"]]
  assert "launch" in ops and any(p.get("wait") is False for op, p in case["schedule"] if op == "launch"), case   # the async launch stays
  assert meta["hits"] == meta["runs"] == 10 and meta["expected_exit"] == 1
  c, py = (chain["out"] / "repro.c").read_text(), (chain["out"] / "repro.py").read_text()
  for text in (c, py):                                                       # the teardown that frees the buffer, then the final check
    assert "end of the iteration: free what the schedule still holds" in text and "after the last operation: wait (at most " in text
    assert text.count("UVM_FREE") >= 1
  assert "after the last recorded operation, as in the recording" in c and "after the last recorded operation, as in the recording" in py

def test_report_explains_the_minimal_case(chain):
  rep = (chain["out"] / "REPORT.md").read_text()
  assert rep.startswith(f"# {SIG}\n") and "1 process," in rep and "1 processes" not in rep
  steps = rep.split("## Steps", 1)[1].split("## What the programs do", 1)[0]
  assert "HWRT_SIM_BUGS=free-in-flight hwrt sim-run --device sim:nv -- ./repro" in steps and "exits 1 when it sees the failure" in steps
  what = rep.split("## What the programs do", 1)[1].split("## Expected vs observed", 1)[0]
  assert "- op 0: allocate" in what and "do not wait for it" in what and "- end of the iteration" in what and "- final check:" in what
  eo = rep.split("## Expected vs observed", 1)[1].split("## Reproduction rate", 1)[0]
  assert "must not fault that work" in eo and "info32 = Xid 31" in eo and "UVM_FREE (base 0x" in eo and "is in the range that UVM_FREE took away" in eo, eo

def test_both_repros_exit_1_in_10_of_10_runs_with_the_bug(chain):
  r = hwrt("repro", "verify", str(chain["out"]), "--runs", "10", "--jobs", "4", "--json", env=chain["env"], timeout=300)
  assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
  res = json.loads(r.stdout)["results"]
  for name in ("repro.c", "repro.py"):
    runs = res[name]["results"]
    assert res[name]["runs"] == res[name]["reproduced"] == 10, (name, runs[:2])
    assert [x["rc"] for x in runs] == [1] * 10 and all(SIG in x["signatures"] for x in runs), (name, runs[:2])
    for x in runs:                                                           # one line on stderr naming the Xid
      line = [l for l in x["output"].splitlines() if l.startswith("repro: REPRODUCED")]
      assert len(line) == 1 and "error notifier status 0xffff, Xid 31 (GPU memory page fault (MMU))" in line[0], (name, x["output"])

def test_both_repros_exit_0_in_10_of_10_runs_without_the_bug(chain):
  r = hwrt("repro", "verify", str(chain["out"]), "--runs", "10", "--jobs", "4", "--control", "--json", env=chain["env"], timeout=300)
  assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
  out = json.loads(r.stdout)
  assert out["control"] is True
  for name in ("repro.c", "repro.py"):
    runs = out["results"][name]["results"]
    assert out["results"][name]["reproduced"] == 0 and len(runs) == 10
    assert [x["rc"] for x in runs] == [0] * 10 and not any(x["signatures"] for x in runs), (name, runs[:2])
    assert all("not reproduced" in x["output"] and "REPRODUCED" not in x["output"] for x in runs)
