"""A direct harness for the SASS interpreter: a cubin's kernel, a GPU VA space and one launch, without driver or channel.

It lays constant bank 0 out as the NVIDIA driver does on sm_90 (ioctl/nv_hw.py CB0_*: blockDim @0x0, gridDim @0xC, shared
window @0x18, local window @0x20, stack top 0xFFFDC0 @0x28, global-memory descriptor 0 @0x208, parameters @0x210) and
reads from the cubin what a QMD would carry: REGISTER_COUNT and the local size (the assembler's cubin reader), shared memory
(.nv.shared.<k> size, which includes the 0x400 bytes sm_90 reserves at the start of the shared window; 0x400 without it),
local memory per thread (the kernel's + 0x240 above the initial stack pointer) and bank 0's size (.nv.constant0.<k>).
Tests and the benchmark use it where the full driver path (hwrt.devices.open_device("sim:nv")) is not available."""
from __future__ import annotations
import struct
import numpy as np
from hwrt.assemblers.elf import read_elf
from hwrt.errors import BadArgument
from hwrt.helpers import Deadline
from hwrt.ioctl import nv_hw as hw
from hwrt.sim.memory import Allocation, GPUMemory
from hwrt.sim.nv.launch import KernelLaunch

SMEM_RESERVED = 0x400
STACK_RESERVE = 0x240          # local bytes per thread above the initial stack pointer 0xFFFDC0 (the window's top 0x240)
SHARED_WINDOW, LOCAL_WINDOW = 0x00007F0000000000, 0x00007E0000000000   # generic-address windows (not used by the corpus)

class Kernel:
  @staticmethod
  def raw(code: bytes, name: str = "raw", registers: int = 16, shared: int = SMEM_RESERVED, cbank0_size: int = 0x300) -> "Kernel":
    k = Kernel.__new__(Kernel)
    k.name, k.code, k.registers, k.shared, k.cbank0_size, k.local = name, bytes(code), registers, shared, cbank0_size, STACK_RESERVE
    k.banks = {}
    return k
  def __init__(self, cubin: bytes, name: str):
    e = read_elf(cubin)
    secs = {s.name: s for s in e.sections}
    if f".text.{name}" not in secs:
      raise BadArgument(f"no kernel {name!r} in the cubin (has {[s[6:] for s in secs if s.startswith('.text.')]})")
    t = secs[f".text.{name}"]
    self.name, self.code, self.registers, self.local = name, bytes(t.data), t.info >> 24, STACK_RESERVE
    try:                                           # the assembler's cubin reader knows where REGCOUNT lives
      from hwrt.assemblers.sass.cubin import read_cubin
      k = read_cubin(cubin).kernels[name]
      self.registers = getattr(k, "regs", None) or getattr(k, "registers", None) or self.registers
      self.local = (getattr(k, "local_size", 0) or 0) + STACK_RESERVE
    except Exception: pass
    sh = secs.get(f".nv.shared.{name}")
    size = lambda s: s.size if s.size is not None else len(s.data)
    self.shared = size(sh) if sh is not None else SMEM_RESERVED     # ptxas' .nv.shared.<k> size includes the 0x400
    c0 = secs.get(f".nv.constant0.{name}")
    self.cbank0_size = size(c0) if c0 is not None else hw.CB0_PARAMS_SM90
    c3 = secs.get(".nv.constant3")                # the module's .const data (PTX .const variables): constant bank 3
    self.banks = {3: bytes(c3.data)} if c3 is not None and c3.data else {}

class Harness:
  """One VA space; `buffer(array)` maps a numpy array's bytes, `launch(kernel, args, grid, block)` runs it."""
  def __init__(self, base: int = 0x200000000):
    self.mem = GPUMemory("sass-harness")
    self.next, self.allocs = base, []
  def alloc(self, nbytes: int, writable: bool = True) -> int:
    a = Allocation(max(nbytes, 1), "sass-harness")
    va = self.next
    self.mem.map(va, a, writable=writable)
    self.allocs.append(a)
    self.next += (max(nbytes, 1) + 0xFFFF) // 0x10000 * 0x10000 + 0x10000     # a hole after each buffer
    return va
  def buffer(self, arr) -> int:
    b = np.ascontiguousarray(arr).view(np.uint8).reshape(-1)
    va = self.alloc(len(b)); self.mem.write(va, b.tobytes())
    return va
  def read(self, va: int, dtype, count: int) -> np.ndarray:
    return np.frombuffer(self.mem.read(va, np.dtype(dtype).itemsize * count), dtype).copy()
  def load(self, cubin: bytes, name: str) -> tuple[Kernel, int]:
    return self.load_kernel(Kernel(cubin, name))
  def load_kernel(self, k: Kernel) -> tuple[Kernel, int]:
    va = self.alloc(len(k.code) + 0x100, writable=False)
    self.mem.maps[self.mem.starts.index(va)].alloc.write(0, k.code)
    return k, va
  def launch_desc(self, prog, args, grid, block) -> KernelLaunch:
    k, code_va = prog
    grid, block = tuple(grid) + (1,) * (3 - len(grid)), tuple(block) + (1,) * (3 - len(block))
    cb = bytearray(max(k.cbank0_size, hw.CB0_PARAMS_SM90))
    struct.pack_into("<3I3I", cb, hw.CB0_BLOCK_DIM, *block, *grid)
    struct.pack_into("<QQI", cb, hw.CB0_SHARED_WINDOW, SHARED_WINDOW, LOCAL_WINDOW, hw.CB0_STACK_INIT)
    struct.pack_into("<Q", cb, hw.CB0_GLOBAL_DESC, 0)
    off = hw.CB0_PARAMS_SM90
    for a in args:                       # natural alignment: (value, struct format) or an int (a pointer: 8 bytes)
      val, fmt = (a, "<Q") if isinstance(a, int) else a
      size = struct.calcsize(fmt)
      off = (off + size - 1) // size * size
      if off + size > len(cb): raise BadArgument(f"{k.name}: too many parameter bytes ({off + size} > {len(cb)})")
      struct.pack_into(fmt, cb, off, val); off += size
    cb_va = self.buffer(np.frombuffer(bytes(cb), np.uint8))
    banks = {0: (cb_va, len(cb))}
    for b, data in getattr(k, "banks", {}).items(): banks[b] = (self.buffer(np.frombuffer(data, np.uint8)), len(data))
    return KernelLaunch(code_address=code_va, grid=grid, block=block, shared_memory_bytes=k.shared,
                        local_memory_bytes_per_thread=k.local, register_count=k.registers, constant_buffers=banks,
                        barrier_count=1, shared_window=SHARED_WINDOW, local_window=LOCAL_WINDOW)
  def launch(self, prog, args, grid, block, timeout: float = 60.0) -> None:
    from hwrt.sim.sass_exec import execute
    execute(self.launch_desc(prog, args, grid, block), self.mem, Deadline(timeout))
  def close(self):
    for a in self.allocs: self.mem.unmap_alloc(a); a.close()
    self.allocs = []
