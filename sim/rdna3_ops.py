"""Semantics of RDNA3 instructions for sim/rdna3_exec.py, composed from the mnemonic's fields: <unit>_<operation>_<type>[_<type>]
(v_add_f32 = VALU, add, f32; s_cmp_lt_u32 = SALU compare lt on u32; v_cvt_f32_u32 = convert u32 -> f32). Operations are tables of
numpy functions over typed lanes (OPS2/OPS3/OPS1/CMP); the unit's wrapper reads operands (inline constants, literals, SGPRs broadcast
to lanes, abs/neg/opsel modifiers), applies EXEC and writes the destination. Source: AMD "RDNA3 Instruction Set Architecture
Reference Guide" ch. 6 (SALU), 7 (VALU), 10-12 (memory); float results are IEEE (numpy) except the transcendentals, which are
correctly rounded where the hardware is only approximate (1 ULP)."""
from __future__ import annotations
import numpy as np
from hwrt.sim.rdna3_exec import VCC, M0, NULL, EXEC, Unimplemented

U32, I32, F32, U64, I64, F64, U16, I16, F16 = (np.uint32, np.int32, np.float32, np.uint64, np.int64, np.float64, np.uint16,
                                                np.int16, np.float16)
TYPES = {"u32": U32, "i32": I32, "f32": F32, "b32": U32, "u64": U64, "i64": I64, "f64": F64, "b64": U64, "u16": U16,
         "i16": I16, "f16": F16, "b16": U16, "u8": U32, "i8": U32, "u24": U32, "i24": U32}
WIDE = {U64, I64, F64}
FCONST = {240: 0.5, 241: -0.5, 242: 1.0, 243: -1.0, 244: 2.0, 245: -2.0, 246: 4.0, 247: -4.0, 248: 0.15915494309189535}
SRC_FIELDS = ("src0", "src1", "src2", "vsrc1", "ssrc0", "ssrc1", "srcx0", "vsrcx1", "srcy0", "vsrcy1")

np.seterr(all="ignore")

# ---------------------------------------------------------------- operand access
def _const(v: int, t):
  if 128 <= v <= 192: x = v - 128
  elif 193 <= v <= 208: x = -(v - 192)
  elif v in FCONST:
    f = FCONST[v]
    if t is F64: return np.array([f], F64).view(U64)[0]
    if t is F16: return np.uint32(np.array([f], F16).view(U16)[0])
    return np.array([f], F32).view(U32)[0]
  else: raise Unimplemented(f"unimplemented RDNA3 operand {v}")
  return np.uint64(x & (2**64 - 1)) if t in WIDE else np.uint32(x & 0xFFFFFFFF)

def raw(b, o, w, t, lanes=True):
  """bits of a source operand: VGPR (nw, L); SGPR/constant/literal (nw, 1) or (nw,) for SALU; 64-bit types as uint64"""
  wide = t in WIDE
  k = o.kind
  if k == "vgpr":
    x = b.V[o.value, w]
    return (x.astype(U64) | (b.V[o.value + 1, w].astype(U64) << U64(32))) if wide else x
  if k in ("sgpr", "special", "ttmp"):
    r = o.value + (108 if k == "ttmp" else 0)
    if r == 253: x = b.scc[w].astype(U32)                                # src_scc
    elif r == 251: x = (b.S[w, VCC] == 0).astype(U32)                    # src_vccz
    elif r == 252: x = (b.S[w, EXEC] == 0).astype(U32)                   # src_execz
    elif r in (235, 236, 237, 238): x = np.full(b.nw if isinstance(w, slice) else len(w), {235: 1 << 16, 237: 2 << 16}.get(r, 0), U32)
    elif r >= 128: raise Unimplemented(f"unimplemented RDNA3 operand {r}")
    else: x = b.S[w, r]
    if wide: x = x.astype(U64) | (b.S[w, r + 1].astype(U64) << U64(32)) if r < 127 and r not in (NULL,) else x.astype(U64)
    if r == NULL: x = np.zeros_like(x)
    return x[:, None] if lanes else x
  if k == "const": c = _const(o.value, t)
  elif k == "literal":
    lit = o.value or 0
    c = U64(lit << 32) if t is F64 else U64(lit) if wide else U32(lit)
  else: raise Unimplemented(f"unimplemented RDNA3 operand kind {k}")
  return np.full((1, 1) if lanes else (1,), c, U64 if wide else U32)

