"""sim:amd command processor: PM4 packets (WRITE_DATA, RELEASE_MEM + interrupt, WAIT_REG_MEM, INDIRECT_BUFFER, COPY_DATA,
DISPATCH_DIRECT), AQL (kernel dispatch, barrier-AND, completion signals), SDMA (linear copy, fence, trap), the GPU VM (a stray
access is a gfxhub page fault in amdgpu's format), HWRT_SIM_FAULTS and the planted MES bug. Kernels are compiled by clang-19."""
import os, struct, subprocess, sys, textwrap, time
import numpy as np
import pytest
from hwrt.errors import GPUFault, GPUTimeout
from hwrt.ioctl import kfd as K
from hwrt.ioctl.ffi import ffi
from hwrt.sim import kernel, kmsg
from hwrt.sim.faults import FaultPlan
from hwrt.sim.amd import identity as I
from hwrt.sim.amd.testbench import Bench, P3
from tests.conftest import oracle
from tests.amd_corpus.build import compile_cl

@pytest.fixture
def m():
  mm = kernel.new_machine("amd")
  yield mm
  mm.close()

@pytest.fixture
def bench(m): return Bench(m.syscalls)

def until(cond, seconds=5.0):
  end = time.monotonic() + seconds
  while time.monotonic() < end:
    if cond(): return True
    time.sleep(0.002)
  return False

def log_mark() -> int:
  try:
    with open(kmsg.kmsg_path()) as f: return len(f.readlines())
  except FileNotFoundError: return 0
def log_since(n: int) -> list[str]:
  if not os.path.exists(kmsg.kmsg_path()): return []
  with open(kmsg.kmsg_path()) as f: return [l.split(";", 1)[1].rstrip("\n") for l in f.readlines()[n:]]

def axpy(bench):
  return bench.load_elf(compile_cl("axpy", oracle("clang-19")))

def test_write_data_release_mem_and_indirect_buffer(bench):
  sig = bench.sig.va
  ib = bench.alloc(4096, gtt=True)
  words = [P3(0x37, 4), 5 << 8, (sig + 16) & 0xFFFFFFFF, (sig + 16) >> 32, 0xCAFE,          # WRITE_DATA dst_sel=memory
           P3(0x49, 7), 0x14 | (5 << 8), 2 << 29, (sig + 24) & 0xFFFFFFFF, (sig + 24) >> 32, 0x11, 0x22, 0]   # RELEASE_MEM 64-bit
  ib.view[:4 * len(words)] = np.array(words, np.uint32).view(np.uint8)
  bench.submit([P3(0x3F, 3), ib.va & 0xFFFFFFFF, ib.va >> 32, len(words) | (1 << 23),
                P3(0x40, 5), 5 | (2 << 8), 0xBEEF, 0, (sig + 32) & 0xFFFFFFFF, (sig + 32) >> 32])        # COPY_DATA imm -> memory
  v = bench.sig.view
  assert until(lambda: v[32:36].view(np.uint32)[0] == 0xBEEF)
  assert v[16:20].view(np.uint32)[0] == 0xCAFE and v[24:32].view(np.uint64)[0] == 0x2200000011

