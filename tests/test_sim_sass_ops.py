"""Instruction families on sim:nv, one ptxas-compiled kernel each (tests/nv_corpus: intops, cvt, half2, warp, atom2), every
output column checked bit-exact against a reference written from the PTX ISA's definition (tests/sass_refs.py).

NaN payloads are not compared (a NaN must be a NaN); where the PTX ISA leaves a zero's sign open (.relu of -0, .sat of
-0) the column skips that input and says so."""
import os, sys
from fractions import Fraction
import numpy as np
import pytest
from conftest import oracle
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "nv_corpus"))
import build   # noqa: E402
from fpref import round_frac   # noqa: E402
from sass_refs import M32, s32, sx, h2f, isnan_h, ieee, to_bits, minmax, fcmp, brev, bfind, prmt, bfe, bfi   # noqa: E402
from hwrt.sim.sass_harness import Harness   # noqa: E402

@pytest.fixture(scope="module")
def corpus(): return build.compiled_corpus(oracle, build.OPS_FILES)

@pytest.fixture
def h():
  x = Harness(); yield x; x.close()

def run(h, corpus, name, args, grid, block):
  h.launch(h.load(corpus[name][1], name), args, grid, block)

def u32s(rng, n, special=()):
  v = rng.integers(0, 2**32, n, dtype=np.uint64)
  small = rng.integers(0, 70, n, dtype=np.uint64)
  v[1::3] = small[1::3]                                     # shift counts, positions, widths in range and past it
  v[:len(special)] = special
  return v.astype(np.uint32)

def check(got, want, what):
  bad = [(i, j, hex(int(got[i][j])), hex(w)) for i, row in enumerate(want) for j, w in enumerate(row) if w is not None and int(got[i][j]) != w]
  assert not bad, f"{what}: {len(bad)} mismatches (thread, column, got, want): {bad[:8]}"

SPECIAL = [0, M32, 0x80000000, 1, 0x7FFFFFFF, 32, 31, 0x12345678]

def test_intops(h, corpus):
  n, K = 256, 48
  rng = np.random.default_rng(21)
  a, b, c = u32s(rng, n, SPECIAL), u32s(rng, n, SPECIAL[::-1]), u32s(rng, n, [0, 5, 0x3210, 0x1F08, 33, 0x7654, 64, 0xFFFF])
  o = h.alloc(4 * K * n)
  run(h, corpus, "intops", [o, h.buffer(a), h.buffer(b), h.buffer(c), (n, "<i")], (2, 1, 1), (128, 1, 1))
  got = h.read(o, np.uint32, K * n).reshape(n, K)
  want = []
  for i in range(n):
    x, y, z = int(a[i]), int(b[i]), int(c[i])
    w = ((y << 32) | x)
    dp = lambda xs, ys: sum(p * q for p, q in zip(xs, ys))
    bytes_ = lambda v, sg: [sx(v >> (8 * k), 8) if sg else v >> (8 * k) & 0xFF for k in range(4)]
    halves = lambda v, sg: [sx(v >> (16 * k), 16) if sg else v >> (16 * k) & 0xFFFF for k in range(2)]
    shl = lambda n_: ((w << n_) >> 32) & M32
    shr = lambda n_: (w >> n_) & M32
    def szext(v, n_, sg): return 0 if n_ == 0 else ((sx(v, n_) if sg else v & ((1 << n_) - 1)) & M32) if n_ < 32 else v
    lop = lambda lut: sum(((lut >> ((x >> k & 1) << 2 | (y >> k & 1) << 1 | (z >> k & 1))) & 1) << k for k in range(32))
    hmm = lambda f, sg: sum((f(halves(x, sg)[k], halves(y, sg)[k]) & 0xFFFF) << (16 * k) for k in range(2))
    row = [brev(x), bfind(x, False), bfind(x, True), (31 - bfind(x, False)) if x else M32, bin(x).count("1"), 32 - x.bit_length(),
           prmt(x, y, z), prmt(x, y, z, "f4e"), prmt(x, y, z, "b4e"), prmt(x, y, z, "rc8"), prmt(x, y, z, "ecl"), prmt(x, y, z, "ecr"),
           prmt(x, y, z, "rc16"),
           (z + dp(bytes_(x, True), bytes_(y, True))) & M32, (z + dp(bytes_(x, False), bytes_(y, False))) & M32,
           (z + dp(bytes_(x, True), bytes_(y, False))) & M32,
           (z + dp(halves(x, True), bytes_(y, True)[:2])) & M32, (z + dp(halves(x, False), bytes_(y, False)[2:])) & M32,
           shl(z & 31), shr(min(z, 32)), shl(min(z, 32)), shr(z & 31),
           bfe(x, y & 31, z & 31, False), bfe(x, y & 31, z & 31, True), bfi(x, y, z & 31, (z >> 8) & 31),
           ((1 << min(z & 63, 32)) - 1) << min(y & 63, 32) & M32, ((1 << (z & 31)) - 1) << (y & 31) & M32,
           szext(x, min(y & 63, 32), True), szext(x, y & 31, False),
           abs(s32(x)) & M32, min(s32(x), s32(y)) & M32, max(x, y), ((s32(x) * s32(y)) >> 32) & M32, (x * y) >> 32,
           (abs(x - y) + z) & M32, int(np.fmod(s32(x), s32(y | 1))) & M32 if True else None,
           lop(0x1E), lop(0xE8), lop(0x6B), bin(w).count("1"), 64 - w.bit_length(), bfind(w, True, 64),
           (brev(w, 64) >> 7) & M32, (((x * y) >> 32) + z) & M32, (sx(x, 24) * sx(y, 24)) & M32, z if x < y else 7,
           hmm(min, False), hmm(max, True)]
    want.append(row)
  check(got, want, "intops")

