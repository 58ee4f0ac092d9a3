"""IEEE-754 helpers for the SASS interpreter: correctly rounded fp32/fp16 arithmetic in every rounding mode, on numpy arrays.

numpy's float32 + and * are IEEE round-to-nearest-even, so plain FADD/FMUL use them directly. A fused multiply-add, a
directed rounding mode or a narrowing to fp16 is done in float64 with round-to-odd: the exact value is s + e (TwoSum,
Knuth TAOCP vol. 2 4.2.2), round-to-odd keeps the sticky bit in float64's last place, and 53 >= 2*24 + 2 makes the final
rounding to fp32 (or fp16) correct (Boldo & Melquiond, "Emulation of FMA and correctly rounded sums: proved algorithms
using rounding to odd", IEEE TC 2008). Products of two fp32 (or fp16) values are exact in float64.

NaN results of arithmetic are the canonical NaN 0x7fffffff (fp32) / 0x7fff (fp16), as NVIDIA GPUs produce them (PTX ISA,
"Floating Point Instructions": NaN payloads are not propagated)."""
import numpy as np

F32_QNAN, F16_QNAN, BF16_QNAN = np.uint32(0x7FFFFFFF), np.uint16(0x7FFF), np.uint16(0x7FFF)

def f32(bits): return np.asarray(bits, np.uint32).view(np.float32)
def bits32(x): return np.asarray(x, np.float32).view(np.uint32)

def ftz32(bits):
  """Denormal fp32 inputs/outputs flushed to a zero of the same sign (the .FTZ modifier)."""
  bits = np.asarray(bits, np.uint32)
  return np.where((bits & 0x7F800000) == 0, bits & 0x80000000, bits).astype(np.uint32)

def canon32(bits):
  bits = np.asarray(bits, np.uint32)
  return np.where((bits & 0x7FFFFFFF) > 0x7F800000, F32_QNAN, bits).astype(np.uint32)

def two_sum(a, b):
  s = a + b
  bb = s - a
  return s, (a - (s - bb)) + (b - bb)

def to_odd(s, e):
  """float64 s = RN(s+e) -> the round-to-odd value of s+e (s where exact, else the odd one of s and its neighbour)."""
  with np.errstate(invalid="ignore"):
    inexact = np.isfinite(e) & (e != 0)
  b = np.asarray(s, np.float64).copy().view(np.int64)
  fix = inexact & ((b & 1) == 0)
  if np.any(fix):
    away = (e > 0) == (np.asarray(s) > 0)        # true value is farther from zero than s
    b = np.where(fix, b + np.where(away, 1, -1), b)
  return b.view(np.float64)

def round_f64(x, mode: str, dtype=np.float32):
  """Round float64 (round-to-odd'ed when inexact) to dtype with mode RN/RZ/RM/RP."""
  with np.errstate(over="ignore", invalid="ignore"):
    r = np.asarray(x, np.float64).astype(dtype)
    if mode == "RN": return r
    back = r.astype(np.float64)
    if mode == "RZ": fix, to = np.abs(back) > np.abs(x), np.zeros_like(r)
    elif mode == "RM": fix, to = back > x, np.full_like(r, -np.inf)
    elif mode == "RP": fix, to = back < x, np.full_like(r, np.inf)
    else: raise ValueError(mode)
    return np.where(fix, np.nextafter(r, to), r)

def _fin(res, ftz):
  b = bits32(res)
  return canon32(ftz32(b) if ftz else b)

def _in(bits, ftz):
  bits = np.asarray(bits, np.uint32)
  return f32(ftz32(bits) if ftz else bits)

def _rm_zero(s, x, y):
  """IEEE 754 §6.3: rounding down, an exact zero sum of x and y is -0 unless both are +0 (float64 RN gave +0)."""
  return np.where((s == 0) & ~((x == 0) & (y == 0) & ~np.signbit(x) & ~np.signbit(y)), -0.0, s)

def fadd(a, b, mode="RN", ftz=False):
  """a, b: fp32 bit patterns (uint32) -> bit pattern of the correctly rounded sum."""
  x, y = _in(a, ftz), _in(b, ftz)
  with np.errstate(all="ignore"):
    if mode == "RN": return _fin(x + y, ftz)
    s, e = two_sum(x.astype(np.float64), y.astype(np.float64))
    if mode == "RM": s = _rm_zero(s, x, y)
    return _fin(round_f64(to_odd(s, e), mode), ftz)

def fmul(a, b, mode="RN", ftz=False):
  x, y = _in(a, ftz), _in(b, ftz)
  with np.errstate(all="ignore"):
    if mode == "RN": return _fin(x * y, ftz)
    return _fin(round_f64(x.astype(np.float64) * y, mode), ftz)      # the product is exact in float64

