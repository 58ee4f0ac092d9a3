"""A minimal bring-up through the real RM/UVM ioctl interface of a Syscalls object (the simulator's, normally), for tests of
the simulated machine: it opens the nodes, allocates the object tree of fact sheet §3.4, GPU-maps memory with UVM external
ranges, and writes GPFIFO entries, USERD GP_PUT and the doorbell itself. It is not the driver (drivers/nv/ is); it exists
so the simulator can be tested by exactly the ioctls, mmaps and memory writes a driver makes."""
from __future__ import annotations
import time
from hwrt.errors import RMError, GPUTimeout
from hwrt.helpers import Deadline
from hwrt.ioctl import nv, uvm, nv_hw as hw
from hwrt.ioctl.nv import ffi
from hwrt.ioctl.syscalls import PROT_READ, PROT_WRITE, MAP_SHARED

def _set(p, **fields):
  for k, v in fields.items():
    if isinstance(v, (list, tuple)):
      for i, x in enumerate(v): getattr(p, k)[i] = x
    else: setattr(p, k, v)
  return p

class Buffer:
  def __init__(self, bench, handle, size, cpu, va):
    self.bench, self.handle, self.size, self.cpu, self.va = bench, handle, size, cpu, va
  def view(self, ctype: str = "uint8_t"):
    return ffi.cast(f"{ctype} *", self.cpu)
  def write(self, off: int, data: bytes) -> None: ffi.memmove(ffi.cast("char *", self.cpu + off), data, len(data))
  def read(self, off: int, n: int) -> bytes: return bytes(ffi.buffer(ffi.cast("char *", self.cpu + off), n))
  def u32(self, off): return ffi.cast("volatile uint32_t *", self.cpu + off)[0]
  def u64(self, off): return ffi.cast("volatile uint64_t *", self.cpu + off)[0]

