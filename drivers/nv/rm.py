"""RM and UVM calls on raw ioctls: alloc / control / free / map, each checked for both the ioctl's errno and the RM status
that the real driver returns inside the struct. Names are the kernel headers' (hwrt.ioctl.nv, hwrt.ioctl.uvm)."""
from __future__ import annotations
from hwrt.errors import RMError
from hwrt.ioctl import nv, uvm
from hwrt.ioctl.ffi import ffi
from hwrt.ioctl.syscalls import Syscalls, O_RDWR, O_CLOEXEC

STATUS_NAMES = {v: k for k, v in vars(nv).items() if k.startswith(("NV_ERR_", "NV_WARN_")) and isinstance(v, int)} | {0: "NV_OK"}
def status_name(s: int) -> str: return STATUS_NAMES.get(s, f"{s:#x}")
CLASS_NAMES = {v: k for k, v in vars(nv).items() if isinstance(v, int) and k.isupper() and not k.startswith(("NV_ERR", "NV_WARN", "NV_ESC", "NVOS", "NV2080_CTRL", "NV0080_CTRL", "NV0000_CTRL"))}

def new(ctype: str, **fields):
  """ffi.new of a struct pointer with fields set by name (nested structs/arrays as dicts/lists)."""
  p = ffi.new(f"{ctype} *")
  for k, v in fields.items(): setattr(p, k, v)
  return p

def addr(p) -> int: return int(ffi.cast("uintptr_t", p)) if p is not None else 0

class RM:
  """One root client on one /dev/nvidiactl fd. Every call raises RMError(name, status) on a non-NV_OK status."""
  def __init__(self, sys: Syscalls):
    self.sys = sys
    self.fd_ctl = sys.open("/dev/nvidiactl", O_RDWR | O_CLOEXEC)
    self.root = 0
    try: self.root = self.alloc(0, nv.NV01_ROOT_CLIENT)
    except BaseException: sys.close(self.fd_ctl); raise

  def _check(self, what: str, status: int, **info):
    if status != 0: raise RMError(f"{what}: {status_name(status)}", status=status, status_name=status_name(status), **info)

  def alloc(self, parent: int, cls: int, params=None, handle: int = 0) -> int:
    p = new("NVOS21_PARAMETERS", hRoot=self.root or 0, hObjectParent=parent or 0, hObjectNew=handle, hClass=cls,
            pAllocParms=addr(params), paramsSize=ffi.sizeof(params[0]) if params is not None else 0)
    self.sys.ioctl(self.fd_ctl, nv.NV_ESC_RM_ALLOC, p)
    self._check(f"RM_ALLOC {CLASS_NAMES.get(cls, hex(cls))} under {parent:#x}", p.status, cls=cls, parent=parent)
    return p.hObjectNew

  def control(self, obj: int, cmd: int, params=None, name: str = ""):
    p = new("NVOS54_PARAMETERS", hClient=self.root, hObject=obj, cmd=cmd, params=addr(params),
            paramsSize=ffi.sizeof(params[0]) if params is not None else 0)
    self.sys.ioctl(self.fd_ctl, nv.NV_ESC_RM_CONTROL, p)
    self._check(f"RM_CONTROL {name or hex(cmd)} on {obj:#x}", p.status, cmd=cmd, obj=obj)
    return params

  def free(self, obj: int, parent: int = 0):
    p = new("NVOS00_PARAMETERS", hRoot=self.root, hObjectParent=parent or self.root, hObjectOld=obj)
    self.sys.ioctl(self.fd_ctl, nv.NV_ESC_RM_FREE, p)
    self._check(f"RM_FREE {obj:#x}", p.status, obj=obj)

  def new_fd(self, path: str) -> int:
    """A fresh fd to carry one mmap context; device-node fds are registered to the ctl fd as RM requires."""
    fd = self.sys.open(path, O_RDWR | O_CLOEXEC)
    if path != "/dev/nvidiactl":
      try: self.sys.ioctl(fd, nv.NV_ESC_REGISTER_FD, new("nv_ioctl_register_fd_t", ctl_fd=self.fd_ctl))
      except BaseException: self.sys.close(fd); raise
    return fd

  def map_to_cpu(self, hdevice: int, hmemory: int, length: int, path: str) -> int:
    """NV_ESC_RM_MAP_MEMORY on a fresh fd, then mmap(offset 0) of that fd; the fd is closed (the mapping keeps it alive)."""
    from hwrt.ioctl.syscalls import PROT_READ, PROT_WRITE, MAP_SHARED
    fd = self.new_fd(path)
    try:
      p = new("nv_ioctl_nvos33_parameters_with_fd", fd=fd)
      p.params.hClient, p.params.hDevice, p.params.hMemory, p.params.length = self.root, hdevice, hmemory, length
      self.sys.ioctl(self.fd_ctl, nv.NV_ESC_RM_MAP_MEMORY, p)
      self._check(f"RM_MAP_MEMORY {hmemory:#x}", p.params.status, obj=hmemory)
      return self.sys.mmap(0, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)
    finally: self.sys.close(fd)

  def close(self):
    if self.fd_ctl < 0: return
    try:
      if self.root: self.free(self.root, 0)
    finally:
      self.sys.close(self.fd_ctl)
      self.fd_ctl = -1

