"""Benchmark: the whole tinygrad program set (tests/tinygrad_set/programs.py) on sim:amd, out of process behind the real
interface, wall time of the whole run (tinygrad start-up, LLVM compiles and the simulated GPU together).

  python3 bench/sim_amd_tinygrad_set.py        (runs `hwrt sim-run --device sim:amd` itself, DEV=AMD:LLVM)
Target (issue #15): <= 20 s (tinygrad's own in-process AMD mock: 20 s on the same machine)."""
import os, subprocess, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

def main() -> int:
  env = dict(os.environ, DEV="AMD:LLVM", PYTHONPATH=str(ROOT))
  t = time.perf_counter()
  r = subprocess.run([sys.executable, "-m", "hwrt", "sim-run", "--device", "sim:amd", "--", sys.executable,
                      str(ROOT / "tests/tinygrad_set/programs.py")], env=env, capture_output=True, text=True, timeout=900)
  wall = time.perf_counter() - t
  lines = [l for l in r.stdout.splitlines() if l.startswith(("PASS", "FAIL"))]
  bad = [l for l in lines if l.startswith("FAIL")]
  print("\n".join(lines))
  print(f"tinygrad program set on sim:amd: {len(lines)} programs, {len(bad)} failed, {wall:.2f} s wall (target <= 20 s)")
  return 1 if bad or r.returncode else 0

if __name__ == "__main__": raise SystemExit(main())
