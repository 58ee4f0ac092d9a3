"""The simulator's side of the LD_PRELOAD bridge.

Inside the program (imported by the shim's embedded interpreter, or the program's own when it is Python): `start(vendor)`
creates the simulated machine (hwrt.devices.sim_syscalls), then the shim calls open/close/ioctl/mmap/munmap/dup with the
program's own fd numbers and pointers. Each returns an int; a negative one is -errno (the shim sets errno and returns -1).
Sim fds are real fds reserved by the simulator, so they never collide with the program's; memory it maps is the simulator's
memfd-backed memory, so the program's stores and the simulated GPU's are the same bytes.

In `hwrt sim-run` itself (before the program starts): `build_shadow(vendor, root)` writes the files the simulator shows under
the sysfs/procfs/dev roots (PREFIXES) into ROOT; the shim resolves every path under those prefixes inside ROOT (and nowhere
else, so the host's real GPUs stay hidden). A simulator can list symlinks by giving its Syscalls a `readlink(path)`."""
from __future__ import annotations
import builtins, errno as E, os, sys, traceback
from hwrt.errors import HwrtError
from hwrt.ioctl.syscalls import device_kind

# path prefixes a GPU userspace stack reads (libcuda, ROCm's thunk/rocminfo, libdrm, Intel's compute runtime)
PREFIXES = ["/proc/driver/nvidia", "/proc/driver/nvidia-uvm", "/sys/module/nvidia", "/sys/module/nvidia_uvm", "/sys/class/kfd",
            "/sys/devices/virtual/kfd", "/sys/class/drm", "/sys/module/amdgpu", "/sys/module/i915", "/sys/module/xe", "/dev/dri",
            "/sys/dev/char/226:", "/sys/dev/char/195:", "/sys/bus/pci/drivers/nvidia", "/sys/bus/pci/drivers/amdgpu",
            "/sys/bus/pci/drivers/i915", "/sys/bus/pci/drivers/xe", "/dev/kmsg"]
DEVICE_NODES = (["/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia-uvm-tools", "/dev/kfd"] + [f"/dev/nvidia{i}" for i in range(8)]
                + [f"/dev/dri/renderD{128 + i}" for i in range(8)] + [f"/dev/dri/card{i}" for i in range(8)])
MAX_FILES = 20000

_sys = None
_alias: dict[int, int] = {}
_said: set = set()

def _new_syscalls(vendor: str, shared: bool = True, gpu: str = ""):
  """the simulated machine's Syscalls (this process's machine when shared, else a fresh one the caller closes); the board
  is gpu, else HWRT_SIM_GPU (sim-run's --device sim:nv:<chip>)"""
  from hwrt.sim import kernel
  gpu = gpu or os.environ.get("HWRT_SIM_GPU", "")
  opts = {"gpu": gpu} if gpu else {}
  return kernel.syscalls(vendor, **opts) if shared else kernel.new_machine(vendor, **opts).syscalls

def _owns(sysc, path: str) -> bool:
  """whether the simulator itself answers for PATH (SimSyscalls hands everything else to the host kernel)"""
  m = getattr(sysc, "machine", None)
  return m.owns(path) if m is not None and hasattr(m, "owns") else True

SWITCH_INTERVAL = 0.0005

def start(vendor: str) -> int:
  """Called once per process by the shim. The program's own threads reach the simulator by taking the GIL from the
  simulated GPU's engine thread; a short switch interval keeps that wait (and so every simulated ioctl) well under 1 ms."""
  global _sys
  sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL))
  _sys = _new_syscalls(vendor)
  return 0

def _fail(what: str, e: BaseException) -> int:
  """an errno for the program; an unexpected simulator exception is reported once per kind on stderr"""
  if isinstance(e, HwrtError) and getattr(e, "errno", 0): return -e.errno
  if isinstance(e, OSError) and e.errno: return -e.errno
  key = (what, type(e).__name__)
  if key not in _said:
    _said.add(key)
    msg = e.line() if isinstance(e, HwrtError) else f"{type(e).__name__}: {e}"
    print(f"hwrt sim-run: simulator {what}: {msg}", file=sys.stderr)
    if os.environ.get("DEBUG", "0") not in ("", "0"): traceback.print_exc()
  return -E.EIO

def open(path: str, flags: int) -> int:
  if not (_owns(_sys, path) and _sys.exists(path)): return -E.ENOENT      # never the host's real device
  try: return int(_sys.open(path, flags))
  except BaseException as e: return _fail(f"open {path}", e)

