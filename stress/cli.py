"""`hwrt stress` -- run / parse / report / resume. Exit status: 0 nothing found, 1 failures found, 2 bad input.

  hwrt stress run (--cmd CMD | --workload NAME) [--procs N] [--duration SECONDS | --iterations N] [--deadline SECONDS]
                  [--device DEV] [--seed S] [--journal PATH] [--env K=V ...] [--ops N]
  hwrt stress parse LOGFILE [--json]          (a kernel log, dmesg or journalctl -k text; - for stdin)
  hwrt stress report JOURNAL [--json]
  hwrt stress resume JOURNAL [--pstore DIR_OR_FILE]"""
from __future__ import annotations
import argparse, hashlib, json, os, random, sys, time, zlib
from hwrt.args import opt
from hwrt.errors import BadArgument, BadInput
from hwrt.inputs import check_output, read_bytes, regular_file
from hwrt.stress import journal as J
from hwrt.stress.logparse import parse_text
from hwrt.stress.workloads import WORKLOADS

def add_args(p: argparse.ArgumentParser):
  p.set_defaults(stress_cmd=None)
  sub = p.add_subparsers(dest="stress_cmd", metavar="{run,parse,report,resume}")
  r = sub.add_parser("run", help="run workers in loops, watching the kernel; journal everything")
  what = r.add_mutually_exclusive_group(required=True)
  what.add_argument("--cmd", help="any shell command, run in a loop by every worker")
  what.add_argument("--workload", choices=list(WORKLOADS), metavar="NAME", help="a built-in workload on an hwrt device (--device): " +
                    "; ".join(f"{k}: {v}" for k, v in WORKLOADS.items()))
  r.add_argument("--procs", type=opt("procs"), metavar="N", default=min(4, os.cpu_count() or 1), help="worker processes (default: min(4, CPUs))")
  how = r.add_mutually_exclusive_group()
  how.add_argument("--duration", type=opt("duration"), metavar="SECONDS", help="stop after this many seconds (default: run until Ctrl-C)")
  how.add_argument("--iterations", type=opt("iterations"), metavar="N", help="iterations per worker")
  r.add_argument("--deadline", type=opt("deadline"), default=60.0, metavar="SECONDS", help="per-iteration deadline in seconds; a worker over it is a hang (default 60)")
  r.add_argument("--device", metavar="DEV", help="hwrt device (nv:N, sim:nv, ...); built-in workloads need one; sim:* also watches the simulated machine's kernel log. A built-in op is given a driver timeout of half the deadline")
  r.add_argument("--seed", type=opt("seed"), metavar="S", help="seed for the built-in workloads' schedules (default: random, recorded in the journal)")
  r.add_argument("--journal", metavar="PATH", help="journal path (default: ./hwrt-stress-<time>.jsonl)")
  r.add_argument("--env", action="append", default=[], metavar="K=V", help="extra environment for the workers (e.g. HWRT_SIM_FAULTS=hang@launch=5)")
  r.add_argument("--ops", type=opt("ops"), default=16, metavar="N", help="operations per iteration of a built-in workload (default 16)")
  r.add_argument("--kmsg-file", help=argparse.SUPPRESS)        # read the kernel log from this file instead (tests, replays)
  r.add_argument("--no-kmsg", action="store_true", help=argparse.SUPPRESS)
  r.add_argument("--plain", action="store_true", help="plain line output even on a terminal")
  q = sub.add_parser("parse", help="kernel log text to typed events (JSON Lines with --json)")
  q.add_argument("logfile"); q.add_argument("--json", action="store_true")
  s = sub.add_parser("report", help="print a journal's summary again")
  s.add_argument("journal"); s.add_argument("--json", action="store_true")
  u = sub.add_parser("resume", help="after a reboot: pull the panic log from pstore into the journal; report where each worker was")
  u.add_argument("journal"); u.add_argument("--pstore", metavar="DIR", help="pstore directory or a saved panic-log file (default: /sys/fs/pstore, or the simulated machine's)")
  u.add_argument("--json", action="store_true")

def run(args) -> int:
  cmd = getattr(args, "stress_cmd", None)
  if cmd is None: raise BadArgument("hwrt stress needs a subcommand: run, parse, report or resume")
  return {"run": cmd_run, "parse": cmd_parse, "report": cmd_report, "resume": cmd_resume}[cmd](args)

