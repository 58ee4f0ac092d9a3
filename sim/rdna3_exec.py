"""RDNA3 (gfx1100) wave executor: runs a dispatch's waves with numpy, vectorised across every lane of every wave that sits at the
same program counter (waves of a dispatch mostly run in lockstep, so one numpy op covers thousands of lanes). Instructions come
from the one decoder, assemblers/rdna3/decoder.py; their semantics from sim/rdna3_ops.py (composed from the mnemonic's
operation and type fields). An instruction without semantics is a GPU fault "unimplemented RDNA3 instruction X at pc", never a
wrong answer.

Wave launch state (AMD "RDNA3 ISA" 3.3 and LLVM AMDGPUUsage "Initial Kernel Execution State" for GFX11): s[0:N) = COMPUTE_USER_DATA
(N = PGM_RSRC2.USER_SGPR), then the workgroup ids x/y/z enabled by RSRC2.TGID_*_EN, then TG_SIZE (RSRC2.TG_SIZE_EN); v0 = the packed
workitem id x | y << 10 | z << 20; EXEC = the wave's live lanes; VGPR count from RSRC1.VGPRS; LDS from RSRC2.LDS_SIZE (512-byte
granules). Scheduling: the lowest-PC group of ready waves runs next; s_barrier holds a wave until every live wave of its
workgroup has arrived (all groups drain to barriers before any is released)."""
from __future__ import annotations
import os, time
import numpy as np
from hwrt.errors import GPUFault, GPUTimeout
from hwrt.helpers import Deadline
from hwrt.sim.memory import MMUFault
from hwrt.assemblers.rdna3 import decoder as D

VCC, M0, NULL, EXEC = 106, 125, 124, 126      # gfx11 swapped M0 (125) and NULL (124) against gfx10
MAX_LANES = 1 << 20                    # lanes per batch of workgroups (memory bound: VGPRs x lanes x 4 bytes)

class Unimplemented(GPUFault):
  what = "GPU fault"

_DECODED: dict = {}

def user_sgprs_from_kd(props: int, kernarg: int, packet: int, queue: int) -> list:
  """AQL: the user SGPRs the packet processor loads, in the kernel descriptor's KERNEL_CODE_PROPERTIES order
  (private segment buffer 4, dispatch ptr 2, queue ptr 2, kernarg segment ptr 2, dispatch id 2, flat scratch init 2)"""
  out = []
  if props & 1: out += [0, 0, 0xFFFFFFFF, 0x20C14000]
  if props & 2: out += [packet & 0xFFFFFFFF, packet >> 32]
  if props & 4: out += [queue & 0xFFFFFFFF, queue >> 32]
  if props & 8: out += [kernarg & 0xFFFFFFFF, kernarg >> 32]
  if props & 16: out += [0, 0]
  if props & 32: out += [0, 0]
  return out

