"""Benchmark: a 1M-element float32 vadd on the simulated H100 through the whole path (open_device("sim:nv") -> NVIDIA
driver -> GPFIFO/QMD -> simulated GPU -> SASS interpreter), with the kernel compiled by clang-19 + ptxas from
tests/nv_corpus/vadd.cu. Prints the figures; checks the result bit for bit.

  python bench/sim_vadd.py [--n 1048576] [--repeat 3] [--harness]   (--harness: interpreter only, no driver)"""
import argparse, os, sys, time
import numpy as np
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "nv_corpus"))

def main(argv=None) -> int:
  ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
  ap.add_argument("--n", type=int, default=1 << 20)
  ap.add_argument("--repeat", type=int, default=3)
  ap.add_argument("--harness", action="store_true", help="launch through sim/sass_harness.py instead of the driver")
  a = ap.parse_args(argv)
  import build
  from hwrt import oracles
  tools = [oracles.find("clang-19"), oracles.find("ptxas")]
  if None in tools: print("sim_vadd: needs clang-19 and ptxas (oracles)"); return 2
  cubin = build.build(*tools)["vadd"][1]
  n = a.n
  rng = np.random.default_rng(0)
  x, y = rng.standard_normal(n).astype(np.float32), rng.standard_normal(n).astype(np.float32)
  grid, block = ((n + 255) // 256, 1, 1), (256, 1, 1)
  for r in range(a.repeat):
    t0 = time.perf_counter()
    if a.harness:
      from hwrt.sim.sass_harness import Harness
      h = Harness()
      va, vb, vc = h.buffer(x), h.buffer(y), h.alloc(4 * n)
      prog = h.load(cubin, "vadd")
      t1 = time.perf_counter()
      h.launch(prog, [vc, va, vb, (n, "<i")], grid, block)
      t2 = time.perf_counter()
      out = h.read(vc, np.float32, n); h.close()
    else:
      from hwrt.devices import open_device
      dev = open_device("sim:nv")
      A, B, C = dev.alloc(4 * n), dev.alloc(4 * n), dev.alloc(4 * n)
      dev.copyin(A, x.tobytes()); dev.copyin(B, y.tobytes())
      prog = dev.load(cubin, "vadd")
      t1 = time.perf_counter()
      dev.launch(prog, [C, A, B, np.int32(n)], grid, block); dev.synchronize()
      t2 = time.perf_counter()
      out = np.frombuffer(dev.copyout(C, 4 * n), np.float32); dev.close()
    t3 = time.perf_counter()
    ok = np.array_equal(out.view(np.uint32), (x + y).view(np.uint32))
    print(f"sim_vadd n={n} {'harness' if a.harness else 'driver'}: total {t3 - t0:.3f} s (setup+copyin {t1 - t0:.3f}, "
          f"launch+run {t2 - t1:.3f}, copyout {t3 - t2:.3f}) {'bit-exact' if ok else 'WRONG RESULT'}")
    if not ok: return 1
  return 0

if __name__ == "__main__": sys.exit(main())
