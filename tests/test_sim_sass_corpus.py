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
from fpref import round_frac   # noqa: E402
from hwrt.sim.sass_harness import Harness   # noqa: E402

@pytest.fixture(scope="module")
def corpus(): return build.compiled_corpus(oracle)

class DriverPath:
  """The same calls as the Harness, through the full path: hwrt.devices.open_device("sim:nv") -> NVIDIA driver (RM
  ioctls, GPFIFO, QMD, constant bank 0 written by drivers/nv) -> simulated H100 -> this interpreter."""
  def __init__(self, dev): self.dev, self.bufs = dev, []
  def alloc(self, n):
    b = self.dev.alloc(n); self.bufs.append(b); return b.va
  def buffer(self, arr):
    arr = np.ascontiguousarray(arr); va = self.alloc(arr.nbytes)
    self.dev.copyin(self.bufs[-1], arr.tobytes()); return va
  def read(self, va, dtype, count):
    b = next(b for b in self.bufs if b.va <= va < b.va + b.size)
    off, n = va - b.va, np.dtype(dtype).itemsize * count
    return np.frombuffer(self.dev.copyout(b, off + n)[off:], dtype).copy()
  def load(self, cubin, name): return self.dev.load(cubin, name)
  def launch(self, prog, args, grid, block):
    conv = [a if isinstance(a, int) else np.array(a[0], {"<i": np.int32, "<f": np.float32, "<I": np.uint32}[a[1]])[()] for a in args]
    self.dev.launch(prog, conv, grid, block)
    self.dev.synchronize()
  def close(self):
    for b in self.bufs: self.dev.free(b)

@pytest.fixture(scope="module")
def device():
  from hwrt.devices import open_device
  d = open_device("sim:nv")
  yield d
  d.close()

@pytest.fixture(params=["driver", "harness"])
def h(request):
  x = DriverPath(request.getfixturevalue("device")) if request.param == "driver" else Harness()
  yield x; x.close()

def run(h, corpus, name, args, grid, block):
  prog = h.load(corpus[name][1], name)
  h.launch(prog, args, grid, block)

