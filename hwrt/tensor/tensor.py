"""Tensor: a numpy-like front end over the lazy graph (lazy.py). Operations only build the graph; realize() / numpy()
schedule it into fused kernels (schedule.py), generate their code (ir.py -> sass.py) and run them (runtime.py).
dtypes float32 float16 int32 bool; numpy's broadcasting; Python scalars are weakly typed (x_f16 * 2 stays float16);
int32 / int32 and the transcendental ops on integers compute in float32 (numpy would use float64, which we lack)."""
from __future__ import annotations
import math
import numpy as np
from hwrt.errors import BadArgument
from hwrt.tensor import dtypes as D, runtime
from hwrt.tensor.dtypes import DType, to_dtype
from hwrt.tensor.lazy import LazyBuffer

LOG2E, LN2 = 1.4426950408889634, 0.6931471805599453
SPLIT_REDUCE = 1 << 14         # reductions at least this long into at most 256 outputs run as two kernels
NP_DOWNCAST = {"float64": "float32", "int64": "int32", "int8": "int32", "int16": "int32", "uint8": "int32", "uint16": "int32"}

def _shape_str(s): return "(" + ", ".join(map(str, s)) + ("," if len(s) == 1 else "") + ")"
def broadcast_shape(*shapes) -> tuple[int, ...]:
  nd = max(len(s) for s in shapes)
  ps = [(1,) * (nd - len(s)) + tuple(s) for s in shapes]
  out = []
  for dims in zip(*ps):
    big = {d for d in dims if d != 1}
    if len(big) > 1: raise BadArgument(f"shapes {' and '.join(_shape_str(s) for s in shapes)} do not broadcast")
    out.append(big.pop() if big else 1)
  return tuple(out)

