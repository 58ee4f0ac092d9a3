"""Maintainer tool: learn the Xe-HPG (iga64 platform 12p71) encoding model from iga64, the way nv_isa_solver learns SASS
from nvdisasm (kuterd/nv_isa_solver: bit flips, then per-field value enumeration), but reading iga64's structured
`-Xprint-json` decode instead of text.

  1. Seeds: every native instruction of the OpenCL corpus (tests/xe_corpus/*.cl, compiled by `ocloc -device dg2`),
     compacted ones expanded by `iga64 -a -Xforce-no-compact`; plus, for each opcode iga64 lists for 12p71 that the
     corpus lacks, seeds of the other opcodes with the 7 opcode bits replaced (kept where iga64 decodes them).
  2. Flips: each bit but 29 (CmptCtrl) of each seed is flipped and decoded (one batched iga64 call per seed). A flip that
     changes the opcode or an operand kind, or is rejected, is a structural bit; otherwise it names the JSON keys it changes.
  3. Variants: seeds with the same opcode and operand kinds form a variant; its fields are the connected components of
     bits that change the same keys (a key changed by several bit groups joins them). A component with one numeric key
     whose flips move it by +-2^k is linear; any other is enumerated over all its codes (at most 2^12) through iga64.
  4. Compaction (compact.py): the compacted 64-bit form's index fields enumerated and expanded by iga64.

  python -m hwrt.assemblers.xe.learn           regenerate xehpg.tsv
  python -m hwrt.assemblers.xe.learn --check   exit 1 if the committed model disagrees with iga64 on the corpus and on
                                               N random field combinations (default 2000)
"""
import argparse, glob, hashlib, json, os, random, struct, subprocess, sys, tempfile
from hwrt import oracles
from hwrt.assemblers.xe import iga, table as T

HERE = os.path.dirname(__file__)
ROOT = os.path.dirname(os.path.dirname(HERE))
CORPUS = os.path.join(ROOT, "tests", "xe_corpus")
ENUM_MAX = 12
SEEDS_PER_VARIANT = 5
NOP = bytes.fromhex("60000000000000000000000000000000")
STRUCT_KEYS = ("op", "kind")     # a change of these is a change of structure

def flat(j, p="") -> dict:
  out = {}
  if isinstance(j, dict):
    for k, v in j.items():
      if k in ("id", "defs", "comment") or (p == "" and k == "kind"): continue
      if p == "" and k == "opts": out["opts"] = ",".join(v or []); continue   # one key: list positions shift
      out.update(flat(v, f"{p}.{k}" if p else k))
  elif isinstance(j, list):
    for i, v in enumerate(j): out.update(flat(v, f"{p}[{i}]"))
  else: out[p] = j
  return out

def signature(fl: dict) -> str:
  return ";".join([str(fl.get("op"))] + [f"{k}={fl[k]}" for k in sorted(fl) if k.endswith(".kind") and fl[k] is not None])

def compile_corpus(cache: str = iga.CACHE) -> dict:
  """{kernel name: raw ISA} for every kernel of tests/xe_corpus/*.cl (ocloc, cached by source hash)."""
  from hwrt.assemblers.xe import container
  ocloc = oracles.find("ocloc")
  if ocloc is None: sys.exit(f"ocloc not found ({oracles.INSTALL_HINT['ocloc']})")
  out = {}
  for p in sorted(glob.glob(os.path.join(CORPUS, "*.cl"))):
    src = open(p, "rb").read()
    c = os.path.join(cache, "ocl-" + hashlib.sha1(src).hexdigest()[:16] + ".bin")
    if not os.path.exists(c):
      os.makedirs(cache, exist_ok=True)
      with tempfile.TemporaryDirectory() as d:
        r = subprocess.run([ocloc, "compile", "-file", p, "-device", "dg2", "-q", "-out_dir", d, "-output", "k"],
                           capture_output=True, text=True)
        bins = glob.glob(os.path.join(d, "k*.bin"))
        if r.returncode or not bins: raise RuntimeError(f"ocloc {p}: {r.stdout.strip()} {r.stderr.strip()}")
        os.replace(bins[0], c)
    for k in container.read(open(c, "rb").read()).kernels: out[k.name] = k.isa
  return out

