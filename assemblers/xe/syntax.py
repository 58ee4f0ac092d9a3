"""iga64's assembly syntax for Xe-HPG: a decoded instruction (flat dict, keys as in iga64's -Xprint-json) to text and back.

  [(pred)] op[.subop] (es|Meo) [(cond)flag] dst src0 src1 [src2] [{opts,swsb}]
Predication `(W)`, `(W&~f0.1.any8h)`; operands: `r12.3<1>:d`, `-(abs)r4.0<8;8,1>:f` (regions <V;W,H>, ternary <V;H>
and <H>), `r[a0.2,16]<1,0>:d` (indirect), `null<1>:ud`, immediates `0x40:uw` `-3:w` `1.5:f`; send: dst src0 src1:len
exdesc desc; branches: label operands (disasm.py names PCs). Source: the text iga64 -d prints (tests compare it)."""
import re, struct
from hwrt.errors import AssemblerError

SIGNED = {"b", "w", "d", "q"}
FLOAT = {"hf": 16, "f": 32, "df": 64, "bf": 16}

FMT = {"f": ("<f", "<I", 23), "hf": ("<e", "<H", 10), "df": ("<d", "<Q", 52)}

def float_text(raw: int, ty: str) -> str:
  """iga64's float immediates (measured on 300 random patterns): C's %g (6 digits) if it reads back to the same bits,
  else %.6e if that does, else hex; `.0` added to integral %g output; NaNs as [-]qnan/snan(payload), infinities as inf."""
  pk, uk, mb = FMT[ty]
  n = struct.calcsize(uk) * 8
  raw &= (1 << n) - 1
  sign = "-" if raw >> (n - 1) & 1 else ""
  exp_all = ((raw >> mb) & ((1 << (n - 1 - mb)) - 1)) == (1 << (n - 1 - mb)) - 1
  mant = raw & ((1 << mb) - 1)
  if exp_all:
    if mant == 0: return sign + "inf"
    quiet = mant >> (mb - 1) & 1
    return f"{sign}{'qnan' if quiet else 'snan'}(0x{mant & ((1 << (mb - 1)) - 1):X})"
  x = struct.unpack(pk, struct.pack(uk, raw))[0]
  for t in (f"{x:g}", f"{x:.6e}"):
    try:
      if struct.unpack(uk, struct.pack(pk, float(t)))[0] == raw:
        return t + ".0" if re.fullmatch(r"-?\d+", t) else t
    except (OverflowError, struct.error): pass
  return f"0x{raw:X}"

def imm_text(raw, ty: str) -> str:
  """Immediate value as iga64 prints it, from the raw bits (int) or iga64's own string."""
  if isinstance(raw, str): return raw
  if ty in SIGNED:
    n = {"b": 16, "w": 16, "d": 32, "q": 64}[ty]
    raw &= (1 << n) - 1
    return str(raw - (1 << n) if raw >> (n - 1) & 1 else raw)
  if ty in FMT: return float_text(raw, ty)
  n = {"ub": 16, "uw": 16, "ud": 32, "uq": 64, "v": 32, "uv": 32, "vf": 32, "hf": 16, "bf": 16, "f": 32, "df": 64}.get(ty, 64)
  return f"0x{raw & ((1 << n) - 1):X}"

def reg_text(d: dict, p: str, with_sr=True) -> str:
  rn = d.get(p + ".rn")
  if rn == "null": return "null"
  if rn in ("ip",): return rn
  r, sr = d.get(p + ".r"), d.get(p + ".sr")
  return f"{rn}{r}" + (f".{sr}" if with_sr and sr is not None else "")

def region(d: dict, p: str) -> str:
  v, w, h = d.get(p + ".rgn.Vt"), d.get(p + ".rgn.Wi"), d.get(p + ".rgn.Hz")
  if v is None and w is None: return f"<{h}>" if h is not None else ""
  if w is None: return f"<{v};{h}>"
  if v is None: return f"<{w},{h}>"
  return f"<{v};{w},{h}>"

def mods_text(m: str) -> str:
  return {"": "", "n": "-", "a": "(abs)", "na": "-(abs)", "an": "-(abs)", "abs": "(abs)", "~": "~"}.get(m or "", m or "")

