"""The SASS interpreter runs the ptxas-compiled corpus (tests/nv_corpus) bit-exact against numpy / exact references.

Floating-point references: sums and products use numpy float32 (IEEE round-to-nearest-even); fused multiply-adds (FFMA,
which ptxas contracts a*b+c into) are checked against the exactly rounded value computed with Python fractions."""
import os, sys
from fractions import Fraction
import numpy as np
import pytest
from conftest import oracle
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "nv_corpus"))
import build   # noqa: E402
from hwrt.sim.sass_harness import Harness   # noqa: E402

@pytest.fixture(scope="module")
def corpus():
  c = build.build(oracle("clang-19"), oracle("ptxas"))
  if build.missing_words(c): oracle("nvdisasm")
  build.learn_missing_forms(c)
  return c

@pytest.fixture
def h():
  x = Harness(); yield x; x.close()

def run(h, corpus, name, args, grid, block):
  prog = h.load(corpus[name][1], name)
  h.launch(prog, args, grid, block)

def f32_exact(q: Fraction) -> np.float32:
  """q rounded to the nearest float32, ties to even (an independent reference for fused operations)."""
  r = np.float32(float(q))
  best = None
  for c in (np.nextafter(r, np.float32(-np.inf)), r, np.nextafter(r, np.float32(np.inf))):
    if not np.isfinite(c): continue
    key = (abs(Fraction(float(c)) - q), int(np.array(c).view(np.uint32)) & 1)
    if best is None or key < best[0]: best = (key, c)
  return best[1]

def fma_ref(a, b, c): return f32_exact(Fraction(float(a)) * Fraction(float(b)) + Fraction(float(c)))

def same_bits(x, y): return np.array_equal(np.asarray(x).view(np.uint32), np.asarray(y, np.float32).view(np.uint32))

def test_vadd(h, corpus):
  n = 1000                                                  # not a multiple of the block: the tail threads EXIT early
  rng = np.random.default_rng(1)
  a = rng.standard_normal(n).astype(np.float32); b = rng.standard_normal(n).astype(np.float32)
  a[:4] = [np.inf, -0.0, 1e-40, np.float32(3.4e38)]; b[:4] = [1.0, 0.0, 1e-40, np.float32(3.4e38)]   # inf, -0+0, denormals, overflow
  va, vb, vc = h.buffer(a), h.buffer(b), h.alloc(4 * n + 64)
  run(h, corpus, "vadd", [vc, va, vb, (n, "<i")], (4, 1, 1), (256, 1, 1))
  assert same_bits(h.read(vc, np.float32, n), a + b)
  assert not h.read(vc + 4 * n, np.uint32, 16).any()        # nothing written past n

def test_saxpy(h, corpus):
  n = 777
  rng = np.random.default_rng(2)
  x = rng.standard_normal(n).astype(np.float32); y = rng.standard_normal(n).astype(np.float32)
  alpha = np.float32(1.7)
  vx, vy = h.buffer(x), h.buffer(y)
  run(h, corpus, "saxpy", [vy, vx, (float(alpha), "<f"), (n, "<i")], (7, 1, 1), (128, 1, 1))
  got = h.read(vy, np.float32, n)
  want = np.array([fma_ref(alpha, x[i], y[i]) for i in range(n)], np.float32)
  assert same_bits(got, want)

def test_reduce_shared(h, corpus):
  n, blocks = 5000, 20
  v = np.random.default_rng(3).integers(-2**31, 2**31, n, dtype=np.int64).astype(np.int32)
  vi, vo = h.buffer(v), h.alloc(4 * blocks)
  run(h, corpus, "reduce_shared", [vo, vi, (n, "<i")], (blocks, 1, 1), (256, 1, 1))
  pad = np.zeros(blocks * 256, np.int64); pad[:n] = v
  want = (pad.reshape(blocks, 256).sum(1) & 0xFFFFFFFF).astype(np.uint32)
  assert np.array_equal(h.read(vo, np.uint32, blocks), want)

