"""Simulated machine memory, vendor-neutral.

Every allocation (video or system memory, register pages) is a memfd: the driver's CPU mapping is a real mmap of that memfd
(MAP_SHARED), and the simulated GPU sees the same pages through its own mmap, so CPU stores through the driver's mapping are
visible to the GPU and back. A later out-of-process bridge (LD_PRELOAD shim) can share an allocation by passing its memfd.

GPU virtual memory: a `GPUMemory` per GPU VA space maps VA ranges onto (allocation, offset). `region(va)` is how engines and
the SASS interpreter reach global memory: it returns (base VA of the mapping, numpy uint8 view of the whole mapping) or raises
`MMUFault(va, write)`."""
from __future__ import annotations
import bisect, mmap, os, threading
import numpy as np
from hwrt.errors import GPUFault

PAGE = 4096

class MMUFault(GPUFault):
  """A GPU access to a VA with no valid mapping (or a write to a read-only one). `kind` names the fault as NVIDIA's
  NV_PFAULT_FAULT_TYPE_* does (hopper/gh100/dev_fault.h; FAULT_PDE: nothing mapped there; FAULT_RO_VIOLATION: a write
  to a read-only mapping)."""
  what = "MMU fault"
  def __init__(self, va: int, write: bool = False, kind: str | None = None, msg: str = ""):
    self.va, self.write, self.kind = va, write, kind or ("FAULT_PDE")
    super().__init__(msg or f"GPU {'write' if write else 'read'} of unmapped VA {va:#x}", va=va, write=write, kind=self.kind)

class Allocation:
  """One memfd-backed allocation. `view` is a numpy uint8 array over the simulator's own mapping of the memfd."""
  _ids = 0
  def __init__(self, size: int, name: str = "hwrt-sim", kind: str = "sysmem"):
    Allocation._ids += 1
    self.id, self.kind, self.size = Allocation._ids, kind, size
    self.fd = os.memfd_create(f"{name}-{self.id}", os.MFD_CLOEXEC)
    os.ftruncate(self.fd, max(size, 1))
    self.mm = mmap.mmap(self.fd, max(size, 1), mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
    self.view = np.frombuffer(self.mm, dtype=np.uint8)[:size]
    self.freed = False
    self.refs = 1        # owners (the RM handle, UVM external mappings that dup it)
  def close(self) -> None:
    if self.fd < 0: return
    self.view = np.zeros(0, np.uint8)
    try: self.mm.close()
    except BufferError: pass       # someone still holds a view; the mapping goes when they drop it
    os.close(self.fd); self.fd = -1
  # little helpers (offsets into this allocation)
  def read(self, off: int, n: int) -> bytes: return self.view[off:off + n].tobytes()
  def write(self, off: int, data: bytes) -> None: self.view[off:off + len(data)] = np.frombuffer(bytes(data), np.uint8)
  def u32(self, off: int) -> int: return int(self.view[off:off + 4].view(np.uint32)[0])
  def u64(self, off: int) -> int: return int(self.view[off:off + 8].view(np.uint64)[0])
  def set_u32(self, off: int, v: int) -> None: self.view[off:off + 4].view(np.uint32)[0] = v & 0xFFFFFFFF
  def set_u64(self, off: int, v: int) -> None: self.view[off:off + 8].view(np.uint64)[0] = v & 0xFFFFFFFFFFFFFFFF

class Mapping:
  __slots__ = ("va", "size", "alloc", "offset", "writable", "tag")
  def __init__(self, va, size, alloc, offset, writable=True, tag=None):
    self.va, self.size, self.alloc, self.offset, self.writable, self.tag = va, size, alloc, offset, writable, tag
  @property
  def end(self) -> int: return self.va + self.size

class GPUMemory:
  """A GPU virtual address space: sorted, non-overlapping mappings. Thread-safe. `touched` (when not None) collects the
  allocations engines reach through `region`, so a launch knows what it used (free-in-flight detection)."""
  def __init__(self, name: str = "vaspace"):
    self.name, self.maps, self.starts, self.lock = name, [], [], threading.RLock()
    self.tracking: dict[int, dict] = {}    # thread id -> {Allocation id: first VA touched} for the launch that thread runs
  def map(self, va: int, alloc: Allocation, offset: int = 0, size: int | None = None, writable: bool = True, tag=None) -> Mapping:
    size = alloc.size - offset if size is None else size
    assert size > 0 and offset + size <= alloc.size, (hex(va), offset, size, alloc.size)
    with self.lock:
      if self.find_overlap(va, size): raise ValueError(f"GPU VA {va:#x}+{size:#x} overlaps an existing mapping")
      m = Mapping(va, size, alloc, offset, writable, tag)
      i = bisect.bisect(self.starts, va); self.starts.insert(i, va); self.maps.insert(i, m)
      return m
  def find_overlap(self, va: int, size: int) -> list[Mapping]:
    with self.lock: return [m for m in self.maps if m.va < va + size and va < m.end]
  def unmap_range(self, va: int, size: int) -> list[Mapping]:
    with self.lock:
      gone = self.find_overlap(va, size)
      for m in gone: i = self.maps.index(m); del self.maps[i]; del self.starts[i]
      return gone
  def unmap_alloc(self, alloc: Allocation) -> list[Mapping]:
    with self.lock:
      gone = [m for m in self.maps if m.alloc is alloc]
      for m in gone: i = self.maps.index(m); del self.maps[i]; del self.starts[i]
      return gone
  def lookup(self, va: int) -> Mapping | None:
    with self.lock:
      i = bisect.bisect(self.starts, va) - 1
      if i >= 0 and va < self.maps[i].end: return self.maps[i]
      return None
  def region(self, va: int, write: bool = False) -> tuple[int, np.ndarray]:
    """(base VA, uint8 view of the whole mapping containing va). Raises MMUFault(va, write)."""
    m = self.lookup(va)
    if m is None or m.alloc.freed: raise MMUFault(va, write)
    if write and not m.writable: raise MMUFault(va, write, kind="FAULT_RO_VIOLATION")
    t = self.tracking.get(threading.get_ident())
    if t is not None: t.setdefault(m.alloc.id, va)
    return m.va, m.alloc.view[m.offset:m.offset + m.size]
  # byte-level helpers for engines (host semaphores, copy engine, QMD fetch)
  def read(self, va: int, n: int) -> bytes:
    out, pos = bytearray(), va
    while len(out) < n:
      base, v = self.region(pos)
      chunk = v[pos - base: pos - base + n - len(out)]
      out += chunk.tobytes(); pos += len(chunk)
    return bytes(out)
  def write(self, va: int, data: bytes) -> None:
    data, pos, done = bytes(data), va, 0
    while done < len(data):
      base, v = self.region(pos, write=True)
      chunk = min(len(data) - done, len(v) - (pos - base))
      v[pos - base: pos - base + chunk] = np.frombuffer(data[done:done + chunk], np.uint8)
      done += chunk; pos += chunk
  def read_u32(self, va: int) -> int: return int.from_bytes(self.read(va, 4), "little")
  def read_u64(self, va: int) -> int: return int.from_bytes(self.read(va, 8), "little")
  def write_u32(self, va: int, v: int) -> None: self.write(va, (v & 0xFFFFFFFF).to_bytes(4, "little"))
  def write_u64(self, va: int, v: int) -> None: self.write(va, (v & 0xFFFFFFFFFFFFFFFF).to_bytes(8, "little"))
  def words(self, va: int, n: int) -> np.ndarray:
    return np.frombuffer(self.read(va, 4 * n), dtype=np.uint32)
