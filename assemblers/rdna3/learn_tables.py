"""Maintainer tool (needs llvm-mc-19; never used at run time): learns the gfx1100 opcode table by disassembling probe words
with llvm-mc. Per (encoding, opcode) it tries candidate field values (every register field holds a distinct register
number, unused fields zero) until llvm-mc decodes the word, then reads back the mnemonic, which field each printed operand
came from and its width. Further probes per form: immediate print style (simm16 = 1, 0x1234, 0xfff0), which VOP3/VOP3P
modifier bits LLVM prints, which sources print literals as 16 bits, which DPP neg bits print as sext(), and (assembling with
llvm-mc) which literal spellings become inline constants. Writes, next to this file:
  gfx1100.tsv        encoding, opcode, mnemonic, operands in LLVM's text order (field:kind+dwords[h] | =fixed text |
                     field:print style), modifier bits / inline-constant classes / fixed fields
  gfx1100_names.tsv  hwreg and message names llvm-mc prints
tests/test_rdna3_tables.py re-runs it with --check and fails if either file is stale.
Usage: python -m hwrt.assemblers.rdna3.learn_tables [--check]"""
import os, re, subprocess, sys
from hwrt import oracles
from hwrt.assemblers.rdna3.decoder import ENCODINGS, put_field

HERE = os.path.dirname(os.path.abspath(__file__))
TABLE = os.path.join(HERE, "gfx1100.tsv")
# probe register numbers: far enough apart that a 16-dword tuple never reaches the next one
PAD, VPAD, CARRIER = 0xbf9f0000, 0x7e000000, 0xb0650000                 # s_code_end, v_nop, s_movk_i32 s101
OP_BITS = {"SOP1": 8, "SOPC": 7, "SOPP": 7, "SOPK": 5, "SOP2": 7, "VOP1": 8, "VOPC": 8, "VOP2": 6, "SMEM": 8, "VOP3P": 7,
           "VOP3": 10, "VOPD": 9, "DS": 8, "FLAT": 7, "SCRATCH": 7, "GLOBAL": 7, "MUBUF": 8}
V, S = 256, 0                                                          # 9-bit source operand: v<n> is 256+n, s<n> is n
SRC9 = {"src0", "src1", "src2", "srcx0", "srcy0"}
# candidate values per field, most informative first; 0 (field unused) last. Register numbers are far enough apart that a
# 16-dword tuple never reaches the next one, so each printed register names the field it came from.
CANDIDATES = {
  "sdst": [8, 0], "ssrc0": [24, 0], "ssrc1": [40, 0], "simm16": [0x1234, 0], "sdata": [8, 0], "sbase": [12, 0],
  "offset": [0x123, 0], "soffset": [0x7c, 40, 0], "vdst": [16, 126, 0], "src0": [V + 32, S + 32, 0], "vsrc1": [48, 0],
  "src1": [V + 48, S + 48, 0], "src2": [V + 64, S + 64, 0], "addr": [32, 0], "data": [48, 0], "data0": [48, 0],
  "data1": [64, 0], "vdata": [16, 0], "vaddr": [32, 0], "srsrc": [6, 0], "offen": [1, 0], "saddr": [24, 0x7c],
  "sve": [1, 0], "srcx0": [V + 32, S + 32], "vsrcx1": [48, 0], "srcy0": [V + 64, S + 64], "vsrcy1": [80, 0], "vdstx": [16],
  "vdsty": [12], "opsel_hi": [3], "opsel_hi2": [1]}
NEEDS_LITERAL_TRY = {"VOP2", "VOPD", "SOPK"}                          # forms with a mandatory literal (fmaak/fmamk, setreg_imm32)

