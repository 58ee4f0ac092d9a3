"""Hand-written SASS examples (tests/examples/*.sass.s): assembled, scheduled, written as cubins that nvdisasm and
cuobjdump accept and that disassemble to exactly what we assembled; scheduler invariants; the CLI."""
import os, re, subprocess, sys
import pytest
from sass_common import run
from hwrt.assemblers import sass
from hwrt.assemblers.sass import asm, syntax, sched
from hwrt.assemblers.sass.decoder import decode, words_of
from hwrt.errors import AssemblerError

EX = os.path.join(os.path.dirname(__file__), "examples")
EXAMPLES = {"vadd": [(0, 8), (8, 8), (16, 8), (24, 4)], "saxpy": [(0, 4), (8, 8), (16, 8), (24, 4)]}

def source_instructions(text):
  return [syntax.normalize(re.sub(r"^\[B[^\]]*\]\s*", "", i)) for kb in asm.parse_source(text) for _, _, i in kb.lines if i]

def nvdisasm_listing(out):
  """[(text, word)] from `nvdisasm -c -hex` output."""
  res, lines = [], out.splitlines()
  for i, l in enumerate(lines):
    m = re.match(r"\s*/\*[0-9a-f]{4}\*/\s*(.*?)\s*;?\s*/\* 0x([0-9a-f]{16}) \*/", l)
    if m:
      hi = re.search(r"/\* 0x([0-9a-f]{16}) \*/", lines[i + 1]).group(1)
      res.append((syntax.normalize(m.group(1)), int(hi + m.group(2), 16)))
  return res

@pytest.mark.oracle("nvdisasm")
@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_example_cubin_accepted_and_matches(name):
  text = open(os.path.join(EX, f"{name}.sass.s")).read()
  data = sass.assemble_to_container(text)
  k = sass.read_cubin(data).kernels[name]
  assert k.params == EXAMPLES[name] and k.param_base == 0x210
  r = run("nvdisasm", "-c", "-hex", "{}", input_bytes=data)
  assert r.returncode == 0 and not r.stderr, r.stderr
  listing = nvdisasm_listing(r.stdout)
  assert [w for _, w in listing] == words_of(k.code)
  src = source_instructions(text)
  theirs = [re.sub(r"`\(\.L_x_\d+\)", "L", t) for t, _ in listing]
  mine = [re.sub(r"(BRA) \S+$", r"\1 L", t) for t in src]
  assert theirs == mine
  ours = [syntax.normalize(l.split("*/", 1)[1]) for l in sass.disassemble(k.code) if "*/" in l]
  assert [re.sub(r"`\(\.L_\d+\)", "L", t) for t in ours] == theirs

@pytest.mark.oracle("cuobjdump")
@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_example_cubin_accepted_by_cuobjdump(name):
  data = sass.assemble_to_container(open(os.path.join(EX, f"{name}.sass.s")).read())
  r = run("cuobjdump", "-elf", "{}", input_bytes=data)
  assert r.returncode == 0, r.stderr
  assert f".text.{name}" in r.stdout and f".nv.info.{name}" in r.stdout and "sm=90" in r.stdout
  r = run("cuobjdump", "-sass", "{}", input_bytes=data)
  assert r.returncode == 0, r.stderr
  theirs = [syntax.normalize(m) for m in re.findall(r"/\*[0-9a-f]{4}\*/\s+(.*?)\s*;", r.stdout)]
  ours = [syntax.normalize(l.split("*/", 1)[1]) for l in sass.disassemble(sass.read_cubin(data).kernels[name].code, labels=False)]
  assert theirs == ours

def scheduled(name):
  data = sass.assemble_to_container(open(os.path.join(EX, f"{name}.sass.s")).read())
  return [decode(w, 16 * i) for i, w in enumerate(words_of(sass.read_cubin(data).kernels[name].code))]

@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_scheduler_waits_for_variable_latency_results(name):
  check_schedule(name, scheduled(name))

def check_schedule(name, instrs):
  """Program-order check of the scheduler's output: every read of a register written by a variable-latency op (LDG,
  LDC, S2R, ...) comes after a wait on that op's write barrier, and fixed-latency results are `LATENCY` cycles old."""
  pending, t, written_at = {}, 0, {}
  for i, ins in enumerate(instrs):
    srcs, dsts = sched.reg_usage(ins)
    for b in range(6):
      if ins.ctrl.wait >> b & 1: pending = {r: x for r, x in pending.items() if x != b}
    for r in srcs:
      assert r not in pending, f"{name} @{16 * i:#x} {ins.text()} reads {r} before its barrier"
      if r in written_at and not ins.name == "BRA": assert t - written_at[r][0] >= written_at[r][1], (16 * i, ins.text())
    assert 1 <= ins.ctrl.stall <= 15 and ins.ctrl.yield_ == (ins.ctrl.stall <= 11)
    if ins.ctrl.wbar != 7:
      for r in dsts: pending[r] = ins.ctrl.wbar
    else:
      for r in dsts: written_at[r] = (t, sched.latency(ins))
    t += ins.ctrl.stall

