"""The tensor executor's ops against numpy on sim:nv (the simulated H100 behind the NVIDIA driver; SASS back end) and
sim:amd (the simulated RX 7900 XTX behind KFD; RDNA3 back end) — the same code runs on nv:N / amd:N. Exact equality where
the operation is IEEE-exact (+ - * / sqrt, comparisons, max/min, views, casts, int ops); stated tolerances where the result
goes through MUFU / v_exp / v_log or our sin polynomial (exp exp2 log log2 sin) or a summation order."""
import numpy as np, pytest
from hwrt import Tensor
from hwrt.errors import BadArgument

DEV = "sim:nv"
@pytest.fixture(autouse=True, params=["sim:nv", "sim:amd"])
def device(request):
  global DEV
  DEV = request.param
rng = np.random.default_rng(1)
F32 = rng.standard_normal((4, 6)).astype(np.float32) * 3
G32 = (rng.standard_normal((6,)).astype(np.float32) + 4)
TRANS_TOL = dict(rtol=2e-6, atol=2e-6)     # exp/exp2/log/log2 via MUFU (the simulator rounds MUFU once); sin: own polynomial

def T(a): return Tensor(a, device=DEV)
def eq(t: Tensor, want):
  got = t.numpy()
  assert got.dtype == want.dtype and got.shape == want.shape, (got.dtype, want.dtype, got.shape, want.shape)
  np.testing.assert_array_equal(got, want)

def test_arith_exact_f32():
  x, y = T(F32), T(G32)
  eq(x + y, F32 + G32); eq(x - y, F32 - G32); eq(x * y, F32 * G32); eq(x / y, F32 / G32); eq(-x, -F32)
  eq(x.abs().sqrt(), np.sqrt(np.abs(F32))); eq(x.abs(), np.abs(F32)); eq(x.relu(), np.maximum(F32, 0))
  eq(2.5 - x, np.float32(2.5) - F32); eq(1 / y, np.float32(1) / G32); eq(x.maximum(y), np.maximum(F32, G32))

def test_div_sqrt_exact_wide_range():
  a = (rng.standard_normal(2000) * 10.0 ** rng.integers(-15, 15, 2000)).astype(np.float32)
  b = (rng.standard_normal(2000) * 10.0 ** rng.integers(-15, 15, 2000)).astype(np.float32)
  eq(T(a) / T(b), a / b)
  eq(T(np.abs(a)).sqrt(), np.sqrt(np.abs(a)))
  s = np.array([0.0, -0.0, np.inf, -1.0, 1e-40, 4.0, np.nan], np.float32)
  with np.errstate(invalid="ignore"): eq(T(s).sqrt(), np.sqrt(s))
  d = np.array([1, 2, 3, 0, 5, 0, 1], np.float32)
  with np.errstate(divide="ignore", invalid="ignore"): eq(T(s) / T(d), s / d)

def test_transcendentals():
  x = T(F32)
  np.testing.assert_allclose(x.exp2().numpy(), np.exp2(F32), **TRANS_TOL)
  np.testing.assert_allclose(x.exp().numpy(), np.exp(F32), rtol=1e-5)          # exp(x) = exp2(x * log2 e): |x| * 2^-24 more
  np.testing.assert_allclose(x.abs().log2().numpy(), np.log2(np.abs(F32)), **TRANS_TOL)
  np.testing.assert_allclose(x.abs().log().numpy(), np.log(np.abs(F32)), **TRANS_TOL)
  big = np.linspace(-100, 100, 1001, dtype=np.float32)
  np.testing.assert_allclose(T(big).sin().numpy(), np.sin(big), atol=2e-6)     # own range reduction + polynomial

