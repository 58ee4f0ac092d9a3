"""The contract between the simulated compute engine and the SASS executor.

The compute engine decodes a QMD into a `KernelLaunch` and calls `executor(launch, mem, deadline)`, where
  launch   KernelLaunch (below; all addresses are GPU VAs)
  mem      hwrt.sim.memory.GPUMemory of the channel's VA space: `mem.region(va, write=False) -> (base_va, np.uint8 view of
           the whole mapping)`, raising `hwrt.sim.memory.MMUFault(va, write)`; also read/write/read_u32/... helpers
  deadline hwrt.helpers.Deadline; the executor raises hwrt.errors.GPUTimeout when it expires (the engine reports a hang)
The executor returns None; it raises MMUFault for a bad global access (the engine turns it into Xid 31) or GPUFault for any
other SM exception (Xid 13). The default executor is `hwrt.sim.sass_exec.execute`; `set_executor(fn)` overrides it (tests
use a stand-in until the interpreter lands)."""
from __future__ import annotations
from dataclasses import dataclass, field
from typing import Callable
from hwrt.errors import Unimplemented

@dataclass
class KernelLaunch:
  code_address: int                      # VA of the first instruction (QMD PROGRAM_ADDRESS; V05: PROGRAM_ADDRESS_*_SHIFTED4 << 4)
  grid: tuple[int, int, int]             # QMD GRID_WIDTH/HEIGHT/DEPTH (V03: CTA_RASTER_*)
  block: tuple[int, int, int]            # QMD CTA_THREAD_DIMENSION0/1/2
  shared_memory_bytes: int               # QMD SHARED_MEMORY_SIZE (includes the 0x400 bytes the driver reserves on sm_90)
  local_memory_bytes_per_thread: int     # QMD SHADER_LOCAL_MEMORY_LOW_SIZE + HIGH_SIZE
  register_count: int                    # QMD REGISTER_COUNT
  constant_buffers: dict[int, tuple[int, int]]   # bank -> (VA, size in bytes) for every CONSTANT_BUFFER_VALID bank; 0 = cbank0
  barrier_count: int                     # QMD BARRIER_COUNT
  sm_version: int = 0x90                 # the machine's SM as QMD SASS_VERSION spells it: 0x90 sm_90, 0x89 sm_89, 0xA0 sm_100
  qmd_address: int = 0                   # VA of the QMD
  qmd_version: str = "V04_00"
  shared_window: int = 0                 # SET_SHADER_SHARED_MEMORY_WINDOW (generic -> shared base)
  local_window: int = 0                  # SET_SHADER_LOCAL_MEMORY_WINDOW
  local_memory_va: int = 0               # SET_SHADER_LOCAL_MEMORY_A/B backing buffer
  local_memory_bytes_per_tpc: int = 0    # SET_SHADER_LOCAL_MEMORY_NON_THROTTLED_A/B
  extra: dict = field(default_factory=dict)   # anything else the engine knew (channel id, launch number)

  def cbank(self, mem, bank: int = 0) -> bytes:
    va, size = self.constant_buffers[bank]
    return mem.read(va, size)

Executor = Callable[[KernelLaunch, object, object], None]
_override: Executor | None = None

def set_executor(fn: Executor | None) -> Executor | None:
  """Install a stand-in executor (None restores the SASS interpreter); returns the previous override."""
  global _override
  prev, _override = _override, fn
  return prev

def get_executor() -> Executor:
  if _override is not None: return _override
  try: from hwrt.sim.sass_exec import execute
  except ImportError as e:
    def execute(launch, mem, deadline, _e=e):
      raise Unimplemented(f"SASS interpreter not built yet (hwrt.sim.sass_exec: {_e})")
  return execute
