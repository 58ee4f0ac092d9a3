"""Kernel log text -> typed events with a stable signature.

Input is any of: /dev/kmsg records ("6,1234,5678,-;msg"), dmesg ("[  12.345] msg"), dmesg -T, journalctl -k ("Aug 05 18:46:49
host kernel: msg"), syslog, pstore/ramoops ("<6>[  12.345] msg"). Each line's prefix is peeled off, then the message is matched
against PATTERNS (a table: kind, vendor, mode, the open-event kinds it continues, regex). A `start` pattern opens an event; a
`cont` pattern adds fields to the newest still-open event of one of its kinds (the amdgpu "Process ... pid" line, the oops RIP,
Code: and Call Trace lines); `either` continues an open event that lacks the field, else starts one. An event is closed when
WINDOW lines have passed without one of its lines, or at the end. The signature is what deduplicates events across workers,
runs and machines (like syzkaller's crash titles): no pids, addresses, PCI slots or sequence numbers in it."""
from __future__ import annotations
import re
from hwrt.stress.oops import parse_code_line, parse_frame, first_interesting_frame

KINDS = ("xid", "ring_timeout", "page_fault", "gpu_reset", "kfd", "gpu_hang", "oops", "bug", "warning", "gpf", "panic",
         "lockup", "rcu_stall", "hung_task")
GENERIC = ("oops", "bug", "warning", "gpf", "panic", "lockup", "rcu_stall", "hung_task")

# NVIDIA Xid -> meaning (shared/research/nvidia_rm_abi.md §7.3: nverror.h defines + the NVIDIA Xid catalog).
XID_MEANING = {8: "GPU stopped processing (channel timeout)", 13: "Graphics Engine exception", 14: "fake error",
               31: "GPU memory page fault (MMU)", 32: "invalid or corrupted push buffer stream", 39: "CE error", 40: "CE error",
               41: "CE error", 43: "GPU stopped processing (channel reset after a user fault)", 44: "graphics fault during context switch",
               45: "preemptive cleanup, due to previous errors", 48: "double bit ECC error", 61: "PMU breakpoint", 62: "PMU halt error",
               63: "page retirement (ECC)", 64: "page retirement failure (ECC)", 69: "graphics engine class error",
               70: "CE error", 71: "CE error", 72: "CE error", 74: "NVLink error", 75: "CE error", 76: "CE error", 77: "CE error",
               79: "GPU has fallen off the bus", 85: "CE error", 92: "excessive single bit ECC errors",
               94: "contained ECC error", 95: "uncontained ECC error", 109: "context switch timeout", 110: "security fault error",
               119: "GSP RPC timeout", 120: "GSP error", 121: "C2C error", 143: "GPU initialization error",
               154: "GPU recovery action changed", **{n: "CE error" for n in range(126, 136)}}

