"""Maintainer tool: learn the structural model (model.py, sm90_model.json) from nvdisasm, the way kuterd/nv_isa_solver
fuzzes nvdisasm (facts only; our own code): per learned form (sm90.tsv) take its exemplar word (the form's fixed bits,
operands zero, guard PT), then
  1. flip every fixed bit outside the opcode (0..11), guard (12..15) and control (105..127) bits; classify each flip:
     `mod` (only the modifier tokens change), `neutral` (text unchanged: a don't-care bit), `other` (rejected, other
     mnemonic, operands or their shapes change: stays fixed);
  2. split runs of adjacent `mod` bits into independent fields with a pair test (flip a, b and a+b: independent when the
     token change of a+b is the union of the single changes);
  3. enumerate every field's 2^w values (others at the exemplar's) -> value -> tokens (INVALIDn as nvdisasm prints them);
     values that reject or change the operands are left out (their words belong to another variant);
  4. place each field's tokens in the printed order (template) and verify: a sample of the field cross product (with
     random don't-care bits) must print exactly as composed; a variant whose don't-care bits break a check keeps them fixed.
Forms of one opcode value and operand shapes that a variant explains need no variant of their own.
Every nvdisasm answer is cached (oracle.py), so a rerun asks only for new words.

  python -m hwrt.assemblers.sass.learn_model [--cache DIR]    relearn and write sm90_model.json, print coverage
  python -m hwrt.assemblers.sass.learn_model --check           CI: the committed model against the committed check sample
"""
import argparse, collections, difflib, itertools, json, os, random, sys
from hwrt.assemblers.sass import table as T, model as M, syntax
from hwrt.assemblers.sass.oracle import Nvdisasm

SKIP = set(range(0, 16)) | set(range(105, 128))
MAXW = 6                      # widest field enumerated in one piece
BITS = (16, 105)              # word bits probed (--bits LO-HI narrows it; bits outside stay fixed at the exemplar's value)
VERIFY = 96                   # cross-product words checked per variant
def check_path(arch="sm_90"): return os.path.join(os.path.dirname(__file__), f"{arch.replace('_', '')}_model_check.tsv")

EXEMPLARS: dict = {}          # form key -> the corpus word learn.py took as its exemplar (its flips are in the answer cache)

def corpus_exemplars(arch="sm_90", cache_dir=None) -> dict:
  """{form key: first corpus word of the form}, as learn.learn groups them (ptxas and nvdisasm answers cached)."""
  from hwrt.assemblers.sass import learn as L
  cubins = L.compile_corpus(cache_dir, generated=L.GENERATED_SEEDS and arch == "sm_90", arch=arch)
  names = sorted(cubins)
  names = [n for n in names if not n.startswith("gen_")] + [n for n in names if n.startswith("gen_")]
  code = b"".join(c for name in names for _, c in L.kernel_code(cubins[name]))
  words = [int.from_bytes(code[i:i + 16], "little") for i in range(0, len(code), 16)]
  out = {}
  for w, t in zip(words, L.nvdisasm_raw(words, arch)):
    if t is not None: out.setdefault(L.Parsed(t).key, w)
  return out

def exemplar(f: "T.Form") -> int:
  if f.key in EXEMPLARS: return EXEMPLARS[f.key]
  w = f.value | 7 << 12
  for j, x in f.when.items(): w |= f.fields[j].put(x)
  return w

class Txt:
  """nvdisasm's text of one word, split: guard, mnemonic tokens, operand text."""
  def __init__(self, t: str):
    p = syntax.parse_line(t if t.endswith(";") else t + " ;")
    self.ok = p is not None
    if self.ok:
      self.guard, op, self.ops = p
      self.toks = op.split(".")
  def same_ops(self, o): return self.ok and o.ok and self.guard == o.guard and self.ops == o.ops and self.toks[0] == o.toks[0]

def txt(t): return Txt(t) if t is not None else None

def classify(ex: Txt, t) -> str:
  if t is None: return "other"
  if not t.same_ops(ex): return "other"
  return "neutral" if t.toks == ex.toks else "mod"

def delta(base, toks):
  a, b = collections.Counter(base), collections.Counter(toks)
  return a - b, b - a

