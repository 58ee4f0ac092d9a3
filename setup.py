import os
from setuptools import setup

# Top-level folders are installed under the `hwrt` import namespace: hwrt.ioctl lives in ioctl/, and so on.
SUBPACKAGES = ["ioctl", "drivers", "assemblers", "sim", "stress", "repro"]
package_dir = {"hwrt": "hwrt", **{f"hwrt.{p}": p for p in SUBPACKAGES}}
# nested packages (assemblers/sass/, sim/nv/, ...) are found by walking each folder for __init__.py
def walk(top: str, prefix: str) -> list[str]:
  return [prefix + root[len(top):].replace(os.sep, ".") for root, _, files in os.walk(top) if "__init__.py" in files]
# hwrt/ itself (hwrt.tensor, ...) and each top-level folder under its hwrt.<name>
packages = walk("hwrt", "hwrt") + [q for p in SUBPACKAGES for q in walk(p, f"hwrt.{p}")]

setup(
  name="hwrt", version="0.1.0",
  description="GPU driver-level bring-up and runtime toolkit: raw kernel ioctls, own assemblers, stress, repro, simulated GPUs",
  python_requires=">=3.10",
  packages=packages, package_dir=package_dir,
  package_data={pkg: ["*.txt", "*.tsv", "*.c", "*.h", "*.s", "*.json"] for pkg in packages},
  install_requires=["cffi", "numpy", "pyelftools", "capstone", "rich", "msgpack"],
  extras_require={"test": ["pytest", "hypothesis", "pytest-timeout"]},
  entry_points={"console_scripts": ["hwrt = hwrt.cli:entry"]},
)
