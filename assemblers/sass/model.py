"""The structural encoding model (sm90_model.json, written by learn_model.py): modifier fields over the learned forms.

A form (table.py) freezes every modifier bit of its exemplar. The model says, per 12-bit opcode value, which of those bits
are independent modifier fields and what each field value prints, so any combination of known field values decodes and
encodes (ISETP.NE.U32.AND.EX from the fields of ISETP.NE.AND.EX and ISETP.GE.U32.AND):

  record  = one 12-bit opcode value (bits 0..11, which include the operand-kind bits 9..11): its variants
  variant = a base form (opcode string + operand shapes, a row of sm90.tsv) + modifier fields + token template +
            don't-care bits (text-neutral in every probe: encoding keeps the base form's value)
  field   = word bits lo..lo+w-1 with a value -> tokens table (`"5": "NE"`, `"1": ""` = no token, `"3": "INVALID3"` as
            nvdisasm prints it); a value missing from the table is not this variant (nvdisasm rejects it, or it changes
            the operands: e.g. ISETP bit 72 = .EX adds a predicate, so .EX words are a variant of their own)
  template= the printed modifier order: literal tokens and field numbers, e.g. [0, 1, 2] = <cmp>.<sign>.<setop>

Decoding a word no form matches exactly: the first variant of its opcode whose base-form bits outside the fields match
and whose field values are all in the tables -> a derived form (opcode = base mnemonic + tokens composed by the template,
fixed bits = base bits with these field values). Encoding an opcode string no form has: parse its tokens against the
template of the variants with its base mnemonic and operand shapes -> the derived form. Derived forms are ordinary
table.Form objects, so decoder/asm/executor see no difference."""
import functools, json, os
from dataclasses import dataclass, field
from hwrt.assemblers.sass import table as T

HERE = os.path.dirname(__file__)

def model_path(arch: str = "sm_90") -> str: return os.path.join(HERE, f"{arch.replace('_', '')}_model.json")

@dataclass
class ModField:
  lo: int
  w: int
  values: dict               # int value -> token string ("" none, "A.B" two tokens)
  @property
  def bits(self) -> int: return ((1 << self.w) - 1) << self.lo
  def get(self, word: int) -> int: return word >> self.lo & ((1 << self.w) - 1)

@dataclass
class Variant:
  opcode: str                # base form key
  shapes: list
  fields: list               # [ModField]
  template: list             # literal token (str) or field index (int)
  dont_care: int = 0
  checked: list = field(default_factory=lambda: [0, 0])     # cross-product words checked, ok (from the learner)
  @property
  def base(self) -> str: return self.opcode.split(".")[0]
  @property
  def fbits(self) -> int: return sum(f.bits for f in self.fields)
  def compose(self, vals: list) -> str | None:
    toks = []
    for it in self.template:
      if isinstance(it, str): toks.append(it); continue
      t = self.fields[it].values.get(vals[it])
      if t is None: return None
      if t: toks += t.split(".")
    return ".".join([self.base] + toks)
  def parse(self, opcode: str):
    """-> field values that print `opcode`, or None."""
    toks = opcode.split(".")
    if toks[0] != self.base: return None
    toks = toks[1:]
    opts = [sorted(((v, t.split(".") if t else []) for v, t in f.values.items()), key=lambda x: -len(x[1])) for f in self.fields]
    vals = [None] * len(self.fields)
    def go(i, pos):
      if i == len(self.template): return pos == len(toks)
      it = self.template[i]
      if isinstance(it, str): return pos < len(toks) and toks[pos] == it and go(i + 1, pos + 1)
      for v, tl in opts[it]:
        if toks[pos:pos + len(tl)] == tl:
          vals[it] = v
          if go(i + 1, pos + len(tl)): return True
      return False
    return vals if go(0, 0) else None
  def to_json(self):
    return {"form": self.opcode, "shapes": self.shapes, "dont_care": f"{self.dont_care:032x}", "template": self.template,
            "fields": [{"lo": f.lo, "w": f.w, "values": {str(k): v for k, v in sorted(f.values.items())}} for f in self.fields],
            "checked": self.checked}
  @staticmethod
  def from_json(d):
    return Variant(d["form"], d["shapes"], [ModField(f["lo"], f["w"], {int(k): v for k, v in f["values"].items()}) for f in d["fields"]],
                   d["template"], int(d["dont_care"], 16), d.get("checked", [0, 0]))

class Model:
  def __init__(self, variants: list, table: "T.Table"):
    self.tab = table
    self.by_op: dict[int, list] = {}
    self.by_name: dict[tuple, list] = {}
    self._derived: dict = {}
    for v in variants:
      bf = table.by_key.get((v.opcode, tuple(v.shapes)))
      if bf is None: continue                                  # a form the table no longer has
      v.form = bf
      self.by_op.setdefault(bf.value & 0xFFF, []).append(v)
      self.by_name.setdefault((v.base, tuple(v.shapes)), []).append(v)
    for lst in self.by_op.values(): lst.sort(key=lambda v: (-len(v.form.when), -bin(v.form.mask & ~v.fbits).count("1")))

  def _derive(self, v: Variant, vals: tuple):
    key = (id(v), vals)
    f = self._derived.get(key)
    if f is None:
      bf, fb = v.form, v.fbits
      op = v.compose(list(vals))
      if op is None: return None
      value = (bf.value & ~fb) | sum(x << mf.lo for x, mf in zip(vals, v.fields))
      f = self._derived[key] = T.Form(op, list(bf.shapes), bf.mask | fb, value, bf.fields, bf.reuse, 0, bf.gkind, dict(bf.when), list(bf.omit))
      f.dont_care = v.dont_care               # encoding keeps the base form's value there
    return f

  def match(self, word: int):
    for v in self.by_op.get(word & 0xFFF, ()):
      bf, free = v.form, v.fbits | v.dont_care
      if word & bf.mask & ~free != bf.value & ~free: continue
      if bf.when and not all(bf.fields[j].get(word) == x for j, x in bf.when.items()): continue
      vals = tuple(mf.get(word) for mf in v.fields)
      if all(x in mf.values for x, mf in zip(vals, v.fields)):
        f = self._derive(v, vals)
        if f is not None: return f
    return None

  def form_for(self, opcode: str, shapes: tuple):
    for v in self.by_name.get((opcode.split(".")[0], tuple(shapes)), ()):
      vals = v.parse(opcode)
      if vals is not None and not v.form.when: return self._derive(v, tuple(vals))
    return None

@functools.lru_cache(maxsize=None)
def load_variants(arch: str = "sm_90") -> tuple:
  p = model_path(arch)
  if not os.path.exists(p): return ()
  with open(p) as f: d = json.load(f)
  return tuple(Variant.from_json(v) for r in d["records"].values() for v in r["variants"])

def write_model(variants: list, coverage: dict, arch: str = "sm_90"):
  recs = {}
  for v in variants:
    recs.setdefault(f"{v.form.value & 0xFFF:03x}", {"base": v.base, "variants": []})["variants"].append(v.to_json())
  with open(model_path(arch), "w") as f:
    f.write('{"arch": %s,\n "learned_by": "python -m hwrt.assemblers.sass.learn_model (do not edit)",\n "coverage": %s,\n "records": {\n'
            % (json.dumps(arch), json.dumps(coverage)))
    f.write(",\n".join(f"  {json.dumps(k)}: {json.dumps(recs[k])}" for k in sorted(recs)))
    f.write("\n }\n}\n")