def independent(ex, ta, tb, tab):
  if None in (ta, tb, tab) or not tab.same_ops(ex): return False
  ra, aa = delta(ex.toks, ta.toks); rb, ab = delta(ex.toks, tb.toks)
  if ra & rb: return False
  return collections.Counter(tab.toks) == collections.Counter(ex.toks) - ra - rb + aa + ab

def span_tokens(base, toks, s, e):
  tail = len(base) - e
  if toks[:s] != base[:s] or toks[len(toks) - tail:] != base[e:] or len(toks) < s + tail: return None
  return toks[s:len(toks) - tail]

class Learner:
  def __init__(self, tab, nvd, log=print):
    self.tab, self.nvd, self.log = tab, nvd, log
  def ask(self, words): return [txt(t) for t in self.nvd.ask(words)]

  def learn(self, forms):
    """-> [Variant] for these forms (batched: one oracle round per step over all forms)."""
    jobs = []
    for f in forms:
      w = exemplar(f)
      if self.tab.match(w) is not f: continue                    # an alias of another form at these bits
      opbits = sum(fl.bits() for fl in f.fields)
      cand = [b for b in range(*BITS) if b not in SKIP and f.mask >> b & 1 and not opbits >> b & 1]
      jobs.append((f, w, cand))
    ex_t = self.ask([w for _, w, _ in jobs])
    flips = self.ask([w ^ 1 << b for _, w, c in jobs for b in c])
    it = iter(flips)
    staged = []
    for (f, w, cand), ex in zip(jobs, ex_t):
      fl = {b: next(it) for b in cand}
      if ex is None or not ex.ok or ex.toks[0] != f.opcode.split(".")[0]: continue
      cls = {b: classify(ex, fl[b]) for b in cand}
      staged.append((f, w, ex, cls, fl))
    # pair tests on adjacent modifier bits
    pairs = [(i, b) for i, (f, w, ex, cls, fl) in enumerate(staged) for b in sorted(cls) if cls[b] == "mod" and cls.get(b + 1) == "mod"]
    pt = self.ask([staged[i][1] ^ 3 << b for i, b in pairs])
    indep = {(i, b): independent(staged[i][2], staged[i][4][b], staged[i][4][b + 1], t) for (i, b), t in zip(pairs, pt)}
    runs = []
    for i, (f, w, ex, cls, fl) in enumerate(staged):
      fields, cur = [], None
      for b in sorted(cls):
        if cls[b] != "mod": cur = None; continue
        if cur is not None and cur[0] + cur[1] == b and not indep.get((i, b - 1), False) and cur[1] < MAXW: cur[1] += 1
        else: cur = [b, 1]; fields.append(cur)
      runs.append(fields)
    # enumerate field values
    enum = [(i, k, v) for i, fs in enumerate(runs) for k, (lo, wd) in enumerate(fs) for v in range(1 << wd)]
    et = self.ask([(staged[i][1] & ~(((1 << runs[i][k][1]) - 1) << runs[i][k][0])) | v << runs[i][k][0] for i, k, v in enum])
    vals = collections.defaultdict(dict)
    for (i, k, v), t in zip(enum, et):
      if t is not None and t.same_ops(staged[i][2]): vals[i, k][v] = t.toks
    variants = []
    for i, (f, w, ex, cls, fl) in enumerate(staged):
      v = self.build(f, w, ex, cls, runs[i], [vals[i, k] for k in range(len(runs[i]))])
      if v: variants.append(v)
    self.verify(variants)
    return variants

  def build(self, f, w, ex, cls, runs, tables):
    base = ex.toks[1:]
    spans, fields = [], []
    for (lo, wd), tv in zip(runs, tables):
      e0 = w >> lo & ((1 << wd) - 1)
      if e0 not in tv: continue
      changed = set(); ins = set()
      for toks in tv.values():
        for tag, i1, i2, _, _ in difflib.SequenceMatcher(None, base, toks[1:], autojunk=False).get_opcodes():
          if tag == "equal": continue
          if i1 == i2: ins.add(i1)
          changed |= set(range(i1, i2))
      s = min(changed | ins) if changed | ins else None
      if s is None: continue
      e = max(changed) + 1 if changed else s
      if ins and max(ins) > e: e = max(ins)
      if any(max(s, s2) < min(e, e2) for s2, e2 in spans): continue      # overlapping token spans: not independent
      table = {}
      for x, toks in tv.items():
        tk = span_tokens(base, toks[1:], s, e)
        if tk is not None: table[x] = ".".join(tk)
      if len(table) < 2: continue
      spans.append((s, e)); fields.append(M.ModField(lo, wd, table))
    if not fields: return None
    order = sorted(range(len(fields)), key=lambda k: spans[k])
    tmpl, pos = [], 0
    for k in order:
      s, e = spans[k]
      tmpl += base[pos:s]; tmpl.append(k); pos = e
    tmpl += base[pos:]
    dc = sum(1 << b for b, c in cls.items() if c == "neutral")
    v = M.Variant(f.opcode, list(f.shapes), fields, tmpl, dc)
    v.form, v.ex, v.ex_text = f, w, ex
    return v

  def samples(self, v, rng, with_dc=True):
    choices = [sorted(mf.values) for mf in v.fields]
    combos = list(itertools.product(*choices)) if _prod(choices) <= VERIFY else \
             [tuple(rng.choice(c) for c in choices) for _ in range(VERIFY)]
    out = []
    for c in combos:
      w = v.ex & ~v.fbits | sum(x << mf.lo for x, mf in zip(c, v.fields))
      if with_dc: w = w & ~v.dont_care | rng.getrandbits(128) & v.dont_care
      out.append((c, w))
    return out

  def verify(self, variants):
    """Cross-product sample per variant; a tie in token order is settled here (the permutation that prints right)."""
    rng = random.Random(90)
    for attempt in ("dc", "fixed"):
      todo = [v for v in variants if v.checked[0] == 0 or v.checked[1] < v.checked[0]]
      if attempt == "fixed":
        for v in todo: v.dont_care = 0
      todo = [v for v in todo if v.fields]
      sam = [self.samples(v, rng, attempt == "dc") for v in todo]
      ts = self.ask([w for s in sam for _, w in s])
      it = iter(ts)
      for v, s in zip(todo, sam):
        got = [(c, next(it)) for c, _ in s]
        best = None
        for tmpl in _templates(v.template):
          ok = sum(1 for c, t in got if t is not None and t.same_ops(v.ex_text)
                   and ".".join(t.toks) == M.Variant(v.opcode, v.shapes, v.fields, tmpl).compose(list(c)))
          if best is None or ok > best[0]: best = (ok, tmpl)
        v.template, v.checked = best[1], [len(got), best[0]]
        if attempt == "fixed" and best[0] < len(got): salvage(v, got)

