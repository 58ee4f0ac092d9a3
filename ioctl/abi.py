"""Loader for the kernel-ABI text tables in ioctl/*.txt (one file per interface).

File format (lines starting with '#' are comments, blank lines ignored):
  %% requires drm            other interfaces this one's declarations use (loaded first)
  %% cdef                    C declarations as the kernel header spells them; fed to the shared ffi.cdef
  %% ioctls                  NAME DIR TYPE NR STRUCT...   DIR: IO IOR IOW IOWR, or RAW (NR is the whole request, TYPE '-')
                             STRUCT: a C type ('struct drm_version', 'NVOS21_PARAMETERS', 'nv_ioctl_card_info_t[32]') or '-'
                             A NAME may repeat with another STRUCT (same nr, other size): the first row is the default.
  %% constants               NAME VALUE   VALUE: an integer expression over earlier names, 'c' char, or HI:LO (a bit range)
  %% rm_classes              NAME ID PARAMS ALLOC GEN   (NVIDIA) ALLOC: req / opt / - ; GEN: all or a generation
  %% rm_controls             NAME CMD PARAMS            (NVIDIA)
  %% rm_chips                CHIP ARCH IMPL GEN COMPUTE DMA GPFIFO USERMODE   (NVIDIA)
  %% pointers                OWNER.FIELD -> TARGET[COUNT] [min N]: FIELD of struct OWNER points at COUNT (a field of OWNER) TARGETs
Every NAME becomes an attribute of the interface module (hwrt.ioctl.<name>): an ioctl's value is its request number."""
from __future__ import annotations
import re
from dataclasses import dataclass, field
from pathlib import Path
from hwrt.ioctl.ffi import ffi
from hwrt.ioctl import ioc

HERE = Path(__file__).resolve().parent
SECTIONS = ("requires", "cdef", "ioctls", "constants", "rm_classes", "rm_controls", "rm_chips", "pointers")

@dataclass
class Ioctl:
  name: str
  dir: str            # IO IOR IOW IOWR RAW
  type: int | None    # _IOC type byte (None for RAW)
  nr: int
  struct: str | None  # C type of the argument, None for no argument
  request: int
  size: int
  interface: str = ""
  @property
  def elem(self) -> str | None:
    """for 'T[N]' arguments, T (the kernel takes any count; the size says how many)"""
    m = re.fullmatch(r"(.+?)\s*\[(\d+)\]", self.struct or "")
    return m.group(1) if m else None

@dataclass
class RmClass:
  name: str
  id: int
  params: str | None
  alloc: str          # 'req' (params required), 'opt' (optional), '-' (takes none)
  gen: str

@dataclass
class RmControl:
  name: str
  cmd: int
  params: str | None

@dataclass
class RmChip:
  chip: str
  arch: int
  impl: int
  gen: str
  compute: str
  dma: str
  gpfifo: str
  usermode: str

@dataclass
class Pointer:
  owner: str          # C type of the argument struct
  field: str
  target: str         # C type of one element
  count: str          # field of the owner holding the element count
  min: int = 1        # fewer elements than this: the field is not a pointer (a union with inline data)

