"""The simulated GPU engine, driven the way a driver drives hardware: GPFIFO entries, USERD GP_PUT and the usermode doorbell
written through the CPU mappings the RM handed out, pushbuffers built with hwrt.ioctl.nv_hw, QMDs encoded with
nv_hw.qmd_encode, and a stand-in executor in place of the SASS interpreter."""
import struct, numpy as np, pytest
from hwrt.ioctl import nv_hw as hw
from hwrt.sim import kmsg
from hwrt.sim.kernel import new_machine
from hwrt.sim.nv.testbench import Bench
from hwrt.sim.nv import launch as launch_mod
from hwrt.sim.faults import FaultPlan

@pytest.fixture(autouse=True)
def simdir(tmp_path, monkeypatch):
  monkeypatch.setenv("HWRT_SIM_DIR", str(tmp_path))
  for k in ("HWRT_SIM_FAULTS", "HWRT_SIM_BUGS", "HWRT_SIM_SEED"): monkeypatch.delenv(k, raising=False)
  yield tmp_path

def vadd(launch, mem, deadline):
  """Stand-in executor: c[i] = a[i] + b[i] for i < n, params (a, b, c, n) at cbank0 0x210 as ptxas lays them out."""
  cb = launch.cbank(mem, 0)
  a, b, c, n = struct.unpack_from("<QQQI", cb, hw.CB0_PARAMS_SM90)
  assert n <= launch.grid[0] * launch.block[0]
  def arr(va, write=False):
    base, v = mem.region(va, write)
    return v[va - base: va - base + 4 * n].view(np.float32)
  arr(c, True)[:] = arr(a) + arr(b)
  vadd.seen.append(launch)
vadd.seen = []

def make_machine(**kw):
  kw.setdefault("plan", FaultPlan())
  return new_machine("nv", executor=kw.pop("executor", vadd), **kw)

def setup_vadd(b, n=1000, version="V04_00"):
  A, B, C = (b.buffer(4 * n) for _ in range(3))
  x, y = np.arange(n, dtype=np.float32), np.full(n, 0.5, np.float32)
  A.write(0, x.tobytes()); B.write(0, y.tobytes())
  cb = b.buffer(0x1000)
  cbank = bytearray(hw.CB0_PARAMS_SM90 + 32)
  struct.pack_into("<III", cbank, hw.CB0_BLOCK_DIM, 128, 1, 1)
  struct.pack_into("<QQQI", cbank, hw.CB0_PARAMS_SM90, A.va, B.va, C.va, n)
  cb.write(0, bytes(cbank))
  code = b.buffer(0x1000)
  sem = b.buffer(0x1000)
  grid = (n + 127) // 128
  if version == "V04_00":
    q = hw.qmd_encode("V04_00", qmd_type=2, grid_width=grid, grid_height=1, grid_depth=1, cta_thread_dimension0=128,
                      cta_thread_dimension1=1, cta_thread_dimension2=1, register_count=16, barrier_count=1,
                      shared_memory_size=0x400, program_address_lower=code.va & 0xFFFFFFFF, program_address_upper=code.va >> 32,
                      constant_buffer_valid_0=1, constant_buffer_addr_lower_shifted6_0=(cb.va >> 6) & 0xFFFFFFFF,
                      constant_buffer_addr_upper_shifted6_0=cb.va >> 38, constant_buffer_size_shifted4_0=len(cbank) >> 4,
                      release_enable_0=1, release_structure_size_0=1, release_payload64b_0=1,
                      release_semaphore0_addr_lower=sem.va & 0xFFFFFFFF, release_semaphore0_addr_upper=sem.va >> 32,
                      release_semaphore0_payload_lower=0x89ABCDEF, release_semaphore0_payload_upper=0x1234567)
  else:
    q = hw.qmd_encode("V03_00", cta_raster_width=grid, cta_raster_height=1, cta_raster_depth=1, cta_thread_dimension0=128,
                      cta_thread_dimension1=1, cta_thread_dimension2=1, register_count_v=16, barrier_count=1,
                      program_address_lower=code.va & 0xFFFFFFFF, program_address_upper=code.va >> 32,
                      constant_buffer_valid_0=1, constant_buffer_addr_lower_0=cb.va & 0xFFFFFFFF, constant_buffer_addr_upper_0=cb.va >> 32,
                      constant_buffer_size_shifted4_0=len(cbank) >> 4, release0_enable=1, release0_structure_size=1, release0_payload64b=1,
                      release0_address_lower=sem.va & 0xFFFFFFFF, release0_address_upper=sem.va >> 32,
                      release0_payload_lower=0x89ABCDEF, release0_payload_upper=0x1234567)
  qb = b.buffer(0x1000)
  qb.write(0, q)
  return dict(A=A, B=B, C=C, x=x, y=y, sem=sem, qmd=qb, code=code, cb=cb, n=n)

