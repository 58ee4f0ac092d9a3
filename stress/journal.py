"""The stress journal: append-only JSON Lines, one os.write + fsync per record, so that whatever was acknowledged before the
machine died is on disk. Record types ("t"): start, event, progress, note, end, pstore, resume. A reader tolerates a torn
last line (the write that was in flight when the process or machine died) and reports it."""
from __future__ import annotations
import json, os, threading, time
from hwrt.errors import BadInput

VERSION = 1

class Journal:
  def __init__(self, path: str):
    self.path, self.lock = path, threading.Lock()
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    new = not os.path.exists(path)
    self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
    if os.fstat(self.fd).st_size and not _ends_with_newline(path): os.write(self.fd, b"\n")   # seal a torn tail before appending
    if new: _fsync_dir(d)

  def write(self, rec: dict) -> dict:
    rec = {"t": rec.get("t", "note"), "time": round(time.time(), 6), **{k: v for k, v in rec.items() if k != "t"}}
    data = (json.dumps(rec, separators=(",", ":"), default=str) + "\n").encode()
    with self.lock:
      if self.fd < 0: raise ValueError("journal closed")
      n = os.write(self.fd, data)
      while n < len(data): n += os.write(self.fd, data[n:])
      os.fsync(self.fd)
    return rec

  def close(self):
    with self.lock:
      if self.fd >= 0: os.close(self.fd); self.fd = -1

def _ends_with_newline(path: str) -> bool:
  with open(path, "rb") as f:
    f.seek(-1, os.SEEK_END); return f.read(1) == b"\n"

def _fsync_dir(d: str):
  try:
    fd = os.open(d, os.O_RDONLY)
    try: os.fsync(fd)
    finally: os.close(fd)
  except OSError: pass

# the fields a reader relies on, by record type: field -> accepted JSON types (a record whose field has another type is a bad line)
NUM, STR, OBJ, LIST, NONE = (int, float), (str,), (dict,), (list,), (type(None),)
SCHEMA = {"*": {"t": STR, "time": NUM},
          "start": {"config": OBJ + NONE, "system": OBJ + NONE, "version": NUM + NONE},
          "event": {"event": OBJ}, "progress": {"workers": OBJ}, "end": {"reason": STR + NONE, "harness_cpu": OBJ + NONE},
          "resume": {"pstore_records": NUM + NONE, "pstore_events": NUM + NONE}, "pstore": {"sha256": STR + NONE, "text": STR + NONE}}
SUB = {"event": {"signature": STR, "kind": STR, "severity": STR + NONE, "vendor": STR + NONE, "line": STR + NONE},
       "config": {"device": STR + NONE, "cmd": STR + NONE, "workload": STR + NONE, "procs": NUM + NONE, "seed": NUM + NONE,
                  "env": LIST + NONE, "deadline": NUM + NONE, "ops": NUM + NONE, "iterations": NUM + NONE, "duration": NUM + NONE},
       "harness_cpu": {"seconds": NUM, "wall": NUM, "percent_of_one_core": NUM}}


REQUIRED = {"event": ("event",), "progress": ("workers",)}

def valid(r) -> bool:
  """whether record r has the shape summarize/report/repro rely on (fields missing are fine where they are optional)"""
  if not isinstance(r, dict) or not isinstance(r.get("t"), str) or isinstance(r.get("time"), bool): return False
  if "time" not in r or any(k not in r for k in REQUIRED.get(r["t"], ())): return False
  for k, ty in {**SCHEMA["*"], **SCHEMA.get(r["t"], {})}.items():
    if k in r and not isinstance(r[k], ty): return False
  for k, fields in SUB.items():
    v = r.get(k)
    if isinstance(v, dict) and any((f in v or k == "event" and f in ("signature", "kind") or k == "harness_cpu") and not isinstance(v.get(f), ty)
                                   for f, ty in fields.items()): return False
  if r["t"] == "progress" and not all(isinstance(st, dict) and all(isinstance(st.get(k, 0), (int, float)) for k in ("done", "restarts"))
                                      for st in r["workers"].values()): return False
  if r["t"] == "event" and "worker" in r["event"] and not isinstance(r["event"]["worker"], (int, str, type(None))): return False
  return True