@dataclass
class Interface:
  name: str
  path: Path
  requires: list[str] = field(default_factory=list)
  cdef: str = ""
  structs: list[str] = field(default_factory=list)      # every struct/union/typedef name declared by this file, in order
  ioctls: dict[str, Ioctl] = field(default_factory=dict)  # NAME -> default row
  ioctl_rows: list[Ioctl] = field(default_factory=list)
  by_request: dict[int, Ioctl] = field(default_factory=dict)
  constants: dict[str, object] = field(default_factory=dict)
  rm_classes: dict[str, RmClass] = field(default_factory=dict)
  rm_controls: dict[str, RmControl] = field(default_factory=dict)
  rm_chips: dict[str, RmChip] = field(default_factory=dict)
  pointers: dict[str, list[Pointer]] = field(default_factory=dict)   # owner C type -> its pointer fields
  ffi = ffi

  def names(self) -> dict[str, object]:
    """every exported NAME -> value (ioctls -> request, constants, rm class ids, rm control cmds)"""
    out: dict[str, object] = dict(self.constants)
    out.update({c.name: c.id for c in self.rm_classes.values()})
    out.update({c.name: c.cmd for c in self.rm_controls.values()})
    out.update({i.name: i.request for i in self.ioctls.values()})
    return out
  def request(self, name: str, struct: str | None = None) -> int:
    """request number of ioctl NAME, for the row whose argument type is STRUCT (default: the first row)"""
    rows = [r for r in self.ioctl_rows if r.name == name and (struct is None or r.struct == struct)]
    if not rows: raise KeyError(f"{self.name}: no ioctl {name}" + (f" with {struct}" if struct else ""))
    return rows[0].request
  def rm_class_by_id(self, cid: int) -> RmClass | None:
    return next((c for c in self.rm_classes.values() if c.id == cid), None)
  def rm_control_by_cmd(self, cmd: int) -> RmControl | None:
    return next((c for c in self.rm_controls.values() if c.cmd == cmd), None)

def declared_fields(ctype: str) -> list:
  """(path, cffi field) for every named, non-bit-field member of a struct/union, sub-structs as a.b (what the ABI
  conformance tests compare field by field)"""
  def walk(t, prefix):
    for n, f in t.fields:
      if not n or f.bitsize >= 0: continue
      yield prefix + n, f
      if f.type.kind in ("struct", "union"): yield from walk(f.type, prefix + n + ".")
  return list(walk(ffi.typeof(ctype), ""))

_loaded: dict[str, Interface] = {}
_ctypes: dict[str, object] = {}

def ctype(name: str):
  """ffi.typeof(name) without a pycparser run per name for declared struct/union/typedef names (cdef-time models),
  falling back to ffi.typeof for anything else ('T[4]', 'T *')"""
  c = _ctypes.get(name)
  if c is None:
    key = name if name.startswith(("struct ", "union ")) else "typedef " + name
    decl = ffi._parser._declarations.get(key)
    try:
      with ffi._lock: c = ffi._get_cached_btype(decl[0])   # the same object ffi.typeof returns
    except Exception: c = ffi.typeof(name)
    _ctypes[name] = c
  return c
def sizeof(name: str) -> int: return ffi.sizeof(ctype(name))
def _declared_types(cdef: str, prefer_tags: bool) -> list[str]:
  """struct/union types declared, one name each, in declaration order: with PREFER_TAGS (kernel uapi style) 'struct tag'
  where the type has a tag, else the first typedef name (NVIDIA style) where it has one"""
  text = re.sub(r"/\*.*?\*/|//[^\n]*", "", cdef, flags=re.S)
  found = []
  for m in re.finditer(r"\b(struct|union)\s+(\w+)\s*\{|\}\s*(\w+)\s*;|typedef\s+(?:struct\s+|union\s+)?\w+\s+(\w+)\s*;", text):
    name = f"{m.group(1)} {m.group(2)}" if m.group(1) else (m.group(3) or m.group(4))
    found.append((m.start() if m.group(1) else m.end(), name))
  out: dict = {}   # ctype -> name (the first typedef name if there is one, else 'struct tag')
  for _, n in sorted(found):
    try: t = ctype(n)
    except Exception: continue
    if t.kind not in ("struct", "union"): continue
    tagged = n.startswith(("struct ", "union "))
    if t not in out or (tagged == prefer_tags and out[t].startswith(("struct ", "union ")) != prefer_tags): out[t] = n
  return list(out.values())

def _eval(expr: str, env: dict) -> object:
  expr = expr.strip()
  m = re.fullmatch(r"(\d+):(\d+)", expr)
  if m: return (int(m.group(1)), int(m.group(2)))
  expr = re.sub(r"'(\\?.)'", lambda m: str(ord(m.group(1)[-1])), expr)
  expr = re.sub(r"\b(0[xX][0-9a-fA-F]+|\d+)[uUlL]+\b", r"\1", expr)
  if not re.fullmatch(r"[\w\s()+\-*|&<>~^]+", expr): raise ValueError(f"bad constant expression {expr!r}")
  return eval(expr, {"__builtins__": {}}, env)

