"""gfx1100 assembler for LLVM's syntax: one instruction (assemble_instr) or a program with labels (assemble)."""
import re, struct
from hwrt.errors import AssemblerError
from hwrt.assemblers.rdna3.decoder import ENCODINGS, BY_NAME, OPS, put_field
from hwrt.assemblers.rdna3.disasm import SPECIAL, SPECIAL64, FLOAT_CONST, DELAY_ID, DELAY_SKIP, HWREG, SENDMSG, DEPCTR, DEPCTR_DEFAULT, UC_VERSION, UC_FLAGS

REGNUM = {**{v: k for k, v in SPECIAL.items()}, **{v: k for k, v in SPECIAL64.items()}, "scc": 253, "vccz": 251, "execz": 252}
FLOATS = {v: k for k, v in FLOAT_CONST.items()} | {"0.15915494": 248, "0.15915494309189532": 248}
BRANCHES = {"s_branch", "s_call_b64"} | {n for n in BY_NAME if n.startswith("s_cbranch_")}
SPLIT_OPS = re.compile(r", (?![^(\[]*[)\]])")
SPLIT_MODS = re.compile(r" (?![^(]*\))")

def parse_int(t: str) -> int:
  try: return int(t, 0)
  except ValueError: raise AssemblerError(f"expected a number, got {t!r}")

def parse_reg(t: str):
  """'s4' / 's[4:5]' / 'v3' / 'v[2:3]' / 'ttmp2' / 'vcc' ... -> (kind 's'|'v', first number in the 9-bit source space, dwords)."""
  m = re.fullmatch(r"(s|v|ttmp)(?:(\d+)|\[(\d+):(\d+)\])", t)
  if m:
    lo = int(m.group(2) or m.group(3)); n = 1 if m.group(2) else int(m.group(4)) - lo + 1
    return ("v", lo, n) if m.group(1) == "v" else ("s", lo + (108 if m.group(1) == "ttmp" else 0), n)
  if t in REGNUM: return ("s", REGNUM[t], 2 if t in ("vcc", "exec") else 1)
  return None

def parse_src(t: str):
  """A source operand -> (9-bit field value, literal or None, neg, abs)."""
  neg = ab = False
  if t.startswith("-") and not re.fullmatch(r"-[\d.]+|-0x[0-9a-fA-F]+", t): neg, t = True, t[1:]
  if (t.startswith("neg(") or t.startswith("sext(")) and t.endswith(")"): neg, t = True, t[t.index("(") + 1:-1]
  if t.startswith("|") and t.endswith("|"): ab, t = True, t[1:-1]
  r = parse_reg(t)
  if r: return (r[1] + 256 if r[0] == "v" else r[1]), None, neg, ab
  if t in FLOATS: return FLOATS[t], None, neg, ab
  v = parse_int(t)
  if -16 <= v <= 64: return (128 + v if v >= 0 else 192 - v), None, neg, ab
  if not -(1 << 31) <= v < (1 << 32): raise AssemblerError(f"literal {t} does not fit 32 bits")
  return 255, v & 0xffffffff, neg, ab

# a literal whose bits equal an inline constant is encoded as that constant, as llvm-mc does; which patterns apply to which
# operand is learned from llvm-mc (inl_<field> in gfx1100.tsv). Bit patterns: AMD RDNA3 ISA guide, "Inline constants".
F32_INLINE = {0x3f000000: 240, 0xbf000000: 241, 0x3f800000: 242, 0xbf800000: 243, 0x40000000: 244, 0xc0000000: 245,
              0x40800000: 246, 0xc0800000: 247, 0x3e22f983: 248}
F16_INLINE = {0x3800: 240, 0xb800: 241, 0x3c00: 242, 0xbc00: 243, 0x4000: 244, 0xc000: 245, 0x4400: 246, 0xc400: 247, 0x3118: 248}
F64_INLINE_HI = {0x3fe00000: 240, 0xbfe00000: 241, 0x3ff00000: 242, 0xbff00000: 243, 0x40000000: 244, 0xc0000000: 245,
                 0x40100000: 246, 0xc0100000: 247}