class Tensor:
  __slots__ = ("lb",)
  def __init__(self, data, device: str | None = None, dtype=None):
    if isinstance(data, LazyBuffer): self.lb = data; return
    if device is not None: runtime.arch_of(device)
    a = np.asarray(data)
    if dtype is None:
      if a.dtype.name not in D.ALL and a.dtype.name not in NP_DOWNCAST:
        raise BadArgument(f"unsupported dtype {a.dtype.name} (the tensor executor has {', '.join(D.ALL)})")
      dtype = NP_DOWNCAST.get(a.dtype.name, a.dtype.name)
    dt = to_dtype(dtype)
    a = np.array(a, dtype=dt.np, order="C")
    dev = runtime.device(device)
    buf = dev.alloc(a.nbytes)
    if a.nbytes: dev.copyin(buf, a.tobytes())
    self.lb = LazyBuffer.from_buffer(dev.name, dt, a.shape, buf)

  # ---- properties
  shape = property(lambda self: self.lb.shape)
  dtype = property(lambda self: self.lb.dtype)
  device = property(lambda self: self.lb.device)
  ndim = property(lambda self: len(self.lb.shape))
  def numel(self) -> int: return self.lb.numel
  def __repr__(self): return f"<Tensor {self.dtype.name}{list(self.shape)} on {self.device} {self.lb.op.lower()}>"
  def __len__(self): return self.shape[0] if self.shape else 1

  # ---- realization
  def realize(self) -> Tensor:
    from hwrt.tensor.schedule import run
    run([self.lb]); return self
  @staticmethod
  def realize_all(*ts: Tensor):
    from hwrt.tensor.schedule import run
    run([t.lb for t in ts])
  def numpy(self) -> np.ndarray:
    self.realize()
    dev = runtime.device(self.device)
    raw = dev.copyout(self.lb.buf, self.numel() * self.dtype.itemsize) if self.numel() else b""
    return np.frombuffer(raw, self.dtype.np).reshape(self.shape).copy()
  def item(self): return self.numpy().reshape(-1)[0].item() if self.numel() == 1 else self._err("item() needs one element")
  def _err(self, msg): raise BadArgument(msg)

  # ---- elementwise plumbing
  def _const(self, v, dtype: DType, shape=None) -> Tensor:
    return Tensor(LazyBuffer.const(self.device, dtype, self.shape if shape is None else shape, v))
  def _operands(self, other, reverse=False):
    if isinstance(other, Tensor):
      if other.device != self.device: raise BadArgument(f"tensors on {self.device} and {other.device}")
      dt = D.promote(self.dtype, other.dtype)
      a, b = self.cast(dt), other.cast(dt)
      shape = broadcast_shape(self.shape, other.shape)
      a, b = a._broadcast_to(shape), b._broadcast_to(shape)
    elif isinstance(other, (bool, int, float, np.generic)) and not isinstance(other, (complex, np.complexfloating)):
      other = other.item() if isinstance(other, np.generic) else other
      kind = D.bool_ if isinstance(other, bool) else D.int32 if isinstance(other, int) else D.float32
      dt = self.dtype if kind.rank <= self.dtype.rank or (self.dtype.is_float and kind.is_float) else \
           D.float32 if kind is D.float32 else D.int32
      a = self.cast(dt)
      b = a._const(float(other) if dt.is_float else int(other), dt)
    else: raise BadArgument(f"cannot combine a Tensor with {type(other).__name__}")
    return (b, a) if reverse else (a, b)
  def _alu(self, op, *srcs, dtype=None) -> Tensor: return Tensor(self.lb.alu(op, *[s.lb for s in srcs], dtype=dtype))
  def _binop(self, op, other, reverse=False):
    a, b = self._operands(other, reverse)
    if op == "SUB": a._bool_guard("-")
    if op == "MOD" and a.dtype is D.bool_: a, b = a.cast(D.int32), b.cast(D.int32)
    return a._alu(op, b)
  def _broadcast_to(self, shape) -> Tensor:
    if self.shape == tuple(shape): return self
    t = self.reshape((1,) * (len(shape) - self.ndim) + self.shape)
    return Tensor(t.lb.expand(tuple(shape)))
  def _float(self) -> Tensor: return self if self.dtype.is_float else self.cast(D.float32)
  def _f32(self, fn) -> Tensor:
    """Transcendentals compute in float32 (a float16 input is widened, the result rounded back)."""
    x = self._float()
    return fn(x.cast(D.float32)).cast(x.dtype)

  def __add__(self, o): return self._binop("ADD", o)
  def __radd__(self, o): return self._binop("ADD", o, True)
  def __sub__(self, o): return self._binop("SUB", o)
  def __rsub__(self, o): return self._binop("SUB", o, True)
  def __mul__(self, o): return self._binop("MUL", o)
  def __rmul__(self, o): return self._binop("MUL", o, True)
  def __truediv__(self, o): return self._float()._binop("DIV", o._float() if isinstance(o, Tensor) else o)
  def __rtruediv__(self, o): return self._float()._binop("DIV", o, True)
  def __mod__(self, o): return self._binop("MOD", o)
  def __rmod__(self, o): return self._binop("MOD", o, True)
  def __neg__(self): return self._bool_guard("negation")._alu("NEG")
  def __lt__(self, o): return self._binop("CMPLT", o)
  def __le__(self, o): return self._binop("CMPLE", o)
  def __gt__(self, o): return self._binop("CMPLT", o, True)
  def __ge__(self, o): return self._binop("CMPLE", o, True)
  def __eq__(self, o): return self._binop("CMPEQ", o)      # type: ignore[override]
  def __ne__(self, o): return self._binop("CMPNE", o)      # type: ignore[override]
  __hash__ = object.__hash__
  def __matmul__(self, o): return self.matmul(o)
  def _bool_guard(self, what) -> Tensor:
    if self.dtype is D.bool_: raise BadArgument(f"{what} is not defined for bool tensors")
    return self
  def maximum(self, o): return self._binop("MAX", o)
  def minimum(self, o): return self._binop("MIN", o)
  def abs(self): return self if self.dtype is D.bool_ else self._alu("ABS")
  def relu(self): return self._bool_guard("relu").maximum(0)
  def exp2(self): return self._f32(lambda x: x._alu("EXP2"))
  def exp(self): return self._f32(lambda x: (x * LOG2E)._alu("EXP2"))
  def log2(self): return self._f32(lambda x: x._alu("LOG2"))
  def log(self): return self._f32(lambda x: x._alu("LOG2") * LN2)
  def sin(self): return self._f32(lambda x: x._alu("SIN"))
  def sqrt(self): return self._float()._alu("SQRT")
  def sigmoid(self): return 1 / (1 + (-self._float()).exp())
  def cast(self, dtype) -> Tensor:
    dt = to_dtype(dtype)
    if dt is self.dtype: return self
    if self.lb.op == "CONST": return self._const(self.lb.arg if dt.is_float else int(self.lb.arg), dt)
    return self._alu("CAST", dtype=dt)
  def where(self, a, b) -> Tensor:
    """Tensor.where(cond, a, b): a where cond is true, else b (a, b tensors or scalars)."""
    cond = self if isinstance(self, Tensor) else Tensor(self)
    if isinstance(a, Tensor): x, y = a._operands(b)
    elif isinstance(b, Tensor): x, y = b._operands(a, reverse=True)
    else: x, y = cond._const(a, D.float32 if isinstance(a, float) else D.int32)._operands(b)
    shape = broadcast_shape(cond.shape, x.shape)
    c = cond.cast(D.bool_)._broadcast_to(shape)
    return c._alu("WHERE", x._broadcast_to(shape), y._broadcast_to(shape))

  # ---- reductions
  def _axes(self, axis) -> tuple[int, ...]:
    if axis is None: return tuple(range(self.ndim))
    axs = (axis,) if isinstance(axis, int) else tuple(axis)
    out = []
    for a in axs:
      if not isinstance(a, int) or not -self.ndim <= a < max(self.ndim, 1): raise BadArgument(f"axis {a} is out of range for {self.ndim}-d tensor")
      out.append(a % self.ndim if self.ndim else 0)
    if len(set(out)) != len(out): raise BadArgument(f"repeated axis in {axis}")
    return tuple(sorted(out))
  def _reduce(self, op, axis, keepdims) -> Tensor:
    axes = self._axes(axis)
    if self.ndim == 0: return self
    if op != "SUM" and any(self.shape[a] == 0 for a in axes): raise BadArgument(f"{op.lower()} of an empty axis")
    kept = tuple(s for i, s in enumerate(self.shape) if i not in axes)
    n = math.prod(self.shape[a] for a in axes)
    c = next((c for c in (1024, 512, 256, 128, 64) if n % c == 0), 0) if n >= SPLIT_REDUCE and math.prod(kept) <= 256 else 0
    if c:   # a long reduction into few outputs: partial results over chunks of c first (two kernels, many threads each)
      x = self.permute([i for i in range(self.ndim) if i not in axes] + list(axes)).reshape(kept + (n // c, c))
      r = x._reduce(op, -1, False)._reduce(op, -1, False)
      return r.reshape(tuple(1 if i in axes else s for i, s in enumerate(self.shape))) if keepdims else r
    r = Tensor(self.lb.reduce(op, axes))
    return r if keepdims else r.reshape(kept)
  def sum(self, axis=None, keepdims=False):
    x = self.cast(D.int32) if self.dtype is D.bool_ else self
    return x._reduce("SUM", axis, keepdims)
  def max(self, axis=None, keepdims=False): return self._reduce("MAX", axis, keepdims)
  def min(self, axis=None, keepdims=False): return self._reduce("MIN", axis, keepdims)
  def mean(self, axis=None, keepdims=False):
    n = math.prod(self.shape[a] for a in self._axes(axis)) if self.ndim else 1
    return self._float().sum(axis, keepdims) / n
  def softmax(self, axis=-1):
    e = (self - self.max(axis, keepdims=True)).exp()
    return e / e.sum(axis, keepdims=True)

  # ---- matmul: (..., m, k) @ (..., k, n) as a broadcast multiply reduced over k (the scheduler fuses it, epilogue too)
  def matmul(self, o: Tensor) -> Tensor:
    if not isinstance(o, Tensor): raise BadArgument("matmul needs two tensors")
    if self.ndim == 0 or o.ndim == 0: raise BadArgument("matmul of a 0-d tensor (use *)")
    a = self.reshape((1,) + self.shape) if self.ndim == 1 else self
    b = o.reshape(o.shape + (1,)) if o.ndim == 1 else o
    if a.shape[-1] != b.shape[-2]:
      raise BadArgument(f"matmul: shapes {_shape_str(self.shape)} and {_shape_str(o.shape)} do not align ({a.shape[-1]} != {b.shape[-2]})")
    dt = D.promote(a.dtype, b.dtype)
    a, b = a.cast(dt if dt is not D.bool_ else D.int32), b.cast(dt if dt is not D.bool_ else D.int32)
    batch = broadcast_shape(a.shape[:-2], b.shape[:-2])
    (m, k), n = a.shape[-2:], b.shape[-1]
    x = a._broadcast_to(batch + (m, k)).reshape(batch + (m, 1, k))
    y = b._broadcast_to(batch + (k, n)).transpose(-1, -2).reshape(batch + (1, n, k))
    out = (x._broadcast_to(batch + (m, n, k)) * y._broadcast_to(batch + (m, n, k))).sum(-1)
    if dt is D.bool_: out = out != 0
    if self.ndim == 1: out = out.reshape(out.shape[:-2] + out.shape[-1:])
    if o.ndim == 1: out = out.reshape(out.shape[:-1])
    return out
  def dot(self, o): return self.matmul(o)

  # ---- movement (views: no data moves)
  def reshape(self, *shape) -> Tensor:
    shape = tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else tuple(shape)
    if shape.count(-1) > 1: raise BadArgument(f"reshape {shape}: at most one -1")
    if -1 in shape:
      rest = math.prod(s for s in shape if s != -1)
      if rest == 0 or self.numel() % rest: raise BadArgument(f"cannot reshape {_shape_str(self.shape)} to {_shape_str(shape)}")
      shape = tuple(self.numel() // rest if s == -1 else s for s in shape)
    if any(s < 0 for s in shape) or math.prod(shape) != self.numel():
      raise BadArgument(f"cannot reshape {_shape_str(self.shape)} ({self.numel()} elements) to {_shape_str(shape)}")
    return self if shape == self.shape else Tensor(self.lb.reshape(shape))
  def permute(self, *order) -> Tensor:
    order = tuple(order[0]) if len(order) == 1 and isinstance(order[0], (tuple, list)) else tuple(order)
    if sorted(o % max(self.ndim, 1) for o in order) != list(range(self.ndim)) or len(order) != self.ndim:
      raise BadArgument(f"permute {order} is not a permutation of {self.ndim} axes")
    order = tuple(o % self.ndim for o in order)
    return self if order == tuple(range(self.ndim)) else Tensor(self.lb.permute(order))
  def transpose(self, a=-2, b=-1) -> Tensor:
    if self.ndim < 2: return self
    order = list(range(self.ndim))
    order[a], order[b] = order[b], order[a]
    return self.permute(order)
  T = property(lambda self: self.permute(tuple(range(self.ndim))[::-1]))
  def expand(self, *shape) -> Tensor:
    shape = tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else tuple(shape)
    if len(shape) < self.ndim: raise BadArgument(f"cannot expand {_shape_str(self.shape)} to {_shape_str(shape)}")
    shape = tuple(s if n == -1 else n for s, n in zip((None,) * (len(shape) - self.ndim) + self.shape, shape))
    if broadcast_shape(self.shape, shape) != shape: raise BadArgument(f"cannot expand {_shape_str(self.shape)} to {_shape_str(shape)}")
    return self._broadcast_to(shape)
  def flip(self, axis=None) -> Tensor: return Tensor(self.lb.flip(self._axes(axis))) if self.ndim else self
  def __getitem__(self, idx) -> Tensor:
    idx = idx if isinstance(idx, tuple) else (idx,)
    if any(isinstance(i, (list, np.ndarray, Tensor)) for i in idx):
      raise BadArgument("advanced (array) indexing is not supported; basic slicing only")
    if idx.count(Ellipsis) > 1: raise BadArgument("an index can only have a single ellipsis")
    real = [i for i in idx if i is not None and i is not Ellipsis]
    if len(real) > self.ndim: raise BadArgument(f"too many indices for a {self.ndim}-d tensor")
    if Ellipsis in idx:
      e = idx.index(Ellipsis)
      idx = idx[:e] + (slice(None),) * (self.ndim - len(real)) + idx[e + 1:]
    else: idx = idx + (slice(None),) * (self.ndim - len(real))
    ranges, final, d = [], [], 0
    for i in idx:
      if i is None: final.append(1); continue
      n = self.shape[d]
      if isinstance(i, (int, np.integer)):
        j = int(i) + n if i < 0 else int(i)
        if not 0 <= j < n: raise BadArgument(f"index {i} is out of bounds for axis {d} with size {n}")
        ranges.append((j, j + 1, 1))
      elif isinstance(i, slice):
        if i.step == 0: raise BadArgument("slice step cannot be zero")
        r = i.indices(n); ranges.append(r); final.append(len(range(*r)))
      else: raise BadArgument(f"cannot index with {type(i).__name__}")
      d += 1
    t = self if all(r == (0, n, 1) for r, n in zip(ranges, self.shape)) else Tensor(self.lb.slice(tuple(ranges)))
    return t.reshape(tuple(final))

  # ---- constructors
  @staticmethod
  def zeros(*shape, dtype="float32", device=None): return Tensor(np.zeros(shape, to_dtype(dtype).np), device)
  @staticmethod
  def ones(*shape, dtype="float32", device=None): return Tensor(np.ones(shape, to_dtype(dtype).np), device)
  @staticmethod
  def arange(n, dtype="int32", device=None): return Tensor(np.arange(n).astype(to_dtype(dtype).np), device)
  def contiguous(self) -> Tensor:
    """A kernel boundary: this value gets a buffer of its own (one kernel) before its consumers read it."""
    return Tensor(self.lb.alu("CONTIGUOUS"))
