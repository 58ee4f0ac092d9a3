"""`hwrt trace` and `hwrt sim-run`: the LD_PRELOAD bridge's command line (hwrt.sim.bridge builds the shim).

  hwrt trace [-o TRACE] [-q] [--also PATH=KIND] -- CMD ARGS...   run CMD with the shim; every open/ioctl/mmap/munmap/close it
      (and every process it forks or execs, every thread) makes on a GPU device node goes to TRACE (JSON Lines, 0600;
      default hwrt-trace.jsonl), decoded by hwrt.ioctl.decode; the listing is printed to stderr unless -q
  hwrt trace show TRACE [--summary]   the strace-like listing of a trace, or the call counts by request
  hwrt sim-run --device sim:nv|sim:amd|sim:intel -- CMD ARGS...   run CMD against hwrt's simulated GPU
The exit code is CMD's (128+N when a signal N ended it). `hwrt trace -- hwrt sim-run --device sim:nv -- CMD` traces a
simulated run (both modes in one shim)."""
from __future__ import annotations
import argparse, os, shutil, subprocess, sys, tempfile
from hwrt.errors import BadArgument, BadInput, HwrtError
from hwrt.inputs import check_output, decode_text, json_line, read_bytes

KIND_NAMES = ("nv", "uvm", "kfd", "drm")
SIM_VENDORS = {"sim:nv": "nv", "sim:amd": "amd", "sim:intel": "intel"}

def _split(rest: list[str]) -> list[str]:
  return rest[1:] if rest and rest[0] == "--" else rest

def _preload(shim: str, env: dict) -> str:
  parts = [p for p in env.get("LD_PRELOAD", "").replace(":", " ").split() if p and not os.path.basename(p).startswith("hwrt-shim-")]
  return " ".join([shim] + parts)

def static_binary(cmd0: str) -> bool:
  """whether CMD0 resolves to an ELF executable without a program interpreter (statically linked: LD_PRELOAD cannot reach it)"""
  import struct
  path = shutil.which(cmd0)
  try:
    with open(path or cmd0, "rb") as f: h = f.read(64)
    if h[:4] != b"\x7fELF" or h[4] != 2: return False
    phoff, = struct.unpack_from("<Q", h, 32); phentsize, phnum = struct.unpack_from("<HH", h, 54)
    with open(path or cmd0, "rb") as f:
      f.seek(phoff); ph = f.read(phentsize * phnum)
    return not any(struct.unpack_from("<I", ph, i * phentsize)[0] == 3 for i in range(phnum))   # PT_INTERP
  except (OSError, struct.error, TypeError): return False

def _run(cmd: list[str], env: dict) -> int:
  if static_binary(cmd[0]):
    print(f"hwrt: warning: {cmd[0]} is statically linked: the LD_PRELOAD shim cannot see its calls", file=sys.stderr)
  try: p = subprocess.Popen(cmd, env=env)
  except FileNotFoundError: raise BadArgument(f"no such program: {cmd[0]}")
  except PermissionError: raise BadArgument(f"cannot execute {cmd[0]}: permission denied")
  while True:
    try: rc = p.wait(); break
    except KeyboardInterrupt: continue            # the child got the SIGINT too; its exit decides
  return 128 - rc if rc < 0 else rc

# ---- hwrt trace
def add_args_trace(p: argparse.ArgumentParser):
  p.add_argument("-o", "--output", default="hwrt-trace.jsonl", help="JSON Lines trace to write (0600; default %(default)s)")
  p.add_argument("-q", "--quiet", action="store_true", help="do not print the listing")
  p.add_argument("--also", action="append", default=[], metavar="PATH=KIND",
                 help=f"also treat PATH as a device node of KIND ({', '.join(KIND_NAMES)}); for tests without a GPU")
  p.add_argument("rest", nargs=argparse.REMAINDER, help="-- CMD ARGS..., or: show TRACE [--summary]")

def run_trace(args) -> int:
  rest = args.rest
  if rest and rest[0] == "show": return _show(rest[1:])
  cmd = _split(rest)
  if not cmd: raise BadArgument("no command given: hwrt trace [-o TRACE] -- CMD ARGS...  (or: hwrt trace show TRACE)")
  for a in args.also:
    path, _, kind = a.partition("=")
    if not path.startswith("/") or kind not in KIND_NAMES: raise BadArgument(f"--also {a!r}: expected /ABSOLUTE/PATH=KIND, KIND one of {', '.join(KIND_NAMES)}")
  check_output(args.output, "trace")
  from hwrt.sim.bridge import build
  from hwrt.sim.bridge.records import collect, write_jsonl, format_record
  shim = build()
  raw = tempfile.mkdtemp(prefix="hwrt-trace-")    # 0700
  env = dict(os.environ, LD_PRELOAD=_preload(shim, os.environ), HWRT_TRACE_DIR=raw)
  if args.also: env["HWRT_TRACE_ALSO"] = ";".join(args.also)
  try:
    rc = _run(cmd, env)
    records = collect(raw, shim)
  finally: shutil.rmtree(raw, ignore_errors=True)
  try: write_jsonl(records, args.output)
  except OSError as e: raise BadInput(f"cannot write trace {args.output}: {e.strerror}") from None
  if not args.quiet:
    for r in records: print(format_record(r), file=sys.stderr)
  nproc = len({r["pid"] for r in records})
  ncall = sum(r["call"] != "process" for r in records)
  print(f"hwrt trace: {ncall} calls from {nproc} process{'es' if nproc != 1 else ''} -> {args.output} "
        f"(hwrt trace show {args.output} [--summary])", file=sys.stderr)
  return rc

