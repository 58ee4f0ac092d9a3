"""Views: a shape, per-dimension strides (0 = broadcast, negative = flipped) and an offset into the flat index space of
the node below. Movement ops (reshape permute expand flip slicing) only make a new View: no data moves until a kernel reads
through it, and then the view is index arithmetic in that kernel."""
from __future__ import annotations
from dataclasses import dataclass
import math

def strides_for(shape: tuple[int, ...]) -> tuple[int, ...]:
  st, acc = [], 1
  for s in reversed(shape): st.append(acc if s != 1 else 0); acc *= s
  return tuple(reversed(st))

@dataclass(frozen=True)
class View:
  shape: tuple[int, ...]
  strides: tuple[int, ...]
  offset: int = 0
  @staticmethod
  def contiguous(shape): return View(tuple(shape), strides_for(tuple(shape)), 0)
  @property
  def numel(self) -> int: return math.prod(self.shape)
  def is_contiguous(self) -> bool:
    return self.offset == 0 and all(s == 1 or st == c for s, st, c in zip(self.shape, self.strides, strides_for(self.shape)))
  def _c_ordered(self) -> bool:   # contiguous layout at an offset: a reshape keeps it one view
    return all(s == 1 or st == c for s, st, c in zip(self.shape, self.strides, strides_for(self.shape)))
  def permute(self, order): return View(tuple(self.shape[i] for i in order), tuple(self.strides[i] for i in order), self.offset)
  def expand(self, shape):
    return View(tuple(shape), tuple(0 if s != n else st for s, n, st in zip(self.shape, shape, self.strides)), self.offset)
  def flip(self, axes):
    off = self.offset + sum((self.shape[a] - 1) * self.strides[a] for a in axes)
    return View(self.shape, tuple(-st if i in axes else st for i, st in enumerate(self.strides)), off)
  def slice(self, ranges):
    """ranges: one (start, stop, step) per dimension, already normalised by Python's slice.indices."""
    shape = tuple(len(range(*r)) for r in ranges)
    return View(shape, tuple(st * r[2] for st, r in zip(self.strides, ranges)),
                self.offset + sum(st * r[0] for st, r in zip(self.strides, ranges)) if all(shape) else 0)
  def reshape(self, shape) -> View | None:
    """One view when the layout allows it (contiguous at an offset, or only size-1 axes added/removed), else None."""
    if self._c_ordered(): return View(tuple(shape), strides_for(tuple(shape)), self.offset)
    if [s for s in self.shape if s != 1] == [s for s in shape if s != 1]:
      it = iter([st for s, st in zip(self.shape, self.strides) if s != 1])
      return View(tuple(shape), tuple(0 if s == 1 else next(it) for s in shape), self.offset)
    return None
