"""numpy/fractions references for the generated PTX corpus (tests/ptx_corpus), from each kernel's semantics key (`sem`) as
the PTX ISA defines the instruction. `reference(k, ins)` -> {buffer: expected elements} or raises NoReference(why).

Expected values are Python ints (bit patterns of the output dtype) or None (a lane whose value PTX leaves unspecified);
a float lane whose result is NaN expects any NaN; approximate functions (`.approx`) get a Tolerance: the error bound the
PTX ISA documents for the instruction, checked against float64."""
import math, re
from fractions import Fraction
import numpy as np
from fpref import round_frac
from sass_refs import M32, sx, brev, bfind, prmt, bfe, fcmp

class NoReference(Exception): pass

class Nan:
  """Any NaN of the width."""
  def __init__(self, bits): self.bits = bits
  def ok(self, g):
    e = {16: 0x7C00, 32: 0x7F800000, 64: 0x7FF0000000000000}[self.bits]
    return (g & ((1 << (self.bits - 1)) - 1)) > e

class Tolerance:
  """|got - exact| <= rel * |exact| + abs_ (float64), or both NaN / equal infinities."""
  def __init__(self, exact, rel=0.0, abs_=0.0, dtype=np.float32): self.exact, self.rel, self.abs_, self.dtype = exact, rel, abs_, dtype
  def ok(self, g):
    x = float(np.array(g, {np.float32: np.uint32, np.float16: np.uint16, np.float64: np.uint64}[self.dtype]).view(self.dtype))
    e = self.exact
    if e != e: return x != x
    if math.isinf(e) or math.isinf(x): return x == e or (abs(e) > float(np.finfo(self.dtype).max) and math.isinf(x))
    return abs(x - e) <= self.rel * abs(e) + self.abs_

WIDTH = {"int8": 8, "uint8": 8, "int16": 16, "uint16": 16, "int32": 32, "uint32": 32, "int64": 64, "uint64": 64, "float16": 16,
         "bfloat16": 16, "float32": 32, "float64": 64, "float16x2": 32, "bfloat16x2": 32}
FMT = {"f16": "f16", "bf16": "bf16", "f32": "f32", "f64": "f64"}

def fval(bits: int, t: str) -> float:
  """Bit pattern of PTX float type t -> Python float."""
  if t == "f16": return float(np.array(bits & 0xFFFF, np.uint16).view(np.float16))
  if t == "bf16": return float(np.array((bits & 0xFFFF) << 16, np.uint32).view(np.float32))
  if t == "f32": return float(np.array(bits & M32, np.uint32).view(np.float32))
  return float(np.array(bits, np.uint64).view(np.float64))

def fbits(x, t: str, mode: str = "RN"):
  """A real (float or Fraction) rounded once to PTX float type t -> bit pattern, or Nan."""
  w = {"f16": 16, "bf16": 16, "f32": 32, "f64": 64}[t]
  if isinstance(x, float) and x != x: return Nan(w)
  if isinstance(x, float) and math.isinf(x): r = np.float64(x)
  elif x == 0: r = np.float64(x) if isinstance(x, float) else np.float64(0.0)
  else: r = np.float64(round_frac(Fraction(x), mode, "f64" if t == "f64" else t))
  if t == "f64": return int(np.array(r, np.float64).view(np.uint64))
  if t == "f32": return int(np.array(np.float32(r), np.float32).view(np.uint32))
  if t == "f16": return int(np.array(np.float16(r), np.float16).view(np.uint16))
  return int(np.array(np.float32(r), np.float32).view(np.uint32)) >> 16

def ftz(x: float, t: str) -> float:
  tiny = {"f32": 2.0 ** -126, "f64": 2.0 ** -1022, "f16": 2.0 ** -14, "bf16": 2.0 ** -126}[t]
  return math.copysign(0.0, x) if x == x and x != 0 and abs(x) < tiny else x