def operand(d: dict, p: str, dst=False, op="", labels=None, ternary=False) -> str:
  k = d.get(p + ".kind")
  if k == "IM":
    ty = d.get(p + ".type")
    if op in ("send", "sendc"):
      v = d.get(p + ".value"); v = int(v, 0) if isinstance(v, str) else v
      return f"0x{v:08X}" if p == "srcs[3]" else f"0x{v:X}"
    return imm_text(d.get(p + ".value"), ty) + (f":{ty}" if ty else "")
  if k == "LB":
    t = d.get(p + ".target")
    return labels(t) if labels and isinstance(t, int) else f"L{t}"
  if k == "AD":     # send address payload
    return reg_text(d, p + ".addr.reg", False)
  pre = "" if dst else mods_text(d.get(p + ".mods"))
  if op in ("not", "and", "or", "xor", "bfn") and pre == "-": pre = "~"
  ty = d.get(p + ".type")
  if k == "RI":
    a = reg_text(d, p + ".areg")
    off = d.get(p + ".aoff") or 0
    base = f"{d.get(p + '.reg.rn', 'r') or 'r'}[{a}" + (f",{off}" if off else "") + "]"
    return pre + base + (d.get(p + ".rgntext") or region(d, p)) + (f":{ty}" if ty else "")
  if k == "DA":     # send payload: register and length
    return reg_text(d, p + ".reg", False) + ("" if dst or p.endswith("[0]") else f":{d.get(p + '.len')}")
  rg = region(d, p)
  if ternary and not dst:
    v, h = d.get(p + ".rgn.Vt"), d.get(p + ".rgn.Hz")
    rg = f"<{v}>" if p == "srcs[2]" else f"<{v};{h}>"
  if op == "sync": return reg_text(d, p + ".reg")
  return pre + ("(sat)" if dst and d.get(p + ".sat") else "") + reg_text(d, p + ".reg") + rg + (f":{ty}" if ty else "")

def pred_text(d: dict) -> str:
  inv, func = d.get("pred.inv"), d.get("pred.func")
  w = "W" if d.get("wren") else ""
  if func is None: return f"({w})" if w else ""
  f = f"{'~' if inv else ''}{d.get('freg.rn')}{d.get('freg.r')}.{d.get('freg.sr')}{func or ''}"
  return f"({w + '&' if w else ''}{f})"

def swsb_text(d: dict, extra=()) -> str:
  items = list(extra) + list(d.get("opts") or [])
  items += [x for x in (d.get("regDist"), d.get("sbid")) if x]
  return "{" + ",".join(items) + "}" if items else ""

def opts_list(d: dict) -> list:
  if isinstance(d.get("opts"), str): return [x for x in d["opts"].split(",") if x]
  out, i = [], 0
  while f"opts[{i}]" in d:
    if d[f"opts[{i}]"] is not None: out.append(d[f"opts[{i}]"])
    i += 1
  return out

def sbid_set(v) -> str:
  m = int(v, 0) if isinstance(v, str) else v
  return "(" + ",".join(f"${i}" for i in range(32) if m >> i & 1) + ")"

def format_inst(d: dict, labels=None) -> str:
  """Flat dict -> iga64 text (whitespace-normalised, no comment)."""
  op = d["op"] + (f".{d['subop']}" if d.get("subop") else "")
  parts = [pred_text(d), op]
  if d["op"] not in ("nop", "illegal", "sync") or d.get("subop") is None:
    if d["op"] not in ("nop", "illegal", "sync", "jmpi"): parts.append(f"({d['es']}|M{d['eo']})")
  if d.get("fm.cond"):
    parts.append(f"({d['fm.cond']}){d.get('freg.rn') or 'f'}{d.get('freg.r') or 0}.{d.get('freg.sr') or 0}")
  tern = d.get("srcs[2].kind") is not None and d["op"] not in ("send", "sendc")
  if d.get("dst.kind"): parts.append(operand(d, "dst", True, d["op"]))
  i = 0
  while f"srcs[{i}].kind" in d:
    if d[f"srcs[{i}].kind"] is not None:
      if d["op"] == "sync" and d[f"srcs[{i}].kind"] == "IM" and d.get("subop") in ("allrd", "allwr"):
        parts.append(sbid_set(d[f"srcs[{i}].value"]))
      else: parts.append(operand(d, f"srcs[{i}]", False, d["op"], labels, tern))
    i += 1
  if d["op"] == "sync" and not any(d.get(f"srcs[{j}].kind") for j in range(i)): parts.append("null")
  sw = swsb_text({**d, "opts": opts_list(d)})
  if sw: parts.append(sw)
  return " ".join(p for p in parts if p)

