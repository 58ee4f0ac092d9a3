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
from hwrt.errors import Unimplemented   # noqa: E402

@pytest.fixture(scope="module")
def corpus():
  c = build.compiled_corpus(oracle, build.OPS_FILES)
  build.learn_missing_forms(c)     # forms the committed table left out (e.g. HFMA2.MMA.BF16_V2 with an immediate pair)
  return c

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

H_SPECIAL = [0x0000, 0x8000, 0x7C00, 0xFC00, 0x7E00, 0x3C00, 0xBC00, 0x0001, 0x03FF, 0x7BFF, 0x3555, 0x4248]

def halves_in(rng, n, fmt_special=H_SPECIAL):
  v = rng.integers(0, 2**32, n, dtype=np.uint64).astype(np.uint32)
  r = rng.standard_normal(2 * n).astype(np.float16).view(np.uint16).astype(np.uint32)    # ordinary values, mostly
  v[::2] = (r[:n] | (r[n:] << 16))[::2]
  k = len(fmt_special)
  v[:k] = np.array(fmt_special, np.uint32) | (np.array(fmt_special[::-1], np.uint32) << 16)
  return v

def test_half2(h, corpus):
  n, K = 256, 32
  rng = np.random.default_rng(23)
  a, b, c = halves_in(rng, n), halves_in(rng, n)[::-1].copy(), halves_in(rng, n)
  b[40:80] = a[40:80]                                      # equal operands for the comparisons and min/max ties
  o = h.alloc(4 * K * n)
  run(h, corpus, "half2", [o, h.buffer(a), h.buffer(b), h.buffer(c), (n, "<i")], (2, 1, 1), (128, 1, 1))
  got = h.read(o, np.uint32, K * n).reshape(n, K)
  want = []
  def lane(x, k): return int(x) >> (16 * k) & 0xFFFF
  def ar(kind, fmt, *xs, sat=False, relu=False):
    r = to_bits(ieee(kind, [h2f(x, fmt) for x in xs], fmt), fmt)
    if sat: r = 0 if isnan_h(r, fmt) or r >> 15 else min(r, 0x3C00 if fmt == "f16" else 0x3F80)
    if relu and r >> 15 and not isnan_h(r, fmt): r = 0
    return r
  pk = lambda f: f(0) | f(1) << 16
  nan_cols = {}
  for i in range(n):
    A, B, C = a[i], b[i], c[i]
    l = lambda k: (lane(A, k), lane(B, k), lane(C, k))
    neg = lambda x, fmt: x ^ 0x8000
    row = [pk(lambda k: ar("add", "f16", *l(k)[:2])), pk(lambda k: ar("mul", "f16", *l(k)[:2])), pk(lambda k: ar("fma", "f16", *l(k))),
           pk(lambda k: ar("add", "f16", l(k)[0], neg(l(k)[1], "f16"))), pk(lambda k: ar("add", "f16", *l(k)[:2], sat=True)),
           pk(lambda k: ar("fma", "f16", *l(k), sat=True)), pk(lambda k: ar("fma", "f16", *l(k), relu=True)),
           pk(lambda k: ar("add", "bf16", *l(k)[:2])), pk(lambda k: ar("mul", "bf16", *l(k)[:2])), pk(lambda k: ar("fma", "bf16", *l(k))),
           pk(lambda k: ar("fma", "bf16", *l(k), relu=True)),
           pk(lambda k: minmax(*l(k)[:2], "f16", True, False)), pk(lambda k: minmax(*l(k)[:2], "f16", False, False)),
           pk(lambda k: minmax(*l(k)[:2], "f16", True, True)), pk(lambda k: minmax(*l(k)[:2], "bf16", False, False)),
           pk(lambda k: minmax(*l(k)[:2], "bf16", True, False))]
    for cmp in ("lt", "equ", "ge", "neu"):
      row.append(int(fcmp(cmp, h2f(l(0)[0], "f16"), h2f(l(0)[1], "f16"))) + 2 * int(fcmp(cmp, h2f(l(1)[0], "f16"), h2f(l(1)[1], "f16"))))
    row.append(pk(lambda k: 0xFFFF if fcmp("lt", h2f(l(k)[0], "f16"), h2f(l(k)[1], "f16")) else 0))
    row.append(pk(lambda k: lane(A, k) ^ 0x8000))                                      # neg (-a + -0: NaN stays NaN)
    row.append(pk(lambda k: 0 if lane(A, k) & 0x7FFF == 0 else lane(A, k) & 0x7FFF))    # abs (|a| + -0)
    row.append(ar("fma", "f16", lane(A, 0), lane(B, 1), lane(C, 0)))
    row.append(ar("mul", "f16", lane(A, 1), lane(A, 1)))
    row.append(pk(lambda k: ar("fma", "f16", lane(B, k), lane(A, 1), lane(C, k))))
    row.append(pk(lambda k: ar("add", "bf16", l(k)[0], l(k)[1] ^ 0x8000)))
    row.append(ar("add", "bf16", lane(A, 0), lane(B, 0)))
    row.append(pk(lambda k: minmax(*l(k)[:2], "f16", False, True)))
    row.append(int(np.array(np.float32(h2f(lane(A, 1), "f16")), np.float32).view(np.uint32)))
    row.append(pk(lambda k: ar("mul", "f16", lane(A, k), (0x3C00, 0x4000)[k])))
    row.append(pk(lambda k: ar("add", "f16", lane(A, k), lane(C, k))))
    fmts = {j: "bf16" if j in (7, 8, 9, 10, 14, 15, 26, 27) else "f16" for j in range(K)}
    for j in range(K):                                      # NaN lanes: any NaN (payloads are not checked)
      if j in (16, 17, 18, 19, 20): continue
      g, w = int(got[i, j]), row[j]
      if j == 29:
        if (w & 0x7FFFFFFF) > 0x7F800000: row[j] = None if (g & 0x7FFFFFFF) > 0x7F800000 else w
        continue
      for k in range(2 if j not in (23, 24, 27) else 1):
        if isnan_h(w >> (16 * k) & 0xFFFF, fmts[j]) and isnan_h(g >> (16 * k) & 0xFFFF, fmts[j]):
          mask = 0xFFFF << (16 * k)
          w = (w & ~mask) | (g & mask)
          nan_cols[j] = nan_cols.get(j, 0) + 1
      row[j] = w
    if lane(A, 0) & 0x7FFF == 0 or lane(A, 1) & 0x7FFF == 0: row[22] = None     # |+-0| + -0: zero sign per IEEE, not checked here
    want.append(row)
  check(got, want, "half2")
  assert nan_cols.get(0, 0) > 4                             # the specials reached the NaN paths

