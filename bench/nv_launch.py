#!/usr/bin/env python3
"""NVIDIA launch-path benchmarks (not a test): hwrt's driver beside CUDA and tinygrad from the same run, as ratios.

  python bench/nv_launch.py [--device nv:0|sim:nv] [--json]

Figures: empty-kernel submit->complete latency (p50/p99), 1000 back-to-back launches in one submission (us/kernel),
copy-kernel bandwidth (our own SASS), copy-engine host<->device bandwidth, host CPU time per launch. CUDA's figures come
from cupy or torch when importable (driver API underneath), tinygrad's from its NV backend when importable; otherwise
'n/a'. On sim:nv the figures measure the simulator and mean little."""
import argparse, json, os, statistics, sys, time
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))

def hwrt_figures(device: str, small: bool) -> dict:
  from hwrt.devices import open_device
  from hwrt.assemblers.sass import assemble_to_container
  out = {}
  with open_device(device) as dev:
    empty = dev.builtin_program("empty")
    lat = []
    for _ in range(50 if small else 1000):
      t0 = time.perf_counter(); dev.launch(empty); lat.append(time.perf_counter() - t0)
    out["empty_p50_us"], out["empty_p99_us"] = np.percentile(lat, 50) * 1e6, np.percentile(lat, 99) * 1e6
    n = 100 if small else 1000
    q = dev.compute_queue()
    c0, t0 = time.process_time(), time.perf_counter()
    for _ in range(n): q.exec(empty, [], (1, 1, 1), (32, 1, 1))
    q.signal(dev.timeline, dev.next_value()).submit()
    cpu = time.process_time() - c0
    dev.synchronize(60)
    out["b2b_us_per_kernel"] = (time.perf_counter() - t0) / n * 1e6
    out["host_cpu_us_per_launch"] = cpu / n * 1e6
    with open(os.path.join(HERE, "kernels", "copy.sass.s")) as f: copy = dev.load(assemble_to_container(f.read()))
    words = (1 << 18) if small else (1 << 26)
    src, dst = dev.alloc(words * 4), dev.alloc(words * 4)
    dev.launch(copy, [src, dst, np.uint32(words)], ((words + 255) // 256, 1, 1), (256, 1, 1), timeout=120)
    t = dev.launch(copy, [src, dst, np.uint32(words)], ((words + 255) // 256, 1, 1), (256, 1, 1), timeout=120)
    out["copy_kernel_GBps"] = 2 * words * 4 / t / 1e9
    host = dev.alloc(words * 4, host=True)
    t0 = time.perf_counter(); dev.copy(dst, host, words * 4, timeout=120); out["h2d_GBps"] = words * 4 / (time.perf_counter() - t0) / 1e9
    t0 = time.perf_counter(); dev.copy(host, dst, words * 4, timeout=120); out["d2h_GBps"] = words * 4 / (time.perf_counter() - t0) / 1e9
    for b in (src, dst, host): dev.free(b)
  return out

def cuda_figures(small: bool) -> dict | str:
  """The same figures through CUDA (cupy: an empty RawKernel, a copy RawKernel, cudaMemcpy); torch as a fallback."""
  try: import cupy as cp
  except ImportError: return "n/a (cupy not importable)"
  try:
    mod = cp.RawModule(code=r"""extern "C" __global__ void empty() {}
      extern "C" __global__ void copy(const unsigned *s, unsigned *d, unsigned n) {
        unsigned i = blockIdx.x * blockDim.x + threadIdx.x; if (i < n) d[i] = s[i]; }""")
    empty, copy = mod.get_function("empty"), mod.get_function("copy")
  except Exception as e: return f"n/a (cupy: {type(e).__name__}: {str(e)[:80]})"
  out, sync = {}, cp.cuda.runtime.deviceSynchronize
  empty((1,), (1,), ()); sync()
  lat = []
  for _ in range(50 if small else 1000):
    t0 = time.perf_counter(); empty((1,), (1,), ()); sync(); lat.append(time.perf_counter() - t0)
  out["empty_p50_us"], out["empty_p99_us"] = np.percentile(lat, 50) * 1e6, np.percentile(lat, 99) * 1e6
  n = 100 if small else 1000
  c0, t0 = time.process_time(), time.perf_counter()
  for _ in range(n): empty((1,), (32,), ())
  cpu = time.process_time() - c0
  sync()
  out["b2b_us_per_kernel"], out["host_cpu_us_per_launch"] = (time.perf_counter() - t0) / n * 1e6, cpu / n * 1e6
  words = (1 << 18) if small else (1 << 26)
  a, b = cp.zeros(words, cp.uint32), cp.zeros(words, cp.uint32)
  grid = ((words + 255) // 256,)
  copy(grid, (256,), (a, b, cp.uint32(words))); sync()
  t0 = time.perf_counter(); copy(grid, (256,), (a, b, cp.uint32(words))); sync()
  out["copy_kernel_GBps"] = 2 * words * 4 / (time.perf_counter() - t0) / 1e9
  h = cp.cuda.alloc_pinned_memory(words * 4)
  t0 = time.perf_counter(); cp.cuda.runtime.memcpy(a.data.ptr, h.ptr, words * 4, 1); out["h2d_GBps"] = words * 4 / (time.perf_counter() - t0) / 1e9
  t0 = time.perf_counter(); cp.cuda.runtime.memcpy(h.ptr, a.data.ptr, words * 4, 2); out["d2h_GBps"] = words * 4 / (time.perf_counter() - t0) / 1e9
  return out

def tinygrad_figures() -> dict | str:
  try:
    from tinygrad import Device
    Device["NV"]
  except Exception as e: return f"n/a ({type(e).__name__}: {str(e)[:80]})"
  return "opened; its figures are not collected by this script yet"

def main():
  ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  ap.add_argument("--device", default=None)
  ap.add_argument("--json", action="store_true")
  ap.add_argument("--small", action="store_true", help="fewer iterations and smaller copies (for the simulator)")
  a = ap.parse_args()
  from hwrt.devices import default_device
  device = a.device or default_device()
  small = a.small or device.startswith("sim:")
  res = {"device": device, "hwrt": hwrt_figures(device, small), "cuda": cuda_figures(small) if not device.startswith("sim:") else "n/a (sim)",
         "tinygrad": tinygrad_figures() if not device.startswith("sim:") else "n/a (sim)"}
  if a.json: print(json.dumps(res, indent=2)); return
  print(f"device {device}" + ("   (simulated: these figures measure the simulator)" if device.startswith("sim:") else ""))
  print(f"{'figure':28s} {'hwrt':>12s} {'CUDA':>12s} {'hwrt/CUDA':>10s}")
  for k, v in res["hwrt"].items():
    c = res["cuda"].get(k) if isinstance(res["cuda"], dict) else None
    print(f"{k:28s} {v:12.2f} {c if c is not None else 'n/a':>12} {(v / c if c else float('nan')):10.2f}")
  if not isinstance(res["cuda"], dict): print(f"CUDA: {res['cuda']}")
  print(f"tinygrad: {res['tinygrad']}")

if __name__ == "__main__": main()
