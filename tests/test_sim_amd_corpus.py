"""The OpenCL corpus (tests/amd_corpus/*.cl, compiled by clang-19 for gfx1100 at test time) on the simulated GPU through the
raw-ioctl testbench: results bit-exact against numpy where IEEE (or C integer semantics) defines them; every instruction
llvm-objdump-19 finds in the corpus is executed; an instruction without semantics is a GPU fault, never a wrong answer."""
import struct
import numpy as np
import pytest
from hwrt.errors import GPUFault
from hwrt.sim import kernel
from hwrt.sim.amd.testbench import Bench
from tests.conftest import oracle
from tests.amd_corpus.build import compile_cl, disasm

R = np.random.default_rng(7)
KERNELS = ["axpy", "atomics", "lds_scan", "transpose", "int64", "loops", "divide", "fp16", "wmma", "reduce", "fmath", "bits",
           "bytes", "select", "private", "dpp", "buffer", "denorm", "generic"]
W64 = ("-mwavefrontsize64",)

EXECUTED: set = set()                   # mnemonics run by this module's tests so far (the coverage test runs last)

@pytest.fixture
def rig():
  m = kernel.new_machine("amd")
  yield m, Bench(m.syscalls)
  EXECUTED.update(m.gpu.executed)
  m.close()

def run(b, name, args, grid, local, extra=()):
  k = b.load_elf(compile_cl(name, oracle("clang-19"), extra))
  b.dispatch(k, b"".join(struct.pack("<Q", a.va) if hasattr(a, "va") else a for a in args), (grid, 1, 1), (local, 1, 1))

def arr(b, x): return b.upload(np.ascontiguousarray(x).tobytes())
def out(b, n, dt): return b.alloc(n * np.dtype(dt).itemsize)
def get(bo, n, dt): return bo.view[:n * np.dtype(dt).itemsize].view(dt).copy()
I32 = lambda v: struct.pack("<i", v)

