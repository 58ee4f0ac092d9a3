"""The shim's raw trace records -> decoded JSON Lines, and the readable listing / summary of a JSON Lines trace.

Raw files: <dir>/trace.<pid>.bin (the shim maps it shared and appends without system calls): a 64-byte header (struct
trace_hdr: magic, end of the records, file size, records dropped), then records, each a header (struct rec in shim.c) followed
by blobs (struct blob + data padded to 8 bytes). JSON Lines record (one per call, sorted by time):
  t          wall-clock time of the call's start (seconds since the epoch, float)
  pid tid    process and thread that made it; `process` records carry ppid and exe (one per process and exec)
  call       open close ioctl mmap munmap dup process
  fd path    the file descriptor and the device node it was opened from
  request name struct   ioctl number (hex), its name and argument type from hwrt.ioctl.decode ('_IOWR(...)' when unknown)
  before after          the argument decoded before and after the call ({} when it has none); raw hex when undecodable
  symbols    symbolic names of id fields (RM class, control command, status)
  nested     {pointer field: {addr, struct, size, before, after}} for the parameter blocks the argument points to
  ret errno  return value and errno name (null on success); dur_us: the call's duration in microseconds
  open: flags; mmap: addr length prot flags offset; munmap: addr length (mapping: the mapping it hits); dup: newfd"""
from __future__ import annotations
import errno as errno_mod, functools, glob, json, os, struct
from datetime import datetime
from hwrt.ioctl.decode import decode, decode_struct, format_decoded, _fmt
from hwrt.sim.bridge import nest_rows, built_nest_rows, DRIVERS

REC = struct.Struct("<IHHiiiiqQQ4QII")
BLOB = struct.Struct("<HHIQ")
CALLS = {1: "open", 2: "close", 3: "ioctl", 4: "mmap", 5: "munmap", 6: "process", 7: "dup"}
KINDS = {0: None, 1: "nv", 2: "uvm", 3: "kfd", 4: "drm"}
B_PATH, B_BEFORE, B_AFTER, B_NEST_BEFORE, B_NEST_AFTER, B_EXE = 1, 2, 3, 4, 5, 6

HDR = struct.Struct("<4Q")              # magic, next free offset, file size, dropped records (struct trace_hdr in shim.c)
MAGIC, HDR_SIZE = 0x3143525454525748, 64

def read_raw(path: str) -> list[dict]:
  """the records of one per-process trace file; a record whose writer died mid-copy ends it"""
  data = open(path, "rb").read()
  if len(data) < HDR_SIZE: return []
  magic, end, _, dropped = HDR.unpack_from(data, 0)
  if magic != MAGIC: return []
  out, pos, end = [], HDR_SIZE, min(end, len(data))
  while pos + REC.size <= end:
    ln, call, nblob, pid, tid, fd, err, ret, t_wall, dur, a0, a1, a2, a3, kind, driver = REC.unpack_from(data, pos)
    if ln < REC.size or pos + ln > end: break                  # a record cut short (its writer was killed mid-copy)
    r = {"call": CALLS.get(call, str(call)), "pid": pid, "tid": tid, "fd": fd, "err": err, "ret": ret, "t_wall": t_wall,
         "dur": dur, "a": [a0, a1, a2, a3], "kind": KINDS.get(kind), "driver": DRIVERS[driver] if driver < len(DRIVERS) else None,
         "blobs": []}
    p = pos + REC.size
    for _ in range(nblob):
      tag, idx, blen, addr = BLOB.unpack_from(data, p)
      p += BLOB.size
      r["blobs"].append((tag, idx, addr, data[p:p + blen]))
      p += (blen + 7) & ~7
    out.append(r)
    pos += ln
  if dropped and out: out[-1]["dropped"] = dropped
  return out

def _blob(r, tag):
  return next((b for b in r["blobs"] if b[0] == tag), None)

def _hex(b: bytes, limit: int = 4096) -> str:
  return b[:limit].hex() + ("..." if len(b) > limit else "")

def _nested_value(row: dict, data: bytes):
  elem = row["elem"]
  if elem == "char": return data.split(b"\0")[0].decode("latin-1")
  if elem and row["elem_size"] and len(data) >= row["elem_size"]:
    try: return decode_struct(f"{elem}[{len(data) // row['elem_size']}]", data)
    except Exception: pass
  return {"hex": _hex(data)}

@functools.lru_cache(maxsize=8192)
def _decode(kind, req, data: bytes, path, nested: tuple, driver) -> dict:
  """hwrt.ioctl.decode.decode, memoized: tight loops repeat the same arguments (the result is shared: never mutate it)"""
  return decode(kind, req, data, path=path, nested=dict(nested), driver=driver)

