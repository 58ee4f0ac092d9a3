"""NVIDIA userspace driver on raw RM/UVM ioctls (no libcuda). One device = one RM root client, a UVM-owned GPU VA space, one
channel group (TSG) with a compute channel and a copy channel, a host-visible arena for rings, pushbuffers, kernargs and
signals. The same code runs on the real kernel driver (HostSyscalls) and on hwrt's simulated H100 (SimSyscalls).

Bring-up order: shared/research/nvidia_rm_abi.md §3.4 (tinygrad's sequence with Hopper classes)."""
from __future__ import annotations
import re, sys, time
from dataclasses import dataclass
from hwrt.errors import GPUFault, GPUTimeout, HwrtError, BadArgument, DriverNotPresent, RMError
from hwrt.helpers import Deadline, round_up, getenv
from hwrt.ioctl import nv, nv_hw as hw
from hwrt.ioctl.ffi import ffi
from hwrt.ioctl.syscalls import Syscalls
from hwrt.drivers.nv.rm import RM, UVM, new, card_info

PAGE, BIG_PAGE = 0x1000, 0x200000
VA_BASE, VA_LIMIT = 0x2_0000_0000, 0xFF_0000_0000     # pushbuffers and QMDs must sit below 2^40 (GP entry, SEND_PCAS_A)
SHARED_WINDOW, LOCAL_WINDOW = 0x729400000000, 0x729300000000   # unused VA bases for the generic->shared/local windows
GPFIFO_ENTRIES, PUSHBUF_SIZE, KERNARGS_SIZE = 0x400, 0x100000, 0x400000
KERNARGS_OFF = 0x10000 + 2 * PUSHBUF_SIZE
CTX_WINDOW = 64 << 20                               # per-channel context-buffer VA window registered with UVM          # arena layout: see NVDevice._open
XID_MEANING = {8: "channel timeout", 13: "graphics engine exception", 31: "GPU MMU page fault", 32: "invalid pushbuffer stream",
               43: "GPU stopped processing", 45: "preemptive cleanup", 69: "graphics class error", 79: "GPU fell off the bus"}

def page_size(size: int) -> int:
  """GPU VA alignment of an allocation: 2 MiB pages from 2 MiB up, else 4 KiB."""
  return BIG_PAGE if size >= BIG_PAGE else PAGE

def chip_for(classes: set[int], arch: int | None = None):
  """The generation row of ioctl/nv.txt's rm_chips whose compute class the GPU offers (newest first)."""
  offered = [r for r in sorted(nv.iface.rm_chips.values(), key=lambda r: -getattr(nv, r.compute)) if getattr(nv, r.compute) in classes]
  if offered: return next((r for r in offered if arch is None or r.arch == arch), offered[0])
  raise DriverNotPresent(f"no known compute class among the GPU's classes ({', '.join(hex(c) for c in sorted(classes))})")

@dataclass(eq=False)
class Buffer:
  va: int
  size: int
  hmem: int
  cpu: int = 0          # CPU address of the mapping (0: not CPU-visible)
  host: bool = False    # system memory
  def view(self, offset=0, size=None): return ffi.buffer(ffi.cast("char *", self.cpu + offset), self.size - offset if size is None else size)

class VAAllocator:
  """Bump allocator with exact-size reuse; GPU VA is ours to choose (UVM external ranges)."""
  def __init__(self, base, limit): self.next, self.limit, self.free_list = base, limit, {}
  def alloc(self, size: int, align: int) -> int:
    if (lst := self.free_list.get((size, align))): return lst.pop()
    va = round_up(self.next, align)
    if va + size > self.limit: raise HwrtError(f"GPU virtual address space exhausted ({size:#x} bytes requested)")
    self.next = va + size
    return va
  def release(self, va: int, size: int, align: int): self.free_list.setdefault((size, align), []).append(va)

