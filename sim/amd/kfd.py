"""The /dev/kfd ioctls of the simulated AMD machine. Error codes are those drivers/gpu/drm/amd/amdkfd returns for the same
misuse (function names cited per check: kfd_chardev.c unless noted; kfd_events.c, kfd_queue.c, kfd_process_queue_manager.c).
Each handler gets the kernel-sized argument struct (cffi) and returns 0 or -errno, as the kernel's ioctl functions do."""
from __future__ import annotations
import errno, os, threading, time
import numpy as np
from hwrt.ioctl import kfd as K
from hwrt.ioctl.ffi import ffi
from hwrt.sim.memory import Allocation, Mapping
from hwrt.sim.amd import identity as I

F = K                                           # flag constants live on the interface module
MMAP_TYPE_DOORBELL, MMAP_TYPE_EVENTS, MMAP_TYPE_MMIO = 3 << 62, 2 << 62, 0 << 62   # kfd_priv.h KFD_MMAP_TYPE_* (bits 63:62)
MMAP_GPU_ID_SHIFT = 46                          # kfd_priv.h KFD_MMAP_GPU_ID_SHIFT (16 bits of gpu id)
UNSIGNALED = 0xFFFFFFFFFFFFFFFF                 # kfd_events.c UNSIGNALED_EVENT_SLOT
FIRST_NONSIGNAL_EVENT_ID = 0x80000000           # kfd_events.c KFD_FIRST_NONSIGNAL_EVENT_ID
MIN_RING = 1024                                 # kfd_chardev.c KFD_MIN_QUEUE_RING_SIZE
QUEUE_TYPES = {0: "compute", 1: "sdma", 2: "aql", 3: "sdma", 4: "sdma"}
ENOTSUPP = 524                                  # the kernel's internal ENOTSUPP (include/linux/errno.h)
PAGE = I.PAGE

class UserPages:
  """An Allocation-like window onto the process's own memory (USERPTR BOs): the GPU sees the very pages the program uses."""
  def __init__(self, addr: int, size: int):
    self.id, self.kind, self.size, self.fd, self.freed, self.addr = -1, "userptr", size, -1, False, addr
    self.view = np.frombuffer(ffi.buffer(ffi.cast("char *", addr), size), np.uint8)
  def close(self) -> None: self.view = np.zeros(0, np.uint8)

class BO:
  def __init__(self, handle, va, size, flags, alloc, cookie):
    self.handle, self.va, self.size, self.flags, self.alloc, self.cookie = handle, va, size, flags, alloc, cookie
    self.mapped = False

class Event:
  def __init__(self, eid, etype, auto_reset, slot):
    self.id, self.type, self.auto_reset, self.slot, self.signaled = eid, etype, auto_reset, slot, False
    self.data = None                            # memory / hw exception data to hand to WAIT_EVENTS

class Queue:
  def __init__(self, qid, qtype, args, doorbell_off):
    self.id, self.type, self.doorbell_off = qid, QUEUE_TYPES[qtype], doorbell_off
    self.ring, self.ring_size = args.ring_base_address, args.ring_size
    self.wptr_va, self.rptr_va = args.write_pointer_address, args.read_pointer_address
    self.eop = args.eop_buffer_address
    self.pid, self.dead, self.hung, self.rptr, self.sh = os.getpid(), False, False, 0, {}
    self.error, self.frames = "", []

