"""SWSB (software scoreboard) annotations for hand-written Xe-HPG code, so it is correct without hand-set tokens.

Xe-HPG keeps no register scoreboard for in-order pipes and none for out-of-order (send, math) results: the code says when
to wait. In-order dependencies carry a distance `A@n` (wait until the instruction n back, any pipe, has written: the most
conservative pipe choice); send and math take a scoreboard id `$k` (16 on Xe-HPG), and a later reader of their result waits
`$k.dst`, a later writer of their sources `$k.src`. An instruction that needs more waits than one distance and one id gets a
`sync.nop null {...}` before it. Register footprints come from the operand text (region, type, exec size) and, for send,
the message descriptor's response/payload lengths (bits 20..24 rlen, 25..28 mlen of desc; src1 length from the text).
Conservative, not optimal: it never misses a dependency of the operands it understands."""
import re
from hwrt.assemblers.xe import syntax

TYPE_BYTES = {"b": 1, "ub": 1, "w": 2, "uw": 2, "hf": 2, "bf": 2, "d": 4, "ud": 4, "f": 4, "q": 8, "uq": 8, "df": 8}
OOO = ("send", "sendc", "math")
SBIDS = 16

def _footprint(f: dict, p: str, dst: bool) -> set:
  if f.get(p + ".kind") in ("RD", "DA") and f.get(p + ".reg.rn") == "r":
    r, sr = f[p + ".reg.r"], f.get(p + ".reg.sr", 0)
    if f.get(p + ".kind") == "DA":
      n = f.get(p + ".len", 1) or 0
      return set(range(r, r + n))
    tb = TYPE_BYTES.get(f.get(p + ".type"), 4)
    es = f.get("es", 1)
    hz = f.get(p + ".rgn.Hz", 1) if dst else (f.get(p + ".rgn.Vt", 1) or f.get(p + ".rgn.Hz", 1) or 0)
    end = sr * tb + max(es * max(hz, 1) * tb, tb) - 1
    return set(range(r, r + end // 32 + 1))
  if f.get(p + ".kind") == "AD" and f.get(p + ".addr.reg.rn") == "r":
    return set(range(f[p + ".addr.reg.r"], f[p + ".addr.reg.r"] + (f.get(p + ".addr.len") or 1)))
  if f.get(p + ".kind") == "RI": return set(range(0, 256))       # indirect: anything
  return set()

def regs(f: dict) -> tuple:
  """(registers written, registers read)."""
  if f["op"] in ("send", "sendc"):
    desc = f.get("srcs[3].value", 0) or 0
    f = dict(f)
    f["dst.len"] = (desc >> 20) & 0x1F
    f["srcs[0].addr.len"] = (desc >> 25) & 0xF
  w = _footprint(f, "dst", True)
  rd = set()
  for i in range(4): rd |= _footprint(f, f"srcs[{i}]", False)
  return w, rd

def schedule(lines: list) -> list:
  """[(line number, text)] without SWSB -> the same with `{A@n}` / `{$k}` / `{$k.dst}` and sync.nop where needed."""
  out, inorder, pending, nxt = [], [], {}, 0    # inorder: [(written regs)], pending: sbid -> (written, read)
  label = re.compile(r"^([A-Za-z_.$][\w.$]*):\s*(.*)$")
  for no, ln in lines:
    m = label.match(ln)
    if m or ln.startswith("."):
      out.append((no, ln)); inorder.clear()
      if m and m.group(2): ln = m.group(2)
      else: continue
      out.pop(); out.append((no, f"{m.group(1)}:"))
      # after a label every path may arrive: wait for everything outstanding
      if pending: out.append((no, "sync.allwr (" + ",".join(f"${k}" for k in sorted(pending)) + ")")); pending.clear()
    f, _ = syntax.parse_inst(ln, None) if not re.search(r"\b(goto|join|jmpi|else|endif|while|if|brc|brd|call|ret)\b", ln) \
      else ({"op": "branch"}, False)
    if f["op"] == "branch":
      if pending: out.append((no, "sync.allwr (" + ",".join(f"${k}" for k in sorted(pending)) + ")")); pending.clear()
      out.append((no, ln)); inorder.clear(); continue
    w, r = regs(f)
    waits = []
    for k, (pw, pr) in sorted(pending.items()):
      if pw & (r | w): waits.append(f"${k}.dst")
      elif pr & w: waits.append(f"${k}.src")
    dist = next((n + 1 for n, iw in enumerate(reversed(inorder[-7:])) if iw & (r | w)), None)
    anno = [f"A@{dist}"] if dist else []
    if len(waits) > 1 or (waits and f["op"] in OOO):
      out.append((no, "sync.allwr (" + ",".join(sorted({x.split(".")[0] for x in waits})) + ")"))
      for x in waits: pending.pop(int(x[1:].split(".")[0]), None)
      waits = []
    anno += waits
    for x in waits: pending.pop(int(x[1:].split(".")[0]), None)
    if f["op"] in OOO or "EOT" in ln:
      k = nxt % SBIDS
      while k in pending and len(pending) < SBIDS: k = (k + 1) % SBIDS
      if k in pending: out.append((no, f"sync.allwr (${k})")); pending.pop(k)
      nxt = k + 1
      if "EOT" not in ln: pending[k] = (w, r); anno.append(f"${k}")
      inorder.append(set())
    else: inorder.append(w)
    if anno:
      if re.search(r"\{[^}]*\}\s*$", ln): ln = re.sub(r"\{([^}]*)\}\s*$", lambda m: "{" + m.group(1) + "," + ",".join(anno) + "}", ln)
      else: ln = f"{ln} {{{','.join(anno)}}}"
    out.append((no, ln))
  return out
