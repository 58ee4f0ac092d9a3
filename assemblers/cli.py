"""`hwrt asm` and `hwrt disasm`: dispatch to the ISA by --arch (asm) or by the ELF machine of the input (disasm).
Each ISA package exposes the same two calls: assemble_to_container(text, arch) -> bytes, disassemble_container(data) -> str."""
import importlib, os, sys
from hwrt.errors import BadArgument, InvalidKernelBinary

ISA_BY_ARCH_PREFIX = {"sm_": "hwrt.assemblers.sass", "gfx": "hwrt.assemblers.rdna3", "xe": "hwrt.assemblers.xe"}
ISA_BY_ELF_MACHINE = {190: "hwrt.assemblers.sass", 224: "hwrt.assemblers.rdna3"}   # EM_CUDA, EM_AMDGPU

def isa_for_arch(arch: str):
  for prefix, mod in ISA_BY_ARCH_PREFIX.items():
    if arch.startswith(prefix): return importlib.import_module(mod)
  raise BadArgument(f"unknown --arch {arch!r} (expected sm_90, gfx1100 or xe-hpg)")

def isa_for_binary(data: bytes):
  if data[:4] != b"\x7fELF": raise InvalidKernelBinary("not an ELF file (expected a cubin or an HSA code object)")
  machine = int.from_bytes(data[18:20], "little")
  if int.from_bytes(data[16:18], "little") == 0xFF04: return importlib.import_module("hwrt.assemblers.xe")   # ocloc binary
  if machine not in ISA_BY_ELF_MACHINE: raise InvalidKernelBinary(f"ELF machine {machine} is neither CUDA (190) nor AMDGPU (224)")
  return importlib.import_module(ISA_BY_ELF_MACHINE[machine])

def _read(path: str, mode="rb"):
  try:
    with open(path, mode) as f: return f.read()
  except OSError as e: raise BadArgument(f"cannot read {path}: {e.strerror}")

def add_args_asm(p):
  p.add_argument("source", help="assembly text (.s)")
  p.add_argument("--arch", default="sm_90", help="sm_90 (NVIDIA Hopper), gfx1100 (AMD RDNA3) or xe-hpg (Intel DG2)")
  p.add_argument("-o", "--output", help="output container (default: SOURCE with .cubin / .hsaco)")

def run_asm(args):
  text = _read(args.source, "r")
  data = isa_for_arch(args.arch).assemble_to_container(text, args.arch)
  ext = ".cubin" if args.arch.startswith("sm_") else ".bin" if args.arch.startswith("xe") else ".hsaco"
  out = args.output or os.path.splitext(args.source)[0] + ext
  with open(out, "wb") as f: f.write(data)
  print(f"{out}: {len(data)} bytes")
  return 0

def add_args_disasm(p):
  p.add_argument("binary", help="cubin, HSA code object or ocloc binary")
  p.add_argument("--dump-isa", metavar="DIR", help="Intel binaries: write each kernel's raw ISA to DIR/NAME.isa")

def run_disasm(args):
  data = _read(args.binary)
  isa = isa_for_binary(data)
  dump = getattr(args, "dump_isa", None)
  if dump and isa.__name__ != "hwrt.assemblers.xe": raise BadArgument("--dump-isa is for Intel (ocloc) binaries")
  sys.stdout.write(isa.disassemble_container(data, dump_isa=dump) if dump else isa.disassemble_container(data))
  return 0
