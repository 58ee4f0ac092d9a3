"""Memory, control-flow and warp-collective SASS instructions for the interpreter (atomics: sass_ops_atom.py).

Global memory goes through GPUMemory.region (an unmapped VA raises MMUFault, which the engine reports as Xid 31); the
`desc[URx]` memory descriptor (cbank0 0x208, which the driver writes as 0) is not consulted. Shared memory is the CTA's own
byte array; an address is the offset in the CTA's shared window, which on sm_90 starts with 0x400 reserved bytes (ptxas
forms addresses as (SR_CgaCtaId << 24) + 0x400 + offset; one CTA per cluster here, so SR_CgaCtaId is 0).
"""
import numpy as np
from hwrt.errors import GPUFault
from hwrt.sim import sass_fp as F
from hwrt.sim.sass_exec import ALL, DEAD
from hwrt.sim.sass_ops import handler, ival, pval, pair, wpair, unimpl, M32

SIZE = {"U8": (1, False), "S8": (1, True), "U16": (2, False), "S16": (2, True), "64": (8, False), "128": (16, False)}

def _size(op):
  s = [m for m in op.mods if m in SIZE]
  if len(s) > 1: raise unimpl(op, "access size")
  return SIZE[s[0]] if s else (4, False)

def address(st, op, d, o, wide: bool):
  """Per-thread address (int64) of a memory operand: register (a 64-bit pair when wide) + uniform register + offset."""
  p = op.parts[op.ops.index(o)]
  shape = o.shape.split("][")[-1]
  for bad in (".U32", ".X4", ".X8", ".X16"):
    if bad in shape: raise unimpl(op, f"address form {o.shape}")
  a = np.int64(p["offset"])
  if wide and p["reg"] != 255 and p["ureg"] != 63: raise unimpl(op, f"address form {o.shape}")
  if p["reg"] != 255:
    r = p["reg"]
    if wide: v = d.reg(r).astype(np.int64) | (d.reg(r + 1).astype(np.int64) << 32)
    else: v = d.reg(r).astype(np.int64)
    a = a + v
  if p["ureg"] != 63:
    u = p["ureg"]
    uv = np.asarray(d.ureg(u)).astype(np.int64)
    if wide: uv = uv | (np.asarray(d.ureg(u + 1)).astype(np.int64) << 32)     # a 64-bit address in URn:URn+1
    a = a + uv
  a = np.asarray(a, np.int64)
  return np.broadcast_to(a, (d.n,)).copy() if a.ndim == 0 else a

def _regs_in(d, n, words):
  return [d.reg(n + k) if n != 255 else np.uint32(0) for k in range(words)]

# ---------------------------------------------------------------- global loads/stores
@handler("LDG", mods=("U8", "S8", "U16", "S16", "64", "128"))
def op_ldg(st, op, d):
  dst, m = op.ops
  size, signed = _size(op)
  a = address(st, op, d, m, True)
  out = _load(st, op, a, size, signed, lambda va, sz: st.resolve(va, sz, False, op))
  for k, v in enumerate(out): d.wreg(dst.value + k if dst.value != 255 else 255, v)

