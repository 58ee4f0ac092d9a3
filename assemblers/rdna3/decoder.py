"""gfx1100 (RDNA3) instruction decoder, shared by disasm.py, asm.py and sim/. Encodings come from encodings.tsv, opcodes
and operand templates from gfx1100.tsv (learned from llvm-mc by learn_tables.py, see there)."""
import os, re
from dataclasses import dataclass, field

HERE = os.path.dirname(os.path.abspath(__file__))

@dataclass(frozen=True)
class Encoding:
  name: str
  size: int                       # bits of the base instruction (literal / DPP words come on top)
  fixed: int                      # value of the fixed bits
  mask: int                       # which bits are fixed
  op: tuple                       # (hi, lo) of the opcode field; VOPD has opx/opy instead
  fields: dict                    # name -> (hi, lo)

def get_field(word: int, hl) -> int: return (word >> hl[1]) & ((1 << (hl[0] - hl[1] + 1)) - 1)
def put_field(word: int, hl, v: int) -> int:
  m = (1 << (hl[0] - hl[1] + 1)) - 1
  return (word & ~(m << hl[1])) | ((v & m) << hl[1])

def _load_encodings() -> dict:
  encs = {}
  with open(os.path.join(HERE, "encodings.tsv")) as f:
    for ln in f:
      if ln.startswith("#") or not ln.strip(): continue
      name, size, fixed, fields = ln.rstrip("\n").split("\t")
      fx = mk = 0
      for part in fixed.split(","):
        hl, v = part.split("=")
        hi, lo = map(int, hl.split(":"))
        fx, mk = put_field(fx, (hi, lo), int(v, 0)), put_field(mk, (hi, lo), -1)
      fd = {k: tuple(map(int, v.split(":"))) for k, v in (x.split("=") for x in fields.split())}
      encs[name] = Encoding(name, int(size), fx, mk, fd.pop("op", None), fd)
  return encs

ENCODINGS = _load_encodings()

@dataclass(frozen=True)
class OpInfo:
  enc: str
  op: int
  name: str
  operands: tuple                 # (field, kind, width): kind v/s/a(any 8/9-bit source)/vl(16-bit half)/imm styles/'=' text
  mods: dict                      # modifier field -> bit mask LLVM prints for it (VOP3/VOP3P clamp, omod, neg, abs, sext, opsel...)
  inline: dict = None             # source field -> mask of literal spellings llvm-mc turns into inline constants (asm.py)
  fixed: dict = None              # unused fields with a required value (v_cmpx_*_e64: vdst = 126, EXEC_LO)
  operands64: tuple = None        # operands in wave64 mode where they differ (lane masks: vcc, s[n:n+1])

def _tokens(operands: str) -> tuple:
  """'vdst:v1 src0:a1h =vcc_lo simm16:hex' -> ((field, kind, dwords), ...); kind h suffix: a literal here is 16-bit."""
  toks = []
  for t in operands.split():
    if t.startswith("="): toks.append(("=", t[1:], 0)); continue
    fld, kind = t.split(":")
    if kind[0] in "vsa" and kind[1:].rstrip("h").isdigit(): toks.append((fld, kind[0] + ("h" if kind.endswith("h") else ""), int(kind[1:].rstrip("h"))))
    elif kind in ("vl", "al", "alh"): toks.append((fld, kind, 1))
    else: toks.append((fld, kind, 0))
  return tuple(toks)

def _load_ops():
  ops, by_name = {}, {}
  with open(os.path.join(HERE, "gfx1100.tsv")) as f:
    for ln in f:
      if ln.startswith("#"): continue
      enc, op, name, operands, mods, operands64 = (ln.rstrip("\n").split("\t") + [""])[:6]
      kv = {k: int(v) for k, v in (m.split("=") for m in mods.split())}
      info = OpInfo(enc, int(op), name, _tokens(operands), {k: v for k, v in kv.items() if not k.startswith("inl_") and k != "vdst"},
                    {k[4:]: v for k, v in kv.items() if k.startswith("inl_")}, {k: v for k, v in kv.items() if k == "vdst"},
                    _tokens(operands64) if operands64 else None)
      ops[(enc, int(op))] = info
      by_name.setdefault(name, []).append(info)
  return ops, by_name

OPS, BY_NAME = _load_ops()
SRC_FIELDS = ("src0", "src1", "src2", "srcx0", "srcy0", "ssrc0", "ssrc1")

