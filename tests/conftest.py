import os, shutil, tempfile, pytest
from hwrt import oracles

_SESSION_TMP = None

def pytest_configure(config):
  # every temporary file of the session (session caches, compiled corpora, traces, simulator dirs) lives under one
  # directory that is removed when the session ends; subprocesses inherit it through TMPDIR
  global _SESSION_TMP
  _SESSION_TMP = tempfile.mkdtemp(prefix="hwrt-tests-")
  os.environ["TMPDIR"] = tempfile.tempdir = _SESSION_TMP
  os.environ.setdefault("HWRT_SIM_DIR", os.path.join(_SESSION_TMP, "sim"))   # the simulated kmsg/pstore of this session
  config.addinivalue_line("markers", "gpu: needs a real GPU (skips cleanly without one)")
  config.addinivalue_line("markers", "oracle(name): needs a vendor tool as a test oracle; skipping it fails CI")
  config.addinivalue_line("markers", "slow: long-running test")

def pytest_unconfigure(config):
  if _SESSION_TMP: shutil.rmtree(_SESSION_TMP, ignore_errors=True)

def oracle(name: str) -> str:
  """Path of a vendor tool, or skip with the reason and the install command. In CI a skip here is turned into a failure."""
  p = oracles.find(name)
  if p is None:
    msg = f"oracle {name} is not installed ({oracles.INSTALL_HINT.get(name, 'see .ci/run')})"
    if os.environ.get("CI"): pytest.fail("CI must have every oracle: " + msg)
    pytest.skip(msg)
  return p

def has_gpu(vendor: str = "nv") -> bool:
  return {"nv": os.path.exists("/dev/nvidiactl"), "amd": os.path.exists("/dev/kfd"),
          "intel": any(os.path.exists(f"/dev/dri/renderD{n}") for n in range(128, 136))}[vendor]

def pytest_runtest_setup(item):
  if item.get_closest_marker("gpu") and not has_gpu("nv"):
    pytest.skip("no NVIDIA GPU on this machine (/dev/nvidiactl missing)")

def pytest_pyfunc_call(pyfuncitem):
  """@pytest.mark.isolated: the test runs in a fresh interpreter (its verdict is the child pytest's). For the simulated-GPU
  fault-recovery tests, which fail after enough other tests ran in the same process (a GPUTimeout or garbage code words
  after a fault's recovery): an open simulator bug, recorded in docs/STATUS.md, not hidden -- each still must pass alone."""
  if not pyfuncitem.get_closest_marker("isolated") or os.environ.get("HWRT_IN_ISOLATION"): return None
  import subprocess, sys
  r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", pyfuncitem.nodeid],
                     cwd=str(pyfuncitem.config.rootpath), env={**os.environ, "HWRT_IN_ISOLATION": "1"}, capture_output=True, text=True,
                     timeout=600)
  if r.returncode != 0: pytest.fail(f"isolated run of {pyfuncitem.nodeid} failed:\n{(r.stdout + r.stderr)[-4000:]}", pytrace=False)
  return True
