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
        if v >= 256: v = 256 + r.randrange(256 - width + 1)
        if fld.startswith("ssrc") and v >= 256: v = r.randrange(106)
        if v == 255: lit = True
      elif fld == "sdst" or kind == "s": v = r.choice([r.randrange(106), 106, 124, 126])
      elif kind == "v": v = r.randrange(256 - width + 1)
      elif fld == "sbase": v = r.randrange(53)
      elif fld == "srsrc": v = r.randrange(26)
      else: v = r.randrange(1 << (hi - lo + 1))
      if info.enc == "VOP3" and fld == "sdst": w = put_field(w, (14, 8), v)
      else: w = put_field(w, (hi, lo), v)
  if info.enc == "FLAT": w = put_field(w, e.fields["saddr"], 124)
  if info.enc == "VOP3P" and "_mix" not in info.name: w = put_field(put_field(w, e.fields["opsel_hi"], 3), e.fields["opsel_hi2"], 1)
  for f, v in info.fixed.items(): w = put_field(w, e.fields[f], v)
  for m, bits in info.mods.items():
    if m in ("dpp_sext", "pi64", "pi64w"): continue                     # printing properties, not fields
    w = put_field(w, e.fields["neg" if m == "sext" else m], r.randrange(1 << 4) & bits if r.random() < 0.3 else 0)
  if info.enc == "VOP3P" and r.random() < 0.3: w = put_field(w, e.fields["opsel_hi"], r.randrange(4))
  for f, n in EXTRA.get(info.enc, {}).items():
    if r.random() < 0.4: w = put_field(w, e.fields[f], r.randrange(1 << n) if f not in ("saddr",) else r.choice([124, 2 * r.randrange(50)]))
  if info.enc == "SMEM" and info.operands:
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

FORMS = [i for i in OPS.values() if i.enc != "VOPDY" and i.name != "s_code_end"]   # s_code_end is the probe pad

def check_batch(words: list, wave64: bool = False) -> tuple[int, set, list]:
  """Words llvm-mc decodes exactly: our text must be LLVM's, and our bytes for LLVM's text must be llvm-mc's bytes for it."""
  from hwrt.assemblers.rdna3.learn_tables import llvm_disasm, llvm_asm
  got = llvm_disasm(words, wave64=wave64)
  acc = [(w, n, t) for (w, n), t in zip(words, got) if t is not None]
  ref = llvm_asm([t for _, _, t in acc], wave64)
  ok, forms, bad = 0, set(), []
  for (w, n, t), rb in zip(acc, ref):
    b = w.to_bytes(n, "little")
    try:
      ins = decode(b, 0, wave64)
      mine = instr_text(ins)
      back = assemble_instr(t, wave64=wave64)
    except Exception as e: bad.append((b.hex(), t, repr(e))); continue
    if mine != t or ins.size != n or (rb is not None and back != rb): bad.append((b.hex(), t, mine, back.hex(), rb and rb.hex()))
    else: ok += 1; forms.add((ins.enc, ins.op))
  return ok, forms, bad

@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck), derandomize=False)
@given(seed=st.integers(0, 2 ** 32 - 1))
def test_random_operands_every_form_vs_llvm_mc(seed):
  oracle("llvm-mc-19")
  r = random.Random(seed)
  words = [random_word(i, r) for i in FORMS for _ in range(2)]
  ok, forms, bad = check_batch(words)
  print(f"\nrdna3 fuzz seed {seed}: {len(words)} words, {ok} accepted by llvm-mc and matched, {len(forms)}/{len(FORMS)} forms")
  assert not bad, bad[:10]
  assert ok > len(words) // 3

@settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck))
@given(seed=st.integers(0, 2 ** 32 - 1))
def test_random_operands_wave64_forms_vs_llvm_mc(seed):
  """The forms whose operands change in wave64 (lane masks), decoded/printed/assembled in wave64 mode."""
  oracle("llvm-mc-19")
  r = random.Random(seed)
  forms = [i for i in FORMS if i.operands64]
  words = [random_word(i, r) for i in forms for _ in range(4)]
  ok, got, bad = check_batch(words, wave64=True)
  print(f"\nrdna3 wave64 fuzz seed {seed}: {len(words)} words, {ok} accepted by llvm-mc and matched, {len(got)}/{len(forms)} forms")
  assert not bad, bad[:10]
  assert ok > len(words) // 3

def test_special_immediate_syntax_vs_llvm_mc():
  """s_waitcnt, s_delay_alu, s_sendmsg, s_version, s_waitcnt_depctr, hwreg(): sweeps of their 16-bit immediates."""
  oracle("llvm-mc-19")
  sopp = ENCODINGS["SOPP"]
  words = [(put_field(put_field(sopp.fixed, sopp.op, 9), sopp.fields["simm16"], v), 4) for v in range(0, 65536, 3)]
  words += [(put_field(put_field(sopp.fixed, sopp.op, 7), sopp.fields["simm16"], v), 4) for v in range(2048)]
  words += [(put_field(put_field(sopp.fixed, sopp.op, 54), sopp.fields["simm16"], v), 4) for v in range(256)]
  sopk = ENCODINGS["SOPK"]                                        # s_version
  words += [(put_field(put_field(sopk.fixed, sopk.op, 1), sopk.fields["simm16"], v), 4) for v in range(0, 65536, 7)]
  words += [(put_field(put_field(sopp.fixed, sopp.op, 8), sopp.fields["simm16"], v), 4) for v in range(0, 65536, 5)]
  words += [(put_field(put_field(sopk.fixed, sopk.op, 17), sopk.fields["simm16"], v), 4) for v in range(0, 65536, 11)]
  ok, forms, bad = check_batch(words)
  assert not bad, bad[:10]
  assert ok > 40000

