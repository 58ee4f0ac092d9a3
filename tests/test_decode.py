"""The ioctl decoder (hwrt.ioctl.decode): names and fields by name for every table, NVIDIA nested RM parameter blocks,
DRM driver disambiguation, unknown requests, the one-line format, and its use in syscall error messages."""
import errno, pytest
from hwrt.ioctl import ioc, nv, uvm, kfd, drm, amdgpu, i915, xe
from hwrt.ioctl.abi import load_all
from hwrt.ioctl.decode import decode, format_decoded, nested_pointers, decode_struct, unknown_name
from hwrt.ioctl.ffi import ffi

def raw(p): return bytes(ffi.buffer(p))

KIND = {"nv": "nv", "uvm": "uvm", "kfd": "kfd", "drm": "drm", "amdgpu": "drm", "i915": "drm", "xe": "drm"}

def test_every_table_row_decodes_to_its_name():
  """each ioctl row, given its request and a zeroed argument, decodes to that name (or to a row with the same request)"""
  n = 0
  for name, iface in load_all().items():
    driver = name if name in ("amdgpu", "i915", "xe") else None
    for r in iface.ioctl_rows:
      d = decode(KIND[name], r.request, bytes(r.size), driver=driver)
      assert d["known"] and d["request"] == r.request, (name, r.name, d["name"])
      assert iface.by_request[r.request].name == d["name"]
      if r.struct: assert isinstance(d["fields"], (dict, list)) and d["fields"] != {}, r.name
      n += 1
  assert n > 200

def test_nv_rm_alloc_with_nested_alloc_params():
  p = ffi.new("NVOS21_PARAMETERS *", dict(hRoot=0xC1D00001, hObjectParent=0xCAF00002, hObjectNew=0xCAF00010,
                                          hClass=nv.HOPPER_COMPUTE_A, pAllocParms=0x7F0012340000, paramsSize=16,
                                          status=nv.NV_ERR_INVALID_OBJECT_HANDLE))
  gr = ffi.new("NV_GR_ALLOCATION_PARAMETERS *", dict(version=2, flags=5))
  d = decode("nv", nv.NV_ESC_RM_ALLOC, raw(p), nested={"pAllocParms": raw(gr)})
  assert d["name"] == "NV_ESC_RM_ALLOC" and d["struct"] == "NVOS21_PARAMETERS"
  assert d["fields"]["hObjectNew"] == 0xCAF00010 and d["fields"]["pAllocParms"] == 0x7F0012340000
  assert d["symbols"] == {"hClass": "HOPPER_COMPUTE_A", "status": "NV_ERR_INVALID_OBJECT_HANDLE"}
  assert d["pointers"] == [("pAllocParms", 0x7F0012340000, "NV_GR_ALLOCATION_PARAMETERS", 16)]
  assert d["nested"]["pAllocParms"]["fields"] == {"version": 2, "flags": 5, "size": 0, "caps": 0}
  s = format_decoded(d)
  assert "hClass=0xcbc0(HOPPER_COMPUTE_A)" in s and "status=0x33(NV_ERR_INVALID_OBJECT_HANDLE)" in s
  assert "pAllocParms->NV_GR_ALLOCATION_PARAMETERS{version=2, flags=5, size=0, caps=0}" in s

def test_nv_rm_alloc_nvos64_is_told_apart_by_size():
  p = ffi.new("NVOS64_PARAMETERS *", dict(hClass=nv.NV01_DEVICE_0, pAllocParms=0x1000, flags=1))
  req = nv.iface.request("NV_ESC_RM_ALLOC", "NVOS64_PARAMETERS")
  assert req != nv.NV_ESC_RM_ALLOC
  d = decode("nv", req, raw(p))
  assert d["name"] == "NV_ESC_RM_ALLOC" and d["struct"] == "NVOS64_PARAMETERS" and d["fields"]["flags"] == 1
  assert d["pointers"][0][2:] == ("NV0080_ALLOC_PARAMETERS", 56)