_HEX, _PCI = r"0x[0-9a-fA-F]+", r"[0-9a-fA-F]{4}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}(?:\.[0-9a-fA-F])?"
S, C, E = "start", "cont", "either"
_RING_FAULT = ("ring_timeout", "page_fault")
# (kind or None for cont-only lines, vendor, mode, kinds a cont applies to, regex) -- first match wins, order matters.
PATTERNS = [
  # --- NVIDIA (open-gpu-kernel-modules src/nvidia/src/kernel/gpu/rc/kernel_rc.c)
  # an Xid report may begin lines before its Xid line: "NVRM: GPU at PCI:...: GPU-<uuid>" (and the board serial) come first, and the
  # fallen-off-the-bus report is one record wrapped over three lines without an Xid (NVIDIA/NVSentinel#155, akash-network/support#244)
  ("xid", "nvidia", S, (), rf"NVRM: GPU at PCI:(?P<pci>{_PCI}): (?P<gpu_uuid>GPU-[0-9a-fA-F-]+)"),
  (None, "nvidia", C, ("xid",), r"NVRM: GPU Board Serial Number: (?P<board_serial>\S+)"),
  ("xid", "nvidia", S, (), rf"NVRM: The NVIDIA GPU (?P<pci>{_PCI})\s*$"),
  (None, "nvidia", C, ("xid",), r"NVRM: \(PCI ID: (?P<pci_id>[0-9a-fA-F]{4}:[0-9a-fA-F]{4})\) installed in this system"),
  (None, "nvidia", C, ("xid",), r"^NVRM: fallen off the bus(?P<fallen_off_bus>)"),
  ("xid", "nvidia", E, ("xid",), rf"NVRM: GPU (?=(?:at )?(?:PCI:)?{_PCI}:? (?:GPU )?has fallen off the bus(?P<fallen_off_bus>))(?:at )?(?:PCI:)?(?P<pci>{_PCI})"),
  ("xid", "nvidia", E, ("xid",), rf"NVRM: Xid (?=\(PCI:[^)]*\): (?P<xid>\d+))\(PCI:(?P<pci>{_PCI})(?:[^)]*?GPU-I:(?P<gpu_instance>\d+))?(?:[^)]*?GPU-CI:(?P<compute_instance>\d+))?[^)]*\): \d+,\s*(?P<message>.*)"),
  # --- AMD (drivers/gpu/drm/amd/amdgpu/amdgpu_job.c, gmc_v*_0.c, amdgpu_device.c, amdkfd/)
  ("ring_timeout", "amd", S, (), r"\bring (?P<ring>\S+) timeout(?:, signaled seq=(?P<signaled_seq>\d+), emitted seq=(?P<emitted_seq>\d+)|, but (?P<soft_recovered>soft) recovered)"),
  # task names (comm, at most 15 characters) may hold blanks, underscores and colons ("pt_main_thread", "cosmic-com:cs0"); the
  # process part may come on its own line (ROCm/amdgpu#172: " for process ...", pop-os/cosmic-greeter#344: " in process ...")
  (None, "amd", C, _RING_FAULT, r"(?:^(?:for|in) process |Process (?:information: process )?)(?P<process>.{0,64}?) pid (?P<pid>\d+) thread (?P<thread>.{0,64}?) pid (?P<tid>\d+)"),
  ("page_fault", "amd", S, (), r"\[(?P<hub>\w+)\] (?:(?P<retry>retry|no-retry) )?page fault \(src_id:(?P<src_id>\d+) ring:(?P<fault_ring>\d+) vmid:(?P<vmid>\d+) pasid:(?P<pasid>\d+)(?:, for process (?P<process>.{0,64}?) pid (?P<pid>\d+) thread (?P<thread>.{0,64}?) pid (?P<tid>\d+))?\)"),
  (None, "amd", C, ("page_fault",), rf"in page starting at address (?P<address>{_HEX}) from (?:IH )?(?:client )?(?P<client_id>{_HEX}|\d+)(?: \((?P<ih_client>\w+)\))?"),
  (None, "amd", C, ("page_fault",), r"Faulty UTCL2 client ID: (?P<client>[\w/]+)"),
  (None, "amd", C, ("page_fault",), rf"(?P<status_register>\w+_PROTECTION_FAULT_STATUS):\s*(?P<fault_status>{_HEX})"),
  ("gpu_reset", "amd", S, (), r"GPU reset begin!(?:\.?\s*Source:\s*(?P<source>\d+))?(?P<phase_begin>)"),
  ("gpu_reset", "amd", S, (), r"GPU reset(?:\((?P<reset_no>\d+)\))? (?P<phase>succeeded|failed)"),
  ("gpu_reset", "amd", S, (), r"\b[Rr]ing (?P<ring>\S+) reset (?P<phase>succeeded|failed)"),
  ("gpu_reset", "amd", S, (), r"ASIC reset failed with error, (?P<error>-?\d+)(?P<phase_failed>)"),
  (None, "amd", C, ("gpu_reset",), r"^(?P<method>MODE1|MODE2|BACO|PCI|mode1|mode2) reset\b"),
  ("kfd", "amd", S, (), r"MES(?:\((?P<mes_pipe>\d+)\))? failed to respon(?:d|se)(?: to)? msg=(?P<mes_msg>\w+)"),
  ("kfd", "amd", S, (), rf"failed to (?:remove|add) hardware queue (?:from|to) MES(?:, doorbell=(?P<doorbell>{_HEX}))?"),
  ("kfd", "amd", S, (), r"MES might be in unrecoverable state|failed to unmap legacy queue|HWS hang|The cp might be in an unrecoverable state"),
  ("kfd", "amd", S, (), r"Failed to (?:evict|suspend|restore|remove) (?:process queues|queues? (?:\d+|of pasid \w+)|process(?: pid (?P<pid>\d+))?)"),
  ("kfd", "amd", S, (), r"Pasid (?P<pasid_hex>0x[0-9a-fA-F]+) destroy queue (?P<queue>\d+) failed, ret (?P<ret>-?\d+)"),
  ("kfd", "amd", S, (), rf"Freeing queue vital buffer (?P<address>{_HEX}), queue evicted|Evicting (?:PASID|pasid) (?P<pasid_hex>{_HEX}) queues"),
  # --- Intel (drivers/gpu/drm/i915/i915_gpu_error.c, gt/intel_reset.c; drivers/gpu/drm/xe/xe_guc_submit.c)
  ("gpu_hang", "intel", S, (), r"GPU HANG: ecode (?P<ecode>[0-9a-fA-Fx:]+?)(?:, in (?P<process>.+?) \[(?P<pid>-?\d+)\])?(?:, (?:reason: )?(?P<reason>[^,]+?))?(?:, action: (?P<action>\w+))?\s*$"),
  ("gpu_hang", "intel", S, (), r"Timedout job: seqno=(?P<seqno>\d+),(?: lrc_seqno=\d+,)? guc_id=(?P<guc_id>\d+), flags=0x[0-9a-f]+(?: in (?P<process>.+?) \[(?P<pid>-?\d+)\])?(?P<xe_driver>)"),
  ("gpu_reset", "intel", S, (), r"Engine reset: engine_class=(?P<engine>\w+), logical_mask: (?P<logical_mask>0x[0-9a-f]+), guc_id=(?P<guc_id>\d+)"),
  ("gpu_reset", "intel", S, (), r"Engine reset failed on (?P<instance>\d+:\d+) \((?P<engine>\w+)\)(?P<phase_failed>)"),
  ("gpu_reset", "intel", S, (), r"^(?P<engine>[a-z]+\d+) reset request timed out(?P<phase_failed>)"),
  ("gpu_reset", "intel", S, (), r"Resetting chip (?:after gpu hang|for (?P<reason>.+))"),
  ("gpu_reset", "intel", S, (), r"^Resetting (?P<engine>[a-z]+\d+) for (?P<reason>.+)"),
  # --- generic kernel failures (arch/x86/mm/fault.c, kernel/panic.c, kernel/watchdog.c, kernel/hung_task.c, kernel/rcu/tree_stall.h)
  ("panic", None, S, (), r"^Kernel panic - not syncing: (?P<reason>.*)"),
  ("oops", None, S, (), r"^BUG: (?:unable to handle )?kernel NULL pointer dereference(?:,? (?:at|address:) (?P<address>[0-9a-fx]+))?(?P<title_null>)"),
  ("oops", None, S, (), r"^BUG: unable to handle (?:kernel )?(?:paging request|page fault for address)(?: at|:)? ?(?P<address>[0-9a-fx]+)?(?P<title_paging>)"),
  ("oops", None, S, (), r"^Unable to handle kernel (?:NULL pointer dereference(?P<title_null>)|paging request(?P<title_paging>)) at virtual address (?P<address>[0-9a-f]+)"),
  ("gpf", None, S, (), rf"^general protection fault(?:, (?:probably for non-canonical address|maybe for address) (?P<address>{_HEX}))?(?:: (?P<oops_code>[0-9a-f]{{4}}) \[#(?P<oops_no>\d+)\])?"),
  ("oops", None, E, ("oops", "gpf", "bug"), r"(?:^|Internal error: )Oops(?:: Oops)?: (?P<oops_code>[0-9a-f]+) \[#(?P<oops_no>\d+)\]"),
  ("lockup", None, S, (), r"BUG: soft lockup - CPU#(?P<cpu>\d+) stuck for (?P<seconds>\d+)s! \[(?P<process>.+?):(?P<pid>\d+)\](?P<lockup_soft>)"),
  ("lockup", None, S, (), r"[Ww]atchdog detected hard LOCKUP on cpu (?P<cpu>\d+)(?P<lockup_hard>)"),
  ("bug", None, S, (), r"^kernel BUG at (?P<file>[^:\s]+):(?P<line_no>\d+)!"),
  ("bug", None, S, (), r"^BUG: (?P<bug>.+)"),
  ("warning", None, S, (), r"^WARNING: (?:CPU: (?P<cpu>\d+) PID: (?P<pid>\d+) at )?(?P<file>[^\s:]+)(?::(?P<line_no>\d+))? (?:at )?(?P<function>[\w.]+)\+0x[0-9a-f]+/0x[0-9a-f]+(?: \[(?P<module>\w+)\])?(?:, CPU#(?P<cpu2>\d+): (?P<process>.+)/(?P<pid2>\d+))?"),
  ("rcu_stall", None, S, (), r"INFO: (?P<rcu_flavor>rcu_\w+?)(?:_state)? (?:self-)?detected (?:expedited )?stalls? on CPU"),
  ("hung_task", None, S, (), r"^INFO: task (?P<process>.+?):(?P<pid>\d+) blocked for more than (?P<seconds>\d+) seconds"),
  (None, None, C, GENERIC, r"^CPU: (?P<cpu>\d+) (?:UID: \d+ )?PID: (?P<pid>\d+) Comm: (?P<process>.+?) (?:Kdump: loaded )?(?:Tainted: (?P<tainted>[A-Z ]+?)|Not tainted)\s+(?P<kernel>\d\S*)"),
  (None, None, C, GENERIC, r"^\s*(?:Tainted: (?P<tainted>[A-Z ]+?)|Not tainted)\s+(?P<kernel>\d\S*)"),
  (None, None, C, GENERIC, r"^Hardware name: (?P<hardware>.+)"),
  (None, None, C, GENERIC, r"^Workqueue: (?P<workqueue>\S+) (?P<work_function>\S+)"),
  (None, None, C, GENERIC, r"^(?:(?:RIP|IP|pc)\s*: ?|PC is at )(?P<rip>.*)"),
  (None, None, C, GENERIC, r"^Code: (?P<code>.*)"),
  (None, None, C, GENERIC, r"^CR2: (?P<cr2>[0-9a-f]+)"),
  (None, None, C, GENERIC, r"^Modules linked in:(?P<modules>.*)"),
  (None, None, C, GENERIC, r"^Call [Tt]race:"),
  (None, None, C, GENERIC, r"^---\[ end (?:trace|Kernel panic)"),
  (None, None, C, GENERIC, r"^(?:(?:[A-Z]{2,4}|R\d{1,2}|[A-Z]S|CR\d|DR\d|PKRU):\s+[0-9a-f]|#PF: |PGD [0-9a-f]|invalid opcode: )"),   # registers, page walk: kept in `lines`
]
PATTERNS = [(k, v, m, kinds, re.compile(rx)) for k, v, m, kinds, rx in PATTERNS]
# every start pattern contains one of these: lines without any (and no event open) skip the table -- most of a kernel log
TRIGGERS = re.compile(r"Xid|NVRM: GPU at PCI|NVRM: The NVIDIA GPU|fallen off the bus|timeout|page fault|[Rr]eset|MES|HWS|The cp|[Ff]ailed to|Pasid|Freeing queue|Evicting|GPU HANG|Timedout job|BUG|"
                      r"Oops|general protection|Kernel panic|Unable to handle|WARNING|INFO: |lockup|LOCKUP")
