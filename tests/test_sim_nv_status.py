"""Status-code fidelity of the simulated RM and UVM: each misuse gets the code NVIDIA's kernel modules return. Every case names
the file (in github:NVIDIA/open-gpu-kernel-modules, 580 branch) and function the expected value comes from."""
import errno, pytest
from hwrt.errors import IoctlError
from hwrt.ioctl import nv, uvm
from hwrt.ioctl.nv import ffi
from hwrt.sim import kmsg
from hwrt.sim.faults import FaultPlan
from hwrt.sim.kernel import new_machine
from hwrt.sim.nv.testbench import Bench

@pytest.fixture
def bench(tmp_path, monkeypatch):
  monkeypatch.setenv("HWRT_SIM_DIR", str(tmp_path))
  m = new_machine("nv", plan=FaultPlan(), vram=64 << 20)
  b = Bench(m.syscalls)
  yield b
  m.close()

def raw_ioctl(b, fd, nr, size, arg):
  req = 0xC0000000 | (size << 16) | (ord("F") << 8) | nr
  with pytest.raises(IoctlError) as e: b.sc.ioctl(fd, req, arg)
  return e.value.errno

# ---- escape layer ----------------------------------------------------------------------------------------------------------
def test_rm_alloc_with_wrong_struct_size_is_einval(bench):
  # src/nvidia/arch/nvalloc/unix/src/escape.c, case NV_ESC_RM_ALLOC: dataSize neither sizeof(NVOS21) nor sizeof(NVOS64)
  # -> NV_ERR_INVALID_ARGUMENT; kernel-open/nvidia/nv.c nvidia_ioctl: rmStatus != NV_OK -> -EINVAL
  assert raw_ioctl(bench, bench.ctl, 0x2B, 40, ffi.new("char[40]")) == errno.EINVAL

def test_rm_control_with_wrong_struct_size_is_einval(bench):
  # escape.c, case NV_ESC_RM_CONTROL: dataSize != sizeof(NVOS54_PARAMETERS) -> NV_ERR_INVALID_ARGUMENT -> -EINVAL (nv.c)
  assert raw_ioctl(bench, bench.ctl, 0x2A, 24, ffi.new("char[24]")) == errno.EINVAL

def test_unknown_escape_is_einval(bench):
  # kernel-open/nvidia/nv.c nv_validate_ioctl: "unknown NVRM ioctl command" -> NV_ERR_INVALID_ARGUMENT -> -EINVAL
  assert raw_ioctl(bench, bench.ctl, 0x20, 16, ffi.new("char[16]")) == errno.EINVAL

def test_rm_control_on_a_device_node_is_einval(bench):
  # escape.c NV_CTL_DEVICE_ONLY(nv) in case NV_ESC_RM_CONTROL: a /dev/nvidia0 fd -> NV_ERR_INVALID_ARGUMENT -> -EINVAL
  p = ffi.new("NVOS54_PARAMETERS *")
  with pytest.raises(IoctlError) as e: bench.sc.ioctl(bench.dev_fd, nv.iface.request("NV_ESC_RM_CONTROL"), p)
  assert e.value.errno == errno.EINVAL

def test_version_check_strict_mismatch(bench):
  # src/nvidia/arch/nvalloc/unix/src/osapi.c RmPerformVersionCheck: reply = RECOGNIZED, the RM version is copied back,
  # "NVRM: API mismatch" is logged and NV_ERR_GENERIC returned; kernel-open/nvidia/nv.c NV_ESC_CHECK_VERSION_STR -> -EINVAL
  p = ffi.new("nv_ioctl_rm_api_version_t *"); p.cmd = 0
  ffi.memmove(p.versionString, b"1.2.3\0", 6)
  with pytest.raises(IoctlError) as e: bench.sc.ioctl(bench.ctl, nv.iface.request("NV_ESC_CHECK_VERSION_STR"), p)
  assert e.value.errno == errno.EINVAL and p.reply == 1
  assert ffi.string(p.versionString).decode() == bench.sc.machine.rm.version
  assert "NVRM: API mismatch: the client" in open(kmsg.kmsg_path()).read()
  q = ffi.new("nv_ioctl_rm_api_version_t *"); q.cmd = ord("2")           # QUERY never fails
  bench.sc.ioctl(bench.ctl, nv.iface.request("NV_ESC_CHECK_VERSION_STR"), q)
  assert ffi.string(q.versionString).decode() == bench.sc.machine.rm.version