def launch_words(qva):
  return hw.nvm(hw.SUBC_COMPUTE, hw.CBC0_SEND_PCAS_A, qva >> 8) + hw.nvm(hw.SUBC_COMPUTE, hw.CBC0_SEND_SIGNALING_PCAS2_B, hw.PCAS_ACTION_INVALIDATE_COPY_SCHEDULE)

@pytest.mark.parametrize("gpu,version", [("h100", "V04_00"), ("a100", "V03_00")])
def test_qmd_launch_runs_stand_in_executor_and_releases_semaphore(gpu, version):
  m = make_machine(gpu=gpu)
  try:
    b = Bench(m.syscalls)
    s = setup_vadd(b, version=version)
    vadd.seen.clear()
    b.submit(launch_words(s["qmd"].va))
    b.wait_u64(s["sem"], 0, 0x0123456789ABCDEF)
    out = np.frombuffer(s["C"].read(0, 4 * s["n"]), np.float32)
    assert np.array_equal(out, s["x"] + s["y"])
    L = vadd.seen[-1]
    assert L.grid == (8, 1, 1) and L.block == (128, 1, 1) and L.register_count == 16 and L.barrier_count == 1
    assert L.code_address == s["code"].va and L.constant_buffers[0] == (s["cb"].va, hw.CB0_PARAMS_SM90 + 32)
    assert L.qmd_version == version and L.sm_version == (0x90 if gpu == "h100" else 0x80)
    b.idle()
  finally: m.close()

def test_host_semaphore_64bit_release_and_acquire_blocks(simdir):
  m = make_machine()
  try:
    b = Bench(m.syscalls)
    sem, out = b.buffer(0x1000), b.buffer(0x1000)
    # acquire (circular >=, 64-bit) on sem[0] >= 5, then release out[0] = payload with a timestamp
    b.submit(hw.host_semaphore(sem.va, 5, op=hw.SEM_OP_ACQ_CIRC_GEQ) + hw.host_semaphore(out.va, 0xDEADBEEF00000001, timestamp=True))
    import time; time.sleep(0.05)
    assert out.u64(0) == 0 and b.gp_get() != b.put % b.entries       # stalled on the acquire
    sem.write(0, (5).to_bytes(8, "little"))                             # the CPU releases it
    b.wait_u64(out, 0, 0xDEADBEEF00000001)
    assert out.u64(8) > 0                                               # RELEASE_TIMESTAMP wrote the ns timer at +8
    b.idle()
  finally: m.close()

def test_copy_engine_and_64bit_copy_semaphore():
  m = make_machine()
  try:
    b = Bench(m.syscalls)
    src, dst, sem = b.buffer(0x3000), b.buffer(0x3000, vidmem=True), b.buffer(0x1000)
    data = np.random.default_rng(1).integers(0, 256, 0x3000, dtype=np.uint8).tobytes()
    src.write(0, data)
    b.submit(hw.copy_linear(src.va, dst.va, 0x2FF0) + hw.copy_semaphore(sem.va, 0x100000002))
    b.wait_u64(sem, 0, 0x100000002)
    assert dst.read(0, 0x2FF0) == data[:0x2FF0] and dst.read(0x2FF0, 16) == bytes(16)
  finally: m.close()

