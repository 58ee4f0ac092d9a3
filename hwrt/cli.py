"""`hwrt` command line. Each subcommand lives in its own module exposing `add_args(parser)` and `run(args) -> int`.
Errors from hwrt become one line on stderr and exit code 2 (bad input) or 1 (failure found); DEBUG=1 shows the traceback."""
import argparse, importlib, os, sys
from hwrt.errors import HwrtError

# name -> (module, help). A module that is not built yet is reported as such, never as a traceback.
COMMANDS = {
  "devices": ("hwrt.devices", "list GPUs found through the kernel interfaces (and the simulated ones)"),
  "launch":  ("hwrt.launch", "load a kernel binary (or assemble a .s), set up buffers, launch, wait, check, time"),
  "asm":     ("hwrt.assemblers.cli", "assemble SASS (sm_90) or RDNA3 (gfx1100) text into a cubin / code object"),
  "disasm":  ("hwrt.assemblers.cli", "disassemble a cubin / HSA code object / raw words"),
  "stress":  ("hwrt.stress.cli", "run workloads or any command in loops, many at once, watching the kernel for failures"),
  "repro":   ("hwrt.repro.cli", "turn a stress journal into a minimal standalone bug repro, and verify it"),
  "trace":   ("hwrt.sim.bridge_cli", "trace every GPU ioctl a program makes (LD_PRELOAD shim)"),
  "sim-run": ("hwrt.sim.bridge_cli", "run an unmodified program against a simulated GPU"),
}

def build_parser() -> argparse.ArgumentParser:
  ap = argparse.ArgumentParser(prog="hwrt", description="GPU driver-level bring-up and runtime toolkit")
  sub = ap.add_subparsers(dest="command", metavar="COMMAND")
  for name, (mod, hlp) in COMMANDS.items():
    p = sub.add_parser(name, help=hlp, description=hlp)
    p.set_defaults(_module=mod)
    try: m = importlib.import_module(mod)
    except ModuleNotFoundError as e:
      if e.name and mod.startswith(e.name): p.set_defaults(_missing=True); continue
      raise
    getattr(m, f"add_args_{name.replace('-', '_')}", getattr(m, "add_args"))(p)
  return ap

def main(argv=None) -> int:
  ap = build_parser()
  args = ap.parse_args(argv)
  if not args.command: ap.print_help(); return 2
  try:
    if getattr(args, "_missing", False): raise HwrtError(f"'hwrt {args.command}' is not built yet")
    m = importlib.import_module(args._module)
    return int(getattr(m, f"run_{args.command.replace('-', '_')}", getattr(m, "run", None))(args) or 0)
  except HwrtError as e:
    if os.environ.get("DEBUG", "0") not in ("", "0"): raise
    print(f"hwrt {args.command}: {e.line()}", file=sys.stderr)
    return e.exit_code
  except KeyboardInterrupt:
    print(f"hwrt {args.command}: interrupted", file=sys.stderr); return 130

def entry(): sys.exit(main())
if __name__ == "__main__": entry()