# ---- text -> fields (the assembler's side); keys absent from the result are left to the encoder (derived fields)
MODS_IN = {"": "", "-": "n", "~": "n", "(abs)": "a", "-(abs)": "na"}
R_IMM = re.compile(r"^(-?(?:0x[0-9A-Fa-f]+|\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|inf|[qs]nan\(0x[0-9A-Fa-f]+\)))(?::(\w+))?$")
R_DIR = re.compile(r"^(-\(abs\)|\(abs\)|-|~)?(\(sat\))?([a-z]+?)(\d+)?(?:\.(\d+))?(<[^>]*>)?(?::(\w+))?$")
R_IND = re.compile(r"^(-\(abs\)|\(abs\)|-|~)?(\(sat\))?r\[a(\d+)\.(\d+)(?:,(-?\d+))?\](<[^>]*>)?(?::(\w+))?$")
R_PAY = re.compile(r"^(null|r(\d+))(?::(\d+))?$")
R_PRED = re.compile(r"^\((W)?&?(~)?(?:f(\d)\.(\d)((?:\.[a-z0-9]+)?))?\)$")
R_HEAD = re.compile(r"^(?:(\([^)]*\))\s+)?([a-z0-9]+)((?:\.\S+?)?)(?:\s+\((\d+)\|M(\d+)\))?(?:\s+\((\w+)\)f(\d)\.(\d))?(?=\s|$)")

WIDTH = {"b": 16, "ub": 16, "w": 16, "uw": 16, "hf": 16, "bf": 16, "d": 32, "ud": 32, "f": 32, "v": 32, "uv": 32, "vf": 32,
         "q": 64, "uq": 64, "df": 64}

def norm_imm(x, ty) -> int | None:
  """An immediate (iga64's string or raw int) as its raw bits, masked to the type's width."""
  if x is None: return None
  if isinstance(x, str):
    try: x = _imm_raw(x, ty or "ud")
    except ValueError: return None
  return x & ((1 << WIDTH.get(ty, 64)) - 1)

def _imm_raw(s: str, ty: str) -> int:
  if re.match(r"^-?\d+$", s) or s.lower().startswith(("0x", "-0x")):
    v = int(s, 0)
    n = {"b": 16, "ub": 16, "w": 16, "uw": 16, "d": 32, "ud": 32, "q": 64, "uq": 64, "v": 32, "uv": 32, "vf": 32}.get(ty, 32)
    return v & ((1 << n) - 1)
  m = re.match(r"^(-?)([qs])nan\(0x([0-9A-Fa-f]+)\)$", s)
  if m and ty in FMT:
    pk, uk, mb = FMT[ty]; n = struct.calcsize(uk) * 8
    return (int(m.group(1) == "-") << (n - 1)) | (((1 << (n - 1 - mb)) - 1) << mb) | ((m.group(2) == "q") << (mb - 1)) | int(m.group(3), 16)
  x = float(s)
  if ty == "hf": return struct.unpack("<H", struct.pack("<e", x))[0]
  if ty == "df": return struct.unpack("<Q", struct.pack("<d", x))[0]
  return struct.unpack("<I", struct.pack("<f", x))[0]

def _region(p: str, rg: str, d: dict, ternary: bool, dst: bool):
  if not rg: return
  nums = [int(x) for x in re.findall(r"\d+", rg)]
  if dst: d[p + ".rgn.Hz"] = nums[0]
  elif ternary: d[p + ".rgn.Vt"] = nums[0]; (d.__setitem__(p + ".rgn.Hz", nums[1]) if len(nums) > 1 else None)
  elif len(nums) == 3: d[p + ".rgn.Vt"], d[p + ".rgn.Wi"], d[p + ".rgn.Hz"] = nums
  elif len(nums) == 2: d[p + ".rgn.Wi"], d[p + ".rgn.Hz"] = nums
  else: d[p + ".rgn.Hz"] = nums[0]

