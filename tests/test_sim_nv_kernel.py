"""The syscall seam and the simulated RM object tree: device nodes, real fd numbers, RM_MAP_MEMORY + mmap of memfd pages,
identity controls (H100 by default; A100 / L40 / B200), /proc and /dev/kmsg files, teardown."""
import os, pytest
from hwrt.errors import RMError, BadArgument, DriverNotPresent
from hwrt.ioctl import nv, nv_hw as hw
from hwrt.ioctl.nv import ffi
from hwrt.ioctl.syscalls import PROT_READ, PROT_WRITE, MAP_SHARED
from hwrt.sim.faults import FaultPlan
from hwrt.sim.kernel import new_machine, machine, SimSyscalls
from hwrt.sim.nv.testbench import Bench

@pytest.fixture(autouse=True)
def simdir(tmp_path, monkeypatch):
  monkeypatch.setenv("HWRT_SIM_DIR", str(tmp_path))
  yield tmp_path

@pytest.fixture
def m():
  mm = new_machine("nv", plan=FaultPlan())
  yield mm
  mm.close()

def test_fds_are_real_reserved_numbers_and_host_files_pass_through(m, tmp_path):
  sc = m.syscalls
  assert isinstance(sc, SimSyscalls)
  fd = sc.open("/dev/nvidiactl")
  assert os.readlink(f"/proc/self/fd/{fd}") == "/dev/null"            # the number is held by the process
  other = os.open("/dev/null", os.O_RDONLY)
  assert other != fd
  os.close(other)
  (tmp_path / "f.txt").write_text("host")
  assert sc.read_text(str(tmp_path / "f.txt")) == "host"
  hfd = sc.open(str(tmp_path / "f.txt"), os.O_RDONLY)
  assert hfd not in m.fds
  sc.close(hfd); sc.close(fd)
  assert fd not in m.fds
  with pytest.raises(DriverNotPresent): sc.open("/dev/nvidia7")       # not a simulated node: the host says ENOENT

def test_proc_files_and_exists(m):
  sc = m.syscalls
  assert sc.exists("/dev/nvidiactl") and sc.exists("/dev/nvidia-uvm") and sc.exists("/proc/driver/nvidia/version")
  assert "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  580.142" in sc.read_text("/proc/driver/nvidia/version")
  assert sc.listdir("/proc/driver/nvidia/gpus") == ["0000:01:00.0"]
  assert "NVIDIA H100 80GB HBM3" in sc.read_text("/proc/driver/nvidia/gpus/0000:01:00.0/information")

