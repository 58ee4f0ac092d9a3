"""repro.c from a repro program (repro/program.py): libc only, the NVIDIA RM/UVM structs embedded (generated from
ioctl/nv.txt and ioctl/uvm.txt by hwrt.sim.bridge.abi_header), every ioctl with its name in a comment, fields assigned by
name, kernel-returned fds/handles/mappings/tokens/UUID threaded as variables.
Exit status: 1 the failure was observed, 0 it was not, 2 the kernel answered differently from the recording."""
from __future__ import annotations
import json

HELPERS = r'''
static uint8_t scratch[1 << 16];          /* pointer fields the recording did not follow point here (zeros) */
static int verbose;

static void diverged(const char *what, const char *field, long long got, long long want) {
  fprintf(stderr, "repro: %s: %s is %lld (%#llx), the recording had %lld (%#llx): the kernel took another path\n",
          what, field, got, (unsigned long long)got, want, (unsigned long long)want);
  exit(2);
}
static void call(int fd, unsigned long req, void *arg, const char *name, int want_ret, int want_errno) {
  int r = ioctl(fd, req, arg);
  int e = r < 0 ? errno : 0;
  if (verbose) fprintf(stderr, "ioctl(%d, %s) = %d%s%s\n", fd, name, r, e ? " " : "", e ? strerror(e) : "");
  if (r != want_ret || (want_ret < 0 && e != want_errno)) {
    fprintf(stderr, "repro: ioctl %s returned %d (%s), the recording had %d\n", name, r, e ? strerror(e) : "ok", want_ret);
    exit(2);
  }
}
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
static unsigned seen_status, seen_xid; static unsigned long long seen_sem, seen_want; static double seen_timeout;
/* Poll a 64-bit semaphore until it reaches value, with a deadline; the channel's error notifier (NvNotification: status
   0xffff at offset 14, the Xid in info32 at offset 8) set means the GPU faulted the channel. 0 done, 1 GPU fault, 2 timeout. */
static int wait_sem(volatile uint64_t *sem, uint64_t value, volatile uint16_t *status, volatile uint32_t *info, uint16_t error, double timeout) {
  double end = now() + timeout;
  seen_want = value; seen_timeout = timeout;
  for (;;) {
    seen_sem = *sem;
    if (*status == error) { seen_status = *status; seen_xid = *info; return 1; }
    if (seen_sem >= value) return 0;
    if (now() > end) return 2;
    struct timespec ts = {0, 20000}; nanosleep(&ts, 0);
  }
}
static const char *xid_meaning(unsigned xid) {
  for (unsigned i = 0; i < sizeof xids / sizeof xids[0]; i++) if (xids[i].xid == xid) return xids[i].what;
  return "see the NVIDIA Xid catalog";
}
/* one line on stderr: what was seen, and where */
static int observed(int r, const char *where) {
  if (r == 1) fprintf(stderr, "repro: REPRODUCED: GPU fault: error notifier status %#x, Xid %u (%s); semaphore at %llu of %llu; %s\n",
                      seen_status, seen_xid, xid_meaning(seen_xid), seen_sem, seen_want, where);
  else fprintf(stderr, "repro: REPRODUCED: GPU timeout: semaphore at %llu, waiting for %llu after %.1f s, error notifier clear; %s\n",
               seen_sem, seen_want, seen_timeout, where);
  return 1;
}
'''

def _lit(v: int, width: int, signed: bool) -> str:
  if signed and v < 0: return str(v)
  s = f"{v:#x}" if v >= 10 else str(v)
  return s + ("ull" if width == 8 and v > 0x7FFFFFFF else "u" if v > 0x7FFFFFFF else "")

def _cstr(b: bytes) -> list[str]:
  return ['"' + "".join(f"\\x{x:02x}" for x in b[i:i + 32]) + '"' for i in range(0, len(b), 32)]

def _val(v, width, signed) -> str:
  if isinstance(v, dict):
    if "addr" in v: return f"(uint64_t)(uintptr_t)&{v['addr']}"
    if "scratch" in v: return "(uint64_t)(uintptr_t)scratch"
    if "plus" in v: return f"(uint64_t)(uintptr_t)({v['var']} + {v['plus']:#x})" if v["plus"] else f"(uint64_t)(uintptr_t){v['var']}"
    return v["var"]
  return _lit(v, width, signed)

def _ref(block: dict, path: str) -> str:
  return f"{block['name']}{path}" if path.startswith("[") else f"{block['name']}.{path}"