WINDOW = {**{k: 8 for k in KINDS}, **{k: 60 for k in GENERIC}}
INT_FIELDS = {"pid", "tid", "xid", "vmid", "pasid", "src_id", "fault_ring", "signaled_seq", "emitted_seq", "cpu", "seconds",
              "oops_no", "line_no", "source", "reset_no", "mes_pipe", "queue", "ret", "guc_id", "seqno", "error",
              "gpu_instance", "compute_instance"}
VENDOR_OF_MODULE = {"amdgpu": "amd", "amdkfd": "amd", "amdxcp": "amd", "gpu_sched": None, "nvidia": "nvidia", "nvidia_uvm": "nvidia",
                    "nvidia_modeset": "nvidia", "nvidia_drm": "nvidia", "nvidia_peermem": "nvidia", "i915": "intel", "xe": "intel"}

# ---- line prefixes
_KMSG = re.compile(r"^(?P<prio>\d+),(?P<seq>\d+),(?P<usec>\d+),[^;]*;(?P<msg>.*)$")
_LEVEL = re.compile(r"^<(?P<prio>\d)>")
_SYSLOG = re.compile(r"^\s*(?:[^\s\[]+\s+){0,5}kernel:\s?|^\s*(?:[^\s\[]+\s+){0,3}kern:\s+\w+:\s+")
_TS = re.compile(r"^\[\s*(?P<ts>\d+\.\d+)\]:?\s?|^\[(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) [^\]]+\]\s?|^\[\d{4}-\d\d-\d\dT[^\]]+\]:?\s?")
_DEV = re.compile(rf"^(?P<driver>amdgpu|i915|xe|nouveau|nvidia|radeon|kfd)\s+(?P<pci>{_PCI}|kfd):\s*(?:amdgpu:\s*)?(?:\[drm(?::[\w.]+ \[\w+\])?\]\s*)?(?:\*ERROR\*\s*)?")
_DRM = re.compile(r"^(?:\[drm:(?P<drm_function>[\w.]+) \[(?P<drm_module>\w+)\]\]|\[drm (?:ERROR )?:(?P<bsd_function>\w+)\]|\[drm\]|drmn\d+:|drm/(?P<drm_driver>\w+):|amdgpu:)\s*(?:\*ERROR\*\s*)?")

