"""Xe-HPG instruction decode and encode with the learned model (table.py), shared by the disassembler, the assembler and a
future simulator. An instruction is a flat dict with iga64's JSON keys (`op`, `es`, `dst.reg.r`, `srcs[1].type`, ...);
immediates that the model holds as linear fields (`srcs[i].value`, branch `srcs[i].target` relative to the instruction)
are integers of raw bits."""
from dataclasses import dataclass
from hwrt.errors import AssemblerError, InvalidKernelBinary
from hwrt.assemblers.xe import table as T

@dataclass
class Inst:
  pc: int
  size: int            # 16 native, 8 compacted
  word: int
  f: dict              # the fields
  variant: int
  @property
  def op(self) -> str: return self.f["op"]

def decode_word(word: int, size: int, model=None) -> tuple | None:
  """(fields, variant id) of one word, or None if no variant accepts it."""
  model = model or T.load()
  for v in model.by_opcode.get((size, word & 0x7F), ()):
    if word & v.mask != v.value: continue
    d = dict(v.consts)
    for e in v.enums:
      vals = e.table.get(T.getbits(word, e.bits))
      if vals is None: break
      d.update(zip(e.keys, vals))
    else:
      for key in dict.fromkeys(l.key for l in v.lins):
        ls = v.lin_for(key, d.get(key[:-len(".value")] + ".type") if key.endswith(".value") else None)
        d[key] = ls[0].get(word)
      return d, v.vid
  return None

def decode(code: bytes, base_pc: int = 0, model=None) -> list:
  """Raw ISA -> [Inst]; a word no variant accepts raises InvalidKernelBinary."""
  model, out, i = model or T.load(), [], 0
  while i < len(code):
    if i + 8 > len(code): raise InvalidKernelBinary(f"ISA ends inside an instruction at {base_pc + i:#x}")
    size = 8 if code[i + 3] & 0x20 else 16
    if i + size > len(code): raise InvalidKernelBinary(f"ISA ends inside an instruction at {base_pc + i:#x}")
    w = int.from_bytes(code[i:i + size], "little")
    r = decode_word(w, size, model)
    if r is None: raise InvalidKernelBinary(f"no Xe-HPG encoding matches the word at {base_pc + i:#x}: {code[i:i + size].hex()}")
    out.append(Inst(base_pc + i, size, w, r[0], r[1])); i += size
  return out

def _norm(v):
  if isinstance(v, str):
    try: return int(v, 0)
    except ValueError: return v
  return v

def encode(f: dict, size: int = 16, model=None) -> int:
  """Fields -> word for a variant of the requested size whose fields and constants agree with f."""
  model = model or T.load()
  ops = [k for (s, _), vs in model.by_opcode.items() if s == size for v in vs if v.consts.get("op") == f.get("op") for k in [v]]
  errs = []
  for v in ops:
    if any(f.get(k) != c for k, c in v.consts.items()): continue
    w, fixed = v.value, v.mask
    ok = True
    for e in sorted(v.enums, key=lambda e: len(e.table)):
      want = tuple(_norm(f.get(k)) for k in e.keys)
      emask = T.putbits((1 << len(e.bits)) - 1, e.bits)
      for code, vals in e.table.items():
        cw = T.putbits(code, e.bits)
        if tuple(_norm(x) for x in vals) == want and (cw ^ w) & fixed & emask == 0:
          w = (w & ~emask) | cw; fixed |= emask; break
      else:
        ok = False; errs.append(f"{'/'.join(e.keys)}={want}"); break
    if not ok: continue
    for key in dict.fromkeys(l.key for l in v.lins):
      l = v.lin_for(key, f.get(key[:-len(".value")] + ".type") if key.endswith(".value") else None)[0]
      val = f.get(l.key)
      val = _norm(val) if val is not None else 0
      lw = l.put(val) if isinstance(val, int) else None
      lmask = T.putbits((1 << len(l.bits)) - 1, l.bits)
      if lw is None or (lw ^ w) & fixed & lmask: ok = False; errs.append(f"{l.key}={val}"); break
      w = (w & ~lmask) | lw; fixed |= lmask
    if ok:
      r = decode_word(w, size, model)
      if r is not None and all(_norm(r[0].get(k)) == _norm(f.get(k)) for k in r[0] if k in f): return w
      errs.append("re-decode differs")
  what = f"{f.get('op')}{'.' + f['subop'] if f.get('subop') else ''}"
  raise AssemblerError(f"no {'compacted ' if size == 8 else ''}encoding for {what}" + (f" ({errs[0]})" if errs else ""))
