"""hwrt's tensor executor: a lazy numpy-like Tensor whose graph is fused into kernels that hwrt's own code generators turn
into machine code (SASS through assemblers/sass), launched on hwrt's drivers — no vendor compiler at run time."""
from hwrt.tensor.tensor import Tensor
from hwrt.tensor import dtypes
__all__ = ["Tensor", "dtypes"]
