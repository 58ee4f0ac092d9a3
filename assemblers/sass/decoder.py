"""decode(word) -> Instr: the one decoder the disassembler and the simulated GPU share.

Instr has the opcode (name + modifiers), typed operands, the guard predicate and the control info. Operand.type is one of
reg, ureg, pred, upred, sreg, imm, fimm, cbank, mem; operands also carry their shape (syntax.py) and raw hole values, so
`str(instr)` prints nvdisasm's syntax exactly. Control info (bits 105..125, the same on every form; layout as
CuAssembler's CuControlCode: stall 105..108, yield 109, write barrier 110..112, read barrier 113..115, wait mask 116..121,
reuse 122..125) is printed in the compact notation `[B-1----:R-:W0:Y:S04]` (wait on barriers 1; no read barrier; write
barrier 0; yield bit set; stall 4 cycles)."""
import re
from dataclasses import dataclass, field
from hwrt.errors import InvalidKernelBinary
from hwrt.assemblers.sass import syntax, table as T

@dataclass
class Ctrl:
  stall: int = 0
  yield_: int = 0
  wbar: int = 7              # 7 = none
  rbar: int = 7
  wait: int = 0              # bit i: wait for scoreboard i
  reuse: int = 0
  @staticmethod
  def from_word(word: int) -> "Ctrl":
    c = word >> 105
    return Ctrl(c & 15, c >> 4 & 1, c >> 5 & 7, c >> 8 & 7, c >> 11 & 63, c >> 17 & 15)
  def bits(self) -> int:
    return (self.stall | self.yield_ << 4 | self.wbar << 5 | self.rbar << 8 | self.wait << 11 | self.reuse << 17) << 105
  def __str__(self):
    b = "".join(str(i) if self.wait >> i & 1 else "-" for i in range(6))
    bar = lambda x: "-" if x == 7 else str(x)
    return f"[B{b}:R{bar(self.rbar)}:W{bar(self.wbar)}:{'Y' if self.yield_ else '-'}:S{self.stall:02d}]"
  CTRL_RE = re.compile(r"^\[B([-0-5]{6}):R([-0-5]):W([-0-5]):([Y-]):S(\d\d)\]")
  @staticmethod
  def parse(text: str) -> "Ctrl":
    m = Ctrl.CTRL_RE.match(text)
    if not m: raise ValueError(f"bad control code {text!r} (expected like [B------:R-:W-:Y:S04])")
    b, r, w, y, s = m.groups()
    if int(s) > 15: raise ValueError("stall is 0..15")
    return Ctrl(int(s), y == "Y", 7 if w == "-" else int(w), 7 if r == "-" else int(r),
                sum(1 << i for i, ch in enumerate(b) if ch != "-"))

OMIT_ZERO_OPERAND = {"BPT"}      # nvdisasm prints `BPT.TRAP ;` for code 0 (property test)
# nvdisasm names one IMAD encoding by its operand values (probed: tests/test_sass_property.py): a zero factor (RZ or 0x0)
# -> IMAD.MOV, a factor 0x1 -> IMAD.MOV (addend RZ) or IMAD.IADD, a power-of-two factor with addend RZ -> IMAD.SHL,
# else IMAD -- only when b and c are registers or immediates; `.U32` follows the encoding's unsigned bit. All are IMAD d = a * b + c for an executor.
IMAD_FAMILY = {"IMAD" + k + u for k in ("", ".MOV", ".SHL", ".IADD") for u in ("", ".U32")}

def imad_display_name(opcode: str, ops) -> str:
  if opcode not in IMAD_FAMILY or len(ops) != 4: return opcode
  u = ".U32" if opcode.endswith(".U32") else ""
  def zero(o): return o.type == "reg" and o.value == 255 or o.type == "imm" and o.value == 0
  a, b, c = ops[1], ops[2], ops[3]
  if any(o.type not in ("reg", "imm") for o in (b, c)): return "IMAD" + u     # no alias with a uniform / cbank operand
  bi = b.value if b.type == "imm" else None
  if zero(a) or zero(b): return "IMAD.MOV" + u
  if bi == 1: return ("IMAD.MOV" if zero(c) else "IMAD.IADD") + u
  if bi is not None and 0 < bi < 2 ** 16 and bi & (bi - 1) == 0 and zero(c): return "IMAD.SHL" + u   # 0x10000: IMAD.U32 (ptx corpus)
  return "IMAD" + u
TYPE_OF_HOLE = {"R": "reg", "UR": "ureg", "P": "pred", "UP": "upred", "SR": "sreg", "I": "imm", "F": "fimm"}
# fimm values are bit patterns: fp32 / fp16 as stored, and for an fp64 immediate (DADD, DFMA, DSETP, MUFU.RCP64H ...: field
# kind f64h, see Operand.fwidth) the high 32 bits of the double, whose low word is zero.