def parse_operand(tok: str, p: str, d: dict, op: str, dst=False, ternary=False, resolve=None):
  if op in ("send", "sendc"):
    if p == "srcs[2]" or p == "srcs[3]":
      d[p + ".kind"], d[p + ".value"] = "IM", int(tok, 0); return
    m = R_PAY.match(tok)
    if not m: raise AssemblerError(f"bad send operand {tok!r}")
    rn, r = ("null", 0) if m.group(1) == "null" else ("r", int(m.group(2)))
    if p == "srcs[0]":
      d.update({p + ".kind": "AD", p + ".addr.reg.rn": rn, p + ".addr.reg.r": r, p + ".addr.reg.sr": 0})
    else:
      d.update({p + ".kind": "DA", p + ".reg.rn": rn, p + ".reg.r": r, p + ".reg.sr": 0})
      if m.group(3) is not None: d[p + ".len"] = int(m.group(3))
    return
  if op == "sync" and tok.startswith("($"):
    d[p + ".kind"], d[p + ".value"] = "IM", sum(1 << int(x) for x in re.findall(r"\$(\d+)", tok)); return
  if resolve and (tok in resolve.names or re.match(r"^L\d+$", tok)):
    d[p + ".kind"], d[p + ".target"] = "LB", resolve(tok); return
  m = R_IMM.match(tok)
  if m and not dst:
    ty = m.group(2)
    d[p + ".kind"], d[p + ".value"] = "IM", _imm_raw(m.group(1), ty or "ud")
    if ty: d[p + ".type"] = ty
    return
  m = R_IND.match(tok)
  if m:
    d.update({p + ".kind": "RI", p + ".areg.rn": "a", p + ".areg.r": int(m.group(3)), p + ".areg.sr": int(m.group(4)),
              p + ".aoff": int(m.group(5) or 0)})
    if not dst: d[p + ".mods"] = MODS_IN[m.group(1) or ""]
    else: d[p + ".sat"] = bool(m.group(2))
    if m.group(6): d[p + ".rgntext"] = m.group(6)
    if m.group(7): d[p + ".type"] = m.group(7)
    return
  m = R_DIR.match(tok)
  if not m: raise AssemblerError(f"bad operand {tok!r}")
  mods, sat, rn, r, sr, rg, ty = m.groups()
  d[p + ".kind"] = "RD"
  d[p + ".reg.rn"], d[p + ".reg.r"], d[p + ".reg.sr"] = rn, int(r or 0), int(sr or 0)
  if dst: d[p + ".sat"] = bool(sat)
  else: d[p + ".mods"] = MODS_IN[mods or ""]
  _region(p, rg, d, ternary, dst)
  if ty: d[p + ".type"] = ty

def parse_inst(text: str, resolve=None) -> tuple:
  """One instruction's text -> (fields, compacted?)."""
  t = text.split("//")[0].strip()
  brace = re.search(r"\{([^}]*)\}\s*$", t)
  opts = []
  d = {}
  if brace:
    for x in (y.strip() for y in brace.group(1).split(",") if y.strip()):
      if re.match(r"^[A-Z]?@\d+$", x): d["regDist"] = x
      elif x.startswith("$"): d["sbid"] = x
      else: opts.append(x)
    t = t[:brace.start()].strip()
  m = R_HEAD.match(t)
  if not m: raise AssemblerError(f"cannot parse {text.strip()!r}")
  pred, op, sub, es, eo, cond, fr, fs = m.groups()
  d["op"] = op
  if sub: d["subop"] = sub[1:]
  if es: d["es"], d["eo"] = int(es), int(eo)
  d["wren"] = False
  if pred:
    pm = R_PRED.match(pred)
    if not pm: raise AssemblerError(f"bad predicate {pred}")
    d["wren"] = bool(pm.group(1))
    if pm.group(3) is not None:
      d.update({"pred.inv": bool(pm.group(2)), "pred.func": pm.group(5) or "", "freg.rn": "f", "freg.r": int(pm.group(3)),
                "freg.sr": int(pm.group(4))})
  if cond: d.update({"fm.cond": cond, "freg.rn": "f", "freg.r": int(fr), "freg.sr": int(fs)})
  toks = t[m.end():].split()
  if op == "sync" and toks == ["null"]: toks = []
  ternary = len(toks) == 4 and op not in ("send", "sendc")
  has_dst = op not in ("sync", "nop", "illegal", "goto", "join", "jmpi", "else", "endif", "while", "brc", "brd", "break",
                       "cont", "halt", "call", "calla", "ret", "if") or (op in ("call", "calla") and len(toks) > 1)
  if op == "sync" and toks and not toks[0].startswith("($"): has_dst = False
  for i, tok in enumerate(toks):
    if has_dst and i == 0: parse_operand(tok, "dst", d, op, dst=True, resolve=resolve)
    else: parse_operand(tok, f"srcs[{i - has_dst}]", d, op, ternary=ternary, resolve=resolve)
  d["opts"] = ",".join(opts)
  return d, "Compacted" in opts
