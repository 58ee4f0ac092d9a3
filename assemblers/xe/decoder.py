"""Xe-HPG instruction decode and encode with the learned model (table.py), shared by the disassembler, the assembler and a
future simulator. An instruction is a flat dict with iga64's JSON keys (`op`, `es`, `dst.reg.r`, `srcs[1].type`, ...);
immediates that the model holds as linear fields (`srcs[i].value`, branch `srcs[i].target` relative to the instruction)
are integers of raw bits."""
from dataclasses import dataclass
from hwrt.errors import AssemblerError, InvalidKernelBinary
from hwrt.assemblers.xe import table as T, fills as F

def ctx_key(k: str):
  if k.endswith(".value"): return k[:-len(".value")] + ".type"
  if k.endswith(".r"): return k[:-2] + ".rn"
  return None

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
        ls = v.lin_for(key, d.get(ctx_key(key)) if ctx_key(key) else None)
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

def _val(f: dict, k: str, x):
  """Comparable form of field k's value x: immediates as raw bits of their type's width."""
  if k.endswith(".value"):
    from hwrt.assemblers.xe.syntax import norm_imm
    r = norm_imm(x, f.get(k[:-len(".value")] + ".type"))
    if r is not None: return r
  return _norm(x)

def _norm(v):
  if isinstance(v, str):
    try: return int(v, 0)
    except ValueError: return v
  return v

def encode(f: dict, size: int = 16, model=None, fills: bool = True) -> int:
  """Fields -> word for a variant of the requested size whose fields and constants agree with f."""
  model = model or T.load()
  ops = [k for (s, _), vs in model.by_opcode.items() if s == size for v in vs if v.consts.get("op") == f.get("op") for k in [v]]
  errs = []
  for v in ops:
    if any(k in f and _norm(f[k]) != _norm(c) for k, c in v.consts.items()): continue
    known = v.keys() | set(v.consts)
    if any(k not in known and x not in (None, False, "", 0) for k, x in f.items()): continue
    w, fixed = v.value, v.mask
    ok = True
    for key in dict.fromkeys(l.key for l in v.lins):      # immediates, offsets, wide register numbers: fixed first
      if key not in f: continue
      l = v.lin_for(key, f.get(ctx_key(key)) if ctx_key(key) else None)[0]
      val = _norm(f[key])
      lw = None
      if isinstance(val, int):      # the raw bits, or the same bits read as a signed value of 16/32/64 bits
        for c in (val, val - (1 << 16), val - (1 << 32), val - (1 << 64), val & 0xFFFF, val & 0xFFFFFFFF):
          lw = l.put(c)
          if lw is not None: break
      lmask = T.putbits((1 << len(l.bits)) - 1, l.bits)
      if lw is None or (lw ^ w) & fixed & lmask: ok = False; errs.append(f"{l.key}={val}"); break
      w = (w & ~lmask) | lw; fixed |= lmask
    if not ok: continue
    # constrained enums first (fewest codes first), then the ones whose keys the text does not give (derived fields);
    # enums can share bits, so this is a small depth-first search over the matching codes
    order = sorted(v.enums, key=lambda e: (not any(k in f for k in e.keys), len(e.table)))
    opts = []
    for e in order:
      idx = [i for i, k in enumerate(e.keys) if k in f]
      want = tuple(_val(f, e.keys[i], f[e.keys[i]]) for i in idx)
      cs = [c for c in sorted(e.table) if tuple(_val(f, e.keys[i], e.table[c][i]) for i in idx) == want]
      if not cs: ok = False; errs.append(f"{'/'.join(e.keys[i] for i in idx)}={want}"); break
      opts.append((T.putbits((1 << len(e.bits)) - 1, e.bits), [T.putbits(c, e.bits) for c in cs]))
    if ok:
      budget = [3000]
      def dfs(i, w, fixed):
        if i == len(opts): return w, fixed
        emask, cws = opts[i]
        for cw in cws:
          budget[0] -= 1
          if budget[0] < 0: return None
          if (cw ^ w) & fixed & emask == 0:
            r = dfs(i + 1, (w & ~emask) | cw, fixed | emask)
            if r: return r
        return None
      r = dfs(0, w, fixed)
      if r is None: ok = False; errs.append("no consistent field codes")
      else: w, fixed = r
    if not ok: continue
    if ok:     # with the corpus fill rules when they keep the fields, else without
      r0 = decode_word(w, size, model) if fills else None
      for cand in ([F.apply(w, v.vid, r0[0], model.fills)] if r0 else []) + [w]:
        r = decode_word(cand, size, model)
        if r is not None and all(_val(f, k, r[0].get(k)) == _val(f, k, f.get(k)) for k in r[0] if k in f): return cand
      errs.append("re-decode differs")
  what = f"{f.get('op')}{'.' + f['subop'] if f.get('subop') else ''}"
  raise AssemblerError(f"no {'compacted ' if size == 8 else ''}encoding for {what}" + (f" ({'; '.join(errs[:3])})" if errs else ""))
