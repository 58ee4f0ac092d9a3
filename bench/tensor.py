"""Benchmark of the tensor executor: matmul (the tiled shared-memory kernel, bias+relu epilogue fused) over a range of
sizes and a fused elementwise chain, GFLOP/s and GB/s per kernel from the GPU's own timestamps (the driver's semaphore
releases around each launch). On a real GPU torch / cupy run the same ops beside it when installed (same device). On the
simulator the sizes are small and it reports kernel counts and SASS thread-instructions executed (the interpreter's steps,
counted by wrapping its handlers here: SASS thread-instructions on sim:nv, RDNA3 wave-instructions on sim:amd) —
simulator times say nothing about hardware speed.

  python bench/tensor.py [--device nv:0|sim:nv] [--sizes 256,512,1024,2048,4096] [--chain 16777216] [--repeat 3] [--json]"""
import argparse, json, os, sys, time
import numpy as np
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

COUNT = [0]
def count_sim_instructions(device: str):
  """Count instructions in the interpreter (a bench-only wrapper around its handlers): SASS thread-instructions on sim:nv,
  RDNA3 wave-instructions on sim:amd."""
  if device == "sim:amd":
    from hwrt.sim import rdna3_ops
    orig_h, cache = rdna3_ops.handler, {}
    def handler(ins):
      fn = orig_h(ins)
      if fn is None: return None
      if fn not in cache:
        def counted(b, ins, w, fn=fn):
          COUNT[0] += len(b.pc) if isinstance(w, slice) else len(w)
          return fn(b, ins, w)
        cache[fn] = counted
      return cache[fn]
    rdna3_ops.handler = handler
    return
  from hwrt.sim import sass_exec
  orig, done = sass_exec.bind_word, set()
  def bind_word(word, pc):
    op = orig(word, pc)
    if id(op) not in done:
      done.add(id(op))
      fn = op.fn
      def counted(st, o, ix, fn=fn):
        COUNT[0] += len(st.pc) if isinstance(ix, slice) else len(ix)
        return fn(st, o, ix)
      op.fn = counted
    return op
  sass_exec.bind_word = bind_word

def others(device: str):
  """torch / cupy matmul + chain on the same (real) GPU, when importable; {name: (matmul_fn, chain_fn, sync)}."""
  out = {}
  if device.startswith("sim:"): return out
  try:
    import torch
    if torch.cuda.is_available():
      out["torch"] = (lambda a, b, c: torch.relu(a @ b + c), lambda x, y, z: torch.exp2(torch.relu(x * 1.5 + y) * z - x),
                      lambda a: torch.from_numpy(a).cuda(), torch.cuda.synchronize)
  except ImportError: pass
  try:
    import cupy
    out["cupy"] = (lambda a, b, c: cupy.maximum(a @ b + c, 0), lambda x, y, z: cupy.exp2(cupy.maximum(x * 1.5 + y, 0) * z - x),
                   cupy.asarray, cupy.cuda.Device().synchronize)
  except Exception: pass
  return out

def timed(fn, sync, repeat):
  fn(); sync()
  t0 = time.perf_counter()
  for _ in range(repeat): fn()
  sync()
  return (time.perf_counter() - t0) / repeat