def test_nv_rm_control_params_by_cmd():
  p = ffi.new("NVOS54_PARAMETERS *", dict(hClient=1, hObject=2, cmd=nv.NVC36F_CTRL_CMD_GPFIFO_GET_WORK_SUBMIT_TOKEN,
                                          params=0x5000, paramsSize=4))
  tok = ffi.new("NVC36F_CTRL_CMD_GPFIFO_GET_WORK_SUBMIT_TOKEN_PARAMS *", dict(workSubmitToken=0x1234))
  assert nested_pointers("nv", nv.NV_ESC_RM_CONTROL, raw(p)) == [("params", 0x5000, "NVC36F_CTRL_CMD_GPFIFO_GET_WORK_SUBMIT_TOKEN_PARAMS", 4)]
  d = decode("nv", nv.NV_ESC_RM_CONTROL, raw(p), nested={"params": raw(tok)})
  assert d["symbols"]["cmd"] == "NVC36F_CTRL_CMD_GPFIFO_GET_WORK_SUBMIT_TOKEN"
  assert d["nested"]["params"]["fields"] == {"workSubmitToken": 0x1234}
  # an unknown control still reports the block to read, by paramsSize
  p.cmd, p.paramsSize = 0x20809999, 24
  d = decode("nv", nv.NV_ESC_RM_CONTROL, raw(p))
  assert "cmd" not in d.get("symbols", {}) and d["pointers"] == [("params", 0x5000, None, 24)]

def test_nv_card_info_any_count_and_wrapper_status():
  cards = ffi.new("nv_ioctl_card_info_t[3]")
  cards[2].valid, cards[2].pci_info.bus, cards[2].minor_number, cards[2].gpu_id = 1, 0x41, 7, 0x4100
  d = decode("nv", ioc.IOWR("F", 200, 3 * ffi.sizeof("nv_ioctl_card_info_t")), raw(cards))
  assert d["name"] == "NV_ESC_CARD_INFO" and d["struct"] == "nv_ioctl_card_info_t[3]"
  assert len(d["fields"]) == 3 and d["fields"][2]["pci_info"]["bus"] == 0x41 and d["fields"][2]["minor_number"] == 7
  m = ffi.new("nv_ioctl_nvos33_parameters_with_fd *")
  m.params.hMemory, m.params.status, m.fd = 0xCAF00005, nv.NV_ERR_STATE_IN_USE, 9
  d = decode("nv", nv.NV_ESC_RM_MAP_MEMORY, raw(m))
  assert d["fields"]["params"]["hMemory"] == 0xCAF00005 and d["fields"]["fd"] == 9
  assert d["symbols"]["params.status"] == "NV_ERR_STATE_IN_USE" and "status=0x63(NV_ERR_STATE_IN_USE)" in format_decoded(d)

def test_uvm_plain_numbers():
  p = ffi.new("UVM_REGISTER_GPU_PARAMS *", dict(rmCtrlFd=-1, hClient=0xC1D00001, rmStatus=nv.NV_ERR_NOT_SUPPORTED))
  p.gpu_uuid.uuid[0:4] = [0xDE, 0xAD, 0xBE, 0xEF]
  d = decode("uvm", uvm.UVM_REGISTER_GPU, raw(p))
  assert d["name"] == "UVM_REGISTER_GPU" and d["fields"]["rmCtrlFd"] == -1
  assert d["fields"]["gpu_uuid"]["uuid"][:5] == [0xDE, 0xAD, 0xBE, 0xEF, 0]
  assert d["symbols"] == {"rmStatus": "NV_ERR_NOT_SUPPORTED"}
  assert "rmCtrlFd=-1" in format_decoded(d) and "uuid=[0xde, 0xad, 0xbe, 0xef, 0 x12]" in format_decoded(d)
  assert decode("uvm", uvm.UVM_INITIALIZE, bytes(16))["name"] == "UVM_INITIALIZE"

def test_kfd_and_drm_core():
  v = ffi.new("struct kfd_ioctl_get_version_args *", dict(major_version=1, minor_version=16))
  d = decode("kfd", kfd.AMDKFD_IOC_GET_VERSION, raw(v), path="/dev/kfd")
  assert d["name"] == "AMDKFD_IOC_GET_VERSION" and d["fields"] == {"major_version": 1, "minor_version": 16}
  assert format_decoded(d) == "{major_version=1, minor_version=0x10}"
  a = ffi.new("struct kfd_ioctl_alloc_memory_of_gpu_args *", dict(va_addr=0x7F0000000000, size=1 << 21, gpu_id=0xBEEF,
                                                                   flags=kfd.KFD_IOC_ALLOC_MEM_FLAGS_VRAM))
  d = decode("kfd", kfd.AMDKFD_IOC_ALLOC_MEMORY_OF_GPU, raw(a))
  assert d["fields"]["size"] == 1 << 21 and d["fields"]["gpu_id"] == 0xBEEF
  w = ffi.new("struct drm_syncobj_wait *", dict(handles=0x1000, timeout_nsec=-1, count_handles=2))
  d = decode("drm", drm.DRM_IOCTL_SYNCOBJ_WAIT, raw(w), path="/dev/dri/renderD128")
  assert d["name"] == "DRM_IOCTL_SYNCOBJ_WAIT" and d["fields"]["timeout_nsec"] == -1 and d["fields"]["count_handles"] == 2