def test_reduce_shfl(h, corpus):
  n = 2048
  rng = np.random.default_rng(4)
  f = rng.standard_normal(n).astype(np.float32)
  iv = rng.integers(-10**6, 10**6, n).astype(np.int32)
  W = n // 32
  ws, xs, scan, bc, bal = (h.alloc(4 * W), h.alloc(4 * W), h.alloc(4 * n), h.alloc(4 * n), h.alloc(4 * W))
  run(h, corpus, "reduce_shfl", [ws, xs, scan, bc, bal, h.buffer(f), h.buffer(iv)], (n // 256, 1, 1), (256, 1, 1))
  x = f.reshape(W, 32).copy()
  for o in (16, 8, 4, 2, 1):                       # shfl.down: lanes past the end read their own value
    src = np.concatenate([x[:, o:], x[:, 32 - o:]], axis=1)
    x = x + src
  assert same_bits(h.read(ws, np.float32, W), x[:, 0])
  i64 = iv.astype(np.int64).reshape(W, 32)
  assert np.array_equal(h.read(xs, np.int32, W), (i64.sum(1) & 0xFFFFFFFF).astype(np.uint32).view(np.int32))
  assert np.array_equal(h.read(scan, np.int32, n), np.cumsum(i64, axis=1).reshape(-1).astype(np.int32))
  lanes = np.arange(32)
  assert np.array_equal(h.read(bc, np.int32, n), iv.reshape(W, 32)[:, (lanes * 7) & 31].reshape(-1))
  want_bal = ((iv.reshape(W, 32) & 1).astype(np.uint64) << lanes.astype(np.uint64)).sum(1).astype(np.uint32)
  assert np.array_equal(h.read(bal, np.uint32, W), want_bal)

def test_atomics(h, corpus):
  n = 3000
  v = np.random.default_rng(5).integers(-2**31, 2**31, n, dtype=np.int64).astype(np.int32)
  ctr0 = np.array([0, -2**31, 2**31 - 1, 0, -1, 0, 0, 0, 0, 0], np.int32)
  ctr, c64, fs, hist = h.buffer(ctr0), h.buffer(np.zeros(1, np.uint64)), h.buffer(np.zeros(1, np.float32)), h.buffer(np.zeros(2 * n, np.int32))
  run(h, corpus, "atomics", [ctr, c64, fs, hist, h.buffer(v), (n, "<i")], (12, 1, 1), (256, 1, 1))
  c = h.read(ctr, np.int32, 10)
  u = v.view(np.uint32)
  assert list(c[:6]) == [n, v.max(), v.min(), np.bitwise_or.reduce(v), np.bitwise_and.reduce(v), np.bitwise_xor.reduce(v)]
  assert list(c[6:]) == [n, 1, 1, 42]
  assert int(h.read(c64, np.uint64, 1)[0]) == int(u.astype(np.uint64).sum())
  assert h.read(fs, np.float32, 1)[0] == np.float32((v & 255).sum())      # integral, < 2^24: exact in any order
  hh = h.read(hist, np.int32, 2 * n)
  assert np.array_equal(hh[:16], np.bincount(v & 15, minlength=16)) and not hh[16:n].any()
  assert (hh[n:] == 1).all()                                              # the tickets are a permutation of 0..n-1

def test_matmul(h, corpus):
  M, N, K = 37, 29, 45                                                    # not multiples of the 16x16 tile
  rng = np.random.default_rng(6)
  A = rng.standard_normal((M, K)).astype(np.float32); B = rng.standard_normal((K, N)).astype(np.float32)
  vc = h.alloc(4 * M * N)
  run(h, corpus, "matmul", [vc, h.buffer(A), h.buffer(B), (M, "<i"), (N, "<i"), (K, "<i")], ((N + 15) // 16, (M + 15) // 16, 1), (16, 16, 1))
  got = h.read(vc, np.float32, M * N).reshape(M, N)
  want = np.zeros((M, N), np.float32)
  for i in range(M):
    for j in range(N):
      acc = np.float32(0)
      for k in range(K): acc = fma_ref(A[i, k], B[k, j], acc)             # the kernel's order: k = 0..K-1, fused
      want[i, j] = acc
  assert same_bits(got, want)
  assert np.allclose(got, A.astype(np.float64) @ B, rtol=1e-4, atol=1e-4)

def bf16_ref(x: np.ndarray) -> np.ndarray:
  """float32 -> bfloat16 bits, round to nearest even, chosen by comparing exact distances (inf counts as 2^128)."""
  out = np.zeros(len(x), np.uint16)
  for i, v in enumerate(x):
    b = int(np.array(v).view(np.uint32))
    if np.isnan(v): out[i] = 0x7FFF; continue
    if np.isinf(v): out[i] = b >> 16; continue
    def val(bits):
      if bits & 0x7F800000 == 0x7F800000: return Fraction(-(2**128) if bits >> 31 else 2**128)
      return Fraction(float(np.array(bits, np.uint32).view(np.float32)))
    lo = b & 0xFFFF0000; hi = lo + 0x10000
    dl, dh = abs(Fraction(float(v)) - val(lo)), abs(val(hi) - Fraction(float(v)))
    out[i] = lo >> 16 if dl < dh or (dl == dh and not (lo >> 16) & 1) else hi >> 16
  return out

def test_fp16(h, corpus):
  n = 600
  rng = np.random.default_rng(7)
  f = (rng.standard_normal(n) * np.exp2(rng.integers(-30, 20, n))).astype(np.float32)
  f[:8] = [0.0, -0.0, np.inf, -np.inf, 65504.0, 65520.0, 5.9604645e-08, 1.0009765625 + 2**-11]   # ties, overflow, denormal
  hb, back, bf, bback, hs = h.alloc(2 * n), h.alloc(4 * n), h.alloc(2 * n), h.alloc(4 * n), h.alloc(4 * n)
  run(h, corpus, "fp16", [hb, back, bf, bback, hs, h.buffer(f), (n, "<i")], (3, 1, 1), (256, 1, 1))
  x16 = f.astype(np.float16)
  assert np.array_equal(h.read(hb, np.uint16, n), x16.view(np.uint16))
  assert same_bits(h.read(back, np.float32, n), x16.astype(np.float32))
  b16 = bf16_ref(f)
  assert np.array_equal(h.read(bf, np.uint16, n), b16)
  assert np.array_equal(h.read(bback, np.uint32, n), b16.astype(np.uint32) << 16)
  y = (x16 * np.float16(2) + np.float16(1)).astype(np.float16)              # exact product, one rounding: same as fused
  assert same_bits(h.read(hs, np.float32, n), y.astype(np.float32))

def test_branches(h, corpus):
  n = 1500
  v = np.random.default_rng(8).integers(0, 100000, n).astype(np.int64)
  v[:6] = [0, 1, 2, 3, 27, 97]
  steps, cls, divs, fl = h.alloc(4 * n), h.alloc(4 * n), h.alloc(4 * n), h.alloc(4 * n)
  run(h, corpus, "branches", [steps, cls, divs, fl, h.buffer(v.astype(np.int32)), (n, "<i")], (6, 1, 1), (256, 1, 1))
  def collatz(x):
    s = 0
    while x > 1 and s < 1000: x = 3 * x + 1 if x & 1 else x // 2; x &= 0xFFFFFFFF; s += 1
    return s
  assert list(h.read(steps, np.int32, n)) == [collatz(int(x)) for x in v]
  def cls_ref(x):
    c = x // 3 if x % 3 == 0 else (-x if x % 3 == 1 else (x * x) & 0xFFFFFFFF)
    c = c - (1 << 32) if c >= 1 << 31 else c
    k = x & 3
    if k == 0: c += 10
    elif k == 1: c ^= 0x55
    elif k == 2: c = min(c, 100)
    else: c = max(c, -7)
    return c
  assert list(h.read(cls, np.int32, n)) == [cls_ref(int(x)) for x in v]
  u = (v * 2654435761) & 0xFFFFFFFF
  want = (u // 7 + u % 13 + ((v ^ 0x5A5A) // (v % 17 + 1))) & 0xFFFFFFFF
  assert np.array_equal(h.read(divs, np.uint32, n), want.astype(np.uint32))
  fr = v.astype(np.float32)
  for k in range(7):
    fr = np.where(k < (v & 7), fr * np.float32(0.5) + np.float32(1), fr).astype(np.float32)
  assert same_bits(h.read(fl, np.float32, n), np.where(v > 50, fr, -fr))

CHECKS = [test_vadd, test_saxpy, test_reduce_shared, test_reduce_shfl, test_atomics, test_matmul, test_fp16, test_branches]

def test_every_corpus_form_is_executed(corpus):
  """Running the corpus executes every SASS form (opcode with modifiers + operand shapes) its kernels contain, up to the
  self-branch + NOP padding ptxas puts after the last instruction."""
  from hwrt.sim import sass_exec, sass_ops
  assert [f.__name__[5:] for f in CHECKS] == build.KERNELS
  sass_ops.EXECUTED.clear()
  for f in CHECKS:
    x = Harness()
    try: f(x, corpus)
    finally: x.close()
  tab = sass_exec.table()
  want = {}
  for k, (_, cub) in corpus.items():
    for key, pc in build.forms_in(cub, k, tab).items(): want.setdefault(key, f"{k}+{pc:#x}")
  missing = {k: v for k, v in want.items() if k not in sass_ops.EXECUTED}
  assert not missing, f"forms never executed: {missing}"
  assert len(want) > 100                      # the corpus is not trivially small
  print(f"{len(want)} forms executed; forms learned beside sm90.tsv: {build.learn_missing_forms(corpus)}")