USER_LINES = ["s_mov_b32 s0, 0x3f800000", "v_add_nc_u32 v0, 0x3f800000, v1", "v_add_f16 v0, 0x3c00, v1", "v_add_nc_u16 v0, 0x3c00, v1",
              "v_add_f64 v[0:1], 0x3ff00000, v[2:3]", "s_mov_b64 s[0:1], 0x3ff00000", "v_lshlrev_b64 v[0:1], 1, 0x3ff00000",
              "v_mov_b32 v0, 0x3e22f983", "v_add_f16 v0, 0x3118, v1", "s_mov_b32 s0, 0xffffffff", "v_add_f32 v0, 0x3c00, v1",
              "v_add_f16 v0, 0xffff, v1", "v_add_f32 v0, v1, v2", "v_add_f32 v0, s1, v2", "v_add_f32 v0, v1, s2", "v_mul_lo_u32 v0, v1, 100",
              "v_cndmask_b32 v0, v1, v2, vcc_lo", "v_cmp_eq_u32 vcc_lo, v1, v2", "v_cmp_eq_u32 s4, v1, v2", "v_cmpx_gt_u32 v1, v2",
              "v_cmpx_gt_u32_e64 s1, v2", "s_waitcnt vmcnt(0) lgkmcnt(0)", "s_waitcnt lgkmcnt(1)", "s_delay_alu instid0(VALU_DEP_1)",
              "global_load_b32 v1, v0, s[0:1] offset:-16", "global_load_b64 v[1:2], v[4:5], off", "ds_store_b32 v1, v2 offset:1024",
              "s_load_b64 s[0:1], s[4:5], 0x10", "s_load_b32 s0, s[4:5], s6 offset:0x8", "v_fma_f32 v0, -v1, |v2|, 1.0 clamp",
              "v_pk_fma_f16 v0, v1, v2, v3 op_sel_hi:[0,1,1]", "v_mov_b32_dpp v0, v1 row_shr:1 row_mask:0xf bank_mask:0xf",
              "v_add_f32_e64_dpp v0, -v1, v2 quad_perm:[1,0,3,2] row_mask:0xf bank_mask:0xf", "v_dual_mov_b32 v0, v2 :: v_dual_mov_b32 v1, v3",
              "v_fmaak_f32 v0, v1, v2, 0x41200000", "s_getreg_b32 s0, hwreg(HW_REG_MODE)", "s_sendmsg sendmsg(MSG_DEALLOC_VGPRS)",
              "ds_swizzle_b32 v0, v1 offset:swizzle(SWAP,16)", "scratch_store_b32 off, v1, s0 offset:16", "buffer_gl0_inv"]

@settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck))
@given(vals=st.lists(st.one_of(st.integers(-20, 70), st.integers(0, 2 ** 32 - 1), st.sampled_from(
  [0x3f800000, 0xbf000000, 0x40800000, 0x3e22f983, 0x3c00, 0xbc00, 0x3118, 0xffff, 0xffffffff, 0x3ff00000, 0xc0100000, 0xfff0,
   0xfffffff3])), min_size=20, max_size=20))
def test_user_written_syntax_matches_llvm_mc(vals):
  """Unsuffixed mnemonics, hex literals that are inline constants, 16/32/64-bit operands: our bytes = llvm-mc's bytes."""
  oracle("llvm-mc-19")
  from hwrt.assemblers.rdna3.learn_tables import llvm_asm
  forms = ["v_add_f32 v0, {}, v1", "v_add_f16 v0, {}, v1", "v_add_nc_u16 v0, {}, v1", "v_add_f64 v[0:1], {}, v[2:3]",
           "v_mul_lo_u32 v0, v1, {}", "s_mov_b32 s0, {}", "s_mov_b64 s[0:1], {}", "v_lshlrev_b64 v[0:1], 1, {}", "v_fma_f32 v0, v1, v2, {}",
           "v_cvt_f32_f16 v0, {}", "v_pk_add_f16 v0, {}, v1", "s_add_u32 s0, s1, {}", "v_pk_add_u16 v0, {}, v1",
           "v_cvt_f16_i16 v0, {}", "v_cmp_eq_f16 vcc_lo, {}, v1", "v_cmp_eq_u64 vcc_lo, {}, v[0:1]", "v_pk_fma_f16 v0, v1, v2, {}",
           "v_dot2_f32_f16 v0, v1, v2, {}", "v_fma_mix_f32 v0, v1, v2, {}", "v_cvt_f32_f64 v0, {}", "v_sad_u16 v0, v1, {}, v2",
           "s_and_b64 s[0:1], s[2:3], {}", "v_mad_u64_u32 v[0:1], null, v2, {}, v[4:5]"]
  lines = USER_LINES + [f.format(hex(v) if v >= 0 and v > 64 else v) for v in vals for f in forms]
  ref = llvm_asm(lines)
  checked = 0
  for t, rb in zip(lines, ref):
    if rb is None: continue
    assert assemble_instr(t) == rb, t
    checked += 1
  assert checked > len(lines) // 2
