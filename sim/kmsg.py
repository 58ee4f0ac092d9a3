"""The simulated machine's kernel log and pstore, shared by every process that uses a simulated device.

Files live under `sim_dir()` ($HWRT_SIM_DIR, default /tmp/hwrt-sim-<uid>):
  kmsg            one record per line in /dev/kmsg format: "<prio>,<seq>,<usec>,-;<message>"
  pstore/         what the simulated machine left when it "panicked": dmesg-ramoops-<N> files, as /sys/fs/pstore has
The stress harness tails `kmsg` exactly as it reads /dev/kmsg on a real machine."""
import fcntl, os, time

def sim_dir() -> str:
  d = os.environ.get("HWRT_SIM_DIR") or f"/tmp/hwrt-sim-{os.getuid()}"
  os.makedirs(os.path.join(d, "pstore"), exist_ok=True)
  return d

def kmsg_path() -> str: return os.path.join(sim_dir(), "kmsg")
def pstore_dir() -> str: return os.path.join(sim_dir(), "pstore")

_T0 = time.monotonic()
def log(message: str, prio: int = 3) -> int:
  """Append one record (prio 3 = KERN_ERR, 4 = WARNING, 6 = INFO) under an exclusive lock; returns its sequence number."""
  with open(kmsg_path(), "a+") as f:
    fcntl.flock(f, fcntl.LOCK_EX)
    try:
      f.seek(0, os.SEEK_END)
      seq = _next_seq(f)
      usec = int(time.monotonic() * 1e6)
      f.write(f"{prio},{seq},{usec},-;{message}\n")
      f.flush()
      return seq
    finally: fcntl.flock(f, fcntl.LOCK_UN)

def _next_seq(f) -> int:
  end = f.tell()
  if end == 0: return 0
  f.seek(max(0, end - 4096))
  last = f.read().rstrip("\n").rsplit("\n", 1)[-1]
  f.seek(0, os.SEEK_END)
  try: return int(last.split(",", 2)[1]) + 1
  except (IndexError, ValueError): return 0

def write_pstore(lines: list[str]) -> str:
  """Leave a panic record as ramoops does; returns its path."""
  d = pstore_dir()
  n = len([x for x in os.listdir(d) if x.startswith("dmesg-ramoops-")])
  path = os.path.join(d, f"dmesg-ramoops-{n}")
  with open(path, "w") as f: f.write("Panic#1 Part1\n" + "".join(l + "\n" for l in lines))
  return path
