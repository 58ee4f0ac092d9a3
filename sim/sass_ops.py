"""Semantics of sm_90 SASS instructions for the interpreter in sass_exec.py: one handler per opcode, vectorised with numpy.

A handler runs for a set of threads (TDom) or, for uniform-datapath instructions (UIADD3, ULDC, ...), for a set of warps
(UDom); the same integer code serves both. Each handler names the modifiers it implements; any other modifier, or an
operand shape it does not read, raises Unimplemented at execution time ("unimplemented SASS instruction X at pc 0x..").
`EXECUTED` counts executions per form (opcode with modifiers, operand shapes) for coverage checks.
Where the hardware behaviour is not documented (IADD3's two carry outputs, HADD2.F32), the choice is stated at the
handler and checked against ptxas output by the corpus tests in tests/test_sim_sass_corpus.py."""
import time
from collections import Counter
import numpy as np
from hwrt.errors import GPUFault, Unimplemented
from hwrt.sim import sass_fp as F
from hwrt.sim.sass_exec import Op, TDom, UDom, ALL, DEAD, unimpl

M32 = np.uint64(0xFFFFFFFF)
EXECUTED: Counter = Counter()
HANDLERS: dict = {}
UNIFORM_OK = {"MOV", "IADD3", "LEA", "LOP3", "SHF", "SEL", "ISETP", "PRMT", "FLO", "POPC", "PLOP3", "IMAD", "LDC", "BREV", "IABS", "VIADD"}
HINTS = {"E", "EU", "STRONG", "GPU", "SYS", "SM", "CTA", "CONSTANT", "EF", "EL", "LU", "EN", "NA", "WEAK", "PRIVATE", "ZFILL", "LTC64B",
         "LTC128B", "LTC256B", "MMIO", "DEFER_BLOCKING", "REUSE"}

def handler(*names, mods=()):
  def reg(fn):
    for n in names: HANDLERS[n] = (fn, set(mods))
    return fn
  return reg

def bind(ins, pc) -> Op:
  name = ins.name
  uniform = False
  if name not in HANDLERS and name.startswith("U") and name[1:] in UNIFORM_OK: name, uniform = name[1:], True
  op = Op(ins, pc, None, uniform, name)
  key = (ins.opcode, tuple(o.shape for o in ins.operands))
  ent = HANDLERS.get(name)
  if ent is None or not set(ins.mods) <= ent[1] | HINTS:
    why = "no handler" if ent is None else f"modifiers {'.'.join(sorted(set(ins.mods) - ent[1] - HINTS))}"
    def fn(st, op, ix, why=why): raise unimpl(op, why)
  else:
    h = ent[0]
    if uniform:
      def fn(st, op, ix, h=h, key=key): EXECUTED[key] += 1; h(st, op, UDom(st, st.warps_of(ix)))
    else:
      def fn(st, op, ix, h=h, key=key): EXECUTED[key] += 1; h(st, op, TDom(st, ix))
  op.fn = fn
  return op

# ---------------------------------------------------------------- operand helpers
def core(o) -> str:
  s = o.shape
  if s.startswith("-") or s.startswith("~") or s.startswith("!"): s = s[1:]
  if s.startswith("|") and s.endswith("|"): s = s[1:-1]
  return s

def plain(op, o, extra=()):
  c = core(o)
  if c in ("{R}", "{UR}", "{I}", "{F}", "{P}", "{UP}") or c.startswith("c[") or c in extra: return c
  raise unimpl(op, f"operand {o.shape}")

def ival(op, d, o):
  """32-bit integer operand with - (two's complement), ~ (not), |x| applied -> uint32."""
  plain(op, o)
  v = np.asarray(d.src(op, o), np.uint32)
  if o.abs: v = np.abs(v.view(np.int32)).view(np.uint32)
  if o.shape.startswith("-"): v = (~v + np.uint32(1)).astype(np.uint32)
  elif o.shape.startswith("~"): v = ~v
  return v

