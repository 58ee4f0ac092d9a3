"""The repro program, language-neutral: a trace (hwrt trace JSON Lines) of the minimised run merged with the recorder's
log (repro/record.py) into a list of steps that emit_c.py and emit_py.py print.

Steps (dicts, key "s"): open, close, ioctl, mmap, munmap, write (bytes into a mapping), gpput (a channel's GP_PUT), doorbell,
wait (poll a semaphore with the error notifier beside it), op (a comment: the workload op that follows), end.
Values the kernel hands out are threaded as variables: file descriptors (open), RM handles (NV_ESC_RM_ALLOC hObjectNew),
CPU mappings (mmap), work-submit tokens and the GPU UUID (RM control outputs). Argument blocks are rebuilt from the decoded
fields with the ioctl tables' C types (hwrt.ioctl.abi) and carry `leaves`: (C path, offset, width, signed, value or
variable) for every non-zero field, so C can assign fields by name and Python can patch bytes at offsets."""
from __future__ import annotations
from hwrt.errors import HwrtError
from hwrt.ioctl.abi import load, ctype
from hwrt.ioctl.ffi import ffi

SIGNED = {"char", "signed char", "short", "int", "long", "long long", "int8_t", "int16_t", "int32_t", "int64_t", "NvS32", "NvS64", "NvS16", "NvS8"}
FD_FIELDS = {"fd", "ctl_fd", "rmCtrlFd", "uvmFd"}
USER_PTR_LO, USER_PTR_HI = 1 << 44, 1 << 47        # x86-64 user heap/mmap addresses; GPU VAs the driver picks sit below 2^40
TOKEN_FIELDS = {"workSubmitToken"}

def _encode(t, v, buf: bytearray, off: int):
  if v is None: return
  k = t.kind
  if k == "primitive" or k == "enum":
    n = ffi.sizeof(t)
    if isinstance(v, str): v = ord(v) if v else 0
    signed = t.kind == "enum" or t.cname in SIGNED
    buf[off:off + n] = int(v).to_bytes(n, "little", signed=signed and int(v) < 0)
  elif k == "array":
    if t.length is None: return
    if isinstance(v, str): b = v.encode("latin-1")[:t.length]; buf[off:off + len(b)] = b; return
    es = ffi.sizeof(t.item)
    for i, x in enumerate(v[:t.length]): _encode(t.item, x, buf, off + i * es)
  elif k in ("struct", "union"):
    if not isinstance(v, dict): return
    for name, f in t.fields:
      if name in v: _encode(f.type, v[name], buf, off + f.offset)
  elif k == "pointer": buf[off:off + 8] = int(v).to_bytes(8, "little")

def encode(cname: str, value) -> bytes:
  t = ctype(cname)
  buf = bytearray(ffi.sizeof(t))
  _encode(t, value, buf, 0)
  return bytes(buf)

def leaves(t, data: bytes, path: str = "", off: int = 0):
  """(C path, offset, width, signed, int value) of every primitive field; byte arrays as one leaf with width -N (bytes)."""
  k = t.kind
  if k in ("primitive", "enum", "pointer"):
    n = ffi.sizeof(t)
    signed = k == "enum" or (k == "primitive" and t.cname in SIGNED)
    yield path, off, n, signed, int.from_bytes(data[off:off + n], "little", signed=signed)
  elif k == "array":
    if t.length is None: return
    es = ffi.sizeof(t.item)
    if t.item.kind == "primitive" and es == 1 and t.length >= 4:
      yield path, off, -t.length, False, bytes(data[off:off + t.length]); return
    for i in range(t.length): yield from leaves(t.item, data, f"{path}[{i}]", off + i * es)
  elif k == "struct":
    for name, f in t.fields: yield from leaves(f.type, data, f"{path}.{name}" if path else name, off + f.offset)
  elif k == "union":                                  # one member: the largest (the bytes are the same)
    name, f = max(t.fields, key=lambda nf: ffi.sizeof(nf[1].type))
    yield from leaves(f.type, data, f"{path}.{name}" if path else name, off + f.offset)

class Vars:
  def __init__(self):
    self.fds, self.handles, self.maps, self.tokens, self.uuids = {}, {}, {}, {}, {}
    self.n = {}
    self.map_len = {}
  def new(self, prefix: str) -> str:
    self.n[prefix] = self.n.get(prefix, 0) + 1
    return f"{prefix}{self.n[prefix]}"
  def pointer(self, v: int):
    if v in self.maps: return self.maps[v], 0
    for base, name in self.maps.items():
      if base <= v < base + self.map_len[base]: return name, v - base
    return None