def typed(bits, t):
  """reinterpret raw bits as numpy type t (16-bit types take the low half)"""
  if t in (F16, U16, I16): return bits.astype(U32).astype(U16).view(t) if bits.dtype != U16 else bits.view(t)
  if t in WIDE: return bits.astype(U64).view(t)
  return bits.astype(U32).view(t)

def tobits(x, t):
  x = np.asarray(x)
  if t in (F16, U16, I16): return x.astype(t).view(U16).astype(U32)
  if t in WIDE: return x.astype(t).view(U64)
  if t is F32: return x.astype(F32).view(U32)
  return x.astype(t).view(U32) if x.dtype.itemsize == 4 else x.astype(np.int64).astype(U32) if t is I32 else x.astype(U64).astype(U32)

def src(b, ins, o, w, t, i):
  """a VALU source as typed lanes, with opsel (16-bit high half) and abs/neg (floats) applied"""
  x = raw(b, o, w, t)
  if t in (F16, U16, I16) and ins.enc in ("VOP3", "VOP3P") and (ins.fields.get("opsel", 0) >> i) & 1: x = x >> U32(16)
  v = typed(x, t)
  if t in (F16, F32, F64):
    if o.abs: v = np.abs(v)
    if o.neg: v = -v
  return v

def srcs(ins): return [o for o in ins.operands if o.field in SRC_FIELDS]
def dst(ins): return next((o for o in ins.operands if o.field in ("vdst", "vdstx", "vdsty", "sdst", "sdata")), None)

def wvgpr(b, reg, w, bits, ex=None, wide=False, hi16=None):
  ex = b.exec(w) if ex is None else ex
  bits = np.broadcast_to(bits, ex.shape)
  if wide:
    wvgpr(b, reg, w, (bits & U64(0xFFFFFFFF)).astype(U32), ex); wvgpr(b, reg + 1, w, (bits >> U64(32)).astype(U32), ex); return
  if hi16 is not None:                                                   # 16-bit result into one half, the other kept
    cur = b.V[reg, w]
    bits = (cur & U32(0xFFFF)) | (bits.astype(U32) << U32(16)) if hi16 else (cur & U32(0xFFFF0000)) | (bits.astype(U32) & U32(0xFFFF))
  b.V[reg, w] = np.where(ex, bits, b.V[reg, w])

def wsgpr(b, reg, w, bits, wide=False):
  if reg == NULL or reg >= 128: return
  bits = np.asarray(bits).reshape(-1)
  if wide:
    b.S[w, reg] = (bits.astype(U64) & U64(0xFFFFFFFF)).astype(U32); b.S[w, reg + 1] = (bits.astype(U64) >> U64(32)).astype(U32)
  else: b.S[w, reg] = bits.astype(U64).astype(U32) if bits.dtype != U32 else bits

def sreg(o) -> int: return o.value + (108 if o.kind == "ttmp" else 0)

# ---------------------------------------------------------------- operation tables
def _f(x): return x
def _fma(a, b, c): return (a.astype(F64) * b.astype(F64) + c.astype(F64)).astype(a.dtype) if a.dtype != F64 else np.fma(a, b, c) if hasattr(np, "fma") else a * b + c
def _sh(t): return 63 if t in WIDE else 31
def _bfe(a, off, wd, signed):
  off, wd = off.astype(U32) & U32(31), wd.astype(U32) & U32(31)
  r = (a.astype(U32) >> off) & ((U32(1) << wd) - U32(1))
  if signed: s = U32(32) - wd; r = np.where(wd == 0, 0, ((r << s).view(I32) >> s.astype(I32)).view(U32))
  return r
