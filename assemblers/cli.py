"""`hwrt asm` and `hwrt disasm`: dispatch to the ISA by --arch (asm) or by the ELF machine of the input (disasm).
Each ISA package exposes the same two calls: assemble_to_container(text, arch) -> bytes, disassemble_container(data) -> str."""
import importlib, os, sys
from hwrt.errors import BadArgument, InvalidKernelBinary
from hwrt.inputs import check_output, read_bytes, read_text, write_bytes

ISA_BY_ARCH_PREFIX = {"sm_": "hwrt.assemblers.sass", "gfx": "hwrt.assemblers.rdna3", "xe": "hwrt.assemblers.xe"}
ISA_BY_ELF_MACHINE = {190: "hwrt.assemblers.sass", 224: "hwrt.assemblers.rdna3"}   # EM_CUDA, EM_AMDGPU

def isa_for_arch(arch: str):
  for prefix, mod in ISA_BY_ARCH_PREFIX.items():
    if arch.startswith(prefix): return importlib.import_module(mod)
  raise BadArgument(f"unknown --arch {arch!r} (expected sm_90, gfx1100 or xe-hpg)")

def isa_for_binary(data: bytes):
  if len(data) < 64: raise InvalidKernelBinary(f"{len(data)} bytes: too short for an ELF header (64 bytes)")
  if data[:4] != b"\x7fELF": raise InvalidKernelBinary("not an ELF file (expected a cubin or an HSA code object)")
  machine = int.from_bytes(data[18:20], "little")
  if int.from_bytes(data[16:18], "little") == 0xFF04: return importlib.import_module("hwrt.assemblers.xe")   # ocloc binary
  if machine not in ISA_BY_ELF_MACHINE: raise InvalidKernelBinary(f"ELF machine {machine} is neither CUDA (190) nor AMDGPU (224)")
  return importlib.import_module(ISA_BY_ELF_MACHINE[machine])

def add_args_asm(p):
  p.add_argument("source", help="assembly text (.s)")
  p.add_argument("--arch", default="sm_90", help="sm_90 (NVIDIA Hopper), gfx1100 (AMD RDNA3) or xe-hpg (Intel DG2)")
  p.add_argument("-o", "--output", help="output container (default: SOURCE with .cubin / .hsaco)")

def run_asm(args):
  isa = isa_for_arch(args.arch)
  ext = ".cubin" if args.arch.startswith("sm_") else ".bin" if args.arch.startswith("xe") else ".hsaco"
  out = check_output(args.output or os.path.splitext(args.source)[0] + ext)
  data = isa.assemble_to_container(read_text(args.source, "asm"), args.arch)
  write_bytes(out, data)
  print(f"{out}: {len(data)} bytes")
  return 0

def add_args_disasm(p):
  p.add_argument("binary", help="cubin, HSA code object or ocloc binary (or raw 128-bit SASS words with --raw)")
  p.add_argument("--dump-isa", metavar="DIR", help="Intel binaries: write each kernel's raw ISA to DIR/NAME.isa")
  p.add_argument("--arch", help="sm_80 sm_86 sm_89 sm_90 sm_100 sm_120: the SASS model to use (raw words need it; a cubin names its own)")
  p.add_argument("--raw", action="store_true", help="BINARY is raw little-endian 128-bit SASS words (like nvdisasm -b SM90)")

def run_disasm(args):
  """Prints every instruction it can decode; an undecodable word prints in place as `.word 0x...` and the exit status is 1."""
  data = read_bytes(args.binary, "binary")
  if args.raw:
    if not (args.arch or "").startswith("sm_"): raise BadArgument("--raw needs --arch sm_XX (e.g. --arch sm_90)")
    from hwrt.assemblers.sass.disasm import disassemble_raw
    lines = disassemble_raw(data, args.arch)
    sys.stdout.write("\n".join(lines) + "\n")
    return 1 if lines.undecodable else 0
  isa = isa_for_binary(data)
  dump = getattr(args, "dump_isa", None)
  if dump and isa.__name__ != "hwrt.assemblers.xe": raise BadArgument("--dump-isa is for Intel (ocloc) binaries")
  if dump: sys.stdout.write(isa.disassemble_container(data, dump_isa=dump)); return 0
  if isa.__name__.endswith(".sass"):
    from hwrt.assemblers.sass.disasm import listing_of
    lines = listing_of(data, args.arch)
    sys.stdout.write("\n".join(lines) + "\n")
    if lines.undecodable: print(f"{args.binary}: {lines.undecodable} word(s) not decodable (marked .word)", file=sys.stderr)
    return 1 if lines.undecodable else 0
  sys.stdout.write(isa.disassemble_container(data))
  return 0