def cmd_run(args) -> int:
  from hwrt.stress.runner import Runner
  from hwrt.stress.live import make_view
  if args.procs < 1: raise BadArgument("--procs must be at least 1")
  if args.deadline <= 0: raise BadArgument("--deadline must be positive")
  if args.duration is not None and args.duration <= 0: raise BadArgument("--duration must be positive")
  if args.iterations is not None and args.iterations < 1: raise BadArgument("--iterations must be at least 1")
  if args.cmd is not None and not args.cmd.strip(): raise BadArgument("--cmd is empty: give the command each worker runs")
  if args.device is not None and not args.device.strip(): raise BadArgument("--device is empty: give nv:N or sim:nv (see hwrt devices)")
  if args.procs > (os.cpu_count() or 1) * 64:
    raise BadArgument(f"--procs {args.procs}: at most {(os.cpu_count() or 1) * 64} workers on {os.cpu_count()} CPUs")
  for kv in args.env:
    if "=" not in kv or not kv.split("=", 1)[0]: raise BadArgument(f"--env wants K=V, got {kv!r}")
  if args.workload:
    if not args.device: raise BadArgument("built-in workloads need --device (e.g. --device sim:nv, or a GPU listed by `hwrt devices`)")
    _probe_device(args.device, args.env)
  seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 31)
  jpath = args.journal or f"hwrt-stress-{time.strftime('%Y%m%d-%H%M%S')}.jsonl"
  if os.path.exists(jpath) and os.path.getsize(jpath): raise BadArgument(f"journal {jpath} already exists; pick another --journal")
  check_output(jpath, "journal")
  if args.kmsg_file: regular_file(args.kmsg_file, "log")
  # the workers' fault-injection environment, whether given with --env or inherited, is part of what makes a run reproducible
  given = {kv.split("=", 1)[0] for kv in args.env}
  env = args.env + [f"{k}={os.environ[k]}" for k in ("HWRT_SIM_FAULTS", "HWRT_SIM_SEED", "HWRT_SIM_BUGS") if k in os.environ and k not in given]
  cfg = {"cmd": args.cmd, "workload": args.workload, "procs": args.procs, "duration": args.duration, "iterations": args.iterations,
         "deadline": args.deadline, "device": args.device, "seed": seed, "journal": os.path.abspath(jpath), "env": env, "ops": args.ops,
         "kmsg_file": args.kmsg_file, "no_kmsg": args.no_kmsg, "argv": sys.argv, "op_timeout": args.deadline / 2,
         "environment": {k: v for k, v in os.environ.items() if k.startswith(("HWRT_", "HSA_", "HIP_", "CUDA_", "ROCR_", "AMD_", "NVIDIA_", "__GL", "__NV"))}}
  wenv = dict(kv.split("=", 1) for kv in env)
  if any(k in wenv for k in ("HWRT_SIM_FAULTS", "HWRT_SIM_SEED", "HWRT_SIM_BUGS")):   # the workers' simulator settings: bad ones are bad input
    from hwrt.sim.faults import FaultPlan
    FaultPlan.from_env(wenv)
  view = make_view(force_plain=args.plain)
  r = Runner(cfg, live=view)
  rc = r.run()
  recs, dmg = J.read(jpath)
  print(J.format_summary(J.summarize(recs, dmg)))
  print(f"journal: {jpath}")
  return rc

def _probe_device(spec: str, env: list[str]):
  """Open and close the device once in the harness, so a bad --device is exit 2 before any worker starts."""
  from hwrt.stress.workloads import open_device
  from hwrt.errors import HwrtError
  saved = dict(os.environ)
  os.environ.update(dict(kv.split("=", 1) for kv in env))
  os.environ.pop("HWRT_SIM_FAULTS", None)                # faults are for the workers, not for the probe
  try: open_device(spec).close()
  except BadInput: raise
  except HwrtError: raise
  except (ImportError, ValueError, KeyError) as e: raise BadArgument(f"cannot open device {spec!r}: {e}")
  finally: os.environ.clear(); os.environ.update(saved)

