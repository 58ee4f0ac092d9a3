"""Maintainer tool: learn the sm_90 form table from the oracle (ptxas + nvdisasm), the way CuAssembler and the
"Dissecting Volta/Turing" work did: compile the PTX corpus (corpus/*.ptx) with `ptxas -arch=sm_90`, disassemble every
kernel with `nvdisasm -b SM90` (raw mode; one call), group instructions by form (opcode with modifiers + operand shapes),
then flip each non-control bit of one exemplar per form and disassemble the flips (one batched call): a flip that changes
one operand value by 2^k puts that word bit at value bit k of the operand's field; a flip that changes the opcode,
modifiers or operand shapes (or is rejected) marks a fixed bit. Special-register names are enumerated through nvdisasm.
Every corpus instruction is then decoded and re-encoded with the table and compared with nvdisasm's text and ptxas's bits.

  python -m hwrt.assemblers.sass.learn            regenerate sm90.tsv / sm90_sr.tsv
  python -m hwrt.assemblers.sass.learn --check    exit 1 if the committed tables differ from what the oracle gives now
"""
import argparse, glob, hashlib, os, re, subprocess, sys, tempfile
from hwrt import oracles
from hwrt.assemblers.elf import read_elf
from hwrt.assemblers.sass import syntax, table as T

HERE = os.path.dirname(__file__)
CORPUS = os.path.join(HERE, "corpus")
PROBE_SKIP = set(range(12, 16)) | set(range(105, 122))      # guard, control (stall/yield/barriers/wait): same on all forms
NOP = 0x000fc000000000000000000000007918

def _tool(name):
  p = oracles.find(name)
  if p is None: sys.exit(f"learn: {name} not found ({oracles.INSTALL_HINT.get(name)})")
  return p

OPT_LEVELS = ("-O3", "-O0")          # ptxas's default and unoptimised code: different instruction forms
GENERATED_SEEDS = True      # seed with the generated PTX corpus (tests/ptx_corpus): on once sm90.tsv is relearned with it

def compile_corpus(cache_dir: str | None = None, generated: bool = True, arch: str = "sm_90") -> dict:
  """{"alu.ptx" (-O3) / "alu.ptx@O0": cubin bytes}; cached by the PTX text's hash under cache_dir."""
  ptxas = _tool("ptxas")
  cache_dir = cache_dir or tempfile.mkdtemp(prefix="hwrt-sass-")
  os.makedirs(cache_dir, exist_ok=True)
  out = {}
  srcs = [(p, open(p, "rb").read()) for p in sorted(glob.glob(os.path.join(CORPUS, "*.ptx")))]
  if generated:
    for fam, text in generated_corpus().items():
      p = os.path.join(cache_dir, f"gen_{fam}.ptx")
      with open(p, "w") as f: f.write(text)
      srcs.append((p, text.encode()))
  if arch != "sm_90":                                           # the same PTX, retargeted (sm_100+ needs PTX ISA 8.7)
    srcs = [(p, src.replace(b".target sm_90", b".target " + arch.encode())) for p, src in srcs]
    if int(arch[3:]) >= 100: srcs = [(p, re.sub(rb"\.version \d+\.\d+", b".version 8.7", src)) for p, src in srcs]
  for p, src in srcs:
    for opt in OPT_LEVELS:
      c = os.path.join(cache_dir, hashlib.sha1(src + opt.encode()).hexdigest()[:16] + ".cubin")
      if not os.path.exists(c):
        if arch != "sm_90":
          p = c[:-6] + ".ptx"
          with open(p, "wb") as f: f.write(src)
        r = subprocess.run([ptxas, f"-arch={arch}", opt, p, "-o", c + ".tmp"], capture_output=True, text=True)
        if r.returncode: raise RuntimeError(f"ptxas {opt} {p}: {r.stderr.strip()}")
        os.replace(c + ".tmp", c)
      out[os.path.basename(p) + ("" if opt == "-O3" else "@" + opt[1:])] = open(c, "rb").read()
  return out

GENERATOR = os.path.join(HERE, "..", "..", "tests", "ptx_corpus", "generate.py")

def generated_corpus() -> dict:
  """{family: PTX module} of the generated PTX corpus (tests/ptx_corpus/generate.py), part of the seed corpus."""
  import importlib.util
  if not os.path.exists(GENERATOR): return {}
  spec = importlib.util.spec_from_file_location("ptx_corpus_generate", GENERATOR)
  m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
  return m.modules()

