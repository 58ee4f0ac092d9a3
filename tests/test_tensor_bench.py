"""bench/tensor.py runs end to end on the simulator (tiny sizes): every case checks its result against numpy, reports one
kernel per case and a non-zero SASS instruction count."""
import json, os, subprocess, sys
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

@pytest.mark.parametrize("dev", ["sim:nv", "sim:amd"])
def test_bench_tensor_on_sim(dev):
  r = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "tensor.py"), "--device", dev, "--sizes", "16,24", "--chain", "1000",
                      "--json"], capture_output=True, text=True, timeout=600, cwd=ROOT, env={**os.environ, "PYTHONPATH": ROOT})
  assert r.returncode == 0, r.stderr[-3000:]
  rows = json.loads(r.stdout)
  assert len(rows) == 3 and all(row["ok"] and row["kernels"] == 1 and row["sim_instructions"] > 0 for row in rows), rows
  assert rows[1]["sim_instructions"] > rows[0]["sim_instructions"]     # 24^3 does more work than 16^3