@dataclass
class Operand:
  field: str                      # encoding field it came from ("" for implicit text such as vcc_lo)
  kind: str                       # sgpr, vgpr, const (inline constant), literal, special (vcc_lo, null, ...), imm, text
  value: int                      # register number / raw field value / literal bits
  width: int = 1                  # dwords
  neg: bool = False
  abs: bool = False
  half: str = ""                  # "l"/"h" for 16-bit halves of a VGPR (true16 VOP1/2/C forms)
  sext: bool = False              # integer sign-extension modifier (the VOP3 neg bit of some integer sources)
  lit16: bool = False             # a literal for a 16-bit operand (only its low 16 bits are used and printed)
  text: str = ""                  # kind "text": fixed text LLVM prints (vcc_lo of VOPC/VOP2 carry forms, ...)
  pi64: bool = False              # LLVM spells inline constant 1/(2*pi) here as a double (learned per operand: pi64/pi64w)

@dataclass
class Instr:
  name: str                       # LLVM mnemonic (with _dpp / _e64_dpp when DPP is used)
  enc: str
  op: int
  size: int                       # bytes, literal and DPP words included
  pc: int
  fields: dict                    # raw field values
  operands: list = field(default_factory=list)
  info: OpInfo = None
  literal: int = None
  dpp: dict = None                # DPP16: ctrl, row_mask, bank_mask, bound_ctrl, fi; DPP8: sel (list of 8), fi
  y: "Instr" = None               # VOPD: the Y half (this Instr is the X half)

def classify(v: int, width: int = 1, literal: int = None) -> Operand:
  """An 8/9-bit source (or 7-bit scalar destination) field value as a typed operand."""
  if v >= 256: return Operand("", "vgpr", v - 256, width)
  if v <= 105: return Operand("", "sgpr", v, width)
  if 108 <= v <= 123: return Operand("", "ttmp", v - 108, width)
  if 128 <= v <= 208 or 240 <= v <= 248: return Operand("", "const", v, width)
  if v == 255: return Operand("", "literal", literal or 0, width)
  return Operand("", "special", v, width)

def encoding_of(word: int) -> str:
  for e in ENCODINGS.values():
    if word & e.mask == e.fixed: return e.name
  return None