def split_line(raw: str) -> tuple[dict, str, str]:
  """raw log line -> (meta {seq, ts, prio}, message as the kernel printed it, body with the driver/device prefix removed)."""
  meta, s = {}, raw.rstrip("\r\n")
  if m := _KMSG.match(s): meta = {"prio": int(m["prio"]) & 7, "seq": int(m["seq"]), "ts": int(m["usec"]) / 1e6}; s = m["msg"]
  if m := _LEVEL.match(s): meta.setdefault("prio", int(m["prio"])); s = s[m.end():]
  for _ in range(2):                                     # "host kernel: [ 1.2] msg" and "[ 1.2] host kernel: msg" (short-monotonic)
    if m := _SYSLOG.match(s): s = s[m.end():]
    if m := _TS.match(s):
      if m["ts"]: meta.setdefault("ts", float(m["ts"]))
      s = s[m.end():]
  body = s.strip()
  if m := _DEV.match(body):
    meta["driver"] = "amdgpu" if m["driver"] == "kfd" else m["driver"]
    if m["pci"] != "kfd": meta["pci"] = m["pci"]
    body = body[m.end():]
  for _ in range(2):
    if m := _DRM.match(body):
      if m["drm_module"]: meta.setdefault("driver", m["drm_module"])
      if m["drm_driver"]: meta.setdefault("driver", m["drm_driver"])
      if body.startswith("amdgpu:"): meta.setdefault("driver", "amdgpu")
      body = body[m.end():]
  return meta, s, body

