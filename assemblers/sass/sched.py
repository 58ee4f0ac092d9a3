"""Control-code scheduler: stalls for fixed-latency results, scoreboard barriers for variable-latency ones.

Model (conservative; correctness first, speed second):
- an instruction issues `stall` cycles after the previous one; a consumer of a fixed-latency result issues at least
  LATENCY cycles after its producer (the producer side's stalls are raised until it does);
- a variable-latency producer (VARIABLE: the opcodes ptxas gives a write barrier in our corpus, see test_sass_sched)
  sets a write barrier on its destinations; an instruction that reads or overwrites them waits on it; a variable-latency
  or memory instruction that reads registers sets a read barrier, and whoever overwrites those registers waits on it;
- at a label and at every branch/exit all barriers in flight are waited on and all fixed-latency results are complete
  (no control-flow analysis needed for loops);
- the yield bit is set (nvdisasm shows `.reuse` only under it) unless the stall is 12..15; waits longer than the stalls
  between producer and consumer can give make asm.py insert NOPs."""
from hwrt.errors import AssemblerError
from hwrt.assemblers.sass import table as T
from hwrt.assemblers.sass.decoder import decode, Ctrl

VARIABLE = {"ATOMG", "ATOMS", "ATOM", "F2F", "F2I", "FCHK", "FLO", "FRND", "I2F", "LDC", "LDG", "LDL", "LDS", "LD", "LDSM",
            "MUFU", "POPC", "REDUX", "S2R", "S2UR", "SHFL", "BREV", "MATCH", "QSPC", "ULDC.VAR"}
MEMORY = ("LD", "ST", "RED", "ATOM")
MAX_STALL = 15          # stalls 12..15 only with the yield bit clear (nvdisasm rejects them with it set: probed)
YIELD_MAX_STALL = 11

class NeedNops(AssemblerError):
  """Not enough instructions between a producer and its consumer to cover the latency: asm.py inserts NOPs."""
  def __init__(self, index: int, cycles: int, msg: str):
    super().__init__(msg); self.index, self.cycles = index, cycles
LATENCY = {"default": 6, "DADD": 8, "DMUL": 8, "DFMA": 8, "DSETP": 8, "HMMA": 32, "IMAD": 6, "predicate->branch": 13}
NO_DEST = {"ST", "STG", "STS", "STL", "RED", "REDG", "BAR", "BRA", "BRX", "EXIT", "RET", "CALL", "BSSY", "BSYNC", "WARPSYNC",
           "NOP", "MEMBAR", "ERRBAR", "DEPBAR", "FENCE", "CCTL", "YIELD", "KILL", "BPT", "JMP", "BREAK"}
BRANCHES = {"BRA", "BRX", "EXIT", "RET", "CALL", "JMP", "BSYNC", "BREAK", "WARPSYNC", "BAR", "KILL"}

def _width(ins, is_dest: bool) -> int:
  op = ins.opcode
  if ".128" in op or ins.name == "HMMA": return 4
  if "64" in op or ins.name in ("DADD", "DMUL", "DFMA", "DSETP", "CS2R") or (is_dest and ".WIDE" in op): return 2
  return 1

def reg_usage(ins):
  """-> (sources, destinations) as sets of ('R'|'UR'|'P'|'UP', number); zero registers left out."""
  srcs, dsts = set(), set()
  def add(s, kind, v, n=1):
    from hwrt.assemblers.sass.syntax import ZERO_REG
    if kind in ZERO_REG and v != ZERO_REG[kind]:
      for i in range(n if kind in ("R", "UR") else 1): s.add((kind, v + i))
  ndest = 0
  if ins.name not in NO_DEST:
    for i, op in enumerate(ins.operands):
      if op.type in ("pred", "upred"): ndest = i + 1; continue
      if op.type in ("reg", "ureg") and (i == ndest or i == 0): ndest = i + 1
      break
  for i, op in enumerate(ins.operands):
    is_dest = i < ndest
    for kind, v in op.values:
      if kind not in ("R", "UR", "P", "UP"): continue
      n = 2 if op.type == "mem" and ".64" in op.shape and kind == "R" else _width(ins, is_dest)
      add(dsts if is_dest else srcs, kind, v, n)
  if ins.guard: add(srcs, ins.form.gkind if ins.form else "P", ins.guard[0])
  return srcs, dsts

