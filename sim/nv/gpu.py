"""The simulated NVIDIA GPU: a host (PBDMA) engine that polls the usermode doorbell as hardware does, walks each channel's
GPFIFO from USERD GP_GET to GP_PUT, decodes pushbuffer method headers and dispatches host (C86F), compute (CBC0/C6C0/...,
QMD launch) and copy (C8B5/...) methods; semaphores with 64-bit payloads; RC (robust channel) errors write the channel's error
notifier and an Xid line in the simulated kmsg. All layouts come from hwrt.ioctl.nv_hw, which the driver uses too."""
from __future__ import annotations
import os, threading, time, traceback
from dataclasses import dataclass, field
from hwrt.ioctl import nv, nv_hw as hw
from hwrt.errors import GPUFault, GPUTimeout, Unimplemented
from hwrt.helpers import Deadline, DEBUG
from hwrt.sim import kmsg
from hwrt.sim.memory import Allocation, GPUMemory, MMUFault
from hwrt.sim.nv.launch import KernelLaunch, get_executor

# Xid codes (src/common/sdk/nvidia/inc/nverror.h ROBUST_CHANNEL_*)
SUBC_COMPUTE_CLASSES = {getattr(nv, r.compute) for r in nv.iface.rm_chips.values()}   # every generation's compute class
XID_GR_EXCEPTION, XID_MMU_FAULT, XID_PBDMA_ERROR, XID_RESETCHANNEL_VERIF, XID_GR_CLASS_ERROR = 13, 31, 32, 43, 69
PCI_BUS = "0000:01:00"

@dataclass
class Channel:
  """Engine-side state of one GPFIFO channel (the RM object owns one)."""
  chid: int
  token: int                      # work-submit token (doorbell value)
  vas: GPUMemory                  # VA space the channel's engines translate through
  gpfifo_va: int
  entries: int
  userd: Allocation
  userd_off: int
  notifier: Allocation | None     # hObjectError memory (NvNotification[...])
  notifier_off: int = 0
  gpfifo_class: int = 0xC86F
  engine_objects: dict = field(default_factory=dict)   # class id -> RM handle, for SET_OBJECT checks
  pid: int = field(default_factory=os.getpid)
  scheduled: bool = False
  rc: int = 0                     # Xid of the error that removed it from scheduling (0 = healthy)
  hung: bool = False
  subch: dict = field(default_factory=dict)           # subchannel -> bound class
  state: dict = field(default_factory=dict)           # (subch, method) -> last value
  pos: tuple | None = None        # (gp_get, dword index) to resume a segment stalled on an acquire / in-flight launch
  stall: object = None            # callable -> bool (True when the stall is over), checked each poll
  inline_qmd: list = field(default_factory=list)
  i2m: dict = field(default_factory=dict)
  drop_next_release: bool = False
  kick: bool = False              # set when scheduling is enabled: pending work runs without another doorbell
  pb_ext: int = 0                 # SET_PB_SEGMENT_EXTENDED_BASE (GPFIFO control entry, opcode 4)
  nonstall: int = 0
  def gp_get(self) -> int: return self.userd.u32(self.userd_off + hw.USERD_GP_GET)
  def gp_put(self) -> int: return self.userd.u32(self.userd_off + hw.USERD_GP_PUT)
  def busy(self) -> bool: return self.userd.fd >= 0 and not self.rc and not self.hung and (self.pos is not None or self.gp_get() != self.gp_put() % max(self.entries, 1))

class Stop(Exception):
  """Internal: stop processing this channel now (stalled, hung or RC'd)."""

class ChannelDeadline(Deadline):
  """A kernel's deadline that also expires when its channel is descheduled (freed / preempted)."""
  def __init__(self, seconds: float, ch):
    super().__init__(seconds); self.ch = ch
  def expired(self) -> bool: return not self.ch.scheduled or super().expired()

