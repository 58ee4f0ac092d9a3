"""fp64 immediates: DADD/DMUL/DFMA/DSETP/MUFU.RCP64H store the high 32 bits of a double (its low word is zero) and nvdisasm
prints that double. The learner finds this kind (`f64h`) from its bit flips, like every float field's width; here every
learned form with such a field is checked against nvdisasm for ordinary values, denormal, infinite and NaN high words, and
the decoded operand is checked to be what the interpreter (sim/sass_ops_f64.py dval/mufu64) reads: type fimm, shape {F},
value = the high word."""
import math, os, struct, sys
import numpy as np
import pytest
from sass_common import nvdisasm_raw
from hwrt.errors import AssemblerError
from hwrt.assemblers.sass import table as T, syntax
from hwrt.assemblers.sass.decoder import decode, Ctrl
from hwrt.assemblers.sass.asm import encode_line

def hi(x: float) -> int: return struct.unpack("<Q", struct.pack("<d", x))[0] >> 32
def dbl(h: int) -> float: return struct.unpack("<d", struct.pack("<Q", h << 32))[0]

# high words: 7, 0.5, -2.25 (exact), 1e300 (not exact: nvdisasm prints the truncated double), +-0, the smallest and largest
# denormal high words, the smallest normal, +-INF, QNAN/SNAN/-QNAN with nvdisasm's canonical payload (they re-assemble)
HIGH_WORDS = [hi(7.0), hi(0.5), hi(-2.25), hi(1e300), 0, 0x80000000, 0x00000001, 0x000FFFFF, 0x80000001, 0x00100000,
              0x7FF00000, 0xFFF00000, 0x7FF80000, 0x7FF00001, 0xFFF80000, hi(0.1), hi(1e9)]

def f64_forms(tab):
  return [(f, j) for f in tab.forms for j, fl in enumerate(f.fields) if fl.fw == 64 and fl.const is None]

def test_learned_float_kinds():
  """The table's float fields: the fp64 forms hold the high word (32 bits at 32..63), MUFU.RCP64H among them."""
  tab = T.load()
  kinds = {(f.opcode.split(".")[0], fl.fw) for f in tab.forms for fl in f.fields if fl.fw}
  assert ("MUFU", 64) in kinds and ("DFMA", 64) in kinds and ("FFMA", 32) in kinds and ("HFMA2", 16) in kinds
  for f, j in f64_forms(tab): assert f.fields[j].segs == [(32, 32, 0)], (f.key, f.fields[j].spec())
  for f in tab.forms:
    for s, fl in zip([k for sh in f.shapes for k in syntax.HOLE.findall(sh)], f.fields):
      assert (fl.fw is not None) == (s == "F"), (f.key, fl.spec())

@pytest.mark.oracle("nvdisasm")
def test_fp64_immediates_against_nvdisasm():
  tab = T.load()
  cases = []
  for f, j in f64_forms(tab):
    for h in HIGH_WORDS: cases.append((f, j, h, f.value | f.fields[j].put(h) | 7 << 12 | Ctrl(1, 1, 7, 7, 0, 0).bits()))
  assert {f.opcode for f, _, _, _ in cases} >= {"MUFU.RCP64H", "DMUL", "DFMA"}
  texts = nvdisasm_raw([w for *_, w in cases])
  seen = {}
  for (f, j, h, w), t in zip(cases, texts):
    assert t is not None, (f.key, hex(h))
    ins = decode(w, 0, tab)
    assert syntax.normalize(ins.text(tab.sr)) == syntax.normalize(t), (f.key, hex(h))
    assert encode_line(f"{Ctrl.from_word(w)} {t}", 0, tab=tab) == w, (t, hex(h))
    op = [o for o in ins.operands if o.type == "fimm"][0]
    assert (op.shape, op.value, op.fwidth) == ("{F}", h, 64)
    if f.opcode == "MUFU.RCP64H": seen[h] = syntax.split_operands(t.rstrip(" ;").split(" ", 1)[1])[1].strip()
  # nvdisasm's own spelling of the double (the high word with a zero low word), as the decoder reproduces it
  assert seen[hi(7.0)] == "7" and seen[hi(0.5)] == "0.5" and seen[hi(-2.25)] == "-2.25"
  assert float(seen[hi(1e300)]) == dbl(hi(1e300)) != 1e300 and seen[hi(1e9)] == "1.00000000000000000000e+09"
  assert float(seen[1]) == 2.0 ** -1042 and float(seen[0x80000001]) == -2.0 ** -1042 and float(seen[0x000FFFFF]) == dbl(0x000FFFFF)
  assert seen[0] == "0" and seen[0x80000000] == "-0.0"
  assert (seen[0x7FF00000], seen[0xFFF00000], seen[0x7FF80000], seen[0x7FF00001], seen[0xFFF80000]) == \
         ("+INF", "-INF", "+QNAN", "+SNAN", "-QNAN")

def test_assemble_fp64_immediate_text():
  """Text -> high word; a value that needs the low word is refused rather than truncated."""
  w = encode_line("MUFU.RCP64H R3, 7 ;")
  ins = decode(w)
  assert ins.operands[1].value == hi(7.0) == 0x401C0000 and str(ins) == "MUFU.RCP64H R3, 7"
  assert decode(encode_line("DMUL R2, R4, -2.25 ;")).operands[2].value == 0xC0020000
  assert decode(encode_line("DFMA R2, R4, R6, 2.1219957909652723151e-314 ;")).operands[3].value == 1
  assert decode(encode_line("FMUL R2, R4, 0.5 ;")).operands[2].value == 0x3F000000          # fp32 stays fp32
  for bad in ("DMUL R2, R4, 0.1 ;", "MUFU.RCP64H R3, 1e300 ;"):
    with pytest.raises(AssemblerError, match="low word"): encode_line(bad)

def test_interpreter_reads_fp64_immediates():
  """The SASS interpreter on the decoder's operands: MUFU.RCP64H and DMUL/DFMA with an immediate use the high word."""
  sys.path.insert(0, os.path.join(os.path.dirname(__file__), "nv_corpus"))
  from hwrt.sim.sass_harness import Harness, Kernel
  h = Harness()
  try:
    out = h.alloc(64)
    lines = ["ULDC.64 UR4, c[0x0][0x208] ;", f"MOV R4, {out & 0xFFFFFFFF:#x} ;", f"MOV R5, {out >> 32:#x} ;",
             "MUFU.RCP64H R3, -2.25 ;", "MOV R8, RZ ;", f"MOV R9, {hi(3.0):#x} ;",
             "DMUL R10, R8, 0.5 ;", "DFMA R12, R8, R8, -2.25 ;",
             "STG.E desc[UR4][R4.64], R3 ;", "STG.E.64 desc[UR4][R4.64+0x8], R10 ;", "STG.E.64 desc[UR4][R4.64+0x10], R12 ;",
             "EXIT ;"]
    code = b"".join(encode_line(t, 16 * i).to_bytes(16, "little") for i, t in enumerate(lines))
    h.launch(h.load_kernel(Kernel.raw(code)), [], (1, 1, 1), (1, 1, 1))
    rcp_hi = int(h.read(out, np.uint32, 1)[0])
    d = h.read(out + 8, np.float64, 2)
  finally: h.close()
  assert d[0] == 1.5 and d[1] == 9.0 - 2.25
  assert math.isclose(dbl(rcp_hi), 1 / -2.25, rel_tol=2.0 ** -19)        # the high word of 1/x (an approximation)