def corpus_text(name: str) -> str:
  """PTX source of a compile_corpus() entry ("alu.ptx", "gen_int.ptx@O0")."""
  n = name.split("@")[0]
  if n.startswith("gen_"): return generated_corpus()[n[4:-4]]
  with open(os.path.join(CORPUS, n)) as f: return f.read()

def kernel_code(cubin: bytes) -> list:
  e = read_elf(cubin)
  return [(s.name[6:], s.data) for s in e.sections if s.name.startswith(".text.")]

LINE_ADDR = re.compile(r"^\s*/\*([0-9a-f]{4,})\*/\s*(.*)$")

def nvdisasm_raw(words: list[int], arch: str = "sm_90") -> list:
  """Text of each word as nvdisasm prints it at address 16*i (None where nvdisasm rejects it); answers cached (oracle.py)."""
  from hwrt.assemblers.sass.oracle import Nvdisasm
  return Nvdisasm(arch).raw(list(words))

class Parsed:
  """One disassembled instruction: guard text, opcode, operand shapes, hole values, reuse operand indices."""
  def __init__(self, text: str):
    p = syntax.parse_line(text if text.rstrip().endswith(";") else text + " ;")
    if p is None: raise ValueError(f"unparsable: {text!r}")
    self.text = text
    self.guard, self.opcode, ops = p
    self.shapes, self.vals, self.reuse = [], [], set()
    for i, o in enumerate(ops):
      if o.endswith(".reuse"): o = o[:-6]; self.reuse.add(i)
      s, v = syntax.parse_operand(o, None)                       # float tokens as text until the form's width is known
      self.shapes.append(s); self.vals += v
  @property
  def key(self): return (self.opcode, tuple(self.shapes))
  def with_float_bits(self, fws):
    """Float texts -> bit patterns at the widths of the form's fields (NaN: canonical pattern, nvdisasm prints no payload)."""
    self.vals = [(k, syntax.float_bits(v, w or prior_fwidth(self.opcode)) if k == "F" and isinstance(v, str) else v)
                 for (k, v), w in zip(self.vals, fws)]
    return self
  def filled(self):
    """Shapes with omitted address parts written out (imm 0, RZ), values, and for each value whether it is real."""
    shapes, vals, real, it = [], [], [], iter(self.vals)
    for s in self.shapes:
      out, pos = "", 0
      for m in re.finditer(r"\[([^\[\]]*)\]", s):
        pre = s[pos:m.start()]; out += pre
        for _ in syntax.HOLE.findall(pre): vals.append(next(it)); real.append(True)
        c = m.group(1); holes = syntax.HOLE.findall(c)
        cv = [next(it) for _ in holes]; cr = [True] * len(holes)
        if "I" not in holes: c += "+{I}"; cv.append(("I", 0)); cr.append(False)
        if "R" not in holes and "UR" not in holes: c = "{R}+" + c; cv.insert(0, ("R", 255)); cr.insert(0, False)
        out += "[" + c + "]"; vals += cv; real += cr; pos = m.end()
      tail = s[pos:]; out += tail
      for _ in syntax.HOLE.findall(tail): vals.append(next(it)); real.append(True)
      shapes.append(out)
    return shapes, vals, real

def _pow2(x):
  return x > 0 and x & (x - 1) == 0

def prior_fwidth(opcode: str) -> int:
  """Float immediate width guessed from the opcode: only a tie-break and the width of a float hole no flip could place
  (a NaN exemplar); the width of every other float field is learned from its flips (choose_fwidth)."""
  base = opcode.split(".")[0]
  if base in ("DADD", "DMUL", "DFMA", "DSETP", "DMNMX", "DSET") or "64H" in opcode: return 64
  if base in ("HADD2", "HFMA2", "HMUL2", "HSETP2", "HSET2", "HMNMX2"): return 16
  return 32

