"""Shared by tests/test_bridge_*.py: build the shim and the C fixtures (skipping with the reason where a C compiler or
Python headers are missing, failing in CI as conftest.oracle does), and run hwrt's CLI."""
import functools, json, os, subprocess, sys, tempfile
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))

def need(ok: bool, msg: str):
  if ok: return
  if os.environ.get("CI"): pytest.fail("CI must be able to build the LD_PRELOAD shim: " + msg)
  pytest.skip(msg)

@functools.lru_cache(maxsize=None)
def _build() -> tuple[str, str, str]:
  """(shim .so, C compiler, include dir holding nv_abi.h)"""
  from hwrt.sim import bridge
  from hwrt.errors import HwrtError
  try: cc = bridge.compiler()
  except HwrtError as e: return "", "", str(e)
  so = bridge.build()
  inc = tempfile.mkdtemp(prefix="hwrt-bridge-inc-")
  with open(os.path.join(inc, "nv_abi.h"), "w") as f: f.write(bridge.abi_header())
  return so, cc, inc

def shim() -> tuple[str, str, str]:
  so, cc, inc = _build()
  need(bool(so), inc)
  from hwrt.sim import bridge
  need(bridge.python_include() is not None, "Python headers (Python.h) are missing: sim mode cannot be built")
  return so, cc, inc

@functools.lru_cache(maxsize=None)
def fixture_binary(name: str) -> str:
  """tests/bridge_fixtures/NAME.c compiled against nv_abi.h"""
  _, cc, inc = shim()
  out = os.path.join(tempfile.mkdtemp(prefix="hwrt-bridge-bin-"), name)
  r = subprocess.run([cc, "-O2", "-Wall", "-Werror", f"-I{inc}", "-o", out, os.path.join(HERE, name + ".c"), "-lpthread"],
                     capture_output=True, text=True)
  assert r.returncode == 0, r.stderr
  return out

def hwrt(*args, cwd=None, env=None, timeout=300) -> subprocess.CompletedProcess:
  e = dict(os.environ, **(env or {}))
  return subprocess.run([sys.executable, "-m", "hwrt", *args], capture_output=True, text=True, cwd=cwd, env=e, timeout=timeout)

def load(path) -> list[dict]:
  with open(path) as f: return [json.loads(l) for l in f if l.strip()]
