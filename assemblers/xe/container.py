"""Intel's OpenCL offline binary as `ocloc compile -device dg2` (NEO 22.43) writes it, read and written.

ELF64, e_type 0xff04, e_machine 0, sections `SPIRV Object` (type 0xff000009) and `Intel(R) OpenCL Device Binary`
(type 0xff000005). The device binary is the legacy patch-token format (layouts: intel/intel-graphics-compiler
IGC/AdaptorOCL/ocl_igc_shared/executable_format/patch_list.h and patch_shared.h; the same headers ship in
intel/compute-runtime): SProgramBinaryHeader {Magic 'CTNI', Version, Device, GPUPointerSizeInBytes, NumberOfKernels,
SteppingId, PatchListSize}, the program patch list, then per kernel SKernelBinaryHeaderCommon {CheckSum, ShaderHashCode,
KernelNameSize, PatchListSize, KernelHeapSize, GeneralStateHeapSize, DynamicStateHeapSize, SurfaceStateHeapSize,
KernelUnpaddedSize}, the name, the kernel heap (ISA, padded), the general/dynamic/surface state heaps and the patch
tokens ({Token, Size} headers). Zebin (EM_INTELGT = 205, `.text.NAME` + `.ze_info`) is recognised and refused by name:
this ocloc never emits it for dg2 (measured: -ze-enable-zebin is accepted and ignored)."""
import struct
from dataclasses import dataclass, field
from hwrt.errors import InvalidKernelBinary
from hwrt.assemblers.elf import ElfWriter, read_elf

MAGIC, VERSION, DEVICE_DG2 = 0x494E5443, 1081, 0xC07
ET_OCL_EXECUTABLE, SHT_OCL_DEV_BINARY, SHT_OCL_SPIRV = 0xFF04, 0xFF000005, 0xFF000009
DEV_SECTION, SPIRV_SECTION = "Intel(R) OpenCL Device Binary", "SPIRV Object"
EM_INTELGT = 205

# patch_list.h PATCH_TOKEN and DATA_PARAMETER_TOKEN numbers used here
TOK = dict(SAMPLER_STATE_ARRAY=5, BINDING_TABLE_STATE=8, GLOBAL_MEMORY_OBJECT_KERNEL_ARGUMENT=11,
           IMAGE_MEMORY_OBJECT_KERNEL_ARGUMENT=12, ALLOCATE_LOCAL_SURFACE=15, SAMPLER_KERNEL_ARGUMENT=16,
           DATA_PARAMETER_BUFFER=17, MEDIA_VFE_STATE=18, MEDIA_INTERFACE_DESCRIPTOR_LOAD=19, INTERFACE_DESCRIPTOR_DATA=21,
           THREAD_PAYLOAD=22, EXECUTION_ENVIRONMENT=23, DATA_PARAMETER_STREAM=25, KERNEL_ARGUMENT_INFO=26,
           KERNEL_ATTRIBUTES_INFO=27, STATELESS_GLOBAL_MEMORY_OBJECT_KERNEL_ARGUMENT=30,
           STATELESS_CONSTANT_MEMORY_OBJECT_KERNEL_ARGUMENT=31, ALLOCATE_STATELESS_PRIVATE_MEMORY=38,
           MEDIA_VFE_STATE_SLOT1=55)
TOK_NAME = {v: k for k, v in TOK.items()}
DATA_PARAM = {1: "KERNEL_ARGUMENT", 2: "LOCAL_WORK_SIZE", 3: "GLOBAL_WORK_SIZE", 4: "NUM_WORK_GROUPS", 5: "WORK_DIMENSIONS",
              8: "SUM_OF_LOCAL_MEMORY_OBJECT_ARGUMENT_SIZES", 9: "IMAGE_WIDTH", 10: "IMAGE_HEIGHT", 11: "IMAGE_DEPTH",
              12: "IMAGE_CHANNEL_DATA_TYPE", 13: "IMAGE_CHANNEL_ORDER", 14: "SAMPLER_ADDRESS_MODE",
              15: "SAMPLER_NORMALIZED_COORDS", 16: "GLOBAL_WORK_OFFSET", 17: "NUM_HARDWARE_THREADS", 18: "IMAGE_ARRAY_SIZE",
              20: "IMAGE_NUM_SAMPLES", 27: "IMAGE_NUM_MIP_LEVELS", 28: "ENQUEUED_LOCAL_WORK_SIZE", 29: "MAX_WORKGROUP_SIZE",
              34: "SIMD_SIZE", 42: "BUFFER_OFFSET", 43: "BUFFER_STATEFUL"}
