"""`hwrt repro verify DIR`: build repro.c (make, else cc), run repro.c's binary and repro.py N times each (under
`hwrt sim-run` with the bundle's simulator settings and a fresh simulated machine per run for sim devices) and count the
runs that show the original signature: the repro's exit status is repro.json's expected_exit (1: the program saw the
failure itself; 0 only for a bundle whose recording showed nothing the program can see) and, when the signature is a
kernel-log one, the kernel log of that run shows it (the simulated machine's kmsg, or /dev/kmsg read before and after
on a real machine)."""
from __future__ import annotations
import json, os, shutil, subprocess, sys, tempfile, time
from hwrt.errors import BadInput, HwrtError

META = "repro.json"

def load_meta(d: str) -> dict:
  p = os.path.join(d, META)
  if not os.path.isdir(d): raise BadInput(f"{d} is not a directory (expected a bundle written by `hwrt repro make`)")
  if not os.path.exists(p): raise BadInput(f"{d} has no {META}: not a bundle written by `hwrt repro make`")
  from hwrt.inputs import json_line, read_bytes
  try: meta = json_line(read_bytes(p, "bundle"), p)
  except ValueError as e: raise BadInput(f"{p}: {str(e)[:200]}") from None
  if not isinstance(meta, dict) or not isinstance(meta.get("signature"), str) or not isinstance(meta.get("device"), str):
    raise BadInput(f"{p}: not a repro.json (no signature and device)")
  return meta

def build_c(d: str) -> str:
  """-> path of the built binary (in the bundle directory)"""
  out = os.path.join(os.path.abspath(d), "repro")
  if shutil.which("make") and os.path.exists(os.path.join(d, "Makefile")):
    r = subprocess.run(["make", "-s", "-C", d, "repro"], capture_output=True, text=True)
  else:
    cc = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if not cc: raise HwrtError("no C compiler (cc, gcc, clang) to build repro.c")
    r = subprocess.run([cc, "-O2", "-o", out, os.path.join(d, "repro.c")], capture_output=True, text=True)
  if r.returncode != 0 or not os.path.exists(out): raise HwrtError(f"building repro.c failed: {(r.stderr or r.stdout).strip()[-800:]}")
  return out

def _kmsg_host() -> str:
  from hwrt.ioctl.syscalls import HOST
  try: return HOST.read_kmsg()
  except Exception: return ""

def run_once(argv: list[str], meta: dict, device: str, timeout: float = 120.0, control: bool = False) -> dict:
  """control: run with none of the simulator settings (HWRT_SIM_*: the planted bug, the injected faults), neither the
  bundle's nor this process's; `reproduced` is then still what it would mean with them, so a control run should say False"""
  from hwrt.stress.logparse import parse_text
  sim = device.startswith("sim:")
  env = dict(os.environ)
  if control: env = {k: v for k, v in env.items() if not k.startswith("HWRT_SIM_")}
  else: env.update(meta.get("sim_env") or {})
  tmp = tempfile.mkdtemp(prefix="hwrt-repro-verify-") if sim else None
  if sim:
    env["HWRT_SIM_DIR"] = tmp
    argv = [sys.executable, "-m", "hwrt", "sim-run", "--device", device, "--"] + argv
  before = "" if sim else _kmsg_host()
  t0 = time.monotonic()
  try: p = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout, cwd=meta.get("_dir"))
  except subprocess.TimeoutExpired: return {"rc": None, "reproduced": False, "seconds": timeout, "signatures": [], "output": "timed out"}
  secs = time.monotonic() - t0
  if sim:
    kp = os.path.join(tmp, "kmsg"); kt = open(kp).read() if os.path.exists(kp) else ""
    shutil.rmtree(tmp, ignore_errors=True)
  else:
    after = _kmsg_host(); kt = after[len(before):] if after.startswith(before) else after
  sigs = sorted({e["signature"] for e in parse_text(kt) if e.get("severity", "error") == "error"})
  sig = meta["signature"]
  ok = p.returncode == meta.get("expected_exit", 1) and (sig in sigs if meta.get("signature_source") == "kernel-log" else True)
  return {"rc": p.returncode, "reproduced": ok, "seconds": round(secs, 3), "signatures": sigs, "output": (p.stdout + p.stderr)[-2000:]}

def verify(d: str, runs: int = 10, device: str | None = None, log=None, which=("repro.c", "repro.py"), jobs: int | None = None,
           control: bool = False) -> dict:
  """jobs: runs at once (each on its own simulated machine; default min(4, CPUs)); real devices run one at a time.
  control: sim devices only, run without the simulator settings (see run_once); the counts are then of the control runs."""
  meta = load_meta(d)
  meta["_dir"] = os.path.abspath(d)
  device = device or meta["device"]
  if control and not device.startswith("sim:"): raise BadInput("a control run (without the simulator settings) needs a sim:* device")
  out = {}
  for name in which:
    if name == "repro.c": argv = [build_c(d)]
    else:                                             # -S: no site-packages, so the repro cannot lean on an installed hwrt
      argv = [sys.executable if device.startswith("sim:") or not shutil.which("python3") else "python3", "-S", os.path.join(os.path.abspath(d), "repro.py")]
    n_jobs = max(1, min(jobs or min(4, os.cpu_count() or 1), runs)) if device.startswith("sim:") else 1
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(n_jobs) as ex: res = list(ex.map(lambda _: run_once(argv, meta, device, control=control), range(runs)))
    n = sum(r["reproduced"] for r in res)
    out[name] = {"runs": runs, "reproduced": n, "rate": n / runs if runs else 0.0, "results": res,
                 "mean_seconds": round(sum(r["seconds"] for r in res) / len(res), 3) if res else None}
    if log: log(f"{name}: {n}/{runs} {'control runs (no HWRT_SIM_* settings)' if control else 'runs'} reproduced `{meta['signature']}` on {device}")
  return out