def decode_record(r: dict, drivers: dict, rows=None) -> dict:
  path = (_blob(r, B_PATH) or (0, 0, 0, b""))[3].decode(errors="replace") or None
  out = {"t": r["t_wall"] / 1e9, "pid": r["pid"], "tid": r["tid"], "call": r["call"]}
  if r["call"] == "process":
    exe = _blob(r, B_EXE)
    out.update(ppid=r["a"][0], exe=exe[3].decode(errors="replace") if exe else None)
    return out
  out.update(fd=r["fd"], path=path)
  a = r["a"]
  if r["call"] == "open": out["flags"] = a[0]
  elif r["call"] == "mmap": out.update(addr=a[0], length=a[1], prot=a[2] >> 32, flags=a[2] & 0xFFFFFFFF, offset=a[3])
  elif r["call"] == "munmap": out.update(addr=a[0], length=a[1], mapping=a[2])
  elif r["call"] == "dup": out["newfd"] = a[0]
  elif r["call"] == "ioctl":
    req, kind = a[0] & 0xFFFFFFFF, r["kind"]
    driver = r["driver"] or drivers.get(path)
    before, after = _blob(r, B_BEFORE), _blob(r, B_AFTER)
    rows = rows if rows is not None else nest_rows()
    nb = {b[1]: b for b in r["blobs"] if b[0] == B_NEST_BEFORE}
    na = {b[1]: b for b in r["blobs"] if b[0] == B_NEST_AFTER}
    by_field_b = {rows[i]["field"]: b[3] for i, b in nb.items() if i < len(rows)}
    by_field_a = {rows[i]["field"]: b[3] for i, b in na.items() if i < len(rows)}
    db = _decode(kind, req, before[3] if before else b"", path, tuple(sorted(by_field_b.items())), driver)
    da = _decode(kind, req, after[3] if after else b"", path, tuple(sorted(by_field_a.items())), driver)
    out.update(request=f"{req:#x}", name=db["name"], struct=db.get("struct"), arg=a[1])
    if db.get("known", True) and db.get("struct"):
      # an argument the shim could not read (a bad pointer: the kernel answers EFAULT) is null, not zeros
      out["before"] = None if before is not None and not before[3] else db["fields"]
      out["after"] = None if after is not None and not after[3] else da["fields"]
    else:
      out["before"] = {"hex": _hex(before[3])} if before and before[3] else {}
      out["after"] = {"hex": _hex(after[3])} if after and after[3] else {}
    sym = dict(db.get("symbols", {})); sym.update(da.get("symbols", {}))
    if sym: out["symbols"] = sym
    nested = {}
    for i, b in nb.items():
      if i >= len(rows): continue
      row = rows[i]; fld = row["field"]
      e = {"addr": b[2], "size": len(b[3])}
      dn_b, dn_a = db.get("nested", {}).get(fld), da.get("nested", {}).get(fld)
      if not b[3]: e.update(before=None, after=None)             # unreadable
      elif dn_b: e.update(struct=dn_b["struct"], before=dn_b["fields"], after=(dn_a or {}).get("fields"))
      else:
        e["before"] = _nested_value(row, b[3])
        e["after"] = _nested_value(row, na[i][3]) if i in na else None
        if row["elem"] and row["elem"] != "char": e["struct"] = f"{row['elem']}[]"
      nested[fld] = e
    if nested: out["nested"] = nested
  out["ret"] = r["ret"]
  out["errno"] = errno_mod.errorcode.get(r["err"], r["err"]) if r["ret"] < 0 and r["err"] else None
  out["dur_us"] = round(r["dur"] / 1000, 3)
  return out

def collect(raw_dir: str, shim: str | None = None) -> list[dict]:
  """every raw record under raw_dir (written by the shim SHIM), decoded, sorted by start time"""
  rows = built_nest_rows(shim) if shim else nest_rows()
  raws = []
  for f in sorted(glob.glob(os.path.join(raw_dir, "trace.*.bin"))):
    rs = read_raw(f)
    for i, r in enumerate(rs):                     # a process record is written with its image's first call: put it first
      if r["call"] == "process" and i + 1 < len(rs): r["t_wall"] = min(r["t_wall"], rs[i + 1]["t_wall"] - 1)
    raws += rs
  raws = [r for _, r in sorted(enumerate(raws), key=lambda x: (x[1]["t_wall"], x[1]["pid"], x[1]["tid"], x[0]))]
  drivers = {}
  for r in raws:
    if r["call"] == "open" and r["driver"]:
      p = _blob(r, B_PATH)
      if p: drivers[p[3].decode(errors="replace")] = r["driver"]
  return [decode_record(r, drivers, rows) for r in raws]

def write_jsonl(records: list[dict], path: str) -> None:
  fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
  os.fchmod(fd, 0o600)                              # also when the file existed with wider permissions
  with os.fdopen(fd, "w") as f:
    for r in records: f.write(json.dumps(r, separators=(",", ":")) + "\n")

