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
import numpy as np
from hwrt.errors import GPUFault, GPUTimeout
from hwrt.helpers import Deadline
from hwrt.sim.memory import MMUFault
from hwrt.assemblers.rdna3 import decoder as D

VCC, M0, NULL, EXEC = 106, 124, 125, 126
MAX_LANES = 1 << 18                    # lanes per batch of workgroups (memory bound: VGPRs x lanes x 4 bytes)

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
  def __init__(self, vas, pc, rsrc1, rsrc2, user, grid, local, wave32, scratch=0, deadline=10.0):
    self.vas, self.entry, self.rsrc1, self.rsrc2 = vas, pc, rsrc1, rsrc2
    self.user, self.grid, self.local, self.L = list(user), tuple(grid), tuple(local), 32 if wave32 else 64
    self.scratch_base = scratch
    self.deadline = Deadline(deadline)
    self.nuser = (rsrc2 >> 1) & 0x1F
    self.nvgpr = min(256, ((rsrc1 & 0x3F) + 1) * (8 if wave32 else 4))
    self.lds_bytes = ((rsrc2 >> 15) & 0x1FF) * 512
    self.executed: set = set()

  def run(self) -> set:
    gx, gy, gz = self.grid
    nwg = gx * gy * gz
    if nwg == 0: return self.executed
    tpw = self.local[0] * self.local[1] * self.local[2]
    wpg = -(-tpw // self.L)
    per = max(1, min(nwg, MAX_LANES // (wpg * self.L), (64 << 20) // max(1, self.nvgpr * 4 * wpg * self.L)))
    for start in range(0, nwg, per): Batch(self, start, min(nwg, start + per)).run()
    return self.executed

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
    self.V = np.zeros((d.nvgpr, nw, L), np.uint32)
    self.scc = np.zeros(nw, bool)
    self.pc = np.full(nw, d.entry, np.int64)
    self.done = np.zeros(nw, bool)
    self.barrier = np.zeros(nw, bool)
    self.wg = np.repeat(np.arange(self.nwg), wpg)                      # batch-local workgroup of each wave
    self.lds = np.zeros((self.nwg, max(d.lds_bytes, 4)), np.uint8)
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
    t = np.arange(wpg * L) % (wpg * L)
    tid = np.tile(t.reshape(wpg, L), (self.nwg, 1))                    # thread index within the workgroup
    live = tid < tpw
    tx, ty, tz = tid % lx, (tid // lx) % ly, tid // (lx * ly)
    self.V[0] = np.where(live, tx | (ty << 10) | (tz << 20), 0).astype(np.uint32)
    self.set_mask(EXEC, slice(None), live)
    self.lane_wg = self.wg                                             # (nw,) for LDS addressing

  # --- lane masks held in SGPR pairs
  def mask(self, reg: int, w) -> np.ndarray:
    lo = self.S[w, reg].astype(np.uint64)
    if self.L == 64: lo = lo | (self.S[w, reg + 1].astype(np.uint64) << np.uint64(32))
    return ((lo[:, None] >> np.arange(self.L, dtype=np.uint64)) & np.uint64(1)).astype(bool)
  def set_mask(self, reg: int, w, m: np.ndarray) -> None:
    bits = (m.astype(np.uint64) << np.arange(self.L, dtype=np.uint64)).sum(axis=1, dtype=np.uint64)
    self.S[w, reg] = (bits & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    if self.L == 64: self.S[w, reg + 1] = (bits >> np.uint64(32)).astype(np.uint32)
  def exec(self, w) -> np.ndarray: return self.mask(EXEC, w)

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
      nxt = fn(self, ins, w)
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
    res = np.zeros((addrs.size, n), np.uint8)
    for idx, view, base in self._regions(addrs, n, False):
      off = (addrs if idx is None else addrs[idx]) - np.uint64(base)
      off = off.astype(np.int64)
      if n % 4 == 0 and not (off & 3).any() and view.size % 4 == 0:
        v32 = view.view(np.uint32)
        got = np.stack([v32[(off >> 2) + i] for i in range(n // 4)], axis=1).view(np.uint8) if n > 4 else v32[off >> 2].view(np.uint8).reshape(-1, 4)
      else: got = view[off[:, None] + np.arange(n)]
      if idx is None: res[:] = got
      else: res[idx] = got
    return res

  def store(self, addrs: np.ndarray, data: np.ndarray) -> None:
    """data: (N, n) uint8, lanes in order (a later lane wins on the same address, as hardware resolves it)"""
    n = data.shape[1]
    for idx, view, base in self._regions(addrs, n, True):
      off = ((addrs if idx is None else addrs[idx]) - np.uint64(base)).astype(np.int64)
      dd = data if idx is None else data[idx]
      if n % 4 == 0 and not (off & 3).any() and view.size % 4 == 0:
        v32 = view.view(np.uint32); d32 = dd.view(np.uint32).reshape(len(off), n // 4)
        for i in range(n // 4): v32[(off >> 2) + i] = d32[:, i]
      else: view[off[:, None] + np.arange(n)] = dd
