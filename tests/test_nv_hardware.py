"""Checks that only mean something on a real NVIDIA GPU (issue 10): GPU memory as nvidia-smi sees it after 10,000
alloc/launch/free cycles, and 16 processes launching concurrently for 2 minutes with zero errors. They skip without
/dev/nvidiactl; the simulator's equivalents are in test_nv_driver.py and test_stress_sim.py."""
import json, os, shutil, subprocess, sys
import numpy as np, pytest
from hwrt.ioctl.syscalls import HOST
from hwrt.drivers.nv.device import NVDevice

pytestmark = pytest.mark.gpu

def used_mib() -> int:
  smi = shutil.which("nvidia-smi")
  if smi is None: pytest.skip("nvidia-smi is not installed")
  out = subprocess.run([smi, "--query-gpu=memory.used", "--format=csv,noheader,nounits", "-i", "0"], capture_output=True, text=True, timeout=60)
  return int(out.stdout.split()[0])

def test_10000_cycles_leave_gpu_memory_where_it_started():
  before = used_mib()
  with NVDevice(HOST, 0, "nv:0") as d:
    empty = d.builtin_program("empty")
    for i in range(10_000):
      b = d.alloc(4096 << (i % 5))
      d.launch(empty, [], (1, 1, 1), (32, 1, 1))
      d.free(b)
  after = used_mib()
  assert abs(after - before) <= 2, f"GPU memory used: {before} MiB before, {after} MiB after"

def test_16_processes_launching_for_2_minutes_have_zero_errors(tmp_path):
  j = tmp_path / "journal.jsonl"
  r = subprocess.run([sys.executable, "-m", "hwrt", "stress", "run", "--workload", "launch-loop", "--device", "nv:0", "--procs", "16",
                      "--duration", "120", "--journal", str(j), "--plain"], capture_output=True, text=True, timeout=400)
  assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
  rep = json.loads(subprocess.run([sys.executable, "-m", "hwrt", "stress", "report", str(j), "--json"], capture_output=True,
                                  text=True, timeout=60).stdout)
  assert rep["events"] == 0 and rep["failures"] == 0, rep["signatures"]
  assert sum(w["done"] for w in rep["workers"].values()) > 0, rep["workers"]

def test_no_libcuda_in_the_process_after_launches():
  with NVDevice(HOST, 0, "nv:0") as d:
    d.launch(d.builtin_program("empty"))
    maps = open("/proc/self/maps").read()
  assert "libcuda" not in maps and "libcudart" not in maps
