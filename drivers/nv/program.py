"""Programs on the NVIDIA driver: a cubin's kernel uploaded to GPU memory, and per launch a QMD plus constant bank 0 written
into the kernargs ring. Bank 0's driver-reserved prefix is filled as ptxas-generated sm_90 code expects (block/grid dims,
shared/local windows, stack pointer, global-memory descriptor; params at EIATTR_PARAM_CBANK's offset) — fact sheet §5.4."""
from __future__ import annotations
import struct
from hwrt.errors import BadArgument, InvalidKernelBinary
from hwrt.helpers import round_up
from hwrt.ioctl import nv_hw as hw
from hwrt.ioctl.ffi import ffi
from hwrt.assemblers.sass.cubin import read_cubin, apply_relocations
from hwrt.drivers.base import Program, param_bytes   # noqa: F401  (param_bytes stays importable from here)
from hwrt.drivers.nv.layout import SHARED_WINDOW, LOCAL_WINDOW, KERNARGS_OFF, KERNARGS_SIZE

SMEM_RESERVED = 0x400          # shared memory the driver reserves ahead of the kernel's own on sm_90 (NVK qmd.rs)
STACK_RESERVE = 0x240          # bytes of local memory per thread beyond the kernel's own (CUDA/tinygrad MIN_STACK_SIZE)
SMEM_CARVEOUTS_KIB = (0, 8, 16, 32, 64, 100, 132, 164, 196, 228)

def smem_config(nbytes: int) -> int:
  """SM shared-memory carveout code: KiB/4 + 1 of the smallest carveout that holds nbytes (Mesa gv100_sm_config_smem_size)."""
  kib = next((k for k in SMEM_CARVEOUTS_KIB if k * 1024 >= nbytes), SMEM_CARVEOUTS_KIB[-1])
  return kib // 4 + 1

class NVProgram(Program):
  # grid: 2^31-1 x 65535 x 65535 blocks; blocks of at most 1024 threads, z at most 64 (CUDA C Programming Guide, compute capability table)
  LIMITS = {"grid": (2**31 - 1, 2**16 - 1, 2**16 - 1), "max_block": (1024, 1024, 64), "max_threads": 1024}
  def __init__(self, dev, binary: bytes, kernel: str | None = None):
    self.dev = dev
    cubin = read_cubin(binary)
    names = list(cubin.kernels)
    if not names: raise InvalidKernelBinary("the cubin has no kernels")
    if kernel is None:
      if len(names) > 1: raise BadArgument(f"the cubin has {len(names)} kernels ({', '.join(names)}): choose one with --kernel")
      kernel = names[0]
    if kernel not in cubin.kernels: raise BadArgument(f"no kernel {kernel!r} in the cubin (it has {', '.join(names)})")
    k = self.kernel = cubin.kernels[kernel]
    self.name, self.cubin = kernel, cubin
    if cubin.arch and dev.arch and cubin.arch != dev.arch:
      raise InvalidKernelBinary(f"{kernel} is built for {cubin.arch}, the device is {dev.arch}")
    self.params = list(k.params)                       # [(offset from param base, size)]
    self.param_base = k.param_base or dev.param_base
    self.param_size = k.param_size or sum(sz for _, sz in self.params)
    self.regs, self.shared, self.barriers = k.regs or 16, k.shared_size, k.num_barriers
    self.local = max(k.local_size, k.min_stack_size) + STACK_RESERVE
    self.extra, self.code_buf, self.banks = {}, None, {}
    try:
      addrs = {sym: self._symbol_va(sym) for _, _, sym, _ in k.relocs}
      code = k.relocate(addrs) if k.relocs else k.code
      self.code_buf = dev.alloc(round_up(len(code) + 0x100, 0x1000))  # + slack: the instruction prefetcher reads past the end
      dev.copyin(self.code_buf, code)
      for bank, data in {**cubin.const_banks, **k.const_banks}.items():   # user constant banks (cbank 3 __constant__, 4 ...)
        rel = cubin.const_relocs.get(bank, [])
        data = apply_relocations(data, rel, {sym: self._symbol_va(sym) for _, _, sym, _ in rel}) if rel else data
        self.banks[bank] = self._upload(f".nv.constant{bank}", data)
      dev.ensure_local_memory(self.local)
    except BaseException: self.close(); raise

  def _upload(self, key: str, data: bytes):
    b = self.extra[key] = self.dev.alloc(max(round_up(len(data), 64), 64))
    self.dev.copyin(b, data or b"\0")
    return (b.va, round_up(len(data), 16))

  def _symbol_va(self, sym: str) -> int:
    """GPU address of a symbol a relocation refers to: a data symbol in its section, or a section by name; each section
    is uploaded once and kept with the program."""
    sec, off = self.cubin.symbols.get(sym, (sym, 0, 0))[:2]
    if sec not in self.extra:
      s = next((s for s in self.cubin.elf.sections if s.name == sec), None)
      if s is None: raise InvalidKernelBinary(f"{self.name}: relocation against {sym!r}, which names no section or symbol")
      self._upload(sec, s.data if s.data else bytes(s.nbytes()))
    return self.extra[sec].va + off

  def cbank0(self, args, grid, block) -> bytes:
    cb = self.pack_args(args, round_up(self.param_base + self.param_size, 16), self.param_base)
    struct.pack_into("<3I3I", cb, hw.CB0_BLOCK_DIM, *block, *grid)
    struct.pack_into("<QQI", cb, hw.CB0_SHARED_WINDOW, SHARED_WINDOW, LOCAL_WINDOW, hw.CB0_STACK_INIT)
    return bytes(cb)

  def close(self):
    for b in [self.code_buf, *self.extra.values()]:
      if b is not None and b in self.dev.buffers: self.dev.free(b)

