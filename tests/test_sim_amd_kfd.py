"""sim:amd kernel interface: /dev/kfd ioctls (happy paths and the error codes amdkfd returns for misuse), the render node,
the sysfs topology. Each misuse case names the check in drivers/gpu/drm/amd/amdkfd (torvalds/linux, v6.12) it mirrors."""
import errno, mmap, os
import numpy as np
import pytest
from hwrt.errors import IoctlError
from hwrt.ioctl import kfd as K, drm as D, amdgpu as A
from hwrt.ioctl.ffi import ffi
from hwrt.sim import kernel
from hwrt.sim.amd import identity as I
from hwrt.sim.amd.testbench import Bench

GPU = I.GPU_ID

@pytest.fixture
def m():
  mm = kernel.new_machine("amd")
  yield mm
  mm.close()

@pytest.fixture
def bench(m): return Bench(m.syscalls)

def call(sc, fd, req, ctype, **kw):
  a = ffi.new(ctype + " *")
  for k, v in kw.items(): setattr(a, k, v)
  sc.ioctl(fd, req, a)
  return a

def err(sc, fd, req, ctype, **kw) -> int:
  try: call(sc, fd, req, ctype, **kw)
  except IoctlError as e: return e.errno
  return 0

def opened(m):
  sc = m.syscalls
  return sc, sc.open("/dev/kfd"), sc.open(f"/dev/dri/renderD{I.RENDER_MINOR}")

ALLOC = "struct kfd_ioctl_alloc_memory_of_gpu_args"
QUEUE = "struct kfd_ioctl_create_queue_args"
EVENT = "struct kfd_ioctl_create_event_args"
MAPA = "struct kfd_ioctl_map_memory_to_gpu_args"
VRAM = K.KFD_IOC_ALLOC_MEM_FLAGS_VRAM | K.KFD_IOC_ALLOC_MEM_FLAGS_WRITABLE

# ---- topology and render node
def test_topology_is_a_7900xtx(m):
  sc = m.syscalls
  nodes = sc.listdir("/sys/devices/virtual/kfd/kfd/topology/nodes")
  assert nodes == ["0", "1"]
  assert sc.read_text("/sys/devices/virtual/kfd/kfd/topology/nodes/0/gpu_id").strip() == "0"          # CPU node first
  props = dict(l.split() for l in sc.read_text("/sys/devices/virtual/kfd/kfd/topology/nodes/1/properties").splitlines())
  assert int(props["gfx_target_version"]) == 110000 and int(props["device_id"]) == 0x744C and int(props["vendor_id"]) == 0x1002
  assert int(props["simd_count"]) // int(props["simd_per_cu"]) == 96 and int(props["wave_front_size"]) == 32
  assert int(props["drm_render_minor"]) == 128 and sc.listdir("/sys/devices/virtual/kfd/kfd/topology/nodes/1/mem_banks") == ["0"]
  ip = "/sys/class/drm/renderD128/device/ip_discovery/die/0"
  assert {"11", "42", "108"} <= set(sc.listdir(ip))
  assert [sc.read_text(f"{ip}/11/0/{k}").strip() for k in ("major", "minor", "revision")] == ["11", "0", "0"]
  assert [sc.read_text(f"{ip}/42/0/{k}").strip() for k in ("major", "minor", "revision")] == ["6", "0", "0"]
  assert sc.readlink("/sys/class/drm/renderD128").startswith("../../devices/pci0000:00/")       # relative, as sysfs writes it
  assert sc.read_text("/sys/class/drm/renderD128/device/vendor").strip() == "0x1002"

def test_render_node_version_and_info(m):
  sc, kfd, drm = opened(m)
  name = ffi.new("char[16]")
  v = call(sc, drm, D.DRM_IOCTL_VERSION, "struct drm_version", name=name, name_len=16)
  assert ffi.string(name) == b"amdgpu" and v.name_len == 6 and v.version_major == 3
  out = ffi.new("struct drm_amdgpu_info_device *")
  call(sc, drm, A.DRM_IOCTL_AMDGPU_INFO, "struct drm_amdgpu_info", return_pointer=int(ffi.cast("uintptr_t", out)),
       return_size=ffi.sizeof(out[0]), query=A.AMDGPU_INFO_DEV_INFO)
  assert out.device_id == 0x744C and out.cu_active_number == 96 and out.wave_front_size == 32
  vg = ffi.new("struct drm_amdgpu_info_vram_gtt *")
  call(sc, drm, A.DRM_IOCTL_AMDGPU_INFO, "struct drm_amdgpu_info", return_pointer=int(ffi.cast("uintptr_t", vg)),
       return_size=ffi.sizeof(vg[0]), query=A.AMDGPU_INFO_VRAM_GTT)
  assert vg.vram_size == I.VRAM_BYTES
  # amdgpu_info_ioctl: an unknown query is -EINVAL
  assert err(sc, drm, A.DRM_IOCTL_AMDGPU_INFO, "struct drm_amdgpu_info", return_pointer=int(ffi.cast("uintptr_t", vg)),
             return_size=8, query=0x7777) == errno.EINVAL