def _block(b: dict, ind: str, names: dict | None = None) -> list[str]:
  """names: {field path: #define name} for values the embedded header names (RM class, control command)"""
  base, _, arr = b["ctype"].partition("[")
  out = [f"{ind}{base} {b['name']}{'[' + arr if arr else ''}; memset(&{b['name']}, 0, sizeof {b['name']});"]
  for path, off, width, signed, v in b["leaves"]:
    ref = _ref(b, path)
    if width < 0:
      if isinstance(v, dict): out.append(f"{ind}memcpy({ref}, {v['var']}, {-width});"); continue
      data = v.rstrip(b"\0") or v[:1]
      lit = _cstr(data)
      out.append(f"{ind}memcpy({ref}, {lit[0]}" + "".join(f"\n{ind}       {x}" for x in lit[1:]) + f", {len(data)});")
    elif names and path in names and not isinstance(v, dict): out.append(f"{ind}{ref} = {names[path]};   /* {_lit(v, width, signed)} */")
    else: out.append(f"{ind}{ref} = {_val(v, width, signed)};")
  return out

def ffi_size(b: dict) -> int:
  """size of one element of the block's C type (the block of an array type holds several)"""
  base, _, arr = b["ctype"].partition("[")
  return b["size"] // int(arr.rstrip("]")) if arr else b["size"]

def xid_table() -> list[str]:
  """the Xid meanings stress/logparse.py reads the kernel log with, so the repro names what it sees the same way"""
  from hwrt.stress.logparse import XID_MEANING
  return ["static const struct { unsigned xid; const char *what; } xids[] = {"] + \
         [f"  {{{x}, \"{w}\"}}," for x, w in sorted(XID_MEANING.items())] + ["};"]

def failed_text(s: dict) -> str:
  """how the recording failed in wait step s, short"""
  if s.get("recorded") == "fault" and s.get("xid") is not None: return f"the error notifier was set, Xid {s['xid']}"
  return " ".join((s["text"] or s["recorded"] or "").split())[:200]

def where(s: dict) -> str:
  """where a wait that sees the failure is, in the words of the one-line message"""
  if s["check"] and s["final"]: return "after the last recorded operation, as in the recording"
  if s["final"]: return "in the wait where the recording failed"
  if s["check"]: return "after the last recorded operation"
  return "earlier than in the recording"