# struct field names after the {Token, Size} header (patch_shared.h), as many as the token's Size covers
FIELDS = {
  8: "Offset Count SurfaceStateOffset", 15: "Offset TotalInlineLocalMemorySize",
  17: "Type ArgumentNumber Offset DataSize SourceOffset LocationIndex LocationIndex2 IsEmulationArgument",
  18: "ScratchSpaceOffset PerThreadScratchSpace", 55: "ScratchSpaceOffset PerThreadScratchSpace",
  19: "InterfaceDescriptorDataOffset", 21: "Offset SamplerStateOffset KernelOffset BindingTableOffset",
  22: "HeaderPresent LocalIDXPresent LocalIDYPresent LocalIDZPresent LocalIDFlattenedPresent IndirectPayloadStorage "
      "UnusedPerThreadConstantPresent GetLocalIDPresent GetGroupIDPresent GetGlobalOffsetPresent StageInGridOriginPresent "
      "StageInGridSizePresent OffsetToSkipPerThreadDataLoad OffsetToSkipSetFFIDGP PassInlineData",
  23: "RequiredWorkGroupSizeX RequiredWorkGroupSizeY RequiredWorkGroupSizeZ LargestCompiledSIMDSize CompiledSubGroupsNumber "
      "HasBarriers DisableMidThreadPreemption CompiledSIMD8 CompiledSIMD16 CompiledSIMD32 HasDeviceEnqueue "
      "MayAccessUndeclaredResource UsesFencesForReadWriteImages UsesStatelessSpillFill UsesMultiScratchSpaces IsCoherent "
      "IsInitializer IsFinalizer SubgroupIndependentForwardProgressRequired CompiledForGreaterThan4GBBuffers NumGRFRequired "
      "WorkgroupWalkOrderDims HasGlobalAtomics",
  25: "DataParameterStreamSize",
  30: "ArgumentNumber SurfaceStateHeapOffset DataParamOffset DataParamSize LocationIndex LocationIndex2 IsEmulationArgument",
  31: "ArgumentNumber SurfaceStateHeapOffset DataParamOffset DataParamSize LocationIndex LocationIndex2 IsEmulationArgument",
  11: "ArgumentNumber Offset LocationIndex LocationIndex2 IsEmulationArgument",
  12: "ArgumentNumber Offset Type Writeable Transformable LocationIndex LocationIndex2 IsEmulationArgument",
  16: "ArgumentNumber Offset Type LocationIndex LocationIndex2 needBindlessHandle TextureMask IsEmulationArgument",
  38: "SurfaceStateHeapOffset DataParamOffset DataParamSize PerThreadPrivateMemorySize",
}

@dataclass
class Token:
  token: int
  fields: dict
  raw: bytes
  @property
  def name(self) -> str: return TOK_NAME.get(self.token, f"TOKEN_{self.token}")

@dataclass
class Arg:
  index: int
  name: str = ""
  type_name: str = ""
  address: str = ""        # __global, __local, __constant, __private
  access: str = ""
  type_qual: str = ""
  kind: str = "value"      # value, buffer (stateless pointer), local, image, sampler
  offset: int | None = None        # cross-thread data offset of the value / pointer
  size: int = 0
  pieces: list = field(default_factory=list)   # by-value args: [(cross-thread offset, size, source offset)]
  surface: int | None = None       # surface state heap offset (binding table entry) of a buffer/image