def test_version_apertures_clock(m):
  sc, kfd, drm = opened(m)
  v = call(sc, kfd, K.AMDKFD_IOC_GET_VERSION, "struct kfd_ioctl_get_version_args")
  assert (v.major_version, v.minor_version) >= (1, 14)                # tinygrad issues RUNTIME_ENABLE from 1.14 on
  n = call(sc, kfd, K.AMDKFD_IOC_GET_PROCESS_APERTURES_NEW, "struct kfd_ioctl_get_process_apertures_new_args", num_of_nodes=0)
  assert n.num_of_nodes == 1
  c = call(sc, kfd, K.AMDKFD_IOC_GET_CLOCK_COUNTERS, "struct kfd_ioctl_get_clock_counters_args", gpu_id=GPU)
  assert c.system_clock_freq == 10**9 and c.gpu_clock_counter > 0
  # kfd_ioctl_get_clock_counters: an unknown gpu_id is not an error, the GPU counter is 0
  c = call(sc, kfd, K.AMDKFD_IOC_GET_CLOCK_COUNTERS, "struct kfd_ioctl_get_clock_counters_args", gpu_id=1234)
  assert c.gpu_clock_counter == 0 and c.system_clock_counter > 0

def test_wait_events_times_out_then_set_event_completes(m):
  sc, kfd, drm = opened(m)
  ev = call(sc, kfd, K.AMDKFD_IOC_CREATE_EVENT, EVENT, event_type=K.KFD_IOC_EVENT_SIGNAL, auto_reset=1)
  data = ffi.new("struct kfd_event_data[1]"); data[0].event_id = ev.event_id
  w = call(sc, kfd, K.AMDKFD_IOC_WAIT_EVENTS, "struct kfd_ioctl_wait_events_args", events_ptr=int(ffi.cast("uintptr_t", data)),
           num_events=1, timeout=30)
  assert w.wait_result == K.KFD_IOC_WAIT_RESULT_TIMEOUT
  call(sc, kfd, K.AMDKFD_IOC_SET_EVENT, "struct kfd_ioctl_set_event_args", event_id=ev.event_id)
  w = call(sc, kfd, K.AMDKFD_IOC_WAIT_EVENTS, "struct kfd_ioctl_wait_events_args", events_ptr=int(ffi.cast("uintptr_t", data)),
           num_events=1, timeout=1000)
  assert w.wait_result == K.KFD_IOC_WAIT_RESULT_COMPLETE

def test_alloc_map_and_mmap_share_pages(bench, m):
  bo = bench.alloc(8192)
  bo.view[:4] = [1, 2, 3, 4]
  assert m.kfd.vas.read(bo.va, 4) == b"\x01\x02\x03\x04"           # the CPU mapping and the GPU VM see the same pages
  m.kfd.vas.write(bo.va + 4096, b"\x09")
  assert bo.view[4096] == 9

# ---- misuse: the error codes amdkfd returns
def test_unknown_ioctl_nr_is_einval(m):
  sc, kfd, drm = opened(m)                                            # kfd_ioctl: nr outside [COMMAND_START, COMMAND_END)
  assert err(sc, kfd, (3 << 30) | (8 << 16) | (ord("K") << 8) | 0x7F, "struct kfd_ioctl_get_version_args") == errno.EINVAL

def test_null_argument_is_efault(m):
  sc, kfd, drm = opened(m)                                            # kfd_ioctl: copy_from_user fails
  with pytest.raises(IoctlError) as e: sc.ioctl(kfd, K.AMDKFD_IOC_CREATE_EVENT, 0)
  assert e.value.errno == errno.EFAULT

