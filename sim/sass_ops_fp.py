"""Floating-point SASS instructions (fp32, conversions) for the interpreter; rounding in sass_fp.py, packed halves in
sass_ops_h2.py. Conversions compose from the modifiers: source type x destination type x rounding x .SAT / .RELU /
.SATFINITE / .FTZ.

MUFU (RCP, RSQ, EX2, LG2, SIN, COS, SQRT, TANH) is an approximation on the hardware (PTX ISA: rcp.approx / ex2.approx, max
error ~1-2 ulp; the exact bits are not documented): here it is the correctly rounded fp32 result of the function, which is
within the hardware's error bound but not bit-identical to it. Code that ptxas builds around MUFU (IEEE division, integer
division) refines the approximation, so its final results are exact."""
import numpy as np
from hwrt.sim import sass_fp as F
from hwrt.sim.sass_ops import handler, fval, ival, pval, plain, pair, wpair, unimpl, CMP, BOOL, float_setp, s32

ROUND = ("RN", "RZ", "RM", "RP")

def _mode(op):
  r = [m for m in op.mods if m in ROUND]
  return r[0] if r else "RN"

def _sat(bits, op):
  if "SAT" not in op.mods: return bits
  x = F.f32(bits)
  with np.errstate(invalid="ignore"):
    return F.bits32(np.where(np.isnan(x), np.float32(0), np.clip(x, np.float32(0), np.float32(1))))

@handler("FADD", mods=ROUND + ("FTZ", "SAT"))
def op_fadd(st, op, d):
  dst, a, b = op.ops
  d.wreg(dst.value, _sat(F.fadd(fval(op, d, a), fval(op, d, b), _mode(op), "FTZ" in op.mods), op))

@handler("FMUL", mods=ROUND + ("FTZ", "SAT"))
def op_fmul(st, op, d):
  dst, a, b = op.ops
  d.wreg(dst.value, _sat(F.fmul(fval(op, d, a), fval(op, d, b), _mode(op), "FTZ" in op.mods), op))

@handler("FFMA", mods=ROUND + ("FTZ", "SAT"))
def op_ffma(st, op, d):
  dst, a, b, c = op.ops
  d.wreg(dst.value, _sat(F.ffma(fval(op, d, a), fval(op, d, b), fval(op, d, c), _mode(op), "FTZ" in op.mods), op))

FCMP = {**CMP, "NUM": None, "NAN": None, **{k + "U": v for k, v in CMP.items()}}

@handler("FSETP", mods=tuple(FCMP) + tuple(BOOL) + ("FTZ",))
def op_fsetp(st, op, d):
  cmp = [m for m in op.ins.mods if m in FCMP]; bop = [m for m in op.ins.mods if m in BOOL]
  if len(cmp) != 1 or len(bop) != 1 or len(op.ops) != 5: raise unimpl(op, "comparison")
  pd, pq, a, b, pc = op.ops
  va, vb = fval(op, d, a), fval(op, d, b)
  if "FTZ" in op.mods: va, vb = F.ftz32(va), F.ftz32(vb)
  x, y = F.f32(va), F.f32(vb)
  float_setp(d, FCMP, cmp[0], x, y, bop[0], pd, pq, pc)

@handler("FMNMX", mods=("FTZ", "NAN"))
def op_fmnmx(st, op, d):
  """P ? min : max, IEEE minNum/maxNum with -0 < +0 (a NaN operand gives the other); .NAN: NaN if either is NaN."""
  dst, a, b, p = op.ops
  va, vb = fval(op, d, a), fval(op, d, b)
  if "FTZ" in op.mods: va, vb = F.ftz32(va), F.ftz32(vb)
  x, y = F.f32(va), F.f32(vb)
  # IEEE minNum/maxNum with -0 < +0: compare as sign-magnitude integers
  ka = np.where(va >> np.uint32(31) != 0, -1 - (va & np.uint32(0x7FFFFFFF)).astype(np.int64), va.astype(np.int64))
  kb = np.where(vb >> np.uint32(31) != 0, -1 - (vb & np.uint32(0x7FFFFFFF)).astype(np.int64), vb.astype(np.int64))
  mn = np.where(ka <= kb, va, vb); mx = np.where(ka >= kb, va, vb)
  r = np.where(pval(d, p), mn, mx)
  r = np.where(np.isnan(x), vb, np.where(np.isnan(y), va, r))
  if "NAN" in op.mods: r = np.where(np.isnan(x) | np.isnan(y), F.F32_QNAN, r)
  d.wreg(dst.value, F.canon32(r))

