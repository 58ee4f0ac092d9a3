"""Atomic SASS instructions: ATOMG / REDG (global), ATOMS (shared), ATOM / RED (generic addresses), and the
compare-and-store ATOMS.CAST.SPIN / ATOM.CAST.SPIN that ptxas builds the shared-memory atomics it has no instruction for
into (64-bit add / min / max / and / or, fp32 / fp64 / fp16x2 add on shared memory: load, compute, CAST.SPIN, retry).

The operation composes from the modifiers: operation (ADD MIN MAX INC DEC AND OR XOR EXCH CAS CAST) x type (U32 default,
S32, .64 = U64, S64, F32 [.FTZ], F64, F16x2, BF16x2; float adds round to nearest even) x address space. Semantics are
PTX atom / red: INC = old >= v ? 0 : old + 1, DEC = (old == 0 || old > v) ? v : old - 1, CAS stores the new value when old
equals the compare operand; every form returns the old value. CAST.SPIN d, [a], cmp, new stores new when [a] == cmp and
sets d = 1 (the pair 1:0 with .64), else d = 0.
Generic ATOM with a predicate output (ptxas writes `ATOM.E.ADD.64 P0, ...` and then, when P0 is false, checks the address
with QSPC and runs its shared-memory loop): here the atomic is done for global-memory lanes (P = true) and left to that
software path for shared-window lanes (P = false); with PT as the output every lane is done in place. Either way the
program gets the same result.
Atomics from many threads to one address are applied one after another in thread order; the results that do not depend
on the order (sums of integers, min, max, bitwise ops) are what the hardware gives, the others (which thread wins an
exchange or a compare-and-swap) are one of the orders the hardware may pick."""
import numpy as np
from hwrt.sim import sass_fp as F
from hwrt.sim.sass_exec import ALL
from hwrt.sim.sass_ops import handler, ival, pair, wpair, unimpl
from hwrt.sim.sass_ops_mem import address, _gresolve

def rmw(arr, idx, vals, fn, cmp=None, int_add=False):
  """Apply fn(old, val[, cmp]) at arr[idx] lane after lane (lanes hitting one address in lane order); returns the old values."""
  n = len(idx)
  old = np.empty(n, arr.dtype)
  vals = np.broadcast_to(np.asarray(vals, arr.dtype), (n,))
  if cmp is not None: cmp = np.broadcast_to(np.asarray(cmp, arr.dtype), (n,))
  order = np.argsort(idx, kind="stable")
  sidx = idx[order]
  first = np.ones(n, bool); first[1:] = sidx[1:] != sidx[:-1]
  if first.all():
    o = arr[idx]; old[:] = o
    arr[idx] = fn(o, vals) if cmp is None else fn(o, vals, cmp)
    return old
  start = np.maximum.accumulate(np.where(first, np.arange(n), 0))
  if int_add:
    sv = vals[order].astype(np.uint64)
    cs = np.cumsum(sv, dtype=np.uint64)
    excl = cs - sv - (cs[start] - sv[start])
    base = arr[sidx].astype(np.uint64)
    old[order] = (base + excl).astype(arr.dtype)
    last = np.ones(n, bool); last[:-1] = sidx[1:] != sidx[:-1]
    arr[sidx[last]] = (base[last] + excl[last] + sv[last]).astype(arr.dtype)
    return old
  rank = np.empty(n, np.int64); rank[order] = np.arange(n) - start
  by_rank = np.argsort(rank, kind="stable")
  bounds = np.searchsorted(rank[by_rank], np.arange(rank.max() + 2))
  for r in range(len(bounds) - 1):
    sel = by_rank[bounds[r]:bounds[r + 1]]
    o = arr[idx[sel]]; old[sel] = o
    arr[idx[sel]] = fn(o, vals[sel]) if cmp is None else fn(o, vals[sel], cmp[sel])
  return old

def _h2add(o, v, bf: bool):
  """Packed fp16x2 / bf16x2 add, each half rounded once (RN), canonical NaN."""
  from hwrt.sim.sass_ops_h2 import narrow
  class Fmt: mods = {"BF16_V2"} if bf else set()           # narrow() reads the format from an op's modifiers
  out = np.zeros_like(o)
  for sh in (0, 16):
    x, y = ((o >> np.uint32(sh)) & np.uint32(0xFFFF)), ((v >> np.uint32(sh)) & np.uint32(0xFFFF))
    dec = (lambda h: F.f32(h << np.uint32(16)).astype(np.float64)) if bf else (lambda h: F.f16(h.astype(np.uint16)).astype(np.float64))
    with np.errstate(all="ignore"): s = dec(x) + dec(y)        # exact in float64
    out |= narrow(Fmt, s, "RN").astype(np.uint32) << np.uint32(sh)
  return out