def close(fd: int) -> int:
  try:
    if fd in _alias: _alias.pop(fd); os.close(fd); return 0
    _sys.close(fd); return 0
  except BaseException as e: return _fail("close", e)

def dup(old: int, new: int) -> int:
  _alias[new] = _alias.get(old, old)
  return 0

def ioctl(fd: int, request: int, arg: int) -> int:
  try: return int(_sys.ioctl(_alias.get(fd, fd), request, arg) or 0)
  except BaseException as e:
    from hwrt.ioctl.decode import decode
    return _fail(f"ioctl {decode(None, request)['name']}", e)

def mmap(addr: int, length: int, prot: int, flags: int, fd: int, offset: int) -> int:
  try: return int(_sys.mmap(addr, length, prot, flags, _alias.get(fd, fd), offset))
  except BaseException as e: return _fail("mmap", e)

def munmap(addr: int, length: int) -> int:
  try: _sys.munmap(addr, length); return 0
  except BaseException as e: return _fail("munmap", e)

# ---- the shadow tree (runs in `hwrt sim-run`, before the program)
def build_shadow(vendor: str, root: str, gpu: str = "") -> list[str]:
  """Materialize what the simulator shows under PREFIXES (and its device nodes, as empty files) into ROOT; returns the
  prefixes the shim must resolve inside ROOT."""
  from hwrt.sim import kmsg
  sysc = _new_syscalls(vendor, shared=False, **({"gpu": gpu} if gpu else {}))
  m = getattr(sysc, "machine", None)
  prefixes, n = list(PREFIXES), [0]
  def put_file(p: str, text: str):
    os.makedirs(os.path.dirname(root + p), exist_ok=True)
    with builtins.open(root + p, "w") as f: f.write(text)
  seen: set = set()
  def covered(p: str) -> bool: return any(p == q or p.startswith(q.rstrip("/") + "/") for q in prefixes)
  def walk(p: str, depth: int = 0):
    if n[0] > MAX_FILES or depth > 12 or p in seen or not _owns(sysc, p): return
    n[0] += 1; seen.add(p)
    if device_kind(p):                             # a device node: an empty file (the shim answers stat and open)
      put_file(p, ""); return
    link = getattr(sysc, "readlink", None)
    if link:
      try:
        t = link(p)
        if t:
          os.makedirs(os.path.dirname(root + p), exist_ok=True)
          t_abs = os.path.normpath(os.path.join(os.path.dirname(p), t))
          # relative, as sysfs writes them: readlink answers in the program's namespace, and the target resolves in ROOT
          os.symlink(os.path.relpath(t_abs, os.path.dirname(p)), root + p)
          if not covered(t_abs): prefixes.append(t_abs)     # the target is the simulator's too (a /sys/devices/... dir)
          walk(t_abs, depth + 1)
          return
      except (OSError, HwrtError): pass
    try: kids = sysc.listdir(p)
    except (OSError, HwrtError): kids = []
    if kids:
      os.makedirs(root + p, exist_ok=True)
      for k in kids: walk(p.rstrip("/") + "/" + k, depth + 1)
      return
    try: put_file(p, sysc.read_text(p))
    except (OSError, HwrtError, UnicodeError): os.makedirs(root + p, exist_ok=True)
  try:
    for p, text in (m.files() if m is not None and hasattr(m, "files") else {}).items(): put_file(p, text)
    for pre in PREFIXES:
      if pre.endswith(":"):                       # /sys/dev/char/<major>: entries
        d = os.path.dirname(pre)
        try: kids = [k for k in sysc.listdir(d) if (d + "/" + k).startswith(pre)] if _owns(sysc, d) else []
        except (OSError, HwrtError): kids = []
        for k in kids: walk(d + "/" + k)
      elif pre != "/dev/kmsg" and _owns(sysc, pre) and sysc.exists(pre): walk(pre)
    try: pci = sysc.listdir("/sys/bus/pci/devices") if _owns(sysc, "/sys/bus/pci/devices") else []
    except (OSError, HwrtError): pci = []
    for dev in pci:
      prefixes.append(f"/sys/bus/pci/devices/{dev}")
      walk(f"/sys/bus/pci/devices/{dev}")
    for node in DEVICE_NODES:
      if _owns(sysc, node) and sysc.exists(node) and not os.path.exists(root + node): put_file(node, "")
    os.makedirs(root + "/dev", exist_ok=True)
    if not os.path.lexists(root + "/dev/kmsg"): os.symlink(kmsg.kmsg_path(), root + "/dev/kmsg")
  finally:
    if m is not None and hasattr(m, "close"): m.close()
  return prefixes
