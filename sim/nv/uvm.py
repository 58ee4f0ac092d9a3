"""Simulated /dev/nvidia-uvm: the ioctls a launcher uses, with the rmStatus semantics of NVIDIA/open-gpu-kernel-modules
kernel-open/nvidia-uvm/ (uvm.c uvm_ioctl + uvm_api.h UVM_ROUTE_CMD_*: copy sizeof(PARAMS) in, rmStatus = handler, copy out,
ioctl returns 0; *_INIT_CHECK commands on an uninitialised fd -> NV_ERR_ILLEGAL_ACTION; unknown numbers -> -ENOSYS from
uvm_test.c). GPU mappings are UVM external ranges: UVM_CREATE_EXTERNAL_RANGE + UVM_MAP_EXTERNAL_ALLOCATION put an RM memory
object into the FERMI_VASPACE_A registered with UVM_REGISTER_GPU_VASPACE."""
from __future__ import annotations
import errno
from dataclasses import dataclass, field
from hwrt.ioctl import nv, uvm as U
from hwrt.ioctl.uvm import ffi
from hwrt.sim.nv.rm import RMError

S = nv

@dataclass
class UvmFile:
  fd: int
  state: str = "new"                 # new | va_space | mm
  flags: int = 0
  mm_of: "UvmFile | None" = None
  mm_initialized: bool = False
  gpus: set = field(default_factory=set)                 # registered GPU UUIDs (bytes)
  gpu_vas: dict = field(default_factory=dict)            # uuid -> rm vaspace Obj
  ranges: dict = field(default_factory=dict)             # base -> [length, kind ('external'|'channel'), mappings list]
  channels: dict = field(default_factory=dict)           # (hClient, hChannel) -> (base, length)

def _range_invalid_4k(base: int, length: int) -> bool:   # uvm_api.h uvm_api_range_invalid_aligned
  return base % 4096 != 0 or length % 4096 != 0 or base == 0 or length == 0 or base + length >= 1 << 64

