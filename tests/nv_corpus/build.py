"""Build the SASS-interpreter corpus: tests/nv_corpus/*.cu -> PTX (clang-19) -> cubin (ptxas -arch=sm_90), once per process.

The decoder's learned table (assemblers/sass/sm90.tsv) may lack forms ptxas emits for this corpus; `learn_missing_forms`
then learns exactly those with the assembler's own learner (hwrt.assemblers.sass.learn, run on this corpus' PTX) and hands
them to the interpreter (hwrt.sim.sass_exec.add_forms). The tests report which forms that was."""
import functools, os, subprocess, tempfile
HERE = os.path.dirname(os.path.abspath(__file__))
KERNELS = ["vadd", "saxpy", "reduce_shared", "reduce_shfl", "atomics", "matmul", "fp16", "branches", "fpmodes", "int64", "local", "minmax", "dbl"]
# instruction-family files (several kernels each; tests/test_sim_sass_ops.py) and ordinary CUDA (tests/test_sim_sass_cuda.py)
OPS_FILES = ("intops", "cvt", "half2", "warp", "atom2", "mma", "ordinary")

@functools.lru_cache(maxsize=None)
def build(clang: str, ptxas: str, files: tuple = tuple(KERNELS)) -> dict:
  """{kernel name: (ptx path, cubin bytes)} for every kernel of the files"""
  from hwrt.assemblers.elf import read_elf
  out = {}
  d = tempfile.mkdtemp(prefix="hwrt-nv-corpus-")
  for k in files:
    ptx, cub = os.path.join(d, k + ".ptx"), os.path.join(d, k + ".cubin")
    subprocess.run([clang, "-x", "cuda", "--cuda-device-only", "-nocudainc", "-nocudalib", "--cuda-gpu-arch=sm_90", "-S", "-O2",
                    "-Wno-unknown-cuda-version", "-I", HERE, os.path.join(HERE, k + ".cu"), "-o", ptx], check=True, capture_output=True)
    subprocess.run([ptxas, "-arch=sm_90", ptx, "-o", cub], check=True, capture_output=True)
    data = open(cub, "rb").read()
    for sec in read_elf(data).sections:
      if sec.name.startswith(".text."): out[sec.name[6:]] = (ptx, data)
  return out

def words(cubin: bytes, name: str):
  from hwrt.assemblers.elf import read_elf
  code = read_elf(cubin).section(f".text.{name}").data
  return [(i, int.from_bytes(code[i:i + 16], "little")) for i in range(0, len(code), 16)]

def missing_words(corpus: dict) -> list:
  from hwrt.assemblers.sass import table as T
  tab = T.load()
  return [(k, pc, w) for k, (_, cub) in corpus.items() for pc, w in words(cub, k) if tab.match(w) is None]

@functools.lru_cache(maxsize=None)
def _learn(ptx_dir: str) -> list:
  from hwrt.assemblers.sass import learn
  old = learn.CORPUS
  try:
    learn.CORPUS = ptx_dir
    forms, _, _ = learn.learn(cache_dir=tempfile.mkdtemp(prefix="hwrt-nv-learn-"), log=lambda *a: None)
  finally: learn.CORPUS = old
  return forms

def learn_missing_forms(corpus: dict) -> list:
  """Forms (opcode, shapes) added to the interpreter's decoder because sm90.tsv lacks them; [] when it has them all."""
  from hwrt.assemblers.sass import table as T
  from hwrt.sim import sass_exec
  if not missing_words(corpus): return []
  ptx_dir = os.path.dirname(next(iter(corpus.values()))[0])
  base = T.load()
  new = [f for f in _learn(ptx_dir) if f.key not in base.by_key]
  sass_exec.add_forms(new)
  return sorted({f.key for f in new})

def forms_in(cubin: bytes, name: str, tab) -> dict:
  """{(opcode, shapes): first pc} of the reachable code: the tail after the final self-branch (BRA to itself, then NOP
  padding to the section's alignment) is never executed."""
  from hwrt.assemblers.sass import decoder
  out = {}
  for pc, w in words(cubin, name):
    ins = decoder.decode(w, pc, tab)
    if ins.name == "BRA" and ins.guard is None and ins.operands and ins.operands[-1].value == pc: break
    out.setdefault((ins.opcode, tuple(o.shape for o in ins.operands)), pc)
  return out

def compiled_corpus(oracle, files: tuple = tuple(KERNELS)) -> dict:
  """The compiled corpus for a test module (oracle: tests/conftest.py's oracle); forms missing from sm90.tsv are learned
  beside it (needs nvdisasm only then)."""
  c = build(oracle("clang-19"), oracle("ptxas"), tuple(files))
  if missing_words(c): oracle("nvdisasm")
  learn_missing_forms(c)
  return c
