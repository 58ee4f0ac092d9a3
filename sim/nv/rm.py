"""Simulated NVIDIA Resource Manager: the object tree behind NV_ESC_RM_ALLOC/FREE/CONTROL/MAP_MEMORY and the OS-layer escapes.

Status codes follow NVIDIA/open-gpu-kernel-modules (580 branch; paths below are inside that repository):
  - escape size / fd-type checks: src/nvidia/arch/nvalloc/unix/src/escape.c (NV_CTL_DEVICE_ONLY, dataSize checks) and
    kernel-open/nvidia/nv.c (nvidia_ioctl: rm status != NV_OK -> -EINVAL; nv_validate_ioctl size table)
  - alloc: src/nvidia/src/libraries/resserv/src/rs_server.c (serverAllocResource: param copy-in, client lookup),
    src/nvidia/src/kernel/rmapi/alloc_free.c (serverAllocResourceUnderLock: class / parent / handle checks;
    resservResourceFactory: device instance, gpuIsClassSupported), src/nvidia/src/kernel/rmapi/param_copy.c and
    resource_desc.c (required params), src/nvidia/src/libraries/resserv/src/rs_client.c (clientGetResourceRef,
    clientValidateNewResourceHandle), src/nvidia/src/kernel/rmapi/resource_list.h (parents)
  - control: src/nvidia/src/kernel/rmapi/control.c (_rmapiRmControl: client, params/size), rs_server.c (serverControl:
    object lookup), src/nvidia/src/libraries/resserv/src/rs_resource.c (unknown command -> NV_ERR_NOT_SUPPORTED)
  - version check: src/nvidia/arch/nvalloc/unix/src/osapi.c (RmPerformVersionCheck)"""
from __future__ import annotations
import errno, os
import numpy as np
from dataclasses import dataclass, field
from hwrt.ioctl import nv, nv_hw as hw
from hwrt.ioctl.nv import ffi
from hwrt.sim import kmsg
from hwrt.sim.memory import Allocation, GPUMemory, PAGE
from hwrt.sim.nv import identity as ident_mod
from hwrt.sim.nv.gpu import Channel

S = nv   # status codes and class ids come from the shared ABI table (ioctl/nv.txt)
CLIENT_HANDLE_BASE, UNIQUE_HANDLE_BASE = 0xC1D00000, 0xCAF00000    # resserv.h RS_CLIENT_HANDLE_BASE / RS_UNIQUE_HANDLE_BASE
GPU_ID = 0x100                     # nv_ioctl_card_info_t.gpu_id of the one simulated GPU (bus 1)
MEMORY_CLASSES = {0x3E: "sysmem", 0x40: "vidmem", 0x71: "osdesc"}

# parents (resource_list.h, 580.95.05): class -> allowed parent kinds
KIND = {0x41: "client", 0x80: "device", 0x2080: "subdevice", 0x90F1: "vaspace", 0x3E: "memory", 0x40: "memory", 0x71: "memory",
        0x70: "virtual", 0xA06C: "tsg", 0x9067: "ctxshare", 0x83DE: "debugger", 0x79: "event", 0x5: "event"}
PARENTS = {"device": {"client"}, "subdevice": {"device"}, "vaspace": {"device", "subdevice"}, "virtual": {"device"},
           "tsg": {"device"}, "ctxshare": {"tsg"}, "debugger": {"device"}, "channel": {"device", "tsg"}, "engine": {"channel"},
           "usermode": {"subdevice"}}
MEMORY_PARENTS = {0x3E: {"device"}, 0x40: {"device", "subdevice"}, 0x71: {"device"}}

@dataclass
class Obj:
  handle: int
  cls: int
  kind: str
  parent: "Obj | None"
  client: "Client"
  children: list = field(default_factory=list)
  params: dict = field(default_factory=dict)
  alloc: Allocation | None = None       # memory objects
  vas: GPUMemory | None = None          # vaspace objects
  channel: Channel | None = None        # GPFIFO channel objects

@dataclass
class Client(Obj):
  fd: int = -1
  objects: dict = field(default_factory=dict)
  next_handle: int = UNIQUE_HANDLE_BASE

class RMError(Exception):
  def __init__(self, status: int): self.status = status

