"""repro.py from a repro program (repro/program.py): Python standard library + ctypes only (no hwrt). Each argument block
is its bytes as recorded with the kernel-returned values patched in at their offsets (struct.pack_into); the decoded
fields are in the comment above it. Exit status as repro.c: 1 observed, 0 not, 2 the kernel answered differently."""
from __future__ import annotations
import json, textwrap
from hwrt.repro.emit_c import where, failed_text

HEAD = '''import ctypes, errno, os, struct, sys, time

libc = ctypes.CDLL(None, use_errno=True)
libc.ioctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p]
libc.mmap.restype, libc.mmap.argtypes = ctypes.c_void_p, [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
VERBOSE = "-v" in sys.argv[1:]
scratch = ctypes.create_string_buffer(1 << 16)     # pointer fields the recording did not follow point here (zeros)
FMT = {(1, False): "<B", (2, False): "<H", (4, False): "<I", (8, False): "<Q", (1, True): "<b", (2, True): "<h", (4, True): "<i", (8, True): "<q"}

def block(hexdata, size, patches=()):
  b = ctypes.create_string_buffer(bytes.fromhex(hexdata).ljust(size, b"\\0"), size)
  for off, width, signed, value in patches:
    if width < 0: ctypes.memmove(ctypes.addressof(b) + off, value, -width)
    else: struct.pack_into(FMT[width, signed], b, off, value)
  return b

def addr(x): return ctypes.addressof(x)

def call(fd, req, arg, name, want_ret, want_errno=None):
  r = libc.ioctl(fd, req, addr(arg))
  e = ctypes.get_errno() if r < 0 else 0
  if VERBOSE: print(f"ioctl({fd}, {name}) = {r}" + (f" {os.strerror(e)}" if e else ""), file=sys.stderr)
  if r != want_ret or (want_ret < 0 and errno.errorcode.get(e) != want_errno):
    print(f"repro: ioctl {name} returned {r} ({os.strerror(e) if e else 'ok'}), the recording had {want_ret}", file=sys.stderr); sys.exit(2)

def check(name, field, got, want):
  if got != want:
    print(f"repro: {name}: {field} is {got:#x}, the recording had {want:#x}: the kernel took another path", file=sys.stderr); sys.exit(2)

def u32(b, off): return struct.unpack_from("<I", b, off)[0]

def mmap(length, prot, flags, fd, offset):
  p = libc.mmap(None, length, prot, flags, fd, offset)
  if p is None or p == ctypes.c_void_p(-1).value:
    print(f"repro: mmap failed: {os.strerror(ctypes.get_errno())}", file=sys.stderr); sys.exit(2)
  return p

def write(base, off, hexdata):
  data = bytes.fromhex(hexdata); ctypes.memmove(base + off, data, len(data))

def store32(base, off, value):
  ctypes.c_uint32.from_address(base + off).value = value

seen = {}
def wait_sem(sem, value, status, info, error, timeout):
  """Poll a 64-bit semaphore until it reaches value, with a deadline; the channel's error notifier (NvNotification: status
  0xffff at offset 14, the Xid in info32 at offset 8) set means the GPU faulted the channel. 0 done, 1 GPU fault, 2 timeout."""
  end = time.monotonic() + timeout
  seen.update(want=value, timeout=timeout)
  while True:
    seen["sem"] = ctypes.c_uint64.from_address(sem).value
    if ctypes.c_uint16.from_address(status).value == error:
      seen.update(status=ctypes.c_uint16.from_address(status).value, xid=ctypes.c_uint32.from_address(info).value); return 1
    if seen["sem"] >= value: return 0
    if time.monotonic() > end: return 2
    time.sleep(0.00002)

def observed(r, where):
  """one line on stderr: what was seen, and where"""
  if r == 1: print(f"repro: REPRODUCED: GPU fault: error notifier status {seen['status']:#x}, Xid {seen['xid']} "
                   f"({XIDS.get(seen['xid'], 'see the NVIDIA Xid catalog')}); semaphore at {seen['sem']} of {seen['want']}; {where}", file=sys.stderr)
  else: print(f"repro: REPRODUCED: GPU timeout: semaphore at {seen['sem']}, waiting for {seen['want']} after {seen['timeout']:.1f} s, "
              f"error notifier clear; {where}", file=sys.stderr)
  return 1
'''

def _val(v) -> str:
  if isinstance(v, dict):
    if "addr" in v: return f"addr({v['addr']})"
    if "scratch" in v: return "addr(scratch)"
    if "plus" in v: return f"{v['var']} + {v['plus']:#x}" if v["plus"] else v["var"]
    return v["var"]
  return repr(v)

def _fields_comment(b: dict) -> str:
  parts = []
  for path, off, width, signed, v in b["leaves"]:
    if width < 0: parts.append(f"{path}=<{-width} bytes>" if not isinstance(v, dict) else f"{path}={v['var']}")
    else: parts.append(f"{path}={_val(v) if isinstance(v, dict) else (hex(v) if v >= 10 else v)}")
  return ", ".join(parts)

def _block(b: dict, ind: str) -> list[str]:
  patches = [(off, width, signed, v) for _, off, width, signed, v in b["leaves"] if isinstance(v, dict)]
  raw = bytearray(b["data"])
  for off, w, _, _ in patches: raw[off:off + abs(w)] = bytes(abs(w))     # the recorded values there are replaced at run time
  data = bytes(raw).rstrip(b"\0")
  ps = ", ".join(f"({off:#x}, {w}, {s}, {_val(v) if w > 0 else v['var']})" for off, w, s, v in patches)
  out = [f"{ind}# {b['ctype']} {{" + _fields_comment(b).replace("\n", " ") + "}"]
  out = [ind + "# " + l for l in textwrap.wrap(out[0][len(ind) + 2:], 118)]
  out.append(f"{ind}{b['name']} = block({data.hex()!r}, {b['size']}" + (f", [{ps}]" if ps else "") + ")")
  return out

