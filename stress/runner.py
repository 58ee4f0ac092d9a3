"""`hwrt stress run`: N worker processes loop a command or a built-in workload; the runner watches them (progress and hangs
through shared status slots, deaths through their exit status) and the machine (watchers.py), journals everything, and shows it
live. Stop: --duration / --iterations reached, Ctrl-C or SIGTERM, or a kernel panic seen in the log."""
from __future__ import annotations
import glob, json, os, platform, resource, signal, subprocess, sys, threading, time
from hwrt.stress import journal as J
from hwrt.stress.watchers import Watchers, KmsgSource, FileSource, device_nodes, gpu_pci_functions, GPU_VENDORS
from hwrt.stress.worker import Status
from hwrt.errors import PermissionDenied
from hwrt.helpers import Deadline

def _read(path: str, limit: int = 4096) -> str | None:
  try:
    with open(path, errors="replace") as f: return f.read(limit).strip()
  except OSError: return None

def system_info(device: str | None) -> dict:
  """Kernel, driver versions, GPUs and firmware where readable (start record)."""
  drivers = {m: v for m in ("nvidia", "nvidia_uvm", "amdgpu", "i915", "xe") if (v := _read(f"/sys/module/{m}/version")) or os.path.isdir(f"/sys/module/{m}")}
  drivers = {m: (v or "loaded") for m, v in drivers.items()}
  if (nv := _read("/proc/driver/nvidia/version")): drivers["nvidia_proc"] = nv.splitlines()[0]
  gpus = []
  for d in gpu_pci_functions():
    g = {"pci": os.path.basename(d), "vendor": GPU_VENDORS.get(_read(f"{d}/vendor"), "?"), "device": _read(f"{d}/device"),
         "driver": os.path.basename(os.path.realpath(f"{d}/driver")) if os.path.exists(f"{d}/driver") else None}
    fw = {os.path.basename(f): _read(f) for f in glob.glob(f"{d}/fw_version/*")}          # amdgpu
    if (v := _read(f"{d}/vbios_version")): fw["vbios"] = v
    for info in glob.glob(f"/proc/driver/nvidia/gpus/{g['pci']}/information"):            # nvidia: Model, VBIOS, GSP firmware
      fw.update({k.strip(): v.strip() for k, _, v in (l.partition(":") for l in (_read(info) or "").splitlines()) if v and
                 any(x in k for x in ("Model", "VBIOS", "Firmware", "GPU UUID"))})
    if fw: g["firmware"] = fw
    gpus.append(g)
  return {"kernel": platform.release(), "kernel_version": platform.version(), "machine": platform.machine(), "hostname": platform.node(),
          "cmdline": _read("/proc/cmdline"), "python": platform.python_version(), "hwrt": _hwrt_version(), "drivers": drivers, "gpus": gpus,
          "taint": _read("/proc/sys/kernel/tainted"), "device_nodes": device_nodes(), "device": device}

def _hwrt_version():
  import hwrt; return hwrt.__version__

def sim_paths(env: list[str] | None = None):
  """The simulated machine's kmsg file and pstore directory, as the workers (with --env applied) will see them."""
  from hwrt.sim import kmsg
  extra = dict(kv.split("=", 1) for kv in env or [])
  saved = os.environ.get("HWRT_SIM_DIR")
  if "HWRT_SIM_DIR" in extra: os.environ["HWRT_SIM_DIR"] = extra["HWRT_SIM_DIR"]
  try: return kmsg.kmsg_path(), kmsg.pstore_dir()
  finally:
    if "HWRT_SIM_DIR" in extra:
      if saved is None: os.environ.pop("HWRT_SIM_DIR", None)
      else: os.environ["HWRT_SIM_DIR"] = saved

def log_source(cfg: dict, note):
  """The kernel-log source: --kmsg-file / $HWRT_STRESS_KMSG_FILE, the simulated machine's kmsg on sim devices, else /dev/kmsg."""
  path = cfg.get("kmsg_file") or os.environ.get("HWRT_STRESS_KMSG_FILE")
  if cfg.get("no_kmsg"): return None
  if path: return FileSource(path)
  if (cfg.get("device") or "").startswith("sim:"):
    src = FileSource(sim_paths(cfg.get("env"))[0]); src.name = "sim-kmsg"; return src
  try: return KmsgSource()
  except PermissionDenied as e: note(e.args[0]); return None
  except OSError as e: note(f"cannot read /dev/kmsg ({e}); running without the kernel-log watcher"); return None

