"""The AMD driver (drivers/amd) against an LLVM-compiled OpenCL corpus (tests/amd_corpus/launch.cl, clang-19 for gfx1100 at
test time, 16 kernels with numpy references).

Two kinds of test. Without a GPU: the code objects' kernarg layout, hidden arguments, dispatch packet and PM4 dispatch are
checked against llvm-readelf-19's metadata (an independent reader) with the device's memory served from host memory.
With a device (sim:amd once the simulated AMD GPU is in the build; amd:0 where /dev/kfd exists): launches through the
Python API and `hwrt launch`, numpy-checked, with faults, hangs and leaks as on NVIDIA (tests/test_amd_device.py)."""
import os, subprocess
import numpy as np, pytest
from conftest import oracle
from hwrt.errors import BadArgument, InvalidKernelBinary
from hwrt.ioctl import amd_hw as hw
from hwrt.ioctl.ffi import ffi
from hwrt.drivers.base import Buffer
from hwrt.drivers.amd.program import AMDProgram, BUILTINS, load_image
from hwrt.assemblers.rdna3 import read_hsaco, assemble_to_container

CORPUS = os.path.join(os.path.dirname(__file__), "amd_corpus", "launch.cl")
CLANG_FLAGS = ["-x", "cl", "-cl-std=CL2.0", "-Xclang", "-finclude-default-header", "-target", "amdgcn-amd-amdhsa",
               "-mcpu=gfx1100", "-O2", "-nogpulib"]

# kernel -> (grid, block, --arg specs in parameter order, --check): what every device test launches
LAUNCHES = {
  "vadd": ("4", "256", ["a=f32[1024]:rand", "b=f32[1024]:rand", "c=f32[1024]:zeros", "n=u32:1024"], "c == a + b"),
  "saxpy": ("4", "256", ["alpha=f32:2.5", "x=f32[1000]:rand", "y=f32[1000]:rand", "out=f32[1024]:zeros", "n=u32:1000"],
            "out[:1000] == alpha * x + y"),
  "scale_int": ("2", "256", ["a=i32[512]:arange", "out=i32[512]:zeros", "k=i32:3"], "out == a * k + np.arange(512)"),
  "relu": ("1", "256", ["x=f32[256]:rand", "y=f32[256]:zeros"], "y == np.maximum(x, 0)"),
  "mul2d": ("2,4", "16,8", ["a=f32[1024]:rand", "b=f32[1024]:rand", "c=f32[1024]:zeros", "w=u32:32"], "c == a * b"),
  "transpose": ("3,4", "16,8", ["src=u32[1536]:arange", "out=u32[1536]:zeros", "w=u32:48", "h=u32:32"],
                "out == src.reshape(32, 48).T.reshape(-1)"),
  "matmul": ("2,2", "16,16", ["A=f32[1024]:rand", "B=f32[1024]:rand", "C=f32[1024]:zeros", "n=u32:32"],
             "C == (A.reshape(32, 32) @ B.reshape(32, 32)).reshape(-1)"),
  "hist": ("4", "256", ["data=u32[1000]:rand", "bins=u32[16]:zeros", "n=u32:1000"], "bins == np.bincount(data & 15, minlength=16)"),
  "reduce_lds": ("4", "256", ["src=f32[1024]:rand", "out=f32[4]:zeros"], "out == src.reshape(4, 256) @ np.ones(256, np.float32)"),
  "dot_atomic": ("2", "256", ["a=i32[512]:arange", "b=i32[512]:arange", "out=i32[1]:zeros"], "out[0] == np.sum(a * b)"),
  "umax8": ("1", "256", ["a=u8[256]:rand", "b=u8[256]:rand", "c=u8[256]:zeros"], "c == np.maximum(a, b)"),
  "dadd": ("1", "256", ["a=f64[256]:rand", "b=f64[256]:rand", "c=f64[256]:zeros"], "c == a * 0.5 + b"),
  "to_half": ("1", "256", ["x=f32[256]:rand", "h=f16[256]:zeros"], "h == (x * 2).astype(np.float16)"),
  "index3d": ("2,2,2", "4,4,4", ["out=u32[512]:zeros"],
              "out == (np.arange(8)[None, None, :] + 10 * np.arange(8)[None, :, None] + 100 * np.arange(8)[:, None, None]).reshape(-1)"),
  "sizes": ("5", "128", ["out=u32[640]:zeros"], "out == 128 * 1000 + 5 * 10 + np.arange(640) % 128 % 7"),
  "private_array": ("1", "64", ["src=i32[4096]:arange", "out=i32[64]:zeros", "k=i32:5"],
                    "out == (np.arange(64) * 64 + (np.arange(64) + k) % 64) * ((np.arange(64) + k) % 64) + (np.arange(64) * 64 + k % 64) * (k % 64)"),
  "bitops": ("1", "256", ["a=u32[256]:rand", "out=u32[256]:zeros"],
             "out == np.unpackbits(a.view(np.uint8)).reshape(-1, 32) @ np.ones(32, np.uint32)"
             " + ((31 - np.floor(np.log2(a | 1))).astype(np.uint32) << 8) + (((a << 3) | (a >> 29)) & 0xffff0000)"),
}