def _umulhi(a, b): return ((a.astype(U64) * b.astype(U64)) >> U64(32)).astype(U32)
def _imulhi(a, b): return ((a.astype(I32).astype(I64) * b.astype(I32).astype(I64)) >> 32).astype(I64).astype(U32)
def _min(a, b): return np.where(np.isnan(a), b, np.where(np.isnan(b), a, np.minimum(a, b))) if a.dtype.kind == "f" else np.minimum(a, b)
def _max(a, b): return np.where(np.isnan(a), b, np.where(np.isnan(b), a, np.maximum(a, b))) if a.dtype.kind == "f" else np.maximum(a, b)
def _med3(a, b, c): return _max(_min(a, b), _min(_max(a, b), c))
def _ldexp(a, e): return np.ldexp(a.astype(F64), e.astype(I32).clip(-1100, 1100)).astype(a.dtype)
def _perm(a, b, sel):
  byts = np.stack([(b >> U32(8 * i)) & U32(255) for i in range(4)] + [(a >> U32(8 * i)) & U32(255) for i in range(4)])
  out = np.zeros(np.broadcast(a, b, sel).shape, U32)
  for i in range(4):
    s = (sel >> U32(8 * i)) & U32(255)
    v = np.take_along_axis(np.broadcast_to(byts, (8,) + out.shape), np.broadcast_to(np.minimum(s, 7)[None], (1,) + out.shape).astype(np.int64), 0)[0]
    v = np.where(s == 12, 0, np.where(s >= 13, 255, v))
    out |= v.astype(U32) << U32(8 * i)
  return out

