"""ioctl decoder: (device kind, request number, argument bytes) -> the ioctl's name and its fields by name.

Used by error messages (syscalls.ioctl_error), DEBUG=3 logging, the tracer and the repro writer.
  decode(kind, request, data, path=None, nested=None, driver=None) -> dict
    name      the ioctl's header name, or '_IOWR('F', 0x2b, 48)' style when unknown
    fields    struct fields by name: nested dicts for sub-structs/unions, lists for arrays, str for char arrays
    known     False for unknown requests (fields are then dir/type/nr/size)
    struct    the argument's C type; interface: which table matched
    symbols   {field path: symbolic name} for ids the tables know (RM class, RM control cmd, NV status, ...)
    pointers  [(field, address, C type, size)] user memory the argument points to: NVOS21 pAllocParms by hClass, NVOS54
              params by cmd, and each table's `%% pointers` rows (i915 execbuffer objects, xe syncs, KFD device ids, ...);
              a tracer reads those bytes and passes them back as `nested`
    nested    {field: decoded dict} for each pointer whose bytes were given in nested={field: bytes}
  kind: "nv" "uvm" "kfd" "drm" or None (None tries every table). For DRM driver ioctls (nr >= 0x40) the driver comes from
  `driver` ("amdgpu" "i915" "xe"), else from `path` (register_drm_driver(path, name), or /sys/class/drm/<node>/device/driver),
  else any table whose request number matches (`candidates` lists them when several do).
  Unknown requests: `near` names rows with the same type and nr (another size: usually another ABI version).
  format_decoded(d) -> '{a=1, b=0x10, sub={x=2}, arr=[1, 2, 0 x6]}'"""
from __future__ import annotations
import os, re
from hwrt.ioctl import ioc
from hwrt.ioctl.abi import load, Ioctl, Interface, ctype, sizeof
from hwrt.ioctl.ffi import ffi

KIND_TABLES = {"nv": ["nv"], "uvm": ["uvm"], "kfd": ["kfd"], "drm": ["drm", "amdgpu", "i915", "xe"]}
DRM_DRIVERS = ("amdgpu", "i915", "xe")
DRM_COMMAND_BASE = 0x40
_DIRNAMES = {0: "_IO", 1: "_IOW", 2: "_IOR", 3: "_IOWR"}

def _tables(names) -> list[Interface]:
  return [load(n) for n in names]

DRM_DRIVER_BY_PATH: dict[str, str] = {}   # path -> driver, for nodes sysfs cannot tell about (a simulated machine)
def register_drm_driver(path: str, driver: str) -> None:
  DRM_DRIVER_BY_PATH[path] = driver

def drm_driver_of(path: str | None) -> str | None:
  """kernel driver name behind a /dev/dri node ('amdgpu', 'i915', 'xe', ...): registered, else from sysfs, else None"""
  if not path: return None
  if path in DRM_DRIVER_BY_PATH: return DRM_DRIVER_BY_PATH[path]
  m = re.search(r"/dev/dri/((?:renderD|card)\d+)$", path)
  if not m: return None
  try: return os.path.basename(os.readlink(f"/sys/class/drm/{m.group(1)}/device/driver"))
  except OSError: return None

def unknown_name(request: int) -> str:
  f = ioc.ioc_fields(request)
  t = chr(f["type"]) if 0x20 < f["type"] < 0x7f else hex(f["type"])
  t = f"'{t}'" if len(t) == 1 else t
  if f["dir"] == 0: return f"_IO({t}, {f['nr']:#x})" if f["size"] == 0 else f"_IOC(_IOC_NONE, {t}, {f['nr']:#x}, {f['size']})"
  return f"{_DIRNAMES[f['dir']]}({t}, {f['nr']:#x}, {f['size']})"

def decode_struct(ctype_name: str, data: bytes):
  """fields of C type CTYPE read from DATA (zero-padded if short): dict for struct/union, list for arrays"""
  t = ctype(ctype_name)
  size = ffi.sizeof(t)
  buf = ffi.new("char[]", max(size, 1))
  ffi.memmove(buf, data[:size], min(size, len(data)))
  return _value(ffi.cast(ffi.getctype(t, "*"), buf)[0], t)

