"""iga64 (Intel Graphics Assembler, Debian libigc-tools) as an oracle: maintainer tool and tests only, never at run time.

Batches many words per call: `iga64 -d -p=12p71 --output-on-fail` keeps going past a bad word (printed as `illegal`, with
a `byte offset 0x..: error` line on stderr), `-Xprint-json` gives each instruction's fields, `-Xprint-pc` the text per PC.
Answers are cached on disk (HWRT_XE_CACHE, default ~/.cache/hwrt-xe) keyed by the bytes, so reruns cost nothing."""
import hashlib, json, os, re, subprocess, sys, tempfile
from hwrt import oracles

PLATFORM = "12p71"
CACHE = os.environ.get("HWRT_XE_CACHE", os.path.expanduser("~/.cache/hwrt-xe"))

def tool() -> str:
  p = oracles.find("iga64")
  if p is None: sys.exit(f"iga64 not found ({oracles.INSTALL_HINT['iga64']})")
  return p

def _cached(kind: str, blob: bytes, fn):
  os.makedirs(CACHE, exist_ok=True)
  path = os.path.join(CACHE, hashlib.sha1(kind.encode() + blob).hexdigest()[:24] + ".json")
  if os.path.exists(path):
    with open(path) as f: return json.load(f)
  out = fn()
  with open(path + ".tmp", "w") as f: json.dump(out, f)
  os.replace(path + ".tmp", path)
  return out

def _run(args: list, blob: bytes, suffix=".krn") -> subprocess.CompletedProcess:
  with tempfile.TemporaryDirectory() as d:
    p = os.path.join(d, "in" + suffix)
    with open(p, "wb") as f: f.write(blob)
    return subprocess.run([tool(), *args, f"-p={PLATFORM}", "--color=never", p], capture_output=True, text=True, errors="replace")

def _bad_offsets(stderr: str) -> set:
  return {int(m, 16) for m in re.findall(r"byte offset (0x[0-9a-fA-F]+): error", stderr)}

def decode_json(words: list) -> list:
  """Native (16-byte) or compacted (8-byte) words -> iga64's JSON object per word (None where iga64 rejects it)."""
  blob = b"".join(words)
  pcs = [0]
  for w in words[:-1]: pcs.append(pcs[-1] + len(w))
  def go():
    r = _run(["-d", "--output-on-fail", "-Xprint-json"], blob)
    bad = _bad_offsets(r.stderr)
    txt = re.sub(r'"comment":"(?:[^"\\]|\\.)*"', '"comment":null', r.stdout)
    insts = []
    parts = re.split(r'\n\s*\{"kind":"(?=[IL]")', txt)[1:]
    if parts: parts[-1] = re.sub(r"\s*\]\s*\}\s*$", "", parts[-1])
    for part in parts:
      if part.startswith('L"'): continue
      body = '{"kind":"' + part.rstrip().rstrip(",")
      try: insts.append(json.loads(body))
      except ValueError: insts.append(None)
    if len(insts) != len(words): return [None] * len(words)
    return [None if pcs[k] in bad or j is None or j.get("op") == "illegal" else j for k, j in enumerate(insts)]
  out = _cached("json2", blob, go)
  _from_text(out, blob, pcs)
  for k, j in enumerate(out):      # branch targets: iga64 prints absolute labels (L<decimal pc>); keep them pc-relative
    for src in (j or {}).get("srcs") or []:
      if isinstance(src, dict) and isinstance(src.get("target"), str) and src["target"][1:].isdigit():
        src["target"] = int(src["target"][1:]) - pcs[k]
  return out

RI_RGN = re.compile(r"\br\[a0\.\d+(?:,-?\d+)?\](<[^>]*>)")
COND_FLAG = re.compile(r"\((?:eq|ne|gt|ge|lt|le|ov|un|ez|nz|z)\)f(\d)\.(\d)")

def _from_text(out: list, blob: bytes, pcs: list):
  """What iga64's JSON leaves out but its text shows: the region of an indirect operand, the flag of a conditional
  modifier on instructions without a predicate. Added to the JSON objects under the keys the JSON uses elsewhere."""
  need = [k for k, j in enumerate(out) if j and (any(isinstance(s, dict) and s.get("kind") == "RI" for s in j.get("srcs") or [])
                                                 or (j.get("fm") and not j.get("freg")))]
  if not need: return
  txt = decode_text(blob)
  for k in need:
    t, j = txt.get(pcs[k]) or "", out[k]
    rgns = RI_RGN.findall(t.split("//")[0])
    ris = ([j["dst"]] if isinstance(j.get("dst"), dict) and j["dst"].get("kind") == "RI" else []) + \
          [s for s in j.get("srcs") or [] if isinstance(s, dict) and s.get("kind") == "RI"]
    for s, g in zip(ris, rgns): s["rgntext"] = g
    m = COND_FLAG.search(t)
    if j.get("fm") and not j.get("freg") and m: j["freg"] = {"rn": "f", "r": int(m.group(1)), "sr": int(m.group(2))}

LINE = re.compile(r"^/\* \[([0-9A-F]{4,})\]\s*\*/ (.*)$")

def decode_text(blob: bytes) -> dict:
  """Raw ISA (native and compacted words) -> {pc: text} as iga64 prints it (labels dropped); rejected PCs map to None."""
  def go():
    r = _run(["-d", "--output-on-fail", "-Xprint-pc"], blob)
    bad = _bad_offsets(r.stderr)
    out = {}
    for ln in r.stdout.splitlines():
      m = LINE.match(ln)
      if m: out[str(int(m.group(1), 16))] = None if int(m.group(1), 16) in bad else m.group(2).rstrip()
    return out
  return {int(k): v for k, v in _cached("text", blob, go).items()}

def assemble(text: str, no_compact: bool = False) -> bytes | None:
  """Assembly text -> bytes (None on an iga64 error)."""
  def go():
    with tempfile.TemporaryDirectory() as d:
      src, dst = os.path.join(d, "a.asm"), os.path.join(d, "a.krn")
      with open(src, "w") as f: f.write(text)
      args = [tool(), "-a", f"-p={PLATFORM}", src, "-o", dst] + (["-Xforce-no-compact"] if no_compact else [])
      r = subprocess.run(args, capture_output=True, text=True, errors="replace")
      return open(dst, "rb").read().hex() if r.returncode == 0 and os.path.exists(dst) else None
  h = _cached("asm" + ("nc" if no_compact else ""), text.encode(), go)
  return None if h is None else bytes.fromhex(h)

def list_ops() -> list:
  r = subprocess.run([tool(), "-Xlist-ops", f"-p={PLATFORM}"], capture_output=True, text=True, errors="replace")
  return [ln.split()[0] for ln in r.stdout.splitlines()[1:] if ln.strip()]

def norm(text: str) -> str:
  """Whitespace-normalised instruction text without the trailing `//` comment."""
  return " ".join(text.split("//")[0].split())
