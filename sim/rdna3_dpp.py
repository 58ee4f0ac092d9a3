"""Cross-lane data movement for sim/rdna3_exec.py: DPP16 / DPP8 source swizzles (any VOP1/VOP2/VOPC/VOP3 op with a _dpp form
runs its normal semantics on the swizzled src0), ds_swizzle_b32, v_permlane16/permlanex16_b32. RDNA3 ISA guide 7.7 (DPP:
quad_perm, row_shl/shr/ror, row_mirror, row_half_mirror, row_share, row_xmask; bound_ctrl: an invalid source lane reads 0,
else that lane does not write; fi: fetch inactive lanes; row_mask / bank_mask: rows of 16 and banks of 4 lanes that write)."""
from __future__ import annotations
import copy
import numpy as np

def dpp16_source(ctrl: int, L: int) -> np.ndarray:
  """source lane of every lane (-1: no valid source) for a DPP16 control value"""
  lane = np.arange(L)
  row, r = lane & ~15, lane & 15
  if ctrl <= 0xFF: return (lane & ~3) | ((ctrl >> (2 * (lane & 3))) & 3)
  n = ctrl & 15
  if 0x101 <= ctrl <= 0x10F: s = r + n; return np.where(s < 16, row + s, -1)          # row_shl
  if 0x111 <= ctrl <= 0x11F: s = r - n; return np.where(s >= 0, row + s, -1)          # row_shr
  if 0x121 <= ctrl <= 0x12F: return row + ((r - n) & 15)                              # row_ror
  if ctrl == 0x140: return row + 15 - r                                               # row_mirror
  if ctrl == 0x141: return (lane & ~7) + 7 - (lane & 7)                               # row_half_mirror
  if 0x150 <= ctrl <= 0x15F: return row + n                                           # row_share
  if 0x160 <= ctrl <= 0x16F: return row + (r ^ n)                                     # row_xmask
  return None

def swizzle(vals: np.ndarray, src: np.ndarray, ex: np.ndarray, fi: bool, zero: bool):
  """vals (nw, L) read through src lanes; returns (values, lanes that write)"""
  ok = src >= 0
  s = np.where(ok, src, 0)
  out = vals[:, s]
  valid = np.broadcast_to(ok, vals.shape) & (fi | ex[:, s])
  if zero: return np.where(valid, out, 0).astype(vals.dtype), np.ones(vals.shape, bool)
  return out, valid

def _lanes(d: dict, L: int):
  lane = np.arange(L)
  src = (lane & ~7) | np.array(d["sel"])[lane & 7] if "sel" in d else dpp16_source(d["ctrl"], L)
  rowok = ((d.get("row_mask", 15) >> ((lane >> 4) & 3)) & 1).astype(bool) & ((d.get("bank_mask", 15) >> ((lane >> 2) & 3)) & 1).astype(bool)
  return src, rowok

def wrap(base, ins):
  """a handler for ins (a _dpp form): run base on a copy of ins whose src0 is a temporary VGPR holding the swizzled lanes"""
  d = ins.dpp
  if "sel" not in d and dpp16_source(d["ctrl"], 32) is None: return None
  zero = bool(d.get("bound_ctrl", 0))
  def h(b, i, w):
    src, rowok = _lanes(d, b.L)
    o = next(x for x in i.operands if x.field == "src0")
    ex = b.exec(w)
    vals, valid = swizzle(b.V[o.value, w], src, ex, bool(d.get("fi", 0)), zero)
    tmp = b.V.shape[0] - 1                                             # the batch keeps one spare VGPR for this
    b.V[tmp, w] = vals
    j = copy.copy(i); j.operands = [copy.copy(x) for x in i.operands]
    for x in j.operands:
      if x.field == "src0": x.value = tmp
    dst = next((x for x in i.operands if x.field in ("vdst",) and x.kind == "vgpr"), None)
    keep = b.V[dst.value, w].copy() if dst is not None else None
    r = base(b, j, w)
    if dst is not None:
      wr = valid & rowok[None, :]
      b.V[dst.value, w] = np.where(wr, b.V[dst.value, w], keep)
    return r
  return h

def ds_swizzle(b, ins, w):
  off = ins.fields["offset0"] | (ins.fields["offset1"] << 8)
  lane = np.arange(b.L)
  if off & 0x8000:                                                     # quad permute mode
    src = (lane & ~3) | ((off >> (2 * (lane & 3))) & 3)
  else:
    a, o, x = off & 31, (off >> 5) & 31, (off >> 10) & 31
    src = (lane & ~31) | (((lane & a) | o) ^ x)
  ex = b.exec(w)
  vals, valid = swizzle(b.V[ins.fields["addr"], w], src, ex, False, True)          # the source is in the ADDR field
  d = ins.fields["vdst"]
  b.V[d, w] = np.where(ex, vals, b.V[d, w])

def permlane(x16: bool):
  def h(b, ins, w):
    from hwrt.sim.rdna3_ops import srcs, raw, dst, U32
    ss = srcs(ins)
    v = b.V[ss[0].value, w]
    s1 = np.broadcast_to(raw(b, ss[1], w, U32, lanes=False).reshape(-1), (v.shape[0],)).astype(np.uint64)
    s2 = np.broadcast_to(raw(b, ss[2], w, U32, lanes=False).reshape(-1), (v.shape[0],)).astype(np.uint64)
    sel64 = s1 | (s2 << np.uint64(32))
    lane = np.arange(b.L)
    nib = ((sel64[:, None] >> (4 * (lane & 15)).astype(np.uint64)) & np.uint64(15)).astype(np.int64)
    grp = (lane & ~15) ^ (16 if x16 else 0)
    src = grp[None, :] + nib
    ex = b.exec(w)
    rows = np.arange(v.shape[0])[:, None]
    fi = bool(ins.fields.get("opsel", 0) & 1)
    valid = fi | ex[rows, src]
    d = dst(ins).value
    b.V[d, w] = np.where(ex & valid, v[rows, src], b.V[d, w])
  return h