def _value(v, t):
  if t.kind == "primitive":
    if t.cname in ("char",): return ord(v) if isinstance(v, bytes) else v
    return v
  if t.kind == "array":
    if t.length is None: return []   # flexible array member: its elements follow the struct, outside the argument
    if t.item.kind == "primitive" and t.item.cname == "char":
      return ffi.string(v, t.length).decode("latin-1")
    return [_value(v[i], t.item) for i in range(t.length)]
  if t.kind in ("struct", "union"):
    return {name: _value(getattr(v, name), f.type) for name, f in t.fields}
  if t.kind == "enum": return int(ffi.cast("int", v))
  if t.kind == "pointer": return int(ffi.cast("uintptr_t", v))
  return v

def _candidates(kind: str | None, request: int, path: str | None, driver: str | None) -> list[tuple[Interface, Ioctl]]:
  if kind in KIND_TABLES: names = list(KIND_TABLES[kind])
  else: names = ["drm", "amdgpu", "i915", "xe", "kfd", "nv", "uvm"]
  if kind in ("drm", None) and (request & 0xFF) >= DRM_COMMAND_BASE and ((request >> 8) & 0xFF) == ord("d"):
    drv = driver or drm_driver_of(path)
    if drv in DRM_DRIVERS: names = [n for n in names if n not in DRM_DRIVERS or n == drv]
  out = []
  for iface in _tables(names):
    row = iface.by_request.get(request)
    if row: out.append((iface, row)); continue
    if iface.name == "nv" or any(r.elem for r in iface.ioctl_rows):
      # NVIDIA looks only at nr and size; array arguments take any multiple of the element
      f = ioc.ioc_fields(request)
      for r in iface.ioctl_rows:
        if r.type is None or r.type != f["type"] or r.nr != f["nr"]: continue
        if r.elem and f["size"] % sizeof(r.elem) == 0 and f["size"]:
          out.append((iface, Ioctl(r.name, r.dir, r.type, r.nr, f"{r.elem}[{f['size'] // sizeof(r.elem)}]", request,
                                   f["size"], iface.name))); break
        if iface.name == "nv" and r.size == f["size"]: out.append((iface, r)); break
  return out

def decode(kind: str | None, request: int, data: bytes = b"", path: str | None = None, nested: dict | None = None,
           driver: str | None = None) -> dict:
  """never raises (it runs inside error paths): a table problem decodes as an unknown request with an 'error' key"""
  try: return _decode(kind, request, data, path, nested, driver)
  except Exception as e:  # noqa: BLE001
    d = _unknown(request & 0xFFFFFFFF, kind, path, driver)
    d["error"] = f"{type(e).__name__}: {e}"
    return d

def _unknown(request: int, kind, path, driver) -> dict:
  f = ioc.ioc_fields(request)
  d = {"name": unknown_name(request), "known": False, "fields": dict(f), "request": request}
  near = [f"{i.name}:{r.name}" for i in _tables(KIND_TABLES.get(kind, list(KIND_TABLES["drm"]) + ["kfd", "nv", "uvm"]))
          for r in i.ioctls.values() if r.type == f["type"] and r.nr == f["nr"] and r.type is not None]
  if near: d["near"] = near   # same type and nr, other size or direction: usually a struct from another ABI version
  return d

def _decode(kind, request, data, path, nested, driver) -> dict:
  request &= 0xFFFFFFFF
  data = bytes(data or b"")
  cands = _candidates(kind, request, path, driver)
  if not cands: return _unknown(request, kind, path, driver)
  iface, row = cands[0]
  d = {"name": row.name, "known": True, "request": request, "interface": iface.name, "struct": row.struct, "fields": {}}
  if len(cands) > 1: d["candidates"] = [f"{i.name}:{r.name}" for i, r in cands]
  if row.struct:
    d["fields"] = decode_struct(row.struct, data)
    if not isinstance(d["fields"], (dict, list)): d["fields"] = {"value": d["fields"]}   # a plain __u64/int argument
    if len(data) < row.size: d["truncated"] = len(data)
  sym, ptrs = _annotate(iface, row, d["fields"])
  if sym: d["symbols"] = sym
  if ptrs:
    d["pointers"] = ptrs
    for fld, addr, ct, size in ptrs:
      if nested and fld in nested and ct:
        d.setdefault("nested", {})[fld] = {"struct": ct, "fields": decode_struct(ct, nested[fld])}
  return d

def arg_size(kind: str | None, request: int, path: str | None = None, driver: str | None = None) -> int:
  """bytes the argument of REQUEST occupies: the table's struct size (UVM requests carry no size bits), else _IOC_SIZE"""
  try:
    cands = _candidates(kind, request & 0xFFFFFFFF, path, driver)
    if cands: return cands[0][1].size
  except Exception: pass  # noqa: BLE001
  return (request >> 16) & 0x3FFF