def split_words(isa: bytes) -> list:
  out, i = [], 0
  while i + 8 <= len(isa):
    n = 8 if isa[i + 3] & 0x20 else 16
    out.append(isa[i:i + n]); i += n
  return out

def expand_compacted(words8: list) -> dict:
  """Compacted words -> native 16-byte words, through iga64 (-d then -a -Xforce-no-compact)."""
  out = {}
  txt = iga.decode_text(b"".join(words8))
  lines = [txt.get(8 * i) for i in range(len(words8))]
  good = [(w, t) for w, t in zip(words8, lines) if t and not any(x in t for x in ("goto", "join", "jmpi", "else", "while"))]
  if not good: return out
  src = "\n".join(iga.norm(t) for _, t in good) + "\n"
  nat = iga.assemble(src, no_compact=True)
  if nat is None or len(nat) != 16 * len(good): return out
  for i, (w, _) in enumerate(good): out[w] = nat[16 * i:16 * i + 16]
  return out

def probe(seed: bytes) -> tuple:
  """Flip every bit but 29 of one seed: (flat decode of the seed, {bit: flat decode of the flip | None if structural})."""
  base, n = int.from_bytes(seed, "little"), len(seed)
  bits = [b for b in range(8 * n) if b != 29]
  js = iga.decode_json([seed] + [(base ^ (1 << b)).to_bytes(n, "little") for b in bits])
  if js[0] is None: return None, {}
  f0 = flat(js[0]); sig0 = signature(f0); res = {}
  for b, j in zip(bits, js[1:]):
    f = flat(j) if j is not None else None
    res[b] = f if f is not None and signature(f) == sig0 else None
  return f0, res

def numeric(v):
  if isinstance(v, bool) or v is None: return None
  if isinstance(v, int): return v
  try: return int(v, 0)
  except (TypeError, ValueError): return None

def decode_one(seed: bytes) -> dict:
  """Flat decode of one word, followed by nops so that branch targets land inside the probe kernel."""
  return flat(iga.decode_json([seed] + [NOP] * 64)[0])

def enumerate_codes(seed: bytes, bits: tuple, keys: tuple) -> dict:
  """All 2^len(bits) codes of `bits` in `seed` decoded: {code: values of keys} (rejected codes left out)."""
  base = int.from_bytes(seed, "little") & ~T.putbits((1 << len(bits)) - 1, bits)
  words = [(base | T.putbits(c, bits)).to_bytes(len(seed), "little") for c in range(1 << len(bits))]
  sig = signature(decode_one(seed))
  out = {}
  for c, j in enumerate(iga.decode_json(words + [NOP] * 128)[:len(words)]):   # nops: branch targets stay inside
    if j is None: continue
    f = flat(j)
    if signature(f) == sig: out[c] = tuple(f.get(k) for k in keys)
  return out