def test_warp(h, corpus):
  n, K = 256, 24
  rng = np.random.default_rng(24)
  v = rng.integers(0, 2**32, n, dtype=np.uint64).astype(np.uint32)
  v[:32] = (v[:32] & 0x0FFFFFFF) | 0x50000000              # warp 0: match.all on the top nibble holds
  v[64:96] &= ~np.uint32(0x300)                            # warp 2: vote.uni holds
  v[96:128] |= 1                                           # warp 3: vote.all holds
  w64 = rng.integers(0, 2**64, n, dtype=np.uint64)
  o = h.alloc(4 * K * n)
  run(h, corpus, "warp", [o, h.buffer(v), h.buffer(w64), (n, "<i")], (2, 1, 1), (128, 1, 1))
  got = h.read(o, np.uint32, K * n).reshape(n, K)
  V = [int(x) for x in v]
  def shfl(i, mode, bval, c):
    lane, base = i % 32, i - i % 32
    seg, clamp = c >> 8 & 0x1F, c & 0x1F
    mx, mn = (lane & seg) | (clamp & ~seg), lane & seg
    j, ok = {"up": (lane - bval, lane - bval >= mx), "down": (lane + bval, lane + bval <= mx), "bfly": (lane ^ bval, (lane ^ bval) <= mx),
             "idx": (mn | (bval & ~seg), (mn | (bval & ~seg)) <= mx)}[mode]
    return V[base + (j if ok else lane)]
  want = []
  for i in range(n):
    W = range(i - i % 32, i - i % 32 + 32)
    C = range(i - i % 128, i - i % 128 + 128)
    bal = lambda p, lanes=W: sum(1 << (j % 32) for j in lanes if p(V[j]))
    eq = lambda f: sum(1 << (j % 32) for j in W if f(V[j]) == f(V[i]))
    allsame = len({V[j] >> 28 for j in W}) == 1
    act = [j for j in W if V[j] & 0x10]
    row = [bal(lambda x: x & 1), int(all(V[j] & 1 for j in W)), int(any(V[j] & 7 == 0 for j in W)),
           int(len({(V[j] >> 8 & 3) == 0 for j in W}) == 1), eq(lambda x: x & 3),
           bal(lambda x: True) if allsame else 0, int(allsame),
           sum(1 << (j % 32) for j in W if int(w64[j]) & 0x100000003 == int(w64[i]) & 0x100000003),
           shfl(i, "up", V[i] >> 16 & 7, 0x0800), shfl(i, "down", V[i] >> 16 & 15, 0x181F), shfl(i, "bfly", V[i] >> 20 & 31, 0x101F),
           shfl(i, "idx", V[i] >> 24 & 31, 0x1C1F), sum(V[j] for j in W) & M32, min(V[j] for j in W), max(s32(V[j]) for j in W) & M32,
           np.bitwise_xor.reduce([V[j] for j in W]), sum(V[j] & 1 for j in C), int(all(V[j] & 2 for j in C)), int(any(V[j] & 0xFF == 7 for j in C))]
    if V[i] & 0x10:
      row += [bal(lambda x: True, act), bal(lambda x: x & 0x20, act), int(all(V[j] & 0x20 for j in act)), min(s32(V[j]) for j in act) & M32]
    else: row += [0xDEAD] * 4
    row.append(V[i - i % 32 + ((i % 32) ^ 5)])
    want.append([int(x) for x in row])
  check(got, want, "warp")
  assert got[0, 6] == 1 and got[64, 3] == 1 and got[96, 1] == 1 and got[200, 6] == 0     # both outcomes were exercised

