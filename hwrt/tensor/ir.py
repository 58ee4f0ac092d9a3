"""The kernel IR between the schedule and the back ends: hash-consed micro-ops (so common subexpressions are shared) with
integer value ranges (so index arithmetic folds: a contiguous reshape costs no division), linearised into
  pre-loop ops | per reduction: ACC, RANGE, body, UPDATE, END | post-loop ops | STORE.
Ops: SPECIAL(gid) CONST PARAM LOAD STORE, the ALU ops of lazy.py, IDIVC/IMODC (index divide by a constant), RANGE/ACC/
UPDATE/END. A kernel computes one output element per thread; an inlined reduction is a loop in that thread."""
from __future__ import annotations
import math
from hwrt.errors import Unimplemented
from hwrt.tensor.dtypes import DType, int32, bool_, float32
from hwrt.tensor.lazy import LazyBuffer
from hwrt.tensor.view import strides_for

INT_MIN, INT_MAX = -2**31, 2**31 - 1
REDUCE_INIT = {"SUM": 0, "MAX": -math.inf, "MIN": math.inf}

class U:
  __slots__ = ("op", "dtype", "srcs", "arg", "vmin", "vmax")
  def __init__(self, op, dtype, srcs, arg, vmin=INT_MIN, vmax=INT_MAX):
    self.op, self.dtype, self.srcs, self.arg, self.vmin, self.vmax = op, dtype, srcs, arg, vmin, vmax
  def __repr__(self): return f"U({self.op} {self.dtype.name if self.dtype else ''} {self.arg!r})"

class Kernel:
  """Linearised uops for one output buffer; params[0] is the output, the rest are the input buffers in order."""
  def __init__(self, name, uops, params, n, flops, loops):
    self.name, self.uops, self.params, self.n, self.flops, self.loops = name, uops, params, n, flops, loops