@handler("FSET", mods=tuple(FCMP) + tuple(BOOL) + ("BF", "FTZ"))
def op_fset(st, op, d):
  """FSET.<cmp>.<bool>[.BF] d, a, b, c: all ones (1.0 with .BF) when cmp(a, b) bool c, else 0 (PTX set.<cmp>.<u32|f32>.f32)."""
  cmp = [m for m in op.ins.mods if m in FCMP]; bop = [m for m in op.ins.mods if m in BOOL]
  if len(cmp) != 1 or len(bop) != 1 or len(op.ops) != 4: raise unimpl(op, "comparison")
  dst, a, b, c = op.ops
  va, vb = fval(op, d, a), fval(op, d, b)
  if "FTZ" in op.mods: va, vb = F.ftz32(va), F.ftz32(vb)
  x, y = F.f32(va), F.f32(vb)
  un = np.isnan(x) | np.isnan(y)
  k = cmp[0]
  with np.errstate(invalid="ignore"):
    r = ~un if k == "NUM" else un if k == "NAN" else (FCMP[k](x, y) | un) if k.endswith("U") else (FCMP[k](x, y) & ~un)
  t = np.uint32(0x3F800000 if "BF" in op.mods else 0xFFFFFFFF)
  d.wreg(dst.value, np.where(BOOL[bop[0]](r, pval(d, c)), t, np.uint32(0)).astype(np.uint32))

FRND_MODES = {"FLOOR": np.floor, "CEIL": np.ceil, "TRUNC": np.trunc, "RN": np.rint}

@handler("FRND", mods=tuple(FRND_MODES) + ("FTZ", "F32", "F64"))
def op_frnd(st, op, d):
  """FRND[.F64][.FLOOR|CEIL|TRUNC; RN default]: round to an integral value of the same type (-0 and NaN kept)."""
  if len(op.ops) != 2: raise unimpl(op, "operands")
  m = [k for k in FRND_MODES if k in op.mods]
  if "F64" in op.mods:
    from hwrt.sim.sass_ops_f64 import dval, _canon
    wpair(d, op.ops[0].value, _canon(FRND_MODES[m[0] if m else "RN"](dval(op, d, op.ops[1])))); return
  v = fval(op, d, op.ops[1])
  if "FTZ" in op.mods: v = F.ftz32(v)
  d.wreg(op.ops[0].value, F.canon32(F.bits32(FRND_MODES[m[0] if m else "RN"](F.f32(v)))))

MUFU = {"RCP": lambda x: np.float32(1) / x, "RSQ": lambda x: np.float32(1) / np.sqrt(x), "SQRT": np.sqrt, "EX2": np.exp2,
        "LG2": np.log2, "SIN": lambda x: np.sin(2 * np.pi * x), "COS": lambda x: np.cos(2 * np.pi * x), "TANH": np.tanh}
# MUFU.SIN / COS take the angle in revolutions: ptxas lowers sin.approx.f32 x to FMUL.RZ t, x, 0.15915494 (1 / 2pi);
# MUFU.SIN t (checked by tests/test_sim_sass_ptx_corpus.py against sin(x) within the PTX ISA's error bound)

MUFU64 = {"RCP64H": lambda x: 1.0 / x, "RSQ64H": lambda x: 1.0 / np.sqrt(x)}