class UVM:
  def __init__(self, machine):
    self.m = machine
    self.files: dict[int, UvmFile] = {}
    self.handlers = {U.UVM_INITIALIZE: self.initialize, U.UVM_MM_INITIALIZE: self.mm_initialize}
    init_checked = {
      "UVM_PAGEABLE_MEM_ACCESS": self.pageable_mem_access, "UVM_REGISTER_GPU": self.register_gpu,
      "UVM_UNREGISTER_GPU": self.unregister_gpu, "UVM_REGISTER_GPU_VASPACE": self.register_gpu_vaspace,
      "UVM_UNREGISTER_GPU_VASPACE": self.unregister_gpu_vaspace, "UVM_REGISTER_CHANNEL": self.register_channel,
      "UVM_UNREGISTER_CHANNEL": self.unregister_channel, "UVM_CREATE_EXTERNAL_RANGE": self.create_external_range,
      "UVM_MAP_EXTERNAL_ALLOCATION": self.map_external_allocation, "UVM_UNMAP_EXTERNAL": self.unmap_external,
      "UVM_FREE": self.free, "UVM_VALIDATE_VA_RANGE": self.validate_va_range}
    self.init_checked = {getattr(U, k): v for k, v in init_checked.items()}
    self.handlers.update(self.init_checked)

  def open(self, fd: int) -> None: self.files[fd] = UvmFile(fd)
  def close(self, fd: int) -> None:
    f = self.files.pop(fd, None)
    if f is None: return
    for base in list(f.ranges): self._drop_range(f, base)

  def ioctl(self, fd: int, request: int, addr: int) -> int:
    f = self.files[fd]
    if request == U.UVM_DEINITIALIZE: return 0
    fn = self.handlers.get(request)
    row = U.iface.by_request.get(request)
    if row is None or row.struct is None: return -errno.ENOSYS      # uvm_test.c: not a builtin-test build
    if not addr: return -errno.EFAULT
    p = ffi.cast(f"{row.struct} *", addr)
    if request not in (U.UVM_INITIALIZE, U.UVM_MM_INITIALIZE) and f.state != "va_space": p.rmStatus = S.NV_ERR_ILLEGAL_ACTION; return 0
    if fn is None: p.rmStatus = S.NV_ERR_NOT_SUPPORTED; return 0    # a real UVM command the simulator does not model
    try: st = fn(f, p)
    except RMError as e: st = e.status
    p.rmStatus = st or S.NV_OK
    return 0

  # --- handlers (return an NV_STATUS)
  def initialize(self, f: UvmFile, p) -> int:                      # uvm.c uvm_api_initialize
    if f.state == "new":
      if p.flags & ~U.UVM_INIT_FLAGS_MASK: return S.NV_ERR_INVALID_ARGUMENT
      f.state, f.flags = "va_space", p.flags; return S.NV_OK
    if f.state == "va_space": return S.NV_OK if p.flags == f.flags else S.NV_ERR_INVALID_ARGUMENT
    return S.NV_ERR_INVALID_ARGUMENT                               # an MM fd
  def mm_initialize(self, f: UvmFile, p) -> int:                   # uvm.c uvm_api_mm_initialize
    other = self.files.get(p.uvmFd)
    if other is None or other.state != "va_space": return S.NV_ERR_INVALID_ARGUMENT
    if other.flags & U.UVM_INIT_FLAGS_MULTI_PROCESS_SHARING_MODE: return S.NV_WARN_NOTHING_TO_DO   # uvm_va_space_mm_enabled false
    if f.state != "new": return S.NV_ERR_INVALID_ARGUMENT          # uvm_fd_type_init fails on an initialised fd
    if other.mm_initialized: return S.NV_ERR_INVALID_STATE
    other.mm_initialized, f.state, f.mm_of = True, "mm", other
    return S.NV_OK
  def pageable_mem_access(self, f, p) -> int: p.pageableMemAccess = 0; return S.NV_OK
  def register_gpu(self, f, p) -> int:                             # uvm_va_space.c uvm_va_space_register_gpu
    u = self._uuid(p.gpu_uuid)
    if u != self.m.uuid: return S.NV_ERR_GPU_UUID_NOT_FOUND
    if u in f.gpus: return S.NV_ERR_INVALID_DEVICE
    f.gpus.add(u); p.numaEnabled = 0; p.numaNodeId = -1
    return S.NV_OK
  def unregister_gpu(self, f, p) -> int:
    u = self._uuid(p.gpu_uuid)
    if u not in f.gpus: return S.NV_ERR_INVALID_DEVICE
    f.gpus.discard(u); f.gpu_vas.pop(u, None); return S.NV_OK
  def register_gpu_vaspace(self, f, p) -> int:                     # uvm_va_space.c uvm_va_space_register_gpu_va_space
    u = self._uuid(p.gpuUuid)
    if u not in f.gpus: return S.NV_ERR_INVALID_DEVICE
    rm = self.m.rm
    c = self._client(p.rmCtrlFd, p.hClient)
    o = rm.obj(c, p.hVaSpace)
    if o.kind != "vaspace": return S.NV_ERR_INVALID_OBJECT        # nv_gpu_ops.c nvGpuOpsDupAddressSpace
    if not o.params["flags"] & nv.NV_VASPACE_ALLOCATION_FLAGS_IS_EXTERNALLY_OWNED: return S.NV_ERR_INVALID_FLAGS   # same
    if u in f.gpu_vas: return S.NV_ERR_INVALID_DEVICE
    f.gpu_vas[u] = o; return S.NV_OK
  def unregister_gpu_vaspace(self, f, p) -> int:
    u = self._uuid(p.gpuUuid)
    if u not in f.gpu_vas: return S.NV_ERR_INVALID_DEVICE
    del f.gpu_vas[u]; return S.NV_OK
  def register_channel(self, f, p) -> int:
    u = self._uuid(p.gpuUuid)
    if u not in f.gpu_vas: return S.NV_ERR_INVALID_DEVICE
    c = self._client(p.rmCtrlFd, p.hClient)
    o = self.m.rm.obj(c, p.hChannel)
    if o.channel is None: return S.NV_ERR_INVALID_CHANNEL
    if (p.hClient, p.hChannel) in f.channels: return S.NV_ERR_INVALID_CHANNEL
    if p.length:
      if _range_invalid_4k(p.base, p.length): return S.NV_ERR_INVALID_ADDRESS
      if self._overlaps(f, p.base, p.length): return S.NV_ERR_UVM_ADDRESS_IN_USE
      f.ranges[p.base] = [p.length, "channel", []]
    f.channels[(p.hClient, p.hChannel)] = (p.base, p.length)
    return S.NV_OK
  def unregister_channel(self, f, p) -> int:
    r = f.channels.pop((p.hClient, p.hChannel), None)
    if r is None: return S.NV_ERR_INVALID_CHANNEL
    if r[1]: f.ranges.pop(r[0], None)
    return S.NV_OK
  def create_external_range(self, f, p) -> int:                    # uvm_map_external.c uvm_create_external_range
    if _range_invalid_4k(p.base, p.length): return S.NV_ERR_INVALID_ADDRESS
    if self._overlaps(f, p.base, p.length): return S.NV_ERR_UVM_ADDRESS_IN_USE   # uvm_range_tree.c uvm_range_tree_add
    f.ranges[p.base] = [p.length, "external", []]
    return S.NV_OK
  def map_external_allocation(self, f, p) -> int:                  # uvm_map_external.c uvm_map_external_allocation
    if _range_invalid_4k(p.base, p.length): return S.NV_ERR_INVALID_ADDRESS
    if p.gpuAttributesCount == 0 or p.gpuAttributesCount > U.UVM_MAX_GPUS: return S.NV_ERR_INVALID_ARGUMENT
    rng = self._range_containing(f, p.base, p.length)
    if rng is None: return S.NV_ERR_INVALID_ADDRESS
    targets = []
    for i in range(p.gpuAttributesCount):
      a = p.perGpuAttributes[i]
      if a.gpuMappingType >= U.UvmGpuMappingTypeCount or a.gpuCachingType >= U.UvmGpuCachingTypeCount: return S.NV_ERR_INVALID_ARGUMENT
      u = self._uuid(a.gpuUuid)
      if u not in f.gpu_vas: return S.NV_ERR_INVALID_DEVICE
      targets.append((f.gpu_vas[u], a.gpuMappingType != U.UvmGpuMappingTypeReadOnly))
    rm = self.m.rm
    c = self._client(p.rmCtrlFd, p.hClient)
    mem = rm.obj(c, p.hMemory)
    if mem.alloc is None or mem.kind != "memory": return S.NV_ERR_INVALID_OBJECT_HANDLE
    if p.offset % 4096 or p.offset + p.length > mem.alloc.size: return S.NV_ERR_INVALID_OFFSET
    base, (length, kind, maps) = rng
    for vaso, writable in targets:
      vas = vaso.vas
      for m in vas.unmap_range(p.base, p.length): self._unmapped(maps, m)
      mp = vas.map(p.base, mem.alloc, p.offset, p.length, writable, tag=("uvm", f.fd))
      mem.alloc.refs += 1                                          # UVM dups the RM handle
      maps.append((vas, mp))
    return S.NV_OK
  def unmap_external(self, f, p) -> int:
    u = self._uuid(p.gpuUuid)
    if u not in f.gpu_vas: return S.NV_ERR_INVALID_DEVICE
    rng = self._range_containing(f, p.base, p.length)
    if rng is None: return S.NV_ERR_INVALID_ADDRESS
    self._before_unmap(f.gpu_vas[u].vas, p.base)
    for m in f.gpu_vas[u].vas.unmap_range(p.base, p.length): self._unmapped(rng[1][2], m)
    return S.NV_OK
  def free(self, f, p) -> int:                                     # uvm_va_space.c / uvm_api_free: base must start a range
    r = f.ranges.get(p.base)
    if r is None or r[1] != "external": return S.NV_ERR_INVALID_ADDRESS
    self._drop_range(f, p.base)
    return S.NV_OK
  def validate_va_range(self, f, p) -> int:
    return S.NV_OK if self._range_containing(f, p.base, p.length) else S.NV_ERR_INVALID_ADDRESS

  # --- helpers
  def _uuid(self, x) -> bytes: return bytes(ffi.buffer(ffi.addressof(x), 16))
  def _client(self, fd: int, h: int):
    c = self.m.rm.clients.get(h)
    if c is None or fd not in self.m.fds or self.m.fds[fd] != "ctl": raise RMError(S.NV_ERR_INVALID_CLIENT)
    return c
  def _overlaps(self, f, base, length) -> bool:
    return any(b < base + length and base < b + r[0] for b, r in f.ranges.items())
  def _range_containing(self, f, base, length):
    for b, r in f.ranges.items():
      if b <= base and base + length <= b + r[0] and r[1] == "external": return b, r
    return None
  def _before_unmap(self, vas, va: int) -> None:
    """A correct kernel lets GPU work that may use the range retire first; the free-in-flight bug skips that, and the
    unfinished work faults on the memory taken from under it."""
    if not self.m.plan.bug("free-in-flight"): self.m.gpu.idle_wait(vas)
    else: self.m.gpu.fault_unfinished(vas, va)
  def _unmapped(self, maps, m) -> None:
    for i, (vas, mp) in enumerate(maps):
      if mp is m: del maps[i]; break
    self.m.rm.unref(m.alloc)
  def _drop_range(self, f, base) -> None:
    length, kind, maps = f.ranges.pop(base)
    for vas in {id(v): v for v, _ in maps}.values(): self._before_unmap(vas, base)
    for vas, mp in list(maps):
      vas.unmap_range(mp.va, mp.size)
      self.m.rm.unref(mp.alloc)
    maps.clear()
  def drop_client(self, c) -> None:
    """The RM client went away: its VA-space registrations go with it."""
    for f in self.files.values():
      for u, o in list(f.gpu_vas.items()):
        if o.client is c: del f.gpu_vas[u]