def nested_pointers(kind: str | None, request: int, data: bytes, path: str | None = None, driver: str | None = None) -> list:
  """[(field, address, C type, size)] of parameter blocks the argument points to (what a tracer should read)"""
  return decode(kind, request, data, path=path, driver=driver).get("pointers", [])

def _status_name(iface_nv: Interface, v: int) -> str | None:
  """NV_ERR_*/NV_WARN_* name of a non-zero NV_STATUS (NV_OK is not annotated: it is the common case)"""
  if not v: return None
  for n, val in iface_nv.constants.items():
    if val == v and (n.startswith("NV_ERR_") or n.startswith("NV_WARN_") or n == "NV_OK"): return n
  return None

def _annotate(iface: Interface, row: Ioctl, f) -> tuple[dict, list]:
  """symbolic names for known id fields, and nested pointer blocks"""
  sym, ptrs = {}, []
  if not isinstance(f, dict): return sym, ptrs
  for p in iface.pointers.get(row.struct or "", []):
    n, addr = f.get(p.count), f.get(p.field)
    if isinstance(n, int) and isinstance(addr, int) and addr and n >= p.min and n * sizeof(p.target) <= 1 << 24:
      ptrs.append((p.field, addr, f"{p.target}[{n}]", n * sizeof(p.target)))
  if iface.name in ("nv", "uvm"):
    nv = load("nv")
    for key in ("status", "Status", "rmStatus"):
      if isinstance(f.get(key), int) and (s := _status_name(nv, f[key])): sym[key] = s
    for sub in ("params",):   # the *_with_fd wrappers
      if isinstance(f.get(sub), dict) and isinstance(f[sub].get("status"), int) and (s := _status_name(nv, f[sub]["status"])):
        sym[f"{sub}.status"] = s
    if "hClass" in f and isinstance(f["hClass"], int):
      c = nv.rm_class_by_id(f["hClass"])
      if c:
        sym["hClass"] = c.name
        if "pAllocParms" in f and c.params and f["pAllocParms"]:
          ptrs.append(("pAllocParms", f["pAllocParms"], c.params, sizeof(c.params)))
    if "cmd" in f and "params" in f and isinstance(f["cmd"], int):
      c = nv.rm_control_by_cmd(f["cmd"])
      if c:
        sym["cmd"] = c.name
        if c.params and f["params"]: ptrs.append(("params", f["params"], c.params, sizeof(c.params)))
      elif f["params"] and f.get("paramsSize"): ptrs.append(("params", f["params"], None, f["paramsSize"]))
  return sym, ptrs

# ---- formatting
def _fmt_int(v: int) -> str:
  return str(v) if -10 < v < 10 else (hex(v) if v >= 0 else f"-{-v:#x}")

def _fmt(v, sym: dict, path: str) -> str:
  if isinstance(v, dict):
    return "{" + ", ".join(f"{k}={_fmt(x, sym, f'{path}{k}.')}" + (f"({sym[path + k]})" if path + k in sym else "")
                           for k, x in v.items()) + "}"
  if isinstance(v, list):
    n = len(v)
    while n and not _nonzero(v[n - 1]): n -= 1
    items = [_fmt(x, sym, f"{path[:-1]}[{i}].") for i, x in enumerate(v[:n])]
    if n < len(v): items.append(f"0 x{len(v) - n}")
    return "[" + ", ".join(items) + "]"
  if isinstance(v, str): return repr(v)
  if isinstance(v, bool): return str(v)
  if isinstance(v, int): return _fmt_int(v)
  return str(v)

def _nonzero(x) -> bool:
  if isinstance(x, dict): return any(_nonzero(y) for y in x.values())
  if isinstance(x, list): return any(_nonzero(y) for y in x)
  return bool(x)

def format_decoded(d: dict) -> str:
  s = _fmt(d.get("fields", {}), {k: v for k, v in d.get("symbols", {}).items()}, "")
  for fld, nd in d.get("nested", {}).items():
    s += f" {fld}->{nd['struct']}{_fmt(nd['fields'], {}, '')}"
  if d.get("truncated") is not None: s += f" (only {d['truncated']} bytes)"
  if d.get("near"): s += f" (same nr as {', '.join(d['near'])})"
  return s
