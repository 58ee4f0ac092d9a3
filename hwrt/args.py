"""Argument and option validation: every numeric option bounded, every --arg value range-checked against its dtype and then
against the kernel's parameter layout (from the cubin / code object) before anything is launched.

Option bounds are one table (OPTION_BOUNDS: name -> (type, low, high, low inclusive)); argparse uses `opt(name)` as the
type, so a bad value is one line and exit 2 before any work. Launch-geometry limits: CUDA C Programming Guide,
"Technical Specifications per Compute Capability" (grid x < 2**31, y/z <= 65535; block x/y <= 1024, z <= 64, at most 1024
threads) — https://docs.nvidia.com/cuda/cuda-c-programming-guide/index.html#features-and-technical-specifications"""
from __future__ import annotations
import argparse, math, re
import numpy as np
from hwrt.errors import BadArgument

DAY = 86400.0
# name: (type, low, high, low inclusive). --ops: a workload schedule of N ops is built in O(N^2) (stress/workloads.py), 10000 in ~0.5 s
OPTION_BOUNDS = {
  "repeat": (int, 1, 1_000_000, True), "timeout": (float, 0.0, DAY, False), "deadline": (float, 0.0, DAY, False),
  "duration": (float, 0.0, 30 * DAY, False), "budget": (float, 0.0, DAY, False), "flops": (float, 0.0, 1e21, True),
  "bytes": (int, 0, 1 << 50, True), "procs": (int, 1, 1024, True), "iterations": (int, 1, 1 << 40, True),
  "ops": (int, 1, 10_000, True), "jobs": (int, 1, 256, True), "runs": (int, 1, 100_000, True),
  "rate-runs": (int, 1, 100_000, True), "verify-runs": (int, 0, 100_000, True), "max-attempts": (int, 1, 1_000_000, True),
  "seed": (int, 0, (1 << 63) - 1, True), "pid": (int, 0, (1 << 31) - 1, True),
}
GRID_MAX, BLOCK_MAX, BLOCK_THREADS_MAX = (2**31 - 1, 65535, 65535), (1024, 1024, 64), 1024
MAX_BUFFER_BYTES = 1 << 36            # 64 GiB: more than any one GPU buffer this tool sets up from host memory
FLOAT_MAX = {"f16": 65504.0, "bf16": 3.3895313892515355e38, "f32": 3.4028234663852886e38, "f64": 1.7976931348623157e308}

def bounded(name: str, value):
  ty, lo, hi, lo_in = OPTION_BOUNDS[name]
  if ty is float and not math.isfinite(value): raise BadArgument(f"--{name} {value}: not a finite number")
  if not ((lo <= value) if lo_in else (lo < value)) or value > hi:
    raise BadArgument(f"--{name} {value:g}: must be {'at least' if lo_in else 'more than'} {lo:g} and at most {hi:g}")
  return value

def opt(name: str):
  """argparse type= for option NAME: parse and bound it (argparse reports the message as one line, exit 2)."""
  ty = OPTION_BOUNDS[name][0]
  def parse(s: str):
    try: v = ty(s) if ty is float else int(s, 0)
    except (ValueError, OverflowError): raise argparse.ArgumentTypeError(f"{s!r} is not {'a number' if ty is float else 'an integer'}")
    try: return bounded(name, v)
    except BadArgument as e: raise argparse.ArgumentTypeError(str(e).split(": ", 1)[-1]) from None
  parse.__name__ = name
  return parse

def dims(s: str, what: str) -> tuple[int, int, int]:
  """--grid / --block X[,Y[,Z]] within the hardware's limits"""
  try: v = [int(x, 0) for x in s.split(",")]
  except ValueError: raise BadArgument(f"--{what} {s!r}: expected X[,Y[,Z]] integers") from None
  if not 1 <= len(v) <= 3 or any(x < 1 for x in v): raise BadArgument(f"--{what} {s!r}: expected 1 to 3 positive integers")
  v += [1] * (3 - len(v))
  for x, hi, axis in zip(v, GRID_MAX if what == "grid" else BLOCK_MAX, "xyz"):
    if x > hi: raise BadArgument(f"--{what} {s!r}: {axis} is at most {hi}")
  if what == "block" and v[0] * v[1] * v[2] > BLOCK_THREADS_MAX:
    raise BadArgument(f"--block {s!r}: {v[0] * v[1] * v[2]} threads; a block holds at most {BLOCK_THREADS_MAX}")
  return tuple(v)