def proc_state(pid: int) -> dict:
  """A process's scheduler state, wait channel and kernel stack (/proc/PID/stack needs root), for its own threads and children."""
  out = {}
  for tid_dir in glob.glob(f"/proc/{pid}/task/*")[:8] + [f"/proc/{c}" for c in _children(pid)][:8]:
    stat = _read(f"{tid_dir}/stat") or ""
    st = stat.rsplit(")", 1)[-1].split()[:1]
    out.setdefault("tasks", []).append({"task": tid_dir.rsplit("/", 1)[-1], "state": st[0] if st else None, "wchan": _read(f"{tid_dir}/wchan"),
                                        "kernel_stack": _read(f"{tid_dir}/stack", 8192)})
  return out

def _children(pid: int) -> list[int]:
  kids = []
  for t in glob.glob(f"/proc/{pid}/task/*/children"):
    kids += [int(x) for x in (_read(t) or "").split()]
  return kids + [g for k in kids for g in _children(k)][:16]

class Runner:
  def __init__(self, cfg: dict, live=None, out=sys.stderr):
    self.cfg, self.live, self.out = cfg, live, out
    self.jpath = cfg["journal"]
    self.rundir = self.jpath + ".d"
    os.makedirs(self.rundir, exist_ok=True)
    self.j = J.Journal(self.jpath)
    self.n = cfg["procs"]
    self.status = Status(os.path.join(self.rundir, "status"), self.n)
    for i in range(self.n): self.status.set(i, 0, -1, 0.0)
    self.procs: list[subprocess.Popen | None] = [None] * self.n
    self.start_at = [0] * self.n
    self.restarts, self.finished, self.fails_no_progress = [0] * self.n, [False] * self.n, [0] * self.n
    self.sigs: dict[str, dict] = {}
    self.stop_reason, self.failures = None, 0
    self.lock = threading.Lock()
    self.pids: dict[int, tuple[int, int]] = {}           # pid -> (worker, iteration) seen running
    self.readers: list[threading.Thread] = []

  def note(self, msg: str):
    self.j.write({"t": "note", "note": msg})
    if self.live: self.live.message(msg)
    else: print(f"hwrt stress: {msg}", file=self.out)

  def event(self, ev: dict, worker: int | None = None):
    if worker is not None: ev["worker"] = worker
    elif ev.get("pid") and (w := self.pids.get(ev["pid"]) or self._slot_of(ev["pid"])) is not None:
      ev["worker"], ev["iteration"], ev["attributed_by_pid"] = w[0], w[1], True
    with self.lock:
      if self.j.fd < 0: return                            # a late line from a reader thread after the end record
      self.j.write({"t": "event", "event": ev})
      s = self.sigs.setdefault(ev["signature"], {"signature": ev["signature"], "kind": ev["kind"], "severity": ev.get("severity", "error"), "count": 0,
                                                  "workers": set(), "first": time.monotonic(), "line": ev.get("line")})
      s["count"] += 1
      if ev.get("worker") is not None: s["workers"].add(ev["worker"])
      if ev.get("severity", "error") == "error": self.failures += 1
    if self.live: self.live.event(ev, s)
    if ev["kind"] == "panic" and not self.stop_reason: self.stop_reason = "kernel panic"

  def _slot_of(self, pid: int):
    for i in range(self.n):
      done, cur, _, _, _, child = self.status.get(i)
      p = self.procs[i]
      if pid == child or (p and pid == p.pid): return i, cur if cur >= 0 else done - 1
    return None

  def spawn(self, i: int):
    c = self.cfg
    spec = {"index": i, "parent": os.getpid(), "nslots": self.n, "status": self.status_path, "start": self.start_at[i], "iterations": c.get("iterations"),
            "deadline": c["deadline"], "cmd": c.get("cmd"), "workload": c.get("workload"), "device": c.get("device"), "seed": c["seed"],
            "ops": c.get("ops", 16), "op_timeout": c.get("op_timeout") or c["deadline"] / 2, "out": os.path.join(self.rundir, f"w{i}.out")}
    env = {**os.environ, **dict(kv.split("=", 1) for kv in c.get("env", [])), "HWRT_STRESS_WORKER": str(i)}
    self.status.set(i, self.start_at[i], -1, 0.0)
    with open(os.path.join(self.rundir, f"w{i}.err"), "ab") as err:
      self.procs[i] = subprocess.Popen([sys.executable, "-m", "hwrt.stress.worker", json.dumps(spec)], stdout=subprocess.PIPE,
                                       stderr=err, stdin=subprocess.DEVNULL, start_new_session=True, env=env)
    t = threading.Thread(target=self._reader, args=(i, self.procs[i]), daemon=True)
    t.start(); self.readers.append(t)

  @property
  def status_path(self): return os.path.join(self.rundir, "status")

  def _reader(self, i, p):
    for line in p.stdout:
      try: msg = json.loads(line)
      except ValueError: continue
      if "event" in msg: self.event(msg["event"], i)

  def kill(self, i: int, sig=signal.SIGKILL):
    p = self.procs[i]
    if p and p.poll() is None:
      try: os.killpg(p.pid, sig)
      except ProcessLookupError: pass

  def progress(self) -> dict:
    out = {}
    for i in range(self.n):
      done, cur, t0, op, cpu, child = self.status.get(i)
      p = self.procs[i]
      out[str(i)] = {"done": done, "current": cur if cur >= 0 else None, "op": op if op >= 0 else None, "restarts": self.restarts[i],
                     "pid": p.pid if p else None, "finished": self.finished[i]}
    return out

  def run(self) -> int:
    c, t_start = self.cfg, time.monotonic()
    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    self.j.write({"t": "start", "version": J.VERSION, "config": c, "system": system_info(c.get("device")), "pid": os.getpid()})
    src = log_source(c, self.note)
    w = Watchers(src, nodes=None if not (c.get("device") or "").startswith(("sim:", "py:")) else [])
    interrupted = []
    old = {s: signal.signal(s, lambda *_: interrupted.append(1)) for s in (signal.SIGINT, signal.SIGTERM)}
    for i in range(self.n): self.spawn(i)
    if self.live: self.live.start(self)
    last_prog, last_snapshot = 0.0, None
    try:
      while True:
        now = time.monotonic()
        if interrupted: self.stop_reason = self.stop_reason or "interrupted"
        if c.get("duration") is not None and now - t_start >= c["duration"]: self.stop_reason = self.stop_reason or "duration reached"
        if all(self.finished): self.stop_reason = self.stop_reason or "iterations done"
        if self.stop_reason: break
        for i in range(self.n): self._check(i, now)
        for ev in w.poll(): self.event(ev)
        snap = json.dumps(self.progress())
        if snap != last_snapshot and now - last_prog >= c.get("progress_interval", 0.25):
          self.j.write({"t": "progress", "elapsed": round(now - t_start, 3), "workers": json.loads(snap)}); last_prog, last_snapshot = now, snap
        if self.live: self.live.update(self, now - t_start)
        time.sleep(0.1)
    finally:
      for i in range(self.n): self.kill(i, signal.SIGTERM)
      t_kill = time.monotonic()
      while any(p and p.poll() is None for p in self.procs) and time.monotonic() - t_kill < 2: time.sleep(0.02)
      for i in range(self.n): self.kill(i, signal.SIGKILL)
      dl = Deadline(5.0)
      for i, p in enumerate(self.procs):
        if not p: continue
        try: p.wait(timeout=dl.remaining())
        except subprocess.TimeoutExpired:                  # stuck in the kernel (D state): SIGKILL cannot take it; say so, don't wait
          self.event({"kind": "hang", "vendor": None, "severity": "error", "signature": "worker unkillable (stuck in the kernel)",
                      **proc_state(p.pid), "line": f"worker {i} (pid {p.pid}) did not die 5 s after SIGKILL"}, i)
      dl = Deadline(2.0)
      for t in self.readers: t.join(dl.remaining())       # the dead workers' last events
      for ev in w.poll(force_flush=True): self.event(ev)
      for s, h in old.items(): signal.signal(s, h)
      wall = time.monotonic() - t_start
      ru1 = resource.getrusage(resource.RUSAGE_SELF)
      own = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
      wcpu = sum(self.status.get(i)[4] for i in range(self.n)) if c.get("cmd") else 0.0
      cpu = {"seconds": round(own + wcpu, 3), "runner_seconds": round(own, 3), "worker_bookkeeping_seconds": round(wcpu, 3),
             "wall": round(wall, 3), "percent_of_one_core": round(100 * (own + wcpu) / max(wall, 1e-9), 2)}
      prog = self.progress()
      self.j.write({"t": "progress", "elapsed": round(wall, 3), "workers": prog})
      self.j.write({"t": "end", "reason": self.stop_reason or "error", "failures": self.failures, "harness_cpu": cpu,
                    "iterations": sum(p["done"] for p in prog.values()),
                    "signatures": {k: v["count"] for k, v in self.sigs.items()}})
      self.cpu = cpu
      if self.live: self.live.stop(self, wall)
      if src: src.close()
      self.j.close(); self.status.close()
    return 1 if self.failures else 0

  def _check(self, i: int, now: float):
    p = self.procs[i]
    if p is None or self.finished[i]: return
    done, cur, t0, op, _, child = self.status.get(i)
    if cur >= 0:                                          # remember who ran what, to attribute kernel-log lines by pid
      self.pids[p.pid] = (i, cur)
      if child: self.pids[child] = (i, cur)
      while len(self.pids) > 4096: self.pids.pop(next(iter(self.pids)))
    rc = p.poll()
    if rc is not None:
      if rc == 0: self.finished[i] = True; return
      if rc != -signal.SIGKILL or not getattr(p, "_hwrt_hang", False):
        name = signal.Signals(-rc).name if rc < 0 and -rc in signal.Signals._value2member_map_ else None
        err = open(os.path.join(self.rundir, f"w{i}.err"), errors="replace").read()[-2000:]
        self.event({"kind": "crash", "vendor": None, "severity": "error", "returncode": rc, "signal": name, "iteration": cur if cur >= 0 else done,
                    "signature": f"worker killed by {name}" if name else f"worker exited with status {rc}", "stderr_tail": err,
                    "line": f"worker {i} died: {name or rc} in iteration {cur if cur >= 0 else done}"}, i)
      hung = getattr(p, "_hwrt_hang", False)
      self.fails_no_progress[i] = self.fails_no_progress[i] + 1 if (not hung and cur < 0 and done == self.start_at[i]) else 0
      if self.fails_no_progress[i] >= 3:
        self.finished[i] = True; self.note(f"worker {i} failed 3 times without finishing an iteration; not restarting it"); return
      self.start_at[i] = (cur + 1) if cur >= 0 else done
      self.restarts[i] += 1
      if c_it := self.cfg.get("iterations"):
        if self.start_at[i] >= c_it: self.finished[i] = True; self.status.set(i, self.start_at[i], -1, 0.0); return
      self.spawn(i)
      return
    if cur >= 0 and t0 > 0 and now - t0 > self.cfg["deadline"] and not getattr(p, "_hwrt_hang", False):
      ev = {"kind": "hang", "vendor": None, "severity": "error", "iteration": cur, "seconds": round(now - t0, 3), "deadline": self.cfg["deadline"],
            "line": f"worker {i} iteration {cur} still running after {now - t0:.1f} s (deadline {self.cfg['deadline']} s)"}
      if self.cfg.get("workload"):
        from hwrt.stress.workloads import make_schedule
        sched = make_schedule(self.cfg["workload"], self.cfg["seed"], i, cur, self.cfg.get("ops", 16))
        ev.update(op_index=op, op=sched[op] if 0 <= op < len(sched) else None, schedule=sched)
        ev["signature"] = f"hang in {sched[op][0]}" if 0 <= op < len(sched) else "hang: iteration over its deadline"
      else: ev["signature"] = "hang: iteration over its deadline"
      ev.update(proc_state(p.pid))                          # where it is stuck: state, wchan, kernel stack (root)
      self.event(ev, i)
      p._hwrt_hang = True
      self.kill(i)