def salvage(v, got):
  """Drop the field values that failing combinations share (most failures first) until the rest of the sample prints as
  composed; a field left with one value is no field (its bits stay at the exemplar's value, its tokens become literal)."""
  ex_vals = [mf.get(v.ex) for mf in v.fields]
  def live(c): return all(x in mf.values for x, mf in zip(c, v.fields))
  def ok(c, t): return t is not None and t.same_ops(v.ex_text) and ".".join(t.toks) == v.compose(list(c))
  while True:
    bad = [c for c, t in got if live(c) and not ok(c, t)]
    if not bad: break
    cnt = collections.Counter((k, x) for c in bad for k, x in enumerate(c) if x != ex_vals[k])
    if not cnt: v.fields, v.checked = [], [0, 0]; return
    (k, x), _ = cnt.most_common(1)[0]
    del v.fields[k].values[x]
  n = sum(1 for c, t in got if live(c))
  keep = [k for k, mf in enumerate(v.fields) if len(mf.values) > 1]
  tmpl = []
  for it in v.template:
    if isinstance(it, str): tmpl.append(it)
    elif it in keep: tmpl.append(keep.index(it))
    elif v.fields[it].values[ex_vals[it]]: tmpl += v.fields[it].values[ex_vals[it]].split(".")
  v.template, v.fields = tmpl, [v.fields[k] for k in keep]
  v.checked = [n, n] if v.fields else [0, 0]

def _prod(xs):
  n = 1
  for x in xs: n *= len(x)
  return n