def f32_exact(q: Fraction) -> np.float32: return round_frac(q, "RN")     # exactly rounded (independent of numpy)

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
  c = np.array([cls_ref(int(x)) for x in v], np.int64)
  assert np.array_equal(h.read(cls, np.int32, n), c)
  u = (v * 2654435761) & 0xFFFFFFFF
  sel = (u & (c & 0xFFFFFFFF)) | (~u & 0xFFFFFFFF & ((v * 3) & 0xFFFFFFFF))
  want = (u // 7 + u % 13 + ((v ^ 0x5A5A) // (v % 17 + 1)) + sel) & 0xFFFFFFFF
  assert np.array_equal(h.read(divs, np.uint32, n), want.astype(np.uint32))
  fr = v.astype(np.float32)
  for k in range(7):
    fr = np.where(k < (v & 7), fr * np.float32(0.5) + np.float32(1), fr).astype(np.float32)
  assert same_bits(h.read(fl, np.float32, n), np.where(v > 50, fr, -fr))

def f32_round(q: Fraction, mode: str) -> np.float32: return round_frac(q, mode)

def ftz(v): return np.float32(np.copysign(0.0, v)) if v != 0 and abs(v) < np.float32(2.0 ** -126) else np.float32(v)
def frac(v): return Fraction(float(v))

def _zero(neg): return np.float32(-0.0) if neg else np.float32(0.0)
def mul_r(a, b, mode):
  q = frac(a) * frac(b)
  return _zero(np.signbit(a) != np.signbit(b)) if q == 0 else f32_round(q, mode)
def _sum(q, sp, sc, zp, zc, mode):
  """IEEE 754 §6.3: an exact zero sum is -0 when both terms are -0 (or either, rounding down); +0 after cancellation
  except when rounding down."""
  if q != 0: return f32_round(q, mode)
  if zp and zc: return _zero(sp and sc if mode != "RM" else sp or sc)
  return _zero(mode == "RM")
def add_r(a, b, mode): return _sum(frac(a) + frac(b), np.signbit(a), np.signbit(b), a == 0, b == 0, mode)
def fma_r(a, b, c, mode):
  p = frac(a) * frac(b)
  return _sum(p + frac(c), np.signbit(a) != np.signbit(b), np.signbit(c), p == 0, c == 0, mode)

def test_fpmodes(h, corpus):
  """Directed rounding, flush-to-zero, min/max, IEEE division/sqrt (ptxas' slow path subroutine: CALL/RET),
  int<->float conversions with rounding modes: each against an exactly rounded reference."""
  n = 300
  rng = np.random.default_rng(9)
  sc = lambda: np.exp2(rng.integers(-12, 12, n)).astype(np.float32)
  x, y, z = [(rng.standard_normal(n) * sc()).astype(np.float32) for _ in range(3)]
  x[:9] = [-0.0, 1e-40, 3.0, 1.0, -2.5e-39, 1.5, np.nan, 3.0, -np.inf]; y[:9] = [0.0, 0.5, 2.0 ** -24, 1e-39, 1.0, -0.0, 2.0, np.inf, 0.5]
  z[:9] = [0.0, -1e-40, 1.0, 2.0 ** -30, 0.0, 7.0, 1.0, 1.0, 1.0]      # NaN / inf operands take ptxas' slow paths
  o, oi = h.alloc(4 * 20 * n), h.alloc(4 * 8 * n)
  run(h, corpus, "fpmodes", [o, oi, h.buffer(x), h.buffer(y), h.buffer(z), (n, "<i")], (2, 1, 1), (256, 1, 1))
  r = h.read(o, np.float32, 20 * n).reshape(n, 20); ri = h.read(oi, np.int32, 8 * n).reshape(n, 8)
  def sat_int(v, lo, hi): return 0 if v != v else int(min(max(v, lo), hi))
  # clang-19 lowers __nvvm_i2f_rz to cvt.rn.f32.s32 (sic); check what the PTX asks for
  i2f_rz_mode = "RN" if "cvt.rn.f32.s32" in open(corpus["fpmodes"][0]).read() else "RZ"
  bad = []
  for i in range(n):
    a, b, c = x[i], y[i], z[i]
    fa, fb, fc = ftz(a), ftz(b), ftz(c)
    if not (np.isfinite(a) and np.isfinite(b) and np.isfinite(c)):     # IEEE infinities/NaN: float64 is exact here
      A, B, C = np.float64(a), np.float64(b), np.float64(c)
      F = lambda v: np.float32(v)
      want = [F(A * B + C)] * 3 + [F(A + B)] * 2 + [F(A * B)] * 2 + [F(A * B + C), F(A + B), F(np.fmin(A, B)), F(np.fmax(A, B)),
              F(A / B) if b != 0 else None, F(np.sqrt(np.abs(A))),
              F(sat_int(np.trunc(np.float64(a * np.float32(1e6))), -2**31, 2**31 - 1)),
              f32_round(Fraction(sat_int(np.trunc(np.float64(b * np.float32(3e9))), 0, 2**32 - 1)), "RP"), F(A * B)]
    else: want = [fma_r(a, b, c, "RZ"), fma_r(a, b, c, "RM"), fma_r(a, b, c, "RP"), add_r(a, b, "RZ"), add_r(a, b, "RM"),
            mul_r(a, b, "RP"), mul_r(a, b, "RZ"), ftz(fma_r(fa, fb, fc, "RN")), ftz(add_r(fa, fb, "RN")),
            min(a, b) if a != b else (a if np.signbit(a) else b), max(a, b) if a != b else (b if np.signbit(a) else a),
            f32_exact(frac(a) / frac(b)) if b != 0 else None, np.sqrt(np.abs(a)),
            f32_round(Fraction(sat_int(np.trunc(np.float64(a * np.float32(1e6))), -2**31, 2**31 - 1)), i2f_rz_mode),
            f32_round(Fraction(sat_int(np.trunc(np.float64(b * np.float32(3e9))), 0, 2**32 - 1)), "RP"),
            ftz(mul_r(fa, fb, "RN"))]
    want += [fn(a * np.float32(1e3)) for fn in (np.floor, np.ceil, np.trunc, np.rint)]       # float32 mul, then exact
    for j, w in enumerate(want):
      if w is None or (np.isnan(w) and np.isnan(r[i, j])): continue      # a NaN's payload is not checked
      if not same_bits(r[i, j], w): bad.append((i, j, r[i, j], w))
    s100, s1e9 = np.float64(a * np.float32(100)), np.float64(b * np.float32(1e9))
    wi = [sat_int(np.rint(s100), -2**31, 2**31 - 1), sat_int(np.floor(s100), -2**31, 2**31 - 1), sat_int(np.ceil(s100), -2**31, 2**31 - 1),
          sat_int(np.trunc(s100), -2**31, 2**31 - 1), sat_int(np.trunc(s1e9), 0, 2**32 - 1), int(a < b), int(a != a or b >= c),
          sat_int(np.trunc(np.float64(a * np.float32(1e12))), -2**63, 2**63 - 1)]
    for j, w in enumerate(wi):
      w = (w + 2**31) % 2**32 - 2**31
      if ri[i, j] != w: bad.append((i, f"i{j}", ri[i, j], w))
  assert not bad, bad[:10]

def test_int64(h, corpus):
  """64-bit integer code: carry chains (IADD3 with two carry outputs, IADD3.X, IMAD.X), wide multiplies, 64-bit shifts
  (SHF.*.U64/S64), comparisons (ISETP.*.EX), ptxas' 64-bit division subroutine."""
  n = 400
  rng = np.random.default_rng(10)
  a = rng.integers(0, 2**64, n, dtype=np.uint64); b = rng.integers(0, 2**64, n, dtype=np.uint64)
  small = rng.integers(0, 2**20, n, dtype=np.uint64)
  b[::4] = small[::4]; a[1::8] = b[1::8]; b[2::9] = 0; a[3::10] = small[3::10]
  a[:4] = [2**64 - 1, 2**63, 0, 5]; b[:4] = [1, 2**63 - 1, 2**64 - 1, 5]
  o = h.alloc(8 * 12 * n)
  run(h, corpus, "int64", [o, h.buffer(a), h.buffer(b), (n, "<i")], (2, 1, 1), (256, 1, 1))
  got = h.read(o, np.uint64, 12 * n).reshape(n, 12)
  M = 2**64
  s64 = lambda v: v - M if v >= 2**63 else v
  s32 = lambda v: (v & 0xFFFFFFFF) - 2**32 if v & 0x80000000 else v & 0xFFFFFFFF
  bad = []
  for i in range(n):
    x, y = int(a[i]), int(b[i]); sx, sy = s64(x), s64(y); k = y & 63
    want = [(x + y) % M, (x - y) % M, (x * y) % M, (x * y) >> 64, (x << k) % M, x >> k, (sx >> k) % M,
            int(x < y) | int(sx < sy) << 1 | int(x == y) << 2 | int(sx >= sy) << 3 | int(x > y) << 4,
            x // y if y else 0, x % y if y else 0, (x + y + int(x < y) - sy * 3) % M,
            ((s32(x) * s32(y)) >> 32) % M + bin(x).count("1") + (64 - y.bit_length())]
    want[11] %= M
    for j, w in enumerate(want):
      if int(got[i, j]) != w: bad.append((i, j, hex(x), hex(y), hex(int(got[i, j])), hex(w)))
  assert not bad, bad[:10]

def test_local(h, corpus):
  """A run-time indexed per-thread array (LDL/STL below the stack pointer) and generic pointers (LD/ST) into shared,
  global and local memory through the windows of constant bank 0."""
  blocks, k = 3, 5
  n = blocks * 256
  a = np.random.default_rng(11).integers(-10**6, 10**6, n).astype(np.int64)
  o = h.alloc(8 * n)
  run(h, corpus, "local", [o, h.buffer(a.astype(np.int32)), (k, "<i"), (n, "<i")], (blocks, 1, 1), (256, 1, 1))
  got = h.read(o, np.int32, 2 * n)
  i = np.arange(n); t = i % 256
  buf = a[(np.arange(32)[None, :] * k + i[:, None]) % n]                 # buf[i][j]
  sh = buf[i, (t * 7 + k) & 31]
  sh = np.where(t % 2 == 0, i + 1, sh)                                     # odd threads overwrote their even neighbour's slot
  q = np.where(t & 2, buf[i, (k + t) & 31], sh)
  assert np.array_equal(got[:n], (q + buf[i, (i + k) & 31]).astype(np.int32))
  assert np.array_equal(got[n:][t % 2 == 0], i[t % 2 == 0])               # even threads stored through a generic pointer to global

def test_small_batches_and_partial_warps(corpus, monkeypatch):
  """CTAs run in batches (bounded register-file memory): tiny batches give the same results; a CTA of 100 threads ends
  in a partial warp whose missing lanes never run."""
  from hwrt.sim import sass_exec
  monkeypatch.setattr(sass_exec, "MAX_BATCH_BYTES", 40000)
  x = Harness()
  try:
    launch = x.launch_desc(x.load(corpus["reduce_shared"][1], "reduce_shared"), [0, 0, (0, "<i")], (20, 1, 1), (256, 1, 1))
    assert len(list(sass_exec._batches(launch))) > 5
    test_reduce_shared(x, corpus); test_atomics(x, corpus); test_reduce_shfl(x, corpus)
    n = 1234
    a = np.arange(n, dtype=np.float32); c = x.alloc(4 * n + 64)
    run(x, corpus, "vadd", [c, x.buffer(a), x.buffer(a), (n, "<i")], ((n + 99) // 100, 1, 1), (100, 1, 1))
    assert same_bits(x.read(c, np.float32, n), a + a) and not x.read(c + 4 * n, np.uint32, 16).any()
  finally: x.close()

def test_minmax(h, corpus):
  n = 500
  rng = np.random.default_rng(12)
  a, b, c = [rng.integers(-2**31, 2**31, n, dtype=np.int64).astype(np.int32) for _ in range(3)]
  o = h.alloc(16 * n)
  run(h, corpus, "minmax", [o, h.buffer(a), h.buffer(b), h.buffer(c), (n, "<i")], (2, 1, 1), (256, 1, 1))
  s = ((a.astype(np.int64) + b) & 0xFFFFFFFF).astype(np.uint32)
  want = np.stack([np.minimum(s.view(np.int32), c), np.maximum(s.view(np.int32), c),
                   np.minimum(s, c.view(np.uint32)).view(np.int32), np.maximum((a.astype(np.int64) + 5).astype(np.int32), c)], 1)
  assert np.array_equal(h.read(o, np.int32, 4 * n).reshape(n, 4), want)

def test_dbl(h, corpus):
  """fp64 against exact rational references (fused where ptxas contracts: v*3+1, k + v*v)."""
  n = 300
  rng = np.random.default_rng(13)
  v = rng.standard_normal(n) * np.exp2(rng.integers(-40, 40, n))
  v[:13] = [0.0, -0.0, 1e-310, 0.5, -7.0, 1e300, np.inf, -np.inf, np.nan, 1.7e308, 5e-324, 1e-300, -3e-305]   # slow paths
  k = rng.integers(-2**62, 2**62, n, dtype=np.int64); k[::3] = rng.integers(-1000, 1000, len(k[::3]))
  o, oi = h.alloc(8 * 6 * n), h.alloc(8 * n)
  run(h, corpus, "dbl", [o, oi, h.buffer(v), h.buffer(k), (n, "<i")], (2, 1, 1), (256, 1, 1))
  got = h.read(o, np.float64, 6 * n).reshape(n, 6)
  from hwrt.sim.sass_ops_f64 import round_rational
  def rn(q, zero): return round_rational(q, "RN") if q != 0 else zero
  bad = []
  for i in range(n):
    x = float(v[i])
    if not np.isfinite(x):                                        # IEEE inf/NaN: float64 is exact
      X = np.float64(x)
      want = [X * 3 + 1, X / 7, np.float64(np.float32(X)), np.sqrt(abs(X)), np.float64(float(int(k[i]))) + X * X, X if X < 0.5 else -X]
      for j, w in enumerate(want):
        if not (np.isnan(w) and np.isnan(got[i, j])) and np.float64(got[i, j]).view(np.uint64) != np.float64(w).view(np.uint64):
          bad.append((i, j, x, got[i, j], w))
      continue
    fx = Fraction(x)
    want = [rn(fx * 3 + 1, 0.0), rn(fx / 7, x * 0.0), float(np.float32(x)), float(np.sqrt(abs(x))),
            rn(Fraction(float(int(k[i]))) + fx * fx, 0.0), x if x < 0.5 else -x]      # (double)k rounds first
    for j, w in enumerate(want):
      if np.float64(got[i, j]).view(np.uint64) != np.float64(w).view(np.uint64): bad.append((i, j, x, int(k[i]), got[i, j], w))
  def f2ll(x):
    y = np.float64(x) * 1e6
    return 0 if np.isnan(y) else (2**63 - 1 if y >= 2.0**63 else -2**63 if y < -2.0**63 else int(np.trunc(y)))
  want_i = [f2ll(x) for x in v]
  assert not bad, bad[:8]
  assert list(h.read(oi, np.int64, n)) == want_i

CHECKS = [test_vadd, test_saxpy, test_reduce_shared, test_reduce_shfl, test_atomics, test_matmul, test_fp16, test_branches,
          test_fpmodes, test_int64, test_local, test_minmax, test_dbl]

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
