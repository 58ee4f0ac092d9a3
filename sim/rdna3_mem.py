"""Vector memory for sim/rdna3_exec.py: GLOBAL / FLAT / SCRATCH loads, stores and atomics through the GPU VM (a lane that
touches an unmapped page faults the dispatch), and LDS ds_* (per workgroup, bank-free: every lane's access lands in one step;
an address past the allocation reads 0 and drops the write, as RDNA3 LDS does). Private (scratch) memory is per lane.
AMD "RDNA3 ISA" ch. 10 (global/flat/scratch), 11 (LDS), 12 (buffer); address = VGPR (64-bit, or SGPR base + 32-bit VGPR) +
signed 13-bit offset."""
from __future__ import annotations
import numpy as np
from hwrt.sim.rdna3_exec import Unimplemented
from hwrt.sim.rdna3_ops import raw, U32, U64, I32, F32, wvgpr, dst

SIZES = {"b32": 4, "b64": 8, "b96": 12, "b128": 16, "u8": 1, "i8": 1, "u16": 2, "i16": 2, "b8": 1, "b16": 2,
         "d16_b16": 2, "d16_hi_b16": 2, "d16_u8": 1, "d16_i8": 1, "d16_hi_u8": 1, "d16_hi_i8": 1, "d16_hi_b8": 1, "d16_b8": 1}
FLAT_SCRATCH, FLAT_LDS = 2 << 48, 1 << 48          # shared / private apertures (src_shared_base, src_private_base)
ATOM = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "and": lambda a, b: a & b, "or": lambda a, b: a | b,
        "xor": lambda a, b: a ^ b, "min": np.minimum, "max": np.maximum, "swap": lambda a, b: b, "inc": None, "dec": None}

def _lanes(b, w): return b.exec(w)

def _expand(vals32: np.ndarray, kind: str) -> np.ndarray:
  return vals32

def make(ins):
  n, enc = ins.name, ins.enc
  if enc == "DS": return _ds(ins)
  if enc == "MUBUF": return None
  pre = n.split("_", 1)[0]
  rest = n[len(pre) + 1:]
  if rest.startswith("load_") or rest.startswith("store_"):
    kind = rest.split("_", 1)[1]
    if kind not in SIZES: return None
    return _vmem(ins, rest.startswith("load_"), kind)
  if rest.startswith("atomic_"): return _atomic(ins, rest[len("atomic_"):])
  return None

def _addr(b, ins, w):
  f = ins.fields
  off = f["offset"] - (1 << 13) if f["offset"] & (1 << 12) else f["offset"]
  if ins.enc == "SCRATCH":
    v = b.V[f["addr"], w].astype(np.int64) if f.get("sve") else 0
    s = b.S[w, f["saddr"]].astype(np.int64)[:, None] if f["saddr"] != 0x7C else 0
    return np.broadcast_to(v + s + off, (b.S[w].shape[0], b.L)).astype(np.int64), "scratch"
  if ins.enc == "GLOBAL" and f["saddr"] != 0x7C:
    sb = f["saddr"]
    base = b.S[w, sb].astype(U64) | (b.S[w, sb + 1].astype(U64) << U64(32))
    a = base[:, None] + b.V[f["addr"], w].astype(U64) + U64(off & (2**64 - 1))
  else:
    a = b.V[f["addr"], w].astype(U64) | (b.V[f["addr"] + 1, w].astype(U64) << U64(32))
    a = a + U64(off & (2**64 - 1))
  return a, "global"

def _scratch(b, nbytes):
  if b.scratch is None or b.scratch.shape[2] < nbytes:
    new = np.zeros((b.nw, b.L, max(nbytes, 256 if b.scratch is None else 2 * b.scratch.shape[2])), np.uint8)
    if b.scratch is not None: new[:, :, :b.scratch.shape[2]] = b.scratch
    b.scratch = new
  return b.scratch

def _wave_idx(b, w): return np.arange(b.nw)[w]

def _vmem(ins, load, kind):
  n = SIZES[kind]
  signed, d16, hi = kind in ("i8", "i16", "d16_i8", "d16_hi_i8"), kind.startswith("d16"), "_hi_" in kind
  def h(b, ins, w):
    ex = b.exec(w)
    a, space = _addr(b, ins, w)
    if space == "global" and (a[ex] >= U64(FLAT_LDS)).any() and ins.enc == "FLAT": raise Unimplemented(f"unimplemented RDNA3 flat LDS/scratch access ({ins.name}) at pc {b.pc_now:#x}")
    f = ins.fields
    if space == "scratch":
      widx = np.broadcast_to(_wave_idx(b, w)[:, None], ex.shape)[ex]; lidx = np.broadcast_to(np.arange(b.L), ex.shape)[ex]
      offs = a[ex]
      sc = _scratch(b, int(offs.max()) + n if offs.size else n)
      if load: data = sc[widx[:, None], lidx[:, None], offs[:, None] + np.arange(n)]
      else:
        data = _gather_data(b, f["data"], w, ex, n)
        sc[widx[:, None], lidx[:, None], offs[:, None] + np.arange(n)] = data
        return
    else:
      if load: data = b.load(a[ex], n)
      else: b.store(a[ex], _gather_data(b, f["data"], w, ex, n)); return
    _write_loaded(b, f["vdst"], w, ex, data, n, signed, d16, hi)
  return h