def fval(op, d, o):
  """fp32 operand bit pattern with -x / |x| as sign-bit operations."""
  plain(op, o)
  v = np.asarray(d.src(op, o), np.uint32)
  if o.abs: v = v & np.uint32(0x7FFFFFFF)
  if o.shape.startswith("-"): v = v ^ np.uint32(0x80000000)
  return v

def pval(d, o): return np.asarray(d.pred(o))

def pair(op, d, o):
  """64-bit value of a register pair (or a 32-bit immediate zero-extended)."""
  plain(op, o)
  if o.type == "reg":
    if o.value == 255: return np.uint64(0)
    return d.reg(o.value).astype(np.uint64) | (d.reg(o.value + 1).astype(np.uint64) << np.uint64(32))
  if o.type == "ureg":
    if o.value == 63: return np.uint64(0)
    return np.asarray(d.ureg(o.value)).astype(np.uint64) | (np.asarray(d.ureg(o.value + 1)).astype(np.uint64) << np.uint64(32))
  if o.type in ("imm",): return np.uint64(o.value & 0xFFFFFFFFFFFFFFFF)
  raise unimpl(op, f"64-bit operand {o.shape}")

def wpair(d, n, v):
  v = np.asarray(v, np.uint64)
  d.wreg(n, (v & M32).astype(np.uint32))
  if n != (63 if d.uniform else 255): d.wreg(n + 1, (v >> np.uint64(32)).astype(np.uint32))

def split(ops, kinds=("pred", "upred")):
  """(destination, leading predicate outputs, rest)"""
  i = 1
  while i < len(ops) and ops[i].type in kinds: i += 1
  return ops[0], ops[1:i], ops[i:]

def s32(v): return np.asarray(v, np.uint32).view(np.int32)

# ---------------------------------------------------------------- moves, constants, special registers
@handler("MOV")
def op_mov(st, op, d):
  if len(op.ops) == 3 and not (op.ops[2].type == "imm" and op.ops[2].value == 0xF): raise unimpl(op, "MOV with a lane mask")
  d.wreg(op.ops[0].value, ival(op, d, op.ops[1]))

@handler("LDC", mods=("64", "U8", "S8", "U16", "S16"))
def op_ldc(st, op, d):
  dst, src = op.ops
  if "64" in op.mods: wpair(d, dst.value, st.cread(op, src, d, 8)); return
  v = st.cread(op, src, d, 4)
  if "U8" in op.mods or "S8" in op.mods or "U16" in op.mods or "S16" in op.mods:
    raise unimpl(op, "sub-word constant loads")
  d.wreg(dst.value, v)

def _sr(st, op, name, ix):
  tid = st.tid
  if name.startswith("SR_TID."): return tid["XYZ".index(name[-1])][ix]
  if name.startswith("SR_CTAID."): return st.ctaid_cta["XYZ".index(name[-1])][st.cta[ix]]
  if name == "SR_LANEID": return st.lane[ix]
  if name == "SR_TID": return tid[0][ix] | (tid[1][ix] << np.uint32(16)) | (tid[2][ix] << np.uint32(26))
  lane = st.lane[ix].astype(np.uint64)
  masks = {"SR_EQMASK": np.uint64(1) << lane, "SR_LTMASK": (np.uint64(1) << lane) - np.uint64(1),
           "SR_LEMASK": (np.uint64(2) << lane) - np.uint64(1)}
  masks["SR_GTMASK"] = ~masks["SR_LEMASK"]; masks["SR_GEMASK"] = ~masks["SR_LTMASK"]
  if name in masks: return (masks[name] & M32).astype(np.uint32)
  if name == "SR_SWINHI": return np.uint32(st.launch.shared_window >> 32)
  if name == "SR_SWINLO": return np.uint32(st.launch.shared_window & 0xFFFFFFFF)
  if name == "SR_LWINHI": return np.uint32(st.launch.local_window >> 32)
  if name == "SR_LWINLO": return np.uint32(st.launch.local_window & 0xFFFFFFFF)
  if name in ("SR_CgaCtaId", "SR_VIRTUALSMID", "SR_SMID", "SR_VIRTID", "SR_GpcLocalCgaId"): return np.uint32(0)
  if name in ("SR_CLOCKLO", "SR_CLOCKHI", "SR_GLOBALTIMERLO", "SR_GLOBALTIMERHI"):
    t = time.monotonic_ns() + st.steps
    return np.uint32(t >> 32 & 0xFFFFFFFF if name.endswith("HI") else t & 0xFFFFFFFF)
  raise unimpl(op, f"special register {name}")

