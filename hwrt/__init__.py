"""hwrt: GPU driver-level bring-up and runtime toolkit."""
import os as _os
__version__ = "0.1.0"

# Installed, hwrt.ioctl lives in hwrt/ioctl (setup.py maps the top-level folders under hwrt). Run from a source checkout
# without installing (python3 -m hwrt from the repository root, as on a bare device machine), the subpackages are the
# checkout's top-level folders: let the package look there too.
_here = _os.path.dirname(_os.path.abspath(__file__))
_root = _os.path.dirname(_here)
if not _os.path.isdir(_os.path.join(_here, "ioctl")) and _os.path.isfile(_os.path.join(_root, "ioctl", "__init__.py")):
  __path__.append(_root)

def __getattr__(name):   # `from hwrt import Tensor` without importing the tensor executor for every other hwrt use
  if name == "Tensor":
    from hwrt.tensor import Tensor
    return Tensor
  raise AttributeError(f"module 'hwrt' has no attribute {name!r}")