def test_int_and_bool():
  a = rng.integers(-50, 50, (5, 4)).astype(np.int32)
  b = (rng.integers(1, 9, (4,)) * rng.choice([-1, 1], 4)).astype(np.int32)
  A, B = T(a), T(b)
  eq(A + B, a + b); eq(A - B, a - b); eq(A * B, a * b); eq(-A, -a); eq(A.abs(), np.abs(a)); eq(A % B, a % b)
  eq(A < B, a < b); eq(A <= B, a <= b); eq(A > B, a > b); eq(A >= B, a >= b); eq(A == B, a == b); eq(A != B, a != b)
  eq((A > 0) * (B > 0), (a > 0) * (b > 0)); eq((A > 0) + (B > 0), (a > 0) + (b > 0))
  eq(A / B, a.astype(np.float32) / b.astype(np.float32))          # int / int computes in float32 (numpy: float64)
  eq((A > 0).sum(axis=1), (a > 0).sum(axis=1).astype(np.int32)); eq(A.sum(0), a.sum(0).astype(np.int32))
  eq(A.max(1), a.max(1)); eq(A.min(), np.array(a.min(), np.int32))

def test_float16_rounds_like_numpy():
  h, g = F32.astype(np.float16), G32.astype(np.float16)
  H, Gt = T(h), T(g)
  eq(H * Gt + H, h * g + h); eq(H / Gt, h / g); eq(H - 0.1, h - np.float16(0.1)); eq(H.abs().sqrt(), np.sqrt(np.abs(h)))
  eq(H.cast("float32"), h.astype(np.float32)); eq(T(F32).cast("float16"), F32.astype(np.float16))
  np.testing.assert_allclose(H.exp2().numpy().astype(np.float32), np.exp2(h).astype(np.float32), rtol=1e-3)

def test_compare_where_cast():
  x, y = T(F32), T(G32 - 4)
  for op in ("__lt__", "__le__", "__gt__", "__ge__", "__eq__", "__ne__"): eq(getattr(x, op)(y), getattr(F32, op)(G32 - 4))
  eq(Tensor.where(x > 0, x, y), np.where(F32 > 0, F32, G32 - 4)); eq((x > 0).where(1.0, x), np.where(F32 > 0, np.float32(1), F32))
  eq(x.cast("int32"), F32.astype(np.int32)); eq(x.cast("bool"), F32.astype(bool)); eq((x > 0).cast("float32"), (F32 > 0).astype(np.float32))
  eq(T(np.array([3, -7], np.int32)).cast("float16"), np.array([3, -7], np.float16))

def test_reductions():
  x = T(F32)
  eq(x.max(axis=1), F32.max(axis=1)); eq(x.min(axis=(0, 1), keepdims=True), F32.min(axis=(0, 1), keepdims=True))
  eq(x.max(), np.array(F32.max()))
  np.testing.assert_allclose(x.sum(axis=0).numpy(), F32.sum(axis=0), rtol=1e-6)   # sequential vs numpy's pairwise order
  np.testing.assert_allclose(x.mean(axis=1, keepdims=True).numpy(), F32.mean(axis=1, keepdims=True), rtol=1e-6)
  np.testing.assert_allclose(x.sum().numpy(), F32.sum(), rtol=1e-6)
  s = x.softmax(-1).numpy()
  e = np.exp(F32 - F32.max(-1, keepdims=True)); np.testing.assert_allclose(s, e / e.sum(-1, keepdims=True), rtol=1e-5)

def test_matmul():
  a, b, c = rng.standard_normal((7, 5)).astype(np.float32), rng.standard_normal((5, 3)).astype(np.float32), rng.standard_normal(3).astype(np.float32)
  np.testing.assert_allclose((T(a) @ T(b)).numpy(), a @ b, rtol=1e-5, atol=1e-6)
  np.testing.assert_allclose((T(a) @ T(b) + T(c)).relu().numpy(), np.maximum(a @ b + c, 0), rtol=1e-5, atol=1e-6)
  ba, bb = rng.standard_normal((2, 3, 4, 5)).astype(np.float32), rng.standard_normal((3, 5, 2)).astype(np.float32)
  np.testing.assert_allclose((T(ba) @ T(bb)).numpy(), ba @ bb, rtol=1e-5, atol=1e-6)
  np.testing.assert_allclose((T(a) @ T(b[:, 0].copy())).numpy(), a @ b[:, 0], rtol=1e-5, atol=1e-6)
  ia, ib = rng.integers(-5, 5, (3, 4)).astype(np.int32), rng.integers(-5, 5, (4, 2)).astype(np.int32)
  eq(T(ia) @ T(ib), ia @ ib)