def _srname(op, j):
  from hwrt.sim.sass_exec import table
  f = [x for x in op.ins.form.fields if x.sr]
  return table().sr.get(f[0].sr, {}).get(op.ops[j].value, f"SR{op.ops[j].value}") if f else "?"

@handler("S2R")
def op_s2r(st, op, d): d.wreg(op.ops[0].value, _sr(st, op, _srname(op, 1), d.ix))

@handler("S2UR")
def op_s2ur(st, op, d):
  name = _srname(op, 1)
  w = st.warps_of(d.ix)
  first = (np.arange(st.W) * 32)[w]          # lane 0 of each warp: per-warp values
  if name in ("SR_LANEID", "SR_TID", "SR_EQMASK", "SR_LTMASK", "SR_LEMASK", "SR_GTMASK", "SR_GEMASK") or name.startswith("SR_TID."):
    raise unimpl(op, f"{name} is not warp-uniform")
  v = _sr(st, op, name, first)
  u = UDom(st, w)
  u.wreg(op.ops[0].value, v)

@handler("CS2R", mods=("32",))
def op_cs2r(st, op, d):
  name = _srname(op, 1)
  if name == "SRZ": v = np.uint64(0)
  elif name in ("SR_CLOCKLO", "SR_GLOBALTIMERLO"): v = np.uint64(time.monotonic_ns() + st.steps)
  else: raise unimpl(op, f"special register {name}")
  if "32" in op.mods: d.wreg(op.ops[0].value, np.uint32(int(v) & 0xFFFFFFFF))
  else: wpair(d, op.ops[0].value, v)

# ---------------------------------------------------------------- integer arithmetic
@handler("IADD3", mods=("X",))
def op_iadd3(st, op, d):
  """Two carry outputs: the first is the carry of a+b, the second of (a+b mod 2^32)+c; .X adds both carry-in predicates
  (so a 3-operand 64-bit add chains IADD3 P0, P1 -> IADD3.X P0, P1). A negated operand contributes 2^32 - x (as the
  adder's ~x + 1), so a subtraction's carry is 'no borrow'."""
  dst, pouts, rest = split(op.ops)
  srcs, pins = rest[:3], rest[3:]
  x = "X" in op.mods
  vals = []
  for o in srcs:
    plain(op, o)
    v = np.asarray(d.src(op, o), np.uint32).astype(np.uint64)
    if o.shape.startswith("-"):
      if x: raise unimpl(op, "negated operand in IADD3.X")
      v = np.uint64(1 << 32) - v
    elif o.shape.startswith("~"): v = M32 - v
    vals.append(v)
  a, b, c = vals
  s1 = a + b
  cin = np.uint64(0)
  for p in pins: cin = cin + pval(d, p).astype(np.uint64)
  s2 = (s1 & M32) + c + cin
  outs = [(s1 >> np.uint64(32)) != 0, (s2 >> np.uint64(32)) != 0]
  d.wreg(dst.value, (s2 & M32).astype(np.uint32))
  for p, v in zip(pouts, outs): d.wpred(p.value, v)

@handler("VIADD")
def op_viadd(st, op, d):
  if len(op.ops) != 3: raise unimpl(op, "operand count")
  d.wreg(op.ops[0].value, (ival(op, d, op.ops[1]) + ival(op, d, op.ops[2])).astype(np.uint32))

