"""The learned Xe-HPG encoding model (xehpg.tsv, written by learn.py from iga64 -p=12p71) and its bit-level decode/encode.

An instruction is described the way iga64's JSON describes it: a flat dict of fields (`op`, `es`, `dst.reg.r`,
`srcs[0].type`, `regDist`, ...). The model is a set of *variants*; a variant is one operand structure of one opcode
(the kinds of dst and each src: register direct/indirect, immediate, ...). Per variant:
  - `mask`/`value`: the structural bits (opcode, operand kinds) -- bits whose flip changed the structure or was rejected;
  - fields: each a group of word bits and the JSON keys those bits decide, either
      `lin`  one numeric key, value = sum of per-bit weights (register numbers, immediates, jump offsets), or
      `enum` several keys, value table over all 2^n codes, enumerated through iga64 (types, regions, SWSB, conditions, ...).
Bits in no field and not in the mask are bits iga64 ignores for that variant (don't-care); encode leaves them zero.

Row format (tab separated):
  V  vid  opcode  signature  mask(hex)  value(hex)
  L  vid  key  bits(comma list)  weights(comma list)  signed(0/1)
  E  vid  keys(|-joined)  bits  code=json-values;...   (codes absent from the table are encodings iga64 rejects)
  C  ...  compaction rows (compact.py)."""
import functools, json, os
from dataclasses import dataclass, field

HERE = os.path.dirname(__file__)
TSV = os.path.join(HERE, "xehpg.tsv")

def getbits(word: int, bits: tuple) -> int:
  v = 0
  for i, b in enumerate(bits): v |= ((word >> b) & 1) << i
  return v

def putbits(code: int, bits: tuple) -> int:
  w = 0
  for i, b in enumerate(bits): w |= ((code >> i) & 1) << b
  return w

@dataclass
class Lin:
  key: str
  bits: tuple
  weights: tuple
  when: str | None = None    # immediates: the operand type these weights are for (None: any)
  def get(self, word: int) -> int:
    v = sum(w for b, w in zip(self.bits, self.weights) if word >> b & 1)
    return v
  def put(self, v: int) -> int | None:
    """Value -> word bits (None if not representable): the weights iga64 shows are +-2^k, so greedy is exact."""
    word = 0
    for b, w in sorted(zip(self.bits, self.weights), key=lambda t: (t[1] > 0, -abs(t[1]))):
      if (w < 0 and v < 0) or (0 < w <= v): word |= 1 << b; v -= w
    return word if v == 0 else None

@dataclass
class Enum:
  keys: tuple
  bits: tuple
  table: dict                                  # code -> tuple of values (one per key)
  inverse: dict = field(default_factory=dict)  # tuple of values -> first code
  def __post_init__(self):
    for c in sorted(self.table):
      self.inverse.setdefault(self.table[c], c)

@dataclass
class Variant:
  vid: int
  opcode: int
  sig: str
  mask: int
  value: int
  size: int = 16                               # 16: native, 8: compacted
  lins: list = field(default_factory=list)
  enums: list = field(default_factory=list)
  consts: dict = field(default_factory=dict)   # keys the variant fixes (op, operand kinds, ...)
  def care(self) -> int:
    m = self.mask
    for f in self.lins + self.enums:
      for b in f.bits: m |= 1 << b
    return m
  def lin_for(self, key: str, ty) -> list:
    """The linear field of key for its context (immediate type / register file), else the context-free one."""
    ls = [l for l in self.lins if l.key == key]
    return [l for l in ls if l.when == ty] or [l for l in ls if l.when is None] or ls[:1]
  def keys(self) -> set:
    return {f.key for f in self.lins} | {k for e in self.enums for k in e.keys}

def _bits(s: str) -> tuple: return tuple(int(x) for x in s.split(",")) if s else ()

@dataclass
class Model:
  variants: list
  by_opcode: dict
  fills: dict = field(default_factory=dict)     # (vid, operand types) -> [(bit, source)]: fills.py

@functools.lru_cache(maxsize=None)
def load(path: str = TSV) -> Model:
  variants, vmap, crows, erows, tables = [], {}, [], [], {}
  with open(path) as f:
    for ln in f:
      if not ln.strip() or ln.startswith("#"): continue
      r = ln.rstrip("\n").split("\t")
      if r[0] == "T":
        table = {}
        for item in r[2].split(";") if r[2] else []:
          c, vals = item.split("=", 1)
          table[int(c)] = tuple(json.loads(vals))
        tables[r[1]] = table
      elif r[0] == "K": vmap[int(r[1])].consts = json.loads(r[2])
      if r[0] == "V":
        v = Variant(int(r[1]), int(r[2]), r[3], int(r[4], 16), int(r[5], 16), int(r[6]))
        variants.append(v); vmap[v.vid] = v
      elif r[0] == "L":
        vmap[int(r[1])].lins.append(Lin(r[2], _bits(r[3]), tuple(int(x) for x in r[4].split(",")), r[5] or None))
      elif r[0] == "E": erows.append(r)
      elif r[0] == "D": crows.append(r)
  for r in erows:
    vmap[int(r[1])].enums.append(Enum(tuple(r[2].split("|")), _bits(r[3]), tables[r[4][1:]]))
  by_op = {}
  for v in variants: by_op.setdefault((v.size, v.opcode), []).append(v)
  for vs in by_op.values(): vs.sort(key=lambda v: -bin(v.mask).count("1"))
  fl = {}
  for r in crows: fl.setdefault((int(r[1]), r[2]), []).append((int(r[3]), int(r[4])))
  return Model(variants, by_op, fl)