def test_drm_driver_ioctls_need_the_driver():
  # the same request number means different things to amdgpu, i915 and xe
  req = xe.DRM_IOCTL_XE_EXEC
  e = ffi.new("struct drm_xe_exec *", dict(exec_queue_id=3, num_batch_buffer=1, address=0x1A0000))
  d = decode("drm", req, raw(e), driver="xe")
  assert d["name"] == "DRM_IOCTL_XE_EXEC" and d["fields"]["address"] == 0x1A0000 and "candidates" not in d
  assert decode("drm", req, raw(e), driver="i915")["known"] is False        # not an i915 request
  q = ffi.new("struct drm_i915_query *", dict(num_items=1, items_ptr=0x2000))
  d = decode("drm", i915.DRM_IOCTL_I915_QUERY, raw(q), driver="i915")
  assert d["name"] == "DRM_IOCTL_I915_QUERY" and d["fields"]["items_ptr"] == 0x2000
  # no driver and no sysfs for the path: every table whose request matches is a candidate
  shared = [r for r in amdgpu.iface.ioctl_rows if r.request in i915.iface.by_request]
  for r in shared:
    d = decode("drm", r.request, bytes(r.size), path="/nonexistent/dev/dri/renderD200")
    assert len(d["candidates"]) >= 2
  from hwrt.ioctl.decode import register_drm_driver
  register_drm_driver("/dev/dri/renderD250", "xe")   # what a simulated machine does for its nodes
  d = decode("drm", req, raw(e), path="/dev/dri/renderD250")
  assert d["name"] == "DRM_IOCTL_XE_EXEC" and "candidates" not in d
  info = ffi.new("struct drm_amdgpu_info *", dict(return_pointer=0x3000, return_size=8, query=amdgpu.AMDGPU_INFO_DEV_INFO))
  d = decode("drm", amdgpu.DRM_IOCTL_AMDGPU_INFO, raw(info), driver="amdgpu")
  assert d["name"] == "DRM_IOCTL_AMDGPU_INFO" and d["fields"]["query"] == amdgpu.AMDGPU_INFO_DEV_INFO

def test_unknown_requests():
  d = decode("nv", ioc.IOWR("F", 0x2B, 40), bytes(40))   # RM_ALLOC with a size no table has
  assert (d["name"], d["known"]) == ("_IOWR('F', 0x2b, 40)", False)
  assert d["fields"] == {"dir": 3, "type": 0x46, "nr": 0x2B, "size": 40} and d["near"] == ["nv:NV_ESC_RM_ALLOC"]
  assert decode(None, ioc.IO("x", 5))["name"] == "_IO('x', 0x5)"
  assert decode("kfd", ioc.IOR("K", 0xFE, 8))["name"] == "_IOR('K', 0xfe, 8)"
  assert decode("drm", ioc.IOW(0x01, 0x02, 4))["name"] == "_IOW(0x1, 0x2, 4)"
  assert unknown_name(ioc.IOC(0, "V", 0x78, 12)) == "_IOC(_IOC_NONE, 'V', 0x78, 12)"
  assert format_decoded(decode("uvm", 12345)) == "{dir=0, type=0x30, nr=0x39, size=0}"

def test_short_data_and_kind_none():
  d = decode(None, nv.NV_ESC_RM_FREE, b"\x01\x00\x00\x00")
  assert d["name"] == "NV_ESC_RM_FREE" and d["fields"]["hRoot"] == 1 and d["truncated"] == 4
  assert "(only 4 bytes)" in format_decoded(d)

def test_format_decoded_is_one_compact_line():
  d = {"fields": {"a": 1, "b": 0x10, "neg": -3, "s": "abc", "sub": {"x": 2}, "arr": [1, 2, 0, 0, 0], "z": [0, 0], "o": [{"p": 0}]}}
  assert format_decoded(d) == "{a=1, b=0x10, neg=-3, s='abc', sub={x=2}, arr=[1, 2, 0 x3], z=[0 x2], o=[0 x1]}"
  v = ffi.new("struct drm_version *", dict(version_major=1, name_len=6))
  assert "\n" not in format_decoded(decode("drm", drm.DRM_IOCTL_VERSION, raw(v)))
  assert decode_struct("char[8]", b"amdgpu\0\0") == "amdgpu"