def inline_for_literal(l: int, flags: int):
  """The inline constant llvm-mc uses for a literal written as l, given the operand's learned inl_<field> mask (1: f16
  patterns, 2: f32 patterns, 4: f64 high dwords, 8: 16-bit -1..-16, 16: 32-bit -1..-16), or None."""
  if flags & 1 and l in F16_INLINE: return F16_INLINE[l]
  if flags & 2 and l in F32_INLINE: return F32_INLINE[l]
  if flags & 4 and l in F64_INLINE_HI: return F64_INLINE_HI[l]
  if flags & 8 and 0xfff0 <= l <= 0xffff: return 192 + 0x10000 - l
  if flags & 16 and 0xfffffff0 <= l <= 0xffffffff: return 192 + (1 << 32) - l
  return None

def parse_waitcnt(t: str) -> int:
  if re.fullmatch(r"-?\d+|0x[0-9a-fA-F]+", t): return parse_int(t) & 0xffff
  v = 0xfff7
  for name, n in re.findall(r"(\w+)\((\d+)\)", t):
    n = int(n)
    if name == "vmcnt": v = (v & ~(63 << 10)) | (n & 63) << 10
    elif name == "expcnt": v = (v & ~7) | (n & 7)
    elif name == "lgkmcnt": v = (v & ~(63 << 4)) | (n & 63) << 4
    else: raise AssemblerError(f"unknown counter {name}")
  return v

def parse_delay(t: str) -> int:
  if re.fullmatch(r"\d+|0x[0-9a-fA-F]+", t): return parse_int(t)
  v = 0
  for name, arg in re.findall(r"(\w+)\((\w+)\)", t):
    if name == "instid0": v |= DELAY_ID.index(arg)
    elif name == "instskip": v |= DELAY_SKIP.index(arg) << 4
    elif name == "instid1": v |= DELAY_ID.index(arg) << 7
  return v

def parse_depctr(t: str) -> int:
  if re.fullmatch(r"\d+|0x[0-9a-fA-F]+", t): return parse_int(t)
  v, fields = DEPCTR_DEFAULT, {n: (lo, w) for n, lo, w in DEPCTR}
  for name, n in re.findall(r"(\w+)\((\d+)\)", t):
    if name not in fields: raise AssemblerError(f"unknown depctr field {name}")
    lo, w = fields[name]; v = (v & ~(((1 << w) - 1) << lo)) | (int(n) & ((1 << w) - 1)) << lo
  return v

def parse_version(t: str) -> int:
  names = {n: v for v, n in UC_VERSION.items()} | {n: 1 << b for b, n in UC_FLAGS}
  v = 0
  for tok in t.replace("(", "").replace(")", "").split("|"):
    tok = tok.strip(); v |= names[tok] if tok in names else parse_int(tok)
  return v & 0xffff

def parse_hwreg(t: str) -> int:
  m = re.fullmatch(r"hwreg\((\w+)(?:, *(\d+), *(\d+))?\)", t)
  if not m: return parse_int(t)
  names = {v: k for k, v in HWREG.items()}
  rid = names[m.group(1)] if m.group(1) in names else parse_int(m.group(1))
  off, size = (int(m.group(2)), int(m.group(3))) if m.group(2) else (0, 32)
  return rid | off << 6 | (size - 1) << 11

def parse_sendmsg(t: str) -> int:
  m = re.fullmatch(r"sendmsg\((\w+)(?:, *(\d+))?(?:, *(\d+))?\)", t)
  if not m: return parse_int(t)
  names = {v: k for k, v in SENDMSG.items()}
  v = names[m.group(1)] if m.group(1) in names else parse_int(m.group(1))
  return v | int(m.group(2) or 0) << 4 | int(m.group(3) or 0) << 8

def parse_swizzle(t: str) -> int:
  m = re.fullmatch(r'swizzle\((\w+)(?:,(.*))?\)', t)
  if not m: return parse_int(t)
  mode, args = m.group(1), (m.group(2) or "").split(",")
  if mode == "QUAD_PERM": return 0x8000 | sum(int(a) << (2 * i) for i, a in enumerate(args))
  if mode == "SWAP": return 31 | int(args[0]) << 10
  if mode == "REVERSE": return 31 | (int(args[0]) - 1) << 10
  if mode == "BROADCAST": return (32 - int(args[0])) | int(args[1]) << 5
  a = o = x = 0
  for i, c in enumerate(args[0].strip('"')):
    b = 1 << (4 - i)
    if c in "pi": a |= b
    if c == "1": o |= b
    if c == "i": x |= b
  return a | o << 5 | x << 10

