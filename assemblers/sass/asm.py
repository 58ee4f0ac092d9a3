"""SASS assembler: nvdisasm-syntax text -> 128-bit words, through the learned form table.

Source syntax (one instruction or directive per line; `//`, `#` comments; `/*..*/` address comments are ignored):
  [B------:R-:W-:Y:S04] @!P0 IADD3 R1, R2, 0x4, RZ ;     explicit control code (optional; else sched.py computes it)
  loop:                                                    label; branch operands may be a label name or `(label)
  .kernel vadd               starts a kernel (directives used by cubin.py)
  .param 8                   one parameter of 8 bytes (.param SIZE [ALIGN]; offsets follow the C layout) or .param 8 @0x10
  .shared 1024               static shared memory bytes;  .local 64  per-thread local (stack) bytes
  .regs 16                   register count (default: highest register used + 1, at least what the code uses)
"""
import re
from dataclasses import dataclass, field
from hwrt.errors import AssemblerError
from hwrt.assemblers.sass import syntax, table as T
from hwrt.assemblers.sass.decoder import Ctrl, _fields_by_operand, IMAD_FAMILY, decode

LABEL_REF = re.compile(r"^`?\(?([A-Za-z_.$][\w.$]*)\)?$")

def encode(opcode: str, operands: list[str], guard: str | None = None, ctrl: Ctrl | None = None, pc: int = 0,
           labels: dict | None = None, tab=None) -> int:
  """One instruction. `operands` are nvdisasm operand texts (with .reuse); guard like 'P0', '!P0', 'UPT'."""
  tab = tab or T.load()
  shapes, vals, reuse_ops = [], [], set()
  for i, o in enumerate(operands):
    if o.endswith(".reuse"): o = o[:-6]; reuse_ops.add(i)
    m = LABEL_REF.match(o)
    if m and labels is not None and m.group(1) in labels and not syntax.TOKEN.fullmatch(o):
      shapes.append("{I}"); vals.append(("I", labels[m.group(1)])); continue
    s, v = syntax.parse_operand(o, None)                        # float tokens stay text: the form's field gives the width
    shapes.append(s); vals += v
  form = tab.form_for(opcode, shapes)
  if form is None and any("[" in o for o in operands):         # `[R2.64]` for a form learned as `[R2.64+0x10]`
    filled = [re.sub(r"\[([^\[\]]*?(?<!\w)(?:R\d+|RZ)[^\[\]]*?)\]", lambda m: m.group(0) if re.search(r"0x[0-9a-f]+\]$", m.group(0))
                     else f"[{m.group(1)}+0x0]", o) for o in operands]
    # `[0x10]` / `c[0x3][0x10]` for forms learned with a base register: nvdisasm's way of printing an RZ base
    filled = [re.sub(r"^(c\[0x[0-9a-f]+\])?\[(-?0x[0-9a-f]+)\]$", lambda m: f"{m.group(1) or ''}[RZ+{m.group(2)}]", o) for o in filled]
    if filled == operands: filled = [re.sub(r"^\[UR", "[RZ+UR", o) for o in operands]     # `[UR4]` = RZ base + UR
    if filled != operands: return encode(opcode, filled, guard, ctrl, pc, labels, tab)
  if form is None and not operands and (opcode, ("{I}",)) in tab.by_key:      # `BPT.TRAP ;` = code 0
    return encode(opcode, ["0x0"], guard, ctrl, pc, labels, tab)
  if form is None and opcode in IMAD_FAMILY:                       # display aliases share one encoding
    u = opcode.endswith(".U32")
    for alt in sorted(IMAD_FAMILY - {opcode}):
      if alt.endswith(".U32") != u or tab.form_for(alt, shapes) is None: continue
      try: w = encode(alt, operands, guard, ctrl, pc, labels, tab)
      except AssemblerError: continue
      if decode(w, pc, tab).text(tab.sr).split(" ")[1 if guard else 0] == opcode: return w
  if form is None:                                              # an operand nvdisasm omits when it is RZ/PT
    for f in tab.forms:                                         # (a form of this mnemonic, or one the model derives)
      if f.opcode.split(".")[0] != opcode.split(".")[0] or len(f.shapes) != len(operands) + 1: continue
      for i in f.omit:
        if f.shapes[:i] + f.shapes[i + 1:] == shapes and tab.form_for(opcode, f.shapes) is not None:
          zero = syntax.REG_NAME[syntax.HOLE.search(f.shapes[i]).group(1)]
          return encode(opcode, operands[:i] + [zero] + operands[i:], guard, ctrl, pc, labels, tab)
  if form is None:
    near = sorted({"; ".join(f.shapes) for f in tab.forms if f.opcode == opcode})
    raise AssemblerError(f"no form {opcode} {', '.join(shapes)} in the sm_90 table"
                         + (f" (known: {' | '.join(near[:6])})" if near else " (unknown opcode)"))
  word = form.value
  for (kind, v), f in zip(vals, form.fields):
    if kind == "SR":
      names = tab.sr_by_name.get(f.sr, {})
      if v in names: v = names[v]
      elif re.fullmatch(r"SR\d+", v): v = int(v[2:])
      else: raise AssemblerError(f"unknown special register {v}")
    try:
      if kind == "F": v = syntax.float_bits(v, f.fw or 32)
      word |= f.put(v, pc)
    except ValueError as e: raise AssemblerError(f"{opcode}: operand value {v}: {e}")
  if guard is not None:
    neg = guard.startswith("!"); g = guard.lstrip("!")
    kind = "UP" if g.startswith("UP") else "P"
    if kind != form.gkind: raise AssemblerError(f"{opcode} takes a {form.gkind} guard, not {guard}")
    p = 7 if g.endswith("T") else int(g[len(kind):])
    if p > 7: raise AssemblerError(f"guard {guard}: predicates are {kind}0..{kind}6 and {kind}T")
    word |= (p | neg << 3) << 12
  else: word |= 7 << 12
  c = ctrl or Ctrl()
  reuse = c.reuse
  for b, r in enumerate(form.reuse):
    if r in reuse_ops: reuse |= 1 << b
  if reuse_ops - set(form.reuse): raise AssemblerError(f"{opcode}: .reuse on an operand that has no reuse bit")
  return word | Ctrl(c.stall, c.yield_, c.wbar, c.rbar, c.wait, reuse).bits()

