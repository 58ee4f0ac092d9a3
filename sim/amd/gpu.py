"""The simulated AMD GPU: a command processor thread that polls every user queue's write pointer (the doorbell page is plain
memory, as on hardware the doorbell write only wakes the MEC) and runs PM4 (compute), AQL (compute_aql) and SDMA packets.
Packet layouts: the gfx11 PM4 spec as tinygrad's pm4_nv / Linux's nvd.h define them, AQL from hsa.h, SDMA from sdma_v6_0
(sdma_v6_0_0_pkt_open.h). Faults and resets write the lines amdgpu prints (gmc_v11_0.c, amdgpu_job.c, amdgpu_mes.c)."""
from __future__ import annotations
import os, threading, time, traceback
from hwrt.errors import GPUFault
from hwrt.helpers import DEBUG
from hwrt.ioctl import kfd as K
from hwrt.sim import kmsg
from hwrt.sim.memory import GPUMemory, MMUFault
from hwrt.sim.amd import identity as I
from hwrt.sim.amd import mes

# PM4 opcodes (PACKET3_*) and the gfx11 registers the CP reads at DISPATCH_DIRECT (gc_11_0_0_offset.h + SH base 0x2c00)
NOP, SET_SH_REG, SET_UCONFIG_REG, ACQUIRE_MEM, RELEASE_MEM, WAIT_REG_MEM = 0x10, 0x76, 0x79, 0x58, 0x49, 0x3C
DISPATCH_DIRECT, INDIRECT_BUFFER, EVENT_WRITE, COPY_DATA, WRITE_DATA, PRED_EXEC = 0x15, 0x3F, 0x46, 0x40, 0x37, 0x23
REG = dict(PGM_LO=0x2E0C, PGM_HI=0x2E0D, RSRC1=0x2E12, RSRC2=0x2E13, RSRC3=0x2E28, TMPRING=0x2E18, SCRATCH_LO=0x2E10,
           SCRATCH_HI=0x2E11, START_X=0x2E04, NUM_THREAD_X=0x2E07, USER_DATA_0=0x2E40)
HDP_FLUSH_REQ, HDP_FLUSH_DONE = 0xE26, 0xE27            # NBIO 4.3 BIF_BX_PF0_GPU_HDP_FLUSH_REQ/DONE
SDMA_NOP, SDMA_COPY, SDMA_WRITE, SDMA_INDIRECT, SDMA_FENCE, SDMA_TRAP, SDMA_POLL, SDMA_FILL, SDMA_TIMESTAMP, SDMA_GCR = 0, 1, 2, 4, 5, 6, 8, 11, 13, 17
AQL_VENDOR, AQL_INVALID, AQL_DISPATCH, AQL_BARRIER_AND, AQL_BARRIER_OR = 0, 1, 2, 3, 5
RING_NAMES = {"compute": "comp_1.0.0", "aql": "comp_1.0.0", "sdma": "sdma0"}
WAIT_FN = {0: lambda v, r: True, 1: lambda v, r: v < r, 2: lambda v, r: v <= r, 3: lambda v, r: v == r, 4: lambda v, r: v != r,
           5: lambda v, r: v >= r, 6: lambda v, r: v > r}

class Stall(Exception):
  """Internal: this queue waits (WAIT_REG_MEM / POLL_REGMEM / barrier not satisfied); retry on the next poll."""

