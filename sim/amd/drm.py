"""The amdgpu render node (/dev/dri/renderD128) of the simulated AMD machine: DRM_IOCTL_VERSION ("amdgpu"), GET_CAP,
AMDGPU_INFO (device info, VRAM/GTT, memory heaps, firmware versions, HW IP info, timestamp) and mmap of KFD allocations
by their mmap_offset (amdgpu_gem_mmap / drm_gem_mmap: an offset that names no BO is -EINVAL). Other ioctls: -EINVAL, as
drm_ioctl answers for a driver ioctl this node does not serve. Sources: drivers/gpu/drm/amd/amdgpu/amdgpu_kms.c
amdgpu_info_ioctl, drivers/gpu/drm/drm_ioctl.c."""
from __future__ import annotations
import errno, time
from hwrt.ioctl import amdgpu as A, drm as D
from hwrt.ioctl.ffi import ffi
from hwrt.sim.amd import identity as I

DRV_VERSION = (3, 59, 0)                 # amdgpu_drv.c KMS_DRIVER_MAJOR/MINOR of 6.12
FW = {"GFX_ME": 1400, "GFX_PFP": 1500, "GFX_MEC": 1700, "GFX_RLC": 96, "SDMA": 21, "SMC": 0x4e4c00, "SOS": 0x210c64, "VCN": 0x0311800c}

class RenderNode:
  def __init__(self, m): self.m = m
  def release(self, fd: int) -> None: pass

  def ioctl(self, fd: int, request: int, addr: int) -> int:
    if not addr: return -errno.EFAULT
    if request == D.DRM_IOCTL_VERSION: return self.version(ffi.cast("struct drm_version *", addr))
    if request == D.DRM_IOCTL_GET_CAP:
      c = ffi.cast("struct drm_get_cap *", addr)
      caps = {0x1: 0, 0x5: 3, 0x6: 1, 0x8: 64, 0x9: 64, 0x13: 1}           # DUMB_BUFFER, PRIME, TIMESTAMP_MONOTONIC, CURSOR_*, SYNCOBJ
      if c.capability not in caps: return -errno.EINVAL
      c.value = caps[c.capability]; return 0
    if request == D.DRM_IOCTL_SET_CLIENT_CAP: return 0
    if request == A.DRM_IOCTL_AMDGPU_INFO: return self.info(ffi.cast("struct drm_amdgpu_info *", addr))
    return -errno.EINVAL

  def version(self, v) -> int:
    """drm_version(): copies min(len, strlen) bytes of each string and reports the full length"""
    v.version_major, v.version_minor, v.version_patchlevel = DRV_VERSION
    for fld, text in (("name", b"amdgpu"), ("date", b"20150101"), ("desc", b"AMD GPU")):
      n = getattr(v, fld + "_len"); p = getattr(v, fld)
      if n and p != ffi.NULL: ffi.memmove(p, text, min(n, len(text)))
      setattr(v, fld + "_len", len(text))
    return 0

  def info(self, q) -> int:
    """amdgpu_info_ioctl: writes min(return_size, sizeof answer) bytes to return_pointer; unknown query -> -EINVAL"""
    if not q.return_pointer or not q.return_size: return -errno.EINVAL
    out = None
    if q.query == A.AMDGPU_INFO_DEV_INFO:
      d = ffi.new("struct drm_amdgpu_info_device *")
      d.device_id, d.chip_rev, d.external_rev, d.pci_rev, d.family = 0x744C, 0, 0x1, 0xC8, 145     # AMDGPU_FAMILY_GC_11_0_0
      d.num_shader_engines, d.num_shader_arrays_per_engine, d.gpu_counter_freq = 6, 2, 100000
      d.max_engine_clock, d.max_memory_clock = 2482000, 1250000
      d.cu_active_number, d.wave_front_size, d.num_cu_per_sh = I.CU_COUNT, 32, 8
      for se in range(6):
        for sh in range(2): d.cu_bitmap[se % 4][sh + 2 * (se // 4)] = 0xFF
      d.num_rb_pipes, d.enabled_rb_pipes_mask, d.num_tcc_blocks, d.vram_type, d.vram_bit_width = 24, 0xFFFFFF, 24, 9, 384
      d.virtual_address_offset, d.virtual_address_max, d.virtual_address_alignment = 0x200000, 0x800000000000, 4096
      d.gart_page_size, d.pte_fragment_size, d.num_shader_visible_vgprs = 4096, 0x200000, 1536
      d.high_va_offset, d.high_va_max = 0xFFFF800000000000, 0xFFFFFFFFFFFFFFFF
      out = bytes(ffi.buffer(d))
    elif q.query == A.AMDGPU_INFO_VRAM_GTT:
      d = ffi.new("struct drm_amdgpu_info_vram_gtt *"); d.vram_size = d.vram_cpu_accessible_size = I.VRAM_BYTES; d.gtt_size = I.GTT_BYTES
      out = bytes(ffi.buffer(d))
    elif q.query == A.AMDGPU_INFO_MEMORY:
      d = ffi.new("struct drm_amdgpu_memory_info *")
      for h, total in ((d.vram, I.VRAM_BYTES), (d.cpu_accessible_vram, I.VRAM_BYTES), (d.gtt, I.GTT_BYTES)):
        h.total_heap_size = h.usable_heap_size = h.max_allocation = total
      out = bytes(ffi.buffer(d))
    elif q.query == A.AMDGPU_INFO_FW_VERSION:
      names = {getattr(A, f"AMDGPU_INFO_FW_{k}"): k for k in FW}
      k = names.get(q.query_fw.fw_type)
      if k is None: return -errno.EINVAL
      d = ffi.new("struct drm_amdgpu_info_firmware *"); d.ver, d.feature = FW[k], 0
      out = bytes(ffi.buffer(d))
    elif q.query == A.AMDGPU_INFO_HW_IP_INFO:
      d = ffi.new("struct drm_amdgpu_info_hw_ip *")
      ip = {1: (11, 0, 1), 2: (6, 0, 1)}.get(q.query_hw_ip.type)      # AMDGPU_HW_IP_COMPUTE, AMDGPU_HW_IP_DMA
      if ip is None: return -errno.EINVAL
      d.hw_ip_version_major, d.hw_ip_version_minor, d.available_rings = ip
      out = bytes(ffi.buffer(d))
    elif q.query == A.AMDGPU_INFO_TIMESTAMP:
      out = (time.monotonic_ns() // 10).to_bytes(8, "little")
    elif q.query == A.AMDGPU_INFO_ACCEL_WORKING:
      out = (0 if self.m.dead else 1).to_bytes(4, "little")
    if out is None: return -errno.EINVAL
    n = min(q.return_size, len(out))
    ffi.memmove(ffi.cast("char *", q.return_pointer), out[:n], n)
    return 0

  def mmap_target(self, fd: int, offset: int, length: int):
    bo = self.m.kfd.cookies.get(offset)
    if bo is None or bo.alloc.freed: return -errno.EINVAL                 # drm_gem_mmap: no object at that offset
    if length > bo.size: return -errno.EINVAL                             # drm_vma_node_size check
    if self.m.kfd.drm_fd is not None and fd != self.m.kfd.drm_fd and fd not in self.m.fds: return -errno.EACCES
    return bo.alloc.fd, 0