def _norm(s: str) -> str:
  s = re.sub(r"0x[0-9a-fA-F]+|\b[0-9a-fA-F]{8,}\b", "X", s)
  return re.sub(r"\s+", " ", re.sub(r"\d+", "N", s)).strip()

def _conv(k: str, v: str):
  if v is None: return None
  if k in INT_FIELDS:
    try: return int(v)
    except ValueError: return None
  if k in ("address", "cr2") and not v.startswith("0x"): return "0x" + v
  if k == "soft_recovered": return True
  return v

MAX_LINE = 4096     # printk's PRINTK_MESSAGE_MAX is 2048 (torvalds/linux kernel/printk/internal.h), plus prefixes
# a module-list continuation line: words separated by blanks (no nested optional repeats: linear time on any line)
_MODS_LINE = re.compile(r"[\w-]+(?:\([A-Z+-]+\))?(?:\s+[\w-]+(?:\([A-Z+-]+\))?)*\s*(?:\[last unloaded: \S+\])?")

class LogParser:
  """Streaming: feed() lines, get finished events back; flush() at the end (or when the source has been quiet)."""
  def __init__(self, source: str | None = None):
    self.source, self.n, self.open, self.recent = source, 0, [], []

  def feed(self, raw: str) -> list[dict]:
    raw = raw[:MAX_LINE]                 # the kernel prints at most 1024 bytes a record: longer "lines" are not kernel text
    meta, msg, body = split_line(raw)
    self.n += 1
    self.recent = (self.recent + [body])[-6:]
    self.raw = raw.rstrip("\r\n")
    for ev in self.open:
      if len(ev["_lines"]) < 200: ev["_lines"].append(self.raw)
    if body and (self.open or TRIGGERS.search(body)): self._match(meta, msg, body)
    done = [e for e in self.open if e.get("_closed") or self.n - e["_last"] > WINDOW[e["kind"]]]
    return self._finish(done)

  def flush(self) -> list[dict]: return self._finish(list(self.open))

  def _finish(self, evs: list[dict]) -> list[dict]:
    for e in evs: self.open.remove(e)
    return [_finalize(e) for e in sorted(evs, key=lambda e: e["_start"])]

  def _newest(self, kinds, field=None):
    for ev in reversed(self.open):
      if ev["kind"] in kinds and (field is None or ev.get(field) is None): return ev
    return None

  def _match(self, meta, msg, body):
    # call-trace frames and module-list continuation lines of the newest generic event
    g = self._newest(GENERIC)
    if g is not None and g.get("_in_trace") and (f := parse_frame(body)):
      g["call_trace"].append(f); g["_last"] = self.n; return
    if g is not None and g.get("_in_mods") and _MODS_LINE.fullmatch(body) and msg.startswith(" "):
      g["modules"] += [x.split("(")[0] for x in body.split() if not x.startswith("[")]; g["_last"] = self.n; return
    if g is not None: g["_in_mods"] = False
    if body in ("<TASK>", "</TASK>", "<IRQ>", "</IRQ>", "<NMI>", "</NMI>") and g is not None: g["_last"] = self.n; return
    for kind, vendor, mode, kinds, rx in PATTERNS:
      m = rx.search(body)
      if not m: continue
      fields = {k: _conv(k, v) for k, v in m.groupdict().items() if v is not None}
      if mode in (C, E):
        first = next(iter(m.groupdict()), None)
        tgt = self._newest(kinds, first if mode == E else None)
        if tgt is not None: self._cont(tgt, body, fields); return
        if mode == C: continue
      self._start(kind, vendor, meta, msg, body, fields); return

  def _start(self, kind, vendor, meta, msg, body, fields):
    ev = {"kind": kind, "vendor": vendor, **{k: v for k, v in meta.items() if k in ("driver", "pci", "seq", "ts", "prio")},
          "line": msg.strip(), "_start": self.n, "_last": self.n, "_lines": [self.raw]}
    if self.source: ev["source"] = self.source
    if kind in GENERIC: ev.update(call_trace=[], modules=[])
    for k, v in fields.items(): ev.setdefault(k, v)
    if kind == "gpu_hang" and "reason" in ev and (m := re.search(r"hang on (\w+)", ev["reason"], re.I)): ev["engine"] = m[1]
    if kind == "gpu_hang" and "engine" not in ev:
      for b in reversed(self.recent[:-1]):
        if m := re.search(r"stuck on (\w+) ring", b): ev["engine"] = m[1]; break
    self.open.append(ev)

  def _cont(self, ev, body, fields):
    ev["_last"] = self.n
    if "rip" in fields:
      rip = fields.pop("rip")
      user = rip.startswith("0033:")
      ev["_user_rip"] = user
      if not user and "function" not in ev:
        if f := parse_frame(re.sub(r"^[0-9a-f]{4}:", "", rip)): ev.update(function=f["function"], offset=f["offset"], module=f["module"])
        elif m := re.match(r"(?:[0-9a-f]{4}:)?(0x[0-9a-f]+)", rip): ev["rip_address"] = m[1]
    if "code" in fields:
      code = fields.pop("code")
      if not ev.get("_user_rip") and "code_bytes" not in ev: ev.update(parse_code_line(code))
    if "cr2" in fields: ev.setdefault("address", fields.pop("cr2"))
    if "modules" in fields:
      ev["modules"] += [x.split("(")[0] for x in fields.pop("modules").split() if not x.startswith("[")]; ev["_in_mods"] = True
    if body.startswith(("Call Trace:", "Call trace:")): ev["_in_trace"] = True
    if body.startswith("---[ end"): ev["_closed"] = True
    for k, v in fields.items(): ev.setdefault(k, v)

