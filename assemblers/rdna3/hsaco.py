"""HSA code object (AMDGPU ELF, code object v5) reader and writer.
Facts: LLVM AMDGPUUsage "Code Object V5 Metadata", "Kernel Descriptor" (llvm_amdhsa_kernel_descriptor_t, 64 bytes) and
"compute_pgm_rsrc1/2/3 for GFX6-GFX12"; ELF header values (EI_OSABI 64 = ELFOSABI_AMDGPU_HSA, EI_ABIVERSION 3 = v5,
e_flags mach 0x41 = gfx1100, 0x4c = gfx942, EM_AMDGPU 224) from llvm/BinaryFormat/ELF.h; note type 32 NT_AMDGPU_METADATA."""
import struct
from dataclasses import dataclass, field
import msgpack
from hwrt.assemblers import elf as E
from hwrt.errors import AssemblerError, InvalidKernelBinary

EM_AMDGPU, ELFOSABI_AMDGPU_HSA, ABI_V5, NT_AMDGPU_METADATA = 224, 64, 3, 32
MACH = {"gfx1100": 0x41, "gfx1101": 0x46, "gfx1102": 0x47, "gfx942": 0x4c, "gfx90a": 0x3f}
ARCH_OF_MACH = {v: k for k, v in MACH.items()}
EF_XNACK_ON, EF_SRAMECC_ON = 0x300, 0xc00

# kernel descriptor bit fields: (word, lo, width); words are the u32/u16 members of the 64-byte descriptor
KD_LAYOUT = "<IIIIq20sIIIHH4s"   # group, private, kernarg, rsvd, entry offset, rsvd, rsrc3, rsrc1, rsrc2, code props, preload, rsvd
RSRC1 = {"granulated_workitem_vgpr_count": (0, 6), "granulated_wavefront_sgpr_count": (6, 4), "priority": (10, 2),
         "float_round_mode_32": (12, 2), "float_round_mode_16_64": (14, 2), "float_denorm_mode_32": (16, 2),
         "float_denorm_mode_16_64": (18, 2), "priv": (20, 1), "dx10_clamp": (21, 1), "debug_mode": (22, 1), "ieee_mode": (23, 1),
         "bulky": (24, 1), "cdbg_user": (25, 1), "fp16_overflow": (26, 1), "workgroup_processor_mode": (29, 1),
         "memory_ordered": (30, 1), "forward_progress": (31, 1)}
RSRC2 = {"enable_private_segment": (0, 1), "user_sgpr_count": (1, 5), "enable_trap_handler": (6, 1),
         "system_sgpr_workgroup_id_x": (7, 1), "system_sgpr_workgroup_id_y": (8, 1), "system_sgpr_workgroup_id_z": (9, 1),
         "system_sgpr_workgroup_info": (10, 1), "system_vgpr_workitem_id": (11, 2), "exception_address_watch": (13, 1),
         "exception_memory": (14, 1), "granulated_lds_size": (15, 9), "exception_fp_ieee_invalid_op": (24, 1),
         "exception_fp_denorm_src": (25, 1), "exception_fp_ieee_div_zero": (26, 1), "exception_fp_ieee_overflow": (27, 1),
         "exception_fp_ieee_underflow": (28, 1), "exception_fp_ieee_inexact": (29, 1), "exception_int_div_zero": (30, 1)}
RSRC3 = {"shared_vgpr_count": (0, 4), "inst_pref_size": (4, 6), "trap_on_start": (10, 1), "trap_on_end": (11, 1), "image_op": (31, 1)}
PROPS = {"user_sgpr_private_segment_buffer": (0, 1), "user_sgpr_dispatch_ptr": (1, 1), "user_sgpr_queue_ptr": (2, 1),
         "user_sgpr_kernarg_segment_ptr": (3, 1), "user_sgpr_dispatch_id": (4, 1), "user_sgpr_flat_scratch_init": (5, 1),
         "user_sgpr_private_segment_size": (6, 1), "wavefront_size32": (10, 1), "uses_dynamic_stack": (11, 1)}
PRELOAD = {"kernarg_preload_length": (0, 7), "kernarg_preload_offset": (7, 9)}
KD_WORDS = (("compute_pgm_rsrc1", RSRC1), ("compute_pgm_rsrc2", RSRC2), ("compute_pgm_rsrc3", RSRC3),
            ("kernel_code_properties", PROPS), ("kernarg_preload", PRELOAD))

def decode_kd(kd: bytes) -> dict:
  if len(kd) != 64: raise InvalidKernelBinary(f"kernel descriptor is {len(kd)} bytes, not 64")
  g, p, ka, _, entry, _, r3, r1, r2, props, pre, _ = struct.unpack(KD_LAYOUT, kd)
  d = dict(group_segment_fixed_size=g, private_segment_fixed_size=p, kernarg_size=ka, kernel_code_entry_byte_offset=entry,
           compute_pgm_rsrc1=r1, compute_pgm_rsrc2=r2, compute_pgm_rsrc3=r3, kernel_code_properties=props, kernarg_preload=pre)
  for word, bits in KD_WORDS:
    for k, (lo, n) in bits.items(): d[k] = (d[word] >> lo) & ((1 << n) - 1)
  return d

