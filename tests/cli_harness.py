"""Run `hwrt ...` in-process the way a user's shell would, with a deadline, and judge the outcome by the CLI's promise:
exit code in {0, 1, 2}, errors as one line on stderr, never a traceback or an internal error, never a hang."""
import contextlib, io, os, signal, sys, time
from hwrt import cli

class Hang(BaseException): pass

@contextlib.contextmanager
def deadline(seconds: float):
  def fire(*_): raise Hang(f"still running after {seconds} s")
  old = signal.signal(signal.SIGALRM, fire)
  signal.setitimer(signal.ITIMER_REAL, seconds)
  try: yield
  finally: signal.setitimer(signal.ITIMER_REAL, 0); signal.signal(signal.SIGALRM, old)

@contextlib.contextmanager
def environ(env: dict | None):
  saved = dict(os.environ)
  os.environ.pop("DEBUG", None)
  os.environ.update(env or {})
  try: yield
  finally: os.environ.clear(); os.environ.update(saved)

class Result:
  def __init__(self, argv, rc, out, err, seconds):
    self.argv, self.rc, self.out, self.err, self.seconds = argv, rc, out, err, seconds
  def problems(self) -> list[str]:
    p = []
    if self.rc not in (0, 1, 2): p.append(f"exit code {self.rc}")
    if "Traceback" in self.err: p.append("traceback")
    if "internal error" in self.err: p.append("internal error")
    lines = [l for l in self.err.splitlines() if l.startswith("hwrt")]
    if self.rc == 2 and not lines: p.append("exit 2 without a message")
    return p
  def __repr__(self): return f"hwrt {' '.join(map(str, self.argv))[:300]!r} -> {self.rc} in {self.seconds:.1f}s; stderr {self.err[-600:]!r}"

def run_cli(argv, env=None, timeout: float = 30.0, stdin: bytes = b"", stdout=None) -> Result:
  out, err = stdout or io.StringIO(), io.StringIO()
  so, se, si = sys.stdout, sys.stderr, sys.stdin
  sys.stdout, sys.stderr = out, err
  sys.stdin = io.TextIOWrapper(io.BytesIO(stdin))
  t0 = time.monotonic()
  try:
    with environ(env), deadline(timeout):
      try: rc = cli.main([str(a) for a in argv])
      except SystemExit as e: rc = e.code if isinstance(e.code, int) else 2
      except Hang as e: rc, _ = -1, err.write(f"HANG: {e}\n")
      except BaseException as e:
        import traceback; err.write("Traceback (escaped main):\n" + traceback.format_exc()); rc = -2
  finally: sys.stdout, sys.stderr, sys.stdin = so, se, si
  return Result(argv, rc, out.getvalue() if isinstance(out, io.StringIO) else "", err.getvalue(), time.monotonic() - t0)