def test_views_are_index_arithmetic():
  x = np.arange(2 * 3 * 4, dtype=np.float32).reshape(2, 3, 4)
  X = T(x)
  eq(X.permute(2, 0, 1), x.transpose(2, 0, 1)); eq(X.flip(1), x[:, ::-1]); eq(X.T, x.T); eq(X.transpose(0, 2), x.swapaxes(0, 2))
  eq(X[1], x[1]); eq(X[:, 1:3, ::2], x[:, 1:3, ::2]); eq(X[..., -1], x[..., -1]); eq(X[None, :, ::-2, 1], x[None, :, ::-2, 1])
  eq(X.reshape(4, 6), x.reshape(4, 6)); eq(X.permute(1, 0, 2).reshape(3, 8), x.transpose(1, 0, 2).reshape(3, 8))
  eq(X[:, :1].expand(2, 3, 4), np.broadcast_to(x[:, :1], (2, 3, 4))); eq(X.flip(2)[:, ::2].reshape(-1), x[:, :, ::-1][:, ::2].reshape(-1))
  eq(X.reshape(6, 4)[1:5:3].permute(1, 0) * 2, x.reshape(6, 4)[1:5:3].T * 2)

def test_scalar_and_empty_shapes():
  eq(T(np.float32(3)) * 2, np.array(6, np.float32)); eq(T(np.zeros((0, 3), np.float32)) + 1, np.ones((0, 3), np.float32))
  eq(T(np.ones((1, 1), np.int32)).sum(), np.array(1, np.int32))

def test_bad_input_one_line_errors():
  x = T(F32)
  with pytest.raises(BadArgument, match="do not broadcast"): x + T(np.ones(5, np.float32))
  with pytest.raises(BadArgument, match="unsupported dtype"): T(np.ones(3, np.complex64))
  with pytest.raises(BadArgument, match="unsupported dtype"): x.cast("float64")
  with pytest.raises(BadArgument, match="do not align"): x @ x
  with pytest.raises(BadArgument, match="cannot reshape"): x.reshape(5, 5)
  with pytest.raises(BadArgument, match="out of range"): x.sum(axis=2)
  with pytest.raises(BadArgument, match="not a permutation"): x.permute(0, 0)
  with pytest.raises(BadArgument, match="advanced"): x[[0, 1]]
  with pytest.raises(BadArgument, match="no intel back end"): Tensor([1.0], device="sim:intel")
  with pytest.raises(BadArgument, match="bool"): -(x > 0)

def test_index_division_magic_numbers():
  """Views divide flat indices by constants with a multiply-high and a shift (sass.py): exact for every x < 2^31."""
  from hwrt.tensor.regalloc import magic
  r = np.random.default_rng(5)
  for c in [3, 5, 6, 7, 10, 12, 24, 100, 641, 1000, 65537, 2**31 - 1] + list(r.integers(3, 2**20, 40)):
    c = int(c)
    if c & (c - 1) == 0: continue
    m, s = magic(c)
    assert m < 2**32
    xs = [0, 1, c - 1, c, c + 1, 2**31 - 1, 2**31 - c] + [int(x) for x in r.integers(0, 2**31, 200)]
    assert all((x * m) >> (32 + s) == x // c for x in xs), c

def test_long_reduction_splits_in_two_kernels():
  from hwrt.tensor import runtime
  x = rng.standard_normal(1 << 14).astype(np.float32)
  k0 = runtime.STATS["kernels"]
  got = T(x).sum().numpy()
  assert runtime.STATS["kernels"] - k0 == 2
  np.testing.assert_allclose(got, x.astype(np.float64).sum(), rtol=1e-5, atol=1e-3)
  y = rng.standard_normal((2, 1 << 14)).astype(np.float32)
  np.testing.assert_array_equal(T(y).max(axis=1, keepdims=True).numpy(), y.max(axis=1, keepdims=True))