def test_acquire_vm_errors(m):
  sc, kfd, drm = opened(m)
  # kfd_ioctl_acquire_vm: fget(drm_fd) fails -> -EINVAL; unknown gpu -> -EINVAL; another drm file after one -> -EBUSY
  assert err(sc, kfd, K.AMDKFD_IOC_ACQUIRE_VM, "struct kfd_ioctl_acquire_vm_args", drm_fd=9999, gpu_id=GPU) == errno.EINVAL
  assert err(sc, kfd, K.AMDKFD_IOC_ACQUIRE_VM, "struct kfd_ioctl_acquire_vm_args", drm_fd=drm, gpu_id=77) == errno.EINVAL
  assert err(sc, kfd, K.AMDKFD_IOC_ACQUIRE_VM, "struct kfd_ioctl_acquire_vm_args", drm_fd=drm, gpu_id=GPU) == 0
  assert err(sc, kfd, K.AMDKFD_IOC_ACQUIRE_VM, "struct kfd_ioctl_acquire_vm_args", drm_fd=drm, gpu_id=GPU) == 0
  drm2 = sc.open(f"/dev/dri/renderD{I.RENDER_MINOR}")
  assert err(sc, kfd, K.AMDKFD_IOC_ACQUIRE_VM, "struct kfd_ioctl_acquire_vm_args", drm_fd=drm2, gpu_id=GPU) == errno.EBUSY

def test_alloc_before_acquire_vm_is_einval(m):
  sc, kfd, drm = opened(m)                                            # kfd_bind_process_to_device: "Binding PDD to unbound GPU"
  assert err(sc, kfd, K.AMDKFD_IOC_ALLOC_MEMORY_OF_GPU, ALLOC, va_addr=0x10000000, size=4096, gpu_id=GPU, flags=VRAM) == errno.EINVAL

@pytest.mark.parametrize("kw,code,why", [
  (dict(size=0), errno.EINVAL, "kfd_ioctl_alloc_memory_of_gpu: args->size == 0"),
  (dict(gpu_id=5), errno.EINVAL, "kfd_process_device_data_by_id fails"),
  (dict(va_addr=0x10000123), errno.EINVAL, "amdgpu_vm_verify_parameters: unaligned VA"),
  (dict(flags=VRAM | K.KFD_IOC_ALLOC_MEM_FLAGS_GTT), errno.EINVAL, "amdgpu_amdkfd_gpuvm_alloc_memory_of_gpu: two domains"),
  (dict(flags=K.KFD_IOC_ALLOC_MEM_FLAGS_DOORBELL), errno.EINVAL, "doorbell BO size != kfd_doorbell_process_slice"),
  (dict(flags=K.KFD_IOC_ALLOC_MEM_FLAGS_MMIO_REMAP, size=8192), errno.EINVAL, "MMIO remap BO size != PAGE_SIZE"),
  (dict(flags=K.KFD_IOC_ALLOC_MEM_FLAGS_USERPTR, mmap_offset=0), errno.EINVAL, "userptr without an address"),
  (dict(size=64 << 30), errno.ENOMEM, "amdgpu_amdkfd_reserve_mem_limit: more than the VRAM"),
])
def test_alloc_misuse(bench, m, kw, code, why):
  args = dict(va_addr=0x7E0000000000, size=4096, gpu_id=GPU, flags=VRAM) | kw
  assert err(m.syscalls, bench.kfd, K.AMDKFD_IOC_ALLOC_MEMORY_OF_GPU, ALLOC, **args) == code, why

def test_alloc_overlapping_va_is_einval(bench, m):
  bo = bench.alloc(8192)                                              # amdgpu_vm_bo_map: "va ... conflict with ..."
  assert err(m.syscalls, bench.kfd, K.AMDKFD_IOC_ALLOC_MEMORY_OF_GPU, ALLOC, va_addr=bo.va + 4096, size=4096, gpu_id=GPU,
             flags=VRAM) == errno.EINVAL