@pytest.mark.xfail(strict=True, reason="the atom2 kernel holds HFMA2.MMA.BF16_V2 with an immediate pair, which the structural sm_90 "
                   "table leaves out (bf16 immediates do not round-trip yet: issue 13)", raises=Unimplemented)
def test_atomics_all_ops(h, corpus):
  """Every atom / red operation and type on global, generic (global and shared) and shared addresses: old values and the
  memory afterwards (one thread per slot, so neither depends on thread order)."""
  n, K = 64, 22
  rng = np.random.default_rng(25)
  mem0 = rng.integers(0, 2**64, 3 * K * n, dtype=np.uint64)
  shm0 = rng.integers(0, 2**64, 2 * K * n, dtype=np.uint64)
  vals = rng.integers(0, 2**64, K * n, dtype=np.uint64)
  small = rng.integers(0, 40, K * n, dtype=np.uint64)
  vals[1::2] = small[1::2] | (vals[1::2] & np.uint64(0xFFFFFFFF00000000))        # INC/DEC bounds near the values
  f32 = (rng.standard_normal(2 * K * n) * np.exp2(rng.integers(-130, 120, 2 * K * n))).astype(np.float32).view(np.uint32)
  f16 = rng.standard_normal(4 * K * n).astype(np.float16).view(np.uint16).astype(np.uint64)
  for arr, off in ((mem0, 0), (mem0, K), (mem0, 2 * K), (shm0, 0), (shm0, K), (vals, 0)):
    s = arr.reshape(n, -1)
    s[:, off + 2] = (s[:, off + 2] & np.uint64(0xFFFFFFFF00000000)) | f32[:n].astype(np.uint64); f32 = np.roll(f32, 7)
    s[:, off + 3] = (rng.standard_normal(n) * np.exp2(rng.integers(-60, 60, n))).view(np.uint64)
    for j in (17, 21):
      s[:, off + j] = (s[:, off + j] & np.uint64(0xFFFFFFFF00000000)) | f16[:n] | (f16[n:2 * n] << np.uint64(16)); f16 = np.roll(f16, 5)
    if arr is vals: break
  for arr, off in ((mem0, 0), (mem0, K), (mem0, 2 * K), (shm0, 0), (shm0, K)):
    for j in (8, 9): arr.reshape(n, -1)[:, off + j] &= np.uint64(0xFFFFFFFF0000003F)     # INC/DEC near their bounds
  vk = vals.reshape(n, K)
  for j in (8, 9):                                          # INC / DEC bounds: below, equal to and above the old values
    vk[:, j] = rng.integers(0, 64, n, dtype=np.uint64)
    for arr, off in ((mem0, 0), (mem0, K), (mem0, 2 * K), (shm0, 0), (shm0, K)):
      arr.reshape(n, -1)[::3, off + j] = (arr.reshape(n, -1)[::3, off + j] & np.uint64(0xFFFFFFFF00000000)) | vk[::3, j]
  vk[::5, 9] = 0
  cmps = rng.integers(0, 2**64, K * n, dtype=np.uint64)
  cv = cmps.reshape(n, K)
  cv[::2, 15] = mem0.reshape(n, -1)[::2, 15]; cv[::2, 16] = mem0.reshape(n, -1)[::2, 16]  # half the CASes succeed (global)
  vm, vs = h.buffer(mem0), h.buffer(shm0)
  vr = h.alloc(8 * 3 * K * n)
  run(h, corpus, "atom2", [vm, vs, vr, h.buffer(vals), h.buffer(cmps)], (1, 1, 1), (n, 1, 1))
  mem, shm = h.read(vm, np.uint64, 3 * K * n).reshape(n, 3 * K), h.read(vs, np.uint64, 2 * K * n).reshape(n, 2 * K)
  ret = h.read(vr, np.uint64, 3 * K * n).reshape(n, 3 * K)
  V = vals.reshape(n, K)
  def f32v(x): return float(np.array(x & M32, np.uint32).view(np.float32))
  def ftz(x): return 0.0 * np.sign(x) if x == x and x != 0 and abs(x) < 2.0 ** -126 else x
  def op(j, old, v, c):
    lo, vl = old & M32, v & M32
    keep = old & ~M32 & (2**64 - 1)
    w32 = lambda r: keep | (r & M32)
    f = lambda fmt: lambda x, y: to_bits(ieee("add", [h2f(x, fmt), h2f(y, fmt)], fmt), fmt)
    h2 = lambda fn: w32(fn(lo & 0xFFFF, vl & 0xFFFF) | fn(lo >> 16, vl >> 16) << 16)
    if j == 2:
      r = ieee("add", [ftz(f32v(lo)), ftz(f32v(vl))], "f32")
      return w32(to_bits(np.float32(ftz(float(r))) if r == r else r, "f32"))
    if j == 3:
      x = float(np.float64(np.array(old, np.uint64).view(np.float64)) + np.array(v, np.uint64).view(np.float64))
      return 0x7FFFFFFFFFFFFFFF if x != x else int(np.array(x, np.float64).view(np.uint64))
    sg = lambda x: sx(x, 64)
    return {0: lambda: w32(lo + vl), 1: lambda: (old + v) & (2**64 - 1), 4: lambda: w32(min(s32(lo), s32(vl))),
            5: lambda: w32(min(lo, vl)), 6: lambda: max(sg(old), sg(v)) & (2**64 - 1), 7: lambda: min(old, v),
            8: lambda: w32(0 if lo >= vl else lo + 1), 9: lambda: w32(vl if lo == 0 or lo > vl else lo - 1),
            10: lambda: w32(lo & vl), 11: lambda: old | v, 12: lambda: w32(lo ^ vl), 13: lambda: w32(vl), 14: lambda: v,
            15: lambda: w32(vl if lo == c & M32 else lo), 16: lambda: v if old == c else old, 17: lambda: h2(f("f16")),
            18: lambda: w32(max(s32(lo), s32(vl))), 19: lambda: max(old, v), 20: lambda: old & v, 21: lambda: h2(f("bf16"))}[j]()
  width = {j: 4 for j in (0, 2, 4, 5, 8, 9, 10, 12, 13, 15, 17, 18, 21)}
  RED = [j for j in range(K) if j not in (13, 14, 15, 16)]
  bad = []
  def cmp_bits(g, w, j):
    if j == 2 and (w & 0x7FFFFFFF) > 0x7F800000: return (g & 0x7FFFFFFF) > 0x7F800000 and g >> 32 == w >> 32
    if j == 3 and (w & 2**63 - 1) > 0x7FF0000000000000: return (g & 2**63 - 1) > 0x7FF0000000000000
    if j in (17, 21):
      fmt = "f16" if j == 17 else "bf16"
      return all((isnan_h(g >> s & 0xFFFF, fmt) and isnan_h(w >> s & 0xFFFF, fmt)) or (g >> s & 0xFFFF) == (w >> s & 0xFFFF) for s in (0, 16)) \
        and g >> 32 == w >> 32
    return g == w
  for i in range(n):
    for space, init, after, r_off in (("global", mem0.reshape(n, -1)[i, :K], mem[i, :K], 0),
                                      ("generic", mem0.reshape(n, -1)[i, K:2 * K], mem[i, K:2 * K], K),
                                      ("shared", shm0.reshape(n, -1)[i, :K], shm[i, :K], 2 * K)):
      for j in range(K):
        old, v, c = int(init[j]), int(V[i, j]), int(cv[i, j])
        got_old = int(ret[i, r_off + j])
        want_old = old & M32 if width.get(j) == 4 else old
        if got_old != want_old: bad.append((space, i, j, "old", hex(got_old), hex(want_old)))
        w = op(j, old, v, c)
        if not cmp_bits(int(after[j]), w, j): bad.append((space, i, j, "mem", hex(int(after[j])), hex(w)))
    for space, init, after in (("red global", mem0.reshape(n, -1)[i, 2 * K:], mem[i, 2 * K:]),
                               ("red generic shared", shm0.reshape(n, -1)[i, K:], shm[i, K:])):
      for j in RED:
        w = op(j, int(init[j]), int(V[i, j]), 0)
        if not cmp_bits(int(after[j]), w, j): bad.append((space, i, j, hex(int(after[j])), hex(w)))
  assert not bad, f"{len(bad)} mismatches: {bad[:8]}"