def parse_dpp(mods: list) -> dict:
  d = dict(ctrl=None, row_mask=15, bank_mask=15, bound_ctrl=0, fi=0, sel=None)
  for m in mods:
    k, _, v = m.partition(":")
    if k == "quad_perm": d["ctrl"] = sum(int(x) << (2 * i) for i, x in enumerate(v.strip("[]").split(",")))
    elif k in ("row_shl", "row_shr", "row_ror", "row_share", "row_xmask"):
      d["ctrl"] = {"row_shl": 0x100, "row_shr": 0x110, "row_ror": 0x120, "row_share": 0x150, "row_xmask": 0x160}[k] | int(v)
    elif k == "row_mirror": d["ctrl"] = 0x140
    elif k == "row_half_mirror": d["ctrl"] = 0x141
    elif k in ("row_mask", "bank_mask", "bound_ctrl", "fi"): d[k] = parse_int(v)
    elif k == "dpp8": d["sel"] = [int(x) for x in v.strip("[]").split(",")]
    else: raise AssemblerError(f"unknown DPP modifier {m}")
  return d

def bits_list(t: str) -> int:
  return sum(int(x) << i for i, x in enumerate(t.split(":", 1)[1].strip("[]").split(",")))

class _Fail(Exception): pass

def _check_width(t: str, width: int, fld: str):
  """A register tuple (or vcc/exec) must have the operand's width; null, m0, constants and 16-bit halves fit any."""
  core = re.sub(r"^(-|sext\(|neg\()?\|?(.*?)\|?\)?$", r"\2", t)
  r = parse_reg(core)
  if r and (core[0] in "sv" and core[:4] != "src_" or core.startswith("ttmp") or core in ("vcc", "exec", "vcc_lo", "exec_lo")) \
     and r[2] != width and width:
    raise _Fail(f"{t}: {width} dword(s) expected for {fld}")

