"""The syscall seam. Drivers only ever talk to a `Syscalls` object: `HostSyscalls` goes to the real kernel through libc,
`hwrt.sim.kernel.SimSyscalls` goes to a simulated machine. Arguments to ioctl are cffi pointers (or int addresses) into
process memory; mmap returns an int address in this process in both cases."""
from __future__ import annotations
import errno as errno_mod, os, re, sys
from hwrt.ioctl.ffi import ffi, libc, MAP_FAILED
from hwrt.errors import IoctlError, PermissionDenied, DriverNotPresent
from hwrt.helpers import DEBUG

PROT_READ, PROT_WRITE, PROT_EXEC = 1, 2, 4
MAP_SHARED, MAP_PRIVATE, MAP_FIXED, MAP_ANONYMOUS, MAP_NORESERVE = 0x01, 0x02, 0x10, 0x20, 0x4000
O_RDONLY, O_RDWR, O_CLOEXEC = os.O_RDONLY, os.O_RDWR, os.O_CLOEXEC

# device node path -> the ioctl family the decoder uses for it
_KINDS = [(r"/dev/nvidia-uvm(-tools)?$", "uvm"), (r"/dev/nvidia(ctl|\d+)$", "nv"), (r"/dev/kfd$", "kfd"),
          (r"/dev/dri/(renderD|card)\d+$", "drm")]
def device_kind(path: str) -> str | None:
  return next((k for pat, k in _KINDS if re.search(pat, path or "")), None)

def _addr(arg) -> int:
  if arg is None: return 0
  if isinstance(arg, int): return arg
  return int(ffi.cast("uintptr_t", ffi.cast("void *", arg) if isinstance(arg, ffi.CData) else ffi.from_buffer(arg)))

def _arg_bytes(arg, size: int) -> bytes:
  a = _addr(arg)
  return bytes(ffi.buffer(ffi.cast("char *", a), size)) if a and size else b""

class Syscalls:
  """Interface. `paths` maps each open fd to the path it was opened with (for errors, decoding and tracing)."""
  name = "abstract"
  def __init__(self): self.paths: dict[int, str] = {}
  def open(self, path: str, flags: int = O_RDWR | O_CLOEXEC) -> int: raise NotImplementedError
  def close(self, fd: int) -> None: raise NotImplementedError
  def ioctl(self, fd: int, request: int, arg=None) -> int: raise NotImplementedError
  def mmap(self, addr: int, length: int, prot: int, flags: int, fd: int, offset: int) -> int: raise NotImplementedError
  def munmap(self, addr: int, length: int) -> None: raise NotImplementedError
  def read_text(self, path: str) -> str: raise NotImplementedError
  def listdir(self, path: str) -> list[str]: raise NotImplementedError
  def exists(self, path: str) -> bool: raise NotImplementedError
  def read_kmsg(self) -> str:
    """The kernel log as /dev/kmsg records ("prio,seq,usec,-;message" lines), without blocking; '' when not permitted."""
    return ""

  # shared helpers
  def log_ioctl(self, fd: int, request: int, arg, ret: int):
    """DEBUG=3: every ioctl, decoded, after the kernel answered (one line on stderr)."""
    path = self.paths.get(fd, f"fd {fd}")
    from hwrt.ioctl.decode import decode, format_decoded, arg_size
    d = decode(device_kind(path), request, _arg_bytes(arg, arg_size(device_kind(path), request)), path=path)
    print(f"ioctl {path} {d['name']} = {ret} {format_decoded(d)}", file=sys.stderr)
  def ioctl_error(self, fd: int, request: int, arg, err: int) -> IoctlError:
    path = self.paths.get(fd, f"fd {fd}")
    from hwrt.ioctl.decode import decode, format_decoded, arg_size
    kind = device_kind(path)
    d = decode(kind, request, _arg_bytes(arg, arg_size(kind, request, path)), path=path)
    return IoctlError(f"{d['name']} on {path}: {errno_mod.errorcode.get(err, err)} ({os.strerror(err)}) args {format_decoded(d)}",
                      errno=err, name=d["name"], path=path)
  def open_error(self, path: str, err: int):
    if err in (errno_mod.EACCES, errno_mod.EPERM):
      grp = "render" if "/dri/" in path or path == "/dev/kfd" else "video"
      return PermissionDenied(f"cannot open {path}: add yourself to the '{grp}' group (sudo usermod -aG {grp} $USER, "
                              f"then log in again) or run as root", errno=err, path=path)
    if err in (errno_mod.ENOENT, errno_mod.ENODEV, errno_mod.ENXIO):
      return DriverNotPresent(f"{path} does not exist: the kernel driver is not loaded", errno=err, path=path)
    return IoctlError(f"open {path}: {os.strerror(err)}", errno=err, name="open", path=path)

class HostSyscalls(Syscalls):
  """The real kernel, through libc. errno is preserved from the failing call."""
  name = "host"
  def open(self, path, flags=O_RDWR | O_CLOEXEC):
    fd = libc.open(path.encode(), flags)
    if fd < 0: raise self.open_error(path, ffi.errno)
    self.paths[fd] = path
    return fd
  def close(self, fd):
    self.paths.pop(fd, None)
    libc.close(fd)
  def ioctl(self, fd, request, arg=None):
    ret = libc.ioctl(fd, ffi.cast("unsigned long", request), ffi.cast("void *", _addr(arg)))
    if ret < 0: raise self.ioctl_error(fd, request, arg, ffi.errno)
    if DEBUG >= 3: self.log_ioctl(fd, request, arg, ret)
    return ret
  def mmap(self, addr, length, prot, flags, fd, offset):
    p = int(ffi.cast("uintptr_t", libc.mmap(ffi.cast("void *", addr), length, prot, flags, fd, offset)))
    if p == MAP_FAILED:
      err = ffi.errno
      raise IoctlError(f"mmap of {length:#x} bytes at offset {offset:#x} on {self.paths.get(fd, f'fd {fd}')}: {os.strerror(err)}",
                       errno=err, name="mmap")
    return p
  def munmap(self, addr, length):
    if libc.munmap(ffi.cast("void *", addr), length) != 0: raise IoctlError(f"munmap {addr:#x}: {os.strerror(ffi.errno)}", name="munmap")
  def read_text(self, path):
    with open(path, "r", errors="replace") as f: return f.read()
  def listdir(self, path):
    try: return sorted(os.listdir(path))
    except FileNotFoundError: return []
  def exists(self, path): return os.path.exists(path)
  def read_kmsg(self):
    try: fd = os.open("/dev/kmsg", os.O_RDONLY | os.O_NONBLOCK)
    except OSError: return ""          # EPERM without CAP_SYSLOG / dmesg_restrict: the caller says what it could not read
    out = []
    try:
      while True:
        try: chunk = os.read(fd, 8192)
        except BlockingIOError: break
        except OSError as e:
          if e.errno == errno_mod.EPIPE: continue    # records overwritten while reading: go on with the next
          break
        if not chunk: break                          # a regular file standing in for /dev/kmsg (hwrt sim-run) ends
        out.append(chunk.decode(errors="replace"))
    finally: os.close(fd)
    return "".join(out)

HOST = HostSyscalls()
