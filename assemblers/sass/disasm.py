"""Disassembler: words -> nvdisasm-syntax text with control codes; a cubin -> text our assembler reads back."""
from hwrt.errors import InvalidKernelBinary
from hwrt.assemblers.sass import table as T
from hwrt.assemblers.sass.decoder import decode, words_of
from hwrt.assemblers.sass.cubin import read_cubin

def disassemble(code: bytes, base: int = 0, ctrl: bool = True, labels: bool = True, tab=None) -> list:
  """-> lines `[B------:R-:W-:Y:S01] LDC R1, c[0x0][0x28] ;`; branch targets become labels `.L_<n>`."""
  tab = tab or T.load()
  instrs = [decode(w, base + 16 * i, tab) for i, w in enumerate(words_of(code))]
  label_of = {}
  if labels:
    targets = sorted({op.value for ins in instrs for op, f in zip(ins.operands, _holes(ins))
                      if f is not None and f.pc is not None and op.shape == "{I}"})
    label_of = {t: f".L_{n}" for n, t in enumerate(targets)}
  out = []
  for ins in instrs:
    if ins.pc in label_of: out.append(f"{label_of[ins.pc]}:")
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

def disassemble_container(data: bytes) -> str:
  cub = read_cubin(data)
  if cub.arch != "sm_90": raise InvalidKernelBinary(f"cubin is for {cub.arch}; this disassembler knows sm_90")
  lines = [f"// {cub.arch} cubin, {len(cub.kernels)} kernel(s)"]
  for k in cub.kernels.values():
    lines += ["", f".kernel {k.name}"]
    lines += [f".param {size} @{off:#x}" for off, size in k.params]
    if k.shared_size: lines.append(f".shared {k.shared_size}")
    if k.local_size: lines.append(f".local {k.local_size}")
    lines.append(f".regs {k.regs}")
    if k.relocs: lines += [f"// reloc {off:#06x} type {t} {sym}{'+' + hex(a) if a else ''}" for off, t, sym, a in k.relocs]
    lines += disassemble(k.code)
  return "\n".join(lines) + "\n"
