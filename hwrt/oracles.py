"""Where the vendor tools are. They are test oracles and maintainer tools only: nothing that launches a kernel imports this."""
import glob, os, shutil, site, sys

def _site_bins() -> list[str]:
  roots = site.getsitepackages() + [site.getusersitepackages()] + [p for p in sys.path if p.endswith("site-packages")]
  return sorted({d for r in roots for d in glob.glob(os.path.join(r, "nvidia", "cu*", "bin")) + glob.glob(os.path.join(r, "nvidia", "cuda_*", "bin"))})

def find(name: str) -> str | None:
  """ptxas, nvdisasm, cuobjdump (PyPI nvidia-cuda-*), clang-19, llvm-mc-19, llvm-objdump-19, llvm-readelf-19, ocloc, iga64."""
  for d in _site_bins():
    if os.access(p := os.path.join(d, name), os.X_OK): return p
  return shutil.which(name)

INSTALL_HINT = {
  "ptxas": "pip install nvidia-cuda-nvcc", "nvdisasm": "pip install nvidia-cuda-nvdisasm", "cuobjdump": "pip install nvidia-cuda-cuobjdump",
  "clang-19": "apt-get install clang-19", "llvm-mc-19": "apt-get install llvm-19", "llvm-objdump-19": "apt-get install llvm-19",
  "llvm-readelf-19": "apt-get install llvm-19", "ld.lld-19": "apt-get install lld-19", "ocloc": "apt-get install intel-opencl-icd",
  "iga64": "apt-get install libigc-tools",
}
