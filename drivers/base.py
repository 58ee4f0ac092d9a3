"""The vendor contract every hwrt driver fills in, and the logic they share (written once, here).

The shape is tinygrad's HCQ (runtime/support/hcq.py: HCQCompiled / HWQueue / HCQSignal / HCQProgram, which ops_nv.py and
ops_amd.py both fill in). A driver subclasses:

  Device   open/close (a context manager), identity(), alloc/free (VRAM or host memory, CPU-mapped), copyin/copyout/copy,
           load(binary, kernel) -> Program, builtin_program(name), launch(...), wait(value, timeout, signal), synchronize,
           compute_queue()/copy_queue() -> Queue, create_queue() -> an extra hardware queue (closed with .close())
  Queue    a command builder: q.wait(sig, v).exec(prog, args, grid, block).signal(sig, v).submit(); copy(dst, src, n)
  Program  a kernel of a loaded container: name, params [(offset, size)], dims limits (LIMITS), pack_args
  Signal   a 64-bit timeline value and its timestamp in GPU-written, CPU-mapped memory

What a vendor provides (the abstract methods below): _alloc/_free, the Queue's _wait/_signal/_exec/_copy command encoders,
_fault() (None or the GPUFault of a fault the kernel reported) and recover() (rebuild the queues after a fault or a missed
deadline). Observers (the repro recorder) register with add_hook(obj): obj.submitted(ring, t) after a ring's doorbell,
obj.waited(signal, value, timeout, t, result, error) after each wait, where result is "ok", "fault" or "timeout"."""
from __future__ import annotations
import struct, sys, time
from dataclasses import dataclass
import numpy as np
from hwrt.errors import BadArgument, GPUFault, GPUTimeout, HwrtError
from hwrt.helpers import Deadline, getenv
from hwrt.ioctl.ffi import ffi

@dataclass(eq=False)
class Buffer:
  va: int
  size: int
  handle: int = 0       # the kernel's handle for the memory (RM hMemory, KFD buffer handle)
  cpu: int = 0          # CPU address of the mapping (0: not CPU-visible)
  host: bool = False    # system memory
  @property
  def hmem(self) -> int: return self.handle
  def view(self, offset=0, size=None): return ffi.buffer(ffi.cast("char *", self.cpu + offset), self.size - offset if size is None else size)

class Signal:
  """A 64-bit timeline value at cpu/va, its timestamp (GPU ticks) 8 bytes after. `value` is the last value a queue was
  told to release; `current` what the GPU wrote."""
  def __init__(self, va: int, cpu: int, ns_per_tick: float = 1.0):
    self.va, self.cpu, self.ns_per_tick, self.value = va, cpu, ns_per_tick, 0
    ffi.cast("uint64_t *", cpu)[0:2] = [0, 0]
  @property
  def current(self) -> int: return ffi.cast("volatile uint64_t *", self.cpu)[0]
  @property
  def timestamp_ns(self) -> float: return ffi.cast("volatile uint64_t *", self.cpu)[1] * self.ns_per_tick

def param_bytes(a, size: int, what: str) -> bytes:
  """A launch argument as the bytes of its parameter slot: a Buffer is its GPU address, a numpy scalar its bytes, an int
  or float is packed to the slot's size."""
  if hasattr(a, "va"): a = a.va
  if isinstance(a, (bytes, bytearray)): b = bytes(a)
  elif isinstance(a, np.generic): b = a.tobytes()
  elif isinstance(a, bool) or isinstance(a, int): b = (a & ((1 << (8 * size)) - 1)).to_bytes(size, "little")
  elif isinstance(a, float): b = struct.pack({4: "<f", 8: "<d", 2: "<e"}.get(size, "<f"), a)
  else: raise BadArgument(f"{what}: cannot pass a {type(a).__name__}")
  if len(b) != size: raise BadArgument(f"{what} is {size} bytes, the argument is {len(b)}")
  return b

def dims3(v, what: str) -> tuple[int, int, int]:
  v = tuple(v) + (1,) * (3 - len(v))
  if len(v) != 3 or any(not isinstance(x, (int, np.integer)) or x < 1 for x in v): raise BadArgument(f"bad {what} {v}")
  return tuple(int(x) for x in v)

