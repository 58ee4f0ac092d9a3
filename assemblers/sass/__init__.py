"""NVIDIA SASS (sm_90 Hopper): learned form table, decoder/disassembler, assembler, scheduler, cubin reader/writer.

The simulated GPU uses decode() and read_cubin(); the CLI (assemblers/cli.py) uses the two *_container calls."""
from hwrt.errors import BadArgument
from hwrt.assemblers.sass.decoder import decode, Instr, Operand, Ctrl
from hwrt.assemblers.sass.cubin import read_cubin, write_cubin, Cubin, Kernel, KernelSource
from hwrt.assemblers.sass.disasm import disassemble, disassemble_container

import glob as _glob, os as _os, re as _re
ARCHS = tuple(sorted(f"sm_{m.group(1)}" for p in _glob.glob(_os.path.join(_os.path.dirname(__file__), "sm*.tsv"))
                     if (m := _re.fullmatch(r"sm(\d+)\.tsv", _os.path.basename(p)))))   # one learned table per arch

def assemble(text: str, arch: str = "sm_90") -> list:
  """Source text -> [KernelSource] (code assembled and scheduled)."""
  from hwrt.assemblers.sass import asm, table
  if arch not in ARCHS: raise BadArgument(f"SASS assembler supports {', '.join(ARCHS)}, not {arch}")
  tab = table.load(arch)
  out = []
  for kb in asm.parse_source(text):
    words = asm.assemble_kernel(kb, tab)
    code = b"".join(w.to_bytes(16, "little") for w in words)
    from hwrt.assemblers.sass.disasm import _decode_or_none
    instrs = [d for i, w in enumerate(words) if (d := _decode_or_none(w, 16 * i, tab)) is not None]   # `.word`s: as they are
    used = [v for ins in instrs for op in ins.operands for k, v in op.values if k == "R" and v != 255]
    from hwrt.assemblers.sass.sched import _width
    top = max([v + _width(ins, True) for ins in instrs for op in ins.operands for k, v in op.values if k == "R" and v != 255] + [1])
    regs = kb.regs if kb.regs is not None else max(top, 2)
    exits = [16 * i for i, ins in enumerate(instrs) if ins.name == "EXIT"]
    bars = 1 if any(ins.name == "BAR" for ins in instrs) else 0
    out.append(KernelSource(kb.name, code, regs, kb.params, kb.shared, kb.local, exits, bars))
  return out

def assemble_to_container(text: str, arch: str = "sm_90") -> bytes:
  from hwrt.errors import AssemblerError
  ks = assemble(text, arch)
  if not ks: raise AssemblerError("no .kernel in the source")
  return write_cubin(ks, sm=int(arch[3:]))
