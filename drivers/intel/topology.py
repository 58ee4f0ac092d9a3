"""Intel GPUs through their DRM render nodes: DRM_IOCTL_VERSION names the driver (i915 or xe); i915 answers GETPARAM
(CHIPSET_ID, REVISION) and DRM_IOCTL_I915_QUERY (engine info, memory regions); xe answers DRM_IOCTL_XE_DEVICE_QUERY
(config: device id and revision, engines, memory regions). Every query is the kernel's two-step protocol: ask with
length/size 0 to learn the size, then again with a buffer of that size."""
from __future__ import annotations
from hwrt.errors import HwrtError
from hwrt.ioctl import drm, i915, xe
from hwrt.ioctl.ffi import ffi
from hwrt.ioctl.syscalls import Syscalls, O_RDWR, O_CLOEXEC

RENDER_NODES = [f"/dev/dri/renderD{n}" for n in range(128, 192)]
I915_ENGINE_CLASSES = {0: "rcs", 1: "bcs", 2: "vcs", 3: "vecs", 4: "ccs"}     # i915_drm.h enum drm_i915_gem_engine_class
XE_ENGINE_CLASSES = {0: "rcs", 1: "bcs", 2: "vcs", 3: "vecs", 4: "ccs"}       # xe_drm.h DRM_XE_ENGINE_CLASS_*

def _ptr(p) -> int: return int(ffi.cast("uintptr_t", p))

def driver_name(sys: Syscalls, fd: int) -> str:
  v = ffi.new("struct drm_version *")
  sys.ioctl(fd, drm.DRM_IOCTL_VERSION, v)                       # first call: lengths
  name = ffi.new("char[]", v.name_len + 1)
  v.name, v.date_len, v.desc_len = name, 0, 0
  sys.ioctl(fd, drm.DRM_IOCTL_VERSION, v)
  return ffi.string(name).decode(errors="replace")

def _i915_query(sys, fd, query_id: int, ctype: str):
  item = ffi.new("struct drm_i915_query_item *", {"query_id": query_id})
  q = ffi.new("struct drm_i915_query *", {"num_items": 1, "items_ptr": _ptr(item)})
  sys.ioctl(fd, i915.DRM_IOCTL_I915_QUERY, q)
  if item.length <= 0: return None                              # negative: -errno for this item (not supported here)
  buf = ffi.new("char[]", item.length)
  item.data_ptr = _ptr(buf)
  sys.ioctl(fd, i915.DRM_IOCTL_I915_QUERY, q)
  return ffi.cast(f"{ctype} *", buf), buf

def _i915(sys, fd) -> dict:
  val = ffi.new("int *")
  gp = ffi.new("struct drm_i915_getparam *", {"param": i915.I915_PARAM_CHIPSET_ID, "value": val})
  sys.ioctl(fd, i915.DRM_IOCTL_I915_GETPARAM, gp)
  info = {"device_id": val[0]}
  engines, vram = [], 0
  if (r := _i915_query(sys, fd, i915.DRM_I915_QUERY_ENGINE_INFO, "struct drm_i915_query_engine_info")):
    e = r[0]
    engines = [f"{I915_ENGINE_CLASSES.get(e.engines[i].engine.engine_class, e.engines[i].engine.engine_class)}{e.engines[i].engine.engine_instance}"
               for i in range(e.num_engines)]
  if (r := _i915_query(sys, fd, i915.DRM_I915_QUERY_MEMORY_REGIONS, "struct drm_i915_query_memory_regions")):
    m = r[0]
    vram = sum(m.regions[i].probed_size for i in range(m.num_regions) if m.regions[i].region.memory_class == i915.I915_MEMORY_CLASS_DEVICE)
  return info | {"engines": engines, "vram_bytes": vram or None}

def _xe_query(sys, fd, query: int, ctype: str):
  q = ffi.new("struct drm_xe_device_query *", {"query": query})
  sys.ioctl(fd, xe.DRM_IOCTL_XE_DEVICE_QUERY, q)
  buf = ffi.new("char[]", q.size)
  q.data = _ptr(buf)
  sys.ioctl(fd, xe.DRM_IOCTL_XE_DEVICE_QUERY, q)
  return ffi.cast(f"{ctype} *", buf), buf

def _xe(sys, fd) -> dict:
  c, _k1 = _xe_query(sys, fd, xe.DRM_XE_DEVICE_QUERY_CONFIG, "struct drm_xe_query_config")
  rev_dev = c.info[xe.DRM_XE_QUERY_CONFIG_REV_AND_DEVICE_ID] if c.num_params > xe.DRM_XE_QUERY_CONFIG_REV_AND_DEVICE_ID else 0
  e, _k2 = _xe_query(sys, fd, xe.DRM_XE_DEVICE_QUERY_ENGINES, "struct drm_xe_query_engines")
  engines = [f"{XE_ENGINE_CLASSES.get(e.engines[i].instance.engine_class, e.engines[i].instance.engine_class)}{e.engines[i].instance.engine_instance}"
             for i in range(e.num_engines)]
  m, _k3 = _xe_query(sys, fd, xe.DRM_XE_DEVICE_QUERY_MEM_REGIONS, "struct drm_xe_query_mem_regions")
  vram = sum(m.mem_regions[i].total_size for i in range(m.num_mem_regions) if m.mem_regions[i].mem_class == xe.DRM_XE_MEM_REGION_CLASS_VRAM)
  return {"device_id": rev_dev & 0xFFFF, "engines": engines, "vram_bytes": vram or None}

def enumerate_gpus(sys: Syscalls) -> list[dict]:
  gpus = []
  for path in RENDER_NODES:
    if not sys.exists(path): continue
    fd = sys.open(path, O_RDWR | O_CLOEXEC)
    try:
      name = driver_name(sys, fd)
      if name not in ("i915", "xe"): continue                   # amdgpu/nouveau/... render nodes belong to others
      info = _i915(sys, fd) if name == "i915" else _xe(sys, fd)
    except HwrtError as e: info, name = {"error": e.line()}, locals().get("name", "?")
    finally: sys.close(fd)
    gpus.append({"vendor": "intel", "index": len(gpus), "name": f"Intel GPU {info.get('device_id', 0):#06x}", "arch": None,
                 "pci": None, "driver": name, "compute_units": None, "render_node": path, **info,
                 "compute_engines": sum(1 for e in info.get("engines", []) if e.startswith(("ccs", "rcs")))})
  return gpus