# ---- RM_ALLOC ---------------------------------------------------------------------------------------------------------------
def test_alloc_unknown_class(bench):
  # src/nvidia/src/kernel/rmapi/resource_desc.c rmapiGetClassAllocParamSize (via param_copy.c) and
  # alloc_free.c serverAllocResourceUnderLock: RsResInfoByExternalClassId == NULL -> NV_ERR_INVALID_CLASS
  assert bench.alloc_status(bench.device, 0xBEEF)[0] == nv.NV_ERR_INVALID_CLASS

def test_alloc_required_params_missing(bench):
  # src/nvidia/src/kernel/rmapi/param_copy.c: bAllowNull == NV_FALSE && pUserParams == NULL -> NV_ERR_INVALID_ARGUMENT
  # (FERMI_VASPACE_A params are RS_REQUIRED in resource_list.h)
  assert bench.alloc_status(bench.device, nv.FERMI_VASPACE_A)[0] == nv.NV_ERR_INVALID_ARGUMENT

def test_alloc_with_unknown_client(bench):
  # src/nvidia/src/libraries/resserv/src/rs_server.c _serverLockClientWithLockInfo: no client entry -> NV_ERR_INVALID_OBJECT_HANDLE
  assert bench.alloc_status(bench.device, nv.NV20_SUBDEVICE_0, hroot=0xC1D0FFFF)[0] == nv.NV_ERR_INVALID_OBJECT_HANDLE

def test_alloc_with_unknown_parent(bench):
  # alloc_free.c serverAllocResourceUnderLock -> src/nvidia/src/libraries/resserv/src/rs_client.c clientGetResourceRef:
  # mapFind fails -> NV_ERR_OBJECT_NOT_FOUND
  assert bench.alloc_status(0xCAFE0001, nv.NV20_SUBDEVICE_0)[0] == nv.NV_ERR_OBJECT_NOT_FOUND

def test_alloc_under_the_wrong_parent_class(bench):
  # alloc_free.c serverAllocResourceUnderLock: parent not in pResDesc->pParentList -> NV_ERR_INVALID_OBJECT_PARENT;
  # src/nvidia/src/kernel/rmapi/resource_list.h: NV20_SUBDEVICE_0 parents = Device only
  assert bench.alloc_status(bench.client, nv.NV20_SUBDEVICE_0)[0] == nv.NV_ERR_INVALID_OBJECT_PARENT
  # resource_list.h: HOPPER_COMPUTE_A parents = KernelChannel only
  assert bench.alloc_status(bench.device, nv.HOPPER_COMPUTE_A)[0] == nv.NV_ERR_INVALID_OBJECT_PARENT

def test_alloc_with_a_handle_already_in_use(bench):
  # src/nvidia/src/libraries/resserv/src/rs_client.c clientValidateNewResourceHandle: existing handle -> NV_ERR_INSERT_DUPLICATE_NAME
  assert bench.alloc_status(bench.device, nv.NV20_SUBDEVICE_0, handle=bench.vaspace)[0] == nv.NV_ERR_INSERT_DUPLICATE_NAME

def test_alloc_with_the_client_handle_as_new_handle(bench):
  # rs_client.c clientValidateNewResourceHandle: hResource == hClient -> NV_ERR_INVALID_OBJECT_HANDLE
  assert bench.alloc_status(bench.device, nv.NV20_SUBDEVICE_0, handle=bench.client)[0] == nv.NV_ERR_INVALID_OBJECT_HANDLE

def test_alloc_class_this_gpu_does_not_have(bench):
  # src/nvidia/src/kernel/rmapi/alloc_free.c resservResourceFactory: !gpuIsClassSupported -> NV_ERR_NOT_SUPPORTED
  # (g_gpu_class_list.c: GH100 lists no AMPERE_COMPUTE_A)
  assert bench.alloc_status(bench.channel, nv.AMPERE_COMPUTE_A)[0] == nv.NV_ERR_NOT_SUPPORTED