def reference_check(check: str, env: dict) -> tuple[bool, str]:
  """The test's own LAUNCHES checks, `LHS == RHS` in full numpy (trusted test text, not user input: `hwrt launch --check`
  takes only hwrt/check.py's closed language): floats by np.allclose (rtol 1e-5: sums may add in another order), everything else exactly."""
  lhs, rhs = (eval(side, {"np": np}, dict(env)) for side in check.split(" == ", 1))  # noqa: S307 -- the test's own literals
  lhs, rhs = np.asarray(lhs), np.asarray(rhs)
  if lhs.shape != rhs.shape: return False, f"shape {lhs.shape} != {rhs.shape}"
  same = np.allclose(lhs, rhs, rtol=1e-5, atol=1e-6) if lhs.dtype.kind == "f" or rhs.dtype.kind == "f" else np.array_equal(lhs, rhs)
  return bool(same), "" if same else f"{check}: {int(np.sum(lhs != rhs))} of {lhs.size} elements differ"

@pytest.fixture(scope="session")
def corpus(tmp_path_factory) -> str:
  """The corpus compiled once per session: path of the linked code object."""
  out = str(tmp_path_factory.mktemp("amd_corpus") / "launch.hsaco")
  subprocess.run([oracle("clang-19"), *CLANG_FLAGS, CORPUS, "-o", out], check=True, capture_output=True)
  return out

def readelf_args(path: str) -> tuple[dict, list]:
  """({kernel: [(offset, size, value_kind)]}, [each kernel's top-level fields]) from llvm-readelf-19 --notes: the metadata
  note as YAML, read line by line (kernels are '  - ' items of amdhsa.kernels, their arguments '      - ' items of .args)."""
  text = subprocess.run([oracle("llvm-readelf-19"), "--notes", path], capture_output=True, text=True, check=True).stdout
  kernels, cur, arg, section = [], None, None, None
  for line in text[text.index("amdhsa.kernels:"):].splitlines()[1:]:
    if not line.startswith("  "): break                               # the next top-level key (amdhsa.target, ...)
    ind = len(line) - len(line.lstrip(" -"))
    key, _, val = line.strip(" -").partition(":")
    val = val.strip().strip("'")
    if line.startswith("  - "): cur = {"args": []}; kernels.append(cur)
    if ind == 4: section, arg = key, None; cur[key] = int(val) if val.isdigit() else val
    elif section == ".args" and ind == 8:
      if line.startswith("      - "): arg = {}; cur["args"].append(arg)
      arg[key] = int(val) if val.isdigit() else val
  ks = [{k: v for k, v in c.items() if k != "args"} for c in kernels]
  return {c[".name"]: [(a[".offset"], a[".size"], a[".value_kind"]) for a in c["args"]] for c in kernels}, ks

class HostMemory:
  """The memory half of a device served from host memory (GPU VA = host address): enough for AMDProgram to lay out a
  launch without a GPU. Launching is left to the device tests."""
  arch, lds_bytes = "gfx1100", 64 << 10
  def __init__(self):
    self.buffers, self.keep = set(), []
    self.ring = ffi.new("char[]", 1 << 20); self.pos = 0
  def alloc(self, size, host=False, cpu_access=None, kind=None):
    mem = ffi.new("char[]", size + 0x1000); self.keep.append(mem)
    a = (int(ffi.cast("uintptr_t", mem)) + 0xFFF) & ~0xFFF                    # page-aligned, as KFD's VAs are
    b = Buffer(a, size, cpu=a); self.buffers.add(b); return b
  def free(self, b): self.buffers.discard(b)
  def copyin(self, b, data): ffi.memmove(ffi.cast("char *", b.cpu), data, len(data))
  def kernarg_alloc(self, n):
    a = int(ffi.cast("uintptr_t", self.ring)) + self.pos; self.pos += (n + 255) // 256 * 256; return a, a
  def write(self, cpu, data): ffi.memmove(ffi.cast("char *", cpu), data, len(data))
  def hidden_value(self, kind): return 0
  def ensure_scratch(self, n): self.scratch_per_thread, self.tmpring_size = n, 0x1234
  def scratch_base_regs(self): return [0x5678, 0]

