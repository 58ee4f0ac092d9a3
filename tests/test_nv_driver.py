"""The NVIDIA driver (drivers/nv) end to end: written once, run against the simulated H100 (sim:nv) and the other simulated
generations (sim:nv:ga102 RTX 3090, sim:nv:ad102 RTX 4090, sim:nv:gb202 RTX 5090) everywhere and against the real GPU
(nv:0) where one is present. Kernels are our own assembly: on a board whose SASS the assembler and interpreter do not have
yet (sm_86/sm_89/sm_120 until issue 13's tables land) a kernel test stops at that point as an xfail naming the arch.
The simulator behind sim:nv is reached through exactly the ioctls, mmaps and memory writes the driver uses on hardware."""
import os, subprocess, sys
import numpy as np, pytest
from hwrt.errors import GPUFault, GPUTimeout, BadArgument
from hwrt.drivers.nv.device import NVDevice
from hwrt.ioctl.syscalls import HOST

EXAMPLES = os.path.join(os.path.dirname(__file__), "examples")
DEVICES = ["sim:nv", "sim:nv:ga102", "sim:nv:ad102", "sim:nv:gb202", pytest.param("nv:0", marks=pytest.mark.gpu)]

def sim_machine(faults: str = "", **opts):
  from hwrt.sim.kernel import new_machine
  from hwrt.sim.faults import FaultPlan
  return new_machine("nv", plan=FaultPlan.parse(faults, seed=1), **opts)

@pytest.fixture(params=DEVICES)
def dev(request):
  if request.param.startswith("sim:"):
    from hwrt.devices import sim_chip
    m = sim_machine(**({"gpu": sim_chip(request.param)} if sim_chip(request.param) else {}))
    d = NVDevice(m.syscalls, 0, request.param)
    yield d
    d.close(); m.close()
  else:
    with NVDevice(HOST, 0, "nv:0") as d: yield d

def has_sass(arch: str) -> bool:
  """Whether hwrt's SASS tables cover this arch (assemblers/sass/sm90.tsv today; issue 13 adds sm86/sm89/sm120)."""
  from hwrt.assemblers.sass.table import table_path
  return os.path.exists(table_path(arch))

def assemble(src: str, dev=None) -> bytes:
  from hwrt.assemblers.sass import assemble_to_container
  arch = dev.arch if dev is not None else "sm_90"
  if not has_sass(arch): pytest.xfail(f"{dev.name}: no {arch} SASS table for the assembler and interpreter yet (issue 13)")
  return assemble_to_container(src, arch)

def own(name: str, dev=None) -> bytes:
  with open(os.path.join(EXAMPLES, f"{name}.sass.s")) as f: return assemble(f.read(), dev)

