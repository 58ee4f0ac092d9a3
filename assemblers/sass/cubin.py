"""cubin (CUDA ELF) reader and writer for sm_80 .. sm_120 (ARCH_ELF: the per-arch header flags, param base, .nv.compat).

Facts (shared/research/nvidia_rm_abi.md §5.4, §6; CuAssembler CuAsm/CuNVInfo.py; checked against ptxas 13.x output):
.nv.info records are `u8 format, u8 attribute, u16 (value or payload length), payload`: format 1 NVAL, 2 BVAL, 3 HVAL (value
in the u16), 4 SVAL (payload of u16 bytes). `.nv.info` holds REGCOUNT / FRAME_SIZE / MIN_STACK_SIZE keyed by the kernel
symbol; `.nv.info.<k>` holds KPARAM_INFO (u32 0, u16 ordinal, u16 offset, u32 flags with size in bits 31:18), PARAM_CBANK
(u32 symbol of .nv.constant0.<k>, u16 param base 0x210, u16 param bytes), CBANK_PARAM_SIZE, EXIT_INSTR_OFFSETS, ...
cbank 0 is 0x210 driver bytes followed by the parameters."""
import re, struct
from dataclasses import dataclass, field
from hwrt.errors import InvalidKernelBinary, Unimplemented
from hwrt.assemblers import elf as E

EM_CUDA = 190
SHT_CUDA_INFO = 0x70000000
EIATTR = {"CTAIDZ_USED": 0x04, "MAX_THREADS": 0x05, "PARAM_CBANK": 0x0A, "REQNTID": 0x10, "FRAME_SIZE": 0x11,
          "MIN_STACK_SIZE": 0x12, "KPARAM_INFO": 0x17, "CBANK_PARAM_SIZE": 0x19, "MAXREG_COUNT": 0x1B,
          "EXIT_INSTR_OFFSETS": 0x1C, "S2RCTAID_INSTR_OFFSETS": 0x1D, "MAX_STACK_SIZE": 0x23, "REGCOUNT": 0x2F,
          "SW_WAR": 0x36, "CUDA_API_VERSION": 0x37, "NUM_BARRIERS": 0x4C}
EIFMT_NVAL, EIFMT_BVAL, EIFMT_HVAL, EIFMT_SVAL = 1, 2, 3, 4
PARAM_BASE_SM90 = 0x210
SHT_CUDA_COMPAT = 0x70000086
# .nv.compat as ptxas 13.x writes it for every sm_90 cubin in our corpus (nvdisasm/cuobjdump refuse a cubin without it);
# records in the .nv.info format, attribute meanings unpublished
NV_COMPAT_SM90 = bytes.fromhex("02090000020c000002020100030d010102030000040b08000000000000000000030e4004")
# per-arch ELF facts, read from ptxas 13.0 cubins of the same PTX (corpus/alu.ptx retargeted): e_flags = 0x6000000 | sm << 8 |
# low byte (0x04 through sm_90, 0x02 from sm_100), the param base in cbank 0 (PARAM_CBANK), the .nv.compat records (sm_90+)
ARCH_ELF = {80: (0x04, 0x160, None), 86: (0x04, 0x160, None), 89: (0x04, 0x160, None), 90: (0x04, PARAM_BASE_SM90, NV_COMPAT_SM90),
            100: (0x02, 0x380, bytes.fromhex("02090000020c000002020100030d01010307010102030000040b08000900000000000000030e4004")),
            120: (0x02, 0x380, bytes.fromhex("02090000020c000002020200030d01010307010102030000040b08005000000000000000030e4004"))}
STO_CUDA_ENTRY = 0x10
# relocation types (nvidia_rm_abi.md §6.4): patch (byte offset in the word, bit lo, width, shift of the value)
R_CUDA = {1: ("R_CUDA_32", 0, 32, 0), 2: ("R_CUDA_64", 0, 64, 0), 55: ("R_CUDA_ABS32_32", 32, 32, 0),
          56: ("R_CUDA_ABS32_LO_32", 32, 32, 0), 57: ("R_CUDA_ABS32_HI_32", 32, 32, 32), 58: ("R_CUDA_ABS47_34", 34, 47, 2),
          70: ("R_CUDA_32_LO", 0, 32, 0), 71: ("R_CUDA_32_HI", 0, 32, 32)}