@handler("IMAD", mods=("MOV", "U32", "IADD", "SHL", "HI", "WIDE", "X"))
def op_imad(st, op, d):
  dst, pouts, rest = split(op.ops)
  if pouts and "WIDE" not in op.mods and "HI" not in op.mods: raise unimpl(op, "carry output")
  a, b, c = rest[:3]
  pins = rest[3:]
  m = op.mods
  signed = "U32" not in m
  if "WIDE" in m or "HI" in m:
    va, vb = ival(op, d, a), ival(op, d, b)
    if signed: prod = (np.asarray(s32(va)).astype(np.int64) * np.asarray(s32(vb)).astype(np.int64)).astype(np.uint64)
    else: prod = va.astype(np.uint64) * vb.astype(np.uint64)
    prod = np.asarray(prod, np.uint64)
    if "WIDE" in m:
      cv = pair(op, d, c)
      if c.shape.startswith("-") or c.shape.startswith("~"): raise unimpl(op, "negated 64-bit addend")
      cin = np.uint64(0)
      if "X" in m:                                  # IMAD.WIDE.U32.X: + the carry-in predicate (high half of a 128-bit product)
        for p in pins: cin = cin + pval(d, p).astype(np.uint64)
      elif pins: raise unimpl(op, "predicate operand")
      s1 = prod + cv
      s2 = s1 + cin
      wpair(d, dst.value, s2)
      for p in pouts: d.wpred(p.value, (s1 < prod) | (s2 < s1))      # carry out of the 64-bit sum
    else:
      # IMAD.HI adds a 64-bit addend, the register pair c:c+1, before taking the high word (ptxas zeroes c and puts
      # the value to add in c+1, e.g. the Newton step of its integer division: IMAD.HI.U32 R6, R7, R11, R6 with R6 = 0)
      if c.shape.startswith("-") or c.type not in ("reg", "ureg"): raise unimpl(op, f"IMAD.HI addend {c.shape}")
      cin = np.uint64(0)
      if "X" in m:
        for p in pins: cin = cin + pval(d, p).astype(np.uint64)
      elif pins: raise unimpl(op, "predicate operand")
      s1 = prod + pair(op, d, c)
      s2 = s1 + (cin << np.uint64(32))
      d.wreg(dst.value, ((s2 >> np.uint64(32)) & M32).astype(np.uint32))
      for p in pouts: d.wpred(p.value, (s1 < prod) | (s2 < s1))      # carry out of the 64-bit sum
    return
  r = (ival(op, d, a) * ival(op, d, b) + ival(op, d, c)).astype(np.uint32)
  if "X" in m:
    for p in pins: r = (r + pval(d, p).astype(np.uint32)).astype(np.uint32)
  elif pins: raise unimpl(op, "predicate operand")
  d.wreg(dst.value, r)

@handler("LEA", mods=("HI", "X", "SX32"))
def op_lea(st, op, d):
  dst, pouts, rest = split(op.ops)
  m = op.mods
  pins = [o for o in rest if o.type in ("pred", "upred")]
  rest = [o for o in rest if o.type not in ("pred", "upred")]
  s = np.uint64(rest[-1].value & 63)
  a = ival(op, d, rest[0]).astype(np.uint64)
  b = ival(op, d, rest[1]).astype(np.uint64)
  cin = np.uint64(0)
  for p in pins: cin = cin + pval(d, p).astype(np.uint64)
  if "HI" in m:
    if len(rest) == 4: c = ival(op, d, rest[2]).astype(np.uint64)
    elif "SX32" in m: c = np.where(a >> np.uint64(31) != 0, M32, np.uint64(0))
    else: c = np.uint64(0)
    hi = (((c << np.uint64(32)) | a) << s) >> np.uint64(32) & M32
    tot = hi + b + cin
  else:
    if len(rest) != 3 or "SX32" in m: raise unimpl(op, "operands")
    tot = ((a << s) & M32) + b + cin
  d.wreg(dst.value, (tot & M32).astype(np.uint32))
  for p in pouts: d.wpred(p.value, (tot >> np.uint64(32)) != 0)