@handler("MUFU", mods=tuple(MUFU) + tuple(MUFU64))
def op_mufu(st, op, d):
  fn = [m for m in op.mods if m in MUFU or m in MUFU64]
  if len(fn) != 1: raise unimpl(op, "function")
  if fn[0] in MUFU64:
    from hwrt.sim.sass_ops_f64 import mufu64
    return mufu64(op, d, MUFU64[fn[0]])
  x = F.f32(F.ftz32(fval(op, d, op.ops[1])))            # MUFU flushes denormal inputs (PTX: .approx.ftz behaviour)
  with np.errstate(all="ignore"):
    r = MUFU[fn[0]](x.astype(np.float64)).astype(np.float32)
  d.wreg(op.ops[0].value, F.canon32(F.ftz32(F.bits32(r))))

INT_TYPES = {"U8": (False, 8), "S8": (True, 8), "U16": (False, 16), "S16": (True, 16), "U32": (False, 32), "S32": (True, 32),
             "U64": (False, 64), "S64": (True, 64)}

def _int_in(op, d, o, ty):
  """-> (hi, lo): the integer operand as hi * 2^32 + lo (hi int64 carries the sign)."""
  signed, w = INT_TYPES[ty]
  if w == 64:
    v = np.asarray(pair(op, d, o), np.uint64)
    hi = (v >> np.uint64(32)).astype(np.int64)
    if signed: hi = np.where(hi >= 1 << 31, hi - (1 << 32), hi)
    return hi, (v & np.uint64(0xFFFFFFFF))
  v = (ival(op, d, o).astype(np.uint64) & np.uint64((1 << w) - 1)).astype(np.int64)
  if signed: v = np.where(v >= (1 << (w - 1)), v - (1 << w), v)
  return np.zeros_like(v), v     # |v| < 2^32: hi 0, lo the (possibly negative) value, exact in float64

@handler("I2F", mods=ROUND + tuple(INT_TYPES) + ("F32", "F64", "F16", "BF16"))
def op_i2f(st, op, d):
  """I2F.<float dst: F32 (default), F64, F16>.<int src: S32 default>.<rounding>: the integer rounded once."""
  dst, a = op.ops
  if core_suffix(a): raise unimpl(op, f"operand {a.shape}")
  ty = [m for m in op.mods if m in INT_TYPES]
  if len(ty) > 1 or len({"F16", "BF16", "F64"} & op.mods) > 1: raise unimpl(op, "types")
  hi, lo = _int_in(op, d, a, ty[0] if ty else "S32")
  if "F16" in op.mods or "BF16" in op.mods:
    h = np.asarray(hi, np.int64).astype(np.float64) * 4294967296.0
    x = F.to_odd(*F.two_sum(h, np.asarray(lo).astype(np.float64)))
    d.wreg(dst.value, (F.to_f16(x, _mode(op)) if "F16" in op.mods else F.to_bf16(x, _mode(op))).astype(np.uint32))
    return
  if "F64" in op.mods:                          # I2F.F64[.S64|.U64|.U32]: exact below 2^53, else rounded once
    from fractions import Fraction
    from hwrt.sim.sass_ops_f64 import round_rational
    h, l = np.broadcast_to(hi, (d.n,)), np.broadcast_to(lo, (d.n,))
    v = h.astype(np.float64) * 4294967296.0 + l.astype(np.float64)
    for i in np.flatnonzero(np.abs(h) >= 1 << 20):
      q = int(h[i]) * 4294967296 + int(l[i])
      v[i] = round_rational(Fraction(q), _mode(op)) if q else 0.0
    wpair(d, dst.value, v.view(np.uint64)); return
  d.wreg(dst.value, F.int_to_f32(hi, lo, _mode(op)))

def core_suffix(o): return o.shape not in ("{R}", "{UR}", "{I}", "-{R}", "|{R}|") and not o.shape.startswith("c[")

@handler("I2FP", mods=("F32", "S32", "U32") + ROUND)
def op_i2fp(st, op, d):
  dst, a = op.ops
  hi, lo = _int_in(op, d, a, "U32" if "U32" in op.mods else "S32")
  d.wreg(dst.value, F.int_to_f32(hi, lo, _mode(op)))

