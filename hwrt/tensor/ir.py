"""The kernel IR between the schedule and the back ends: hash-consed micro-ops (so common subexpressions are shared) with
integer value ranges (so index arithmetic folds: a contiguous reshape costs no division), linearised into
  pre-loop ops | per reduction: ACC, RANGE, body, UPDATE, END | post-loop ops | STORE.
Ops: SPECIAL(gid) CONST PARAM LOAD STORE, the ALU ops of lazy.py, IDIVC/IMODC/IMIN (index arithmetic by constants),
RANGE/ACC/UPDATE/END. A kernel computes one output element per thread; an inlined reduction is a loop in that thread.
The tiled matmul (build_matmul) is the exception: SPECIAL bid/tx/ty, one TDOT (the shared-memory k loop, RB*RB
accumulators) and per accumulator a TDOTV, its epilogue and its STORE."""
from __future__ import annotations
import math
from hwrt.errors import Unimplemented
from hwrt.tensor.dtypes import int32, float16, float32
from hwrt.tensor.lazy import LazyBuffer
from hwrt.tensor.view import strides_for

INT_MIN, INT_MAX = -2**31, 2**31 - 1
REDUCE_INIT = {"SUM": 0, "MAX": -math.inf, "MIN": math.inf}

class U:
  __slots__ = ("op", "dtype", "srcs", "arg", "vmin", "vmax")
  def __init__(self, op, dtype, srcs, arg, vmin=INT_MIN, vmax=INT_MAX):
    self.op, self.dtype, self.srcs, self.arg, self.vmin, self.vmax = op, dtype, srcs, arg, vmin, vmax
  def __repr__(self): return f"U({self.op} {self.dtype.name if self.dtype else ''} {self.arg!r})"

TILE, RB = 16, 4               # tiled matmul: 16x16 threads of 4x4 outputs each (64x64 per block), K in steps of 16 through shared memory

class Kernel:
  """Linearised uops for one output buffer; params[0] is the output, the rest are the input buffers in order.
  threads: how many to launch, block: threads per block (tiled kernels: TILE*TILE)."""
  def __init__(self, name, uops, params, n, flops, loops, threads=None, block=128, shared=0):
    self.name, self.uops, self.params, self.n, self.flops, self.loops = name, uops, params, n, flops, loops
    self.threads, self.block, self.shared = threads or n, block, shared

class Builder:
  def __init__(self, out: LazyBuffer):
    self.out, self.cache, self.params, self.loops, self.subst = out, {}, [out], [], {}
    self.root = None                 # (gid, the output coordinates unravelled from it): raveling them back is gid
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
    return self.u("IMODC", int32, (a, self.idiv(a, c)), c, 0, c - 1)
  def unravel(self, flat: U, shape) -> list[U]:
    out, div = [], 1
    for i in range(len(shape) - 1, -1, -1):
      q = self.idiv(flat, div)
      out.append(self.c(0) if shape[i] == 1 else q if i == 0 else self.imod(q, shape[i]))
      div *= shape[i]
    return out[::-1]
  def imin(self, a: U, c: int) -> U:
    if a.vmax <= c: return a
    return self.u("IMIN", int32, (a,), c, min(a.vmin, c), c)
  def ravel(self, coords, strides, offset=0) -> U:
    if self.root and list(coords) == self.root[1] and tuple(strides) == strides_for(self.out.shape): return self.add(self.root[0], self.c(offset))
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
    if x.op == "ALU" and x.arg == "CONTIGUOUS": return self.emit(x.srcs[0], coords, in_loop)
    if x.op == "ALU":
      srcs = tuple(self.emit(s, coords, in_loop) for s in x.srcs)
      return self.u("ALU", x.dtype, srcs, x.arg if x.arg != "CAST" else ("CAST", x.srcs[0].dtype))
    if x.op == "REDUCE" and id(x) in self.subst: return self.subst[id(x)]
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

def _leaves(x: LazyBuffer) -> list:
  out, stack, seen = [], [x], set()
  while stack:
    y = stack.pop()
    if id(y) in seen: continue
    seen.add(id(y))
    if y.op == "BUF": out.append(y)
    stack.extend(y.srcs)
  return out

def _toposort(roots, seen, out):
  stack = [(r, False) for r in reversed(roots)]
  while stack:
    u, done = stack.pop()
    if done: out.append(u); continue
    if id(u) in seen: continue
    seen.add(id(u))
    stack.append((u, True))
    stack.extend((s, False) for s in reversed(u.srcs) if id(s) not in seen)

def _operand(x: LazyBuffer):
  """A matmul operand the tiled kernel can read: a BUF, or a View straight over one, maybe widened from float16 ->
  (buf, strides, offset)."""
  if x.op == "ALU" and x.arg == "CAST" and x.srcs[0].dtype is float16 and x.dtype is float32: return _operand(x.srcs[0])
  if x.op == "BUF": return x, strides_for(x.shape), 0
  if x.op == "VIEW":
    src = x.srcs[0]
    if src.op == "ALU" and src.arg == "CAST" and src.srcs[0].dtype is float16 and src.dtype is float32: src = src.srcs[0]
    if src.op == "BUF": return src, x.arg.strides, x.arg.offset
  return None