@handler("SHF", mods=("L", "R", "U32", "S32", "U64", "S64", "HI", "W"))
def op_shf(st, op, d):
  dst, a, b, c = op.ops
  m = op.mods
  wide = "U64" in m or "S64" in m
  sgn = "S32" in m or "S64" in m
  lo, hi = ival(op, d, a).astype(np.uint64), ival(op, d, c).astype(np.uint64)
  n = ival(op, d, b).astype(np.uint64)
  lim = np.uint64(64 if wide else 32)
  n = n & (lim - np.uint64(1)) if "W" in m else np.minimum(n, lim)
  v = (hi << np.uint64(32)) | lo
  if "L" in m:
    r = np.where(n >= 64, np.uint64(0), v << np.minimum(n, np.uint64(63)))
  else:
    if sgn:
      r = (v.view(np.int64) if np.ndim(v) else np.int64(v.astype(np.int64))) >> np.minimum(n, np.uint64(63)).astype(np.int64)
      r = np.asarray(r).astype(np.uint64)
    else:
      r = np.where(n >= 64, np.uint64(0), v >> np.minimum(n, np.uint64(63)))
  out = (r >> np.uint64(32)) if "HI" in m else r
  d.wreg(dst.value, (out & M32).astype(np.uint32))

FAST_LUT = {0xC0: lambda a, b, c: a & b, 0xFC: lambda a, b, c: a | b, 0x3C: lambda a, b, c: a ^ b, 0xF0: lambda a, b, c: a,
            0xCC: lambda a, b, c: b, 0xAA: lambda a, b, c: c, 0x33: lambda a, b, c: ~b, 0x0F: lambda a, b, c: ~a,
            0x96: lambda a, b, c: a ^ b ^ c, 0xFE: lambda a, b, c: a | b | c, 0x80: lambda a, b, c: a & b & c}

def lut3(a, b, c, lut: int):
  """LOP3/PLOP3 truth table: bit (a<<2 | b<<1 | c) of lut is the result for those input bits."""
  if lut in FAST_LUT: return FAST_LUT[lut](a, b, c)
  r = a ^ a
  for i in range(8):
    if lut >> i & 1: r = r | ((a if i & 4 else ~a) & (b if i & 2 else ~b) & (c if i & 1 else ~c))
  return r

@handler("LOP3", mods=("LUT",))
def op_lop3(st, op, d):
  ops = op.ops
  pouts = [o for o in ops[:1] if o.type in ("pred", "upred")]     # LOP3.LUT P0, R5, a, b, c, lut, !PT: P0 = result != 0
  dst, rest = ops[len(pouts)], ops[len(pouts) + 1:]
  if len(rest) != 5: raise unimpl(op, "operands")
  a, b, c, lut, pin = rest
  if not (pin.value == 7 and pin.not_): raise unimpl(op, "predicate input other than !PT")
  r = lut3(ival(op, d, a), ival(op, d, b), ival(op, d, c), lut.value).astype(np.uint32)
  d.wreg(dst.value, r)
  for p in pouts: d.wpred(p.value, r != 0)

def pbit(op, d, o):
  """A PLOP3 input: a predicate (!P negated), or the sign bit of a register (`R.SIGN`: the value is negative)."""
  if o.type in ("pred", "upred") and core(o) in ("{P}", "{UP}"): return pval(d, o)
  if o.type in ("reg", "ureg") and o.shape in ("{R}.SIGN", "{UR}.SIGN"):
    return np.asarray(d.src(op, o), np.uint32) >> np.uint32(31) != 0
  raise unimpl(op, f"operand {o.shape}")

@handler("PLOP3", mods=("LUT",))
def op_plop3(st, op, d):
  p0, p1, a, b, c, lut, lut2 = op.ops
  if p1.value != 7: raise unimpl(op, "second predicate output")
  d.wpred(p0.value, np.asarray(lut3(pbit(op, d, a), pbit(op, d, b), pbit(op, d, c), lut.value), bool))

CMP = {"EQ": np.equal, "NE": np.not_equal, "LT": np.less, "LE": np.less_equal, "GT": np.greater, "GE": np.greater_equal}
BOOL = {"AND": np.logical_and, "OR": np.logical_or, "XOR": np.logical_xor}

def float_setp(d, table: dict, k: str, x, y, bop: str, pd, pq, pc) -> None:
  """FSETP/DSETP: compare x, y by table[k] (ordered; a U suffix is unordered: true on NaN; NUM/NAN test for NaNs), combine
  with predicate pc by bop, write pd and the combination of the complement to pq."""
  un = np.isnan(x) | np.isnan(y)
  with np.errstate(invalid="ignore"):
    if k == "NUM": r = ~un
    elif k == "NAN": r = un
    elif k.endswith("U"): r = table[k](x, y) | un
    else: r = table[k](x, y) & ~un
  c, f = pval(d, pc), BOOL[bop]
  d.wpred(pd.value, f(r, c)); d.wpred(pq.value, f(~np.asarray(r), c))