class Channel:
  """A GPFIFO channel: ring + USERD and a pushbuffer ring in a host-visible area, a work-submit token for the doorbell."""
  def __init__(self, dev: NVDevice, tsg: int, ctxshare: int, engine_cls: int, area: Buffer, ring_off: int,
               pb_off: int, pb_size: int = PUSHBUF_SIZE):
    self.dev, self.area, self.put, self.pb_pos = dev, area, 0, 0
    self.ring_off, self.userd_off, self.pb_off, self.pb_size = ring_off, ring_off + GPFIFO_ENTRIES * 8, pb_off, pb_size
    p = new("NV_CHANNEL_ALLOC_PARAMS", hObjectError=dev.notifier.hmem, gpFifoOffset=area.va + self.ring_off,
            gpFifoEntries=GPFIFO_ENTRIES, hContextShare=ctxshare, hVASpace=0)
    p.hUserdMemory[0], p.userdOffset[0] = area.hmem, self.userd_off
    self.handle = dev.rm.alloc(tsg, dev.gpfifo_cls, p)
    self.engine = dev.rm.alloc(self.handle, engine_cls)
    self.token = dev.rm.control(self.handle, nv.NVC36F_CTRL_CMD_GPFIFO_GET_WORK_SUBMIT_TOKEN,
                                new("NVC36F_CTRL_CMD_GPFIFO_GET_WORK_SUBMIT_TOKEN_PARAMS"), "GET_WORK_SUBMIT_TOKEN").workSubmitToken
    # the VA space is UVM's (externally owned): RM cannot map the channel's context buffers itself, UVM does it in a window
    # we reserve (fact sheet §2.3; tinygrad reserves 64 MiB)
    self.ctx_va = dev.va.alloc(CTX_WINDOW, BIG_PAGE)
    try: dev.uvm.call("UVM_REGISTER_CHANNEL", gpuUuid=dev.uuid, rmCtrlFd=dev.rm.fd_ctl, hClient=dev.rm.root, hChannel=self.handle,
                      base=self.ctx_va, length=CTX_WINDOW)
    except BaseException: dev.va.release(self.ctx_va, CTX_WINDOW, BIG_PAGE); raise

  def unregister(self):
    """Before the channel is freed: UVM lets go of its context window, and the window's VA is ours again."""
    if not self.ctx_va: return
    try: self.dev.uvm.call("UVM_UNREGISTER_CHANNEL", gpuUuid=self.dev.uuid, hClient=self.dev.rm.root, hChannel=self.handle)
    except RMError: pass
    self.dev.va.release(self.ctx_va, CTX_WINDOW, BIG_PAGE)
    self.ctx_va = 0

  def submit(self, words: list[int]):
    """Copy the words into this channel's pushbuffer ring, write a GPFIFO entry, move GP_PUT, ring the doorbell."""
    n = len(words) * 4
    if n > self.pb_size // 2: raise HwrtError(f"command buffer of {n} bytes is larger than the pushbuffer ring")
    if self.pb_pos + n > self.pb_size:
      self.dev.synchronize()                       # everything before has been consumed; start the ring again
      self.pb_pos = 0
    a, off = self.area, self.pb_off + self.pb_pos
    ffi.memmove(ffi.cast("uint32_t *", a.cpu + off), ffi.new("uint32_t[]", words), n)
    self.pb_pos = round_up(self.pb_pos + n, 16)
    ring = ffi.cast("uint64_t *", a.cpu + self.ring_off)
    ring[self.put % GPFIFO_ENTRIES] = hw.gp_entry(a.va + off, len(words))
    self.put += 1
    ffi.cast("volatile uint32_t *", a.cpu + self.userd_off + hw.USERD_GP_PUT)[0] = self.put % GPFIFO_ENTRIES
    ffi.cast("volatile uint32_t *", self.dev.doorbell + hw.USERMODE_DOORBELL)[0] = self.token

class Signal:
  """A 64-bit timeline semaphore in host-visible memory (16 bytes: payload, ns timestamp)."""
  def __init__(self, dev: NVDevice, slot: int):
    self.dev, self.off = dev, slot * 16
    self.va, self.cpu = dev.arena.va + self.off, dev.arena.cpu + self.off
    self.value = 0
    ffi.cast("uint64_t *", self.cpu)[0:2] = [0, 0]
  @property
  def current(self) -> int: return ffi.cast("volatile uint64_t *", self.cpu)[0]
  @property
  def timestamp_ns(self) -> int: return ffi.cast("volatile uint64_t *", self.cpu)[1]