OPS = ("ADD", "MIN", "MAX", "INC", "DEC", "AND", "OR", "XOR", "EXCH", "CAS", "CAST")
TYPES = ("U32", "S32", "64", "U64", "S64", "F32", "F64", "F16x2", "BF16x2")
ATOM_MODS = OPS + TYPES + ("FTZ", "RN", "SPIN")

def kind(op):
  """(operation, width in bytes, fn(old, v[, cmp]) on uint arrays)."""
  m = op.mods
  ks = [k for k in OPS if k in m]
  tys = [t for t in TYPES if t in m]
  if len(ks) != 1 or len(tys) > 1: raise unimpl(op, "atomic operation")
  k, ty = ks[0], (tys[0] if tys else "U32")
  if k == "CAST" and "SPIN" not in m: raise unimpl(op, "CAST without SPIN")
  width = 8 if ty in ("64", "U64", "S64", "F64") else 4
  ud = np.uint64 if width == 8 else np.uint32
  if ty.startswith("F") or ty.startswith("BF"):
    if k != "ADD": raise unimpl(op, "float atomic other than ADD")
    if ty == "F32": return k, width, lambda o, v: F.fadd(o, v, "RN", "FTZ" in m)
    if ty == "F64":
      def dadd(o, v):
        with np.errstate(all="ignore"): r = o.view(np.float64) + v.view(np.float64)
        return np.where(np.isnan(r), np.uint64(0x7FFFFFFFFFFFFFFF), r.view(np.uint64)).astype(np.uint64)
      return k, width, dadd
    return k, width, lambda o, v: _h2add(o, v, ty == "BF16x2")
  sd = np.int64 if width == 8 else np.int32
  sv = (lambda x: x.view(sd)) if ty in ("S32", "S64") else (lambda x: x)
  fns = {"ADD": lambda o, v: (o + v).astype(ud), "AND": lambda o, v: o & v, "OR": lambda o, v: o | v, "XOR": lambda o, v: o ^ v,
         "EXCH": lambda o, v: v, "MIN": lambda o, v: np.minimum(sv(o), sv(v)).view(ud),
         "MAX": lambda o, v: np.maximum(sv(o), sv(v)).view(ud),
         "INC": lambda o, v: np.where(o >= v, ud(0), o + ud(1)).astype(ud),
         "DEC": lambda o, v: np.where((o == 0) | (o > v), v, o - ud(1)).astype(ud),
         "CAS": lambda o, v, c: np.where(o == c, v, o), "CAST": lambda o, v, c: np.where(o == c, v, o)}
  if k in ("INC", "DEC") and width == 8: raise unimpl(op, "64-bit INC/DEC")
  return k, width, fns[k]

