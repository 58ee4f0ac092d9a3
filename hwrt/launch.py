"""`hwrt launch KERNEL` — load a cubin or an HSA code object (or assemble a .s: SASS, or RDNA3 for an AMD device), set up
buffers, launch, wait, check, time. The device is any driver of the contract (drivers/base.py); the default follows the
binary: an AMDGPU ELF goes to amd:0 or sim:amd, anything else to nv:0 or sim:nv.

  hwrt launch vadd.cubin --grid 4096 --block 256 --arg a=f32[1048576]:rand --arg b=f32[1048576]:rand \\
      --arg c=f32[1048576]:zeros --arg n=u32:1048576 --check "c == a + b"

One --arg per kernel parameter, in parameter order: buffers NAME=DTYPE[COUNT]:SOURCE (SOURCE rand, zeros, ones, arange or a
.npy path), scalars NAME=DTYPE:VALUE. Exit 0 ok, 1 check failed / GPU fault / timeout, 2 bad input."""
from __future__ import annotations
import json, statistics, sys, time
import numpy as np
from hwrt.errors import BadArgument, CheckFailed

from hwrt.args import Arg, DTYPES, check_layout, dims as _dims, opt, to_bf16 as _to_bf16, from_bf16 as _from_bf16  # noqa: F401
from hwrt.check import compile_check
from hwrt.helpers import debug_level
from hwrt.inputs import check_output, read_bytes, decode_text

COPY_CHUNK = 16 << 20     # host<->device copies go through the driver's staging buffer this many bytes at a time

def add_args(p):
  p.add_argument("binary", help="cubin or .hsaco (or .s assembly: SASS, RDNA3 for --device amd:N/sim:amd; assembled on the fly)")
  p.add_argument("--kernel", help="kernel name (default: the only kernel)")
  p.add_argument("--grid", default="1", help="X[,Y[,Z]] blocks")
  p.add_argument("--block", default="1", help="X[,Y[,Z]] threads per block")
  p.add_argument("--arg", action="append", default=[], help="NAME=DTYPE[COUNT]:SOURCE (buffer) or NAME=DTYPE:VALUE (scalar)")
  p.add_argument("--out", action="append", default=[], help="NAME=PATH.npy: save a buffer after the run")
  p.add_argument("--check", help='expression over the arguments, e.g. "c == a + b" (== is isclose for floats; see hwrt/check.py)')
  p.add_argument("--repeat", type=opt("repeat"), default=1, help="launch N times and report the timing")
  p.add_argument("--device", help="nv:N, amd:N, sim:nv[:chip] or sim:amd (default: the binary's vendor, its real GPU if present, else its sim)")
  p.add_argument("--timeout", type=opt("timeout"), default=10.0, help="seconds to wait for each launch")
  p.add_argument("--seed", type=opt("seed"), default=0, help="seed for rand buffers")
  p.add_argument("--flops", type=opt("flops"), help="floating-point operations per launch, for GFLOP/s (DEBUG=2)")
  p.add_argument("--bytes", type=opt("bytes"),
                 help="bytes moved per launch, for GB/s (DEBUG=2; default: the buffer arguments' sizes, an upper bound)")
  p.add_argument("--json", action="store_true", help="machine-readable result")

EM_AMDGPU = 224

def binary_vendor(data: bytes) -> str:
  """amd for an AMDGPU ELF (e_machine 224), else nv."""
  return "amd" if data[:4] == b"\x7fELF" and len(data) > 20 and int.from_bytes(data[18:20], "little") == EM_AMDGPU else "nv"

def load_binary(path: str, vendor: str = "nv") -> bytes:
  data = read_bytes(path, "asm" if path.endswith(".s") else "binary")
  if path.endswith(".s"):
    if vendor == "amd":
      from hwrt.assemblers.rdna3 import assemble_to_container as rdna3
      return rdna3(decode_text(data, path), "gfx1100")
    from hwrt.assemblers.sass import assemble_to_container
    return assemble_to_container(decode_text(data, path), "sm_90")
  return data

def evaluate_check(expr: str, env: dict) -> tuple[bool, str]:
  """The --check language (hwrt/check.py) over env: == between floats is isclose."""
  return compile_check(expr, env).evaluate(env)

