"""The AMD driver (drivers/amd) end to end on the simulated RX 7900 XTX (sim:amd, reached through exactly the KFD and
render-node ioctls, mmaps and memory writes the driver uses on hardware) and on a real amd:0 where /dev/kfd exists:
the OpenCL corpus through the Python API and `hwrt launch`, numpy-checked; faults, hangs and leaks as on NVIDIA."""
import json, os, subprocess, sys, time
import numpy as np, pytest
from conftest import has_gpu
from test_amd_driver import LAUNCHES, corpus, reference_check  # noqa: F401  (the session-compiled corpus fixture)
from hwrt.errors import BadArgument, GPUFault, GPUTimeout
from hwrt.ioctl.syscalls import HOST
from hwrt.launch import Arg, _dims
from hwrt.drivers.amd.device import AMDDevice
from hwrt.assemblers.rdna3 import assemble_to_container

amd_gpu = pytest.mark.skipif(not has_gpu("amd"), reason="no AMD GPU on this machine (/dev/kfd missing)")
DEVICES = ["sim:amd", pytest.param("amd:0", marks=amd_gpu)]
HANG = """.text
.p2align 8
hang:
  s_getpc_b64 s[2:3]
  s_setpc_b64 s[2:3]
.rodata
.amdhsa_kernel hang
  .amdhsa_user_sgpr_kernarg_segment_ptr 1
  .amdhsa_next_free_vgpr 1
  .amdhsa_next_free_sgpr 4
.end_amdhsa_kernel
"""

def sim_machine(**opts):
  from hwrt.sim.kernel import new_machine
  return new_machine("amd", **opts)

@pytest.fixture(params=DEVICES)
def dev(request):
  if request.param == "sim:amd":
    m = sim_machine(kernel_timeout_s=3)
    d = AMDDevice(m.syscalls, 0, "sim:amd")
    yield d
    d.close(); m.close()
  else:
    with AMDDevice(HOST, 0, "amd:0") as d: yield d

def run_case(d, data: bytes, name: str) -> tuple[bool, str]:
  """One LAUNCHES row through the Python API: buffers from the --arg specs, launch, copy back, the --check."""
  g, b, specs, check = LAUNCHES[name]
  args = [Arg(s, np.random.default_rng(0)) for s in specs]
  with d.load(data, name) as p:
    bufs = {}
    try:
      for a in args:
        if a.is_buffer: bufs[a.name] = d.alloc(a.host.nbytes); d.copyin(bufs[a.name], a.host.tobytes())
      d.launch(p, [bufs[a.name] if a.is_buffer else a.host.tobytes() for a in args], _dims(g, "grid"), _dims(b, "block"), timeout=30)
      for a in args:
        if a.is_buffer: a.host = np.frombuffer(d.copyout(bufs[a.name], a.host.nbytes), a.host.dtype).copy()
    finally:
      for x in bufs.values(): d.free(x)
  return reference_check(check, {a.name: a.value() for a in args})

def test_identity(dev):
  i = dev.identity()
  assert i["vendor"] == "amd" and i["arch"] == "gfx1100" and dev.arch == "gfx1100" and i["compute_units"] > 0 and i["gpu_id"] == dev.gpu_id
  assert dev.kfd_version >= (1, 14) and dev.apertures["gpuvm_limit"] > dev.apertures["gpuvm_base"]

def test_corpus_through_the_python_api(dev, corpus):
  data = open(corpus, "rb").read()
  for name in LAUNCHES:
    ok, why = run_case(dev, data, name)
    assert ok, f"{name}: {why}"

