"""`hwrt launch KERNEL` — load a cubin or an HSA code object (or assemble a .s: SASS, or RDNA3 for an AMD device), set up
buffers, launch, wait, check, time. The device is any driver of the contract (drivers/base.py); the default follows the
binary: an AMDGPU ELF goes to amd:0 or sim:amd, anything else to nv:0 or sim:nv.

  hwrt launch vadd.cubin --grid 4096 --block 256 --arg a=f32[1048576]:rand --arg b=f32[1048576]:rand \\
      --arg c=f32[1048576]:zeros --arg n=u32:1048576 --check "c == a + b"

One --arg per kernel parameter, in parameter order: buffers NAME=DTYPE[COUNT]:SOURCE (SOURCE rand, zeros, ones, arange or a
.npy path), scalars NAME=DTYPE:VALUE. Exit 0 ok, 1 check failed / GPU fault / timeout, 2 bad input."""
from __future__ import annotations
import json, re, statistics, sys, time
import numpy as np
from hwrt.errors import BadArgument, CheckFailed

DTYPES = {"u8": np.uint8, "i8": np.int8, "u16": np.uint16, "i16": np.int16, "f16": np.float16, "bf16": None, "u32": np.uint32,
          "i32": np.int32, "f32": np.float32, "u64": np.uint64, "i64": np.int64, "f64": np.float64}

def _dims(s: str, what: str) -> tuple[int, int, int]:
  try: v = [int(x, 0) for x in s.split(",")]
  except ValueError: raise BadArgument(f"--{what} {s!r}: expected X[,Y[,Z]] integers")
  if not 1 <= len(v) <= 3 or any(x < 1 for x in v): raise BadArgument(f"--{what} {s!r}: expected 1 to 3 positive integers")
  return tuple(v + [1] * (3 - len(v)))

class Arg:
  """A parsed --arg: a buffer (count set) or a scalar (value set). bf16 is carried as uint16 bit patterns."""
  def __init__(self, spec: str, rng: np.random.Generator):
    m = re.fullmatch(r"(\w+)=(\w+)(?:\[(\d+)\])?:(.+)", spec)
    if not m: raise BadArgument(f"--arg {spec!r}: expected NAME=DTYPE[COUNT]:SOURCE or NAME=DTYPE:VALUE")
    self.name, self.dtype, count, src = m.group(1), m.group(2), m.group(3), m.group(4)
    if self.dtype not in DTYPES: raise BadArgument(f"--arg {self.name}: unknown dtype {self.dtype!r} (one of {' '.join(DTYPES)})")
    np_dt = DTYPES[self.dtype] or np.uint16
    self.is_buffer = count is not None
    if self.is_buffer:
      n = int(count)
      if n < 1: raise BadArgument(f"--arg {self.name}: count must be at least 1")
      if src == "zeros": a = np.zeros(n, np_dt)
      elif src == "ones": a = np.ones(n, np.float32).astype(np_dt) if self.dtype != "bf16" else np.full(n, 0x3F80, np.uint16)
      elif src == "arange": a = np.arange(n).astype(np_dt) if self.dtype != "bf16" else _to_bf16(np.arange(n, dtype=np.float32))
      elif src == "rand":
        if self.dtype in ("f16", "f32", "f64"): a = rng.standard_normal(n).astype(np_dt)
        elif self.dtype == "bf16": a = _to_bf16(rng.standard_normal(n).astype(np.float32))
        else: a = rng.integers(0, min(np.iinfo(np_dt).max, 1 << 16), n, dtype=np_dt)
      else:
        try: a = np.load(src)
        except (OSError, ValueError) as e: raise BadArgument(f"--arg {self.name}: cannot load {src}: {e}")
        a = a.reshape(-1).astype(np_dt)
        if len(a) != n: raise BadArgument(f"--arg {self.name}: {src} holds {len(a)} elements, the spec says {n}")
      self.host = np.ascontiguousarray(a)
    else:
      try: v = float(src) if self.dtype in ("f16", "f32", "f64", "bf16") else int(src, 0)
      except ValueError: raise BadArgument(f"--arg {self.name}: {src!r} is not a {self.dtype} value")
      self.host = _to_bf16(np.array([v], np.float32)) if self.dtype == "bf16" else np.array([v], np_dt)
  def value(self) -> np.ndarray:
    """numpy view for --check (bf16 as float32)"""
    return _from_bf16(self.host) if self.dtype == "bf16" else self.host if self.is_buffer else self.host[0]

def _to_bf16(a: np.ndarray) -> np.ndarray:
  u = a.astype(np.float32).view(np.uint32)
  return ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)
def _from_bf16(a: np.ndarray) -> np.ndarray: return (a.astype(np.uint32) << 16).view(np.float32)

def add_args(p):
  p.add_argument("binary", help="cubin or .hsaco (or .s assembly: SASS, RDNA3 for --device amd:N/sim:amd; assembled on the fly)")
  p.add_argument("--kernel", help="kernel name (default: the only kernel)")
  p.add_argument("--grid", default="1", help="X[,Y[,Z]] blocks")
  p.add_argument("--block", default="1", help="X[,Y[,Z]] threads per block")
  p.add_argument("--arg", action="append", default=[], help="NAME=DTYPE[COUNT]:SOURCE (buffer) or NAME=DTYPE:VALUE (scalar)")
  p.add_argument("--out", action="append", default=[], help="NAME=PATH.npy: save a buffer after the run")
  p.add_argument("--check", help='numpy expression over the buffers, e.g. "c == a + b" (allclose for floats)')
  p.add_argument("--repeat", type=int, default=1, help="launch N times and report the timing")
  p.add_argument("--device", help="nv:N, amd:N, sim:nv or sim:amd (default: the binary's vendor, the real GPU if present, else its sim)")
  p.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for each launch")
  p.add_argument("--seed", type=int, default=0, help="seed for rand buffers")
  p.add_argument("--flops", type=float, help="floating-point operations per launch, for GFLOP/s")
  p.add_argument("--json", action="store_true", help="machine-readable result")