KEY_FIELDS = ("xid", "pci", "ring", "engine", "ecode", "address", "vmid", "pasid", "process", "pid", "channel", "function", "module", "phase")

def cmd_parse(args) -> int:
  evs = parse_text(_log_text(args.logfile), source=os.path.basename(args.logfile))
  for e in evs:
    if args.json: print(json.dumps(e, default=str))
    else:
      fields = " ".join(f"{k}={e[k]}" for k in KEY_FIELDS if e.get(k) is not None)
      print(f"{e['severity']:<5} {e['kind']:<12} {e['signature']}" + (f"  [{fields}]" if fields else ""))
  if not args.json: print(f"{len(evs)} event(s), {len({e['signature'] for e in evs})} signature(s)", file=sys.stderr)
  return 1 if any(e["severity"] == "error" for e in evs) else 0

def _log_text(path: str) -> str:
  """A kernel log: a regular file (or - for stdin) within the size limit; bytes that are not UTF-8 are replaced (logs mix
  encodings), NUL bytes dropped."""
  return read_bytes(path, "log", stdin_ok=True).decode("utf-8", "replace").replace("\0", "")

def cmd_report(args) -> int:
  recs, dmg = J.read(args.journal)
  s = J.summarize(recs, dmg)
  print(json.dumps(s, default=str) if args.json else J.format_summary(s))
  return 1 if s["failures"] else 0

def pstore_files(where: str) -> list[str]:
  if os.path.exists(where) and not os.path.isdir(where): regular_file(where, "pstore"); return [where]
  if not os.path.isdir(where): raise BadInput(f"no pstore at {where} (is pstore mounted? mount -t pstore pstore /sys/fs/pstore)")
  fs = [os.path.join(where, f) for f in os.listdir(where) if f.startswith("dmesg-") and os.path.isfile(os.path.join(where, f))]
  return sorted(fs, key=lambda f: (os.path.getmtime(f), f))

def _pstore_text(path: str) -> str:
  data = read_bytes(path, "pstore")
  if path.endswith(".z") or path.endswith(".enc.z"):
    try:
      d = zlib.decompressobj(); data = d.decompress(data, 64 << 20)     # a compressed record is small; a zip bomb is cut off
    except zlib.error: pass
  return data.decode("utf-8", "replace")

def cmd_resume(args) -> int:
  recs, dmg = J.read(args.journal)
  start = next((r for r in recs if r["t"] == "start"), {})
  dev = (start.get("config") or {}).get("device") or ""
  where = args.pstore
  if not where:
    if dev.startswith("sim:"):
      from hwrt.stress.runner import sim_paths
      where = sim_paths((start.get("config") or {}).get("env"))[1]
    else: where = "/sys/fs/pstore"
  seen = {r.get("sha256") for r in recs if r["t"] == "pstore"}
  j = J.Journal(args.journal)
  n_rec = n_ev = 0
  try:
    for f in pstore_files(where):
      text = _pstore_text(f)
      h = hashlib.sha256(text.encode()).hexdigest()
      if h in seen: continue
      header = text.splitlines()[0] if text else ""
      j.write({"t": "pstore", "file": f, "sha256": h, "header": header, "bytes": len(text), "text": text[-262144:]})
      n_rec += 1
      for e in parse_text(text, source="pstore"):
        e["pstore_file"] = f
        j.write({"t": "event", "event": e}); n_ev += 1
    s = J.summarize(J.read(args.journal)[0])
    last = {w: (st.get("done", 0) - 1 if st.get("done") else None) for w, st in s["workers"].items()}
    j.write({"t": "resume", "pstore": where, "pstore_records": n_rec, "pstore_events": n_ev, "last_iteration_finished": last})
  finally: j.close()
  recs, dmg = J.read(args.journal)
  s = J.summarize(recs, dmg)
  if args.json: print(json.dumps(s, default=str))
  else:
    print(f"resume: {n_rec} new pstore record(s) from {where}, {n_ev} event(s) journalled")
    for w, v in sorted(last.items(), key=lambda x: int(x[0]) if x[0].isdigit() else 0):
      print(f"  worker {w}: last iteration finished: {v if v is not None else 'none'}")
    print(J.format_summary(s))
  return 1 if s["failures"] else 0
