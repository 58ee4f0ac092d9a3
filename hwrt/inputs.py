"""The one input layer: every command that reads a user's file reads it here, and every output path is checked here before
any work starts.

read_bytes(path, kind): a regular file only (a device, FIFO, socket or directory is named as such), at most LIMITS[kind]
bytes; "-" is stdin where the command allows it. read_text(path, kind): the same, decoded as UTF-8; a bad byte is
`BadInput` naming the file, line and byte offset. json_line(): one JSON value, with nesting bounded. check_output(path):
the parent directory exists and is writable and the path is not a directory or a device. write_bytes(): OSError on write
(ENOSPC on /dev/full, EACCES) is bad input naming the path, not an internal error."""
from __future__ import annotations
import json, os, stat, sys
from hwrt.errors import BadInput

MiB = 1 << 20
LIMITS = {"binary": 256 * MiB, "asm": 16 * MiB, "journal": 1024 * MiB, "trace": 1024 * MiB, "log": 256 * MiB, "npy": 16384 * MiB,
          "pstore": 16 * MiB, "bundle": 64 * MiB}
MAX_JSON_DEPTH = 64
KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
         (stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"))

def _kind_of(mode: int) -> str: return next((what for test, what in KINDS if test(mode)), "not a regular file")

def regular_file(path: str, kind: str) -> int:
  """-> size; BadInput unless PATH is a regular file within the limit for KIND."""
  try: st = os.stat(path)
  except OSError as e: raise BadInput(f"cannot read {path}: {e.strerror}") from None
  if not stat.S_ISREG(st.st_mode): raise BadInput(f"{path} is {_kind_of(st.st_mode)}, not a regular file")
  if st.st_size > LIMITS[kind]: raise BadInput(f"{path} is {st.st_size} bytes; a {kind} file may be at most {LIMITS[kind]}")
  return st.st_size

def read_bytes(path: str, kind: str, stdin_ok: bool = False) -> bytes:
  limit = LIMITS[kind]
  if path == "-" and stdin_ok:
    data = sys.stdin.buffer.read(limit + 1)
    if len(data) > limit: raise BadInput(f"stdin holds more than {limit} bytes (the limit for a {kind} file)")
    return data
  regular_file(path, kind)
  try:
    with open(path, "rb") as f: data = f.read(limit + 1)
  except OSError as e: raise BadInput(f"cannot read {path}: {e.strerror}") from None
  if len(data) > limit: raise BadInput(f"{path} grew past {limit} bytes while being read")
  return data

def decode_text(data: bytes, path: str) -> str:
  try: text = data.decode("utf-8")
  except UnicodeDecodeError as e:
    line = data.count(b"\n", 0, e.start) + 1
    raise BadInput(f"{path}: not UTF-8 text: byte {data[e.start]:#04x} at offset {e.start} (line {line})") from None
  if (z := text.find("\0")) >= 0: raise BadInput(f"{path}: not text: NUL byte at offset {len(text[:z].encode())}")
  return text

def read_text(path: str, kind: str, stdin_ok: bool = False) -> str:
  return decode_text(read_bytes(path, kind, stdin_ok), "stdin" if path == "-" and stdin_ok else path)

def _depth_ok(s: str | bytes) -> bool:
  """whether brackets nest at most MAX_JSON_DEPTH deep (a cheap pre-check: json's recursion would raise RecursionError)"""
  b = s.encode() if isinstance(s, str) else s
  if b.count(b"[") + b.count(b"{") <= MAX_JSON_DEPTH: return True
  d = m = 0
  for c in b.translate(None, delete=bytes(x for x in range(256) if x not in b"[]{}")):
    d += 1 if c in b"[{" else -1
    m = max(m, d)
  return m <= MAX_JSON_DEPTH

def json_line(line: str | bytes, where: str):
  """One JSON value; ValueError (as json raises) for bad JSON or nesting deeper than MAX_JSON_DEPTH."""
  if not _depth_ok(line): raise ValueError(f"{where}: JSON nested deeper than {MAX_JSON_DEPTH} levels")
  try: return json.loads(line)
  except RecursionError: raise ValueError(f"{where}: JSON nested too deeply") from None
  except UnicodeDecodeError as e: raise ValueError(f"{where}: not UTF-8 at byte {e.start}") from None

def check_output(path: str, what: str = "output", directory: bool = False) -> str:
  """Validate an output path before any work: -> the path. directory=True: PATH is (or will be) a directory."""
  if not path: raise BadInput(f"{what} path is empty")
  if "\0" in path: raise BadInput(f"{what} path contains a NUL byte")
  try: st = os.stat(path)
  except FileNotFoundError: st = None
  except OSError as e: raise BadInput(f"{what} {path}: {e.strerror}") from None
  if st is not None:
    if directory:
      if not stat.S_ISDIR(st.st_mode): raise BadInput(f"{what} {path} is {_kind_of(st.st_mode)}, not a directory")
      if not os.access(path, os.W_OK | os.X_OK): raise BadInput(f"{what} directory {path} is not writable")
      return path
    if not stat.S_ISREG(st.st_mode): raise BadInput(f"{what} {path} is {_kind_of(st.st_mode)}, not a regular file")
    if not os.access(path, os.W_OK): raise BadInput(f"{what} {path} is not writable")
    return path
  parent = os.path.dirname(os.path.abspath(path))
  if not os.path.isdir(parent): raise BadInput(f"{what} {path}: directory {parent} does not exist")
  if not os.access(parent, os.W_OK | os.X_OK): raise BadInput(f"{what} {path}: directory {parent} is not writable")
  return path

def write_bytes(path: str, data: bytes, what: str = "output", mode: int = 0o644):
  try:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, mode)
    try:
      mv = memoryview(data)
      while mv: mv = mv[os.write(fd, mv):]
    finally: os.close(fd)
  except OSError as e: raise BadInput(f"cannot write {what} {path}: {e.strerror}") from None
