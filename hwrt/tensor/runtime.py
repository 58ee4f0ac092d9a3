"""The tensor executor's one seam to the drivers: open a device, allocate/free/copy buffers, turn generated assembly into a
program (own assembler + own container, cached by content) and launch it. Nothing else in hwrt/tensor imports drivers/.
Counters (kernels launched, copies) serve the tests; PROFILE=1 writes a Chrome/Perfetto trace of kernels and copies."""
from __future__ import annotations
import atexit, collections, hashlib, json, os, sys, time, weakref
from hwrt.errors import BadArgument
from hwrt.helpers import getenv

STATS = {"kernels": 0, "copies": 0, "compiled": 0}
LOG: collections.deque = collections.deque(maxlen=4096)   # per launch: name, seconds (GPU timestamps), flops, bytes
_devices: dict[str, "Device"] = {}
_trace: list[dict] = []
BLOCK = 128                                  # threads per block of every generated kernel

BACKENDS = {"nv": "sass", "amd": "rdna3"}

def arch_of(name: str) -> str:
  """The back end a device name selects: SASS for nv:N / sim:nv, RDNA3 for amd:N / sim:amd."""
  vendor = name.split(":")[-1] if name.startswith("sim:") else name.split(":")[0]
  if vendor not in BACKENDS: raise BadArgument(f"the tensor executor has no {vendor} back end yet (devices: sim:nv, nv:N, sim:amd, amd:N)")
  return BACKENDS[vendor]

class Buffer:
  """A device allocation owned by a realized tensor; freed when the last reference to it goes."""
  def __init__(self, dev: "Device", nbytes: int):
    self.dev, self.nbytes, self.raw = dev, nbytes, dev.drv.alloc(max(nbytes, 4))
    self._fin = weakref.finalize(self, dev._free, self.raw)
  @property
  def va(self) -> int: return self.raw.va

class Device:
  def __init__(self, name: str):
    from hwrt.devices import open_device
    self.name, self.arch = name, arch_of(name)
    self.drv = open_device(name)
    self.live, self.programs = 0, {}
  def alloc(self, nbytes: int) -> Buffer: self.live += 1; return Buffer(self, nbytes)
  def _free(self, raw):
    self.live -= 1
    if self.drv is not None: self.drv.free(raw)
  def copyin(self, buf: Buffer, data: bytes):
    with _span("copyin", "copy", len(data)): self.drv.copyin(buf.raw, data)
    STATS["copies"] += 1
  def copyout(self, buf: Buffer, nbytes: int) -> bytes:
    with _span("copyout", "copy", nbytes): out = self.drv.copyout(buf.raw, nbytes)
    STATS["copies"] += 1
    return out
  def program(self, src: str):
    """Assembly text -> loaded program, cached by the text's hash (the kernel's content)."""
    key = hashlib.sha256(src.encode()).hexdigest()
    if key not in self.programs:
      if self.arch == "sass":
        from hwrt.assemblers.sass import assemble_to_container
        self.programs[key] = self.drv.load(assemble_to_container(src, "sm_90"))
      else:
        from hwrt.assemblers.rdna3 import assemble_to_container
        self.programs[key] = self.drv.load(assemble_to_container(src, "gfx1100"))
      STATS["compiled"] += 1
    return self.programs[key]
  def launch(self, src: str, bufs: list[Buffer], n: int, flops: int, nbytes: int, block: int = BLOCK) -> float:
    prog = self.program(src)
    grid = (max(1, -(-n // block)), 1, 1)
    t0 = time.perf_counter()
    t = self.drv.launch(prog, [b.raw for b in bufs], grid, (block, 1, 1), flops=flops or None, nbytes=nbytes)
    if getenv("PROFILE", 0): _trace.append(_event(prog.name, "kernel", t0, t or time.perf_counter() - t0, {"grid": grid[0], "flops": flops}))
    STATS["kernels"] += 1
    LOG.append({"name": prog.name, "s": t, "flops": flops, "bytes": nbytes, "grid": grid[0], "block": block})
    return t
  def close(self):
    drv, self.drv = self.drv, None
    for p in self.programs.values(): p.close()
    drv.close()

def device(name: str | None) -> Device:
  if name is None:
    from hwrt.devices import default_device
    name = default_device()
  if name not in _devices: _devices[name] = Device(name)
  return _devices[name]

def _event(name, cat, t0, dur, args=None):
  return {"name": name, "cat": cat, "ph": "X", "ts": t0 * 1e6, "dur": dur * 1e6, "pid": 0, "tid": cat, "args": args or {}}

class _span:
  def __init__(self, name, cat, nbytes): self.name, self.cat, self.nbytes = name, cat, nbytes
  def __enter__(self): self.t0 = time.perf_counter()
  def __exit__(self, *a):
    if getenv("PROFILE", 0): _trace.append(_event(self.name, self.cat, self.t0, time.perf_counter() - self.t0, {"bytes": self.nbytes}))

def write_trace(path: str | None = None) -> str | None:
  """Chrome trace JSON (chrome://tracing, ui.perfetto.dev) of everything recorded since the start; PROFILE_PATH names it."""
  if not _trace: return None
  path = path or os.environ.get("PROFILE_PATH", "hwrt_profile.json")
  with open(path, "w") as f: json.dump({"traceEvents": _trace}, f)
  print(f"PROFILE: {len(_trace)} events written to {path}", file=sys.stderr)
  return path

@atexit.register
def _shutdown():
  if getenv("PROFILE", 0): write_trace()
  for d in list(_devices.values()):
    try: d.close()
    except Exception: pass     # interpreter teardown: the device may already be gone
  _devices.clear()
