"""Tensor dtypes: float32, float16, int32, bool. In registers every value is 32-bit (float16 is computed as float32 and
rounded back to float16 after every operation, which gives numpy's float16 results for + - * / sqrt; bool is 0/1)."""
from __future__ import annotations
from dataclasses import dataclass
import numpy as np
from hwrt.errors import BadArgument

@dataclass(frozen=True)
class DType:
  name: str
  np: type
  itemsize: int
  rank: int          # promotion order: bool < int32 < float16 < float32
  @property
  def is_float(self) -> bool: return self.name.startswith("float")
  def __repr__(self): return f"dtypes.{self.name}"

bool_ = DType("bool", np.bool_, 1, 0)
int32 = DType("int32", np.int32, 4, 1)
float16 = DType("float16", np.float16, 2, 2)
float32 = DType("float32", np.float32, 4, 3)
ALL = {d.name: d for d in (bool_, int32, float16, float32)}

def to_dtype(x) -> DType:
  if isinstance(x, DType): return x
  name = {"bool": "bool", "int32": "int32", "float16": "float16", "float32": "float32", "half": "float16", "float": "float32",
          "int": "int32"}.get(x if isinstance(x, str) else np.dtype(x).name if _npdt(x) else "")
  if name is None or name not in ALL: raise BadArgument(f"unsupported dtype {x!r} (the tensor executor has {', '.join(ALL)})")
  return ALL[name]

def _npdt(x) -> bool:
  try: np.dtype(x); return True
  except TypeError: return False

def promote(a: DType, b: DType) -> DType:
  """bool < int32 < float16 < float32; int32 with float16 gives float32 (numpy would go to float64, which we do not have)."""
  if {a, b} == {int32, float16}: return float32
  return a if a.rank >= b.rank else b
