"""Reference semantics for the SASS-interpreter tests, written from the PTX ISA's definitions (not from the interpreter):
exact IEEE arithmetic on fp16 / bf16 / fp32 values via fractions, and the integer bit operations of PTX."""
import os, sys
from fractions import Fraction
import numpy as np
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "nv_corpus"))
from fpref import round_frac   # noqa: E402

M32 = 0xFFFFFFFF

def s32(x: int) -> int: return (x & M32) - (1 << 32) if x & 0x80000000 else x & M32
def sx(x: int, bits: int) -> int:
  x &= (1 << bits) - 1
  return x - (1 << bits) if x >> (bits - 1) else x

# ---- small-float formats: bit pattern <-> value
def h2f(h: int, fmt: str) -> float:
  """fp16 / bf16 bit pattern -> Python float (inf / nan included)."""
  if fmt == "f16": return float(np.array(h, np.uint16).view(np.float16))
  return float(np.array(h << 16, np.uint32).view(np.float32))

def f2h(x, fmt: str) -> int:
  """An exactly representable value (numpy float) -> bit pattern."""
  if fmt == "f16": return int(np.array(x, np.float16).view(np.uint16))
  return int(np.array(x, np.float32).view(np.uint32)) >> 16

def isnan_h(h: int, fmt: str) -> bool: return (h & 0x7FFF) > (0x7C00 if fmt == "f16" else 0x7F80)

def ieee(kind: str, xs, fmt: str, mode: str = "RN"):
  """a+b, a*b or a*b+c of Python floats, IEEE-rounded once to fmt (f32, f16, bf16) -> numpy float; NaN for invalid."""
  if any(x != x for x in xs): return np.float32(np.nan)
  a, b = xs[0], xs[1]
  c = xs[2] if kind == "fma" else None
  with np.errstate(all="ignore"):
    if not all(np.isfinite(x) for x in xs):             # inf arithmetic is exact in float64
      r = {"add": lambda: np.float64(a) + b, "mul": lambda: np.float64(a) * b, "fma": lambda: np.float64(a) * b + c}[kind]()
      return np.float32(r)
  fa, fb = Fraction(a), Fraction(b)
  if kind == "add": q, terms = fa + fb, [(np.signbit(a), fa == 0), (np.signbit(b), fb == 0)]
  elif kind == "mul": q, terms = fa * fb, None
  else: q, terms = fa * fb + Fraction(c), [(np.signbit(a) != np.signbit(b), fa * fb == 0), (np.signbit(c), c == 0)]
  if q != 0: return round_frac(q, mode, fmt)
  if kind == "mul": return np.float32(-0.0 if np.signbit(a) != np.signbit(b) else 0.0)
  if all(z for _, z in terms): neg = all(s for s, _ in terms) if mode != "RM" else any(s for s, _ in terms)
  else: neg = mode == "RM"
  return np.float32(-0.0 if neg else 0.0)

def to_bits(v, fmt: str) -> int:
  """A numpy float holding an fmt value -> its bit pattern; NaN -> the canonical 0x7fff / 0x7fffffff."""
  if v != v: return 0x7FFFFFFF if fmt == "f32" else 0x7FFF
  if fmt == "f32": return int(np.array(v, np.float32).view(np.uint32))
  return f2h(v, fmt)

def minmax(a: int, b: int, fmt: str, want_min: bool, nan: bool) -> int:
  """IEEE 754-2008 minNum / maxNum on bit patterns with -0 < +0; nan=True: NaN if either operand is NaN."""
  na, nb = isnan_h(a, fmt), isnan_h(b, fmt)
  if na or nb:
    if nan or (na and nb): return 0x7FFF
    return b if na else a
  key = lambda h: -(h & 0x7FFF) - 1 if h >> 15 else h
  lo, hi = (a, b) if key(a) <= key(b) else (b, a)
  return lo if want_min else hi

def fcmp(op: str, x: float, y: float) -> bool:
  """PTX setp comparison: ordered (false on NaN) unless the name ends in u (true on NaN)."""
  un = x != x or y != y
  base = {"eq": x == y, "ne": x != y, "lt": x < y, "le": x <= y, "gt": x > y, "ge": x >= y}[op.rstrip("u") if op != "nu" else "eq"]
  return (base or un) if op.endswith("u") else (base and not un)

# ---- integers
def brev(x: int, bits: int = 32) -> int: return int(format(x, f"0{bits}b")[::-1], 2)
def bfind(x: int, signed: bool, bits: int = 32) -> int:
  if signed and x >> (bits - 1): x = ~x & ((1 << bits) - 1)
  return x.bit_length() - 1 if x else M32

PRMT_TABLE = {       # PTX ISA prmt: selector c[1:0] -> source byte for d.b3, d.b2, d.b1, d.b0
  "f4e": [(3, 2, 1, 0), (4, 3, 2, 1), (5, 4, 3, 2), (6, 5, 4, 3)], "b4e": [(5, 6, 7, 0), (6, 7, 0, 1), (7, 0, 1, 2), (0, 1, 2, 3)],
  "rc8": [(0, 0, 0, 0), (1, 1, 1, 1), (2, 2, 2, 2), (3, 3, 3, 3)], "ecl": [(3, 2, 1, 0), (3, 2, 1, 1), (3, 2, 2, 2), (3, 3, 3, 3)],
  "ecr": [(0, 0, 0, 0), (1, 1, 1, 0), (2, 2, 1, 0), (3, 2, 1, 0)], "rc16": [(1, 0, 1, 0), (3, 2, 3, 2), (1, 0, 1, 0), (3, 2, 3, 2)]}

def prmt(a: int, b: int, c: int, mode: str = "") -> int:
  x = (b << 32) | a
  byte = lambda i: x >> (8 * i) & 0xFF
  if mode:
    sel = PRMT_TABLE[mode][c & 3]
    return sum(byte(sel[3 - k]) << (8 * k) for k in range(4))
  r = 0
  for k in range(4):
    n = c >> (4 * k) & 0xF
    v = byte(n & 7)
    if n & 8: v = 0xFF if v & 0x80 else 0
    r |= v << (8 * k)
  return r

def bfe(a: int, pos: int, ln: int, signed: bool) -> int:
  """PTX bfe.u32 / .s32 (pos, len already in 0..255)."""
  msb = 31
  if ln == 0: sbit = 0
  elif not signed: sbit = 0
  else: sbit = a >> min(pos + ln - 1, msb) & 1
  r = 0
  for i in range(32):
    bit = a >> (pos + i) & 1 if (i < ln and pos + i <= msb) else sbit
    r |= bit << i
  return r

def bfi(f: int, b: int, pos: int, ln: int) -> int:
  r = b
  for i in range(ln):
    if pos + i > 31: break
    r = (r & ~(1 << (pos + i))) | ((f >> i & 1) << (pos + i))
  return r & M32
