"""The simulated NVIDIA machine: device nodes /dev/nvidiactl, /dev/nvidia0, /dev/nvidia-uvm and their /proc files, routed
here by hwrt.sim.kernel.SimSyscalls. Escape numbering and struct layouts come from hwrt.ioctl.nv / hwrt.ioctl.uvm; the escape
layer's rules (size checks, ctl-only escapes, -EINVAL when the escape itself fails) follow kernel-open/nvidia/nv.c and
src/nvidia/arch/nvalloc/unix/src/escape.c of NVIDIA/open-gpu-kernel-modules."""
from __future__ import annotations
import errno, hashlib, os, threading
from hwrt.ioctl import nv, nv_hw as hw
from hwrt.ioctl.nv import ffi
from hwrt.ioctl.ffi import libc, MAP_FAILED
from hwrt.sim import kmsg
from hwrt.sim.faults import FaultPlan
from hwrt.sim.nv import identity as ident_mod
from hwrt.sim.nv.gpu import GPU, PCI_BUS
from hwrt.sim.nv.rm import RM, GPU_ID
from hwrt.sim.nv.uvm import UVM
from hwrt.sim.memory import PAGE

DEV_NODES = {"/dev/nvidiactl": "ctl", "/dev/nvidia0": "dev", "/dev/nvidia-uvm": "uvm", "/dev/nvidia-uvm-tools": "uvm-tools"}
S = nv

def _decode_only(launch, mem, deadline) -> None:
  """HWRT_SIM_EXECUTOR=decode-only: the engine decodes each QMD and completes the grid without running its SASS (for
  benchmarks of the userspace launch path, bench/nv_vs_tinygrad.py: the same simulator cost for every client)."""

def _recorder(path: str):
  """HWRT_SIM_EXECUTOR=record:PATH: decode-only, and one JSON line per launch appended to PATH (what the engine decoded
  from the client's QMD and its constant bank 0): how tests check another client's launches without running its SASS."""
  import json
  def rec(launch, mem, deadline) -> None:
    d = {k: getattr(launch, k) for k in ("code_address", "grid", "block", "shared_memory_bytes", "local_memory_bytes_per_thread",
                                         "register_count", "sm_version", "qmd_version", "shared_window", "local_window")}
    d["cbank0"] = launch.cbank(mem, 0).hex() if 0 in launch.constant_buffers else ""
    with open(path, "a") as f: f.write(json.dumps(d) + "\n")
  return rec

def env_executor():
  v = os.environ.get("HWRT_SIM_EXECUTOR", "")
  if v in ("", "sass"): return None
  if v == "decode-only": return _decode_only
  if v.startswith("record:"): return _recorder(v[len("record:"):])
  from hwrt.errors import BadArgument
  raise BadArgument(f"HWRT_SIM_EXECUTOR={v!r}: expected sass, decode-only or record:PATH")