class Program:
  """A loaded kernel. Subclasses set name and params ([(offset, size)] of the user arguments) and may override LIMITS."""
  # grid: blocks per dimension below these; block: threads per block at most max_threads, per dimension at most max_block
  LIMITS = {"grid": (2**31 - 1, 2**16 - 1, 2**16 - 1), "max_block": (1024, 1024, 64), "max_threads": 1024}
  name: str = "?"
  params: list = []

  def check_dims(self, grid, block) -> tuple[tuple, tuple]:
    grid, block = dims3(grid, "grid"), dims3(block, "block")
    L = self.LIMITS
    if any(g > m for g, m in zip(grid, L["grid"])): raise BadArgument(f"{self.name}: grid {grid} exceeds {L['grid']}")
    if any(b > m for b, m in zip(block, L["max_block"])) or block[0] * block[1] * block[2] > L["max_threads"]:
      raise BadArgument(f"{self.name}: bad block {block}: at most {L['max_threads']} threads, per dimension {L['max_block']}")
    return grid, block

  def pack_args(self, args, size: int, base: int = 0) -> bytearray:
    """A size-byte block with each user argument at base + its parameter offset."""
    if len(args) != len(self.params): raise BadArgument(f"{self.name} takes {len(self.params)} parameters, got {len(args)}")
    out = bytearray(size)
    for i, ((off, sz), a) in enumerate(zip(self.params, args)): out[base + off:base + off + sz] = param_bytes(a, sz, f"{self.name} parameter {i}")
    return out

  def close(self): pass
  def __enter__(self): return self
  def __exit__(self, *a): self.close()

class Queue:
  """Command builder over one hardware ring. Methods append words; submit() hands them to ring.submit(words), which makes
  them run and tells the device's hooks (dev._notify("submitted", ring, t)), as every submission of the driver does."""
  def __init__(self, dev: Device, ring):
    self.dev, self.ring, self.words = dev, ring, []
  def wait(self, signal: Signal, value: int):
    """The ring waits until signal >= value."""
    self._wait(signal, value); return self
  def signal(self, signal: Signal, value: int, timestamp: bool = False):
    """Release value into signal after everything before it completed (with a GPU timestamp if asked)."""
    self._signal(signal, value, timestamp)
    signal.value = max(signal.value, value)
    return self
  def exec(self, prog: Program, args=(), grid=(1, 1, 1), block=(1, 1, 1)):
    grid, block = prog.check_dims(grid, block)
    self._exec(prog, list(args), grid, block); return self
  def copy(self, dst, src, nbytes: int, dst_off: int = 0, src_off: int = 0):
    """dst and src are Buffers or GPU virtual addresses."""
    self._copy(getattr(dst, "va", dst) + dst_off, getattr(src, "va", src) + src_off, nbytes); return self
  def submit(self):
    if self.words: self.ring.submit(self.words)
    self.words = []
    return self
  def _wait(self, signal, value): raise NotImplementedError
  def _signal(self, signal, value, timestamp): raise NotImplementedError
  def _exec(self, prog, args, grid, block): raise NotImplementedError(f"{type(self).__name__} cannot launch kernels")
  def _copy(self, dst: int, src: int, nbytes: int): raise NotImplementedError(f"{type(self).__name__} cannot copy")

