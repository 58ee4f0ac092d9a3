"""Packed (VOP3P) math for sim/rdna3_exec.py: v_pk_* on two 16-bit halves with op_sel / op_sel_hi / neg / neg_hi, v_dot2_*,
v_fma_mix*, and WMMA 16x16x16 (wave32 layout of the RDNA3 ISA guide 7.9: A/B rows in lanes 0-15 duplicated in 16-31, C/D: lane l
holds column l%16, rows 2i + l//16)."""
from __future__ import annotations
import numpy as np
from hwrt.sim.rdna3_ops import raw, wvgpr, srcs, dst, U32, F32, F16, U16, I16, _fma

PK = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b, "max": np.maximum, "min": np.minimum,
      "fma": lambda a, b, c: (a.astype(F32) * b.astype(F32) + c.astype(F32)), "mad": lambda a, b, c: a * b + c,
      "lshlrev": lambda a, b: b << (a & 15), "lshrrev": lambda a, b: b >> (a & 15), "ashrrev": lambda a, b: b >> (a & 15)}
T = {"f16": F16, "u16": U16, "i16": I16, "b16": U16}

def make(ins, base):
  if base.startswith("pk_"):
    op, t = base[3:].rsplit("_", 1)
    if op not in PK or t not in T: return None
    return _pk(PK[op], T[t], 3 if op in ("fma", "mad") else 2)
  if base.startswith("wmma_f32_16x16x16_f16"): return _wmma
  if base == "dot2_f32_f16": return _dot2
  return None

def _halves(b, ins, w, i, o, t):
  x = raw(b, o, w, U32)
  f = ins.fields
  lo = (x >> U32(16)) if (f.get("opsel", 0) >> i) & 1 else x
  hi = (x >> U32(16)) if ((f.get("opsel_hi", 0) | (f.get("opsel_hi2", 0) << 2)) >> i) & 1 else x
  lo, hi = (lo & U32(0xFFFF)).astype(U16).view(t), (hi & U32(0xFFFF)).astype(U16).view(t)
  if t is F16:
    if (f.get("neg", 0) >> i) & 1: lo = -lo
    if (f.get("neg_hi", 0) >> i) & 1: hi = -hi
  return lo, hi

def _pk(fn, t, n):
  def h(b, ins, w):
    hs = [_halves(b, ins, w, i, o, t) for i, o in enumerate(srcs(ins)[:n])]
    lo, hi = fn(*[x[0] for x in hs]).astype(t), fn(*[x[1] for x in hs]).astype(t)
    wvgpr(b, dst(ins).value, w, lo.view(U16).astype(U32) | (hi.view(U16).astype(U32) << U32(16)))
  return h

def _dot2(b, ins, w):
  ss = srcs(ins)
  (a0, a1), (b0, b1) = _halves(b, ins, w, 0, ss[0], F16), _halves(b, ins, w, 1, ss[1], F16)
  c = raw(b, ss[2], w, U32).view(F32)
  r = (a0.astype(np.float64) * b0 + a1.astype(np.float64) * b1 + c).astype(F32)
  wvgpr(b, dst(ins).value, w, r.view(U32))

def _wmma(b, ins, w):
  """D = A x B + C, 16x16 tiles; A: lane l%16 holds row l%16 (8 VGPRs = 16 halves over k), B: lane l%16 holds column l%16"""
  ss = srcs(ins)
  def mat(o):
    regs = np.stack([b.V[o.value + i, w] for i in range(8)], axis=-1)           # (nw, L, 8) dwords -> 16 halves
    return regs.view(U16).view(F16)[:, :16, :].astype(F32)                     # (nw, 16, 16): [lane, k]
  A, B = mat(ss[0]), mat(ss[1])
  C = np.stack([b.V[ss[2].value + i, w] for i in range(8)], axis=-1).view(F32)  # (nw, L, 8)
  Cm = np.zeros((A.shape[0], 16, 16), F32)
  for i in range(8):
    Cm[:, 2 * i, :] = C[:, :16, i]; Cm[:, 2 * i + 1, :] = C[:, 16:32, i]
  Dm = (np.einsum("wik,wjk->wij", A.astype(np.float64), B.astype(np.float64)) + Cm).astype(F32)   # row i of A . column j of B
  ex = b.exec(w)
  for i in range(8):
    out = np.concatenate([Dm[:, 2 * i, :], Dm[:, 2 * i + 1, :]], axis=1)        # (nw, 32)
    wvgpr(b, dst(ins).value + i, w, out.view(U32), ex)
