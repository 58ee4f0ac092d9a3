"""AMD userspace driver on raw KFD ioctls (no ROCr, no libhsakmt, no libdrm): /dev/kfd for the process VM, memory, queues
and events, the DRM render node only as the VM to acquire and as the mmap target of GPU memory. The same code runs on the
real amdgpu/amdkfd (HostSyscalls) and on hwrt's simulated GPU behind the same interface (SimSyscalls).

One device = the GPU's KFD node, a PM4 compute queue (kernels, signals, waits) and an SDMA queue (copies), a signal page,
a kernarg ring, the event page with a signal event and the memory-fault and hardware-exception events.
Bring-up order (shared/research/tinygrad.md §3.3, amd_intel_clients.md step 1; Linux amdkfd kfd_chardev.c):
GET_VERSION, GET_PROCESS_APERTURES_NEW, ACQUIRE_VM(render fd), RUNTIME_ENABLE (KFD >= 1.14), event page + CREATE_EVENT,
CREATE_QUEUE (compute, SDMA), the doorbell page mmapped from /dev/kfd."""
from __future__ import annotations
import os, time
from hwrt.errors import BadArgument, DriverNotPresent, GPUFault, HwrtError, IoctlError, InvalidKernelBinary
from hwrt.helpers import round_up
from hwrt.ioctl import kfd, amd_hw as hw
from hwrt.ioctl.ffi import ffi
from hwrt.ioctl.syscalls import Syscalls, O_RDWR, O_CLOEXEC, PROT_READ, PROT_WRITE, MAP_SHARED, MAP_PRIVATE, MAP_FIXED, MAP_ANONYMOUS, \
  MAP_NORESERVE
from hwrt.drivers.base import Buffer, Device, Signal
from hwrt.drivers.amd.topology import gpu_nodes, identity
from hwrt.drivers.amd.program import AMDProgram, BUILTINS
from hwrt.drivers.amd.queue import AMDComputeQueue, AMDCopyQueue

PAGE = 0x1000
DOORBELL_PAGE = 0x2000                        # the process's doorbell slice KFD maps at doorbell_offset & ~0x1fff
COMPUTE_RING, SDMA_RING, KERNARG_RING = 0x100000, 0x100000, 0x100000
QUEUE_PRIORITY = 7                             # "normal" (tinygrad #13658); KFD_MAX_QUEUE_PRIORITY is 15
MIN_KFD = (1, 14)                              # RUNTIME_ENABLE and the CWSR checks of kfd_queue.c are there from 1.14
RW = PROT_READ | PROT_WRITE
ALLOC_ALWAYS = kfd.KFD_IOC_ALLOC_MEM_FLAGS_WRITABLE | kfd.KFD_IOC_ALLOC_MEM_FLAGS_EXECUTABLE | kfd.KFD_IOC_ALLOC_MEM_FLAGS_NO_SUBSTITUTE
# memory kind -> KFD allocation flags (tinygrad §3.4): device memory, host memory through the GART, user pages
MEM_FLAGS = {"vram": kfd.KFD_IOC_ALLOC_MEM_FLAGS_VRAM,
             "gtt": kfd.KFD_IOC_ALLOC_MEM_FLAGS_GTT | kfd.KFD_IOC_ALLOC_MEM_FLAGS_COHERENT | kfd.KFD_IOC_ALLOC_MEM_FLAGS_UNCACHED,
             "userptr": kfd.KFD_IOC_ALLOC_MEM_FLAGS_USERPTR | kfd.KFD_IOC_ALLOC_MEM_FLAGS_COHERENT}

def new(ctype: str, **fields):
  p = ffi.new(f"{ctype} *")
  for k, v in fields.items(): setattr(p, k, v)
  return p
def addr(p) -> int: return int(ffi.cast("uintptr_t", p))