class Device:
  """One opened GPU. Subclasses run their bring-up in _open() and set: timeline (Signal), start (Signal for launch
  timestamps); BUILTINS {name: assembly source} and assemble_builtin(source) -> container bytes."""
  vendor = "?"
  BUILTINS: dict = {}
  STAGING_MIN = 0x200000

  def __init__(self, sys, index: int = 0, name: str = ""):
    self.sys, self.index, self.name = sys, index, name or f"{self.vendor}:{index}"
    self.buffers: set[Buffer] = set()
    self.hooks: list = []
    self._builtins: dict = {}
    self._stage: Buffer | None = None
    self._closed = False
    try: self._open()
    except BaseException: self.close(); raise

  # ---- vendor part
  def _open(self): raise NotImplementedError
  def _close(self): raise NotImplementedError
  def identity(self) -> dict: raise NotImplementedError
  def alloc(self, size: int, host: bool = False, cpu_access: bool | None = None) -> Buffer: raise NotImplementedError
  def _free(self, buf: Buffer): raise NotImplementedError
  def load(self, binary: bytes, kernel: str | None = None) -> Program: raise NotImplementedError
  def assemble_builtin(self, source: str) -> bytes: raise NotImplementedError
  def compute_queue(self) -> Queue: raise NotImplementedError
  def copy_queue(self) -> Queue: raise NotImplementedError
  def create_queue(self): raise NotImplementedError
  def recover(self): raise NotImplementedError
  def _fault(self) -> GPUFault | None: raise NotImplementedError
  def _poll_interval(self) -> int: return 1          # check _fault() every N spins of a wait

  # ---- observers
  def add_hook(self, hook): self.hooks.append(hook); return hook
  def remove_hook(self, hook):
    if hook in self.hooks: self.hooks.remove(hook)
  def _notify(self, event: str, *a):
    for h in self.hooks:
      if (f := getattr(h, event, None)): f(*a)

  # ---- memory
  def free(self, buf: Buffer):
    if buf not in self.buffers: raise BadArgument(f"buffer at {buf.va:#x} is not allocated on {self.name} (double free?)")
    self.buffers.discard(buf)
    if buf is self._stage: self._stage = None
    self._free(buf)

  def cpu_buffers(self) -> list[Buffer]: return [b for b in self.buffers if b.cpu]
  def gpu_written(self, buf: Buffer) -> list[tuple[int, int]]:
    """Byte ranges of a CPU-mapped buffer the GPU (not the CPU) writes: signals, ring read pointers, notifiers."""
    return []

  def _staging(self, n: int) -> Buffer:
    if self._stage is None or self._stage.size < n:
      if self._stage is not None: self.free(self._stage)
      self._stage = self.alloc(max(n, self.STAGING_MIN), host=True)
    return self._stage

  def copy(self, dst: Buffer, src: Buffer, nbytes: int, dst_off: int = 0, src_off: int = 0, timeout: float = 10.0):
    self.copy_queue().copy(dst, src, nbytes, dst_off, src_off).signal(self.timeline, self.next_value()).submit()
    self.wait(timeout=timeout)

  def copyin(self, buf: Buffer, data, offset: int = 0):
    mv = memoryview(data).cast("B")
    if offset + mv.nbytes > buf.size: raise BadArgument(f"copyin of {mv.nbytes} bytes does not fit a {buf.size}-byte buffer")
    if buf.cpu: ffi.memmove(ffi.cast("char *", buf.cpu + offset), ffi.from_buffer(mv), mv.nbytes); return
    st = self._staging(mv.nbytes)
    ffi.memmove(ffi.cast("char *", st.cpu), ffi.from_buffer(mv), mv.nbytes)
    self.copy(buf, st, mv.nbytes, dst_off=offset)

  def copyout(self, buf: Buffer, nbytes: int | None = None, offset: int = 0) -> bytes:
    nbytes = buf.size - offset if nbytes is None else nbytes
    if offset < 0 or nbytes < 0 or offset + nbytes > buf.size: raise BadArgument(f"copyout of {nbytes} bytes at {offset} from a {buf.size}-byte buffer")
    if buf.cpu: self.synchronize(); return bytes(ffi.buffer(ffi.cast("char *", buf.cpu + offset), nbytes))
    st = self._staging(nbytes)
    self.copy(st, buf, nbytes, src_off=offset)
    return bytes(ffi.buffer(ffi.cast("char *", st.cpu), nbytes))

  # ---- programs
  def builtin_program(self, name: str = "empty") -> Program:
    """Small kernels in hwrt's own assembly for this GPU (assembled on the fly, no vendor tool), loaded once per device."""
    if name not in self.BUILTINS: raise BadArgument(f"no builtin program {name!r} (have {', '.join(self.BUILTINS)})")
    if name not in self._builtins: self._builtins[name] = self.load(self.assemble_builtin(self.BUILTINS[name]))
    return self._builtins[name]

  # ---- submission and completion
  def next_value(self) -> int: return self.timeline.value + 1

  def launch(self, prog: Program, args=(), grid=(1, 1, 1), block=(1, 1, 1), timeout: float = 10.0, wait: bool = True,
             flops: float | None = None, nbytes: int | None = None) -> float:
    """Launch and (by default) wait; returns the GPU time in seconds between two timestamped releases around it.
    DEBUG=2 prints one line per launch: name, grid/block, time, GFLOP/s (given flops) and GB/s (given nbytes, else the
    sizes of the buffer arguments)."""
    grid, block = prog.check_dims(grid, block)
    start = self.start
    q = self.compute_queue().signal(start, start.value + 1, timestamp=True).exec(prog, args, grid, block)
    q.signal(self.timeline, self.next_value(), timestamp=True).submit()
    if not wait: return 0.0
    self.wait(self.timeline.value, timeout)
    t = max(0.0, self.timeline.timestamp_ns - start.timestamp_ns) * 1e-9
    if getenv("DEBUG", 0) >= 2: print(launch_line(self.name, prog.name, grid, block, t, flops, args, nbytes), file=sys.stderr)
    return t

  def wait(self, value: int | None = None, timeout: float = 10.0, signal: Signal | None = None):
    """Wait for signal (default the timeline) to reach value. A fault the kernel reports raises GPUFault, the deadline
    GPUTimeout; both recover the queues first, so the device stays usable."""
    sig = signal or self.timeline
    value = sig.value if value is None else value
    t0, result, err = time.time(), "ok", None
    try: self._wait_loop(sig, value, timeout)
    except GPUFault as e: result, err = "fault", e; raise
    except GPUTimeout as e: result, err = "timeout", e; raise
    finally: self._notify("waited", sig, value, timeout, t0, result, err)

  def _wait_loop(self, sig: Signal, value: int, timeout: float):
    dl, spin, every = Deadline(timeout), 0, self._poll_interval()
    while sig.current < value:
      if spin % every == 0 and (f := self._fault()) is not None: self._raise_fault(f)
      if dl.expired():
        cur = sig.current
        self.recover()
        raise GPUTimeout(f"{self.name}: no completion within {timeout:g} s (timeline at {cur}, waiting for {value}); "
                         f"queues torn down and recreated", device=self.name, timeout=timeout)
      spin += 1     # sleep(0) yields the GIL at once (a simulated GPU is a thread of this process), then back off
      time.sleep(0 if spin < 100 else 0.0001 if spin < 3000 else 0.001)
    if (f := self._fault()) is not None: self._raise_fault(f)

  def _raise_fault(self, f: GPUFault):
    self.recover()
    raise f

  def synchronize(self, timeout: float = 10.0): self.wait(self.timeline.value, timeout)

  # ---- lifetime
  def close(self):
    if self._closed: return
    self._closed = True
    self._close()
  def __enter__(self): return self
  def __exit__(self, *a): self.close()

def launch_line(dev: str, prog: str, grid, block, t: float, flops, args, nbytes) -> str:
  nb = nbytes if nbytes is not None else sum(a.size for a in args if isinstance(a, Buffer))
  gf = f" {flops / t / 1e9:9.2f} GFLOP/s" if flops and t else ""
  return (f"*** {dev:8s} {prog:24s} grid {','.join(map(str, grid)):>12s} block {','.join(map(str, block)):>9s} "
          f"{t * 1e6:10.2f} us{gf} {nb / t / 1e9 if t else 0:9.3f} GB/s")

def ensure_contract(cls) -> type:
  """The contract's methods a Device subclass must override (for tests and `duplicates`)."""
  missing = [m for m in ("_open", "_close", "identity", "alloc", "_free", "load", "assemble_builtin", "compute_queue", "copy_queue",
                         "create_queue", "recover", "_fault") if getattr(cls, m) is getattr(Device, m)]
  if missing: raise HwrtError(f"{cls.__name__} does not implement {', '.join(missing)}")
  return cls