def apply(st, op, d, a, srcs, resolve, mask=None):
  """Run the atomic for the threads (where mask, when given) -> (old values, width); resolve sees every thread's address."""
  k, width, fn = kind(op)
  dt = np.uint64 if width == 8 else np.uint32
  vals = [np.broadcast_to(np.asarray(pair(op, d, s) if width == 8 else ival(op, d, s), dt), (d.n,)) for s in srcs]
  if len(vals) != (2 if k in ("CAS", "CAST") else 1): raise unimpl(op, "operands")
  if k in ("CAS", "CAST"): vals = vals[::-1]       # operands: compare, new value -> fn(old, new, compare)
  old = np.zeros(d.n, dt)
  int_add = k == "ADD" and not any(t.startswith("F") or t.startswith("BF") for t in op.mods)
  for ls, view, off in resolve(a, width):
    idx = np.arange(d.n)[ls] if isinstance(ls, slice) else np.asarray(ls)
    if mask is not None: keep = mask[idx]; idx, off = idx[keep], off[keep]
    if len(idx) == 0: continue
    arr = view[:len(view) // width * width].view(dt)
    old[idx] = rmw(arr, off // width, vals[0][idx], fn, vals[1][idx] if len(vals) == 2 else None, int_add=int_add)
  return old, width

def _write(d, dst, old, width):
  if width == 8: wpair(d, dst.value, old)
  else: d.wreg(dst.value, old.astype(np.uint32))

def _finish(st, op, d, dst, a, srcs, resolve, mask=None):
  """The destination: the old value, or for CAST.SPIN the success flag (1, the pair 1:0 with .64; else 0)."""
  old, width = apply(st, op, d, a, srcs, resolve, mask)
  if "CAST" in op.mods:
    cmp = np.broadcast_to(np.asarray(pair(op, d, srcs[0]) if width == 8 else ival(op, d, srcs[0]), np.uint64), (d.n,))
    old = (old.astype(np.uint64) == cmp).astype(np.uint64)
    if mask is not None: old = np.where(mask, old, np.uint64(0))
  _write(d, dst, old, width)

def _global(st, op): return lambda va, sz: st.resolve(va, sz, True, op)

def _shared(st, op, d):
  flat = st.smem.reshape(-1)
  return lambda va, sz: [(ALL, flat, st.sindex(va, sz, d.ix, op))]

def _in_shared(st, a):
  sw = st.launch.shared_window
  return (sw != 0) & ((a >> 32) == (sw >> 32))

def _no_return(op):
  if "CAS" in op.mods or "CAST" in op.mods or "EXCH" in op.mods: raise unimpl(op, "reduction")

@handler("ATOMG", mods=ATOM_MODS)
def op_atomg(st, op, d):
  pout, dst, m, *srcs = op.ops
  if pout.type != "pred": raise unimpl(op, "operands")
  _finish(st, op, d, dst, address(st, op, d, m, True), srcs, _global(st, op))
  d.wpred(pout.value, np.ones(d.n, bool))

@handler("REDG", mods=ATOM_MODS)
def op_redg(st, op, d):
  m, *srcs = op.ops
  _no_return(op)
  apply(st, op, d, address(st, op, d, m, True), srcs, _global(st, op))

@handler("ATOMS", mods=ATOM_MODS + ("POPC", "32"))
def op_atoms(st, op, d):
  dst, m, *srcs = op.ops
  a = address(st, op, d, m, False)
  if "POPC" in op.mods:                         # ATOMS.POPC.INC.32: each lane adds one (the warp's count, aggregated)
    if op.mods != {"POPC", "INC", "32"} or srcs: raise unimpl(op, "form")
    flat = st.smem.reshape(-1).view(np.uint32)
    old = rmw(flat, st.sindex(a, 4, d.ix, op) // 4, np.uint32(1), None, int_add=True)
    d.wreg(dst.value, old); return
  _finish(st, op, d, dst, a, srcs, _shared(st, op, d))

@handler("ATOM", mods=ATOM_MODS)
def op_atom(st, op, d):
  pout, dst, m, *srcs = op.ops
  if pout.type != "pred": raise unimpl(op, "operands")
  a = address(st, op, d, m, True)
  mask = ~_in_shared(st, a) if pout.value != 7 else None          # see the module docstring
  _finish(st, op, d, dst, a, srcs, _gresolve(st, op, d, True), mask)
  d.wpred(pout.value, np.ones(d.n, bool) if mask is None else mask)

@handler("RED", mods=ATOM_MODS)
def op_red(st, op, d):
  m, *srcs = op.ops
  _no_return(op)
  apply(st, op, d, address(st, op, d, m, True), srcs, _gresolve(st, op, d, True))

@handler("QSPC", mods=("E", "S", "D", "G", "L"))
def op_qspc(st, op, d):
  """QSPC.E.<S|D|G|L> p, RZ, [a]: whether the generic address a is in the shared window (.S; .D: the cluster's
  distributed shared memory, the same window with one CTA per cluster), in global memory (.G) or the local window (.L)."""
  if len(op.ops) != 3 or op.ops[0].type != "pred" or op.ops[1].value != 255: raise unimpl(op, "operands")
  sp = [x for x in ("S", "D", "G", "L") if x in op.mods]
  if len(sp) != 1: raise unimpl(op, "space")
  a = address(st, op, d, op.ops[2], True)
  lw = st.launch.local_window
  sh = _in_shared(st, a)
  lo = (lw != 0) & (a >= lw) & (a < lw + (1 << 24)) & ~sh
  d.wpred(op.ops[0].value, {"S": sh, "D": sh, "L": lo, "G": ~(sh | lo)}[sp[0]])