@dataclass
class Kernel:
  name: str
  isa: bytes
  heap: bytes = b""
  gsh: bytes = b""
  dsh: bytes = b""
  ssh: bytes = b""
  tokens: list = field(default_factory=list)
  checksum: int = 0
  shader_hash: int = 0
  def token(self, name: str):
    return next((t for t in self.tokens if t.name == name), None)
  def exec_env(self) -> dict: return dict(getattr(self.token("EXECUTION_ENVIRONMENT"), "fields", {}))
  def thread_payload(self) -> dict: return dict(getattr(self.token("THREAD_PAYLOAD"), "fields", {}))
  @property
  def simd(self) -> int: return self.exec_env().get("LargestCompiledSIMDSize", 0)
  @property
  def grf_count(self) -> int: return self.exec_env().get("NumGRFRequired", 0)
  @property
  def cross_thread_size(self) -> int:
    t = self.token("DATA_PARAMETER_STREAM"); return t.fields.get("DataParameterStreamSize", 0) if t else 0
  @property
  def scratch(self) -> int:
    t = self.token("MEDIA_VFE_STATE"); return t.fields.get("PerThreadScratchSpace", 0) if t else 0
  @property
  def slm(self) -> int:
    t = self.token("ALLOCATE_LOCAL_SURFACE"); return t.fields.get("TotalInlineLocalMemorySize", 0) if t else 0
  def implicit(self) -> dict:
    """Implicit cross-thread data: {DATA_PARAMETER name: [offsets]} (local size, global offset, ...)."""
    out = {}
    for t in self.tokens:
      if t.token == 17 and t.fields.get("Type") != 1:
        out.setdefault(DATA_PARAM.get(t.fields["Type"], f"TYPE_{t.fields['Type']}"), []).append(t.fields["Offset"])
    return out
  def args(self) -> list:
    n = 1 + max([t.fields.get("ArgumentNumber", -1) for t in self.tokens if t.token in (17, 26, 30, 31, 11, 12, 16)] + [-1])
    args = [Arg(i) for i in range(n)]
    for t in self.tokens:
      f = t.fields
      if t.token == 26:
        a = args[f["ArgumentNumber"]]
        a.address, a.access, a.name, a.type_name, a.type_qual = f["strings"]
      elif t.token in (30, 31):
        a = args[f["ArgumentNumber"]]
        a.kind, a.offset, a.size, a.surface = "buffer", f["DataParamOffset"], f["DataParamSize"], f["SurfaceStateHeapOffset"]
      elif t.token == 12:
        args[f["ArgumentNumber"]].kind, args[f["ArgumentNumber"]].surface = "image", f["Offset"]
      elif t.token == 16:
        args[f["ArgumentNumber"]].kind = "sampler"
      elif t.token == 17 and f["Type"] == 1:
        a = args[f["ArgumentNumber"]]
        a.pieces.append((f["Offset"], f["DataSize"], f["SourceOffset"]))
        if f["SourceOffset"] == 0 and a.kind == "value": a.offset = f["Offset"]
        a.size = max(a.size, f["SourceOffset"] + f["DataSize"])
    for a in args:
      if a.address == "__local" and a.kind == "value": a.kind = "local"
      if a.kind == "local":     # DATA_PARAMETER_SUM_OF_LOCAL_MEMORY_OBJECT_ARGUMENT_SIZES carries the SLM offset
        for t in self.tokens:
          if t.token == 17 and t.fields["Type"] == 8 and t.fields["ArgumentNumber"] == a.index: a.offset, a.size = t.fields["Offset"], 4
    return args

@dataclass
class Program:
  kernels: list
  device: int = DEVICE_DG2
  version: int = VERSION
  pointer_size: int = 8
  stepping: int = 0
  spirv: bytes = b""

def _tokens(data: bytes) -> list:
  out, off = [], 0
  while off + 8 <= len(data):
    tok, size = struct.unpack_from("<II", data, off)
    if size < 8 or off + size > len(data): raise InvalidKernelBinary(f"patch token {tok} at {off:#x}: bad size {size}")
    body = data[off + 8:off + size]
    names = FIELDS.get(tok, "").split()
    vals = struct.unpack_from(f"<{min(len(names), len(body) // 4)}I", body) if names else ()
    f = dict(zip(names, vals))
    if tok == 26:         # SPatchKernelArgumentInfo: 6 u32 then the five strings
      num, asz, accsz, nsz, tsz, tqsz = struct.unpack_from("<6I", body)
      s, p = [], 24
      for n in (asz, accsz, nsz, tsz, tqsz): s.append(body[p:p + n].rstrip(b"\0").decode(errors="replace")); p += n
      f = {"ArgumentNumber": num, "strings": s}
    elif tok == 27:
      (n,) = struct.unpack_from("<I", body); f = {"attributes": body[4:4 + n].rstrip(b"\0").decode(errors="replace")}
    out.append(Token(tok, f, data[off:off + size])); off += size
  return out

