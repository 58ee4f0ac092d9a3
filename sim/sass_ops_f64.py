"""fp64 SASS instructions (DADD, DMUL, DFMA, DSETP, DMNMX, MUFU.RCP64H/RSQ64H) for the interpreter.

A double lives in a register pair (low word in the even register). Round-to-nearest DADD/DMUL are numpy float64 (IEEE);
a directed rounding mode or a fused DFMA is exact: lanes with finite operands get the exact rational result rounded once
(Python integers), other lanes (inf, NaN) take the IEEE float64 result, which is exact there. Zero results follow IEEE 754
§6.3 for their sign. MUFU.RCP64H / RSQ64H are approximations on the hardware (the high word of 1/x, 1/sqrt(x) from the
high word of x); here the high word of the correctly rounded value, and ptxas' Newton steps (DFMA) refine it."""
import math
from fractions import Fraction
import numpy as np
from hwrt.sim import sass_fp as F
from hwrt.sim.sass_ops import handler, pval, pair, wpair, plain, unimpl, CMP, BOOL, float_setp

ROUND = ("RN", "RZ", "RM", "RP")
DBL_MAX = np.finfo(np.float64).max

def dval(op, d, o):
  """fp64 operand as float64 array: a register pair, or an immediate holding the high 32 bits; -x / |x| on the sign."""
  plain(op, o)
  if o.type == "fimm": b = np.uint64((o.value & 0xFFFFFFFF) << 32)
  elif o.type in ("reg", "ureg"): b = pair(op, d, o)
  else: raise unimpl(op, f"operand {o.shape}")
  b = np.asarray(b, np.uint64)
  if o.abs: b = b & np.uint64(0x7FFFFFFFFFFFFFFF)
  if o.shape.startswith("-"): b = b ^ np.uint64(1 << 63)
  return np.broadcast_to(b, (d.n,)).view(np.float64)

def round_rational(q: Fraction, mode: str) -> float:
  """A non-zero rational rounded once to float64 (subnormals and overflow included)."""
  neg = q < 0
  n, den = abs(q.numerator), q.denominator
  e = n.bit_length() - den.bit_length()
  if (n << max(0, -e)) < (den << max(0, e)): e -= 1           # now 2^e <= |q| < 2^(e+1)
  sh = max(e, -1022) - 52                                      # exponent of one ulp
  num, dd = (n, den << sh) if sh >= 0 else (n << -sh, den)
  k, r = divmod(num, dd)
  if r:
    up = {"RN": 2 * r > dd or (2 * r == dd and k & 1), "RZ": False, "RM": neg, "RP": not neg}[mode]
    k += up
  try: v = math.ldexp(k, sh)
  except OverflowError: v = math.inf
  if v > DBL_MAX:
    v = math.inf if mode == "RN" or (mode == "RP" and not neg) or (mode == "RM" and neg) else DBL_MAX
  return -v if neg else v

def _zero_sign(signs_and_zero, mode):
  """IEEE 754 §6.3 sign of an exact zero sum: -0 when every term is a -0 (or any term, rounding down); after cancellation
  +0, or -0 rounding down."""
  zs = [(s, z) for s, z in signs_and_zero]
  if all(z for _, z in zs): neg = all(s for s, _ in zs) if mode != "RM" else any(s for s, _ in zs)
  else: neg = mode == "RM"
  return -0.0 if neg else 0.0

def _split(a):
  c = 134217729.0 * a                         # Veltkamp: 2^27 + 1
  hi = c - (c - a)
  return hi, a - hi

def two_prod(a, b):
  """Dekker: p + e = a*b exactly (no fma needed) when nothing overflows or underflows."""
  p = a * b
  ah, al = _split(a); bh, bl = _split(b)
  return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl

def _directed(s, e, mode):
  """s = RN(x), e = x - s exactly -> x rounded with the directed mode."""
  if mode == "RM": fix, to = e < 0, -np.inf
  elif mode == "RP": fix, to = e > 0, np.inf
  else: fix, to = (e != 0) & ((e > 0) != (s > 0)), 0.0
  return np.where(fix, np.nextafter(s, to), s)

def _safe(*xs, lo=2.0 ** -900, hi=2.0 ** 990):
  """Lanes whose values keep Dekker/TwoSum exact: zero or lo <= |x| <= hi."""
  ok = True
  for x in xs: ok = ok & ((x == 0) | ((np.abs(x) >= lo) & (np.abs(x) <= hi)))
  return ok