class HWQueue:
  """One KFD user queue: its ring, the page holding its read/write pointers, EOP and CWSR areas for compute, the
  doorbell. PM4 pointers count dwords, SDMA pointers bytes (unit)."""
  def __init__(self, dev: AMDDevice, qtype: int, ring_size: int, name: str):
    self.dev, self.qtype, self.name, self.queue_id, self.put = dev, qtype, name, None, 0
    self.unit = 4 if qtype == kfd.KFD_IOC_QUEUE_TYPE_COMPUTE else 1
    self.bufs = []
    try:
      self.ring = self._buf(ring_size, "gtt")
      self.ptrs = self._buf(PAGE, "gtt")
      eop = cwsr = None
      if qtype == kfd.KFD_IOC_QUEUE_TYPE_COMPUTE:
        eop, cwsr = self._buf(hw.EOP_BUFFER_SIZE, "vram"), self._buf(round_up(dev.cwsr_size + dev.debug_size, PAGE), "vram")
      a = dev.kfd("AMDKFD_IOC_CREATE_QUEUE", ring_base_address=self.ring.va, ring_size=ring_size, gpu_id=dev.gpu_id, queue_type=qtype,
                  queue_percentage=kfd.KFD_MAX_QUEUE_PERCENTAGE, queue_priority=QUEUE_PRIORITY,
                  write_pointer_address=self.ptrs.va + hw.QUEUE_WPTR_OFF, read_pointer_address=self.ptrs.va + hw.QUEUE_RPTR_OFF,
                  eop_buffer_address=eop.va if eop else 0, eop_buffer_size=eop.size if eop else 0,
                  ctx_save_restore_address=cwsr.va if cwsr else 0, ctx_save_restore_size=dev.cwsr_size if cwsr else 0,
                  ctl_stack_size=dev.ctl_stack_size if cwsr else 0)
      self.queue_id, self.doorbell = a.queue_id, dev.doorbell_slot(a.doorbell_offset)
    except BaseException: self.destroy(); raise

  def _buf(self, size, kind):
    b = self.dev.alloc(size, kind=kind); self.bufs.append(b); return b

  @property
  def rptr(self) -> int: return ffi.cast("volatile uint64_t *", self.ptrs.cpu + hw.QUEUE_RPTR_OFF)[0]

  def submit(self, words: list[int]):
    """Copy the words into the ring (wrapping; SDMA packets do not wrap: NOP-fill to the end), move the write pointer,
    ring the doorbell."""
    t, size = time.time(), self.ring.size // self.unit
    n = len(words) * 4 // self.unit
    if n > size // 2: raise HwrtError(f"{len(words)} command words do not fit the {self.name} ring")
    if self.unit == 1 and self.put % size + n > size: self._write([0] * ((size - self.put % size) // 4))
    if self.put + n - self.rptr > size: self.dev.synchronize()
    self._write(words)
    ffi.cast("volatile uint64_t *", self.ptrs.cpu + hw.QUEUE_WPTR_OFF)[0] = self.put
    ffi.cast("volatile uint64_t *", self.doorbell)[0] = self.put
    self.dev._notify("submitted", self, t)

  def _write(self, words):
    ring, size = ffi.cast("uint32_t *", self.ring.cpu), self.ring.size // 4
    pos = self.put * self.unit // 4
    for i, w in enumerate(words): ring[(pos + i) % size] = w
    self.put += len(words) * 4 // self.unit

  def record(self) -> dict:
    return {"channel": self.name, "queue_id": self.queue_id, "wptr": self.ptrs.cpu + hw.QUEUE_WPTR_OFF, "put": self.put, "doorbell": self.doorbell}

  def destroy(self):
    if self.queue_id is not None:
      try: self.dev.kfd("AMDKFD_IOC_DESTROY_QUEUE", queue_id=self.queue_id)
      except IoctlError: pass
      self.queue_id = None
    for b in self.bufs:
      if b in self.dev.buffers: self.dev.free(b)
    self.bufs = []

class KFDProcess:
  """What KFD keeps per process, not per open: the render node file ACQUIRE_VM bound to each GPU (a later ACQUIRE_VM with
  another file is -EBUSY: kfd_ioctl_acquire_vm, "pdd->drm_file == drm_file ? 0 : -EBUSY"), RUNTIME_ENABLE (-EBUSY when
  already enabled: kfd_ioctl_runtime_enable) and the event page (set once: kfd_event_page_set). The kfd_process lives as
  long as the process's mm (linux drivers/gpu/drm/amd/amdkfd/kfd_process.c), so it outlives every AMDDevice: like
  libhsakmt, each Syscalls keeps one, and a second device on the same GPU reuses it."""
  def __init__(self, fd_kfd: int):
    self.fd_kfd, self.fd_drm, self.event_page, self.runtime_enabled = fd_kfd, {}, {}, False
  @staticmethod
  def of(sys: Syscalls) -> "KFDProcess | None": return sys.__dict__.get("kfd_process")
  def keep(self, sys: Syscalls): sys.__dict__["kfd_process"] = self

class AMDDevice(Device):
  vendor, BUILTINS = "amd", BUILTINS
  def __init__(self, sys: Syscalls, index: int = 0, name: str = "amd:0"):
    self.fd_kfd = self.fd_drm = None
    self.compute = self.sdma = None
    self.doorbells: dict[int, int] = {}
    self.extra_queues: list = []
    self.scratch_per_thread, self.tmpring_size = 0, 0
    self.scratch = self.event_page = self.queue_event = self.mem_event = self.hw_event = None
    super().__init__(sys, index, name)

  # ---- bring-up
  def _open(self):
    sys = self.sys
    if not sys.exists("/dev/kfd"): raise DriverNotPresent("/dev/kfd does not exist: the amdgpu kernel driver (KFD) is not loaded")
    nodes = gpu_nodes(sys)
    if self.index >= len(nodes): raise BadArgument(f"{self.name}: there are {len(nodes)} AMD GPUs")
    self.node = nodes[self.index]
    p = self.props = self.node["properties"]
    self.gpu_id, self.arch = self.node["gpu_id"], self.node["arch"]
    self.lds_bytes = p.get("lds_size_in_kb", 64) << 10
    proc = KFDProcess.of(sys)
    self.fd_kfd = proc.fd_kfd if proc else sys.open("/dev/kfd", O_RDWR | O_CLOEXEC)
    v = self.kfd("AMDKFD_IOC_GET_VERSION")
    self.kfd_version = (v.major_version, v.minor_version)
    if v.major_version != kfd.KFD_IOCTL_MAJOR_VERSION or self.kfd_version < MIN_KFD:
      raise DriverNotPresent(f"KFD ioctl interface {v.major_version}.{v.minor_version}: hwrt needs {MIN_KFD[0]}.{MIN_KFD[1]} or newer")
    if "drm_render_minor" not in p: raise DriverNotPresent(f"KFD node {self.node['node']} names no DRM render node")
    proc = proc or KFDProcess(self.fd_kfd)
    fresh = self.gpu_id not in proc.fd_drm
    self.fd_drm = proc.fd_drm[self.gpu_id] if not fresh else sys.open(f"/dev/dri/renderD{p['drm_render_minor']}", O_RDWR | O_CLOEXEC)
    self.apertures = self._apertures()
    if fresh: self.kfd("AMDKFD_IOC_ACQUIRE_VM", drm_fd=self.fd_drm, gpu_id=self.gpu_id)
    proc.fd_drm[self.gpu_id] = self.fd_drm
    if not proc.runtime_enabled: self.kfd("AMDKFD_IOC_RUNTIME_ENABLE", r_debug=0, mode_mask=0, capabilities_mask=0)
    proc.runtime_enabled = True
    proc.keep(sys)
    self._cwsr_sizes()
    # events: the event page (8-byte slots, once per process), a signal event for queue completions, memory-fault and
    # HW-exception events
    page = proc.event_page.get(self.gpu_id)
    self.event_page = page or self.alloc(hw.EVENT_PAGE_SIZE, kind="gtt")
    if page: self.buffers.add(page)
    proc.event_page[self.gpu_id] = self.event_page
    ev = self.kfd("AMDKFD_IOC_CREATE_EVENT", event_page_offset=0 if page else self.event_page.handle,
                  event_type=kfd.KFD_IOC_EVENT_SIGNAL, auto_reset=1)
    self.queue_event, self.queue_event_slot = ev.event_id, ev.event_slot_index
    self._fault_events()
    self.signal_page = self.alloc(PAGE, kind="gtt")
    self.timeline = Signal(self.signal_page.va, self.signal_page.cpu, hw.GPU_CLOCK_NS)
    self.start = Signal(self.signal_page.va + 16, self.signal_page.cpu + 16, hw.GPU_CLOCK_NS)
    self.kernarg_ring, self.kernarg_pos = self.alloc(KERNARG_RING, kind="gtt"), 0
    self._new_queues()

  def kfd(self, name: str, **fields):
    """One KFD ioctl by its header name, the argument struct filled by field name; returns the struct the kernel wrote."""
    a = new(kfd.iface.ioctls[name].struct, **fields)
    self.sys.ioctl(self.fd_kfd, getattr(kfd, name), a)
    return a

  def _fault_events(self):
    """(Re)create the memory-fault and hardware-exception events: after a fault they are made anew, so a kernel that
    leaves them signalled (auto-reset is only guaranteed for signal events on every KFD) cannot report it twice."""
    for e in (self.mem_event, self.hw_event):
      if e is not None:
        try: self.kfd("AMDKFD_IOC_DESTROY_EVENT", event_id=e)
        except IoctlError: pass
    self.mem_event = self.kfd("AMDKFD_IOC_CREATE_EVENT", event_type=kfd.KFD_IOC_EVENT_MEMORY, auto_reset=1).event_id
    self.hw_event = self.kfd("AMDKFD_IOC_CREATE_EVENT", event_type=kfd.KFD_IOC_EVENT_HW_EXCEPTION, auto_reset=1).event_id

  def _apertures(self) -> dict:
    n = self.kfd("AMDKFD_IOC_GET_PROCESS_APERTURES_NEW", num_of_nodes=0).num_of_nodes
    arr = ffi.new("struct kfd_process_device_apertures[]", max(n, 1))
    self.kfd("AMDKFD_IOC_GET_PROCESS_APERTURES_NEW", kfd_process_device_apertures_ptr=addr(arr), num_of_nodes=n)
    for a in arr[0:n]:
      if a.gpu_id == self.gpu_id:
        return {k: getattr(a, k) for k in ("lds_base", "lds_limit", "scratch_base", "scratch_limit", "gpuvm_base", "gpuvm_limit")}
    raise HwrtError(f"{self.name}: GET_PROCESS_APERTURES_NEW has no entry for gpu_id {self.gpu_id}")

  def _cwsr_sizes(self):
    """Context save/restore area sizes as kfd_queue.c checks them (else CREATE_QUEUE fails with EINVAL)."""
    p = self.props
    cus = p.get("simd_count", 0) // max(1, p.get("simd_per_cu", 1)) // max(1, p.get("num_xcc", 1))
    waves = p.get("max_waves_per_simd", 16) * p.get("simd_per_cu", 2)
    vgpr = hw.CWSR_VGPR_PER_CU.get(p.get("gfx_target_version", 0), hw.CWSR_VGPR_PER_CU_DEFAULT)
    wg_data = round_up((vgpr + hw.CWSR_SGPR_PER_CU + hw.CWSR_LDS_PER_CU + hw.CWSR_HWREG_PER_CU) * cus, PAGE)
    self.ctl_stack_size = round_up(hw.CWSR_CTL_STACK_PER_WAVE * cus * waves + hw.CWSR_CTL_STACK_EXTRA, PAGE)
    self.cwsr_size = wg_data + self.ctl_stack_size
    self.debug_size = round_up(cus * waves * hw.CWSR_DEBUG_PER_WAVE, 64)
    self.compute_units = cus

  def _new_queues(self):
    self.compute = HWQueue(self, kfd.KFD_IOC_QUEUE_TYPE_COMPUTE, COMPUTE_RING, "compute")
    self.sdma = HWQueue(self, kfd.KFD_IOC_QUEUE_TYPE_SDMA, SDMA_RING, "copy")
    self.kernarg_pos = 0

  def doorbell_slot(self, offset: int) -> int:
    """CPU address of a queue's 64-bit doorbell: its page of the doorbell aperture, mmapped from /dev/kfd once."""
    base = offset & ~(DOORBELL_PAGE - 1)
    if base not in self.doorbells: self.doorbells[base] = self.sys.mmap(0, DOORBELL_PAGE, RW, MAP_SHARED, self.fd_kfd, base)
    return self.doorbells[base] + (offset - base)

  # ---- memory
  def alloc(self, size: int, host: bool = False, cpu_access: bool | None = None, kind: str | None = None) -> Buffer:
    """kind: "vram" (device memory; CPU-mapped through the render node if cpu_access), "gtt" (host memory the GPU reaches
    through the GART, always CPU-mapped) or "userptr" (anonymous host pages registered with the GPU). host=True is "gtt".
    GPU VA = CPU VA: a PROT_NONE reservation picks the address (tinygrad §3.4)."""
    if size <= 0: raise BadArgument(f"allocation size must be positive, got {size}")
    kind = kind or ("gtt" if host else "vram")
    if kind not in MEM_FLAGS: raise BadArgument(f"unknown memory kind {kind!r} (one of {', '.join(MEM_FLAGS)})")
    size, sys = round_up(size, PAGE), self.sys
    cpu = kind != "vram" or bool(cpu_access)
    flags = ALLOC_ALWAYS | MEM_FLAGS[kind] | (kfd.KFD_IOC_ALLOC_MEM_FLAGS_PUBLIC if cpu else 0)
    if kind == "userptr": va = sys.mmap(0, size, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0)
    else: va = sys.mmap(0, size, 0, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
    handle = 0
    try:
      a = self.kfd("AMDKFD_IOC_ALLOC_MEMORY_OF_GPU", va_addr=va, size=size, gpu_id=self.gpu_id, flags=flags,
                   mmap_offset=va if kind == "userptr" else 0)
      handle = a.handle
      if cpu and kind != "userptr":
        if sys.mmap(va, size, RW, MAP_SHARED | MAP_FIXED, self.fd_drm, a.mmap_offset) != va:
          raise HwrtError(f"{self.name}: the render node mapped a buffer elsewhere than {va:#x}")
      self._map(handle, "AMDKFD_IOC_MAP_MEMORY_TO_GPU")
    except BaseException:
      if handle:
        try: self.kfd("AMDKFD_IOC_FREE_MEMORY_OF_GPU", handle=handle)
        except IoctlError: pass
      sys.munmap(va, size)
      raise
    buf = Buffer(va, size, handle, cpu=va if cpu else 0, host=kind != "vram")
    buf.kind = kind
    self.buffers.add(buf)
    return buf

  def _map(self, handle: int, name: str):
    ids = ffi.new("uint32_t[1]", [self.gpu_id])
    a = self.kfd(name, handle=handle, device_ids_array_ptr=addr(ids), n_devices=1)
    if a.n_success != 1: raise HwrtError(f"{self.name}: {name} mapped the buffer on {a.n_success} of 1 GPUs")

  def _free(self, buf: Buffer):
    try:
      self._map(buf.handle, "AMDKFD_IOC_UNMAP_MEMORY_FROM_GPU")
      self.kfd("AMDKFD_IOC_FREE_MEMORY_OF_GPU", handle=buf.handle)
    finally: self.sys.munmap(buf.va, buf.size)

  def write(self, cpu: int, data: bytes): ffi.memmove(ffi.cast("char *", cpu), data, len(data))

  def kernarg_alloc(self, n: int) -> tuple[int, int]:
    """(GPU VA, CPU address) of n bytes in the kernarg ring; a full ring waits for the GPU, then starts again."""
    n = round_up(n, 256)
    if self.kernarg_pos + n > self.kernarg_ring.size:
      self.synchronize()
      self.kernarg_pos = 0
    off, self.kernarg_pos = self.kernarg_pos, self.kernarg_pos + n
    return self.kernarg_ring.va + off, self.kernarg_ring.cpu + off

  def hidden_value(self, kind: str) -> int:
    """Hidden kernel arguments that are not about the launch shape: the apertures' high halves, else 0 (no printf buffer,
    hostcall, heap, default queue or completion action on this runtime)."""
    if kind == "hidden_shared_base": return self.apertures["lds_base"] >> 32
    if kind == "hidden_private_base": return self.apertures["scratch_base"] >> 32
    return 0

  def ensure_scratch(self, private_bytes: int):
    """Scratch (private segment) backing for the largest per-work-item need seen so far. gfx11 has architected flat
    scratch: the dispatch names the base (COMPUTE_DISPATCH_SCRATCH_BASE, address >> 8) and COMPUTE_TMPRING_SIZE the waves
    and the per-wave size in 256-byte units, sized for every scratch slot of every CU (tinygrad §3.3 step 9)."""
    per_thread = round_up(private_bytes, hw.SCRATCH_ALIGN // hw.SCRATCH_LANES)
    if per_thread <= self.scratch_per_thread: return
    p = self.props
    slots, se = p.get("max_slots_scratch_cu", 32), max(1, p.get("array_count", 1) // max(1, p.get("simd_arrays_per_engine", 1)))
    size = round_up(per_thread * hw.SCRATCH_LANES * slots * self.compute_units, PAGE)
    self.synchronize()
    if self.scratch is not None: self.free(self.scratch)
    self.scratch, self.scratch_per_thread = self.alloc(size), per_thread
    wavesize = -(-hw.SCRATCH_LANES * per_thread // hw.SCRATCH_ALIGN)
    self.tmpring_size = hw.tmpring_size(min(size // (wavesize * hw.SCRATCH_ALIGN) // se, self.compute_units * slots), wavesize)

  def scratch_base_regs(self) -> list[int]: return [(self.scratch.va >> 8) & 0xFFFFFFFF, self.scratch.va >> 40]

  # ---- the contract's vendor part (drivers/base.py)
  def identity(self) -> dict: return identity(self.node, self.index) | {"kfd": f"{self.kfd_version[0]}.{self.kfd_version[1]}"}
  def compute_queue(self) -> AMDComputeQueue: return AMDComputeQueue(self, self.compute)
  def copy_queue(self) -> AMDCopyQueue: return AMDCopyQueue(self, self.sdma)
  def load(self, binary: bytes, kernel: str | None = None) -> AMDProgram: return AMDProgram(self, binary, kernel)
  def assemble_builtin(self, source: str) -> bytes:
    from hwrt.assemblers.rdna3 import assemble_to_container
    return assemble_to_container(source, self.arch)
  def create_queue(self): return ExtraQueue(self)
  def cpu_buffers(self): return [b for b in self.buffers if b.cpu]
  def gpu_written(self, buf: Buffer) -> list[tuple[int, int]]:
    """The signal page, each queue's read pointer, the event page."""
    if buf is self.signal_page or buf is self.event_page: return [(0, buf.size)]
    return [(hw.QUEUE_RPTR_OFF, hw.QUEUE_RPTR_OFF + 8) for q in self.queues() if q.ptrs is buf]
  def queues(self) -> list: return [q for q in (self.compute, self.sdma) if q] + [e.q for e in self.extra_queues if e.q]
  def wait_record(self) -> dict: return {"events": [self.mem_event, self.hw_event]}
  def record_opened(self) -> dict: return {"gpu_id": self.gpu_id, "event_page": self.event_page.cpu}

  def _poll_interval(self) -> int: return 64          # an ioctl per check: look for fault events every 64 spins

  def _fault(self) -> GPUFault | None:
    """Memory-fault or hardware-exception event signalled (WAIT_EVENTS with a zero timeout)."""
    evs = ffi.new("struct kfd_event_data[2]")
    evs[0].event_id, evs[1].event_id = self.mem_event, self.hw_event
    r = self.kfd("AMDKFD_IOC_WAIT_EVENTS", events_ptr=addr(evs), num_events=2, wait_for_all=0, timeout=0)
    if r.wait_result != kfd.KFD_IOC_WAIT_RESULT_COMPLETE: return None
    m, h = evs[0].memory_exception_data, evs[1].hw_exception_data
    if m.gpu_id:
      why = [w for w, f in (("not present", m.failure.NotPresent), ("read-only", m.failure.ReadOnly), ("no-execute", m.failure.NoExecute)) if f]
      k = self._last_fault_line()
      where = f" (vmid {k['vmid']}, client {k['client']}{' ' + k['name'] if k.get('name') else ''}, {k['hub']})" if k else ""
      return GPUFault(f"{self.name}: GPU memory access fault at {m.va:#x}: {', '.join(why) or 'fault'}{where}", device=self.name,
                      address=m.va, vmid=k.get("vmid"), client=k.get("client"), kmsg=k.get("line", ""))
    if h.gpu_id:
      line = self._last_kmsg()
      return GPUFault(f"{self.name}: GPU hardware exception (reset type {h.reset_type}, cause {h.reset_cause}, memory lost {h.memory_lost})"
                      + (f": {line}" if line else ""), device=self.name, reset_type=h.reset_type, reset_cause=h.reset_cause, kmsg=line)
    return None

  def _kmsg_lines(self) -> list[str]:
    """The kernel log's amdgpu lines for our PCI address (newest last), when the log is readable."""
    try: text = self.sys.read_kmsg()
    except (OSError, HwrtError): return []
    return [l.split(";", 1)[-1].strip() for l in text.splitlines()[-400:] if self.node["pci"] in l]

  def _last_kmsg(self) -> str:
    """The newest amdgpu line that names this process (a reset, a ring timeout, a queue error), else the newest line."""
    lines = self._kmsg_lines()
    mine = [l for l in lines if f"pid {os.getpid()}" in l]
    return (mine or lines or [""])[-1]

  def _last_fault_line(self) -> dict:
    """The newest amdgpu VM fault report (two lines) for our PCI address in the kernel log, decoded."""
    lines = self._kmsg_lines()
    for i in range(len(lines) - 1, -1, -1):
      m = hw.VM_FAULT.search(lines[i])
      if m:
        a = next((hw.VM_FAULT_ADDR.search(x) for x in lines[i + 1:i + 3] if hw.VM_FAULT_ADDR.search(x)), None)
        return {"hub": m["hub"], "vmid": int(m["vmid"]), "pasid": int(m["pasid"]), "line": lines[i].strip(),
                "client": f"0x{a['client']}" if a else "?", "name": a["name"] if a else None}
    return {}

  def recover(self):
    """Destroy the compute and SDMA queues (a faulted or hung queue never runs again) and create them anew; memory, VM
    and events survive."""
    for q in (self.compute, self.sdma):
      if q: q.destroy()
    self.compute = self.sdma = None
    for s in (self.timeline, self.start): s.value = s.current
    self._fault_events()
    self._new_queues()

  def _close(self):
    sys = self.sys
    try:
      for q in [e.q for e in self.extra_queues] + [self.compute, self.sdma]:
        if q is not None and q.queue_id is not None:
          try: self.kfd("AMDKFD_IOC_DESTROY_QUEUE", queue_id=q.queue_id)
          except HwrtError: pass
      for e in (self.queue_event, self.mem_event, self.hw_event):
        if e is not None:
          try: self.kfd("AMDKFD_IOC_DESTROY_EVENT", event_id=e)
          except HwrtError: pass
      for b in list(self.buffers):          # the event page stays: KFD frees it with the process (FREE_MEMORY_OF_GPU: EBUSY)
        try:
          if b is not self.event_page: self._free(b)
        except HwrtError: pass
      self.buffers.clear()
      for base, cpu in self.doorbells.items(): sys.munmap(cpu, DOORBELL_PAGE)
    finally:
      if KFDProcess.of(sys) is None:          # never bound: nothing of this process's KFD state to keep
        if self.fd_drm is not None: sys.close(self.fd_drm)
        if self.fd_kfd is not None: sys.close(self.fd_kfd)
      # else the fds stay with the KFDProcess: KFD keeps the VM binding, the runtime and the event page per process

class ExtraQueue:
  """Another KFD compute queue with its own ring, made live with one release to the timeline: what the queue
  create/destroy churn exercises. close() destroys the queue, then frees its memory."""
  def __init__(self, dev: AMDDevice):
    self.dev, self.q = dev, None
    dev.extra_queues.append(self)
    try:
      self.q = HWQueue(dev, kfd.KFD_IOC_QUEUE_TYPE_COMPUTE, PAGE * 4, f"extra{len(dev.extra_queues)}")
      AMDComputeQueue(dev, self.q).signal(dev.timeline, dev.next_value()).submit()
      dev.synchronize()
    except BaseException: self.close(); raise
  def close(self):
    if self in self.dev.extra_queues: self.dev.extra_queues.remove(self)
    if self.q is not None: self.q.destroy(); self.q = None
  def __enter__(self): return self
  def __exit__(self, *a): self.close()

# ---- entry points used by hwrt.devices
def enumerate_gpus(sys: Syscalls) -> list[dict]:
  from hwrt.drivers.amd.topology import enumerate_gpus as from_sysfs
  return from_sysfs(sys)

def open_device(sys: Syscalls, index: int, name: str) -> AMDDevice: return AMDDevice(sys, index, name)