class Dispatch:
  def __init__(self, vas, pc, rsrc1, rsrc2, user, grid, local, wave32, scratch=0, deadline=10.0, group_segment=0):
    self.vas, self.entry, self.rsrc1, self.rsrc2 = vas, pc, rsrc1, rsrc2
    self.user, self.grid, self.local, self.L = list(user), tuple(grid), tuple(local), 32 if wave32 else 64
    self.scratch_base = scratch
    self.deadline = Deadline(deadline)
    self.nuser = (rsrc2 >> 1) & 0x1F
    self.nvgpr = min(256, ((rsrc1 & 0x3F) + 1) * (8 if wave32 else 4))
    self.lds_bytes = max(((rsrc2 >> 15) & 0x1FF) * 512, group_segment)   # AQL: the packet's group_segment_size
    self.executed: set = set()
    self.trace = [] if os.environ.get("HWRT_SIM_ITRACE") else None

  def run(self) -> set:
    gx, gy, gz = self.grid
    nwg = gx * gy * gz
    if nwg == 0: return self.executed
    tpw = self.local[0] * self.local[1] * self.local[2]
    wpg = -(-tpw // self.L)
    per = max(1, min(nwg, MAX_LANES // (wpg * self.L), (256 << 20) // max(1, self.nvgpr * 4 * wpg * self.L)))
    with np.errstate(all="ignore"):                     # NaN/Inf/overflow are results here, not errors (per-thread state)
      for start in range(0, nwg, per): Batch(self, start, min(nwg, start + per)).run()
    if self.trace is not None:
      with open(os.environ["HWRT_SIM_ITRACE"], "w") as f: f.writelines(f"{p:#x} {n} waves={k} {t * 1e3:.2f} ms\n" for p, n, k, t in self.trace)
    return self.executed

def _contiguous(off: np.ndarray, n: int) -> bool:
  """lane i at off[0] + i*n (the common unit-stride access); cheap checks first"""
  k = off.size
  if k < 64 or int(off[-1]) - int(off[0]) != (k - 1) * n: return False
  return bool((np.diff(off) == n).all())

class Batch:
  """Waves of workgroups [lo, hi) of a dispatch."""
  def __init__(self, d: Dispatch, lo: int, hi: int):
    self.d, L = d, d.L
    lx, ly, lz = d.local
    tpw = lx * ly * lz
    wpg = -(-tpw // L)
    self.nwg, self.wpg = hi - lo, wpg
    nw = self.nw = self.nwg * wpg
    self.L = L
    self.S = np.zeros((nw, 128), np.uint32)
    self.V = np.zeros((d.nvgpr + 1, nw, L), np.uint32)                # + one spare row (DPP's swizzled source)
    self.scc = np.zeros(nw, bool)
    self.pc = np.full(nw, d.entry, np.int64)
    self.done = np.zeros(nw, bool)
    self.barrier = np.zeros(nw, bool)
    self.wg = np.repeat(np.arange(self.nwg), wpg)                      # batch-local workgroup of each wave
    self.lds = np.zeros((self.nwg, max(d.lds_bytes, 4)), np.uint8)
    self.ftz32 = ((d.rsrc1 >> 16) & 3) == 0                            # PGM_RSRC1.FLOAT_MODE FP_DENORM.f32: flush in and out
    self.scratch = None
    wgid = np.arange(lo, hi)
    gx, gy, _ = d.grid
    ids = [wgid % gx, (wgid // gx) % gy, wgid // (gx * gy)]
    n = min(d.nuser, len(d.user))
    self.S[:, :n] = np.array(d.user[:n], np.uint32)
    s = d.nuser
    for i in range(3):
      if d.rsrc2 & (1 << (7 + i)): self.S[:, s] = np.repeat(ids[i], wpg); s += 1
    if d.rsrc2 & (1 << 10): self.S[:, s] = tpw; s += 1
    tid = np.arange(wpg * L).reshape(wpg, L)                           # thread index within the workgroup (one pattern)
    live = tid < tpw
    tx, ty, tz = tid % lx, (tid // lx) % ly, tid // (lx * ly)
    self.V[0].reshape(self.nwg, wpg, L)[:] = np.where(live, tx | (ty << 10) | (tz << 20), 0).astype(np.uint32)
    self._exw = None
    self.set_mask(EXEC, slice(None), np.broadcast_to(live, (self.nwg, wpg, L)).reshape(nw, L))
    self.lane_wg = self.wg                                             # (nw,) for LDS addressing

  # --- lane masks held in SGPR pairs
  def mask(self, reg: int, w) -> np.ndarray:
    words = np.ascontiguousarray(self.S[w, reg:reg + self.L // 32])
    return np.unpackbits(words.view(np.uint8), axis=1, bitorder="little").view(bool)
  def set_mask(self, reg: int, w, m: np.ndarray) -> None:
    packed = np.packbits(np.ascontiguousarray(m, dtype=bool), axis=1, bitorder="little")
    self.S[w, reg:reg + self.L // 32] = packed.view(np.uint32).reshape(-1, self.L // 32)
  def exec(self, w) -> np.ndarray:
    """EXEC as lanes (cached while the EXEC words stay the same)"""
    words = self.S[:, EXEC:EXEC + self.L // 32]
    if self._exw is None or not np.array_equal(self._exw, words):
      self._exw, self._exm = words.copy(), self.mask(EXEC, slice(None))
    return self._exm if isinstance(w, slice) else self._exm[w]

  # --- the scheduler
  def run(self) -> None:
    from hwrt.sim import rdna3_ops as ops
    d = self.d
    steps = 0
    while True:
      ready = ~self.done & ~self.barrier
      if not ready.any():
        if not self.barrier.any(): return
        self.barrier[:] = False; continue
      p = int(self.pc[ready].min())
      sel = ready & (self.pc == p)
      w = slice(None) if sel.all() else np.nonzero(sel)[0]
      ins = self.fetch(p)
      steps += 1
      if steps & 1023 == 0 and d.deadline.expired():
        raise GPUTimeout(f"RDNA3 wave did not finish within {d.deadline.seconds:.0f} s (pc {p:#x}, {ins.name})", pc=p)
      self.pc_now = p
      fn = ops.handler(ins)
      if fn is None:
        raise Unimplemented(f"unimplemented RDNA3 instruction {ins.name} at pc {p:#x}", pc=p, instruction=ins.name)
      d.executed.add(ins.name)
      if d.trace is not None: t0 = time.perf_counter()
      nxt = fn(self, ins, w)
      if d.trace is not None: d.trace.append((p, ins.name, int(sel.sum()), time.perf_counter() - t0))
      if nxt is None: self.pc[w] = p + ins.size
      else: self.pc[w] = nxt

  def fetch(self, pc: int):
    raw = self.d.vas.read(pc, 16) if self._readable(pc, 16) else self.d.vas.read(pc, 8)
    key = (pc, raw)
    ins = _DECODED.get(key)
    if ins is None:
      try: ins = D.decode(raw.ljust(16, b"\0"), 0, wave64=self.L == 64)
      except ValueError as e:
        raise Unimplemented(f"unimplemented RDNA3 instruction (undecodable {raw[:8].hex()}) at pc {pc:#x}: {e}", pc=pc) from None
      if len(_DECODED) > 200000: _DECODED.clear()
      _DECODED[key] = ins
    return ins
  def _readable(self, va, n) -> bool:
    m = self.d.vas.lookup(va)
    return m is not None and va + n <= m.end

  # --- global memory, vectorised (addresses: uint64 array)
  def _regions(self, addrs: np.ndarray, n: int, write: bool):
    """yield (lane index array or None for all, numpy uint8 view, base VA) covering addrs; MMUFault on the first bad one"""
    if addrs.size == 0: return []
    lo, hi = int(addrs.min()), int(addrs.max()) + n
    m = self.d.vas.lookup(lo)
    if m is not None and hi <= m.end:
      base, view = self.d.vas.region(lo, write)
      return [(None, view, base)]
    out, left = [], np.arange(addrs.size)
    while left.size:
      a0 = int(addrs[left[0]])
      base, view = self.d.vas.region(a0, write)                       # raises MMUFault for an unmapped / read-only page
      end = base + view.size
      inside = (addrs[left] >= base) & (addrs[left] + n <= end)
      if not inside[0]: raise MMUFault(end, write)
      out.append((left[inside], view, base)); left = left[~inside]
    return out

  def load(self, addrs: np.ndarray, n: int) -> np.ndarray:
    """bytes at each address: (N, n) uint8 (n in 1, 2, 4, 8, 12, 16)"""
    if n % 4 == 0: return self.load_words(addrs, n // 4).view(np.uint8).reshape(addrs.size, n)
    res = np.zeros((addrs.size, n), np.uint8)
    for idx, view, base in self._regions(addrs, n, False):
      off = ((addrs if idx is None else addrs[idx]) - np.uint64(base)).astype(np.int64)
      got = view[off[:, None] + np.arange(n)]
      if idx is None: res[:] = got
      else: res[idx] = got
    return res

  def load_words(self, addrs: np.ndarray, dw: int) -> np.ndarray:
    """dw dwords at each address: (N, dw) uint32"""
    res = np.empty((addrs.size, dw), np.uint32)
    for idx, view, base in self._regions(addrs, 4 * dw, False):
      off = ((addrs if idx is None else addrs[idx]) - np.uint64(base)).astype(np.int64)
      if _contiguous(off, 4 * dw) and off[0] % 4 == 0 and view.size % 4 == 0:   # lanes read consecutive elements: a slice
        o = int(off[0]) >> 2
        got = view.view(np.uint32)[o:o + dw * off.size].reshape(off.size, dw)
      elif not (off & 3).any() and view.size % 4 == 0:
        v32 = view.view(np.uint32)
        got = v32[off >> 2][:, None] if dw == 1 else v32[(off >> 2)[:, None] + np.arange(dw)]
      else: got = np.ascontiguousarray(view[off[:, None] + np.arange(4 * dw)]).view(np.uint32)
      if idx is None: res = got
      else: res[idx] = got
    return res

  def store(self, addrs: np.ndarray, data: np.ndarray) -> None:
    """data: (N, n) uint8 or (N, dw) uint32, lanes in order (a later lane wins on the same address, as hardware resolves it)"""
    n = data.shape[1] * data.itemsize
    for idx, view, base in self._regions(addrs, n, True):
      off = ((addrs if idx is None else addrs[idx]) - np.uint64(base)).astype(np.int64)
      dd = data if idx is None else data[idx]
      if n % 4 == 0 and not (off & 3).any() and view.size % 4 == 0:
        v32 = view.view(np.uint32); d32 = dd if dd.dtype == np.uint32 else np.ascontiguousarray(dd).view(np.uint32)
        if _contiguous(off, n):
          o = int(off[0]) >> 2; v32[o:o + off.size * (n // 4)] = d32.reshape(-1)
        elif n == 4: v32[off >> 2] = d32[:, 0]
        else: v32[(off >> 2)[:, None] + np.arange(n // 4)] = d32
      else: view[off[:, None] + np.arange(n)] = np.ascontiguousarray(dd).view(np.uint8).reshape(len(off), n)