def test_free_and_map_bad_handles(bench, m):
  sc, kfd = m.syscalls, bench.kfd
  ids = ffi.new("__u32[1]", [GPU]); p = int(ffi.cast("uintptr_t", ids))
  # kfd_ioctl_free_memory_of_gpu: a handle whose gpu part names no device -> -EINVAL; an unknown idr -> -EINVAL
  assert err(sc, kfd, K.AMDKFD_IOC_FREE_MEMORY_OF_GPU, "struct kfd_ioctl_free_memory_of_gpu_args", handle=1 << 32) == errno.EINVAL
  assert err(sc, kfd, K.AMDKFD_IOC_FREE_MEMORY_OF_GPU, "struct kfd_ioctl_free_memory_of_gpu_args", handle=(GPU << 32) | 999) == errno.EINVAL
  # kfd_ioctl_map_memory_to_gpu: n_devices == 0 -> -EINVAL; n_success > n_devices -> -EINVAL; unknown handle -> -ENOMEM
  bo = bench.alloc(4096, map_gpu=False)
  assert err(sc, kfd, K.AMDKFD_IOC_MAP_MEMORY_TO_GPU, MAPA, handle=bo.handle, device_ids_array_ptr=p, n_devices=0) == errno.EINVAL
  assert err(sc, kfd, K.AMDKFD_IOC_MAP_MEMORY_TO_GPU, MAPA, handle=bo.handle, device_ids_array_ptr=p, n_devices=1,
             n_success=2) == errno.EINVAL
  assert err(sc, kfd, K.AMDKFD_IOC_MAP_MEMORY_TO_GPU, MAPA, handle=(GPU << 32) | 999, device_ids_array_ptr=p, n_devices=1) == errno.ENOMEM
  bad = ffi.new("__u32[1]", [42])                                     # a peer gpu id that does not exist -> -EINVAL
  assert err(sc, kfd, K.AMDKFD_IOC_MAP_MEMORY_TO_GPU, MAPA, handle=bo.handle, device_ids_array_ptr=int(ffi.cast("uintptr_t", bad)),
             n_devices=1) == errno.EINVAL
  # kfd_ioctl_unmap_memory_from_gpu: unknown handle -> -EINVAL
  assert err(sc, kfd, K.AMDKFD_IOC_UNMAP_MEMORY_FROM_GPU, "struct kfd_ioctl_unmap_memory_from_gpu_args", handle=(GPU << 32) | 999,
             device_ids_array_ptr=p, n_devices=1) == errno.EINVAL

def test_free_of_a_mapped_bo_is_ebusy(bench, m):
  sc, kfd = m.syscalls, bench.kfd                                     # amdgpu_amdkfd_gpuvm_free_memory_of_gpu: "is still mapped"
  bo = bench.alloc(4096)
  fr = "struct kfd_ioctl_free_memory_of_gpu_args"
  assert err(sc, kfd, K.AMDKFD_IOC_FREE_MEMORY_OF_GPU, fr, handle=bo.handle) == errno.EBUSY
  ids = ffi.new("__u32[1]", [GPU])
  call(sc, kfd, K.AMDKFD_IOC_UNMAP_MEMORY_FROM_GPU, "struct kfd_ioctl_unmap_memory_from_gpu_args", handle=bo.handle,
       device_ids_array_ptr=int(ffi.cast("uintptr_t", ids)), n_devices=1)
  assert m.kfd.vas.lookup(bo.va) is None
  assert err(sc, kfd, K.AMDKFD_IOC_FREE_MEMORY_OF_GPU, fr, handle=bo.handle) == 0
  assert err(sc, kfd, K.AMDKFD_IOC_FREE_MEMORY_OF_GPU, fr, handle=bo.handle) == errno.EINVAL   # a second free: handle gone

def test_xnack_is_not_available_on_gfx1100(m):
  sc, kfd, drm = opened(m)                                            # kfd_ioctl_set_xnack_mode: -EPERM when unsupported
  xa = "struct kfd_ioctl_set_xnack_mode_args"
  assert call(sc, kfd, K.AMDKFD_IOC_SET_XNACK_MODE, xa, xnack_enabled=-1).xnack_enabled == 0
  assert err(sc, kfd, K.AMDKFD_IOC_SET_XNACK_MODE, xa, xnack_enabled=1) == errno.EPERM

def test_unmapped_bo_is_not_gpu_visible(bench, m):
  bo = bench.alloc(4096, map_gpu=False)
  assert m.kfd.vas.lookup(bo.va) is None                              # ALLOC gives a VA; only MAP_MEMORY_TO_GPU puts it in the VM
  bench.map(bo)
  assert m.kfd.vas.lookup(bo.va) is not None

