"""Kernel boundaries, asserted from the driver's DEBUG=2 `***` lines (one per launch) and the executor's launch counter;
intermediates freed; kernels cached by content; DEBUG=3 schedule / DEBUG=4 assembly / PROFILE=1 trace."""
import json
import numpy as np, pytest
from hwrt import Tensor
from hwrt.tensor import runtime

DEV = "sim:nv"
rng = np.random.default_rng(2)
def T(*shape): return Tensor(rng.standard_normal(shape).astype(np.float32), device=DEV)

def launches(capfd, monkeypatch, fn, debug=2):
  """(kernel lines printed at DEBUG=2, launches counted, result) for fn()."""
  monkeypatch.setenv("DEBUG", str(debug))
  capfd.readouterr()
  k0 = runtime.STATS["kernels"]
  out = fn()
  monkeypatch.setenv("DEBUG", "0")
  err = capfd.readouterr().err
  stars = [l for l in err.splitlines() if l.startswith("*** ")]
  assert len(stars) == runtime.STATS["kernels"] - k0
  return stars, out, err

@pytest.mark.parametrize("name,build,want", [
  ("a*b+c", lambda: (lambda a, b, c: a * b + c)(T(64, 32), T(64, 32), T(32)), 1),
  ("(x*2).exp2().sum(axis=0)", lambda: (T(16, 24) * 2).exp2().sum(axis=0), 1),
  ("x.max(axis=1)", lambda: T(16, 24).max(axis=1), 1),
  ("softmax last axis", lambda: T(8, 40).softmax(-1), 3),
  ("relu(a@b+c)", lambda: (T(12, 20) @ T(20, 8) + T(8)).relu(), 1),
  ("permute(...).numpy()", lambda: T(3, 4, 5).permute(2, 0, 1), 1),
  ("relu(x@w1)@w2", lambda: (T(6, 16) @ T(16, 12)).relu() @ T(12, 4), 2),
  ("mean keepdims", lambda: T(10, 12).mean(axis=1, keepdims=True), 1),
  ("x - x.mean(0)", lambda: (lambda x: x - x.mean(0))(T(9, 7)), 2),
])
@pytest.mark.parametrize("dev", ["sim:nv", "sim:amd"])
def test_kernel_counts(capfd, monkeypatch, name, build, want, dev):
  global DEV
  DEV, old = dev, DEV
  try: stars, out, _ = launches(capfd, monkeypatch, lambda: build().numpy())
  finally: DEV = old
  assert len(stars) == want, f"{name}: {len(stars)} kernels\n" + "\n".join(stars)
  assert all(f" {dev} " in s and " us" in s and "GB/s" in s for s in stars), stars

def test_fused_results_match_numpy():
  a, b, c = (rng.standard_normal(s).astype(np.float32) for s in ((12, 20), (20, 8), (8,)))
  A, B, C = (Tensor(v, device=DEV) for v in (a, b, c))
  np.testing.assert_allclose((A @ B + C).relu().numpy(), np.maximum(a @ b + c, 0), rtol=1e-5, atol=1e-6)
  x = rng.standard_normal((16, 24)).astype(np.float32)
  np.testing.assert_allclose((Tensor(x, device=DEV) * 2).exp2().sum(axis=0).numpy(), np.exp2(x * 2).sum(0), rtol=1e-5)

def test_realized_input_is_not_recomputed(capfd, monkeypatch):
  x = T(8, 8)
  y = (x * 3).realize()
  stars, out, _ = launches(capfd, monkeypatch, lambda: ((y + 1) * y).numpy())
  assert len(stars) == 1

def test_intermediates_freed():
  dev = runtime.device(DEV)
  x = T(32, 32)
  base = dev.live
  for _ in range(3): (x - x.max(axis=1, keepdims=True)).exp().sum(axis=1).numpy()
  assert dev.live == base         # the max buffer of each round and the results went when nothing held them

def test_kernel_cache_by_content():
  x = T(20, 20)
  (x * 2 + 1).numpy()
  c0 = runtime.STATS["compiled"]
  (T(20, 20) * 2 + 1).numpy()     # a different tensor, the same kernel
  assert runtime.STATS["compiled"] == c0
  (x * 2 + 1.5).numpy()           # a different constant: a different kernel
  assert runtime.STATS["compiled"] == c0 + 1

def test_debug_3_schedule_4_assembly(capfd, monkeypatch):
  _, _, err = launches(capfd, monkeypatch, lambda: (T(4, 4) * 2).sum(1).numpy(), debug=4)
  assert "schedule: r_4_1 " in err or "schedule: r_4 " in err
  assert ".kernel r_4" in err and "FMUL" in err and "@P0 BRA L0" in err

