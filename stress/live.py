"""Live view: workers (iterations, rate, state), elapsed/remaining, and the events table deduplicated by signature. rich when
stdout is a terminal, plain lines otherwise (each new signature once when first seen, a status line every 10 s)."""
from __future__ import annotations
import sys, time

def _fmt_t(s: float | None) -> str:
  if s is None: return "-"
  s = int(s); return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"

class _Base:
  def __init__(self, out=None):
    self.out, self.rates, self.prev, self.t0 = out or sys.stdout, {}, {}, time.monotonic()
  def rows(self, r, elapsed):
    now, rows = time.monotonic(), []
    for w, st in r.progress().items():
      pt, pd = self.prev.get(w, (self.t0, st["done"] if w not in self.prev else self.prev[w][1]))
      if now - pt >= 1.0:
        self.rates[w] = (st["done"] - pd) / (now - pt); self.prev[w] = (now, st["done"])
      elif w not in self.prev: self.prev[w] = (now, st["done"])
      state = "done" if st["finished"] else f"iter {st['current']}" + (f" op {st['op']}" if st["op"] is not None else "") if st["current"] is not None else "between"
      rows.append((w, st["pid"], st["done"], self.rates.get(w, 0.0), st["restarts"], state))
    return rows
  def remaining(self, r, elapsed):
    d = r.cfg.get("duration"); return None if d is None else max(0.0, d - elapsed)

class PlainView(_Base):
  def start(self, r):
    c = r.cfg
    print(f"hwrt stress: {c.get('cmd') or c.get('workload')!r} x{c['procs']} on {c.get('device') or 'host'}, seed {c['seed']}, "
          f"deadline {c['deadline']} s, journal {r.jpath}", file=self.out, flush=True)
    self.last = time.monotonic()
  def message(self, msg): print(f"hwrt stress: {msg}", file=self.out, flush=True)
  def event(self, ev, sig):
    if sig["count"] == 1 or sig["count"] in (10, 100, 1000, 10000):
      w = f" worker {ev['worker']}" if ev.get("worker") is not None else ""
      print(f"[{_fmt_t(time.monotonic() - self.t0)}] {ev.get('severity', 'error').upper()} {ev['kind']}{w}: {ev['signature']}"
            + (f" (x{sig['count']})" if sig["count"] > 1 else "") + (f"\n    {ev['line']}" if ev.get("line") else ""), file=self.out, flush=True)
  def update(self, r, elapsed):
    if time.monotonic() - self.last < 10: return
    self.last = time.monotonic()
    rows = self.rows(r, elapsed)
    print(f"[{_fmt_t(elapsed)}] {sum(x[2] for x in rows)} iterations, {sum(x[3] for x in rows):.1f}/s, {len(r.sigs)} signatures, "
          f"{r.failures} failure events, remaining {_fmt_t(self.remaining(r, elapsed))}", file=self.out, flush=True)
  def stop(self, r, wall): pass

class RichView(_Base):
  def start(self, r):
    from rich.console import Console
    from rich.live import Live
    self.console = Console(file=self.out)
    self.msgs, self.r, self.elapsed = [], r, 0.0
    self.live = Live(self.render(), console=self.console, refresh_per_second=4, transient=False)
    self.live.start()
  def message(self, msg): self.msgs = (self.msgs + [msg])[-3:]
  def event(self, ev, sig): pass
  def update(self, r, elapsed): self.elapsed = elapsed; self.live.update(self.render())
  def stop(self, r, wall): self.elapsed = wall; self.live.update(self.render()); self.live.stop()
  def render(self):
    from rich.table import Table
    from rich.console import Group
    from rich.text import Text
    r, el = self.r, self.elapsed
    rows = self.rows(r, el)
    head = Text(f"hwrt stress  {r.cfg.get('cmd') or r.cfg.get('workload')!r} on {r.cfg.get('device') or 'host'}  seed {r.cfg['seed']}  "
                f"elapsed {_fmt_t(el)}  remaining {_fmt_t(self.remaining(r, el))}  iterations {sum(x[2] for x in rows)} "
                f"({sum(x[3] for x in rows):.1f}/s)  journal {r.jpath}", style="bold")
    wt = Table(title="workers", expand=False)
    for col in ("#", "pid", "iterations", "rate/s", "restarts", "state"): wt.add_column(col, justify="right" if col != "state" else "left")
    for w, pid, done, rate, rs, state in rows[:32]: wt.add_row(w, str(pid), str(done), f"{rate:.1f}", str(rs), state)
    if len(rows) > 32: wt.add_row("...", "", str(sum(x[2] for x in rows[32:])), "", "", f"{len(rows) - 32} more")
    et = Table(title="events (deduplicated by signature)", expand=False)
    for col in ("count", "kind", "signature", "workers"): et.add_column(col)
    for s in sorted(r.sigs.values(), key=lambda s: s["first"])[-20:]:
      et.add_row(str(s["count"]), s["kind"], Text(s["signature"], style="red" if s["severity"] == "error" else "yellow"),
                 ",".join(map(str, sorted(s["workers"])))[:30])
    return Group(head, wt, et, *[Text(m, style="yellow") for m in self.msgs])

def make_view(out=None, force_plain: bool = False):
  out = out or sys.stdout
  return RichView(out) if not force_plain and getattr(out, "isatty", lambda: False)() else PlainView(out)
