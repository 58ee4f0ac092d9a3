"""The tensor executor on a real NVIDIA GPU (nv:0; skipped cleanly without /dev/nvidiactl): the same checks as on sim:nv —
IEEE-exact elementwise results, the tiled matmul with its epilogue in one kernel, softmax in three, intermediates freed."""
import numpy as np, pytest
from hwrt import Tensor
from hwrt.tensor import runtime

pytestmark = pytest.mark.gpu
DEV = "nv:0"
rng = np.random.default_rng(3)

def test_elementwise_exact_on_gpu():
  a, b = rng.standard_normal((300, 70)).astype(np.float32), rng.standard_normal(70).astype(np.float32) + 3
  A, B = Tensor(a, device=DEV), Tensor(b, device=DEV)
  for got, want in (((A * B + A).numpy(), a * b + a), ((A / B).numpy(), a / b), (A.abs().sqrt().numpy(), np.sqrt(np.abs(a))),
                    ((A.permute(1, 0)[::-1] - 1).numpy(), a.T[::-1] - 1), ((A > B).numpy(), a > b)):
    np.testing.assert_array_equal(got, want)
  h = a.astype(np.float16)
  np.testing.assert_array_equal((Tensor(h, device=DEV) * 3 - 0.5).numpy(), h * np.float16(3) - np.float16(0.5))
  np.testing.assert_allclose(A.exp2().numpy(), np.exp2(a), rtol=3e-7 * 4)          # MUFU.EX2: within 2 ulp
  np.testing.assert_allclose(A.sin().numpy(), np.sin(a), atol=2e-6)

def test_tiled_matmul_and_counts_on_gpu():
  a, b, c = (rng.standard_normal(s).astype(np.float32) for s in ((200, 120), (120, 90), (90,)))
  A, B, C = (Tensor(v, device=DEV) for v in (a, b, c))
  k0 = runtime.STATS["kernels"]
  np.testing.assert_allclose((A @ B + C).relu().numpy(), np.maximum(a @ b + c, 0), rtol=1e-4, atol=1e-4)
  assert runtime.STATS["kernels"] - k0 == 1
  x = rng.standard_normal((64, 333)).astype(np.float32)
  k0 = runtime.STATS["kernels"]
  s = Tensor(x, device=DEV).softmax(-1).numpy()
  assert runtime.STATS["kernels"] - k0 == 3
  e = np.exp(x - x.max(-1, keepdims=True)); np.testing.assert_allclose(s, e / e.sum(-1, keepdims=True), rtol=1e-5, atol=1e-7)

def test_intermediates_freed_on_gpu():
  dev = runtime.device(DEV)
  x = Tensor(rng.standard_normal((128, 128)).astype(np.float32), device=DEV)
  base = dev.live
  for _ in range(3): (x - x.max(axis=1, keepdims=True)).exp().sum(axis=1).numpy()
  assert dev.live == base
