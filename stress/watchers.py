"""What a driver failure leaves behind, watched while the workers run: the kernel log (/dev/kmsg, or a file in the same record
format -- the simulated machine's kmsg, or a test's log file), the kernel taint mask, GPU device nodes (and PCI functions)
vanishing. Worker deaths and hangs are watched by the runner, which owns the workers."""
from __future__ import annotations
import glob, os, time
from hwrt.errors import PermissionDenied
from hwrt.stress.logparse import LogParser
from hwrt.stress.oops import decode_taint, read_taint, FAILURE_TAINTS

KMSG_HINT = ("cannot read /dev/kmsg: permission denied (kernel.dmesg_restrict=1). Grant it with one of: run as root; "
             "`sudo sysctl kernel.dmesg_restrict=0`; or give the interpreter CAP_SYSLOG: "
             "`sudo setcap cap_syslog+ep $(readlink -f $(command -v python3))`. Running without the kernel-log watcher.")

class KmsgSource:
  """/dev/kmsg: one record per read(), "prio,seq,usec,flags;message\\n" plus " KEY=value" dictionary lines (dropped).
  Sequence numbers tell when the ring buffer overwrote records before we read them (EPIPE on read)."""
  name = "kmsg"
  def __init__(self, path: str = "/dev/kmsg", from_start: bool = False):
    try: self.fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except PermissionError: raise PermissionDenied(KMSG_HINT)
    if not from_start: os.lseek(self.fd, 0, os.SEEK_END)
    self.last_seq, self.lost = None, 0

  def read(self) -> list[str]:
    out = []
    for _ in range(10000):
      try: rec = os.read(self.fd, 8192)
      except BlockingIOError: break
      except BrokenPipeError: continue                    # records were overwritten; the sequence gap below counts them
      except PermissionError: raise PermissionDenied(KMSG_HINT)
      if not rec: break
      line = rec.decode("utf-8", "replace").split("\n", 1)[0]
      try:
        seq = int(line.split(",", 2)[1])
        if self.last_seq is not None and seq > self.last_seq + 1: self.lost += seq - self.last_seq - 1
        self.last_seq = seq
      except (IndexError, ValueError): pass
      out.append(line)
    return out

  def close(self): os.close(self.fd)

class FileSource:
  """Tail a text file of log lines (kmsg records or dmesg/journal text), from its end at start unless from_start."""
  name = "file"
  def __init__(self, path: str, from_start: bool = False):
    self.path, self.pos, self.buf, self.last_seq, self.lost = path, 0, b"", None, 0
    if not from_start and os.path.exists(path): self.pos = os.path.getsize(path)

  def read(self) -> list[str]:
    try:
      size = os.path.getsize(self.path)
      if size < self.pos: self.pos, self.buf = 0, b""    # truncated or replaced
      if size == self.pos: return []
      with open(self.path, "rb") as f:
        f.seek(self.pos); data = f.read(size - self.pos)
    except FileNotFoundError: return []
    self.pos += len(data)
    lines = (self.buf + data).split(b"\n")
    self.buf = lines.pop()
    return [l.decode("utf-8", "replace") for l in lines if l.strip()]

  def close(self): pass

def taint_event(old: int, new: int) -> dict | None:
  added = new & ~old
  if not added: return None
  bits = decode_taint(added)
  letters = "".join(b["letter"] for b in bits)
  return {"kind": "taint", "vendor": "kernel", "severity": "error" if set(letters) & FAILURE_TAINTS else "info",
          "signature": "kernel tainted: " + ", ".join(f"{b['letter']} ({b['meaning']})" for b in bits),
          "taint_before": old, "taint_after": new, "taint_added": bits, "line": f"/proc/sys/kernel/tainted {old} -> {new}"}

GPU_NODES = ["/dev/nvidiactl", "/dev/nvidia[0-9]*", "/dev/nvidia-uvm", "/dev/kfd", "/dev/dri/renderD*", "/dev/dri/card*"]
GPU_VENDORS = {"0x10de": "nvidia", "0x1002": "amd", "0x8086": "intel"}

def gpu_pci_functions() -> list[str]:
  out = []
  for d in glob.glob("/sys/bus/pci/devices/*"):
    try:
      cls, ven = open(f"{d}/class").read().strip(), open(f"{d}/vendor").read().strip()
    except OSError: continue
    if ven in GPU_VENDORS and cls[:4] in ("0x03", "0x12"): out.append(d)
  return sorted(out)

def device_nodes() -> list[str]:
  return sorted({p for g in GPU_NODES for p in glob.glob(g)} | set(gpu_pci_functions()))

class Watchers:
  """poll() -> new events (dicts) from every watcher; call it a few times a second."""
  def __init__(self, log_source=None, nodes: list[str] | None = None, taint_path: str = "/proc/sys/kernel/tainted"):
    self.src, self.parser = log_source, LogParser(source=getattr(log_source, "name", None))
    self.nodes = device_nodes() if nodes is None else list(nodes)
    self.taint_path = taint_path
    self.taint = read_taint(taint_path)
    self.last_line, self.last_slow, self.lost_reported = time.monotonic(), 0.0, 0

  def poll(self, force_flush: bool = False) -> list[dict]:
    evs, now = [], time.monotonic()
    if self.src is not None:
      lines = self.src.read()
      for ln in lines: evs += self.parser.feed(ln)
      if lines: self.last_line = now
      if force_flush or (self.parser.open and now - self.last_line > 0.5): evs += self.parser.flush()
      if self.src.lost > self.lost_reported:
        evs.append({"kind": "kmsg_lost", "vendor": "kernel", "severity": "info", "signature": "kernel log records lost before they were read",
                    "count": self.src.lost - self.lost_reported, "line": f"{self.src.lost - self.lost_reported} kmsg records overwritten"})
        self.lost_reported = self.src.lost
    if force_flush or now - self.last_slow >= 0.5:
      self.last_slow = now
      t = read_taint(self.taint_path)
      if t is not None and self.taint is not None and (e := taint_event(self.taint, t)): evs.append(e)
      if t is not None: self.taint = t
      for n in list(self.nodes):
        if not os.path.exists(n):
          self.nodes.remove(n)
          evs.append({"kind": "device_lost", "vendor": None, "severity": "error", "path": n, "line": f"{n} vanished",
                      "signature": f"device node vanished: {n}"})
    return evs
