#!/usr/bin/env python3
"""hwrt's NVIDIA driver beside tinygrad's HCQ (NV backend, 0.14.0 unmodified) on the same simulated GPU, in one run.

  PYTHONPATH=. python3 bench/nv_vs_tinygrad.py [--device sim:nv:ad102] [-n 500] [--json]

Both clients run as children of `hwrt sim-run --device <device>` with HWRT_SIM_EXECUTOR=decode-only (the simulated engine
decodes every QMD and completes the grid without interpreting SASS), so the simulator's cost is the same for both and the
ratio says whose userspace is leaner. Figures per client:
  cpu_us_per_launch   CPU time of the launching thread (time.thread_time) per launch of an empty kernel, queued without
                      waiting (the simulated GPU is another thread of the process and is not counted)
  latency_us          wall time of launch + wait for completion of one empty kernel (median, p90)
The empty kernel: hwrt loads a ptxas-made cubin for the device's arch (ptxas makes the input, as in the tests); tinygrad
compiles its own with NVRTC (NVRTC_PATH). Caveat: on the simulator the doorbell is polled by a Python thread and every
completion is seen through the GIL, so latencies are the simulator's, not a GPU's; only the ratios are meaningful."""
from __future__ import annotations
import argparse, json, os, statistics, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PTX = ".version {v}\n.target {arch}\n.address_size 64\n.visible .entry empty()\n{{\n  ret;\n}}\n"

def _figures(launch_nowait, sync, launch_wait, n: int) -> dict:
  for _ in range(20): launch_wait()                     # warm-up: code upload, local memory, caches
  sync()
  t0 = time.thread_time()
  for _ in range(n): launch_nowait()
  cpu = time.thread_time() - t0
  sync()
  lat = []
  for _ in range(max(50, n // 5)):
    t = time.perf_counter(); launch_wait(); lat.append(time.perf_counter() - t)
  lat.sort()
  return {"cpu_us_per_launch": cpu / n * 1e6, "latency_us": statistics.median(lat) * 1e6, "latency_p90_us": lat[int(len(lat) * 0.9)] * 1e6}

def child_hwrt(n: int, cubin: str) -> dict:
  from hwrt.drivers.nv.device import NVDevice
  from hwrt.ioctl.syscalls import HOST
  with NVDevice(HOST, 0, "nv:0") as d:
    prog = d.load(open(cubin, "rb").read())
    r = _figures(lambda: d.launch(prog, [], wait=False), d.synchronize, lambda: d.launch(prog, []), n)
    return r | {"arch": d.arch, "name": d.gpu_name}

def child_tinygrad(n: int) -> dict:
  from tinygrad import Device
  from tinygrad.device import TinyELF
  dev = Device["NV"]
  prg = dev.runtime(TinyELF(dev.compiler.compile('extern "C" __global__ void empty() {}'), "empty", None, ()))
  g = dict(global_size=(1, 1, 1), local_size=(1, 1, 1))
  r = _figures(lambda: prg(**g, wait=False), dev.synchronize, lambda: prg(**g, wait=True), n)
  return r | {"arch": dev.arch}

def empty_cubin(arch: str) -> str:
  from hwrt.oracles import find
  ptxas = find("ptxas")
  if ptxas is None: raise SystemExit("bench/nv_vs_tinygrad.py: ptxas is needed to make hwrt's empty kernel for " + arch)
  d = tempfile.mkdtemp(prefix="hwrt-bench-")
  open(os.path.join(d, "empty.ptx"), "w").write(PTX.format(v="8.7" if arch == "sm_120" else "8.5", arch=arch))
  subprocess.run([ptxas, f"-arch={arch}", os.path.join(d, "empty.ptx"), "-o", os.path.join(d, "empty.cubin")], check=True)
  return os.path.join(d, "empty.cubin")

def run_child(device: str, who: str, n: int, cubin: str) -> dict:
  env = dict(os.environ, HWRT_SIM_EXECUTOR="decode-only", PYTHONPATH=os.pathsep.join([ROOT, os.environ.get("PYTHONPATH", "")]))
  cmd = [sys.executable, "-m", "hwrt", "sim-run", "--device", device, "--", sys.executable, os.path.abspath(__file__),
         "--child", who, "-n", str(n), "--cubin", cubin]
  r = subprocess.run(cmd, capture_output=True, text=True, timeout=900, env=env, cwd=ROOT)
  line = next((l for l in reversed(r.stdout.splitlines()) if l.startswith("{")), None)
  if r.returncode or line is None:
    tail = (r.stderr.strip().splitlines() or ["?"])[-1]
    return {"error": f"{who} exited {r.returncode}: {tail}"}
  return json.loads(line)

def main(argv=None) -> int:
  p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  p.add_argument("--device", default="sim:nv:ad102", help="a simulated board tinygrad supports: sim:nv:ga102, sim:nv:ad102, sim:nv:gb202")
  p.add_argument("-n", type=int, default=500, help="launches per figure")
  p.add_argument("--json", action="store_true")
  p.add_argument("--child", choices=["hwrt", "tinygrad"], help=argparse.SUPPRESS)
  p.add_argument("--cubin", help=argparse.SUPPRESS)
  a = p.parse_args(argv)
  if a.child:
    print(json.dumps(child_hwrt(a.n, a.cubin) if a.child == "hwrt" else child_tinygrad(a.n)))
    return 0
  from hwrt.sim.nv.identity import identity
  cubin = empty_cubin(identity(a.device.split(":")[2] if a.device.count(":") == 2 else "gh100").sm_name)
  res = {"device": a.device, "n": a.n, "hwrt": run_child(a.device, "hwrt", a.n, cubin), "tinygrad": run_child(a.device, "tinygrad", a.n, cubin)}
  h, t = res["hwrt"], res["tinygrad"]
  if "error" not in h and "error" not in t:
    res["ratio"] = {k: h[k] / t[k] for k in ("cpu_us_per_launch", "latency_us", "latency_p90_us")}
  if a.json: print(json.dumps(res, indent=2)); return 0
  print(f"{a.device}: {h.get('name', '')} ({h.get('arch', '?')}), {a.n} launches of an empty kernel, simulator executor decode-only")
  print(f"{'figure':22s} {'hwrt':>12s} {'tinygrad':>12s} {'hwrt/tinygrad':>14s}")
  for k in ("cpu_us_per_launch", "latency_us", "latency_p90_us"):
    hv, tv = h.get(k), t.get(k)
    print(f"{k:22s} {hv if hv is None else f'{hv:12.1f}':>12} {tv if tv is None else f'{tv:12.1f}':>12} "
          f"{res.get('ratio', {}).get(k, float('nan')):14.2f}")
  for who in ("hwrt", "tinygrad"):
    if "error" in res[who]: print(f"{who}: {res[who]['error']}")
  return 0 if "ratio" in res else 1

if __name__ == "__main__":
  sys.exit(main())