def decode(data, pc: int = 0, wave64: bool = False) -> Instr:
  """Decode one instruction at byte offset pc of data (bytes, or a list of 32-bit words); wave64 selects the 64-bit lane
  mask operands (vcc, s[n:n+1]) of wave64 code. Raises ValueError if unknown."""
  if not isinstance(data, (bytes, bytearray, memoryview)): data = b"".join(int(w).to_bytes(4, "little") for w in data)
  dw = lambda i: int.from_bytes(data[pc + 4 * i:pc + 4 * i + 4].ljust(4, b"\0"), "little")
  word = dw(0) | (dw(1) << 32)
  enc = encoding_of(word)
  if enc is None: raise ValueError(f"unknown encoding {dw(0):08x} at {pc:#x}")
  e = ENCODINGS[enc]
  n = e.size // 32
  fields = {k: get_field(word, hl) for k, hl in e.fields.items()}
  if enc == "VOPD":
    ix, iy = OPS.get(("VOPDX", fields["opx"])), OPS.get(("VOPDY", fields["opy"]))
    if ix is None or iy is None: raise ValueError(f"unknown VOPD opcode {fields['opx']}/{fields['opy']} at {pc:#x}")
    fields["vdsty"] = (fields["vdsty"] << 1) | (~fields["vdstx"] & 1)
    info, op = ix, fields["opx"]
  else:
    op = get_field(word, e.op)
    info = OPS.get((enc, op))
    if info is None: raise ValueError(f"unknown {enc} opcode {op} at {pc:#x}")
  if enc == "VOP3" and any(t[0] == "sdst" for t in info.operands):      # VOP3SD: scalar carry-out/VCC in bits 14:8
    fields.update(sdst=get_field(word, (14, 8)), abs=0, opsel=0)
  ins = Instr(info.name, enc, op, 4 * n, pc, fields, info=info)
  infos = [info] + ([iy] if enc == "VOPD" else [])
  src0 = fields.get("src0")
  if src0 in (250, 233, 234) and enc in ("VOP1", "VOP2", "VOPC", "VOP3"):
    d = dw(n); n += 1
    if src0 == 250:
      ins.dpp = dict(src=d & 0xff, ctrl=(d >> 8) & 0x1ff, fi=(d >> 18) & 1, bound_ctrl=(d >> 19) & 1, bank_mask=(d >> 24) & 15,
                     row_mask=d >> 28, neg=0, abs=0)
      if enc != "VOP3": ins.dpp.update(neg=((d >> 20) & 1) | (((d >> 22) & 1) << 1), abs=((d >> 21) & 1) | (((d >> 23) & 1) << 1))
    else: ins.dpp = dict(src=d & 0xff, sel=[(d >> (8 + 3 * i)) & 7 for i in range(8)], fi=int(src0 == 234))
    fields["src0"] = 256 + ins.dpp["src"]
    ins.name = (info.name + "_dpp" if info.name.endswith("_e64") else info.name + "_e64_dpp") if enc == "VOP3" else info.name.replace("_e32", "") if enc == "VOPC" else info.name.replace("_e32", "") + "_dpp"
  needs_lit = any(fields.get(f) == 255 for f in SRC_FIELDS if any(t[0] == f for i in infos for t in i.operands)) \
      or any(t[0] == "lit" for i in infos for t in i.operands)
  if needs_lit: ins.literal = dw(n); n += 1
  ins.size = 4 * n
  for i in infos:
    ops = []
    for fld, kind, width in (i.operands64 if wave64 and i.operands64 else i.operands):
      if fld == "=": ops.append(Operand("", "text", 0, 0, text=kind)); continue
      if fld == "lit": ops.append(Operand("lit", "literal", ins.literal)); continue
      v = fields.get(fld, 0)
      if fld == "sbase": v *= 2                                       # SGPR pair index
      if fld == "srsrc": v *= 4                                       # SGPR quad index
      lit16, base = kind.endswith("h"), kind[:-1] if kind.endswith("h") else kind
      if base in ("a", "s"):
        o = classify(v, width, ins.literal)
        o.lit16 = lit16 and o.kind == "literal"
      elif base == "v": o = Operand("", "vgpr", v, width)
      elif base in ("vl", "al"):
        o = classify(v, 1, ins.literal)
        o.lit16 = lit16 and o.kind == "literal"
        if o.kind == "vgpr" or base == "vl": o = Operand("", "vgpr", v & 127 if base == "vl" else o.value & 127, 1, half="h" if v & 128 else "l")
      else: o = Operand("", "imm", v, 0)
      o.field = fld
      if o.kind == "const" and v == 248 and fld[-1].isdigit(): o.pi64 = bool(i.mods.get("pi64w" if wave64 else "pi64", 0) >> int(fld[-1]) & 1)
      ops.append(o)
    if i is info: ins.operands = ops
    else: ins.y = Instr(i.name, "VOPD", fields["opy"], 0, pc, fields, ops, i)
  _memory_operands(ins)
  if enc == "VOP3" or enc == "VOP3P":
    for o in ins.operands:
      if o.field in ("src0", "src1", "src2"):
        b = 1 << int(o.field[3])
        if enc == "VOP3":
          o.neg = bool(fields["neg"] & b and info.mods.get("neg", 0) & b)
          o.sext = bool(fields["neg"] & b and info.mods.get("sext", 0) & b)
          o.abs = bool(fields["abs"] & b and info.mods.get("abs", 0) & b)
        elif "_mix" in info.name: o.neg, o.abs = bool(fields["neg"] & b), bool(fields["neg_hi"] & b)   # mix: neg_hi is abs
  if ins.dpp and "neg" in ins.dpp:
    for o in ins.operands:                                 # integer sources print the neg bit as sext() (learned: dpp_sext)
      if o.field in ("src0", "vsrc1"):
        b = 1 << (o.field == "vsrc1")
        if info.mods.get("dpp_sext", 0) & b: o.sext = bool(ins.dpp["neg"] & b)
        else: o.neg, o.abs = o.neg or bool(ins.dpp["neg"] & b), o.abs or bool(ins.dpp["abs"] & b)
  return ins

def _memory_operands(ins: Instr):
  """Operands whose presence or width depends on other bits: returning atomics (glc) gain vdst, a global access without a
  scalar base takes a 64-bit vaddr, unused address parts become kind 'off', SMEM gets its soffset."""
  f, enc, ops = ins.fields, ins.enc, ins.operands
  byf = {o.field: o for o in ops}
  if enc in ("FLAT", "GLOBAL", "SCRATCH") and "_atomic_" in ins.name and f["glc"] and "data" in byf:
    dw = byf["data"].width
    ops.insert(0, Operand("vdst", "vgpr", f["vdst"], dw // 2 if "cmpswap" in ins.name else dw))
  if enc == "GLOBAL" and f["saddr"] == 0x7c:
    if "addr" in byf: byf["addr"].width = 2
    if "saddr" in byf: byf["saddr"].kind = "off"
  if enc == "SCRATCH":
    if "saddr" in byf and f["saddr"] == 0x7c: byf["saddr"].kind = "off"
    if "addr" in byf and not f["sve"]: byf["addr"].kind = "off"
  if enc == "MUBUF" and "vaddr" in byf:
    if not (f["offen"] or f["idxen"]): byf["vaddr"].kind = "off"
    elif f["offen"] and f["idxen"]: byf["vaddr"].width = 2
  if enc == "SMEM" and ops:
    so = classify(f["soffset"]); so.field = "soffset"
    ops.append(so)

def decode_all(code: bytes, base: int = 0, wave64: bool = False) -> list:
  out, pc = [], 0
  while pc < len(code):
    i = decode(code, pc, wave64); i.pc = base + pc; out.append(i); pc += i.size
  return out
