"""Device selection and `hwrt devices`. Names: nv:N, amd:N, intel:N for real GPUs; sim:nv (sim:amd, sim:intel once built)
for the simulated ones. Enumeration goes through kernel interfaces only (RM ioctls, KFD sysfs topology, DRM ioctls); the
simulated devices are enumerated by running the very same code against the simulator's syscall seam."""
from __future__ import annotations
import importlib, json, sys
from hwrt.errors import BadArgument, DriverNotPresent, HwrtError
from hwrt.ioctl.syscalls import HOST, Syscalls

# vendor -> (module with enumerate_gpus(sys) and open_device(sys, index, name)); sims -> (module with machine(**opts))
VENDORS = {"nv": "hwrt.drivers.nv.device", "amd": "hwrt.drivers.amd.device", "intel": "hwrt.drivers.intel.topology"}
SIMS = {"nv": "hwrt.sim.kernel", "amd": "hwrt.sim.kernel"}

def _import(mod: str):
  try: return importlib.import_module(mod)
  except ModuleNotFoundError as e:
    if e.name and mod.startswith(e.name): return None
    raise

def sim_syscalls(vendor: str) -> Syscalls:
  m = _import(SIMS.get(vendor, ""))
  if m is None: raise DriverNotPresent(f"no simulated {vendor} GPU in this build")
  return m.sim_syscalls(vendor)

def enumerate_devices(include_real=True, include_sim=True) -> tuple[list[dict], list[str]]:
  """Returns (devices, notes). A vendor whose driver is absent contributes nothing; one that fails contributes a note."""
  devs, notes = [], []
  for vendor, mod in VENDORS.items():
    targets = ([("", HOST)] if include_real else []) + ([("sim:", None)] if include_sim and vendor in SIMS else [])
    for prefix, sysc in targets:
      m = _import(mod)
      if m is None: continue
      try:
        if sysc is None: sysc = sim_syscalls(vendor)
        for g in m.enumerate_gpus(sysc):
          g["device"] = f"sim:{vendor}" if prefix else f"{vendor}:{g['index']}"
          g["simulated"] = bool(prefix)
          devs.append(g)
      except DriverNotPresent: pass
      except HwrtError as e: notes.append(f"{prefix}{vendor}: {e.line()}")
  return devs, notes

def parse_device(name: str) -> tuple[str, str, int]:
  """'nv:0' -> ('real', 'nv', 0); 'sim:nv' -> ('sim', 'nv', 0)."""
  kind, _, rest = (name or "").partition(":")
  if kind == "sim" and rest in SIMS: return "sim", rest, 0
  if kind == "sim" and rest in VENDORS: raise DriverNotPresent(f"no simulated {rest} GPU in this build (sim:{rest})")
  if kind in VENDORS and rest.isdigit(): return "real", kind, int(rest)
  raise BadArgument(f"unknown device {name!r} (expected nv:N, amd:N, intel:N or {' or '.join('sim:' + v for v in SIMS)})")

def default_device(vendor: str = "nv") -> str:
  """The real GPU of that vendor when one is present, else its simulated GPU."""
  if vendor == "amd": return "amd:0" if HOST.exists("/dev/kfd") else "sim:amd"
  if HOST.exists("/dev/nvidiactl"): return "nv:0"
  return "sim:nv"

def open_device(name: str | None = None):
  """A driver device object (drivers/base.py Device, a context manager) for nv:N, amd:N or sim:VENDOR."""
  kind, vendor, index = parse_device(name or default_device())
  m = _import(VENDORS[vendor])
  if m is None or not hasattr(m, "open_device"): raise HwrtError(f"the {vendor} driver cannot launch kernels yet")
  return m.open_device(sim_syscalls(vendor) if kind == "sim" else HOST, index, name or default_device())

# ---- hwrt devices ----
def add_args(p):
  p.add_argument("--json", action="store_true", help="machine-readable output")
  p.add_argument("--no-sim", action="store_true", help="do not list simulated devices")

COLUMNS = [("device", "device"), ("name", "name"), ("arch", "arch"), ("pci", "PCI"), ("driver", "driver"),
           ("compute_units", "SMs/CUs"), ("vram_bytes", "memory"), ("compute_class", "compute class")]

def _fmt(key, v):
  if v is None: return "-"
  if key == "vram_bytes": return f"{v / 2**30:.1f} GiB"
  if key == "compute_class": return f"{v:#06x}" if isinstance(v, int) else str(v)
  return str(v)

def run(args) -> int:
  devs, notes = enumerate_devices(include_sim=not args.no_sim)
  if args.json:
    print(json.dumps({"devices": devs, "notes": notes}, indent=2, default=str))
    return 0
  real = [d for d in devs if not d["simulated"]]
  if not real: print("No GPU found through the kernel interfaces (no /dev/nvidiactl, /dev/kfd or DRM render node with a GPU driver).")
  if devs:
    from rich.console import Console
    from rich.table import Table
    t = Table(title="GPUs" if real else "Simulated GPUs (hwrt's own, behind the same kernel interface)")
    for _, title in COLUMNS: t.add_column(title)
    for d in devs: t.add_row(*[_fmt(k, d.get(k)) for k, _ in COLUMNS])
    Console(width=None if sys.stdout.isatty() else 160).print(t)
  for n in notes: print(f"note: {n}", file=sys.stderr)
  return 0
