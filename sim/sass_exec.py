"""The SASS interpreter of the simulated sm_90 GPU: `execute(launch, mem, deadline)` (the contract is in sim/nv/launch.py).

Instructions come from the one decoder (hwrt.assemblers.sass.decoder) and are decoded once per PC per launch. A batch of
CTAs runs in lockstep as numpy vectors: R (regs, threads) uint32, P (8, threads) bool, uniform registers UR (64, warps)
and UP (8, warps) per warp, shared memory (CTAs, bytes) per CTA, a PC per thread. Each step executes the instruction at the
lowest PC among the live threads, for exactly the threads at that PC: divergent branches, BSSY/BSYNC reconvergence,
predicated loops and early EXIT follow from that (a thread past a reconvergence point waits until every thread behind it
arrives), and BAR.SYNC is reached by all live threads of a CTA together. CTAs are independent, so batches run one after
another. Threads of a CTA are numbered x-fastest, a CTA is padded to whole warps (the padding lanes are never live).

Semantics are in sass_ops*.py (one handler per opcode whose behaviour composes from the decoded modifiers; a modifier or
operand shape a handler does not know raises Unimplemented, never a guess) and sass_fp.py (correctly rounded floating
point). A word the learned forms lack decodes through the structural model (assemblers/sass/model.py) via table.match.

Faults: a global access outside every mapping raises MMUFault(va) from GPUMemory.region (the engine reports Xid 31, writes
the error notifier and stops the channel); a misaligned or out-of-window shared/global/local access and BPT.TRAP raise
GPUFault (Xid 13), an unknown instruction Unimplemented("unimplemented SASS instruction X at pc 0x.."), an expired
deadline GPUTimeout.

Limits (each fails loudly, none computes a wrong value): one CTA per cluster (SR_CgaCtaId 0, no distributed shared
memory); no WGMMA, tf32 / fp64 / sub-byte / sparse mma, texture, surface or TMA instructions; BAR with a thread count and named barriers
other than full-CTA sync are not modelled; a kernel whose progress needs a thread at a higher PC to run while another
spins (spin locks, inter-CTA flags) never finishes under lowest-PC-first and ends in GPUTimeout; local memory data lives
in the interpreter, not in the driver's local-memory buffer."""
from __future__ import annotations
import re
import numpy as np
from hwrt.errors import GPUFault, GPUTimeout, Unimplemented, InvalidKernelBinary
from hwrt.sim.memory import MMUFault
from hwrt.assemblers.sass import decoder, table as T

DEAD = np.int64(1 << 62)
ALL = slice(None)
MAX_BATCH_BYTES = 192 << 20            # register file bytes per batch of CTAs
_extra_forms: list = []
_tables: dict = {}
_decoded: dict = {}                    # (pc, word, table) -> Op, across launches (the same code at the same VA)

def add_forms(forms) -> None:
  """Forms (table.Form) to decode with besides sm90.tsv: a workaround while the learned table lacks forms ptxas emits
  (tests learn them from tests/nv_corpus with the assembler's own learner). Forms already in sm90.tsv are ignored."""
  import dataclasses
  base = T.load()
  # the learner may keep the `.reuse` of its exemplar in a shape (reuse is a scheduling hint, not part of the form) and
  # splits a modifier like `U16x2` before its lower-case letter (opcode `VIMNMX.U16`, first shape `x2 {R}`)
  def fix(f):
    shapes = [s.replace(".reuse", "") for s in f.shapes]
    m = re.match(r"^(x\d[.A-Z0-9_]*) (.*)$", shapes[0]) if shapes else None
    if m: return dataclasses.replace(f, opcode=f.opcode + m[1], shapes=[m[2]] + shapes[1:])
    return dataclasses.replace(f, shapes=shapes)
  forms = [fix(f) for f in forms]
  new = [f for f in forms if f.key not in base.by_key and f.key not in {g.key for g in _extra_forms}]
  if new: _extra_forms.extend(new); _tables.clear(); _decoded.clear()

