"""Packed half-precision SASS instructions (fp16x2, and bf16x2 with .BF16_V2): HADD2, HMUL2, HFMA2, HMNMX2, HSETP2, HSET2.

An operand is two halves (h0 = the low 16 bits); `.H0_H0` / `.H1_H1` broadcast one half, `-x` / `|x|` act on both signs; a
pair of immediates is one operand, printed high half first. The format (fp16 or bf16) x the operation x the rounding mode x
the output (.F32: the low lane as one fp32; .SAT: clamped to [0, 1], NaN -> +0; .RELU: negative and -0 -> +0) compose: each
lane is computed exactly in float64 (a product of two halves is exact there) with round-to-odd, then rounded once to the
format (sass_fp.py; for bf16 via an fp32 round-to-odd step, 24 >= 8 + 2 bits). NaN results are the canonical 0x7fff.
HMNMX2 is IEEE minNum/maxNum per lane with -0 < +0 (.NAN: a NaN operand gives NaN). HSETP2 writes the low lane's comparison
to its first predicate and the high lane's to the second (PTX setp.f16x2 d|e), HSET2 all-ones (1.0 with .BF) per lane."""
import numpy as np
from hwrt.sim import sass_fp as F
from hwrt.sim.sass_ops import handler, pval, unimpl, BOOL
from hwrt.sim.sass_ops_fp import _mode, FCMP, ROUND

def halves(op, d, o):
  s = o.shape
  sw = ""
  for suf in (".H0_H0", ".H1_H1", ".H1_H0", ".F32"):
    if s.endswith(suf): sw, s = suf, s[:-len(suf)]
  if sw == ".F32": raise unimpl(op, "fp32 operand of an fp16x2 instruction")
  if s not in ("{R}", "-{R}", "|{R}|", "-|{R}|", "{UR}", "-{UR}", "{I}") and not s.startswith("c["): raise unimpl(op, f"operand {o.shape}")
  v = np.asarray(d.src(op, o), np.uint32)
  if "|" in s: v = v & np.uint32(0x7FFF7FFF)
  if s.startswith("-"): v = v ^ np.uint32(0x80008000)
  lo, hi = (v & np.uint32(0xFFFF)).astype(np.uint16), (v >> np.uint32(16)).astype(np.uint16)
  if sw == ".H0_H0": hi = lo
  elif sw == ".H1_H1": lo = hi
  return lo, hi

def srcs(op, d, n, ops=None):
  """n packed sources (lo, hi uint16 each); a trailing pair of immediates is one operand (first printed = high half)."""
  ops = op.ops[1:] if ops is None else ops
  out, i = [], 0
  while i < len(ops):
    o = ops[i]
    if o.type == "fimm" and i + 1 < len(ops) and ops[i + 1].type == "fimm":
      # the pair is the 32-bit immediate of the ALU encoding, word bits 32..63 (high half printed first; Mesa NAK
      # encode_sm70.rs, set_src_imm at 32..64): read there, as the form table learned some bf16 pairs as one fp32 hole
      imm = op.ins.word >> 32 & 0xFFFFFFFF
      out.append((np.uint16(imm & 0xFFFF), np.uint16(imm >> 16))); i += 2; continue
    if o.type in ("pred", "upred"): break
    out.append(halves(op, d, o)); i += 1
  if len(out) != n: raise unimpl(op, "operands")
  return out

def flush(op, h):
  """.FTZ: subnormal halves -> a zero of the same sign."""
  h = np.asarray(h, np.uint16)
  if "FTZ" not in op.mods: return h
  expo = np.uint16(0x7F80 if "BF16_V2" in op.mods else 0x7C00)
  return np.where((h & expo) == 0, h & np.uint16(0x8000), h).astype(np.uint16)

def wide(op, h):
  """uint16 halves -> float64 values (fp16, or bf16 with .BF16_V2); .FTZ flushes subnormal inputs."""
  h = flush(op, h)
  if "BF16_V2" in op.mods: return F.f32(h.astype(np.uint32) << np.uint32(16)).astype(np.float64)
  return F.f16(h).astype(np.float64)

def narrow(op, x, mode):
  """float64 (round-to-odd'ed) -> uint16 halves of the instruction's format, canonical NaN."""
  return F.to_f16(x, mode) if "BF16_V2" not in op.mods else F.to_bf16(x, mode)

def fused(op, a, b, c, mode):
  """a * b + c per lane, rounded once (halves in, halves out)."""
  with np.errstate(all="ignore"):
    p = wide(op, a) * wide(op, b)
    s, e = F.two_sum(p, wide(op, c))
    return narrow(op, F.to_odd(s, e), mode), F.to_odd(s, e)

def clamp(op, h):
  """.SAT: [0, 1] with NaN -> +0; .RELU: negative values and -0 -> +0, NaN stays (canonical); .FTZ: subnormals -> 0."""
  h = flush(op, h)
  nan = (h & 0x7FFF) > (0x7F80 if "BF16_V2" in op.mods else 0x7C00)
  one = np.uint16(0x3F80 if "BF16_V2" in op.mods else 0x3C00)
  if "SAT" in op.mods:
    h = np.where(nan | (h >> 15 != 0), np.uint16(0), np.where((h & 0x7FFF) > one, one, h))
  if "RELU" in op.mods: h = np.where(~nan & (h >> 15 != 0), np.uint16(0), h)
  return h.astype(np.uint16)