def parse_nv_info(data: bytes) -> list:
  """-> [(attribute code, format, payload bytes)]"""
  out, i = [], 0
  while i + 4 <= len(data):
    fmt, attr, val = data[i], data[i + 1], struct.unpack_from("<H", data, i + 2)[0]
    if fmt == EIFMT_SVAL:
      if i + 4 + val > len(data): raise InvalidKernelBinary(f".nv.info record 0x{attr:x} runs past its section")
      out.append((attr, fmt, data[i + 4:i + 4 + val])); i += 4 + val
    elif fmt in (EIFMT_NVAL, EIFMT_BVAL, EIFMT_HVAL): out.append((attr, fmt, data[i + 2:i + 4])); i += 4
    else: raise InvalidKernelBinary(f".nv.info: bad record format {fmt} at {i}")
  return out

def nv_info_record(attr: int, payload: bytes = b"", fmt: int = EIFMT_SVAL) -> bytes:
  if fmt == EIFMT_SVAL: return struct.pack("<BBH", fmt, attr, len(payload)) + payload
  return struct.pack("<BB", fmt, attr) + payload[:2].ljust(2, b"\0")

@dataclass
class Kernel:
  name: str
  code: bytes
  regs: int = 0
  shared_size: int = 0
  local_size: int = 0            # FRAME_SIZE: per-thread local memory (stack frame) bytes
  min_stack_size: int = 0
  params: list = field(default_factory=list)    # [(offset in the param area, size)], in ordinal order
  param_base: int = PARAM_BASE_SM90              # offset of the params in cbank 0
  param_size: int = 0
  cbank0_size: int = 0
  exit_offsets: list = field(default_factory=list)
  num_barriers: int = 0
  const_banks: dict = field(default_factory=dict)   # bank -> bytes, this kernel's .nv.constantN.<k> (N != 0)
  relocs: list = field(default_factory=list)        # [(offset in code, type, symbol name, addend)]
  attrs: list = field(default_factory=list)         # raw .nv.info.<k> records [(attr, fmt, payload)]
  def relocate(self, symbol_addrs: dict) -> bytes:
    """The code with its relocations applied; symbol_addrs maps each referenced symbol name to its address."""
    return apply_relocations(self.code, self.relocs, symbol_addrs)

@dataclass
class Cubin:
  arch: str
  kernels: dict                                      # name -> Kernel
  const_banks: dict = field(default_factory=dict)   # bank -> bytes (module-wide .nv.constantN, e.g. __constant__ data)
  const_relocs: dict = field(default_factory=dict)  # bank -> [(offset, type, symbol, addend)]
  symbols: dict = field(default_factory=dict)       # name -> (section name, offset, size) for data symbols
  elf: object = None

def apply_relocations(data: bytes, relocs, symbol_addrs: dict) -> bytes:
  out = bytearray(data)
  for off, typ, sym, add in relocs:
    if typ not in R_CUDA: raise Unimplemented(f"relocation type {typ} at {off:#x} ({sym})")
    if sym not in symbol_addrs: raise InvalidKernelBinary(f"relocation against {sym!r} with no address given")
    _, lo, width, shift = R_CUDA[typ]
    v = ((symbol_addrs[sym] + add) >> shift) & ((1 << width) - 1)
    nbytes = 16 if lo + width > 64 else 8
    word = int.from_bytes(out[off:off + nbytes], "little")
    word = (word & ~(((1 << width) - 1) << lo)) | (v << lo)
    out[off:off + nbytes] = word.to_bytes(nbytes, "little")
  return bytes(out)

def _sm_of_flags(flags: int) -> int:
  return (flags >> 16) & 0xFF if flags < 0x1000000 else (flags >> 8) & 0xFF   # classic 0x5A055A / CUDA 13 0x6005A04