def exact_op(kind, a, b, c, mode):
  """a+b, a*b or a*b+c (float64 arrays) rounded once with mode: vectorised error-free transformations where the
  magnitudes allow (TwoSum, Dekker's product, Boldo-Melquiond's FMA emulation with round-to-odd, IEEE TC 2008),
  exact rationals per lane elsewhere."""
  with np.errstate(all="ignore"):
    ieee = {"add": lambda: a + b, "mul": lambda: a * b, "fma": lambda: a * b + c}[kind]()
    out = np.array(ieee, np.float64)
    fin = np.isfinite(a) & np.isfinite(b) & (np.isfinite(c) if kind == "fma" else True)
    if kind in ("add", "mul") and mode == "RN": return out
    nz = lambda x: x != 0
    if kind == "add":
      s, e = F.two_sum(a, b)
      fast = fin & _safe(a, b, lo=0.0) & np.isfinite(s) & nz(s)
      out = np.where(fast, _directed(s, e, mode), out)
    elif kind == "mul":
      p, e = two_prod(a, b)
      fast = fin & _safe(a, b) & _safe(p) & nz(p)
      out = np.where(fast, _directed(p, e, mode), out)
    elif mode == "RN":
      uh, ul = two_prod(a, b)
      th, tl = F.two_sum(c, uh)
      v = F.to_odd(*F.two_sum(tl, ul))
      z = th + v
      fast = fin & _safe(a, b) & _safe(uh, c, th) & nz(uh) & nz(z) & np.isfinite(z)
      out = np.where(fast, z, out)
    else: fast = np.zeros_like(fin)
  for i in np.flatnonzero(fin & ~fast):
    x, y = Fraction(float(a[i])), Fraction(float(b[i]))
    if kind == "add": q, terms = x + y, [(np.signbit(a[i]), x == 0), (np.signbit(b[i]), y == 0)]
    elif kind == "mul": q, terms = x * y, None
    else:
      p = x * y
      q, terms = p + Fraction(float(c[i])), [(np.signbit(a[i]) != np.signbit(b[i]), p == 0), (np.signbit(c[i]), c[i] == 0)]
    if q != 0: out[i] = round_rational(q, mode)
    elif kind == "mul": out[i] = -0.0 if np.signbit(a[i]) != np.signbit(b[i]) else 0.0
    else: out[i] = _zero_sign(terms, mode)
  return out

def _canon(x):
  """Canonical fp64 NaN (0x7fffffff_ffffffff high word first, as the fp32 one)."""
  b = np.asarray(x, np.float64).view(np.uint64)
  return np.where(np.isnan(x), np.uint64(0x7FFFFFFFFFFFFFFF), b).astype(np.uint64)

def _mode(op):
  r = [m for m in op.mods if m in ROUND]
  return r[0] if r else "RN"

@handler("DADD", mods=ROUND)
def op_dadd(st, op, d):
  dst, a, b = op.ops
  x, y = dval(op, d, a), dval(op, d, b)
  wpair(d, dst.value, _canon(exact_op("add", x, y, None, _mode(op))))

@handler("DMUL", mods=ROUND)
def op_dmul(st, op, d):
  dst, a, b = op.ops
  wpair(d, dst.value, _canon(exact_op("mul", dval(op, d, a), dval(op, d, b), None, _mode(op))))

@handler("DFMA", mods=ROUND)
def op_dfma(st, op, d):
  dst, a, b, c = op.ops
  wpair(d, dst.value, _canon(exact_op("fma", dval(op, d, a), dval(op, d, b), dval(op, d, c), _mode(op))))

DCMP = {**CMP, "NUM": None, "NAN": None, **{k + "U": v for k, v in CMP.items()}, "MIN": None, "MAX": None}

@handler("DSETP", mods=tuple(DCMP) + tuple(BOOL))
def op_dsetp(st, op, d):
  cmp = [m for m in op.ins.mods if m in DCMP]; bop = [m for m in op.ins.mods if m in BOOL]
  if len(cmp) != 1 or len(bop) != 1 or len(op.ops) != 5: raise unimpl(op, "comparison")
  pd, pq, a, b, pc = op.ops
  x, y = dval(op, d, a), dval(op, d, b)
  if cmp[0] in ("MIN", "MAX"):
    # DSETP.MAX / MIN p, q, a, b, PT: ptxas lowers max.f64 / min.f64 d, a, b to it plus `d = p ? a : b; @q d.hi = b.hi |
    # quiet bit`: p says a is the IEEE maxNum / minNum choice (b NaN -> a; a NaN -> b; -0 < +0), q that both are NaN,
    # which gives PTX's max/min. Only that use (combined with PT) is modelled.
    if not (pc.value == 7 and not pc.not_) or bop[0] != "AND": raise unimpl(op, "DSETP.MIN/MAX with a predicate input")
    na, nb = np.isnan(x), np.isnan(y)
    ka, kb = np.signbit(x), np.signbit(y)
    if cmp[0] == "MAX": better = (x > y) | ((x == y) & ~ka)
    else: better = (x < y) | ((x == y) & ka)
    d.wpred(pd.value, nb | (~na & better)); d.wpred(pq.value, na & nb)
    return
  float_setp(d, DCMP, cmp[0], x, y, bop[0], pd, pq, pc)

def mufu64(op, d, fn):
  """MUFU.RCP64H / RSQ64H: high word in, high word out (the operand is the high word of a double with a zero low word)."""
  dst, a = op.ops
  if a.type in ("fimm", "imm") and a.shape in ("{F}", "{I}"): hi = np.uint64(a.value & 0xFFFFFFFF)    # the high word itself
  elif a.type == "reg" and a.shape in ("{R}", "-{R}", "|{R}|", "-|{R}|"): hi = np.asarray(d.reg(a.value), np.uint32).astype(np.uint64)
  else: raise unimpl(op, f"operand {a.shape}")
  if a.abs: hi = hi & np.uint64(0x7FFFFFFF)
  if a.shape.startswith("-"): hi = hi ^ np.uint64(0x80000000)
  x = np.broadcast_to(hi << np.uint64(32), (d.n,)).view(np.float64)
  with np.errstate(all="ignore"): r = fn(x)
  d.wreg(dst.value, (_canon(r) >> np.uint64(32)).astype(np.uint32))
