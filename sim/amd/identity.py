"""Facts of the simulated AMD GPU: a Radeon RX 7900 XTX (Navi 31, gfx1100) as amdkfd and amdgpu show it.

Topology keys and values as drivers/gpu/drm/amd/amdkfd/kfd_topology.c (node_show) prints them for a 7900 XTX; the CWSR sizes follow
kfd_queue.c (kfd_queue_ctx_save_restore_size: per-CU VGPR 0x60000 on gfx11.0.0, SGPR 0x4000, LDS 0x10000, HWREG 0x1000, control stack
12 bytes per wave + the 48-byte header, debugger memory 32 bytes per wave). IP versions (ip_discovery) GC 11.0.0, SDMA 6.0.0,
NBIF 4.3.0 with HW ids from soc15_hw_ip.h (GC_HWID 11, SDMA0_HWID 42, NBIF_HWID 108)."""
from __future__ import annotations

PCI_BDF = "0000:03:00.0"
PCI_PATH = "/sys/devices/pci0000:00/0000:00:01.1/0000:01:00.0/0000:02:00.0/" + PCI_BDF
GPU_ID = 0xB50E                       # kfd_topology.c kfd_generate_gpu_id: a 16-bit hash (KFD_GPU_ID_HASH_WIDTH)
RENDER_MINOR = 128
PAGE = 4096
VRAM_BYTES = 24 << 30
GTT_BYTES = 31 << 30
NAME = "AMD Radeon RX 7900 XTX"
MARKETING = "Radeon RX 7900 XTX"
GFX_TARGET = "gfx1100"
IP_VERSIONS = {"GC": (11, 11, 0, 0), "SDMA0": (42, 6, 0, 0), "NBIF": (108, 4, 3, 0)}   # name: (hwid, major, minor, revision)

PROPERTIES = [   # (key, value) in node_show order
  ("cpu_cores_count", 0), ("simd_count", 192), ("mem_banks_count", 1), ("caches_count", 206), ("io_links_count", 1),
  ("p2p_links_count", 0), ("cpu_core_id_base", 0), ("simd_id_base", 2147487744), ("max_waves_per_simd", 16),
  ("lds_size_in_kb", 64), ("gds_size_in_kb", 0), ("num_gws", 64), ("wave_front_size", 32), ("array_count", 12),
  ("simd_arrays_per_engine", 2), ("cu_per_simd_array", 8), ("simd_per_cu", 2), ("max_slots_scratch_cu", 32),
  ("gfx_target_version", 110000), ("vendor_id", 0x1002), ("device_id", 0x744C), ("location_id", 0x300), ("domain", 0),
  ("drm_render_minor", RENDER_MINOR), ("hive_id", 0), ("num_sdma_engines", 2), ("num_sdma_xgmi_engines", 0),
  ("num_sdma_queues_per_engine", 6), ("num_cp_queues", 8), ("max_engine_clk_fcompute", 2482), ("local_mem_size", 0),
  ("fw_version", 2200), ("capability", 671588992), ("debug_prop", 1495), ("sdma_fw_version", 21), ("unique_id", 0x3C1B4E0C2B5F0A61),
  ("num_xcc", 1), ("max_engine_clk_ccompute", 4000),
]
PROPS = dict(PROPERTIES)
CU_COUNT = PROPS["simd_count"] // PROPS["simd_per_cu"]                       # 96
WAVES = CU_COUNT * PROPS["max_waves_per_simd"] * PROPS["simd_per_cu"]        # 3072

def _round(x: int, a: int) -> int: return (x + a - 1) // a * a
CTL_STACK_SIZE = _round(12 * WAVES + 48, PAGE)
CWSR_SIZE = _round((0x60000 + 0x4000 + 0x10000 + 0x1000) * CU_COUNT, PAGE) + CTL_STACK_SIZE
DEBUG_MEMORY_SIZE = _round(WAVES * 32, 64)
EOP_BUFFER_SIZE = 4096
DOORBELL_SLICE = 2 * PAGE             # kfd_doorbell_process_slice: 1024 queues x 8-byte doorbells on SOC15

def node_properties(gpu: bool = True) -> str:
  if not gpu:
    cpu = [("cpu_cores_count", 16), ("simd_count", 0), ("mem_banks_count", 1), ("caches_count", 0), ("io_links_count", 1),
           ("p2p_links_count", 0), ("cpu_core_id_base", 0), ("simd_id_base", 0), ("max_waves_per_simd", 0), ("lds_size_in_kb", 0),
           ("gds_size_in_kb", 0), ("num_gws", 0), ("wave_front_size", 0), ("array_count", 0), ("simd_arrays_per_engine", 0),
           ("cu_per_simd_array", 0), ("simd_per_cu", 0), ("max_slots_scratch_cu", 0), ("gfx_target_version", 0), ("vendor_id", 0),
           ("device_id", 0), ("location_id", 0), ("domain", 0), ("drm_render_minor", 0), ("hive_id", 0), ("num_sdma_engines", 0),
           ("num_sdma_xgmi_engines", 0), ("num_sdma_queues_per_engine", 0), ("num_cp_queues", 0), ("max_engine_clk_ccompute", 4000)]
    return "".join(f"{k} {v}\n" for k, v in cpu)
  return "".join(f"{k} {v}\n" for k, v in PROPERTIES)

def mem_bank_properties() -> str:
  return f"heap_type 1\nsize_in_bytes {VRAM_BYTES}\nflags 0\nwidth 384\nmem_clk_max 1250\n"

def cache_properties(level: int, size_kb: int) -> str:
  return (f"processor_id_low {PROPS['simd_id_base']}\nlevel {level}\nsize {size_kb}\ncache_line_size 128\ncache_lines_per_tag 1\n"
          f"association 16\nlatency 0\ntype 5\nsibling_map 1\n")

def io_link_properties() -> str:
  return ("type 2\nversion_major 0\nversion_minor 0\nnode_from 1\nnode_to 0\nweight 20\nmin_latency 0\nmax_latency 0\n"
          "min_bandwidth 312\nmax_bandwidth 64000\nrecommended_transfer_size 0\nflags 3\n")
