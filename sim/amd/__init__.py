"""The simulated AMD machine: /dev/kfd, the amdgpu render node /dev/dri/renderD128 and the sysfs files a real RX 7900 XTX
shows (KFD topology, the render node's ip_discovery, /sys/class/drm links), routed here by hwrt.sim.kernel.SimSyscalls.
The ioctl layer's rules (nr range, argument copy, -EFAULT on a bad pointer) follow drivers/gpu/drm/amd/amdkfd/kfd_chardev.c
kfd_ioctl(); each ioctl's own checks are in sim/amd/kfd.py; the render node's in sim/amd/drm.py."""
from __future__ import annotations
import errno, os, threading
from hwrt.ioctl import kfd as K
from hwrt.ioctl.ffi import libc, ffi, MAP_FAILED
from hwrt.sim import kmsg
from hwrt.sim.faults import FaultPlan
from hwrt.sim.amd import identity as I
from hwrt.sim.amd.kfd import KFD
from hwrt.sim.amd.drm import RenderNode
from hwrt.sim.amd.gpu import GPU

DEV_NODES = {"/dev/kfd": "kfd", f"/dev/dri/renderD{I.RENDER_MINOR}": "render", "/dev/dri/card0": "card"}
TOPO = "/sys/devices/virtual/kfd/kfd/topology"
IOC_NR = {r.nr: r for r in K.iface.ioctl_rows}

def _sysfs() -> tuple[dict, dict]:
  """(files, links): path -> text, path -> relative link target, as the real sysfs has them"""
  f, l = {}, {}
  f[f"{TOPO}/generation_id"] = "1\n"
  f[f"{TOPO}/system_properties"] = "platform_oem 0\nplatform_id 0\nplatform_rev 0\n"
  for n, gpu in ((0, False), (1, True)):
    d = f"{TOPO}/nodes/{n}"
    f[f"{d}/gpu_id"] = f"{I.GPU_ID if gpu else 0}\n"
    f[f"{d}/name"] = ("gfx1100\n" if gpu else "\n")
    f[f"{d}/properties"] = I.node_properties(gpu)
    f[f"{d}/mem_banks/0/properties"] = I.mem_bank_properties() if gpu else "heap_type 0\nsize_in_bytes 67108864000\nflags 0\nwidth 64\nmem_clk_max 3200\n"
    f[f"{d}/io_links/0/properties"] = I.io_link_properties() if gpu else I.io_link_properties().replace("node_from 1\nnode_to 0", "node_from 0\nnode_to 1")
    if gpu:
      for i, (lvl, kb) in enumerate(((1, 32), (2, 256), (3, 6144))): f[f"{d}/caches/{i}/properties"] = I.cache_properties(lvl, kb)
  dev = I.PCI_PATH
  f[f"{dev}/vendor"], f[f"{dev}/device"], f[f"{dev}/revision"] = "0x1002\n", "0x744c\n", "0xc8\n"
  f[f"{dev}/subsystem_vendor"], f[f"{dev}/subsystem_device"], f[f"{dev}/class"] = "0x1002\n", "0x0e3b\n", "0x030000\n"
  f[f"{dev}/mem_info_vram_total"], f[f"{dev}/mem_info_gtt_total"] = f"{I.VRAM_BYTES}\n", f"{I.GTT_BYTES}\n"
  f[f"{dev}/power_dpm_force_performance_level"] = "auto\n"
  f[f"{dev}/product_name"] = I.NAME + "\n"
  for name, (hwid, ma, mi, rev) in I.IP_VERSIONS.items():
    b = f"{dev}/ip_discovery/die/0/{hwid}/0"
    f[f"{b}/major"], f[f"{b}/minor"], f[f"{b}/revision"], f[f"{b}/base_addr"] = f"{ma}\n", f"{mi}\n", f"{rev}\n", "0x00001260\n"
    l[f"{dev}/ip_discovery/die/0/{name}"] = str(hwid)
  l[f"{dev}/driver"] = "../../../../../../bus/pci/drivers/amdgpu"
  f["/sys/bus/pci/drivers/amdgpu/module"] = ""
  for node in (f"renderD{I.RENDER_MINOR}", "card0"):
    f[f"{dev}/drm/{node}/dev"] = f"226:{I.RENDER_MINOR if node.startswith('render') else 0}\n"
    l[f"{dev}/drm/{node}/device"] = "../../../" + I.PCI_BDF
    l[f"/sys/class/drm/{node}"] = "../../devices/pci0000:00/0000:00:01.1/0000:01:00.0/0000:02:00.0/" + I.PCI_BDF + f"/drm/{node}"
    minor = I.RENDER_MINOR if node.startswith("render") else 0
    l[f"/sys/dev/char/226:{minor}"] = "../../devices/pci0000:00/0000:00:01.1/0000:01:00.0/0000:02:00.0/" + I.PCI_BDF + f"/drm/{node}"
  l["/sys/class/kfd/kfd"] = "../../devices/virtual/kfd/kfd"
  f["/sys/devices/virtual/kfd/kfd/dev"] = "235:0\n"
  f["/sys/module/amdgpu/version"] = "6.12.0-hwrt-sim\n"
  f["/sys/module/amdgpu/parameters/ppfeaturemask"] = "0xfff7bfff\n"
  f["/sys/module/amdgpu/parameters/mes"] = "1\n"
  return f, l

