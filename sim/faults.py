"""Fault injection and planted driver bugs for every simulated vendor.

  HWRT_SIM_FAULTS="KIND@WHEN,..."   KIND: hang | fault | drop_signal | panic
                                     WHEN: launch=N (the Nth launch on the machine, from 1) | p=FLOAT (each launch with that
                                     probability, seeded by HWRT_SIM_SEED) | after=SECONDS (the first launch at least that long
                                     after the machine started; panic fires at that time even with no launch)
  HWRT_SIM_SEED=INT                  seed for p= rules (default 0); the draw for launch n depends only on (seed, rule, n)
  HWRT_SIM_BUGS=NAME,...             planted, deterministic driver bugs (BUGS below)

Meaning of the kinds (what the engines do with them): hang = the channel/queue running that launch stops making progress;
fault = an MMU fault at that launch (Xid 31 on NVIDIA); drop_signal = the next semaphore release after that launch is lost;
panic = the whole simulated machine dies (every user gets errors, a pstore record is left)."""
from __future__ import annotations
import os, random, re, time
from dataclasses import dataclass, field
from hwrt.errors import BadArgument

KINDS = ("hang", "fault", "drop_signal", "panic")
BUGS = {
  "free-in-flight": "freeing memory that an unfinished launch still uses takes effect at once: the launch faults (Xid 31 on "
                    "NVIDIA) instead of the free waiting for the work to retire",
  "mes-queue-churn": "AMD: after rapid compute-queue create/destroy from two or more processes the simulated MES stops answering "
                     "(MES failed to respond to msg=...), the GPU resets and every process's queues die",
}

@dataclass
class Rule:
  kind: str
  when: str            # "launch" | "p" | "after"
  value: float
  text: str
  fired: bool = False

@dataclass
class FaultPlan:
  rules: list[Rule] = field(default_factory=list)
  seed: int = 0
  bugs: frozenset = frozenset()
  t0: float = field(default_factory=time.monotonic)

  @classmethod
  def parse(cls, faults: str = "", seed: str | int | None = None, bugs: str = "") -> "FaultPlan":
    rules = []
    for item in [x.strip() for x in (faults or "").split(",") if x.strip()]:
      m = re.fullmatch(r"([a-z_]+)@(launch|p|after)=([0-9.eE+-]+)", item)
      if not m: raise BadArgument(f"HWRT_SIM_FAULTS item {item!r} is not KIND@launch=N, KIND@p=PROB or KIND@after=SECONDS")
      kind, when, val = m.groups()
      if kind not in KINDS: raise BadArgument(f"HWRT_SIM_FAULTS item {item!r}: unknown kind {kind!r} (know {', '.join(KINDS)})")
      try: v = int(val) if when == "launch" else float(val)
      except ValueError: raise BadArgument(f"HWRT_SIM_FAULTS item {item!r}: {val!r} is not a number") from None
      if (when == "launch" and v < 1) or (when == "p" and not 0 <= v <= 1) or (when == "after" and v < 0):
        raise BadArgument(f"HWRT_SIM_FAULTS item {item!r}: launch= counts from 1, p= is in [0, 1], after= is >= 0")
      rules.append(Rule(kind, when, v, item))
    try: s = int(seed) if seed not in (None, "") else 0
    except ValueError: raise BadArgument(f"HWRT_SIM_SEED={seed!r} is not an integer") from None
    names = frozenset(x.strip() for x in (bugs or "").split(",") if x.strip())
    if names - set(BUGS): raise BadArgument(f"HWRT_SIM_BUGS: unknown bug {sorted(names - set(BUGS))[0]!r} (know {', '.join(BUGS)})")
    return cls(rules, s, names)

  @classmethod
  def from_env(cls, env=None) -> "FaultPlan":
    env = os.environ if env is None else env
    return cls.parse(env.get("HWRT_SIM_FAULTS", ""), env.get("HWRT_SIM_SEED"), env.get("HWRT_SIM_BUGS", ""))

  def bug(self, name: str) -> bool:
    assert name in BUGS, name
    return name in self.bugs

  def on_launch(self, n: int, now: float | None = None) -> str | None:
    """The fault kind to inject at the nth launch (1-based), or None. launch= and after= rules fire once."""
    now = time.monotonic() if now is None else now
    for i, r in enumerate(self.rules):
      if r.when == "launch" and not r.fired and n == r.value: r.fired = True; return r.kind
      if r.when == "after" and not r.fired and now - self.t0 >= r.value: r.fired = True; return r.kind
      if r.when == "p" and random.Random(f"{self.seed}:{i}:{n}").random() < r.value: return r.kind
    return None

  def panic_due(self, now: float | None = None) -> bool:
    """A panic@after=S rule whose time has come (checked by the machine's poll loop)."""
    now = time.monotonic() if now is None else now
    for r in self.rules:
      if r.kind == "panic" and r.when == "after" and not r.fired and now - self.t0 >= r.value: r.fired = True; return True
    return False

  def __bool__(self) -> bool: return bool(self.rules or self.bugs)
  def describe(self) -> str:
    return ",".join([r.text for r in self.rules] + [f"bug:{b}" for b in sorted(self.bugs)]) or "none"