def _copyin(dev, buf, arg):
  off = 0
  for piece in arg.chunks(COPY_CHUNK): dev.copyin(buf, piece, offset=off); off += piece.nbytes

def _copyout(dev, buf, count: int, dtype) -> np.ndarray:
  out = np.empty(count, dtype)
  mv = memoryview(out).cast("B")
  for off in range(0, mv.nbytes, COPY_CHUNK):
    n = min(COPY_CHUNK, mv.nbytes - off)
    mv[off:off + n] = dev.copyout(buf, n, off)
  return out

def run(args) -> int:
  from hwrt.devices import open_device, default_device
  grid, block = _dims(args.grid, "grid"), _dims(args.block, "block")
  rng = np.random.default_rng(args.seed)
  parsed = [Arg(s, rng) for s in args.arg]
  if len({a.name for a in parsed}) != len(parsed): raise BadArgument("two --arg with the same name")
  outs = []
  for o in args.out:
    name, _, path = o.partition("=")
    if not path or name not in {a.name for a in parsed if a.is_buffer}:
      raise BadArgument(f"--out {o!r}: expected NAME=PATH.npy naming a buffer --arg")
    outs.append((name, check_output(path, f"--out {name}")))
  check = compile_check(args.check, [a.name for a in parsed])
  if check: check.value({a.name: a.stand_in() for a in parsed})      # a non-boolean or ill-typed expression fails here
  from hwrt.devices import parse_device
  vendor = parse_device(args.device)[1] if args.device is not None else None
  binary = load_binary(args.binary, vendor or "nv")
  vendor = vendor or binary_vendor(binary)
  device = args.device or default_device(vendor)
  if not args.device and device.startswith("sim:") and not args.json:
    print(f"note: no {'AMD' if vendor == 'amd' else 'NVIDIA'} GPU here; running on the simulated GPU ({device})", file=sys.stderr)
  with open_device(device) as dev:
    prog = dev.load(binary, args.kernel)
    check_layout(prog.name, parsed, prog.params)
    bufs, kargs = {}, []
    for a in parsed:
      if a.is_buffer:
        b = bufs[a.name] = dev.alloc(a.nbytes)
        _copyin(dev, b, a)                           # made piece by piece into the device: one copy of each buffer
        a.release()                                  # at a time (bench/launch_memory.py)
        kargs.append(b)
      else: kargs.append(a.host.tobytes())
    nbytes = args.bytes if args.bytes is not None else sum(a.nbytes for a in parsed if a.is_buffer)
    if debug_level() >= 2 and args.bytes is None:
      print(f"note: GB/s counts {nbytes} bytes: every buffer argument read or written once, an upper bound (--bytes N to give it)",
            file=sys.stderr)
    times = []
    for _ in range(args.repeat):
      t0 = time.perf_counter()
      gpu_t = dev.launch(prog, kargs, grid, block, timeout=args.timeout, flops=args.flops, nbytes=nbytes)
      times.append(gpu_t or (time.perf_counter() - t0))
    env, needed = {}, {n for n, _ in outs} | (check.used if check else set())
    for a in parsed:
      if a.is_buffer:
        if a.name not in needed: continue            # a buffer neither --check nor --out reads stays on the device
        a.host = _copyout(dev, bufs[a.name], a.count, a.np_dt)
        dev.free(bufs.pop(a.name))
      env[a.name] = a.value()
    for name, path in outs:
      try: np.save(path, env[name])
      except OSError as e: raise BadArgument(f"--out {name}: cannot write {path}: {e.strerror}") from None
    ok, why = check.evaluate(env) if check else (True, "")
    for b in bufs.values(): dev.free(b)
    result = {"device": dev.name, "kernel": prog.name, "grid": grid, "block": block, "launches": len(times),
              "time_us": {"min": min(times) * 1e6, "median": statistics.median(times) * 1e6, "max": max(times) * 1e6},
              "check": None if not check else ok}
    if args.json: print(json.dumps(result))
    else:
      print(f"{prog.name} on {dev.name}: {len(times)} launch(es), median {result['time_us']['median']:.2f} us" +
            ("" if not check else f"; check {'passed' if ok else 'FAILED'}"))
    if not ok: raise CheckFailed(f"{args.check!r}: {why}")
  return 0
