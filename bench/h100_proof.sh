#!/usr/bin/env bash
# Issue 10 (hardware proof) in one command on the device machine: every check's output under $OUT. Budget ~12 minutes.
#   device tool: carry [".whl"], command: "bash bench/h100_proof.sh"
# .whl/ must hold the wheels the device image lacks (see docs/hardware.md: cffi, pycparser, pyelftools, capstone).
set -u
OUT=${OUT:-$PWD/h100-out}; mkdir -p "$OUT"
if ls .whl/*.whl >/dev/null 2>&1; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl && export PYTHONPATH=/tmp/site
fi
# hwrt runs from the checkout itself (hwrt/__init__.py finds ioctl/, drivers/, ... beside it): no pip install needed
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}
run() { local name=$1; shift; echo "=== $name: $*"; ( time timeout 600 "$@" ) > "$OUT/$name.log" 2>&1; echo "rc=$?" >> "$OUT/$name.log"; tail -4 "$OUT/$name.log"; }
date -u > "$OUT/date.txt"; nvidia-smi > "$OUT/nvidia-smi.txt" 2>&1; cat /proc/driver/nvidia/version > "$OUT/driver.txt" 2>&1
run devices python3 -m hwrt devices --json
run own-cubins-in-cupy python3 bench/cupy_own_cubin.py
run launch-vadd python3 -m hwrt launch tests/examples/vadd.sass.s --device nv:0 --grid 4096 --block 256 --arg a=f32[1048576]:rand \
  --arg b=f32[1048576]:rand --arg c=f32[1048576]:zeros --arg n=u32:1048576 --check "c == a + b" --repeat 10 --json
run gpu-tests python3 -m pytest -m gpu -v -p no:cacheprovider tests/test_nv_driver.py tests/test_nv_hardware.py tests/test_tensor_gpu.py
run bench python3 bench/nv_launch.py --device nv:0 --json
run bench-tensor python3 bench/tensor.py --device nv:0 --json
ls -la "$OUT"
