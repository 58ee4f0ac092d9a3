"""Integer bit-manipulation, dot-product, predicate-register and warp-match SASS instructions for the interpreter.

Semantics compose from the decoded modifiers: IDP's operand types (.S8/.U8, .S16/.U16 and .LO/.HI byte halves), SGXT's and
BMSK's wrap/clamp of the bit count, I2I's destination x source type x saturation. Where PTX defines the instruction ptxas
lowers to this one, the PTX ISA's definition is the reference (dp4a / dp2a, szext, bmsk, bfind, sad, cvt.sat,
cvt.pack.sat, match.sync); tests/test_sim_sass_ops.py checks each against numpy on ptxas output."""
import numpy as np
from hwrt.sim.sass_ops import handler, ival, pval, pair, unimpl, s32, M32, UNIFORM_OK

UNIFORM_OK.update({"SGXT", "BMSK", "P2R", "R2P"})
INT_TY = {"U8": (8, False), "S8": (8, True), "U16": (16, False), "S16": (16, True), "U32": (32, False), "S32": (32, True)}

def lanes(v, width: int, signed: bool, n: int):
  """The n width-bit fields of 32-bit v as int64 values, low field first."""
  v = np.asarray(v, np.uint32).astype(np.int64)
  out = []
  for k in range(n):
    f = (v >> (width * k)) & ((1 << width) - 1)
    out.append(np.where(f >> (width - 1) != 0, f - (1 << width), f) if signed else f)
  return out

@handler("IDP", mods=("4A", "2A", "LO", "HI") + tuple(INT_TY))
def op_idp(st, op, d):
  """IDP.4A.<a>.<b> d, a, b, c = c + sum a.byte[i] * b.byte[i]; IDP.2A.<LO|HI>.<a16>.<b8> = c + a.h0 * b.byte[k] +
  a.h1 * b.byte[k + 1] with k = 0 (.LO) or 2 (.HI) (PTX dp4a / dp2a; the result wraps to 32 bits)."""
  m = op.ins.mods
  tys = [x for x in m if x in INT_TY]
  if len(op.ops) != 4 or len(tys) != 2: raise unimpl(op, "operands")
  dst, a, b, c = op.ops
  (wa, sa), (wb, sb) = INT_TY[tys[0]], INT_TY[tys[1]]
  if "4A" in m and wa == wb == 8: xs, ys = lanes(ival(op, d, a), 8, sa, 4), lanes(ival(op, d, b), 8, sb, 4)
  elif "2A" in m and wa == 16 and wb == 8 and ("LO" in m) != ("HI" in m):
    xs, ys = lanes(ival(op, d, a), 16, sa, 2), lanes(ival(op, d, b), 8, sb, 4)[(0 if "LO" in m else 2):][:2]
  else: raise unimpl(op, "operand types")
  acc = ival(op, d, c).astype(np.int64)
  for x, y in zip(xs, ys): acc = acc + x * y
  d.wreg(dst.value, (acc & 0xFFFFFFFF).astype(np.uint32))

def _count(op, d, o, limit: int):
  """A bit count: .W takes it modulo 32, else it is clamped to limit (PTX szext/bmsk .wrap / .clamp)."""
  n = ival(op, d, o).astype(np.int64)
  return n & 31 if "W" in op.mods else np.minimum(n, limit)

@handler("SGXT", mods=("W", "U32"))
def op_sgxt(st, op, d):
  """SGXT[.W][.U32] d, a, n: the low n bits of a, sign-extended (zero-extended with .U32); n = 0 gives 0, n >= 32 keeps a."""
  dst, a, b = op.ops
  v = ival(op, d, a).astype(np.int64)
  n = _count(op, d, b, 32)
  low = v & ((np.int64(1) << n) - 1)
  if "U32" not in op.mods:
    low = np.where((n > 0) & (n < 32) & ((low >> np.maximum(n - 1, 0)) & 1 == 1), low - (np.int64(1) << n), low)
  d.wreg(dst.value, (np.asarray(low) & 0xFFFFFFFF).astype(np.uint32))

@handler("BMSK", mods=("W",))
def op_bmsk(st, op, d):
  """BMSK[.W] d, pos, width: ((1 << width) - 1) << pos in 32 bits (pos and width clamped to 32, or modulo 32 with .W)."""
  dst, a, b = op.ops
  pos, wid = _count(op, d, a, 32), _count(op, d, b, 32)
  m = ((np.int64(1) << wid) - 1) << pos
  d.wreg(dst.value, (np.asarray(m) & 0xFFFFFFFF).astype(np.uint32))

@handler("VABSDIFF", mods=("U32", "S32"))
def op_vabsdiff(st, op, d):
  """VABSDIFF[.U32] d, a, b, c = |a - b| + c (PTX sad)."""
  if len(op.ops) != 4: raise unimpl(op, "operands")
  dst, a, b, c = op.ops
  va, vb = ival(op, d, a).astype(np.int64), ival(op, d, b).astype(np.int64)
  if "U32" not in op.mods: va, vb = np.where(va >= 1 << 31, va - (1 << 32), va), np.where(vb >= 1 << 31, vb - (1 << 32), vb)
  d.wreg(dst.value, ((np.abs(va - vb) + ival(op, d, c)) & 0xFFFFFFFF).astype(np.uint32))

