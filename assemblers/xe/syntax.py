"""iga64's assembly syntax for Xe-HPG: a decoded instruction (flat dict, keys as in iga64's -Xprint-json) to text and back.

  [(pred)] op[.subop] (es|Meo) [(cond)flag] dst src0 src1 [src2] [{opts,swsb}]
Predication `(W)`, `(W&~f0.1.any8h)`; operands: `r12.3<1>:d`, `-(abs)r4.0<8;8,1>:f` (regions <V;W,H>, ternary <V;H>
and <H>), `r[a0.2,16]<1,0>:d` (indirect), `null<1>:ud`, immediates `0x40:uw` `-3:w` `1.5:f`; send: dst src0 src1:len
exdesc desc; branches: label operands (disasm.py names PCs). Source: the text iga64 -d prints (tests compare it)."""
import re, struct
from hwrt.errors import AssemblerError

SIGNED = {"b", "w", "d", "q"}
FLOAT = {"hf": 16, "f": 32, "df": 64, "bf": 16}

def imm_text(raw, ty: str) -> str:
  """Immediate value as iga64 prints it, from the raw bits (int) or iga64's own string."""
  if isinstance(raw, str): return raw
  if ty in SIGNED:
    n = {"b": 16, "w": 16, "d": 32, "q": 64}[ty]
    raw &= (1 << n) - 1
    return str(raw - (1 << n) if raw >> (n - 1) & 1 else raw)
  if ty in FLOAT: return f"0x{raw:X}"
  return f"0x{raw:X}"

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