def _block(vars: Vars, cname: str, value, nested_fields: dict, name: str, top: bool) -> dict:
  data = encode(cname, value)
  t = ctype(cname)
  out = []
  for path, off, width, signed, v in leaves(t, data):
    field = path.split(".")[-1].split("[")[0]
    if width < 0:
      if v.strip(b"\0") == b"": continue
      if len(v) == 16 and field in ("uuid", "gpu_uuid", "gpuUuid") and v in vars.uuids: out.append((path, off, width, False, {"var": vars.uuids[v]})); continue
      out.append((path, off, width, False, v)); continue
    if v == 0: continue
    if top and path in nested_fields: out.append((path, off, width, False, {"addr": nested_fields[path]})); continue
    if width == 4 and not signed and v >= 0x10000 and v in vars.handles: out.append((path, off, width, signed, {"var": vars.handles[v]})); continue
    if field in FD_FIELDS and v in vars.fds: out.append((path, off, width, signed, {"var": vars.fds[v]})); continue
    if width == 8 and USER_PTR_LO <= v < USER_PTR_HI:
      p = vars.pointer(v)
      out.append((path, off, width, signed, {"var": p[0], "plus": p[1]} if p else {"scratch": True})); continue
    out.append((path, off, width, signed, v))
  return {"name": name, "ctype": cname, "size": len(data), "data": data, "leaves": out, "array": t.kind == "array"}

def _status(after) -> list[tuple[str, int]]:
  if not isinstance(after, dict): return []
  out = [(k, after[k]) for k in ("status", "rmStatus") if isinstance(after.get(k), int)]
  if isinstance(after.get("params"), dict) and isinstance(after["params"].get("status"), int): out.append(("params.status", after["params"]["status"]))
  return out