def arith(kind: str, xs, t: str, mode="RN"):
  """IEEE a+b / a*b / a*b+c of floats, rounded once in mode to t (zero signs per IEEE 754 §6.3) -> bits."""
  if any(x != x for x in xs): return Nan(32 if t == "f32" else 64 if t == "f64" else 16)
  if not all(math.isfinite(x) for x in xs):
    with np.errstate(all="ignore"):
      a, b = np.float64(xs[0]), np.float64(xs[1])
      r = a + b if kind == "add" else a * b if kind == "mul" else a * b + np.float64(xs[2])
    return fbits(float(r), t)
  a, b = Fraction(xs[0]), Fraction(xs[1])
  if kind == "add": q, terms = a + b, [(math.copysign(1, xs[0]) < 0, a == 0), (math.copysign(1, xs[1]) < 0, b == 0)]
  elif kind == "mul": q, terms = a * b, None
  else:
    c = Fraction(xs[2])
    q, terms = a * b + c, [((math.copysign(1, xs[0]) < 0) != (math.copysign(1, xs[1]) < 0), a * b == 0), (math.copysign(1, xs[2]) < 0, c == 0)]
  if q != 0: return fbits(q, t, mode)
  if kind == "mul": neg = (math.copysign(1, xs[0]) < 0) != (math.copysign(1, xs[1]) < 0)
  elif all(z for _, z in terms): neg = all(s for s, _ in terms) if mode != "RM" else any(s for s, _ in terms)
  else: neg = mode == "RM"
  return fbits(-0.0 if neg else 0.0, t)

def rounding(mods) -> str:
  for m in mods:
    if m in ("rn", "rz", "rm", "rp"): return m.upper()
  return "RN"

def minmax(x: float, y: float, want_min: bool, nan: bool):
  if x != x or y != y:
    if nan or (x != x and y != y): return float("nan")
    return y if x != x else x
  if x == y == 0: return (x if math.copysign(1, x) < 0 else y) if want_min else (x if math.copysign(1, x) > 0 else y)
  return min(x, y) if want_min else max(x, y)

def _w(t: str) -> int: return {"f16x2": 32, "bf16x2": 32, "bf16": 16}.get(t) or int(re.sub(r"\D", "", t) or 32)
def _signed(t: str) -> bool: return t[0] == "s"
def _wrap(v: int, t: str) -> int: return v & ((1 << _w(t)) - 1)
def _val(v: int, t: str) -> int: return sx(v, _w(t)) if _signed(t) else v & ((1 << _w(t)) - 1)