def _gather_data(b, reg, w, ex, n):
  dw = max(1, -(-n // 4))
  words = np.stack([b.V[reg + i, w][ex] for i in range(dw)], axis=1).astype(U32)
  return words.view(np.uint8).reshape(-1, 4 * dw)[:, :n]

def _write_loaded(b, reg, w, ex, data, n, signed, d16, hi):
  if n >= 4:
    words = np.ascontiguousarray(data).view(U32).reshape(-1, n // 4)
    for i in range(n // 4):
      cur = b.V[reg + i, w].copy(); cur[ex] = words[:, i]; b.V[reg + i, w] = cur
    return
  v = data[:, 0].astype(U32) if n == 1 else np.ascontiguousarray(data).view(np.uint16)[:, 0].astype(U32)
  if signed: v = ((v << U32(32 - 8 * n)).view(I32) >> (32 - 8 * n)).view(U32)
  cur = b.V[reg, w].copy()
  if d16:
    v16 = v & U32(0xFFFF)
    cur[ex] = (cur[ex] & U32(0xFFFF)) | (v16 << U32(16)) if hi else (cur[ex] & U32(0xFFFF0000)) | v16
  else: cur[ex] = v
  b.V[reg, w] = cur

def _atomic(ins, op):
  parts = op.split("_")
  ret = bool(ins.fields.get("glc"))
  t = parts[-1]
  base = "_".join(parts[:-1])
  if base in ("cmpswap",) or base == "cmpswap":
    pass
  elif base not in ATOM and base not in ("add", "umin", "umax", "smin", "smax"): return None
  n = 8 if t in ("b64", "u64", "i64", "f64") else 4
  def h(b, ins, w):
    ex = b.exec(w)
    a, space = _addr(b, ins, w)
    if space != "global": raise Unimplemented(f"unimplemented RDNA3 instruction {ins.name} at pc {b.pc_now:#x}")
    addrs = a[ex]
    f = ins.fields
    data = _gather_data(b, f["data"], w, ex, 2 * n if base == "cmpswap" else n)
    old = np.zeros((addrs.size, n), np.uint8)
    for i in range(addrs.size):                                        # lanes in order: each sees the previous lane's result
      cur = b.load(addrs[i:i + 1], n)
      old[i] = cur[0]
      c = _apply(base, t, cur[0], data[i], n)
      if c is not None: b.store(addrs[i:i + 1], c[None])
    if ret: _write_loaded(b, f["vdst"], w, ex, old, n, False, False, False)
  return h

def _apply(base, t, cur, data, n):
  dt = {"u32": U32, "i32": np.int32, "f32": F32, "b32": U32, "u64": U64, "i64": np.int64, "b64": U64, "f64": np.float64}[t]
  x = cur.view(dt)[0]
  if base == "cmpswap":
    src, cmp = data[:n].view(dt)[0], data[n:].view(dt)[0]
    return np.array([src], dt).view(np.uint8) if x == cmp else None
  y = data.view(dt)[0]
  fn = {"add": lambda: x + y, "sub": lambda: x - y, "and": lambda: x & y, "or": lambda: x | y, "xor": lambda: x ^ y,
        "min": lambda: min(x, y), "max": lambda: max(x, y), "umin": lambda: min(x, y), "umax": lambda: max(x, y),
        "smin": lambda: min(x, y), "smax": lambda: max(x, y), "swap": lambda: y,
        "inc": lambda: dt(0) if x >= y else x + dt(1), "dec": lambda: y if x == 0 or x > y else x - dt(1)}[base]
  return np.array([fn()], dt).view(np.uint8)

# ---- LDS
DS_SIZES = {"b32": 4, "b64": 8, "b96": 12, "b128": 16, "b8": 1, "b16": 2, "u8": 1, "i8": 1, "u16": 2, "i16": 2,
            "u8_d16": 1, "u8_d16_hi": 1, "i8_d16": 1, "i8_d16_hi": 1, "u16_d16": 2, "u16_d16_hi": 2, "b8_d16_hi": 1, "b16_d16_hi": 2}

def _ds(ins):
  n = ins.name[3:]
  if n in ("nop",): return lambda b, ins, w: None
  for kind, two in (("load_2addr_stride64_", 64), ("store_2addr_stride64_", 64), ("load_2addr_", 1), ("store_2addr_", 1)):
    if n.startswith(kind):
      t = n[len(kind):]; size = DS_SIZES.get(t)
      return _ds_2addr(ins, kind.startswith("load"), size, two)
  if n.startswith("load_") or n.startswith("store_") or n.startswith("read_") or n.startswith("write_"):
    load = n.startswith("load_") or n.startswith("read_")
    t = n.split("_", 1)[1]
    if t not in DS_SIZES: return None
    return _ds_rw(ins, load, t)
  if n.startswith("bpermute_b32") or n.startswith("permute_b32"): return _ds_permute(ins, n.startswith("b"))
  parts = n.split("_")
  if parts[0] in ATOM or parts[0] in ("add", "min", "max", "cmpstore", "inc", "dec"):
    ret = len(parts) > 1 and parts[1] == "rtn"
    t = parts[-1]
    op = parts[0]
    return _ds_atomic(ins, op, t, ret)
  return None

def _lds_index(b, ins, w, ex, off):
  a = b.V[ins.fields["addr"], w].astype(np.int64) + off
  wg = np.broadcast_to(b.lane_wg[w][:, None], a.shape)
  return a[ex], wg[ex]

def _lds_read(b, addr, wg, n):
  size = b.lds.shape[1]
  ok = (addr >= 0) & (addr + n <= size)
  flat = b.lds.reshape(-1)
  idx = (wg * size + np.where(ok, addr, 0))[:, None] + np.arange(n)
  return np.where(ok[:, None], flat[idx], 0).astype(np.uint8)

def _lds_write(b, addr, wg, data):
  n = data.shape[1]; size = b.lds.shape[1]
  ok = (addr >= 0) & (addr + n <= size)
  flat = b.lds.reshape(-1)
  flat[((wg * size + addr)[ok])[:, None] + np.arange(n)] = data[ok]

def _ds_rw(ins, load, t):
  n = DS_SIZES[t]
  signed, d16, hi = t.startswith("i"), "d16" in t, t.endswith("_hi")
  def h(b, ins, w):
    ex = b.exec(w)
    off = ins.fields["offset0"] | (ins.fields["offset1"] << 8)
    addr, wg = _lds_index(b, ins, w, ex, off)
    if load: _write_loaded(b, ins.fields["vdst"], w, ex, _lds_read(b, addr, wg, n), n, signed, d16, hi)
    else:
      data = _gather_data(b, ins.fields["data0"], w, ex, 4 if n < 4 and hi else n)
      if hi: data = data[:, 2:2 + n]
      _lds_write(b, addr, wg, data)
  return h

def _ds_2addr(ins, load, size, stride):
  def h(b, ins, w):
    ex = b.exec(w)
    for k, offk in enumerate(("offset0", "offset1")):
      addr, wg = _lds_index(b, ins, w, ex, ins.fields[offk] * size * stride)
      if load:
        _write_loaded(b, ins.fields["vdst"] + k * (size // 4), w, ex, _lds_read(b, addr, wg, size), size, False, False, False)
      else:
        _lds_write(b, addr, wg, _gather_data(b, ins.fields["data0" if k == 0 else "data1"], w, ex, size))
  return h

def _ds_permute(ins, backward):
  def h(b, ins, w):
    ex = b.exec(w)
    off = ins.fields["offset0"] | (ins.fields["offset1"] << 8)
    sel = ((b.V[ins.fields["addr"], w].astype(np.int64) + off) >> 2) % b.L
    data = b.V[ins.fields["data0"], w]
    if backward: r = np.take_along_axis(np.where(ex, data, 0), sel, axis=1)
    else:
      r = np.zeros_like(data)
      rows = np.broadcast_to(np.arange(data.shape[0])[:, None], data.shape)
      r[rows[ex], sel[ex]] = data[ex]
    cur = b.V[ins.fields["vdst"], w].copy(); cur[ex] = r[ex]; b.V[ins.fields["vdst"], w] = cur
  return h

def _ds_atomic(ins, op, t, ret):
  dt = {"u32": U32, "i32": np.int32, "f32": F32, "b32": U32, "u64": U64, "i64": np.int64, "b64": U64, "f64": np.float64}.get(t)
  if dt is None: return None
  n = np.dtype(dt).itemsize
  def h(b, ins, w):
    ex = b.exec(w)
    off = ins.fields["offset0"] | (ins.fields["offset1"] << 8)
    addr, wg = _lds_index(b, ins, w, ex, off)
    data = _gather_data(b, ins.fields["data0"], w, ex, n)
    data2 = _gather_data(b, ins.fields["data1"], w, ex, n) if op == "cmpstore" else None
    old = np.zeros((addr.size, n), np.uint8)
    for i in range(addr.size):
      cur = _lds_read(b, addr[i:i + 1], wg[i:i + 1], n)[0]
      old[i] = cur
      if op == "cmpstore":
        new = data[i] if cur.view(dt)[0] == data2[i].view(dt)[0] else None
      else:
        new = _apply({"min": "min", "max": "max"}.get(op, op), t, cur, data[i], n)
      if new is not None: _lds_write(b, addr[i:i + 1], wg[i:i + 1], np.asarray(new, np.uint8).reshape(1, n))
    if ret: _write_loaded(b, ins.fields["vdst"], w, ex, old, n, False, False, False)
  return h
