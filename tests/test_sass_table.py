"""The learned sm_90 form table: fresh against the oracle, and 100% of the corpus round-trips through it."""
import pytest
from sass_common import learned
from hwrt.assemblers.sass import table as T, learn, syntax
from hwrt.assemblers.sass.decoder import decode, Ctrl

@pytest.mark.oracle("ptxas")
def test_table_is_fresh():
  """`python -m hwrt.assemblers.sass.learn --check` as a test: the committed table equals what the oracle gives now."""
  forms, sr, _ = learned()
  rows = sorted(f.row() for f in forms)
  committed = sorted(f.row() for f in T.load().forms)
  stale = set(rows) ^ set(committed)
  assert not stale, f"sm90.tsv is stale ({len(stale)} rows differ): run python -m hwrt.assemblers.sass.learn"
  assert sr == T.load().sr

@pytest.mark.oracle("nvdisasm")
def test_corpus_round_trip_all_forms():
  """For every instruction ptxas emitted: disasm(bytes) == nvdisasm text and asm(text) == bytes."""
  forms, sr, samples = learned()
  tab = T.Table(forms, sr)
  nforms, ninstr, bad = learn.verify(tab, samples)
  total = sum(len(v) for v in samples.values())
  print(f"\nSASS sm_90 corpus round trip: {nforms}/{len(forms)} forms, {ninstr}/{total} instructions")
  assert not bad, bad[:5]
  assert nforms == len(forms) and ninstr == total and len(forms) >= 300

REQUIRED = ["IADD3", "IMAD", "IMAD.WIDE", "IMAD.HI.U32", "LOP3.LUT", "SHF.R.U32.HI", "ISETP.GE.AND", "FSETP.GEU.AND", "FADD",
            "FMUL", "FFMA", "FMNMX", "MUFU.RCP", "MUFU.EX2", "I2F.U32.RP", "F2I.TRUNC.NTZ", "F2F.F16.F32", "F2FP.BF16.F32.PACK_AB",
            "HADD2.F32", "LDG.E", "LDG.E.64", "LDG.E.128", "STG.E", "STG.E.64", "STG.E.128", "LDS", "STS", "LDC", "ULDC",
            "ULDC.64", "ATOMG.E.ADD.STRONG.GPU", "REDG.E.ADD.STRONG.GPU", "ATOMS.ADD", "BRA", "EXIT", "BAR.SYNC.DEFER_BLOCKING",
            "BSSY", "BSYNC", "WARPSYNC", "S2R", "S2UR", "CS2R", "UMOV", "UIADD3", "SHFL.BFLY", "SHFL.DOWN", "SHFL.IDX",
            "HMMA.16816.F32", "HMMA.16816.F32.BF16", "HMMA.16816.F16"]

def test_table_covers_required_opcodes():
  ops = {f.opcode for f in T.load().forms}
  missing = [o for o in REQUIRED if o not in ops]
  assert not missing, missing

def test_table_rows_parse_and_fix_opcode_bits():
  tab = T.load()
  assert len(tab.forms) >= 300
  for f in tab.forms:
    assert T.Form.from_row(f.row()).row() == f.row()
    assert f.mask & 0xFFF == 0xFFF and f.mask & T.CTRL_MASK == 0 and f.mask & T.GUARD_MASK == 0
    for fl in f.fields: assert fl.bits() & f.mask == 0, (f.key, fl.spec())

def test_decode_typed_operands():
  """ptxas's first instruction of every sm_90 kernel: `LDC R1, c[0x0][0x28]` = 0x000fe20000000800_00000a00ff017b82
  (nvdisasm -hex of a ptxas 13 cubin, shared/research/notes.md)."""
  ins = decode(0x000fe20000000800_00000a00ff017b82)
  assert ins.opcode == "LDC" and ins.guard is None
  assert [o.type for o in ins.operands] == ["reg", "cbank"]
  assert ins.operands[0].value == 1
  assert ins.operands[1].parts()["bank"] == 0 and ins.operands[1].parts()["offset"] == 0x28
  assert str(ins.ctrl) == "[B------:R-:W-:Y:S01]"
  assert ins.text() == "LDC R1, c[0x0][0x28]"

@pytest.mark.parametrize("text", ["[B------:R-:W-:Y:S01]", "[B0-2--5:R3:W1:-:S15]", "[B012345:R0:W5:Y:S00]"])
def test_ctrl_notation_round_trip(text):
  c = Ctrl.parse(text)
  assert str(c) == text and Ctrl.from_word(c.bits()) == c

def test_syntax_parse_format_inverse():
  for op in ["desc[UR4][R2.64+0x10]", "c[0x0][0x210]", "-|R3|", "!P0", "R2.H1_H1", "[R8.64+-0xc]", "1.5", "-QNAN",
             "SR_TID.X", "0x7fffffff", "-0x80000"]:
    shape, vals = syntax.parse_operand(op)
    assert syntax.fmt_operand(shape, vals, sr_names={"SR_TID.X": "SR_TID.X"}) == op