def qmd_fields(dev, prog: NVProgram, cb_va: int, cb_size: int, grid, block) -> dict:
  """The launch as the QMD version of this GPU generation names it (V03_00 Ampere/Ada, V04_00 Hopper)."""
  common = dict(api_visible_call_limit=1, sampler_index=0, register_count=prog.regs, barrier_count=prog.barriers,
                invalidate_texture_header_cache=1, invalidate_texture_sampler_cache=1, invalidate_texture_data_cache=1,
                invalidate_shader_data_cache=1, invalidate_instruction_cache=1, invalidate_shader_constant_cache=1,
                shared_memory_size=round_up(prog.shared + SMEM_RESERVED, 0x100), cwd_membar_type=1,
                min_sm_config_shared_mem_size=smem_config(prog.shared), max_sm_config_shared_mem_size=max(smem_config(prog.shared), 0x1A),
                target_sm_config_shared_mem_size=max(smem_config(prog.shared), 0x1A),
                program_address_lower=prog.code_buf.va & 0xFFFFFFFF, program_address_upper=prog.code_buf.va >> 32,
                constant_buffer_valid_0=1, constant_buffer_size_shifted4_0=cb_size >> 4, shader_local_memory_high_size=prog.local)
  if dev.qmd_version == "V04_00":
    for b, (va, size) in prog.banks.items():
      common |= {f"constant_buffer_valid_{b}": 1, f"constant_buffer_size_shifted4_{b}": size >> 4,
                 f"constant_buffer_addr_lower_shifted6_{b}": (va >> 6) & 0xFFFFFFFF, f"constant_buffer_addr_upper_shifted6_{b}": va >> 38}
    return common | dict(qmd_type=2, sass_version=0x90, grid_width=grid[0], grid_height=grid[1], grid_depth=grid[2],
                         cta_thread_dimension0=block[0], cta_thread_dimension1=block[1], cta_thread_dimension2=block[2],
                         constant_buffer_addr_lower_shifted6_0=(cb_va >> 6) & 0xFFFFFFFF, constant_buffer_addr_upper_shifted6_0=cb_va >> 38)
  if dev.qmd_version == "V03_00":
    common["register_count_v"] = common.pop("register_count")
    for b, (va, size) in prog.banks.items():
      common |= {f"constant_buffer_valid_{b}": 1, f"constant_buffer_size_shifted4_{b}": size >> 4,
                 f"constant_buffer_addr_lower_{b}": va & 0xFFFFFFFF, f"constant_buffer_addr_upper_{b}": va >> 32}
    return common | dict(qmd_group_id=0x3F, cta_raster_width=grid[0], cta_raster_height=grid[1], cta_raster_depth=grid[2],
                         cta_thread_dimension0=block[0], cta_thread_dimension1=block[1], cta_thread_dimension2=block[2],
                         constant_buffer_addr_lower_0=cb_va & 0xFFFFFFFF, constant_buffer_addr_upper_0=cb_va >> 32)
  raise BadArgument(f"QMD {dev.qmd_version} ({dev.chip.gen}) launches are not implemented yet")

def exec_words(dev, prog: NVProgram, args, grid, block) -> list[int]:
  """Write QMD + cbank0 into the kernargs ring; the pushbuffer words that launch it (grid and block checked by the queue)."""
  cb = prog.cbank0(args, grid, block)
  qmd_size = hw.QMD_SIZE[dev.qmd_version]
  need = round_up(qmd_size, 0x100) + round_up(len(cb), 0x100)
  if dev.kernargs_pos + need > KERNARGS_SIZE:
    dev.synchronize()
    dev.kernargs_pos = 0
  qmd_off = KERNARGS_OFF + dev.kernargs_pos
  cb_off = qmd_off + round_up(qmd_size, 0x100)
  dev.kernargs_pos += need
  a = dev.arena
  ffi.memmove(ffi.cast("char *", a.cpu + cb_off), cb, len(cb))
  qmd = hw.qmd_encode(dev.qmd_version, **qmd_fields(dev, prog, a.va + cb_off, round_up(len(cb), 16), grid, block))
  ffi.memmove(ffi.cast("char *", a.cpu + qmd_off), qmd, len(qmd))
  return (hw.nvm(hw.SUBC_COMPUTE, hw.CBC0_SEND_PCAS_A, (a.va + qmd_off) >> 8)
          + hw.nvm(hw.SUBC_COMPUTE, hw.CBC0_SEND_SIGNALING_PCAS2_B, hw.PCAS_ACTION_INVALIDATE_COPY_SCHEDULE))

BUILTINS = {
  "empty": ".kernel empty\nEXIT ;\n",
  # inc(uint *p, uint n): p[i] += 1 for i < n — reads and writes its buffer, so freeing it while in flight is visible
  "inc": """.kernel inc
.param 8
.param 4
        S2R R0, SR_TID.X ;
        S2UR UR4, SR_CTAID.X ;
        LDC R3, c[0x0][RZ] ;
        IMAD R3, R3, UR4, R0 ;
        ULDC UR4, c[0x0][0x218] ;
        ISETP.GE.U32.AND P0, PT, R3, UR4, PT ;
  @P0   EXIT ;
        LDC.64 R4, c[0x0][0x210] ;
        ULDC.64 UR4, c[0x0][0x208] ;
        IMAD.WIDE.U32 R4, R3, 0x4, R4 ;
        LDG.E R6, desc[UR4][R4.64] ;
        IADD3 R6, R6, 0x1, RZ ;
        STG.E desc[UR4][R4.64], R6 ;
        EXIT ;
""",
}