def test_mmu_fault_writes_error_notifier_and_xid_31(simdir):
  def bad(launch, mem, deadline): mem.region(0x7F8CA0000000)          # an unmapped global address
  m = make_machine(executor=bad)
  try:
    b = Bench(m.syscalls)
    s = setup_vadd(b)
    b.submit(launch_words(s["qmd"].va))
    b.wait(lambda: b.notifier.read(14, 2) == b"\xff\xff", what="error notifier status")
    assert struct.unpack_from("<I", b.notifier.read(8, 4))[0] == 31                  # info32 = Xid
    assert struct.unpack_from("<H", b.notifier.read(12, 2))[0] == hw.ENGINE_TYPE_GRAPHICS
    log = open(kmsg.kmsg_path()).read()
    assert "NVRM: Xid (PCI:0000:01:00): 31, pid=" in log
    assert "MMU Fault: ENGINE GRAPHICS GPCCLIENT_T1_0 faulted @ 0x7f8c_a0000000. Fault is of type FAULT_PDE ACCESS_TYPE_VIRT_READ" in log
    assert s["sem"].u64(0) == 0                                         # the grid never completed
    # the debugger object reads the fault back (fact sheet §7.4; hopper/gh100/dev_fault.h: FAULT_PDE 0, VIRT_READ 0)
    from hwrt.ioctl import nv
    dbg = b.alloc(b.device, nv.GT200_DEBUGGER, "NV83DE_ALLOC_PARAMETERS", hAppClient=b.client, hClass3dObject=b.compute)
    fi = b.control(dbg, "NV83DE_CTRL_CMD_DEBUG_READ_MMU_FAULT_INFO")
    assert fi.count == 1 and fi.mmuFaultInfoList[0].faultAddress == 0x7F8CA0000000 and fi.mmuFaultInfoList[0].faultType == 0
    # an RC'd channel takes no more work (fact sheet §7.5)
    b.submit(hw.host_semaphore(s["sem"].va, 9)); import time; time.sleep(0.05)
    assert s["sem"].u64(0) == 0
  finally: m.close()

def test_missing_interpreter_is_a_clear_gpu_fault(simdir, monkeypatch):
  import sys
  monkeypatch.setitem(sys.modules, "hwrt.sim.sass_exec", None)        # as if the interpreter were not built
  m = new_machine("nv", plan=FaultPlan())
  try:
    b = Bench(m.syscalls)
    s = setup_vadd(b)
    b.submit(launch_words(s["qmd"].va))
    b.wait(lambda: b.notifier.read(14, 2) == b"\xff\xff", what="error notifier")
    assert "SASS interpreter not built yet" in open(kmsg.kmsg_path()).read()
    assert m.gpu.errors[-1]["xid"] == 13
  finally: m.close()

def test_set_object_of_a_class_not_on_the_channel_is_xid_69(simdir):
  m = make_machine()
  try:
    b = Bench(m.syscalls)
    b.submit(hw.nvm(2, 0, 0xA140))                                      # I2M class never allocated on this channel
    b.wait(lambda: b.notifier.read(14, 2) == b"\xff\xff", what="error notifier")
    assert struct.unpack_from("<I", b.notifier.read(8, 4))[0] == 69
  finally: m.close()

def test_immediate_and_non_incrementing_methods_and_i2m():
  m = make_machine()
  try:
    b = Bench(m.syscalls)
    dst = b.buffer(0x1000)
    words = (hw.nvm(1, hw.CBC0_OFFSET_OUT_UPPER, dst.va >> 32, dst.va & 0xFFFFFFFF) + hw.nvm(1, hw.CBC0_LINE_LENGTH_IN, 8)
             + hw.nvm_immd(1, hw.CBC0_LINE_COUNT, 1) + hw.nvm(1, hw.CBC0_LAUNCH_DMA, 1)
             + hw.nvm_non_inc(1, hw.CBC0_LOAD_INLINE_DATA, 0x11223344, 0x55667788))
    b.submit(words + [0] + hw.host_semaphore(dst.va + 64, 1))           # a zero dword is a NOP
    b.wait_u64(dst, 64, 1)
    assert dst.read(0, 8) == bytes.fromhex("4433221188776655")
  finally: m.close()