def load_jsonl(path: str) -> list[dict]:
  out = []
  with open(path) as f:
    for i, line in enumerate(f, 1):
      if not line.strip(): continue
      try: out.append(json.loads(line))
      except json.JSONDecodeError as e:
        from hwrt.errors import BadInput
        raise BadInput(f"{path}:{i}: not a JSON Lines trace ({e.msg})")
  return out

# ---- the readable listing
def _diff(a, b):
  """the parts of b that differ from a (None: nothing changed)"""
  if isinstance(a, dict) and isinstance(b, dict):
    d = {k: dv for k in b if (dv := _diff(a.get(k), b[k])) is not None}
    return d or None
  if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
    return None if a == b else b
  return None if a == b else b

def _fields(v, sym=None) -> str:
  if v is None: return "<unreadable>"
  return format_decoded({"fields": v, "symbols": sym or {}}) if isinstance(v, dict) else _fmt(v, {}, "")

def _flags(fl: int) -> str:
  acc = {0: "O_RDONLY", 1: "O_WRONLY", 2: "O_RDWR"}[fl & 3]
  names = [(os.O_CLOEXEC, "O_CLOEXEC"), (os.O_NONBLOCK, "O_NONBLOCK"), (os.O_CREAT, "O_CREAT"), (os.O_EXCL, "O_EXCL"), (os.O_TRUNC, "O_TRUNC")]
  return "|".join([acc] + [n for b, n in names if fl & b])

def format_record(r: dict) -> str:
  ts = datetime.fromtimestamp(r["t"]).strftime("%H:%M:%S.%f")
  who = f"[{r['pid']}" + (f"/{r['tid']}" if r.get("tid") and r["tid"] != r["pid"] else "") + "]"
  c = r["call"]
  if c == "process": return f"{ts} {who} process started by {r['ppid']}: {r.get('exe')}"
  fd = f"{r['fd']}<{r.get('path')}>"
  if c == "open": s = f"open({r.get('path')!r}, {_flags(r.get('flags', 0))})"
  elif c == "close": s = f"close({fd})"
  elif c == "dup": s = f"dup({fd})"
  elif c == "mmap": s = f"mmap({r['addr']:#x}, {r['length']:#x}, prot={r['prot']:#x}, flags={r['flags']:#x}, {fd}, {r['offset']:#x})"
  elif c == "munmap": s = f"munmap({r['addr']:#x}, {r['length']:#x}) <{r.get('path')}>"
  elif c == "ioctl":
    sym = r.get("symbols", {})
    s = f"ioctl({fd}, {r['name']}, {_fields(r.get('before', {}), sym)}"
    for fld, n in r.get("nested", {}).items():
      s += f" {fld}->{n.get('struct', '')}{_fields(n.get('before'))}"
    ch = _diff(r.get("before"), r.get("after"))
    outs = [_fields(ch, sym)] if ch else []
    for fld, n in r.get("nested", {}).items():
      nc = _diff(n.get("before"), n.get("after"))
      if nc: outs.append(f"{fld}->{_fields(nc)}")
    s += ")" + (f" => {' '.join(outs)}" if outs else "")
  else: s = c
  ret = r.get("ret")
  rs = (f"{ret:#x}" if c == "mmap" and ret is not None and ret >= 0 else str(ret))
  if r.get("errno"): rs += f" {r['errno']} ({os.strerror(getattr(errno_mod, r['errno'], 0) or 0)})"
  return f"{ts} {who} {s} = {rs} <{r.get('dur_us', 0):.1f}us>"

def summary(records: list[dict]) -> list[tuple]:
  """[(call or request name, count, errors, total µs)] by count"""
  acc: dict = {}
  for r in records:
    if r["call"] == "process": continue
    k = r["name"] if r["call"] == "ioctl" else r["call"]
    a = acc.setdefault(k, [0, 0, 0.0])
    a[0] += 1; a[1] += bool(r.get("errno")); a[2] += r.get("dur_us", 0)
  return sorted(((k, *v) for k, v in acc.items()), key=lambda x: (-x[1], x[0]))

def format_summary(records: list[dict]) -> str:
  rows = summary(records)
  pids = sorted({r["pid"] for r in records})
  w = max([len(k) for k, *_ in rows] + [10])
  lines = [f"{'call':<{w}} {'count':>8} {'errors':>7} {'total us':>12} {'us/call':>9}"]
  for k, n, e, t in rows: lines.append(f"{k:<{w}} {n:>8} {e:>7} {t:>12.1f} {t / n:>9.2f}")
  lines.append(f"{'total':<{w}} {sum(x[1] for x in rows):>8} {sum(x[2] for x in rows):>7} {sum(x[3] for x in rows):>12.1f}"
               f"   ({len(pids)} process{'es' if len(pids) != 1 else ''})")
  return "\n".join(lines)
