"""Overhead of `hwrt trace` on a tight loop of cheap ioctls (a benchmark, not a test).

  python bench/trace_overhead.py [--n 100000]

Runs tests/bridge_fixtures/ioctl_loop.c (100k NV_ESC_CHECK_VERSION_STR, or RM_CONTROL with a nested parameter block) on
  - a plain file declared a device node (--also PATH=nv): the kernel answers ENOTTY, so this is the shim's own cost
  - /dev/nvidiactl when this machine has an NVIDIA GPU
  - the simulated H100 (hwrt sim-run; fewer calls: every one goes through Python)
each without the shim, with the shim loaded but nothing to trace, and traced; prints ns per call (the best of --repeat runs:
the machine's other load only ever adds time) and the overhead."""
import argparse, os, subprocess, sys, tempfile, time
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))

def main():
  ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  ap.add_argument("--n", type=int, default=100000)
  ap.add_argument("--sim-n", type=int, default=5000)
  ap.add_argument("--repeat", type=int, default=3)
  a = ap.parse_args()
  from hwrt.sim import bridge
  so, cc = bridge.build(), bridge.compiler()
  d = tempfile.mkdtemp(prefix="hwrt-bench-")
  with open(os.path.join(d, "nv_abi.h"), "w") as f: f.write(bridge.abi_header())
  exe = os.path.join(d, "ioctl_loop")
  subprocess.run([cc, "-O2", f"-I{d}", "-o", exe, os.path.join(HERE, "..", "tests", "bridge_fixtures", "ioctl_loop.c")], check=True)
  fake = os.path.join(d, "fakedev"); open(fake, "w").close()
  hwrt = [sys.executable, "-m", "hwrt"]

  def run(cmd, env=None) -> tuple[float, float]:
    best = (float("inf"), 0.0)
    for _ in range(a.repeat):
      t = time.perf_counter()
      r = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ, **(env or {})))
      if r.returncode: raise SystemExit(f"{' '.join(cmd)}: exit {r.returncode}: {r.stderr.strip()[-400:]}")
      best = min(best, (float(r.stdout.strip().splitlines()[-1]), time.perf_counter() - t))
    return best

  rows = []
  def case(label, dev, n, mode, sim=False):
    base = hwrt + ["sim-run", "--device", "sim:nv", "--"] if sim else []
    loop = [exe, dev, str(n), mode]
    plain, _ = run(base + loop) if sim else run(loop)
    loaded, _ = run(loop, {"LD_PRELOAD": so}) if not sim else (float("nan"), 0)
    out = os.path.join(d, "t.jsonl")
    traced, wall = run(hwrt + ["trace", "-q", "-o", out] + (["--also", f"{dev}=nv"] if dev == fake else []) + ["--"] + base + loop)
    size = os.path.getsize(out)
    rows.append((label, mode, n, plain, loaded, traced, size / n, wall))

  for mode in ("plain", "nested"): case("file (ENOTTY)", fake, a.n, mode)
  if os.path.exists("/dev/nvidiactl"):
    for mode in ("plain", "nested"): case("/dev/nvidiactl", "/dev/nvidiactl", a.n, mode)
  for mode in ("plain", "nested"): case("sim:nv", "/dev/nvidiactl", a.sim_n, mode, sim=True)

  print(f"best of {a.repeat} runs; 'shim idle': LD_PRELOAD set, nothing traced (sim:nv always runs through the shim)")
  print(f"{'target':<16} {'ioctl':<7} {'calls':>7} {'ns/call':>9} {'shim idle':>10} {'traced':>9} {'overhead':>9} {'trace B/call':>13} {'trace+decode s':>15}")
  for label, mode, n, plain, loaded, traced, bpc, wall in rows:
    print(f"{label:<16} {mode:<7} {n:>7} {plain:>9.1f} {loaded:>10.1f} {traced:>9.1f} {traced / plain:>8.2f}x {bpc:>13.0f} {wall:>15.1f}")

if __name__ == "__main__": main()