OPS2 = {   # VOP2/VOP3 two-source operations: name -> fn(a, b) on typed lanes
  "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "subrev": lambda a, b: b - a, "mul": lambda a, b: a * b,
  "add_nc": lambda a, b: a + b, "sub_nc": lambda a, b: a - b, "subrev_nc": lambda a, b: b - a,
  "mul_lo": lambda a, b: a * b, "mul_hi": lambda a, b: _imulhi(a, b) if a.dtype == I32 else _umulhi(a, b),
  "max": _max, "min": _min, "and": lambda a, b: a & b, "or": lambda a, b: a | b, "xor": lambda a, b: a ^ b,
  "xnor": lambda a, b: ~(a ^ b),
  "lshlrev": lambda a, b: b << (a & type(b.flat[0])(_sh(b.dtype.type))), "lshrrev": lambda a, b: b >> (a & type(b.flat[0])(_sh(b.dtype.type))),
  "ashrrev": lambda a, b: b >> (a & type(b.flat[0])(_sh(b.dtype.type))),
  "mul_u32_u24": lambda a, b: (a & U32(0xFFFFFF)) * (b & U32(0xFFFFFF)),
  "mul_hi_u32_u24": lambda a, b: _umulhi(a & U32(0xFFFFFF), b & U32(0xFFFFFF)),
  "mul_i32_i24": lambda a, b: ((a.view(I32) << 8 >> 8) * (b.view(I32) << 8 >> 8)),
  "ldexp": _ldexp, "bcnt_u32": lambda a, b: np.vectorize(lambda x: bin(int(x)).count("1"), otypes=[U32])(a) + b,
  "cvt_pk_rtz_f16": lambda a, b: a.astype(F16).view(U16).astype(U32) | (b.astype(F16).view(U16).astype(U32) << U32(16)),
  "pack_b32_f16": lambda a, b: a.view(U16).astype(U32) | (b.view(U16).astype(U32) << U32(16)),
  "bfm": lambda a, b: ((U32(1) << (a & U32(31))) - U32(1)) << (b & U32(31)),
  "cvt_pk_u16_u32": lambda a, b: (a & U32(0xFFFF)) | (b << U32(16)), "lshl_b32": lambda a, b: a << (b & U32(31)),
}
OPS3 = {   # three-source operations
  "fma": _fma, "fmac": _fma, "mad_u32_u24": lambda a, b, c: (a & U32(0xFFFFFF)) * (b & U32(0xFFFFFF)) + c,
  "mad_i32_i24": lambda a, b, c: ((a.view(I32) << 8 >> 8) * (b.view(I32) << 8 >> 8) + c.view(I32)).view(U32),
  "bfe_u32": lambda a, b, c: _bfe(a, b, c, False), "bfe_i32": lambda a, b, c: _bfe(a.view(U32), b.view(U32), c.view(U32), True).view(I32),
  "bfi": lambda a, b, c: (a & b) | (~a & c), "alignbit": lambda a, b, c: ((((a.astype(U64) << U64(32)) | b.astype(U64)) >> (c.astype(U64) & U64(31))) & U64(0xFFFFFFFF)).astype(U32),
  "alignbyte": lambda a, b, c: ((((a.astype(U64) << U64(32)) | b.astype(U64)) >> ((c.astype(U64) & U64(3)) * U64(8))) & U64(0xFFFFFFFF)).astype(U32),
  "lshl_add": lambda a, b, c: (a << (b & U32(31))) + c, "add_lshl": lambda a, b, c: (a + b) << (c & U32(31)),
  "lshl_or": lambda a, b, c: (a << (b & U32(31))) | c, "and_or": lambda a, b, c: (a & b) | c, "or3": lambda a, b, c: a | b | c,
  "xor3": lambda a, b, c: a ^ b ^ c, "add3": lambda a, b, c: a + b + c, "xad": lambda a, b, c: (a ^ b) + c,
  "max3": lambda a, b, c: _max(_max(a, b), c), "min3": lambda a, b, c: _min(_min(a, b), c), "med3": _med3,
  "perm": _perm, "div_fmas": _fma, "div_fixup": lambda a, b, c: (c.astype(F64) / b.astype(F64)).astype(a.dtype),
  "fmamk": None, "fmaak": None, "mad_u16": lambda a, b, c: a * b + c, "cndmask": None,
  "lerp_u8": lambda a, b, c: sum((((((a >> U32(8 * i)) & U32(255)) + ((b >> U32(8 * i)) & U32(255)) + ((c >> U32(8 * i)) & U32(1))) >> U32(1)) & U32(255)) << U32(8 * i) for i in range(4)),
}
def _rnd(f): return lambda a: f(a).astype(a.dtype)
OPS1 = {
  "mov": _f, "not": lambda a: ~a, "rcp": lambda a: (1 / a.astype(F64)).astype(a.dtype), "rcp_iflag": lambda a: (1 / a.astype(F64)).astype(a.dtype),
  "rsq": lambda a: (1 / np.sqrt(a.astype(F64))).astype(a.dtype), "sqrt": lambda a: np.sqrt(a.astype(F64)).astype(a.dtype),
  "exp": lambda a: np.exp2(a.astype(F64)).astype(a.dtype), "log": lambda a: np.log2(a.astype(F64)).astype(a.dtype),
  "sin": lambda a: np.sin(a.astype(F64) * 2 * np.pi).astype(a.dtype), "cos": lambda a: np.cos(a.astype(F64) * 2 * np.pi).astype(a.dtype),
  "trunc": _rnd(np.trunc), "floor": _rnd(np.floor), "ceil": _rnd(np.ceil), "rndne": _rnd(np.rint),
  "fract": lambda a: np.where(np.isinf(a), np.nan, a - np.floor(a)).astype(a.dtype),
  "frexp_mant": lambda a: np.where(np.isfinite(a), np.frexp(a)[0], a).astype(a.dtype),
  "frexp_exp_i32": lambda a: np.where(np.isfinite(a), np.frexp(a)[1], 0).astype(I32),
  "bfrev": lambda a: np.array([int(f"{int(x):032b}"[::-1], 2) for x in a.reshape(-1)], U32).reshape(a.shape),
  "ffbh_u32": lambda a: np.where(a == 0, U32(0xFFFFFFFF), U32(31) - np.floor(np.log2(np.maximum(a, 1).astype(F64))).astype(U32)),
  "ffbl": lambda a: np.where(a == 0, U32(0xFFFFFFFF), np.log2((a & (~a + U32(1))).astype(F64)).astype(U32)),
  "clz_i32_u32": lambda a: np.where(a == 0, U32(0xFFFFFFFF), U32(31) - np.floor(np.log2(np.maximum(a, 1).astype(F64))).astype(U32)),
  "ctz_i32": lambda a: np.where(a == 0, U32(0xFFFFFFFF), np.log2((a & (~a + U32(1))).astype(F64)).astype(U32)),
}
CMP = {"f": lambda a, b: np.zeros(np.broadcast(a, b).shape, bool), "lt": np.less, "eq": np.equal, "le": np.less_equal,
       "gt": np.greater, "lg": lambda a, b: (a < b) | (a > b), "ne": np.not_equal, "ge": np.greater_equal,
       "o": lambda a, b: ~np.isnan(a) & ~np.isnan(b), "u": lambda a, b: np.isnan(a) | np.isnan(b),
       "nge": lambda a, b: ~(a >= b), "nlg": lambda a, b: ~((a < b) | (a > b)), "ngt": lambda a, b: ~(a > b),
       "nle": lambda a, b: ~(a <= b), "neq": lambda a, b: ~(a == b), "nlt": lambda a, b: ~(a < b),
       "t": lambda a, b: np.ones(np.broadcast(a, b).shape, bool), "lg_": None}

