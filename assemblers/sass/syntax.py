"""nvdisasm's SASS text syntax, split into a shape (operand text with typed holes) and typed values, and put back together.

An instruction line `@!P0 IMAD.WIDE.U32 R2, R7.reuse, 0x8, R2 ;` parses into guard (P0, negated), opcode `IMAD.WIDE.U32`,
operand shapes `{R}`, `{R}`, `{I}`, `{R}` with values, and the set of operands marked `.reuse`. A shape keeps every literal
character (`desc[{UR}][{R}.64+{I}]`, `-|{R}|`, `!{P}`), so an instruction form is (opcode, shapes) and `fmt` inverts `parse`.
Hole kinds: R (255 = RZ), UR (63 = URZ), P / UP (7 = PT / UPT), SR (special-register number; names in the SR table),
I (integer, printed 0x.., negative as -0x..), F (float immediate, value = its bit pattern). A float hole's kind is learned per
field (table.py `;f16` `;f32` `;f64h`): fp16, fp32, or `f64h` = the high 32 bits of a double whose low word is zero (DADD,
DFMA, DSETP, MUFU.RCP64H ... immediates), printed as the double. Parsing with `fwidth=None` keeps a float token's text."""
import re, struct
import numpy as np

HOLE = re.compile(r"\{(R|UR|P|UP|SR|I|F)\}")
TOKEN = re.compile(r"(?P<UR>\bUR(?:\d+|Z)\b)|(?P<UP>\bUP(?:\d|T)\b)|(?P<SR>\b(?:SR(?:_[A-Za-z0-9_.]+|Z|\d+)|SM_[A-Za-z0-9_.]+|__[A-Za-z0-9_]+)\b)|(?P<R>\bR(?:\d+|Z)\b)"
                   r"|(?P<P>\bP(?:\d|T)\b)|(?P<I>-?0x[0-9a-f]+\b)"
                   r"|(?P<F>(?<![\w.])[-+]?(?:INF|QNAN|SNAN|NAN|\d+(?:\.\d+)?(?:e[-+]?\d+)?)(?![\w.]))")
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

FWIDTHS = (16, 32, 64)       # 64: the high word of a double (low word zero)

def float_bits(text: str, width: int) -> int:
  """Bit pattern of a float token at `width` (64: the double's high word). ValueError if the value is not exactly that."""
  t = text.lstrip("+")
  neg = t.startswith("-")
  if t.lstrip("-") in ("INF", "QNAN", "NAN", "SNAN"):
    body = {"INF": (0x7c00, 0x7f800000, 0x7ff00000), "SNAN": (0x7c01, 0x7f800001, 0x7ff00001)}.get(t.lstrip("-"), (0x7e00, 0x7fc00000, 0x7ff80000))
    b = body[{16: 0, 32: 1, 64: 2}[width]]
    return b | (1 << (width - 1 if width != 64 else 31)) if neg else b
  v = float(t)
  if width == 16:
    with np.errstate(over="ignore"): return int(np.array(v, np.float16).view(np.uint16))
  if width == 32:
    try: return struct.unpack("<I", struct.pack("<f", v))[0]
    except OverflowError: raise ValueError(f"{text} does not fit a 32-bit float")
  b = struct.unpack("<Q", struct.pack("<d", v))[0]
  if b & 0xFFFFFFFF: raise ValueError(f"{text} is not a double with a zero low word (only its high 32 bits are encoded)")
  return b >> 32

def float_bits_exact(text: str, width: int):
  """float_bits if the token's value is exactly representable at `width`, else None (NaN text: None, it has no payload)."""
  if "NAN" in text: return None
  try: b = float_bits(text, width)
  except (ValueError, OverflowError): return None
  return b if float_value(b, width) == float(text) else None

def float_value(bits: int, width: int) -> float:
  if width == 16: return float(np.array(bits & 0xFFFF, np.uint16).view(np.float16))
  if width == 32: return struct.unpack("<f", struct.pack("<I", bits & 0xFFFFFFFF))[0]
  return struct.unpack("<d", struct.pack("<Q", (bits & 0xFFFFFFFF) << 32))[0]