@handler("I2I", mods=("SAT",) + tuple(INT_TY))
def op_i2i(st, op, d):
  """I2I.<dst>.<src>[.SAT] d, a: a of the source type converted to the destination type, clamped with .SAT, else
  truncated to its width; the result is zero- or sign-extended to 32 bits (PTX cvt[.sat].<dst>.<src>)."""
  tys = [x for x in op.ins.mods if x in INT_TY]
  if len(tys) != 2 or len(op.ops) != 2: raise unimpl(op, "types")
  (wd, sd), (ws, ss) = INT_TY[tys[0]], INT_TY[tys[1]]
  v = lanes(ival(op, d, op.ops[1]), ws, ss, 1)[0]
  lo, hi = (-(1 << (wd - 1)), (1 << (wd - 1)) - 1) if sd else (0, (1 << wd) - 1)
  if "SAT" in op.mods: v = np.clip(v, lo, hi)
  else: v = lanes((v & 0xFFFFFFFF).astype(np.uint32), wd, sd, 1)[0]
  d.wreg(op.ops[0].value, (np.asarray(v) & 0xFFFFFFFF).astype(np.uint32))

@handler("I2IP", mods=("SAT", "U8", "S8", "S32"))
def op_i2ip(st, op, d):
  """I2IP.<U8|S8>.S32.SAT d, a, b, c: PTX cvt.pack.sat.<t>.s32.b32 -- d = c.lo16 << 16 | sat(a) << 8 | sat(b)."""
  if "SAT" not in op.mods or "S32" not in op.mods or len(op.ops) != 4: raise unimpl(op, "form")
  dst, a, b, c = op.ops
  lo, hi = (-128, 127) if "S8" in op.mods else (0, 255)
  sat = lambda o: (np.clip(s32(ival(op, d, o)).astype(np.int64), lo, hi) & 0xFF).astype(np.uint32)
  d.wreg(dst.value, ((ival(op, d, c) & np.uint32(0xFFFF)) << np.uint32(16)) | (sat(a) << np.uint32(8)) | sat(b))

def _pr(op, o):
  if o.type != "literal" or o.shape != "PR": raise unimpl(op, f"operand {o.shape}")

@handler("R2P")
def op_r2p(st, op, d):
  """R2P PR, a, mask: predicate i (0..6) = bit i of a, for the bits set in mask."""
  pr, a, m = op.ops
  _pr(op, pr)
  if a.shape not in ("{R}", "{UR}"): raise unimpl(op, f"operand {a.shape}")
  v, mask = ival(op, d, a), int(ival(op, d, m))
  for i in range(7):
    if mask >> i & 1: d.wpred(i, (v >> np.uint32(i)) & np.uint32(1) != 0)

@handler("P2R")
def op_p2r(st, op, d):
  """P2R d, PR, a, mask: d = a with the bits of mask replaced by predicates 0..6 (bit i = Pi)."""
  dst, pr, a, m = op.ops
  _pr(op, pr)
  if a.shape not in ("{R}", "{UR}"): raise unimpl(op, f"operand {a.shape}")
  mask = np.uint32(int(ival(op, d, m)) & 0x7F)
  bits = np.uint32(0)
  for i in range(7):
    if int(mask) >> i & 1:
      p = d.st.UP[i, d.ix] if d.uniform else d.st.P[i, d.ix]
      bits = bits | (p.astype(np.uint32) << np.uint32(i))
  d.wreg(dst.value, ((ival(op, d, a) & ~mask) | bits).astype(np.uint32))

@handler("MATCH", mods=("ANY", "ALL", "U32", "U64"))
def op_match(st, op, d):
  """MATCH.ANY d, a: the lanes of the warp (among those executing) whose a equals this lane's; MATCH.ALL [p,] d, a: the
  executing lanes when all hold the same a, else 0, and p = whether they did (PTX match.sync; .U64: a register pair)."""
  from hwrt.sim.sass_ops_mem import _tids
  regs = [o for o in op.ops if o.type == "reg"]
  pouts = [o for o in op.ops if o.type == "pred"]
  if len(regs) != 2 or ("ANY" in op.mods) == ("ALL" in op.mods) or ("ANY" in op.mods and pouts): raise unimpl(op, "form")
  dst, a = regs
  v = np.broadcast_to(np.asarray(pair(op, d, a) if "U64" in op.mods else ival(op, d, a), np.uint64), (d.n,))
  t = _tids(st, d.ix)
  full = np.zeros(st.N, np.uint64); full[t] = v
  act = np.zeros(st.N, bool); act[t] = True
  base = t - st.lane[t].astype(np.int64)
  res = np.zeros(len(t), np.uint64)
  for k in range(32):                                   # lane k of each thread's warp
    j = base + k
    hit = act[j] & (full[j] == v)
    res |= np.where(hit, np.uint64(1) << np.uint64(k), np.uint64(0))
  if "ANY" in op.mods: d.wreg(dst.value, (res & M32).astype(np.uint32)); return
  from hwrt.sim.sass_ops_mem import _active
  mask = _active(st, d.ix)[st.warp[t]].astype(np.uint64)
  same = res == mask
  d.wreg(dst.value, np.where(same, mask, np.uint64(0)).astype(np.uint32))
  for p in pouts: d.wpred(p.value, same)