def _show(argv: list[str]) -> int:
  p = argparse.ArgumentParser(prog="hwrt trace show", description="print a JSON Lines trace as a readable listing")
  p.add_argument("trace")
  p.add_argument("--summary", action="store_true", help="count calls by request instead")
  p.add_argument("--pid", type=int, help="only this process")
  try: a = p.parse_args(argv)
  except SystemExit as e: raise BadArgument("usage: hwrt trace show TRACE [--summary] [--pid PID]") from e
  from hwrt.sim.bridge.records import format_record, format_summary
  if not os.path.exists(a.trace): raise BadInput(f"no such trace: {a.trace}")
  records = load_trace(a.trace)
  if a.pid is not None: records = [r for r in records if r.get("pid") == a.pid]
  try:
    if a.summary: print(format_summary(records))
    else:
      for r in records: print(format_record(r))
  except BrokenPipeError: raise
  except (KeyError, TypeError, ValueError, AttributeError, IndexError, OverflowError, OSError) as e:
    raise BadInput(f"{a.trace}: not an hwrt trace ({type(e).__name__}: {str(e)[:200]})") from None
  return 0

def load_trace(path: str) -> list[dict]:
  """A JSON Lines trace through the input layer: a regular file within the size limit, UTF-8, one JSON object a line."""
  text, out = decode_text(read_bytes(path, "trace"), path), []
  for i, line in enumerate(text.split("\n"), 1):
    if not line.strip(): continue
    try: r = json_line(line, f"{path}:{i}")
    except ValueError as e: raise BadInput(f"{path}:{i}: not a JSON Lines trace ({str(e)[:200]})") from None
    if not isinstance(r, dict): raise BadInput(f"{path}:{i}: not a trace record (a JSON object)")
    out.append(r)
  return out

# ---- hwrt sim-run
def add_args_sim_run(p: argparse.ArgumentParser):
  p.add_argument("--device", required=True, help="the simulated GPU: " + ", ".join(SIM_VENDORS))
  p.add_argument("--keep-root", action="store_true", help="keep the shadow sysfs/procfs tree and print where it is")
  p.add_argument("rest", nargs=argparse.REMAINDER, help="-- CMD ARGS...")

def run_sim_run(args) -> int:
  base, _, chip = args.device.partition(":")[2].partition(":")
  vendor = SIM_VENDORS.get(f"sim:{base}") if args.device.startswith("sim:") else None
  if not vendor: raise BadArgument(f"unknown simulated device {args.device!r} (expected {', '.join(SIM_VENDORS)} or sim:nv:<chip>)")
  if chip:
    from hwrt.devices import parse_device
    parse_device(args.device)          # BadArgument for an unknown board
  cmd = _split(args.rest)
  if not cmd: raise BadArgument("no command given: hwrt sim-run --device sim:nv -- CMD ARGS...")
  from hwrt.sim.bridge import build, libpython
  from hwrt.sim.bridge.host import build_shadow
  shim = build()
  root = tempfile.mkdtemp(prefix="hwrt-simroot-")
  try:
    prefixes = build_shadow(vendor, root, chip)
    if len(prefixes) > 128 or any(len(p) > 255 for p in prefixes):
      raise HwrtError(f"the simulator shows {len(prefixes)} path prefixes; the shim takes 128 of at most 255 characters")
    env = dict(os.environ, LD_PRELOAD=_preload(shim, os.environ), HWRT_SIM=vendor, HWRT_SIM_ROOT=root, HWRT_SIM_GPU=chip,
               HWRT_SIM_PREFIXES=";".join(prefixes), HWRT_PYLIB=libpython() or "",
               HWRT_PYPATH=os.pathsep.join(p for p in sys.path if p and os.path.isdir(p)))
    # a program that dlopens libc by path and calls through that handle (ctypes: tinygrad's libc.mmap) bypasses LD_PRELOAD;
    # tinygrad takes its libc from $LIBC_PATH when set: the shim (which exports mmap/munmap/ioctl and needs libc for the rest)
    env.setdefault("LIBC_PATH", shim)
    return _run(cmd, env)
  finally:
    if args.keep_root: print(f"hwrt sim-run: shadow tree kept at {root}", file=sys.stderr)
    else: shutil.rmtree(root, ignore_errors=True)