def bind_word(word: int, pc: int):
  """The Op for an instruction word at pc (decoded once; InvalidKernelBinary if no form matches)."""
  tab = table()
  key = (pc, word, id(tab))
  op = _decoded.get(key)
  if op is None:
    from hwrt.sim import sass_ops
    if len(_decoded) > 1 << 18: _decoded.clear()
    op = _decoded[key] = sass_ops.bind(decoder.decode(word, pc, tab), pc)
  return op

def table() -> T.Table:
  base = T.load()
  if not _extra_forms: return base
  if "merged" not in _tables: _tables["merged"] = T.Table(base.forms + _extra_forms, base.sr)
  return _tables["merged"]

class Op:
  """A decoded instruction plus what the handlers need precomputed."""
  __slots__ = ("ins", "pc", "fn", "uniform", "mods", "name", "ops", "parts", "gkind", "target", "text")
  def __init__(self, ins, pc, fn, uniform, name):
    self.ins, self.pc, self.fn, self.uniform, self.name = ins, pc, fn, uniform, name
    self.mods, self.ops = set(ins.mods), ins.operands
    self.parts = [o.parts() if o.type in ("mem", "cbank") else None for o in ins.operands]
    self.gkind = ins.form.gkind if ins.form is not None else "P"
    self.text = None
  def __str__(self):
    try: return str(self.ins)
    except Exception: return self.ins.opcode

def unimpl(op, why: str = ""):
  return Unimplemented(f"unimplemented SASS instruction {op} at pc {op.pc:#x}" + (f" ({why})" if why else ""))

class TDom:
  """Thread domain: operands per thread for the thread index set ix (slice ALL or an index array)."""
  uniform = False
  def __init__(self, st, ix):
    self.st, self.ix = st, ix
    self.n = st.N if isinstance(ix, slice) else len(ix)
  def reg(self, n, width=1):
    if n == 255: return np.uint32(0)
    if n >= self.st.R.shape[0]: self.st.grow(n + 1)
    return self.st.R[n, self.ix]
  def ureg(self, n): return self.st.ur_threads(n, self.ix)
  def src(self, op, o):
    t = o.type
    if t == "reg": return self.reg(o.value)
    if t == "ureg": return self.ureg(o.value)
    if t in ("imm", "fimm"): return np.uint32(o.value & 0xFFFFFFFF)
    if t == "cbank": return self.st.cread(op, o, self, 4)
    raise unimpl(op, f"operand {o.shape}")
  def pred(self, o):
    v = o.value
    if v == 7: r = np.bool_(True)
    elif o.type == "upred": r = self.st.up_threads(v, self.ix)
    else: r = self.st.P[v, self.ix]
    return ~r if o.not_ else r
  def wreg(self, n, v):
    if n == 255: return
    if n >= self.st.R.shape[0]: self.st.grow(n + 1)
    self.st.R[n, self.ix] = v
  def wpred(self, n, v):
    if n != 7: self.st.P[n, self.ix] = v

class UDom:
  """Uniform domain: one value per warp for the warps wsel (slice ALL or an index array); constants stay scalars."""
  uniform = True
  def __init__(self, st, wsel):
    self.st, self.ix = st, wsel
    self.n = st.W if isinstance(wsel, slice) else len(wsel)
  def reg(self, n, width=1): raise Unimplemented("a vector register on the uniform datapath")
  def ureg(self, n):
    if n == 63: return np.uint32(0)
    c = self.st.urc.get(n)
    return np.uint32(c) if c is not None else self.st.UR[n, self.ix]
  def src(self, op, o):
    t = o.type
    if t == "ureg": return self.ureg(o.value)
    if t in ("imm", "fimm"): return np.uint32(o.value & 0xFFFFFFFF)
    if t == "cbank": return self.st.cread(op, o, self, 4)
    raise unimpl(op, f"operand {o.shape} on the uniform datapath")
  def pred(self, o):
    v = o.value
    r = np.bool_(True) if v == 7 else self.st.UP[v, self.ix]
    return ~r if o.not_ else r
  def wreg(self, n, v):
    if n == 63: return
    st = self.st
    if isinstance(self.ix, slice) and np.ndim(v) == 0: st.urc[n] = int(v); st.UR[n, :] = v
    else: st.UR[n, self.ix] = v; st.urc.pop(n, None)
  def wpred(self, n, v):
    if n != 7: self.st.UP[n, self.ix] = v

