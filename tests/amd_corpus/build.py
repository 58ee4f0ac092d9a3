"""Compile the OpenCL corpus for gfx1100 with clang-19 at test time (no binaries in the tree): one relocatable object per .cl,
cached per session under TMPDIR. `disasm(obj)` lists the instructions llvm-objdump-19 sees in it (the coverage oracle)."""
import functools, os, re, subprocess, tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
FLAGS = ["-target", "amdgcn-amd-amdhsa", "-mcpu=gfx1100", "-O2", "-nogpulib", "-x", "cl", "-cl-std=CL2.0", "-c"]

@functools.lru_cache(maxsize=None)
def compile_cl(name: str, clang: str = "clang-19", extra: tuple = ()) -> bytes:
  out = Path(tempfile.gettempdir()) / f"amd-corpus-{name}-{abs(hash(extra))}.o"
  r = subprocess.run([clang, *FLAGS, *extra, "-I", str(HERE), str(HERE / f"{name}.cl"), "-o", str(out)], capture_output=True, text=True)
  if r.returncode: raise RuntimeError(f"clang-19 failed on {name}.cl: {r.stderr[:2000]}")
  return out.read_bytes()

def disasm(obj: bytes, objdump: str = "llvm-objdump-19") -> list[str]:
  with tempfile.NamedTemporaryFile(suffix=".o", delete=False) as f: f.write(obj)
  try: text = subprocess.run([objdump, "-d", "--mcpu=gfx1100", f.name], capture_output=True, text=True, check=True).stdout
  finally: os.unlink(f.name)
  names = []
  for line in text.splitlines():
    m = re.match(r"\s+([a-z_0-9]+)(\s|$)", line)
    if m and "//" in line and m.group(1) != "s_code_end": names.append(m.group(1))
  return names