def sh_regs(words) -> tuple[dict, list]:
  """Walk PM4 type-3 packets: (SET_SH_REG index -> value, [(opcode, payload)]); every header must describe its packet."""
  regs, pkts, i = {}, [], 0
  while i < len(words):
    t, op, n = hw.packet3_decode(words[i])
    assert t == 3 and i + 1 + n <= len(words), (hex(words[i]), i)
    body = words[i + 1:i + 1 + n]
    if op == hw.PACKET3_SET_SH_REG:
      for k, v in enumerate(body[1:]): regs[body[0] + k] = v
    pkts.append((op, body)); i += 1 + n
  return regs, pkts

def test_packet3_header_is_amdgpus():
  """amdgpu's ring NOP, PACKET3(PACKET3_NOP, 0x3FFF), is 0xFFFF1000 (soc15d.h; gfx_v11_0.c ring->funcs->nop)."""
  assert hw.packet3(hw.PACKET3_NOP, *([0] * 0x4000))[0] == 0xFFFF1000
  assert hw.packet3_decode(hw.packet3(hw.PACKET3_DISPATCH_DIRECT, 1, 2, 3, 4)[0]) == (3, 0x15, 4)

def test_corpus_has_at_least_12_kernels_all_in_the_table(corpus):
  names = [k.name for k in read_hsaco(open(corpus, "rb").read()).kernels]
  assert len(names) >= 12 and sorted(names) == sorted(LAUNCHES)

def test_kernarg_layout_and_hidden_args_match_llvm_readelf(corpus):
  """Every kernel: explicit arguments where the metadata puts them, hidden block counts / group sizes / grid dims filled,
  the PM4 dispatch pointing at the code, kernargs and (when asked for) the dispatch packet."""
  data, (ref, meta), mem = open(corpus, "rb").read(), readelf_args(corpus), HostMemory()
  assert set(ref) == set(LAUNCHES) and any(m[".group_segment_fixed_size"] for m in meta)
  for name, (g, b, specs, _) in LAUNCHES.items():
    p = AMDProgram(mem, data, name)
    grid, block = tuple(int(x) for x in (g + ",1,1").split(",")[:3]), tuple(int(x) for x in (b + ",1,1").split(",")[:3])
    assert p.params == [(o, s) for o, s, k in ref[name] if k in ("global_buffer", "by_value")], name
    args = [0x7F0000001000 + 0x100000 * i if "[" in s else 3 for i, s in enumerate(specs)]
    words = p.dispatch_words(args, grid, block)
    regs, pkts = sh_regs(words)
    ud = [regs[hw.COMPUTE_USER_DATA_0 + i] for i in range(p.user_sgpr_count)]
    kptr = ud[2] | ud[3] << 32 if p.kernel.descriptor["user_sgpr_dispatch_ptr"] else ud[0] | ud[1] << 32
    ka = bytes(ffi.buffer(ffi.cast("char *", kptr), p.kernarg_size))
    dims = 3 if grid[2] * block[2] > 1 else 2 if grid[1] * block[1] > 1 else 1
    want = {"hidden_block_count_x": grid[0], "hidden_block_count_y": grid[1], "hidden_block_count_z": grid[2],
            "hidden_group_size_x": block[0], "hidden_group_size_y": block[1], "hidden_group_size_z": block[2], "hidden_grid_dims": dims}
    for (o, s, k), a in zip([r for r in ref[name] if r[2] in ("global_buffer", "by_value")], args):
      assert int.from_bytes(ka[o:o + s], "little") == a & ((1 << 8 * s) - 1), (name, o)
    for o, s, k in ref[name]:
      if k in want: assert int.from_bytes(ka[o:o + s], "little") == want[k], (name, k)
      elif k.startswith("hidden_"): assert ka[o:o + s] == bytes(s), (name, k)
    if p.kernel.descriptor["user_sgpr_dispatch_ptr"]:     # hsa_kernel_dispatch_packet_t: workgroup_size @4, grid_size @12, kernarg @40
      pk = bytes(ffi.buffer(ffi.cast("char *", ud[0] | ud[1] << 32), 64))
      assert np.frombuffer(pk[4:10], np.uint16).tolist() == list(block) and np.frombuffer(pk[12:24], np.uint32).tolist() == [
        x * y for x, y in zip(grid, block)] and int.from_bytes(pk[40:48], "little") == kptr and int.from_bytes(pk[32:40], "little") == p.kd_va
    assert (regs[hw.COMPUTE_PGM_LO] | regs[hw.COMPUTE_PGM_HI] << 32) << 8 == p.entry, name
    assert (regs[hw.COMPUTE_PGM_RSRC1], regs[hw.COMPUTE_PGM_RSRC2]) == (p.rsrc1, p.rsrc2)
    lds = [m[".group_segment_fixed_size"] for m in meta if m[".name"] == name][0]
    assert (p.rsrc2 >> 15 & 0x1FF) * 512 >= lds and (p.rsrc2 & ~(0x1FF << 15)) == (p.kernel.descriptor["compute_pgm_rsrc2"] & ~(0x1FF << 15))
    assert [regs[hw.COMPUTE_NUM_THREAD_X + i] for i in range(3)] == list(block)
    disp = [body for op, body in pkts if op == hw.PACKET3_DISPATCH_DIRECT]
    assert len(disp) == 1 and disp[0][:3] == list(grid) and disp[0][3] & hw.DISPATCH_CS_W32_EN    # clang's gfx1100 default is wave32
    assert [op for op, _ in pkts][-2:] == [hw.PACKET3_DISPATCH_DIRECT, hw.PACKET3_EVENT_WRITE]
    if p.private:       # architected flat scratch: the dispatch names the base and the ring size; the descriptor enables it
      assert regs[hw.COMPUTE_TMPRING_SIZE] == 0x1234 and regs[hw.COMPUTE_DISPATCH_SCRATCH_BASE_LO] == 0x5678 and p.rsrc2 & 1, name
    else: assert regs[hw.COMPUTE_TMPRING_SIZE] == 0 and hw.COMPUTE_DISPATCH_SCRATCH_BASE_LO not in regs
  assert p.lds == 0 and AMDProgram(mem, data, "reduce_lds").lds == 1024