def latency(ins) -> int:
  return LATENCY.get(ins.name, LATENCY["default"])

def schedule(words: list, explicit: list, label_pcs: set, tab=None) -> list:
  tab = tab or T.load()
  instrs = [decode(w, 16 * i, tab) for i, w in enumerate(words)]
  n = len(instrs)
  stall = [1] * n
  ctrls: list = [None] * n
  issue = [0] * n
  ready, pred_ready, pend_w, pend_r = {}, {}, {}, {}
  nbar = 0
  def raise_to(i, need, producer):   # make instruction i issue at or after cycle `need`: only the stalls from the
    j = i - 1                          # producer on widen the gap
    while need > issue[i] and j >= producer:
      if not explicit[j]:
        add = min((YIELD_MAX_STALL if instrs[j].ctrl.reuse else MAX_STALL) - stall[j], need - issue[i])
        stall[j] += add
        for k in range(j + 1, i + 1): issue[k] += add
      j -= 1
    if need > issue[i]:
      raise NeedNops(i, need - issue[i], f"instruction {i} ({instrs[i].text()}) needs {need - issue[i]} more cycles after "
                           f"instruction {producer} ({instrs[producer].text()}): put independent instructions or NOPs between")
  for i, ins in enumerate(instrs):
    if i: issue[i] = issue[i - 1] + stall[i - 1]
    srcs, dsts = reg_usage(ins)
    block_edge = (16 * i) in label_pcs or ins.name in BRANCHES
    wait = 0
    if block_edge:
      for b in set(pend_w.values()) | {b for bs in pend_r.values() for b in bs}: wait |= 1 << b
      need = max([ready[r] for r in srcs | dsts if r in ready] + [(0, 0)])
      if ins.name not in ("EXIT", "RET", "KILL"): need = max(list(ready.values()) + [need])
    else:
      for r in srcs | dsts:
        if r in pend_w: wait |= 1 << pend_w[r]
      for r in dsts:
        for b in pend_r.get(r, ()): wait |= 1 << b
      need = max([ready[r] for r in srcs | dsts if r in ready] + [(0, 0)])
    if ins.name in BRANCHES and ins.guard: need = max(need, pred_ready.get(("P", ins.guard[0]), (0, 0)))
    raise_to(i, *need)
    for b in range(6):
      if wait >> b & 1:
        pend_w = {r: x for r, x in pend_w.items() if x != b}
        pend_r = {r: x - {b} for r, x in pend_r.items() if x - {b}}
    wbar = rbar = 7
    var = ins.name in VARIABLE
    if var and dsts:
      wbar = nbar % 6; nbar += 1
      for r in dsts: pend_w[r] = wbar; ready.pop(r, None)
    elif dsts:
      for r in dsts:
        ready[r] = (issue[i] + latency(ins), i)
        if r[0] in ("P", "UP"): pred_ready[r] = (issue[i] + LATENCY["predicate->branch"], i)
        pend_w.pop(r, None)
    rsrcs = {r for r in srcs if r[0] in ("R", "UR")}
    if rsrcs and (var or ins.name.startswith(MEMORY)):
      rbar = nbar % 6; nbar += 1
      for r in rsrcs: pend_r.setdefault(r, set()).add(rbar)
    ctrls[i] = (wait, wbar, rbar)
  out = []
  for i, (w, ins) in enumerate(zip(words, instrs)):
    if explicit[i]: out.append(w); continue
    wait, wbar, rbar = ctrls[i]
    c = Ctrl(stall[i], int(stall[i] <= YIELD_MAX_STALL), wbar, rbar, wait, ins.ctrl.reuse)
    out.append((w & ~T.CTRL_MASK) | c.bits())
  return out