def card_info(sys: Syscalls, fd_ctl: int) -> list:
  """NV_ESC_CARD_INFO with the 32-entry array its request number is sized for; the valid entries."""
  arr = ffi.new(nv.iface.ioctls["NV_ESC_CARD_INFO"].struct)
  n = len(arr)
  sys.ioctl(fd_ctl, nv.NV_ESC_CARD_INFO, arr)
  return [arr[i] for i in range(n) if arr[i].valid]

class UVM:
  """/dev/nvidia-uvm: an initialized fd (+ the MM fd), GPU and VA-space registration, external ranges and mappings."""
  def __init__(self, sys: Syscalls):
    self.sys, self.fd, self.fd_mm = sys, sys.open("/dev/nvidia-uvm", O_RDWR | O_CLOEXEC), -1
    try:
      self.call("UVM_INITIALIZE", flags=0)
      self.fd_mm = sys.open("/dev/nvidia-uvm", O_RDWR | O_CLOEXEC)
      try: self.call("UVM_MM_INITIALIZE", fd=self.fd_mm, uvmFd=self.fd)
      except RMError: pass            # NV_WARN_NOTHING_TO_DO / platforms that don't need it (CUDA tolerates it too)
    except BaseException: self.close(); raise

  def call(self, name: str, fd: int | None = None, **fields):
    p = new(f"{name}_PARAMS")
    for k, v in fields.items():
      if k in ("gpuUuid", "gpu_uuid"): ffi.memmove(ffi.addressof(p[0], k), bytes(v), 16)
      else: setattr(p, k, v)
    self.sys.ioctl(self.fd if fd is None else fd, getattr(uvm, name), p)
    if p.rmStatus not in (0, nv.NV_WARN_NOTHING_TO_DO):
      raise RMError(f"{name}: {status_name(p.rmStatus)}", status=p.rmStatus, status_name=status_name(p.rmStatus))
    return p

  def map_external(self, va: int, size: int, uuid: bytes, fd_ctl: int, hclient: int, hmemory: int):
    self.call("UVM_CREATE_EXTERNAL_RANGE", base=va, length=size)
    p = new("UVM_MAP_EXTERNAL_ALLOCATION_PARAMS", base=va, length=size, offset=0, gpuAttributesCount=1,
            rmCtrlFd=fd_ctl, hClient=hclient, hMemory=hmemory)
    ffi.memmove(ffi.addressof(p.perGpuAttributes[0], "gpuUuid"), uuid, 16)
    p.perGpuAttributes[0].gpuMappingType = 1           # UvmGpuMappingTypeReadWriteAtomic
    self.sys.ioctl(self.fd, uvm.UVM_MAP_EXTERNAL_ALLOCATION, p)
    if p.rmStatus: raise RMError(f"UVM_MAP_EXTERNAL_ALLOCATION at {va:#x}: {status_name(p.rmStatus)}", status=p.rmStatus)

  def free(self, va: int, size: int): self.call("UVM_FREE", base=va, length=size)

  def close(self):
    for fd in (self.fd_mm, self.fd):
      if fd >= 0: self.sys.close(fd)
    self.fd = self.fd_mm = -1
