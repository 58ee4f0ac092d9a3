"""End to end on the simulated H100: `hwrt stress` finds a deterministic injected GPU fault (HWRT_SIM_FAULTS=fault@launch=4:
an MMU fault, Xid 31, at the machine's 4th launch), `hwrt repro make` minimises it to a handful of operations and writes
the bundle, and `hwrt repro verify` runs the emitted repro.c and repro.py 10 times each under `hwrt sim-run`: 10/10 each.
Without the injected fault the same programs run clean (exit 0), so they report what the machine did. The bundle is
redacted: a planted host name, user and secret environment variable reach the report's inputs and none of them is in it.

(The planted driver bug `free-in-flight` of sim/faults.py, reached through the mix workload's asynchronous launches, is
tests/test_repro_free_in_flight.py.)
Takes about 45 s on 2 cores (stress run, minimiser, two traced runs, 24 runs under sim-run)."""
import json, os, shutil, subprocess, sys
import pytest
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bridge_fixtures.helpers import shim, hwrt
from hwrt.stress import journal as J

SIG = "NVRM: Xid 31: GPU memory page fault (MMU) FAULT_PDE on GRAPHICS"
HOST, USER, SECRET = "planted-host-q7z", "planted-user-k2", "sekrit-planted-value-9x"

@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
  shim()                                                   # skips (fails in CI) without a C compiler / Python headers
  d = tmp_path_factory.mktemp("repro")
  env = {**os.environ, "HWRT_SIM_DIR": str(d / "sim")}
  env.pop("HWRT_SIM_FAULTS", None)
  j = d / "j.jsonl"
  r = subprocess.run([sys.executable, "-m", "hwrt", "stress", "run", "--workload", "mix", "--device", "sim:nv", "--procs", "1", "--iterations", "3",
                      "--ops", "16", "--seed", "5", "--deadline", "10", "--journal", str(j), "--plain", "--env", "HWRT_SIM_FAULTS=fault@launch=4"],
                     env=env, capture_output=True, text=True, timeout=180)
  recs, _ = J.read(str(j))
  assert any(rec["t"] == "event" and rec["event"]["signature"] == SIG for rec in recs), r.stdout + r.stderr
  # plant a host name, a user and a secret where the report reads from: the journal's system record and the failure line
  for rec in recs:
    if rec["t"] == "start": rec["system"].update(hostname=HOST, cmdline=f"BOOT_IMAGE=/vmlinuz host={HOST} secret={SECRET} home=/home/{USER}")
    if rec["t"] == "event" and rec["event"]["signature"] == SIG: rec["event"]["line"] += f" [{HOST} {USER} {SECRET}]"
  j.write_text("".join(json.dumps(x) + "\n" for x in recs))
  out = d / "bundle"
  menv = {**env, "USER": USER, "LOGNAME": USER, "HOME": f"/home/{USER}", "HWRT_PLANTED_SECRET": SECRET, "HWRT_CACHE": os.path.expanduser("~/.cache/hwrt")}
  from hwrt.sim.bridge import cache_dir
  menv["HWRT_CACHE"] = str(cache_dir())
  r = subprocess.run([sys.executable, "-m", "hwrt", "repro", "make", str(j), "-o", str(out), "--budget", "60", "--verify-runs", "0"],
                     env=menv, capture_output=True, text=True, timeout=300)
  assert r.returncode == 0, r.stdout + r.stderr
  return out, env, r

def test_minimised_to_a_handful_of_operations(bundle):
  out, _, r = bundle
  meta = json.loads((out / "repro.json").read_text())
  assert meta["signature"] == SIG and meta["signature_source"] == "kernel-log"
  assert len(meta["case"]["schedule"]) <= 5 and meta["case"]["procs"] == 1, meta["case"]
  sched = meta["case"]["schedule"]                          # exactly what fault@launch=4 needs: 4 launches, and the buffers the
  assert [op for op, _ in sched if op != "alloc"] == ["launch"] * 4         # mix workload's `inc` launches run over (allocs of them only)
  assert sorted(p["slot"] for op, p in sched if op == "alloc") == sorted({a for op, p in sched if op == "launch" for a in p.get("args", [])})
  assert meta["original"]["ops"] > len(meta["case"]["schedule"]) and meta["hits"] == meta["runs"] == 10
  rep = (out / "REPORT.md").read_text()
  assert rep.startswith(f"# {SIG}\n") and "## Environment" in rep and "## Steps" in rep and "## Expected vs observed" in rep
  assert "10/10 runs" in rep and "mean time to failure" in rep and "NVRM: Xid (PCI:" in rep

def test_both_repros_reproduce_10_of_10_under_sim_run(bundle):
  out, env, _ = bundle
  r = hwrt("repro", "verify", str(out), "--runs", "10", "--json", env=env, timeout=600)
  assert r.returncode == 0, r.stdout + r.stderr
  res = json.loads(r.stdout)["results"]
  for name in ("repro.c", "repro.py"):
    assert res[name]["reproduced"] == 10 and res[name]["runs"] == 10, (name, res[name]["results"][:2])
    assert all(x["rc"] == 1 and SIG in x["signatures"] for x in res[name]["results"])