def find_matmul(out: LazyBuffer):
  """The one reduction of `out` when it is a matmul the tiled kernel handles: SUM over the last axis of MUL(a, b) with a
  and b read straight from buffers, a constant along n and b along m, reached from `out` through elementwise ops and the
  reshape that drops the reduced axis. -> (reduce, a operand, b operand) or None."""
  found, stack, seen = [], [out], set()
  while stack:
    y = stack.pop()
    if id(y) in seen or y.op in ("BUF", "CONST"): continue
    seen.add(id(y))
    if y.op == "REDUCE": found.append(y); continue
    if y.op == "VIEW" and y.srcs[0].op == "REDUCE":
      r = y.srcs[0]
      if y.arg.offset or y.shape != r.shape[:-1] or y.arg.strides != strides_for(y.shape): return None
    elif y.op == "VIEW" and y.srcs[0].op not in ("BUF", "CONST"): return None      # a view would move the dot's coordinates
    stack.extend(y.srcs)
  if len(found) != 1: return None
  r = found[0]
  src = r.srcs[0]
  if r.arg != ("SUM", (len(src.shape) - 1,)) or out.shape != r.shape[:-1] or len(out.shape) < 2 or r.dtype is not float32: return None
  if src.op != "ALU" or src.arg != "MUL": return None
  m, n, k = src.shape[-3:]
  if m * n < TILE * TILE or k < TILE: return None
  ops = [_operand(s) for s in src.srcs]
  if None in ops or any(o[0].dtype not in (float32, float16) for o in ops): return None
  a, b = ops
  if a[1][-2] != 0 or b[1][-3] != 0: a, b = b, a
  if a[1][-2] != 0 or b[1][-3] != 0: return None
  return r, a, b

def build_matmul(out: LazyBuffer, mm) -> Kernel:
  """C[..., i, j] = epilogue(sum_k A[..., i, k] * B[..., k, j]): block (b, tile_i, tile_j) of TILE*RB x TILE*RB outputs,
  thread (ty, tx) computes the RB x RB outputs (ty*RB + r, tx*RB + c) — TDOT's RB*RB accumulators, TDOTV one of them — and
  the epilogue and store of each. Threads past the edge compute clamped edge elements and store the same values there, so
  every thread reaches the barriers."""
  r, (abuf, ast, aoff), (bbuf, bst, boff) = mm
  b = Builder(out)
  *batch, m, n = out.shape
  bt = TILE * RB
  tm, tn = -(-m // bt), -(-n // bt)
  nblocks = math.prod(batch) * tm * tn
  bid = b.u("SPECIAL", int32, (), "bid", 0, nblocks - 1)
  tx, ty = b.u("SPECIAL", int32, (), "tx", 0, TILE - 1), b.u("SPECIAL", int32, (), "ty", 0, TILE - 1)
  *bc, bi, bj = b.unravel(bid, tuple(batch) + (tm, tn))
  rows = [b.imin(b.add(b.mul(bi, bt), b.add(b.mul(ty, RB), b.c(q))), m - 1) for q in range(RB)]
  cols = [b.imin(b.add(b.mul(bj, bt), b.add(b.mul(tx, RB), b.c(q))), n - 1) for q in range(RB)]
  k = r.srcs[0].shape[-1]
  abase = [b.ravel(bc + [i, cols[0], b.c(0)], ast, aoff) for i in rows]
  bbase = [b.ravel(bc + [rows[0], j, b.c(0)], bst, boff) for j in cols]
  dot = b.u("TDOT", float32, (b.param(abuf), b.param(bbuf), tx, ty, *abase, *bbase), (k, ast[-1], bst[-1], abuf.dtype, bbuf.dtype))
  stores = []
  for q, (i, j) in enumerate((i, j) for i in rows for j in cols):
    b.subst[id(r)] = b.u("TDOTV", float32, (dot,), q)
    val = b.emit(out, bc + [i, j])
    stores.append(b.u("STORE", None, (b.param(out), b.ravel(bc + [i, j], strides_for(out.shape)), val)))
  order: list = []
  _toposort(stores, set(), order)
  flops = 2 * out.numel * k + out.numel * sum(1 for u in order if u.op == "ALU") // (RB * RB)
  return Kernel("", order, b.params, out.numel, flops, 1, threads=nblocks * TILE * TILE, block=TILE * TILE, shared=2 * bt * TILE * 4)

def build(out: LazyBuffer, name: str, tiled: bool = True) -> Kernel:
  if max([out.numel] + [x.numel for x in _leaves(out)]) > INT_MAX: raise Unimplemented("tensors over 2^31 elements (int32 indices)")
  mm = find_matmul(out) if tiled else None
  if mm is not None: return build_matmul(out, mm)
  b = Builder(out)
  gid = b.u("SPECIAL", int32, (), "gid", 0, max(out.numel - 1, 0))
  b.root = (gid, b.unravel(gid, out.shape))
  val = b.emit(out, b.root[1])
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
