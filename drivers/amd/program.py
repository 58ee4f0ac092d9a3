"""Programs on the AMD driver: an HSA code object (ELF, code object v5) loaded whole into GPU memory, and per launch the
kernarg segment laid out from the code object's metadata (explicit arguments at their .offset, the hidden arguments of
code object v5 filled as ROCr's loader does), the user SGPRs the kernel descriptor asks for, and the PM4 words that set
the compute registers and dispatch.

Facts: LLVM AMDGPUUsage "Code Object V5 Metadata" (.args, .value_kind hidden_*), "Initial Kernel Execution State"
(user SGPR order: private segment buffer 4, dispatch ptr 2, queue ptr 2, kernarg segment ptr 2, dispatch id 2, flat
scratch init 2, private segment size 1), "Kernel Descriptor"; HSA runtime spec 2.9 (hsa_kernel_dispatch_packet_t, 64 B);
ELF R_AMDGPU_RELATIVE64 = 13 (llvm/BinaryFormat/ELFRelocs/AMDGPU.def)."""
from __future__ import annotations
import io, struct
from elftools.elf.elffile import ELFFile
from hwrt.errors import BadArgument, InvalidKernelBinary
from hwrt.helpers import round_up
from hwrt.ioctl import amd_hw as hw
from hwrt.assemblers.rdna3.hsaco import read_hsaco
from hwrt.drivers.base import Program

R_AMDGPU_RELATIVE64 = 13
KERNARG_ALIGN, DISPATCH_PACKET_SIZE = 64, 64
# hidden argument -> how its bytes are made from (grid in blocks, block, dims); others (printf, hostcall, heap, queue...) are 0
HIDDEN = {
  "hidden_block_count_x": lambda g, b, n: g[0], "hidden_block_count_y": lambda g, b, n: g[1], "hidden_block_count_z": lambda g, b, n: g[2],
  "hidden_group_size_x": lambda g, b, n: b[0], "hidden_group_size_y": lambda g, b, n: b[1], "hidden_group_size_z": lambda g, b, n: b[2],
  "hidden_remainder_x": lambda g, b, n: 0, "hidden_remainder_y": lambda g, b, n: 0, "hidden_remainder_z": lambda g, b, n: 0,
  "hidden_global_offset_x": lambda g, b, n: 0, "hidden_global_offset_y": lambda g, b, n: 0, "hidden_global_offset_z": lambda g, b, n: 0,
  "hidden_grid_dims": lambda g, b, n: n,
}
EXPLICIT = ("global_buffer", "by_value")
USER_SGPRS = (("user_sgpr_private_segment_buffer", 4), ("user_sgpr_dispatch_ptr", 2), ("user_sgpr_queue_ptr", 2),
              ("user_sgpr_kernarg_segment_ptr", 2), ("user_sgpr_dispatch_id", 2), ("user_sgpr_flat_scratch_init", 2),
              ("user_sgpr_private_segment_size", 1))

def load_image(data: bytes) -> tuple[bytes, list[int]]:
  """The code object's PT_LOAD segments as one image at offset = virtual address, and the offsets of the RELATIVE64
  relocations to rebase."""
  try:
    elf = ELFFile(io.BytesIO(data))
    if elf["e_type"] != "ET_DYN":
      raise InvalidKernelBinary(f"the code object is {elf['e_type']}, not a linked shared object (link it: clang without -c, or ld.lld -shared)")
    segs = [s for s in elf.iter_segments() if s["p_type"] == "PT_LOAD"]
    if not segs: raise InvalidKernelBinary("the code object has no PT_LOAD segment")
    img = bytearray(round_up(max(s["p_vaddr"] + s["p_memsz"] for s in segs), 0x100))
    for s in segs: img[s["p_vaddr"]:s["p_vaddr"] + s["p_filesz"]] = s.data()
    rel = []
    for sec in elf.iter_sections():
      if sec["sh_type"] not in ("SHT_RELA", "SHT_REL") or not sec["sh_flags"] & 2: continue
      for r in sec.iter_relocations():
        if r["r_info_type"] != R_AMDGPU_RELATIVE64: raise InvalidKernelBinary(f"unsupported dynamic relocation type {r['r_info_type']}")
        struct.pack_into("<q", img, r["r_offset"], r["r_addend"]); rel.append(r["r_offset"])
    return bytes(img), rel
  except InvalidKernelBinary: raise
  except Exception as e: raise InvalidKernelBinary(f"malformed HSA code object: {type(e).__name__}: {e}")