def read_device_binary(s: bytes, spirv: bytes = b"") -> Program:
  if len(s) < 28: raise InvalidKernelBinary("device binary shorter than its header")
  magic, ver, dev, ptr, nk, step, pls = struct.unpack_from("<7I", s, 0)
  if magic != MAGIC: raise InvalidKernelBinary(f"device binary magic {magic:#x} is not CTNI")
  off, kernels = 28 + pls, []
  for _ in range(nk):
    if off + 40 > len(s): raise InvalidKernelBinary("kernel header out of range")
    ck, hsh, ns, pl, kh, gsh, dsh, ssh, unp = struct.unpack_from("<IQ7I", s, off); off += 40
    end = off + ns + kh + gsh + dsh + ssh + pl
    if end > len(s) or unp > kh: raise InvalidKernelBinary("kernel sections out of range")
    name = s[off:off + ns].split(b"\0")[0].decode(errors="replace"); off += ns
    heap = s[off:off + kh]; off += kh
    g, d, ss = s[off:off + gsh], s[off + gsh:off + gsh + dsh], s[off + gsh + dsh:off + gsh + dsh + ssh]; off += gsh + dsh + ssh
    toks = _tokens(s[off:off + pl]); off += pl
    kernels.append(Kernel(name, heap[:unp], heap, g, d, ss, toks, ck, hsh))
  return Program(kernels, dev, ver, ptr, step, spirv)

def read(data: bytes) -> Program:
  e = read_elf(data)
  if e.header["machine"] == EM_INTELGT:
    raise InvalidKernelBinary("zebin (EM_INTELGT) device binaries are not supported: this ocloc emits patch tokens for dg2")
  dev = e.section(DEV_SECTION)
  if dev is None: raise InvalidKernelBinary(f"no '{DEV_SECTION}' section (not an ocloc offline binary)")
  sp = e.section(SPIRV_SECTION)
  return read_device_binary(dev.data, sp.data if sp else b"")

def is_intel(data: bytes) -> bool:
  return len(data) >= 20 and data[:4] == b"\x7fELF" and int.from_bytes(data[16:18], "little") == ET_OCL_EXECUTABLE

def _tok(tok: int, *vals) -> bytes: return struct.pack(f"<II{len(vals)}I", tok, 8 + 4 * len(vals), *vals)

def kernel_tokens(simd: int, grf: int, args: list, slm: int = 0, scratch: int = 0, local_size_offset: int = 0) -> list:
  """Patch tokens for one of our kernels: execution environment, thread payload (local ids), cross-thread data layout.
  args: [(name, kind 'buffer'|'value', size)] laid out after the three local sizes, 8-byte aligned pointers."""
  toks = [_tok(23, 0, 0, 0, simd, 0, 0, 0, int(simd == 8), int(simd == 16), int(simd == 32), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
               grf, 0, 0),
          _tok(22, 0, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0)]
  toks += [_tok(17, 2, 0, local_size_offset + 4 * i, 4, 4 * i, 0, 0, 0) for i in range(3)]
  off = 32
  for i, (name, kind, size) in enumerate(args):
    off = (off + min(size, 8) - 1) // min(size, 8) * min(size, 8)
    if kind == "buffer": toks.append(_tok(30, i, 0, off, 8, 0, 0, 0))
    else: toks.append(_tok(17, 1, i, off, size, 0, 0, 0, 0))
    info = [b"__global" if kind == "buffer" else b"__private", b"NONE", name.encode(), b"", b""]
    body = struct.pack("<6I", i, *[len(x) + 1 for x in info]) + b"".join(x + b"\0" for x in info)
    toks.append(struct.pack("<II", 26, 8 + len(body)) + body)
    off += size
  if slm: toks.append(_tok(15, 0, slm))
  if scratch: toks.append(_tok(18, 0, scratch))
  toks.append(_tok(25, (off + 31) // 32 * 32))
  return toks

def write(kernels: list, spirv: bytes = b"") -> bytes:
  """kernels: [(name, isa, [patch token bytes])] -> ocloc-shaped ELF (read() reads it back)."""
  body = b""
  for name, isa, toks in kernels:
    nm = name.encode() + b"\0"; nm += b"\0" * (-len(nm) % 4)
    heap = isa + b"\0" * (-len(isa) % 64 + 128)     # NEO reads up to 128 B past the end (prefetch pad)
    pl = b"".join(toks)
    body += struct.pack("<IQ7I", 0, 0, len(nm), len(pl), len(heap), 0, 0, 0, len(isa)) + nm + heap + pl
  dev = struct.pack("<7I", MAGIC, VERSION, DEVICE_DG2, 8, len(kernels), 0, 0) + body
  w = ElfWriter(machine=0, etype=ET_OCL_EXECUTABLE)
  if spirv: w.add_section(SPIRV_SECTION, spirv, type=SHT_OCL_SPIRV, align=8)
  w.add_section(DEV_SECTION, dev, type=SHT_OCL_DEV_BINARY, align=8)
  return w.build()