class GPU:
  def __init__(self, machine):
    self.m = machine
    self.lock = threading.RLock()
    self.run_lock = threading.Lock()
    self.stop_ev = threading.Event()
    self.queues: list = []                   # (kfd, Queue)
    self.regs: dict[int, int] = {}
    self.launches = 0
    self.pending_free: list = []
    self.kernel_timeout_s = float(machine.opts.get("kernel_timeout_s", 10))
    self.errors: list[dict] = []
    self.thread = threading.Thread(target=self._loop, name="hwrt-sim-amd-cp", daemon=True)
    self.thread.start()

  def new_vaspace(self) -> GPUMemory: return GPUMemory("amd-gpuvm")
  def close(self) -> None:
    self.stop_ev.set()
    if self.thread.is_alive() and self.thread is not threading.current_thread(): self.thread.join(timeout=5)
  def add_queue(self, kfd, q) -> None:
    with self.lock: self.queues.append((kfd, q))
  def remove_queue(self, q) -> None:
    q.dead = True
    with self.run_lock, self.lock: self.queues = [(k, x) for k, x in self.queues if x is not q]
  def after_idle(self, fn) -> None:
    with self.lock: self.pending_free.append(fn)
  def mes_add_queue(self, kfd) -> bool: return mes.add_queue(self, kfd)
  def mes_remove_queue(self, kfd) -> bool: return mes.remove_queue(self, kfd)

  # --- the poll loop
  def _loop(self) -> None:
    idle = 0
    while not self.stop_ev.is_set():
      try:
        if self.m.plan.panic_due(): self.m.panic("panic@after (HWRT_SIM_FAULTS)"); return
        worked = False
        with self.lock: qs = list(self.queues)
        for kfd, q in qs:
          if q.dead or q.hung: continue
          with self.run_lock:
            if q.dead: continue
            worked |= self.run_queue(kfd, q)
        if not worked:
          with self.lock: frees, self.pending_free = self.pending_free, []
          for fn in frees: fn()
        mes.poll(self)
      except Exception as e:                 # never let the CP thread die silently
        if DEBUG: traceback.print_exc()
        kmsg.log(f"amdgpu {I.PCI_BDF}: amdgpu: hwrt-sim CP error: {type(e).__name__}: {e}", prio=3)
      idle = 0 if worked else min(idle + 1, 50)
      time.sleep(0 if idle < 3 else 0.00005 * idle)

  def run_queue(self, kfd, q) -> bool:
    vas = kfd.vas
    try:
      if q.type == "sdma": return self._sdma(kfd, q, vas)
      if q.type == "aql": return self._aql(kfd, q, vas)
      return self._pm4_ring(kfd, q, vas)
    except Stall: return False
    except MMUFault as f: self.vm_fault(kfd, q, f); return True
    except GPUFault as f: self.queue_error(kfd, q, str(f)); return True
    except Exception as e:                                   # a simulator bug: this queue stops with the reason, others go on
      if DEBUG or os.environ.get("HWRT_SIM_TRACEBACK"): traceback.print_exc()
      tb = traceback.extract_tb(e.__traceback__)[-1]
      self.queue_error(kfd, q, f"simulator error {type(e).__name__}: {e} ({os.path.basename(tb.filename)}:{tb.lineno})"); return True

  # --- PM4
  def _pm4_ring(self, kfd, q, vas) -> bool:
    wptr = vas.read_u64(q.wptr_va)
    if q.rptr == wptr and not q.frames: return False
    ndw = q.ring_size // 4
    self._resume_frames(kfd, q, vas)
    while q.rptr < wptr:
      q.rptr = self._pm4(kfd, q, vas, lambda i: vas.read_u32(q.ring + 4 * (i % ndw)), q.rptr, wptr, None)
      vas.write_u64(q.rptr_va, q.rptr)
    return True

  def _resume_frames(self, kfd, q, vas) -> None:
    """finish the indirect buffers a stalled packet left (innermost first); each frame's parent already points past it"""
    while q.frames:
      k = len(q.frames) - 1
      va, n, pos = q.frames[k]
      self._pm4(kfd, q, vas, lambda i, va=va: vas.read_u32(va + 4 * i), pos, n, k)
      q.frames.pop()

  def _pm4(self, kfd, q, vas, fetch, pos, end, frame) -> int:
    """run packets [pos, end) of the ring (frame None) or of indirect buffer q.frames[frame]; a Stall records where to resume"""
    while pos < end:
      hdr = fetch(pos)
      t = hdr >> 30
      if t == 2: pos += 1; continue                            # type-2 filler
      if t != 3: raise GPUFault(f"PM4 type-{t} packet header {hdr:#010x} at dword {pos} of the {q.type} queue")
      op, n = (hdr >> 8) & 0xFF, ((hdr >> 16) & 0x3FFF) + 1
      body = [fetch(pos + 1 + i) for i in range(n)] if op != NOP else []
      try: self._packet(kfd, q, vas, op, body, n)
      except Stall:
        resume = pos + 1 + n if op == INDIRECT_BUFFER else pos
        if frame is not None: q.frames[frame] = (q.frames[frame][0], q.frames[frame][1], resume)
        else: q.rptr = resume; vas.write_u64(q.rptr_va, resume)
        raise
      pos += 1 + n
    return pos

  def _packet(self, kfd, q, vas, op, b, n) -> None:
    if op in (NOP, ACQUIRE_MEM, EVENT_WRITE, PRED_EXEC): return
    if op == SET_SH_REG or op == SET_UCONFIG_REG:
      base = (0x2C00 if op == SET_SH_REG else 0xC000) + b[0]
      for i, v in enumerate(b[1:]): q.sh[base + i] = v
      return
    if op == RELEASE_MEM:
      data_sel, int_sel = (b[1] >> 29) & 7, (b[1] >> 24) & 7
      addr = b[2] | (b[3] << 32)
      if getattr(q, "drop_next", False) and data_sel: q.drop_next = False; return
      if data_sel == 1: vas.write_u32(addr, b[4])
      elif data_sel == 2: vas.write_u64(addr, b[4] | (b[5] << 32))
      elif data_sel == 3: vas.write_u64(addr, time.monotonic_ns() // 10)
      if int_sel: kfd.signal_interrupt(b[6] if n > 6 else 0)
      return
    if op == WAIT_REG_MEM:
      fn, mem, oper = b[0] & 7, (b[0] >> 4) & 1, (b[0] >> 6) & 3
      if mem: v = vas.read_u32((b[1] & ~3) | (b[2] << 32))
      else:
        if oper == 1: self.regs[b[2]] = self.regs.get(b[2], 0) | b[3]   # write-then-wait: the HDP flush completes at once
        v = self.regs.get(b[2] if oper == 1 else b[1], 0)
      if not WAIT_FN[fn](v & b[4], b[3] & b[4]): raise Stall()
      return
    if op == WRITE_DATA:
      addr = b[1] | (b[2] << 32)
      for i, v in enumerate(b[3:]): vas.write_u32(addr + 4 * i, v)
      return
    if op == COPY_DATA:
      src_sel, dst_sel, wide = b[0] & 0xF, (b[0] >> 8) & 0xF, (b[0] >> 16) & 1
      src = b[1] | (b[2] << 32)
      v = src if src_sel == 5 else time.monotonic_ns() // 10 if src_sel in (9, 10) else self.regs.get(b[1], 0) if src_sel == 0 \
          else (vas.read_u64(src) if wide else vas.read_u32(src))
      dst = b[3] | (b[4] << 32)
      if dst_sel == 0: self.regs[b[3]] = v & 0xFFFFFFFF
      else: (vas.write_u64 if wide else vas.write_u32)(dst, v)
      return
    if op == INDIRECT_BUFFER:
      va, size = (b[0] & ~3) | ((b[1] & 0xFFFF) << 32), b[2] & 0xFFFFF
      q.frames.append((va, size, 0))
      self._pm4(kfd, q, vas, lambda i: vas.read_u32(va + 4 * i), 0, size, len(q.frames) - 1)
      q.frames.pop()
      return
    if op == DISPATCH_DIRECT:
      self.dispatch(kfd, q, vas, (b[0], b[1], b[2]), b[3])
      return
    raise GPUFault(f"unimplemented PM4 packet opcode {op:#x} on the {q.type} queue")

  def dispatch(self, kfd, q, vas, grid, initiator) -> None:
    from hwrt.sim.rdna3_exec import Dispatch
    r = q.sh
    pgm = ((r.get(REG["PGM_LO"], 0) | (r.get(REG["PGM_HI"], 0) << 32)) << 8)
    user = [r.get(REG["USER_DATA_0"] + i, 0) for i in range(16)]
    local = tuple(max(1, r.get(REG["NUM_THREAD_X"] + i, 1)) for i in range(3))
    scratch = ((r.get(REG["SCRATCH_LO"], 0) | (r.get(REG["SCRATCH_HI"], 0) << 32)) << 8)
    wave32 = bool(initiator & (1 << 15))                       # COMPUTE_DISPATCH_INITIATOR.CS_W32_EN
    self._launch(kfd, q, lambda: Dispatch(vas, pgm, r.get(REG["RSRC1"], 0), r.get(REG["RSRC2"], 0), user, grid, local,
                                          wave32, scratch=scratch, deadline=self.kernel_timeout_s).run())

  def _launch(self, kfd, q, run) -> None:
    self.launches += 1
    inj = self.m.plan.on_launch(self.launches)
    if inj == "panic": self.m.panic(f"panic@launch={self.launches} (HWRT_SIM_FAULTS)"); raise Stall()
    if inj == "hang": self.hang(kfd, q); raise Stall()
    if inj == "fault": raise MMUFault(0xDEAD0000 + 0x1000 * self.launches, False)
    if inj == "drop_signal": q.drop_next = True
    run()

  # --- AQL (hsa.h packets; read_dispatch_id / write_dispatch_id in the amd_queue_t)
  def _aql(self, kfd, q, vas) -> bool:
    wptr = vas.read_u64(q.wptr_va)
    slots, worked = q.ring_size // 64, False
    while q.rptr < wptr:
      pkt = q.ring + 64 * (q.rptr % slots)
      hdr = vas.read_u32(pkt) & 0xFFFF
      typ = hdr & 0xFF
      if q.frames: self._resume_frames(kfd, q, vas)            # a vendor (PM4 IB) packet that stalled: finish it
      elif typ == AQL_INVALID: break
      elif typ == AQL_DISPATCH: self._aql_dispatch(kfd, q, vas, pkt)
      elif typ in (AQL_BARRIER_AND, AQL_BARRIER_OR):
        deps = [vas.read_u64(pkt + 8 + 8 * i) for i in range(5)]
        ok = [vas.read_u64(d + 8) == 0 for d in deps if d]
        if ok and not (all(ok) if typ == AQL_BARRIER_AND else any(ok)): raise Stall()
      elif typ == AQL_VENDOR:
        ib = [vas.read_u32(pkt + 4 + 4 * i) for i in range(4)]     # hsa_ext_amd_aql_pm4_ib_packet_t.pm4_ib_command
        if (ib[0] >> 8) & 0xFF != INDIRECT_BUFFER: raise GPUFault(f"AQL vendor packet without a PM4 INDIRECT_BUFFER ({ib[0]:#x})")
        self._packet(kfd, q, vas, INDIRECT_BUFFER, ib[1:], 3)
      else: raise GPUFault(f"AQL packet type {typ} at slot {q.rptr % slots} is not supported")
      sig = vas.read_u64(pkt + 56)
      if sig: self._signal_done(kfd, vas, sig)
      vas.write_u32(pkt, (vas.read_u32(pkt) & 0xFFFF0000) | AQL_INVALID)
      q.rptr += 1; worked = True
      vas.write_u64(q.rptr_va, q.rptr)
    return worked

  def _signal_done(self, kfd, vas, sig) -> None:
    """amd_signal_t: value at +8 decremented; a mailbox (+16) gets the event id (+24) and an interrupt"""
    vas.write_u64(sig + 8, (vas.read_u64(sig + 8) - 1) & (2**64 - 1))
    mb = vas.read_u64(sig + 16)
    if mb:
      eid = vas.read_u32(sig + 24); vas.write_u32(mb, eid); kfd.signal_interrupt(eid)

  def _aql_dispatch(self, kfd, q, vas, pkt) -> None:
    from hwrt.sim.rdna3_exec import Dispatch, user_sgprs_from_kd
    raw = vas.read(pkt, 64)
    u16 = lambda o: int.from_bytes(raw[o:o + 2], "little")
    u32 = lambda o: int.from_bytes(raw[o:o + 4], "little")
    u64 = lambda o: int.from_bytes(raw[o:o + 8], "little")
    local = (max(1, u16(4)), max(1, u16(6)), max(1, u16(8)))
    grid = tuple(-(-u32(12 + 4 * i) // local[i]) for i in range(3))
    kd_va, kernarg = u64(32), u64(40)
    kd = vas.read(kd_va, 64)
    entry = kd_va + int.from_bytes(kd[16:24], "little", signed=True)
    rsrc1, rsrc2 = int.from_bytes(kd[48:52], "little"), int.from_bytes(kd[52:56], "little")
    props = int.from_bytes(kd[56:58], "little")
    user = user_sgprs_from_kd(props, kernarg, pkt, q.ring)
    self._launch(kfd, q, lambda: Dispatch(vas, entry, rsrc1, rsrc2, user, grid, local, bool(props & 0x400),
                                          deadline=self.kernel_timeout_s).run())

  # --- SDMA (byte-granular rptr/wptr)
  def _sdma(self, kfd, q, vas) -> bool:
    wptr = vas.read_u64(q.wptr_va)
    if q.rptr == wptr: return False
    while q.rptr < wptr:
      pos = q.rptr
      rd = lambda i: vas.read_u32(q.ring + (pos + 4 * i) % q.ring_size)
      n = self._sdma_packet(kfd, q, vas, rd)
      q.rptr = pos + 4 * n
      vas.write_u64(q.rptr_va, q.rptr)
    return True

  def _sdma_packet(self, kfd, q, vas, rd) -> int:
    h = rd(0); op, sub = h & 0xFF, (h >> 8) & 0xFF
    if op == SDMA_NOP: return 1 + ((h >> 16) & 0x3FFF)
    if op == SDMA_COPY and sub == 0:
      n = (rd(1) & 0x3FFFFFFF) + 1
      src, dst = rd(3) | (rd(4) << 32), rd(5) | (rd(6) << 32)
      vas.write(dst, vas.read(src, n)); return 7
    if op == SDMA_WRITE:
      dst, cnt = rd(1) | (rd(2) << 32), (rd(3) & 0xFFFFF) + 1
      for i in range(cnt): vas.write_u32(dst + 4 * i, rd(4 + i))
      return 4 + cnt
    if op == SDMA_FENCE:
      if getattr(q, "drop_next", False): q.drop_next = False
      else: vas.write_u32(rd(1) | (rd(2) << 32), rd(3))
      return 4
    if op == SDMA_TRAP: kfd.signal_interrupt(rd(1) & 0xFFFFFFF); return 2
    if op == SDMA_POLL:
      fn = (h >> 28) & 7
      v = vas.read_u32(rd(1) | (rd(2) << 32))
      if not WAIT_FN[fn](v & rd(4), rd(3) & rd(4)): raise Stall()
      return 6
    if op == SDMA_TIMESTAMP: vas.write_u64(rd(1) | (rd(2) << 32), time.monotonic_ns() // 10); return 3
    if op == SDMA_FILL:
      dst, data, cnt = rd(1) | (rd(2) << 32), rd(3), (rd(4) & 0x3FFFFFFF) + 1
      vas.write(dst, data.to_bytes(4, "little") * (cnt // 4)); return 5
    if op == SDMA_GCR: return 5
    raise GPUFault(f"unimplemented SDMA packet op {op} sub-op {sub}")

  # --- faults, hangs, resets (formats of gmc_v11_0_process_interrupt, amdgpu_job_timedout, amdgpu_device_gpu_recover)
  def vm_fault(self, kfd, q, f: MMUFault) -> None:
    from hwrt.sim.amd import comm
    name, pid = comm(), os.getpid()
    status = 0x00800000 | (0x8 << 1) | (1 if f.kind != "FAULT_RO_VIOLATION" else 0) | (int(f.write) << 18)
    lines = [f"amdgpu {I.PCI_BDF}: amdgpu: [gfxhub] page fault (src_id:0 ring:24 vmid:8 pasid:32770, for process {name} pid {pid} "
             f"thread {name} pid {pid})",
             f"amdgpu {I.PCI_BDF}: amdgpu:   in page starting at address 0x{f.va & ~0xFFF:016x} from client 0x1b (UTCL2)",
             f"amdgpu {I.PCI_BDF}: amdgpu: GCVM_L2_PROTECTION_FAULT_STATUS:0x{status:08X}",
             f"amdgpu {I.PCI_BDF}: amdgpu: \t Faulty UTCL2 client ID: TCP (0x8)",
             f"amdgpu {I.PCI_BDF}: amdgpu: \t MORE_FAULTS: 0x0", f"amdgpu {I.PCI_BDF}: amdgpu: \t WALKER_ERROR: 0x0",
             f"amdgpu {I.PCI_BDF}: amdgpu: \t PERMISSION_FAULTS: 0x{0x3 if f.kind == 'FAULT_RO_VIOLATION' else 0:x}",
             f"amdgpu {I.PCI_BDF}: amdgpu: \t MAPPING_ERROR: 0x{int(f.kind != 'FAULT_RO_VIOLATION'):x}",
             f"amdgpu {I.PCI_BDF}: amdgpu: \t RW: 0x{int(f.write):x}"]
    for line in lines: kmsg.log(line, prio=3)
    self.errors.append({"kind": "vm_fault", "va": f.va, "write": f.write, "queue": q.id, "detail": str(f)})
    q.hung, q.error = True, str(f)
    kfd.signal_exception(K.KFD_IOC_EVENT_MEMORY, {"va": f.va & ~0xFFF, "not_present": f.kind != "FAULT_RO_VIOLATION",
                                                  "read_only": f.kind == "FAULT_RO_VIOLATION"})

  def queue_error(self, kfd, q, msg: str) -> None:
    """a wave/packet error the CP cannot go on from (an unimplemented instruction is a GPU fault): the queue stops, its process
    gets the HW exception event, the log says why"""
    kmsg.log(f"amdgpu {I.PCI_BDF}: amdgpu: hwrt-sim: {RING_NAMES[q.type]} queue {q.id} of pid {q.pid}: {msg}", prio=3)
    self.errors.append({"kind": "queue_error", "queue": q.id, "detail": msg})
    q.hung, q.error = True, msg
    kfd.signal_exception(K.KFD_IOC_EVENT_HW_EXCEPTION, {"cause": 1, "memory_lost": False})

  def hang(self, kfd, q) -> None:
    """the queue stops making progress; after the timeout amdgpu's job watchdog resets it and, failing that, the GPU"""
    q.hung = True
    def later():
      if self.stop_ev.wait(min(self.kernel_timeout_s, 2.0)): return
      self.reset(f"ring {RING_NAMES[q.type]} timeout", q)
    threading.Thread(target=later, daemon=True, name="hwrt-sim-amd-watchdog").start()

  def reset(self, why: str, q=None, mode1: bool = False) -> None:
    from hwrt.sim.amd import comm
    pre = f"amdgpu {I.PCI_BDF}: amdgpu:"
    lines = []
    if q is not None:
      lines += [f"{pre} {why}, signaled seq={self.launches - 1}, emitted seq={self.launches}",
                f"{pre}  Process {comm()} pid {q.pid} thread {comm()} pid {q.pid}"]
    lines += [f"{pre} GPU reset begin!"] + ([f"{pre} MODE1 reset"] if mode1 else []) + [f"{pre} GPU reset succeeded, trying to resume",
              f"{pre} GPU reset(1) succeeded!"]
    for line in lines: kmsg.log(line, prio=3)
    self.errors.append({"kind": "reset", "detail": why})
    with self.lock: qs = list(self.queues)
    for kfd, x in qs:
      x.hung, x.error = True, why
      kfd.signal_exception(K.KFD_IOC_EVENT_HW_EXCEPTION, {"cause": 0, "memory_lost": mode1})