def variants(enc: str, op: int):
  """(word, size in bytes, field values) candidates for one opcode, most informative first."""
  e = ENCODINGS[enc]
  if (enc == "SOP2" and op >= 0x60) or (enc == "VOP2" and op >= 0x3e) or (enc == "SOPK" and op >= 0x1d): return   # prefixes of SOPK/SOP1/SOPC/SOPP, VOPC/VOP1
  names = [f for f in e.fields if f in CANDIDATES]
  if enc == "FLAT": names.remove("saddr")
  combos = [{}]
  for f in names: combos = [dict(c, **{f: v}) for c in combos for v in CANDIDATES[f] if not (f == "vdst" and v == 126 and (enc != "VOP3" or op >= 256))]
  combos.sort(key=lambda c: sum(1 for v in c.values() if v == 0))     # stable: fewer unused fields first
  for lit in ([None, 0x12345678] if enc in NEEDS_LITERAL_TRY else [None]):
    for c in combos:
      w = e.fixed
      if enc == "FLAT": w = put_field(w, e.fields["saddr"], 0x7c)
      if enc == "VOPD": w = put_field(put_field(w, e.fields["opx"], op >> 5), e.fields["opy"], op & 31)
      else: w = put_field(w, e.op, op)
      for f, v in c.items(): w = put_field(w, e.fields[f], v)
      n = e.size // 8
      if lit is not None: w, n = w | (lit << (8 * n)), n + 4
      yield w, n, c

def mod_variants(enc: str, word: int):
  e = ENCODINGS[enc]
  bits = {"VOP3": [("clamp", 1), ("omod", 2), ("neg", 3), ("abs", 3), ("opsel", 4)],
          "VOP3P": [("clamp", 1), ("neg", 3), ("neg_hi", 3), ("opsel", 3)]}.get(enc, [])
  for f, n in bits:
    for b in range(n): yield (f, 1 << b), put_field(word, e.fields[f], 1 << b)

def llvm_disasm(probes: list[tuple[int, int]], pad: int = PAD, wave64: bool = False) -> list:
  """probes: (value, size in bytes) -> per probe the text llvm-mc prints when it decodes exactly those bytes, else None.
  Each probe is followed by 3 pad words (absorb what a bad probe's tail decodes into) and `s_movk_i32 s101, index`."""
  mc = oracles.find("llvm-mc-19")
  if mc is None: sys.exit("llvm-mc-19 is needed (apt-get install llvm-19)")
  hexb = lambda v, n: ",".join(f"0x{b:02x}" for b in v.to_bytes(n, "little"))
  if len(probes) > 4000:                                             # two llvm-mc processes at once
    from concurrent.futures import ThreadPoolExecutor
    h = len(probes) // 2
    with ThreadPoolExecutor(2) as ex: a, b = ex.map(lambda p: llvm_disasm(p, pad, wave64), [probes[:h], probes[h:]])
    return a + b
  lines = []
  for i, (v, n) in enumerate(probes): lines += [hexb(v, n), hexb(pad, 4) + "," + hexb(pad, 4) + "," + hexb(pad, 4), hexb(CARRIER | (i & 0xffff), 4)]
  out = subprocess.run([mc, "--disassemble", "-triple=amdgcn-amd-amdhsa", "-mcpu=gfx1100", "--show-encoding"] +
                       (["-mattr=+wavefrontsize64"] if wave64 else []), input="\n".join(lines) + "\n", capture_output=True, text=True).stdout
  res, cur, base = [None] * len(probes), [], 0
  for ln in out.splitlines():
    m = re.match(r"\s+(.*?)\s*; encoding: \[(.*)\]", ln)
    if not m: continue
    bs = bytes(int(x, 16) for x in m.group(2).split(","))
    w = int.from_bytes(bs, "little")
    if w == pad: continue
    i = ((w & 0xffff) | (base & ~0xffff)) if len(bs) == 4 and (w & 0xffff0000) == CARRIER else -1
    if 0 <= i < base: i += 0x10000
    if base <= i <= base + 64:                                       # a carrier (not probe bytes that look like one)
      if len(cur) == 1 and "/*" not in cur[0][0] and i < len(probes) and cur[0][1] == probes[i][0].to_bytes(probes[i][1], "little"): res[i] = cur[0][0]
      cur, base = [], i + 1
    else: cur.append((m.group(1), bs))
  return res