def encode_line(text: str, pc: int = 0, labels=None, tab=None) -> int:
  text = text.strip()
  m = re.fullmatch(r"\.word\s+0x([0-9a-fA-F]{1,32})\s*;?", text)
  if m: return int(m.group(1), 16)
  ctrl = None
  if text.startswith("[B"):
    end = text.index("]") + 1
    ctrl, text = Ctrl.parse(text[:end]), text[end:].strip()
  if not text.rstrip().endswith(";"): text += " ;"
  p = syntax.parse_line(text)
  if p is None: raise AssemblerError(f"cannot parse instruction {text!r}")
  guard, op, ops = p
  return encode(op, ops, guard, ctrl, pc, labels, tab)

@dataclass
class KernelBlock:
  name: str
  params: list = field(default_factory=list)      # [(offset, size)]
  shared: int = 0
  local: int = 0
  regs: int | None = None
  lines: list = field(default_factory=list)       # [(source line number, label or None, instruction text or None)]

# sm_90 per-kernel limits (CUDA C Programming Guide, "Technical Specifications per Compute Capability": 255 registers per
# thread, 227 KB shared memory per block, 512 KB local memory per thread; kernel parameters up to 32764 bytes since CUDA 12.1)
LIMITS = {".regs": 255, ".shared": 227 * 1024, ".local": 512 * 1024, ".param": 32764}