def test_axpy(rig):
  m, b = rig; n = 3000
  a, c = R.standard_normal(n).astype(np.float32), R.standard_normal(n).astype(np.float32)
  A, B, C = arr(b, a), arr(b, c), out(b, n, np.float32)
  run(b, "axpy", [C, A, B, I32(n)], -(-n // 256), 256)
  assert np.array_equal(get(C, n, np.float32), a * np.float32(2) + c)

def test_atomics(rig):
  m, b = rig; n = 300                                                # the CAS loop retires one lane per round: keep it short
  x = R.integers(0, 1 << 20, n).astype(np.uint32)
  IN, H, MX, CAS = arr(b, x), arr(b, np.zeros(16, np.uint32)), arr(b, np.zeros(1, np.int32)), arr(b, np.zeros(1, np.uint32))
  run(b, "atomics", [IN, H, MX, CAS, I32(n)], -(-n // 64), 64)
  assert np.array_equal(get(H, 16, np.uint32), np.bincount(x & 15, minlength=16).astype(np.uint32))
  assert get(MX, 1, np.int32)[0] == (x >> 4).max() and get(CAS, 1, np.uint32)[0] == 2 * n

def test_lds_scan(rig):
  m, b = rig
  x = R.integers(-100, 100, 128 * 6).astype(np.int32)
  IN, O = arr(b, x), out(b, x.size, np.int32)
  run(b, "lds_scan", [IN, O], 6, 128)
  assert np.array_equal(get(O, x.size, np.int32), np.cumsum(x.reshape(6, 128), axis=1).reshape(-1).astype(np.int32))

def test_transpose(rig):
  m, b = rig; h, w = 48, 32
  x = R.standard_normal((h, w)).astype(np.float32)
  IN, O = arr(b, x), out(b, x.size, np.float32)
  run(b, "transpose", [IN, O, I32(w), I32(h)], (h // 16) * (w // 16), 256)
  assert np.array_equal(get(O, x.size, np.float32).reshape(w, h), x.T)

def test_int64(rig):
  m, b = rig; n = 512
  x = R.integers(0, 2**63 - 2**20, n, dtype=np.uint64)                 # (s << 1) + i stays in range: signed overflow is UB in C
  IN, O, S = arr(b, x), out(b, n, np.uint64), out(b, n, np.int64)
  run(b, "int64", [IN, O, S], n // 128, 128)
  with np.errstate(over="ignore"):
    z = x + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    s = x.view(np.int64) - np.int64(0x4000000000000000)
    sref = np.where(s < 0, -s, (s << np.int64(1)) + np.arange(n, dtype=np.int64))
  assert np.array_equal(get(O, n, np.uint64), z ^ (z >> np.uint64(31)))
  assert np.array_equal(get(S, n, np.int64), sref)

def test_loops(rig):
  m, b = rig; n = 256
  x = R.integers(1, 5000, n).astype(np.uint32)
  IN, ST, SU = arr(b, x), out(b, n, np.uint32), out(b, n, np.uint32)
  run(b, "loops", [IN, ST, SU], n // 64, 64)
  def collatz(v):
    s = 0
    while v != 1 and s < 500: v = 3 * v + 1 if v & 1 else v >> 1; s += 1
    return s
  assert np.array_equal(get(ST, n, np.uint32), np.array([collatz(int(v)) for v in x], np.uint32))
  assert np.array_equal(get(SU, n, np.uint32), np.array([sum(a * c + 1 for a in range(v & 7) for c in range(a + 1)) for v in x], np.uint32))

def test_divide(rig):
  m, b = rig; n = 1024
  a = R.integers(0, 2**32, n, dtype=np.uint64).astype(np.uint32); d = R.integers(1, 1000, n).astype(np.uint32)
  fa, fb = R.standard_normal(n).astype(np.float32), R.standard_normal(n).astype(np.float32)
  bufs = [arr(b, a), arr(b, d)] + [out(b, n, np.uint32) for _ in range(4)] + [arr(b, fa), arr(b, fb), out(b, n, np.float32)]
  run(b, "divide", bufs, n // 256, 256)
  assert np.array_equal(get(bufs[2], n, np.uint32), a // d) and np.array_equal(get(bufs[3], n, np.uint32), a % d)
  x, y = a.view(np.int32).astype(np.int64), d.astype(np.int64) - 500
  y = np.where(y == 0, 7, y)
  q = np.trunc(x / y).astype(np.int64)                                 # C: truncating division
  assert np.array_equal(get(bufs[4], n, np.int32), q.astype(np.int32)) and np.array_equal(get(bufs[5], n, np.int32), (x - q * y).astype(np.int32))
  q, ref = get(bufs[8], n, np.float32), fa / fb                       # OpenCL single-precision '/' is 2.5 ulp (LLVM: frexp/rcp/ldexp)
  assert (np.abs(q - ref) <= 2.5 * np.spacing(np.abs(ref))).all()

def test_fp16(rig):
  m, b = rig; n = 256
  x, y = R.standard_normal(n).astype(np.float16), R.standard_normal(n).astype(np.float16)
  p = R.standard_normal(2 * n).astype(np.float16)
  A, B, C, F, P = arr(b, x), arr(b, y), out(b, n, np.float16), out(b, n, np.float32), arr(b, p)
  run(b, "fp16", [A, B, C, F, P], n // 64, 64)
  fma16 = lambda u, v, w: (u.astype(np.float64) * v + w).astype(np.float16)   # f16 fma: exact product, one rounding
  c = get(C, n, np.float16)
  assert np.array_equal(c, fma16(x, y, np.float16(1.5))) or np.array_equal(c, (x * y + np.float16(1.5)))
  assert np.array_equal(get(F, n, np.float32), (x - y).astype(np.float32))
  q = p.reshape(n, 2); got = get(P, 2 * n, np.float16).reshape(n, 2)
  want = np.stack([fma16(q[:, 0], x, q[:, 0]), fma16(q[:, 1], y, q[:, 1])], 1)
  assert np.array_equal(got, want) or np.array_equal(got, np.stack([q[:, 0] * x + q[:, 0], q[:, 1] * y + q[:, 1]], 1))

def test_wmma(rig):
  m, b = rig
  A, B = R.standard_normal((16, 16)).astype(np.float16), R.standard_normal((16, 16)).astype(np.float16)
  C = R.standard_normal((16, 16)).astype(np.float32)
  bufs = [arr(b, A), arr(b, B), arr(b, C), out(b, 256, np.float32)]
  run(b, "wmma", bufs, 1, 32)
  ref = (A.astype(np.float64) @ B.astype(np.float64) + C).astype(np.float32)
  assert np.allclose(get(bufs[3], 256, np.float32).reshape(16, 16), ref, rtol=1e-6, atol=1e-6)   # summation order is not IEEE-defined

def test_reduce(rig):
  m, b = rig
  x = R.integers(-1000, 1000, 256 * 5).astype(np.int32)
  IN, O = arr(b, x), out(b, 5, np.int32)
  run(b, "reduce", [IN, O], 5, 256)
  assert np.array_equal(get(O, 5, np.int32), x.reshape(5, 256).sum(axis=1).astype(np.int32))

def test_fmath(rig):
  m, b = rig; n = 512
  x = (R.standard_normal(n) * 10).astype(np.float32); y = (R.standard_normal(n) * 10).astype(np.float32)
  x[:4] = [np.nan, -0.0, np.inf, 2.5]; y[:4] = [1.0, 0.0, -np.inf, np.nan]
  A, B, O, IO = arr(b, x), arr(b, y), out(b, 8 * n, np.float32), out(b, n, np.int32)
  run(b, "fmath", [A, B, O, IO], n // 128, 128)
  o = get(O, 8 * n, np.float32).reshape(n, 8)
  with np.errstate(invalid="ignore"):
    ref = [np.sqrt(np.abs(x)), (x.astype(np.float64) * y + 0.75).astype(np.float32), np.fmin(x, y), np.fmax(x, y),
           np.floor(x) + np.ceil(y), np.trunc(x) - np.rint(y), np.copysign(y, x)]
    for j, r in enumerate(ref): assert np.array_equal(o[:, j], r.astype(np.float32), equal_nan=True), j
    fin = np.isfinite(x) & np.isfinite(y)
    r7 = (np.trunc(x * np.float32(1000)).astype(np.int64).astype(np.float32) + np.trunc(np.abs(y) * np.float32(77)).astype(np.float32))
    assert np.array_equal(o[fin, 7], r7[fin])
    assert np.array_equal(get(IO, n, np.int32)[fin], np.trunc(y * np.float32(100000)).astype(np.int32)[fin])

def test_bits(rig):
  m, b = rig; n = 256
  x = R.integers(0, 2**32, n, dtype=np.uint64).astype(np.uint32); x[:2] = [0, 1]
  IN, O = arr(b, x), out(b, 6 * n, np.uint32)
  run(b, "bits", [IN, O], n // 64, 64)
  o = get(O, 6 * n, np.uint32).reshape(n, 6)
  xi = [int(v) for v in x]
  assert list(o[:, 0]) == [bin(v).count("1") for v in xi]
  assert list(o[:, 1]) == [32 - v.bit_length() for v in xi]
  assert list(o[:, 2]) == [(v & -v).bit_length() - 1 if v else 32 for v in xi]
  assert np.array_equal(o[:, 3], (x << np.uint32(7)) | (x >> np.uint32(25)))
  assert np.array_equal(o[:, 4], ((x >> np.uint32(5)) & np.uint32(0x3FF)) | ((x & np.uint32(0xFF)) << np.uint32(20)))
  assert np.array_equal(o[:, 5], x.byteswap())

def test_bytes(rig):
  m, b = rig; n = 300
  x, y = R.integers(0, 256, n).astype(np.uint8), R.integers(-30000, 30000, n).astype(np.int16)
  A, B, C, D, E = arr(b, x), arr(b, y), out(b, n, np.uint8), out(b, n, np.int16), out(b, n, np.int32)
  run(b, "bytes", [A, B, C, D, E], -(-n // 64), 64)
  assert np.array_equal(get(C, n, np.uint8), (x.astype(np.int32) * 3 + 1).astype(np.uint8))
  assert np.array_equal(get(D, n, np.int16), (y.astype(np.int32) * 2 - x).astype(np.int16))
  assert np.array_equal(get(E, n, np.int32), y.astype(np.int32) * x)

def test_select(rig):
  m, b = rig; n = 1000
  x = (R.standard_normal(n) * 2).astype(np.float32); x[:3] = [np.nan, 1.0, 2.0]
  A, O, F = arr(b, x), out(b, n, np.float32), out(b, n, np.int32)
  run(b, "select", [A, O, F, I32(n)], -(-n // 128), 128)
  with np.errstate(invalid="ignore"):
    f = np.isnan(x) | ((x < 0) << 1) | ((x >= 1) << 2) | ((~(x <= 2)) << 3)
    y = np.where(np.isnan(x), -1, np.clip(x, 0, 1)).astype(np.float32)
  assert np.array_equal(get(F, n, np.int32), f.astype(np.int32)) and np.array_equal(get(O, n, np.float32), y)

def test_private_memory_is_scratch(rig):
  m, b = rig; n = 256
  idx = R.integers(0, 1000, n).astype(np.int32)
  IN, O = arr(b, idx), out(b, n, np.int32)
  run(b, "private", [IN, O], n // 64, 64)
  i = np.arange(n)
  t = lambda k: k * k + i
  assert np.array_equal(get(O, n, np.int32), (t(idx % 40) + t((idx * 7) % 40)).astype(np.int32))
  assert "scratch_store_b32" in m.gpu.executed

@pytest.mark.parametrize("name", ["axpy", "reduce", "select"])
def test_wave64(rig, name):
  """the same kernels compiled for wave64 (-mwavefrontsize64): 64-lane EXEC/VCC pairs, s[n:n+1] lane masks"""
  m, b = rig
  if name == "axpy":
    n = 1000; a = R.standard_normal(n).astype(np.float32); c = R.standard_normal(n).astype(np.float32)
    A, B, C = arr(b, a), arr(b, c), out(b, n, np.float32)
    run(b, "axpy", [C, A, B, I32(n)], -(-n // 128), 128, W64)
    assert np.array_equal(get(C, n, np.float32), a * np.float32(2) + c)
  elif name == "reduce":
    x = R.integers(-1000, 1000, 256 * 3).astype(np.int32)
    IN, O = arr(b, x), out(b, 3, np.int32)
    run(b, "reduce", [IN, O], 3, 256, W64)
    assert np.array_equal(get(O, 3, np.int32), x.reshape(3, 256).sum(axis=1).astype(np.int32))
  else:
    n = 300; x = (R.standard_normal(n) * 2).astype(np.float32); x[0] = np.nan
    A, O, F = arr(b, x), out(b, n, np.float32), out(b, n, np.int32)
    run(b, "select", [A, O, F, I32(n)], -(-n // 64), 64, W64)
    with np.errstate(invalid="ignore"): y = np.where(np.isnan(x), -1, np.clip(x, 0, 1)).astype(np.float32)
    assert np.array_equal(get(O, n, np.float32), y)

def test_buffer_resources(rig):
  m, b = rig
  x = np.arange(64, dtype=np.int32) + 100
  IN, O = arr(b, x), arr(b, np.full(64, -1, np.int32))
  run(b, "buffer", [IN, O, I32(40)], 1, 64)                            # num_records = 40 ints: lanes 40.. are out of range
  got = get(O, 64, np.int32)
  assert np.array_equal(got[:40], x[:40] * 3) and (got[40:] == -1).all()

@pytest.mark.parametrize("flush", [False, True])
def test_f32_denormal_mode(rig, flush):
  m, b = rig
  x = np.array([1e-39, -3e-39, 1e-37, 2.0] * 16, np.float32)             # two denormals, a small normal, a normal
  A, O = arr(b, x), out(b, x.size, np.float32)
  run(b, "denorm", [A, O], 1, 64, ("-cl-denorms-are-zero",) if flush else ())
  if flush:
    f = lambda v: np.where(np.abs(v) < np.float32(1.1754944e-38), np.copysign(np.float32(0), v), v).astype(np.float32)
    xf = f(x); ref = f(f(xf * np.float32(0.5)) + f(xf * np.float32(0.25)))
    ref2 = f((xf.astype(np.float64) * 0.5 + f(xf * np.float32(0.25))).astype(np.float32))   # if LLVM fused one product (fma)
    got = get(O, x.size, np.float32)
    assert np.array_equal(got, ref) or np.array_equal(got, ref2)
    assert (got[0::4] == 0).all() and np.signbit(got[1::4]).all()
  else:
    got = get(O, x.size, np.float32)
    assert (got[0::4] != 0).all() and (got[1::4] != 0).all()           # denormals survive
    assert np.allclose(got, x * np.float32(0.75), rtol=1e-6, atol=0)

def test_generic_pointers_and_calls(rig):
  """flat_load through a generic pointer into global memory and into LDS (src_shared_base aperture), from a called function
  (s_getpc / s_swappc / s_setpc, R_AMDGPU_REL32_LO/HI)"""
  m, b = rig
  x = R.integers(-50, 50, 64).astype(np.int32)
  IN, O = arr(b, x), out(b, 64, np.int32)
  run(b, "generic", [IN, O], 1, 64)
  g = x.reshape(16, 4).sum(1).repeat(4)
  assert np.array_equal(get(O, 64, np.int32), g + 10 * 2 * g)
  assert {"flat_load_b128", "s_swappc_b64", "s_setpc_b64"} <= m.gpu.executed

def _shr(v, n, zero):
  """DPP row_shr:n on 16-lane rows: lane l reads l-n of its row; invalid lanes read 0 (bound_ctrl) or are None-marked"""
  r = np.arange(v.size) & 15
  src = np.where(r >= n, np.arange(v.size) - n, -1)
  return np.where(src >= 0, v[np.maximum(src, 0)], 0), src >= 0

def test_dpp_swizzle_permlane(rig):
  """tests/amd_corpus/dpp.cl step by step, each step's lane pattern from the RDNA3 ISA guide (7.7 DPP, 11.x ds_swizzle,
  v_permlanex16): row_shr with bound_ctrl, a bank_mask, row_half_mirror, swizzle xor 16, permlanex16, readlane, bpermute"""
  m, b = rig
  x = (np.arange(32) * 3 + 1).astype(np.int64)
  IN, O = arr(b, x.astype(np.int32)), out(b, 32, np.int32)
  obj = compile_cl("dpp", oracle("clang-19"))
  k = b.load_elf(obj, "dpp_reduce")
  b.dispatch(k, struct.pack("<QQ", IN.va, O.va), (1, 1, 1), (32, 1, 1))
  l, v = np.arange(32), x.copy()
  v = v + _shr(v, 1, True)[0]
  v = v + _shr(v, 2, True)[0]
  t, ok = _shr(v, 4, False); wr = ok & (((l >> 2) & 3) != 0); v = np.where(wr, v + t, v)     # bank_mask 0xe, no bound_ctrl
  v = v + v[(l & ~7) + 7 - (l & 7)]                                    # row_half_mirror
  v = v + v[l ^ 16]                                                    # ds_swizzle SWAP,16
  v = v + v[l ^ 16]                                                    # permlanex16 with identity selects
  v = v + v[15]                                                        # readlane 15
  assert np.array_equal(get(O, 32, np.int32), (v[0] + v).astype(np.int32))
  f = np.arange(32, dtype=np.float32); F = arr(b, f)
  b.dispatch(b.load_elf(obj, "dpp_float"), struct.pack("<Q", F.va), (1, 1, 1), (32, 1, 1))
  g = f + _shr(f, 1, True)[0].astype(np.float32)
  assert np.array_equal(get(F, 32, np.float32), g + g)                 # dpp8 [0..7] is the identity

def test_every_corpus_instruction_is_executed(rig):
  """after the tests above: the union of what ran covers every mnemonic llvm-objdump-19 lists (run this module whole)"""
  m, b = rig
  listed = set()
  for k in KERNELS: listed |= set(disasm(compile_cl(k, oracle("clang-19")), oracle("llvm-objdump-19")))
  for k in ("axpy", "reduce", "select"): listed |= set(disasm(compile_cl(k, oracle("clang-19"), W64), oracle("llvm-objdump-19")))
  missing = sorted(n for n in listed - EXECUTED if not n.startswith("v_dual_"))
  duals = {n for n in EXECUTED if n.startswith("v_dual_")}
  assert not missing, f"corpus instructions never executed: {missing}"
  assert duals, "no VOPD (v_dual_*) instruction ran"

def test_unimplemented_instruction_is_a_gpu_fault(rig):
  m, b = rig
  from hwrt.assemblers.rdna3 import asm, decoder
  code = asm.assemble("v_dot4_i32_iu8 v0, v1, v2, v3\ns_endpgm\n")[0]
  assert decoder.decode(code, 0).name == "v_dot4_i32_iu8"            # the decoder knows it; the interpreter has no semantics
  bo = b.upload(bytes(code) + b"\0" * 256)
  k = dict(entry=bo.va, rsrc1=0x40AF0001, rsrc2=0x8, props=0x400, lds=0)
  with pytest.raises(GPUFault) as e:
    b.dispatch(k, b"\0" * 8, (1, 1, 1), (32, 1, 1), timeout=5)
  assert "unimplemented RDNA3 instruction v_dot4_i32_iu8 at pc" in str(e.value)