def _templates(tmpl):
  """The template and its variants with adjacent field slots permuted (token order ties)."""
  idx = [i for i, x in enumerate(tmpl) if isinstance(x, int)]
  out = [tmpl]
  for a, b in zip(idx, idx[1:]):
    if b == a + 1:
      t = list(tmpl); t[a], t[b] = t[b], t[a]; out.append(t)
  return out

def learn_all(tab, nvd, log=print):
  L = Learner(tab, nvd, log)
  groups = collections.defaultdict(list)
  for f in tab.forms: groups[f.value & 0xFFF, tuple(f.shapes), tuple(sorted(f.when))].append(f)
  reps = [max(g, key=lambda f: f.count) for g in groups.values()]
  variants = [v for v in L.learn(reps) if good(v)]
  for rnd in range(2):
    m = M.Model(variants, T.Table([f for f in tab.forms], tab.sr, tab.arch, variants))
    unexplained = [f for f in tab.forms if not _explained(m, f, variants)]
    log(f"learn_model: round {rnd + 1}: {len(variants)} variants, {len(unexplained)} forms not explained yet")
    if not unexplained: break
    variants += [v for v in L.learn(unexplained) if good(v)]
  return variants

def good(v): return bool(v.fields) and v.checked[0] > 0 and v.checked[1] == v.checked[0]

def _explained(m, f, variants):
  w = exemplar(f)
  for v in m.by_op.get(f.value & 0xFFF, ()):
    if v.form is f: return True
    if v.shapes != f.shapes or v.form.when != f.when: continue
    bf, fb = v.form, v.fbits
    if (f.value ^ bf.value) & bf.mask & ~fb & ~v.dont_care: continue
    if v.compose([mf.get(w) for mf in v.fields]) == f.opcode: return True
  return False

def coverage(tab, variants, nvd):
  fields = [mf for v in variants for mf in v.fields]
  vals = sum(len(mf.values) for mf in fields)
  inval = sum(1 for mf in fields for t in mf.values.values() if "INVALID" in t)
  ops_model = {v.form.value & 0xFFF for v in variants}
  ops_table = {f.value & 0xFFF for f in tab.forms}
  tails = {}                                                   # only tails swept completely (--sweep) count
  for tl in SWEEP_TAILS:
    ws = [tl | 7 << 12 | op for op in range(4096)]
    if all(w in nvd.known for w in ws): tails[tl] = {w & 0xFFF for w in ws if nvd.known[w] is not None}
  acc = set().union(*tails.values()) if tails else set()
  return {"probed_bits": f"{BITS[0]}-{BITS[1] - 1}", "variants": len(variants), "opcode_values_with_variants": len(ops_model), "opcode_values_in_table": len(ops_table),
          "opcode_values_nvdisasm_accepts": {f"{t:032x}": len(s) for t, s in tails.items()} or "not swept (run --sweep)",
          "opcode_values_accepted_union": len(acc), "accepted_union_in_table": len(acc & ops_table),
          "modifier_bits": sum(mf.w for mf in fields), "fields": len(fields), "field_values": vals, "invalid_values": inval,
          "dont_care_bits": sum(bin(v.dont_care).count("1") for v in variants),
          "cross_product_checked": sum(v.checked[0] for v in variants), "cross_product_ok": sum(v.checked[1] for v in variants)}

# opcode sweep tails (guard bits 12..15 left out here; the sweep sets PT): all other bits zero, and the high word of a UIADD3
# (bit 91 and predicate fields set: the uniform datapath and UR-operand forms need them; shared/research/sass_isa_model.md 3d)
SWEEP_TAILS = {0x000fc000000000000000000000000000, 0x000fc0000ff1e0000000000000000000}

def sweep(nvd, tail: int) -> dict:
  """{12-bit opcode value: mnemonic} nvdisasm accepts with this tail (cached; ~one nvdisasm start per rejected value)."""
  ws = [tail | 7 << 12 | op for op in range(4096)]
  return {w & 0xFFF: t.split()[0] for w, t in zip(ws, nvd.ask(ws)) if t is not None}

