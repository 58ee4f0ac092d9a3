"""Fault injection (HWRT_SIM_FAULTS / HWRT_SIM_SEED) and planted driver bugs (HWRT_SIM_BUGS) on the simulated NVIDIA machine."""
import os, struct, time, numpy as np, pytest
from hwrt.errors import BadArgument, IoctlError, GPUTimeout
from hwrt.ioctl import nv_hw as hw
from hwrt.sim import kmsg
from hwrt.sim.faults import FaultPlan
from hwrt.sim.kernel import new_machine
from hwrt.sim.nv.testbench import Bench
from test_sim_nv_engine import vadd, setup_vadd, launch_words

@pytest.fixture(autouse=True)
def simdir(tmp_path, monkeypatch):
  monkeypatch.setenv("HWRT_SIM_DIR", str(tmp_path))
  for k in ("HWRT_SIM_FAULTS", "HWRT_SIM_BUGS", "HWRT_SIM_SEED"): monkeypatch.delenv(k, raising=False)
  yield tmp_path

# ---- grammar -----------------------------------------------------------------------------------------------------------------
def test_grammar_parses_all_kinds_and_whens():
  p = FaultPlan.parse("hang@launch=3, fault@p=0.25,drop_signal@after=1.5,panic@launch=9", seed="7", bugs="free-in-flight")
  assert [(r.kind, r.when, r.value) for r in p.rules] == [("hang", "launch", 3), ("fault", "p", 0.25), ("drop_signal", "after", 1.5), ("panic", "launch", 9)]
  assert p.seed == 7 and p.bug("free-in-flight")

@pytest.mark.parametrize("faults,seed,bugs", [("explode@launch=1", None, ""), ("hang@launch=0", None, ""), ("hang", None, ""),
                                              ("fault@p=2", None, ""), ("hang@when=3", None, ""), ("", "x", ""), ("", None, "use-after-nothing")])
def test_bad_grammar_is_one_line_bad_argument(faults, seed, bugs):
  with pytest.raises(BadArgument) as e: FaultPlan.parse(faults, seed, bugs)
  assert "\n" not in str(e.value) and e.value.exit_code == 2

def test_env_plan_and_deterministic_probability(monkeypatch):
  monkeypatch.setenv("HWRT_SIM_FAULTS", "fault@p=0.3"); monkeypatch.setenv("HWRT_SIM_SEED", "42")
  a = [FaultPlan.from_env().on_launch(n) for n in range(1, 201)]
  b = [FaultPlan.from_env().on_launch(n) for n in range(1, 201)]
  assert a == b and 30 < a.count("fault") < 90                        # same seed, same launches; about 30% of 200
  monkeypatch.setenv("HWRT_SIM_SEED", "43")
  assert [FaultPlan.from_env().on_launch(n) for n in range(1, 201)] != a

def test_launch_n_fires_once_and_after_fires_on_time():
  p = FaultPlan.parse("hang@launch=2")
  assert [p.on_launch(n) for n in (1, 2, 2, 3)] == [None, "hang", None, None]
  p = FaultPlan.parse("fault@after=0.05")
  assert p.on_launch(1) is None
  time.sleep(0.06)
  assert p.on_launch(2) == "fault" and p.on_launch(3) is None

# ---- kinds through the engine --------------------------------------------------------------------------------------------------
def run(plan, n_launches=3, **kw):
  m = new_machine("nv", plan=plan, executor=vadd, **kw)
  b = Bench(m.syscalls)
  s = setup_vadd(b)
  for i in range(n_launches):
    b.submit(launch_words(s["qmd"].va) + hw.host_semaphore(s["sem"].va + 8 + 8 * i, i + 1))
  return m, b, s

def test_fault_kind_is_xid_31_at_that_launch(simdir):
  m, b, s = run(FaultPlan.parse("fault@launch=2"))
  try:
    b.wait(lambda: b.notifier.read(14, 2) == b"\xff\xff", what="notifier")
    assert s["sem"].u64(8) == 1 and s["sem"].u64(16) == 0 and s["sem"].u64(24) == 0     # launch 1 done, 2 faulted, 3 never ran
    assert struct.unpack_from("<I", b.notifier.read(8, 4))[0] == 31
    assert "): 31, pid=" in open(kmsg.kmsg_path()).read()
  finally: m.close()

