"""Property tests: random expression trees over random broadcastable shapes and all four dtypes, on sim:nv, against numpy
computing the same tree with the executor's dtype rules (promotion bool < int32 < float16 < float32, int32 with float16 ->
float32, int32 / int32 in float32). Exact trees (+ - * / sqrt abs neg max min comparisons where cast %, max/min reductions,
views) must match bit for bit; a reduction or transcendental at the root is compared with the tolerance stated there.
Both simulated GPUs: sim:nv (SASS back end) and sim:amd (RDNA3 back end)."""
import numpy as np, pytest
from hypothesis import assume, given, settings, strategies as st, HealthCheck
from hwrt import Tensor
from hwrt.tensor.dtypes import promote, to_dtype

DEV = "sim:nv"
DTS = ["float32", "float16", "int32", "bool"]

def npdt(x): return to_dtype(x.dtype.name if hasattr(x, "dtype") else x)
def cast(a, dt): return np.asarray(a).astype(to_dtype(dt).np)
def prom(a, b): return promote(npdt(a), npdt(b)).np
def flt(a): return a if npdt(a).is_float else cast(a, "float32")

class Pair:
  """The same value as a numpy array (the reference) and a Tensor."""
  def __init__(self, n, t): self.n, self.t = n, t

def fits(*ns):
  """Shape-changing nodes (slices, permutes, reductions) can make operands unbroadcastable: such trees are discarded."""
  try: np.broadcast_shapes(*(n.shape for n in ns))
  except ValueError: assume(False)

def binop(op, a: Pair, b: Pair) -> Pair:
  fits(a.n, b.n)
  if op == "div":
    fa, fb = flt(a.n), flt(b.n)
    d = prom(fa, fb)
    tb = b.t.cast(to_dtype(np.dtype(d).name))
    return Pair(fa.astype(d) / (np.abs(fb.astype(d)) + d(0.5)), a.t / (tb.abs() + 0.5))
  if op == "mod":
    x, y = cast(a.n, "int32"), cast(b.n, "int32")
    return Pair(x % (np.abs(y) + np.int32(1)), a.t.cast("int32") % (b.t.cast("int32").abs() + 1))
  d = prom(a.n, b.n)
  x, y = a.n.astype(d), b.n.astype(d)
  if op == "sub" and d is np.bool_: op = "add"
  fn = {"add": (np.add, lambda p, q: p + q), "sub": (np.subtract, lambda p, q: p - q), "mul": (np.multiply, lambda p, q: p * q),
        "max": (np.maximum, lambda p, q: p.maximum(q)), "min": (np.minimum, lambda p, q: p.minimum(q)),
        "lt": (np.less, lambda p, q: p < q), "le": (np.less_equal, lambda p, q: p <= q), "eq": (np.equal, lambda p, q: p == q),
        "ne": (np.not_equal, lambda p, q: p != q), "gt": (np.greater, lambda p, q: p > q)}[op]
  return Pair(fn[0](x, y), fn[1](a.t, b.t))

def unop(op, a: Pair, arg) -> Pair:
  n, t = a.n, a.t
  if op == "neg": return Pair(-n, -t) if n.dtype != np.bool_ else Pair(n, t)
  if op == "abs": return Pair(np.abs(n), t.abs())
  if op == "sqrt": f = flt(n); return Pair(np.sqrt(np.abs(f)), t.abs().sqrt())
  if op == "relu": return Pair(np.maximum(n, n.dtype.type(0)), t.relu()) if n.dtype != np.bool_ else Pair(n, t)
  if op == "cast": return Pair(cast(n, arg), t.cast(arg))
  if n.ndim == 0: return a
  ax = arg % n.ndim
  if op in ("rmax", "rmin"):
    keep = bool(arg & 1)
    return Pair(getattr(np, op[1:])(n, axis=ax, keepdims=keep), getattr(t, op[1:])(axis=ax, keepdims=keep))
  if op == "flip": return Pair(np.flip(n, ax), t.flip(ax))
  if op == "permute": order = list(range(n.ndim))[ax:] + list(range(n.ndim))[:ax]; return Pair(n.transpose(order), t.permute(order))
  if op == "slice":
    sl = tuple(slice(None, None, -2) if i == ax else slice(None) for i in range(n.ndim))
    return Pair(n[sl], t[sl])
  raise AssertionError(op)

BIN = ["add", "sub", "mul", "div", "max", "min", "lt", "le", "eq", "ne", "gt", "mod", "where"]
UN = ["neg", "abs", "sqrt", "relu", "cast", "rmax", "rmin", "flip", "permute", "slice"]

@st.composite
def cases(draw):
  nd = draw(st.integers(0, 3))
  shape = tuple(draw(st.integers(1, 5)) for _ in range(nd))
  leaves = []
  for _ in range(draw(st.integers(1, 3))):
    k = draw(st.integers(0, nd))
    sub = tuple(s if draw(st.booleans()) else 1 for s in shape[nd - k:])
    vals = np.random.default_rng(draw(st.integers(0, 2**32 - 1))).integers(-6, 7, sub)
    dt = draw(st.sampled_from(DTS))
    leaves.append((vals / 2 if dt.startswith("float") else vals).astype(to_dtype(dt).np))
  def tree(depth):
    if depth == 0 or draw(st.integers(0, 3)) == 0: return ("leaf", draw(st.integers(0, len(leaves) - 1)))
    if draw(st.booleans()):
      op = draw(st.sampled_from(BIN))
      return (op, tree(depth - 1), tree(depth - 1)) + ((tree(depth - 1),) if op == "where" else ())
    op = draw(st.sampled_from(UN))
    return (op, tree(depth - 1), draw(st.sampled_from(DTS)) if op == "cast" else draw(st.integers(0, 7)))
  return leaves, tree(3)