def _class(a, m):
  m = m.astype(U32)
  a = a.astype(F64)
  snan = np.zeros(a.shape, bool)
  tests = [snan, np.isnan(a), np.isneginf(a), (a < 0) & np.isfinite(a) & (np.abs(a) >= 1.1754943508222875e-38),
           (a < 0) & (a != 0) & (np.abs(a) < 1.1754943508222875e-38), (a == 0) & np.signbit(a), (a == 0) & ~np.signbit(a),
           (a > 0) & (a < 1.1754943508222875e-38), (a > 0) & np.isfinite(a) & (a >= 1.1754943508222875e-38), np.isposinf(a)]
  return np.any([t & ((m >> U32(i)) & U32(1)).astype(bool) for i, t in enumerate(tests)], axis=0)

# ---------------------------------------------------------------- handlers
_CACHE: dict = {}

def handler(ins):
  key = (ins.name, ins.enc, ins.y.name if ins.y is not None else "")
  h = _CACHE.get(key)
  if h is None and key not in _CACHE:
    h = _CACHE[key] = _make(ins)
  return h

def _types(tokens):
  ts = [t for t in tokens if t in TYPES]
  return ts

def _make(ins):
  name = ins.name
  if name.endswith("_dpp") or "_dpp" in name or "_sdwa" in name: return None
  from hwrt.sim import rdna3_salu
  if name.startswith("s_"): return rdna3_salu.make(ins)
  if ins.enc in ("GLOBAL", "FLAT", "SCRATCH", "DS", "MUBUF"):
    from hwrt.sim import rdna3_mem
    return rdna3_mem.make(ins)
  if ins.enc == "VOPD": return _vopd(ins)
  if name.startswith("v_"): return _valu(ins)
  return None

def _split(name):
  base = name[2:]
  for suf in ("_e32", "_e64"):
    if base.endswith(suf): base = base[:-len(suf)]
  return base

def _valu(ins):
  base = _split(ins.name)
  toks = base.split("_")
  ts = _types(toks)
  op = "_".join(t for t in toks if t not in TYPES)
  if op in ("cmp", "cmpx") or op.startswith("cmp_") or op.startswith("cmpx_"): return _vcmp(ins, toks)
  if base.startswith("pk_") or ins.enc == "VOP3P": return _vop3p(ins, base)
  fn = _valu_fn(base, op, ts)
  if fn is None: return None
  return fn

