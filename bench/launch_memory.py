"""Peak resident memory of `hwrt launch` on the simulator against the size of its buffers (issue #20 item 7: at most 2x).

  python3 bench/launch_memory.py [--mib 256] [--buffers 3] [--check]

Runs vadd (tests/examples/vadd.sass.s) with --buffers f32 buffers of --mib MiB each and n=0 (the kernel exits at once, so
the time is the buffer setup and copies), in a child process, and reads the child's peak RSS (getrusage ru_maxrss). The
same launch with 1-element buffers gives the baseline (interpreter, numpy, the simulated GPU); the ratio reported is
(peak - baseline) / total buffer bytes. Exit 0 when it is at most --limit (default 2.0), else 1."""
import argparse, os, resource, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

def peak_rss(argv: list[str]) -> int:
  """peak resident bytes of one child running `python3 -m hwrt ARGV` (RUSAGE_CHILDREN is the max over waited children,
  so each measurement runs in its own grandchild)."""
  code = ("import resource, subprocess, sys; p = subprocess.run(sys.argv[1:]); "
          "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(p.returncode)")
  env = {**os.environ, "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")}
  r = subprocess.run([sys.executable, "-c", code, sys.executable, "-m", "hwrt", *argv], capture_output=True, text=True, env=env, cwd=ROOT)
  if r.returncode != 0: sys.exit(f"launch failed ({r.returncode}): {r.stderr.strip()[-500:]}")
  return int(r.stdout.strip().splitlines()[-1]) * 1024          # ru_maxrss is in KiB on Linux

def main():
  ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  ap.add_argument("--mib", type=int, default=256, help="MiB per buffer (default 256)")
  ap.add_argument("--buffers", type=int, choices=(1, 2, 3), default=3, help="how many of vadd's a, b, c are large (default 3)")
  ap.add_argument("--limit", type=float, default=2.0)
  ap.add_argument("--check", action="store_true", help='also --check "c == a + b" (n=0: c stays 0), so every buffer is copied back')
  a = ap.parse_args()
  d = tempfile.mkdtemp(prefix="hwrt-bench-mem-")
  k = os.path.join(d, "vadd.cubin")
  subprocess.run([sys.executable, "-m", "hwrt", "asm", os.path.join(ROOT, "tests", "examples", "vadd.sass.s"), "-o", k], check=True,
                 capture_output=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": ROOT})
  n = a.mib * (1 << 20) // 4
  def argv(count):
    sizes = [count if i < a.buffers else 1 for i in range(3)]
    return ["launch", k, "--device", "sim:nv", "--grid", "1", "--block", "1", "--arg", f"a=f32[{sizes[0]}]:rand",
            "--arg", f"b=f32[{sizes[1]}]:rand", "--arg", f"c=f32[{sizes[2]}]:zeros", "--arg", "n=u32:0", "--json"] + \
           (["--check", "all(c == 0) and all(abs(a) + abs(b) >= 0)"] if a.check else [])
  base, peak = peak_rss(argv(1)), peak_rss(argv(n))
  total = a.buffers * n * 4
  ratio = (peak - base) / total
  print(f"buffers {total / 2**20:.0f} MiB ({a.buffers} x {a.mib} MiB); peak RSS {peak / 2**20:.0f} MiB, baseline {base / 2**20:.0f} MiB; "
        f"(peak - baseline) / buffers = {ratio:.2f} (limit {a.limit})")
  return 0 if ratio <= a.limit else 1

if __name__ == "__main__": sys.exit(main())