def encode_kd(d: dict) -> bytes:
  """Inverse of decode_kd from the named fields (whole words compute_pgm_rsrc* are recomputed)."""
  words = {}
  for word, bits in KD_WORDS:
    v = 0
    for k, (lo, n) in bits.items():
      x = d.get(k, 0)
      if not isinstance(x, int) or x < 0 or x >> n: raise AssemblerError(f"kernel descriptor field {k}={x} does not fit {n} bits")
      v |= x << lo
    words[word] = v
  try:
    return struct.pack(KD_LAYOUT, d.get("group_segment_fixed_size", 0), d.get("private_segment_fixed_size", 0), d.get("kernarg_size", 0),
                       0, d.get("kernel_code_entry_byte_offset", 0), b"\0" * 20, words["compute_pgm_rsrc3"], words["compute_pgm_rsrc1"],
                       words["compute_pgm_rsrc2"], words["kernel_code_properties"], words["kernarg_preload"], b"\0" * 4)
  except struct.error as e:        # a size field (group/private segment, kernarg size, entry offset) past its 32/64 bits
    raise AssemblerError(f"kernel descriptor: {e} (a segment size or kernarg size does not fit its field)") from None

@dataclass
class Arg:
  name: str
  offset: int
  size: int
  kind: str                        # .value_kind: global_buffer, by_value, dynamic_shared_pointer, hidden_*...
  meta: dict = field(default_factory=dict)
  def __iter__(self): return iter((self.name, self.offset, self.size, self.kind))

@dataclass
class Kernel:
  name: str
  descriptor: dict                 # decode_kd() of the 64-byte descriptor
  code: bytes                      # the kernel's machine code (its FUNC symbol's extent in .text)
  entry: int                       # virtual address of the first instruction
  entry_offset: int                # ... and its offset in .text
  args: list
  kernarg_size: int
  group_segment_size: int
  private_segment_size: int
  wavefront_size: int
  sgpr_count: int
  vgpr_count: int
  kd_address: int = 0
  metadata: dict = field(default_factory=dict)   # this kernel's msgpack map, as is

@dataclass
class CodeObject:
  arch: str
  kernels: list
  metadata: dict                   # the whole NT_AMDGPU_METADATA map
  text: bytes = b""
  text_address: int = 0
  symbols: dict = field(default_factory=dict)   # name -> (value, size)
  def kernel(self, name: str) -> Kernel:
    for k in self.kernels:
      if k.name == name: return k
    raise KeyError(name)

def read_hsaco(data: bytes) -> CodeObject:
  """Through the one range-checked ELF reader (hwrt.assemblers.elf); the metadata and descriptors are checked here."""
  elf = E.read_elf(data)
  if elf.header["machine"] != EM_AMDGPU: raise InvalidKernelBinary(f"ELF machine {elf.header['machine']} is not EM_AMDGPU (224)")
  mach = elf.header["flags"] & 0xff
  arch = ARCH_OF_MACH.get(mach, f"mach{mach:#x}")
  meta = None
  for sec in elf.sections:
    if sec.type != E.SHT_NOTE: continue
    for owner, ty, desc in elf.notes(sec):
      if owner == "AMDGPU" and ty == NT_AMDGPU_METADATA:
        try: meta = msgpack.unpackb(desc, raw=False, strict_map_key=False)
        except (ValueError, TypeError, msgpack.UnpackException, RecursionError) as e:
          raise InvalidKernelBinary(f"note {sec.name!r}: NT_AMDGPU_METADATA is not msgpack ({type(e).__name__}: {e})") from None
  if meta is None: raise InvalidKernelBinary("no NT_AMDGPU_METADATA note (code object v2 is not supported)")
  if not isinstance(meta, dict): raise InvalidKernelBinary("NT_AMDGPU_METADATA is not a map")
  syms = {s.name: (s.value, s.size, s.shndx) for s in elf.symbols if s.name}
  text = elf.section(".text")
  tdata, taddr = (text.data, text.addr) if text is not None else (b"", 0)
  def read_va(addr: int, n: int) -> bytes:
    for sec in elf.sections:
      if sec.type != E.SHT_NOBITS and sec.flags & E.SHF_ALLOC and sec.addr <= addr and addr + n <= sec.addr + len(sec.data):
        return sec.data[addr - sec.addr:addr - sec.addr + n]
    raise InvalidKernelBinary(f"address {addr:#x} (+{n}) is in no section")
  def field_of(m: dict, key: str, ty, default, what: str):
    v = m.get(key, default)
    if not isinstance(v, ty) or isinstance(v, bool) and ty is int: raise InvalidKernelBinary(f"{what}: {key} is {v!r}, not {ty.__name__}")
    return v
  kms = meta.get("amdhsa.kernels", [])
  if not isinstance(kms, list): raise InvalidKernelBinary("amdhsa.kernels is not a list")
  kernels = []
  for i, km in enumerate(kms):
    if not isinstance(km, dict): raise InvalidKernelBinary(f"amdhsa.kernels[{i}] is not a map")
    name = field_of(km, ".name", str, "", f"amdhsa.kernels[{i}]")
    sym = field_of(km, ".symbol", str, name + ".kd", f"kernel {name}")
    if sym not in syms: raise InvalidKernelBinary(f"kernel descriptor symbol {sym} missing")
    kd_addr = syms[sym][0]
    kd = decode_kd(read_va(kd_addr, 64))
    entry = kd_addr + kd["kernel_code_entry_byte_offset"]
    if not 0 <= entry - taddr < len(tdata): raise InvalidKernelBinary(f"kernel {name}: entry {entry:#x} is outside .text")
    fsz = syms[name][1] if name in syms else len(tdata) - (entry - taddr)
    args = []
    for j, a in enumerate(field_of(km, ".args", list, [], f"kernel {name}")):
      w = f"kernel {name} argument {j}"
      if not isinstance(a, dict): raise InvalidKernelBinary(f"{w} is not a map")
      args.append(Arg(field_of(a, ".name", str, "", w), field_of(a, ".offset", int, None, w), field_of(a, ".size", int, None, w),
                      field_of(a, ".value_kind", str, None, w), a))
    ints = [field_of(km, k, int, d, f"kernel {name}") for k, d in ((".kernarg_segment_size", 0), (".group_segment_fixed_size", 0),
            (".private_segment_fixed_size", 0), (".wavefront_size", 64), (".sgpr_count", 0), (".vgpr_count", 0))]
    kernels.append(Kernel(name, kd, tdata[entry - taddr:entry - taddr + fsz], entry, entry - taddr, args, *ints, kd_addr, km))
  return CodeObject(arch, kernels, meta, tdata, taddr, {k: v[:2] for k, v in syms.items()})

