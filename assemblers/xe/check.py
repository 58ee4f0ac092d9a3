"""`learn --check` and the property tests: the committed model against iga64 on random field combinations.

Words are drawn per variant: the variant's structural bits, uniformly random bits in all its field bits (don't-care bits
zero); words our decoder rejects are redrawn (a field combination the model knows iga64 refuses). For each word:
  - text: our disassembly == iga64 -d (whitespace-normalised, comments dropped);
  - round trip: encode(decode(w)) == w on the variant's defined bits (mask and field bits);
  - acceptance: iga64 decodes every word our decoder accepts.
Also prints the coverage numbers."""
import random, sys
from hwrt.assemblers.xe import iga, syntax, table as T
from hwrt.assemblers.xe.decoder import decode_word, encode

def draw(model, n: int, seed: int = 0) -> list:
  """n (word, size, variant) triples; branch variants excluded (their targets must land inside the file: see tests)."""
  rnd = random.Random(seed)
  vs = [v for v in model.variants if not any(l.key.endswith(".target") for l in v.lins)]
  out = []
  while len(out) < n:
    v = rnd.choice(vs)
    care = v.care() & ~v.mask
    for _ in range(20):
      w = v.value | (rnd.getrandbits(8 * v.size) & care)
      r = decode_word(w, v.size, model)
      if r is not None and r[1] == v.vid: out.append((w, v.size, v)); break
  return out

def coverage(model) -> dict:
  ops = set(iga.list_ops())
  have = {v.consts.get("op") for v in model.variants}
  nat = [v for v in model.variants if v.size == 16]
  cmp_ = [v for v in model.variants if v.size == 8]
  classified = sum(bin(v.care()).count("1") for v in nat)
  return dict(iga_ops=len(ops), ops_modelled=len(have & ops), missing=sorted(ops - have), variants=len(model.variants),
              native_variants=len(nat), compacted_variants=len(cmp_), compacted_ops=len({v.consts.get("op") for v in cmp_}),
              linear_fields=sum(len(v.lins) for v in model.variants), enum_fields=sum(len(v.enums) for v in model.variants),
              native_bits_classified=f"{classified}/{128 * len(nat)}")

def compare(model, n: int, seed: int = 0, verbose: int = 5) -> dict:
  items = draw(model, n, seed)
  blob = b"".join(w.to_bytes(s, "little") for w, s, _ in items)
  txt = iga.decode_text(blob)
  bad_text = bad_rt = rejected = 0
  pc = 0
  for w, s, v in items:
    t = txt.get(pc)
    d, _ = decode_word(w, s, model)
    mine = syntax.format_inst(d)
    if t is None: rejected += 1
    elif syntax_norm(mine) != iga.norm(t):
      bad_text += 1
      if bad_text <= verbose: print(f"  text {w:0{2 * s}x}: iga64 {iga.norm(t)!r}\n  {'':{2 * s + 7}} hwrt  {mine!r}", file=sys.stderr)
    try:
      back = encode(d, s, model)
      if (back ^ w) & v.care(): raise ValueError(f"{back:x}")
    except Exception as e:
      bad_rt += 1
      if bad_rt <= verbose: print(f"  round trip {w:0{2 * s}x} {mine!r}: {e}", file=sys.stderr)
    pc += s
  return dict(words=len(items), text_mismatch=bad_text, roundtrip_mismatch=bad_rt, iga_rejects=rejected)

def syntax_norm(t: str) -> str: return " ".join(t.split())

# agreement the committed model reaches (measured when xehpg.tsv was written; --check fails below it)
FLOOR = dict(text=0.60, roundtrip=0.48, accept=0.93)

def rates(r: dict) -> dict:
  n = r["words"] or 1
  return dict(text=1 - r["text_mismatch"] / n, roundtrip=1 - r["roundtrip_mismatch"] / n, accept=1 - r["iga_rejects"] / n)

def run(n: int) -> int:
  model = T.load()
  cov = coverage(model)
  print(" ".join(f"{k}={v}" for k, v in cov.items() if k != "missing"))
  print("opcodes iga64 knows for 12p71 that no variant models:", " ".join(cov["missing"]) or "none")
  r = compare(model, n)
  rt = rates(r)
  print(" ".join(f"{k}={v}" for k, v in r.items()), " ".join(f"{k}_agree={v:.3f}" for k, v in rt.items()))
  low = [k for k in FLOOR if rt[k] < FLOOR[k]]
  if low: print("below the committed floor:", ", ".join(f"{k} {rt[k]:.3f} < {FLOOR[k]}" for k in low))
  return 1 if low else 0