def test_bring_up_tree_and_identity_h100(m):
  b = Bench(m.syscalls)
  c = lambda name, **kw: b.control(b.subdevice, name, **kw)
  assert ffi.string(c("NV2080_CTRL_CMD_GPU_GET_NAME_STRING").gpuNameString.ascii) == b"NVIDIA H100 80GB HBM3"
  a = c("NV2080_CTRL_CMD_MC_GET_ARCH_INFO")
  assert a.architecture == 0x180 and a.implementation == 0
  info = ffi.new("NV2080_CTRL_GR_INFO[4]")
  for i, idx in enumerate([nv.NV2080_CTRL_GR_INFO_INDEX_SM_VERSION, nv.NV2080_CTRL_GR_INFO_INDEX_LITTER_NUM_GPCS,
                           nv.NV2080_CTRL_GR_INFO_INDEX_LITTER_NUM_TPC_PER_GPC, nv.NV2080_CTRL_GR_INFO_INDEX_LITTER_NUM_SM_PER_TPC]):
    info[i].index = idx
  c("NV2080_CTRL_CMD_GR_GET_INFO", grInfoListSize=4, grInfoList=ffi.cast("NvP64", info))
  assert [info[i].data for i in range(4)] == [0x900, 8, 9, 2]
  # the enabled SMs: popcount of each GPC's TPC mask x SMs per TPC = 132 on an H100 SXM (the litter values say 8 x 9 x 2 = 144)
  tpcs = sum(bin(c("NV2080_CTRL_CMD_GR_GET_TPC_MASK", gpcId=g).tpcMask).count("1") for g in range(8))
  assert tpcs * 2 == 132 and c("NV2080_CTRL_CMD_GR_GET_GPC_MASK").gpcMask == 0xFF
  pci = c("NV2080_CTRL_CMD_BUS_GET_PCI_INFO")
  assert pci.pciDeviceId == 0x233010DE and pci.pciExtDeviceId == 0x2330
  eng = c("NV2080_CTRL_CMD_GPU_GET_ENGINES_V2")
  assert list(eng.engineList[0:eng.engineCount])[:2] == [1, 9]
  n = c("NV2080_CTRL_CMD_GPU_GET_ENGINE_CLASSLIST", engineType=1).numClasses
  arr = ffi.new("NvU32[]", n)
  c("NV2080_CTRL_CMD_GPU_GET_ENGINE_CLASSLIST", engineType=1, numClasses=n, classList=ffi.cast("NvP64", arr))
  assert list(arr) == [0xCBC0]
  cl = b.control(b.device, "NV0080_CTRL_CMD_GPU_GET_CLASSLIST_V2")
  classes = set(cl.classList[0:cl.numClasses])
  assert {0xCBC0, 0xC8B5, 0xC86F, 0xC661, 0x90F1, 0xA06C} <= classes and 0xC6C0 not in classes
  v = b.control(b.client, "NV0000_CTRL_CMD_SYSTEM_GET_BUILD_VERSION_V2")
  assert ffi.string(v.driverVersionBuffer) == b"580.142"
  fb = b.control(b.subdevice, "NV2080_CTRL_CMD_FB_GET_INFO_V2", fbInfoListSize=1, fbInfoList=[{"index": nv.NV2080_CTRL_FB_INFO_INDEX_RAM_SIZE}])
  assert fb.fbInfoList[0].data == (80 << 30) >> 10
  assert b.token == m.gpu.channels[b.token].token                     # the doorbell token names the channel
  # objects live under their parents; freeing the client empties the tree
  rm_client = m.rm.clients[b.client]
  assert m.rm.obj(rm_client, b.channel).parent.handle == b.tsg and m.rm.obj(rm_client, b.compute).parent.handle == b.channel
  p = ffi.new("NVOS00_PARAMETERS *"); p.hRoot = p.hObjectOld = b.client
  m.syscalls.ioctl(b.ctl, nv.iface.request("NV_ESC_RM_FREE"), p)
  assert p.status == 0 and b.client not in m.rm.clients and not m.gpu.channels

@pytest.mark.parametrize("gpu,name,arch,sm,compute", [("a100", "NVIDIA A100-SXM4-80GB", 0x170, 0x800, 0xC6C0),
                                                      ("l40", "NVIDIA L40", 0x190, 0x809, 0xC9C0), ("b200", "NVIDIA B200", 0x1A0, 0xA00, 0xCDC0)])
def test_other_identities(gpu, name, arch, sm, compute):
  mm = new_machine("nv", gpu=gpu, plan=FaultPlan())
  try:
    b = Bench(mm.syscalls)
    assert ffi.string(b.control(b.subdevice, "NV2080_CTRL_CMD_GPU_GET_NAME_STRING").gpuNameString.ascii).decode() == name
    assert b.control(b.subdevice, "NV2080_CTRL_CMD_MC_GET_ARCH_INFO").architecture == arch
    info = ffi.new("NV2080_CTRL_GR_INFO[1]"); info[0].index = nv.NV2080_CTRL_GR_INFO_INDEX_SM_VERSION
    b.control(b.subdevice, "NV2080_CTRL_CMD_GR_GET_INFO", grInfoListSize=1, grInfoList=ffi.cast("NvP64", info))
    assert info[0].data == sm
    assert mm.rm.obj(mm.rm.clients[b.client], b.compute).cls == compute
    with pytest.raises(RMError): b.alloc(b.channel, nv.HOPPER_COMPUTE_A if gpu != "h100" else nv.AMPERE_COMPUTE_A)
  finally: mm.close()
  with pytest.raises(BadArgument): new_machine("nv", gpu="rtx9090")

