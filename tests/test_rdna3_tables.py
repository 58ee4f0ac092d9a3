"""RDNA3 (gfx1100) opcode table and decoder/disassembler/assembler consistency without an oracle, plus the staleness check
of the learned tables against llvm-mc (the maintainer tool learn_tables.py)."""
import os, random, subprocess, sys
from conftest import oracle
from hwrt.assemblers.rdna3 import decode, instr_text, assemble_instr, OPS, BY_NAME, ENCODINGS, assemble
from hwrt.assemblers.rdna3.decoder import Instr
from hwrt.errors import AssemblerError
import pytest

def test_table_shape():
  encs = {}
  for (enc, op), i in OPS.items():
    encs[enc] = encs.get(enc, 0) + 1
    base = "VOPD" if enc.startswith("VOPD") else enc
    assert base in ENCODINGS, enc
    for fld, kind, width in i.operands:
      if fld in ("=", "lit") or (enc == "VOP3" and fld == "sdst"): continue
      assert fld in ENCODINGS[base].fields, (i.name, fld)
  print(f"\nrdna3 table: {len(OPS)} forms: " + ", ".join(f"{k} {v}" for k, v in sorted(encs.items())))
  for enc in ("SOP1", "SOP2", "SOPC", "SOPK", "SOPP", "SMEM", "VOP1", "VOP2", "VOP3", "VOP3P", "VOPC", "VOPDX", "VOPDY", "DS",
              "FLAT", "GLOBAL", "SCRATCH", "MUBUF"):
    assert encs.get(enc, 0) > 0, enc
  assert len(OPS) > 1300
  # spot facts from AMD's RDNA3 ISA guide opcode tables
  assert OPS[("SOPP", 48)].name == "s_endpgm" and OPS[("VOP2", 3)].name == "v_add_f32_e32"
  assert OPS[("GLOBAL", 20)].name == "global_load_b32" and OPS[("DS", 55)].name == "ds_load_2addr_b32"
  assert OPS[("VOP3P", 64)].name == "v_wmma_f32_16x16x16_f16" and OPS[("SMEM", 0)].name == "s_load_b32"

def test_decode_api_typed_operands():
  i = decode(bytes.fromhex("020302060000000000"))                 # v_add_f32_e32 v1, v2, v1
  assert (i.name, i.enc, i.op, i.size) == ("v_add_f32_e32", "VOP2", 3, 4)
  assert [(o.field, o.kind, o.value) for o in i.operands] == [("vdst", "vgpr", 1), ("src0", "vgpr", 2), ("vsrc1", "vgpr", 1)]
  i = decode([0xD6560000, 0x0401100F])                             # v_lshl_or_b32 v0, s15, 8, v0 (words)
  assert i.size == 8 and [(o.kind, o.value) for o in i.operands] == [("vgpr", 0), ("sgpr", 15), ("const", 136), ("vgpr", 0)]
  assert instr_text(i) == "v_lshl_or_b32 v0, s15, 8, v0"
  i = decode(bytes.fromhex("ff4b6a8a8d779e1b"))                    # s_max_i32 vcc_lo, 0x1b9e778d, s75: literal
  assert i.size == 8 and i.literal == 0x1b9e778d and instr_text(i) == "s_max_i32 vcc_lo, 0x1b9e778d, s75"
  i = decode(bytes.fromhex("08400add02047c04"))                   # global_atomic_cmpswap_b64 v[4:5], v[2:3], v[4:7], off offset:8 glc
  assert instr_text(i) == "global_atomic_cmpswap_b64 v[4:5], v[2:3], v[4:7], off offset:8 glc"
  assert [(o.field, o.kind, o.value, o.width) for o in i.operands] == [("vdst", "vgpr", 4, 2), ("addr", "vgpr", 2, 2), ("data", "vgpr", 4, 4), ("saddr", "off", 124, 2)]
  i = decode(bytes.fromhex("000100f4200000f8"))                   # s_load_b32 s4, s[0:1], 0x20
  assert [(o.field, o.kind, o.value) for o in i.operands] == [("sdata", "sgpr", 4), ("sbase", "sgpr", 0), ("offset", "imm", 0x20), ("soffset", "special", 124)]
  with pytest.raises(ValueError): decode(bytes.fromhex("ffffffff"))

def test_random_words_reach_a_text_fixpoint():
  """For random words of every form that we decode: text -> our bytes -> the same text (no oracle needed)."""
  from test_rdna3_fuzz import random_word, FORMS
  r = random.Random(1234)
  n = fails = 0
  bad = []
  for info in FORMS:
    for _ in range(2):
      w, size = random_word(info, r)
      b = w.to_bytes(size, "little")
      try: t = instr_text(decode(b))
      except (ValueError, KeyError, IndexError): continue
      try: t2 = instr_text(decode(assemble_instr(t)))
      except AssemblerError as e: t2 = f"error {e}"
      n += 1
      if t2 != t: bad.append((b.hex(), t, t2))
  print(f"\nrdna3: {n} random words of {len(FORMS)} forms reach a text fixpoint; {len(bad)} do not")
  assert n > 2000 and len(bad) <= n // 20, bad[:10]

def test_labels_and_branches():
  code, labels, _ = assemble("""
  top:
    s_mov_b32 s0, 0
  loop: s_add_u32 s0, s0, 1
    s_cmp_lg_u32 s0, 10
    s_cbranch_scc1 loop
    s_branch done
    v_mov_b32_e32 v0, 0x12345678
  done:
    s_endpgm
  """)
  assert labels == {"top": 0, "loop": 4, "done": 28}
  texts = [instr_text(decode(code, pc)) for pc in (12, 16)]
  assert texts == ["s_cbranch_scc1 65533", "s_branch 2"]
  with pytest.raises(AssemblerError, match="line 2"): assemble("s_nop 0\ns_branch nowhere\n")
  with pytest.raises(AssemblerError, match="unknown instruction"): assemble_instr("v_frobnicate v0, v1")
  for bad in ("v_add_f64 v[0:1], v2, v[4:5]", "v_add_f32 v0, v[1:2], v3", "s_mov_b64 s[0:1], s2", "v_cmp_eq_u32_e64 s[0:1], v1, v2",
              "global_load_b64 v1, v0, s[0:1]"):       # register widths are checked against the form (wave32 lane masks are s<n>)
    with pytest.raises(AssemblerError): assemble_instr(bad)
  assert assemble_instr("v_cmp_eq_u32_e64 s[0:1], v1, v2", wave64=True) == bytes.fromhex("00004ad401050200")

def test_tables_not_stale():
  """Re-learn gfx1100.tsv and gfx1100_names.tsv from llvm-mc; they must equal the committed files."""
  oracle("llvm-mc-19")
  r = subprocess.run([sys.executable, "-m", "hwrt.assemblers.rdna3.learn_tables", "--check"], capture_output=True, text=True, timeout=300)
  assert r.returncode == 0, r.stderr[-2000:]