class AMDMachine:
  kind = "amd"
  def __init__(self, plan: FaultPlan | None = None, **opts):
    self.opts = opts
    self.plan = plan if plan is not None else FaultPlan.from_env()
    self.lock = threading.RLock()
    self.dead = False
    self.fds: dict[int, str] = {}                # fd -> "kfd" | "render" | "card"
    self.mappings: dict[int, tuple[int, int]] = {}
    self._files, self._links = _sysfs()
    self._dirs = self._index()
    self.gpu = GPU(self)
    self.kfd = KFD(self)
    self.render = RenderNode(self)

  # --- files (resolved through the links, as the kernel's path walk does)
  def _index(self) -> dict:
    dirs: dict[str, set] = {}
    for p in list(self._files) + list(self._links):
      parts = p.split("/")
      for i in range(2, len(parts)): dirs.setdefault("/".join(parts[:i]), set()).add(parts[i])
    return dirs
  def resolve(self, path: str) -> str:
    path = os.path.normpath(path)
    for _ in range(16):
      parts, changed = path.split("/"), False
      for i in range(len(parts), 1, -1):
        pre = "/".join(parts[:i])
        if pre in self._links:
          path = os.path.normpath(os.path.join(os.path.dirname(pre), self._links[pre], *parts[i:])); changed = True; break
      if not changed: return path
    return path
  def owns(self, path: str) -> bool:
    return path in DEV_NODES or any(path == p or path.startswith(p + "/") for p in
                                    ("/sys/devices/virtual/kfd", "/sys/class/kfd", "/sys/class/drm", "/sys/module/amdgpu",
                                     "/sys/bus/pci/drivers/amdgpu", "/sys/devices/pci0000:00", "/sys/dev/char", "/dev/dri"))
  def files(self) -> dict[str, str]: return {}
  def exists(self, path: str) -> bool:
    if path in DEV_NODES or path.rstrip("/") == "/dev/dri": return True
    r = self.resolve(path)
    return r in self._files or r in self._dirs or path in self._links
  def read_text(self, path: str) -> str | None: return self._files.get(self.resolve(path))
  def readlink(self, path: str) -> str | None:
    p = os.path.normpath(path)
    d, b = os.path.split(p)
    return self._links.get(os.path.join(self.resolve(d), b))
  def listdir(self, path: str) -> list[str] | None:
    if path.rstrip("/") == "/dev/dri": return sorted(os.path.basename(p) for p in DEV_NODES if p.startswith("/dev/dri/"))
    kids = self._dirs.get(self.resolve(path))
    return sorted(kids, key=lambda k: (not k.isdigit(), int(k) if k.isdigit() else 0, k)) if kids is not None else None

  # --- fds
  def open(self, fd: int, path: str) -> int:
    if self.dead: return -errno.ENODEV
    self.fds[fd] = DEV_NODES[path]
    if self.fds[fd] == "kfd": self.kfd.open(fd)
    return 0
  def close_fd(self, fd: int) -> None:
    k = self.fds.pop(fd, None)
    if k == "kfd": self.kfd.release(fd)
    elif k == "render": self.render.release(fd)

  # --- ioctl: 0 or -errno
  def ioctl(self, fd: int, request: int, addr: int) -> int:
    with self.lock:
      if self.dead: return -errno.EIO
      k = self.fds[fd]
      if k == "kfd": return self.kfd_ioctl(fd, request, addr)
      return self.render.ioctl(fd, request, addr)

  def kfd_ioctl(self, fd: int, request: int, addr: int) -> int:
    """kfd_chardev.c kfd_ioctl(): nr outside [AMDKFD_COMMAND_START, AMDKFD_COMMAND_END) -> -EINVAL; the argument is copied in
    for _IOC_SIZE(cmd) bytes and zero-extended to the kernel's own size (so older/newer struct sizes work); a bad pointer is
    -EFAULT; the handler's own size is used from then on."""
    nr, size, d = request & 0xFF, (request >> 16) & 0x3FFF, (request >> 30) & 3
    row = IOC_NR.get(nr)
    if row is None or not (K.AMDKFD_COMMAND_START <= nr < K.AMDKFD_COMMAND_END): return -errno.EINVAL
    if self.kfd.proc_pid != os.getpid(): return -errno.EBADF     # "Using KFD FD in wrong process"
    fn = getattr(self.kfd, "ioc_" + row.name[len("AMDKFD_IOC_"):].lower(), None)
    if fn is None: return -errno.EINVAL                               # "no function"
    if d and not addr: return -errno.EFAULT                           # copy_from_user / copy_to_user fail
    asize = max(size, row.size)
    buf = ffi.new("char[]", asize)
    if d & 1: ffi.memmove(buf, ffi.cast("char *", addr), size)
    args = ffi.cast(row.struct + " *", buf)
    rc = fn(args)
    if d & 2: ffi.memmove(ffi.cast("char *", addr), buf, size)
    return rc

  # --- mmap
  def mmap(self, fd: int, addr: int, length: int, prot: int, flags: int, offset: int) -> int:
    with self.lock:
      if self.dead: return -errno.EIO
      k = self.fds[fd]
      got = self.kfd.mmap_target(offset, length) if k == "kfd" else self.render.mmap_target(fd, offset, length)
      if isinstance(got, int): return got
      mfd, moff = got
      flags = (flags & ~0x3 & ~0x20) | 0x01                           # MAP_SHARED of the memfd, never anonymous
      p = int(ffi.cast("uintptr_t", libc.mmap(ffi.cast("void *", addr), length, prot, flags, mfd, moff)))
      if p == MAP_FAILED: return -(ffi.errno or errno.ENOMEM)
      self.mappings[p] = (length, fd)
      return p

  # --- panic, teardown
  def panic(self, reason: str) -> None:
    if self.dead: return
    lines = [f"amdgpu {I.PCI_BDF}: amdgpu: GPU reset begin!",
             f"Kernel panic - not syncing: hwrt-sim: simulated machine panic: {reason}"]
    for line in lines: kmsg.log(line, prio=0)
    kmsg.write_pstore(lines)
    self.dead = True
    self.gpu.stop_ev.set()
  def close(self) -> None:
    if getattr(self, "closed", False): return
    self.closed = True
    with self.lock:
      for fd in list(self.fds): self.close_fd(fd)
    self.gpu.close()
    sc = getattr(self, "syscalls", None)
    if sc is not None: sc.release_all()

def comm() -> str:
  try:
    with open("/proc/self/comm") as f: return f.read().strip()
  except OSError: return "python"