def run_vadd(d, prog, n=1000, c_ptr=None, seed=0):
  rng = np.random.default_rng(seed)
  a, b = rng.standard_normal(n).astype(np.float32), rng.standard_normal(n).astype(np.float32)
  ba, bb, bc = d.alloc(a.nbytes), d.alloc(b.nbytes), d.alloc(a.nbytes)
  try:
    d.copyin(ba, a.tobytes()); d.copyin(bb, b.tobytes())
    d.launch(prog, [ba, bb, c_ptr if c_ptr is not None else bc, np.uint32(n)], ((n + 255) // 256, 1, 1), (256, 1, 1), timeout=10)
    return a, b, np.frombuffer(d.copyout(bc, a.nbytes), np.float32)
  finally:
    for x in (ba, bb, bc): d.free(x)

def test_identity(dev):
  if dev.name.startswith("sim:nv:"):                 # the other simulated boards: tests/test_nv_generations.py checks their facts
    from hwrt.sim.nv.identity import identity
    i = identity(dev.name.split(":")[2])
    assert (dev.arch, dev.compute_cls, dev.gpu_name, dev.sm_count, dev.vram_bytes) == (i.sm_name, i.compute_class, i.name, i.sms, i.fb_bytes)
    return
  assert dev.arch == "sm_90" and dev.chip.gen == "hopper" and dev.compute_cls == 0xCBC0 and dev.qmd_version == "V04_00"
  assert "H100" in dev.gpu_name and len(dev.uuid) == 16
  assert dev.sm_count == 132 and 80 << 30 <= dev.vram_bytes <= 96 << 30     # H100 SXM5: 132 SMs enabled of the die's 144

def test_own_assembly_vadd_is_bit_exact(dev):
  a, b, c = run_vadd(dev, dev.load(own("vadd", dev)), n=3000)
  assert np.array_equal(c, a + b)        # FADD is IEEE round-to-nearest: bit-exact vs numpy

def test_own_assembly_saxpy(dev):
  prog = dev.load(own("saxpy", dev))
  n, alpha = 5000, np.float32(1.75)
  rng = np.random.default_rng(1)
  x, y = rng.standard_normal(n).astype(np.float32), rng.standard_normal(n).astype(np.float32)
  bx, by = dev.alloc(x.nbytes), dev.alloc(y.nbytes)
  dev.copyin(bx, x.tobytes()); dev.copyin(by, y.tobytes())
  dev.launch(prog, [alpha, bx, by, np.uint32(n)], (8, 1, 1), (128, 1, 1))      # grid-stride loop: 1024 threads for 5000
  out = np.frombuffer(dev.copyout(by, y.nbytes), np.float32)
  want = (alpha.astype(np.float64) * x + y).astype(np.float32)                   # FFMA: one rounding of the exact a*x+y
  assert np.array_equal(out, want)

def test_copy_engine_roundtrip(dev):
  data = np.random.default_rng(2).integers(0, 256, 3 << 20, dtype=np.uint8).tobytes()
  s, t = dev.alloc(len(data)), dev.alloc(len(data))
  dev.copyin(s, data); dev.copy(t, s, len(data))
  assert dev.copyout(t, len(data)) == data
  dev.free(s); dev.free(t)

def test_no_vendor_userspace_mapped(dev):
  b = dev.alloc(4096); dev.copyin(b, b"x" * 4096); assert dev.copyout(b, 1) == b"x"; dev.free(b)
  dev.launch(dev.load(assemble(".kernel empty\nEXIT ;\n", dev)))
  maps = open("/proc/self/maps").read()
  for lib in ("libcuda", "libnvidia-ptxjitcompiler", "libcudart", "libamdhip", "libhsa-runtime", "libze_"):
    assert lib not in maps, f"{lib} is mapped into the process"

@pytest.mark.isolated
def test_illegal_address_is_a_gpu_fault_and_the_device_recovers(dev):
  prog = dev.load(own("vadd", dev))
  with pytest.raises(GPUFault) as e:
    run_vadd(dev, prog, c_ptr=0xDEAD0000000)
  assert e.value.info.get("xid") == 31 and "Xid 31" in str(e.value)
  a, b, c = run_vadd(dev, prog, n=512)
  assert np.array_equal(c, a + b)

def test_injected_hang_times_out_and_next_launch_works():
  m = sim_machine("hang@launch=2")
  with NVDevice(m.syscalls, 0, "sim:nv") as d:
    empty = d.builtin_program("empty")
    d.launch(empty, timeout=5)
    with pytest.raises(GPUTimeout, match="no completion within 0.5 s"):
      d.launch(empty, timeout=0.5)
    a, b, c = run_vadd(d, d.load(own("vadd", d)), n=300)
    assert np.array_equal(c, a + b)
  m.close()

def _rm_state(m):
  return sum(len(c.objects) for c in m.rm.clients.values()), m.rm.vidmem_used

def test_10000_alloc_launch_free_cycles_leave_rm_where_it_started():
  m = sim_machine()
  with NVDevice(m.syscalls, 0, "sim:nv") as d:
    empty = d.builtin_program("empty")
    d.launch(empty)
    before = _rm_state(m)
    for i in range(10_000):
      b = d.alloc(4096 << (i % 5))
      d.launch(empty, [], (1, 1, 1), (32, 1, 1))
      d.free(b)
    assert _rm_state(m) == before
  assert _rm_state(m) == (0, 0)      # closing the device frees the client and everything under it
  m.close()

def test_bad_launch_arguments_are_bad_input(dev):
  prog = dev.load(own("vadd", dev))
  with pytest.raises(BadArgument, match="takes 4 parameters"): dev.launch(prog, [1, 2])
  with pytest.raises(BadArgument, match="bad block"): dev.launch(prog, [0, 0, 0, 0], (1, 1, 1), (2048, 1, 1))
  b = dev.alloc(4096); dev.free(b)
  with pytest.raises(BadArgument, match="double free"): dev.free(b)

def test_hwrt_launch_cli_on_sim(tmp_path):
  """The CLI grammar end to end on sim:nv: a .s assembled on the fly, --check, --out, --json; exit codes 0 / 1 / 2."""
  src = os.path.join(EXAMPLES, "vadd.sass.s")
  base = [sys.executable, "-m", "hwrt", "launch", src, "--device", "sim:nv", "--grid", "4", "--block", "256",
          "--arg", "a=f32[1000]:rand", "--arg", "b=f32[1000]:arange", "--arg", "c=f32[1000]:zeros", "--arg", "n=u32:1000"]
  r = subprocess.run(base + ["--check", "c == a + b", "--out", f"c={tmp_path}/c.npy", "--json"], capture_output=True, text=True, timeout=120)
  assert r.returncode == 0, r.stderr
  assert '"check": true' in r.stdout and np.load(tmp_path / "c.npy").shape == (1000,)
  r = subprocess.run(base + ["--check", "c == a - b"], capture_output=True, text=True, timeout=120)
  assert r.returncode == 1 and "check failed" in r.stderr and "Traceback" not in r.stderr
  r = subprocess.run(base[:-2] + ["--check", "c == a + b"], capture_output=True, text=True, timeout=120)
  assert r.returncode == 2 and "takes 4 parameters" in r.stderr and "Traceback" not in r.stderr

def test_queue_create_destroy_churn_leaves_nothing(dev):
  if not dev.name.startswith("sim"): pytest.skip("object counts are read from the simulated RM")
  m = dev.sys.machine
  if dev.arch == "sm_90": dev.launch(dev.builtin_program("empty"))
  before = _rm_state(m)
  for _ in range(50):
    with dev.create_queue() as q: assert q.channel.token != dev.compute.token
  assert _rm_state(m) == before
  a, b, c = run_vadd(dev, dev.load(own("vadd", dev)), n=64)
  assert np.array_equal(c, a + b)

def test_hwrt_launch_runs_ptxas_made_cubins(tmp_path):
  """The ptxas-made corpus through the CLI: cubins with ptxas's own .nv.info parameter layout, launched by `hwrt launch`."""
  from conftest import oracle
  sys.path.insert(0, os.path.join(os.path.dirname(__file__), "nv_corpus"))
  import build
  c = build.build(oracle("clang-19"), oracle("ptxas"))
  for name in ("vadd", "saxpy"):
    (tmp_path / f"{name}.cubin").write_bytes(c[name][1])
  run = lambda *a: subprocess.run([sys.executable, "-m", "hwrt", "launch", *a, "--device", "sim:nv"], capture_output=True, text=True, timeout=180)
  r = run(str(tmp_path / "vadd.cubin"), "--grid", "8", "--block", "128", "--arg", "c=f32[1000]:zeros", "--arg", "a=f32[1000]:rand",
          "--arg", "b=f32[1000]:arange", "--arg", "n=i32:1000", "--check", "c == a + b")
  assert r.returncode == 0, r.stderr
  r = run(str(tmp_path / "saxpy.cubin"), "--grid", "8", "--block", "128", "--arg", "y=f32[1000]:ones", "--arg", "x=f32[1000]:arange",
          "--arg", "a=f32:0.5", "--arg", "n=i32:1000", "--out", f"y={tmp_path}/y.npy")
  assert r.returncode == 0, r.stderr
  want = (np.float64(0.5) * np.arange(1000, dtype=np.float32) + 1).astype(np.float32)
  assert np.array_equal(np.load(tmp_path / "y.npy"), want)

SPIN = """.kernel spin
.L_top:
        BRA .L_top ;
"""

@pytest.mark.isolated
def test_infinite_loop_kernel_times_out_and_the_device_recovers(dev):
  """A kernel that never ends: the wait's deadline fires, the channel group is freed (preempting the kernel) and rebuilt."""
  from hwrt.assemblers.sass import assemble_to_container
  spin = dev.load(assemble(SPIN, dev))
  with pytest.raises(GPUTimeout):
    dev.launch(spin, [], (4, 1, 1), (64, 1, 1), timeout=1.0)
  a, b, c = run_vadd(dev, dev.load(own("vadd", dev)), n=700)
  assert np.array_equal(c, a + b)

@pytest.mark.isolated
@pytest.mark.parametrize("d, n", [("sim:nv", 10), pytest.param("nv:0", 100, marks=pytest.mark.gpu)])
def test_illegal_address_reported_every_time(d, n):
  """n faulting launches in a row: every one is reported as Xid 31 and the launch after each succeeds."""
  m = sim_machine() if d == "sim:nv" else None
  with NVDevice(m.syscalls if m else HOST, 0, d) as dev:
    prog, reported = dev.load(own("vadd", dev)), 0
    for i in range(n):
      try: run_vadd(dev, prog, n=256, c_ptr=0xDEAD0000000 + i * 0x1000)
      except GPUFault as e: reported += e.info.get("xid") == 31
      a, b, c = run_vadd(dev, prog, n=256, seed=i)
      assert np.array_equal(c, a + b)
    assert reported == n
  if m: m.close()
