"""`hwrt` command line. Each subcommand lives in its own module exposing `add_args(parser)` and `run(args) -> int`.
Errors from hwrt become one line on stderr and exit code 2 (bad input) or 1 (failure found); DEBUG=1 shows the traceback."""
import argparse, importlib, os, sys
from hwrt.errors import HwrtError
from hwrt.helpers import debug_level

class Parser(argparse.ArgumentParser):
  """argparse, but a usage error is one line (`hwrt launch: bad argument: ...`) and exit 2, not the usage text."""
  def error(self, message: str):
    print(f"{self.prog}: bad argument: {message} (--help shows the usage)", file=sys.stderr)
    raise SystemExit(2)

# name -> (module, help). A module that is not built yet is reported as such, never as a traceback.
COMMANDS = {
  "devices": ("hwrt.devices", "list GPUs found through the kernel interfaces (and the simulated ones)"),
  "launch":  ("hwrt.launch", "load a kernel binary (or assemble a .s), set up buffers, launch, wait, check, time"),
  "asm":     ("hwrt.assemblers.cli", "assemble SASS (sm_XX), RDNA3 (gfx1100) or Xe-HPG (xe-hpg) text into a cubin / code object / Intel binary"),
  "disasm":  ("hwrt.assemblers.cli", "disassemble a cubin / HSA code object / ocloc binary / raw SASS words"),
  "stress":  ("hwrt.stress.cli", "run workloads or any command in loops, many at once, watching the kernel for failures"),
  "repro":   ("hwrt.repro.cli", "turn a stress journal into a minimal standalone bug repro, and verify it"),
  "trace":   ("hwrt.sim.bridge_cli", "trace every GPU ioctl a program makes (LD_PRELOAD shim)"),
  "sim-run": ("hwrt.sim.bridge_cli", "run an unmodified program against a simulated GPU"),
}

def _hook(m, verb: str, name: str):
  return getattr(m, f"{verb}_{name.replace('-', '_')}", None) or getattr(m, verb)

def build_parser(chosen: str | None = None) -> argparse.ArgumentParser:
  """Only the chosen subcommand's module is imported, so one broken or missing module never breaks the others."""
  ap = Parser(prog="hwrt", description="GPU driver-level bring-up and runtime toolkit")
  sub = ap.add_subparsers(dest="command", metavar="COMMAND")
  for name, (mod, hlp) in COMMANDS.items():
    p = sub.add_parser(name, help=hlp, description=hlp)
    p.set_defaults(_module=mod)
    if name != chosen: continue
    try: m = importlib.import_module(mod)
    except ModuleNotFoundError as e:
      if e.name and mod.startswith(e.name): p.set_defaults(_missing=True); continue
      raise
    _hook(m, "add_args", name)(p)
  return ap

def _quiet_stdout():
  """stdout was closed under us (`| head`): point it at /dev/null so the interpreter's final flush stays quiet too."""
  try:
    fd = os.open(os.devnull, os.O_WRONLY)
    os.dup2(fd, sys.stdout.fileno()); os.close(fd)
  except (OSError, ValueError, AttributeError): pass

def main(argv=None) -> int:
  argv = sys.argv[1:] if argv is None else list(argv)
  ap = build_parser(next((a for a in argv if not a.startswith("-")), None))
  try: args = ap.parse_args(argv)
  except SystemExit as e: return e.code if isinstance(e.code, int) else 2
  if not args.command: ap.print_help(); return 2
  name = f"hwrt {args.command}"
  try:
    if getattr(args, "_missing", False): raise HwrtError(f"'hwrt {args.command}' is not built yet")
    m = importlib.import_module(args._module)
    rc = int(_hook(m, "run", args.command)(args) or 0)
    sys.stdout.flush()
    return rc
  except BrokenPipeError:
    _quiet_stdout(); return 0
  except HwrtError as e:
    if debug_level(): raise
    print(f"{name}: {e.line()}", file=sys.stderr)
    return e.exit_code
  except KeyboardInterrupt:
    print(f"{name}: interrupted", file=sys.stderr); return 130
  except MemoryError:
    print(f"{name}: out of host memory", file=sys.stderr); return 1
  except Exception as e:       # a bug of ours: still one line, and the way to see more
    if debug_level(): raise
    first = str(e).splitlines()[0][:300] if str(e) else ""
    print(f"{name}: internal error: {type(e).__name__}: {first} (DEBUG=1 shows the traceback)", file=sys.stderr)
    return 1

def entry(): sys.exit(main())
if __name__ == "__main__": entry()