def choose_fwidth(ex_text: str, flips: list, prior: int):
  """-> (width, [(word bit, value bit)]) for one float hole. nvdisasm prints a float immediate as a number, not as bits, so
  its kind (fp16, fp32, or the high word of a double) shows only in the flips: at the right width every flip of a field bit
  reads back as a one-bit change, all at the same offset (value bit = word bit - lo). Score: the largest such group."""
  best = None
  for w in syntax.FWIDTHS:
    eo = syntax.float_bits(ex_text, w) if "NAN" in ex_text else syntax.float_bits_exact(ex_text, w)
    if eo is None: continue                 # a NaN exemplar: assume nvdisasm's canonical pattern; a payload shows as misses
    hits = []
    for b, new in flips:
      en = syntax.float_bits_exact(new, w)
      if en is not None and _pow2(eo ^ en): hits.append((b, (eo ^ en).bit_length() - 1))
    groups = {}
    for b, k in hits: groups.setdefault(b - k, []).append((b, k))
    score = max((len(g) for g in groups.values()), default=0)
    if score and (best is None or (score, w == prior) > best[0]): best = ((score, w == prior), w, hits)
  return (best[1], best[2]) if best else (prior, [])

def learn_form(ex_word, ex_addr, ex: Parsed, probe_base, probe_texts, copy_text):
  """-> Form from the exemplar and its probe results ({bit: text or None})."""
  fshapes, fvals, freal = ex.filled()
  nreal = len(ex.vals)
  real_index = [i for i, r in enumerate(freal) if r]            # filled position of each real value
  copy = Parsed(copy_text) if copy_text else None
  pcrel = [copy is not None and k == "I" and copy.vals[j][1] != v for j, (k, v) in enumerate(ex.vals)]
  bits_of = {j: [] for j in range(nreal)}                       # real value index -> [(word bit, value bit, sign?)]
  srbits = {j: [] for j in range(nreal)}
  fflips = {j: [] for j in range(nreal)}                        # float holes: [(word bit, new text)]
  reuse = [None] * 4
  fixed = (1 << 128) - 1
  for j, pos in enumerate(real_index):                          # branch targets: compare as offsets from the pc
    if pcrel[j]: fvals[pos] = ("I", fvals[pos][1] - ex_addr)
  for b in range(128):
    if b in PROBE_SKIP: fixed &= ~(1 << b); continue
    t = probe_texts.get(b)
    if t is None: continue
    try: p = Parsed(t)
    except ValueError: continue
    if p.guard != ex.guard or p.opcode != ex.opcode: continue
    if 122 <= b <= 125:
      fixed &= ~(1 << b)
      if p.shapes == ex.shapes and len(p.reuse) == 1: reuse[b - 122] = next(iter(p.reuse))
      continue
    ps, pv, _ = p.filled()
    if ps != fshapes: continue
    for j, pos in enumerate(real_index):
      if pcrel[j]: pv[pos] = ("I", pv[pos][1] - (probe_base + 16 * b))
    diff = [i for i in range(len(fvals)) if pv[i] != fvals[i]]
    if not diff: continue                                        # text-neutral bit: stays fixed at the exemplar's value
    if len(diff) != 1 or not freal[diff[0]]: continue
    j = real_index.index(diff[0])
    kind, old = fvals[diff[0]]; new = pv[diff[0]][1]
    e = ex_word >> b & 1
    if kind == "SR": srbits[j].append(b); fixed &= ~(1 << b); continue
    if kind == "F":
      if "NAN" in new: continue                                    # NaN text drops the payload: no bit position
      fflips[j].append((b, new)); continue
    else:
      d = new - old
      if d == 0: continue
      up = (d > 0) == (e == 0)
      d, sign = abs(d), not up
      if kind in ("R", "UR", "P", "UP"): d = old ^ new; sign = False
    if not _pow2(d): continue
    bits_of[j].append((b, d.bit_length() - 1, sign)); fixed &= ~(1 << b)
  fws = [None] * nreal
  for j, (kind, v) in enumerate(ex.vals):
    if kind != "F": continue
    fws[j], hits = choose_fwidth(v, fflips[j], prior_fwidth(ex.opcode))
    for b, k in hits: bits_of[j].append((b, k, False)); fixed &= ~(1 << b)
  fields = []
  for j, (kind, v) in enumerate(ex.vals):
    if kind == "SR":
      bs = sorted(srbits[j])
      if not bs: raise ValueError(f"{ex.key}: special register field not found")
      fields.append(T.Field([(bs[0], 8, 0)], sr=ex.opcode.split(".")[0])); continue     # SR numbers are 8 bits
    bs = sorted(bits_of[j])
    if not bs:
      fields.append(None if kind != "F" else T.Field([], const=syntax.float_bits(v, fws[j]), fw=fws[j])); continue
    segs = []
    for b, k, _ in bs:
      if segs and segs[-1][0] + segs[-1][1] == b and segs[-1][2] + segs[-1][1] == k: segs[-1][1] += 1
      else: segs.append([b, 1, k])
    if kind == "F" and len({b - k for b, k, _ in bs}) == 1:     # an INF/NAN exemplar hides mantissa bits: the float
      lo = bs[0][0] - bs[0][1]                                  # immediate is one contiguous field
      segs = [[lo, {16: 16, 32: 32, 64: 32}[fws[j]], 0]]
    f = T.Field([tuple(s) for s in segs], signed=any(s for _, _, s in bs), fw=fws[j])
    if pcrel[j]: f.pc = 0; f.pc = (v - ex_addr) - f.get(ex_word)
    elif len(segs) == 1 and segs[0][2] > 0 and f.get(ex_word) != v:    # low value bits whose flips were refused
      lo, w, k = segs[0]
      g = T.Field([(lo - k, w + k, 0)], signed=f.signed)
      if lo - k >= 0 and g.get(ex_word) == v: f = g
    fields.append(f)
  return fields, fixed, reuse