def emit(prog: dict, title: str, env_note: str = "") -> str:
  L = ["#!/usr/bin/env python3", '"""' + title.replace('"""', "'''"), "",
       f"Minimal reproducer generated by hwrt repro from a trace of the minimised run ({prog['ioctls']} ioctls): Python standard",
       "library and ctypes only. Run: python3 repro.py [-v]", "Exit status: 1 the failure was observed, 0 it was not, 2 the kernel answered differently from the recording."]
  if env_note: L += [""] + env_note.splitlines()
  from hwrt.stress.logparse import XID_MEANING          # the meanings the kernel-log parser uses
  rows, cur = [], "XIDS = {"
  for x, w in sorted(XID_MEANING.items()):             # whole entries per line: a line break never falls inside a string
    e = f"{x}: {w!r}, "
    if len(cur) + len(e) > 118: rows.append(cur.rstrip()); cur = "        "
    cur += e
  rows.append(cur.rstrip(", ") + "}")
  L += ['"""', HEAD, *rows, "", "def main():"]
  for s in prog["steps"]:
    k = s["s"]
    if k == "op":
      if s.get("cleanup"): L += ["", f"  # ---- end of the iteration: free what the schedule still holds (hwrt's cleanup): {json.dumps(s['op'])}"]
      else: L += ["", f"  # ---- workload op {s['index']} (iteration {s['iteration']}): {json.dumps(s['op'])}"]
    elif k == "open": L.append(f"  {s['var']} = os.open({s['path']!r}, {s['flags']:#x})")
    elif k == "close": L.append(f"  os.close({s['var']})")
    elif k == "mmap": L.append(f"  {s['var']} = mmap({s['length']:#x}, {s['prot']:#x}, {s['flags']:#x}, {s['fd']}, {s['offset']:#x})")
    elif k == "munmap": L.append(f"  libc.munmap({s['var']}, {s['length']:#x})")
    elif k == "ioctl":
      sym = ", ".join(f"{a}={b}" for a, b in s["symbols"].items())
      L += ["", f"  # {s['name']}" + (f": {sym}" if sym else "")]
      for nb in s["nested"]: L += _block(nb, "  ")
      L += _block(s["arg"], "  ")
      L.append(f"  call({s['fd']}, {s['request']:#x}, {s['arg']['name']}, {s['name']!r}, {s['ret']}" + (f", {s['errno']!r}" if s["errno"] else "") + ")")
      for path, want in s["status"]:
        off = dict((p, o) for p, o, *_ in s["arg"]["leaves"]).get(path)
        if off is None:
          from hwrt.ioctl.abi import ctype
          t, off = ctype(s["arg"]["ctype"]), 0
          for part in path.split("."): f = dict(t.fields)[part]; off += f.offset; t = f.type
        L.append(f"  check({s['name']!r}, {path!r}, u32({s['arg']['name']}, {off:#x}), {want:#x})")
      for o in s["outputs"]:
        if o["width"] < 0: L.append(f"  {o['var']} = bytes({o['block']}.raw[{o['off']:#x}:{o['off'] + 16:#x}])   # {o['what']}")
        else: L.append(f"  {o['var']} = u32({o['block']}, {o['off']:#x})" + (f"   # {o['what']}" if o.get("what") else ""))
    elif k == "write":
      hx = s["data"].hex()
      if len(hx) <= 100: L.append(f"  write({s['map']}, {s['off']:#x}, {hx!r})")
      else: L.append(f"  write({s['map']}, {s['off']:#x}, (" + "\n         ".join(repr(hx[i:i + 100]) for i in range(0, len(hx), 100)) + "))")
    elif k == "gpput": L.append(f"  store32({s['map']}, {s['off']:#x}, {s['value']})   # GP_PUT of the {s['channel']} channel: publish the GPFIFO entry")
    elif k == "doorbell": L.append(f"  store32({s['map']}, {s['off']:#x}, {s['token']})   # doorbell: the {s['channel']} channel's work-submit token")
    elif k == "wait":
      if s.get("check"): L += ["", f"  # ---- after the last operation: wait (at most {float(s['timeout'])} s) for all submitted work, the timeline semaphore reaching",
                               f"  # {s['value']}, and look at the channels' error notifier: a failure the sequence leaves behind shows here"]
      if s["final"]: L.append(f"  # the recording failed in this wait: {failed_text(s)}")
      L.append(f"  r = wait_sem({s['map']} + {s['off']:#x}, {s['value']}, {s['nmap']} + {s['noff'] + s['status_off']:#x}, {s['nmap']} + {s['noff'] + s['info_off']:#x}, "
               f"{s['error']:#x}, {float(s['timeout'])})")
      L.append(f"  if r: return observed(r, {where(s)!r})")
    elif k == "end": L += ["", "  print('not reproduced: the sequence ran to its end without the failure')", "  return 0"]
  L += ["", "if __name__ == '__main__':", "  try: sys.exit(main())",
        "  except OSError as e:                       # no such device node, permission denied, ...",
        "    print(f'repro: {e}', file=sys.stderr); sys.exit(2)"]
  return "\n".join(L) + "\n"
