"""Exact floating-point references for the SASS-interpreter tests: a rational rounded to a binary format with a rounding
mode, by comparing exact distances (Python fractions); independent of numpy's and the interpreter's arithmetic."""
from fractions import Fraction
import numpy as np

FMT = {"f32": (24, -126, 127, np.float32), "f16": (11, -14, 15, np.float16), "bf16": (8, -126, 127, np.float32),
       "f64": (53, -1022, 1023, np.float64)}
# significand bits, min normal exponent, max exponent, numpy type holding the result (bf16 values are exact in float32)

def round_frac(q: Fraction, mode: str = "RN", fmt: str = "f32"):
  """q rounded to fmt (RN ties-to-even, RZ, RM, RP), overflow to inf or the largest finite value as IEEE 754 says."""
  p, emin, emax, dtype = FMT[fmt]
  if q == 0: return dtype(0.0)
  neg = q < 0
  a = -q if neg else q
  e = max(emin, a.numerator.bit_length() - a.denominator.bit_length())
  while Fraction(2) ** e > a and e > emin: e -= 1
  while Fraction(2) ** (e + 1) <= a: e += 1
  ulp = Fraction(2) ** (max(e, emin) - (p - 1))
  k, rem = divmod(a, ulp)
  k = int(k)
  down, up = k, k + 1
  if rem == 0: m = k
  elif mode == "RN": m = up if rem * 2 > ulp or (rem * 2 == ulp and k & 1) else down
  elif mode == "RZ": m = down
  elif mode == "RM": m = up if neg else down
  else: m = down if neg else up
  v = m * ulp
  big = (2 - Fraction(2) ** (1 - p)) * Fraction(2) ** emax
  if v > big:
    to_inf = mode == "RN" or (mode == "RP" and not neg) or (mode == "RM" and neg)
    v = None if to_inf else big
  r = dtype(np.inf) if v is None else dtype(float(v))
  return dtype(-r) if neg else r