class Builder:
  def __init__(self, out: LazyBuffer):
    self.out, self.cache, self.params, self.loops = out, {}, [out], []
  def u(self, op, dtype, srcs=(), arg=None, vmin=INT_MIN, vmax=INT_MAX) -> U:
    key = (op, dtype, tuple(id(s) for s in srcs), (type(arg), repr(arg)))
    if key not in self.cache: self.cache[key] = U(op, dtype, tuple(srcs), arg, vmin, vmax)
    return self.cache[key]

  # ---- index arithmetic (int32, non-negative values) with folding
  def c(self, v: int) -> U: return self.u("CONST", int32, (), int(v), int(v), int(v))
  def add(self, a: U, b: U) -> U:
    if a.op == "CONST" and b.op == "CONST": return self.c(a.arg + b.arg)
    if b.op == "CONST" and b.arg == 0: return a
    if a.op == "CONST" and a.arg == 0: return b
    return self.u("ADD", int32, (a, b), None, a.vmin + b.vmin, a.vmax + b.vmax)
  def mul(self, a: U, k: int) -> U:
    if k == 0: return self.c(0)
    if k == 1: return a
    if a.op == "CONST": return self.c(a.arg * k)
    lo, hi = sorted((a.vmin * k, a.vmax * k))
    return self.u("MUL", int32, (a, self.c(k)), None, lo, hi)
  def _terms(self, a: U) -> list[tuple[U, int]]:
    if a.op == "ADD": return self._terms(a.srcs[0]) + self._terms(a.srcs[1])
    if a.op == "MUL" and a.srcs[1].op == "CONST": return [(x, k * a.srcs[1].arg) for x, k in self._terms(a.srcs[0])]
    if a.op == "CONST": return [(None, a.arg)]
    return [(a, 1)]
  def _sum(self, terms) -> U:
    out = self.c(0)
    for x, k in terms: out = self.add(out, self.c(k) if x is None else self.mul(x, k))
    return out
  def _split(self, a: U, c: int):
    """a = c * q + r with r in [0, c) when the terms allow it: (q, r) as uops, else None."""
    ts = self._terms(a)
    mult, rest = [(x, k // c) for x, k in ts if k % c == 0], [(x, k) for x, k in ts if k % c != 0]
    r = self._sum(rest)
    if 0 <= r.vmin and r.vmax < c: return self._sum(mult), r
    return None
  def idiv(self, a: U, c: int) -> U:
    if c == 1: return a
    if 0 <= a.vmin and a.vmax < c: return self.c(0)
    s = self._split(a, c)
    if s is not None: return s[0]
    return self.u("IDIVC", int32, (a,), c, a.vmin // c, a.vmax // c)
  def imod(self, a: U, c: int) -> U:
    if c == 1: return self.c(0)
    if 0 <= a.vmin and a.vmax < c: return a
    s = self._split(a, c)
    if s is not None: return s[1]
    return self.u("IMODC", int32, (a,), c, 0, c - 1)
  def unravel(self, flat: U, shape) -> list[U]:
    out, div = [], 1
    for i in range(len(shape) - 1, -1, -1):
      q = self.idiv(flat, div)
      out.append(self.c(0) if shape[i] == 1 else q if i == 0 else self.imod(q, shape[i]))
      div *= shape[i]
    return out[::-1]
  def ravel(self, coords, strides, offset=0) -> U:
    out = self.c(offset)
    for c, st in zip(coords, strides): out = self.add(out, self.mul(c, st))
    return out

  # ---- values
  def param(self, lb: LazyBuffer) -> U:
    if not any(p is lb for p in self.params): self.params.append(lb)
    return self.u("PARAM", None, (), next(i for i, p in enumerate(self.params) if p is lb))
  def load(self, lb: LazyBuffer, idx: U) -> U: return self.u("LOAD", lb.dtype, (self.param(lb), idx))
  def emit(self, x: LazyBuffer, coords: list[U], in_loop: bool = False) -> U:
    if x.op == "BUF": return self.load(x, self.ravel(coords, strides_for(x.shape)))
    if x.op == "CONST":
      v = x.arg if x.dtype.is_float else int(x.arg)
      return self.u("CONST", x.dtype, (), v, *((v, v) if not x.dtype.is_float else (INT_MIN, INT_MAX)))
    if x.op == "VIEW":
      v, src = x.arg, x.srcs[0]
      flat = self.ravel(coords, v.strides, v.offset)
      if src.op == "BUF": return self.load(src, flat)
      return self.emit(src, self.unravel(flat, src.shape), in_loop)
    if x.op == "ALU":
      srcs = tuple(self.emit(s, coords, in_loop) for s in x.srcs)
      return self.u("ALU", x.dtype, srcs, x.arg if x.arg != "CAST" else ("CAST", x.srcs[0].dtype))
    if x.op == "REDUCE":
      if in_loop: raise Unimplemented("internal: a reduction inside a reduction loop must be realized by the scheduler")
      op, axes = x.arg
      src = x.srcs[0]
      red = [src.shape[a] for a in axes]
      rng = self.u("RANGE", int32, (), (math.prod(red), len(self.loops)), 0, math.prod(red) - 1)
      rc = iter(self.unravel(rng, red))
      sc = [next(rc) if i in axes else c for i, c in enumerate(coords)]
      val = self.emit(src, sc, True)
      acc = self.u("ACC", x.dtype, (), (op, REDUCE_INIT[op], len(self.loops)))
      upd = self.u("UPDATE", x.dtype, (acc, val), op)
      self.loops.append((rng, acc, upd, self.u("END", None, (rng, upd), len(self.loops))))
      return acc
    raise Unimplemented(f"internal: no IR for {x.op}")

def _toposort(roots, seen, out):
  stack = [(r, False) for r in reversed(roots)]
  while stack:
    u, done = stack.pop()
    if done: out.append(u); continue
    if id(u) in seen: continue
    seen.add(id(u))
    stack.append((u, True))
    stack.extend((s, False) for s in reversed(u.srcs) if id(s) not in seen)

def build(out: LazyBuffer, name: str) -> Kernel:
  b = Builder(out)
  gid = b.u("SPECIAL", int32, (), "gid", 0, max(out.numel - 1, 0))
  val = b.emit(out, b.unravel(gid, out.shape))
  store = b.u("STORE", None, (b.param(out), gid, val))
  order = []
  seen: set = set()
  _toposort([store] + [e for *_, e in b.loops], seen, order)
  stage = {}
  POST = len(b.loops) + 1
  for u in order:
    if u.op == "RANGE": stage[id(u)] = 1 + u.arg[1]
    elif u.op in ("ACC",): stage[id(u)] = 0
    elif u.op in ("UPDATE", "END"): stage[id(u)] = 1 + (u.srcs[0].arg[2] if u.op == "UPDATE" else u.arg)
    else: stage[id(u)] = max([POST if s.op == "ACC" else stage[id(s)] for s in u.srcs], default=0)
  lin = [u for u in order if stage[id(u)] == 0 and u.op not in ("ACC", "STORE")]
  for i, (rng, acc, upd, end) in enumerate(b.loops):
    lin += [acc, rng] + [u for u in order if stage[id(u)] == 1 + i and u.op not in ("RANGE", "UPDATE", "END")] + [upd, end]
  lin += [u for u in order if stage[id(u)] == POST and u.op != "STORE"] + [store]
  alu = lambda us: sum(1 for u in us if u.op == "ALU")
  flops = out.numel * (alu(u for u in lin if stage[id(u)] in (0, POST)) +
                       sum(r.arg[0] * alu(u for u in order if stage[id(u)] == 1 + i) for i, (r, *_) in enumerate(b.loops)))
  return Kernel(name, lin, b.params, out.numel, flops, len(b.loops))