class KFD:
  def __init__(self, m):
    self.m = m
    self.proc_pid = os.getpid()
    self.opened = 0
    self.drm_fd = None                           # ACQUIRE_VM'd render fd
    self.runtime_enabled = False
    self.bos: dict[int, BO] = {}
    self.cookies: dict[int, BO] = {}
    self.next_idr, self.next_cookie = 0, 1 << 32
    self.events: dict[int, Event] = {}
    self.event_page = None                       # BO holding the signal slots
    self.kernel_event_page = None
    self.next_other = FIRST_NONSIGNAL_EVENT_ID
    self.queues: dict[int, Queue] = {}
    self.cond = threading.Condition()
    self.doorbells = Allocation(I.DOORBELL_SLICE, "amd-doorbells", "doorbell")
    self.mmio = Allocation(PAGE, "amd-mmio-remap", "mmio")
    self.vas = m.gpu.new_vaspace()

  def open(self, fd: int) -> None: self.opened += 1
  def release(self, fd: int) -> None:
    """kfd_release -> the process's queues are destroyed once the last /dev/kfd fd of the process goes"""
    self.opened -= 1
    if self.opened <= 0:
      for q in list(self.queues.values()): self.m.gpu.remove_queue(q)
      self.queues.clear()

  # --- helpers
  def _gpu_ok(self, gpu_id: int) -> bool: return gpu_id == I.GPU_ID       # kfd_process_device_data_by_id
  def _bo(self, handle: int) -> BO | None:
    return self.bos.get(handle) if (handle >> 32) == I.GPU_ID else None      # GET_GPU_ID / GET_IDR_HANDLE
  def _readable(self, va: int) -> bool: return va == 0 or 0 < va < (1 << 47)   # access_ok on a user address

  # --- ioctls
  def ioc_get_version(self, a):
    a.major_version, a.minor_version = K.KFD_IOCTL_MAJOR_VERSION, K.KFD_IOCTL_MINOR_VERSION; return 0

  def ioc_acquire_vm(self, a):
    if a.drm_fd not in self.m.fds or self.m.fds[a.drm_fd] != "render":
      try: os.fstat(a.drm_fd)
      except OSError: return -errno.EINVAL                                 # kfd_ioctl_acquire_vm: fget fails
      return -errno.EINVAL                                                 # amdgpu_amdkfd_gpuvm_acquire_process_vm: not an amdgpu file
    if not self._gpu_ok(a.gpu_id): return -errno.EINVAL
    if self.drm_fd is not None: return 0 if self.drm_fd == a.drm_fd else -errno.EBUSY   # "pdd->drm_file == drm_file ? 0 : -EBUSY"
    self.drm_fd = a.drm_fd; return 0

  def ioc_runtime_enable(self, a):
    """kfd_ioctl_runtime_enable: ENABLE_MASK -> runtime_enable (-EBUSY when already enabled); else runtime_disable"""
    if a.mode_mask & K.KFD_RUNTIME_ENABLE_MODE_ENABLE_MASK:
      if self.runtime_enabled: return -errno.EBUSY
      self.runtime_enabled = True
    else: self.runtime_enabled = False
    return 0

  def ioc_get_process_apertures_new(self, a):
    if a.num_of_nodes == 0: a.num_of_nodes = 1; return 0                  # "num_of_nodes = p->n_pdds" query form
    if not a.kfd_process_device_apertures_ptr: return -errno.EFAULT
    ap = ffi.cast("struct kfd_process_device_apertures *", a.kfd_process_device_apertures_ptr)
    ap.gpu_id = I.GPU_ID
    ap.lds_base, ap.lds_limit = 0x1000000000000, 0x10000FFFFFFFF        # kfd_flat_memory.c gfx9+ apertures
    ap.scratch_base, ap.scratch_limit = 0x2000000000000, 0x20000FFFFFFFF
    ap.gpuvm_base, ap.gpuvm_limit = 0x200000, (1 << 47) - 1
    a.num_of_nodes = 1; return 0

  def ioc_get_process_apertures(self, a):
    a.num_of_nodes = 1
    ap = a.process_apertures[0]
    ap.gpu_id, ap.gpuvm_base, ap.gpuvm_limit = I.GPU_ID, 0x200000, (1 << 47) - 1
    return 0

  def ioc_set_memory_policy(self, a):
    pol = (K.KFD_IOC_CACHE_POLICY_COHERENT, K.KFD_IOC_CACHE_POLICY_NONCOHERENT)
    if a.default_policy not in pol or a.alternate_policy not in pol: return -errno.EINVAL   # kfd_ioctl_set_memory_policy
    if not self._gpu_ok(a.gpu_id): return -errno.EINVAL
    return 0

  def ioc_get_clock_counters(self, a):
    """kfd_ioctl_get_clock_counters: an unknown gpu_id gives gpu_clock_counter 0, not an error"""
    ns = time.monotonic_ns()
    a.gpu_clock_counter = ns // 10 if self._gpu_ok(a.gpu_id) else 0      # the 100 MHz GPU timestamp (RELEASE_MEM uses the same)
    a.cpu_clock_counter = a.system_clock_counter = time.clock_gettime_ns(time.CLOCK_MONOTONIC_RAW)
    a.system_clock_freq = 1000000000; return 0

  def ioc_set_scratch_backing_va(self, a):
    return 0 if self._gpu_ok(a.gpu_id) else -errno.EINVAL

  def ioc_get_tile_config(self, a): return 0 if self._gpu_ok(a.gpu_id) else -errno.EINVAL

  def ioc_set_xnack_mode(self, a):
    if a.xnack_enabled not in (-1 & 0xFFFFFFFF, 0xFFFFFFFF) and a.xnack_enabled < 0x80000000 and a.xnack_enabled:
      return -errno.EPERM                                                  # gfx1100 has no XNACK: kfd_process_xnack_mode false
    a.xnack_enabled = 0; return 0

  def ioc_available_memory(self, a):
    if not self._gpu_ok(a.gpu_id): return -errno.EINVAL
    a.available = I.VRAM_BYTES - sum(b.size for b in self.bos.values() if b.flags & F.KFD_IOC_ALLOC_MEM_FLAGS_VRAM); return 0

  def ioc_alloc_memory_of_gpu(self, a):
    flags = a.flags
    if a.size == 0: return -errno.EINVAL                                   # kfd_ioctl_alloc_memory_of_gpu: "if (args->size == 0)"
    if not self._gpu_ok(a.gpu_id): return -errno.EINVAL                    # kfd_process_device_data_by_id fails
    if self.drm_fd is None: return -errno.EINVAL                           # kfd_bind_process_to_device: "Binding PDD to unbound GPU"
    if a.va_addr % PAGE: return -errno.EINVAL                              # amdgpu_vm_verify_parameters: unaligned VA
    kinds = flags & (F.KFD_IOC_ALLOC_MEM_FLAGS_VRAM | F.KFD_IOC_ALLOC_MEM_FLAGS_GTT | F.KFD_IOC_ALLOC_MEM_FLAGS_USERPTR
                     | F.KFD_IOC_ALLOC_MEM_FLAGS_DOORBELL | F.KFD_IOC_ALLOC_MEM_FLAGS_MMIO_REMAP)
    if bin(kinds).count("1") != 1: return -errno.EINVAL                    # amdgpu_amdkfd_gpuvm_alloc_memory_of_gpu: "Unexpected flag"
    size = (a.size + PAGE - 1) // PAGE * PAGE
    if any(b.va < a.va_addr + size and a.va_addr < b.va + b.size for b in self.bos.values()):
      return -errno.EINVAL                                                 # amdgpu_vm_bo_map: "va ... conflict with ..."
    if kinds == F.KFD_IOC_ALLOC_MEM_FLAGS_DOORBELL:
      if a.size != I.DOORBELL_SLICE: return -errno.EINVAL                  # "args->size != kfd_doorbell_process_slice(dev->kfd)"
      alloc, cookie = self.doorbells, MMAP_TYPE_DOORBELL | (I.GPU_ID << MMAP_GPU_ID_SHIFT)
    elif kinds == F.KFD_IOC_ALLOC_MEM_FLAGS_MMIO_REMAP:
      if a.size != PAGE: return -errno.EINVAL                              # "args->size != PAGE_SIZE"
      alloc, cookie = self.mmio, MMAP_TYPE_MMIO | (I.GPU_ID << MMAP_GPU_ID_SHIFT)
    elif kinds == F.KFD_IOC_ALLOC_MEM_FLAGS_USERPTR:
      if not a.mmap_offset or a.mmap_offset % PAGE: return -errno.EINVAL   # amdgpu_ttm_tt_set_userptr: unaligned or NULL
      alloc, cookie = UserPages(a.mmap_offset, size), a.mmap_offset
    else:
      used = sum(b.size for b in self.bos.values() if b.flags & kinds)
      if used + size > (I.VRAM_BYTES if kinds == F.KFD_IOC_ALLOC_MEM_FLAGS_VRAM else I.GTT_BYTES):
        return -errno.ENOMEM                                               # amdgpu_amdkfd_reserve_mem_limit
      alloc = Allocation(size, "amd-vram" if kinds == F.KFD_IOC_ALLOC_MEM_FLAGS_VRAM else "amd-gtt",
                         "vram" if kinds == F.KFD_IOC_ALLOC_MEM_FLAGS_VRAM else "gtt")
      cookie = self.next_cookie; self.next_cookie += size
    handle = (I.GPU_ID << 32) | self.next_idr; self.next_idr += 1
    bo = BO(handle, a.va_addr, size, flags, alloc, cookie)
    self.bos[handle] = bo
    if kinds in (F.KFD_IOC_ALLOC_MEM_FLAGS_VRAM, F.KFD_IOC_ALLOC_MEM_FLAGS_GTT): self.cookies[cookie] = bo
    a.handle, a.mmap_offset = handle, cookie
    return 0

  def ioc_free_memory_of_gpu(self, a):
    if (a.handle >> 32) != I.GPU_ID: return -errno.EINVAL                  # "Process device data doesn't exist"
    bo = self.bos.get(a.handle)
    if bo is None: return -errno.EINVAL                                    # kfd_process_device_translate_handle fails
    if self.event_page is bo: return -errno.EBUSY                          # "if (p->signal_handle ...) Free mem failed: event page"
    if bo.mapped: self._unmap(bo)
    del self.bos[a.handle]
    self.cookies.pop(bo.cookie, None)
    if bo.alloc not in (self.doorbells, self.mmio):
      bo.alloc.freed = True
      self.m.gpu.after_idle(bo.alloc.close)
    return 0

  def _devices(self, a) -> list | int:
    if a.n_devices == 0: return -errno.EINVAL                              # "Device IDs array empty"
    if a.n_success > a.n_devices: return -errno.EINVAL                     # "n_success exceeds n_devices"
    if not a.device_ids_array_ptr: return -errno.EFAULT                    # copy_from_user(devices_arr)
    ids = ffi.cast("__u32 *", a.device_ids_array_ptr)
    return [ids[i] for i in range(a.n_devices)]

  def ioc_map_memory_to_gpu(self, a):
    devs = self._devices(a)
    if isinstance(devs, int): return devs
    if (a.handle >> 32) != I.GPU_ID: return -errno.EINVAL
    bo = self.bos.get(a.handle)
    if bo is None: return -errno.ENOMEM                                    # "get_mem_obj_from_handle_failed": err = -ENOMEM
    for i, g in enumerate(devs[a.n_success:], a.n_success):
      if not self._gpu_ok(g): return -errno.EINVAL                         # peer pdd lookup fails
      if not bo.mapped:
        self.vas.map(bo.va, bo.alloc, 0, bo.size, writable=bool(bo.flags & F.KFD_IOC_ALLOC_MEM_FLAGS_WRITABLE), tag=bo)
        bo.mapped = True
      a.n_success = i + 1
    return 0

  def _unmap(self, bo: BO) -> None:
    self.vas.unmap_alloc(bo.alloc) if bo.alloc not in (self.doorbells, self.mmio) else self.vas.unmap_range(bo.va, bo.size)
    bo.mapped = False

  def ioc_unmap_memory_from_gpu(self, a):
    devs = self._devices(a)
    if isinstance(devs, int): return devs
    if (a.handle >> 32) != I.GPU_ID: return -errno.EINVAL
    bo = self.bos.get(a.handle)
    if bo is None: return -errno.EINVAL                                    # kfd_ioctl_unmap_memory_from_gpu: "if (!mem) err = -EINVAL"
    for i, g in enumerate(devs[a.n_success:], a.n_success):
      if not self._gpu_ok(g): return -errno.EINVAL
      if not bo.mapped: return -errno.EINVAL                               # amdgpu_amdkfd_gpuvm_unmap_memory_from_gpu: "VA not mapped"
      self._unmap(bo); a.n_success = i + 1
    return 0

  # --- events (kfd_events.c)
  def ioc_create_event(self, a):
    if a.event_page_offset:                                                # kfd_ioctl_create_event: a user-allocated event page
      if (a.event_page_offset >> 32) != I.GPU_ID: return -errno.EINVAL     # "Getting device by id failed"
      bo = self.bos.get(a.event_page_offset)
      if bo is None: return -errno.EINVAL                                  # "Can't find BO, offset is ..."
      if self.event_page is not None or self.kernel_event_page is not None: return -errno.EINVAL   # kfd_event_page_set: already set
      self.event_page = bo
      bo.alloc.view[:min(bo.size, K.KFD_SIGNAL_EVENT_LIMIT * 8)] = 0xFF
    t = a.event_type
    if t in (K.KFD_IOC_EVENT_SIGNAL, K.KFD_IOC_EVENT_DEBUG_EVENT):
      if self.event_page is None and self.kernel_event_page is None:
        self.kernel_event_page = Allocation(K.KFD_SIGNAL_EVENT_LIMIT * 8, "amd-events", "events")
        self.kernel_event_page.view[:] = 0xFF
      slots = (self.event_page.size if self.event_page else K.KFD_SIGNAL_EVENT_LIMIT * 8) // 8
      used = {e.slot for e in self.events.values() if e.slot is not None}
      slot = next((i for i in range(slots) if i not in used), None)
      if slot is None: return -errno.ENOSPC                                # create_signal_event: "Signal event wasn't created because limit was reached"
      ev = Event(slot, t, bool(a.auto_reset), slot)
      self._slots()[slot] = UNSIGNALED
      a.event_page_offset = 0 if self.event_page else (MMAP_TYPE_EVENTS | (I.GPU_ID << MMAP_GPU_ID_SHIFT))
      a.event_slot_index = slot
    elif t in (K.KFD_IOC_EVENT_NODECHANGE, K.KFD_IOC_EVENT_DEVICESTATECHANGE, K.KFD_IOC_EVENT_HW_EXCEPTION,
               K.KFD_IOC_EVENT_SYSTEM_EVENT, K.KFD_IOC_EVENT_PROFILE_EVENT, K.KFD_IOC_EVENT_QUEUE_EVENT, K.KFD_IOC_EVENT_MEMORY):
      ev = Event(self.next_other, t, bool(a.auto_reset), None); self.next_other += 1
    else: return -errno.EINVAL                                             # kfd_event_create: "default: ret = -EINVAL"
    self.events[ev.id] = ev
    a.event_id, a.event_trigger_data = ev.id, ev.id
    return 0

  def _slots(self) -> np.ndarray:
    a = self.event_page.alloc if self.event_page else self.kernel_event_page
    return a.view[:(a.size // 8) * 8].view(np.uint64)

  def ioc_destroy_event(self, a):
    with self.cond:
      if self.events.pop(a.event_id, None) is None: return -errno.EINVAL  # kfd_event_destroy: lookup fails
    return 0
  def ioc_set_event(self, a):
    with self.cond:
      ev = self.events.get(a.event_id)
      if ev is None: return -errno.EINVAL                                  # kfd_set_event: lookup fails
      if ev.type not in (K.KFD_IOC_EVENT_SIGNAL, K.KFD_IOC_EVENT_DEBUG_EVENT): return -errno.EINVAL   # event_can_be_cpu_signaled
      ev.signaled = True; self.cond.notify_all()
    return 0
  def ioc_reset_event(self, a):
    with self.cond:
      ev = self.events.get(a.event_id)
      if ev is None: return -errno.EINVAL                                  # kfd_reset_event
      if ev.type not in (K.KFD_IOC_EVENT_SIGNAL, K.KFD_IOC_EVENT_DEBUG_EVENT): return -errno.EINVAL
      ev.signaled = False
    return 0

  def signal_interrupt(self, ctxid: int) -> None:
    """kfd_signal_event_interrupt: the id from the interrupt names the event; otherwise every slot that is no longer
    UNSIGNALED signals its event (the GPU thread calls this for RELEASE_MEM int_sel and SDMA TRAP)"""
    with self.cond:
      ev = self.events.get(ctxid)
      if ev is not None and ev.type in (K.KFD_IOC_EVENT_SIGNAL, K.KFD_IOC_EVENT_DEBUG_EVENT): ev.signaled = True
      elif self.event_page is not None or self.kernel_event_page is not None:
        s = self._slots()
        for e in self.events.values():
          if e.slot is not None and e.slot < len(s) and s[e.slot] != UNSIGNALED: e.signaled = True
      self.cond.notify_all()

  def signal_exception(self, etype: int, data: dict) -> None:
    """a VM fault (MEMORY events) or a GPU reset (HW_EXCEPTION events): kfd_signal_vm_fault_event / kfd_signal_reset_event"""
    with self.cond:
      for e in self.events.values():
        if e.type == etype: e.signaled, e.data = True, data
      self.cond.notify_all()

  def ioc_wait_events(self, a):
    """kfd_wait_on_events: every id must exist (-EINVAL); returns 0 with wait_result COMPLETE or TIMEOUT; the signaled events'
    exception data are copied back (copy_signaled_event_data)"""
    if a.num_events and not a.events_ptr: return -errno.EFAULT
    if a.num_events > K.KFD_SIGNAL_EVENT_LIMIT: return -errno.EINVAL
    data = ffi.cast("struct kfd_event_data *", a.events_ptr)
    ids = [data[i].event_id for i in range(a.num_events)]
    with self.cond:
      if any(i not in self.events for i in ids): return -errno.EINVAL       # init_event_waiter: lookup fails
    deadline = time.monotonic() + (a.timeout / 1000 if a.timeout != 0xFFFFFFFF else 3600)
    self.m.lock.release()
    try:
      with self.cond:
        while True:
          evs = [self.events.get(i) for i in ids]
          hit = [e for e in evs if e is not None and e.signaled]
          done = (len(hit) == len(evs)) if a.wait_for_all else bool(hit)
          left = deadline - time.monotonic()
          if done or left <= 0 or self.m.dead: break
          self.cond.wait(min(left, 0.05))
        for i, e in enumerate(evs):
          if e is None or not e.signaled: continue
          if e.data and e.type == K.KFD_IOC_EVENT_MEMORY:
            md = data[i].memory_exception_data
            md.gpu_id, md.va, md.failure.NotPresent, md.failure.ReadOnly = I.GPU_ID, e.data["va"], int(e.data["not_present"]), int(e.data["read_only"])
            md.ErrorType = 0
          elif e.data and e.type == K.KFD_IOC_EVENT_HW_EXCEPTION:
            hd = data[i].hw_exception_data
            hd.gpu_id, hd.reset_type, hd.reset_cause, hd.memory_lost = I.GPU_ID, 0, e.data.get("cause", 0), int(e.data.get("memory_lost", 0))
          if e.auto_reset and e.type in (K.KFD_IOC_EVENT_SIGNAL, K.KFD_IOC_EVENT_DEBUG_EVENT): e.signaled = False
        a.wait_result = K.KFD_IOC_WAIT_RESULT_COMPLETE if done else (K.KFD_IOC_WAIT_RESULT_FAIL if self.m.dead else K.KFD_IOC_WAIT_RESULT_TIMEOUT)
    finally: self.m.lock.acquire()
    return 0

  # --- queues (kfd_chardev.c set_queue_properties_from_user, kfd_queue.c kfd_queue_acquire_buffers)
  def ioc_create_queue(self, a):
    if (a.queue_percentage & 0xFF) > K.KFD_MAX_QUEUE_PERCENTAGE: return -errno.EINVAL   # "Queue percentage must be between 0 to ..."
    if a.queue_priority > K.KFD_MAX_QUEUE_PRIORITY: return -errno.EINVAL               # "Queue priority must be between 0 to ..."
    if a.ring_size and a.ring_size & (a.ring_size - 1): return -errno.EINVAL           # "Ring size must be a power of 2 or 0"
    if a.ring_size < MIN_RING: a.ring_size = MIN_RING                                  # "Ring size ... raised to the minimum"
    for va in (a.ring_base_address, a.read_pointer_address, a.write_pointer_address, a.eop_buffer_address, a.ctx_save_restore_address):
      if not self._readable(va): return -errno.EFAULT                                  # access_ok fails
    if a.queue_type not in QUEUE_TYPES: return -ENOTSUPP                               # "Unsupported queue type": -ENOTSUPP
    if not self._gpu_ok(a.gpu_id): return -errno.EINVAL                                # "Did not find gpu"
    if self.drm_fd is None: return -errno.EINVAL                                       # kfd_bind_process_to_device
    ring = self.vas.lookup(a.ring_base_address)
    if ring is None or a.ring_base_address + a.ring_size > ring.end: return -errno.EINVAL   # kfd_queue_buffer_get: ring BO not mapped
    if QUEUE_TYPES[a.queue_type] in ("compute", "aql"):
      if a.eop_buffer_address and a.eop_buffer_size != I.EOP_BUFFER_SIZE: return -errno.EINVAL   # "queue eop bo size ... not equal to node"
      if a.ctx_save_restore_address:
        if a.ctx_save_restore_size != I.CWSR_SIZE or a.ctl_stack_size != I.CTL_STACK_SIZE: return -errno.EINVAL   # "queue cwsr size ..."
        cw = self.vas.lookup(a.ctx_save_restore_address)
        need = (I.CWSR_SIZE + I.DEBUG_MEMORY_SIZE + PAGE - 1) // PAGE * PAGE
        if cw is None or a.ctx_save_restore_address + need > cw.end: return -errno.EINVAL
    for va in (a.read_pointer_address, a.write_pointer_address):
      if self.vas.lookup(va) is None and not self._host(va): return -errno.EINVAL
    live = [q for q in self.queues.values() if not q.dead]
    if len(live) >= 1024: return -errno.ENOSPC                                         # pqm_create_queue: queue_count >= max_queues
    if not self.m.gpu.mes_add_queue(self): return -errno.EIO                          # MES did not answer (kfd: -ETIME -> -EIO to user)
    qid = next(i for i in range(1024) if i not in self.queues)
    q = Queue(qid, a.queue_type, a, qid * 8)
    self.queues[qid] = q
    a.queue_id = qid
    a.doorbell_offset = MMAP_TYPE_DOORBELL | (I.GPU_ID << MMAP_GPU_ID_SHIFT) | q.doorbell_off
    self.doorbells.set_u64(q.doorbell_off, 0)
    self.m.gpu.add_queue(self, q)
    return 0

  def _host(self, va: int) -> bool: return va != 0

  def ioc_destroy_queue(self, a):
    q = self.queues.get(a.queue_id)
    if q is None: return -errno.EINVAL                                     # pqm_destroy_queue: "Queue id does not match any known queue"
    self.m.gpu.remove_queue(q)
    del self.queues[a.queue_id]
    if not self.m.gpu.mes_remove_queue(self): return -errno.ETIME          # remove_queue_mes: MES failed to respond -> -ETIME
    return 0

  def ioc_update_queue(self, a):
    if a.queue_percentage > K.KFD_MAX_QUEUE_PERCENTAGE: return -errno.EINVAL   # kfd_ioctl_update_queue
    if a.queue_priority > K.KFD_MAX_QUEUE_PRIORITY: return -errno.EINVAL
    if not self._readable(a.ring_base_address): return -errno.EFAULT
    if a.ring_size and a.ring_size & (a.ring_size - 1): return -errno.EINVAL
    q = self.queues.get(a.queue_id)
    if q is None: return -errno.EFAULT                                     # pqm_update_queue_properties: "No queue %d exists"
    q.ring, q.ring_size = a.ring_base_address, a.ring_size
    return 0

  # --- mmap on /dev/kfd (kfd_mmap: the type in the offset's top bits)
  def mmap_target(self, offset: int, length: int):
    t, gpu = offset & (3 << 62), (offset >> MMAP_GPU_ID_SHIFT) & 0xFFFF
    if t == MMAP_TYPE_DOORBELL:
      if gpu != I.GPU_ID: return -errno.EINVAL
      if length != I.DOORBELL_SLICE: return -errno.EINVAL                  # kfd_doorbell_mmap: size != process slice
      return self.doorbells.fd, 0
    if t == MMAP_TYPE_EVENTS:
      if self.kernel_event_page is None: return -errno.EINVAL              # kfd_event_mmap: "Signal page is NULL"
      if length > self.kernel_event_page.size: return -errno.EINVAL
      return self.kernel_event_page.fd, 0
    if t == MMAP_TYPE_MMIO:
      if gpu != I.GPU_ID or length != PAGE: return -errno.EINVAL           # kfd_mmio_mmap: "size != PAGE_SIZE"
      return self.mmio.fd, 0
    return -errno.EFAULT                                                   # kfd_mmap default: -EFAULT