def test_repros_are_standalone_and_run_clean_without_the_fault(bundle):
  out, env, _ = bundle
  py, c = (out / "repro.py").read_text(), (out / "repro.c").read_text()
  assert "import hwrt" not in py and "from hwrt" not in py and "#include \"" not in c
  assert "/* NV_ESC_RM_ALLOC" in c and "# UVM_MAP_EXTERNAL_ALLOCATION" in py and "typedef struct" in c     # named ioctls, embedded structs
  subprocess.run(["make", "-s", "-C", str(out), "repro"], check=True, capture_output=True) if shutil.which("make") else None
  clean = {k: v for k, v in env.items() if not k.startswith("HWRT_SIM_FAULTS")}
  for argv in ([str(out / "repro")], [sys.executable, "-S", str(out / "repro.py")]):
    r = hwrt("sim-run", "--device", "sim:nv", "--", *argv, env={**clean, "HWRT_SIM_DIR": str(out.parent / "clean-sim")})
    assert r.returncode == 0 and "not reproduced" in r.stdout, (argv, r.stdout, r.stderr)

def test_bundle_is_redacted(bundle):
  out, _, _ = bundle
  texts = {p.name: p.read_text(errors="replace") for p in out.iterdir() if p.is_file() and p.name != "repro"}
  for name, text in texts.items():
    for planted in (HOST, USER, SECRET):
      assert planted not in text, (name, planted)
  rep = texts["REPORT.md"]
  assert "<hostname>" in rep and "<user>" in rep and "<home>" in rep and "<env:HWRT_PLANTED_SECRET>" in rep       # they were there, and were replaced

def test_copies_queues_and_staging_are_replayed(tmp_path):
  """A case with buffers, copies through the staging buffer, extra queues and launches: recorded, emitted, and both
  programs fault at the same (2nd) launch under sim-run; without the fault they run to the end."""
  shim()
  from hwrt.repro.record import capture
  from hwrt.repro import program, emit_c, emit_py
  from hwrt.sim.bridge import abi_header
  L = ["launch", {"program": "empty", "grid": [2, 1, 1], "block": [32, 1, 1]}]
  case = {"device": "sim:nv", "schedule": [["alloc", {"slot": 0, "nbytes": 4096}], ["copyin", {"slot": 0, "nbytes": 4096, "fill": 7}],
          ["queue", {"n": 2}], L, ["copyout", {"slot": 0, "nbytes": 4096, "expect": [[4096, 7]]}], ["queue", {"n": 1}], L, ["free", {"slot": 0}]]}
  tr, log, info = capture(case, {"HWRT_SIM_FAULTS": "fault@launch=2"}, str(tmp_path))
  p = program.build(tr, log)
  assert p["cut"]["result"] == "fault" and [op[0] for op in p["ops"]] == ["alloc", "copyin", "queue", "launch", "copyout", "queue", "launch"]
  assert any(s["s"] == "write" and len(s["data"]) >= 4096 and set(s["data"][:4096]) == {7} for s in p["steps"])   # the staged copyin data
  (tmp_path / "repro.c").write_text(emit_c.emit(p, abi_header(("nv", "uvm"), hw=False), "t"))
  (tmp_path / "repro.py").write_text(emit_py.emit(p, "t"))
  _, cc, _ = shim()
  subprocess.run([cc, "-O2", "-o", str(tmp_path / "repro"), str(tmp_path / "repro.c")], check=True, capture_output=True)
  for argv in ([str(tmp_path / "repro")], [sys.executable, "-S", str(tmp_path / "repro.py")]):
    for faults, want in (("fault@launch=2", 1), ("", 0)):
      sd = tmp_path / f"sim-{len(argv)}-{want}"
      r = hwrt("sim-run", "--device", "sim:nv", "--", *argv, env={"HWRT_SIM_FAULTS": faults, "HWRT_SIM_DIR": str(sd)})
      assert r.returncode == want, (argv, faults, r.stdout, r.stderr)
      kmsg = (sd / "kmsg").read_text() if (sd / "kmsg").exists() else ""
      assert (": 31, pid=" in kmsg) == bool(want)

def test_minimiser_runs_several_processes_and_shrinks_them(tmp_path, monkeypatch):
  from hwrt.repro.minimize import Minimizer
  monkeypatch.setenv("HWRT_SIM_DIR", str(tmp_path / "sim"))
  L = ["launch", {"program": "empty", "grid": [1, 1, 1], "block": [32, 1, 1]}]
  mz = Minimizer("sim:nv", {"HWRT_SIM_FAULTS": "fault@launch=2"}, SIG, budget_s=120, timeout=5)
  r = mz.run({"schedule": [L, L], "procs": 2, "iterations": 1})           # two child processes, each its own simulated machine
  assert r["signatures"].count("GPU fault in launch") == 2 and SIG in r["signatures"]
  assert SIG not in mz.run({"schedule": [L], "procs": 2, "iterations": 1})["signatures"]
  case = mz.shrink_counts({"schedule": [L, L], "procs": 2, "iterations": 2})
  assert (case["procs"], case["iterations"]) == (1, 1)