def test_alloc_device_with_bad_instance(bench):
  # alloc_free.c resservResourceFactory (Device): deviceId >= NV_MAX_DEVICES -> NV_ERR_INVALID_ARGUMENT;
  # no GPU at that device instance -> NV_ERR_INVALID_STATE; NULL params -> NV_ERR_INVALID_ARGUMENT
  assert bench.alloc_status(bench.client, nv.NV01_DEVICE_0, "NV0080_ALLOC_PARAMETERS", deviceId=32)[0] == nv.NV_ERR_INVALID_ARGUMENT
  assert bench.alloc_status(bench.client, nv.NV01_DEVICE_0, "NV0080_ALLOC_PARAMETERS", deviceId=1)[0] == nv.NV_ERR_INVALID_STATE
  assert bench.alloc_status(bench.client, nv.NV01_DEVICE_0)[0] == nv.NV_ERR_INVALID_ARGUMENT

def test_vidmem_exhaustion(bench):
  # src/nvidia/src/kernel/gpu/mem_mgr/heap.c (heap block allocation: "failed to allocate block") -> NV_ERR_NO_MEMORY
  st, _ = bench.alloc_status(bench.device, nv.NV01_MEMORY_LOCAL_USER, "NV_MEMORY_ALLOCATION_PARAMS", owner=bench.client, size=128 << 20)
  assert st == nv.NV_ERR_NO_MEMORY
  st, h = bench.alloc_status(bench.device, nv.NV01_MEMORY_LOCAL_USER, "NV_MEMORY_ALLOCATION_PARAMS", owner=bench.client, size=32 << 20)
  assert st == nv.NV_OK and bench.free_status(h) == nv.NV_OK

# ---- RM_FREE ----------------------------------------------------------------------------------------------------------------
def test_double_free(bench):
  # rs_server.c serverFreeResourceTreeLockAndFindResource -> rs_client.c clientGetResourceRef -> NV_ERR_OBJECT_NOT_FOUND
  h = bench.alloc(bench.device, nv.NV01_MEMORY_SYSTEM, "NV_MEMORY_ALLOCATION_PARAMS", owner=bench.client, size=4096)
  assert bench.free_status(h) == nv.NV_OK
  assert bench.free_status(h) == nv.NV_ERR_OBJECT_NOT_FOUND

def test_free_takes_the_children_along(bench):
  # rs_server.c serverFreeResourceTree frees the whole subtree; the child's handle is then unknown -> NV_ERR_OBJECT_NOT_FOUND
  assert bench.free_status(bench.tsg) == nv.NV_OK
  assert bench.control_status(bench.channel, "NVC36F_CTRL_CMD_GPFIFO_GET_WORK_SUBMIT_TOKEN")[0] == nv.NV_ERR_OBJECT_NOT_FOUND
  assert bench.free_status(bench.ctxshare) == nv.NV_ERR_OBJECT_NOT_FOUND

def test_free_with_unknown_client(bench):
  # rs_server.c serverFreeResourceTreeLockAndFindResource -> _serverLockClientWithLockInfo -> NV_ERR_INVALID_OBJECT_HANDLE
  p = ffi.new("NVOS00_PARAMETERS *"); p.hRoot, p.hObjectOld = 0xC1D0FFFF, bench.device
  bench.sc.ioctl(bench.ctl, nv.iface.request("NV_ESC_RM_FREE"), p)
  assert p.status == nv.NV_ERR_INVALID_OBJECT_HANDLE

# ---- RM_CONTROL -------------------------------------------------------------------------------------------------------------
def test_control_with_unknown_client(bench):
  # src/nvidia/src/kernel/rmapi/control.c _rmapiRmControl: serverutilGetClientUnderLock == NULL -> NV_ERR_INVALID_CLIENT
  assert bench.control_status(bench.subdevice, "NV2080_CTRL_CMD_MC_GET_ARCH_INFO", hclient=0xC1D0FFFF)[0] == nv.NV_ERR_INVALID_CLIENT

def test_control_with_wrong_params_size(bench):
  # control.c _rmapiRmControl: paramsSize != ctrlParamsSize -> NV_ERR_INVALID_ARGUMENT ("bad params")
  assert bench.control_status(bench.subdevice, "NV2080_CTRL_CMD_MC_GET_ARCH_INFO", size=12)[0] == nv.NV_ERR_INVALID_ARGUMENT

