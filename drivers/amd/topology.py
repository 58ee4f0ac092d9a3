"""AMD GPUs as KFD publishes them: /sys/devices/virtual/kfd/kfd/topology/nodes/<N>/{name,properties,mem_banks/*/properties}.
Only reads text files through the syscall seam; /dev/kfd must exist for the driver to be considered present."""
from hwrt.ioctl.syscalls import Syscalls

TOPOLOGY = "/sys/devices/virtual/kfd/kfd/topology/nodes"

def _props(text: str) -> dict[str, int]:
  out = {}
  for line in text.splitlines():
    k, _, v = line.partition(" ")
    try: out[k] = int(v.strip())
    except ValueError: pass
  return out

def gfx_target(version: int) -> str:
  """gfx_target_version 110000 -> gfx1100, 90402 -> gfx942 (major*10000 + minor*100 + stepping; minor/stepping in hex digits)."""
  major, minor, step = version // 10000, (version // 100) % 100, version % 100
  return f"gfx{major}{minor:x}{step:x}"

def enumerate_gpus(sys: Syscalls) -> list[dict]:
  if not sys.exists("/dev/kfd"): return []
  gpus = []
  for node in sys.listdir(TOPOLOGY):
    base = f"{TOPOLOGY}/{node}"
    p = _props(sys.read_text(f"{base}/properties"))
    if not p.get("gfx_target_version"): continue       # CPU nodes have none
    vram = sum(_props(sys.read_text(f"{base}/mem_banks/{b}/properties")).get("size_in_bytes", 0)
               for b in sys.listdir(f"{base}/mem_banks") if _props(sys.read_text(f"{base}/mem_banks/{b}/properties")).get("heap_type", 1) in (1, 2))
    cus = p.get("simd_count", 0) // max(1, p.get("simd_per_cu", 1))
    loc = p.get("location_id", 0)
    gpus.append({"vendor": "amd", "index": len(gpus), "node": int(node), "arch": gfx_target(p["gfx_target_version"]),
                 "name": sys.read_text(f"{base}/name").strip() or gfx_target(p["gfx_target_version"]),
                 "pci": f"{p.get('domain', 0):04x}:{loc >> 8:02x}:{(loc >> 3) & 0x1f:02x}.{loc & 7}",
                 "compute_units": cus, "vram_bytes": vram, "device_id": p.get("device_id"), "driver": "amdgpu (KFD)",
                 "render_node": f"/dev/dri/renderD{p['drm_render_minor']}" if "drm_render_minor" in p else None})
  return gpus