def test_map_memory_mmap_is_shared_with_the_gpu(m):
  b = Bench(m.syscalls)
  buf = b.buffer(0x2000)
  buf.write(0x1000, b"written by the CPU")
  assert m.gpu.channels[b.token].vas.read(buf.va + 0x1000, 18) == b"written by the CPU"   # the GPU reads the same pages
  m.gpu.channels[b.token].vas.write(buf.va, b"by the GPU")
  assert buf.read(0, 10) == b"by the GPU"
  # a second CPU mapping of the same memory through another fd sees the same bytes
  addr = b.cpu_map(buf.handle, 0x2000)
  assert bytes(ffi.buffer(ffi.cast("char *", addr), 10)) == b"by the GPU"
  # mmap rules (kernel-open/nvidia/nv-mmap.c, 580): no context on the fd -> EINVAL; offset must be 0
  fd = m.syscalls.open("/dev/nvidiactl")
  with pytest.raises(Exception): m.syscalls.mmap(0, 0x1000, PROT_READ, MAP_SHARED, fd, 0)
  assert b.map_status(buf.handle, 0x1000, fd) == 0
  with pytest.raises(Exception): m.syscalls.mmap(0, 0x1000, PROT_READ, MAP_SHARED, fd, 0x1000)
  assert b.map_status(buf.handle, 0x1000, fd) == nv.NV_ERR_STATE_IN_USE      # one mmap context per fd (580 osapi.c)
  assert b.map_status(buf.handle, 0x3000, m.syscalls.open("/dev/nvidiactl")) == nv.NV_ERR_INVALID_LIMIT

def test_doorbell_page_is_the_usermode_page(m):
  b = Bench(m.syscalls)
  t0 = ffi.cast("volatile uint32_t *", b.doorbell + hw.USERMODE_TIME_0)[0] | (ffi.cast("volatile uint32_t *", b.doorbell + hw.USERMODE_TIME_1)[0] << 32)
  b.wait(lambda: (ffi.cast("volatile uint32_t *", b.doorbell + hw.USERMODE_TIME_0)[0] | (ffi.cast("volatile uint32_t *", b.doorbell + hw.USERMODE_TIME_1)[0] << 32)) != t0,
         what="GPU timer ticks")

def test_closing_the_ctl_fd_frees_its_clients(m):
  b = Bench(m.syscalls)
  assert b.client in m.rm.clients and m.gpu.channels
  m.syscalls.close(b.ctl)
  assert b.client not in m.rm.clients and not m.gpu.channels

def test_per_process_machine_is_shared():
  a = machine("nv")
  assert machine("nv") is a and a.syscalls.machine is a
  with pytest.raises(BadArgument): machine("intel")

def test_rm_managed_gpu_mapping_map_memory_dma(m):
  b = Bench(m.syscalls)
  virt = b.alloc(b.device, nv.NV01_MEMORY_VIRTUAL, "NV_MEMORY_VIRTUAL_ALLOCATION_PARAMS", offset=0x40000000, limit=0x7FFFFFFFFF, hVASpace=b.vaspace)
  dst = b.alloc(b.device, nv.NV01_MEMORY_SYSTEM, "NV_MEMORY_ALLOCATION_PARAMS", owner=b.client, size=0x2000)
  cpu = b.cpu_map(dst, 0x2000)
  p = ffi.new("NVOS46_PARAMETERS *")
  p.hClient, p.hDevice, p.hDma, p.hMemory, p.length, p.flags, p.dmaOffset = b.client, b.device, virt, dst, 0x2000, 1 << 15, 0x60000000
  m.syscalls.ioctl(b.ctl, nv.iface.request("NV_ESC_RM_MAP_MEMORY_DMA"), p)
  assert p.status == 0 and p.dmaOffset == 0x60000000
  src, sem = b.buffer(0x1000), b.buffer(0x1000)
  src.write(0, b"through an RM-managed mapping")
  b.submit(hw.copy_linear(src.va, 0x60000000, 29) + hw.copy_semaphore(sem.va, 1))
  b.wait_u64(sem, 0, 1)
  assert bytes(ffi.buffer(ffi.cast("char *", cpu), 29)) == b"through an RM-managed mapping"
  q = ffi.new("NVOS47_PARAMETERS *")
  q.hClient, q.hDevice, q.hDma, q.hMemory, q.dmaOffset = b.client, b.device, virt, dst, 0x60000000
  m.syscalls.ioctl(b.ctl, nv.iface.request("NV_ESC_RM_UNMAP_MEMORY_DMA"), q)
  assert q.status == 0 and m.gpu.channels[b.token].vas.lookup(0x60000000) is None
  m.syscalls.ioctl(b.ctl, nv.iface.request("NV_ESC_RM_UNMAP_MEMORY_DMA"), q)
  assert q.status != 0