@handler("ISETP", mods=tuple(CMP) + tuple(BOOL) + ("U32", "EX"))
def op_isetp(st, op, d):
  m = op.ins.mods
  cmp = [x for x in m if x in CMP]; bop = [x for x in m if x in BOOL]
  if len(cmp) != 1 or len(bop) != 1: raise unimpl(op, "comparison")
  pd, pq, a, b, pc = op.ops[:5]
  va, vb = ival(op, d, a), ival(op, d, b)
  if "U32" not in m: va, vb = s32(va), s32(vb)
  r = CMP[cmp[0]](va, vb)
  if "EX" in m:
    ex = pval(d, op.ops[5]); eq = va == vb
    if cmp[0] == "EQ": r = eq & ex
    elif cmp[0] == "NE": r = ~eq | ex
    else: r = CMP[{"LE": "LT", "GE": "GT"}.get(cmp[0], cmp[0])](va, vb) | (eq & ex)
  elif len(op.ops) != 5: raise unimpl(op, "operands")
  c = pval(d, pc)
  f = BOOL[bop[0]]
  outs = (f(r, c), f(~np.asarray(r), c))
  d.wpred(pd.value, outs[0]); d.wpred(pq.value, outs[1])

@handler("SEL")
def op_sel(st, op, d):
  dst, a, b, p = op.ops
  d.wreg(dst.value, np.where(pval(d, p), ival(op, d, a), ival(op, d, b)).astype(np.uint32))

@handler("FSEL")
def op_fsel(st, op, d):
  dst, a, b, p = op.ops
  d.wreg(dst.value, np.where(pval(d, p), fval(op, d, a), fval(op, d, b)).astype(np.uint32))

@handler("VIMNMX", "IMNMX", mods=("U32", "U16x2", "S16x2", "RELU"))
def op_vimnmx(st, op, d):
  """P ? min(a, b) : max(a, b), signed unless .U32; .U16x2 / .S16x2 per 16-bit half; .RELU then max(r, 0) (signed)."""
  dst, a, b, p = op.ops
  va, vb, pv = ival(op, d, a), ival(op, d, b), pval(d, p)
  if "RELU" in op.mods:
    if op.mods & {"U32", "U16x2", "S16x2"}: raise unimpl(op, "RELU with these types")
    r = np.where(pv, np.minimum(s32(va), s32(vb)), np.maximum(s32(va), s32(vb)))
    d.wreg(dst.value, np.maximum(r, 0).astype(np.int64).astype(np.uint32)); return
  if "U16x2" in op.mods or "S16x2" in op.mods:
    from hwrt.sim.sass_ops_int import lanes
    sg = "S16x2" in op.mods
    r = [np.where(pv, np.minimum(x, y), np.maximum(x, y)) & 0xFFFF for x, y in zip(lanes(va, 16, sg, 2), lanes(vb, 16, sg, 2))]
    d.wreg(dst.value, (r[0] | (r[1] << 16)).astype(np.uint32)); return
  if "U32" not in op.mods: va, vb = s32(va), s32(vb)
  d.wreg(dst.value, np.asarray(np.where(pv, np.minimum(va, vb), np.maximum(va, vb))).astype(np.int64).astype(np.uint32))

@handler("VIADDMNMX", mods=("U32",))
def op_viaddmnmx(st, op, d):
  """VIADDMNMX d, a, b, c, P: P ? min(a + b, c) : max(a + b, c) (ptxas: max(x + 5, z) -> VIADDMNMX R, Rx, 0x5, Rz, !PT)."""
  dst, a, b, c, p = op.ops
  s_ = (ival(op, d, a) + ival(op, d, b)).astype(np.uint32)
  vc = ival(op, d, c)
  if "U32" not in op.mods: s_, vc = s32(s_), s32(vc)
  d.wreg(dst.value, np.asarray(np.where(pval(d, p), np.minimum(s_, vc), np.maximum(s_, vc))).astype(np.int64).astype(np.uint32))

