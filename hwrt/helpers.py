import os, time

def getenv(key: str, default=0):
  """An environment setting as the type of its default; a value that does not parse (DEBUG=yes, DEBUG=) is read leniently:
  empty is the default, a word that means yes is 1 for an int setting, anything else the default."""
  v = os.environ.get(key)
  if v is None: return default
  if isinstance(default, bool) or not isinstance(default, (int, float)): return type(default)(v)
  v = v.strip()
  try: return type(default)(v)
  except ValueError: pass
  try: return type(default)(float(v))
  except (ValueError, OverflowError): pass
  return 1 if v.lower() in ("yes", "y", "true", "on") else default

def debug_level() -> int: return getenv("DEBUG", 0)
DEBUG = debug_level()

class Deadline:
  """Every wait in hwrt has one. `remaining()` is never negative; `expired()` says whether it passed."""
  def __init__(self, seconds: float): self.seconds, self.end = seconds, time.monotonic() + seconds
  def remaining(self) -> float: return max(0.0, self.end - time.monotonic())
  def expired(self) -> bool: return time.monotonic() >= self.end

def round_up(x: int, a: int) -> int: return (x + a - 1) // a * a