def test_profile_trace(tmp_path, monkeypatch):
  monkeypatch.setenv("PROFILE", "1")
  (T(8, 8) + 1).numpy()
  path = runtime.write_trace(str(tmp_path / "trace.json"))
  monkeypatch.setenv("PROFILE", "0")
  ev = json.load(open(path))["traceEvents"]
  assert {"kernel", "copy"} <= {e["cat"] for e in ev} and all(e["ph"] == "X" and e["dur"] >= 0 for e in ev)

TILED_MARKS = {"sim:nv": ("BAR.SYNC", "LDS", "STS", ".shared 8192"),
               "sim:amd": ("s_barrier", "ds_load_b32", "ds_store_b32", ".amdhsa_group_segment_fixed_size 8192")}

@pytest.mark.parametrize("dev", ["sim:nv", "sim:amd"])
@pytest.mark.parametrize("m,k,n", [(16, 16, 16), (40, 24, 36), (33, 50, 17)])
def test_tiled_matmul_with_epilogue_one_kernel(capfd, monkeypatch, m, k, n, dev):
  """Large enough matmuls take the tiled kernel (16x16 threads of 4x4 outputs, K through shared memory / LDS in steps of 16,
  edges clamped); the bias + relu epilogue stays in the same kernel."""
  a, b, c = (rng.standard_normal(s).astype(np.float32) for s in ((m, k), (k, n), (n,)))
  A, B, C = (Tensor(v, device=dev) for v in (a, b, c))
  stars, got, err = launches(capfd, monkeypatch, lambda: (A @ B + C).relu().numpy(), debug=4)
  assert len(stars) == 1 and all(mark in err for mark in TILED_MARKS[dev])
  np.testing.assert_allclose(got, np.maximum(a @ b + c, 0), rtol=1e-5, atol=1e-5)

@pytest.mark.parametrize("dev", ["sim:nv", "sim:amd"])
def test_tiled_batched_views_and_float16(dev):
  ba, bb = rng.standard_normal((3, 24, 20)).astype(np.float32), rng.standard_normal((24, 18)).astype(np.float16)
  t = Tensor(ba, device=dev).permute(0, 2, 1)[:, ::-1] @ Tensor(bb, device=dev)
  from hwrt.tensor.ir import find_matmul
  assert find_matmul(t.lb) is not None
  np.testing.assert_allclose(t.numpy(), ba.transpose(0, 2, 1)[:, ::-1] @ bb.astype(np.float32), rtol=1e-5, atol=1e-5)

@pytest.mark.parametrize("dev", ["sim:nv", "sim:amd"])
def test_mlp_tiled(capfd, monkeypatch, dev):
  x, w1, w2 = (rng.standard_normal(s).astype(np.float32) for s in ((32, 48), (48, 40), (40, 16)))
  X, W1, W2 = (Tensor(v, device=dev) for v in (x, w1, w2))
  stars, got, _ = launches(capfd, monkeypatch, lambda: ((X @ W1).relu() @ W2).numpy())
  assert len(stars) == 2
  np.testing.assert_allclose(got, np.maximum(x @ w1, 0) @ w2, rtol=1e-4, atol=1e-4)

def test_realize_all_and_contiguous(capfd, monkeypatch):
  x = T(6, 5)
  y, z = x * 2, (x * 2).sum(1)
  stars, _, _ = launches(capfd, monkeypatch, lambda: Tensor.realize_all(y, z))
  assert len(stars) == 2 and y.lb.op == "BUF" and z.lb.op == "BUF"
  c = x.permute(1, 0).contiguous()
  stars, got, _ = launches(capfd, monkeypatch, lambda: (c + c).numpy())
  assert len(stars) == 2            # contiguous(): the permuted copy is a kernel of its own, then c + c reads it
  np.testing.assert_array_equal(got, (x.numpy().T * 2))

def test_views_copy_nothing_until_read():
  x = T(6, 8)
  k0, c0 = runtime.STATS["kernels"], runtime.STATS["copies"]
  y = x.permute(1, 0)[::2, 1:].flip(0).expand(2, 4, 5)
  assert (runtime.STATS["kernels"], runtime.STATS["copies"]) == (k0, c0)
  assert y.lb.op == "VIEW" and y.lb.srcs[0] is x.lb          # one View straight over x's buffer
  assert y.lb.arg.strides == (0, -2, 8) and y.lb.arg.offset == 14   # y[., p, q] = x[1 + q, 6 - 2p]: 14 - 2p + 8q
  np.testing.assert_array_equal(y.numpy(), np.broadcast_to(x.numpy().T[::2, 1:][::-1], (2, 4, 5)))