def _finalize(ev: dict) -> dict:
  ev["lines"] = ev.pop("_lines")[: ev["_last"] - ev["_start"] + 1]
  ev["at"] = ev["_start"]
  for x in [x for x in ev if x.startswith("_")]: ev.pop(x)
  k = ev["kind"]
  for a, b in (("cpu2", "cpu"), ("pid2", "pid")):
    if a in ev: ev.setdefault(b, ev.pop(a))
  flags = {x for x in ("phase_begin", "phase_failed", "title_null", "title_paging", "lockup_soft", "lockup_hard") if ev.pop(x, None) is not None}
  if k == "xid": _xid(ev)
  if k in GENERIC:
    frames = ev.get("call_trace", [])
    if "function" not in ev and (f := first_interesting_frame(frames)): ev.update(function=f["function"], module=f["module"])
    mods = [ev.get("module")] + [f["module"] for f in frames]
    ev["vendor"] = next((VENDOR_OF_MODULE[m] for m in mods if VENDOR_OF_MODULE.get(m)), "kernel")
  if k == "oops": ev["title"] = ("BUG: kernel NULL pointer dereference" if "title_null" in flags else
                                 "BUG: unable to handle kernel paging request" if "title_paging" in flags else "Oops")
  if k == "lockup": ev["lockup_type"] = "hard" if "lockup_hard" in flags else "soft"
  if k == "page_fault": ev.setdefault("client", ev.get("ih_client") or ev.get("client_id"))
  if k == "gpu_reset":
    ph = "begin" if "phase_begin" in flags else "failed" if "phase_failed" in flags else ev.get("phase", "begin")
    ev["phase"] = {"succeeded": "success", "failed": "failure"}.get(ph, ph)
  if "xe_driver" in ev: ev.pop("xe_driver"); ev.setdefault("driver", "xe")
  for x in ("process", "thread"):
    if ev.get(x) == "": ev[x] = None
  ev.setdefault("driver", {"amd": "amdgpu", "nvidia": "nvidia", "intel": "i915"}.get(ev["vendor"]))
  ev["severity"] = "info" if (k == "kfd" and "Evicting" in ev["line"]) or (k == "gpu_reset" and ev["phase"] == "success") or \
                             (k == "xid" and ev["xid"] is None) else "error"
  ev["signature"] = signature(ev)
  return ev