def test_event_misuse(bench, m):
  sc, kfd = m.syscalls, bench.kfd
  # kfd_event_create: an unknown type -> -EINVAL; kfd_ioctl_create_event: an event page BO that does not exist -> -EINVAL
  assert err(sc, kfd, K.AMDKFD_IOC_CREATE_EVENT, EVENT, event_type=99) == errno.EINVAL
  assert err(sc, kfd, K.AMDKFD_IOC_CREATE_EVENT, EVENT, event_page_offset=(GPU << 32) | 999) == errno.EINVAL
  page = bench.alloc(0x8000, gtt=True)
  assert err(sc, kfd, K.AMDKFD_IOC_CREATE_EVENT, EVENT, event_page_offset=page.handle) == 0
  other = bench.alloc(0x8000, gtt=True)                              # kfd_event_page_set: "Event page is already set"
  assert err(sc, kfd, K.AMDKFD_IOC_CREATE_EVENT, EVENT, event_page_offset=other.handle) == errno.EINVAL
  # kfd_event_destroy / kfd_set_event / kfd_reset_event: an unknown id -> -EINVAL
  for req, ct in ((K.AMDKFD_IOC_DESTROY_EVENT, "struct kfd_ioctl_destroy_event_args"), (K.AMDKFD_IOC_SET_EVENT, "struct kfd_ioctl_set_event_args"),
                  (K.AMDKFD_IOC_RESET_EVENT, "struct kfd_ioctl_reset_event_args")):
    assert err(sc, kfd, req, ct, event_id=12345) == errno.EINVAL
  # kfd_set_event: only signal/debug events can be signaled from the CPU (event_can_be_cpu_signaled)
  mem = call(sc, kfd, K.AMDKFD_IOC_CREATE_EVENT, EVENT, event_type=K.KFD_IOC_EVENT_MEMORY)
  assert err(sc, kfd, K.AMDKFD_IOC_SET_EVENT, "struct kfd_ioctl_set_event_args", event_id=mem.event_id) == errno.EINVAL
  # kfd_wait_on_events -> init_event_waiter: an unknown id -> -EINVAL
  data = ffi.new("struct kfd_event_data[1]"); data[0].event_id = 4242
  assert err(sc, kfd, K.AMDKFD_IOC_WAIT_EVENTS, "struct kfd_ioctl_wait_events_args", events_ptr=int(ffi.cast("uintptr_t", data)),
             num_events=1, timeout=1) == errno.EINVAL

def test_queue_misuse(bench, m):
  sc, kfd = m.syscalls, bench.kfd
  ring = bench.alloc(1 << 16, gtt=True); gart = bench.alloc(4096, gtt=True)
  ok = dict(ring_base_address=ring.va, ring_size=1 << 16, gpu_id=GPU, queue_type=0, queue_percentage=100, queue_priority=7,
            write_pointer_address=gart.va, read_pointer_address=gart.va + 8)
  cases = [  # set_queue_properties_from_user (kfd_chardev.c), kfd_queue_acquire_buffers (kfd_queue.c)
    (dict(queue_percentage=101), errno.EINVAL), (dict(queue_priority=16), errno.EINVAL), (dict(ring_size=3000), errno.EINVAL),
    (dict(read_pointer_address=1 << 60), errno.EFAULT), (dict(queue_type=9), 524), (dict(gpu_id=3), errno.EINVAL),
    (dict(ring_base_address=0x200000), errno.EINVAL), (dict(eop_buffer_address=gart.va, eop_buffer_size=100), errno.EINVAL),
    (dict(ctx_save_restore_address=ring.va, ctx_save_restore_size=4096), errno.EINVAL)]
  for kw, code in cases:
    assert err(sc, kfd, K.AMDKFD_IOC_CREATE_QUEUE, QUEUE, **(ok | kw)) == code, kw
  q = call(sc, kfd, K.AMDKFD_IOC_CREATE_QUEUE, QUEUE, **ok)
  # pqm_destroy_queue: an unknown queue id -> -EINVAL; pqm_update_queue_properties: unknown -> -EFAULT
  assert err(sc, kfd, K.AMDKFD_IOC_DESTROY_QUEUE, "struct kfd_ioctl_destroy_queue_args", queue_id=77) == errno.EINVAL
  assert err(sc, kfd, K.AMDKFD_IOC_UPDATE_QUEUE, "struct kfd_ioctl_update_queue_args", queue_id=77, ring_size=4096) == errno.EFAULT
  assert err(sc, kfd, K.AMDKFD_IOC_UPDATE_QUEUE, "struct kfd_ioctl_update_queue_args", queue_id=q.queue_id,
             queue_percentage=200) == errno.EINVAL
  assert err(sc, kfd, K.AMDKFD_IOC_DESTROY_QUEUE, "struct kfd_ioctl_destroy_queue_args", queue_id=q.queue_id) == 0