def test_hang_kind_stops_the_channel(simdir):
  m, b, s = run(FaultPlan.parse("hang@launch=2"))
  try:
    b.wait_u64(s["sem"], 8, 1)
    with pytest.raises(GPUTimeout): b.wait_u64(s["sem"], 16, 2, seconds=0.3)
    assert b.notifier.read(14, 2) == b"\0\0"                            # a hang is silent: no RC, no notifier
  finally: m.close()

def test_drop_signal_loses_one_release(simdir):
  m, b, s = run(FaultPlan.parse("drop_signal@launch=1"), n_launches=1)
  try:
    b.wait_u64(s["sem"], 8, 1)                                          # the host release after the launch happened ...
    assert s["sem"].u64(0) == 0                                         # ... but the QMD's own release was lost
    assert np.array_equal(np.frombuffer(s["C"].read(0, 4000), np.float32), s["x"] + s["y"])   # ... and the work still ran
  finally: m.close()

def test_panic_kills_the_machine_and_leaves_pstore(simdir):
  m, b, s = run(FaultPlan.parse("panic@launch=1"), n_launches=1)
  try:
    b.wait(lambda: m.dead, what="panic")
    with pytest.raises(IoctlError): b.control(b.subdevice, "NV2080_CTRL_CMD_MC_GET_ARCH_INFO")
    with pytest.raises(Exception): m.syscalls.open("/dev/nvidiactl")
    files = m.syscalls.listdir("/sys/fs/pstore")
    assert files and "Kernel panic" in m.syscalls.read_text("/sys/fs/pstore/" + files[0])
    assert "Kernel panic - not syncing" in m.syscalls.read_text("/dev/kmsg")
  finally: m.close()

def test_panic_after_seconds_without_any_launch(simdir):
  m = new_machine("nv", plan=FaultPlan.parse("panic@after=0.1"))
  try:
    fd = m.syscalls.open("/dev/nvidiactl")
    from hwrt.helpers import Deadline
    dl = Deadline(3)
    while not m.dead and not dl.expired(): time.sleep(0.01)
    assert m.dead and os.listdir(kmsg.pstore_dir())
    with pytest.raises(IoctlError): m.syscalls.ioctl(fd, 0xC00846D6, bytearray(8))      # NV_ESC_SYS_PARAMS on a dead machine
  finally: m.close()

# ---- planted bug: free-in-flight -----------------------------------------------------------------------------------------------
def free_while_in_flight(plan):
  m, b, s = run(plan, n_launches=1, inflight_ms=300)
  try:
    # the classic use-after-free: UVM_FREE + RM_FREE of an input buffer right after submitting, before waiting
    b.uvm_call("UVM_FREE", base=s["B"].va, length=s["B"].size)
    assert b.free_status(s["B"].handle) == 0
    done = lambda: s["sem"].u64(8) == 1 or b.notifier.read(14, 2) == b"\xff\xff"
    b.wait(done, what="launch retired or faulted")
    return m, b, s
  except BaseException: m.close(); raise

def test_free_in_flight_bug_faults_the_gpu(simdir):
  m, b, s = free_while_in_flight(FaultPlan.parse("", bugs="free-in-flight"))
  try:
    assert s["sem"].u64(8) == 0 and struct.unpack_from("<I", b.notifier.read(8, 4))[0] == 31
    log = open(kmsg.kmsg_path()).read()
    va = s["B"].va
    assert f"faulted @ 0x{va >> 32:x}_{va & 0xFFFFFFFF:08x}. Fault is of type FAULT_PDE ACCESS_TYPE_VIRT_READ" in log
  finally: m.close()

def test_without_the_bug_the_free_waits_for_the_launch(simdir):
  m, b, s = free_while_in_flight(FaultPlan())
  try:
    assert s["sem"].u64(8) == 1 and b.notifier.read(14, 2) == b"\0\0"
    assert np.array_equal(np.frombuffer(s["C"].read(0, 4000), np.float32), s["x"] + s["y"])
  finally: m.close()