def evaluate(node, leaves) -> Pair:
  if node[0] == "leaf": return leaves[node[1]]
  if node[0] == "where":
    c, a, b = (evaluate(x, leaves) for x in node[1:])
    fits(c.n, a.n, b.n)
    d = prom(a.n, b.n)
    return Pair(np.where(c.n.astype(bool), a.n.astype(d), b.n.astype(d)), Tensor.where(c.t, a.t, b.t))
  if node[0] in BIN: return binop(node[0], evaluate(node[1], leaves), evaluate(node[2], leaves))
  return unop(node[0], evaluate(node[1], leaves), node[2])

def _pairs(leaves): return [Pair(a, Tensor(a, device=DEV)) for a in leaves]

@pytest.fixture(autouse=True, params=["sim:nv", "sim:amd"])
def device(request):
  global DEV
  DEV = request.param

@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(cases())
def test_exact_trees(device, case):
  leaves, tree = case
  with np.errstate(all="ignore"):
    r = evaluate(tree, _pairs(leaves))
    got = r.t.numpy()
  assert got.dtype == r.n.dtype and got.shape == r.n.shape, (tree, got.dtype, r.n.dtype, got.shape, r.n.shape)
  np.testing.assert_array_equal(got, r.n, err_msg=str(tree))

ROOT_TOL = {"float32": 1e-5, "float16": 2e-3, "int32": 0, "bool": 0}

@settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck))
@given(cases(), st.sampled_from(["sum", "mean", "exp2", "log2", "sin", "exp"]), st.integers(0, 7))
def test_reduction_and_transcendental_roots(device, case, root, arg):
  """sum/mean: numpy adds pairwise, we add in order (float16: we accumulate in float32): |err| <= tol * sum|x|.
  exp2 exp log2 sin: MUFU (the simulator rounds it once; hardware is within 2 ulp) / our polynomial: rtol 1e-5 (float16 2e-3)."""
  leaves, tree = case
  with np.errstate(all="ignore"):
    r = evaluate(tree, _pairs(leaves))
    n, t = r.n, r.t
    if root in ("sum", "mean"):
      ax = None if n.ndim == 0 or arg == 7 else arg % n.ndim
      src = n.astype(np.float64) if n.dtype != np.bool_ else n.astype(np.int64)
      want = getattr(np, root)(src, axis=ax)
      got = getattr(t, root)(axis=ax).numpy()
      scale = np.sum(np.abs(src), axis=ax) + 1e-30
      dt = got.dtype.name
      if dt in ("int32",): np.testing.assert_array_equal(got, want.astype(np.int32))
      else: assert np.all(np.abs(got.astype(np.float64) - want) <= ROOT_TOL[dt] * scale + (1e-6 if root == "mean" else 0)), (tree, got, want)
    else:
      f = flt(n)
      x = np.abs(f) + f.dtype.type(0.25) if root == "log2" else f
      want = getattr(np, root)(x.astype(np.float32)).astype(f.dtype)
      tt = t.abs() + 0.25 if root == "log2" else t
      got = getattr(tt, root)().numpy()
      assert got.dtype == want.dtype
      tol = ROOT_TOL[got.dtype.name]
      np.testing.assert_allclose(got.astype(np.float32), want.astype(np.float32), rtol=tol, atol=tol, err_msg=str(tree))

@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.integers(1, 3), max_size=2), st.integers(1, 40), st.integers(1, 40), st.integers(1, 40), st.booleans(), st.booleans(),
       st.sampled_from(["float32", "float16", "int32"]), st.sampled_from(["none", "relu", "bias", "scale"]), st.integers(0, 2**32 - 1))
def test_matmul_shapes_views_epilogues(device, batch, m, k, n, ta, tb, dt, epi, seed):
  """Random batched matmuls (tiled kernel when large enough, per-thread loop otherwise), operands maybe transposed views,
  with an epilogue; float: within 1e-4 relative to sum |a||b| (summation order, FFMA), int32 exact."""
  r = np.random.default_rng(seed)
  a = r.integers(-4, 5, tuple(batch) + ((k, m) if ta else (m, k))).astype(to_dtype(dt).np)
  b = r.integers(-4, 5, (k, n) if not tb else (n, k)).astype(to_dtype(dt).np)
  A, B = Tensor(a, device=DEV), Tensor(b, device=DEV)
  A, B, a, b = (A.transpose(-1, -2) if ta else A), (B.transpose(-1, -2) if tb else B), (a.swapaxes(-1, -2) if ta else a), (b.T if tb else b)
  out, want = A @ B, (a.astype(np.float64) @ b.astype(np.float64))
  c = r.integers(-3, 4, (n,)).astype(to_dtype(dt).np)
  if epi == "relu": out, want = out.relu(), np.maximum(want, 0)
  if epi == "bias": out, want = out + Tensor(c, device=DEV), want + c
  if epi == "scale": out, want = out * 3, want * 3
  got = out.numpy()
  if dt == "int32": np.testing.assert_array_equal(got, want.astype(np.int32)); return
  scale = np.abs(a.astype(np.float64)) @ np.abs(b.astype(np.float64)) * (3 if epi == "scale" else 1) + 4
  assert np.all(np.abs(got.astype(np.float64) - want) <= (1e-2 if dt == "float16" else 1e-6) * scale)
