"""Redaction of a repro bundle (the default; `hwrt repro make --no-redact` skips it): host names, user names, home
directories, environment variable values and serial numbers (GPU UUIDs, "Serial Number" fields) are replaced by
<hostname>, <user>, <home>, <env:NAME>, <serial> in every text file of the bundle.

What counts as secret comes from this machine (socket/platform host name, login and passwd user, $HOME, the whole
environment) and from the journal (its start record's host name and the --env values). Kept: the simulator's settings
(HWRT_SIM_FAULTS / _SEED / _BUGS, which the repro needs), values shorter than 6 characters or all digits (too common to
mean anything), and the user name `root` as a bare word (it is kernel vocabulary; /root paths are still redacted)."""
from __future__ import annotations
import getpass, os, platform, re, socket

KEEP_ENV = {"HWRT_SIM_FAULTS", "HWRT_SIM_SEED", "HWRT_SIM_BUGS"}
NAMED = {"USER", "LOGNAME", "USERNAME", "SUDO_USER", "HOME", "HOSTNAME"}      # replaced as <user>, <home>, <hostname> instead
SERIAL_PATTERNS = [
  (re.compile(r"\bGPU-[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"), "GPU-<serial>"),
  (re.compile(r"(?i)\b(serial(?:[ _]?(?:number|no))?|board[ _]serial|GPU UUID|uuid)(\s*[:=]\s*)(\S+)"), r"\1\2<serial>"),
]

def _hosts(system: dict | None) -> set[str]:
  out = set()
  for h in (socket.gethostname(), platform.node(), (system or {}).get("hostname"), os.environ.get("HOSTNAME")):
    if h: out.add(h); out.add(h.split(".")[0])
  return {h for h in out if len(h) >= 3 and h != "localhost"}

def _users() -> set[str]:
  out = set()
  for k in ("USER", "LOGNAME", "USERNAME", "SUDO_USER"):
    if os.environ.get(k): out.add(os.environ[k])
  try: out.add(getpass.getuser())
  except Exception: pass
  try:
    import pwd; out.add(pwd.getpwuid(os.getuid()).pw_name)
  except Exception: pass
  return {u for u in out if len(u) >= 2}

def _homes() -> set[str]:
  out = {os.path.expanduser("~")}
  if os.environ.get("HOME"): out.add(os.environ["HOME"])
  try:
    import pwd; out.add(pwd.getpwuid(os.getuid()).pw_dir)
  except Exception: pass
  return {h.rstrip("/") for h in out if h and h not in ("/", "")}

def secrets(system: dict | None = None, env_items: list[str] | None = None) -> list[tuple[str, str]]:
  """(secret text, replacement), longest first (so a home path goes before the user name inside it)."""
  pairs = []
  env = dict(os.environ)
  env.update(dict(kv.split("=", 1) for kv in env_items or [] if "=" in kv))
  for k, v in env.items():
    if k in KEEP_ENV or k in NAMED or len(v) < 6 or re.fullmatch(r"[\d.]+", v) or (len(v) < 12 and re.fullmatch(r"[0-9a-fA-F]+", v)): continue
    pairs.append((v, f"<env:{k}>"))
  pairs += [(h, "<home>") for h in _homes()]
  pairs += [(h, "<hostname>") for h in _hosts(system)]
  pairs += [(u, "<user>") for u in _users()]
  seen, out = set(), []
  for s, r in sorted(pairs, key=lambda p: -len(p[0])):
    if s not in seen: seen.add(s); out.append((s, r))
  return out

def redact_text(text: str, pairs: list[tuple[str, str]]) -> str:
  for s, r in pairs:
    if r == "<user>":
      text = re.sub(r"(/home/|/Users/)" + re.escape(s) + r"\b", r"\1<user>", text)
      if s == "root": continue
      text = re.sub(r"(?<![\w-])" + re.escape(s) + r"(?![\w-])", r, text)
    elif r == "<hostname>": text = re.sub(r"(?<![\w-])" + re.escape(s) + r"(?![\w-])", r, text, flags=re.I)
    else: text = text.replace(s, r)
  text = re.sub(r"/home/[^/\s\"'<>]+", "/home/<user>", text)
  for pat, rep in SERIAL_PATTERNS: text = pat.sub(rep, text)
  return text

def redact_dir(path: str, pairs: list[tuple[str, str]]) -> list[str]:
  """Rewrite every text file under path; returns the files changed."""
  changed = []
  for root, _, files in os.walk(path):
    for f in files:
      p = os.path.join(root, f)
      try: text = open(p, encoding="utf-8").read()
      except (UnicodeDecodeError, OSError): continue
      new = redact_text(text, pairs)
      if new != text:
        with open(p, "w", encoding="utf-8") as fh: fh.write(new)
        changed.append(p)
  return changed
