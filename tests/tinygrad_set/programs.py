"""The tinygrad program set (vendor-neutral): each program runs on the default device and is compared with numpy.

  python3 tests/tinygrad_set/programs.py [NAME ...]     prints "PASS name" / "FAIL name: why" per program; exit 1 on any failure
Run it under `hwrt sim-run --device sim:amd` with DEV=AMD:LLVM (tests/test_sim_amd_tinygrad.py does)."""
import sys, time, traceback
import numpy as np

R = np.random.default_rng(0)
def f32(*s): return R.standard_normal(s).astype(np.float32)

def programs():
  from tinygrad import Tensor, dtypes
  T = Tensor
  a, b, m1, m2 = f32(64, 33), f32(64, 33), f32(32, 48), f32(48, 20)
  x4 = f32(2, 3, 10, 10); wk = f32(4, 3, 3, 3)
  ia, ib = R.integers(-1000, 1000, 300).astype(np.int32), R.integers(1, 50, 300).astype(np.int32)
  idx = R.integers(0, 64, 40).astype(np.int32)
  def conv_ref(x, w):
    n, c, h, ww = x.shape; o, _, kh, kw = w.shape
    out = np.zeros((n, o, h - kh + 1, ww - kw + 1), np.float32)
    for i in range(kh):
      for j in range(kw): out += np.einsum("nchw,oc->nohw", x[:, :, i:i + h - kh + 1, j:j + ww - kw + 1], w[:, :, i, j])
    return out
  def sm(x): e = np.exp(x - x.max(-1, keepdims=True)); return e / e.sum(-1, keepdims=True)
  return [
    ("elementwise_chain", lambda: ((T(a) * 2 + T(b)).relu() * 0.5 - T(b) / 3).numpy(),
     lambda: np.maximum(a * 2 + b, 0) * 0.5 - b / 3, 1e-6),
    ("elementwise_transcendental", lambda: (T(a).exp() + T(b).abs().log() + T(a).sin()).numpy(),
     lambda: np.exp(a) + np.log(np.abs(b)) + np.sin(a), 1e-4),
    ("broadcast", lambda: (T(a) + T(b[0:1, :]) * T(a[:, 0:1])).numpy(), lambda: a + b[0:1, :] * a[:, 0:1], 1e-6),
    ("matmul", lambda: (T(m1) @ T(m2)).numpy(), lambda: m1 @ m2, 1e-4),
    ("reduce_sum", lambda: T(a).sum(axis=1).numpy(), lambda: a.sum(axis=1), 1e-4),
    ("reduce_max", lambda: T(a).max(axis=0).numpy(), lambda: a.max(axis=0), 0),
    ("reduce_all", lambda: T(a).mean().numpy(), lambda: a.mean(), 1e-5),
    ("softmax", lambda: T(a).softmax(axis=-1).numpy(), lambda: sm(a), 1e-5),
    ("cumsum", lambda: T(a[:, :17]).cumsum(axis=1).numpy(), lambda: np.cumsum(a[:, :17], axis=1), 1e-4),
    ("argmax", lambda: T(a).argmax(axis=1).numpy(), lambda: a.argmax(axis=1), 0),
    ("int_arith", lambda: ((T(ia) * 3 + T(ib)) // T(ib) - (T(ia) % 7)).numpy(),
     lambda: (ia * 3 + ib) // ib - ia % 7, 0),
    ("casts", lambda: (T(a).cast(dtypes.int32) + T(ia[:1]).cast(dtypes.float32).cast(dtypes.int32)).numpy(),
     lambda: a.astype(np.int32) + ia[:1].astype(np.float32).astype(np.int32), 0),
    ("half", lambda: (T(a).cast(dtypes.half) * 2 + T(b).cast(dtypes.half)).cast(dtypes.float32).numpy(),
     lambda: (a.astype(np.float16) * np.float16(2) + b.astype(np.float16)).astype(np.float32), 1e-2),
    ("conv2d", lambda: T(x4).conv2d(T(wk)).numpy(), lambda: conv_ref(x4, wk), 1e-4),
    ("pooling", lambda: T(x4).max_pool2d(kernel_size=(2, 2)).numpy(), lambda: x4.reshape(2, 3, 5, 2, 5, 2).max(axis=(3, 5)), 0),
    ("avg_pool", lambda: T(x4).avg_pool2d(kernel_size=(2, 2)).numpy(), lambda: x4.reshape(2, 3, 5, 2, 5, 2).mean(axis=(3, 5)), 1e-5),
    ("gather", lambda: T(a)[T(idx)].numpy(), lambda: a[idx], 0),
  ]

def main(argv):
  want = set(argv)
  bad = 0
  t0 = time.monotonic()
  for name, tg, ref, tol in programs():
    if want and name not in want: continue
    t = time.monotonic()
    try:
      got, exp = np.asarray(tg()), np.asarray(ref())
      if got.shape != exp.shape: raise AssertionError(f"shape {got.shape} != {exp.shape}")
      ok = np.array_equal(got, exp) if tol == 0 else np.allclose(got, exp, rtol=tol, atol=tol)
      if not ok:
        err = np.abs(got.astype(np.float64) - exp).max()
        raise AssertionError(f"max abs error {err:.3g} (tolerance {tol})")
      print(f"PASS {name} {time.monotonic() - t:.2f}s", flush=True)
    except Exception as e:
      bad += 1
      print(f"FAIL {name}: {type(e).__name__}: {str(e).splitlines()[0][:300] if str(e) else ''}", flush=True)
      if "-v" in sys.argv: traceback.print_exc()
  print(f"total {time.monotonic() - t0:.2f}s, {bad} failed", flush=True)
  return 1 if bad else 0

if __name__ == "__main__": sys.exit(main([a for a in sys.argv[1:] if not a.startswith("-")]))
