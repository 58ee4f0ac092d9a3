"""The learned encoding table (sm90.tsv, written by learn.py) and the bit-level encode/decode of one form.

A row is one instruction form: opcode with modifiers, operand shapes (syntax.py), the 128-bit fixed mask and value, and one
field spec per operand hole. Field spec: `lo:width[<<shift],...[;s][;pc=C][;sr=TABLE][;fK]` or `=V[;fK]` — word bits
lo..lo+width-1 hold value bits shift..; `=V`: the encoding does not store the hole, only V is valid; `s`: two's complement
(sign = highest value bit); `pc=C`: the printed value is pc + C + field (branch targets); `sr=T`: the value names a special
register from table T (sm90_sr.tsv); `f16`/`f32`/`f64h` (float holes only): the value is the bit pattern of an fp16, an fp32,
or the high 32 bits of a double (low word zero; nvdisasm prints the double) -- learned from how flips read back.
Bits 12..15 are the guard predicate (3 bits number, bit 15 negate) and bits 105..125 the control info (sched.py / Ctrl) on
every form: neither appears in the mask.
`reuse` lists, for the reuse bits 122..125, the operand index that prints `.reuse` (`-` for none)."""
import functools, os
from dataclasses import dataclass, field

HERE = os.path.dirname(__file__)
CTRL_MASK = ((1 << 21) - 1) << 105
GUARD_MASK = 0xF << 12

@dataclass
class Field:
  segs: list                 # [(word_lo, width, value_shift)]
  signed: bool = False
  pc: int | None = None
  sr: str | None = None
  const: int | None = None   # a hole the encoding does not store (only this value is valid): spec `=V`
  fw: int | None = None      # float holes: 16, 32, or 64 (= the high word of a double); spec `f16` / `f32` / `f64h`
  def bits(self) -> int:
    return sum(((1 << w) - 1) << lo for lo, w, _ in self.segs)
  def nbits(self) -> int: return max(sh + w for _, w, sh in self.segs)
  def get(self, word: int, pc: int = 0) -> int:
    if self.const is not None: return self.const
    v = 0
    for lo, w, sh in self.segs: v |= ((word >> lo) & ((1 << w) - 1)) << sh
    if self.signed and v >> (self.nbits() - 1) & 1: v -= 1 << self.nbits()
    return v + (pc + self.pc if self.pc is not None else 0)
  def put(self, v: int, pc: int = 0) -> int:
    if self.const is not None:
      if v != self.const: raise ValueError(f"only {self.const:#x} is encodable here")
      return 0
    if self.pc is not None: v -= pc + self.pc
    n = self.nbits()
    lo_ok = -(1 << (n - 1)) if self.signed else 0       # signed fields also take their unsigned spelling ([0xfff0])
    if not (lo_ok <= v < (1 << n)): raise ValueError(f"value {v:#x} does not fit {n} bits")
    v &= (1 << n) - 1
    word = 0
    for lo, w, sh in self.segs:
      word |= ((v >> sh) & ((1 << w) - 1)) << lo
      v &= ~(((1 << w) - 1) << sh)
    if v: raise ValueError("value has bits outside the field")
    return word
  def spec(self) -> str:
    fk = f";{FLOAT_KIND[self.fw]}" if self.fw else ""
    if self.const is not None: return f"={self.const}" + fk
    s = ",".join(f"{lo}:{w}" + (f"<<{sh}" if sh else "") for lo, w, sh in self.segs)
    if self.signed: s += ";s"
    if self.pc is not None: s += f";pc={self.pc}"
    if self.sr: s += f";sr={self.sr}"
    return s + fk
  @staticmethod
  def from_spec(s: str) -> "Field":
    parts = s.split(";")
    if parts[0].startswith("="): f = Field([], const=int(parts[0][1:]))
    else:
      segs = []
      for seg in parts[0].split(","):
        a, _, sh = seg.partition("<<")
        lo, w = a.split(":")
        segs.append((int(lo), int(w), int(sh or 0)))
      f = Field(segs)
    for p in parts[1:]:
      if p == "s": f.signed = True
      elif p.startswith("pc="): f.pc = int(p[3:])
      elif p.startswith("sr="): f.sr = p[3:]
      elif p in FLOAT_WIDTH: f.fw = FLOAT_WIDTH[p]
      else: raise ValueError(f"bad field spec {s!r}")
    return f

FLOAT_KIND = {16: "f16", 32: "f32", 64: "f64h"}
FLOAT_WIDTH = {v: k for k, v in FLOAT_KIND.items()}