def read_cubin(data: bytes) -> Cubin:
  e = E.read_elf(data)
  if e.header["machine"] != EM_CUDA: raise InvalidKernelBinary(f"ELF machine {e.header['machine']} is not EM_CUDA (190)")
  arch = f"sm_{_sm_of_flags(e.header['flags'])}"
  syms = e.symbols
  def sym_name(i): return syms[i].name if i < len(syms) else f"sym{i}"
  kernels, by_sec = {}, {}
  for i, s in enumerate(e.sections):
    if s.name.startswith(".text."):
      k = Kernel(s.name[6:], s.data); kernels[k.name] = k; by_sec[i] = k
  ksym = {i: kernels[s.name] for i, s in enumerate(syms) if s.name in kernels and s.type == E.STT_FUNC}
  cub = Cubin(arch, kernels, elf=e)
  for s in e.sections:
    m = re.fullmatch(r"\.nv\.constant(\d+)(?:\.(.+))?", s.name)
    if s.name == ".nv.info":
      for attr, fmt, p in parse_nv_info(s.data):
        if fmt != EIFMT_SVAL or len(p) < 8: continue
        si, v = struct.unpack_from("<II", p)
        k = ksym.get(si)
        if k is None: continue
        if attr == EIATTR["REGCOUNT"]: k.regs = v
        elif attr == EIATTR["FRAME_SIZE"]: k.local_size = v
        elif attr == EIATTR["MIN_STACK_SIZE"]: k.min_stack_size = v
    elif s.type == SHT_CUDA_INFO and s.name.startswith(".nv.info.") and s.info in by_sec:
      k = by_sec[s.info]; k.attrs = parse_nv_info(s.data)
      kp = []
      for attr, fmt, p in k.attrs:
        if attr == EIATTR["KPARAM_INFO"]:
          _, ordinal, off, flags = struct.unpack_from("<IHHI", p); kp.append((ordinal, off, flags >> 18))
        elif attr == EIATTR["PARAM_CBANK"]: _, k.param_base, k.param_size = struct.unpack_from("<IHH", p)
        elif attr == EIATTR["CBANK_PARAM_SIZE"]: k.param_size = struct.unpack_from("<H", p)[0]
        elif attr == EIATTR["EXIT_INSTR_OFFSETS"]: k.exit_offsets = list(struct.unpack(f"<{len(p) // 4}I", p))
        elif attr == EIATTR["NUM_BARRIERS"]: k.num_barriers = p[0]
      k.params = [(off, size) for _, off, size in sorted(kp)]
    elif s.name.startswith(".nv.shared.") and s.info in by_sec: by_sec[s.info].shared_size = s.nbytes()
    elif m and m.group(2) in kernels:
      k = kernels[m.group(2)]
      if m.group(1) == "0": k.cbank0_size = s.nbytes()
      else: k.const_banks[int(m.group(1))] = s.data
    elif m and m.group(2) is None: cub.const_banks[int(m.group(1))] = s.data
  for i, s in enumerate(e.sections):
    if s.type not in (E.SHT_REL, E.SHT_RELA) or s.info >= len(e.sections): continue
    target = e.sections[s.info]
    rl = [(o, t, sym_name(si), a) for o, si, t, a in e.relocations(s)]
    if s.info in by_sec: by_sec[s.info].relocs += rl
    else:
      m = re.fullmatch(r"\.nv\.constant(\d+)", target.name)
      if m: cub.const_relocs.setdefault(int(m.group(1)), []).extend(rl)
  for s in syms:
    if s.type == E.STT_OBJECT and 0 < s.shndx < len(e.sections): cub.symbols[s.name] = (e.sections[s.shndx].name, s.value, s.size)
  return cub

@dataclass
class KernelSource:
  """What the writer needs for one kernel (asm.py builds these from `.kernel` blocks)."""
  name: str
  code: bytes
  regs: int
  params: list                     # [(offset, size)]
  shared_size: int = 0
  local_size: int = 0
  exit_offsets: list = field(default_factory=list)
  num_barriers: int = 0