def learn(cache_dir=None, log=print, arch="sm_90"):
  cubins = compile_corpus(cache_dir, generated=GENERATED_SEEDS and arch == "sm_90", arch=arch)   # (sm_90 PTX features)
  names = sorted(cubins)
  code = b"".join(c for name in names for _, c in kernel_code(cubins[name]))
  gen_from = sum(len(c) for name in names if not name.startswith("gen_") for _, c in kernel_code(cubins[name])) // 16
  names = [n for n in names if not n.startswith("gen_")] + [n for n in names if n.startswith("gen_")]
  code = b"".join(c for name in names for _, c in kernel_code(cubins[name]))
  words = [int.from_bytes(code[i:i + 16], "little") for i in range(0, len(code), 16)]
  texts = nvdisasm_raw(words, arch)
  samples, gen = {}, {}                                          # key -> [(word, addr, Parsed, text)]
  for i, (w, t) in enumerate(zip(words, texts)):
    if t is None: raise RuntimeError(f"nvdisasm rejected a ptxas instruction {w:032x}")
    p = Parsed(t)
    (samples if i < gen_from else gen).setdefault(p.key, []).append((w, 16 * i, p, t))
  # the generated PTX corpus (tests/ptx_corpus) seeds only operand layouts the hand corpus lacks: a new (opcode value,
  # operand shapes) pair; its modifier combinations of known layouts are the structural model's job (model.py)
  layouts = {(lst[0][0] & 0xFFF, k[1]) for k, lst in samples.items()}
  for k, lst in gen.items():
    if (lst[0][0] & 0xFFF, k[1]) not in layouts and all((w & 0xFFF, k[1]) not in layouts for w, _, _, _ in lst): samples[k] = lst
  keys = sorted(samples)
  # probe batch: per form, a copy of the exemplar, then one flip per bit (skipped bits keep the plain exemplar)
  batch, where = [], {}
  for k in keys:
    w = samples[k][0][0]
    where[k] = len(batch)
    batch.append(w)
    wr = (w & ~(0x1F << 105) & ~(15 << 122)) | (0x11 << 105)    # stall 1 + yield bit: nvdisasm shows .reuse only then
    batch += [w if b in PROBE_SKIP or b < 12 else (wr | 1 << b if 122 <= b <= 125 else w ^ (1 << b)) for b in range(128)]
    # (opcode bits 0..11 are fixed in every form: a flip there only gives another opcode or a rejection)
    batch.append((w & ~T.GUARD_MASK) | (6 << 12))               # guard P6 / UP6: tells the guard's register file
  # omission probes: a bare register/predicate operand set to RZ/URZ/PT/UPT (all ones); nvdisasm may leave it out
  omit_probes = []
  for k in keys:
    w, _, ex, _ = samples[k][0]
    j = 0
    for i, sh in enumerate(ex.shapes):
      holes = syntax.HOLE.findall(sh)
      if sh in ("{R}", "{UR}", "{P}", "{UP}") and ex.vals[j][1] != syntax.ZERO_REG[holes[0]]:
        omit_probes.append((k, i, j))
      j += len(holes)
  ptexts = nvdisasm_raw(batch, arch)
  forms, sr_tables, sr_jobs = [], {}, []
  for k in keys:
    w, addr, ex, _ = samples[k][0]
    s = where[k]
    probes = {b: ptexts[s + 1 + b] for b in range(128)}
    fields, fixed, reuse = learn_form(w, addr, ex, 16 * (s + 1), probes, ptexts[s])
    for _, _, p, _ in samples[k]: p.with_float_bits([f.fw if f else None for f in fields])
    for j, f in enumerate(fields):
      if f is None:    # value never moved under a flip: a constant (e.g. a hard-wired RZ); keep it in the fixed bits
        fields[j] = T.Field([], const=ex.vals[j][1] if ex.vals[j][0] != "SR" else 0)
    for f in fields: fixed &= ~f.bits()
    g = ptexts[s + 129] or ""
    gkind = "UP" if g.startswith("@UP") else "P"
    forms.append(T.Form(k[0], list(k[1]), fixed & ~T.GUARD_MASK & ~T.CTRL_MASK, w & fixed & ~T.GUARD_MASK & ~T.CTRL_MASK,
                        fields, reuse, len(samples[k]), gkind))
    for f in fields:
      if f.sr and f.sr not in sr_tables: sr_tables[f.sr] = None; sr_jobs.append((f.sr, w, f))
  borrow_fields(forms, samples)
  alias_conditions(forms, samples)
  by_key = {f.key: f for f in forms}
  probe_words = []
  for k, i, j in omit_probes:
    f = by_key[k]; w = samples[k][0][0]
    probe_words.append(w | f.fields[j].bits() if f.fields[j].const is None else None)
  otexts = nvdisasm_raw([w or 0 for w in probe_words], arch)
  for (k, i, j), w, t in zip(omit_probes, probe_words, otexts):
    if w is None or t is None: continue
    ex, p = samples[k][0][2], Parsed(t)
    if p.opcode == ex.opcode and p.shapes == ex.shapes[:i] + ex.shapes[i + 1:]: by_key[k].omit.append(i)
  vs = []                                                        # enumerate special registers (one batch)
  for name, w, f in sr_jobs:
    lo, width, _ = f.segs[0]
    vs += [(name, v, (w & ~(((1 << width) - 1) << lo)) | (v << lo)) for v in range(1 << width)]
  ts = nvdisasm_raw([x[2] for x in vs], arch)
  for (name, v, _), t in zip(vs, ts):
    sr_tables[name] = sr_tables[name] or {}
    if t is None: continue
    for kind, val in Parsed(t).vals:
      if kind == "SR": sr_tables[name][v] = val
  seeded = {k for k in samples if k in gen}                     # a generated-corpus seed whose form does not round-trip
  if seeded:                                                     # (a float kind we lack: bf16 immediates) is left out
    _, _, bad = verify(T.Table(forms, sr_tables, arch, variants=()), {k: samples[k] for k in seeded})
    drop = {Parsed(t).key for t, _ in bad}
    forms = [f for f in forms if f.key not in drop]
    samples = {k: v for k, v in samples.items() if k not in drop}
    if drop: log(f"learn: {len(drop)} generated-corpus forms left out (they do not round-trip): {sorted(k[0] for k in drop)}")
  return forms, sr_tables, samples