def _load(st, op, a, size, signed, resolve):
  n = len(a)
  words = max(1, size // 4)
  out = np.zeros((words, n), np.uint32)
  for lanes, view, off in resolve(a, size):
    if size >= 4:
      v32 = view[:len(view) // 4 * 4].view(np.uint32)
      idx = off >> 2
      for k in range(words): out[k, lanes] = v32[idx + k]
    elif size == 2:
      v = view[:len(view) // 2 * 2].view(np.int16 if signed else np.uint16)[off >> 1]
      out[0, lanes] = v.astype(np.int32).view(np.uint32) if signed else v
    else:
      v = view[off]
      out[0, lanes] = v.view(np.int8).astype(np.int32).view(np.uint32) if signed else v
  return out

def _store(st, op, a, size, vals, resolve):
  for lanes, view, off in resolve(a, size):
    if size >= 4:
      v32 = view[:len(view) // 4 * 4].view(np.uint32)
      idx = off >> 2
      for k, v in enumerate(vals): v32[idx + k] = v if np.ndim(v) == 0 else v[lanes]
    elif size == 2:
      v = vals[0] if np.ndim(vals[0]) == 0 else vals[0][lanes]
      view[:len(view) // 2 * 2].view(np.uint16)[off >> 1] = np.asarray(v).astype(np.uint16)
    else:
      v = vals[0] if np.ndim(vals[0]) == 0 else vals[0][lanes]
      view[off] = np.asarray(v).astype(np.uint8)

@handler("STG", mods=("U8", "S8", "U16", "S16", "64", "128"))
def op_stg(st, op, d):
  m, src = op.ops
  size, _ = _size(op)
  a = address(st, op, d, m, True)
  _store(st, op, a, size, _regs_in(d, src.value, max(1, size // 4)), lambda va, sz: st.resolve(va, sz, True, op))

# ---------------------------------------------------------------- shared memory
def _sresolve(st, op, d):
  flat = st.smem.reshape(-1)
  def res(a, size):
    return [(ALL, flat, st.sindex(a, size, d.ix, op))]
  return res

def _load_op(st, op, d, resolve):
  """LDS/LDL: dst <- [address] through the window's resolver (shared memory per CTA, local memory per thread)"""
  dst, m = op.ops
  size, signed = _size(op)
  out = _load(st, op, address(st, op, d, m, False), size, signed, resolve)
  for k, v in enumerate(out): d.wreg(dst.value + k if dst.value != 255 else 255, v)

def _store_op(st, op, d, resolve):
  m, src = op.ops
  size, _ = _size(op)
  _store(st, op, address(st, op, d, m, False), size, _regs_in(d, src.value, max(1, size // 4)), resolve)

@handler("LDS", mods=("U8", "S8", "U16", "S16", "64", "128", "U"))
def op_lds(st, op, d): _load_op(st, op, d, _sresolve(st, op, d))

@handler("STS", mods=("U8", "S8", "U16", "S16", "64", "128"))
def op_sts(st, op, d): _store_op(st, op, d, _sresolve(st, op, d))

# ---------------------------------------------------------------- local memory and generic addresses
def _lresolve(st, op, d):
  flat = lambda: st.lmem.reshape(-1)
  tids = _tids(st, d.ix)
  def res(a, size):
    idx = st.lindex(a, size, tids, op)
    return [(ALL, flat(), idx)]
  return res

@handler("LDL", mods=("U8", "S8", "U16", "S16", "64", "128", "LU"))
def op_ldl(st, op, d): _load_op(st, op, d, _lresolve(st, op, d))

@handler("STL", mods=("U8", "S8", "U16", "S16", "64", "128"))
def op_stl(st, op, d): _store_op(st, op, d, _lresolve(st, op, d))

def _gresolve(st, op, d, write):
  """Generic addresses: the 4 GiB shared window (high word SR_SWINHI), the 16 MiB local window, else global memory."""
  sw, lw = st.launch.shared_window, st.launch.local_window
  tids = _tids(st, d.ix)
  def res(a, size):
    out = []
    sh = (sw != 0) & ((a >> 32) == (sw >> 32))
    lo = (lw != 0) & (a >= lw) & (a < lw + (1 << 24)) & ~sh
    gl = ~(sh | lo)
    if sh.any():
      i = np.flatnonzero(sh)
      out.append((i, st.smem.reshape(-1), st.sindex(a[i] - sw, size, tids[i], op)))
    if lo.any():
      i = np.flatnonzero(lo)
      idx = st.lindex(a[i] - lw, size, tids[i], op)
      out.append((i, st.lmem.reshape(-1), idx))
    if gl.any():
      i = np.flatnonzero(gl)
      for lanes, view, off in st.resolve(a[i], size, write, op):
        out.append((i if isinstance(lanes, slice) else i[lanes], view, off))
    return out
  return res

GEN_MODS = ("U8", "S8", "U16", "S16", "64", "128")

@handler("LD", mods=GEN_MODS)
def op_ld(st, op, d):
  dst, m = op.ops
  size, signed = _size(op)
  out = _load(st, op, address(st, op, d, m, True), size, signed, _gresolve(st, op, d, False))
  for k, v in enumerate(out): d.wreg(dst.value + k if dst.value != 255 else 255, v)

@handler("ST", mods=GEN_MODS)
def op_st(st, op, d):
  m, src = op.ops
  size, _ = _size(op)
  _store(st, op, address(st, op, d, m, True), size, _regs_in(d, src.value, max(1, size // 4)), _gresolve(st, op, d, True))

# ---------------------------------------------------------------- control flow
@handler("BRA", mods=("U", "DIV", "CONV"))
def op_bra(st, op, d):
  if op.mods - {"U"}: raise unimpl(op, "BRA.DIV/CONV")
  ix = d.ix
  if len(op.ops) == 2:
    p = pval(d, op.ops[0])
    if np.ndim(p) == 0:
      if not p: return
    else:
      sel = np.flatnonzero(p)
      ix = sel if isinstance(ix, slice) else ix[sel]
  st.pc[ix] = op.ops[-1].value

@handler("CALL", mods=("REL", "NOINC"))
def op_call(st, op, d):
  """CALL.REL.NOINC: the caller has put the return offset in a register (MOV R8, 0x390); no hardware call stack."""
  if op.mods != {"REL", "NOINC"} or len(op.ops) != 1: raise unimpl(op, "call form")
  st.pc[d.ix] = op.ops[0].value

@handler("RET", mods=("REL", "NODEC"))
def op_ret(st, op, d):
  """RET.REL.NODEC Rn `(function): return to the function's start + the 64-bit offset in Rn:Rn+1 (per thread)."""
  o = op.ops[0] if len(op.ops) == 1 else None
  if op.mods != {"REL", "NODEC"} or o is None or o.shape != "{R} {I}": raise unimpl(op, "return form")
  r, base = o.values[0][1], o.values[1][1]
  off = d.reg(r).astype(np.int64) | (d.reg(r + 1).astype(np.int64) << 32)
  st.pc[d.ix] = base + off

@handler("BPT", mods=("TRAP",))
def op_bpt(st, op, d):
  """BPT.TRAP (__trap(), a failed device assert): an SM exception, reported as Xid 13."""
  if op.mods != {"TRAP"}: raise unimpl(op, "breakpoint form")
  raise GPUFault(f"BPT.TRAP {op.ops[0].value if op.ops else 0:#x} at pc {op.pc:#x} (trap)", xid=13)

@handler("R2UR")
def op_r2ur(st, op, d):
  """R2UR URd, Rs: the value of the warp's lowest active lane (ptxas uses it for warp-uniform values)."""
  from hwrt.sim.sass_exec import UDom
  dst, a = op.ops
  if dst.type != "ureg" or a.type != "reg" or a.shape != "{R}": raise unimpl(op, "operands")
  t = _tids(st, d.ix)
  first = np.full(st.W, -1, np.int64)
  w = st.warp[t]
  first[w[::-1]] = t[::-1]                     # the lowest thread of each warp wins (last write)
  ws = st.warps_of(d.ix)
  src = first[ws] if not isinstance(ws, slice) else first
  v = np.zeros(len(src), np.uint32) if a.value == 255 else st.R[a.value][np.maximum(src, 0)]
  UDom(st, ws).wreg(dst.value, v)

@handler("EXIT")
def op_exit(st, op, d):
  if op.ops: raise unimpl(op, "operands")
  st.pc[d.ix] = DEAD

@handler("NOP", "BSSY", "BSYNC", "BREAK", "WARPSYNC", "MEMBAR", "FENCE", "CCTL", "ERRBAR", "CGAERRBAR", "DEPBAR", "YIELD",
         mods=("SC", "ALL", "GPU", "SYS", "CTA", "VIEW", "ASYNC", "IVALL", "E", "LE", "EXCLUSIVE", "PF1", "PF2"))
def op_nop(st, op, d):
  """Reconvergence (BSSY/BSYNC/BREAK, WARPSYNC) is implied by the lowest-PC-first schedule; fences (MEMBAR, FENCE, ERRBAR,
  CGAERRBAR) are implied by executing one instruction at a time for every thread; CCTL.PF1/PF2 are cache prefetches."""
  if op.name == "WARPSYNC" and op.ops and op.ops[0].type not in ("imm", "reg", "ureg"): raise unimpl(op, "operand")

BAR_RED = {"POPC": None, "AND": np.logical_and, "OR": np.logical_or}

@handler("BAR", mods=("SYNC", "RED", "DEFER_BLOCKING") + tuple(BAR_RED))
def op_bar(st, op, d):
  """All live threads of the CTA are at this BAR (lowest-PC-first); a barrier with a thread count is not modelled.
  BAR.RED.<POPC|AND|OR> id, p: also reduces p over the CTA's threads; B2R.RESULT reads the result (the count for .POPC,
  the predicate for .AND / .OR), as PTX bar.red.popc / .and / .or."""
  red = [m for m in op.mods if m in BAR_RED]
  if "RED" in op.mods and len(red) == 1 and len(op.ops) == 2 and op.ops[0].type == "imm" and op.ops[1].type == "pred":
    if st.b2r is None: st.b2r = np.zeros(st.N, np.uint32)
    p = np.broadcast_to(pval(d, op.ops[1]), (d.n,))
    ctas = st.cta[d.ix]
    cnt = np.bincount(ctas, weights=p, minlength=st.C).astype(np.int64)
    tot = np.bincount(ctas, minlength=st.C)
    res = {"POPC": cnt, "AND": (cnt == tot).astype(np.int64), "OR": (cnt > 0).astype(np.int64)}[red[0]]
    st.b2r[d.ix] = res[ctas].astype(np.uint32)
    return
  if "SYNC" not in op.mods or red or len(op.ops) != 1: raise unimpl(op, "barrier form")

@handler("B2R", mods=("RESULT",))
def op_b2r(st, op, d):
  """B2R.RESULT d[, p]: the last BAR.RED result of the thread (d = the count or 0/1, p = result != 0)."""
  if "RESULT" not in op.mods or op.ops[0].type != "reg" or len(op.ops) > 2: raise unimpl(op, "form")
  v = np.zeros(d.n, np.uint32) if st.b2r is None else st.b2r[d.ix]
  d.wreg(op.ops[0].value, v)
  if len(op.ops) == 2: d.wpred(op.ops[1].value, v != 0)

# ---------------------------------------------------------------- warp collectives (lanes = CTA-linear thread id // 32)
def _tids(st, ix): return np.arange(st.N, dtype=np.int64) if isinstance(ix, slice) else np.asarray(ix, np.int64)

@handler("SHFL", mods=("IDX", "UP", "DOWN", "BFLY"))
def op_shfl(st, op, d):
  pout, dst, a, b, c = op.ops
  mode = [m for m in ("IDX", "UP", "DOWN", "BFLY") if m in op.mods][0]
  lane = st.lane[d.ix].astype(np.int64)
  bv = ival(op, d, b).astype(np.int64) & 0x1F
  cv = ival(op, d, c).astype(np.int64)
  seg = (cv >> 8) & 0x1F
  maxl = (lane & seg) | (cv & 0x1F & ~seg)
  minl = lane & seg
  if mode == "UP": j = lane - bv; ok = j >= maxl
  elif mode == "DOWN": j = lane + bv; ok = j <= maxl
  elif mode == "BFLY": j = lane ^ bv; ok = j <= maxl
  else: j = minl | (bv & ~seg); ok = j <= maxl
  j = np.where(ok, j, lane)
  t = _tids(st, d.ix)
  src = t - lane + j
  if a.type != "reg": raise unimpl(op, f"operand {a.shape}")
  v = np.zeros(len(t), np.uint32) if a.value == 255 else st.R[a.value][src]
  d.wreg(dst.value, v)
  d.wpred(pout.value, np.broadcast_to(ok, (d.n,)))

def _ballot(st, ix, bits):
  v = np.zeros(st.N, bool); v[ix] = bits
  return np.packbits(v.reshape(st.W, 32), axis=1, bitorder="little").view("<u4")[:, 0]

def _active(st, ix): return _ballot(st, ix, True)

@handler("VOTE", mods=("ANY", "ALL", "EQ"))
def op_vote(st, op, d):
  regs = [o for o in op.ops if o.type == "reg"]
  preds = [o for o in op.ops if o.type == "pred"]
  pin, pouts = preds[-1], preds[:-1]
  bal = _ballot(st, d.ix, pval(d, pin))
  act = _active(st, d.ix)
  w = st.warp[d.ix]
  res = {"ANY": bal != 0, "ALL": bal == act, "EQ": (bal == act) | (bal == 0)}[[m for m in ("ANY", "ALL", "EQ") if m in op.mods][0]]
  for r in regs: d.wreg(r.value, bal[w])
  for p in pouts: d.wpred(p.value, res[w])

@handler("VOTEU", mods=("ANY", "ALL", "EQ"))
def op_voteu(st, op, d):
  from hwrt.sim.sass_exec import UDom
  dst, pout, pin = op.ops
  bal = _ballot(st, d.ix, pval(d, pin)); act = _active(st, d.ix)
  res = {"ANY": bal != 0, "ALL": bal == act, "EQ": (bal == act) | (bal == 0)}[[m for m in ("ANY", "ALL", "EQ") if m in op.mods][0]]
  ws = st.warps_of(d.ix)
  u = UDom(st, ws)
  if dst.type != "ureg" or pout.type != "upred": raise unimpl(op, "operands")
  u.wreg(dst.value, bal[ws]); u.wpred(pout.value, res[ws])

REDUX_OPS = {"AND": (np.bitwise_and, 0xFFFFFFFF), "OR": (np.bitwise_or, 0), "XOR": (np.bitwise_xor, 0), "SUM": (np.add, 0),
             "MIN": (np.minimum, None), "MAX": (np.maximum, None)}

@handler("REDUX", mods=tuple(REDUX_OPS) + ("S32", "U32"))
def op_redux(st, op, d):
  from hwrt.sim.sass_exec import UDom
  dst, a = op.ops
  k = [m for m in REDUX_OPS if m in op.mods] or ["AND"]
  fn, ident = REDUX_OPS[k[0]]
  signed = "S32" in op.mods
  dt = np.int64
  if ident is None:
    ident = (-(1 << 31) if k[0] == "MAX" else (1 << 31) - 1) if signed else (0 if k[0] == "MAX" else 0xFFFFFFFF)
  v = np.full(st.N, ident, dt)
  x = ival(op, d, a)
  v[d.ix] = np.asarray(x).view(np.int32).astype(dt) if signed else np.asarray(x).astype(dt)
  r = fn.reduce(v.reshape(st.W, 32), axis=1)
  ws = st.warps_of(d.ix)
  UDom(st, ws).wreg(dst.value, (r[ws] & 0xFFFFFFFF).astype(np.uint32))
