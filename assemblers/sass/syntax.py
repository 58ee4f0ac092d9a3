"""nvdisasm's SASS text syntax, split into a shape (operand text with typed holes) and typed values, and put back together.

An instruction line `@!P0 IMAD.WIDE.U32 R2, R7.reuse, 0x8, R2 ;` parses into guard (P0, negated), opcode `IMAD.WIDE.U32`,
operand shapes `{R}`, `{R}`, `{I}`, `{R}` with values, and the set of operands marked `.reuse`. A shape keeps every literal
character (`desc[{UR}][{R}.64+{I}]`, `-|{R}|`, `!{P}`), so an instruction form is (opcode, shapes) and `fmt` inverts `parse`.
Hole kinds: R (255 = RZ), UR (63 = URZ), P / UP (7 = PT / UPT), SR (special-register number; names in the SR table),
I (integer, printed 0x.., negative as -0x..), F (float immediate, value = its bit pattern; width from the form)."""
import re, struct
import numpy as np

HOLE = re.compile(r"\{(R|UR|P|UP|SR|I|F)\}")
TOKEN = re.compile(r"(?P<UR>\bUR(?:\d+|Z)\b)|(?P<UP>\bUP(?:\d|T)\b)|(?P<SR>\b(?:SR(?:_[A-Za-z0-9_.]+|Z|\d+)|SM_[A-Za-z0-9_.]+|__[A-Za-z0-9_]+)\b)|(?P<R>\bR(?:\d+|Z)\b)"
                   r"|(?P<P>\bP(?:\d|T)\b)|(?P<I>-?0x[0-9a-f]+\b)"
                   r"|(?P<F>(?<![\w.])[-+]?(?:INF|QNAN|SNAN|NAN|\d+(?:\.\d+)?(?:e[-+]\d+)?)(?![\w.]))")
ZERO_REG = {"R": 255, "UR": 63, "P": 7, "UP": 7}
REG_NAME = {"R": "RZ", "UR": "URZ", "P": "PT", "UP": "UPT"}

def split_operands(s: str) -> list[str]:
  out, depth, cur = [], 0, ""
  for ch in s:
    if ch in "[(": depth += 1
    elif ch in "])": depth -= 1
    if ch == "," and depth == 0: out.append(cur.strip()); cur = ""
    else: cur += ch
  if cur.strip(): out.append(cur.strip())
  return out

def float_bits(text: str, width: int) -> int:
  t = text.lstrip("+")
  neg = t.startswith("-")
  if t.lstrip("-") in ("INF", "QNAN", "NAN", "SNAN"):
    body = {"INF": (0x7c00, 0x7f800000, 0x7ff00000), "SNAN": (0x7c01, 0x7f800001, 0x7ff00001)}.get(t.lstrip("-"), (0x7e00, 0x7fc00000, 0x7ff80000))
    b = body[{16: 0, 32: 1, 64: 2}[width]]
    return b | (1 << (width - 1 if width != 64 else 31)) if neg else b
  v = float(t)
  if width == 16: return int(np.array(v, np.float16).view(np.uint16))
  if width == 32:
    try: return struct.unpack("<I", struct.pack("<f", v))[0]
    except OverflowError: raise ValueError(f"{text} does not fit a 32-bit float")
  return struct.unpack("<Q", struct.pack("<d", v))[0] >> 32      # f64 immediates keep the high 32 bits

def _fmt_double(v: float) -> str:
  if v != v: return "QNAN"
  if v in (float("inf"), float("-inf")): return "+INF" if v > 0 else "-INF"
  if v == int(v) and abs(v) < 1e9: return "%d" % v if v or str(v)[0] != "-" else "-0.0"  # nvdisasm: small integers plain,
  return "%.20e" % v if v == int(v) else "%.20g" % v                                      # larger ones in e-form

def fmt_float(bits: int, width: int) -> str:
  if width == 16: v = float(np.array(bits, np.uint16).view(np.float16))
  elif width == 32: v = struct.unpack("<f", struct.pack("<I", bits & 0xFFFFFFFF))[0]
  else: v = struct.unpack("<d", struct.pack("<Q", (bits & 0xFFFFFFFF) << 32))[0]
  if v != v:
    sign = bits >> ({16: 15, 32: 31, 64: 31}[width]) & 1
    quiet = bits >> ({16: 9, 32: 22, 64: 19}[width]) & 1
    return ("-" if sign else "+") + ("QNAN" if quiet else "SNAN")
  return _fmt_double(v)

def parse_operand(text: str, fwidth: int = 32):
  """-> (shape, [(kind, value)]). Registers by number, integers signed, floats as bit patterns of `fwidth`."""
  shape, vals, pos = "", [], 0
  for m in TOKEN.finditer(text):
    kind = m.lastgroup; tok = m.group()
    shape += text[pos:m.start()]; pos = m.end()
    if kind in ZERO_REG: v = ZERO_REG[kind] if tok.endswith("Z") or tok.endswith("T") else int(tok[len(kind):])
    elif kind == "I": v = int(tok, 16)
    elif kind == "F": v = float_bits(tok, fwidth)
    else: v = tok                                                # SR: name; the form's SR table gives the number
    if kind == "I" and shape and shape[-1] not in "[ (,+-|!~" and not shape.endswith("]["): shape += "+"   # [R2.64-0x10]
    shape += "{%s}" % kind; vals.append((kind, v))
  return shape + text[pos:], vals

def fmt_value(kind: str, v, fwidth: int = 32, sr_names=None) -> str:
  if kind in REG_NAME: return REG_NAME[kind] if v == ZERO_REG[kind] else f"{kind}{v}"
  if kind == "I": return f"-0x{-v:x}" if v < 0 else f"0x{v:x}"
  if kind == "F": return fmt_float(v, fwidth)
  return sr_names.get(v, f"SR{v}") if sr_names is not None else str(v)

def fmt_operand(shape: str, vals: list, fwidth: int = 32, sr_names=None) -> str:
  out, pos, it = "", 0, iter(vals)
  for m in HOLE.finditer(shape):
    kind, v = m.group(1), next(it)
    if isinstance(v, tuple): v = v[1]
    lit = shape[pos:m.start()]; pos = m.end()
    if kind == "I" and v == 0 and lit.endswith("+") and shape[m.end():m.end() + 1] == "]":
      out += lit[:-1]; continue                                  # nvdisasm omits a zero address offset
    s = fmt_value(kind, v, fwidth, sr_names)
    out += lit + s
  return out + shape[pos:]

LINE = re.compile(r"^\s*(?:/\*([0-9a-f]+)\*/)?\s*(@!?U?P[T0-9]\s+)?([A-Z][A-Z0-9_.]*)(.*?)\s*;")

def parse_line(text: str):
  """`@!P0 OP a, b ;` -> (guard or None, opcode, [operand texts]) with `.reuse` kept on the operand texts; None if no instruction."""
  m = LINE.match(text)
  if not m: return None
  guard = m.group(2).strip()[1:] if m.group(2) else None
  return guard, m.group(3), split_operands(m.group(4).strip())

def normalize(text: str) -> str:
  """Whitespace-normalised instruction text for comparisons: single spaces, no space before ';', no trailing ';'."""
  t = re.sub(r"\s+,", ",", re.sub(r"\s+", " ", text.strip()))
  return re.sub(r"\s*;$", "", t)