# ---------------------------------------------------------------- writer

def write_hsaco(arch: str, text: bytes, kernels: list, labels: dict = None) -> bytes:
  """kernels: [{name, offset (of its code in text), size, kd (dict for encode_kd), meta (msgpack map for the kernel)}]."""
  from hwrt.assemblers.elf import (ElfWriter, ET_DYN, SHT_PROGBITS, SHF_ALLOC, SHF_EXECINSTR, STB_GLOBAL, STB_LOCAL, STT_FUNC,
                                   STT_OBJECT, PT_LOAD, PT_NOTE, PF_R, PF_X, _align)
  if arch not in MACH: raise ValueError(f"unknown AMDGPU arch {arch}")
  meta = {"amdhsa.version": [1, 2], "amdhsa.target": f"amdgcn-amd-amdhsa--{arch}", "amdhsa.kernels": [k["meta"] for k in kernels]}
  try: mp = msgpack.packb(meta, use_bin_type=True)
  except (OverflowError, TypeError, ValueError) as e: raise AssemblerError(f"kernel metadata does not encode: {e}") from None
  note = struct.pack("<III", 7, len(mp), NT_AMDGPU_METADATA) + b"AMDGPU\0\0" + mp + b"\0" * (-len(mp) % 4)
  # layout (what ElfWriter.build does): headers, then each section at its alignment; virtual address = file offset
  nph = 3
  note_off = _align(64 + 56 * nph, 4)
  ro_off = _align(note_off + len(note), 64)
  text_off = _align(ro_off + 64 * len(kernels), 256)
  ro = b""
  for i, k in enumerate(kernels):
    kd = dict(k["kd"], kernel_code_entry_byte_offset=(text_off + k["offset"]) - (ro_off + 64 * i))
    ro += encode_kd(kd)
  w = ElfWriter(EM_AMDGPU, ET_DYN, ELFOSABI_AMDGPU_HSA, ABI_V5, MACH[arch])
  ni = w.add_section(".note", note, 7, SHF_ALLOC, 4, addr=note_off)
  ri = w.add_section(".rodata", ro, SHT_PROGBITS, SHF_ALLOC, 64, addr=ro_off)
  ti = w.add_section(".text", text, SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, 256, addr=text_off)
  for name, off in sorted((labels or {}).items(), key=lambda x: x[1]):
    if name not in {k["name"] for k in kernels} and not name.startswith("."): w.add_symbol(name, text_off + off, 0, STB_LOCAL, 0, 0, ti)
  for i, k in enumerate(kernels):
    w.add_symbol(k["name"], text_off + k["offset"], k["size"], STB_GLOBAL, STT_FUNC, 3, ti)
    w.add_symbol(k["name"] + ".kd", ro_off + 64 * i, 64, STB_GLOBAL, STT_OBJECT, 3, ri)
  w.add_phdr(PT_LOAD, PF_R, [ni, ri], align=0x1000)
  w.add_phdr(PT_LOAD, PF_R | PF_X, [ti], align=0x1000)
  w.add_phdr(PT_NOTE, PF_R, [ni], align=4)
  out = w.build()
  chk = E.read_elf(out)
  assert chk.section(".text").offset == text_off and chk.section(".rodata").offset == ro_off
  return out
