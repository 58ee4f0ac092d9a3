"""The simulated kernel: a `Syscalls` that routes device nodes (and their /proc, /sys files, /dev/kmsg, /sys/fs/pstore) to a
simulated machine and everything else to the host.

  from hwrt.sim.kernel import machine
  m = machine("nv")                 # this process's simulated NVIDIA machine (H100 unless gpu="a100" / "l40" / "b200")
  sc = m.syscalls                   # a hwrt.ioctl.syscalls.Syscalls: give it to the driver instead of HOST
  ...
  m.close()                         # stops the GPU thread, frees everything (also done at interpreter exit)

Sim fds are real fd numbers (each reserved with os.open("/dev/null")), so they never collide with the process's own files;
mmap of a sim fd returns a real MAP_SHARED mapping of the allocation's memfd. Fault injection comes from HWRT_SIM_FAULTS /
HWRT_SIM_SEED / HWRT_SIM_BUGS (hwrt.sim.faults) unless a `plan` is given."""
from __future__ import annotations
import atexit, errno, os, threading
from hwrt.errors import BadArgument, IoctlError
from hwrt.ioctl.syscalls import Syscalls, HOST, O_RDWR, O_CLOEXEC, _addr
from hwrt.ioctl.ffi import libc, ffi
from hwrt.sim import kmsg
from hwrt.helpers import DEBUG

class SimSyscalls(Syscalls):
  name = "sim"
  def __init__(self, machine):
    super().__init__()
    self.machine = machine
    self.reserved: set[int] = set()     # fd numbers held (os.open("/dev/null")) for open sim device files
    self.stale: set[int] = set()        # sim fds the machine's close() already released
  def _mine(self, fd: int) -> bool: return fd in self.machine.fds
  def release_all(self) -> None:
    """The machine is closing: give back every reserved fd number (a later close() of one is a no-op)."""
    for fd in list(self.reserved):
      self.paths.pop(fd, None)
      try: os.close(fd)
      except OSError: pass
      self.stale.add(fd)
    self.reserved.clear()
  def open(self, path, flags=O_RDWR | O_CLOEXEC):
    if path not in _dev_nodes(self.machine):
      fd = HOST.open(path, flags); self.paths[fd] = path; HOST.paths.pop(fd, None); self.stale.discard(fd); return fd
    fd = os.open("/dev/null", os.O_RDWR | os.O_CLOEXEC)
    rc = self.machine.open(fd, path)
    if rc < 0:
      os.close(fd); raise self.open_error(path, -rc)
    self.paths[fd] = path; self.reserved.add(fd); self.stale.discard(fd)
    return fd
  def close(self, fd):
    if fd in self.stale and fd not in self.paths: self.stale.discard(fd); return
    self.paths.pop(fd, None)
    if fd in self.reserved:
      self.reserved.discard(fd)
      if self._mine(fd):
        with self.machine.lock: self.machine.close_fd(fd)
    os.close(fd)
  def ioctl(self, fd, request, arg=None):
    if not self._mine(fd): return HOST.ioctl(fd, request, arg)
    rc = self.machine.ioctl(fd, request, _addr(arg))
    if rc < 0: raise self.ioctl_error(fd, request, arg, -rc)
    if DEBUG >= 3: self.log_ioctl(fd, request, arg, rc)
    return rc
  def mmap(self, addr, length, prot, flags, fd, offset):
    if fd < 0 or not self._mine(fd): return HOST.mmap(addr, length, prot, flags, fd, offset)
    p = self.machine.mmap(fd, addr, length, prot, flags, offset)
    if p < 0:
      raise IoctlError(f"mmap of {length:#x} bytes at offset {offset:#x} on {self.paths.get(fd, f'fd {fd}')}: {os.strerror(-p)}",
                       errno=-p, name="mmap")
    return p
  def munmap(self, addr, length):
    self.machine.mappings.pop(addr, None)
    HOST.munmap(addr, length)
  def read_text(self, path):
    if path == "/dev/kmsg":
      try:
        with open(kmsg.kmsg_path()) as f: return f.read()
      except FileNotFoundError: return ""
    if path.startswith("/sys/fs/pstore/"):
      with open(os.path.join(kmsg.pstore_dir(), os.path.basename(path))) as f: return f.read()
    if self.machine.owns(path):
      t = self.machine.read_text(path)
      if t is None: raise FileNotFoundError(path)
      return t
    return HOST.read_text(path)
  def readlink(self, path):
    f = getattr(self.machine, "readlink", None)
    return f(path) if f is not None and self.machine.owns(path) else None
  def read_kmsg(self):
    try:
      with open(kmsg.kmsg_path()) as f: return f.read()
    except FileNotFoundError: return ""
  def listdir(self, path):
    if path.rstrip("/") == "/sys/fs/pstore": return sorted(os.listdir(kmsg.pstore_dir()))
    if self.machine.owns(path): return self.machine.listdir(path) or []
    return HOST.listdir(path)
  def exists(self, path):
    if path in ("/dev/kmsg", "/sys/fs/pstore"): return True
    if path.startswith("/sys/fs/pstore/"): return os.path.exists(os.path.join(kmsg.pstore_dir(), os.path.basename(path)))
    if self.machine.owns(path): return self.machine.exists(path)
    return HOST.exists(path)

def _dev_nodes(m) -> set:
  if m.kind == "amd":
    from hwrt.sim.amd import DEV_NODES as AMD_NODES
    return set(AMD_NODES)
  from hwrt.sim.nv import DEV_NODES
  return set(DEV_NODES) if m.kind == "nv" else set()

KINDS = ("nv", "amd")
_machines: dict = {}
_lock = threading.Lock()

def new_machine(kind: str = "nv", **opts):
  """A fresh simulated machine (not shared); the caller closes it. opts (nv): gpu ('h100' default, 'a100', 'l40', 'b200'),
  vram (bytes), plan (hwrt.sim.faults.FaultPlan; default from the environment), executor (stand-in SASS executor),
  inflight_ms (free-in-flight window, default 50), kernel_timeout_s, driver_version."""
  if kind not in KINDS: raise BadArgument(f"no simulated machine of kind {kind!r} (have {', '.join(KINDS)})")
  if kind == "amd":                     # opts (amd): plan, kernel_timeout_s
    from hwrt.sim.amd import AMDMachine
    m = AMDMachine(**opts)
    m.syscalls = SimSyscalls(m)
    return m
  from hwrt.sim.nv import NVMachine
  m = NVMachine(**opts)
  m.syscalls = SimSyscalls(m)
  return m

def machine(kind: str = "nv", **opts):
  """This process's simulated machine of that kind (created on first use with opts; later opts are ignored)."""
  with _lock:
    key = (kind, os.getpid())
    m = _machines.get(key)
    if m is None or getattr(m, "closed", False):
      m = _machines[key] = new_machine(kind, **opts)
    return m

def syscalls(kind: str = "nv", **opts) -> SimSyscalls:
  return machine(kind, **opts).syscalls

@atexit.register
def _close_all() -> None:
  for m in list(_machines.values()):
    try: m.close()
    except Exception: pass

sim_syscalls = syscalls     # the name hwrt.devices uses
