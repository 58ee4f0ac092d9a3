"""`hwrt devices` enumeration logic against scripted kernels (no GPU here): the Intel DRM two-step query protocol for i915
and xe, and the KFD sysfs topology for AMD. The scripted answers follow the uapi structs of ioctl/*.txt, which the ABI
tests check against gcc-compiled headers (i915, drm) and the xe fact table."""
import json, subprocess, sys
import pytest
from hwrt.ioctl import drm, i915, xe
from hwrt.ioctl.ffi import ffi
from hwrt.ioctl.syscalls import Syscalls
from hwrt.drivers.intel.topology import enumerate_gpus as intel_gpus
from hwrt.drivers.amd.topology import enumerate_gpus as amd_gpus, gfx_target

class ScriptedDRM(Syscalls):
  """One render node whose driver answers DRM_IOCTL_VERSION and the i915 or xe queries like the kernel does."""
  def __init__(self, driver: str):
    super().__init__(); self.driver, self.calls = driver, []
  def exists(self, path): return path == "/dev/dri/renderD128"
  def open(self, path, flags=0): self.paths[7] = path; return 7
  def close(self, fd): self.paths.pop(fd, None)
  def _fill(self, ptr, length, ctype, fill):
    """Kernel side of a two-step query: length 0 -> report the size; else write the struct."""
    size = ffi.sizeof(ctype) + 64 * 3
    if length == 0: return size
    buf = ffi.cast(f"{ctype} *", ptr)
    fill(buf)
    return size
  def ioctl(self, fd, req, arg=None):
    self.calls.append(req)
    if req == drm.DRM_IOCTL_VERSION:
      v = ffi.cast("struct drm_version *", arg)
      if v.name == ffi.NULL: v.name_len = len(self.driver)
      else: ffi.memmove(v.name, self.driver.encode(), len(self.driver))
      return 0
    if req == i915.DRM_IOCTL_I915_GETPARAM:
      gp = ffi.cast("struct drm_i915_getparam *", arg)
      assert gp.param == i915.I915_PARAM_CHIPSET_ID
      gp.value[0] = 0x56A0
      return 0
    if req == i915.DRM_IOCTL_I915_QUERY:
      q = ffi.cast("struct drm_i915_query *", arg)
      item = ffi.cast("struct drm_i915_query_item *", q.items_ptr)
      def engines(e):
        e.num_engines = 3
        for i, (c, n) in enumerate([(0, 0), (1, 0), (4, 0)]): e.engines[i].engine.engine_class, e.engines[i].engine.engine_instance = c, n
      def regions(m):
        m.num_regions = 2
        m.regions[0].region.memory_class, m.regions[0].probed_size = 0, 64 << 30
        m.regions[1].region.memory_class, m.regions[1].probed_size = 1, 16 << 30
      fn, ct = {i915.DRM_I915_QUERY_ENGINE_INFO: (engines, "struct drm_i915_query_engine_info"),
                i915.DRM_I915_QUERY_MEMORY_REGIONS: (regions, "struct drm_i915_query_memory_regions")}[item.query_id]
      item.length = self._fill(item.data_ptr, item.length, ct, fn)
      return 0
    if req == xe.DRM_IOCTL_XE_DEVICE_QUERY:
      q = ffi.cast("struct drm_xe_device_query *", arg)
      def config(c): c.num_params = 1; c.info[0] = (0x2 << 16) | 0xE20B
      def engines(e):
        e.num_engines = 2
        e.engines[0].instance.engine_class, e.engines[1].instance.engine_class = 4, 1
      def regions(m):
        m.num_mem_regions = 2
        m.mem_regions[0].mem_class, m.mem_regions[0].total_size = 0, 32 << 30
        m.mem_regions[1].mem_class, m.mem_regions[1].total_size = 1, 12 << 30
      fn, ct = {xe.DRM_XE_DEVICE_QUERY_CONFIG: (config, "struct drm_xe_query_config"),
                xe.DRM_XE_DEVICE_QUERY_ENGINES: (engines, "struct drm_xe_query_engines"),
                xe.DRM_XE_DEVICE_QUERY_MEM_REGIONS: (regions, "struct drm_xe_query_mem_regions")}[q.query]
      q.size = self._fill(q.data, q.size, ct, fn)
      return 0
    raise AssertionError(f"unexpected ioctl {req:#x}")

def test_i915_enumeration():
  g, = intel_gpus(ScriptedDRM("i915"))
  assert g["driver"] == "i915" and g["device_id"] == 0x56A0 and g["engines"] == ["rcs0", "bcs0", "ccs0"]
  assert g["vram_bytes"] == 16 << 30 and g["compute_engines"] == 2

def test_xe_enumeration():
  sc = ScriptedDRM("xe")
  g, = intel_gpus(sc)
  assert g["driver"] == "xe" and g["device_id"] == 0xE20B and g["engines"] == ["ccs0", "bcs0"] and g["vram_bytes"] == 12 << 30
  assert sc.calls.count(xe.DRM_IOCTL_XE_DEVICE_QUERY) == 6       # size, then data, for each of three queries

def test_other_drm_drivers_are_not_intel():
  assert intel_gpus(ScriptedDRM("amdgpu")) == []

class ScriptedKFD(Syscalls):
  FILES = {
    "/sys/devices/virtual/kfd/kfd/topology/nodes/0/properties": "cpu_cores_count 16\nsimd_count 0\ngfx_target_version 0\n",
    "/sys/devices/virtual/kfd/kfd/topology/nodes/0/name": "\n",
    "/sys/devices/virtual/kfd/kfd/topology/nodes/1/properties":
      "simd_count 192\nsimd_per_cu 2\ngfx_target_version 110000\nlocation_id 768\ndomain 0\ndevice_id 29772\ndrm_render_minor 128\n",
    "/sys/devices/virtual/kfd/kfd/topology/nodes/1/name": "gfx1100\n",
    "/sys/devices/virtual/kfd/kfd/topology/nodes/1/mem_banks/0/properties": "heap_type 1\nsize_in_bytes 25753026560\n",
  }
  def exists(self, p): return p == "/dev/kfd" or p in self.FILES
  def read_text(self, p): return self.FILES[p]
  def listdir(self, p):
    pre = p.rstrip("/") + "/"
    return sorted({k[len(pre):].split("/")[0] for k in self.FILES if k.startswith(pre)})

def test_amd_kfd_topology():
  g, = amd_gpus(ScriptedKFD())
  assert g["arch"] == "gfx1100" and g["compute_units"] == 96 and g["vram_bytes"] == 25753026560
  assert g["pci"] == "0000:03:00.0" and g["render_node"] == "/dev/dri/renderD128"
  assert gfx_target(90402) == "gfx942" and gfx_target(100302) == "gfx1032"

def test_hwrt_devices_json_lists_the_simulated_h100():
  r = subprocess.run([sys.executable, "-m", "hwrt", "devices", "--json"], capture_output=True, text=True, timeout=120)
  assert r.returncode == 0, r.stderr
  devs = json.loads(r.stdout)["devices"]
  sim = [d for d in devs if d["device"] == "sim:nv"]
  assert sim and sim[0]["arch"] == "sm_90" and sim[0]["compute_class"] == 0xCBC0 and "H100" in sim[0]["name"]