class RM:
  def __init__(self, machine):
    self.m, self.ident = machine, machine.identity
    self.clients: dict[int, Client] = {}
    self.next_client = CLIENT_HANDLE_BASE
    self.next_chid = 8
    self.vidmem_used = 0
    self.fb_bytes = int(machine.opts.get("vram", self.ident.fb_bytes))
    self.rc_recovery = 1
    self.version = machine.opts.get("driver_version", ident_mod.DRIVER_VERSION)
    known = set(nv.iface.names().get(c.name) for c in nv.iface.rm_classes.values())
    self.known_classes = known | set(ident_mod.COMMON.values())                     # the RM's class database
    self.gpu_classes = set(self.ident.classes) | {0x0, 0x1, 0x41, 0x80, 0x2080, 0x5}  # what this GPU supports
    self.controls = {getattr(nv, name): (name, fn) for name, fn in CONTROLS.items() if hasattr(nv, name)}

  # --- helpers
  def client(self, h: int) -> Client:
    c = self.clients.get(h)
    if c is None: raise RMError(S.NV_ERR_INVALID_OBJECT_HANDLE)   # rs_server.c _serverLockClientWithLockInfo
    return c
  def obj(self, c: Client, h: int) -> Obj:
    if h == c.handle: return c
    o = c.objects.get(h)
    if o is None: raise RMError(S.NV_ERR_OBJECT_NOT_FOUND)        # rs_client.c clientGetResourceRef
    return o
  def params(self, ptr: int, ctype: str):
    return ffi.cast(f"{ctype} *", ptr)
  def device_of(self, o: Obj) -> Obj | None:
    while o is not None and o.kind != "device": o = o.parent
    return o

  # --- NV_ESC_RM_ALLOC
  def alloc(self, fd: int, p, params_ptr: int) -> int:
    """p: NVOS21_PARAMETERS or NVOS64_PARAMETERS cdata. Returns the RM status (also stored in p.status by the caller)."""
    cls = p.hClass
    if cls in (0x0, 0x1, 0x41): cls = p.hClass = 0x41                 # escape.c: forced to NV01_ROOT_CLIENT
    if cls not in self.known_classes: return S.NV_ERR_INVALID_CLASS    # param_copy.c / resource_desc.c rmapiGetClassAllocParamSize
    desc = nv.iface.rm_class_by_id(cls)
    if desc is not None and desc.alloc == "req" and not params_ptr and self._os_desc is None:   # param_copy.c (NVOS02: none)
      return S.NV_ERR_INVALID_ARGUMENT
    if cls == 0x41:
      h = p.hObjectNew or self.next_client
      if h in self.clients: return S.NV_ERR_INSERT_DUPLICATE_NAME
      if not p.hObjectNew: self.next_client += 1
      c = Client(h, 0x41, "client", None, None, fd=fd)  # type: ignore[arg-type]
      c.client = c
      self.clients[h] = c; p.hObjectNew = h
      return S.NV_OK
    try:
      c = self.client(p.hRoot)
      parent = self.obj(c, p.hObjectParent)
      kind = self.kind_of(cls)
      if kind is None: return S.NV_ERR_INVALID_CLASS
      allowed = MEMORY_PARENTS.get(cls) or PARENTS.get(kind)
      if allowed is not None and parent.kind not in allowed: return S.NV_ERR_INVALID_OBJECT_PARENT   # alloc_free.c
      h = p.hObjectNew
      if h == 0:
        while c.next_handle in c.objects: c.next_handle += 1
        h = c.next_handle; c.next_handle += 1
      elif h == c.handle: return S.NV_ERR_INVALID_OBJECT_HANDLE          # rs_client.c clientValidateNewResourceHandle
      elif h in c.objects: return S.NV_ERR_INSERT_DUPLICATE_NAME
      if cls not in self.gpu_classes: return S.NV_ERR_NOT_SUPPORTED      # alloc_free.c resservResourceFactory
      o = Obj(h, cls, kind, parent, c)
      ctor = getattr(self, f"new_{kind}", None)
      if ctor is not None:
        st = ctor(o, params_ptr)
        if st: return st
      c.objects[h] = o; parent.children.append(o); p.hObjectNew = h
      return S.NV_OK
    except RMError as e: return e.status

  def kind_of(self, cls: int) -> str | None:
    if cls in KIND: return KIND[cls]
    if cls in (self.ident.gpfifo_class, 0xC36F, 0xC46F, 0xC56F, 0xC86F, 0xC96F, 0xCA6F): return "channel"
    if cls in (self.ident.compute_class, self.ident.copy_class) or (cls & 0xFF) in (0xC0, 0xB5): return "engine"
    if (cls & 0xFF) == 0x61: return "usermode"
    return "other"

  # constructors: return a status (0 = OK)
  def new_device(self, o: Obj, ptr: int) -> int:
    if not ptr: return S.NV_ERR_INVALID_ARGUMENT                           # alloc_free.c resservResourceFactory
    p = self.params(ptr, "NV0080_ALLOC_PARAMETERS")
    if p.deviceId >= 32: return S.NV_ERR_INVALID_ARGUMENT                 # NV_MAX_DEVICES
    if p.deviceId != 0: return S.NV_ERR_INVALID_STATE                     # no GPU at that device instance
    o.params = {"deviceId": p.deviceId}
    return 0
  def new_subdevice(self, o: Obj, ptr: int) -> int:
    if ptr and self.params(ptr, "NV2080_ALLOC_PARAMETERS").subDeviceId != 0: return S.NV_ERR_INVALID_ARGUMENT
    return 0
  def new_vaspace(self, o: Obj, ptr: int) -> int:
    p = self.params(ptr, "NV_VASPACE_ALLOCATION_PARAMETERS")
    o.params = {"flags": p.flags, "vaBase": p.vaBase, "vaSize": p.vaSize, "index": p.index}
    o.vas = GPUMemory(f"vaspace {o.handle:#x}")
    return 0
  def alloc_os_descriptor(self, fd: int, p) -> int:
    """NV_ESC_RM_ALLOC_MEMORY (NVOS02) of NV01_MEMORY_SYSTEM_OS_DESCRIPTOR: escape.c RmAllocOsDescriptor -> RmCreateOsDescriptor
    pins the caller's pages: pMemory not page-aligned is NV_ERR_NOT_SUPPORTED, limit + 1 overflowing NV_ERR_INVALID_LIMIT; other
    classes are not served by this escape (rmapi_deprecated_allocmemory.c rmAllocMemoryTable). The simulator runs in the
    caller's process, so the simulated GPU reads and writes those very pages (tinygrad's host buffers and signals)."""
    if p.hClass != 0x71: return S.NV_ERR_INVALID_CLASS
    va = int(ffi.cast("uintptr_t", p.pMemory))
    if va % PAGE: return S.NV_ERR_NOT_SUPPORTED
    if p.limit == (1 << 64) - 1: return S.NV_ERR_INVALID_LIMIT
    self._os_desc = (va, (p.limit + PAGE) // PAGE * PAGE)
    try: return self.alloc(fd, p, 0)
    finally: self._os_desc = None
  _os_desc: tuple | None = None
  def new_memory(self, o: Obj, ptr: int) -> int:
    if o.cls == 0x71:             # RM_ALLOC of it: osmemdesc.c answers a user VA with NV_ERR_NOT_SUPPORTED; ALLOC_MEMORY pinned it
      if self._os_desc is None: return S.NV_ERR_NOT_SUPPORTED
      o.alloc = UserPages(*self._os_desc)
      return 0
    p = self.params(ptr, "NV_MEMORY_ALLOCATION_PARAMS")
    size = (p.size + PAGE - 1) // PAGE * PAGE
    if size == 0: return S.NV_ERR_INVALID_ARGUMENT
    if o.cls == 0x40:
      if self.vidmem_used + size > self.fb_bytes: return S.NV_ERR_NO_MEMORY
      self.vidmem_used += size
    o.alloc = Allocation(size, f"nv-{MEMORY_CLASSES[o.cls]}", MEMORY_CLASSES[o.cls])
    o.alloc.refs = 1          # the RM handle; UVM mappings add references (they dup the handle)
    p.size, p.limit = size, size - 1
    p.offset = o.alloc.id << 32
    return 0
  def new_virtual(self, o: Obj, ptr: int) -> int:
    p = self.params(ptr, "NV_MEMORY_VIRTUAL_ALLOCATION_PARAMS")
    o.params = {"offset": p.offset, "limit": p.limit or (1 << 49) - 1, "hVASpace": p.hVASpace}
    p.limit = o.params["limit"]
    return 0
  def new_tsg(self, o: Obj, ptr: int) -> int:
    p = self.params(ptr, "NV_CHANNEL_GROUP_ALLOCATION_PARAMETERS")
    o.params = {"engineType": p.engineType, "hVASpace": p.hVASpace, "hObjectError": p.hObjectError, "scheduled": False}
    return 0
  def new_ctxshare(self, o: Obj, ptr: int) -> int:
    p = self.params(ptr, "NV_CTXSHARE_ALLOCATION_PARAMETERS")
    o.params = {"hVASpace": p.hVASpace, "flags": p.flags}
    p.subctxId = sum(1 for x in o.parent.children if x.kind == "ctxshare")
    return 0
  def new_channel(self, o: Obj, ptr: int) -> int:
    p = self.params(ptr, "NV_CHANNEL_ALLOC_PARAMS")
    c = o.client
    n = p.gpFifoEntries
    if n < 2 or n & (n - 1): return S.NV_ERR_INVALID_ARGUMENT
    try:
      userd = self.obj(c, p.hUserdMemory[0])
      if userd.alloc is None or p.userdOffset[0] + hw.USERD_SIZE > userd.alloc.size: return S.NV_ERR_INVALID_ARGUMENT
      notifier = self.obj(c, p.hObjectError) if p.hObjectError else None
      if notifier is not None and notifier.alloc is None: return S.NV_ERR_INVALID_ARGUMENT
      vas = self.channel_vas(o, p)
    except RMError as e: return e.status
    if vas is None: return S.NV_ERR_INVALID_STATE
    chid = self.next_chid; self.next_chid += 1
    o.channel = Channel(chid, chid, vas, p.gpFifoOffset, n, userd.alloc, p.userdOffset[0],
                        notifier.alloc if notifier else None, 0, o.cls)
    o.params = {"userd": userd, "notifier": notifier, "tsg": o.parent if o.parent.kind == "tsg" else None}
    userd.alloc.set_u32(p.userdOffset[0] + hw.USERD_GP_GET, 0)
    self.m.gpu.add_channel(o.channel)
    return 0
  def channel_vas(self, o: Obj, p) -> GPUMemory | None:
    c = o.client
    for h in (self.obj(c, p.hContextShare).params.get("hVASpace") if p.hContextShare else 0, p.hVASpace,
              o.parent.params.get("hVASpace", 0) if o.parent.kind == "tsg" else 0):
      if h:
        v = self.obj(c, h)
        if v.vas is None: raise RMError(S.NV_ERR_INVALID_OBJECT)
        return v.vas
    dev = self.device_of(o)
    vs = [x for x in dev.children if x.kind == "vaspace"] if dev else []
    return vs[0].vas if vs else None
  def new_engine(self, o: Obj, ptr: int) -> int:
    if o.cls not in (self.ident.compute_class, self.ident.copy_class): return S.NV_ERR_NOT_SUPPORTED
    o.parent.channel.engine_objects[o.cls] = o.handle
    return 0
  def new_event(self, o: Obj, ptr: int) -> int:
    p = self.params(ptr, "NV0005_ALLOC_PARAMETERS")
    o.params = {"hSrcResource": p.hSrcResource, "notifyIndex": p.notifyIndex & 0xFFFF, "fd": int(ffi.cast("uintptr_t", p.data))}
    return 0
  def new_debugger(self, o: Obj, ptr: int) -> int: return 0
  def new_usermode(self, o: Obj, ptr: int) -> int:
    o.alloc = self.m.gpu.usermode
    return 0

  # --- NV_ESC_RM_FREE
  def free(self, hroot: int, hparent: int, hold: int) -> int:
    try:
      c = self.client(hroot)
      if hold == hroot:
        self.free_client(c); return S.NV_OK
      o = self.obj(c, hold)
    except RMError as e: return e.status
    self._free_tree(o)
    if o.parent is not None and o in o.parent.children: o.parent.children.remove(o)
    return S.NV_OK
  def free_client(self, c: Client) -> None:
    for o in list(c.children): self._free_tree(o)
    c.children.clear()
    self.clients.pop(c.handle, None)
    self.m.uvm_drop_client(c)
  def _free_tree(self, o: Obj) -> None:
    if o.channel is not None: self.m.gpu.remove_channel(o.channel)    # preempt and unbind first, then free what it used
    for ch in list(o.children): self._free_tree(ch)
    o.children.clear()
    o.client.objects.pop(o.handle, None)
    if o.kind == "engine" and o.parent.channel is not None: o.parent.channel.engine_objects.pop(o.cls, None)
    if o.kind == "memory":                     # RM drops its own GPU mappings of the memory with it
      for dma, vas, m in list(o.params.get("dma_maps", [])): self._dma_unmap(dma, o, vas, m)
    if o.kind == "virtual":
      for vas, m in list(o.params.get("maps", [])):
        mem = next((x for x in o.client.objects.values() if x.alloc is m.alloc and x.kind == "memory"), None)
        if mem is not None: self._dma_unmap(o, mem, vas, m)
        else: vas.unmap_range(m.va, m.size); self.unref(m.alloc)
    if o.kind == "memory" and o.alloc is not None: self.unref(o.alloc)
  def unref(self, a: Allocation) -> None:
    a.refs -= 1
    if a.refs <= 0:
      if a.kind == "vidmem": self.vidmem_used -= a.size
      a.freed = True
      a.close()

  # --- NV_ESC_RM_CONTROL
  def control(self, p) -> int:
    c = self.clients.get(p.hClient)
    if c is None: return S.NV_ERR_INVALID_CLIENT                        # control.c _rmapiRmControl
    ptr = int(ffi.cast("uintptr_t", p.params))
    entry = self.controls.get(p.cmd)
    ctl = nv.iface.rm_control_by_cmd(p.cmd)
    size = ffi.sizeof(ctl.params) if ctl is not None and ctl.params else None
    if (p.paramsSize and not ptr) or (not p.paramsSize and ptr) or (size is not None and p.paramsSize != size):
      return S.NV_ERR_INVALID_ARGUMENT                                  # control.c: "bad params"
    try: o = self.obj(c, p.hObject)                                     # rs_server.c serverControl
    except RMError as e: return e.status
    if entry is None or not self.control_target_ok(p.cmd, o): return S.NV_ERR_NOT_SUPPORTED   # rs_resource.c
    name, fn = entry
    try: return fn(self, o, self.params(ptr, ctl.params) if ctl.params else None) or S.NV_OK
    except RMError as e: return e.status
  def control_target_ok(self, cmd: int, o: Obj) -> bool:
    cls = cmd >> 16
    if cls == 0x0000: return o.kind == "client"
    if cls == 0x0080: return o.kind == "device"
    if cls == 0x2080: return o.kind == "subdevice"
    if cls in (0xA06C,): return o.kind == "tsg"
    if cls in (0xA06F, 0x906F, 0xC36F): return o.kind == "channel"
    if cls == 0x90F1: return o.kind == "vaspace"
    if cls == 0x83DE: return o.kind == "debugger"
    return False

  # --- NV_ESC_RM_MAP_MEMORY: returns (status, mapping context or None)
  def map_memory(self, p) -> tuple[int, dict | None]:
    try:
      c = self.client(p.hClient)
      dev = self.obj(c, p.hDevice)
      mem = self.obj(c, p.hMemory)
    except RMError as e: return e.status, None
    if dev.kind not in ("device", "subdevice"): return S.NV_ERR_INVALID_OBJECT_PARENT, None
    if mem.alloc is None: return S.NV_ERR_INVALID_OBJECT, None
    if p.length == 0 or p.offset + p.length > mem.alloc.size: return S.NV_ERR_INVALID_LIMIT, None
    return S.NV_OK, {"alloc": mem.alloc, "offset": p.offset, "length": p.length, "kind": mem.kind,
                     "cookie": (mem.alloc.id << 32) | p.offset, "readonly": (p.flags & 3) == 1}

  # --- NV_ESC_RM_MAP_MEMORY_DMA / UNMAP_MEMORY_DMA: RM-managed GPU VA (the path without UVM, fact sheet §1.9)
  def map_memory_dma(self, p) -> int:
    try:
      c = self.client(p.hClient)
      dma, mem = self.obj(c, p.hDma), self.obj(c, p.hMemory)
    except RMError as e: return e.status
    if dma.kind != "virtual" or mem.kind != "memory" or mem.alloc is None: return S.NV_ERR_INVALID_OBJECT
    length = p.length or mem.alloc.size - p.offset
    if p.offset % PAGE or length % PAGE or p.offset + length > mem.alloc.size: return S.NV_ERR_INVALID_LIMIT
    try: vas = self.virtual_vas(dma)
    except RMError as e: return e.status
    if vas is None: return S.NV_ERR_INVALID_STATE
    lo, hi = dma.params["offset"], dma.params["limit"]
    if (p.flags >> 15) & 1: va = p.dmaOffset                                   # NVOS46_FLAGS_DMA_OFFSET_FIXED
    else:
      va = max([lo, 1 << 32] + [m.end for m in vas.maps if lo <= m.va <= hi])
      va = (va + 0x1FFFFF) & ~0x1FFFFF
    if va < lo or va + length - 1 > hi or vas.find_overlap(va, length): return S.NV_ERR_INVALID_OFFSET
    m = vas.map(va, mem.alloc, p.offset, length, writable=(p.flags & 3) != 1, tag=("rm", dma.handle, mem.handle))
    mem.alloc.refs += 1
    dma.params.setdefault("maps", []).append((vas, m)); mem.params.setdefault("dma_maps", []).append((dma, vas, m))
    p.dmaOffset = va
    return S.NV_OK
  def virtual_vas(self, dma: Obj) -> GPUMemory | None:
    h = dma.params.get("hVASpace", 0)
    if h: return self.obj(dma.client, h).vas
    dev = self.device_of(dma)
    vs = [x for x in dev.children if x.kind == "vaspace"] if dev else []
    return vs[0].vas if vs else None
  def unmap_memory_dma(self, p) -> int:
    try:
      c = self.client(p.hClient)
      dma, mem = self.obj(c, p.hDma), self.obj(c, p.hMemory)
    except RMError as e: return e.status
    for vas, m in dma.params.get("maps", []):
      if m.va == p.dmaOffset and m.alloc is mem.alloc:
        self._dma_unmap(dma, mem, vas, m); return S.NV_OK
    return S.NV_ERR_INVALID_OFFSET
  def _dma_unmap(self, dma: Obj, mem: Obj, vas: GPUMemory, m) -> None:
    if not self.m.plan.bug("free-in-flight"): self.m.gpu.idle_wait(vas)
    else: self.m.gpu.fault_unfinished(vas, m.va)
    vas.unmap_range(m.va, m.size)
    dma.params["maps"] = [x for x in dma.params.get("maps", []) if x[1] is not m]
    mem.params["dma_maps"] = [x for x in mem.params.get("dma_maps", []) if x[2] is not m]
    self.unref(m.alloc)

# ---------------------------------------------------------------------------------------------------------------------------
# controls: NAME (as ioctl/nv.txt spells it) -> handler(rm, target object, params cdata) -> status (None = NV_OK)
def _str(buf, s: str) -> None:
  b = s.encode()[:len(buf) - 1]
  ffi.memmove(buf, b + b"\0", len(b) + 1)

def c_build_version(rm, o, p):
  for f in ("driverVersionBuffer", "versionBuffer"): _str(getattr(p, f), rm.version)
  _str(p.driverBranch, "r" + rm.version.split(".")[0] + "_00"); _str(p.titleBuffer, "hwrt simulated NVIDIA driver")
def c_attached_ids(rm, o, p):
  for i in range(32): p.gpuIds[i] = GPU_ID if i == 0 else 0xFFFFFFFF
def c_probed_ids(rm, o, p):
  for i in range(32): p.gpuIds[i] = GPU_ID if i == 0 else 0xFFFFFFFF; p.excludedGpuIds[i] = 0xFFFFFFFF
def c_id_info_v2(rm, o, p):
  if p.gpuId != GPU_ID: return S.NV_ERR_INVALID_ARGUMENT
  p.gpuFlags, p.deviceInstance, p.subDeviceInstance, p.sliStatus, p.boardId, p.gpuInstance, p.numaId = 0, 0, 0, 0, 0, 0, -1
def c_uuid_from_gpu_id(rm, o, p):
  if p.gpuId != GPU_ID: return S.NV_ERR_INVALID_ARGUMENT
  u = rm.m.uuid
  if (p.flags & 3) == 2: ffi.memmove(p.gpuUuid, u, 16); p.uuidStrLen = 16
  else:
    s = "GPU-" + "-".join(u.hex()[a:b] for a, b in ((0, 8), (8, 12), (12, 16), (16, 20), (20, 32)))
    _str(p.gpuUuid, s); p.uuidStrLen = len(s) + 1
class UserPages(Allocation):
  """The caller's own pages as an allocation (an OS descriptor): no memfd, so no CPU mapping of it (mapping_cpu.c refuses
  one); the GPU's view is the process's memory at that address."""
  def __init__(self, va: int, size: int):
    Allocation._ids += 1
    self.id, self.kind, self.size, self.fd, self.mm, self.freed, self.refs = Allocation._ids, "osdesc", size, -1, None, False, 1
    self.view = np.frombuffer(ffi.buffer(ffi.cast("char *", va), size), np.uint8)
  def close(self) -> None: self.view = np.zeros(0, np.uint8)

def c_classlist(rm, o, p):
  cl = rm.ident.classes
  if p.classList:
    if p.numClasses < len(cl): return S.NV_ERR_INVALID_PARAM_STRUCT
    arr = ffi.cast("NvU32 *", p.classList)
    for i, x in enumerate(cl): arr[i] = x
  p.numClasses = len(cl)
def c_classlist_v2(rm, o, p):
  cl = rm.ident.classes
  p.numClasses = len(cl)
  for i, x in enumerate(cl): p.classList[i] = x
def c_num_subdevices(rm, o, p): p.numSubDevices = 1
def c_name_string(rm, o, p):
  if p.gpuNameStringFlags == 0: _str(p.gpuNameString.ascii, rm.ident.name)
  else:
    u = rm.ident.name.encode("utf-16-le") + b"\0\0"
    ffi.memmove(p.gpuNameString.unicode, u[:ffi.sizeof(p.gpuNameString.unicode) - 2], min(len(u), ffi.sizeof(p.gpuNameString.unicode)))
def c_short_name(rm, o, p): _str(p.gpuShortNameString, rm.ident.name.replace("NVIDIA ", "").split()[0])
def c_gid_info(rm, o, p):
  if (p.flags & 3) == 2: ffi.memmove(p.data, rm.m.uuid, 16); p.length = 16
  else:
    u = rm.m.uuid.hex(); s = f"GPU-{u[:8]}-{u[8:12]}-{u[12:16]}-{u[16:20]}-{u[20:]}"
    _str(p.data, s); p.length = len(s) + 1
def gr_value(rm, index: int) -> int:
  i = rm.ident
  return {nv.NV2080_CTRL_GR_INFO_INDEX_SM_VERSION: i.sm, nv.NV2080_CTRL_GR_INFO_INDEX_MAX_WARPS_PER_SM: i.max_warps_per_sm,
          nv.NV2080_CTRL_GR_INFO_INDEX_MAX_THREADS_PER_WARP: 32, nv.NV2080_CTRL_GR_INFO_INDEX_LITTER_NUM_GPCS: i.gpcs,
          nv.NV2080_CTRL_GR_INFO_INDEX_LITTER_NUM_TPC_PER_GPC: i.tpc_per_gpc, nv.NV2080_CTRL_GR_INFO_INDEX_LITTER_NUM_SM_PER_TPC: i.sm_per_tpc,
          nv.NV2080_CTRL_GR_INFO_INDEX_GPU_CORE_COUNT: i.sms * 128, nv.NV2080_CTRL_GR_INFO_INDEX_MAX_SP_PER_SM: 128,
          nv.NV2080_CTRL_GR_INFO_INDEX_THREAD_STACK_SCALING_FACTOR: 1, nv.NV2080_CTRL_GR_INFO_INDEX_MAX_SUBCONTEXT_COUNT: 64,
          nv.NV2080_CTRL_GR_INFO_INDEX_SM_REG_BANK_COUNT: 4, nv.NV2080_CTRL_GR_INFO_INDEX_SM_REG_BANK_REG_COUNT: 16384,
          nv.NV2080_CTRL_GR_INFO_INDEX_FAMILY_MAX_TPC_PER_GPC: i.tpc_per_gpc}.get(index, 0)
def c_gr_info(rm, o, p):
  n = p.grInfoListSize
  if n == 0 or n > nv.NV2080_CTRL_GR_INFO_INDEX_MAX or not p.grInfoList: return S.NV_ERR_INVALID_ARGUMENT
  lst = ffi.cast("NV2080_CTRL_GR_INFO *", p.grInfoList)
  for k in range(n):
    if lst[k].index >= nv.NV2080_CTRL_GR_INFO_INDEX_MAX: return S.NV_ERR_INVALID_ARGUMENT
    lst[k].data = gr_value(rm, lst[k].index)
def c_gpc_mask(rm, o, p): p.gpcMask = (1 << rm.ident.gpcs) - 1
def c_tpc_mask(rm, o, p):
  """Enabled TPCs of a GPC: the identity's SM count spread over the GPCs (the LITTER_* values are the full chip's)."""
  i = rm.ident
  if p.gpcId >= i.gpcs: return S.NV_ERR_INVALID_ARGUMENT
  base, extra = divmod(i.tpcs, i.gpcs)
  p.tpcMask = (1 << (base + (1 if p.gpcId < extra else 0))) - 1
def c_ctx_buffer_size(rm, o, p): p.totalBufferSize = 64 << 20
def c_fb_info_v2(rm, o, p):
  kib = rm.fb_bytes >> 10
  vals = {nv.NV2080_CTRL_FB_INFO_INDEX_RAM_SIZE: kib, nv.NV2080_CTRL_FB_INFO_INDEX_TOTAL_RAM_SIZE: kib,
          nv.NV2080_CTRL_FB_INFO_INDEX_USABLE_RAM_SIZE: kib, nv.NV2080_CTRL_FB_INFO_INDEX_HEAP_SIZE: kib,
          nv.NV2080_CTRL_FB_INFO_INDEX_HEAP_FREE: (rm.fb_bytes - rm.vidmem_used) >> 10, nv.NV2080_CTRL_FB_INFO_INDEX_L2CACHE_SIZE: rm.ident.l2_bytes,
          nv.NV2080_CTRL_FB_INFO_INDEX_BAR1_SIZE: 256 << 20 >> 10, nv.NV2080_CTRL_FB_INFO_INDEX_BAR1_AVAIL_SIZE: 256 << 20 >> 10}
  if p.fbInfoListSize > 128: return S.NV_ERR_INVALID_ARGUMENT
  for k in range(p.fbInfoListSize): p.fbInfoList[k].data = vals.get(p.fbInfoList[k].index, 0) & 0xFFFFFFFF
def c_arch_info(rm, o, p): p.architecture, p.implementation, p.revision, p.subRevision = rm.ident.arch, rm.ident.impl, 0xA1, 0
def c_bus_pci_info(rm, o, p):
  p.pciDeviceId = (rm.ident.pci_device << 16) | 0x10DE; p.pciSubSystemId = rm.ident.pci_subsystem
  p.pciRevisionId, p.pciExtDeviceId = 0xA1, rm.ident.pci_device
def c_ok(rm, o, p): return S.NV_OK
def c_rc_error_count(rm, o, p): p.errorCount = len(rm.m.gpu.errors)
def c_get_rc_recovery(rm, o, p): p.rcEnable = rm.rc_recovery
def c_set_rc_recovery(rm, o, p): rm.rc_recovery = p.rcEnable
def c_work_submit_token(rm, o, p): p.workSubmitToken = o.channel.token
def c_tsg_schedule(rm, o, p):
  o.params["scheduled"] = bool(p.bEnable)
  for ch in o.children:
    if ch.channel is not None: ch.channel.scheduled = ch.channel.kick = bool(p.bEnable)
def c_channel_schedule(rm, o, p):
  if o.parent.kind == "tsg": return S.NV_ERR_INVALID_ARGUMENT     # TSG channels are scheduled through the group
  o.channel.scheduled = o.channel.kick = bool(p.bEnable)
def c_reset_channel(rm, o, p):
  ch = o.channel
  ch.rc, ch.hung, ch.stall, ch.pos = 0, False, None, None
  ch.userd.set_u32(ch.userd_off + hw.USERD_GP_GET, ch.gp_put() % ch.entries)

def c_pci_info_0000(rm, o, p):
  if p.gpuId != GPU_ID: return S.NV_ERR_INVALID_ARGUMENT
  p.domain, p.bus, p.slot = 0, 1, 0
def _engines(rm) -> list[int]:
  return [nv.NV2080_ENGINE_TYPE_GRAPHICS] + [getattr(nv, f"NV2080_ENGINE_TYPE_COPY{i}") for i in range(10)]
def c_engines_v2(rm, o, p):
  e = _engines(rm); p.engineCount = len(e)
  for i, x in enumerate(e): p.engineList[i] = x
def c_engine_classlist(rm, o, p):
  if p.engineType not in _engines(rm): return S.NV_ERR_INVALID_ARGUMENT
  cl = [rm.ident.compute_class] if p.engineType == nv.NV2080_ENGINE_TYPE_GRAPHICS else [rm.ident.copy_class]
  if p.classList:
    if p.numClasses < len(cl): return S.NV_ERR_INVALID_PARAM_STRUCT
    arr = ffi.cast("NvU32 *", p.classList)
    for i, x in enumerate(cl): arr[i] = x
  p.numClasses = len(cl)
FAULT_TYPES = {"FAULT_PDE": 0, "FAULT_PTE": 2, "FAULT_RO_VIOLATION": 6}     # hopper/gh100/dev_fault.h NV_PFAULT_FAULT_TYPE_*
def c_read_mmu_fault_info(rm, o, p):
  f = [e for e in rm.m.gpu.errors if e.get("va") is not None][-4:]
  p.count = len(f)
  for i, e in enumerate(f):
    p.mmuFaultInfoList[i].faultAddress = e["va"]
    p.mmuFaultInfoList[i].faultType = FAULT_TYPES.get(e.get("kind"), 0)
    p.mmuFaultInfoList[i].accessType = int(bool(e.get("write")))   # NV_PFAULT_ACCESS_TYPE_VIRT_READ 0 / VIRT_WRITE 1

def c_read_all_sm_errors(rm, o, p):
  """NV83DE_CTRL_CMD_DEBUG_READ_ALL_SM_ERROR_STATES (ctrl83dedebug.h): the target channel's SM error states, at most
  NV83DE_CTRL_DEBUG_MAX_SMS_PER_CALL (100) per call, and whether an MMU fault is pending on it. The simulator keeps no
  ESR register values (the Xid line says what went wrong), so the ESRs read zero; mmuFault.valid follows the channel's
  last RC error (Xid 31). tinygrad reads it in on_device_hang."""
  if p.numSMsToRead > 100: return S.NV_ERR_INVALID_ARGUMENT
  ch = rm.obj(o.client, p.hTargetChannel)
  if ch.kind != "channel": return S.NV_ERR_INVALID_OBJECT_HANDLE
  last = [e for e in rm.m.gpu.errors if e["chid"] == ch.channel.chid][-1:]
  p.mmuFault.valid = int(bool(last and last[0].get("va") is not None))
  p.mmuFaultInfo = 0

CONTROLS = {
  "NV83DE_CTRL_CMD_DEBUG_READ_ALL_SM_ERROR_STATES": c_read_all_sm_errors,
  "NV0000_CTRL_CMD_GPU_GET_PCI_INFO": c_pci_info_0000, "NV2080_CTRL_CMD_GPU_GET_ENGINES_V2": c_engines_v2,
  "NV2080_CTRL_CMD_GPU_GET_ENGINE_CLASSLIST": c_engine_classlist, "NV0080_CTRL_CMD_FIFO_GET_CAPS_V2": c_ok,
  "NV83DE_CTRL_CMD_DEBUG_READ_MMU_FAULT_INFO": c_read_mmu_fault_info,
  "NV0000_CTRL_CMD_SYSTEM_GET_BUILD_VERSION_V2": c_build_version, "NV0000_CTRL_CMD_GPU_GET_ATTACHED_IDS": c_attached_ids,
  "NV0000_CTRL_CMD_GPU_GET_PROBED_IDS": c_probed_ids, "NV0000_CTRL_CMD_GPU_GET_ID_INFO_V2": c_id_info_v2,
  "NV0000_CTRL_CMD_GPU_GET_UUID_FROM_GPU_ID": c_uuid_from_gpu_id,
  "NV0080_CTRL_CMD_GPU_GET_CLASSLIST": c_classlist, "NV0080_CTRL_CMD_GPU_GET_CLASSLIST_V2": c_classlist_v2,
  "NV0080_CTRL_CMD_GPU_GET_NUM_SUBDEVICES": c_num_subdevices,
  "NV2080_CTRL_CMD_GPU_GET_NAME_STRING": c_name_string, "NV2080_CTRL_CMD_GPU_GET_SHORT_NAME_STRING": c_short_name,
  "NV2080_CTRL_CMD_GPU_GET_GID_INFO": c_gid_info, "NV2080_CTRL_CMD_GR_GET_INFO": c_gr_info,
  "NV2080_CTRL_CMD_GR_GET_GPC_MASK": c_gpc_mask, "NV2080_CTRL_CMD_GR_GET_TPC_MASK": c_tpc_mask,
  "NV2080_CTRL_CMD_GR_GET_CTX_BUFFER_SIZE": c_ctx_buffer_size, "NV2080_CTRL_CMD_FB_GET_INFO_V2": c_fb_info_v2,
  "NV2080_CTRL_CMD_FB_FLUSH_GPU_CACHE": c_ok, "NV2080_CTRL_CMD_MC_GET_ARCH_INFO": c_arch_info,
  "NV2080_CTRL_CMD_BUS_GET_PCI_INFO": c_bus_pci_info, "NV2080_CTRL_CMD_PERF_BOOST": c_ok,
  "NV2080_CTRL_CMD_RC_GET_ERROR_COUNT": c_rc_error_count, "NV2080_CTRL_CMD_GET_RC_RECOVERY": c_get_rc_recovery,
  "NV2080_CTRL_CMD_SET_RC_RECOVERY": c_set_rc_recovery,
  "NVC36F_CTRL_CMD_GPFIFO_GET_WORK_SUBMIT_TOKEN": c_work_submit_token, "NVA06C_CTRL_CMD_GPFIFO_SCHEDULE": c_tsg_schedule,
  "NVA06C_CTRL_CMD_SET_TIMESLICE": c_ok, "NVA06F_CTRL_CMD_GPFIFO_SCHEDULE": c_channel_schedule,
  "NV906F_CTRL_CMD_RESET_CHANNEL": c_reset_channel, "NV83DE_CTRL_CMD_DEBUG_SET_EXCEPTION_MASK": c_ok,
}