def test_runtime_enable_twice_is_ebusy(m):
  sc, kfd, drm = opened(m)                                            # runtime_enable: already enabled -> -EBUSY
  ra = "struct kfd_ioctl_runtime_enable_args"
  assert err(sc, kfd, K.AMDKFD_IOC_RUNTIME_ENABLE, ra, mode_mask=0) == 0          # tinygrad's call: runtime_disable
  assert err(sc, kfd, K.AMDKFD_IOC_RUNTIME_ENABLE, ra, mode_mask=1) == 0
  assert err(sc, kfd, K.AMDKFD_IOC_RUNTIME_ENABLE, ra, mode_mask=1) == errno.EBUSY

def test_set_memory_policy_checks(m):
  sc, kfd, drm = opened(m)                                            # kfd_ioctl_set_memory_policy: policy not COHERENT/NONCOHERENT
  mp = "struct kfd_ioctl_set_memory_policy_args"
  assert err(sc, kfd, K.AMDKFD_IOC_SET_MEMORY_POLICY, mp, gpu_id=GPU, default_policy=7) == errno.EINVAL
  assert err(sc, kfd, K.AMDKFD_IOC_SET_MEMORY_POLICY, mp, gpu_id=99, default_policy=0) == errno.EINVAL
  assert err(sc, kfd, K.AMDKFD_IOC_SET_MEMORY_POLICY, mp, gpu_id=GPU, default_policy=1, alternate_policy=0) == 0

def test_mmap_checks(bench, m):
  sc = m.syscalls
  with pytest.raises(IoctlError) as e:                                # kfd_doorbell_mmap: size != the process doorbell slice
    sc.mmap(0, 4096, mmap.PROT_READ | mmap.PROT_WRITE, mmap.MAP_SHARED, bench.kfd, (3 << 62) | (GPU << 46))
  assert e.value.errno == errno.EINVAL
  with pytest.raises(IoctlError) as e:                                # drm_gem_mmap: no BO at that offset
    sc.mmap(0, 4096, mmap.PROT_READ | mmap.PROT_WRITE, mmap.MAP_SHARED, bench.drm, 0x1234000)
  assert e.value.errno == errno.EINVAL

def test_fd_in_another_process_is_ebadf(m):
  sc, kfd, drm = opened(m)                                            # kfd_ioctl: "Using KFD FD in wrong process"
  pid = os.fork()
  if pid == 0:
    code = err(sc, kfd, K.AMDKFD_IOC_GET_VERSION, "struct kfd_ioctl_get_version_args")
    os._exit(code)
  _, st = os.waitpid(pid, 0)
  assert os.WEXITSTATUS(st) == errno.EBADF

def test_hwrt_devices_lists_sim_amd():
  import json, subprocess, sys
  r = subprocess.run([sys.executable, "-m", "hwrt", "devices", "--json"], capture_output=True, text=True, timeout=120)
  d = [x for x in json.loads(r.stdout)["devices"] if x["device"] == "sim:amd"]
  assert d and d[0]["arch"] == "gfx1100" and d[0]["compute_units"] == 96 and d[0]["vram_bytes"] == I.VRAM_BYTES
  assert d[0]["pci"] == I.PCI_BDF and d[0]["render_node"] == "/dev/dri/renderD128"

def test_hwrt_devices_agents_view():
  import subprocess, sys
  r = subprocess.run([sys.executable, "-m", "hwrt", "devices", "--agents"], capture_output=True, text=True, timeout=120)
  out = r.stdout
  assert r.returncode == 0 and "Agent sim:amd" in out
  for want in ("gfx target:              gfx1100", "compute units:           96", "SIMDs per CU:            2",
               "wavefront size:          32", "LDS (KB):                64", "VRAM:                    24.0 GiB", "compute queues:          8"):
    assert want in out, out
