#!/usr/bin/env python3
"""Issue 10 item 2: vadd and saxpy written in hwrt's own SASS assembly, containerised by hwrt, loaded and run by CUDA's own
loader (cupy.RawModule -> cuModuleLoadData). Proves our cubins are real; needs an NVIDIA GPU and cupy. Prints one line per kernel."""
import os, sys
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
EX = os.path.join(HERE, "..", "tests", "examples")

def main() -> int:
  import cupy as cp
  from hwrt.assemblers.sass import assemble_to_container
  ok = True
  n = 1 << 20
  rng = np.random.default_rng(0)
  for name in ("vadd", "saxpy"):
    with open(os.path.join(EX, f"{name}.sass.s")) as f: cubin = assemble_to_container(f.read(), "sm_90")
    path = os.path.join(os.environ.get("OUT", "/tmp"), f"{name}.hwrt.cubin")
    with open(path, "wb") as f: f.write(cubin)
    fn = cp.RawModule(path=path).get_function(name)
    a, b = rng.standard_normal(n).astype(np.float32), rng.standard_normal(n).astype(np.float32)
    da, db = cp.asarray(a), cp.asarray(b)
    if name == "vadd":
      dc = cp.zeros(n, cp.float32)
      fn(((n + 255) // 256,), (256,), (da, db, dc, np.uint32(n)))
      got, want = cp.asnumpy(dc), a + b
    else:
      alpha = np.float32(1.5)
      fn((256,), (256,), (alpha, da, db, np.uint32(n)))
      got, want = cp.asnumpy(db), (alpha.astype(np.float64) * a + b).astype(np.float32)
    same = bool(np.array_equal(got, want))
    ok &= same
    print(f"{name}: hwrt-assembled cubin ({len(cubin)} bytes) loaded by cupy.RawModule, {n} elements, "
          f"{'bit-exact vs numpy' if same else 'MISMATCH: ' + str(int((got != want).sum())) + ' elements differ'}")
  return 0 if ok else 1

if __name__ == "__main__": sys.exit(main())