def _fmt_double(v: float) -> str:
  if v != v: return "QNAN"
  if v in (float("inf"), float("-inf")): return "+INF" if v > 0 else "-INF"
  if v == int(v) and abs(v) < 1e9: return "%d" % v if v or str(v)[0] != "-" else "-0.0"  # nvdisasm: small integers plain,
  return "%.20e" % v if v == int(v) else "%.20g" % v                                      # larger ones in e-form

def fmt_float(bits: int, width: int) -> str:
  v = float_value(bits, width)
  if v != v:
    sign = bits >> ({16: 15, 32: 31, 64: 31}[width]) & 1
    quiet = bits >> ({16: 9, 32: 22, 64: 19}[width]) & 1
    return ("-" if sign else "+") + ("QNAN" if quiet else "SNAN")
  return _fmt_double(v)

def _widths(fwidth):
  """Float widths per hole: an int or None (every hole) or a sequence (one per hole, in order; only F holes use theirs)."""
  if fwidth is None or isinstance(fwidth, int):
    while True: yield fwidth
  yield from fwidth

def parse_operand(text: str, fwidth=32):
  """-> (shape, [(kind, value)]). Registers by number, integers signed, floats as bit patterns of `fwidth` (an int, or one
  width per hole; None: the token text, for a caller that takes the width from the form it finds)."""
  shape, vals, pos, fws = "", [], 0, _widths(fwidth)
  for m in TOKEN.finditer(text):
    kind = m.lastgroup; tok = m.group(); w = next(fws)
    shape += text[pos:m.start()]; pos = m.end()
    if kind in ZERO_REG: v = ZERO_REG[kind] if tok.endswith("Z") or tok.endswith("T") else int(tok[len(kind):])
    elif kind == "I": v = int(tok, 16)
    elif kind == "F": v = tok if w is None else float_bits(tok, w)
    else: v = tok                                                # SR: name; the form's SR table gives the number
    if kind == "I" and shape and shape[-1] not in "[ (,+-|!~" and not shape.endswith("]["): shape += "+"   # [R2.64-0x10]
    shape += "{%s}" % kind; vals.append((kind, v))
  return shape + text[pos:], vals

def fmt_value(kind: str, v, fwidth: int = 32, sr_names=None) -> str:
  """One hole value as nvdisasm prints it (F: bit pattern of width `fwidth`, 64 = a double's high word)."""
  if kind in REG_NAME: return REG_NAME[kind] if v == ZERO_REG[kind] else f"{kind}{v}"
  if kind == "I": return f"-0x{-v:x}" if v < 0 else f"0x{v:x}"
  if kind == "F": return fmt_float(v, fwidth)
  return sr_names.get(v, f"SR{v}") if sr_names is not None else str(v)

def fmt_operand(shape: str, vals: list, fwidth=32, sr_names=None) -> str:
  """Inverse of parse_operand; `fwidth` an int or one width per hole (Form.fwidths)."""
  out, pos, it, fws = "", 0, iter(vals), _widths(fwidth)
  for m in HOLE.finditer(shape):
    kind, v, w = m.group(1), next(it), next(fws)
    if isinstance(v, tuple): v = v[1]
    lit = shape[pos:m.start()]; pos = m.end()
    if kind == "I" and v == 0 and lit.endswith("+") and shape[m.end():m.end() + 1] == "]":
      out += lit[:-1]; continue                                  # nvdisasm omits a zero address offset
    s = fmt_value(kind, v, w, sr_names)
    out += lit + s
  return out + shape[pos:]

LINE = re.compile(r"^\s*(?:/\*([0-9a-f]+)\*/)?\s*(@!?U?P[T0-9]\s+)?([A-Z][A-Z0-9_.]*(?:x[0-9][A-Z0-9_.x]*)*)(.*?)\s*;")

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
