"""Disassembler: words -> nvdisasm-syntax text with control codes; a cubin -> text our assembler reads back.
A word the model cannot decode prints in place as `.word 0x<32 hex digits>` (objdump's way) and is counted in
`Listing.undecodable`; `hwrt disasm` then exits 1."""
from hwrt.errors import InvalidKernelBinary
from hwrt.assemblers.sass import table as T
from hwrt.assemblers.sass.decoder import decode, words_of
from hwrt.assemblers.sass.cubin import read_cubin

class Listing(list):
  """Lines of a disassembly; `undecodable` = how many words printed as `.word`."""
  undecodable = 0

def _decode_or_none(w, pc, tab):
  try: return decode(w, pc, tab)
  except InvalidKernelBinary: return None

def disassemble(code: bytes, base: int = 0, ctrl: bool = True, labels: bool = True, tab=None, arch: str = "sm_90") -> Listing:
  """-> lines `[B------:R-:W-:Y:S01] LDC R1, c[0x0][0x28] ;`; branch targets become labels `.L_<n>`; an undecodable
  word becomes `.word 0x...` in place."""
  tab = tab or T.load(arch)
  words = words_of(code)
  decoded = [_decode_or_none(w, base + 16 * i, tab) for i, w in enumerate(words)]
  instrs = [d for d in decoded if d is not None]
  label_of = {}
  if labels:
    targets = sorted({op.value for ins in instrs for op, f in zip(ins.operands, _holes(ins))
                      if f is not None and f.pc is not None and op.shape == "{I}"})
    label_of = {t: f".L_{n}" for n, t in enumerate(targets)}
  out = Listing()
  for i, (w, ins) in enumerate(zip(words, decoded)):
    pc = base + 16 * i
    if pc in label_of: out.append(f"{label_of[pc]}:")
    if ins is None:
      out.undecodable += 1
      out.append(f"        /*{pc - base:04x}*/ .word 0x{w:032x} ;   // not decodable for {tab.arch}"); continue
    text = ins.text(tab.sr, label_of)
    out.append(f"        {str(ins.ctrl) + ' ' if ctrl else ''}/*{ins.pc - base:04x}*/ {text} ;")
  return out

def _holes(ins):
  it, out = iter(ins.form.fields), []
  from hwrt.assemblers.sass.syntax import HOLE
  for s in ins.form.shapes:
    fs = [next(it) for _ in HOLE.findall(s)]
    out.append(fs[0] if fs else None)
  return out

def disassemble_raw(data: bytes, arch: str = "sm_90") -> Listing:
  """Raw little-endian 128-bit words (`nvdisasm -b SM90` input) -> listing."""
  from hwrt.assemblers.sass import ARCHS
  if arch not in ARCHS: raise InvalidKernelBinary(f"no SASS model for {arch} (known: {', '.join(ARCHS)})")
  return disassemble(data, ctrl=True, labels=True, arch=arch)

def disassemble_container(data: bytes, arch: str | None = None) -> str:
  """Text of a cubin; `undecodable` words are marked in place (see listing_of for the count)."""
  return "\n".join(listing_of(data, arch)) + "\n"

def listing_of(data: bytes, arch: str | None = None) -> Listing:
  from hwrt.assemblers.sass import ARCHS
  cub = read_cubin(data)
  if arch and arch != cub.arch: raise InvalidKernelBinary(f"cubin is for {cub.arch}, not --arch {arch}")
  if cub.arch not in ARCHS: raise InvalidKernelBinary(f"cubin is for {cub.arch}; this disassembler knows {', '.join(ARCHS)}")
  lines = Listing([f"// {cub.arch} cubin, {len(cub.kernels)} kernel(s)"])
  for k in cub.kernels.values():
    lines += ["", f".kernel {k.name}"]
    lines += [f".param {size} @{off:#x}" for off, size in k.params]
    if k.shared_size: lines.append(f".shared {k.shared_size}")
    if k.local_size: lines.append(f".local {k.local_size}")
    lines.append(f".regs {k.regs}")
    if k.relocs: lines += [f"// reloc {off:#06x} type {t} {sym}{'+' + hex(a) if a else ''}" for off, t, sym, a in k.relocs]
    body = disassemble(k.code, arch=cub.arch)
    lines += body; lines.undecodable += body.undecodable
  return lines
