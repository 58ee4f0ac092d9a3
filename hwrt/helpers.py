import os, time
def getenv(key: str, default=0): return type(default)(os.environ.get(key, default))
DEBUG = getenv("DEBUG", 0)

class Deadline:
  """Every wait in hwrt has one. `remaining()` is never negative; `expired()` says whether it passed."""
  def __init__(self, seconds: float): self.seconds, self.end = seconds, time.monotonic() + seconds
  def remaining(self) -> float: return max(0.0, self.end - time.monotonic())
  def expired(self) -> bool: return time.monotonic() >= self.end

def round_up(x: int, a: int) -> int: return (x + a - 1) // a * a