class NVDevice:
  def __init__(self, sys: Syscalls, index: int = 0, name: str = "nv:0"):
    self.sys, self.name, self.index = sys, name, index
    self.rm = self.uvm = None
    self.buffers: set[Buffer] = set()
    self.tsg = 0
    try: self._open()
    except BaseException: self.close(); raise

  # ---- bring-up
  def _open(self):
    sys = self.sys
    if not sys.exists("/dev/nvidiactl"): raise DriverNotPresent("/dev/nvidiactl does not exist: the NVIDIA kernel driver is not loaded")
    m = re.search(r"Kernel Module.*?\s(\d+\.\d+(?:\.\d+)?)\s", sys.read_text("/proc/driver/nvidia/version")) \
      if sys.exists("/proc/driver/nvidia/version") else None
    self.driver_version = m.group(1) if m else "?"
    self.rm = rm = RM(sys)
    v = new("nv_ioctl_rm_api_version_t", cmd=nv.NV_RM_API_VERSION_CMD_QUERY)
    sys.ioctl(rm.fd_ctl, nv.NV_ESC_CHECK_VERSION_STR, v)
    self.rm_version = ffi.string(v.versionString).decode()
    self.uvm = UVM(sys)
    cards = card_info(sys, rm.fd_ctl)
    if self.index >= len(cards): raise BadArgument(f"{self.name}: there are {len(cards)} NVIDIA GPUs")
    card = cards[self.index]
    self.minor, self.gpu_id = card.minor_number, card.gpu_id
    self.pci = f"{card.pci_info.domain:04x}:{card.pci_info.bus:02x}:{card.pci_info.slot:02x}.0"
    self.dev_path = f"/dev/nvidia{self.minor}"
    self.fd_dev = rm.new_fd(self.dev_path)
    info = rm.control(rm.root, nv.NV0000_CTRL_CMD_GPU_GET_ID_INFO_V2, new("NV0000_CTRL_GPU_GET_ID_INFO_V2_PARAMS", gpuId=self.gpu_id), "GET_ID_INFO_V2")
    self.device = rm.alloc(rm.root, nv.NV01_DEVICE_0, new("NV0080_ALLOC_PARAMETERS", deviceId=info.deviceInstance, hClientShare=rm.root, vaMode=2))
    self.subdevice = rm.alloc(self.device, nv.NV20_SUBDEVICE_0, new("NV2080_ALLOC_PARAMETERS"))
    cl = rm.control(self.device, nv.NV0080_CTRL_CMD_GPU_GET_CLASSLIST_V2, new("NV0080_CTRL_GPU_GET_CLASSLIST_V2_PARAMS"), "GET_CLASSLIST_V2")
    self.classes = {cl.classList[i] for i in range(cl.numClasses)}
    arch = rm.control(self.subdevice, nv.NV2080_CTRL_CMD_MC_GET_ARCH_INFO, new("NV2080_CTRL_MC_GET_ARCH_INFO_PARAMS"), "MC_GET_ARCH_INFO").architecture
    self.chip = chip_for(self.classes, arch)
    self.compute_cls, self.dma_cls = getattr(nv, self.chip.compute), getattr(nv, self.chip.dma)
    self.gpfifo_cls, self.usermode_cls = getattr(nv, self.chip.gpfifo), getattr(nv, self.chip.usermode)
    self.qmd_version = {"ampere": "V03_00", "ada": "V03_00", "hopper": "V04_00", "blackwell": "V05_00"}[self.chip.gen]
    self.param_base = {"ampere": 0x160, "ada": 0x160, "hopper": 0x210, "blackwell": 0x380}[self.chip.gen]
    nm = rm.control(self.subdevice, nv.NV2080_CTRL_CMD_GPU_GET_NAME_STRING, new("NV2080_CTRL_GPU_GET_NAME_STRING_PARAMS", gpuNameStringFlags=0), "GET_NAME_STRING")
    self.gpu_name = bytes(ffi.buffer(nm.gpuNameString.ascii)).split(b"\0")[0].decode(errors="replace")
    self._gr_info()
    self.usermode = rm.alloc(self.subdevice, self.usermode_cls)
    self.doorbell = rm.map_to_cpu(self.subdevice, self.usermode, hw.USERMODE_SIZE, self.dev_path)
    self.vaspace = rm.alloc(self.device, nv.FERMI_VASPACE_A, new("NV_VASPACE_ALLOCATION_PARAMETERS", vaBase=PAGE, vaSize=VA_LIMIT,
                            flags=nv.NV_VASPACE_ALLOCATION_FLAGS_IS_EXTERNALLY_OWNED | nv.NV_VASPACE_ALLOCATION_FLAGS_ENABLE_PAGE_FAULTING))
    gid = rm.control(self.subdevice, nv.NV2080_CTRL_CMD_GPU_GET_GID_INFO, new("NV2080_CTRL_GPU_GET_GID_INFO_PARAMS", flags=2, length=16), "GET_GID_INFO")
    self.uuid = bytes(ffi.buffer(gid.data))[:16]
    self.uvm.call("UVM_REGISTER_GPU", gpu_uuid=self.uuid, rmCtrlFd=-1, hClient=0)
    self.uvm.call("UVM_REGISTER_GPU_VASPACE", gpuUuid=self.uuid, rmCtrlFd=rm.fd_ctl, hClient=rm.root, hVaSpace=self.vaspace)
    self.va = VAAllocator(VA_BASE, VA_LIMIT)
    # host-visible arena: signals | compute ring+USERD | copy ring+USERD | compute pushbuffer | copy pushbuffer | kernargs
    self.arena = self.alloc(0x10000 + 2 * PUSHBUF_SIZE + KERNARGS_SIZE, host=True)
    self.notifier = self.alloc(PAGE, host=True)
    self.signals = [Signal(self, i) for i in range(2)]
    self.timeline = self.signals[0]
    self.local_bytes_per_thread, self.local_buffer = 0, None
    self._new_channels()

  def _gr_info(self):
    idx = {"sm_version": nv.NV2080_CTRL_GR_INFO_INDEX_SM_VERSION, "gpcs": nv.NV2080_CTRL_GR_INFO_INDEX_LITTER_NUM_GPCS,
           "tpc_per_gpc": nv.NV2080_CTRL_GR_INFO_INDEX_LITTER_NUM_TPC_PER_GPC, "sm_per_tpc": nv.NV2080_CTRL_GR_INFO_INDEX_LITTER_NUM_SM_PER_TPC,
           "max_warps_per_sm": nv.NV2080_CTRL_GR_INFO_INDEX_MAX_WARPS_PER_SM}
    lst = ffi.new("NV2080_CTRL_GR_INFO[]", len(idx))
    for i, v in enumerate(idx.values()): lst[i].index = v
    self.rm.control(self.subdevice, nv.NV2080_CTRL_CMD_GR_GET_INFO, new("NV2080_CTRL_GR_GET_INFO_PARAMS", grInfoListSize=len(idx),
                    grInfoList=int(ffi.cast("uintptr_t", lst))), "GR_GET_INFO")
    self.gr = {k: lst[i].data for i, k in enumerate(idx)}
    v = self.gr["sm_version"]
    self.arch = f"sm_{(v >> 8) & 0xff}{v & 0xf}"
    # litter values describe the full die (GH100: 8 x 9 x 2 = 144); the enabled SMs are the TPC masks' popcount x SM/TPC
    gpcs = self.rm.control(self.subdevice, nv.NV2080_CTRL_CMD_GR_GET_GPC_MASK, new("NV2080_CTRL_GR_GET_GPC_MASK_PARAMS"), "GR_GET_GPC_MASK").gpcMask
    tpcs = sum(bin(self.rm.control(self.subdevice, nv.NV2080_CTRL_CMD_GR_GET_TPC_MASK, new("NV2080_CTRL_GR_GET_TPC_MASK_PARAMS", gpcId=g),
                                   "GR_GET_TPC_MASK").tpcMask).count("1") for g in range(32) if gpcs >> g & 1)
    self.sm_count = tpcs * self.gr["sm_per_tpc"]
    fb = new("NV2080_CTRL_FB_GET_INFO_V2_PARAMS", fbInfoListSize=1)
    fb.fbInfoList[0].index = nv.NV2080_CTRL_FB_INFO_INDEX_TOTAL_RAM_SIZE
    self.vram_bytes = self.rm.control(self.subdevice, nv.NV2080_CTRL_CMD_FB_GET_INFO_V2, fb, "FB_GET_INFO_V2").fbInfoList[0].data << 10

  def _new_channels(self):
    rm = self.rm
    self.tsg = rm.alloc(self.device, nv.KEPLER_CHANNEL_GROUP_A, new("NV_CHANNEL_GROUP_ALLOCATION_PARAMETERS",
                        hObjectError=self.notifier.hmem, hVASpace=self.vaspace, engineType=hw.ENGINE_TYPE_GRAPHICS))
    self.ctxshare = rm.alloc(self.tsg, nv.FERMI_CONTEXT_SHARE_A, new("NV_CTXSHARE_ALLOCATION_PARAMETERS", hVASpace=self.vaspace, flags=1))
    ffi.memmove(ffi.cast("char *", self.notifier.cpu), b"\0" * hw.NOTIFICATION_SIZE, hw.NOTIFICATION_SIZE)
    self.compute = Channel(self, self.tsg, self.ctxshare, self.compute_cls, self.arena, 0x1000, 0x10000)
    self.copy_ch = Channel(self, self.tsg, self.ctxshare, self.dma_cls, self.arena, 0x8000, 0x10000 + PUSHBUF_SIZE)
    rm.control(self.tsg, nv.NVA06C_CTRL_CMD_GPFIFO_SCHEDULE, new("NVA06C_CTRL_GPFIFO_SCHEDULE_PARAMS", bEnable=1), "GPFIFO_SCHEDULE")
    self.kernargs_pos = 0
    self.compute.submit(hw.nvm(hw.SUBC_COMPUTE, hw.CBC0_SET_OBJECT, self.compute_cls)
                        + hw.nvm(hw.SUBC_COMPUTE, hw.CBC0_SET_SHADER_SHARED_MEMORY_WINDOW_A, SHARED_WINDOW >> 32, SHARED_WINDOW & 0xFFFFFFFF)
                        + hw.nvm(hw.SUBC_COMPUTE, hw.CBC0_SET_SHADER_LOCAL_MEMORY_WINDOW_A, LOCAL_WINDOW >> 32, LOCAL_WINDOW & 0xFFFFFFFF)
                        + self._local_memory_methods() + self._release())
    self.copy_ch.submit(hw.nvm(hw.SUBC_COPY, hw.HOST_SET_OBJECT, self.dma_cls) + self._release())
    self.synchronize()

  def _local_memory_methods(self) -> list[int]:
    if not self.local_buffer: return []
    a = self.local_buffer.va
    return (hw.nvm(hw.SUBC_COMPUTE, hw.CBC0_SET_SHADER_LOCAL_MEMORY_A, a >> 32, a & 0xFFFFFFFF)
            + hw.nvm(hw.SUBC_COMPUTE, hw.CBC0_SET_SHADER_LOCAL_MEMORY_NON_THROTTLED_A, self.local_per_tpc >> 32, self.local_per_tpc & 0xFFFFFFFF, 0xFF))

  def ensure_local_memory(self, bytes_per_thread: int):
    """Size the local-memory (stack) backing for the largest per-thread need seen so far (tinygrad's formula, §4.6)."""
    if bytes_per_thread <= self.local_bytes_per_thread: return
    g = self.gr
    per_tpc = round_up(round_up(bytes_per_thread * 32, 0x200) * g["max_warps_per_sm"] * g["sm_per_tpc"], 0x8000)
    size = round_up(per_tpc * g["tpc_per_gpc"] * g["gpcs"], 0x20000)
    self.synchronize()
    if self.local_buffer: self.free(self.local_buffer)
    self.local_buffer, self.local_per_tpc, self.local_bytes_per_thread = self.alloc(size), per_tpc, bytes_per_thread
    self.compute.submit(self._local_memory_methods() + self._release())
    self.synchronize()

  # ---- memory
  def alloc(self, size: int, host: bool = False, cpu_access: bool | None = None) -> Buffer:
    """Device memory (vidmem; CPU-mapped through BAR1 only if cpu_access) or host memory (sysmem, always CPU-mapped),
    mapped into the GPU VA space through a UVM external range."""
    if size <= 0: raise BadArgument(f"allocation size must be positive, got {size}")
    align = page_size(size)
    size = round_up(size, align)
    va = self.va.alloc(size, align)
    attr = (3 << 27) | ((1 << 25) if host else 0)                     # PHYSICALITY allow-noncontig, LOCATION PCI for sysmem
    flags = 0x1 | 0x100 | 0x4000 | 0x8000 | (0 if host else 0x10000)  # IGNORE_BANK, ALIGNMENT_FORCE, HANDLE_PROVIDED, MAP_NOT_REQUIRED, PERSISTENT
    p = new("NV_MEMORY_ALLOCATION_PARAMS", owner=self.rm.root, type=13 if host else 0, flags=flags, attr=attr,
            attr2=(1 << 2) if not host else (2 << 2), format=6, size=size, alignment=align, limit=size - 1)
    hmem = self.rm.alloc(self.device, nv.NV01_MEMORY_SYSTEM if host else nv.NV01_MEMORY_LOCAL_USER, p)
    buf = Buffer(va, size, hmem, host=host)
    try:
      if host or cpu_access: buf.cpu = self.rm.map_to_cpu(self.device, hmem, size, "/dev/nvidiactl" if host else self.dev_path)
      self.uvm.map_external(va, size, self.uuid, self.rm.fd_ctl, self.rm.root, hmem)
    except BaseException:
      if buf.cpu: self.sys.munmap(buf.cpu, size)
      self.rm.free(hmem, self.device); self.va.release(va, size, align)
      raise
    self.buffers.add(buf)
    return buf

  def free(self, buf: Buffer):
    if buf not in self.buffers: raise BadArgument(f"buffer at {buf.va:#x} is not allocated on {self.name} (double free?)")
    self.buffers.discard(buf)
    try:
      self.uvm.free(buf.va, buf.size)
      if buf.cpu: self.sys.munmap(buf.cpu, buf.size)
      self.rm.free(buf.hmem, self.device)
    finally: self.va.release(buf.va, buf.size, page_size(buf.size))

  # ---- submission and completion
  def _release(self) -> list[int]:
    self.timeline.value += 1
    return hw.host_semaphore(self.timeline.va, self.timeline.value, wfi=True)

  def wait(self, value: int | None = None, timeout: float = 10.0, signal: Signal | None = None):
    """Wait for a timeline value; a GPU fault (error notifier) raises GPUFault, the deadline GPUTimeout. Both recover the channels."""
    sig = signal or self.timeline
    value = sig.value if value is None else value
    dl, spin = Deadline(timeout), 0
    note = ffi.cast("volatile uint16_t *", self.notifier.cpu + hw.NOTIFICATION_STATUS)
    while sig.current < value:
      if note[0] == hw.NOTIFICATION_STATUS_ERROR: self._fault()
      if dl.expired():
        self.recover()
        raise GPUTimeout(f"{self.name}: no completion within {timeout:g} s (timeline at {sig.current}, waiting for {value}); "
                         f"channels torn down and recreated", device=self.name, timeout=timeout)
      spin += 1     # sleep(0) yields the GIL at once (the simulated GPU is a thread of this process), then back off
      time.sleep(0 if spin < 100 else 0.0001 if spin < 3000 else 0.001)
    if note[0] == hw.NOTIFICATION_STATUS_ERROR: self._fault()

  def synchronize(self, timeout: float = 10.0): self.wait(self.timeline.value, timeout)

  def _fault(self):
    xid = ffi.cast("uint32_t *", self.notifier.cpu + hw.NOTIFICATION_INFO32)[0]
    line = self._last_xid_line(xid)
    self.recover()
    raise GPUFault(f"{self.name}: Xid {xid} ({XID_MEANING.get(xid, 'see the NVIDIA Xid catalog')})" + (f": {line}" if line else ""),
                   xid=xid, device=self.name, kmsg=line)

  def _last_xid_line(self, xid: int) -> str:
    """The newest Xid line for our PCI address from the kernel log, when the log is readable (root / dmesg_restrict=0)."""
    try: text = self.sys.read_kmsg()
    except (OSError, HwrtError): return ""
    pci = self.pci.rsplit(".", 1)[0]
    lines = [l.split(";", 1)[-1] for l in text.splitlines()[-400:] if "Xid" in l and pci in l and f"): {xid}," in l]
    return lines[-1].strip() if lines else ""

  def recover(self):
    """Tear the channel group down (an RC'd channel never runs again) and build it anew; memory and VA space survive."""
    for ch in (self.compute, self.copy_ch): ch.unregister()
    try: self.rm.free(self.tsg, self.device)
    except RMError: pass
    self.tsg = 0
    self.timeline.value = self.timeline.current
    self._new_channels()

  # ---- the device-level API the CLI, stress workloads and tensor executor use
  def compute_queue(self):
    from hwrt.drivers.nv.queue import NVComputeQueue
    return NVComputeQueue(self, self.compute)
  def copy_queue(self):
    from hwrt.drivers.nv.queue import NVCopyQueue
    return NVCopyQueue(self, self.copy_ch)
  def next_value(self) -> int: return self.timeline.value + 1

  def copy(self, dst: Buffer, src: Buffer, nbytes: int, dst_off: int = 0, src_off: int = 0, timeout: float = 10.0):
    self.copy_queue().copy(dst, src, nbytes, dst_off, src_off).signal(self.timeline, self.next_value()).submit()
    self.wait(timeout=timeout)

  def _staging(self, n: int) -> Buffer:
    st = getattr(self, "_stage", None)
    if st is None or st.size < n:
      if st is not None: self.free(st)
      st = self._stage = self.alloc(max(n, 0x200000), host=True)
    return st

  def copyin(self, buf: Buffer, data, offset: int = 0):
    mv = memoryview(data).cast("B")
    if offset + mv.nbytes > buf.size: raise BadArgument(f"copyin of {mv.nbytes} bytes does not fit a {buf.size}-byte buffer")
    if buf.cpu: ffi.memmove(ffi.cast("char *", buf.cpu + offset), ffi.from_buffer(mv), mv.nbytes); return
    st = self._staging(mv.nbytes)
    ffi.memmove(ffi.cast("char *", st.cpu), ffi.from_buffer(mv), mv.nbytes)
    self.copy(buf, st, mv.nbytes, dst_off=offset)

  def copyout(self, buf: Buffer, nbytes: int | None = None, offset: int = 0) -> bytes:
    nbytes = buf.size - offset if nbytes is None else nbytes
    if buf.cpu: self.synchronize(); return bytes(ffi.buffer(ffi.cast("char *", buf.cpu + offset), nbytes))
    st = self._staging(nbytes)
    self.copy(st, buf, nbytes, src_off=offset)
    return bytes(ffi.buffer(ffi.cast("char *", st.cpu), nbytes))

  def load(self, binary: bytes, kernel: str | None = None):
    from hwrt.drivers.nv.program import NVProgram
    return NVProgram(self, binary, kernel)

  def builtin_program(self, name: str = "empty"):
    from hwrt.drivers.nv.program import builtin
    return builtin(self, name)

  def launch(self, prog, args=(), grid=(1, 1, 1), block=(1, 1, 1), timeout: float = 10.0, wait: bool = True,
             flops: float | None = None, nbytes: int | None = None) -> float:
    """Launch and (by default) wait; returns the GPU time in seconds between two timestamped releases around it.
    DEBUG=2 prints one line per launch: name, grid/block, time, GFLOP/s (given flops) and GB/s (given nbytes, else the
    sizes of the buffer arguments)."""
    start = self.signals[1]
    q = self.compute_queue().signal(start, start.value + 1, timestamp=True).exec(prog, args, grid, block)
    q.signal(self.timeline, self.next_value(), timestamp=True).submit()
    if not wait: return 0.0
    self.wait(self.timeline.value, timeout)
    t = max(0, self.timeline.timestamp_ns - start.timestamp_ns) * 1e-9
    if getenv("DEBUG", 0) >= 2:
      nb = nbytes if nbytes is not None else sum(a.size for a in args if isinstance(a, Buffer))
      gf = f" {flops / t / 1e9:9.4g} GFLOP/s" if flops and t else ""
      print(f"*** {self.name:8s} {prog.name:24s} grid {','.join(map(str, grid)):>12s} block {','.join(map(str, block)):>9s} "
            f"{t * 1e6:10.2f} us{gf} {nb / t / 1e9 if t else 0:9.4g} GB/s", file=sys.stderr)
    return t

  def create_queue(self):
    """A second channel group (TSG) with a compute channel, torn down on close: the queue create/destroy churn workload."""
    return ExtraQueue(self)

  def close(self):
    if getattr(self, "_closed", False): return
    self._closed = True
    rm, sys = self.rm, self.sys
    try:
      for b in list(self.buffers):
        try:
          if b.cpu: sys.munmap(b.cpu, b.size)
        except HwrtError: pass
      self.buffers.clear()
      if getattr(self, "doorbell", 0): sys.munmap(self.doorbell, hw.USERMODE_SIZE)
    finally:
      if getattr(self, "fd_dev", None) is not None: sys.close(self.fd_dev)
      if self.uvm: self.uvm.close()
      if rm: rm.close()          # freeing the client frees every object under it

  def __enter__(self): return self
  def __exit__(self, *a): self.close()