def read(path: str) -> tuple[list[dict], dict]:
  """-> (records, damage {torn_tail: bytes of an unterminated last line, bad_lines: [line numbers that are not JSON records of
  the journal's shape]}). Through the input layer: a regular file within the size limit."""
  from hwrt.inputs import json_line, read_bytes
  if not os.path.exists(path): raise BadInput(f"no journal at {path}")
  data = read_bytes(path, "journal")
  lines = data.split(b"\n")
  tail = lines.pop()                                   # "" when the file ends with a newline
  recs, bad = [], []
  for i, ln in enumerate(lines, 1):
    if not ln.strip(): continue
    try:
      r = json_line(ln, f"{path}:{i}")
      if not valid(r): raise ValueError
      recs.append(r)
    except ValueError: bad.append(i)
  if not recs and (bad or tail): raise BadInput(f"{path} is not a stress journal (no JSON records of its shape)")
  if recs and not any(r["t"] == "start" for r in recs) and len(bad) > len(recs):
    raise BadInput(f"{path} is not a stress journal ({len(bad)} of {len(bad) + len(recs)} lines are not journal records)")
  return recs, {"torn_tail": len(tail), "bad_lines": bad}

def summarize(recs: list[dict], damage: dict | None = None) -> dict:
  """Everything `report` prints, from the records alone."""
  start = next((r for r in recs if r["t"] == "start"), None)
  end = next((r for r in reversed(recs) if r["t"] == "end"), None)
  workers: dict[str, dict] = {}
  for r in recs:
    if r["t"] == "progress":
      for w, st in r.get("workers", {}).items():
        workers[w] = {**workers.get(w, {}), **st}
  sigs: dict[str, dict] = {}
  for r in recs:
    if r["t"] != "event": continue
    e = r["event"]
    s = sigs.setdefault(e["signature"], {"signature": e["signature"], "kind": e["kind"], "vendor": e.get("vendor"), "severity": e.get("severity", "error"),
                                          "count": 0, "first": r["time"], "last": r["time"], "workers": [], "sources": [], "example": e.get("line")})
    s["count"] += 1; s["last"] = r["time"]
    if (w := e.get("worker")) is not None and w not in s["workers"]: s["workers"].append(w)
    if (src := e.get("source")) and src not in s["sources"]: s["sources"].append(src)
  failures = [s for s in sigs.values() if s["severity"] == "error"]
  t0 = start["time"] if start else (recs[0]["time"] if recs else 0)
  t1 = end["time"] if end else (recs[-1]["time"] if recs else 0)
  return {"journal_version": start.get("version") if start else None, "config": start.get("config") if start else None,
          "system": start.get("system") if start else None, "started": t0, "ended": end is not None,
          "end": end, "duration": round(t1 - t0, 3), "workers": workers, "signatures": sorted(sigs.values(), key=lambda s: s["first"]),
          "failures": len(failures), "events": sum(s["count"] for s in sigs.values()), "resumed": [r for r in recs if r["t"] == "resume"],
          "damage": damage or {"torn_tail": 0, "bad_lines": []}, "records": len(recs)}

def format_summary(s: dict) -> str:
  out = []
  cfg = s["config"] or {}
  what = cfg.get("cmd") or cfg.get("workload") or "?"
  out.append(f"stress journal: {what!r} on {cfg.get('device') or 'host'}, {cfg.get('procs', '?')} workers, seed {cfg.get('seed')}")
  if s["end"]: out.append(f"ran {s['duration']:.1f} s, ended: {s['end'].get('reason', '?')}")
  else: out.append(f"ran at least {s['duration']:.1f} s and has NO end record: the run was killed or the machine died")
  if s["end"] and (cpu := s["end"].get("harness_cpu")):
    out.append(f"harness CPU: {cpu['seconds']:.2f} s over {cpu['wall']:.1f} s wall ({cpu['percent_of_one_core']:.1f}% of one core)")
  d = s["damage"]
  if d["torn_tail"] or d["bad_lines"]:
    out.append(f"journal damage: torn last line of {d['torn_tail']} bytes (the write in flight when it stopped), bad lines {d['bad_lines']}")
  for w, st in sorted(s["workers"].items(), key=lambda x: int(x[0]) if x[0].isdigit() else 0):
    out.append(f"  worker {w}: last iteration finished {st.get('done', 0) - 1 if st.get('done') else 'none'}, "
               f"{st.get('done', 0)} done, {st.get('restarts', 0)} restarts")
  if not s["signatures"]: out.append("no failures found")
  for g in s["signatures"]:
    ws = f" workers {','.join(map(str, g['workers']))}" if g["workers"] else ""
    src = f" [{','.join(g['sources'])}]" if g["sources"] else ""
    out.append(f"  {g['severity']:<5} x{g['count']:<4} {g['kind']:<12} {g['signature']}{ws}{src}")
  for r in s["resumed"]:
    out.append(f"resumed at {time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(r['time']))}: {r.get('pstore_records', 0)} pstore records, "
               f"{r.get('pstore_events', 0)} events")
  out.append(f"{s['failures']} failure signature(s), {s['events']} event(s)")
  return "\n".join(out)