def borrow_fields(forms, samples):
  """nvdisasm prints some encodings under an alias (IMAD.SHL.U32 for a power-of-two multiplier, IMAD.MOV.U32 ...), so
  flipping a bit of such an operand changes the opcode text and the exemplar cannot show where the operand lives. When the
  corpus has several values for that hole, take the field from a form with the same opcode bits and hole kinds that
  decodes every instance right."""
  def kinds(f): return [k for s in f.shapes for k in syntax.HOLE.findall(s)]
  for fm in forms:
    inst = samples[fm.key]
    for j, f in enumerate(fm.fields):
      want = [p.vals[j][1] for _, _, p, _ in inst]
      if all(f.sr or f.get(w, a) == v for (w, a, _, _), v in zip(inst, want)): continue
      if f.const is not None and len(set(want)) == 1: continue
      for d in forms:
        if d is fm or d.value & 0xFFF != fm.value & 0xFFF or kinds(d) != kinds(fm): continue
        g = d.fields[j]
        if g.const is None and not g.sr and all(g.get(w, a) == v for (w, a, _, _), v in zip(inst, want)):
          fm.fields[j] = g; fm.mask &= ~g.bits(); fm.value &= fm.mask; break

def alias_conditions(forms, samples):
  """Forms with identical fixed bits are aliases nvdisasm picks by operand values (IMAD.MOV when both factors are RZ):
  give each such form the condition {hole: value} of holes constant in its instances but not in the others'."""
  groups = {}
  for f in forms: groups.setdefault((f.mask, f.value), []).append(f)
  for g in groups.values():
    if len(g) < 2: continue
    consts = {}
    for f in g:
      per_hole = [{fl.get(w, a) for w, a, _, _ in samples[f.key]} for fl in f.fields]
      consts[id(f)] = {j: next(iter(v)) for j, v in enumerate(per_hole) if len(v) == 1}
    for f in g:
      others = [consts[id(o)] for o in g if o is not f]
      f.when = {j: v for j, v in consts[id(f)].items() if not all(o.get(j) == v for o in others)}