@dataclass
class Operand:
  shape: str
  values: list               # [(hole kind, value)]
  reuse: bool = False
  fwidths: list = field(default_factory=list)   # float width per hole (16, 32, 64 = a double's high word; None: not float)
  @property
  def fwidth(self):
    """Float immediate width: 16, 32, or 64 (value = the double's high word); None for other operands."""
    return next((w for w in self.fwidths if w), None)
  @property
  def type(self) -> str:
    if self.shape.startswith("c["): return "cbank"
    if "[" in self.shape: return "mem"
    k = syntax.HOLE.search(self.shape)
    return TYPE_OF_HOLE[k.group(1)] if k else "literal"
  @property
  def neg(self) -> bool: return self.shape.startswith("-")
  @property
  def abs(self) -> bool: return "|" in self.shape
  @property
  def not_(self) -> bool: return self.shape.startswith("!") or self.shape.startswith("~")
  @property
  def value(self):
    """First hole value: register / predicate number, immediate, float bit pattern, special register number."""
    return self.values[0][1] if self.values else None
  @property
  def suffix(self) -> str:
    """Text after the register hole, e.g. `.H1`, `.64` (inside an address: of the address register)."""
    m = re.search(r"\{R\}([.A-Z0-9_]*)", self.shape)
    return m.group(1) if m else ""
  def parts(self) -> dict:
    """cbank: bank, reg (255 = none), ureg, offset. mem: desc (uniform reg of desc[..] or None), reg, ureg, offset."""
    out = {"bank": None, "desc": None, "reg": 255, "ureg": 63, "offset": 0}
    groups = re.findall(r"(\w*)\[([^\[\]]*)\]", self.shape)
    it = iter(self.values)
    for prefix, content in groups:
      holes = syntax.HOLE.findall(content)
      vals = [next(it)[1] for _ in holes]
      if prefix == "c" and out["bank"] is None and holes == ["I"]: out["bank"] = vals[0]; continue
      if prefix == "desc" and out["desc"] is None: out["desc"] = vals[0]; continue
      for h, v in zip(holes, vals): out[{"R": "reg", "UR": "ureg", "I": "offset"}.get(h, h)] = v
    return out

@dataclass
class Instr:
  opcode: str
  operands: list
  guard: tuple | None        # (predicate number, negated); None = always
  ctrl: Ctrl
  form: object = field(repr=False, default=None)
  word: int = 0
  pc: int = 0
  @property
  def name(self) -> str: return self.opcode.split(".")[0]
  @property
  def mods(self) -> list: return self.opcode.split(".")[1:]
  def text(self, sr_tables=None, label_of=None) -> str:
    g = ""
    if self.guard is not None:
      p, neg = self.guard
      g = "@" + ("!" if neg else "") + syntax.fmt_value(self.form.gkind if self.form else "P", p) + " "
    ops = []
    omit = self.form.omit if self.form else ()
    for i, (op, fl) in enumerate(zip(self.operands, _fields_by_operand(self.form) if self.form else [[]] * len(self.operands))):
      if i in omit and op.value == syntax.ZERO_REG.get(op.values[0][0]): continue
      if label_of is not None and fl and fl[0].pc is not None and op.shape == "{I}" and op.value in label_of:
        ops.append(f"`({label_of[op.value]})"); continue
      names = sr_tables.get(fl[0].sr) if sr_tables and fl and fl[0].sr else None
      s = syntax.fmt_operand(op.shape, op.values, [f.fw for f in fl] if self.form else 32, names)
      if op.shape in ("[{R}+{I}]", "c[{I}][{R}+{I}]") and op.values[-2][1] == 255 and op.values[-1][1]:   # RZ base:
        v = op.values[-1][1]                                                      # [imm] unsigned, c[b][imm] signed
        s = f"[{v & ((1 << fl[-1].nbits()) - 1):#x}]" if op.shape[0] == "[" else \
            f"c[{op.values[0][1]:#x}][{syntax.fmt_value('I', v)}]"
      if "[RZ+UR" in s: s = s.replace("[RZ+UR", "[UR")                        # an RZ base beside a UR: nvdisasm leaves it out
      ops.append(s + (".reuse" if op.reuse and self.ctrl.yield_ else ""))
    if self.name in OMIT_ZERO_OPERAND and ops == ["0x0"]: ops = []
    return (g + imad_display_name(self.opcode, self.operands) + (" " + ", ".join(ops) if ops else "")).strip()
  def __str__(self): return self.text(T.load().sr)

def _fields_by_operand(form):
  out, it = [], iter(form.fields)
  for s in form.shapes: out.append([next(it) for _ in syntax.HOLE.findall(s)])
  return out

def decode(word: int, pc: int = 0, tab=None) -> Instr:
  tab = tab or T.load()
  form = tab.match(word)
  if form is None:
    raise InvalidKernelBinary(f"unknown SASS instruction {word:032x} at {pc:#x} (no form in the learned table matches)")
  g = word >> 12 & 7, bool(word >> 15 & 1)
  ctrl = Ctrl.from_word(word)
  ops, it = [], iter(form.fields)
  for i, s in enumerate(form.shapes):
    vals, fws = [], []
    for kind in syntax.HOLE.findall(s):
      f = next(it)
      vals.append((kind, f.get(word, pc))); fws.append(f.fw)
    ops.append(Operand(s, vals, any(r == i and ctrl.reuse >> b & 1 for b, r in enumerate(form.reuse)), fws))
    # nvdisasm shows .reuse only with the yield bit set (reuse is void when the warp may yield)
  return Instr(form.opcode, ops, None if g == (7, False) else g, ctrl, form, word, pc)

def words_of(code: bytes) -> list[int]:
  if len(code) % 16: raise InvalidKernelBinary(f"SASS code size {len(code)} is not a multiple of 16")
  return [int.from_bytes(code[i:i + 16], "little") for i in range(0, len(code), 16)]