class ExtraQueue:
  """Another channel group with its own compute channel and ring memory, made live with one submission: what the
  queue/channel create-destroy churn exercises. close() frees the TSG (and with it the channel), then the ring memory."""
  def __init__(self, dev: NVDevice):
    self.dev, self.area, self.tsg = dev, None, 0
    try:
      self.area = dev.alloc(0x20000, host=True)
      self.tsg = dev.rm.alloc(dev.device, nv.KEPLER_CHANNEL_GROUP_A, new("NV_CHANNEL_GROUP_ALLOCATION_PARAMETERS",
                              hObjectError=dev.notifier.hmem, hVASpace=dev.vaspace, engineType=hw.ENGINE_TYPE_GRAPHICS))
      ctx = dev.rm.alloc(self.tsg, nv.FERMI_CONTEXT_SHARE_A, new("NV_CTXSHARE_ALLOCATION_PARAMETERS", hVASpace=dev.vaspace, flags=1))
      self.channel = Channel(dev, self.tsg, ctx, dev.compute_cls, self.area, 0, 0x10000, 0x10000)
      dev.rm.control(self.tsg, nv.NVA06C_CTRL_CMD_GPFIFO_SCHEDULE, new("NVA06C_CTRL_GPFIFO_SCHEDULE_PARAMS", bEnable=1), "GPFIFO_SCHEDULE")
      self.channel.submit(hw.nvm(hw.SUBC_COMPUTE, hw.CBC0_SET_OBJECT, dev.compute_cls) + dev._release())
      dev.synchronize()
    except BaseException: self.close(); raise
  def close(self):
    if getattr(self, "channel", None) is not None: self.channel.unregister()
    if self.tsg: self.dev.rm.free(self.tsg, self.dev.device); self.tsg = 0
    if self.area is not None: self.dev.free(self.area); self.area = None
  def __enter__(self): return self
  def __exit__(self, *a): self.close()

# ---- entry points used by hwrt.devices
def enumerate_gpus(sys: Syscalls) -> list[dict]:
  if not sys.exists("/dev/nvidiactl"): return []
  out = []
  rm = RM(sys)
  try: n = len(card_info(sys, rm.fd_ctl))
  finally: rm.close()
  for i in range(n):
    with NVDevice(sys, i, f"nv:{i}") as d:
      out.append({"vendor": "nv", "index": i, "name": d.gpu_name, "arch": d.arch, "pci": d.pci, "driver": f"nvidia {d.driver_version}",
                  "compute_units": d.sm_count, "vram_bytes": d.vram_bytes, "compute_class": d.compute_cls, "gpu_id": d.gpu_id,
                  "generation": d.chip.gen})
  return out

def open_device(sys: Syscalls, index: int, name: str) -> NVDevice: return NVDevice(sys, index, name)
