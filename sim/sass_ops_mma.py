"""Warp-level matrix multiply-accumulate on the tensor cores: HMMA (f16 / bf16 inputs, f32 or f16 accumulators) and IMMA
(s8 / u8 inputs, s32 accumulators), as ptxas emits them for PTX mma.sync.aligned.m16n8k{8,16} / m16n8k{16,32}.

The 32 lanes of a warp hold the fragments in consecutive registers (A: Ra.., B: Rb.., C: Rc.., D: Rd..) in the layouts
of the PTX ISA, "Warp-level Matrix Fragments for mma.m16n8k8 / m16n8k16 / m16n8k32" (groupID = lane >> 2, tig = lane & 3;
a register holds two halves or four bytes, the lower-numbered element in the low bits). `LAYOUTS` is that table.

Arithmetic: IMMA is exact (int64), wrapping to 32 bits, or clamped to the s32 range with .SAT (PTX .satfinite). HMMA takes
each element's value exactly (products of two halves are exact in float64), sums the K products and C in float64 and rounds
once to fp32 (or fp16, round-to-nearest-even). The hardware's own order and rounding of that sum are not documented (PTX:
"the accumulation order and intermediate precision are implementation defined"); the result is the hardware's whenever the
exact sum is representable in the accumulator type, which is what the tests use. A sparse (.SP), tf32, fp8 or m8n8k4
form raises Unimplemented."""
import numpy as np
from hwrt.sim import sass_fp as F
from hwrt.sim.sass_ops import handler, unimpl

def _frag(kind: str, shape: str):
  """[(register, element within register, row, col)] per lane, from the PTX ISA fragment tables; kind A, B or C."""
  out = []
  for lane in range(32):
    g, t = lane >> 2, lane & 3
    el = []
    if kind == "C":                                        # m16n8 accumulators, 4 elements (f32 / s32: one per register)
      el = [(i, g + 8 * (i >= 2), 2 * t + (i & 1)) for i in range(4)]
    elif shape in ("16816h", "1688h"):                     # 16-bit inputs: 2 per register
      if kind == "A":
        n = 8 if shape == "16816h" else 4
        el = [(i, g + 8 * ((i >> 1) & 1), 2 * t + (i & 1) + 8 * (i >= 4)) for i in range(n)]
      else:
        n = 4 if shape == "16816h" else 2
        el = [(i, 2 * t + (i & 1) + 8 * (i >= 2), g) for i in range(n)]
    else:                                                  # 8-bit inputs: 4 per register
      if kind == "A":
        n = 16 if shape == "16832b" else 8
        el = [(i, g + 8 * ((i >> 2) & 1), 4 * t + (i & 3) + 16 * (i >= 8)) for i in range(n)]
      else:
        n = 8 if shape == "16832b" else 4
        el = [(i, 4 * t + (i & 3) + 16 * (i >= 4), g) for i in range(n)]
    out.append(el)
  return out

SHAPES = {"16816h": (16, 8, 16), "1688h": (16, 8, 8), "16832b": (16, 8, 32), "16816b": (16, 8, 16)}
LAYOUTS = {(k, s): _frag(k, s) for s in SHAPES for k in ("A", "B", "C")}

