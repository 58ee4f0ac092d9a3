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
    self._cb0_tmpl, self._qmd_tmpl = {}, {}           # per (grid, block): bank-0 prefix, QMD with bank 0's address left 0
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
    if len(args) != len(self.params): raise BadArgument(f"{self.name} takes {len(self.params)} parameters, got {len(args)}")
    t = self._cb0_tmpl.get((grid, block))
    if t is None:
      g = self.dev.gen                                # this generation's bank-0 layout (ioctl/nv_hw_gen.txt)
      t = bytearray(max(round_up(self.param_base + self.param_size, 16), g.cb0_min_bytes))
      struct.pack_into("<3I3I", t, hw.CB0_BLOCK_DIM, *block, *grid)
      struct.pack_into("<QQ", t, g.cb0_shared_window, SHARED_WINDOW, LOCAL_WINDOW)
      struct.pack_into("<Q" if g.cb0_stack_bytes == 8 else "<I", t, g.cb0_stack, hw.CB0_STACK_INIT)
      if len(self._cb0_tmpl) > 64: self._cb0_tmpl.clear()
      t = self._cb0_tmpl[(grid, block)] = bytes(t)
    cb, base = bytearray(t), self.param_base
    for i, ((off, size), a) in enumerate(zip(self.params, args)):
      cb[base + off:base + off + size] = param_bytes(a, size, f"{self.name} parameter {i}")
    return cb

  def close(self):
    for b in [self.code_buf, *self.extra.values()]:
      if b is not None and b in self.dev.buffers: self.dev.free(b)

def _cbank_fields(ver: str, banks: dict) -> dict:
  """Constant-buffer bindings as the QMD version names them: full addresses on V03_00, 64-byte units on V04_00/V05_00."""
  out = {}
  for b, (va, size) in banks.items():
    out |= {f"constant_buffer_valid_{b}": 1, f"constant_buffer_size_shifted4_{b}": size >> 4}
    if ver == "V03_00": out |= {f"constant_buffer_addr_lower_{b}": va & 0xFFFFFFFF, f"constant_buffer_addr_upper_{b}": va >> 32}
    else: out |= {f"constant_buffer_addr_lower_shifted6_{b}": (va >> 6) & 0xFFFFFFFF, f"constant_buffer_addr_upper_shifted6_{b}": va >> 38}
  return out

def qmd_fields(dev, prog: NVProgram, cb_va: int, cb_size: int, grid, block) -> dict:
  """The launch as the QMD version of this GPU generation names it: V03_00 (Ampere/Ada, clc6c0qmd.h), V04_00 (Hopper,
  clcbc0qmd.h), V05_00 (Blackwell, clcec0qmd.h: addresses and sizes in shifted units)."""
  ver, g = dev.qmd_version, dev.gen
  smem, code = round_up(prog.shared + SMEM_RESERVED, 0x100), prog.code_buf.va
  cfg = smem_config(prog.shared)
  f = dict(api_visible_call_limit=1, sampler_index=0, barrier_count=prog.barriers,
           invalidate_texture_header_cache=1, invalidate_texture_sampler_cache=1, invalidate_texture_data_cache=1,
           invalidate_shader_data_cache=1, invalidate_instruction_cache=1, invalidate_shader_constant_cache=1, cwd_membar_type=1,
           min_sm_config_shared_mem_size=cfg, max_sm_config_shared_mem_size=max(cfg, 0x1A), target_sm_config_shared_mem_size=max(cfg, 0x1A),
           cta_thread_dimension0=block[0], cta_thread_dimension1=block[1], cta_thread_dimension2=block[2],
           **_cbank_fields(ver, {**prog.banks, 0: (cb_va, cb_size)}))
  if ver == "V05_00":
    return f | dict(qmd_type=g.qmd_type, sass_version=dev.sass_version, register_count=prog.regs,
                    program_address_lower_shifted4=(code >> 4) & 0xFFFFFFFF, program_address_upper_shifted4=code >> 36,
                    shared_memory_size_shifted7=round_up(smem, 0x80) >> 7, shader_local_memory_high_size_shifted4=round_up(prog.local, 16) >> 4,
                    grid_width=grid[0], grid_height=grid[1], grid_depth=grid[2])
  f |= dict(program_address_lower=code & 0xFFFFFFFF, program_address_upper=code >> 32, shared_memory_size=smem,
            shader_local_memory_high_size=prog.local, sass_version=dev.sass_version)
  if ver == "V04_00":
    return f | dict(qmd_type=g.qmd_type, register_count=prog.regs, grid_width=grid[0], grid_height=grid[1], grid_depth=grid[2])
  return f | dict(qmd_group_id=0x3F, register_count_v=prog.regs, cta_raster_width=grid[0], cta_raster_height=grid[1], cta_raster_depth=grid[2])

def qmd_bytes(dev, prog: NVProgram, cb_va: int, cb_size: int, grid, block) -> bytes:
  """The launch's QMD: encoded once per (grid, block, bank-0 size) with bank 0's address 0, then that address OR-ed in."""
  key, ver = (grid, block, cb_size), dev.qmd_version
  t = prog._qmd_tmpl.get(key)
  if t is None:
    names = ("constant_buffer_addr_lower_0", "constant_buffer_addr_upper_0") if ver == "V03_00" else \
            ("constant_buffer_addr_lower_shifted6_0", "constant_buffer_addr_upper_shifted6_0")
    if len(prog._qmd_tmpl) > 64: prog._qmd_tmpl.clear()
    t = prog._qmd_tmpl[key] = (int.from_bytes(hw.qmd_encode(ver, **qmd_fields(dev, prog, 0, cb_size, grid, block)), "little"),
                               hw.QMD_FIELDS[ver][names[0]][1], hw.QMD_FIELDS[ver][names[1]][1])
  acc, lo_bit, hi_bit = t
  lo, hi = (cb_va & 0xFFFFFFFF, cb_va >> 32) if ver == "V03_00" else ((cb_va >> 6) & 0xFFFFFFFF, cb_va >> 38)
  return (acc | (lo << lo_bit) | (hi << hi_bit)).to_bytes(hw.QMD_SIZE[ver], "little")

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
  qmd = qmd_bytes(dev, prog, a.va + cb_off, round_up(len(cb), 16), grid, block)
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