def main(argv=None) -> int:
  from hwrt.devices import default_device
  ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
  ap.add_argument("--device", default=None)
  ap.add_argument("--sizes", default=None, help="matmul sizes (n x n @ n x n); default 256..4096 on a GPU, 16..64 on the simulator")
  ap.add_argument("--chain", type=int, default=None, help="elements of the fused chain (default 16M on a GPU, 4096 on the simulator)")
  ap.add_argument("--repeat", type=int, default=3)
  ap.add_argument("--json", action="store_true")
  a = ap.parse_args(argv)
  device = a.device or default_device()
  sim = device.startswith("sim:")
  sizes = [int(s) for s in (a.sizes or ("16,32,64" if sim else "256,512,1024,2048,4096")).split(",")]
  chain = a.chain or (4096 if sim else 1 << 24)
  if sim: count_sim_instructions(device)
  from hwrt import Tensor
  from hwrt.tensor import runtime
  rng = np.random.default_rng(0)
  rows, ext = [], others(device)
  def run(label, build, flops, nbytes, check):
    best = None
    for _ in range(1 if sim else a.repeat):
      k0, i0, n0 = runtime.STATS["kernels"], COUNT[0], len(runtime.LOG)
      out = build().numpy()
      launches = list(runtime.LOG)[n0:]
      t = sum(l["s"] for l in launches)
      if best is None or t < best["s"]:
        best = {"case": label, "device": runtime.device(device).name, "kernels": runtime.STATS["kernels"] - k0, "s": t,
                "gflops": flops / t / 1e9 if t else 0, "gbs": nbytes / t / 1e9 if t else 0,
                "sim_instructions": COUNT[0] - i0 if sim else None, "ok": bool(check(out))}
    rows.append(best)
  for n in sizes:
    A, B, C = (rng.standard_normal(s).astype(np.float32) for s in ((n, n), (n, n), (n,)))
    tA, tB, tC = (Tensor(v, device=device) for v in (A, B, C))
    ref = np.maximum(A @ B + C, 0) if n <= 1024 or sim else None
    run(f"relu(a@b+c) {n}x{n}x{n}", lambda: (tA @ tB + tC).relu(), 2 * n ** 3, 4 * (3 * n * n + n),
        lambda o: ref is None or np.allclose(o, ref, rtol=1e-3, atol=1e-3))
    for name, (mm, _, put, sync) in ext.items():
      ga, gb, gc = put(A), put(B), put(C)
      t = timed(lambda: mm(ga, gb, gc), sync, a.repeat)
      rows.append({"case": f"relu(a@b+c) {n}x{n}x{n}", "device": f"{name} (same GPU)", "kernels": None, "s": t, "gflops": 2 * n ** 3 / t / 1e9,
                   "gbs": 4 * (3 * n * n + n) / t / 1e9, "sim_instructions": None, "ok": True})
  X, Y, Z = (rng.standard_normal(chain).astype(np.float32) for _ in range(3))
  tX, tY, tZ = (Tensor(v, device=device) for v in (X, Y, Z))
  run(f"exp2(relu(x*1.5+y)*z-x) n={chain}", lambda: ((tX * 1.5 + tY).relu() * tZ - tX).exp2(), 6 * chain, 16 * chain,
      lambda o: np.allclose(o, np.exp2(np.maximum(X * 1.5 + Y, 0) * Z - X), rtol=1e-5, atol=1e-6, equal_nan=True))
  for name, (_, ch, put, sync) in ext.items():
    gx, gy, gz = put(X), put(Y), put(Z)
    t = timed(lambda: ch(gx, gy, gz), sync, a.repeat)
    rows.append({"case": f"exp2(relu(x*1.5+y)*z-x) n={chain}", "device": f"{name} (same GPU)", "kernels": None, "s": t,
                 "gflops": 6 * chain / t / 1e9, "gbs": 16 * chain / t / 1e9, "sim_instructions": None, "ok": True})
  if a.json: print(json.dumps(rows, indent=1)); return 0 if all(r["ok"] for r in rows) else 1
  print(f"{'case':40s} {'device':22s} {'kernels':>7s} {'time us':>11s} {'GFLOP/s':>10s} {'GB/s':>9s} {'sim instrs':>12s} ok")
  for r in rows:
    print(f"{r['case']:40s} {r['device']:22s} {r['kernels'] if r['kernels'] is not None else '-':>7} {r['s'] * 1e6:11.1f} "
          f"{r['gflops']:10.2f} {r['gbs']:9.3f} {r['sim_instructions'] if r['sim_instructions'] is not None else '-':>12} {r['ok']}")
  if sim: print("(simulator: times are the interpreter's, not a GPU's; kernel counts and instruction counts are the figures)")
  return 0 if all(r["ok"] for r in rows) else 1

if __name__ == "__main__": sys.exit(main())