def llvm_asm(texts: list[str], wave64: bool = False) -> list:
  """Assemble each line with llvm-mc -> its bytes, or None where llvm-mc rejects it."""
  mc = oracles.find("llvm-mc-19")
  if mc is None: sys.exit("llvm-mc-19 is needed (apt-get install llvm-19)")
  src = "".join(f"{t}\ns_movk_i32 s101, {i & 0xffff:#x}\n" for i, t in enumerate(texts))
  p = subprocess.run([mc, "-triple=amdgcn-amd-amdhsa", "-mcpu=gfx1100", "--show-encoding"] + (["-mattr=+wavefrontsize64"] if wave64 else []),
                     input=src, capture_output=True, text=True)
  bad = {(int(m) - 1) // 2 for m in re.findall(r"<stdin>:(\d+):\d+: error", p.stderr)}
  res, cur, i = [None] * len(texts), [], 0
  for ln in p.stdout.splitlines():
    m = re.match(r"\s+(.*?)\s*; encoding: \[(.*)\]", ln)
    if not m: continue
    bs = bytes(int(x, 16) for x in m.group(2).split(","))
    if m.group(1).startswith("s_movk_i32 s101,") and int(m.group(1).split(",")[1], 0) == i & 0xffff:   # our carrier, in order
      if i < len(texts) and len(cur) == 1 and i not in bad: res[i] = cur[0]
      cur, i = [], i + 1
    else: cur.append(bs)
  return res

SPECIAL_SIMM = {"s_waitcnt": "waitcnt", "s_waitcnt_depctr": "depctr", "s_version": "version", "s_delay_alu": "delay", "s_sendmsg": "sendmsg", "s_sendmsghalt": "sendmsg"}
DROP_MODS = re.compile(r"^(offset\d?:.*|offen|idxen|glc|slc|dlc|op_sel(_hi)?:.*|neg_(lo|hi):.*|clamp|mul:\d|div:2)$")
REG = re.compile(r"^-?\|?([sv])(?:(\d+)(\.[lh])?|\[(\d+):(\d+)\])\|?$")

def template(enc: str, text: str, vals: dict, imm_texts: dict) -> tuple[str, list[str]]:
  """(mnemonic, operand tokens) for one decoded probe; vals are the probe's field values."""
  mn, _, rest = text.partition(" ")
  if mn in SPECIAL_SIMM: return mn, ["simm16:" + SPECIAL_SIMM[mn]]
  e = ENCODINGS[enc]
  byreg = {}
  for f, v in vals.items():
    if enc == "VOP3" and v == 0: continue                              # unused; a printed s0 is the VOP3SD sdst
    if f in SRC9: byreg[("v" if v >= 256 else "s", v & 255)] = f
    elif f in ("sbase", "srsrc"): byreg[("s", v * (2 if f == "sbase" else 4))] = f
    elif f in ("sdst", "sdata", "ssrc0", "ssrc1", "soffset", "saddr"): byreg[("s", v)] = f
    elif f in ("vdst", "vdstx") and enc in ("VOP3", "VOP3P", "VOPD", "VOP1"): byreg[("v", v)] = byreg[("s", v)] = f
    elif f == "vdsty": byreg[("v", (v << 1) | (~vals["vdstx"] & 1))] = f
    elif f in ("simm16", "offset", "sve", "offen", "opsel_hi", "opsel_hi2"): pass
    else: byreg[("v", v)] = f
  ops = [x for x in re.split(r", (?![^(]*\))", rest)] if rest else []
  mods = []
  if ops and " " in ops[-1]: ops[-1], *mods = re.split(r" (?![^(]*\))", ops[-1])
  out = []
  for t in ops:
    m = REG.match(t)
    if m:
      k, lo = m.group(1), int(m.group(2) or m.group(4))
      n = 1 if m.group(2) else int(m.group(5)) - lo + 1
      f = byreg.get((k, lo)) or ("sdst" if (k, lo) == ("s", 0) and enc == "VOP3" else None)
      if f is None: raise ValueError(f"{enc} {text!r}: operand {t} matches no field")
      kind = "a" if f in SRC9 else k
      out.append(f"{f}:{kind}{'l' if m.group(3) else n}")
    elif t.startswith("hwreg("): out.append("simm16:hwreg")
    elif t.startswith("sendmsg("): out.append("ssrc0:sendmsg")
    elif t == "0x12345678": out.append("lit:hex")
    elif t == "null" and enc == "MUBUF": out.append("soffset:s1")
    elif t in imm_texts: out.append(imm_texts[t])
    else: out.append("=" + t)
  for t in mods:
    if not DROP_MODS.match(t): out.append("=" + t)
  return mn, out

def imm_style(texts: list[str]) -> str:
  """How an immediate field prints, from its text for the values 1, 0x1234 and 0xfff0."""
  one, big, neg = texts
  if big == "4660": return "dec"
  if one == "0x1": return "hex"
  if one == "1" and neg == "-16": return "i16"
  if one == "1": return "u16"
  return "sp"

INLINE_PROBES = (("0x3c00", 1), ("0x3f800000", 2), ("0x3ff00000", 4), ("0xffff", 8), ("0xffffffff", 16))

def inline_classes(rows):
  """Which literal spellings llvm-mc turns into inline constants, per source operand (f16 / f32 / f64-high-dword bit
  patterns, 16- and 32-bit -1): assemble the probe text with that operand replaced. Adds inl_<field>=mask to the row."""
  jobs = []
  for ri, (enc, op, mn, toks, fl, t, n, _) in enumerate(r for r in rows if len(r) == 8):
    if enc not in ("SOP1", "SOP2", "SOPC", "VOP1", "VOP2", "VOPC", "VOP3", "VOP3P"): continue
    tl = toks.split()
    mnem, _, rest = t.partition(" ")
    ops = re.split(r", (?![^(]*\))", rest)
    if len(ops) != len(tl): continue
    for i, tok in enumerate(tl):
      fld = tok.split(":")[0]
      if fld in ("src0", "src1", "src2", "ssrc0", "ssrc1") and tok.split(":")[1][:1] in "as":
        for val, bit in INLINE_PROBES:
          jobs.append((enc, op, fld, bit, n, mnem + " " + ", ".join(ops[:i] + [val] + ops[i + 1:])))
  got = llvm_asm([j[5] for j in jobs])
  masks = {}
  for (enc, op, fld, bit, n, _), b in zip(jobs, got):
    if b is not None and len(b) == n: masks[(enc, op, fld)] = masks.get((enc, op, fld), 0) | bit
  for r in rows:
    if len(r) == 8:
      for (enc, op, fld), m in masks.items():
        if (enc, op) == (r[0], r[1]): r[4]["inl_" + fld] = m

def learn(out=sys.stdout):
  rows = []
  for enc in OP_BITS:
    allp = [(op, w, n, c) for op in range(1 << OP_BITS[enc]) for w, n, c in variants(enc, op)]
    got = llvm_disasm([(w, n) for _, w, n, _ in allp], VPAD if enc.startswith("SOP") else PAD)
    best = {}
    for (op, w, n, c), t in zip(allp, got):
      if t is not None and op not in best: best[op] = (w, n, c, t)
    # immediate print styles: re-probe the chosen word with simm16 = 1, 0x1234, 0xfff0
    styles = {}
    if "simm16" in ENCODINGS[enc].fields:
      imm = [(op, put_field(w, ENCODINGS[enc].fields["simm16"], v), n) for op, (w, n, c, t) in best.items() if c.get("simm16") for v in (1, 0x1234, 0xfff0)]
      it = llvm_disasm([(w, n) for _, w, n in imm], VPAD)
      for i in range(0, len(imm), 3):
        txt = [x.split(" ")[-1] if x else None for x in it[i:i + 3]]
        styles[imm[i][0]] = "simm16:" + imm_style(txt) if None not in txt else "simm16:hex"
    # modifier probes (VOP3, VOP3P): which modifier bits this opcode takes (encoded back exactly)
    mflags = {}
    mp = [(op, f, mw, n) for op, (w, n, c, t) in best.items() for f, mw in mod_variants(enc, w)]
    if mp:
      mt = llvm_disasm([(w, n) for _, _, w, n in mp])
      for (op, f, _, _), t in zip(mp, mt):                          # a bit counts when LLVM prints it
        if t is None or t == best[op][3]: continue
        k = "sext" if f[0] == "neg" and "sext(" in t else f[0]
        mflags.setdefault(op, {}).setdefault(k, 0); mflags[op][k] |= f[1]
    # literal probes: which sources print a 32-bit literal as 16 bits (16-bit operand types)
    lp = [(op, f, put_field(w, ENCODINGS[enc].fields[f], 255) | (0 if n > ENCODINGS[enc].size // 8 else 0x12345678 << (8 * n)),
           n + (0 if n > ENCODINGS[enc].size // 8 else 4)) for op, (w, n, c, t) in best.items()
          for f in ("src0", "src1", "src2", "ssrc0", "ssrc1") if f in c and c[f] != 0 and enc != "VOPD"]
    lt = llvm_disasm([(w, n) for _, _, w, n in lp], VPAD if enc.startswith("SOP") else PAD) if lp else []
    half = {(op, f) for (op, f, _, _), t in zip(lp, lt) if t and re.search(r"\b0x5678\b", t)}
    # DPP probes (VOP1/VOP2/VOPC): which sources print the DPP neg bit as sext() (integer operand types)
    dsext, dp = {}, []
    if enc in ("VOP1", "VOP2", "VOPC"):
      for op, (w, n, c, t) in best.items():
        if "src0" in c and n == 4:
          for bit, sh in ((1, 20), (2, 22)):
            dp.append((op, bit, put_field(w, ENCODINGS[enc].fields["src0"], 250) | (32 | 0xe4 << 8 | 0xff << 24 | 1 << sh) << 32, 8))
      for (op, bit, _, _), t in zip(dp, llvm_disasm([(w, n) for _, _, w, n in dp])):
        if t and "sext(" in t: dsext[op] = dsext.get(op, 0) | bit
    # which sources print inline constant 248 (1/(2*pi)) in its 64-bit spelling, in wave32 and in wave64
    pi64 = {}
    if enc in ("SOP1", "SOP2", "SOPC", "VOP1", "VOP2", "VOPC", "VOP3", "VOP3P"):
      pp = [(op, f, put_field(w, ENCODINGS[enc].fields[f], 248), n) for op, (w, n, c, t) in best.items()
            for f in ("src0", "src1", "src2", "ssrc0", "ssrc1") if c.get(f)]
      for key, w64mode in (("pi64", False), ("pi64w", True)):
        for (op, f, _, _), t in zip(pp, llvm_disasm([(w, n) for _, _, w, n in pp], VPAD if enc.startswith("SOP") else PAD, w64mode)):
          if t and "0.15915494309189532" in t: pi64.setdefault(op, {}).setdefault(key, 0); pi64[op][key] |= 1 << int(f[-1])
    # wave64: the same words printed with -mattr=+wavefrontsize64 (lane masks become 64-bit: vcc, s[n:n+1])
    w64 = {}
    if enc in ("VOP1", "VOP2", "VOPC", "VOP3", "VOP3P"):
      ops64 = sorted(best)
      for op, t in zip(ops64, llvm_disasm([best[op][:2] for op in ops64], PAD, wave64=True)):
        if t is not None: w64[op] = t
    for op in sorted(best):
      w, n, c, t = best[op]
      imm_texts = {"4660": styles.get(op), "0x1234": styles.get(op), "0x123": "offset:hex", "8": "sdata:imm"}
      halves = t.split(" :: ") if enc == "VOPD" else [t]
      for hi, hlf in enumerate(halves):
        mn, toks = template(enc, hlf, c, {k: v for k, v in imm_texts.items() if v})
        toks = [t + "h" if (op, t.split(":")[0]) in half and t.split(":")[1][:1] in "as" else t for t in toks]
        if enc == "VOPD":
          e2, o2 = ("VOPDX", op >> 5) if hi == 0 else ("VOPDY", op & 31)
          rows.append((e2, o2, mn, " ".join(toks), {})); continue
        fl = {k: v for k, v in mflags.get(op, {}).items() if not ("sdst:s1" in toks and k in ("abs", "opsel"))}   # VOP3SD: bits 14:8 are sdst
        if op in dsext: fl["dpp_sext"] = dsext[op]
        fl.update(pi64.get(op, {}))
        if enc == "VOP3" and c.get("vdst") == 126 and not any(t.startswith("vdst:") for t in toks): fl["vdst"] = 126   # v_cmpx_*_e64: EXEC_LO
        t64 = ""
        if op in w64 and w64[op] != t:
          mn64, toks64 = template(enc, w64[op], c, {k: v for k, v in imm_texts.items() if v})
          toks64 = [x + "h" if (op, x.split(":")[0]) in half and x.split(":")[1][:1] in "as" else x for x in toks64]
          if mn64 == mn and toks64 != toks: t64 = " ".join(toks64)
        rows.append((enc, op, mn, " ".join(toks), fl, t, n, t64))
  inline_classes(rows)
  rows = [r[:4] + (" ".join(f"{k}={v}" for k, v in r[4].items()), r[7] if len(r) > 7 else "") for r in rows]
  seen, uniq = set(), []
  for r in rows:
    if (r[0], r[1]) not in seen: seen.add((r[0], r[1])); uniq.append(r)
  print("# gfx1100 opcode table, generated by learn_tables.py from llvm-mc-19 (do not edit by hand).", file=out)
  print("# encoding\topcode\tmnemonic\toperands in LLVM text order (field:kind+dwords | =fixed text | field:print style)\tmodifier bits / inline classes / fixed fields\toperands in wave64 where they differ", file=out)
  for r in uniq: print(*r, sep="\t", file=out)

NAMES = os.path.join(HERE, "gfx1100_names.tsv")

def learn_names(out=sys.stdout):
  """Symbolic names llvm-mc prints for hwreg ids (s_getreg_b32) and message ids (s_sendmsg, s_sendmsg_rtn_b32)."""
  sopk, sopp, sop1 = ENCODINGS["SOPK"], ENCODINGS["SOPP"], ENCODINGS["SOP1"]
  probes = [("hwreg", i, put_field(put_field(put_field(sopk.fixed, sopk.op, 17), sopk.fields["simm16"], i | 31 << 11), sopk.fields["sdst"], 0)) for i in range(64)]
  probes += [("sendmsg", i, put_field(put_field(sopp.fixed, sopp.op, 54), sopp.fields["simm16"], i)) for i in range(256)]
  probes += [("sendmsg_rtn", i, put_field(put_field(sop1.fixed, sop1.op, 76), sop1.fields["ssrc0"], i)) for i in range(256)]
  got = llvm_disasm([(w, 4) for _, _, w in probes], VPAD)
  print("# symbolic operand names for gfx1100, generated by learn_tables.py from llvm-mc-19: kind, value, name", file=out)
  for (kind, i, _), t in zip(probes, got):
    m = re.search(r"(?:hwreg|sendmsg)\(([A-Z_][A-Z0-9_]*)", t or "")
    if m: print(kind, i, m.group(1), sep="\t", file=out)

if __name__ == "__main__":
  if "--check" in sys.argv:
    import io
    buf, buf2 = io.StringIO(), io.StringIO(); learn(buf); learn_names(buf2)
    stale = buf.getvalue() != open(TABLE).read() or buf2.getvalue() != open(NAMES).read()
    sys.exit("gfx1100.tsv / gfx1100_names.tsv are stale: re-run learn_tables.py" if stale else 0)
  with open(TABLE, "w") as f: learn(f)
  with open(NAMES, "w") as f: learn_names(f)