def load(name: str) -> Interface:
  if name in _loaded: return _loaded[name]
  path = HERE / f"{name}.txt"
  iface = Interface(name, path)
  sections: dict[str, list[str]] = {k: [] for k in SECTIONS}
  cur = None
  for raw in path.read_text().splitlines():
    if raw.startswith("%%"):
      parts = raw[2:].split()
      if not parts or parts[0] not in SECTIONS: raise ValueError(f"{path}: unknown section {raw!r}")
      cur = parts[0]
      if cur == "requires": iface.requires += parts[1:]
      continue
    if cur is None: continue
    if cur == "cdef": sections[cur].append(raw); continue
    line = raw.split("#", 1)[0].rstrip() if not re.search(r"'#'", raw) else raw.rstrip()
    if line.strip(): sections[cur].append(line)
  for req in iface.requires: load(req)
  iface.cdef = "\n".join(sections["cdef"])
  if iface.cdef.strip(): ffi.cdef(iface.cdef)
  prefer_tags = any(re.match(r"(struct|union) ", line.split(None, 4)[4] if len(line.split(None, 4)) > 4 else "") for line in sections["ioctls"])
  iface.structs = _declared_types(iface.cdef, prefer_tags)
  env: dict = {}
  for req in iface.requires: env.update(load(req).constants)
  for line in sections["constants"]:
    n, v = line.split(None, 1)
    iface.constants[n] = env[n] = _eval(v, env)
  for line in sections["ioctls"]:
    n, d, t, nr, st = (line.split(None, 4) + ["-"])[:5]
    st = st.strip()
    struct = None if st == "-" else st
    size = sizeof(struct) if struct else 0
    nrv = _eval(nr, env)
    if d == "RAW": row = Ioctl(n, d, None, nrv, struct, nrv, size, name)
    else:
      tv = _eval(t, env)
      row = Ioctl(n, d, tv, nrv, struct, ioc.IOC(ioc.DIRS[d], tv, nrv, size), size, name)
    iface.ioctl_rows.append(row)
    iface.ioctls.setdefault(n, row)
    iface.by_request.setdefault(row.request, row)
  for line in sections["rm_classes"]:
    n, cid, params, alloc, gen = line.split()
    iface.rm_classes[n] = RmClass(n, _eval(cid, env), None if params == "-" else params, alloc, gen)
  for line in sections["rm_controls"]:
    n, cmd, params = line.split()
    iface.rm_controls[n] = RmControl(n, _eval(cmd, env), None if params == "-" else params)
  for line in sections["rm_chips"]:
    chip, arch, impl, gen, comp, dma, gp, um = line.split()
    iface.rm_chips[chip] = RmChip(chip, _eval(arch, env), _eval(impl, env), gen, comp, dma, gp, um)
  for line in sections["pointers"]:
    m = re.fullmatch(r"(.+?)\.(\w+)\s*->\s*(.+?)\s*\[(\w+)\](?:\s+min\s+(\d+))?", line.strip())
    if not m: raise ValueError(f"{path}: bad pointer row {line!r}")
    iface.pointers.setdefault(m.group(1), []).append(Pointer(m.group(1), m.group(2), m.group(3), m.group(4), int(m.group(5) or 1)))
  _loaded[name] = iface
  return iface

def export(module_name: str, name: str) -> Interface:
  """make every NAME of interface NAME an attribute of module MODULE_NAME, plus `ffi` and `iface`"""
  import sys
  iface = load(name)
  mod = sys.modules[module_name]
  mod.__dict__.update(iface.names())
  mod.ffi, mod.iface = ffi, iface
  return iface

INTERFACES = ("drm", "amdgpu", "i915", "xe", "kfd", "nv", "uvm")
def load_all() -> dict[str, Interface]:
  return {n: load(n) for n in INTERFACES if (HERE / f"{n}.txt").exists()}