def _encode(info, ops: list, mods: list, pc: int, labels: dict, dpp: bool, wave64: bool = False):
  """Encode one instruction with one table entry; raises _Fail if the operands do not fit this entry."""
  enc = ENCODINGS[info.enc]
  f, lit, negs, abss = {}, [], 0, 0
  toks = [t for t in (info.operands64 if wave64 and info.operands64 else info.operands) if not (info.enc == "SMEM" and t[0] == "offset")]
  if info.name == "s_endpgm" and not ops: toks = []
  if not toks and ops: mods, ops = [m for o in ops for m in o.split()] + mods, []     # e.g. "ds_nop offset:4", "buffer_gl0_inv dlc"
  if info.enc in ("FLAT", "GLOBAL", "SCRATCH", "MUBUF") and "_atomic_" in info.name and len(ops) == len(toks) + 1:
    r = parse_reg(ops[0]); f["vdst"] = r[1] if r else 0; ops = ops[1:]
    if "glc" not in mods: raise _Fail("returning atomic needs glc")
  smem_tail = ops[len(toks):] if info.enc == "SMEM" else []
  if info.enc == "SMEM": ops = ops[:len(toks)]
  if len(ops) != len(toks): raise _Fail(f"{info.name} takes {len(toks)} operands, got {len(ops)}")
  for (fld, kind, width), t in zip(toks, ops):
    if fld == "=":
      if t != kind: raise _Fail(f"expected {kind}, got {t}")
      continue
    if fld == "lit": lit.append(parse_int(t) & 0xffffffff); continue
    if kind in ("a", "s", "al", "ah", "sh", "alh"):
      if fld in ("saddr",) and t == "off": f[fld] = 0x7c; continue
      m = re.fullmatch(r"(-|sext\(|neg\()?(\|)?v(\d+)\.([lh])\|?\)?", t) if kind.startswith("al") else None
      if m:
        f[fld] = 256 + int(m.group(3)) + 128 * (m.group(4) == "h")
        if fld in ("src0", "src1", "src2"): negs |= bool(m.group(1)) << int(fld[3]); abss |= bool(m.group(2)) << int(fld[3])
        continue
      if fld == "ssrc0" and t.startswith("sendmsg("): f[fld] = parse_sendmsg(t); continue
      v, l, neg, ab = parse_src(t)
      _check_width(t, width, fld)
      if kind.startswith("s") and (v >= 256 or (l is not None and fld not in ("ssrc0", "ssrc1"))): raise _Fail(f"{t} is not a scalar register")
      if fld in ("ssrc0", "ssrc1") and v >= 256: raise _Fail(f"{t}: SOP sources are scalar")
      if l is not None:
        inl = inline_for_literal(l, info.inline.get(fld, 0))
        if inl is not None: v, l = inl, None
      if l is not None: lit.append((l & 0xffff, 16) if kind.endswith("h") else (l, 32))
      if fld == "sbase": v //= 2
      if fld == "srsrc": v //= 4
      if fld in ("src0", "src1", "src2"):
        b = 1 << int(fld[3])
        negs |= b * neg; abss |= b * ab
      elif neg or ab: raise _Fail("modifier not allowed here")
      f[fld] = v
    elif kind in ("v", "vl"):
      if kind == "vl":
        m = re.fullmatch(r"v(\d+)\.([lh])", t)
        if not m: raise _Fail(f"expected v<n>.l/.h, got {t}")
        f[fld] = int(m.group(1)) + 128 * (m.group(2) == "h"); continue
      if info.enc in ("GLOBAL", "SCRATCH", "MUBUF") and t == "off": f[fld] = 0; f["_off_" + fld] = 1; continue
      if dpp and fld == "vsrc1":
        _, _, neg, ab = parse_src(t); t = re.sub(r"^(-|sext\(|neg\()?\|?(v\d+)\|?\)?$", r"\2", t)
        negs |= neg << 1; abss |= ab << 1
      r = parse_reg(t)
      if info.enc == "MUBUF" and fld == "vaddr" and r and r[2] == 2 and "idxen" in mods and "offen" in mods: f[fld] = r[1]; continue
      if not r or r[0] != "v": raise _Fail(f"{t} is not a VGPR")
      if r[2] != width and not (info.enc == "GLOBAL" and fld == "addr" and r[2] == 2):   # global: 64-bit vaddr when saddr is off
        raise _Fail(f"{t}: {info.name} takes {width} dword(s) here")
      f[fld] = r[1]
    elif fld == "sdata" and kind == "imm": f[fld] = parse_int(t)
    else:   # immediate styles
      if kind == "waitcnt": v = parse_waitcnt(t)
      elif kind == "delay": v = parse_delay(t)
      elif kind == "hwreg": v = parse_hwreg(t)
      elif kind == "sendmsg": v = parse_sendmsg(t)
      elif kind == "depctr": v = parse_depctr(t)
      elif kind == "version": v = parse_version(t)
      elif info.name in BRANCHES and t in labels: v = ((labels[t] - pc - 4) >> 2) & 0xffff
      else:
        try: v = parse_int(t) & 0xffff
        except AssemblerError: raise AssemblerError(f"unknown label or bad immediate {t!r}")
      f[fld] = v
  if info.name == "s_endpgm" and not ops: f["simm16"] = 0
  lit = [x[0] if isinstance(x, tuple) else x for x in lit]          # one literal dword; 16-bit operands use its low half
  if lit:
    big = max(lit)
    if any(v != big and not (v < 0x10000 and v == big & 0xffff) for v in lit): raise _Fail("only one literal per instruction")
    lit = [big]
  # encoding-specific operands and modifiers
  left = list(mods)
  take = lambda k: (k in left) and (left.remove(k) or True)
  def take_kv(prefix):
    for m in left:
      if m.startswith(prefix + ":"): left.remove(m); return m
    return None
  if info.enc == "SMEM":
    if smem_tail:
      t = smem_tail[0]
      r = parse_reg(t)
      if t == "null": f["soffset"], f["offset"] = 0x7c, 0
      elif r and r[0] == "s": f["soffset"] = r[1]; o = take_kv("offset"); f["offset"] = parse_int(o.split(":")[1]) if o else 0
      else: f["soffset"], f["offset"] = 0x7c, parse_int(t) & 0x1fffff
    else: f["soffset"] = 0
    f["glc"], f["dlc"] = take("glc"), take("dlc")
  elif info.enc == "DS":
    o = take_kv("offset")
    if o: v = parse_swizzle(o.split(":", 1)[1]) if info.name == "ds_swizzle_b32" else parse_int(o.split(":")[1]); f["offset0"], f["offset1"] = v & 255, v >> 8
    for k in ("offset0", "offset1"):
      o = take_kv(k)
      if o: f[k] = parse_int(o.split(":")[1])
    f["gds"] = take("gds")
  elif info.enc in ("FLAT", "GLOBAL", "SCRATCH"):
    o = take_kv("offset")
    f["offset"] = parse_int(o.split(":")[1]) & 0x1fff if o else 0
    f["glc"], f["slc"], f["dlc"] = take("glc"), take("slc"), take("dlc")
    if info.enc == "FLAT": f["saddr"] = 0x7c
    if info.enc == "SCRATCH":
      f["sve"] = 0 if f.pop("_off_addr", 0) or "addr" not in f else 1
      f.setdefault("saddr", 0x7c)
  elif info.enc == "MUBUF":
    f["offen"], f["idxen"] = take("offen"), take("idxen")
    f.pop("_off_vaddr", 0)
    o = take_kv("offset")
    f["offset"] = parse_int(o.split(":")[1]) if o else 0
    f["glc"], f["slc"], f["dlc"], f["tfe"] = take("glc"), take("slc"), take("dlc"), take("tfe")
  elif info.enc == "VOP3":
    o = take_kv("op_sel")
    if o:
      b = [int(x) for x in o.split(":")[1].strip("[]").split(",")]
      f["opsel"] = b[0] | b[1] << 1 if info.name.startswith("v_permlane") else sum(x << i for i, x in enumerate(b[:-1])) | b[-1] << 3
    f["clamp"] = take("clamp")
    f["omod"] = 1 if take("mul:2") else 2 if take("mul:4") else 3 if take("div:2") else 0
    f["neg"], f["abs"] = negs, abss
    f.update(info.fixed)                                                  # v_cmpx_*_e64 encode EXEC_LO as their destination
    if "sdst" in f: f["abs"], f["opsel"] = f["sdst"] & 7, f["sdst"] >> 3
  elif info.enc == "VOP3P":
    nsrc = sum(1 for t in toks if t[0].startswith("src"))
    o = take_kv("op_sel"); f["opsel"] = bits_list(o) if o else 0
    o = take_kv("op_sel_hi")
    hi = bits_list(o) if o else (0 if "_mix" in info.name else 7)
    if o and "_mix" not in info.name: hi |= 7 & ~((1 << nsrc) - 1)
    f["opsel_hi"], f["opsel_hi2"] = hi & 3, hi >> 2
    o = take_kv("neg_lo"); f["neg"] = (bits_list(o) if o else 0) | negs
    o = take_kv("neg_hi"); f["neg_hi"] = (bits_list(o) if o else 0) | (abss if "_mix" in info.name else 0)
    if "_mix" not in info.name and (negs or abss): raise _Fail("packed math takes neg_lo/neg_hi, not -x")
    f["clamp"] = take("clamp")
  elif (negs or abss) and not dpp: raise _Fail("neg/abs need the VOP3 form")
  extra = b""
  if dpp:
    d = parse_dpp(left); left = []
    src = f.get("src0", 0)
    if src < 256: raise _Fail("DPP src0 must be a VGPR")
    if d["sel"] is not None:
      f["src0"] = 234 if d["fi"] else 233
      extra = ((src - 256) | sum(s << (8 + 3 * i) for i, s in enumerate(d["sel"]))).to_bytes(4, "little")
    else:
      f["src0"] = 250
      nb = 0 if info.enc == "VOP3" else negs & 1 | (abss & 1) << 1 | (negs >> 1) << 2 | (abss >> 1) << 3
      if info.enc != "VOP3": negs = abss = 0
      extra = ((src - 256) | d["ctrl"] << 8 | d["fi"] << 18 | d["bound_ctrl"] << 19 | nb << 20 | d["bank_mask"] << 24 |
               d["row_mask"] << 28).to_bytes(4, "little")
  elif (negs or abss) and info.enc not in ("VOP3", "VOP3P"): raise _Fail("neg/abs need the VOP3 form")
  if left: raise _Fail(f"unexpected {' '.join(left)}")
  w = enc.fixed
  if info.enc != "VOPD": w = put_field(w, enc.op, info.op)
  for k, v in f.items():
    if k in enc.fields: w = put_field(w, enc.fields[k], v)
  out = w.to_bytes(enc.size // 8, "little") + extra
  if lit: out += struct.pack("<I", lit[0])
  return out, f

def _candidates(name: str):
  dpp = False
  if name.endswith("_dpp"): name, dpp = name[:-4], True
  if name in BY_NAME: return [(i, dpp) for i in BY_NAME[name]]
  if dpp and name.endswith("_e64") and name[:-4] in BY_NAME: return [(i, dpp) for i in BY_NAME[name[:-4]] if i.enc == "VOP3"]
  out = []
  for suf in ("_e32", "_e64"):
    if name + suf in BY_NAME and not (dpp and suf == "_e64"): out += [(i, dpp) for i in BY_NAME[name + suf]]
  return out

def split_operands(rest: str):
  ops = SPLIT_OPS.split(rest) if rest else []
  mods = []
  if ops and " " in ops[-1]: ops[-1], *mods = SPLIT_MODS.split(ops[-1])
  return ops, mods

def assemble_instr(text: str, pc: int = 0, labels: dict = None, wave64: bool = False) -> bytes:
  labels = {} if labels is None else labels
  text = text.strip()
  if " :: " in text: return _assemble_vopd(text)
  name, _, rest = text.partition(" ")
  rest = rest.strip()
  cands = _candidates(name)
  if re.search(r" (dpp8:|quad_perm:|row_)", rest) and not name.endswith("_dpp"):   # VOPC DPP prints no _dpp suffix
    cands = [(i, True) for i, _ in _candidates(name + "_dpp")]
  if not cands: raise AssemblerError(f"unknown instruction {name!r}")
  if name in ("s_waitcnt", "s_delay_alu") or name.startswith("s_waitcnt_depctr"): ops, mods = ([rest] if rest else []), []
  else: ops, mods = split_operands(rest)
  err = None
  for info, dpp in cands:
    try: return _encode(info, list(ops), list(mods), pc, labels, dpp, wave64)[0]
    except _Fail as e: err = e
  raise AssemblerError(f"{text!r}: {err}")

def _assemble_vopd(text: str) -> bytes:
  x, y = text.split(" :: ")
  (nx, _, rx), (ny, _, ry) = x.strip().partition(" "), y.strip().partition(" ")
  ix, iy = BY_NAME.get(nx), BY_NAME.get(ny)
  ix = [i for i in ix or [] if i.enc == "VOPDX"]; iy = [i for i in iy or [] if i.enc == "VOPDY"]
  if not ix or not iy: raise AssemblerError(f"unknown VOPD pair {nx} :: {ny}")
  e = ENCODINGS["VOPD"]
  w = put_field(put_field(e.fixed, e.fields["opx"], ix[0].op), e.fields["opy"], iy[0].op)
  lit = []
  for info, rest in ((ix[0], rx), (iy[0], ry)):
    ops, _ = split_operands(rest.strip())
    toks = info.operands
    if len(ops) != len(toks): raise AssemblerError(f"{info.name} takes {len(toks)} operands")
    for (fld, kind, width), t in zip(toks, ops):
      if fld == "lit": lit.append(parse_int(t) & 0xffffffff); continue
      if kind == "a":
        v, l, _, _ = parse_src(t)
        if l is not None: lit.append(l)
      else:
        r = parse_reg(t)
        if not r or r[0] != "v": raise AssemblerError(f"{t} is not a VGPR")
        v = r[1]
      if fld == "vdsty": v >>= 1
      w = put_field(w, e.fields[fld], v)
  if len(set(lit)) > 1: raise AssemblerError("VOPD takes one literal")
  return w.to_bytes(8, "little") + (struct.pack("<I", lit[0]) if lit else b"")

# ---------------------------------------------------------------- programs: labels, directives, kernel descriptors

KD_DEFAULTS = {"float_denorm_mode_16_64": 3, "dx10_clamp": 1, "ieee_mode": 1, "workgroup_processor_mode": 1, "memory_ordered": 1,
               "system_sgpr_workgroup_id_x": 1, "wavefront_size32": 1, "next_free_vgpr": 0, "next_free_sgpr": 0, "reserve_vcc": 1}
USER_SGPRS = {"user_sgpr_private_segment_buffer": 4, "user_sgpr_dispatch_ptr": 2, "user_sgpr_queue_ptr": 2,
              "user_sgpr_kernarg_segment_ptr": 2, "user_sgpr_dispatch_id": 2, "user_sgpr_flat_scratch_init": 2,
              "user_sgpr_private_segment_size": 1}

def _strip(line: str) -> str:
  for c in ("//", ";"):
    i = line.find(c)
    if i >= 0: line = line[:i]
  return line.strip()

def assemble(text: str, base: int = 0, wave64: bool = None):
  """Assemble a program -> (code bytes, labels {name: offset}, kernels [{name, fields, args, meta}]). wave64 (lane masks
  vcc / s[n:n+1]) defaults to what the kernel blocks say (.amdhsa_wavefront_size32 0)."""
  if wave64 is None: wave64 = re.search(r"^\s*\.amdhsa_wavefront_size32\s+0\b", text, re.M) is not None
  lines, kernels, cur = [], [], None
  for ln_no, raw in enumerate(text.splitlines(), 1):
    line = _strip(raw)
    if not line: continue
    if cur is not None:                                   # inside .amdhsa_kernel ... .end_amdhsa_kernel
      if line == ".end_amdhsa_kernel": kernels.append(cur); cur = None; continue
      key, _, val = line.partition(" ")
      if key == ".hwrt_arg":                              # .hwrt_arg name, offset, size, value_kind
        parts = [p.strip() for p in val.split(",")]
        if len(parts) != 4: raise AssemblerError(f"line {ln_no}: .hwrt_arg takes name, offset, size, value_kind")
        cur["args"].append((parts[0], parse_int(parts[1]), parse_int(parts[2]), parts[3]))
      elif key.startswith(".hwrt_"): cur["meta"][key[6:]] = parse_int(val.strip())
      elif key.startswith(".amdhsa_"): cur["fields"][key[8:]] = parse_int(val.strip())
      else: raise AssemblerError(f"line {ln_no}: unknown kernel directive {key}")
      continue
    if line.startswith(".amdhsa_kernel"):
      if len(line.split()) != 2: raise AssemblerError(f"line {ln_no}: .amdhsa_kernel NAME")
      cur = {"name": line.split()[1], "fields": {}, "args": [], "meta": {}}; continue
    if line.startswith("."): continue                     # .text, .globl, .p2align, .type, .amdgcn_target ...
    while ":" in line and re.match(r"^[A-Za-z_.$][\w.$]*:", line):
      lab, line = line.split(":", 1); lines.append(("label", lab, ln_no)); line = line.strip()
    if line: lines.append(("ins", line, ln_no))
  if cur is not None: raise AssemblerError(f".amdhsa_kernel {cur['name']} has no .end_amdhsa_kernel")
  labels, pc, sized = {}, base, []
  for kind, t, ln_no in lines:                            # pass 1: sizes (a branch's size never depends on its target)
    if kind == "label": labels[t] = pc; continue
    try: n = len(assemble_instr(t, pc, _AnyLabel(), wave64))
    except AssemblerError as e: raise AssemblerError(f"line {ln_no}: {e}")
    sized.append((t, pc, ln_no)); pc += n
  out = bytearray()
  for t, pc, ln_no in sized:
    try: out += assemble_instr(t, pc, labels, wave64)
    except AssemblerError as e: raise AssemblerError(f"line {ln_no}: {e}")
  return bytes(out), labels, kernels

class _AnyLabel(dict):
  def __contains__(self, k): return True
  def __getitem__(self, k): return 0

def kernel_descriptor_fields(fields: dict, group: int = 0) -> dict:
  """.amdhsa_* directive values -> decode_kd-style fields, computed the way LLVM's assembler does for gfx10+."""
  d = dict(KD_DEFAULTS); d.update(fields)
  wave32 = bool(d["wavefront_size32"])
  g = 8 if wave32 else 4
  d["granulated_workitem_vgpr_count"] = max(0, (max(d["next_free_vgpr"], 1) + g - 1) // g - 1)
  d.setdefault("granulated_wavefront_sgpr_count", 0)
  if "user_sgpr_count" not in fields:
    d["user_sgpr_count"] = sum(n for k, n in USER_SGPRS.items() if d.get(k)) + d.get("user_sgpr_kernarg_preload_length", 0)
  if "kernarg_size" not in d: d["kernarg_size"] = 0
  d["kernarg_preload_length"] = d.get("user_sgpr_kernarg_preload_length", 0)
  d["kernarg_preload_offset"] = d.get("user_sgpr_kernarg_preload_offset", 0)
  return d