def test_scratch_is_sized_from_the_topology(dev, corpus):
  """private_array needs 260 bytes per work-item: per lane rounded to 4, 64 lanes x max_slots_scratch_cu x CUs; TMPRING's
  per-wave size in 256-byte units."""
  with dev.load(open(corpus, "rb").read(), "private_array") as p:
    assert p.private == 260 and dev.scratch_per_thread == 260
    cus, slots = dev.compute_units, dev.props["max_slots_scratch_cu"]
    assert dev.scratch.size >= 260 * 64 * slots * cus and dev.tmpring_size >> 12 == -(-64 * 260 // 256) and dev.tmpring_size & 0xFFF > 0

def test_memory_kinds_and_copies(dev):
  """VRAM (staged through the SDMA queue), CPU-visible VRAM, GTT and userptr memory; device-to-device SDMA copy."""
  data = np.random.default_rng(1).integers(0, 255, 3 << 20, dtype=np.uint8).tobytes()
  bufs = [dev.alloc(len(data)), dev.alloc(len(data), cpu_access=True), dev.alloc(len(data), host=True), dev.alloc(len(data), kind="userptr")]
  try:
    assert not bufs[0].cpu and all(b.cpu for b in bufs[1:]) and [b.kind for b in bufs] == ["vram", "vram", "gtt", "userptr"]
    for b in bufs:
      dev.copyin(b, data); assert dev.copyout(b) == data
    dev.copy(bufs[0], bufs[3], 4096, src_off=8192)
    assert dev.copyout(bufs[0], 4096) == data[8192:8192 + 4096]
    with pytest.raises(BadArgument, match="unknown memory kind"): dev.alloc(64, kind="sram")
  finally:
    for b in bufs: dev.free(b)

def test_no_vendor_userspace_mapped(dev):
  dev.launch(dev.builtin_program("empty"), [], (4, 1, 1), (64, 1, 1))
  maps = open("/proc/self/maps").read()
  for lib in ("libhsa-runtime", "libhsakmt", "libdrm", "libamdhip", "libamd_comgr", "/opt/rocm"):
    assert lib not in maps, f"{lib} is mapped into the process"

def test_out_of_bounds_fault_reported_every_time_and_the_next_launch_works(dev):
  inc, b = dev.builtin_program("inc"), dev.alloc(4096)
  try:
    for i in range(10):
      with pytest.raises(GPUFault, match=r"memory access fault at 0xdead0000: not present") as e:
        dev.launch(inc, [0xDEAD0000, 64], (1, 1, 1), (64, 1, 1), timeout=10)
      assert e.value.info["address"] == 0xDEAD0000 and (not dev.name.startswith("sim") or e.value.info["vmid"] is not None)
      dev.launch(inc, [b, 64], (1, 1, 1), (64, 1, 1), timeout=10)
      assert np.frombuffer(dev.copyout(b, 256), np.uint32).tolist() == [i + 1] * 64
  finally: dev.free(b)

def test_infinite_loop_times_out_queue_recreated_next_launch_works(dev):
  hang, inc, b = dev.load(assemble_to_container(HANG)), dev.builtin_program("inc"), dev.alloc(4096)
  try:
    old = dev.compute.queue_id, dev.compute
    t0 = time.monotonic()
    with pytest.raises(GPUTimeout, match="no completion within 1 s.*queues torn down and recreated"):
      dev.launch(hang, [], (1, 1, 1), (32, 1, 1), timeout=1)
    assert time.monotonic() - t0 < 30 and dev.compute is not old[1]
    dev.launch(inc, [b, 64], (1, 1, 1), (64, 1, 1), timeout=10)
    assert np.frombuffer(dev.copyout(b, 4), np.uint32)[0] == 1
  finally: dev.free(b); hang.close()

def _kfd_state(d, m):
  return len(m.kfd.bos), d.kfd("AMDKFD_IOC_AVAILABLE_MEMORY", gpu_id=d.gpu_id).available, len(d.buffers)

def test_10000_alloc_launch_free_cycles_leave_kfd_where_it_started(n=10_000):
  m = sim_machine()
  with AMDDevice(m.syscalls, 0, "sim:amd") as d:
    empty = d.builtin_program("empty")
    d.launch(empty)
    before = _kfd_state(d, m)
    for i in range(n):
      b = d.alloc(4096 << (i % 5), kind=("vram", "gtt")[i % 2])
      d.launch(empty, [], (1, 1, 1), (32, 1, 1))
      d.free(b)
    assert _kfd_state(d, m) == before
  m.close()

def test_queue_create_destroy_churn(dev):
  for _ in range(20):
    with dev.create_queue() as q: assert q.q.queue_id is not None
  assert dev.extra_queues == []
  dev.launch(dev.builtin_program("empty"))

def test_bad_launch_arguments_are_bad_input(dev, corpus):
  p = dev.load(open(corpus, "rb").read(), "vadd")
  with pytest.raises(BadArgument, match="takes 4 parameters"): dev.launch(p, [1, 2])
  with pytest.raises(BadArgument, match="bad block"): dev.launch(p, [0, 0, 0, 0], (1, 1, 1), (2048, 1, 1))
  b = dev.alloc(4096); dev.free(b)
  with pytest.raises(BadArgument, match="double free"): dev.free(b)

def _hwrt(*argv, env=None, timeout=180):
  return subprocess.run([sys.executable, "-m", "hwrt", *argv], capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})})