def test_syscall_error_message_uses_the_decoder():
  from hwrt.ioctl.syscalls import Syscalls
  from hwrt.errors import IoctlError
  s = Syscalls()
  s.paths[5] = "/dev/nvidiactl"
  p = ffi.new("NVOS54_PARAMETERS *", dict(hClient=0xC1D00001, cmd=nv.NV2080_CTRL_CMD_GPU_GET_GID_INFO, params=0x10, paramsSize=268))
  e = s.ioctl_error(5, nv.NV_ESC_RM_CONTROL, p, errno.EINVAL)
  assert isinstance(e, IoctlError) and e.name == "NV_ESC_RM_CONTROL"
  msg = str(e)
  assert "NV_ESC_RM_CONTROL on /dev/nvidiactl" in msg and "EINVAL" in msg
  assert "cmd=0x2080014a(NV2080_CTRL_CMD_GPU_GET_GID_INFO)" in msg and "paramsSize=0x10c" in msg

def test_syscall_error_reads_uvm_arguments_by_table_size():
  """UVM requests are plain numbers without size bits: the argument size comes from the table"""
  from hwrt.ioctl.syscalls import Syscalls
  s = Syscalls()
  s.paths[7] = "/dev/nvidia-uvm"
  p = ffi.new("UVM_CREATE_EXTERNAL_RANGE_PARAMS *", dict(base=0x200000000, length=0x200000, rmStatus=nv.NV_ERR_INVALID_ADDRESS))
  msg = str(s.ioctl_error(7, uvm.UVM_CREATE_EXTERNAL_RANGE, p, errno.EFAULT))
  assert "UVM_CREATE_EXTERNAL_RANGE on /dev/nvidia-uvm" in msg and "base=0x200000000" in msg and "NV_ERR_INVALID_ADDRESS" in msg

def test_pointer_rows_name_real_fields_and_types():
  n = 0
  for name, iface in load_all().items():
    for owner, rows in iface.pointers.items():
      fields = dict(ffi.typeof(owner).fields)
      for p in rows:
        assert p.field in fields and p.count in fields, (name, owner, p)
        assert fields[p.field].type.kind == "primitive" and ffi.sizeof(fields[p.field].type) == 8, (owner, p.field)  # a __u64 user pointer
        assert ffi.sizeof(p.target) > 0
        n += 1
  assert n >= 10

def test_driver_argument_pointers_and_their_arrays():
  e = ffi.new("struct drm_i915_gem_execbuffer2 *", dict(buffers_ptr=0x1000, buffer_count=2, batch_len=64))
  objs = ffi.new("struct drm_i915_gem_exec_object2[2]")
  objs[0].handle, objs[1].handle, objs[1].offset = 5, 6, 0x10000
  d = decode("drm", i915.DRM_IOCTL_I915_GEM_EXECBUFFER2, raw(e), driver="i915", nested={"buffers_ptr": raw(objs)})
  assert d["pointers"] == [("buffers_ptr", 0x1000, "struct drm_i915_gem_exec_object2[2]", 2 * ffi.sizeof("struct drm_i915_gem_exec_object2"))]
  assert [o["handle"] for o in d["nested"]["buffers_ptr"]["fields"]] == [5, 6]
  assert "buffers_ptr->struct drm_i915_gem_exec_object2[2][{handle=5," in format_decoded(d)
  # xe: vector_of_binds is only a pointer with more than one bind op (else it overlaps the inline op)
  b = ffi.new("struct drm_xe_vm_bind *", dict(num_binds=1, num_syncs=1, syncs=0x3000))
  b.vector_of_binds = 0x4000
  assert [p[0] for p in decode("drm", xe.DRM_IOCTL_XE_VM_BIND, raw(b), driver="xe")["pointers"]] == ["syncs"]
  b.num_binds = 3
  assert ("vector_of_binds", 0x4000, "struct drm_xe_vm_bind_op[3]", 3 * ffi.sizeof("struct drm_xe_vm_bind_op")) in \
    decode("drm", xe.DRM_IOCTL_XE_VM_BIND, raw(b), driver="xe")["pointers"]
  m = ffi.new("struct kfd_ioctl_map_memory_to_gpu_args *", dict(handle=1, device_ids_array_ptr=0x5000, n_devices=2))
  d = decode("kfd", kfd.AMDKFD_IOC_MAP_MEMORY_TO_GPU, raw(m), nested={"device_ids_array_ptr": bytes([1, 0, 0, 0, 2, 0, 0, 0])})
  assert d["nested"]["device_ids_array_ptr"]["fields"] == [1, 2]
