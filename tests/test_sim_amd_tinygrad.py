"""Unmodified tinygrad 0.14.0 from PyPI (DEV=AMD:LLVM, compiling with Debian's libLLVM-19) as a client of sim:amd, out of
process behind the real interface: `hwrt sim-run --device sim:amd -- python3 tests/tinygrad_set/programs.py`. Each program is
compared with numpy inside that script (PASS/FAIL lines). CI runs a subset; the whole set is @slow."""
import importlib.util, os, subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent
SUBSET = ["elementwise_chain", "broadcast", "matmul", "reduce_sum", "softmax", "int_arith", "half", "gather"]

def _tinygrad():
  spec = importlib.util.find_spec("tinygrad")
  if spec is None:
    msg = "tinygrad is not installed (pip install tinygrad==0.14.0)"
    if os.environ.get("CI"): pytest.fail("CI must have tinygrad: " + msg)
    pytest.skip(msg)
  from importlib.metadata import version
  assert version("tinygrad") == "0.14.0", f"these tests pin tinygrad 0.14.0, found {version('tinygrad')}"

def run_set(names, timeout=600, **extra):
  _tinygrad()
  env = dict(os.environ, DEV="AMD:LLVM", PYTHONPATH=str(ROOT), AMD_DISABLE_SDMA="0", **extra)
  r = subprocess.run([sys.executable, "-m", "hwrt", "sim-run", "--device", "sim:amd", "--", sys.executable,
                      str(ROOT / "tests/tinygrad_set/programs.py"), *names], env=env, capture_output=True, text=True, timeout=timeout)
  lines = [l for l in r.stdout.splitlines() if l.startswith(("PASS", "FAIL"))]
  return r, lines

def test_tinygrad_subset_on_sim_amd():
  r, lines = run_set(SUBSET)
  assert r.returncode == 0 and len(lines) == len(SUBSET) and all(l.startswith("PASS") for l in lines), \
    "\n".join(lines) + "\n" + r.stderr[-3000:]

@pytest.mark.slow
def test_tinygrad_full_set_on_sim_amd():
  r, lines = run_set([])
  assert r.returncode == 0 and len(lines) >= 17 and all(l.startswith("PASS") for l in lines), "\n".join(lines) + r.stderr[-3000:]

def test_tinygrad_aql_queue_on_sim_amd():
  """AMD_AQL=1: tinygrad's AQL compute queue (dispatch packets, PM4 in vendor-specific packets, completion signals)"""
  names = ["elementwise_chain", "matmul", "reduce_sum"]
  r, lines = run_set(names, AMD_AQL="1")
  assert r.returncode == 0 and len(lines) == len(names) and all(l.startswith("PASS") for l in lines), "\n".join(lines) + r.stderr[-3000:]

@pytest.mark.slow
def test_tinygrad_full_set_aql():
  r, lines = run_set([], AMD_AQL="1")
  assert r.returncode == 0 and len(lines) >= 17 and all(l.startswith("PASS") for l in lines), "\n".join(lines) + r.stderr[-3000:]

def test_tinygrad_sees_a_gpu_fault_as_a_fault(tmp_path):
  """a kernel fault injected by HWRT_SIM_FAULTS reaches tinygrad as its own 'HW fault'/'MMU fault' report, not a hang"""
  _tinygrad()
  script = tmp_path / "f.py"
  script.write_text("from tinygrad import Tensor\nimport sys\ntry:\n  (Tensor.ones(64) * 3).realize().numpy()\n"
                    "except Exception as e: print('FAULT', str(e).splitlines()[0]); sys.exit(3)\nprint('NOFAULT')\n")
  env = dict(os.environ, DEV="AMD:LLVM", PYTHONPATH=str(ROOT), HWRT_SIM_FAULTS="fault@launch=1", HWRT_SIM_DIR=str(tmp_path))
  r = subprocess.run([sys.executable, "-m", "hwrt", "sim-run", "--device", "sim:amd", "--", sys.executable, str(script)],
                     env=env, capture_output=True, text=True, timeout=300)
  assert r.returncode == 3 and "MMU fault" in r.stdout, r.stdout + r.stderr[-2000:]
  assert "[gfxhub] page fault" in (tmp_path / "kmsg").read_text()