@handler("F2I", mods=("FTZ", "NTZ", "TRUNC", "FLOOR", "CEIL", "RN", "F32", "F64", "F16", "BF16") + tuple(INT_TYPES))
def op_f2i(st, op, d):
  dst, a = op.ops
  ty = [m for m in op.mods if m in INT_TYPES]
  """F2I.<int dst: S32 default>[.F64 source].<TRUNC|FLOOR|CEIL; RN default>[.FTZ]: PTX cvt.rXi -- saturating, NaN -> 0;
  a narrow result is sign- or zero-extended to 32 bits."""
  if len(ty) > 1: raise unimpl(op, "types")
  ty = ty[0] if ty else "S32"
  signed, w = INT_TYPES[ty]
  mode = [m for m in op.mods if m in ("TRUNC", "FLOOR", "CEIL")]
  if "F64" in op.mods:
    from hwrt.sim.sass_ops_f64 import dval
    r = F.float_to_int(dval(op, d, a), signed, w, mode[0] if mode else "RN")
  elif "F16" in op.mods or "BF16" in op.mods:   # the low half (.H1: the high half) of the register, exact in float64
    r = F.float_to_int(float_src(op, d, a, "BF16" if "BF16" in op.mods else "F16"), signed, w, mode[0] if mode else "RN")
  else: r = F.f32_to_int(fval(op, d, a), signed, w, mode[0] if mode else "RN", "FTZ" in op.mods)
  if w == 64: wpair(d, dst.value, r)
  else: d.wreg(dst.value, (r & np.uint64(0xFFFFFFFF)).astype(np.uint32))

@handler("F2IP", mods=("U8", "S8", "F32", "NTZ", "FTZ", "TRUNC", "FLOOR", "CEIL", "RN"))
def op_f2ip(st, op, d):
  """F2IP.<U8|S8>.F32 d, a, b, c: two floats to saturated bytes, packed as PTX cvt.pack.sat.<t>.s32.b32 packs integers
  (d = c.lo16 << 16 | cvt(a) << 8 | cvt(b)); ptxas uses it for cvt.rni.u8.f32 as F2IP d, RZ, x, RZ."""
  if ("U8" in op.mods) == ("S8" in op.mods) or len(op.ops) != 4: raise unimpl(op, "form")
  dst, a, b, c = op.ops
  mode = [m for m in op.mods if m in ("TRUNC", "FLOOR", "CEIL")]
  cv = lambda o: (F.f32_to_int(fval(op, d, o), "S8" in op.mods, 8, mode[0] if mode else "RN", "FTZ" in op.mods)
                  & np.uint64(0xFF)).astype(np.uint32)
  d.wreg(dst.value, ((ival(op, d, c) & np.uint32(0xFFFF)) << np.uint32(16)) | (cv(a) << np.uint32(8)) | cv(b))

@handler("FCHK")
def op_fchk(st, op, d):
  """FCHK P, a, b flags a division a/b the fast reciprocal path may not round correctly. The exact rule is not
  documented; here it always flags, so ptxas' always-correct slow path computes every quotient."""
  pd = op.ops[0]
  if len(op.ops) != 3 or pd.type != "pred": raise unimpl(op, "operands")
  d.wpred(pd.value, np.ones(d.n, bool))

FTYPES = ("F16", "BF16", "F32", "F64")

def float_src(op, d, o, ty: str):
  """A float operand of type ty as exact float64 values (a half: the low 16 bits, .H1 the high ones)."""
  if ty == "F64":
    from hwrt.sim.sass_ops_f64 import dval
    return dval(op, d, o)
  if ty == "F32": return F.f32(fval(op, d, o)).astype(np.float64)
  if o.shape not in ("{R}", "{R}.H0", "{R}.H1", "{UR}", "-{R}", "|{R}|", "-|{R}|") and not o.shape.startswith("c["):
    raise unimpl(op, f"operand {o.shape}")
  v = np.asarray(d.src(op, o), np.uint32) >> np.uint32(16 if o.shape.endswith(".H1") else 0)
  h = (v & np.uint32(0xFFFF)).astype(np.uint16)
  if o.abs: h = h & np.uint16(0x7FFF)
  if o.shape.startswith("-"): h = h ^ np.uint16(0x8000)
  return F.f16(h).astype(np.float64) if ty == "F16" else F.f32(h.astype(np.uint32) << np.uint32(16)).astype(np.float64)

