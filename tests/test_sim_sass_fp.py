"""The interpreter's floating-point core (sim/sass_fp.py) against exact rational references (tests/nv_corpus/fpref.py):
every rounding mode, flush-to-zero, fused multiply-add, fp16/bf16 narrowing, int<->float conversions with saturation."""
import os, sys
from fractions import Fraction
import numpy as np
import pytest
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "nv_corpus"))
from fpref import round_frac   # noqa: E402
from hwrt.sim import sass_fp as F   # noqa: E402

MODES = ("RN", "RZ", "RM", "RP")

def operands(n, seed, lo=-140, hi=128):
  rng = np.random.default_rng(seed)
  v = (rng.standard_normal(n) * np.exp2(rng.integers(lo, hi, n))).astype(np.float32)
  v[:12] = [0.0, -0.0, 1e-45, -1e-45, 1.1754942e-38, 1.0, -1.0, 3.4028235e38, -3.4028235e38, 2.0 ** -24, 0.5, 1.5]
  return v

def flush(v, ftz): return np.float32(np.copysign(0.0, v)) if ftz and v != 0 and abs(v) < 2.0 ** -126 else v

def exact(kind, a, b, c, mode, ftz):
  """The IEEE result of a+b, a*b or a*b+c in mode (inputs and output flushed with ftz), zero signs per IEEE 754 §6.3."""
  a, b, c = flush(a, ftz), flush(b, ftz), flush(c, ftz)
  fa, fb, fc = Fraction(float(a)), Fraction(float(b)), Fraction(float(c))
  if kind == "add": terms, q = [(a, fa), (b, fb)], fa + fb
  elif kind == "mul": terms, q = None, fa * fb
  else: terms, q = [(None, fa * fb), (c, fc)], fa * fb + fc
  if q == 0:
    if kind == "mul": neg = np.signbit(a) != np.signbit(b)
    else:
      signs = [np.signbit(a) != np.signbit(b) if t is None else np.signbit(t) for t, _ in terms]
      zeros = [f == 0 for _, f in terms]
      neg = (all(signs) if mode != "RM" else any(signs)) if all(zeros) else mode == "RM"
    return np.float32(-0.0 if neg else 0.0)
  return flush(round_frac(q, mode), ftz)

@pytest.mark.parametrize("kind", ["add", "mul", "fma"])
@pytest.mark.parametrize("ftz", [False, True])
def test_arith_all_modes(kind, ftz):
  n = 400
  a, b, c = operands(n, 1), operands(n, 2), operands(n, 3)
  if kind == "add": b = np.where(np.arange(n) % 3 == 0, -a, b).astype(np.float32)          # exact cancellations
  if kind == "fma":                                                                            # near-cancellations
    p = -(a[::4].astype(np.float64) * b[::4])
    c[::4] = np.where(np.abs(p) < 3e38, p, c[::4]).astype(np.float32)
  for mode in MODES:
    fn = {"add": lambda: F.fadd(F.bits32(a), F.bits32(b), mode, ftz), "mul": lambda: F.fmul(F.bits32(a), F.bits32(b), mode, ftz),
          "fma": lambda: F.ffma(F.bits32(a), F.bits32(b), F.bits32(c), mode, ftz)}[kind]
    got = F.f32(fn())
    for i in range(n):
      w = exact(kind, a[i], b[i], c[i], mode, ftz)
      assert F.bits32(got[i]) == F.bits32(w), (kind, mode, ftz, a[i], b[i], c[i], got[i], w)

def test_nan_results_are_canonical():
  inf, nan = F.bits32(np.float32(np.inf)), np.uint32(0x7FC01234)
  assert F.fadd(np.array([inf]), np.array([inf ^ np.uint32(0x80000000)]))[0] == 0x7FFFFFFF
  assert F.fmul(np.array([nan]), np.array([F.bits32(np.float32(1))]))[0] == 0x7FFFFFFF
  assert F.ffma(np.array([F.bits32(np.float32(0))]), np.array([inf]), np.array([inf]), "RZ")[0] == 0x7FFFFFFF

@pytest.mark.parametrize("mode", MODES)
def test_narrowing_to_f16_and_bf16(mode):
  x = operands(1500, 4, -30, 20)
  h = F.f16(F.f32_to_f16(F.bits32(x), mode)); b = F.f32(F.f32_to_bf16(F.bits32(x), mode).astype(np.uint32) << 16)
  for i in range(len(x)):
    q = Fraction(float(x[i]))
    wh, wb = round_frac(q, mode, "f16"), round_frac(q, mode, "bf16")
    assert h[i] == wh and np.signbit(h[i]) == np.signbit(x[i]) or (q == 0 and h[i] == 0), (mode, x[i], h[i], wh)
    assert b[i] == wb or (q == 0 and b[i] == 0), (mode, x[i], b[i], wb)

