"""Xe-HPG assembler: iga64-syntax text -> bytes through the learned model (decoder.encode).

Source syntax (one instruction, label or directive per line; `//` and `/* */` comments):
  (W) add (16|M0) r10.0<1>:d r2.0<1;1,0>:d 1:w {Compacted,I@1}     as iga64 prints it; {Compacted} asks for the 64-bit form
  loop:                                      a label; branch operands name labels
  .kernel NAME                               starts a kernel; .simd 8|16|32, .grf 128, .slm BYTES, .scratch BYTES,
  .arg NAME buffer|value SIZE [@OFFSET]      one argument (cross-thread data offset; default: packed after the local sizes)
Instructions without SWSB annotations get them from sched.py when the kernel has `.sched auto` (default for `.kernel`
sources with no `{...@...}`/`$` annotation at all)."""
import re
from dataclasses import dataclass, field
from hwrt.errors import AssemblerError
from hwrt.assemblers.xe import syntax, table as T
from hwrt.assemblers.xe.decoder import encode

@dataclass
class KernelSource:
  name: str
  lines: list = field(default_factory=list)     # (line number, text)
  simd: int = 16
  grf: int = 128
  slm: int = 0
  scratch: int = 0
  args: list = field(default_factory=list)      # (name, kind, size, offset|None)
  code: bytes = b""

LABEL = re.compile(r"^([A-Za-z_.$][\w.$]*):\s*(.*)$")

def _strip(ln: str) -> str:
  return re.sub(r"/\*.*?\*/", "", ln).split("//")[0].strip()

def parse_source(text: str) -> list:
  ks, cur = [], None
  for no, raw in enumerate(text.splitlines(), 1):
    ln = _strip(raw)
    if not ln: continue
    if ln.startswith("."):
      w = ln.split()
      if w[0] == ".kernel":
        if len(w) != 2: raise AssemblerError(f"line {no}: .kernel NAME")
        cur = KernelSource(w[1]); ks.append(cur); continue
      if cur is None: raise AssemblerError(f"line {no}: {w[0]} before .kernel")
      try:
        if w[0] in (".simd", ".grf", ".slm", ".scratch"): setattr(cur, w[0][1:], int(w[1], 0)); continue
        if w[0] == ".arg":
          off = int(w[4][1:], 0) if len(w) > 4 and w[4][1:] not in ("", "-") else None
          cur.args.append((w[1], w[2], int(w[3], 0), off)); continue
      except (IndexError, ValueError): raise AssemblerError(f"line {no}: bad directive {ln!r}")
      raise AssemblerError(f"line {no}: unknown directive {w[0]}")
    if cur is None: cur = KernelSource("main"); ks.append(cur)
    cur.lines.append((no, ln))
  return ks

class _Resolver:
  def __init__(self, labels: dict, pc: int): self.names, self.pc = labels, pc
  def __call__(self, name: str) -> int:
    if name in self.names: return self.names[name] - self.pc
    if re.match(r"^L\d+$", name): return int(name[1:]) - self.pc
    raise AssemblerError(f"unknown label {name}")

def assemble_lines(lines: list, model=None) -> bytes:
  """[(line number, text)] -> raw ISA (labels resolved; L<pc> names an absolute pc as iga64 prints them)."""
  model = model or T.load()
  items, labels, pc = [], {}, 0
  for no, ln in lines:
    m = LABEL.match(ln)
    while m:
      labels[m.group(1)] = pc; ln = m.group(2).strip(); m = LABEL.match(ln)
    if not ln: continue
    size = 8 if re.search(r"\{[^}]*\bCompacted\b", ln) else 16
    items.append((no, ln, pc, size)); pc += size
  out = bytearray()
  for no, ln, pc, size in items:
    try:
      f, _ = syntax.parse_inst(ln, _Resolver(labels, pc))
      out += encode(f, size, model).to_bytes(size, "little")
    except AssemblerError as e:
      raise AssemblerError(f"line {no}: {e}: {ln}")
  return bytes(out)