def depends_on(seed: bytes, k: str, kb: tuple, tab: dict, others: list) -> set:
  """Bits outside kb that change k once kb holds a code other than the seed's: the second-order dependencies a single
  flip cannot show (a subregister's element size given by the type, an ARF name by the register number, ...)."""
  n, w0 = len(seed), int.from_bytes(seed, "little")
  v0 = decode_one(seed).get(k)
  diff = [c for c, vals in sorted(tab.items()) if vals[0] != v0]
  byval = {}
  for c in diff: byval.setdefault(tab[c][0], c)          # one code per distinct value, then spread over the rest
  codes = (list(byval.values())[:6] + diff[::max(1, len(diff) // 4)])[:10] + [T.getbits(w0, kb)]
  words = []
  for c in codes:
    w = (w0 & ~T.putbits((1 << len(kb)) - 1, kb)) | T.putbits(c, kb)
    words += [w] + [w ^ (1 << b) for b in others]
  js = iga.decode_json([w.to_bytes(n, "little") for w in words] + [NOP] * 128)
  more, step = set(), len(others) + 1
  for i in range(len(codes)):
    blk = js[i * step:(i + 1) * step]
    if blk[0] is None: continue
    base, sig = flat(blk[0]).get(k), signature(flat(blk[0]))
    for b, j in zip(others, blk[1:]):
      if j is not None and signature(flat(j)) == sig and flat(j).get(k) != base: more.add(b)
  return more

FLOAT_BITS = {"f": ("<f", "<I"), "hf": ("<e", "<H"), "df": ("<d", "<Q"), "bf": None}

def raw_value(v, ty):
  """A numeric JSON value as raw bits (floats of type f/hf/df through their encoding)."""
  n = numeric(v)
  if n is not None or not isinstance(v, str) or not FLOAT_BITS.get(ty): return n
  try: x = float(v)
  except ValueError: return None
  a, b = FLOAT_BITS[ty]
  return struct.unpack(b, struct.pack(a, x))[0]

def ctx_key(k: str):
  """The key a linear key's weights depend on: an immediate's type, a register number's register file."""
  if k.endswith(".value"): return k[:-len(".value")] + ".type"
  if k.endswith(".r"): return k[:-2] + ".rn"
  return None

def type_of(f: dict, k: str):
  c = ctx_key(k)
  return f.get(c) if c else None

def operand_of(k: str) -> str:
  return k.split(".")[0]

def learn_variant(vid: int, seeds: list) -> T.Variant | None:
  """One variant from its seeds: per JSON key the bits whose flips change it; keys sharing bits are enumerated together
  (<= ENUM_MAX bits), wider numeric keys are linear (per operand type for immediates)."""
  probes = [(s, *probe(s)) for s in seeds]
  probes = [p for p in probes if p[1] is not None]
  if not probes: return None
  s0, f0, _ = probes[0]
  w0 = int.from_bytes(s0, "little")
  keysets, weights = {}, {}
  for s, f, res in probes:
    w = int.from_bytes(s, "little")
    for b, f2 in res.items():
      if f2 is None: continue
      ch = {k for k in set(f) | set(f2) if f.get(k) != f2.get(k)}
      for k in ch:
        keysets.setdefault(b, set()).add(k)
        ty = type_of(f, k)
        if ty != type_of(f2, k): continue
        if any(operand_of(o) == operand_of(k) for o in ch if o != k): continue    # a sibling changed too: not a weight
        a, c = raw_value(f.get(k), ty), raw_value(f2.get(k), ty)
        if a is not None and c is not None:
          weights.setdefault(k, {}).setdefault(ty, {}).setdefault(b, (c - a) if not w >> b & 1 else (a - c))
  mask = 0x7F | 1 << 29
  for b in range(8 * len(s0)):
    if b in keysets: continue
    vals = {int.from_bytes(s, "little") >> b & 1 for s, _, _ in probes}
    if len(vals) == 1 and all(res.get(b, 0) is None for _, _, res in probes): mask |= 1 << b
  v = T.Variant(vid, w0 & 0x7F, signature(f0), mask, w0 & mask, len(s0))
  allkeys = sorted(set().union(*keysets.values())) if keysets else []
  v.consts = {k: f0[k] for k in f0 if k not in allkeys}
  fieldbits = set(keysets)
  pow2 = lambda x: x and (abs(x) & (abs(x) - 1)) == 0
  enum_bits = {}
  for k in allkeys:
    kb = tuple(sorted(b for b in keysets if k in keysets[b]))
    if k.endswith(".target"):           # branch offsets: flips past the probe kernel's end are rejected; the field is 32 bits
      ws = {b: w for g in weights.get(k, {}).values() for b, w in g.items()}
      base = {b - (abs(w).bit_length() - 1) for b, w in ws.items() if w > 0 and pow2(w)}
      if len(base) == 1:
        lo = base.pop(); lb = tuple(range(lo, lo + 32))
        v.lins.append(T.Lin(k, lb, tuple((1 << i) if i < 31 else -(1 << 31) for i in range(32))))
        v.mask &= ~T.putbits((1 << 32) - 1, lb); v.value &= v.mask
        continue
    if len(kb) > ENUM_MAX:
      groups = weights.get(k, {})
      for ty, ws in sorted(groups.items(), key=lambda t: str(t[0])):
        lb = tuple(b for b in kb if pow2(ws.get(b, 0)))
        if lb: v.lins.append(T.Lin(k, lb, tuple(ws[b] for b in lb), ty))
      anyw = {}
      for ws in groups.values():
        for b, w in ws.items():
          if pow2(w): anyw.setdefault(b, w)
      lb = tuple(b for b in kb if b in anyw)
      if lb: v.lins.append(T.Lin(k, lb, tuple(anyw[b] for b in lb), None))
      else: print(f"  variant {vid} {v.sig}: {k} has {len(kb)} bits and is not linear; left out", file=sys.stderr)
      continue
    seed = next((s for s, f, _ in probes if f.get(k) is not None), s0)
    tab = enumerate_codes(seed, kb, (k,))
    more = depends_on(seed, k, kb, tab, sorted(fieldbits - set(kb)))
    if more and len(kb) + len(more) <= ENUM_MAX: kb = tuple(sorted(set(kb) | more))
    elif more: print(f"  variant {vid} {v.sig}: {k} also depends on {sorted(more)}: too many bits", file=sys.stderr)
    enum_bits[k] = (set(kb), seed)
  # keys whose bits overlap are enumerated jointly when the union stays small (SWSB distance and token, flag and predicate)
  groups = [[{k}, set(b), sd] for k, (b, sd) in enum_bits.items()]
  merged = True
  while merged:
    merged = False
    for i in range(len(groups)):
      for j in range(i + 1, len(groups)):
        if groups[i][1] & groups[j][1] and len(groups[i][1] | groups[j][1]) <= ENUM_MAX:
          groups[i][0] |= groups[j][0]; groups[i][1] |= groups[j][1]; del groups[j]; merged = True; break
      if merged: break
  for keys, bits, seed in groups:
    keys, bits = tuple(sorted(keys)), tuple(sorted(bits))
    v.enums.append(T.Enum(keys, bits, enumerate_codes(seed, bits, keys)))
  return v

def opcode_seeds(seeds: list, ops: list) -> list:
  """For opcodes the corpus lacks: other seeds with the opcode bits replaced, kept where iga64 decodes the new opcode."""
  have = {s[0] & 0x7F for s in seeds}
  cands = []
  for op in range(128):
    if op in have: continue
    for s in [s for s in seeds if len(s) == 16][::max(1, len(seeds) // 40)]:
      cands.append(bytes([(s[0] & 0x80) | op]) + s[1:])
  js = iga.decode_json(cands)
  return [c for c, j in zip(cands, js) if j is not None and j.get("op") in ops]

def gather_seeds() -> list:
  """Corpus words, native and compacted (each its own variants), plus compacted ones expanded to native."""
  words = [w for isa in compile_corpus().values() for w in split_words(isa)]
  native = list(dict.fromkeys(w for w in words if len(w) == 16))
  cmp = list(dict.fromkeys(w for w in words if len(w) == 8))
  native += [n for n in expand_compacted(cmp).values()]
  return list(dict.fromkeys(native)) + cmp

def diverse(ss: list, flats: dict) -> list:
  """Up to SEEDS_PER_VARIANT seeds, greedily covering the most operand types, register files and modifiers."""
  feat = lambda s: {(k, str(x)) for k, x in flats[s].items() if k.endswith((".type", ".rn", ".mods", "cond", "func", "subop"))}
  pick, seen = [ss[0]], feat(ss[0])
  while len(pick) < min(SEEDS_PER_VARIANT, len(ss)):
    best = max((s for s in ss if s not in pick), key=lambda s: len(feat(s) - seen))
    pick.append(best); seen |= feat(best)
  return pick

def learn() -> list:
  seeds = gather_seeds()
  ops = iga.list_ops()
  seeds += opcode_seeds(seeds, ops)
  js = iga.decode_json(seeds)
  byvar = {}
  for s, j in zip(seeds, js):
    if j is None: continue
    byvar.setdefault((len(s), s[0] & 0x7F, signature(flat(j))), []).append(s)
  flats = {s: flat(j) for s, j in zip(seeds, js) if j is not None}
  rows, vid = [], 0
  for (size, op, sig), ss in sorted(byvar.items()):
    pick = diverse(ss, flats)
    v = learn_variant(vid, pick)
    if v is None: continue
    print(f"variant {vid}: {sig} ({len(ss)} seeds) {len(v.lins)} linear, {len(v.enums)} enumerated", file=sys.stderr)
    rows += format_variant(v); vid += 1
  return rows

def format_variant(v: T.Variant) -> list:
  out = [f"V\t{v.vid}\t{v.opcode}\t{v.sig}\t{v.mask:x}\t{v.value:x}\t{v.size}"]
  for l in v.lins:
    out.append(f"L\t{v.vid}\t{l.key}\t{','.join(map(str, l.bits))}\t{','.join(map(str, l.weights))}\t{l.when or ''}")
  out.append(f"K\t{v.vid}\t{json.dumps(v.consts, separators=(',', ':'))}")
  for e in v.enums:
    tab = ";".join(f"{c}={json.dumps(list(vals), separators=(',', ':'))}" for c, vals in sorted(e.table.items()))
    tid = TABLES.setdefault(tab, len(TABLES))
    out.append(f"E\t{v.vid}\t{'|'.join(e.keys)}\t{','.join(map(str, e.bits))}\t@{tid}")
  return out

TABLES = {}

def main(argv=None):
  ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  ap.add_argument("--check", action="store_true")
  ap.add_argument("-n", type=int, default=2000, help="random words for --check")
  a = ap.parse_args(argv)
  if a.check:
    from hwrt.assemblers.xe import check
    sys.exit(check.run(a.n))
  rows = learn()
  rows += fill_rows(rows)
  with open(T.TSV, "w") as f:
    f.write("# Xe-HPG (iga64 -p=12p71) encoding model, written by `python -m hwrt.assemblers.xe.learn`; see table.py\n")
    f.write("\n".join(rows) + "\n")
    for tab, tid in TABLES.items(): f.write(f"T\t{tid}\t{tab}\n")
  print(f"wrote {T.TSV}: {sum(r.startswith('V') for r in rows)} variants", file=sys.stderr)

def fill_rows(rows: list) -> list:
  """fills.py rules from the corpus, with the model just learned (written to a scratch file first)."""
  from hwrt.assemblers.xe import fills
  with tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False) as f:
    f.write("\n".join(rows) + "\n"); [f.write(f"T\t{tid}\t{tab}\n") for tab, tid in TABLES.items()]
  model = T.load(f.name)
  words = [w for isa in compile_corpus().values() for w in split_words(isa)]
  out = fills.learn_rows(words, model)
  os.unlink(f.name)
  return out

def gather_seeds_compact() -> list:
  words = [w for isa in compile_corpus().values() for w in split_words(isa)]
  return list(dict.fromkeys(w for w in words if len(w) == 8))

if __name__ == "__main__": main()
