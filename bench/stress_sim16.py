"""16 stress workers for 60 s on the simulated GPU: the harness itself must add no errors; prints its own CPU use.

  python bench/stress_sim16.py [--device sim:nv] [--workload mix] [--procs 16] [--duration 60] [--cmd CMD]

--cmd runs the same with a shell command instead of a built-in workload (e.g. --cmd true: the harness's cost per iteration)."""
import argparse, os, subprocess, sys, tempfile, time
from hwrt.stress import journal as J

def main():
  ap = argparse.ArgumentParser()
  ap.add_argument("--device", default="sim:nv"); ap.add_argument("--workload", default="mix"); ap.add_argument("--cmd")
  ap.add_argument("--procs", type=int, default=16); ap.add_argument("--duration", type=float, default=60)
  a = ap.parse_args()
  d = tempfile.mkdtemp(prefix="hwrt-stress-bench-")
  j = os.path.join(d, "j.jsonl")
  env = {**os.environ, "HWRT_SIM_DIR": os.path.join(d, "sim")}
  env.pop("HWRT_SIM_FAULTS", None)
  what = ["--cmd", a.cmd] if a.cmd else ["--workload", a.workload, "--device", a.device]
  t0 = time.monotonic()
  p = subprocess.run([sys.executable, "-m", "hwrt", "stress", "run", *what, "--procs", str(a.procs), "--duration", str(a.duration),
                      "--seed", "1", "--journal", j, "--plain"] + (["--device", a.device] if a.cmd and a.device.startswith("sim:") else []),
                     env=env, capture_output=True, text=True)
  wall = time.monotonic() - t0
  recs, dmg = J.read(j)
  s = J.summarize(recs, dmg)
  end = s["end"] or {}
  cpu = end.get("harness_cpu", {})
  print(f"workers {a.procs}, duration {a.duration:.0f} s ({wall:.1f} s wall incl. start/stop), {' '.join(what)}")
  print(f"iterations {end.get('iterations')}, {end.get('iterations', 0) / max(s['duration'], 1e-9):.1f}/s; events {s['events']}, failure signatures {s['failures']}")
  for g in s["signatures"]: print(f"  {g['count']:>5} {g['kind']:<12} {g['signature']}")
  print(f"harness CPU: {cpu.get('seconds')} s (runner {cpu.get('runner_seconds')} s + worker bookkeeping {cpu.get('worker_bookkeeping_seconds')} s) "
        f"over {cpu.get('wall')} s = {cpu.get('percent_of_one_core')}% of one core; journal {os.path.getsize(j)} bytes, {s['records']} records")
  print(f"exit status {p.returncode}; journal {j}")
  if p.returncode != 0: print(p.stdout[-3000:], p.stderr[-2000:], sep="\n")
  return 0 if p.returncode == 0 and s["failures"] == 0 else 1

if __name__ == "__main__": sys.exit(main())