def test_engine_thread_stops_on_close():
  m = make_machine()
  t = m.gpu.thread
  assert t.daemon and t.is_alive()
  m.close()
  t.join(2)
  assert not t.is_alive()

def test_dependent_qmd_chain_runs_after_the_first_grid():
  m = make_machine()
  try:
    b = Bench(m.syscalls)
    s = setup_vadd(b)
    q1 = s["qmd"].read(0, 384)
    sem2 = b.buffer(0x1000)
    d = hw.qmd_decode("V04_00", q1)
    d.update(release_semaphore0_addr_lower=sem2.va & 0xFFFFFFFF, release_semaphore0_addr_upper=sem2.va >> 32)
    q2 = hw.qmd_encode("V04_00", **d)
    s["qmd"].write(0x200, q2)                                            # the second QMD, 256-B aligned after the first
    d1 = hw.qmd_decode("V04_00", q1)
    d1.update(dependent_qmd_enable_0=1, dependent_qmd_action_0=1, dependent_qmd0_pointer=(s["qmd"].va + 0x200) >> 8)
    s["qmd"].write(0, hw.qmd_encode("V04_00", **d1))
    vadd.seen.clear()
    b.submit(launch_words(s["qmd"].va))
    b.wait_u64(sem2, 0, 0x0123456789ABCDEF)
    assert [L.qmd_address for L in vadd.seen] == [s["qmd"].va, s["qmd"].va + 0x200]
  finally: m.close()

def test_unscheduled_channel_does_not_run_until_scheduled():
  m = make_machine()
  try:
    b = Bench(m.syscalls)
    b.idle()
    sem = b.buffer(0x1000)
    b.control(b.tsg, "NVA06C_CTRL_CMD_GPFIFO_SCHEDULE", bEnable=0)
    b.submit(hw.host_semaphore(sem.va, 3))
    import time; time.sleep(0.05)
    assert sem.u64(0) == 0
    b.control(b.tsg, "NVA06C_CTRL_CMD_GPFIFO_SCHEDULE", bEnable=1)
    b.wait_u64(sem, 0, 3)
  finally: m.close()

def test_real_sass_interpreter_through_the_engine():
  """End to end with the real executor (hwrt.sim.sass_exec) on hand-written SASS assembled by hwrt's own assembler."""
  import pathlib
  from hwrt.assemblers.sass import assemble
  k = assemble((pathlib.Path(__file__).parent / "examples" / "vadd.sass.s").read_text())[0]
  m = new_machine("nv", plan=FaultPlan())                               # no executor override: the SASS interpreter runs
  try:
    b = Bench(m.syscalls)
    n = 300
    s = setup_vadd(b, n=n)
    s["code"].write(0, k.code)
    cb = bytearray(s["cb"].read(0, hw.CB0_PARAMS_SM90 + 32))
    struct.pack_into("<III", cb, hw.CB0_GRID_DIM, 3, 1, 1)
    struct.pack_into("<I", cb, hw.CB0_STACK, hw.CB0_STACK_INIT)
    s["cb"].write(0, bytes(cb))
    d = hw.qmd_decode("V04_00", s["qmd"].read(0, 384))
    d.update(grid_width=3, register_count=max(k.registers if hasattr(k, "registers") else k.regs, 16))
    s["qmd"].write(0, hw.qmd_encode("V04_00", **d))
    b.submit(launch_words(s["qmd"].va))
    b.wait(lambda: s["sem"].u64(0) == 0x0123456789ABCDEF or b.notifier.read(14, 2) == b"\xff\xff", seconds=60, what="launch")
    assert b.notifier.read(14, 2) == b"\0\0", m.gpu.errors
    assert np.array_equal(np.frombuffer(s["C"].read(0, 4 * n), np.float32), s["x"] + s["y"])
  finally: m.close()