def _valu_fn(base, op, ts):
  tin = TYPES[ts[-1]] if ts else U32
  tout = TYPES[ts[0]] if ts else U32
  # special shapes first
  if op == "cvt" or op.startswith("cvt_"):
    if base in ("cvt_pk_rtz_f16_f32",): return _generic(OPS2["cvt_pk_rtz_f16"], F32, U32, 2)
    if base.startswith("cvt_f32_ubyte"):
      k = int(base[-1]); return _generic(lambda a: ((a >> U32(8 * k)) & U32(255)).astype(F32), U32, F32, 1)
    if base in ("cvt_pk_u16_u32",): return _generic(OPS2["cvt_pk_u16_u32"], U32, U32, 2)
    def cv(a, tout=tout):
      if np.dtype(tout).kind in "iu" and a.dtype.kind == "f":               # float -> int: NaN -> 0, saturate
        info = np.iinfo(tout); x = np.nan_to_num(a.astype(F64), nan=0.0)
        return np.clip(np.trunc(x), info.min, info.max).astype(tout)
      return a.astype(tout)
    return _generic(cv, tin, tout, 1)
  if op in ("frexp_exp",): return _generic(OPS1["frexp_exp_i32"], tin, I32, 1)
  if op in ("cndmask",): return _cndmask
  if op in ("add_co", "sub_co", "subrev_co"): return _carry(op, False)
  if op in ("add_co_ci", "sub_co_ci", "subrev_co_ci"): return _carry(op[:-3], True)
  if base == "mad_u64_u32" or base == "mad_i64_i32": return _mad64(base == "mad_i64_i32")
  if op == "readfirstlane": return _readfirstlane
  if op == "readlane": return _readlane
  if op == "writelane": return _writelane
  if op in ("div_scale",): return _div_scale
  if op in ("fmamk", "fmaak"): return _fmak(op, tin)
  if op == "cmp_class" or op == "class": return None
  if base in ("bcnt_u32_b32",): return _generic(OPS2["bcnt_u32"], U32, U32, 2)
  if base in ("ffbh_u32", "ffbl_b32", "clz_i32_u32", "ctz_i32_b32", "bfrev_b32"):
    k = {"ffbh_u32": "ffbh_u32", "ffbl_b32": "ffbl", "clz_i32_u32": "clz_i32_u32", "ctz_i32_b32": "ctz_i32", "bfrev_b32": "bfrev"}[base]
    return _generic(OPS1[k], U32, U32, 1)
  if base in ("bfe_u32", "bfe_i32"): return _generic(OPS3[base], tin, tin, 3)
  if base in ("mul_u32_u24", "mul_hi_u32_u24", "mul_i32_i24", "mad_u32_u24", "mad_i32_i24"):
    return _generic(OPS2.get(base) or OPS3[base], U32, U32, 2 if base in OPS2 else 3)
  if op in ("fmac",): return _generic(OPS3["fmac"], tin, tin, 3, acc=True)
  if op in OPS3 and OPS3[op] is not None: return _generic(OPS3[op], tin, tout, 3)
  if op in OPS2: return _generic(OPS2[op], tin, tout, 2)
  if op in OPS1: return _generic(OPS1[op], tin, tout, 1)
  return None

def _generic(fn, tin, tout, n, acc=False):
  def h(b, ins, w):
    ss = srcs(ins)
    vals = [src(b, ins, o, w, tin, i) for i, o in enumerate(ss[:n])]
    if acc and len(vals) == 2:                                             # v_fmac: the destination is the accumulator
      d = dst(ins); vals.append(typed(b.V[d.value, w] if tin not in WIDE else raw(b, d, w, tin), tin))
    r = fn(*vals)
    if tout in (F16, F32, F64) and ins.fields.get("clamp"): r = np.clip(r, 0, 1)
    omod = ins.fields.get("omod", 0) if ins.enc == "VOP3" else 0
    if omod and tout in (F16, F32, F64): r = r * {1: 2, 2: 4, 3: 0.5}[omod]
    d = dst(ins)
    rt = r.dtype.type if hasattr(r, "dtype") else tout
    if rt not in (F16, U16, I16) and tout in (F16, U16, I16): rt = tout
    bits = tobits(r, rt if rt in TYPES.values() else tout)
    hi = None
    if rt in (F16, U16, I16): hi = bool((ins.fields.get("opsel", 0) >> 3) & 1) if ins.enc == "VOP3" else (d.half == "h" if d.half else False)
    wvgpr(b, d.value, w, bits, wide=rt in WIDE, hi16=hi)
  return h

def _lanemask_src(b, ins, o, w):
  if o is None or o.kind == "text": return b.mask(VCC, w)
  return b.mask(sreg(o), w)