class AMDProgram(Program):
  # work-items per dimension fit the dispatch's 32-bit grid size; at most 1024 work-items per workgroup (AMDGPUUsage
  # .max_flat_workgroup_size default 1024; HSA: workgroup_size_x/y/z u16)
  LIMITS = {"grid": (2**32 - 1, 2**32 - 1, 2**32 - 1), "max_block": (1024, 1024, 1024), "max_threads": 1024}

  def __init__(self, dev, binary: bytes, kernel: str | None = None):
    self.dev, self.image = dev, None
    co = read_hsaco(binary)
    names = [k.name for k in co.kernels]
    if not names: raise InvalidKernelBinary("the code object has no kernels")
    if kernel is None:
      if len(names) > 1: raise BadArgument(f"the code object has {len(names)} kernels ({', '.join(names)}): choose one with --kernel")
      kernel = names[0]
    if kernel not in names: raise BadArgument(f"no kernel {kernel!r} in the code object (it has {', '.join(names)})")
    if co.arch != dev.arch: raise InvalidKernelBinary(f"{kernel} is built for {co.arch}, the device is {dev.arch}")
    k = self.kernel = co.kernel(kernel)
    self.name, d = kernel, k.descriptor
    self.args = k.args
    unknown = [a.kind for a in k.args if a.kind not in EXPLICIT and not a.kind.startswith("hidden_")]
    if unknown: raise InvalidKernelBinary(f"{kernel}: argument kinds {', '.join(sorted(set(unknown)))} are not supported")
    self.params = [(a.offset, a.size) for a in k.args if a.kind in EXPLICIT]
    self.kernarg_size = max([k.kernarg_size, d["kernarg_size"]] + [a.offset + a.size for a in k.args])
    self.lds, self.private = d["group_segment_fixed_size"], d["private_segment_fixed_size"]
    if self.lds > dev.lds_bytes: raise InvalidKernelBinary(f"{kernel} needs {self.lds} bytes of LDS, the device has {dev.lds_bytes}")
    self.wave32 = bool(d["wavefront_size32"])
    self.rsrc1, self.rsrc2, self.rsrc3 = d["compute_pgm_rsrc1"], d["compute_pgm_rsrc2"], d["compute_pgm_rsrc3"]
    # the enabled user SGPRs in their fixed order, then zeros up to user_sgpr_count (LLVM 19 gives gfx11 kernels 15 user
    # SGPRs whatever they enable: the workgroup ids follow them); COMPUTE_PGM_RSRC2.USER_SGPR loads that many from USER_DATA
    self.user_sgprs, self.user_sgpr_count = [(f, n) for f, n in USER_SGPRS if d[f]], d["user_sgpr_count"]
    if sum(n for _, n in self.user_sgprs) > self.user_sgpr_count:
      raise InvalidKernelBinary(f"{kernel}: user_sgpr_count {self.user_sgpr_count} is less than the enabled user SGPRs {self.user_sgprs}")
    self.max_threads = k.metadata.get(".max_flat_workgroup_size", 1024)
    img, rel = load_image(binary)
    self.image = dev.alloc(round_up(len(img) + 0x100, 0x1000), cpu_access=True)
    base = self.image.va
    img = bytearray(img)
    for off in rel: struct.pack_into("<Q", img, off, struct.unpack_from("<q", img, off)[0] + base)
    try: dev.copyin(self.image, bytes(img))
    except BaseException: self.close(); raise
    self.entry, self.kd_va = base + k.entry, base + k.kd_address
    if self.entry % 256: raise InvalidKernelBinary(f"{kernel}: entry {k.entry:#x} is not 256-byte aligned (COMPUTE_PGM_LO holds address >> 8)")
    if self.private: dev.ensure_scratch(self.private)

  def check_dims(self, grid, block):
    grid, block = super().check_dims(grid, block)
    if any(g * b > 2**32 - 1 for g, b in zip(grid, block)): raise BadArgument(f"{self.name}: grid {grid} x block {block} exceeds 2^32 work-items")
    if block[0] * block[1] * block[2] > self.max_threads:
      raise BadArgument(f"{self.name}: block {block} exceeds the kernel's .max_flat_workgroup_size {self.max_threads}")
    return grid, block

  def kernargs(self, args, grid, block, dispatch_va: int) -> bytes:
    """The kernarg segment: explicit arguments at their offsets, hidden ones from the launch; then (if the kernel asks for a
    dispatch pointer) the AQL kernel dispatch packet it would read."""
    ka = self.pack_args(args, round_up(self.kernarg_size, KERNARG_ALIGN))
    ndims = 3 if grid[2] * block[2] > 1 else 2 if grid[1] * block[1] > 1 else 1
    for a in self.args:
      if a.kind.startswith("hidden_"):
        v = HIDDEN[a.kind](grid, block, ndims) if a.kind in HIDDEN else self.dev.hidden_value(a.kind)
        ka[a.offset:a.offset + a.size] = (v & ((1 << 8 * a.size) - 1)).to_bytes(a.size, "little")
    return bytes(ka)

  def dispatch_packet(self, grid, block, kernarg_va: int) -> bytes:
    """hsa_kernel_dispatch_packet_t: header, setup (dims), workgroup_size xyz (u16), grid_size xyz (u32, work-items),
    private and group segment sizes, kernel_object, kernarg_address, completion signal 0."""
    ndims = 3 if grid[2] * block[2] > 1 else 2 if grid[1] * block[1] > 1 else 1
    return struct.pack("<HHHHHHIIIIIQQQQ", 2, ndims, *block, 0, *(g * b for g, b in zip(grid, block)), self.private, self.lds,
                       self.kd_va, kernarg_va, 0, 0)

  def user_data(self, kernarg_va: int, dispatch_va: int) -> list[int]:
    out = []
    for f, n in self.user_sgprs:
      if f == "user_sgpr_private_segment_buffer": out += self.dev.scratch_descriptor(self.wave32)
      elif f == "user_sgpr_dispatch_ptr": out += [dispatch_va & 0xFFFFFFFF, dispatch_va >> 32]
      elif f == "user_sgpr_kernarg_segment_ptr": out += [kernarg_va & 0xFFFFFFFF, kernarg_va >> 32]
      elif f == "user_sgpr_flat_scratch_init": out += self.dev.flat_scratch_init()
      elif f == "user_sgpr_private_segment_size": out += [self.private]
      else: out += [0] * n        # queue ptr (no amd_queue_t on a PM4 queue), dispatch id
    out += [0] * (self.user_sgpr_count - len(out))
    if len(out) > hw.COMPUTE_USER_DATA_COUNT: raise InvalidKernelBinary(f"{self.name}: {len(out)} user SGPRs (at most 16)")
    return out

  def dispatch_words(self, args, grid, block) -> list[int]:
    """Write the kernarg segment (+ dispatch packet) into the device's kernarg ring; the PM4 words of the dispatch."""
    ka_size = round_up(self.kernarg_size, KERNARG_ALIGN) + DISPATCH_PACKET_SIZE
    ka_va, ka_cpu = self.dev.kernarg_alloc(ka_size)
    dispatch_va = ka_va + ka_size - DISPATCH_PACKET_SIZE
    ka = self.kernargs(args, grid, block, dispatch_va)
    ka = ka.ljust(ka_size - DISPATCH_PACKET_SIZE, b"\0") + self.dispatch_packet(grid, block, ka_va)
    self.dev.write(ka_cpu, ka)
    initiator = hw.DISPATCH_COMPUTE_SHADER_EN | hw.DISPATCH_FORCE_START_AT_000 | (hw.DISPATCH_CS_W32_EN if self.wave32 else 0)
    return (hw.acquire_mem()
            + hw.set_sh_reg(hw.COMPUTE_PGM_LO, (self.entry >> 8) & 0xFFFFFFFF, self.entry >> 40)
            + hw.set_sh_reg(hw.COMPUTE_PGM_RSRC1, self.rsrc1, self.rsrc2)
            + hw.set_sh_reg(hw.COMPUTE_PGM_RSRC3, self.rsrc3)
            + hw.set_sh_reg(hw.COMPUTE_TMPRING_SIZE, self.dev.tmpring_size if self.private else 0)
            + (hw.set_sh_reg(hw.COMPUTE_DISPATCH_SCRATCH_BASE_LO, *self.dev.scratch_base_regs()) if self.private else [])
            + hw.set_sh_reg(hw.COMPUTE_RESTART_X, 0, 0, 0)
            + hw.set_sh_reg(hw.COMPUTE_USER_DATA_0, *(self.user_data(ka_va, dispatch_va) or [0]))
            + hw.set_sh_reg(hw.COMPUTE_RESOURCE_LIMITS, 0)
            + hw.set_sh_reg(hw.COMPUTE_START_X, 0, 0, 0, *block)
            + hw.packet3(hw.PACKET3_DISPATCH_DIRECT, *grid, initiator)
            + hw.cs_partial_flush())

  def close(self):
    if self.image is not None and self.image in self.dev.buffers: self.dev.free(self.image)
    self.image = None

