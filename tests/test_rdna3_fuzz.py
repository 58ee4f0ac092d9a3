"""RDNA3 (gfx1100): every form of the opcode table with random operands, in batches through llvm-mc (hypothesis picks the
seeds). llvm-mc decides which words are valid; for each one it accepts we must print its text and assemble its text back to
the same bytes. Also exhaustive checks of the s_waitcnt / s_delay_alu immediate syntax."""
import random
import pytest
from hypothesis import given, settings, strategies as st, HealthCheck
from conftest import oracle
from hwrt.assemblers.rdna3.decoder import ENCODINGS, OPS, put_field, get_field, decode
from hwrt.assemblers.rdna3.disasm import instr_text
from hwrt.assemblers.rdna3.asm import assemble_instr

SRC_CHOICES = [lambda r: 256 + r.randrange(256), lambda r: r.randrange(106), lambda r: r.choice(range(128, 209)),
               lambda r: r.choice(range(240, 249)), lambda r: 255, lambda r: r.choice([106, 124, 125, 126, 253])]
EXTRA = {"SMEM": {"glc": 1, "dlc": 1}, "DS": {"offset0": 8, "offset1": 8, "gds": 1},
         "FLAT": {"offset": 12, "glc": 1, "slc": 1, "dlc": 1}, "GLOBAL": {"offset": 13, "glc": 1, "slc": 1, "dlc": 1, "saddr": 7},
         "SCRATCH": {"offset": 13, "glc": 1, "slc": 1, "dlc": 1, "saddr": 7, "sve": 1},
         "MUBUF": {"offset": 12, "glc": 1, "slc": 1, "dlc": 1, "offen": 1, "idxen": 1, "soffset": 8}}

def random_word(info, r: random.Random) -> tuple[int, int]:
  """(value, size in bytes) of one random instruction of this form."""
  e = ENCODINGS[info.enc if not info.enc.startswith("VOPD") else "VOPD"]
  w, lit = e.fixed, False
  infos = [info]
  if e.name == "VOPD":
    y = r.choice([i for i in OPS.values() if i.enc == "VOPDY"])
    w = put_field(put_field(w, e.fields["opx"], info.op), e.fields["opy"], y.op); infos.append(y)
    w = put_field(w, e.fields["vdsty"], r.randrange(128))
  else: w = put_field(w, e.op, info.op)
  for i in infos:
    for fld, kind, width in i.operands:
      if fld == "lit": lit = True; continue
      if fld not in e.fields or fld == "vdsty": continue
      hi, lo = e.fields[fld]
      if fld in ("src0", "src1", "src2", "srcx0", "srcy0", "ssrc0", "ssrc1"):
        v = r.choice(SRC_CHOICES)(r)
        if fld.startswith("ssrc") and v >= 256: v = r.randrange(106)
        if v == 255: lit = True
      elif fld == "sdst" or kind == "s": v = r.choice([r.randrange(106), 106, 124, 126])
      elif fld == "sbase": v = r.randrange(53)
      elif fld == "srsrc": v = r.randrange(26)
      else: v = r.randrange(1 << (hi - lo + 1))
      if info.enc == "VOP3" and fld == "sdst": w = put_field(w, (14, 8), v)
      else: w = put_field(w, (hi, lo), v)
  for m, bits in info.mods.items():
    w = put_field(w, e.fields["neg" if m == "sext" else m], r.randrange(1 << 4) & bits if r.random() < 0.3 else 0)
  if info.enc == "VOP3P" and r.random() < 0.3: w = put_field(w, e.fields["opsel_hi"], r.randrange(4))
  for f, n in EXTRA.get(info.enc, {}).items():
    if r.random() < 0.4: w = put_field(w, e.fields[f], r.randrange(1 << n) if f not in ("saddr",) else r.choice([124, 2 * r.randrange(50)]))
  if info.enc == "SMEM":
    w = put_field(w, e.fields["offset"], r.choice([0, r.randrange(1 << 20), r.randrange(256)]))
    w = put_field(w, e.fields["soffset"], r.choice([124, r.randrange(106)]))
  n = e.size // 8
  if info.enc in ("VOP1", "VOP2", "VOPC", "VOP3") and any(t[0] == "src0" for t in info.operands) and r.random() < 0.25:
    src = r.choice([250, 250, 233, 234])                                # DPP16 / DPP8 / DPP8 with fetch-inactive
    w = put_field(w, e.fields["src0"], src)
    for f in ("src1", "src2"):
      if f in e.fields and get_field(w, e.fields[f]) == 255: w = put_field(w, e.fields[f], 256 + r.randrange(256))
    if src == 250: d = r.randrange(256) | r.choice([r.randrange(256), 0x101 + r.randrange(15), 0x111 + r.randrange(15),
                        0x121 + r.randrange(15), 0x140, 0x141, 0x150 + r.randrange(16), 0x160 + r.randrange(16)]) << 8 | r.randrange(1 << 15) << 17
    else: d = r.randrange(1 << 32)
    return w | d << (8 * n), n + 4
  if lit: w |= r.randrange(1 << 32) << (8 * n); n += 4
  return w, n

FORMS = [i for i in OPS.values() if i.enc != "VOPDY"]

def check_batch(words: list) -> tuple[int, set, list]:
  """Words llvm-mc decodes exactly: our text must be LLVM's, and our bytes for LLVM's text must be llvm-mc's bytes for it."""
  from hwrt.assemblers.rdna3.learn_tables import llvm_disasm, llvm_asm
  got = llvm_disasm(words)
  acc = [(w, n, t) for (w, n), t in zip(words, got) if t is not None]
  ref = llvm_asm([t for _, _, t in acc])
  ok, forms, bad = 0, set(), []
  for (w, n, t), rb in zip(acc, ref):
    b = w.to_bytes(n, "little")
    try:
      ins = decode(b)
      mine = instr_text(ins)
      back = assemble_instr(t)
    except Exception as e: bad.append((b.hex(), t, repr(e))); continue
    if mine != t or ins.size != n or (rb is not None and back != rb): bad.append((b.hex(), t, mine, back.hex(), rb and rb.hex()))
    else: ok += 1; forms.add((ins.enc, ins.op))
  return ok, forms, bad

@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck), derandomize=False)
@given(seed=st.integers(0, 2 ** 32 - 1))
def test_random_operands_every_form_vs_llvm_mc(seed):
  oracle("llvm-mc-19")
  r = random.Random(seed)
  words = [random_word(i, r) for i in FORMS for _ in range(2)]
  ok, forms, bad = check_batch(words)
  print(f"\nrdna3 fuzz seed {seed}: {len(words)} words, {ok} accepted by llvm-mc and matched, {len(forms)}/{len(FORMS)} forms")
  assert not bad, bad[:10]
  assert ok > len(words) // 3

def test_waitcnt_and_delay_alu_syntax_exhaustive():
  oracle("llvm-mc-19")
  sopp = ENCODINGS["SOPP"]
  words = [(put_field(put_field(sopp.fixed, sopp.op, 9), sopp.fields["simm16"], v), 4) for v in range(0, 65536, 3)]
  words += [(put_field(put_field(sopp.fixed, sopp.op, 7), sopp.fields["simm16"], v), 4) for v in range(2048)]
  words += [(put_field(put_field(sopp.fixed, sopp.op, 54), sopp.fields["simm16"], v), 4) for v in range(256)]
  ok, forms, bad = check_batch(words)
  assert not bad, bad[:10]
  assert ok > 20000