ARG_SPEC = re.compile(r"([A-Za-z_]\w{0,63})=(\w+)(?:\[(\d{1,20})\])?:(.+)", re.S)

def parse_count(count: str, name: str, itemsize: int) -> int:
  n = int(count)
  if n < 1: raise BadArgument(f"--arg {name}: count must be at least 1")
  if n * itemsize > MAX_BUFFER_BYTES: raise BadArgument(f"--arg {name}: {n} elements are {n * itemsize} bytes; at most {MAX_BUFFER_BYTES}")
  return n

def parse_scalar(src: str, name: str, dtype: str, np_dt):
  """-> the value, range-checked against the dtype (no silent wrap-around, no overflow to inf)"""
  src = src.strip()
  if dtype in FLOAT_MAX:
    try: v = float(src)
    except ValueError: raise BadArgument(f"--arg {name}: {src!r} is not a {dtype} value") from None
    if math.isfinite(v) and abs(v) > FLOAT_MAX[dtype]: raise BadArgument(f"--arg {name}: {src} is out of range for {dtype}")
    return v
  try: v = int(src, 0)
  except ValueError: raise BadArgument(f"--arg {name}: {src!r} is not a {dtype} integer") from None
  info = np.iinfo(np_dt)
  if not info.min <= v <= info.max: raise BadArgument(f"--arg {name}: {src} is out of range for {dtype} ({info.min}..{info.max})")
  return v

def check_layout(kernel: str, args: list, params: list):
  """args: parsed --arg objects (is_buffer, name, dtype, host); params: [(offset, size)] from the binary."""
  if len(args) != len(params):
    raise BadArgument(f"{kernel} takes {len(params)} parameters; {len(args)} --arg given")
  for i, (a, (_, size)) in enumerate(zip(args, params)):
    if a.is_buffer and size != 8:
      raise BadArgument(f"--arg {a.name}: parameter {i} of {kernel} is {size} bytes, not an 8-byte pointer; give a scalar")
    if not a.is_buffer and a.host.nbytes != size:
      want = " or ".join(k for k, v in {"u8/i8": 1, "u16/i16/f16/bf16": 2, "u32/i32/f32": 4, "u64/i64/f64 or a buffer": 8}.items()
                         if v == size) or f"{size} bytes"
      raise BadArgument(f"--arg {a.name}={a.dtype}: parameter {i} of {kernel} is {size} bytes, a {a.dtype} is {a.host.nbytes} ({want})")

# ---- --arg NAME=DTYPE[COUNT]:SOURCE | NAME=DTYPE:VALUE
DTYPES = {"u8": np.uint8, "i8": np.int8, "u16": np.uint16, "i16": np.int16, "f16": np.float16, "bf16": None, "u32": np.uint32,
          "i32": np.int32, "f32": np.float32, "u64": np.uint64, "i64": np.int64, "f64": np.float64}
SOURCES = ("rand", "zeros", "ones", "arange")

def to_bf16(a: np.ndarray) -> np.ndarray:
  u = a.astype(np.float32).view(np.uint32)
  return ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)
def from_bf16(a: np.ndarray) -> np.ndarray: return (a.astype(np.uint32) << 16).view(np.float32)

