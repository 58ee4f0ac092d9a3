"""A small raw-ioctl client of the simulated AMD GPU (the way tinygrad's KFD backend drives it), for tests and benches that do
not need hwrt's AMD driver: open /dev/kfd and the render node, ACQUIRE_VM, allocate and map BOs at a VA of our choosing, make a
PM4 compute queue, load a gfx1100 code object (relocatable or linked ELF; kernel descriptor in .rodata), dispatch and wait."""
from __future__ import annotations
import mmap as _mm, os, struct, time
import numpy as np
from hwrt.errors import GPUTimeout, GPUFault
from hwrt.ioctl import kfd as K
from hwrt.ioctl.ffi import ffi, libc
from hwrt.sim.amd import identity as I

def P3(op, n): return (3 << 30) | (((n - 1) & 0x3FFF) << 16) | (op << 8)

class Bench:
  def __init__(self, sc):
    self.sc = sc
    self.kfd = sc.open("/dev/kfd")
    self.drm = sc.open(f"/dev/dri/renderD{I.RENDER_MINOR}")
    self.ioctl(K.AMDKFD_IOC_ACQUIRE_VM, "struct kfd_ioctl_acquire_vm_args", drm_fd=self.drm, gpu_id=I.GPU_ID)
    self.bos = []
    self.ring = self.alloc(1 << 16, gtt=True); self.gart = self.alloc(4096, gtt=True); self.eop = self.alloc(4096)
    self.sig = self.alloc(4096, gtt=True)
    q = self.ioctl(K.AMDKFD_IOC_CREATE_QUEUE, "struct kfd_ioctl_create_queue_args", ring_base_address=self.ring.va,
                   ring_size=self.ring.size, gpu_id=I.GPU_ID, queue_type=K.KFD_IOC_QUEUE_TYPE_COMPUTE, queue_percentage=100,
                   queue_priority=7, write_pointer_address=self.gart.va + 56, read_pointer_address=self.gart.va + 128,
                   eop_buffer_address=self.eop.va, eop_buffer_size=4096)
    self.qid, self.put, self.value = q.queue_id, 0, 0
    base = q.doorbell_offset & ~0x1FFF
    self.db = sc.mmap(0, 0x2000, _mm.PROT_READ | _mm.PROT_WRITE, _mm.MAP_SHARED, self.kfd, base)
    self.db_off = q.doorbell_offset - base

  def ioctl(self, req, ctype, **kw):
    a = ffi.new(ctype + " *")
    for k, v in kw.items(): setattr(a, k, v)
    self.sc.ioctl(self.kfd, req, a)
    return a

  class BO:
    def __init__(self, va, size, handle, view): self.va, self.size, self.handle, self.view = va, size, handle, view

  def alloc(self, size, gtt=False, map_gpu=True):
    size = (size + 4095) // 4096 * 4096
    va = int(ffi.cast("uintptr_t", libc.mmap(ffi.NULL, size, 0, _mm.MAP_PRIVATE | _mm.MAP_ANONYMOUS | 0x4000, -1, 0)))
    fl = (K.KFD_IOC_ALLOC_MEM_FLAGS_GTT | K.KFD_IOC_ALLOC_MEM_FLAGS_COHERENT | K.KFD_IOC_ALLOC_MEM_FLAGS_UNCACHED) if gtt \
        else K.KFD_IOC_ALLOC_MEM_FLAGS_VRAM
    fl |= K.KFD_IOC_ALLOC_MEM_FLAGS_WRITABLE | K.KFD_IOC_ALLOC_MEM_FLAGS_EXECUTABLE | K.KFD_IOC_ALLOC_MEM_FLAGS_PUBLIC
    a = self.ioctl(K.AMDKFD_IOC_ALLOC_MEMORY_OF_GPU, "struct kfd_ioctl_alloc_memory_of_gpu_args", va_addr=va, size=size,
                   gpu_id=I.GPU_ID, flags=fl)
    p = self.sc.mmap(va, size, _mm.PROT_READ | _mm.PROT_WRITE, _mm.MAP_SHARED | 0x10, self.drm, a.mmap_offset)
    assert p == va
    view = np.frombuffer(ffi.buffer(ffi.cast("char *", va), size), np.uint8)
    bo = Bench.BO(va, size, a.handle, view)
    if map_gpu: self.map(bo)
    self.bos.append(bo)
    return bo

  def map(self, bo):
    ids = ffi.new("__u32[1]", [I.GPU_ID])
    self.ioctl(K.AMDKFD_IOC_MAP_MEMORY_TO_GPU, "struct kfd_ioctl_map_memory_to_gpu_args", handle=bo.handle,
               device_ids_array_ptr=int(ffi.cast("uintptr_t", ids)), n_devices=1)

  def upload(self, data: bytes, gtt=False):
    bo = self.alloc(max(len(data), 1), gtt=gtt); bo.view[:len(data)] = np.frombuffer(data, np.uint8); return bo

  def load_elf(self, elf: bytes, name: str | None = None):
    """a code object -> (BO, entry VA, rsrc1, rsrc2, kernel_code_properties, group segment size); R_AMDGPU_REL64 applied"""
    from elftools.elf.elffile import ELFFile
    import io
    e = ELFFile(io.BytesIO(elf))
    image = bytearray(max(s["sh_addr"] + s["sh_size"] for s in e.iter_sections() if s["sh_flags"] & 2) + 0x100)
    for s in e.iter_sections():
      if s["sh_flags"] & 2 and s["sh_type"] != "SHT_NOBITS": image[s["sh_addr"]:s["sh_addr"] + s["sh_size"]] = s.data()
    sy = e.get_section_by_name(".symtab")
    if e["e_type"] == "ET_REL":                                 # relocatable (LLVM's output): sections at their file offsets
      image = bytearray(elf) + bytearray(0x100)
      for s in e.iter_sections():
        if s["sh_type"] == "SHT_RELA":
          tgt = e.get_section(s["sh_info"])
          for r in s.iter_relocations():
            sym = sy.get_symbol(r["r_info_sym"])
            if not isinstance(sym["st_shndx"], int): continue
            where = tgt["sh_offset"] + r["r_offset"]
            S = e.get_section(sym["st_shndx"])["sh_offset"] + sym["st_value"]
            if r["r_info_type"] == 5: struct.pack_into("<q", image, where, S + r["r_addend"] - where)
      kd_sym = next(s for s in sy.iter_symbols() if s.name.endswith(".kd") and (name is None or s.name == name + ".kd"))
      kd_off = e.get_section(kd_sym["st_shndx"])["sh_offset"] + kd_sym["st_value"]
    else:
      kd_sym = next(s for s in sy.iter_symbols() if s.name.endswith(".kd") and (name is None or s.name == name + ".kd"))
      kd_off = kd_sym["st_value"]
    bo = self.upload(bytes(image))
    kd = bytes(image[kd_off:kd_off + 64])
    entry = bo.va + kd_off + struct.unpack_from("<q", kd, 16)[0]
    rsrc1, rsrc2 = struct.unpack_from("<II", kd, 48)
    props = struct.unpack_from("<H", kd, 56)[0]
    return dict(bo=bo, entry=entry, rsrc1=rsrc1, rsrc2=rsrc2, props=props, lds=struct.unpack_from("<I", kd, 0)[0],
                kernarg_size=struct.unpack_from("<I", kd, 8)[0])

  def submit(self, words):
    ring = self.ring.view.view(np.uint32)
    for i, v in enumerate(words): ring[(self.put + i) % len(ring)] = v & 0xFFFFFFFF
    self.put += len(words)
    self.gart.view[56:64].view(np.uint64)[0] = self.put
    np.frombuffer(ffi.buffer(ffi.cast("char *", self.db + self.db_off), 8), np.uint64)[0] = self.put

  def dispatch(self, k, args: bytes, grid, local, wait=True, timeout=10.0):
    """grid in workgroups; code object v5 hidden arguments (block counts, group sizes, remainders, dims) follow the explicit
    ones at an 8-byte boundary, and an hsa_kernel_dispatch_packet_t follows them for the dispatch pointer"""
    args = args + b"\0" * (-len(args) % 8)
    hidden = struct.pack("<3I3H3H", *grid, *local, 0, 0, 0).ljust(64, b"\0") + struct.pack("<H", sum(1 for g in grid if g > 1) or 1)
    hidden = hidden.ljust(256, b"\0")
    pkt = struct.pack("<HH3HH3I", 0, 3, *local, 0, *[g * l for g, l in zip(grid, local)]).ljust(64, b"\0")
    args = args + hidden
    ka = self.upload(args + pkt, gtt=True)
    lds = ((k["lds"] + 511) // 512) & 0x1FF
    user = [ka.va & 0xFFFFFFFF, ka.va >> 32]
    if k["props"] & 2: user = [(ka.va + len(args)) & 0xFFFFFFFF, (ka.va + len(args)) >> 32] + user
    self.value += 1
    sv = self.sig.va
    w = [P3(0x76, 3), 0x20C, (k["entry"] >> 8) & 0xFFFFFFFF, k["entry"] >> 40,
         P3(0x76, 3), 0x212, k["rsrc1"], k["rsrc2"] | (lds << 15),
         P3(0x76, 1 + len(user)), 0x240, *user,
         P3(0x76, 7), 0x204, 0, 0, 0, *local,
         P3(0x15, 4), *grid, 1 | (1 << 2) | ((1 << 15) if k["props"] & 0x400 else 0),
         P3(0x49, 7), 0x14 | (5 << 8), (1 << 29), sv & 0xFFFFFFFF, sv >> 32, self.value, 0, 0]
    self.submit(w)
    if wait: self.wait(timeout)

  def wait(self, timeout=10.0):
    t0 = time.monotonic()
    s = self.sig.view[:4].view(np.uint32)
    while s[0] < self.value:
      if time.monotonic() - t0 > timeout: raise GPUTimeout(f"signal {self.value} not reached within {timeout} s")
      q = self.sc.machine.kfd.queues.get(self.qid)
      if q is not None and q.hung: raise GPUFault(f"queue {self.qid} stopped: {q.error}")
      time.sleep(0.0002)