def parse_source(text: str) -> list:
  kernels, cur, poff = [], None, 0
  for n, raw in enumerate(text.splitlines(), 1):
    line = re.sub(r"/\*[0-9a-fA-Fx]*\*/", "", raw)
    line = re.split(r"//|#", line)[0].strip()
    if not line: continue
    def err(msg): raise AssemblerError(f"line {n}: {msg}: {raw.strip()!r}")
    m = re.match(r"^([A-Za-z_.$][\w.$]*):\s*(.*)$", line)
    if m:
      if cur is None: err("label before .kernel")
      cur.lines.append((n, m.group(1), None)); line = m.group(2).strip()
      if not line: continue
    if line.startswith(".word"):                                       # a raw word (what disasm prints for one it cannot decode)
      if cur is None: err(".word before .kernel")
      cur.lines.append((n, None, line)); continue
    if line.startswith("."):
      d = line.split()
      if d[0] == ".kernel":
        if len(d) != 2 or not re.fullmatch(r"[A-Za-z_$][\w$.]*", d[1]): err(".kernel NAME")
        if any(k.name == d[1] for k in kernels): err(f"kernel {d[1]} defined twice")
        cur = KernelBlock(d[1]); kernels.append(cur); poff = 0; continue
      if cur is None: err("directive before .kernel")
      if d[0] == ".param" and len(d) == 3 and d[2].startswith("@"):      # explicit offset (what disasm prints)
        try: size, off = int(d[1], 0), int(d[2][1:], 0)
        except ValueError: err(".param SIZE @OFFSET")
        if size <= 0 or off < 0 or off + size > LIMITS[".param"]: err(f"parameters must lie within {LIMITS['.param']} bytes")
        cur.params.append((off, size)); poff = off + size; continue
      try: nums = [int(x, 0) for x in d[1:]]
      except ValueError: err("expected numbers")
      if d[0] == ".param":
        if not 1 <= len(nums) <= 2 or nums[0] <= 0: err(".param SIZE [ALIGN]")
        al = nums[1] if len(nums) > 1 else min(nums[0], 8)
        if al not in (1, 2, 4, 8, 16): err(".param ALIGN is 1, 2, 4, 8 or 16")
        poff = (poff + al - 1) // al * al
        if poff + nums[0] > LIMITS[".param"]: err(f"parameters must fit {LIMITS['.param']} bytes")
        cur.params.append((poff, nums[0])); poff += nums[0]
      elif d[0] in (".shared", ".local", ".regs") and len(nums) == 1:
        if not 0 <= nums[0] <= LIMITS[d[0]]: err(f"{d[0]} is 0..{LIMITS[d[0]]}")
        setattr(cur, {".shared": "shared", ".local": "local", ".regs": "regs"}[d[0]], nums[0])
      else: err("unknown directive (.kernel .param .shared .local .regs)")
      continue
    if cur is None: err("instruction before .kernel")
    cur.lines.append((n, None, line))
  return kernels

def assemble_kernel(k: KernelBlock, tab=None) -> list:
  """-> list of 128-bit words. Instructions without an explicit control code get one from the scheduler."""
  from hwrt.assemblers.sass import sched
  tab = tab or T.load()
  labels, pc, instrs = {}, 0, []
  for n, lab, ins in k.lines:
    if lab is not None:
      if lab in labels: raise AssemblerError(f"line {n}: label {lab} defined twice")
      labels[lab] = pc
    if ins is not None: instrs.append((n, pc, ins)); pc += 16
  words, explicit, label_pcs = [], [], set(labels.values())
  for n, pc, ins in instrs:
    try: words.append(encode_line(ins, pc, labels, tab))
    except AssemblerError as e: raise AssemblerError(f"line {n}: {e}")
    except (ValueError, StopIteration) as e: raise AssemblerError(f"line {n}: {e}: {ins!r}")
    explicit.append(ins.lstrip().startswith(("[B", ".word")))   # a raw word keeps its own control bits
  if not all(explicit):
    try: words = sched.schedule(words, explicit, label_pcs, tab)
    except sched.NeedNops as e:                    # latency longer than the code between: pad with NOPs, lay out again
      if len(k.lines) > 100000: raise
      at = [j for j, l in enumerate(k.lines) if l[2] is not None][e.index]
      pad = [(k.lines[at][0], None, "NOP ;")] * -(-e.cycles // sched.MAX_STALL)
      return assemble_kernel(KernelBlock(k.name, k.params, k.shared, k.local, k.regs, k.lines[:at] + pad + k.lines[at:]), tab)
  return words