def test_control_with_null_params(bench):
  # control.c _rmapiRmControl: paramsSize != 0 && pUserParams == NULL -> NV_ERR_INVALID_ARGUMENT
  assert bench.control_status(bench.subdevice, "NV2080_CTRL_CMD_MC_GET_ARCH_INFO", null=True)[0] == nv.NV_ERR_INVALID_ARGUMENT

def test_control_on_unknown_object(bench):
  # src/nvidia/src/libraries/resserv/src/rs_server.c serverControl -> clientGetResourceRef -> NV_ERR_OBJECT_NOT_FOUND
  assert bench.control_status(0xCAFE0001, "NV2080_CTRL_CMD_MC_GET_ARCH_INFO")[0] == nv.NV_ERR_OBJECT_NOT_FOUND

def test_control_the_object_does_not_export(bench):
  # src/nvidia/src/libraries/resserv/src/rs_resource.c resControlLookup: no exported method for cmd -> NV_ERR_NOT_SUPPORTED
  assert bench.control_status(bench.device, "NV2080_CTRL_CMD_MC_GET_ARCH_INFO")[0] == nv.NV_ERR_NOT_SUPPORTED
  assert bench.control_status(bench.subdevice, "NVA06C_CTRL_CMD_GPFIFO_SCHEDULE")[0] == nv.NV_ERR_NOT_SUPPORTED

# ---- UVM --------------------------------------------------------------------------------------------------------------------
def uvm_fd_status(b, fd, name, **fields):
  row = uvm.iface.ioctls[name]; p = ffi.new(f"{row.struct} *")
  for k, v in fields.items(): setattr(p, k, v)
  assert b.sc.ioctl(fd, row.request, p) == 0          # UVM returns its result in rmStatus, the ioctl itself succeeds
  return p.rmStatus

def test_uvm_before_initialize(bench):
  # kernel-open/nvidia-uvm/uvm_api.h UVM_ROUTE_CMD_STACK_INIT_CHECK: fd without a VA space -> NV_ERR_ILLEGAL_ACTION
  fd = bench.sc.open("/dev/nvidia-uvm")
  assert uvm_fd_status(bench, fd, "UVM_CREATE_EXTERNAL_RANGE", base=0x100000000, length=0x1000) == nv.NV_ERR_ILLEGAL_ACTION

def test_uvm_reinitialize_with_other_flags(bench):
  # kernel-open/nvidia-uvm/uvm.c uvm_api_initialize: UVM_FD_VA_SPACE and flags != initialization_flags -> NV_ERR_INVALID_ARGUMENT
  assert uvm_fd_status(bench, bench.uvm, "UVM_INITIALIZE", flags=0) == nv.NV_OK
  assert uvm_fd_status(bench, bench.uvm, "UVM_INITIALIZE", flags=1) == nv.NV_ERR_INVALID_ARGUMENT

def test_uvm_mm_initialize_rules(bench):
  # uvm.c uvm_api_mm_initialize: uvmFd not a UVM VA-space fd -> NV_ERR_INVALID_ARGUMENT; va_space_mm already ALIVE -> NV_ERR_INVALID_STATE
  fd = bench.sc.open("/dev/nvidia-uvm")
  assert uvm_fd_status(bench, fd, "UVM_MM_INITIALIZE", uvmFd=bench.ctl) == nv.NV_ERR_INVALID_ARGUMENT
  assert uvm_fd_status(bench, fd, "UVM_MM_INITIALIZE", uvmFd=bench.uvm) == nv.NV_OK
  fd2 = bench.sc.open("/dev/nvidia-uvm")
  assert uvm_fd_status(bench, fd2, "UVM_MM_INITIALIZE", uvmFd=bench.uvm) == nv.NV_ERR_INVALID_STATE
  # uvm_va_space_mm.c uvm_va_space_mm_enabled: false in multi-process sharing mode -> NV_WARN_NOTHING_TO_DO
  shared = bench.sc.open("/dev/nvidia-uvm")
  assert uvm_fd_status(bench, shared, "UVM_INITIALIZE", flags=uvm.UVM_INIT_FLAGS_MULTI_PROCESS_SHARING_MODE) == nv.NV_OK
  assert uvm_fd_status(bench, bench.sc.open("/dev/nvidia-uvm"), "UVM_MM_INITIALIZE", uvmFd=shared) == nv.NV_WARN_NOTHING_TO_DO