@pytest.mark.parametrize("mode", MODES)
def test_half_fma(mode):
  rng = np.random.default_rng(5)
  a, b, c = [(rng.standard_normal(800) * np.exp2(rng.integers(-12, 8, 800))).astype(np.float16) for _ in range(3)]
  got = F.f16(F.hfma(a.view(np.uint16), b.view(np.uint16), c.view(np.uint16), mode))
  for i in range(len(a)):
    q = Fraction(float(a[i])) * Fraction(float(b[i])) + Fraction(float(c[i]))
    if q != 0: assert got[i] == round_frac(q, mode, "f16"), (mode, a[i], b[i], c[i], got[i])

@pytest.mark.parametrize("mode", MODES)
def test_int_to_float(mode):
  rng = np.random.default_rng(6)
  v = [int(x) for x in rng.integers(-2**63, 2**63, 300, dtype=np.int64)] + [2**64 - 1, 2**63 + 2**39 + 1, -2**31, 2**31 - 1, 16777217, -16777219, 0]
  v += [int(x) for x in rng.integers(0, 2**26, 100)]
  hi = np.array([x >> 32 for x in v], np.int64); lo = np.array([x & 0xFFFFFFFF for x in v], np.int64)
  got = F.f32(F.int_to_f32(hi, lo, mode))
  for x, g in zip(v, got): assert g == round_frac(Fraction(x), mode), (mode, x, g)

@pytest.mark.parametrize("signed,width", [(True, 32), (False, 32), (True, 64), (False, 64)])
def test_float_to_int_saturates(signed, width):
  x = np.concatenate([operands(500, 7, -4, 70), np.array([np.nan, np.inf, -np.inf, 2.0**31, -2.0**31, 2.0**63, 2.0**64, -0.5, 2.5, -2.5], np.float32)])
  lo, hi = (-(2 ** (width - 1)), 2 ** (width - 1) - 1) if signed else (0, 2 ** width - 1)
  for mode, fn in (("TRUNC", np.trunc), ("FLOOR", np.floor), ("CEIL", np.ceil), ("RN", np.rint)):
    got = F.f32_to_int(F.bits32(x), signed, width, mode)
    for v, g in zip(x, got):
      w = 0 if np.isnan(v) else min(max(int(fn(np.float64(v))) if np.isfinite(v) else (hi if v > 0 else lo), lo), hi)
      assert int(g) == w % 2 ** 64, (signed, width, mode, v, int(g), w)

@pytest.mark.parametrize("kind", ["add", "mul", "fma"])
def test_fp64_all_modes(kind):
  """fp64 add/mul/fma (vectorised error-free transformations, rational fallback) against exact rationals."""
  from hwrt.sim.sass_ops_f64 import exact_op, round_rational
  rng = np.random.default_rng(20)
  n = 3000
  a, b, c = [rng.standard_normal(n) * np.exp2(rng.integers(-1100, 1000, n) * (rng.random(n) < 0.1) + rng.integers(-60, 60, n))
             for _ in range(3)]
  a, b, c = [np.where(np.isfinite(v), v, 1.5) for v in (a, b, c)]
  a[:8] = [0.0, -0.0, 5e-324, 1.7e308, 1.0, 3.0, -2.0 ** -1000, 1e-300]; b[:8] = [-0.0, 2.0, 0.5, 2.0, 1.0 + 2.0 ** -52, 1.0 / 3, 2.0 ** -30, 1e-20]
  if kind == "add": b[::3] = -a[::3]
  if kind == "fma":
    with np.errstate(all="ignore"): p = a[::3] * b[::3]
    c[::3] = np.where(np.isfinite(p), -p, c[::3])                 # near-cancellation: the fused result is the product's error
  for mode in ("RN", "RZ", "RM", "RP"):
    got = exact_op(kind, a, b, c, mode)
    for i in range(n):
      x, y, z = Fraction(float(a[i])), Fraction(float(b[i])), Fraction(float(c[i]))
      q = {"add": x + y, "mul": x * y, "fma": x * y + z}[kind]
      if q == 0: continue                                           # zero signs: covered by the fp32 tests' rules
      w = round_rational(q, mode)
      assert got[i] == w, (kind, mode, a[i], b[i], c[i], got[i], w)