def main(argv=None):
  ap = argparse.ArgumentParser(prog="python -m hwrt.assemblers.sass.learn_model", description=__doc__.split("\n\n")[0])
  ap.add_argument("--check", action="store_true", help="check the committed model against the committed nvdisasm sample")
  ap.add_argument("--cache", help="nvdisasm answer cache directory (default ~/.cache/hwrt or $HWRT_NVDISASM_CACHE)")
  ap.add_argument("--arch", default="sm_90")
  ap.add_argument("--bits", default="16-104", help="word bits to probe, LO-HI (default all non-opcode/guard/control bits)")
  ap.add_argument("--jobs", type=int, default=2, help="parallel nvdisasm processes")
  ap.add_argument("--sweep", action="store_true", help="first sweep bits 0..11 over the probe tails (slow: ~4000 nvdisasm starts)")
  a = ap.parse_args(argv)
  if a.check: return check(a.arch)
  if a.sweep:
    nvd = Nvdisasm(a.arch, cache_dir=a.cache, jobs=1)
    for t in sorted(SWEEP_TAILS): print(f"sweep {t:032x}: {len(sweep(nvd, t))} opcode values accepted", flush=True)
  tab = T.load(a.arch)
  global BITS
  lo, hi = (int(x) for x in a.bits.split("-")); BITS = (lo, hi + 1)
  nvd = Nvdisasm(a.arch, cache_dir=a.cache, jobs=a.jobs)
  EXEMPLARS.update(corpus_exemplars(a.arch))
  variants = learn_all(tab, nvd)
  cov = coverage(tab, variants, nvd)
  M.write_model(variants, cov, a.arch)
  write_check_sample(variants, nvd, a.arch)
  for k, v in cov.items(): print(f"  {k}: {v}")
  print(f"learn_model: wrote {M.model_path(a.arch)} ({nvd.calls} nvdisasm calls)")
  return 0

def write_check_sample(variants, nvd, arch="sm_90", per=4):
  """A few cross-product words per variant with nvdisasm's text: --check (CI) decodes them with the committed model."""
  rng = random.Random(7)
  L = Learner(None, nvd)
  words = [w for v in variants for c, w in rng.sample(L.samples(v, rng), min(per, v.checked[0] or 1))]
  texts = nvd.ask(words)
  rows = [f"{w:032x}\t{nvd.addr_of(w) or 0:x}\t{t}" for w, t in zip(words, texts) if t is not None and nvd.addr_of(w) is not None]
  with open(check_path(arch), "w") as f:
    f.write("# word\taddress\tnvdisasm text  (sample of the model's cross-product checks; learn_model --check decodes them)\n")
    f.write("\n".join(sorted(rows)) + "\n")

def check(arch: str = "sm_90") -> int:
  from hwrt.assemblers.sass.decoder import decode
  from hwrt.assemblers.sass.asm import encode_line
  from hwrt.assemblers.sass.decoder import Ctrl
  tab = T.load(arch)
  bad = n = same = 0
  if not os.path.exists(check_path(arch)): print(f"learn_model --check: no {check_path(arch)}"); return 1
  for line in open(check_path(arch)):
    if line.startswith("#") or not line.strip(): continue
    w, a, t = line.rstrip("\n").split("\t"); w, a = int(w, 16), int(a, 16)
    n += 1
    try:
      got = decode(w, a, tab).text(tab.sr)
      if syntax.normalize(got) != syntax.normalize(t): raise ValueError(f"disasm {got!r}")
      if "INVALID" in t: continue                       # unencodable field values: disassembly only
      back = encode_line(f"{Ctrl.from_word(w)} {t}", a, tab=tab)
      dc = getattr(decode(w, a, tab).form, "dont_care", 0)
      if (back ^ w) & ~dc:                                # another encoding nvdisasm prints the same is no error
        if syntax.normalize(decode(back, a, tab).text(tab.sr)) != syntax.normalize(t): raise ValueError(f"asm {back:032x}")
        same += 1
    except Exception as e:
      bad += 1
      if bad <= 20: print(f"  FAIL {w:032x} {t}: {e}")
  print(f"learn_model --check: {n - bad}/{n} sampled cross-product words decode to nvdisasm's text and re-encode"
        f" ({same} to another encoding nvdisasm prints the same)")
  return 1 if bad or not n else 0

if __name__ == "__main__":
  sys.exit(main())