BUILTINS = {
  # empty(): returns at once
  "empty": """.text
.p2align 8
empty:
  s_endpgm
.rodata
.amdhsa_kernel empty
  .amdhsa_user_sgpr_kernarg_segment_ptr 1
  .amdhsa_next_free_vgpr 1
  .amdhsa_next_free_sgpr 2
.end_amdhsa_kernel
""",
  # inc(uint *p, uint n): p[i] += 1 for i < n, i = workgroup_id.x * 256 + local id (blocks of 256)
  "inc": """.text
.p2align 8
inc:
  s_load_b64 s[4:5], s[0:1], null
  s_load_b32 s3, s[0:1], 0x8
  s_lshl_b32 s6, s2, 8
  v_add_nc_u32_e32 v0, s6, v0
  s_waitcnt lgkmcnt(0)
  v_cmp_gt_u32_e32 vcc_lo, s3, v0
  s_and_saveexec_b32 s6, vcc_lo
  s_cbranch_execz done
  v_lshlrev_b32_e32 v0, 2, v0
  global_load_b32 v1, v0, s[4:5]
  s_waitcnt vmcnt(0)
  v_add_nc_u32_e32 v1, 1, v1
  global_store_b32 v0, v1, s[4:5]
done:
  s_endpgm
.rodata
.amdhsa_kernel inc
  .amdhsa_user_sgpr_kernarg_segment_ptr 1
  .amdhsa_system_sgpr_workgroup_id_x 1
  .amdhsa_kernarg_size 12
  .amdhsa_next_free_vgpr 2
  .amdhsa_next_free_sgpr 8
  .hwrt_arg p, 0, 8, global_buffer
  .hwrt_arg n, 8, 4, by_value
.end_amdhsa_kernel
""",
}