def _xid(ev: dict):
  if ev.pop("fallen_off_bus", None) is not None: ev.setdefault("xid", 79); ev["fallen_off_bus"] = True
  if ev.get("xid") is None: ev["xid"] = None                    # a report's first lines whose Xid line never came
  msg = ev.get("message", "")
  if m := re.match(r"pid=(?:'?(?P<pid>\d+|<unknown>)'?),\s*(?:name=(?P<name>[^,]*),\s*)?", msg):
    ev["pid"] = int(m["pid"]) if m["pid"] and m["pid"].isdigit() else None
    ev["process"] = None if not m["name"] or m["name"] == "<unknown>" else m["name"]
    msg = msg[m.end():]
  if m := re.search(r"\b(?:Ch|Channel ID) (?P<ch>[0-9a-fA-F]{8})\b", msg): ev["channel"] = int(m["ch"], 16)
  if m := re.search(r"caused by previous Xid (\d+)", msg): ev["caused_by"] = int(m[1])
  if m := re.search(r"Graphics SM (?:Warp|Global) Exception on \([^)]*\): (.+)", msg): ev["exception"] = m[1].strip()
  if m := re.search(r"MMU Fault: ENGINE (?P<engine>\w+) (?P<client>\w+) faulted @ (?P<addr>0x[0-9a-fA-F_]+)\. Fault is of type (?P<ft>\w+) (?P<at>\w+)", msg):
    hi, _, lo = m["addr"][2:].rpartition("_")
    ev.update(engine=m["engine"], client=m["client"], address=f"0x{(int(hi or '0', 16) << 32) | int(lo, 16):016x}", fault_type=m["ft"], access_type=m["at"])
  ev["message"] = msg
  ev["meaning"] = XID_MEANING.get(ev["xid"], "unknown Xid") if ev["xid"] is not None else "GPU report without an Xid"