def write_cubin(kernels: list, sm: int = 90, toolkit: int = 0x87) -> bytes:
  """A whole-program (ET_EXEC) cubin with the sections and EIATTR records ptxas emits for such kernels."""
  if sm not in ARCH_ELF: raise Unimplemented(f"cubin writer knows {', '.join(f'sm_{a}' for a in ARCH_ELF)}, not sm_{sm}")
  low, pbase, compat = ARCH_ELF[sm]
  w = E.ElfWriter(EM_CUDA, E.ET_EXEC, osabi=0x41, abiversion=8, flags=0x6000000 | low | sm << 8)
  w.add_section(".shstrtab", type=E.SHT_STRTAB)             # ptxas's order: .shstrtab, .strtab, .symtab first
  symtab = w.reserve_symtab()
  info = w.add_section(".nv.info", type=SHT_CUDA_INFO, align=4, link=symtab)
  # notes as ptxas writes them: owner "NVIDIA Corp"; tkinfo (type 2000): u32 version 2, u32 0, then offsets of the tool
  # name, tool version, build and argument strings in a string blob; cuinfo (type 1000): u16 2, u16 sm, u32 toolkit
  owner = b"NVIDIA Corp\0"
  blob = b"\0hwrt\0hwrt SASS assembler\0\0-arch sm_%d\0" % sm
  offs = [1, 6, 26, 27]
  tk = struct.pack("<6I", 2, 0, *offs) + blob
  tk = tk.ljust((len(tk) + 3) // 4 * 4, b"\0")
  tki = w.add_section(".note.nv.tkinfo", struct.pack("<III", len(owner), len(tk), 2000) + owner + tk, type=E.SHT_NOTE,
                      align=4, flags=0x2000000)
  cui = w.add_section(".note.nv.cuinfo", struct.pack("<III", len(owner), 8, 1000) + owner + struct.pack("<HHI", 2, sm, toolkit),
                      type=E.SHT_NOTE, align=4, flags=0x1000040, link=tki)
  if compat: w.sections[cui].info = w.add_section(".nv.compat", compat, type=SHT_CUDA_COMPAT, align=4)
  per = []
  for k in kernels:
    ii = w.add_section(".nv.info." + k.name, type=SHT_CUDA_INFO, flags=E.SHF_INFO_LINK, align=4, link=symtab)
    ti = w.add_section(".text." + k.name, k.code, flags=E.SHF_ALLOC | E.SHF_EXECINSTR, align=128, link=symtab)
    psize = max((o + s for o, s in k.params), default=0)
    ci = w.add_section(".nv.constant0." + k.name, bytes(pbase + psize), flags=E.SHF_ALLOC | E.SHF_INFO_LINK,
                       align=4, info=ti)
    si = w.add_section(".nv.shared." + k.name, type=E.SHT_NOBITS, size=k.shared_size, flags=0x43, align=16, info=ti) \
      if k.shared_size else None
    w.sections[ii].info = ti
    per.append((k, ii, ti, ci, si, psize))
  secsym = {}
  for k, ii, ti, ci, si, _ in per:
    secsym[ti] = w.add_symbol(".text." + k.name, type=E.STT_SECTION, shndx=ti)
    secsym[ci] = w.add_symbol(".nv.constant0." + k.name, type=E.STT_SECTION, shndx=ci)
    if si: secsym[si] = w.add_symbol(".nv.shared." + k.name, type=E.STT_SECTION, shndx=si)
  ginfo = b""
  for k, ii, ti, ci, si, psize in per:
    ks = w.add_symbol(k.name, 0, len(k.code), E.STB_GLOBAL, E.STT_FUNC, STO_CUDA_ENTRY, ti)
    w.sections[ti].info = (k.regs << 24) | ks        # SHI_REGISTERS (classic cubins, rNdN); CUDA 13 reads REGCOUNT
    ginfo += nv_info_record(EIATTR["REGCOUNT"], struct.pack("<II", ks, k.regs))
    ginfo += nv_info_record(EIATTR["FRAME_SIZE"], struct.pack("<II", ks, k.local_size))
    ginfo += nv_info_record(EIATTR["MIN_STACK_SIZE"], struct.pack("<II", ks, k.local_size))
    rec = nv_info_record(EIATTR["CUDA_API_VERSION"], struct.pack("<I", toolkit))
    for i in reversed(range(len(k.params))):
      off, size = k.params[i]
      rec += nv_info_record(EIATTR["KPARAM_INFO"], struct.pack("<IHHI", 0, i, off, (size << 18) | 0x1F000))
    rec += nv_info_record(EIATTR["MAXREG_COUNT"], struct.pack("<H", 0xFF), EIFMT_HVAL)
    if k.num_barriers: rec += nv_info_record(EIATTR["NUM_BARRIERS"], bytes([k.num_barriers, 0]), EIFMT_BVAL)
    if k.exit_offsets: rec += nv_info_record(EIATTR["EXIT_INSTR_OFFSETS"], struct.pack(f"<{len(k.exit_offsets)}I", *k.exit_offsets))
    rec += nv_info_record(EIATTR["CBANK_PARAM_SIZE"], struct.pack("<H", psize), EIFMT_HVAL)
    rec += nv_info_record(EIATTR["PARAM_CBANK"], struct.pack("<IHH", secsym[ci], pbase, psize))
    rec += nv_info_record(EIATTR["SW_WAR"], struct.pack("<I", 8))
    w.sections[ii].data = rec
  w.sections[info].data = ginfo
  return w.build()