def test_uvm_register_gpu_twice(bench):
  # kernel-open/nvidia-uvm/uvm_va_space.c uvm_va_space_register_gpu: already in registered_gpus -> NV_ERR_INVALID_DEVICE
  assert bench.uvm_status("UVM_REGISTER_GPU", gpu_uuid=bench.uuid, rmCtrlFd=-1) == nv.NV_ERR_INVALID_DEVICE

def test_uvm_register_vaspace_not_externally_owned(bench):
  # src/nvidia/src/kernel/rmapi/nv_gpu_ops.c nvGpuOpsDupAddressSpace: !vaspaceIsExternallyOwned -> NV_ERR_INVALID_FLAGS
  vas = bench.alloc(bench.device, nv.FERMI_VASPACE_A, "NV_VASPACE_ALLOCATION_PARAMETERS", vaBase=0x1000, vaSize=1 << 40, flags=0)
  bench.uvm_call("UVM_UNREGISTER_GPU_VASPACE", gpuUuid=bench.uuid)
  assert bench.uvm_status("UVM_REGISTER_GPU_VASPACE", gpuUuid=bench.uuid, rmCtrlFd=bench.ctl, hClient=bench.client,
                          hVaSpace=vas) == nv.NV_ERR_INVALID_FLAGS

def test_uvm_register_vaspace_without_gpu(bench):
  # uvm_va_space.c uvm_va_space_register_gpu_va_space: uvm_va_space_retain_gpu_by_uuid fails -> NV_ERR_INVALID_DEVICE
  fd = bench.sc.open("/dev/nvidia-uvm"); assert uvm_fd_status(bench, fd, "UVM_INITIALIZE", flags=0) == nv.NV_OK
  row = uvm.iface.ioctls["UVM_REGISTER_GPU_VASPACE"]; p = ffi.new(f"{row.struct} *")
  ffi.memmove(ffi.addressof(p.gpuUuid), bench.uuid, 16); p.rmCtrlFd, p.hClient, p.hVaSpace = bench.ctl, bench.client, bench.vaspace
  bench.sc.ioctl(fd, row.request, p)
  assert p.rmStatus == nv.NV_ERR_INVALID_DEVICE

def test_uvm_external_range_alignment_and_overlap(bench):
  # kernel-open/nvidia-uvm/uvm_map_external.c uvm_create_external_range: uvm_api_range_invalid_4k -> NV_ERR_INVALID_ADDRESS
  assert bench.uvm_status("UVM_CREATE_EXTERNAL_RANGE", base=0x900000800, length=0x1000) == nv.NV_ERR_INVALID_ADDRESS
  # kernel-open/nvidia-uvm/uvm_range_tree.c uvm_range_tree_add: overlapping node -> NV_ERR_UVM_ADDRESS_IN_USE
  assert bench.uvm_status("UVM_CREATE_EXTERNAL_RANGE", base=0x900000000, length=0x4000) == nv.NV_OK
  assert bench.uvm_status("UVM_CREATE_EXTERNAL_RANGE", base=0x900002000, length=0x4000) == nv.NV_ERR_UVM_ADDRESS_IN_USE

def test_uvm_map_external_allocation_checks(bench):
  # uvm_map_external.c uvm_map_external_allocation: no external range covering [base, base+length) -> NV_ERR_INVALID_ADDRESS;
  # gpuAttributesCount == 0 -> NV_ERR_INVALID_ARGUMENT
  h = bench.alloc(bench.device, nv.NV01_MEMORY_SYSTEM, "NV_MEMORY_ALLOCATION_PARAMS", owner=bench.client, size=0x1000)
  with pytest.raises(Exception) as e: bench.map_external(0xA00000000, 0x1000, h)
  assert e.value.info["status"] == nv.NV_ERR_INVALID_ADDRESS
  assert bench.uvm_status("UVM_MAP_EXTERNAL_ALLOCATION", base=bench.ring.va, length=0x1000, gpuAttributesCount=0) == nv.NV_ERR_INVALID_ARGUMENT

def test_uvm_unknown_ioctl(bench):
  # kernel-open/nvidia-uvm/uvm_test.c uvm_test_ioctl: builtin tests not enabled -> -ENOSYS
  with pytest.raises(IoctlError) as e: bench.sc.ioctl(bench.uvm, 0x7EE, ffi.new("char[64]"))
  assert e.value.errno == errno.ENOSYS