class Bench:
  VA_BASE = 0x200000000
  def __init__(self, sc, entries: int = 64, vaspace_flags: int | None = None, uvm_init: bool = True):
    self.sc, self.ident = sc, sc.machine.identity
    self.ctl = sc.open("/dev/nvidiactl")
    self.client = self.alloc(0, 0x41, hroot=0)
    self.uvm = sc.open("/dev/nvidia-uvm")
    if uvm_init: self.uvm_call("UVM_INITIALIZE", flags=0)
    cards = ffi.new("nv_ioctl_card_info_t[32]")
    sc.ioctl(self.ctl, nv.iface.request("NV_ESC_CARD_INFO"), cards)
    self.gpu_id = cards[0].gpu_id
    self.dev_fd = self.open_dev()
    info = self.control(self.client, "NV0000_CTRL_CMD_GPU_GET_ID_INFO_V2", gpuId=self.gpu_id)
    self.device = self.alloc(self.client, nv.NV01_DEVICE_0, "NV0080_ALLOC_PARAMETERS", deviceId=info.deviceInstance, hClientShare=self.client)
    self.subdevice = self.alloc(self.device, nv.NV20_SUBDEVICE_0, "NV2080_ALLOC_PARAMETERS", subDeviceId=0)
    self.usermode = self.alloc(self.subdevice, self.ident.usermode_class)
    self.doorbell = self.cpu_map(self.usermode, hw.USERMODE_SIZE, dev=True)
    flags = (nv.NV_VASPACE_ALLOCATION_FLAGS_IS_EXTERNALLY_OWNED | nv.NV_VASPACE_ALLOCATION_FLAGS_ENABLE_PAGE_FAULTING) if vaspace_flags is None else vaspace_flags
    self.vaspace = self.alloc(self.device, nv.FERMI_VASPACE_A, "NV_VASPACE_ALLOCATION_PARAMETERS", vaBase=0x1000, vaSize=0x1fffffb000000, flags=flags)
    gid = self.control(self.subdevice, "NV2080_CTRL_CMD_GPU_GET_GID_INFO", flags=2, length=16)
    self.uuid = bytes(ffi.buffer(gid.data, 16))
    self.next_va = self.VA_BASE
    if uvm_init:
      self.uvm_call("UVM_REGISTER_GPU", gpu_uuid=self.uuid, rmCtrlFd=-1)
      self.uvm_call("UVM_REGISTER_GPU_VASPACE", gpuUuid=self.uuid, rmCtrlFd=self.ctl, hClient=self.client, hVaSpace=self.vaspace)
      self.tsg = self.alloc(self.device, nv.KEPLER_CHANNEL_GROUP_A, "NV_CHANNEL_GROUP_ALLOCATION_PARAMETERS", engineType=1)
      self.ctxshare = self.alloc(self.tsg, nv.FERMI_CONTEXT_SHARE_A, "NV_CTXSHARE_ALLOCATION_PARAMETERS", hVASpace=self.vaspace, flags=1)
      self.entries = entries
      self.ring = self.buffer(0x2000)                    # GPFIFO ring at 0, USERD at 0x1000
      self.notifier = self.buffer(0x1000)
      self.pb = self.buffer(0x10000); self.pb_off = 0
      self.channel = self.alloc(self.tsg, self.ident.gpfifo_class, "NV_CHANNEL_ALLOC_PARAMS", hObjectError=self.notifier.handle,
                                gpFifoOffset=self.ring.va, gpFifoEntries=entries, hContextShare=self.ctxshare,
                                hUserdMemory=[self.ring.handle], userdOffset=[0x1000])
      self.compute = self.alloc(self.channel, self.ident.compute_class)
      self.copy = self.alloc(self.channel, self.ident.copy_class)
      self.token = self.control(self.channel, "NVC36F_CTRL_CMD_GPFIFO_GET_WORK_SUBMIT_TOKEN").workSubmitToken
      self.control(self.tsg, "NVA06C_CTRL_CMD_GPFIFO_SCHEDULE", bEnable=1)
      self.put = 0
      self.submit(hw.nvm(hw.SUBC_COMPUTE, hw.CBC0_SET_OBJECT, self.ident.compute_class) + hw.nvm(hw.SUBC_COPY, 0, self.ident.copy_class))

  # --- raw calls
  def open_dev(self) -> int:
    fd = self.sc.open("/dev/nvidia0")
    self.sc.ioctl(fd, nv.iface.request("NV_ESC_REGISTER_FD"), _set(ffi.new("nv_ioctl_register_fd_t *"), ctl_fd=self.ctl))
    return fd
  def alloc_status(self, parent: int, cls: int, ctype: str | None = None, handle: int = 0, hroot: int | None = None, **fields):
    params = _set(ffi.new(f"{ctype} *"), **fields) if ctype else 0
    a = ffi.new("NVOS21_PARAMETERS *")
    _set(a, hRoot=self.client if hroot is None else hroot, hObjectParent=parent, hObjectNew=handle, hClass=cls,
         pAllocParms=ffi.cast("NvP64", params), paramsSize=ffi.sizeof(ctype) if ctype else 0)
    self.sc.ioctl(self.ctl, nv.iface.request("NV_ESC_RM_ALLOC", "NVOS21_PARAMETERS"), a)
    self._last_params = params
    return a.status, a.hObjectNew
  def alloc(self, parent, cls, ctype=None, **kw) -> int:
    st, h = self.alloc_status(parent, cls, ctype, **kw)
    if st: raise RMError(f"RM_ALLOC class {cls:#x}: status {st:#x}", status=st)
    return h
  def control_status(self, obj: int, name: str, size: int | None = None, null: bool = False, hclient: int | None = None, **fields):
    ctl = nv.iface.rm_controls[name]
    params = _set(ffi.new(f"{ctl.params} *"), **fields)
    p = _set(ffi.new("NVOS54_PARAMETERS *"), hClient=self.client if hclient is None else hclient, hObject=obj, cmd=ctl.cmd,
             params=0 if null else ffi.cast("NvP64", params), paramsSize=ffi.sizeof(ctl.params) if size is None else size)
    self.sc.ioctl(self.ctl, nv.iface.request("NV_ESC_RM_CONTROL"), p)
    return p.status, params
  def control(self, obj, name, **fields):
    st, params = self.control_status(obj, name, **fields)
    if st: raise RMError(f"RM_CONTROL {name}: status {st:#x}", status=st)
    return params
  def free_status(self, obj: int, parent: int = 0) -> int:
    p = _set(ffi.new("NVOS00_PARAMETERS *"), hRoot=self.client, hObjectParent=parent, hObjectOld=obj)
    self.sc.ioctl(self.ctl, nv.iface.request("NV_ESC_RM_FREE"), p)
    return p.status
  def uvm_status(self, name: str, **fields) -> int:
    row = uvm.iface.ioctls[name]
    p = ffi.new(f"{row.struct} *")
    for k, v in fields.items():
      if isinstance(v, bytes): ffi.memmove(ffi.addressof(getattr(p, k)), v, len(v))
      else: setattr(p, k, v)
    self.sc.ioctl(self.uvm, row.request, p)
    self._last_uvm = p
    return p.rmStatus
  def uvm_call(self, name, **fields):
    st = self.uvm_status(name, **fields)
    if st: raise RMError(f"{name}: rmStatus {st:#x}", status=st)
    return self._last_uvm
  def map_status(self, hmem: int, length: int, fd: int, offset: int = 0):
    w = ffi.new("nv_ioctl_nvos33_parameters_with_fd *")
    _set(w.params, hClient=self.client, hDevice=self.device, hMemory=hmem, offset=offset, length=length); w.fd = fd
    self.sc.ioctl(self.ctl, nv.iface.request("NV_ESC_RM_MAP_MEMORY"), w)
    return w.params.status
  def cpu_map(self, hmem: int, length: int, dev: bool = False) -> int:
    fd = self.open_dev() if dev else self.sc.open("/dev/nvidiactl")
    st = self.map_status(hmem, length, fd)
    if st: raise RMError(f"RM_MAP_MEMORY: status {st:#x}", status=st)
    return self.sc.mmap(0, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)

  # --- memory
  def buffer(self, size: int, vidmem: bool = False, gpu_map: bool = True) -> Buffer:
    size = (size + 0xFFF) & ~0xFFF
    attr = (0 if vidmem else 1) << 25
    h = self.alloc(self.device, nv.NV01_MEMORY_LOCAL_USER if vidmem else nv.NV01_MEMORY_SYSTEM, "NV_MEMORY_ALLOCATION_PARAMS",
                   owner=self.client, size=size, attr=attr, flags=0x8000 | 0x4000 | 0x1, alignment=0x1000)
    cpu = self.cpu_map(h, size, dev=vidmem)
    va = 0
    if gpu_map:
      va = self.next_va; self.next_va += (size + 0x1FFFFF) & ~0x1FFFFF
      self.uvm_call("UVM_CREATE_EXTERNAL_RANGE", base=va, length=size)
      self.map_external(va, size, h)
    return Buffer(self, h, size, cpu, va)
  def map_external(self, va: int, size: int, h: int, mapping_type: int = 1) -> int:
    row = uvm.iface.ioctls["UVM_MAP_EXTERNAL_ALLOCATION"]
    p = ffi.new(f"{row.struct} *")
    _set(p, base=va, length=size, offset=0, gpuAttributesCount=1, rmCtrlFd=self.ctl, hClient=self.client, hMemory=h)
    ffi.memmove(ffi.addressof(p.perGpuAttributes[0].gpuUuid), self.uuid, 16)
    p.perGpuAttributes[0].gpuMappingType = mapping_type
    self.sc.ioctl(self.uvm, row.request, p)
    if p.rmStatus: raise RMError(f"UVM_MAP_EXTERNAL_ALLOCATION: rmStatus {p.rmStatus:#x}", status=p.rmStatus)
    return p.rmStatus

  # --- submission (what a driver does: ring entry, GP_PUT, fence, doorbell)
  def submit(self, words: list[int]) -> None:
    data = b"".join((w & 0xFFFFFFFF).to_bytes(4, "little") for w in words)
    if self.pb_off + len(data) > self.pb.size: self.pb_off = 0
    self.pb.write(self.pb_off, data)
    entry = hw.gp_entry(self.pb.va + self.pb_off, len(words))
    self.pb_off = (self.pb_off + len(data) + 15) & ~15
    self.ring.write((self.put % self.entries) * 8, entry.to_bytes(8, "little"))
    self.put += 1
    ffi.cast("volatile uint32_t *", self.ring.cpu + 0x1000 + hw.USERD_GP_PUT)[0] = self.put % self.entries
    ffi.cast("volatile uint32_t *", self.doorbell + hw.USERMODE_DOORBELL)[0] = self.token
  def gp_get(self) -> int: return self.ring.u32(0x1000 + hw.USERD_GP_GET)
  def wait(self, cond, seconds: float = 5.0, what: str = "condition") -> None:
    dl = Deadline(seconds)
    while not cond():
      if dl.expired(): raise GPUTimeout(f"simulated GPU: {what} not reached in {seconds}s")
      time.sleep(0.0005)
  def wait_u64(self, buf: Buffer, off: int, value: int, seconds: float = 5.0) -> None:
    self.wait(lambda: buf.u64(off) >= value, seconds, f"semaphore {buf.va + off:#x} >= {value}")
  def idle(self, seconds: float = 5.0) -> None:
    self.wait(lambda: self.gp_get() == self.put % self.entries, seconds, "GP_GET == GP_PUT")
  def close(self) -> None:
    try: self.sc.close(self.ctl)
    except Exception: pass
