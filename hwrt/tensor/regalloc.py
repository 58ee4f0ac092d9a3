"""Register allocation shared by the back ends: linear scan over the linearised uops. A value lives from its definition
to its last use; a value defined before a loop and read inside it lives to the loop's end; an accumulator keeps one
register for its whole loop; the temporaries of one uop's instruction sequence are freed after it. A back end subclasses
Lowerer with its register prefix and one l_<OP> method per uop."""
from __future__ import annotations
import struct
import numpy as np
from hwrt.errors import Unimplemented
from hwrt.tensor.dtypes import float16
from hwrt.tensor.ir import Kernel, U

IMM_USE = {("ADD", 1), ("MUL", 1)}                  # index ops whose constant operand is an immediate
NO_VALUE = ("STORE", "UPDATE", "END")

def fimm(v: float) -> str:
  """A float32 immediate as assembler text (the shortest decimal that reads back as the same float32)."""
  v = float(np.float32(v))
  return "+INF" if v == float("inf") else "-INF" if v == float("-inf") else repr(v)
def bits(v, dt) -> int:
  """A constant of dtype dt as the 32-bit register pattern the back ends compute with (float16 as its float32 value)."""
  if dt.is_float: return struct.unpack("<I", struct.pack("<f", float(np.float32(np.float16(v)) if dt is float16 else np.float32(v))))[0]
  return int(v) & 0xFFFFFFFF
def magic(c: int) -> tuple[int, int]:
  """(m, s) with x // c == (x * m) >> (32 + s) for every 0 <= x < 2^31 (c > 1, not a power of two; m < 2^32)."""
  s = (c - 1).bit_length() - 1
  return -(-(1 << (32 + s)) // c), s

class Regs:
  def __init__(self, n: int, reserved=()): self.free, self.top, self.n = set(range(n)) - set(reserved), 0, n
  def get(self, width=1) -> int:
    r = next((r for r in sorted(self.free) if r % width == 0 and all(r + i in self.free for i in range(width))), None)
    if r is None: raise Unimplemented(f"the kernel needs more than {self.n} registers (no spilling yet)")
    for i in range(width): self.free.discard(r + i)
    self.top = max(self.top, r + width)
    return r
  def put(self, r: int, width=1):
    for i in range(width): self.free.add(r + i)

class Lowerer:
  PREFIX, MAX_REGS, RESERVED = "R", 250, ()
  def __init__(self, k: Kernel):
    self.k, self.out, self.regs, self.reg, self.width = k, [], Regs(self.MAX_REGS, self.RESERVED), {}, {}
  def R(self, u: U) -> str: return f"{self.PREFIX}{self.reg[id(u)]}"
  def t(self, width=1) -> str:
    r = self.regs.get(width); self.temps.append((r, width)); return f"{self.PREFIX}{r}"
  def value_width(self, u: U) -> int: return 0 if u.op in NO_VALUE else 1
  def emit(self, *lines: str): raise NotImplementedError
  def finish(self) -> str: raise NotImplementedError

  def lower(self) -> str:
    us = self.k.uops
    pos = {id(u): i for i, u in enumerate(us)}
    last = {}
    for i, u in enumerate(us):
      for j, s in enumerate(u.srcs):
        if (u.op, j) in IMM_USE and s.op == "CONST": continue
        last[id(s)] = i
    for u in us:                                     # loop-carried: anything defined before a loop and read in it
      if u.op != "END": continue
      start, end = pos[id(u.srcs[0])], pos[id(u)]
      acc = u.srcs[1].srcs[0]
      last[id(acc)] = max(last.get(id(acc), end), end)
      for v in us[:start]:
        if start <= last.get(id(v), -1) <= end: last[id(v)] = end
    dying: dict = {}
    for v, i in last.items(): dying.setdefault(i, []).append(v)
    for i, u in enumerate(us):
      width = self.value_width(u)
      if width and (id(u) in last or u.op == "ACC"): self.reg[id(u)], self.width[id(u)] = self.regs.get(width), width
      if width and id(u) not in self.reg: continue   # an immediate-only constant, or a dead value
      self.temps = []
      getattr(self, f"l_{u.op}")(u)
      for r, w in self.temps: self.regs.put(r, w)
      for v in dying.get(i, []):
        if v in self.reg: self.regs.put(self.reg[v], self.width[v])
    return self.finish()