@dataclass
class Form:
  opcode: str
  shapes: list               # operand shapes
  mask: int
  value: int
  fields: list               # Field per hole, in order
  reuse: list = field(default_factory=lambda: [None] * 4)    # operand index per reuse bit 122..125
  count: int = 0             # corpus instances (informational)
  gkind: str = "P"           # guard predicate file: P, or UP on the uniform datapath
  when: dict = field(default_factory=dict)   # alias condition {hole index: value} (IMAD.MOV = IMAD with RZ, RZ)
  omit: list = field(default_factory=list)   # operand indices nvdisasm leaves out when they hold RZ/URZ/PT/UPT
  @property
  def key(self): return (self.opcode, tuple(self.shapes))
  @property
  def fwidths(self) -> list:
    """Float width of each hole (None for non-float holes): the per-hole `fwidth` of syntax.parse/fmt_operand."""
    return [f.fw for f in self.fields]
  def row(self) -> str:
    return "\t".join([self.opcode, "; ".join(self.shapes) or "-", f"{self.mask:032x}", f"{self.value:032x}",
                      " ".join(f.spec() for f in self.fields) or "-", ",".join("-" if r is None else str(r) for r in self.reuse),
                      self.gkind, ",".join(f"{j}={v}" for j, v in sorted(self.when.items())) or "-",
                      ",".join(map(str, self.omit)) or "-", str(self.count)])
  @staticmethod
  def from_row(line: str) -> "Form":
    op, shapes, mask, value, fields, reuse, gkind, when, omit, count = line.rstrip("\n").split("\t")
    return Form(op, [] if shapes == "-" else shapes.split("; "), int(mask, 16), int(value, 16),
                [] if fields == "-" else [Field.from_spec(s) for s in fields.split(" ")],
                [None if r == "-" else int(r) for r in reuse.split(",")], int(count), gkind,
                {} if when == "-" else {int(a): int(b) for a, b in (x.split("=") for x in when.split(","))},
                [] if omit == "-" else [int(x) for x in omit.split(",")])

HEADER = "# opcode\toperand shapes\tfixed mask (128-bit hex)\tfixed value\tfield per hole\treuse operand per bit 122..125\tguard\talias condition\tomitted when zero\tcorpus count"

def table_path(arch: str = "sm_90") -> str: return os.path.join(HERE, f"{arch.replace('_', '')}.tsv")
def sr_path(arch: str = "sm_90") -> str: return os.path.join(HERE, f"{arch.replace('_', '')}_sr.tsv")

def write_table(forms, sr_tables, arch="sm_90"):
  with open(table_path(arch), "w") as f:
    f.write(f"# SASS {arch} instruction forms learned from ptxas+nvdisasm by `python -m hwrt.assemblers.sass.learn` (do not edit)\n")
    f.write(HEADER + "\n")
    for fm in sorted(forms, key=lambda x: (x.opcode, x.shapes)): f.write(fm.row() + "\n")
  with open(sr_path(arch), "w") as f:
    f.write("# table\tvalue\tname  (special registers, enumerated through nvdisasm)\n")
    for t in sorted(sr_tables):
      for v, n in sorted(sr_tables[t].items()): f.write(f"{t}\t{v}\t{n}\n")

class Table:
  def __init__(self, forms, sr_tables, arch: str = "sm_90", variants=None):
    self.forms, self.sr, self.arch, self._variants, self._model = forms, sr_tables, arch, variants, None
    self.sr_by_name = {t: {n: v for v, n in m.items()} for t, m in sr_tables.items()}
    self.by_key = {f.key: f for f in forms}
    self.by_op: dict[int, list] = {}
    for f in forms:
      if f.mask & 0xFFF != 0xFFF: raise ValueError(f"form {f.key} leaves opcode bits free")
      self.by_op.setdefault(f.value & 0xFFF, []).append(f)
    for lst in self.by_op.values(): lst.sort(key=lambda f: (-bin(f.mask).count("1"), -len(f.when)))
  def match(self, word: int):
    """The most specific form whose fixed bits match (forms where an omitted operand part is a fixed default win);
    among forms with the same bits, the first alias whose condition holds, else the plain form."""
    best = None
    for f in self.by_op.get(word & 0xFFF, ()):
      if word & f.mask != f.value: continue
      if best is not None and (f.mask, f.value) != (best.mask, best.value): break
      if not f.when or all(f.fields[j].get(word) == v for j, v in f.when.items()): return f
      best = best or f
    return best or self.model.match(word)
  @property
  def model(self):
    """The structural model (model.py): modifier fields over these forms, for combinations no form holds."""
    if self._model is None:
      from hwrt.assemblers.sass import model as M
      self._model = M.Model(list(self._variants if self._variants is not None else M.load_variants(self.arch)), self)
    return self._model
  def form_for(self, opcode: str, shapes) -> "Form | None":
    """The form printing `opcode` with these operand shapes: a learned row, else one derived from the model."""
    return self.by_key.get((opcode, tuple(shapes))) or self.model.form_for(opcode, tuple(shapes))

@functools.lru_cache(maxsize=None)
def load(arch: str = "sm_90") -> Table:
  forms, sr = [], {}
  with open(table_path(arch)) as f:
    forms = [Form.from_row(l) for l in f if l.strip() and not l.startswith("#")]
  if os.path.exists(sr_path(arch)):
    with open(sr_path(arch)) as f:
      for l in f:
        if l.startswith("#") or not l.strip(): continue
        t, v, n = l.rstrip("\n").split("\t")
        sr.setdefault(t, {})[int(v)] = n
  return Table(forms, sr, arch)