EM_AMDGPU = 224

def binary_vendor(data: bytes) -> str:
  """amd for an AMDGPU ELF (e_machine 224), else nv."""
  return "amd" if data[:4] == b"\x7fELF" and len(data) > 20 and int.from_bytes(data[18:20], "little") == EM_AMDGPU else "nv"

def load_binary(path: str, vendor: str = "nv") -> bytes:
  try:
    with open(path, "rb") as f: data = f.read()
  except OSError as e: raise BadArgument(f"cannot read {path}: {e.strerror}")
  if path.endswith(".s"):
    if vendor == "amd":
      from hwrt.assemblers.rdna3 import assemble_to_container as rdna3
      return rdna3(data.decode(errors="replace"), "gfx1100")
    from hwrt.assemblers.sass import assemble_to_container
    return assemble_to_container(data.decode(errors="replace"), "sm_90")
  return data

def evaluate_check(expr: str, env: dict) -> tuple[bool, str]:
  """== between float arrays means allclose; the expression may use numpy as np."""
  def close(a, b):
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype.kind == "f" or b.dtype.kind == "f": return bool(np.allclose(a, b, rtol=1e-5, atol=1e-6, equal_nan=True))
    return bool(np.array_equal(a, b))
  m = re.fullmatch(r"\s*(.+?)\s*==\s*(.+?)\s*", expr)
  scope = {"np": np, **env}
  try:
    if m and "==" not in m.group(2):
      lhs, rhs = eval(m.group(1), {"__builtins__": {}}, scope), eval(m.group(2), {"__builtins__": {}}, scope)
      ok = close(lhs, rhs)
      if ok: return True, ""
      la, ra = np.asarray(lhs, np.float64).reshape(-1), np.broadcast_to(np.asarray(rhs, np.float64), np.shape(lhs)).reshape(-1)
      bad = np.flatnonzero(~np.isclose(la, ra, rtol=1e-5, atol=1e-6, equal_nan=True))
      i = int(bad[0]) if len(bad) else 0
      return False, f"{len(bad)} of {la.size} elements differ; first at [{i}]: {la[i]!r} vs {ra[i]!r}"
    v = eval(expr, {"__builtins__": {}}, scope)
    return bool(np.all(v)), "" if np.all(v) else "expression is false"
  except Exception as e:   # the user's expression: report it as bad input, not a traceback
    raise BadArgument(f"--check {expr!r}: {type(e).__name__}: {e}")

def run(args) -> int:
  from hwrt.devices import open_device, default_device
  grid, block = _dims(args.grid, "grid"), _dims(args.block, "block")
  if args.repeat < 1: raise BadArgument("--repeat must be at least 1")
  rng = np.random.default_rng(args.seed)
  parsed = [Arg(s, rng) for s in args.arg]
  if len({a.name for a in parsed}) != len(parsed): raise BadArgument("two --arg with the same name")
  outs = []
  for o in args.out:
    name, _, path = o.partition("=")
    if not path or name not in {a.name for a in parsed if a.is_buffer}: raise BadArgument(f"--out {o!r}: expected NAME=PATH.npy naming a buffer --arg")
    outs.append((name, path))
  from hwrt.devices import parse_device
  vendor = parse_device(args.device)[1] if args.device else None
  binary = load_binary(args.binary, vendor or "nv")
  vendor = vendor or binary_vendor(binary)
  device = args.device or default_device(vendor)
  if not args.device and device.startswith("sim:") and not args.json:
    print(f"note: no {'AMD' if vendor == 'amd' else 'NVIDIA'} GPU here; running on the simulated GPU ({device})", file=sys.stderr)
  with open_device(device) as dev:
    prog = dev.load(binary, args.kernel)
    if len(parsed) != len(prog.params):
      raise BadArgument(f"{prog.name} takes {len(prog.params)} parameters; {len(parsed)} --arg given")
    bufs, kargs = {}, []
    for a, (_, size) in zip(parsed, prog.params):
      if a.is_buffer:
        b = bufs[a.name] = dev.alloc(a.host.nbytes)
        dev.copyin(b, a.host.tobytes())
        kargs.append(b)
      else: kargs.append(a.host.tobytes()[:size].ljust(size, b"\0"))
    times = []
    for _ in range(args.repeat):
      t0 = time.perf_counter()
      gpu_t = dev.launch(prog, kargs, grid, block, timeout=args.timeout, flops=args.flops)
      times.append(gpu_t or (time.perf_counter() - t0))
    env = {}
    for a in parsed:
      if a.is_buffer:
        raw = dev.copyout(bufs[a.name], a.host.nbytes)
        a.host = np.frombuffer(raw, a.host.dtype).copy()
      env[a.name] = a.value()
    for name, path in outs: np.save(path, env[name])
    ok, why = evaluate_check(args.check, env) if args.check else (True, "")
    for b in bufs.values(): dev.free(b)
    result = {"device": dev.name, "kernel": prog.name, "grid": grid, "block": block, "launches": len(times),
              "time_us": {"min": min(times) * 1e6, "median": statistics.median(times) * 1e6, "max": max(times) * 1e6},
              "check": None if not args.check else ok}
    if args.json: print(json.dumps(result))
    else:
      print(f"{prog.name} on {dev.name}: {len(times)} launch(es), median {result['time_us']['median']:.2f} us" +
            ("" if not args.check else f"; check {'passed' if ok else 'FAILED'}"))
    if not ok: raise CheckFailed(f"{args.check!r}: {why}")
  return 0