def float_dst(op, d, dst, x, ty: str, mode: str):
  """Write float64 values x (exact, or round-to-odd'ed) rounded once to ty (halves in the low 16 bits)."""
  if ty == "F64": wpair(d, dst.value, x.view(np.uint64)); return
  if ty == "F32": d.wreg(dst.value, F.canon32(F.bits32(F.round_f64(x, mode)))); return
  d.wreg(dst.value, (F.to_f16(x, mode) if ty == "F16" else F.to_bf16(x, mode)).astype(np.uint32))

@handler("F2F", mods=FTYPES + ("FTZ",) + ROUND)
def op_f2f(st, op, d):
  """F2F.<dst>.<src>[.rounding][.FTZ] between fp16, bf16, fp32 and fp64: the source value (exact in float64) rounded once."""
  dst, a = op.ops
  tys = [m for m in op.ins.mods if m in FTYPES]     # destination type first
  if len(tys) != 2 or tys[0] == tys[1]: raise unimpl(op, "types")
  to, frm = tys
  if frm == "F32" and "FTZ" in op.mods: x = F.f32(F.ftz32(fval(op, d, a))).astype(np.float64)
  else: x = float_src(op, d, a, frm)
  if to == "F64" and frm in ("F64",): raise unimpl(op, "types")
  if "FTZ" in op.mods and to == "F32":
    b = F.bits32(F.round_f64(x, _mode(op)))
    d.wreg(dst.value, F.canon32(F.ftz32(b))); return
  float_dst(op, d, dst, np.asarray(x, np.float64), to, _mode(op))

@handler("F2FP", mods=("F16", "BF16", "F32", "PACK_AB", "MERGE_C", "RELU", "SATFINITE") + ROUND)
def op_f2fp(st, op, d):
  """F2FP.<F16|BF16>.F32.PACK_AB d, a, b: d = cvt(a) << 16 | cvt(b) (PTX cvt.rn[.relu][.satfinite].f16x2.f32 d, a, b);
  .RELU: negative results and -0 -> +0; .SATFINITE: +-inf -> +-max finite; NaN -> canonical NaN either way.
  F2FP....MERGE_C d, a, RZ (ptxas' single cvt.rn[.relu].f16.f32): d = cvt(a) in the low half; with a register other
  than RZ (what it merges into the high half) it is not modelled."""
  if "MERGE_C" in op.mods and "PACK_AB" not in op.mods and len(op.ops) == 3 and op.ops[2].type == "reg" and op.ops[2].value == 255:
    dst, a, b = op.ops[0], op.ops[2], op.ops[1]            # cv(b) below is the low half: the source; the high half is 0
  elif "PACK_AB" not in op.mods or "F32" not in op.mods or ("F16" in op.mods) == ("BF16" in op.mods) or len(op.ops) != 3:
    raise unimpl(op, "form")
  else: dst, a, b = op.ops
  bf = "BF16" in op.mods
  conv = F.f32_to_bf16 if bf else F.f32_to_f16
  def cv(o):
    h = conv(fval(op, d, o), _mode(op))
    nan = (h & 0x7FFF) > (0x7F80 if bf else 0x7C00)
    if "SATFINITE" in op.mods: h = np.where(~nan & ((h & 0x7FFF) == (0x7F80 if bf else 0x7C00)), h - np.uint16(1), h)
    if "RELU" in op.mods: h = np.where(~nan & (h >> 15 != 0), np.uint16(0), h)
    return np.where(nan, np.uint16(0x7FFF), h).astype(np.uint32)
  d.wreg(dst.value, (cv(a) << np.uint32(16)) | cv(b))