def test_wait_reg_mem_stalls_until_memory_changes_even_inside_an_ib(bench):
  sig = bench.sig.va
  ib = bench.alloc(4096, gtt=True)
  words = [P3(0x3C, 6), (1 << 4) | 5, (sig + 64) & 0xFFFFFFFF, (sig + 64) >> 32, 3, 0xFFFFFFFF, 4,   # WAIT_REG_MEM mem >= 3
           P3(0x37, 4), 5 << 8, (sig + 72) & 0xFFFFFFFF, (sig + 72) >> 32, 7]
  ib.view[:4 * len(words)] = np.array(words, np.uint32).view(np.uint8)
  bench.submit([P3(0x3F, 3), ib.va & 0xFFFFFFFF, ib.va >> 32, len(words) | (1 << 23),
                P3(0x37, 4), 5 << 8, (sig + 76) & 0xFFFFFFFF, (sig + 76) >> 32, 9])
  u32 = bench.sig.view.view(np.uint32)
  time.sleep(0.05)
  assert u32[72 // 4] == 0 and u32[76 // 4] == 0                    # the queue waits (nothing after the wait ran)
  u32[64 // 4] = 3
  assert until(lambda: u32[76 // 4] == 9) and u32[72 // 4] == 7       # resumed inside the IB, then the ring went on

def test_dispatch_and_interrupt_wakes_wait_events(bench, m):
  k = axpy(bench)
  n = 5000
  a, b = np.arange(n, dtype=np.float32), np.full(n, 0.25, np.float32)
  A, B, C = bench.upload(a.tobytes()), bench.upload(b.tobytes()), bench.alloc(4 * n)
  page = bench.alloc(0x8000, gtt=True)
  bench.ioctl(K.AMDKFD_IOC_CREATE_EVENT, "struct kfd_ioctl_create_event_args", event_page_offset=page.handle)
  ev = bench.ioctl(K.AMDKFD_IOC_CREATE_EVENT, "struct kfd_ioctl_create_event_args", event_type=0, auto_reset=1)
  bench.dispatch(k, struct.pack("<QQQi", C.va, A.va, B.va, n), (-(-n // 128), 1, 1), (128, 1, 1), wait=False)
  mb = page.va + 8 * ev.event_slot_index                               # RELEASE_MEM event id -> mailbox, interrupt with ctxid
  bench.submit([P3(0x49, 7), 0x14 | (5 << 8), (1 << 29) | (3 << 24), mb & 0xFFFFFFFF, mb >> 32, ev.event_id, 0, ev.event_id])
  data = ffi.new("struct kfd_event_data[1]"); data[0].event_id = ev.event_id
  w = bench.ioctl(K.AMDKFD_IOC_WAIT_EVENTS, "struct kfd_ioctl_wait_events_args", events_ptr=int(ffi.cast("uintptr_t", data)),
                  num_events=1, timeout=5000)
  assert w.wait_result == K.KFD_IOC_WAIT_RESULT_COMPLETE
  assert np.array_equal(C.view[:4 * n].view(np.float32), a * 2 + b)

def test_aql_dispatch_barrier_and_completion_signal(bench, m):
  k = axpy(bench)
  qid, ring, gart, db = bench.create_queue(K.KFD_IOC_QUEUE_TYPE_COMPUTE_AQL)
  n = 1000
  a = np.arange(n, dtype=np.float32)
  A, B, C = bench.upload(a.tobytes()), bench.upload(a.tobytes()), bench.alloc(4 * n)
  sigs = bench.alloc(4096, gtt=True)
  s_dep, s_done = sigs.va, sigs.va + 64                                # amd_signal_t: value at +8
  sigs.view[8:16].view(np.int64)[0] = 1; sigs.view[72:80].view(np.int64)[0] = 1
  ka = bench.upload(struct.pack("<QQQi", C.va, A.va, B.va, n).ljust(32, b"\0") + struct.pack("<3I3H", 8, 1, 1, 128, 1, 1).ljust(256, b"\0"))
  kd_va = k["kd_va"]
  barrier = struct.pack("<HH I 5Q Q Q", 3 | (1 << 8), 0, 0, s_dep, 0, 0, 0, 0, 0, 0)
  disp = struct.pack("<HH3HH3IIIQQQQ", 2 | (1 << 8), 3, 128, 1, 1, 0, n, 1, 1, 0, 0, kd_va, ka.va, 0, s_done)
  ring.view[:64] = np.frombuffer(barrier.ljust(64, b"\0"), np.uint8); ring.view[64:128] = np.frombuffer(disp, np.uint8)
  gart.view[56:64].view(np.uint64)[0] = 2; db[0] = 1
  time.sleep(0.05)
  assert sigs.view[72:80].view(np.int64)[0] == 1                      # the barrier-AND holds the dispatch back
  sigs.view[8:16].view(np.int64)[0] = 0
  assert until(lambda: sigs.view[72:80].view(np.int64)[0] == 0)        # completion signal decremented
  assert np.array_equal(C.view[:4 * n].view(np.float32), a * 3)
  assert gart.view[128:136].view(np.uint64)[0] == 2                    # read_dispatch_id advanced past both packets

def test_sdma_copy_fence_trap(bench, m):
  qid, ring, gart, db = bench.create_queue(K.KFD_IOC_QUEUE_TYPE_SDMA)
  src, dst = bench.upload(bytes(range(256)) * 64), bench.alloc(16384)
  ev = bench.ioctl(K.AMDKFD_IOC_CREATE_EVENT, "struct kfd_ioctl_create_event_args", event_type=0, auto_reset=1)
  f = bench.sig.va + 128
  pk = [1, 16384 - 1, 0, src.va & 0xFFFFFFFF, src.va >> 32, dst.va & 0xFFFFFFFF, dst.va >> 32,       # COPY_LINEAR
        5 | (3 << 16), f & 0xFFFFFFFF, f >> 32, 77, 6, ev.event_id]                                  # FENCE, TRAP
  ring.view[:4 * len(pk)] = np.array(pk, np.uint32).view(np.uint8)
  gart.view[56:64].view(np.uint64)[0] = 4 * len(pk); db[0] = 4 * len(pk)
  data = ffi.new("struct kfd_event_data[1]"); data[0].event_id = ev.event_id
  w = bench.ioctl(K.AMDKFD_IOC_WAIT_EVENTS, "struct kfd_ioctl_wait_events_args", events_ptr=int(ffi.cast("uintptr_t", data)),
                  num_events=1, timeout=5000)
  assert w.wait_result == K.KFD_IOC_WAIT_RESULT_COMPLETE
  assert bench.sig.view[128:132].view(np.uint32)[0] == 77 and bytes(dst.view[:16384]) == bytes(range(256)) * 64

def test_stray_access_is_a_gfxhub_page_fault(bench, m):
  k = axpy(bench)
  mark = log_mark()
  mem = bench.ioctl(K.AMDKFD_IOC_CREATE_EVENT, "struct kfd_ioctl_create_event_args", event_type=K.KFD_IOC_EVENT_MEMORY)
  A = bench.upload(np.zeros(64, np.float32).tobytes())
  bad = 0x7F0000000000                                                  # never mapped
  with pytest.raises(GPUFault):
    bench.dispatch(k, struct.pack("<QQQi", bad, A.va, A.va, 64), (1, 1, 1), (64, 1, 1), timeout=5)
  lines = log_since(mark)
  assert any("amdgpu 0000:03:00.0: amdgpu: [gfxhub] page fault (src_id:0 ring:24 vmid:8 pasid:32770, for process" in l for l in lines)
  assert any(f"in page starting at address 0x{bad:016x} from client 0x1b (UTCL2)" in l for l in lines)
  assert any("GCVM_L2_PROTECTION_FAULT_STATUS:0x" in l for l in lines)
  data = ffi.new("struct kfd_event_data[1]"); data[0].event_id = mem.event_id
  bench.ioctl(K.AMDKFD_IOC_WAIT_EVENTS, "struct kfd_ioctl_wait_events_args", events_ptr=int(ffi.cast("uintptr_t", data)),
              num_events=1, timeout=1000)
  assert data[0].memory_exception_data.gpu_id == I.GPU_ID and data[0].memory_exception_data.va == bad
  assert data[0].memory_exception_data.failure.NotPresent == 1

def _faulty(spec):
  mm = kernel.new_machine("amd", plan=FaultPlan.parse(spec), kernel_timeout_s=1.0)
  return mm, Bench(mm.syscalls)

def test_injected_fault_and_drop_signal():
  m, b = _faulty("fault@launch=1,drop_signal@launch=2")
  try:
    k = axpy(b)
    A = b.upload(np.zeros(64, np.float32).tobytes())
    with pytest.raises(GPUFault): b.dispatch(k, struct.pack("<QQQi", A.va, A.va, A.va, 64), (1, 1, 1), (64, 1, 1), timeout=5)
    assert m.gpu.errors[-1]["kind"] == "vm_fault"
  finally: m.close()
  m, b = _faulty("drop_signal@launch=1")
  try:
    k = axpy(b)
    A = b.upload(np.ones(64, np.float32).tobytes())
    with pytest.raises(GPUTimeout): b.dispatch(k, struct.pack("<QQQi", A.va, A.va, A.va, 64), (1, 1, 1), (64, 1, 1), timeout=0.5)
    assert A.view[:4].view(np.float32)[0] == 3.0                       # the kernel ran; only its signal was lost
  finally: m.close()

def test_injected_hang_times_out_and_resets():
  m, b = _faulty("hang@launch=1")
  try:
    mark = log_mark()
    k = axpy(b)
    A = b.upload(np.zeros(64, np.float32).tobytes())
    with pytest.raises((GPUFault, GPUTimeout)): b.dispatch(k, struct.pack("<QQQi", A.va, A.va, A.va, 64), (1, 1, 1), (64, 1, 1), timeout=4)
    assert until(lambda: any("GPU reset begin!" in l for l in log_since(mark)), 5)
    lines = log_since(mark)
    assert any("amdgpu 0000:03:00.0: amdgpu: ring comp_1.0.0 timeout, signaled seq=" in l for l in lines)
  finally: m.close()

def test_injected_panic_kills_the_machine():
  m, b = _faulty("panic@launch=1")
  try:
    k = axpy(b)
    A = b.upload(np.zeros(64, np.float32).tobytes())
    with pytest.raises((GPUTimeout, GPUFault, OSError, Exception)):
      b.dispatch(k, struct.pack("<QQQi", A.va, A.va, A.va, 64), (1, 1, 1), (64, 1, 1), timeout=1)
    assert m.dead and os.listdir(kmsg.pstore_dir())
  finally: m.close()

CHURN = textwrap.dedent("""
  import sys, time
  from hwrt.sim import kernel
  from hwrt.ioctl import kfd as K
  from hwrt.sim.amd.testbench import Bench
  m = kernel.new_machine("amd")
  ok = 0
  try:
    b = Bench(m.syscalls)
    for i in range(int(sys.argv[1])):
      qid, *_ = b.create_queue(K.KFD_IOC_QUEUE_TYPE_COMPUTE)
      b.ioctl(K.AMDKFD_IOC_DESTROY_QUEUE, "struct kfd_ioctl_destroy_queue_args", queue_id=qid); ok += 1
      time.sleep(0.01)
  except Exception as e: print("ERR", type(e).__name__, e)
  time.sleep(0.3)
  print("OK", ok, "DEAD", all(q.hung for q in m.kfd.queues.values()) and bool(m.kfd.queues))
""")

def test_mes_queue_churn_bug_resets_every_process(tmp_path):
  env = dict(os.environ, HWRT_SIM_BUGS="mes-queue-churn", HWRT_SIM_DIR=str(tmp_path), PYTHONPATH=os.getcwd())
  script = tmp_path / "churn.py"; script.write_text(CHURN)
  ps = [subprocess.Popen([sys.executable, str(script), "20"], env=env, stdout=subprocess.PIPE, text=True) for _ in range(2)]
  outs = [p.communicate(timeout=120)[0] for p in ps]
  log = (tmp_path / "kmsg").read_text()
  assert "amdgpu 0000:03:00.0: amdgpu: MES failed to respond to msg=" in log, log[-2000:]
  assert "GPU reset begin!" in log and "MODE1 reset" in log
  assert sum("ERR" in o for o in outs) >= 1, outs                     # the message that crossed the line failed (-EIO/-ETIME)
  assert sum("DEAD True" in o for o in outs) >= 1, outs                # queues that lived through the churn died in the reset
  assert all("DEAD True" in o or "ERR" in o for o in outs), outs
  # and without the bug the same churn is fine
  env.pop("HWRT_SIM_BUGS"); d2 = tmp_path / "clean"; d2.mkdir(); env["HWRT_SIM_DIR"] = str(d2)
  outs = [subprocess.run([sys.executable, str(script), "20"], env=env, capture_output=True, text=True, timeout=120).stdout for _ in range(2)]
  assert all("OK 20" in o for o in outs) and not (d2 / "kmsg").exists()
