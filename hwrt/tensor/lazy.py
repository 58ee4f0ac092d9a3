"""The lazy graph. A LazyBuffer is a BUF (data on the device), CONST, ALU (elementwise; CAST included), REDUCE (keepdims
shape; arg = (op, axes)) or VIEW (arg = a View into its source's flat index space). Nothing runs until realize()."""
from __future__ import annotations
import math
from hwrt.tensor.dtypes import DType, bool_
from hwrt.tensor.view import View

UNARY = {"NEG", "ABS", "EXP2", "LOG2", "SIN", "SQRT", "CAST", "CONTIGUOUS"}
BINARY = {"ADD", "SUB", "MUL", "DIV", "MOD", "MAX", "MIN", "CMPLT", "CMPLE", "CMPEQ", "CMPNE"}
TERNARY = {"WHERE"}
CMP = {"CMPLT", "CMPLE", "CMPEQ", "CMPNE"}

class LazyBuffer:
  __slots__ = ("device", "dtype", "shape", "op", "srcs", "arg", "buf", "__weakref__")
  def __init__(self, device: str, dtype: DType, shape: tuple, op: str, srcs: tuple = (), arg=None, buf=None):
    self.device, self.dtype, self.shape, self.op, self.srcs, self.arg, self.buf = device, dtype, tuple(shape), op, srcs, arg, buf
  @property
  def numel(self) -> int: return math.prod(self.shape)
  def __repr__(self): return f"<{self.op} {self.dtype.name}{list(self.shape)} {self.arg if self.op != 'VIEW' else ''}>"

  # ---- construction
  @staticmethod
  def from_buffer(device, dtype, shape, buf): return LazyBuffer(device, dtype, shape, "BUF", buf=buf)
  @staticmethod
  def const(device, dtype, shape, value): return LazyBuffer(device, dtype, shape, "CONST", arg=value)
  def alu(self, op: str, *others: LazyBuffer, dtype: DType | None = None) -> LazyBuffer:
    dt = bool_ if op in CMP else dtype or (others[-1].dtype if op == "WHERE" else self.dtype)
    return LazyBuffer(self.device, dt, self.shape, "ALU", (self, *others), op)
  def reduce(self, op: str, axes: tuple[int, ...]) -> LazyBuffer:
    shape = tuple(1 if i in axes else s for i, s in enumerate(self.shape))
    return LazyBuffer(self.device, self.dtype, shape, "REDUCE", (self,), (op, tuple(axes)))

  # ---- movement: a new View over the source, merged with the view below it when one View can say both
  def _view(self, fn) -> LazyBuffer:
    base, v = (self.srcs[0], self.arg) if self.op == "VIEW" else (self, View.contiguous(self.shape))
    nv = fn(v)
    if nv is None: base, nv = self, fn(View.contiguous(self.shape))
    if base.op == "CONST": return LazyBuffer.const(self.device, self.dtype, nv.shape, base.arg)
    if nv.shape == base.shape and nv.is_contiguous(): return base
    return LazyBuffer(self.device, self.dtype, nv.shape, "VIEW", (base,), nv)
  def reshape(self, shape): return self._view(lambda v: v.reshape(shape))
  def permute(self, order): return self._view(lambda v: v.permute(order))
  def expand(self, shape): return self._view(lambda v: v.expand(shape))
  def flip(self, axes): return self._view(lambda v: v.flip(axes))
  def slice(self, ranges): return self._view(lambda v: v.slice(ranges))
