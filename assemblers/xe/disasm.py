"""Disassembler: raw Xe-HPG ISA -> iga64-syntax text (branch targets as labels L<pc>, as iga64 names them); an ocloc binary
-> text our assembler reads back (`.kernel NAME` and the directives of asm.py per kernel)."""
from hwrt.assemblers.xe import syntax, table as T
from hwrt.assemblers.xe.decoder import decode
from hwrt.assemblers.xe import container

def label_name(pc: int) -> str: return f"L{pc}"

def lines(code: bytes, model=None) -> list:
  """-> [(pc, text)] with label lines (pc None) before each branch target."""
  insts = decode(code, 0, model)
  targets = sorted({i.pc + i.f[f"srcs[{k}].target"] for i in insts for k in range(2)
                    if isinstance(i.f.get(f"srcs[{k}].target"), int)})
  out, tset = [], set(targets)
  for i in insts:
    if i.pc in tset: out.append((None, f"{label_name(i.pc)}:"))
    out.append((i.pc, syntax.format_inst(i.f, labels=lambda t, pc=i.pc: label_name(pc + t))))
  end = len(code)
  if end in tset: out.append((None, f"{label_name(end)}:"))
  return out

def disassemble(code: bytes, model=None) -> list:
  return [t if pc is None else f"        {t}" for pc, t in lines(code, model)]

def kernel_directives(k) -> list:
  out = [f".kernel {k.name}", f".simd {k.simd}", f".grf {k.grf_count}"]
  for a in k.args():
    out.append(f".arg {a.name or 'arg' + str(a.index)} {a.kind} {a.size} @{a.offset if a.offset is not None else '-'}")
  if k.slm: out.append(f".slm {k.slm}")
  if k.scratch: out.append(f".scratch {k.scratch}")
  return out

def disassemble_container(data: bytes, dump_isa: str | None = None) -> str:
  import os
  prog = container.read(data)
  text = [f"// Intel OpenCL device binary (patch tokens v{prog.version}, device {prog.device:#x}), {len(prog.kernels)} kernel(s)"]
  for k in prog.kernels:
    if dump_isa:
      os.makedirs(dump_isa, exist_ok=True)
      with open(os.path.join(dump_isa, k.name + ".isa"), "wb") as f: f.write(k.isa)
    text += [""] + kernel_directives(k) + disassemble(k.isa)
  return "\n".join(text) + "\n"