def _warps(st, op, d):
  """Thread ids of the executing warps, (warps, 32) -- mma.sync needs every lane of a warp."""
  t = np.arange(st.N) if isinstance(d.ix, slice) else np.asarray(d.ix)
  if len(t) % 32 or not np.array_equal(t.reshape(-1, 32) % 32, np.broadcast_to(np.arange(32), (len(t) // 32, 32))):
    raise unimpl(op, "a warp with inactive lanes")
  return t.reshape(-1, 32)

def _gather(st, op, tw, reg: int, layout, bits: int, rows: int, cols: int, decode):
  """The matrix (warps, rows, cols) held by the warp's lanes from register reg on, element width bits."""
  per = 32 // bits
  nregs = max(1, len(layout[0]) // per)
  if reg == 255: return np.zeros((tw.shape[0], rows, cols), np.float64 if decode is not None else np.int64)
  if reg + nregs > st.R.shape[0]: st.grow(reg + nregs)
  regs = np.stack([st.R[reg + j][tw] for j in range(nregs)])          # (nregs, warps, 32)
  out = np.zeros((tw.shape[0], rows, cols), np.float64 if decode is not None else np.int64)
  for lane in range(32):
    for i, r, c in layout[lane]:
      w = regs[i // per, :, lane].astype(np.uint64)
      e = (w >> np.uint64(bits * (i % per))) & np.uint64((1 << bits) - 1)
      out[:, r, c] = decode(e) if decode is not None else e.astype(np.int64)
  return out

def _scatter(st, tw, reg: int, layout, vals, bits: int):
  """Write matrix vals (warps, rows, cols) of bits-wide elements (uint) to the lanes' registers from reg on."""
  if reg == 255: return
  per = 32 // bits
  nregs = max(1, len(layout[0]) // per)
  if reg + nregs > st.R.shape[0]: st.grow(reg + nregs)
  acc = np.zeros((nregs, tw.shape[0], 32), np.uint64)
  for lane in range(32):
    for i, r, c in layout[lane]:
      acc[i // per, :, lane] |= (vals[:, r, c].astype(np.uint64) & np.uint64((1 << bits) - 1)) << np.uint64(bits * (i % per))
  for j in range(nregs): st.R[reg + j][tw] = acc[j].astype(np.uint32)

def _regs(op):
  ops = op.ops
  if len(ops) != 4 or any(o.type != "reg" for o in ops): raise unimpl(op, "operands")
  if any(o.shape not in ("{R}", "{R}.ROW", "{R}.COL") for o in ops): raise unimpl(op, "operand modifiers")
  return [o.value for o in ops]

f16v = lambda e: F.f16(e.astype(np.uint16)).astype(np.float64)
bf16v = lambda e: F.f32((e.astype(np.uint32) << np.uint32(16))).astype(np.float64)
f32v = lambda e: F.f32(e.astype(np.uint32)).astype(np.float64)

@handler("HMMA", mods=("16816", "1688", "F32", "F16", "BF16"))
def op_hmma(st, op, d):
  m = op.mods
  shape = "16816h" if "16816" in m else "1688h" if "1688" in m else None
  if shape is None or ("F32" in m) == ("F16" in m) or ("BF16" in m and "F16" in m): raise unimpl(op, "shape or types")
  rd, ra, rb, rc = _regs(op)
  M, N, K = SHAPES[shape]
  tw = _warps(st, op, d)
  dec = bf16v if "BF16" in m else f16v
  A = _gather(st, op, tw, ra, LAYOUTS["A", shape], 16, M, K, dec)
  B = _gather(st, op, tw, rb, LAYOUTS["B", shape], 16, K, N, dec)
  if "F32" in m:
    C = _gather(st, op, tw, rc, LAYOUTS["C", shape], 32, M, N, f32v)
    with np.errstate(all="ignore"): D = F.canon32(F.bits32((A @ B + C).astype(np.float32)))
    _scatter(st, tw, rd, LAYOUTS["C", shape], D, 32)
  else:
    C = _gather(st, op, tw, rc, LAYOUTS["C", shape], 16, M, N, f16v)
    with np.errstate(all="ignore"): D = F.to_f16(A @ B + C, "RN")
    _scatter(st, tw, rd, LAYOUTS["C", shape], D, 16)

@handler("IMMA", mods=("16816", "16832", "S8", "U8", "SAT"))
def op_imma(st, op, d):
  m = op.mods
  shape = "16832b" if "16832" in m else "16816b" if "16816" in m else None
  tys = [x for x in op.ins.mods if x in ("S8", "U8")]
  if shape is None or len(tys) != 2: raise unimpl(op, "shape or types")
  rd, ra, rb, rc = _regs(op)
  M, N, K = SHAPES[shape]
  tw = _warps(st, op, d)
  sgn = lambda ty: (lambda x: np.where(x >= 128, x - 256, x)) if ty == "S8" else (lambda x: x)
  A = sgn(tys[0])(_gather(st, op, tw, ra, LAYOUTS["A", shape], 8, M, K, None))
  B = sgn(tys[1])(_gather(st, op, tw, rb, LAYOUTS["B", shape], 8, K, N, None))
  C = _gather(st, op, tw, rc, LAYOUTS["C", shape], 32, M, N, None)
  C = np.where(C >= 1 << 31, C - (1 << 32), C)
  D = np.einsum("wmk,wkn->wmn", A, B) + C
  if "SAT" in m: D = np.clip(D, -(1 << 31), (1 << 31) - 1)
  _scatter(st, tw, rd, LAYOUTS["C", shape], D & 0xFFFFFFFF, 32)
