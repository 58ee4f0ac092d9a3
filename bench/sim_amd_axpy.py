"""Benchmark: a 1M-element c = a*2 + b through the whole path on sim:amd (tinygrad -> KFD/render node -> PM4 -> RDNA3).

  hwrt sim-run --device sim:amd -- env DEV=AMD:LLVM python3 bench/sim_amd_axpy.py [--n 1048576] [--reps 5]
Prints the best and median wall time of the cached kernel (tinygrad's own timing around realize + synchronize) and checks the
result against numpy. Target (issue #15): <= 0.12 s per cached kernel (tinygrad's in-process mock: 0.61 s on the same machine)."""
import argparse, statistics, time
import numpy as np

def main():
  ap = argparse.ArgumentParser()
  ap.add_argument("--n", type=int, default=1 << 20)
  ap.add_argument("--reps", type=int, default=5)
  a = ap.parse_args()
  from tinygrad import Tensor, Device
  A, B = np.random.default_rng(0).standard_normal((2, a.n)).astype(np.float32)
  ta, tb = Tensor(A).realize(), Tensor(B).realize()
  Device[Device.DEFAULT].synchronize()
  times = []
  for _ in range(a.reps + 1):
    t = time.perf_counter()
    c = (ta * 2 + tb).realize()
    Device[Device.DEFAULT].synchronize()
    times.append(time.perf_counter() - t)
  ok = np.array_equal(c.numpy(), A * 2 + B)
  best, med = min(times[1:]), statistics.median(times[1:])
  print(f"c = a*2 + b, n={a.n}: best {best:.4f} s, median {med:.4f} s (first {times[0]:.3f} s, compile included); "
        f"{'correct' if ok else 'WRONG'}")
  return 0 if ok else 1

if __name__ == "__main__": raise SystemExit(main())