def test_hwrt_launch_corpus_on_sim_amd(corpus, tmp_path):
  """`hwrt launch kernel.hsaco --device sim:amd` with the cubin grammar: --kernel/--grid/--block/--arg/--check/--json/--out,
  DEBUG=2's launch line; bad binaries and arguments exit 2 with one line."""
  g, b, specs, check = LAUNCHES["vadd"]
  base = ["launch", corpus, "--device", "sim:amd", "--kernel", "vadd", "--grid", g, "--block", b] + sum((["--arg", s] for s in specs), [])
  r = _hwrt(*base, "--check", check, "--json", "--out", f"c={tmp_path}/c.npy", "--repeat", "2")
  assert r.returncode == 0, r.stderr
  j = json.loads(r.stdout)
  assert j["check"] is True and j["device"] == "sim:amd" and j["launches"] == 2 and np.load(tmp_path / "c.npy").shape == (1024,)
  r = _hwrt(*base, "--check", check, "--flops", "1024", env={"DEBUG": "2"})
  line = [l for l in r.stderr.splitlines() if l.startswith("***")]
  assert r.returncode == 0 and len(line) == 1 and "vadd" in line[0] and " us" in line[0] and "GFLOP/s" in line[0] and "GB/s" in line[0], r.stderr
  r = _hwrt(*base, "--check", "c == a - b")
  assert r.returncode == 1 and "check failed" in r.stderr and "Traceback" not in r.stderr
  for bad in (base[:-2], [x if x != "vadd" else "nope" for x in base], base + ["--grid", "0"], base[:-2] + ["--arg", "n=u32:zz"]):
    r = _hwrt(*bad)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr, r.stderr
  junk = tmp_path / "junk.hsaco"; junk.write_bytes(b"\x7fELF" + bytes(100))
  r = _hwrt("launch", str(junk), "--device", "sim:amd")
  assert r.returncode == 2 and "invalid kernel binary" in r.stderr and len(r.stderr.strip().splitlines()) == 1
  for name in [n for n in LAUNCHES if n != "vadd"]:      # every buffer saved with --out, checked here in full numpy
    g, b, specs, check = LAUNCHES[name]
    args = [Arg(s, np.random.default_rng(0)) for s in specs]
    outs = sum((["--out", f"{a.name}={tmp_path}/{name}.{a.name}.npy"] for a in args if a.is_buffer), [])
    r = _hwrt("launch", corpus, "--device", "sim:amd", "--kernel", name, "--grid", g, "--block", b, *sum((["--arg", s] for s in specs), []),
              *outs, "--json")
    assert r.returncode == 0, (name, r.stderr)
    env = {a.name: np.load(f"{tmp_path}/{name}.{a.name}.npy") if a.is_buffer else a.value() for a in args}
    ok, why = reference_check(check, env)
    assert ok, (name, why)

def test_hwrt_launch_rdna3_assembly_on_the_fly(tmp_path):
  from hwrt.drivers.amd.program import BUILTINS
  src = tmp_path / "inc.s"; src.write_text(BUILTINS["inc"])
  r = _hwrt("launch", str(src), "--device", "sim:amd", "--grid", "1", "--block", "256", "--arg", "p=u32[200]:arange", "--arg", "n=u32:200",
            "--out", f"p={tmp_path}/p.npy", "--json")
  assert r.returncode == 0 and (np.load(tmp_path / "p.npy") == np.arange(200) + 1).all(), r.stderr
  r = _hwrt("launch", str(src), "--device", "sim:amd", "--grid", "1", "--block", "64", "--arg", "p=u64:0xdead0000", "--arg", "n=u32:64")
  err = r.stderr.strip().splitlines()
  assert r.returncode == 1 and len(err) == 1 and "GPU fault" in err[0] and "memory access fault at 0xdead0000" in err[0], r.stderr
  assert "vmid" in err[0] and "client" in err[0]
  hang = tmp_path / "hang.s"; hang.write_text(HANG)
  r = _hwrt("launch", str(hang), "--device", "sim:amd", "--timeout", "1")
  assert r.returncode == 1 and "GPU timeout" in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
  bad = tmp_path / "bad.s"; bad.write_text(".text\nk:\n  v_bogus v0\n")
  r = _hwrt("launch", str(bad), "--device", "sim:amd")
  assert r.returncode == 2 and "assembler error" in r.stderr and "Traceback" not in r.stderr

def test_devices_opened_one_after_another_and_at_once_share_the_kfd_process(corpus):
  """KFD binds a GPU's VM to one render-node file per process (a second ACQUIRE_VM with another file is -EBUSY,
  kfd_ioctl_acquire_vm), enables the runtime once and sets the event page once: a device opened after another one closed,
  and two open together, reuse the process's KFD state and both launch."""
  m = sim_machine(kernel_timeout_s=3)
  try:
    data = open(corpus, "rb").read()
    for _ in range(3):
      with AMDDevice(m.syscalls, 0, "sim:amd") as d: assert run_case(d, data, "vadd")[0]
    with AMDDevice(m.syscalls, 0, "sim:amd") as d1, AMDDevice(m.syscalls, 0, "sim:amd") as d2:
      assert run_case(d1, data, "vadd")[0] and run_case(d2, data, "saxpy")[0] and run_case(d1, data, "relu")[0]
  finally: m.close()