F_SPECIAL = [0.0, -0.0, np.nan, np.inf, -np.inf, 0.5, 1.5, 2.5, -2.5, 65504.0, 65520.0, 1e-40, 3e9, -3e9, 1e20, 255.5, 256.0,
             -129.0, 32767.5, 70000.0, -1.0, 5.9604645e-08, 1.0009765625 + 2**-11, -0.49999997, 4294967296.0, -2147483904.0]

def sat_int(v: float, lo: int, hi: int) -> int: return 0 if v != v else int(min(max(v, lo), hi))

def rnd(x: float, mode: str) -> float:
  return float({"rn": np.rint, "rz": np.trunc, "rm": np.floor, "rp": np.ceil}[mode](np.float64(x)))

def f16b(x: float, mode: str = "RN", fmt: str = "f16") -> int:
  """fp32/fp64 value -> fmt bits rounded once (NaN canonical)."""
  if x != x: return 0x7FFF
  if np.isinf(x): return 0x7C00 | (0x8000 if x < 0 else 0) if fmt == "f16" else 0x7F80 | (0x8000 if x < 0 else 0)
  r = round_frac(Fraction(float(x)), mode, fmt) if x != 0 else np.float32(x)
  return to_bits(r, fmt) if r != 0 else (0x8000 if np.signbit(x) else 0)

def satfinite(hb: int, fmt: str) -> int:
  inf = 0x7C00 if fmt == "f16" else 0x7F80
  return hb - 1 if hb & 0x7FFF == inf else hb