def _cndmask(b, ins, w):
  ss = srcs(ins)
  a, c = src(b, ins, ss[0], w, F32 if ss[0].neg or ss[0].abs else U32, 0), src(b, ins, ss[1], w, F32 if ss[1].neg or ss[1].abs else U32, 1)
  m = _lanemask_src(b, ins, ss[2] if len(ss) > 2 else None, w)
  r = np.where(m, c.view(U32) if c.dtype == F32 else c, a.view(U32) if a.dtype == F32 else a)
  wvgpr(b, dst(ins).value, w, r.astype(U32))

def _carry(op, ci):
  def h(b, ins, w):
    ss = srcs(ins)
    a, c = raw(b, ss[0], w, U32).astype(np.int64), raw(b, ss[1], w, U32).astype(np.int64)
    cin = _lanemask_src(b, ins, ss[2] if ci and len(ss) > 2 else None, w).astype(np.int64) if ci else 0
    r = a + c + cin if op == "add_co" else a - c - cin if op == "sub_co" else c - a - cin
    ex = b.exec(w)
    wvgpr(b, dst(ins).value, w, (r & 0xFFFFFFFF).astype(U32), ex)
    carry = ((r >> 32) != 0) & ex
    sd = next((o for o in ins.operands if o.field == "sdst"), None)
    b.set_mask(VCC if sd is None else sreg(sd), w, carry)
  return h

def _mad64(signed):
  def h(b, ins, w):
    ss = srcs(ins)
    if signed:
      a, c = raw(b, ss[0], w, U32).view(I32).astype(np.int64), raw(b, ss[1], w, U32).view(I32).astype(np.int64)
      r = (a * c).astype(U64) + raw(b, ss[2], w, U64)
    else:
      a, c = raw(b, ss[0], w, U32).astype(U64), raw(b, ss[1], w, U32).astype(U64)
      p = a * c; acc = raw(b, ss[2], w, U64); r = p + acc
      carry = r < p
    ex = b.exec(w)
    wvgpr(b, dst(ins).value, w, r, ex, wide=True)
    sd = next((o for o in ins.operands if o.field == "sdst"), None)
    if sd is not None: b.set_mask(sreg(sd), w, (carry if not signed else np.zeros(ex.shape, bool)) & ex)
  return h

def _first_lane(ex): return np.where(ex.any(axis=1), ex.argmax(axis=1), 0)
def _readfirstlane(b, ins, w):
  ss = srcs(ins); x = np.broadcast_to(raw(b, ss[0], w, U32), (b.nw if isinstance(w, slice) else len(w), b.L))
  ex = b.exec(w); i = _first_lane(ex)
  wsgpr(b, sreg(dst(ins)), w, x[np.arange(len(i)), i])
def _readlane(b, ins, w):
  ss = srcs(ins); x = np.broadcast_to(raw(b, ss[0], w, U32), (b.nw if isinstance(w, slice) else len(w), b.L))
  lane = raw(b, ss[1], w, U32, lanes=False).reshape(-1) % b.L
  lane = np.broadcast_to(lane, (x.shape[0],))
  wsgpr(b, sreg(dst(ins)), w, x[np.arange(x.shape[0]), lane])
def _writelane(b, ins, w):
  ss = srcs(ins); v = raw(b, ss[0], w, U32, lanes=False).reshape(-1)
  lane = np.broadcast_to(raw(b, ss[1], w, U32, lanes=False).reshape(-1) % b.L, (b.V.shape[1] if isinstance(w, slice) else len(w),))
  d = dst(ins).value; cur = b.V[d, w].copy()
  cur[np.arange(cur.shape[0]), lane] = np.broadcast_to(v, (cur.shape[0],)); b.V[d, w] = cur

def _div_scale(b, ins, w):
  """v_div_scale_f32 D, VCC, S0, S1, S2: the scaled operand (no scaling needed at the magnitudes we see); VCC = 0 so div_fmas
  does no post-scaling; v_div_fixup then gives the IEEE quotient"""
  ss = srcs(ins); t = F64 if ins.name.endswith("f64") else F32
  wvgpr(b, dst(ins).value, w, raw(b, ss[0], w, t), wide=t is F64)
  sd = next((o for o in ins.operands if o.field == "sdst"), None)
  b.set_mask(VCC if sd is None else sreg(sd), w, np.zeros((b.nw if isinstance(w, slice) else len(w), b.L), bool))