def emit(prog: dict, abi_header: str, title: str, env_note: str = "") -> str:
  steps = prog["steps"]
  vars_ = {"int": [], "uint32_t": [], "uint8_t *": [], "uuid": []}
  for s in steps:
    if s["s"] == "open": vars_["int"].append(s["var"])
    if s["s"] == "mmap": vars_["uint8_t *"].append(s["var"])
    for o in s.get("outputs", []): (vars_["uuid"] if o["width"] < 0 else vars_["uint32_t"]).append(o["var"])
  L = ["/* " + title.replace("*/", "* /"), f" * Minimal reproducer generated by hwrt repro from a trace of the minimised run ({prog['ioctls']} ioctls).",
       " * Build: make repro   (cc -O2 -o repro repro.c)      Run: ./repro [-v]",
       " * Exit status: 1 the failure was observed, 0 it was not, 2 the kernel answered differently from the recording."]
  if env_note: L += [f" * {l}" for l in env_note.splitlines()]
  L += [" */", "#define _GNU_SOURCE", *[f"#include <{h}>" for h in ("errno.h", "fcntl.h", "stdint.h", "stddef.h", "stdio.h", "stdlib.h", "string.h",
        "sys/ioctl.h", "sys/mman.h", "time.h", "unistd.h")], "",
        "/* ---- NVIDIA RM and UVM ioctl structures (open-gpu-kernel-modules nvos.h, nv-ioctl.h, uvm_ioctl.h), embedded */"]
  L += [l for l in abi_header.splitlines() if not l.startswith(("#pragma once", "#include"))]
  import re
  defined = dict(re.findall(r"^#define (\w+) (0x[0-9a-fA-F]+|\d+)", abi_header, re.M))
  sizes = {}
  for st in steps:
    if st["s"] == "ioctl":
      for b in st["nested"] + [st["arg"]]: sizes[b["ctype"].partition("[")[0]] = ffi_size(b)
  L += ["/* the argument sizes of the recording: the embedded structs must match them */"]
  L += [f"_Static_assert(sizeof({t}) == {n}, \"{t} is {n} bytes in the recorded ABI\");" for t, n in sorted(sizes.items())]
  L += xid_table()
  L += [HELPERS, "int main(int argc, char **argv) {", "  verbose = argc > 1 && !strcmp(argv[1], \"-v\");", "  int rc = 0; (void)rc;"]
  if vars_["int"]: L.append("  int " + ", ".join(f"{x} = -1" for x in vars_["int"]) + ";")
  if vars_["uint32_t"]: L.append("  uint32_t " + ", ".join(f"{x} = 0" for x in vars_["uint32_t"]) + ";")
  if vars_["uint8_t *"]: L.append("  uint8_t " + ", ".join(f"*{x} = 0" for x in vars_["uint8_t *"]) + ";")
  if vars_["uuid"]: L.append("  uint8_t " + ", ".join(f"{x}[16] = {{0}}" for x in vars_["uuid"]) + ";")
  for s in steps:
    k = s["s"]
    if k == "op":
      if s.get("cleanup"): L += ["", f"  /* ---- end of the iteration: free what the schedule still holds (hwrt's cleanup): {json.dumps(s['op'])} */"]
      else: L += ["", f"  /* ---- workload op {s['index']} (iteration {s['iteration']}): {json.dumps(s['op'])} */"]
    elif k == "open":
      fl = " | ".join(n for b, n in ((0o2000000, "O_CLOEXEC"),) if s["flags"] & b)
      acc = {0: "O_RDONLY", 1: "O_WRONLY", 2: "O_RDWR"}[s["flags"] & 3]
      L += [f"  {s['var']} = open(\"{s['path']}\", {acc}{' | ' + fl if fl else ''});",
            f"  if ({s['var']} < 0) {{ perror(\"open {s['path']}\"); return 2; }}"]
    elif k == "close": L.append(f"  close({s['var']});")
    elif k == "mmap":
      L += [f"  {s['var']} = mmap(NULL, {s['length']:#x}, {s['prot']:#x}, {s['flags']:#x}, {s['fd']}, {s['offset']:#x});",
            f"  if ({s['var']} == MAP_FAILED) {{ perror(\"mmap\"); return 2; }}"]
    elif k == "munmap": L.append(f"  munmap({s['var']}, {s['length']:#x});")
    elif k == "ioctl":
      sym = ", ".join(f"{a}={b}" for a, b in s["symbols"].items())
      L += ["", f"  /* {s['name']}" + (f": {sym}" if sym else "") + " */", "  {"]
      for nb in s["nested"]: L += _block(nb, "    ")
      names = {p: n for p, n in s["symbols"].items() if isinstance(n, str) and n in defined}
      L += _block(s["arg"], "    ", names)
      req = s["name"] if s["name"] in defined and int(defined[s["name"]].rstrip("ul"), 0) == s["request"] else f"{s['request']:#x}ul"
      argref = s["arg"]["name"] if s["arg"]["array"] else "&" + s["arg"]["name"]
      en = s["errno"] or "0"
      L.append(f"    call({s['fd']}, {req}, {argref}, \"{s['name']}\", {s['ret']}, {en});")
      for path, want in s["status"]: L.append(f"    if ({s['arg']['name']}.{path} != {_lit(want, 4, False)}) diverged(\"{s['name']}\", \"{path}\", {s['arg']['name']}.{path}, {_lit(want, 4, False)});")
      for o in s["outputs"]:
        if o["width"] < 0: L.append(f"    memcpy({o['var']}, {o['block']}.{o['path']}, 16);   /* {o['what']} */")
        else: L.append(f"    {o['var']} = {o['block']}.{o['path']};" + (f"   /* {o['what']} */" if o.get("what") else ""))
      L.append("  }")
    elif k == "write":
      lit = _cstr(s["data"])
      L.append(f"  memcpy({s['map']} + {s['off']:#x}, {lit[0]}" + "".join(f"\n         {x}" for x in lit[1:]) + f", {len(s['data'])});")
    elif k == "gpput":
      L += [f"  __sync_synchronize();   /* publish the GPFIFO entry: GP_PUT of the {s['channel']} channel */",
            f"  *(volatile uint32_t *)({s['map']} + {s['off']:#x}) = {s['value']};"]
    elif k == "doorbell":
      L += [f"  __sync_synchronize();   /* ring the doorbell with the {s['channel']} channel's work-submit token */",
            f"  *(volatile uint32_t *)({s['map']} + {s['off']:#x}) = {s['token']};"]
    elif k == "wait":
      if s.get("check"): L += ["", f"  /* ---- after the last operation: wait (at most {float(s['timeout'])} s) for all submitted work, the timeline semaphore reaching {s['value']},",
                               "     and look at the channels' error notifier: a failure the sequence leaves behind shows here */"]
      L.append(f"  /* wait for the semaphore to reach {s['value']}" + (" (the recording failed here: " + failed_text(s).replace('*/', '* /') + ")" if s["final"] else "") + " */")
      L.append(f"  if ((rc = wait_sem((volatile uint64_t *)({s['map']} + {s['off']:#x}), {s['value']}ull, (volatile uint16_t *)({s['nmap']} + {s['noff'] + s['status_off']:#x}), "
               f"(volatile uint32_t *)({s['nmap']} + {s['noff'] + s['info_off']:#x}), {s['error']:#x}, {float(s['timeout'])})) != 0) return observed(rc, \"{where(s)}\");")
    elif k == "end":
      L += ["", "  printf(\"not reproduced: the sequence ran to its end without the failure\\n\");", "  return 0;"]
  L.append("}")
  return "\n".join(L) + "\n"