def test_cvt(h, corpus):
  n, K = 256, 48
  rng = np.random.default_rng(22)
  f = (rng.standard_normal(n) * np.exp2(rng.integers(-30, 40, n))).astype(np.float32)
  f[:len(F_SPECIAL)] = F_SPECIAL
  dd = rng.standard_normal(n) * np.exp2(rng.integers(-60, 70, n)); dd[:len(F_SPECIAL)] = F_SPECIAL; dd[30:33] = [1e300, -1e-310, 2.0**63]
  u = u32s(rng, n, [0, M32, 0x80000000, 0x7FFFFFFF, 0xFFFF, 0x8000, 0x7C01, 0xFF80, 16777217, 0x3C00, 200, 0xFFFFFF80])
  L = rng.integers(0, 2**64, n, dtype=np.uint64); L[:6] = [0, 2**64 - 1, 2**63, 2**53 + 1, 2**24 + 1, 2**63 - 1]
  o, o64 = h.alloc(4 * K * n), h.alloc(8 * 8 * n)
  run(h, corpus, "cvt", [o, o64, h.buffer(f), h.buffer(dd), h.buffer(u), h.buffer(L), (n, "<i")], (2, 1, 1), (128, 1, 1))
  got = h.read(o, np.uint32, K * n).reshape(n, K); g64 = h.read(o64, np.uint64, 8 * n).reshape(n, 8)
  fb = lambda v: int(np.array(v, np.float32).view(np.uint32))
  def f32r(q, mode): return fb(round_frac(Fraction(q), mode)) if q != 0 else fb(np.float32(q))
  def relu(hb): return 0 if hb >> 15 and not isnan_h(hb, "f16") else hb
  want, want64, nan_ok = [], [], set()
  for i in range(n):
    x, d, v, l = float(f[i]), float(dd[i]), int(u[i]), int(L[i])
    x3 = float(np.float32(f[i] * np.float32(3))); xb = float(np.float32(f[i] * np.float32(1e30))); x6 = float(np.float32(f[i] * np.float32(1e6)))
    ftz = 0.0 if abs(x) < 2.0 ** -126 else x
    rn_f = lambda y, m: float(np.array(y, np.float64)) if y != y else float(rnd(y, m))
    row = [sat_int(rnd(x, "rn"), -2**31, 2**31 - 1) & M32, sat_int(rnd(x, "rz"), 0, M32), sat_int(rnd(x, "rm"), -2**31, 2**31 - 1) & M32,
           sat_int(rnd(x, "rp"), 0, M32), sat_int(rnd(x, "rn"), -2**15, 2**15 - 1) & 0xFFFF, sat_int(rnd(x, "rz"), 0, 0xFFFF),
           sat_int(rnd(x, "rn"), 0, 255), sat_int(rnd(x, "rz"), -128, 127) & 0xFFFF,
           f16b(x), f16b(x, "RZ"), f16b(x, "RM"), f16b(x, "RP"), f16b(x, "RN", "bf16"), f16b(x, "RZ", "bf16"),
           fb(rn_f(x, "rn")), None if x == 0 else (0 if x != x else fb(min(max(x, 0.0), 1.0))), sat_int(rnd(ftz, "rz"), -2**31, 2**31 - 1) & M32,
           f16b(x) << 16 | f16b(x3), f16b(x, "RN", "bf16") << 16 | f16b(x3, "RN", "bf16"),
           None if x == 0 else relu(f16b(x)) << 16 | relu(f16b(-x)),
           satfinite(f16b(xb, "RN", "bf16"), "bf16") << 16 | satfinite(f16b(x, "RN", "bf16"), "bf16"),
           fb(np.float32(d)) if not np.isfinite(d) else f32r(d, "RN"), fb(np.float32(d)) if not np.isfinite(d) else f32r(d, "RZ"),
           fb(np.float32(d)) if not np.isfinite(d) else f32r(d, "RM"),
           sat_int(rnd(d, "rn"), -2**31, 2**31 - 1) & M32, sat_int(rnd(d, "rz"), 0, M32),
           f32r(s32(v), "RN"), f32r(v, "RZ"), f32r(s32(v), "RM"), f16b(s32(v)), f16b(v, "RZ"),
           fb(np.float32(sx(v, 16))), fb(np.float32(v & 0xFF)),
           f32r(sx(l, 64), "RN"), f32r(l, "RZ"), f32r(sx(l, 64), "RP"),
           min(max(s32(v), -128), 127) & M32, min(max(s32(v), 0), 0xFFFF), sx(v, 8) & M32,
           fb(np.float32(h2f(v & 0xFFFF, "f16"))), (v & 0xFFFF) << 16,
           sat_int(rnd(x, "rz"), 0, M32), max(s32(v), 0), satfinite(f16b(x6), "f16") << 16 | satfinite(f16b(x), "f16"),
           None, fb(rn_f(x, "rm")), fb(rn_f(0.0 if abs(x) < 2.0**-126 else x, "rz")) if abs(x) >= 2.0**-126 or x != x else fb(np.copysign(0.0, x)),
           fb(rn_f(x, "rp"))]
    b = fb(np.float32(x))                         # tf32, round to nearest with ties away (PTX cvt.rna.tf32.f32)
    row[44] = b if x != x or np.isinf(x) else ((b + 0x1000) & ~0x1FFF) & M32
    want.append(row)
    want64.append([sat_int(rnd(x, "rz"), -2**63, 2**63 - 1) & (2**64 - 1), sat_int(rnd(x, "rn"), 0, 2**64 - 1),
                   sat_int(rnd(d, "rz"), 0, 2**64 - 1), sat_int(rnd(d, "rm"), -2**63, 2**63 - 1) & (2**64 - 1),
                   int(np.array(np.float64(round_frac_64(sx(l, 64), "RN")), np.float64).view(np.uint64)),
                   int(np.array(np.float64(round_frac_64(l, "RZ")), np.float64).view(np.uint64)),
                   int(np.array(np.float64(v), np.float64).view(np.uint64)), int(np.array(np.float64(x), np.float64).view(np.uint64))])
    src_nan = {j: x != x for j in (8, 9, 10, 11, 12, 13, 14, 44, 45, 46, 47)}
    src_nan.update({j: d != d for j in (21, 22, 23)})
    src_nan[39], src_nan[40] = isnan_h(v & 0xFFFF, "f16"), isnan_h(v & 0xFFFF, "bf16")
    nan_ok |= {(i, j) for j, bad in src_nan.items() if bad}
    if x != x: want64[-1][7] = None
  for (i, j) in nan_ok:                                      # a NaN's payload is not checked
    g = int(got[i, j])
    is_nan = (g & 0x7FFF) > 0x7C00 if j in (8, 9, 10, 11) else (g & 0x7FFF) > 0x7F80 if j in (12, 13) else (g & 0x7FFFFFFF) > 0x7F800000
    assert is_nan, (i, j, hex(g))
    want[i][j] = None
  check(got, want, "cvt")
  check(g64, want64, "cvt 64-bit")

def round_frac_64(q: int, mode: str) -> float: return float(round_frac(Fraction(q), mode, "f64")) if q else 0.0