def _fmak(op, t):
  def h(b, ins, w):
    ss = [o for o in srcs(ins)]
    a, c = src(b, ins, ss[0], w, t, 0), src(b, ins, ss[1], w, t, 1)
    k = typed(np.full((1, 1), ins.literal, U32), t)
    r = _fma(a, k, c) if op == "fmamk" else _fma(a, c, k)
    wvgpr(b, dst(ins).value, w, tobits(r, t), hi16=False if t is F16 else None)
  return h

def _vcmp(ins, toks):
  x = toks[0] == "cmpx"
  t = TYPES[toks[-1]]
  cond = "_".join(toks[1:-1])
  if cond == "class":
    fn = lambda a, m: _class(a, m)
  else:
    fn = CMP.get(cond)
    if fn is None: return None
  def h(b, ins, w):
    ss = srcs(ins)
    a = src(b, ins, ss[0], w, t, 0)
    c = src(b, ins, ss[1], w, U32 if cond == "class" else t, 1)
    ex = b.exec(w)
    r = np.broadcast_to(fn(a, c), ex.shape) & ex
    if x: b.set_mask(EXEC, w, r); return
    d = dst(ins)
    b.set_mask(VCC if d is None or d.kind == "text" else sreg(d), w, r)
  return h

def _vop3p(ins, base):
  from hwrt.sim import rdna3_vop3p
  return rdna3_vop3p.make(ins, base)

def _vopd(ins):
  """VOPD: two VOP2-like halves that read before either writes"""
  hx = _vopd_half(ins, ins.name)
  hy = _vopd_half(ins.y, ins.y.name)
  if hx is None or hy is None: return None
  def h(b, ins, w):
    if ins.y.literal is None: ins.y.literal = ins.literal                 # one literal dword serves both halves
    rx, ry = hx[0](b, ins, w), hy[0](b, ins.y, w)
    hx[1](b, ins, w, rx); hy[1](b, ins.y, w, ry)
  return h

def _vopd_half(ins, name):
  op = name[len("v_dual_"):]
  t = F32 if op.endswith("f32") else U32
  opname = op.rsplit("_", 1)[0] if op.endswith(("_f32", "_b32", "_u32")) else op
  fns = {"fmac": lambda a, c, d: _fma(a, c, d), "fmaak": None, "fmamk": None, "mul": OPS2["mul"], "add": OPS2["add"],
         "sub": OPS2["sub"], "subrev": OPS2["subrev"], "max": _max, "min": _min, "mov": _f, "cndmask": None,
         "add_nc": OPS2["add"], "lshlrev": OPS2["lshlrev"], "and": OPS2["and"], "mul_dx9_zero": OPS2["mul"], "dot2acc_f32_f16": None}
  if opname not in fns: return None
  def compute(b, ins, w):
    ss = srcs(ins); d = dst(ins)
    if opname == "cndmask":
      a, c = raw(b, ss[0], w, U32), raw(b, ss[1], w, U32)
      return np.where(b.mask(VCC, w), c, a)
    vals = [typed(raw(b, o, w, t), t) for o in ss]
    if opname not in ("fmac", "fmaak", "fmamk", "mov") and len(vals) != 2:
      raise Unimplemented(f"VOPD half {ins.name} with {len(vals)} sources {[o.field for o in ins.operands]}")
    if opname == "fmac": return tobits(_fma(vals[0], vals[1], typed(b.V[d.value, w], t)), t)
    if opname in ("fmaak", "fmamk"):
      k = typed(np.full((1, 1), ins.literal, U32), t)
      return tobits(_fma(vals[0], k, vals[1]) if opname == "fmamk" else _fma(vals[0], vals[1], k), t)
    return tobits(fns[opname](*vals), t)
  def write(b, ins, w, r): wvgpr(b, dst(ins).value, w, r.astype(U32))
  return compute, write
