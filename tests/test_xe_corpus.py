"""Xe-HPG corpus: OpenCL kernels (tests/xe_corpus/*.cl) compiled by ocloc for dg2 at test time.
Every instruction: hwrt's disassembly == iga64 -d -p=12p71 (whitespace-normalised, `//` comments dropped); hwrt's
assembler gives back the ISA bytes from hwrt's own disassembly (compacted words included); the container reader gives
each kernel's argument layout exactly as the OpenCL signature declares it."""
import glob, os, re, pytest
from conftest import oracle
from hwrt.assemblers.xe import iga, learn, disasm, asm, container, syntax, table as T
from hwrt.assemblers.xe.decoder import decode, decode_word

@pytest.fixture(scope="module")
def corpus():
  oracle("ocloc"); oracle("iga64")
  return learn.compile_corpus()

def test_corpus_size(corpus):
  assert len(corpus) >= 15
  words = [w for isa in corpus.values() for w in learn.split_words(isa)]
  assert sum(len(w) == 8 for w in words) > 100      # compacted forms are exercised

# What the committed model reaches on this corpus (ocloc 22.43 / IGC of Debian bookworm); the test fails below it.
# Not yet every instruction: the report in assemblers/xe/README.md lists what is missing.
DISASM_FLOOR, ASM_FLOOR = 0.80, 0.99

def _pcs(isa):
  pcs, words, i = [], [], 0
  for w in learn.split_words(isa): pcs.append(i); words.append(w); i += len(w)
  return pcs, words

def test_disasm_equals_iga64(corpus):
  bad, total, ok = [], 0, 0
  model = T.load()
  for name, isa in corpus.items():
    ref = iga.decode_text(isa)
    for pc, w in zip(*_pcs(isa)):
      total += 1
      r = decode_word(int.from_bytes(w, "little"), len(w), model)
      mine = syntax.format_inst(r[0], labels=lambda t, pc=pc: f"L{pc + t}") if r else None
      if mine == iga.norm(ref[pc]): ok += 1
      else: bad.append(f"{name}+{pc:#x}: iga64 {iga.norm(ref[pc])!r} hwrt {mine!r}")
  print(f"corpus disassembly: {ok}/{total} instructions equal iga64's text")
  assert ok / total >= DISASM_FLOOR, f"{ok}/{total}:\n" + "\n".join(bad[:20])

def test_asm_of_disasm_gives_the_bytes(corpus):
  """Each instruction whose disassembly is iga64's: assembling that text gives the corpus bytes (compacted included)."""
  model, tried, same, bad = T.load(), 0, 0, []
  for name, isa in corpus.items():
    ref = iga.decode_text(isa)
    for pc, w in zip(*_pcs(isa)):
      r = decode_word(int.from_bytes(w, "little"), len(w), model)
      text = syntax.format_inst(r[0], labels=lambda t, pc=pc: f"L{pc + t}") if r else None
      if text != iga.norm(ref[pc]): continue
      if re.search(r"\sL\d+\b", text): continue     # branches: pc-relative, covered by the whole-kernel test
      tried += 1
      try: got = asm.assemble_lines([(0, text)], model)
      except Exception as e: bad.append(f"{name}+{pc:#x} {text}: {e}"); continue
      if got == w: same += 1
      else: bad.append(f"{name}+{pc:#x} {text}: {got.hex()} != {w.hex()}")
  print(f"corpus assembly: {same}/{tried} instructions give the corpus bytes")
  assert tried > 1000 and same / tried >= ASM_FLOOR, "\n".join(bad[:20])

SIG = re.compile(r"__kernel\s+void\s+(\w+)\s*\(([^)]*)\)", re.S)
SCALAR = {"char": 1, "uchar": 1, "short": 2, "ushort": 2, "half": 2, "int": 4, "uint": 4, "float": 4, "long": 8,
          "ulong": 8, "size_t": 8}

def signatures() -> dict:
  out = {}
  for p in glob.glob(os.path.join(learn.CORPUS, "*.cl")):
    for name, params in SIG.findall(open(p).read()):
      out[name] = [x.split() for x in params.replace("*", " * ").split(",")]
  return out

def expected(words: list) -> tuple:
  """OpenCL parameter words -> (name, kind, size, type name as ocloc's arg info spells it)."""
  name, ptr = words[-1], "*" in words
  addr = next((w for w in words if w in ("__global", "__local", "__constant")), "__private")
  base = [w for w in words if w not in ("__global", "__local", "__constant", "const", "*", "__read_only", "__write_only")][:-1]
  ty = base[-1]
  if "image" in ty: return name, "image", None, ty
  if ty == "sampler_t": return name, "sampler", None, ty
  if addr == "__local": return name, "local", None, f"{ty}*"
  if ptr: return name, "buffer", 8, f"{ty}*"
  m = re.match(r"([a-z_]+?)(\d*)$", ty)
  return name, "value", SCALAR[m.group(1)] * int(m.group(2) or 1), ty

def test_argument_layouts(corpus):
  oracle("ocloc")
  sigs = signatures()
  progs = {}
  for p in glob.glob(os.path.join(iga.CACHE, "ocl-*.bin")):
    for k in container.read(open(p, "rb").read()).kernels: progs[k.name] = k
  assert set(sigs) <= set(progs)
  for kname, params in sigs.items():
    k = progs[kname]
    args = k.args()
    assert len(args) == len(params), kname
    ends = []
    for a, words in zip(args, params):
      name, kind, size, tname = expected(words)
      assert (a.name, a.kind) == (name, kind), (kname, a)
      assert a.type_name.split(";")[0] == tname, (kname, a)
      if size is not None:
        declared = int(a.type_name.split(";")[1]) if ";" in a.type_name else a.size
        assert declared == size and a.size >= size, (kname, a)     # a half gets a 4-byte slot; its arg info says 2
        assert a.offset is not None and a.offset % min(size, 8) == 0, (kname, a)
        ends.append((a.offset, a.offset + a.size))
      if kind == "buffer": assert a.surface is not None
    ends.sort()
    assert all(e0[1] <= e1[0] for e0, e1 in zip(ends, ends[1:])), f"{kname}: overlapping arguments {ends}"
    assert all(e <= k.cross_thread_size for _, e in ends)
    assert k.simd in (8, 16, 32) and k.grf_count in (128, 256)
    assert k.implicit().get("LOCAL_WORK_SIZE"), kname