class Arg:
  """A parsed --arg: a buffer (count set) or a scalar (value set). bf16 is carried as uint16 bit patterns. Parsing validates
  everything (an .npy source's header too) without making the data; a buffer's data is made on first use of `host`, in its
  own dtype (no float64 temporaries), and `release()` drops it once the device holds a copy (bench/launch_memory.py)."""
  def __init__(self, spec: str, rng: np.random.Generator):
    m = ARG_SPEC.fullmatch(spec)
    if not m: raise BadArgument(f"--arg {spec[:80]!r}: expected NAME=DTYPE[COUNT]:SOURCE or NAME=DTYPE:VALUE")
    self.name, self.dtype, count, self.src = m.group(1), m.group(2), m.group(3), m.group(4)
    if self.dtype not in DTYPES: raise BadArgument(f"--arg {self.name}: unknown dtype {self.dtype!r} (one of {' '.join(DTYPES)})")
    self.np_dt, self.rng, self._host = np.dtype(DTYPES[self.dtype] or np.uint16), rng, None
    self.is_buffer = count is not None
    if not self.is_buffer:
      v = parse_scalar(self.src, self.name, self.dtype, self.np_dt)
      self._host = to_bf16(np.array([v], np.float32)) if self.dtype == "bf16" else np.array([v], self.np_dt)
      self.count = 1
      return
    self.count = parse_count(count, self.name, self.np_dt.itemsize)
    if self.src not in SOURCES: self._open_npy()

  @property
  def nbytes(self) -> int: return self.count * self.np_dt.itemsize

  @property
  def host(self) -> np.ndarray:
    if self._host is None: self._host = self._make()
    return self._host
  @host.setter
  def host(self, a: np.ndarray): self._host = a

  def release(self):
    """drop the host copy (the device holds the data now); `host` must be set again (from the device) before use"""
    self._host, self._make = None, self._released
  def _released(self): raise BadArgument(f"--arg {self.name}: its data was handed to the device")

  def _make(self, start: int = 0, count: int | None = None) -> np.ndarray:
    """elements [start, start + count) of the buffer; rand draws continue the one generator, so the chunks of a buffer, made
    in order, are the same as the whole made at once"""
    n = self.count - start if count is None else count
    np_dt, bf, rng = self.np_dt, self.dtype == "bf16", self.rng
    try:
      if self.src == "zeros": a = np.zeros(n, np_dt)
      elif self.src == "ones": a = np.full(n, 0x3F80, np.uint16) if bf else np.ones(n, np_dt)
      elif self.src == "arange":
        a = to_bf16(np.arange(start, start + n, dtype=np.float32)) if bf else np.arange(start, start + n).astype(np_dt)
      elif self.src == "rand":
        if self.dtype in ("f32", "f64"): a = rng.standard_normal(n, dtype=np_dt)
        elif self.dtype in ("f16", "bf16"):
          f = rng.standard_normal(n, dtype=np.float32)
          a = to_bf16(f) if bf else f.astype(np.float16)
        else: a = rng.integers(0, min(np.iinfo(np_dt).max, 1 << 16), n, dtype=np_dt)
      else:
        part = np.asarray(self._npy.reshape(-1)[start:start + n])
        with np.errstate(all="ignore"): a = to_bf16(part.astype(np.float32)) if bf else part.astype(np_dt)
    except MemoryError: raise BadArgument(f"--arg {self.name}: not enough host memory for {n} {self.dtype} elements") from None
    except (OSError, ValueError) as e: raise BadArgument(f"--arg {self.name}: cannot read {self.src}: {str(e)[:200]}") from None
    return np.ascontiguousarray(a)

  def chunks(self, nbytes: int):
    """the buffer's bytes in pieces of at most nbytes, made piece by piece (never the whole buffer at once) unless it exists"""
    if self._host is not None:
      mv = memoryview(self._host).cast("B")
      for off in range(0, mv.nbytes, nbytes): yield mv[off:off + nbytes]
      return
    per = max(1, nbytes // self.np_dt.itemsize)
    for start in range(0, self.count, per): yield memoryview(self._make(start, min(per, self.count - start))).cast("B")

  def _open_npy(self):
    from hwrt.errors import BadInput
    from hwrt.inputs import regular_file
    src, n = self.src, self.count
    try: regular_file(src, "npy")
    except BadInput as e: raise BadArgument(f"--arg {self.name}: {e}") from None
    try: a = np.load(src, allow_pickle=False, mmap_mode="r")
    except (OSError, ValueError, EOFError) as e: raise BadArgument(f"--arg {self.name}: cannot load {src}: {str(e)[:200]}") from None
    if not isinstance(a, np.ndarray): raise BadArgument(f"--arg {self.name}: {src} is an .npz archive, not one .npy array")
    if a.dtype.kind not in "biuf": raise BadArgument(f"--arg {self.name}: {src} holds {a.dtype} data, not numbers")
    if a.size != n: raise BadArgument(f"--arg {self.name}: {src} holds {a.size} elements, the spec says {n}")
    self._npy = a

  def stand_in(self):
    """a 1-element value of the type `value()` has, without making the data (for validating --check before the launch)"""
    return (np.zeros(1, np.float32 if self.dtype == "bf16" else self.np_dt) if self.is_buffer else self.value())

  def value(self) -> np.ndarray:
    """numpy view for --check (bf16 as float32)"""
    return from_bf16(self.host) if self.dtype == "bf16" else self.host if self.is_buffer else self.host[0]