def out(op, d, lo, hi, lo64):
  if "F32" in op.mods:          # .F32: the low lane's exact result as one fp32, rounded once
    if {"SAT", "RELU", "BF16_V2", "FTZ"} & op.mods: raise unimpl(op, "modifiers with .F32")
    d.wreg(op.ops[0].value, F.canon32(F.bits32(F.round_f64(lo64, _mode(op)))))
  else:
    d.wreg(op.ops[0].value, clamp(op, lo).astype(np.uint32) | (clamp(op, hi).astype(np.uint32) << np.uint32(16)))

H2_MODS = ("F32", "BF16_V2", "SAT", "RELU", "FTZ") + ROUND

@handler("HFMA2", mods=("MMA",) + H2_MODS)
def op_hfma2(st, op, d):
  """HFMA2[.MMA] (the .MMA encoding runs on the tensor-core pipe; the same arithmetic)."""
  (al, ah), (bl, bh), (cl, ch) = srcs(op, d, 3)
  m = _mode(op)
  lo, lo64 = fused(op, al, bl, cl, m)
  out(op, d, lo, fused(op, ah, bh, ch, m)[0], lo64)

def _one(op): return np.uint16(0x3F80 if "BF16_V2" in op.mods else 0x3C00)

@handler("HADD2", mods=H2_MODS)
def op_hadd2(st, op, d):
  """a + b = a * 1 + b: exact, rounded once."""
  (al, ah), (bl, bh) = srcs(op, d, 2)
  m = _mode(op)
  lo, lo64 = fused(op, al, _one(op), bl, m)
  out(op, d, lo, fused(op, ah, _one(op), bh, m)[0], lo64)

@handler("HMUL2", mods=H2_MODS)
def op_hmul2(st, op, d):
  """a * b + (-0): the exact product rounded once; -0 keeps a zero product's sign."""
  (al, ah), (bl, bh) = srcs(op, d, 2)
  z, m = np.uint16(0x8000), _mode(op)
  lo, lo64 = fused(op, al, bl, z, m)
  out(op, d, lo, fused(op, ah, bh, z, m)[0], lo64)

def _key(h):
  """Sign-magnitude order of half bit patterns: -0 < +0."""
  h = np.asarray(h, np.uint16).astype(np.int64)
  return np.where(h >> 15 != 0, -1 - (h & 0x7FFF), h)

@handler("HMNMX2", mods=("NAN", "BF16_V2"))
def op_hmnmx2(st, op, d):
  """HMNMX2 d, a, b, P: per lane P ? min : max (IEEE minNum/maxNum, -0 < +0; .NAN: NaN if either is NaN)."""
  (al, ah), (bl, bh) = srcs(op, d, 2)
  p = pval(d, op.ops[-1])
  top = 0x7F80 if "BF16_V2" in op.mods else 0x7C00
  res = []
  for a, b in ((al, bl), (ah, bh)):
    na, nb = (a & 0x7FFF) > top, (b & 0x7FFF) > top
    ka, kb = _key(a), _key(b)
    r = np.where(p, np.where(ka <= kb, a, b), np.where(ka >= kb, a, b))
    if "NAN" in op.mods: r = np.where(na | nb, np.uint16(0x7FFF), r)
    else: r = np.where(na & nb, np.uint16(0x7FFF), np.where(na, b, np.where(nb, a, r)))
    res.append(np.asarray(r).astype(np.uint32))
  d.wreg(op.ops[0].value, res[0] | (res[1] << np.uint32(16)))

def _compare(op, cmp, x, y):
  un = np.isnan(x) | np.isnan(y)
  with np.errstate(invalid="ignore"):
    if cmp == "NUM": return ~un
    if cmp == "NAN": return un
    if cmp.endswith("U"): return FCMP[cmp](x, y) | un
    return FCMP[cmp](x, y) & ~un

def _cmp_parts(op):
  cmp = [m for m in op.ins.mods if m in FCMP]; bop = [m for m in op.ins.mods if m in BOOL]
  if len(cmp) != 1 or len(bop) != 1: raise unimpl(op, "comparison")
  return cmp[0], BOOL[bop[0]]

@handler("HSETP2", mods=tuple(FCMP) + tuple(BOOL) + ("BF16_V2",))
def op_hsetp2(st, op, d):
  """HSETP2.<cmp>.<bool> p, q, a, b, c: p = cmp(a.h0, b.h0) bool c, q = cmp(a.h1, b.h1) bool c."""
  cmp, f = _cmp_parts(op)
  pd, pq = op.ops[0], op.ops[1]
  (al, ah), (bl, bh) = srcs(op, d, 2, op.ops[2:])
  c = pval(d, op.ops[-1])
  d.wpred(pd.value, f(_compare(op, cmp, wide(op, al), wide(op, bl)), c))
  d.wpred(pq.value, f(_compare(op, cmp, wide(op, ah), wide(op, bh)), c))

@handler("HSET2", mods=tuple(FCMP) + tuple(BOOL) + ("BF16_V2", "BF"))
def op_hset2(st, op, d):
  """HSET2.<cmp>.<bool> d, a, b, c: per lane all ones (1.0 with .BF) when cmp(a, b) bool c, else 0."""
  cmp, f = _cmp_parts(op)
  (al, ah), (bl, bh) = srcs(op, d, 2)
  c = pval(d, op.ops[-1])
  t = np.uint32(_one(op) if "BF" in op.mods else 0xFFFF)
  lo = np.where(f(_compare(op, cmp, wide(op, al), wide(op, bl)), c), t, np.uint32(0))
  hi = np.where(f(_compare(op, cmp, wide(op, ah), wide(op, bh)), c), t, np.uint32(0))
  d.wreg(op.ops[0].value, (lo | (hi << np.uint32(16))).astype(np.uint32))