@pytest.mark.oracle("ptxas")
def test_scheduler_variable_set_covers_ptxas():
  """Every opcode that ptxas gives a write barrier anywhere in the corpus is variable-latency in our scheduler."""
  from sass_common import corpus_cubins
  from hwrt.assemblers.sass import learn
  names = set()
  for data in corpus_cubins().values():
    for _, code in learn.kernel_code(data):
      names |= {ins.name for ins in (decode(w) for w in words_of(code)) if ins.ctrl.wbar != 7}
  assert names <= sched.VARIABLE, names - sched.VARIABLE

def test_assembler_errors_are_clear():
  with pytest.raises(AssemblerError, match="line 3"):
    sass.assemble_to_container(".kernel k\n  EXIT ;\n  FOO R1, R2 ;\n")
  with pytest.raises(AssemblerError, match="no form"):
    sass.assemble_to_container(".kernel k\n  IADD3 R1, [R2], R3, R4 ;\n")
  with pytest.raises(AssemblerError, match="no .kernel"):
    sass.assemble_to_container("// nothing\n")

def test_explicit_control_codes_are_kept():
  text = ".kernel k\n[B0-----:R1:W2:-:S07] LDG.E R2, desc[UR4][R2.64] ;\n EXIT ;\n"
  ins = decode(words_of(sass.read_cubin(sass.assemble_to_container(text)).kernels["k"].code)[0])
  assert str(ins.ctrl) == "[B0-----:R1:W2:-:S07]"

@pytest.mark.oracle("nvdisasm")
def test_cli_asm_disasm(tmp_path):
  out = tmp_path / "vadd.cubin"
  r = subprocess.run([sys.executable, "-m", "hwrt.cli", "asm", os.path.join(EX, "vadd.sass.s"), "--arch", "sm_90", "-o", str(out)],
                     capture_output=True, text=True)
  assert r.returncode == 0, r.stderr
  r = subprocess.run([sys.executable, "-m", "hwrt.cli", "disasm", str(out)], capture_output=True, text=True)
  assert r.returncode == 0 and ".kernel vadd" in r.stdout and "FADD R11, R2, R5" in r.stdout
  bad = tmp_path / "bad.s"; bad.write_text(".kernel k\n  FOO R1 ;\n")
  r = subprocess.run([sys.executable, "-m", "hwrt.cli", "asm", str(bad)], capture_output=True, text=True)
  assert r.returncode == 2 and "Traceback" not in r.stderr

def test_scheduler_pads_long_latency_with_nops():
  """HMMA's fixed latency (sched.LATENCY) is longer than one instruction's stall: the assembler inserts NOPs, and the
  dependent HMMA issues at least that many cycles later."""
  text = ".kernel k\n  HMMA.16816.F32 R8, R4, R2, R8 ;\n  HMMA.16816.F32 R12, R4, R2, R8 ;\n  EXIT ;\n"
  k = sass.read_cubin(sass.assemble_to_container(text)).kernels["k"]
  instrs = [decode(w) for w in words_of(k.code)]
  names = [i.name for i in instrs]
  assert names[0] == "HMMA" and names[-2:] == ["HMMA", "EXIT"] and set(names[1:-2]) == {"NOP"}
  assert sum(i.ctrl.stall for i in instrs[:-2]) >= sched.LATENCY["HMMA"]
  assert k.regs == 16

@pytest.mark.oracle("nvdisasm")
def test_scheduler_on_ptxas_corpus():
  """Strip ptxas's control codes from every corpus kernel (-O3), let our scheduler redo them, and check the result with
  the program-order checker and nvdisasm (which rejects invalid control codes)."""
  from sass_common import corpus_cubins
  n = 0
  for fname, data in corpus_cubins().items():
    if "@" in fname: continue
    text = re.sub(r"\[B[^\]]*\] ", "", sass.disassemble_container(data))
    ours = sass.assemble_to_container(text)
    r = run("nvdisasm", "-c", "{}", input_bytes=ours)
    assert r.returncode == 0 and not r.stderr, (fname, r.stderr[:300])
    for k in sass.read_cubin(ours).kernels.values():
      instrs = [decode(w, 16 * i) for i, w in enumerate(words_of(k.code))]
      check_schedule(k.name, instrs); n += len(instrs)
  assert n > 1500