def signature(ev: dict) -> str:
  k, fn = ev["kind"], ev.get("function") or "?"
  if k == "xid":
    extra = f" {ev['fault_type']} on {ev['engine']}" if ev.get("fault_type") else f": {ev['exception']}" if ev.get("exception") else ""
    return f"NVRM: Xid {ev['xid']}: {ev['meaning']}{extra}" if ev["xid"] is not None else "NVRM: GPU report without an Xid"
  if k == "ring_timeout": return f"amdgpu: ring {ev['ring']} timeout" + (" (soft recovered)" if ev.get("soft_recovered") else "")
  if k == "page_fault": return f"amdgpu: {ev.get('hub', '?')} page fault from {ev.get('client') or '?'}"
  if k == "gpu_reset":
    what = f" ring {ev['ring']}" if ev.get("ring") else f" engine {ev['engine']}" if ev.get("engine") else ""
    return f"{ev.get('driver') or ev['vendor']}: GPU reset{what} {ev['phase']}"
  if k == "kfd": return "amdgpu: " + _norm(re.sub(r"^.*?(?=MES|[Ff]ailed|Pasid|HWS|The cp|Freeing|Evicting)", "", ev["line"]))
  if k == "gpu_hang": return f"{ev.get('driver') or 'i915'}: GPU hang on {ev.get('engine') or '?'}"
  if k == "oops": return f"{ev.get('title', 'Oops')} in {fn}"
  if k == "gpf": return f"general protection fault in {fn}"
  if k == "bug":
    if ev.get("file"): return f"kernel BUG in {fn}" if ev.get("function") else f"kernel BUG at {ev['file']}"
    what = _norm(re.split(r" at | on CPU|: \d| [0-9a-f]{8,}|, ", ev.get("bug", ""))[0])
    return f"BUG: {what} in {fn}"
  if k == "warning": return f"WARNING in {fn}"
  if k == "lockup": return f"BUG: {ev.get('lockup_type', 'soft')} lockup in {fn}"
  if k == "rcu_stall": return f"INFO: rcu detected stall in {fn}"
  if k == "hung_task": return f"INFO: task hung in {fn}"
  if k == "panic": return f"kernel panic: {_norm(ev.get('reason', ''))}"
  return f"{k}: {_norm(ev.get('line', ''))}"

def parse_lines(lines, source: str | None = None) -> list[dict]:
  """All events in an iterable of log lines, in the order they started."""
  p, out = LogParser(source), []
  for ln in lines: out += p.feed(ln)
  return sorted(out + p.flush(), key=lambda e: e["at"])

def parse_text(text: str, source: str | None = None) -> list[dict]: return parse_lines(text.splitlines(), source)