def build(trace: list[dict], log: list[dict]) -> dict:
  """-> {steps, pid, cut (why the program ends where it does), counts}"""
  load("nv"); load("uvm")
  io_pids = [r["pid"] for r in trace if r.get("call") == "ioctl"]
  if not io_pids: raise HwrtError("the trace of the minimised run holds no ioctl (did the recorder reach the device?)")
  pid = max(set(io_pids), key=io_pids.count)
  items = [(r["t"], 0, i, r) for i, r in enumerate(trace) if r.get("pid") == pid and r.get("call") in ("open", "close", "ioctl", "mmap", "munmap")]
  items += [(e["t"], 1, i, e) for i, e in enumerate(log) if e.get("ev") in ("submit", "wait", "op", "fail")]
  items.sort(key=lambda x: (x[0], x[1], x[2]))
  cut_i, cut = len(items), None
  for k, (t, src, _, e) in enumerate(items):
    if src == 1 and ((e["ev"] == "wait" and e.get("result") != "ok") or e["ev"] == "fail"):
      cut_i, cut = k + 1, e; break
  items = items[:cut_i]
  v, steps = Vars(), []
  closed_fds = set()
  for t, src, _, r in items:
    if src == 1:
      ev = r["ev"]
      if ev == "op": steps.append({"s": "op", "iteration": r["iteration"], "index": r["index"], "op": r["op"], "cleanup": bool(r.get("cleanup"))})
      elif ev == "fail": steps.append({"s": "end", "observed": "error", "text": r["error"]})
      elif ev == "submit":
        for cpu, off, hx in r["writes"]:
          p = v.pointer(cpu + off)
          if p is None: raise HwrtError(f"a write at {cpu + off:#x} is in no traced mapping")
          steps.append({"s": "write", "map": p[0], "off": p[1], "data": bytes.fromhex(hx)})
        ap, dp = v.pointer(r["arena"] + r["gp_put_off"]), v.pointer(r["doorbell"] + r["doorbell_off"])
        steps.append({"s": "gpput", "map": ap[0], "off": ap[1], "value": r["put"], "channel": r["channel"]})
        steps.append({"s": "doorbell", "map": dp[0], "off": dp[1], "token": v.tokens.get(r["token"], r["token"]), "channel": r["channel"]})
      elif ev == "wait":
        sp, npt = v.pointer(r["sig"]), v.pointer(r["notifier"])
        steps.append({"s": "wait", "map": sp[0], "off": sp[1], "value": r["value"], "timeout": r["timeout"], "nmap": npt[0], "noff": npt[1],
                      "status_off": r["status_off"], "info_off": r["info_off"], "error": r["error"], "recorded": r.get("result"),
                      "final": r is cut, "text": r.get("error_text"), "check": bool(r.get("check")), "xid": r.get("xid")})
      continue
    c = r["call"]
    if c == "open":
      if r["ret"] < 0: continue
      name = v.new("fd"); v.fds[r["ret"]] = name; closed_fds.discard(r["ret"])
      steps.append({"s": "open", "var": name, "path": r["path"], "flags": r.get("flags", 2)})
    elif c == "close":
      if r["fd"] in v.fds: steps.append({"s": "close", "var": v.fds.pop(r["fd"])})
    elif c == "mmap":
      if r["ret"] is None or r["ret"] < 0 or r["fd"] not in v.fds: continue
      name = v.new("map"); v.maps[r["ret"]] = name; v.map_len[r["ret"]] = r["length"]
      steps.append({"s": "mmap", "var": name, "length": r["length"], "prot": r["prot"], "flags": r["flags"], "fd": v.fds[r["fd"]], "offset": r["offset"]})
    elif c == "munmap":
      if r["addr"] in v.maps:
        name = v.maps.pop(r["addr"]); v.map_len.pop(r["addr"], None)
        steps.append({"s": "munmap", "var": name, "length": r["length"]})
    elif c == "ioctl":
      if r["fd"] not in v.fds: continue
      k = len([s for s in steps if s["s"] == "ioctl"]) + 1
      st = r.get("struct")
      if not st or not isinstance(r.get("before"), (dict, list)): raise HwrtError(f"ioctl {r.get('name')} has no decoded argument: cannot rebuild it")
      nested = r.get("nested") or {}
      nblocks, nmap = [], {}
      for fld, n in nested.items():
        if n.get("struct") and isinstance(n.get("before"), dict) and not n["struct"].endswith("[]"):
          b = _block(v, n["struct"], n["before"], {}, f"p{k}_{fld}", False)
          nblocks.append({**b, "field": fld}); nmap[fld] = b["name"]
      top = _block(v, st, r["before"], nmap, f"a{k}", True)
      step = {"s": "ioctl", "n": k, "fd": v.fds[r["fd"]], "request": int(r["request"], 16), "name": r["name"], "arg": top, "nested": nblocks,
              "ret": r["ret"], "errno": r.get("errno"), "symbols": r.get("symbols") or {}, "status": _status(r.get("after")), "outputs": []}
      after = r.get("after") or {}
      if r["name"] == "NV_ESC_RM_ALLOC" and isinstance(after, dict) and after.get("hObjectNew") and not (r["before"] or {}).get("hObjectNew"):
        h = after["hObjectNew"]
        hv = v.new("h"); v.handles[h] = hv
        step["outputs"].append({"var": hv, "block": top["name"], "path": "hObjectNew", "off": 8, "width": 4, "what": (r.get("symbols") or {}).get("hClass")})
      for b in nblocks:
        na = (nested[b["field"]] or {}).get("after")
        if not isinstance(na, dict): continue
        t = ctype(b["ctype"])
        for name, f in t.fields:
          if name in TOKEN_FIELDS and na.get(name):
            tv = v.new("token"); v.tokens[na[name]] = tv
            step["outputs"].append({"var": tv, "block": b["name"], "path": name, "off": f.offset, "width": 4, "what": name})
        if b["ctype"] == "NV2080_CTRL_GPU_GET_GID_INFO_PARAMS" and isinstance(na.get("data"), list) and na.get("length") == 16:
          u = bytes(na["data"][:16]); uv = v.new("gpu_uuid"); v.uuids[u] = uv
          step["outputs"].append({"var": uv, "block": b["name"], "path": "data", "off": dict(t.fields)["data"].offset, "width": -16, "what": "GPU UUID"})
      steps.append(step)
  if cut is None: steps.append({"s": "end", "observed": None, "text": "the recorded run ended without a failure"})
  elif cut["ev"] == "wait": steps.append({"s": "end", "observed": cut.get("result"), "text": cut.get("error_text")})
  return {"steps": steps, "pid": pid, "cut": cut, "ioctls": sum(s["s"] == "ioctl" for s in steps),
          "ops": [s["op"] for s in steps if s["s"] == "op" and not s["cleanup"]], "cleanup": [s["op"] for s in steps if s["s"] == "op" and s["cleanup"]]}

def before_failure(prog: dict) -> dict:
  """What the program does between the workload's last GPU submission and the wait where the failure shows: the ioctls
  there ([name, symbols, decoded top-level fields]) and the ops they belong to. The report names them: for a failure seen
  only after the last op (a launch faulted by a free while in flight) they are the trigger."""
  steps = prog["steps"]
  end = next((i for i, s in enumerate(steps) if s["s"] == "wait" and s["final"]), None)
  if end is None: return {"ioctls": [], "ops": [], "wait": None}
  last = max((i for i, s in enumerate(steps[:end]) if s["s"] == "doorbell"), default=-1)
  io, ops = [], []
  for s in steps[last + 1:end]:
    if s["s"] == "op": ops.append(s)
    if s["s"] == "ioctl":
      io.append({"name": s["name"], "symbols": s["symbols"], "fields": {p: (v["var"] if isinstance(v, dict) and "var" in v else v)
                 for p, _, w, _, v in s["arg"]["leaves"] if w > 0 and "." not in p}})
  return {"ioctls": io, "ops": ops, "wait": steps[end]}
