"""Intel Xe-HPG (DG2 / Arc, iga64 platform 12p71): encoding model learned from iga64 (learn.py -> xehpg.tsv), decoder
shared with a future simulator, assembler and disassembler in iga64's syntax, SWSB scheduler, and the ocloc binary
container (patch-token device binary in an ELF). The CLI (assemblers/cli.py) uses the two *_container calls."""
import re
from hwrt.errors import AssemblerError, BadArgument
from hwrt.assemblers.xe.decoder import decode, decode_word, encode, Inst
from hwrt.assemblers.xe.container import read, write, kernel_tokens, is_intel, Program, Kernel
from hwrt.assemblers.xe.disasm import disassemble, disassemble_container

ARCHS = ("xe-hpg", "xehpg", "12p71", "dg2")

def assemble(text: str, arch: str = "xe-hpg") -> list:
  """Source text -> [asm.KernelSource] with .code (SWSB scheduled when the source has no annotations)."""
  from hwrt.assemblers.xe import asm, sched
  if arch not in ARCHS: raise BadArgument(f"Xe assembler supports {', '.join(ARCHS)}, not {arch}")
  ks = asm.parse_source(text)
  for k in ks:
    lines = k.lines
    if not any(re.search(r"\{[^}]*(@|\$)", ln) for _, ln in lines): lines = sched.schedule(lines)
    k.code = asm.assemble_lines(lines)
  return ks

def assemble_to_container(text: str, arch: str = "xe-hpg") -> bytes:
  ks = assemble(text, arch)
  if not ks: raise AssemblerError("no instructions in the source")
  return write([(k.name, k.code, kernel_tokens(k.simd, k.grf, [(n, kind, size) for n, kind, size, _ in k.args], k.slm,
                                              k.scratch)) for k in ks])

