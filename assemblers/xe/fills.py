"""Bits the instruction's fields leave open but the encoder IGC/iga64 uses still sets: iga64 ignores them on decode (they
are don't-care bits of the variant, or bits of a wider immediate than the operand type reads), yet ocloc's binaries have
them set, e.g. a 16-bit immediate replicated into both halves of the 32-bit field. Learned from the corpus (learn.py):
per variant and operand types, a bit is a constant or a copy of another bit when it is one in every corpus word.
Row: `D  vid  types(json)  bit  src` (src >= 0: copy of word bit src; -1: 0; -2: 1)."""
import json

def context(f: dict) -> str:
  return json.dumps(sorted((k, v) for k, v in f.items() if k.endswith(".type") and v is not None), separators=(",", ":"))

def apply(w: int, vid: int, f: dict, rules: dict) -> int:
  for b, src in rules.get((vid, context(f)), ()):
    bit = (w >> src & 1) if src >= 0 else (1 if src == -2 else 0)
    w = (w & ~(1 << b)) | bit << b
  return w

def learn_rows(words: list, model) -> list:
  """words: corpus (bytes) -> D rows for the bits where encode(decode(w)) != w."""
  from hwrt.assemblers.xe.decoder import decode_word, encode
  groups = {}
  for wb in words:
    w = int.from_bytes(wb, "little")
    r = decode_word(w, len(wb), model)
    if r is None: continue
    try: back = encode(r[0], len(wb), model, fills=False)
    except Exception: continue
    groups.setdefault((r[1], context(r[0]), len(wb)), []).append((w, back))
  rows = []
  for (vid, ctx, size), ws in sorted(groups.items()):
    diff = 0
    for w, back in ws: diff |= w ^ back
    for b in range(8 * size):
      if not diff >> b & 1: continue
      vals = {w >> b & 1 for w, _ in ws}
      if len(vals) == 1: rows.append(f"D\t{vid}\t{ctx}\t{b}\t{-2 if vals.pop() else -1}"); continue
      src = next((s for s in range(8 * size) if s != b and not diff >> s & 1 and all((w >> s & 1) == (w >> b & 1) for w, _ in ws)), None)
      if src is not None: rows.append(f"D\t{vid}\t{ctx}\t{b}\t{src}")
  return rows
