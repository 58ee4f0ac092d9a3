"""Lazy graph -> ordered kernels. A kernel computes one node from BUF leaves: elementwise ops and views fuse into it; a
reduction fuses too (as a loop in each thread, its elementwise producers inside the loop, its consumers after it: a matmul
with its epilogue) when it is evaluated once per output element — at the kernel's top level, with as many elements as
the output. A reduction read through a broadcast or inside another reduction's loop is realized first, as its own kernel,
and so is a contiguous() node.
After a kernel runs, its node becomes a BUF and drops its sources, so intermediates are freed when nothing holds them."""
from __future__ import annotations
import sys
from hwrt.helpers import getenv
from hwrt.tensor import ir, runtime
from hwrt.tensor.lazy import LazyBuffer

def _kernel(x: LazyBuffer, order: list, done: set):
  if id(x) in done or x.op == "BUF": return
  seen, stack = set(), [(x, False)]
  while stack:                                     # iterative walk: no recursive closures, so no reference cycles
    y, in_loop = stack.pop()
    if y.op in ("BUF", "CONST") or id(y) in done or (id(y), in_loop) in seen: continue
    seen.add((id(y), in_loop))
    if y.op == "REDUCE" and (in_loop or y.numel != x.numel) or (y.arg == "CONTIGUOUS" and y is not x):
      _kernel(y, order, done); continue
    stack.extend((s, in_loop or y.op == "REDUCE") for s in y.srcs)
  done.add(id(x))
  order.append(x)

def schedule(outs: list[LazyBuffer]) -> list[LazyBuffer]:
  order: list = []
  done: set = set()
  for o in outs: _kernel(o, order, done)
  return order

def kernel_name(x: LazyBuffer, loops: int) -> str: return ("r_" if loops else "E_") + "_".join(map(str, x.shape or (1,)))

def _tree(x: LazyBuffer, depth=0, leaves=None) -> str:
  if x.op in ("BUF", "CONST") or depth > 6: return f"{x.op.lower()}{list(x.shape)}" + (f"={x.arg}" if x.op == "CONST" else "")
  arg = x.arg if x.op != "VIEW" else f"{x.arg.strides}+{x.arg.offset}"
  return f"{x.op.lower()}[{arg}]({', '.join(_tree(s, depth + 1) for s in x.srcs)})"

def run(outs: list[LazyBuffer]):
  items = schedule([o for o in outs if o.op != "BUF"])
  for x in items:
    dev = runtime.device(x.device)
    k = ir.build(x, "")
    k.name = kernel_name(x, k.loops)
    if getenv("DEBUG", 0) >= 3: print(f"schedule: {k.name} {x.dtype.name}{list(x.shape)} <- {_tree(x)}", file=sys.stderr)
    buf = dev.alloc(x.numel * x.dtype.itemsize)
    if x.numel:
      from hwrt.tensor import sass, rdna3
      src = (sass if dev.arch == "sass" else rdna3).render(k)
      if getenv("DEBUG", 0) >= 4: print(src, file=sys.stderr)
      nbytes = sum(p.numel * p.dtype.itemsize for p in k.params)
      dev.launch(src, [buf] + [p.buf for p in k.params[1:]], k.threads, k.flops, nbytes, k.block)
    x.op, x.buf, x.srcs, x.arg = "BUF", buf, (), None