def test_bad_binaries_and_launches_are_bad_input(corpus, tmp_path):
  data, mem = open(corpus, "rb").read(), HostMemory()
  for bad in (b"", b"\x7fELF" + bytes(60), data[:200]):
    with pytest.raises(InvalidKernelBinary): AMDProgram(mem, bad, "vadd")
  obj = str(tmp_path / "k.o")
  subprocess.run([oracle("clang-19"), *CLANG_FLAGS, "-c", CORPUS, "-o", obj], check=True, capture_output=True)
  with pytest.raises(InvalidKernelBinary, match="not a linked shared object"): load_image(open(obj, "rb").read())
  with pytest.raises(BadArgument, match="choose one with --kernel"): AMDProgram(mem, data)
  with pytest.raises(BadArgument, match="no kernel 'nope'"): AMDProgram(mem, data, "nope")
  p = AMDProgram(mem, data, "vadd")
  with pytest.raises(BadArgument, match="takes 4 parameters"): p.dispatch_words([1], (1, 1, 1), (1, 1, 1))
  with pytest.raises(BadArgument, match="bad block"): p.check_dims((1,), (2048,))
  with pytest.raises(BadArgument, match="exceeds 2\\^32"): p.check_dims((2**31,), (4,))
  small = HostMemory(); small.lds_bytes = 512
  with pytest.raises(InvalidKernelBinary, match="bytes of LDS"): AMDProgram(small, data, "reduce_lds")
  other = HostMemory(); other.arch = "gfx942"
  with pytest.raises(InvalidKernelBinary, match="built for gfx1100"): AMDProgram(other, data, "vadd")

def test_builtins_assemble_with_the_arguments_the_workloads_pass():
  mem = HostMemory()
  empty, inc = (AMDProgram(mem, assemble_to_container(BUILTINS[n], "gfx1100")) for n in ("empty", "inc"))
  assert empty.params == [] and inc.params == [(0, 8), (8, 4)]
  regs, _ = sh_regs(inc.dispatch_words([0x1000, 7], (1, 1, 1), (256, 1, 1)))
  assert regs[hw.COMPUTE_PGM_RSRC2] >> 7 & 1     # workgroup id x enabled: inc indexes blocks of 256