class NVMachine:
  kind = "nv"
  def __init__(self, gpu: str = "h100", plan: FaultPlan | None = None, **opts):
    self.identity = ident_mod.identity(gpu)
    self.opts = opts
    self.plan = plan if plan is not None else FaultPlan.from_env()
    self.executor = opts.get("executor") or env_executor()
    self.uuid = ident_mod.UUID_PREFIX + hashlib.sha1(self.identity.key.encode()).digest()[:16 - len(ident_mod.UUID_PREFIX)]
    self.lock = threading.RLock()
    self.dead = False
    self.fds: dict[int, str] = {}            # fd -> "ctl" | "dev" | "uvm" | "uvm-tools"
    self.fdstate: dict[int, dict] = {}       # per fd: mmap context, registered ctl fd, os events
    self.mappings: dict[int, tuple[int, int]] = {}   # CPU address -> (length, fd) of mmaps made through this machine
    self.gpu = GPU(self)
    self.rm = RM(self)
    self.uvm = UVM(self)

  # --- files
  def owns(self, path: str) -> bool:
    return path in DEV_NODES or path.startswith("/proc/driver/nvidia") or path in ("/sys/module/nvidia/version",)
  def files(self) -> dict[str, str]:
    i = self.identity
    return {"/proc/driver/nvidia/version":
              f"NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  {self.rm.version}  Release Build  (hwrt-sim)  simulated\n"
              f"GCC version:  hwrt simulator\n",
            "/sys/module/nvidia/version": f"{self.rm.version}\n",
            f"/proc/driver/nvidia/gpus/{PCI_BUS}.0/information":
              f"Model: \t\t {i.name}\nIRQ:   \t\t 0\nGPU UUID: \t {self._uuid_str()}\nVideo BIOS: \t 96.00.00.00.00\n"
              f"Bus Type: \t PCIe\nDMA Size: \t 52 bits\nDMA Mask: \t 0xfffffffffffff\nBus Location: \t {PCI_BUS}.0\nDevice Minor: \t 0\n"}
  def _uuid_str(self) -> str:
    u = self.uuid.hex(); return f"GPU-{u[:8]}-{u[8:12]}-{u[12:16]}-{u[16:20]}-{u[20:]}"
  def exists(self, path: str) -> bool: return path in DEV_NODES or path in self.files() or path in ("/proc/driver/nvidia", "/proc/driver/nvidia/gpus")
  def read_text(self, path: str) -> str | None: return self.files().get(path)
  def listdir(self, path: str) -> list[str] | None:
    if path == "/proc/driver/nvidia/gpus": return [f"{PCI_BUS}.0"]
    if path == "/proc/driver/nvidia": return ["gpus", "version"]
    return None

  # --- fds
  def open(self, fd: int, path: str) -> int:
    if self.dead: return -errno.ENODEV
    k = DEV_NODES[path]
    self.fds[fd] = k; self.fdstate[fd] = {"events": []}
    if k == "uvm": self.uvm.open(fd)
    return 0
  def close_fd(self, fd: int) -> None:
    k = self.fds.pop(fd, None); st = self.fdstate.pop(fd, {})
    if k == "uvm": self.uvm.close(fd)
    if k == "ctl":                           # RmFreeUnusedClients: closing the ctl fd frees its clients
      for c in [c for c in self.rm.clients.values() if c.fd == fd]: self.rm.free_client(c)

  # --- ioctl: 0 or -errno
  def ioctl(self, fd: int, request: int, addr: int) -> int:
    with self.lock:
      if self.dead: return -errno.EIO
      k = self.fds[fd]
      if k in ("uvm", "uvm-tools"):
        return self.uvm.ioctl(fd, request, addr) if k == "uvm" else -errno.ENOTTY
      return self.nv_escape(fd, k, request & 0xFF, (request >> 16) & 0x3FFF, addr)

  def nv_escape(self, fd: int, k: str, nr: int, size: int, addr: int) -> int:
    if nr == nv.iface.ioctls["NV_ESC_IOCTL_XFER_CMD"].nr:
      if size != ffi.sizeof("nv_ioctl_xfer_t") or not addr: return -errno.EINVAL
      x = ffi.cast("nv_ioctl_xfer_t *", addr)
      if x.size > 16384: return -errno.EINVAL                         # NV_ABSOLUTE_MAX_IOCTL_SIZE
      return self.nv_escape(fd, k, x.cmd & 0xFF, x.size, int(ffi.cast("uintptr_t", x.ptr)))
    rows = [r for r in nv.iface.ioctl_rows if r.nr == nr]
    if not rows: return -errno.EINVAL                                 # nv.c: unknown ioctl -> NV_ERR_INVALID_ARGUMENT
    name = rows[0].name
    if rows[0].elem: ok = size and size % ffi.sizeof(rows[0].elem) == 0
    else: ok = any(size == r.size for r in rows)
    if not ok: return -errno.EINVAL                                   # nv.c nv_validate_ioctl / escape.c dataSize checks
    if not addr: return -errno.EFAULT
    fn = getattr(self, "esc_" + name[len("NV_ESC_"):].lower(), None)
    if fn is None: return -errno.EINVAL
    st = fn(fd, k, addr, size)
    return st if isinstance(st, int) and st < 0 else (0 if not st else -errno.EINVAL)

  # escapes: return 0 (ioctl succeeds; RM status in the struct), an NV_STATUS != 0 (-> -EINVAL) or -errno
  def esc_rm_alloc(self, fd, k, addr, size):
    p = ffi.cast("NVOS64_PARAMETERS *" if size == ffi.sizeof("NVOS64_PARAMETERS") else "NVOS21_PARAMETERS *", addr)
    if k != "ctl" and p.hClass not in (0x5, 0x79, 0x78, 0x7A): return S.NV_ERR_INVALID_ARGUMENT   # escape.c NV_CTL_DEVICE_ONLY
    p.status = self.rm.alloc(fd, p, int(ffi.cast("uintptr_t", p.pAllocParms)))
    return 0
  def esc_rm_free(self, fd, k, addr, size):
    if k != "ctl": return S.NV_ERR_INVALID_ARGUMENT
    p = ffi.cast("NVOS00_PARAMETERS *", addr)
    p.status = self.rm.free(p.hRoot, p.hObjectParent, p.hObjectOld)
    return 0
  def esc_rm_control(self, fd, k, addr, size):
    if k != "ctl": return S.NV_ERR_INVALID_ARGUMENT
    p = ffi.cast("NVOS54_PARAMETERS *", addr)
    p.status = self.rm.control(p)
    return 0
  def esc_rm_map_memory(self, fd, k, addr, size):
    if k != "ctl": return S.NV_ERR_INVALID_ARGUMENT
    w = ffi.cast("nv_ioctl_nvos33_parameters_with_fd *", addr); p = w.params
    p.flags = (p.flags & ~(7 << 23)) | (6 << 23)                     # escape.c: caching type forced to DEFAULT
    st, ctx = self.rm.map_memory(p)
    if st == S.NV_OK:
      if w.fd not in self.fds or self.fds[w.fd] not in ("ctl", "dev"): st = S.NV_ERR_INVALID_ARGUMENT
      elif self.fdstate[w.fd].get("mmap"): st = S.NV_ERR_STATE_IN_USE   # osapi.c RmCreateMmapContextLocked (580: one per fd)
      else:
        self.fdstate[w.fd]["mmap"] = ctx; p.pLinearAddress = ffi.cast("NvP64", ctx["cookie"])
    p.status = st
    return 0
  def esc_rm_unmap_memory(self, fd, k, addr, size):
    if k != "ctl": return S.NV_ERR_INVALID_ARGUMENT
    p = ffi.cast("NVOS34_PARAMETERS *", addr)
    cookie = int(ffi.cast("uintptr_t", p.pLinearAddress))
    for st in self.fdstate.values():
      if st.get("mmap") and st["mmap"]["cookie"] == cookie: st["mmap"] = None; p.status = S.NV_OK; return 0
    p.status = S.NV_ERR_INVALID_ARGUMENT
    return 0
  def esc_rm_alloc_memory(self, fd, k, addr, size):
    if k == "ctl": return S.NV_ERR_INVALID_ARGUMENT                   # escape.c NV_ACTUAL_DEVICE_ONLY
    p = ffi.cast("nv_ioctl_nvos02_parameters_with_fd *", addr).params
    p.status = self.rm.alloc_os_descriptor(fd, p)
    return 0
  def _status_only(self, ctype):
    def f(fd, k, addr, size):
      if k != "ctl": return S.NV_ERR_INVALID_ARGUMENT
      ffi.cast(ctype, addr).status = S.NV_ERR_NOT_SUPPORTED; return 0
    return f
  def esc_rm_map_memory_dma(self, fd, k, addr, size):
    if k != "ctl": return S.NV_ERR_INVALID_ARGUMENT
    p = ffi.cast("NVOS46_PARAMETERS *", addr); p.status = self.rm.map_memory_dma(p); return 0
  def esc_rm_unmap_memory_dma(self, fd, k, addr, size):
    if k != "ctl": return S.NV_ERR_INVALID_ARGUMENT
    p = ffi.cast("NVOS47_PARAMETERS *", addr); p.status = self.rm.unmap_memory_dma(p); return 0
  def __getattr__(self, name):
    stubs = {"esc_rm_dup_object": "NVOS55_PARAMETERS *"}
    if name in stubs: return self._status_only(stubs[name])
    raise AttributeError(name)
  def esc_rm_get_event_data(self, fd, k, addr, size):
    p = ffi.cast("NVOS41_PARAMETERS *", addr)
    q = self.fdstate[fd]["events"]
    if not q: p.status = S.NV_ERR_GENERIC; p.MoreEvents = 0; return 0
    h, idx = q.pop(0)
    ev = ffi.cast("NvUnixEvent *", p.pEvent)
    if ev != ffi.NULL: ev.hObject, ev.NotifyIndex, ev.info32, ev.info16 = h, idx, 0, 0
    p.MoreEvents, p.status = int(bool(q)), S.NV_OK
    return 0
  def esc_card_info(self, fd, k, addr, size):
    if k != "ctl": return -errno.EINVAL
    n = size // ffi.sizeof("nv_ioctl_card_info_t")
    if n < 1: return -errno.EINVAL
    cards = ffi.cast("nv_ioctl_card_info_t *", addr)
    ffi.memmove(cards, b"\0" * size, size)
    c = cards[0]
    c.valid = 1; c.pci_info.domain, c.pci_info.bus, c.pci_info.slot, c.pci_info.function = 0, 1, 0, 0
    c.pci_info.vendor_id, c.pci_info.device_id = 0x10DE, self.identity.pci_device
    c.gpu_id, c.minor_number, c.interrupt_line = GPU_ID, 0, 0
    c.reg_address, c.reg_size, c.fb_address, c.fb_size = 0xFA000000, 16 << 20, 0xE000000000, self.rm.fb_bytes
    ffi.memmove(c.dev_name, b"nvidia0\0", 8)
    return 0
  def esc_register_fd(self, fd, k, addr, size):
    ctl = ffi.cast("nv_ioctl_register_fd_t *", addr).ctl_fd
    st = self.fdstate[fd]
    if st.get("ctl_fd") is not None: return S.NV_ERR_INVALID_STATE
    if ctl == fd or self.fds.get(ctl) != "ctl": return S.NV_ERR_INVALID_ARGUMENT
    st["ctl_fd"] = ctl
    return 0
  def esc_check_version_str(self, fd, k, addr, size):                 # osapi.c RmPerformVersionCheck
    if k != "ctl": return -errno.EINVAL
    p = ffi.cast("nv_ioctl_rm_api_version_t *", addr)
    p.reply = 1
    mine = self.rm.version.encode()
    theirs = ffi.string(p.versionString, 64)
    if p.cmd == ord("2"): ffi.memmove(p.versionString, mine + b"\0", len(mine) + 1); return 0
    ok = theirs == mine if p.cmd != ord("1") else theirs.split(b".")[0] == mine.split(b".")[0]
    if ok: return 0
    kmsg.log(f"NVRM: API mismatch: the client '{_comm()}' (pid {os.getpid()}) has the version {theirs.decode(errors='replace')}, "
             f"but this kernel module has the version {self.rm.version}.  Please make sure that this kernel module and all "
             f"NVIDIA driver components have the same version.")
    ffi.memmove(p.versionString, mine + b"\0", len(mine) + 1)
    return S.NV_ERR_GENERIC
  def esc_alloc_os_event(self, fd, k, addr, size):
    p = ffi.cast("nv_ioctl_alloc_os_event_t *", addr)
    p.Status = S.NV_OK if p.hClient in self.rm.clients else S.NV_ERR_INVALID_CLIENT
    return 0
  def esc_free_os_event(self, fd, k, addr, size):
    ffi.cast("nv_ioctl_free_os_event_t *", addr).Status = S.NV_OK; return 0
  def esc_status_code(self, fd, k, addr, size):
    if k != "ctl": return S.NV_ERR_INVALID_ARGUMENT
    p = ffi.cast("nv_ioctl_status_code_t *", addr)
    if p.domain != 0 or p.bus != 1: return S.NV_ERR_INVALID_ARGUMENT
    p.status = S.NV_OK; return 0
  def esc_sys_params(self, fd, k, addr, size):
    ffi.cast("nv_ioctl_sys_params_t *", addr).memblock_size = 128 << 20; return 0
  def esc_wait_open_complete(self, fd, k, addr, size):
    p = ffi.cast("nv_ioctl_wait_open_complete_t *", addr); p.rc, p.adapterStatus = 0, S.NV_OK; return 0
  def esc_attach_gpus_to_fd(self, fd, k, addr, size):
    if k != "ctl": return -errno.EINVAL
    ids = ffi.cast("NvU32 *", addr)
    return 0 if all(ids[i] in (0, GPU_ID) for i in range(size // 4)) else -errno.EINVAL
  def esc_query_device_intr(self, fd, k, addr, size): return -errno.EINVAL if k == "ctl" else 0

  # --- mmap: address or -errno (kernel-open/nvidia/nv-mmap.c nvidia_mmap_helper, 580 semantics)
  def mmap(self, fd: int, addr: int, length: int, prot: int, flags: int, offset: int) -> int:
    with self.lock:
      if self.dead: return -errno.EIO
      if self.fds[fd] in ("uvm", "uvm-tools"): return -errno.EINVAL   # UVM has no user mappings in this flow
      ctx = self.fdstate[fd].get("mmap")
      if ctx is None or offset != 0: return -errno.EINVAL             # "NVRM: VM: invalid mmap"
      if length != ctx["length"]:
        if self.fds[fd] == "dev" or length > ctx["length"]: return -(errno.ENXIO if self.fds[fd] == "dev" else errno.ERANGE)
      if ctx["offset"] % PAGE: return -errno.EINVAL
      a = ctx["alloc"]
      if a.fd < 0: return -errno.EINVAL
      flags = (flags & ~0x3 & ~0x20) | 0x01                           # MAP_SHARED on the memfd, never anonymous
      p = int(ffi.cast("uintptr_t", libc.mmap(ffi.cast("void *", addr), length, prot, flags, a.fd, ctx["offset"])))
      if p == MAP_FAILED: return -(ffi.errno or errno.ENOMEM)
      self.mappings[p] = (length, fd)
      return p

  # --- events, panic, teardown
  def notify(self, ch, index: int) -> None:
    for c in list(self.rm.clients.values()):          # snapshots: the engine thread calls this while ioctls change the tree
      for o in list(c.objects.values()):
        if o.kind == "event" and o.params.get("notifyIndex") == index:
          src = c.objects.get(o.params["hSrcResource"])
          if src is not None and src.channel is ch and o.params["fd"] in self.fdstate:
            self.fdstate[o.params["fd"]]["events"].append((src.handle, index))
  def uvm_drop_client(self, c) -> None: self.uvm.drop_client(c)
  def panic(self, reason: str) -> None:
    if self.dead: return
    lines = [f"NVRM: GPU at PCI:{PCI_BUS}: GPU has fallen off the bus.",
             f"NVRM: Xid (PCI:{PCI_BUS}): 79, pid={os.getpid()}, name={_comm()}, GPU has fallen off the bus.",
             f"Kernel panic - not syncing: hwrt-sim: simulated machine panic: {reason}"]
    for l in lines: kmsg.log(l, prio=0)
    kmsg.write_pstore(lines)
    self.dead = True
    self.gpu.stop_ev.set()
  def close(self) -> None:
    if getattr(self, "closed", False): return
    self.closed = True
    with self.lock:
      for fd in list(self.fds): self.close_fd(fd)
      for c in list(self.rm.clients.values()): self.rm.free_client(c)
    self.gpu.close()
    sc = getattr(self, "syscalls", None)
    if sc is not None: sc.release_all()

def _comm() -> str:
  try:
    with open("/proc/self/comm") as f: return f.read().strip()
  except OSError: return "python"