class GPU:
  def __init__(self, machine):
    self.m, self.ident = machine, machine.identity
    self.usermode = Allocation(hw.USERMODE_SIZE, "nv-usermode", "bar0")
    self.channels: dict[int, Channel] = {}
    self.run_lock = threading.Lock()            # held while the engine runs a channel; remove_channel waits on it
    self.lock = threading.RLock()
    self.stop_ev = threading.Event()
    self.launches = 0
    self.inflight_s = float(machine.opts.get("inflight_ms", 50)) / 1000
    self.kernel_timeout_s = float(machine.opts.get("kernel_timeout_s", 30))
    self.errors: list[dict] = []        # every RC error: {xid, chid, va, ...} (for RC_GET_ERROR_COUNT and tests)
    self.thread = threading.Thread(target=self._loop, name="hwrt-sim-nv-gpu", daemon=True)
    self.thread.start()

  # --- lifecycle
  def close(self) -> None:
    self.stop_ev.set()
    if self.thread.is_alive() and self.thread is not threading.current_thread(): self.thread.join(timeout=5)
    self.usermode.close()
  def add_channel(self, ch: Channel) -> None:
    with self.lock: self.channels[ch.chid] = ch
  def remove_channel(self, ch: Channel) -> None:
    """Preempt and unbind: once this returns the channel never runs again, even if the engine thread had already picked it
    up. Descheduling first makes a kernel running on it stop (ChannelDeadline), as RM's preemption of a freed channel does;
    then wait for the engine thread to leave the channel."""
    ch.scheduled = False
    with self.run_lock, self.lock: self.channels.pop(ch.chid, None)

  def fault_unfinished(self, vas: GPUMemory, va: int) -> None:
    """The free-in-flight bug: memory leaves the VA space at once, so every compute launch not yet retired on that VA space
    (queued, running, or in its in-flight window) faults on it — deterministically, whatever the thread timing."""
    with self.run_lock:
      with self.lock: chans = [c for c in self.channels.values() if c.vas is vas and c.scheduled and not c.rc and not c.hung
                               and (c.stall is not None or (c.busy() and SUBC_COMPUTE_CLASSES & set(c.engine_objects)))]
      for c in chans: self.rc(c, XID_MMU_FAULT, fault=MMUFault(va, False), engine="GRAPHICS")

  def idle_wait(self, vas: GPUMemory | None, seconds: float = 2.0) -> bool:
    """Wait until no healthy channel (of that VA space) has pending work; what a correct kernel does before freeing memory."""
    dl = Deadline(seconds)
    while not dl.expired():
      with self.lock: busy = [c for c in self.channels.values() if (vas is None or c.vas is vas) and c.scheduled and c.busy()]
      if not busy or self.stop_ev.is_set(): return True
      time.sleep(0.0005)
    return False

  # --- the poll loop (hardware polls; every wait here is bounded by the loop's own period)
  def _loop(self) -> None:
    idle = 0
    while not self.stop_ev.is_set():
      try:
        ns = time.monotonic_ns()
        self.usermode.set_u32(hw.USERMODE_TIME_0, ns & 0xFFFFFFFF); self.usermode.set_u32(hw.USERMODE_TIME_1, ns >> 32)
        if self.m.plan.panic_due(): self.m.panic("panic@after (HWRT_SIM_FAULTS)"); return
        rung = self.usermode.u32(hw.USERMODE_DOORBELL)
        if rung: self.usermode.set_u32(hw.USERMODE_DOORBELL, 0)   # clear before reading GP_PUT: a later ring is never lost
        with self.lock: chans = list(self.channels.values())
        worked = False
        for ch in chans:
          if ch.rc or ch.hung or not ch.scheduled: continue
          kick, ch.kick = ch.kick, False
          if ch.stall is not None or ((rung or kick) and ch.busy()):
            try:
              with self.run_lock:
                if ch.chid in self.channels and ch.scheduled: worked |= self._run(ch)
            except Exception as e:      # its memory was freed under it, or an engine bug: the channel stops, the GPU goes on
              ch.hung, ch.stall = True, None
              kmsg.log(f"hwrt-sim: channel {ch.chid} stopped: {type(e).__name__}: {e}", prio=4)
              if DEBUG: traceback.print_exc()
        idle = 0 if (rung or worked) else idle + 1
        time.sleep(0 if idle < 50 else 0.0002 if idle < 2000 else 0.001)
      except Exception as e:   # never let the engine thread die silently
        kmsg.log(f"hwrt-sim: GPU engine error: {type(e).__name__}: {e}", prio=4)
        if DEBUG: traceback.print_exc()
        time.sleep(0.01)

  def _run(self, ch: Channel) -> bool:
    """Process ch until GP_GET reaches GP_PUT or it stalls. Returns whether anything happened."""
    did = False
    if ch.stall is not None:
      if not ch.stall(): return False
      ch.stall = None; did = True
    try:
      while not ch.rc and not ch.hung:
        if ch.pos is not None: get, idx = ch.pos
        else:
          get = ch.gp_get()
          if get == ch.gp_put() % ch.entries: break
          idx = 0
        entry = ch.vas.read_u64(ch.gpfifo_va + get * hw.GP_ENTRY_SIZE)
        e = hw.gp_entry_decode(entry)
        if not e["length"] and e["opcode"] == hw.GP_OPCODE_SET_PB_SEGMENT_EXTENDED_BASE:
          ch.pb_ext = hw.getf(e["operand"], 24, 8)                      # VA bits 56:40 of the following segments
        if e["length"]:
          words = ch.vas.words(e["va"] | (ch.pb_ext << 40), e["length"])
          ch.pos = (get, idx)
          self._segment(ch, words, get, idx)
        ch.pos = None
        ch.userd.set_u32(ch.userd_off + hw.USERD_GP_GET, (get + 1) % ch.entries)
        did = True
    except Stop: did = True
    except MMUFault as f: self.rc(ch, XID_MMU_FAULT, fault=f, engine="HOST"); did = True
    return did

  def _segment(self, ch: Channel, w, get: int, start: int) -> None:
    i, n = start, len(w)
    while i < n:
      h = int(w[i]); op, sub, mthd, cnt = hw.header_decode(h)
      if h == 0: i += 1; continue                               # NVC36F_DMA_NOP
      if op == hw.SEC_OP_IMMD: args, i2 = [cnt], i + 1
      elif op in (hw.SEC_OP_INC, hw.SEC_OP_NON_INC, hw.SEC_OP_ONE_INC): args, i2 = [int(x) for x in w[i + 1:i + 1 + cnt]], i + 1 + cnt
      elif op == hw.SEC_OP_END_PB_SEGMENT: return
      else: self.rc(ch, XID_PBDMA_ERROR, detail=f"bad method header {h:#010x} at GP entry {get} dword {i}"); raise Stop
      if len(args) < (cnt if op != hw.SEC_OP_IMMD else 1):
        self.rc(ch, XID_PBDMA_ERROR, detail=f"method header {h:#010x} runs past the end of its segment"); raise Stop
      for k, a in enumerate(args):
        m = mthd + 4 * k if op == hw.SEC_OP_INC else mthd if op in (hw.SEC_OP_NON_INC, hw.SEC_OP_IMMD) else mthd + (4 if k else 0)
        ch.pos = (get, i2)                   # where to resume if this method stalls (it is retried from its header's end)
        if not self._method(ch, sub, m, a, resume=(get, i, k)):
          raise Stop
      i = i2

  # --- method dispatch; returns False when the channel must stop here (stall/RC)
  def _method(self, ch: Channel, sub: int, m: int, v: int, resume) -> bool:
    ch.state[(sub, m)] = v
    if m < hw.HOST_METHODS_END: return self._host(ch, sub, m, v, resume)
    cls = ch.subch.get(sub)
    if cls is None:
      self.rc(ch, XID_PBDMA_ERROR, detail=f"method {m:#x} on subchannel {sub} with no object bound"); return False
    if cls == self.ident.compute_class: return self._compute(ch, sub, m, v)
    if cls == self.ident.copy_class: return self._copy(ch, sub, m, v)
    return True

  def _host(self, ch, sub, m, v, resume) -> bool:
    if m == hw.HOST_SET_OBJECT:
      cls = v & 0xFFFF
      if cls not in ch.engine_objects:
        self.rc(ch, XID_GR_CLASS_ERROR, detail=f"SET_OBJECT class {cls:#06x} on subchannel {sub}: no such object on this channel")
        return False
      ch.subch[sub] = cls; return True
    if m == hw.HOST_SEM_EXECUTE:
      st = lambda x: ch.state.get((sub, x), 0)
      va = (st(hw.HOST_SEM_ADDR_LO) & 0xFFFFFFFC) | ((st(hw.HOST_SEM_ADDR_HI) & 0x1FFFFFF) << 32)
      payload = st(hw.HOST_SEM_PAYLOAD_LO) | (st(hw.HOST_SEM_PAYLOAD_HI) << 32)
      op, is64 = hw.getf(v, *hw.SEM_EXECUTE_OPERATION), hw.getf(v, *hw.SEM_EXECUTE_PAYLOAD_SIZE)
      if op == hw.SEM_OP_RELEASE:
        self.release(ch, va, payload, is64, timestamp=bool(hw.getf(v, *hw.SEM_EXECUTE_RELEASE_TIMESTAMP)))
        return True
      if op in (hw.SEM_OP_ACQUIRE, hw.SEM_OP_ACQ_STRICT_GEQ, hw.SEM_OP_ACQ_CIRC_GEQ, hw.SEM_OP_ACQ_AND, hw.SEM_OP_ACQ_NOR):
        def met():
          cur = ch.vas.read_u64(va) if is64 else ch.vas.read_u32(va)
          bits = 64 if is64 else 32; mask = (1 << bits) - 1; want = payload & mask
          if op == hw.SEM_OP_ACQUIRE: return cur == want
          if op == hw.SEM_OP_ACQ_STRICT_GEQ: return cur >= want
          if op == hw.SEM_OP_ACQ_CIRC_GEQ: return ((cur - want) & mask) < (1 << (bits - 1))
          if op == hw.SEM_OP_ACQ_AND: return (cur & want) != 0
          return (~(cur | want) & mask) != 0
        if met(): return True
        get, _, _ = resume
        ch.pos = (get, ch.pos[1])       # resume after this SEM_EXECUTE once the acquire is met
        def stall(met=met, ch=ch):
          try: return met()
          except MMUFault as f: self.rc(ch, XID_MMU_FAULT, fault=f, engine="HOST"); return False
        ch.stall = stall
        return False
      return True                        # REDUCTION: not modelled
    if m == hw.HOST_NON_STALL_INTERRUPT:
      ch.nonstall += 1; self.m.notify(ch, hw.NOTIFIERS_NONSTALL); return True
    if m == hw.HOST_SET_REFERENCE: ch.userd.set_u32(ch.userd_off + hw.USERD_REFERENCE, v); return True
    return True                          # NOP, WFI, MEM_OP_*, YIELD, legacy SEMAPHOREA-D: nothing to model

  def release(self, ch: Channel, va: int, payload: int, is64: bool, timestamp: bool = False) -> None:
    if ch.drop_next_release:
      ch.drop_next_release = False
      return                             # fault injection: this release is lost
    if is64: ch.vas.write_u64(va, payload)
    else: ch.vas.write_u32(va, payload)
    if timestamp: ch.vas.write_u64(va + 8, time.monotonic_ns())

  # --- compute class
  def _compute(self, ch, sub, m, v) -> bool:
    st = lambda x: ch.state.get((sub, x), 0)
    if m == hw.CBC0_SEND_SIGNALING_PCAS2_B:
      if hw.getf(v, *hw.PCAS_ACTION) in hw.PCAS_SCHEDULING_ACTIONS: return self.launch(ch, sub, st(hw.CBC0_SEND_PCAS_A) << 8)
      return True
    if m == hw.CBC0_SET_INLINE_QMD_ADDRESS_B: ch.inline_qmd = []; return True
    if hw.CBC0_LOAD_INLINE_QMD_DATA <= m < hw.CBC0_LOAD_INLINE_QMD_DATA + 96 * 4:
      ch.inline_qmd.append(v)
      size = 384 if hw.getf(st(hw.CBC0_SET_INLINE_QMD_ADDRESS_A), *hw.INLINE_QMD_ADDRESS_A_INLINE_SIZE) else 256
      if len(ch.inline_qmd) * 4 == size:
        a = st(hw.CBC0_SET_INLINE_QMD_ADDRESS_A)
        qva = ((hw.getf(a, *hw.INLINE_QMD_ADDRESS_A_SHIFTED8_UPPER) << 32) | st(hw.CBC0_SET_INLINE_QMD_ADDRESS_B)) << 8
        ch.vas.write(qva, b"".join(x.to_bytes(4, "little") for x in ch.inline_qmd)); ch.inline_qmd = []
        return self.launch(ch, sub, qva)
      return True
    if m == hw.CBC0_REPORT_SEMAPHORE_EXECUTE:
      if hw.getf(v, *hw.REPORT_SEMAPHORE_EXECUTE_OPERATION) == 0:
        va = (st(hw.CBC0_SET_REPORT_SEMAPHORE_ADDRESS_UPPER) << 32) | st(hw.CBC0_SET_REPORT_SEMAPHORE_ADDRESS_LOWER)
        payload = st(hw.CBC0_SET_REPORT_SEMAPHORE_PAYLOAD_LOWER) | (st(hw.CBC0_SET_REPORT_SEMAPHORE_PAYLOAD_UPPER) << 32)
        is64 = bool(hw.getf(v, *hw.REPORT_SEMAPHORE_EXECUTE_PAYLOAD_SIZE64))
        self._guard(ch, lambda: self.release(ch, va, payload, is64, timestamp=hw.getf(v, *hw.REPORT_SEMAPHORE_EXECUTE_STRUCTURE_SIZE) == 0), "GRAPHICS")
      return not ch.rc
    if m == hw.CBC0_SET_REPORT_SEMAPHORE_D:
      if hw.getf(v, 1, 0) == 0:
        va = ((st(hw.CBC0_SET_REPORT_SEMAPHORE_A) & 0x1FFFFFF) << 32) | st(hw.CBC0_SET_REPORT_SEMAPHORE_B)
        self._guard(ch, lambda: self.release(ch, va, st(hw.CBC0_SET_REPORT_SEMAPHORE_C), False, timestamp=not hw.getf(v, 28, 28)), "GRAPHICS")
      return not ch.rc
    if m == hw.CBC0_LAUNCH_DMA:
      ch.i2m = {"va": (st(hw.CBC0_OFFSET_OUT_UPPER) << 32) | st(hw.CBC0_OFFSET_OUT), "left": st(hw.CBC0_LINE_LENGTH_IN) * max(1, st(hw.CBC0_LINE_COUNT))}
      return True
    if m == hw.CBC0_LOAD_INLINE_DATA and ch.i2m.get("left", 0) > 0:
      n = min(4, ch.i2m["left"])
      self._guard(ch, lambda: ch.vas.write(ch.i2m["va"], v.to_bytes(4, "little")[:n]), "GRAPHICS")
      ch.i2m["va"] += n; ch.i2m["left"] -= n
      return not ch.rc
    return True

  def _guard(self, ch, fn, engine) -> None:
    try: fn()
    except MMUFault as f: self.rc(ch, XID_MMU_FAULT, fault=f, engine=engine)

  def read_launch(self, ch: Channel, sub: int, qva: int) -> tuple[KernelLaunch, bytes, str]:
    ver = self.ident.qmd_version
    raw = ch.vas.read(qva, hw.QMD_SIZE[ver])
    if ver != "V05_00":
      major = hw.qmd_major_of(raw)
      if major not in (3, 4) or (ver == "V03_00" and major != 3):
        raise GPUFault(f"QMD at {qva:#x} has QMD_MAJOR_VERSION {major}; {self.ident.name} takes {ver}", xid=XID_GR_CLASS_ERROR)
      ver = f"V0{major}_00"
    q = hw.qmd_decode(ver, raw)
    st = lambda x: ch.state.get((sub, x), 0)
    if ver == "V05_00":
      code = ((q["program_address_upper_shifted4"] << 32) | q["program_address_lower_shifted4"]) << 4
      grid, smem = (q["grid_width"], q["grid_height"], q["grid_depth"]), q["shared_memory_size_shifted7"] << 7
      local = (q["shader_local_memory_low_size_shifted4"] + q["shader_local_memory_high_size_shifted4"]) << 4
    elif ver == "V04_00":
      code = (q["program_address_upper"] << 32) | q["program_address_lower"]
      grid, smem = (q["grid_width"], q["grid_height"], q["grid_depth"]), q["shared_memory_size"]
      local = q["shader_local_memory_low_size"] + q["shader_local_memory_high_size"]
    else:
      code = (q["program_address_upper"] << 32) | q["program_address_lower"]
      grid, smem = (q["cta_raster_width"], q["cta_raster_height"], q["cta_raster_depth"]), q["shared_memory_size"]
      local = q["shader_local_memory_low_size"] + q["shader_local_memory_high_size"]
    cbs = {}
    for i in range(8):
      if not q.get(f"constant_buffer_valid_{i}"): continue
      if ver == "V03_00": va = (q[f"constant_buffer_addr_upper_{i}"] << 32) | q[f"constant_buffer_addr_lower_{i}"]
      else: va = ((q[f"constant_buffer_addr_upper_shifted6_{i}"] << 32) | q[f"constant_buffer_addr_lower_shifted6_{i}"]) << 6
      cbs[i] = (va, q[f"constant_buffer_size_shifted4_{i}"] << 4)
    regs = q.get("register_count", q.get("register_count_v", 0))
    launch = KernelLaunch(code, grid, (q["cta_thread_dimension0"], q["cta_thread_dimension1"], q["cta_thread_dimension2"]),
                          smem, local, regs, cbs, q["barrier_count"], sm_version=self.ident.sass_version, qmd_address=qva, qmd_version=ver,
                          shared_window=((st(hw.CBC0_SET_SHADER_SHARED_MEMORY_WINDOW_A) & 0x1FFFF) << 32) | st(hw.CBC0_SET_SHADER_SHARED_MEMORY_WINDOW_B),
                          local_window=((st(hw.CBC0_SET_SHADER_LOCAL_MEMORY_WINDOW_A) & 0x1FFFF) << 32) | st(hw.CBC0_SET_SHADER_LOCAL_MEMORY_WINDOW_B),
                          local_memory_va=((st(hw.CBC0_SET_SHADER_LOCAL_MEMORY_A) & 0x1FFFFFF) << 32) | st(hw.CBC0_SET_SHADER_LOCAL_MEMORY_B),
                          local_memory_bytes_per_tpc=((st(hw.CBC0_SET_SHADER_LOCAL_MEMORY_NON_THROTTLED_A) & 0xFF) << 32) | st(hw.CBC0_SET_SHADER_LOCAL_MEMORY_NON_THROTTLED_B),
                          extra={"chid": ch.chid, "launch": self.launches})
    return launch, raw, ver

  def _releases(self, ver: str, q: dict) -> list[tuple[int, int, bool, bool]]:
    """QMD semaphore releases at grid completion: (VA, payload, 64-bit, with timestamp). STRUCTURE_SIZE 0 = four words
    (payload, timestamp at +8), 1 = one word, 2 = two words; PAYLOAD64B = 64-bit payload."""
    out = []
    for i in range(3):
      if ver == "V03_00":
        if i > 1 or not q.get(f"release{i}_enable"): continue
        va = (q[f"release{i}_address_upper"] << 32) | q[f"release{i}_address_lower"]
        ss = q[f"release{i}_structure_size"]
        out.append((va, q[f"release{i}_payload_lower"] | (q[f"release{i}_payload_upper"] << 32), bool(q[f"release{i}_payload64b"]) or ss == 2, ss == 0))
      else:
        if not q.get(f"release_enable_{i}"): continue
        va = (q[f"release_semaphore{i}_addr_upper"] << 32) | q[f"release_semaphore{i}_addr_lower"]
        ss = q[f"release_structure_size_{i}"]
        out.append((va, q[f"release_semaphore{i}_payload_lower"] | (q[f"release_semaphore{i}_payload_upper"] << 32), bool(q[f"release_payload64b_{i}"]) or ss == 2, ss == 0))
    return out

  def launch(self, ch: Channel, sub: int, qva: int) -> bool:
    """Run one QMD. Returns False if the channel must stop (fault, hang, in-flight window)."""
    with self.lock: self.launches += 1; n = self.launches
    try: launch, raw, ver = self.read_launch(ch, sub, qva)
    except MMUFault as f: self.rc(ch, XID_MMU_FAULT, fault=f, engine="GRAPHICS"); return False
    except GPUFault as e: self.rc(ch, e.info.get("xid", XID_GR_CLASS_ERROR), detail=str(e)); return False
    kind = self.m.plan.on_launch(n)
    if kind == "panic": self.m.panic(f"launch {n} (HWRT_SIM_FAULTS panic)"); raise Stop
    if kind == "hang": ch.hung = True; kmsg.log(f"hwrt-sim: channel {ch.chid} hung at launch {n} (HWRT_SIM_FAULTS)", prio=6); return False
    if kind == "fault": self.rc(ch, XID_MMU_FAULT, fault=MMUFault(launch.code_address, False), engine="GRAPHICS"); return False
    if kind == "drop_signal": ch.drop_next_release = True
    touched: dict = {}
    ch.vas.tracking[threading.get_ident()] = touched
    try:
      for va in [launch.code_address, qva] + [v for v, _ in launch.constant_buffers.values()]: ch.vas.region(va)
      (self.m.executor or get_executor())(launch, ch.vas, ChannelDeadline(self.kernel_timeout_s, ch))
    except MMUFault as f: self.rc(ch, XID_MMU_FAULT, fault=f, engine="GRAPHICS"); return False
    except GPUTimeout as e: ch.hung = True; kmsg.log(f"hwrt-sim: channel {ch.chid} kernel did not finish: {e}", prio=4); return False
    except (GPUFault, Unimplemented) as e: self.rc(ch, XID_GR_EXCEPTION, detail=str(e)); return False
    except Exception as e: self.rc(ch, XID_GR_EXCEPTION, detail=f"executor crashed: {type(e).__name__}: {e}"); return False
    finally: ch.vas.tracking.pop(threading.get_ident(), None)
    q = hw.qmd_decode(ver, raw)
    rel = self._releases(ver, q)
    en, act = ("dependent_qmd_enable_0", "dependent_qmd_action_0") if ver == "V04_00" else ("dependent_qmd0_enable", "dependent_qmd0_action")
    dep = q["dependent_qmd0_pointer"] << 8 if q.get(en) and q.get(act) in (1, 3) else 0    # ACTION_QMD_SCHEDULE / _INVALIDATE_COPY_SCHEDULE
    def retire() -> bool:
      for va, payload, is64, ts in rel:
        try: self.release(ch, va, payload, is64, timestamp=ts)
        except MMUFault as f: self.rc(ch, XID_MMU_FAULT, fault=f, engine="GRAPHICS"); return False
      return self.launch(ch, sub, dep) if dep else True                  # a dependent QMD runs when this grid completes
    if self.m.plan.bug("free-in-flight") and self.inflight_s > 0:
      # the launch stays in flight for a while; memory it used that is freed meanwhile faults it (the planted bug)
      end = time.monotonic() + self.inflight_s
      def stall(ch=ch, touched=touched, end=end):
        def gone(aid, va):
          mp = ch.vas.lookup(va)
          return mp is None or mp.alloc.id != aid or mp.alloc.freed
        freed = [(aid, va) for aid, va in touched.items() if gone(aid, va)]
        if freed:
          self.rc(ch, XID_MMU_FAULT, fault=MMUFault(freed[0][1], False), engine="GRAPHICS"); return False
        return time.monotonic() >= end and retire()
      ch.stall = stall
      return False
    return retire()

  # --- copy class
  def _copy(self, ch, sub, m, v) -> bool:
    if m != hw.C8B5_LAUNCH_DMA: return True
    st = lambda x: ch.state.get((sub, x), 0)
    f = hw.launch_dma_decode(v)
    try:
      if f["data_transfer_type"] != hw.DATA_TRANSFER_NONE:
        src = ((st(hw.C8B5_OFFSET_IN_UPPER) & 0x1FFFFFF) << 32) | st(hw.C8B5_OFFSET_IN_LOWER)
        dst = ((st(hw.C8B5_OFFSET_OUT_UPPER) & 0x1FFFFFF) << 32) | st(hw.C8B5_OFFSET_OUT_LOWER)
        length, lines = st(hw.C8B5_LINE_LENGTH_IN), (st(hw.C8B5_LINE_COUNT) if f["multi_line_enable"] else 1)
        if f["remap_enable"]:
          const = st(hw.C8B5_SET_REMAP_CONST_A).to_bytes(4, "little")
          for ln in range(lines): ch.vas.write(dst + ln * st(hw.C8B5_PITCH_OUT), (const * length)[:length * 4])
        else:
          for ln in range(lines):
            ch.vas.write(dst + ln * st(hw.C8B5_PITCH_OUT), ch.vas.read(src + ln * st(hw.C8B5_PITCH_IN), length))
      if f["semaphore_type"] in (hw.SEMAPHORE_TYPE_RELEASE_ONE_WORD, hw.SEMAPHORE_TYPE_RELEASE_FOUR_WORD):
        va = ((st(hw.C8B5_SET_SEMAPHORE_A) & 0x1FFFFFF) << 32) | st(hw.C8B5_SET_SEMAPHORE_B)
        payload = st(hw.C8B5_SET_SEMAPHORE_PAYLOAD) | (st(hw.C8B5_SET_SEMAPHORE_PAYLOAD_UPPER) << 32 if f["semaphore_payload_size"] else 0)
        self.release(ch, va, payload, bool(f["semaphore_payload_size"]), timestamp=f["semaphore_type"] == hw.SEMAPHORE_TYPE_RELEASE_FOUR_WORD)
    except MMUFault as e: self.rc(ch, XID_MMU_FAULT, fault=e, engine="CE"); return False
    return True

  # --- robust-channel errors
  def rc(self, ch: Channel, xid: int, fault: MMUFault | None = None, engine: str = "GRAPHICS", detail: str = "") -> None:
    if ch.rc: return
    ch.rc, ch.stall, ch.pos = xid, None, None
    pid = ch.pid
    try: comm = open(f"/proc/{pid}/comm").read().strip()
    except OSError: comm = "python"
    head = f"NVRM: Xid (PCI:{PCI_BUS}): {xid}, pid={pid}, name={comm}, "
    if xid == XID_MMU_FAULT and fault is not None:
      client = {"GRAPHICS": "ENGINE GRAPHICS GPCCLIENT_T1_0", "CE": "ENGINE CE0 HUBCLIENT_CE0", "HOST": "ENGINE HOST0 HUBCLIENT_HOST"}[engine]
      access = "ACCESS_TYPE_VIRT_WRITE" if fault.write else "ACCESS_TYPE_VIRT_READ"
      msg = (f"Ch {ch.chid:08x}, intr 10000000. MMU Fault: {client} faulted @ 0x{fault.va >> 32:x}_{fault.va & 0xFFFFFFFF:08x}. "
             f"Fault is of type {fault.kind} {access}")
    elif xid == XID_GR_EXCEPTION: msg = f"Graphics SM Warp Exception on (GPC 0, TPC 0, SM 0): {detail}"
    elif xid == XID_PBDMA_ERROR: msg = f"Ch {ch.chid:08x}, PBDMA error: {detail}"
    elif xid == XID_GR_CLASS_ERROR: msg = f"Class Error: ChId {ch.chid:04x}, {detail}"
    else: msg = detail
    kmsg.log(head + msg)
    kmsg.log(f"NVRM: Xid (PCI:{PCI_BUS}): {XID_RESETCHANNEL_VERIF}, pid={pid}, name={comm}, Ch {ch.chid:08x}")
    self.errors.append({"xid": xid, "chid": ch.chid, "va": fault.va if fault else None, "write": bool(fault and fault.write),
                        "kind": fault.kind if fault else None, "detail": detail or msg})
    if ch.notifier is not None and (ch.notifier.fd >= 0 or (ch.notifier.kind == "osdesc" and ch.notifier.view.size)):  # OS pages
      ns = time.time_ns()
      eng = hw.ENGINE_TYPE_COPY0 if engine == "CE" else hw.ENGINE_TYPE_GRAPHICS
      rec = hw.notification_pack(xid, eng, ns)
      o = ch.notifier_off
      ch.notifier.write(o, rec[:hw.NOTIFICATION_STATUS]); ch.notifier.write(o + hw.NOTIFICATION_STATUS, rec[hw.NOTIFICATION_STATUS:])
    self.m.notify(ch, hw.NOTIFIERS_RC)