def _int_ref(sem: str, a, b, c):
  """Integer and bit instructions; a, b, c are bit patterns of the input registers."""
  base, _, imm = sem.partition("#")
  parts = base.split(".")
  if parts[0] == "prmt": return prmt(a, b, c, parts[2] if len(parts) > 2 else "")
  op, t = parts[0], parts[-1]
  mods = parts[1:-1]
  w, sg = _w(t), _signed(t)
  A = _val(a, t) if a is not None else None
  if imm and op in ("add", "mul", "shl", "shr"): b = int(imm); B = b
  else: B = _val(b, t) if b is not None else None
  if op in ("shl", "shr"): B = b if not imm else int(imm)
  C = _val(c, t) if c is not None else None
  W = lambda v: _wrap(v, t)
  if op == "add" and "sat" in mods: return W(min(max(A + B, -2**31), 2**31 - 1))
  if op == "sub" and "sat" in mods: return W(min(max(A - B, -2**31), 2**31 - 1))
  if op == "add": return W(A + B)
  if op == "sub": return W(A - B)
  if op == "mul" and "wide" in mods: return (A * B) & ((1 << 2 * w) - 1)
  if op == "mad" and "wide" in mods: return (A * B + _val(c, t[0] + str(2 * w))) & ((1 << 2 * w) - 1)
  if op == "mul" and "hi" in mods: return W((A * B) >> w)
  if op == "mul": return W(A * B)
  if op == "mad" and "hi" in mods: return W(((A * B) >> w) + C)
  if op == "mad": return W(A * B + C)
  if op == "min" and "relu" in mods: return W(max(min(A, B), 0))
  if op == "max" and "relu" in mods: return W(max(max(A, B), 0))
  if op in ("min", "max") and t.endswith("x2"):
    ht = t[0] + "16"
    f = min if op == "min" else max
    return sum((f(_val(a >> (16 * k), ht), _val(b >> (16 * k), ht)) & 0xFFFF) << (16 * k) for k in range(2))
  if op == "min": return W(min(A, B))
  if op == "max": return W(max(A, B))
  if op == "div":
    if sg and A == -(1 << (w - 1)) and B == -1: return None         # overflow: unspecified
    return W(int(A / B) if abs(A) < 2**52 and abs(B) < 2**52 else (abs(A) // abs(B)) * (1 if (A < 0) == (B < 0) else -1))
  if op == "rem":
    if sg and A == -(1 << (w - 1)) and B == -1: return None
    q = abs(A) // abs(B) * (1 if (A < 0) == (B < 0) else -1)
    return W(A - q * B)
  if op == "abs": return W(abs(A))
  if op == "neg": return W(-A)
  if op == "and": return W(a & b)
  if op == "or": return W(a | b)
  if op == "xor": return W(a ^ b)
  if op == "not": return W(~a)
  if op == "cnot": return 1 if W(a) == 0 else 0
  if op == "shl": return W(a << min(B, w))
  if op == "shr": return W((A if sg else W(a)) >> min(B, w))
  if op in ("mul24", "mad24"):
    p = _val(a, t[0] + "24") * _val(b, t[0] + "24") if sg else (a & 0xFFFFFF) * (b & 0xFFFFFF)
    r = (p >> 16) if "hi" in mods else p
    return W(r + (C if op == "mad24" else 0))
  if op == "sad": return W(abs(A - B) + C)
  if op == "bfe":
    pos, ln = b & 0xFF, c & 0xFF
    r = 0
    sbit = 0 if not sg or ln == 0 else a >> min(pos + ln - 1, w - 1) & 1
    for i in range(w): r |= (a >> (pos + i) & 1 if (i < ln and pos + i <= w - 1) else sbit) << i
    return r
  if op == "bfind":
    r = bfind(W(a), sg, w)
    if "shiftamt" in mods and r != M32: r = w - 1 - r
    return r
  if op == "popc": return bin(W(a)).count("1")
  if op == "clz": return w - W(a).bit_length()
  if op == "brev": return brev(W(a), w)
  if op == "bfi":
    pos, ln = 4, 12
    m = ((1 << ln) - 1) << pos
    return W((b & ~m) | ((a << pos) & m))
  if op == "prmt": return prmt(a, b, c, mods[-1] if mods and mods[-1] in ("f4e", "b4e", "rc8", "ecl", "ecr", "rc16") else "")
  if op == "lop3":
    lut = int(imm, 16)
    return sum(((lut >> ((a >> k & 1) << 2 | (b >> k & 1) << 1 | (c >> k & 1))) & 1) << k for k in range(32))
  if op == "shf":
    n = c & 31 if "wrap" in mods else min(c, 32)
    x = (b << 32) | a
    return ((x << n) >> 32) & M32 if "l" in mods else (x >> n) & M32
  if op in ("dp4a", "dp2a"):
    ta, tb = parts[-2], parts[-1]
    if op == "dp2a": ta, tb = parts[2], parts[3]
    else: ta, tb = parts[1], parts[2]
    by = lambda v, s_, k: sx(v >> (8 * k), 8) if s_[0] == "s" else v >> (8 * k) & 0xFF
    hw = lambda v, s_, k: sx(v >> (16 * k), 16) if s_[0] == "s" else v >> (16 * k) & 0xFFFF
    acc = sx(c, 32)
    if op == "dp4a": acc += sum(by(a, ta, k) * by(b, tb, k) for k in range(4))
    else:
      off = 0 if parts[1] == "lo" else 2
      acc += sum(hw(a, ta, k) * by(b, tb, off + k) for k in range(2))
    return acc & M32
  if op == "szext":
    n = b % 32 if "wrap" in mods else min(b, 32)
    if n == 0: return 0
    if n >= 32: return a & M32
    return (sx(a, n) if sg else a & ((1 << n) - 1)) & M32
  if op == "bmsk":
    pos, wd = (a % 32, b % 32) if "wrap" in mods else (min(a, 32), min(b, 32))
    return (((1 << wd) - 1) << pos) & M32
  raise NoReference(f"integer op {sem}")

def _int_sem(sem):
  if sem == "add.u64(cc chain)": return lambda a, b, c: (a + b) & (2**64 - 1)
  if sem == "sub.u64(cc chain)": return lambda a, b, c: (a - b) & (2**64 - 1)
  return lambda a, b, c: _int_ref(sem, a, b, c)

def _num(v: int, t: str):
  """Register bit pattern -> the value PTX compares or converts (int or float)."""
  return fval(v, t) if t in ("f16", "bf16", "f32", "f64") else _val(v, t)

CMPI = {"eq": lambda x, y: x == y, "ne": lambda x, y: x != y, "lt": lambda x, y: x < y, "le": lambda x, y: x <= y,
        "gt": lambda x, y: x > y, "ge": lambda x, y: x >= y, "lo": lambda x, y: x < y, "ls": lambda x, y: x <= y,
        "hi": lambda x, y: x > y, "hs": lambda x, y: x >= y}

def _cmp(c: str, t: str, x, y) -> bool:
  if t in ("f16", "bf16", "f32", "f64"):
    if c == "num": return x == x and y == y
    if c == "nan": return x != x or y != y
    return fcmp(c, x, y)
  return CMPI[c](x, y)

def _cmp_ref(sem: str):
  m = re.match(r"setp\.(\w+)\.(\w+)(#[-.\d]+)?\+selp$", sem)
  if m:
    c, t, imm = m.group(1), m.group(2), m.group(3)
    if imm: y = float(imm[1:]) if t[0] == "f" else int(imm[1:]); return lambda a, b, cc: int(_cmp(c, t, _num(a, t), y))
    return lambda a, b, cc: int(_cmp(c, t, _num(a, t), _num(b, t)))
  m = re.match(r"setp\.(\w+)\.(and|or|xor)\.(\w+)\(c!=0\)\+selp$", sem)
  if m:
    c, bop, t = m.groups()
    f = {"and": lambda p, q: p and q, "or": lambda p, q: p or q, "xor": lambda p, q: p != q}[bop]
    two = c == "lt"                                   # the lt kernels also write the complement predicate (bit 1)
    def r(a, b, cc):
      p = _cmp(c, t, _num(a, t), _num(b, t)); q = cc != 0
      return int(f(p, q)) | (int(f(not p, q)) << 1 if two else 0)
    return r
  m = re.match(r"set\.(\w+)\.(\w+)\.(\w+)$", sem)
  if m:
    c, dt, t = m.groups()
    one = 0x3F800000 if dt == "f32" else M32
    return lambda a, b, cc: one if _cmp(c, t, _num(a, t), _num(b, t)) else 0
  m = re.match(r"selp\.(\w+)\(c&1\)$", sem)
  if m: return lambda a, b, cc: a if cc & 1 else b
  m = re.match(r"slct\.(\w+)\.(\w+)$", sem)
  if m:
    t = m.group(2)
    def r(a, b, cc):
      x = _num(cc, t)
      if x != x: return None                           # slct with a NaN selector: unspecified
      return a if (x >= 0 if t != "f32" else x >= 0 or (x == 0)) else b
    return r
  raise NoReference(f"comparison {sem}")

INTT = ("s8", "u8", "s16", "u16", "s32", "u32", "s64", "u64")

def _rnd_int(x: float, r: str) -> int:
  return int({"rni": lambda v: round(Fraction(v)) if abs(v) < 2**60 else v, "rzi": math.trunc, "rmi": math.floor, "rpi": math.ceil}[r](x))

def _sat(v: int, t: str) -> int:
  w = _w(t)
  lo, hi = (-(1 << (w - 1)), (1 << (w - 1)) - 1) if _signed(t) else (0, (1 << w) - 1)
  return min(max(v, lo), hi)

def _cvt_ref(sem: str, out_bits: int):
  parts = sem.split(".")[1:]
  if sem == "cvt.rna.tf32.f32":
    def tf32(a, b, c):
      x = fval(a, "f32")
      if x != x or math.isinf(x): return a
      return ((a + 0x1000) & ~0x1FFF) & M32
    return tf32
  if sem.startswith("cvt.pack.sat.u8"):
    return lambda a, b, c: ((c & 0xFFFF) << 16) | (_sat(sx(a, 32), "u8") << 8) | _sat(sx(b, 32), "u8")
  if sem in ("cvt.rn.f16x2.f32", "cvt.rn.bf16x2.f32"):
    t = "bf16" if "bf16x2" in sem else "f16"
    def pack(a, b, c):
      hi, lo = fbits(fval(a, "f32"), t), fbits(fval(b, "f32"), t)
      if isinstance(hi, Nan) or isinstance(lo, Nan): return Nan16x2(hi, lo)
      return hi << 16 | lo
    return pack
  d, s = parts[-2], parts[-1]
  mods = parts[:-2]
  r = [m for m in mods if m in ("rn", "rz", "rm", "rp", "rni", "rzi", "rmi", "rpi")]
  r = r[0] if r else ""
  sat, ftz_, relu = "sat" in mods, "ftz" in mods, "relu" in mods
  ow = out_bits
  def f(a, b, c):
    if s in INTT:
      v = _val(a, s)
      if d in INTT: return (_sat(v, d) if sat else _val(_wrap(v, d), d)) & ((1 << ow) - 1)
      res = fbits(v, d, r.upper() or "RN") if v != 0 else fbits(0.0, d)
      if sat: res = fbits(min(max(fval(res, d), 0.0), 1.0), d)
      return res
    x = fval(a, s)
    if ftz_ and s == "f32": x = ftz(x, s)              # .ftz flushes fp32 subnormals (an fp16 subnormal is a normal fp32)
    if d in INTT:
      if x != x: return 0
      if math.isinf(x): return _sat(-(1 << 70) if x < 0 else 1 << 70, d) & ((1 << ow) - 1)
      return _sat(_rnd_int(x, r or "rzi"), d) & ((1 << ow) - 1)
    if r in ("rni", "rzi", "rmi", "rpi"):                # float -> integral float of the same type
      if x != x: return Nan(_w(d))
      if math.isinf(x) or x == 0: return fbits(x, d)
      y = _rnd_int(x, r)
      return fbits(math.copysign(0.0, x) if y == 0 else float(y), d)
    if x != x: return fbits(0.0, d) if sat else Nan(_w(d))      # .sat: NaN -> +0
    res = fbits(x if math.isinf(x) or x == 0 else Fraction(x), d, r.upper() or "RN") if not (math.isinf(x) or x == 0) else fbits(x, d)
    if ftz_ and d == "f32" and not isinstance(res, Nan): res = fbits(ftz(fval(res, d), d), d)
    if sat and not isinstance(res, Nan) and fval(res, d) == 0: return None     # a saturated zero's sign: not documented
    if sat and not isinstance(res, Nan): res = fbits(0.0 if fval(res, d) != fval(res, d) else min(max(fval(res, d), 0.0), 1.0), d)
    if relu and not isinstance(res, Nan) and fval(res, d) == 0: return None    # .relu of -0: the zero's sign is not documented
    if relu and not isinstance(res, Nan) and fval(res, d) < 0: res = fbits(0.0, d)
    return res
  return f

class Nan16x2:
  """Two packed halves, either of which may be any NaN."""
  def __init__(self, hi, lo): self.hi, self.lo = hi, lo
  def ok(self, g):
    return all(x.ok(gh) if isinstance(x, Nan) else x == gh for x, gh in ((self.hi, g >> 16 & 0xFFFF), (self.lo, g & 0xFFFF)))

# error bounds the PTX ISA states for the approximate instructions ("Floating Point Instructions" / "Half Precision
# Floating Point Instructions", PTX ISA 8.x): relative (rel) or absolute (abs_) error against the exact function
APPROX = {"rcp": (2.0 ** -23, 0.0), "sqrt": (2.0 ** -23, 0.0), "rsqrt": (2.0 ** -22.9, 0.0), "sin": (2.0 ** -24, 2.0 ** -20.5),
          "cos": (2.0 ** -24, 2.0 ** -20.5), "lg2": (2.0 ** -24, 2.0 ** -22.6), "ex2": (2.0 ** -22.5, 0.0), "tanh": (2.0 ** -10.987, 2.0 ** -126),
          "div": (2.0 ** -22, 0.0)}
FN = {"rcp": lambda x: 1.0 / x, "sqrt": math.sqrt, "rsqrt": lambda x: 1.0 / math.sqrt(x), "sin": math.sin, "cos": math.cos,
      "lg2": math.log2, "ex2": lambda x: 2.0 ** x, "tanh": math.tanh}

def _exactf(fn, x):
  try: return fn(x)
  except (ZeroDivisionError, OverflowError): return math.copysign(math.inf, x) if fn is FN["rcp"] or fn is FN["rsqrt"] else math.inf
  except ValueError: return math.nan

def _float_ref(sem: str, t: str):
  base, _, imm = sem.partition("#")
  parts = base.split(".")
  op, mods = parts[0], parts[1:-1]
  mode = rounding(mods)
  fz, sat = "ftz" in mods, "sat" in mods
  w = _w(t)
  F = lambda v: ftz(fval(v, t), t) if fz else fval(v, t)
  def fin(r):
    if isinstance(r, Nan): return fbits(0.0, t) if sat else r            # .sat: NaN -> +0
    if fz: r = fbits(ftz(fval(r, t), t), t)
    if sat and fval(r, t) == 0: return None                # the sign of a saturated zero is not documented
    if sat: r = fbits(min(max(fval(r, t), 0.0), 1.0), t) if fval(r, t) == fval(r, t) else fbits(0.0, t)
    if "relu" in mods and fval(r, t) < 0: r = fbits(0.0, t)
    return r
  if op in ("add", "sub", "mul", "fma"):
    def f(a, b, c):
      x = F(a)
      y = float(imm) if imm else F(b)
      if op == "sub": y = -y
      if op == "fma": return fin(arith("fma", [x, y, F(c)], t, mode))
      return fin(arith("mul" if op == "mul" else "add", [x, y], t, mode))
    return f
  if op in ("min", "max"):
    def f(a, b, c):
      x, y = F(a), F(b)
      if "xorsign" in mods:
        if x != x or y != y: return Nan(w)
        neg = (math.copysign(1, x) < 0) != (math.copysign(1, y) < 0)
        r = minmax(abs(x), abs(y), op == "min", False)
        return fbits(-r if neg else r, t)
      r = minmax(x, y, op == "min", "NaN" in mods)
      return Nan(w) if r != r else fbits(r, t)
    return f
  if op == "abs": return lambda a, b, c: Nan(w) if F(a) != F(a) else fbits(abs(F(a)), t)
  if op == "neg": return lambda a, b, c: Nan(w) if F(a) != F(a) else fbits(-F(a), t)
  if op == "copysign": return lambda a, b, c: Nan(w) if fval(b, t) != fval(b, t) else (b & ~(1 << (w - 1))) | (a & (1 << (w - 1)))
  if op == "testp":
    k = mods[0]
    def f(a, b, c):
      x = fval(a, t)
      r = {"finite": math.isfinite(x), "infinite": math.isinf(x), "number": x == x, "notanumber": x != x,
           "normal": math.isfinite(x) and (abs(x) >= 2.0 ** -126 or x == 0),      # ptxas counts +-0 as normal
           "subnormal": x != 0 and abs(x) < 2.0 ** -126}[k]
      return int(r)
    return f
  if op == "div" and "approx" not in mods and "full" not in mods:
    def f(a, b, c):
      x, y = F(a), F(b)
      if x != x or y != y or (x == 0 and y == 0) or (math.isinf(x) and math.isinf(y)): return Nan(w)
      if y == 0 or math.isinf(x): return fbits(math.copysign(math.inf, x) * math.copysign(1, y), t)
      if math.isinf(y) or x == 0: return fbits(math.copysign(0.0, x) * math.copysign(1, y), t)
      return fin(fbits(Fraction(x) / Fraction(y), t, mode))
    return f
  if op == "rcp" and "approx" not in mods:
    def f(a, b, c):
      x = F(a)
      if x != x: return Nan(w)
      if x == 0: return fbits(math.copysign(math.inf, x), t)
      if math.isinf(x): return fbits(math.copysign(0.0, x), t)
      return fin(fbits(1 / Fraction(x), t, mode))
    return f
  if op == "sqrt" and "approx" not in mods:
    def f(a, b, c):
      x = F(a)
      if x != x or x < 0: return Nan(w)
      if x == 0 or math.isinf(x): return fbits(x, t)
      q = Fraction(x)
      r = fbits(math.sqrt(x), t, "RN")                   # then step to the directed neighbour by exact squares
      if mode == "RN": return r
      v = Fraction(fval(r, t))
      if mode in ("RZ", "RM") and v * v > q: r -= 1      # the largest v with v^2 <= q
      if mode == "RP" and v * v < q: r += 1              # the smallest v with v^2 >= q
      return r
    return f
  fam = op
  if fam in APPROX and ("approx" in mods or "full" in mods):
    rel, abs_ = APPROX[fam]
    dt = {"f32": np.float32, "f16": np.float16, "f64": np.float64}[t]
    if t == "f16": rel, abs_ = max(rel, 2.0 ** -10), abs_           # f16 results: within an f16 ulp of the exact value
    if t == "f64": rel = 2.0 ** -22                                  # rsqrt.approx.f64
    def f(a, b, c):
      x = F(a)
      if fam == "div":
        y = F(b)
        if not (2.0 ** -126 <= abs(y) <= 2.0 ** 126) or not math.isfinite(x): return None   # outside the stated range
        ex = x / y
      else: ex = _exactf(FN[fam], x)
      if fz and ex == ex and ex != 0 and abs(ex) < 2.0 ** -126: return None
      return Tolerance(ex, rel * (2 if fam in ("div", "ex2") else 1), abs_ + (2.0 ** -149 if t == "f32" else 0.0), dt)
    return f
  raise NoReference(f"float op {sem}")

def _half_ref(sem: str):
  parts = sem.split(".")
  t = parts[-1]
  if t in ("f16", "bf16"): return _float_ref(sem, t)
  ht = t[:-2]
  one = _float_ref(".".join(parts[:-1] + [ht]), ht)
  def f(a, b, c):
    lo = one(a & 0xFFFF, None if b is None else b & 0xFFFF, None if c is None else c & 0xFFFF)
    hi = one(a >> 16, None if b is None else b >> 16, None if c is None else c >> 16)
    if any(isinstance(x, (Tolerance,)) or x is None for x in (lo, hi)): raise NoReference("packed approximation")
    if isinstance(lo, Nan) or isinstance(hi, Nan): return Nan16x2(hi, lo)
    return hi << 16 | lo
  return f

# ---- memory, atomics, warp collectives, mma
def _atom_op(op: str, t: str, ftz_: bool = True):
  w = _w(t)
  mask = (1 << w) - 1
  fz = (lambda x: ftz(x, t)) if ftz_ else (lambda x: x)
  if t == "f32": return lambda o, v, c=None: arith("add", [fz(fval(o, t)), fz(fval(v, t))], t)
  if t == "f64": return lambda o, v, c=None: arith("add", [fval(o, t), fval(v, t)], t)
  if t in ("f16x2", "bf16x2"):
    ht = t[:-2]
    def h2(o, v, c=None):
      lo, hi = arith("add", [fval(o & 0xFFFF, ht), fval(v & 0xFFFF, ht)], ht), arith("add", [fval(o >> 16, ht), fval(v >> 16, ht)], ht)
      return Nan16x2(hi, lo) if isinstance(lo, Nan) or isinstance(hi, Nan) else hi << 16 | lo
    return h2
  S = (lambda x: sx(x, w)) if t[0] == "s" else (lambda x: x & mask)
  return {"add": lambda o, v, c=None: (o + v) & mask, "min": lambda o, v, c=None: min(S(o), S(v)) & mask,
          "max": lambda o, v, c=None: max(S(o), S(v)) & mask, "and": lambda o, v, c=None: o & v, "or": lambda o, v, c=None: o | v,
          "xor": lambda o, v, c=None: o ^ v, "exch": lambda o, v, c=None: v, "inc": lambda o, v, c=None: 0 if o >= v else o + 1,
          "dec": lambda o, v, c=None: v if o == 0 or o > v else o - 1, "cas": lambda o, v, c=None: c if o == v else o}[op]

def _ftz_res(r, t):
  """atom.add.f32 flushes subnormal results too."""
  if t == "f32" and isinstance(r, int) and (r & 0x7F800000) == 0: return r & 0x80000000
  return r

def lanes_of(i: int): return range(i - i % 32, i - i % 32 + 32)

def shfl(vals, i, mode, bval, c):
  lane, base = i % 32, i - i % 32
  seg, clamp = c >> 8 & 0x1F, c & 0x1F
  mx, mn = (lane & seg) | (clamp & ~seg), lane & seg
  bval &= 31
  j, ok = {"up": (lane - bval, lane - bval >= mx), "down": (lane + bval, lane + bval <= mx), "bfly": (lane ^ bval, (lane ^ bval) <= mx),
           "idx": (mn | (bval & ~seg), (mn | (bval & ~seg)) <= mx)}[mode]
  return vals[base + (j if ok else lane)], ok

def _frag(kind: str, shape: str, ty: str):
  """PTX ISA fragment tables: [(word, element in word, row, col)] per lane, for A (row-major), B (col) and C/D."""
  out = []
  for lane in range(32):
    g, t = lane >> 2, lane & 3
    if kind == "C":
      per = 2 if ty == "f16" else 1
      out.append([(i // per, i % per, g + 8 * (i >= 2), 2 * t + (i & 1)) for i in range(4)])
    elif ty in ("f16", "bf16"):
      if kind == "A":
        n = 8 if shape == "m16n8k16" else 4
        out.append([(i // 2, i % 2, g + 8 * (i % 4 >= 2), 2 * t + (i & 1) + 8 * (i >= 4)) for i in range(n)])
      else:
        n = 4 if shape == "m16n8k16" else 2
        out.append([(i // 2, i % 2, 2 * t + (i & 1) + 8 * (i >= 2), g) for i in range(n)])
    else:
      if kind == "A":
        n = 16 if shape == "m16n8k32" else 8
        out.append([(i // 4, i % 4, g + 8 * (i % 8 >= 4), 4 * t + (i & 3) + 16 * (i >= 8)) for i in range(n)])
      else:
        n = 8 if shape == "m16n8k32" else 4
        out.append([(i // 4, i % 4, 4 * t + (i & 3) + 16 * (i >= 4), g) for i in range(n)])
  return out