def ffma(a, b, c, mode="RN", ftz=False):
  """Fused a*b+c with a single rounding."""
  x, y, z = _in(a, ftz), _in(b, ftz), _in(c, ftz)
  with np.errstate(all="ignore"):
    p = x.astype(np.float64) * y
    s, e = two_sum(p, z.astype(np.float64))
    if mode == "RM": s = _rm_zero(s, p, z)
    return _fin(round_f64(to_odd(s, e), mode), ftz)

def f16(bits16): return np.asarray(bits16, np.uint16).view(np.float16)

def to_f16(x64_odd, mode="RN"):
  """float64 (round-to-odd'ed) -> fp16 bit patterns (uint16), canonical NaN."""
  r = round_f64(x64_odd, mode, np.float16).view(np.uint16)
  return np.where((r & 0x7FFF) > 0x7C00, F16_QNAN, r).astype(np.uint16)

def f32_to_f16(bits, mode="RN", ftz=False):
  x = _in(bits, ftz).astype(np.float64)       # exact; a single rounding from there
  return to_f16(x, mode)

def f32_to_bf16(bits, mode="RN"):
  b = np.asarray(bits, np.uint32).astype(np.uint64)
  if mode == "RN": r = (b + 0x7FFF + ((b >> 16) & 1)) >> 16
  elif mode == "RZ": r = b >> 16
  else:
    x = f32(bits).astype(np.float64)
    low = (b & 0xFFFF) != 0
    up = (x > 0) if mode == "RP" else (x < 0)
    r = (b >> 16) + (low & up)
  r = r.astype(np.uint32)
  nan = (np.asarray(bits, np.uint32) & 0x7FFFFFFF) > 0x7F800000
  return np.where(nan, BF16_QNAN, r & 0xFFFF).astype(np.uint16)

def to_bf16(x, mode="RN"):
  """float64 (round-to-odd'ed or exact) -> bf16 bit patterns: an fp32 round-to-odd step (truncate, set the sticky bit),
  then one rounding to bf16 (24 >= 8 + 2 bits), canonical NaN."""
  x = np.asarray(x, np.float64)
  with np.errstate(all="ignore"):
    r = round_f64(x, "RZ")
    odd = bits32(r) | np.where(np.isfinite(x) & (r.astype(np.float64) != x), np.uint32(1), np.uint32(0))
  return f32_to_bf16(odd.astype(np.uint32), mode)

def hfma(a16, b16, c16, mode="RN"):
  """fp16 fused multiply-add per half (uint16 patterns)."""
  with np.errstate(all="ignore"):
    p = f16(a16).astype(np.float64) * f16(b16).astype(np.float64)
    s, e = two_sum(p, f16(c16).astype(np.float64))
    return to_f16(to_odd(s, e), mode)

def int_to_f32(hi, lo, mode="RN"):
  """The integer hi * 2^32 + lo (hi int64; lo an integer array with |lo| < 2^32) -> fp32 bits, one rounding."""
  h = np.asarray(hi, np.int64).astype(np.float64) * 4294967296.0      # exact: |hi| < 2^32 significant bits
  l = np.asarray(lo).astype(np.float64)                                # exact: |lo| < 2^32
  s, e = two_sum(h, l)
  return bits32(round_f64(to_odd(s, e), mode))

def f32_to_int(bits, signed: bool, width: int, mode="TRUNC", ftz=False):
  """fp32 -> integer, PTX cvt.rzi/.rmi/.rpi/.rni semantics: saturating, NaN -> 0. Returns uint64 two's-complement bits."""
  return float_to_int(_in(bits, ftz).astype(np.float64), signed, width, mode)

def float_to_int(x, signed: bool, width: int, mode="TRUNC"):
  """float64 values -> integers as f32_to_int."""
  x = np.asarray(x, np.float64)
  with np.errstate(invalid="ignore"):
    r = {"TRUNC": np.trunc, "FLOOR": np.floor, "CEIL": np.ceil, "RN": np.rint}[mode](x)
    lo, top = (-(2.0 ** (width - 1)), 2.0 ** (width - 1)) if signed else (0.0, 2.0 ** width)
    nan, under, over = np.isnan(r), r < lo, r >= top
    r = np.where(nan | under | over, 0.0, r)
  big = r >= 2.0 ** 63
  v = np.where(big, (r - 2.0 ** 63).astype(np.int64).astype(np.uint64) + np.uint64(1 << 63), r.astype(np.int64).astype(np.uint64))
  mx = np.uint64((1 << (width - 1)) - 1 if signed else (1 << width) - 1)
  mn = np.uint64((-(1 << (width - 1))) & 0xFFFFFFFFFFFFFFFF if signed else 0)
  return np.where(over, mx, np.where(under, mn, v)).astype(np.uint64)
