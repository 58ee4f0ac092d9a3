"""Ordinary CUDA (tests/nv_corpus/ordinary.cu: shared-memory transpose, block scan, warp votes, a CAS loop, half products, a
tiled tensor-core matmul) and every mma.sync shape of tests/nv_corpus/mma.cu, compiled by clang-19 + ptxas and run on
sim:nv -- through the full driver path and the direct harness -- bit-exact against numpy.

mma inputs are small dyadic values, so every product and partial sum is exact in the accumulator type and the result does
not depend on the tensor cores' (undocumented) accumulation order and rounding (sim/sass_ops_mma.py)."""
import os, sys
import numpy as np
import pytest
from conftest import oracle
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "nv_corpus"))
import build   # noqa: E402
from fpref import round_frac   # noqa: E402
from fractions import Fraction   # noqa: E402
from hwrt.sim.sass_harness import Harness   # noqa: E402
from test_sim_sass_corpus import device, h   # noqa: E402,F401  (the driver-path / harness fixtures, shared)

@pytest.fixture(scope="module")
def corpus(): return build.compiled_corpus(oracle, build.OPS_FILES)

def run(h, corpus, name, args, grid, block): h.launch(h.load(corpus[name][1], name), args, grid, block)

def test_transpose(h, corpus):
  rows, cols = 70, 45
  a = np.random.default_rng(31).standard_normal((rows, cols)).astype(np.float32)
  o = h.alloc(4 * rows * cols)
  run(h, corpus, "transpose", [o, h.buffer(a), (rows, "<i"), (cols, "<i")], ((cols + 31) // 32, (rows + 31) // 32, 1), (32, 8, 1))
  assert np.array_equal(h.read(o, np.float32, rows * cols).reshape(cols, rows), a.T)

def test_scan(h, corpus):
  n = 1000
  v = np.random.default_rng(32).integers(-2**31, 2**31, n, dtype=np.int64)
  o = h.alloc(4 * n)
  run(h, corpus, "scan", [o, h.buffer(v.astype(np.int32)), (n, "<i")], ((n + 255) // 256, 1, 1), (256, 1, 1))
  pad = np.zeros(4 * 256, np.int64); pad[:n] = v
  want = (np.cumsum(pad.reshape(4, 256), axis=1).reshape(-1)[:n] + 2**31) % 2**32 - 2**31
  assert np.array_equal(h.read(o, np.int32, n), want)

def test_votes(h, corpus):
  n = 300                                                   # the last warp is partial: its missing lanes vote 0
  v = np.random.default_rng(33).integers(-5, 2000, n).astype(np.int32)
  v[32:64] = np.abs(v[32:64]) + 1                           # a warp where every lane is positive
  o = h.alloc(4 * n)
  run(h, corpus, "votes", [o, h.buffer(v), (n, "<i")], (3, 1, 1), (128, 1, 1))
  pad = np.zeros(384, np.int64); pad[:n] = v
  w = pad.reshape(-1, 32)
  bal = (w & 1).astype(np.uint64) << np.arange(32, dtype=np.uint64)
  want = []
  for i in range(n):
    r = w[i // 32]
    want.append(int((r > 0).all()) | int((r > 1000).any()) << 1 | int((r & 1).sum()) << 2 | int(r[(i % 32) ^ 1] & 1) << 10)
  assert list(h.read(o, np.uint32, n)) == want
  assert bal.sum() > 0

def test_casloop(h, corpus):
  n = 500
  f = np.random.default_rng(34).random(n).astype(np.float32) * 3.9
  mx, hist = h.buffer(np.zeros(1, np.float32)), h.buffer(np.zeros(16, np.uint32))
  run(h, corpus, "casloop", [mx, hist, h.buffer(f), (n, "<i")], (4, 1, 1), (128, 1, 1))
  assert h.read(mx, np.float32, 1)[0] == f.max()
  assert np.array_equal(h.read(hist, np.uint32, 16), np.bincount((f * np.float32(4)).astype(np.uint32) & 15, minlength=16))

def test_hprod(h, corpus):
  n = 400
  rng = np.random.default_rng(35)
  a = (rng.standard_normal(n) * 8).astype(np.float16); b = (rng.standard_normal(n) * 8).astype(np.float16)
  a[:4] = [0.0, -0.0, 65504, 1e-7]; b[:4] = [-1.0, 2.0, 2.0, 1e-7]
  o, of = h.alloc(2 * 3 * n), h.alloc(4 * n)
  run(h, corpus, "hprod", [o, of, h.buffer(a), h.buffer(b), (n, "<i")], (4, 1, 1), (128, 1, 1))
  got = h.read(o, np.uint16, 3 * n).reshape(3, n)
  fused = "fma.rn.f16" in open(corpus["hprod"][0]).read()      # clang contracts x * y + x by default
  def r16(q): return np.float16(round_frac(q, "RN", "f16")) if q != 0 else None
  F = lambda x: Fraction(float(x))
  for i in range(n):
    x, y = a[i], b[i]
    p = np.float16(x * y) if x * y != 0 else np.float16(np.float32(x) * np.float32(y))   # exact product, one rounding
    s = r16(F(x) * F(y) + F(x)) if fused else r16(F(p) + F(x))
    d = np.float16(x - y) * np.float16(x + y)
    for j, w in enumerate((p, s, d)):
      if w is None: continue
      assert got[j, i] == np.array(w, np.float16).view(np.uint16), (i, j, x, y)
  assert np.array_equal(h.read(of, np.float32, n), a.astype(np.float32) * b.astype(np.float32))

def dyadic(rng, shape, scale=4):
  return (rng.integers(-8, 9, shape) / scale).astype(np.float16)

def test_hgemm(h, corpus):
  M, N, K = 70, 37, 52                                      # ragged: the kernel zero-pads tiles in shared memory
  rng = np.random.default_rng(36)
  A, B = dyadic(rng, (M, K)), dyadic(rng, (K, N))
  o = h.alloc(4 * M * N)
  run(h, corpus, "hgemm", [o, h.buffer(A), h.buffer(np.ascontiguousarray(B.T)), (M, "<i"), (N, "<i"), (K, "<i")],
      ((N + 15) // 16, (M + 31) // 32, 1), (128, 1, 1))
  assert np.array_equal(h.read(o, np.float32, M * N).reshape(M, N), (A.astype(np.float64) @ B.astype(np.float64)).astype(np.float32))

MMA_F = [("mma_f16", "f16", 16, np.float32), ("mma_bf16", "bf16", 16, np.float32), ("mma_f16k8", "f16", 8, np.float32),
         ("mma_f16acc", "f16", 16, np.float16)]

@pytest.mark.parametrize("name,ty,kstep,acc", MMA_F, ids=[m[0] for m in MMA_F])
def test_mma_float(corpus, name, ty, kstep, acc):
  M, N, K = 32, 24, 4 * kstep
  rng = np.random.default_rng(37)
  A, B = dyadic(rng, (M, K)), dyadic(rng, (K, N))
  C = (rng.integers(-64, 64, (M, N)) / 8).astype(acc)
  bits = lambda x: x.view(np.uint16) if ty == "f16" else (x.astype(np.float32).view(np.uint32) >> 16).astype(np.uint16)
  h = Harness()
  try:
    o = h.alloc(M * N * np.dtype(acc).itemsize)
    run(h, corpus, name, [o, h.buffer(bits(A)), h.buffer(np.ascontiguousarray(bits(B.T))), h.buffer(C), (M, "<i"), (N, "<i"), (K, "<i")],
        (-(-(M // 16 * (N // 8)) // 4), 1, 1), (128, 1, 1))
    got = h.read(o, acc, M * N).reshape(M, N)
  finally: h.close()
  assert np.array_equal(got, (A.astype(np.float64) @ B.astype(np.float64) + C).astype(acc))

MMA_I = [("mma_s8", np.int8, np.int8, 32), ("mma_u8s8", np.uint8, np.int8, 32), ("mma_s8k16", np.int8, np.uint8, 16)]

@pytest.mark.parametrize("name,ta,tb,kstep", MMA_I, ids=[m[0] for m in MMA_I])
def test_mma_int(corpus, name, ta, tb, kstep):
  M, N, K = 32, 16, 3 * kstep
  rng = np.random.default_rng(38)
  A = rng.integers(np.iinfo(ta).min, np.iinfo(ta).max + 1, (M, K)).astype(ta)
  B = rng.integers(np.iinfo(tb).min, np.iinfo(tb).max + 1, (K, N)).astype(tb)
  C = rng.integers(-2**31, 2**31, (M, N)).astype(np.int64)
  if name == "mma_s8k16": C[:4] = 2**31 - 10; C[4:8] = -2**31 + 10          # .satfinite clamps
  h = Harness()
  try:
    o = h.alloc(4 * M * N)
    run(h, corpus, name, [o, h.buffer(A), h.buffer(np.ascontiguousarray(B.T)), h.buffer(C.astype(np.int32)), (M, "<i"), (N, "<i"), (K, "<i")],
        (-(-(M // 16 * (N // 8)) // 4), 1, 1), (128, 1, 1))
    got = h.read(o, np.int32, M * N).reshape(M, N)
  finally: h.close()
  if name == "mma_s8k16":                                   # satfinite: each k-step's result is clamped to s32
    want = C.copy()
    for k in range(0, K, kstep):
      want = np.clip(want + A[:, k:k + kstep].astype(np.int64) @ B[k:k + kstep].astype(np.int64), -2**31, 2**31 - 1)
  else: want = (A.astype(np.int64) @ B.astype(np.int64) + C + 2**31) % 2**32 - 2**31
  assert np.array_equal(got.astype(np.int64), want)
