"""The executor needs no compiler: with PATH emptied (no ptxas, nvcc, clang, llc on it) a fused matmul + epilogue and a
reduction run on sim:nv and sim:amd, and no nvrtc / libLLVM / ptxas / libcuda / clang library is mapped into the process afterwards."""
import json, os, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHILD = r"""
import json, numpy as np
from hwrt import Tensor
a = np.arange(12, dtype=np.float32).reshape(3, 4); b = np.ones((4, 2), np.float32)
ok = True
for dev in ("sim:nv", "sim:amd"):
  out = (Tensor(a, device=dev) @ Tensor(b, device=dev) + 1).relu().numpy()
  s = (Tensor(a, device=dev) * 2).exp2().sum(axis=0).numpy()
  ok = ok and bool(np.array_equal(out, a @ b + 1)) and bool(np.allclose(s, np.exp2(a * 2).sum(0)))
libs = sorted({l.split()[-1] for l in open("/proc/self/maps") if len(l.split()) >= 6 and "/" in l.split()[-1]})
print(json.dumps({"ok": ok, "libs": libs}))
"""

def test_runs_without_compilers_on_path():
  env = {"PATH": "", "PYTHONPATH": ROOT, "HOME": os.environ.get("HOME", "/tmp"), "TMPDIR": os.environ.get("TMPDIR", "/tmp")}
  if "HWRT_SIM_DIR" in os.environ: env["HWRT_SIM_DIR"] = os.environ["HWRT_SIM_DIR"]
  r = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, timeout=600, cwd=ROOT)
  assert r.returncode == 0, r.stderr[-3000:]
  res = json.loads(r.stdout.strip().splitlines()[-1])
  assert res["ok"]
  bad = [l for l in res["libs"] if any(k in os.path.basename(l).lower() for k in ("nvrtc", "llvm", "ptxas", "libcuda", "clang", "nvjitlink"))]
  assert not bad, bad
  assert any("_cffi_backend" in l for l in res["libs"]), res["libs"]     # the maps were read: hwrt's cffi is there