class Batch:
  """The state of a batch of CTAs running in lockstep."""
  def __init__(self, launch, mem, cta_first: int, cta_count: int, cbanks: dict, code: dict):
    self.launch, self.mem, self.cb, self.code = launch, mem, cbanks, code
    bx, by, bz = launch.block
    gx, gy, _ = launch.grid
    self.tpc = bx * by * bz
    tp = -(-self.tpc // 32) * 32
    self.C, self.TP = cta_count, tp
    N = self.N = cta_count * tp
    self.W = N // 32
    t = np.arange(N, dtype=np.int64)
    local = t % tp
    self.cta = t // tp
    live = local < self.tpc
    self.tid = [(local % bx).astype(np.uint32), (local // bx % by).astype(np.uint32), (local // (bx * by)).astype(np.uint32)]
    cid = cta_first + np.arange(cta_count, dtype=np.int64)
    self.ctaid_cta = [(cid % gx).astype(np.uint32), (cid // gx % gy).astype(np.uint32), (cid // (gx * gy)).astype(np.uint32)]
    self.warp = t // 32
    self.lane = (t % 32).astype(np.uint32)
    self.warp_cta = np.arange(self.W, dtype=np.int64) * 32 // tp
    self.R = np.zeros((max(launch.register_count, prescan(launch, mem, code), 8), N), np.uint32)
    self.P = np.zeros((8, N), bool); self.P[7] = True
    self.UR = np.zeros((64, self.W), np.uint32); self.urc = {}
    self.UP = np.zeros((8, self.W), bool); self.UP[7] = True
    self.pc = np.where(live, np.int64(launch.code_address), DEAD)
    self.S = -(-max(launch.shared_memory_bytes, 0) // 16) * 16
    self.smem = np.zeros((cta_count, self.S), np.uint8)
    self.L = -(-max(launch.local_memory_bytes_per_thread, 0) // 16) * 16
    self.lmem = None                   # (threads, L) bytes, made at the first local access
    self.steps = 0
    self.b2r = None                    # per-thread result of the last BAR.RED (B2R.RESULT)

  def grow(self, n):
    extra = np.zeros((n - self.R.shape[0] + 8, self.N), np.uint32)
    self.R = np.concatenate([self.R, extra])

  # --- uniform values seen from threads
  def ur_threads(self, n, ix):
    if n == 63: return np.uint32(0)
    c = self.urc.get(n)
    if c is not None: return np.uint32(c)
    return self.UR[n][self.warp[ix]]
  def up_threads(self, n, ix):
    return self.UP[n][self.warp[ix]]
  def warps_of(self, ix):
    if isinstance(ix, slice): return ALL
    w = np.zeros(self.W, bool); w[self.warp[ix]] = True
    return np.flatnonzero(w)

  # --- constant banks
  def cread(self, op, o, dom, nbytes):
    """nbytes (4 or 8) from c[bank][reg + ureg + offset]; one scalar when the address is uniform."""
    p = op.parts[op.ops.index(o)]
    bank = p["bank"]
    if bank not in self.cb: raise GPUFault(f"constant bank {bank} is not bound (pc {op.pc:#x})")
    cb = self.cb[bank]
    off = np.int64(p["offset"])
    if p["reg"] != 255: off = off + dom.reg(p["reg"]).astype(np.int64)
    if p["ureg"] != 63: off = off + np.asarray(dom.ureg(p["ureg"])).astype(np.int64)
    if np.ndim(off) == 0:
      o_ = int(off)
      if o_ < 0 or o_ + nbytes > len(cb): return np.uint32(0) if nbytes == 4 else np.uint64(0)
      w = cb[o_:o_ + nbytes]
      return np.uint32(int.from_bytes(w.tobytes(), "little")) if nbytes == 4 else np.uint64(int.from_bytes(w.tobytes(), "little"))
    ok = (off >= 0) & (off + nbytes <= len(cb))
    offc = np.where(ok, off, 0)
    v = np.zeros(len(off), np.uint64)
    for k in range(nbytes): v |= cb[offc + k].astype(np.uint64) << np.uint64(8 * k)
    v = np.where(ok, v, 0)
    return v.astype(np.uint32) if nbytes == 4 else v

  # --- global memory
  def resolve(self, addr, size, write, op):
    """[(lanes (ALL or index array into addr), uint8 view of a mapping, byte offsets)] covering every address."""
    a = np.asarray(addr).astype(np.int64)
    if size > 1 and np.any(a & (size - 1)):
      bad = int(a[np.flatnonzero(a & (size - 1))[0]])
      raise GPUFault(f"misaligned address {bad:#x} for a {size}-byte access at pc {op.pc:#x}", va=bad, xid=13)
    out, rest = [], None
    while True:
      sub = a if rest is None else a[rest]
      if len(sub) == 0: break
      va0 = int(sub[0])
      base, view = self.mem.region(va0, write)
      off = sub - base
      ok = (off >= 0) & (off + size <= len(view))
      if ok.all():
        out.append((ALL if rest is None else rest, view, off)); break
      idx = np.flatnonzero(ok)
      out.append((idx if rest is None else rest[idx], view, off[idx]))
      rest = np.flatnonzero(~ok) if rest is None else rest[~ok]
    return out

  # --- shared memory: per-CTA window offsets (the low 24 bits; bits 24.. name the CTA in the cluster, only 0 here)
  def sindex(self, addr, size, ix, op):
    a = np.asarray(addr).astype(np.int64)
    if np.ndim(a) == 0: a = np.full(len(self.cta[ix]), a)
    if size > 1 and np.any(a & (size - 1)):
      raise GPUFault(f"misaligned shared address {int(a[np.flatnonzero(a & (size - 1))[0]]):#x} at pc {op.pc:#x}", xid=13)
    if np.any(a < 0) or np.any(a + size > self.S):
      bad = int(a[np.flatnonzero((a < 0) | (a + size > self.S))[0]])
      raise GPUFault(f"shared memory address {bad:#x} out of range (window {self.S:#x} bytes) at pc {op.pc:#x}", xid=13)
    return self.cta[ix] * self.S + a

  # --- local memory: a thread's L bytes end at the top of its 16 MiB local window; the stack starts 0x240 below the top
  # (cbank0 0x28 = 0xFFFDC0) and grows down, so local address a is byte a - (2^24 - L) of the thread's memory. The
  # driver's local-memory buffer (SET_SHADER_LOCAL_MEMORY_A/B) is not used for the data.
  def lindex(self, addr, size, tids, op):
    a = np.asarray(addr).astype(np.int64)
    base = (1 << 24) - self.L
    bad = (a < base) | (a + size > (1 << 24))
    if np.any(bad):
      v = int(np.broadcast_to(a, bad.shape)[np.flatnonzero(bad)[0]])
      raise GPUFault(f"local memory address {v:#x} outside the thread's {self.L:#x} bytes at pc {op.pc:#x}", xid=13)
    if size > 1 and np.any(a & (size - 1)): raise GPUFault(f"misaligned local address at pc {op.pc:#x}", xid=13)
    if self.lmem is None: self.lmem = np.zeros((self.N, self.L), np.uint8)
    return np.asarray(tids, np.int64) * self.L + (a - base)

  # --- the instruction stream
  def fetch(self, pc: int) -> Op:
    op = self.code.get(pc)
    if op is None:
      base, view = self.mem.region(pc)
      o = pc - base
      if o + 16 > len(view): raise MMUFault(pc + 16, False)
      word = int.from_bytes(view[o:o + 16].tobytes(), "little")
      try: op = self.code[pc] = bind_word(word, pc)
      except InvalidKernelBinary:
        raise Unimplemented(f"unimplemented SASS instruction {word:032x} (no form in the sm_90 table) at pc {pc:#x}")
    return op

  def run(self, deadline):
    pcs = self.pc
    while True:
      pc = int(pcs.min())
      if pc == DEAD: return
      self.steps += 1
      if not self.steps & 255 and deadline is not None and deadline.expired():
        raise GPUTimeout(f"kernel still running at pc {pc:#x} after {deadline.seconds:g} s ({self.steps} steps)")
      op = self.fetch(pc)
      at = pcs == pc
      ix = ALL if at.all() else np.flatnonzero(at)
      pcs[ix] = pc + 16
      g = op.ins.guard
      if g is not None:
        p, neg = g
        if p == 7:
          if neg: continue                 # @!PT: never executes
          gv = None
        elif op.gkind == "UP": gv = self.up_threads(p, ix)
        else: gv = self.P[p, ix]
        if gv is not None:
          if neg: gv = ~gv
          if np.ndim(gv) == 0:
            if not gv: continue
          elif not gv.all():
            sel = np.flatnonzero(gv)
            if len(sel) == 0: continue
            ix = sel if isinstance(ix, slice) else ix[sel]
      op.fn(self, op, ix)

def prescan(launch, mem, code: dict, limit: int = 1 << 16) -> int:
  """Decode straight-line from the entry up to ptxas' final self-branch (filling the decode cache) and return the register
  file size the code needs (highest register named + 4 for pairs and quads); REGISTER_COUNT may understate it."""
  if "regs" in code: return code["regs"]
  hi, pc = 0, launch.code_address
  try: base, view = mem.region(pc)
  except MMUFault: code["regs"] = 0; return 0
  for _ in range(limit):
    o = pc - base
    if o + 16 > len(view): break
    word = int.from_bytes(view[o:o + 16].tobytes(), "little")
    try: op = bind_word(word, pc)
    except InvalidKernelBinary: break
    code.setdefault(pc, op)
    ins = op.ins
    for op in ins.operands:
      for kind, v in op.values:
        if kind == "R" and v != 255: hi = max(hi, v)
    if ins.name == "BRA" and ins.guard is None and ins.operands and ins.operands[-1].value == pc: break
    pc += 16
  code["regs"] = min(hi + 4, 256)
  return code["regs"]

def _batches(launch):
  gx, gy, gz = launch.grid
  total = gx * gy * gz
  bx, by, bz = launch.block
  tp = -(-(bx * by * bz) // 32) * 32
  regs = max(launch.register_count, 8) + 8
  per = max(1, MAX_BATCH_BYTES // (tp * (regs * 4 + max(launch.local_memory_bytes_per_thread, 0))))
  return ((s, min(per, total - s)) for s in range(0, total, per))   # lazily: a 2**31-CTA grid must not build its list first

def execute(launch, mem, deadline=None) -> None:
  """Run a kernel launch to completion on the simulated SMs (see the module docstring)."""
  if launch.sm_version not in (0x90, 90):
    raise Unimplemented(f"SASS interpreter runs sm_90 code only (launch asks for sm_{launch.sm_version:x})")
  bx, by, bz = launch.block
  if min(launch.grid) <= 0 or bx * by * bz == 0: return
  if bx * by * bz > 1024: raise GPUFault(f"CTA of {bx * by * bz} threads exceeds 1024", xid=13)
  cb = {}
  for bank, (va, size) in launch.constant_buffers.items():
    cb[bank] = np.frombuffer(mem.read(va, size), np.uint8) if size else np.zeros(0, np.uint8)
  code: dict = {}
  with np.errstate(all="ignore"):
    for first, count in _batches(launch):
      if deadline is not None and deadline.expired():     # between batches too: a huge grid of short CTAs stops promptly
        raise GPUTimeout(f"kernel still running at CTA {first} of {launch.grid[0] * launch.grid[1] * launch.grid[2]} after {deadline.seconds:g} s")
      Batch(launch, mem, first, count, cb, code).run(deadline)