@handler("IABS")
def op_iabs(st, op, d):
  d.wreg(op.ops[0].value, np.abs(np.asarray(s32(ival(op, d, op.ops[1])))).astype(np.int64).astype(np.uint32))

@handler("POPC")
def op_popc(st, op, d): d.wreg(op.ops[0].value, np.bitwise_count(ival(op, d, op.ops[-1])).astype(np.uint32))

@handler("FLO", mods=("U32", "S32", "SH"))
def op_flo(st, op, d):
  """FLO[.U32][.SH] d, a: the position of the highest set bit (signed, the default: of the highest bit that differs from
  the sign bit), 0xffffffff when there is none; .SH gives 31 - position (PTX bfind[.shiftamt])."""
  if len(op.ops) != 2: raise unimpl(op, "operands")
  v = ival(op, d, op.ops[-1])
  if "U32" not in op.mods: v = np.where(v >> np.uint32(31) != 0, ~v, v)
  v = np.asarray(v, np.uint32).astype(np.uint64)
  pos = np.where(v == 0, -1, np.floor(np.log2(np.maximum(v, 1).astype(np.float64))).astype(np.int64))
  if "SH" in op.mods: pos = np.where(v == 0, -1, 31 - pos)
  d.wreg(op.ops[0].value, np.asarray(pos).astype(np.int64).astype(np.uint32))

@handler("BREV")
def op_brev(st, op, d):
  v = np.asarray(ival(op, d, op.ops[1]), np.uint32)
  r = np.zeros_like(v)
  for i in range(32): r |= ((v >> np.uint32(i)) & np.uint32(1)) << np.uint32(31 - i)
  d.wreg(op.ops[0].value, r)

PRMT_MODES = {                       # byte k of the result for selector s = sel & 3 (PTX prmt: f4e, b4e, rc8, ecl, ecr, rc16)
  "F4E": lambda s, k: (s + k) & 7, "B4E": lambda s, k: (s - k) & 7, "RC8": lambda s, k: s, "ECL": lambda s, k: np.maximum(s, k),
  "ECR": lambda s, k: np.minimum(s, k), "RC16": lambda s, k: (s & 1) * 2 + (k & 1)}

@handler("PRMT", mods=tuple(PRMT_MODES))
def op_prmt(st, op, d):
  """PRMT[.mode] d, a, sel, b: bytes of the 8-byte value b:a. Default mode: nibble k of sel picks byte k (bit 3 of the
  nibble: replicate that byte's sign bit); the other modes index by sel & 3 as PRMT_MODES."""
  dst, a, sel, c = op.ops
  va, vs, vc = ival(op, d, a).astype(np.uint64), ival(op, d, sel), ival(op, d, c).astype(np.uint64)
  v = va | (vc << np.uint64(32))
  mode = [m for m in op.mods if m in PRMT_MODES]
  r = np.uint64(0)
  for k in range(4):
    if mode:
      idx = np.asarray(PRMT_MODES[mode[0]](np.asarray(vs, np.int64) & 3, k), np.int64).astype(np.uint64)
      byte = (v >> (idx * np.uint64(8))) & np.uint64(0xFF)
    else:
      nib = (np.asarray(vs, np.uint64) >> np.uint64(4 * k)) & np.uint64(0xF)
      byte = (v >> ((nib & np.uint64(7)) * np.uint64(8))) & np.uint64(0xFF)
      byte = np.where(nib & np.uint64(8), np.where(byte & np.uint64(0x80), np.uint64(0xFF), np.uint64(0)), byte)
    r = r | (byte << np.uint64(8 * k))
  d.wreg(dst.value, np.asarray(r).astype(np.uint32))

# the other handler modules register themselves on import
from hwrt.sim import sass_ops_fp, sass_ops_mem, sass_ops_f64, sass_ops_int, sass_ops_h2, sass_ops_mma, sass_ops_atom  # noqa: E402,F401
