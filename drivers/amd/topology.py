"""AMD GPUs as KFD publishes them: /sys/devices/virtual/kfd/kfd/topology/nodes/<N>/{gpu_id,name,properties,mem_banks/*/properties}.
Only reads text files through the syscall seam; /dev/kfd must exist for the driver to be considered present.
Facts: Linux amdkfd kfd_topology.c (node_show / mem_bank properties: heap_type 1 = FB public, 2 = FB private)."""
from hwrt.ioctl.syscalls import Syscalls

TOPOLOGY = "/sys/devices/virtual/kfd/kfd/topology/nodes"
HEAP_FB_PUBLIC, HEAP_FB_PRIVATE = 1, 2

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

def gpu_nodes(sys: Syscalls) -> list[dict]:
  """The GPU nodes (CPU nodes have no gfx_target_version / gpu_id 0), in node order: node, gpu_id, arch, name, pci,
  vram_bytes, properties."""
  if not sys.exists("/dev/kfd"): return []
  out = []
  for node in sorted(sys.listdir(TOPOLOGY), key=lambda n: int(n) if n.isdigit() else 1 << 30):
    base = f"{TOPOLOGY}/{node}"
    p = _props(sys.read_text(f"{base}/properties"))
    if not p.get("gfx_target_version"): continue
    gid = sys.read_text(f"{base}/gpu_id").strip() if sys.exists(f"{base}/gpu_id") else "0"
    banks = [_props(sys.read_text(f"{base}/mem_banks/{b}/properties")) for b in sys.listdir(f"{base}/mem_banks")]
    loc, arch = p.get("location_id", 0), gfx_target(p["gfx_target_version"])
    out.append({"node": int(node), "gpu_id": int(gid or 0), "arch": arch, "properties": p,
                "name": sys.read_text(f"{base}/name").strip() or arch,
                "pci": f"{p.get('domain', 0):04x}:{loc >> 8:02x}:{(loc >> 3) & 0x1f:02x}.{loc & 7}",
                "vram_bytes": sum(b.get("size_in_bytes", 0) for b in banks if b.get("heap_type", HEAP_FB_PUBLIC) in (HEAP_FB_PUBLIC, HEAP_FB_PRIVATE))})
  return out

def identity(n: dict, index: int) -> dict:
  p = n["properties"]
  return {"vendor": "amd", "index": index, "node": n["node"], "arch": n["arch"], "name": n["name"], "pci": n["pci"],
          "compute_units": p.get("simd_count", 0) // max(1, p.get("simd_per_cu", 1)), "vram_bytes": n["vram_bytes"],
          "device_id": p.get("device_id"), "driver": "amdgpu (KFD)", "gpu_id": n["gpu_id"],
          "render_node": f"/dev/dri/renderD{p['drm_render_minor']}" if "drm_render_minor" in p else None}

def enumerate_gpus(sys: Syscalls) -> list[dict]: return [identity(n, i) for i, n in enumerate(gpu_nodes(sys))]