def verify(tab, samples):
  """Decode and re-encode every corpus instruction. -> (forms ok, instructions ok, [failures])"""
  from hwrt.assemblers.sass.decoder import decode, Ctrl
  from hwrt.assemblers.sass.asm import encode_line
  bad, n = [], 0
  bad_forms = set()
  for k, lst in samples.items():
    for w, addr, p, t in lst:
      try:
        ins = decode(w, addr, tab)
        got = ins.text(tab.sr)
        if syntax.normalize(got) != syntax.normalize(t): raise ValueError(f"disasm {got!r}")
        back = encode_line(f"{Ctrl.from_word(w)} {t}", addr, tab=tab)
        if back != w: raise ValueError(f"asm {back:032x} != {w:032x} (xor {back ^ w:032x})")
        n += 1
      except Exception as e:
        bad.append((t, f"{type(e).__name__}: {e}")); bad_forms.add(k)
  return len(samples) - len(bad_forms), n, bad

def main(argv=None):
  ap = argparse.ArgumentParser(prog="python -m hwrt.assemblers.sass.learn", description=__doc__.split("\n\n")[0])
  ap.add_argument("--check", action="store_true", help="fail if the committed table is stale")
  ap.add_argument("--cache", help="directory to cache compiled corpus cubins")
  ap.add_argument("--arch", default="sm_90", help="sm_80 sm_86 sm_89 sm_90 sm_100 sm_120 (ptxas -arch, nvdisasm -b SMxx)")
  a = ap.parse_args(argv)
  forms, sr, samples = learn(a.cache, arch=a.arch)
  tmp = tempfile.mkdtemp()
  old = T.HERE
  try:
    T.HERE = tmp; T.write_table(forms, sr, a.arch)
    new_tab, new_sr = open(T.table_path(a.arch)).read(), open(T.sr_path(a.arch)).read()
  finally: T.HERE = old
  tab = T.Table([T.Form.from_row(l) for l in new_tab.splitlines() if l and not l.startswith("#")], sr, a.arch)
  nforms, ninstr, bad = verify(tab, samples)
  print(f"learn: {len(forms)} forms from {sum(len(v) for v in samples.values())} corpus instructions; "
        f"round trip: {nforms}/{len(forms)} forms, {ninstr}/{sum(len(v) for v in samples.values())} instructions")
  for t, e in bad[:30]: print(f"  FAIL {t}  -- {e}")
  if a.check:
    cur = [open(p).read() if os.path.exists(p) else "" for p in (T.table_path(a.arch), T.sr_path(a.arch))]
    if cur != [new_tab, new_sr]:
      print("learn: the committed table is stale: run `python -m hwrt.assemblers.sass.learn`"); return 1
    print("learn: table is up to date"); return 0
  open(T.table_path(a.arch), "w").write(new_tab); open(T.sr_path(a.arch), "w").write(new_sr)
  print(f"learn: wrote {T.table_path(a.arch)} and {T.sr_path(a.arch)}")
  return 0 if not bad else 1

if __name__ == "__main__":
  sys.exit(main())
