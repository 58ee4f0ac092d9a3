"""gfx1100 instruction text in LLVM's syntax (what llvm-objdump-19 -d --mcpu=gfx1100 prints)."""
import os, struct
from hwrt.assemblers.rdna3.decoder import decode, decode_all, Instr, Operand

SPECIAL = {106: "vcc_lo", 107: "vcc_hi", 124: "null", 125: "m0", 126: "exec_lo", 127: "exec_hi", 235: "src_shared_base",
           236: "src_shared_limit", 237: "src_private_base", 238: "src_private_limit", 239: "src_pops_exiting_wave_id",
           251: "src_vccz", 252: "src_execz", 253: "src_scc", 254: "src_lds_direct"}
SPECIAL64 = {106: "vcc", 126: "exec"}
FLOAT_CONST = {240: "0.5", 241: "-0.5", 242: "1.0", 243: "-1.0", 244: "2.0", 245: "-2.0", 246: "4.0", 247: "-4.0"}
# AMD RDNA3 ISA guide, "S_DELAY_ALU" and "S_WAITCNT"; names as LLVM's AMDGPUAsmUtils.cpp spells them
DELAY_ID = ["NO_DEP", "VALU_DEP_1", "VALU_DEP_2", "VALU_DEP_3", "VALU_DEP_4", "TRANS32_DEP_1", "TRANS32_DEP_2", "TRANS32_DEP_3",
            "FMA_ACCUM_CYCLE_1", "SALU_CYCLE_1", "SALU_CYCLE_2", "SALU_CYCLE_3"]
DELAY_SKIP = ["SAME", "NEXT", "SKIP_1", "SKIP_2", "SKIP_3", "SKIP_4"]
def _load_names():
  out = {"hwreg": {}, "sendmsg": {}, "sendmsg_rtn": {}}
  with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "gfx1100_names.tsv")) as f:
    for ln in f:
      if not ln.startswith("#"): k, v, n = ln.split(); out[k][int(v)] = n
  return out
_NAMES = _load_names()
HWREG, SENDMSG, SENDMSG_RTN = _NAMES["hwreg"], _NAMES["sendmsg"], _NAMES["sendmsg_rtn"]   # learned from llvm-mc
# s_waitcnt_depctr fields (name, lo bit, width) in the order LLVM prints them (AMDGPUAsmUtils.cpp DepCtr table; checked by the
# immediate sweep in tests/test_rdna3_fuzz.py); a field at its maximum is the default
DEPCTR = [("depctr_hold_cnt", 7, 1), ("depctr_sa_sdst", 0, 1), ("depctr_va_vdst", 12, 4), ("depctr_va_sdst", 9, 3),
          ("depctr_va_ssrc", 8, 1), ("depctr_va_vcc", 1, 1), ("depctr_vm_vsrc", 2, 3)]
DEPCTR_DEFAULT = sum(((1 << n) - 1) << lo for _, lo, n in DEPCTR)

def reg_text(prefix: str, n: int, width: int) -> str:
  return f"{prefix}{n}" if width == 1 else f"{prefix}[{n}:{n + width - 1}]"

def int_const(v: int) -> int: return v - 128 if v <= 192 else 192 - v

def operand_text(o: Operand, ins: Instr = None) -> str:
  if o.kind == "vgpr": t = f"v{o.value}.{o.half}" if o.half else reg_text("v", o.value, o.width)
  elif o.kind == "sgpr": t = reg_text("s", o.value, o.width)
  elif o.kind == "ttmp": t = reg_text("ttmp", o.value, o.width)
  elif o.kind == "const": t = FLOAT_CONST.get(o.value) or ("0.15915494309189532" if o.pi64 else "0.15915494") if o.value >= 240 else str(int_const(o.value))
  elif o.kind == "literal": t = f"0x{o.value & 0xffff:x}" if o.lit16 else f"0x{o.value:x}"
  elif o.kind == "special": t = SPECIAL64.get(o.value) if o.width == 2 and o.value in SPECIAL64 else SPECIAL.get(o.value, f"{o.value}")
  else: t = str(o.value)
  if o.sext: t = f"sext({t})"
  if o.abs: t = f"|{t}|"
  if o.neg: t = f"neg({t})" if o.kind in ("const", "literal") and not o.abs else f"-{t}"
  return t

def waitcnt_text(v: int) -> str:
  vm, exp, lgkm = v >> 10, v & 7, (v >> 4) & 63
  parts = [f"vmcnt({vm})" if vm != 63 else "", f"expcnt({exp})" if exp != 7 else "", f"lgkmcnt({lgkm})" if lgkm != 63 else ""]
  parts = [p for p in parts if p]
  return " ".join(parts) if parts else f"vmcnt({vm}) expcnt({exp}) lgkmcnt({lgkm})"

def delay_text(v: int) -> str:
  id0, skip, id1 = v & 15, (v >> 4) & 7, (v >> 7) & 15
  if id0 >= len(DELAY_ID) or id1 >= len(DELAY_ID) or skip >= len(DELAY_SKIP): return f"0x{v:x}"
  parts = [f"instid0({DELAY_ID[id0]})" if id0 else "", f"instskip({DELAY_SKIP[skip]})" if skip else "", f"instid1({DELAY_ID[id1]})" if id1 else ""]
  return " | ".join(p for p in parts if p) or "0"

def hwreg_text(v: int) -> str:
  rid, off, size = v & 63, (v >> 6) & 31, (v >> 11) + 1
  name = HWREG.get(rid, str(rid))
  return f"hwreg({name})" if (off, size) == (0, 32) else f"hwreg({name}, {off}, {size})"

def depctr_text(v: int) -> str:
  if v & ~DEPCTR_DEFAULT & 0xffff: return f"0x{v:x}"
  vals = [(n, (v >> lo) & ((1 << w) - 1), (1 << w) - 1) for n, lo, w in DEPCTR]
  nondef = any(x != d for _, x, d in vals)
  return " ".join(f"{n}({x})" for n, x, d in vals if x != d or not nondef)

UC_VERSION = {0: "UC_VERSION_GFX7", 4: "UC_VERSION_GFX10", 6: "UC_VERSION_GFX11", 9: "UC_VERSION_GFX12"}   # as llvm-mc prints them
UC_FLAGS = [(13, "UC_VERSION_W64_BIT"), (14, "UC_VERSION_W32_BIT"), (15, "UC_VERSION_MDP_BIT")]

def version_text(v: int) -> str:
  if v & 0x1f00: return f"0x{v:x}"
  t = UC_VERSION.get(v & 0xff, str(v & 0xff))
  for bit, name in UC_FLAGS:
    if v >> bit & 1: t = (f"({t})" if "|" in t else t) + "|" + name
  return t

def sendmsg_text(v: int, rtn: bool = False) -> str:
  names = SENDMSG_RTN if rtn else SENDMSG
  if v & 0xff in names: return f"sendmsg({names[v & 0xff]})"
  return f"sendmsg({v & 0xff}, 0, 0)" if rtn or v < 256 else str(v)

def imm_text(style: str, v: int) -> str:
  if style == "dec": return str(v)
  if style == "hex": return f"0x{v:x}"
  if style == "u16": return str(v) if v <= 64 else f"0x{v:x}"
  if style == "i16": sv = v - 0x10000 if v & 0x8000 else v; return str(sv) if -16 <= sv <= 64 else f"0x{v:x}"
  if style == "waitcnt": return waitcnt_text(v)
  if style == "delay": return delay_text(v)
  if style == "hwreg": return hwreg_text(v)
  if style == "sendmsg": return sendmsg_text(v)
  if style == "depctr": return depctr_text(v)
  if style == "version": return version_text(v)
  return str(v)

def dpp_text(d: dict) -> str:
  if "sel" in d: return f"dpp8:[{','.join(map(str, d['sel']))}]" + (" fi:1" if d["fi"] else "")
  c = d["ctrl"]
  if c <= 0xff: ct = f"quad_perm:[{c & 3},{(c >> 2) & 3},{(c >> 4) & 3},{c >> 6}]"
  elif 0x101 <= c <= 0x10f: ct = f"row_shl:{c & 15}"
  elif 0x111 <= c <= 0x11f: ct = f"row_shr:{c & 15}"
  elif 0x121 <= c <= 0x12f: ct = f"row_ror:{c & 15}"
  elif c == 0x140: ct = "row_mirror"
  elif c == 0x141: ct = "row_half_mirror"
  elif 0x150 <= c <= 0x15f: ct = f"row_share:{c & 15}"
  elif 0x160 <= c <= 0x16f: ct = f"row_xmask:{c & 15}"
  else: ct = f"0x{c:x}"
  t = f"{ct} row_mask:0x{d['row_mask']:x} bank_mask:0x{d['bank_mask']:x}"
  if d["bound_ctrl"]: t += " bound_ctrl:1"
  if d["fi"]: t += " fi:1"
  return t

def swizzle_text(v: int) -> str:
  """ds_swizzle_b32 offset (LLVM AMDGPUInstPrinter::printSwizzle)."""
  if v & 0x8000 and v & 0x7f00: return str(v)
  if v & 0x8000: return "swizzle(QUAD_PERM," + ",".join(str((v >> (2 * i)) & 3) for i in range(4)) + ")"
  a, o, x = v & 31, (v >> 5) & 31, (v >> 10) & 31
  if a == 31 and o == 0 and x and x & (x - 1) == 0: return f"swizzle(SWAP,{x})"
  if a == 31 and o == 0 and x and (x + 1) & x == 0: return f"swizzle(REVERSE,{x + 1})"
  g = 32 - a
  if g > 1 and g & (g - 1) == 0 and o < g and x == 0 and a | (g - 1) == 31: return f"swizzle(BROADCAST,{g},{o})"
  ch = lambda i: (str(1 ^ (x >> i & 1)) if o >> i & 1 else "ip"[not x >> i & 1]) if a >> i & 1 else str((o ^ x) >> i & 1)
  return 'swizzle(BITMASK_PERM,"' + "".join(ch(i) for i in range(4, -1, -1)) + '")'

def _ops_text(ins: Instr) -> list:
  out = []
  for o in ins.operands:
    if o.field == "offset" and ins.enc == "SMEM": continue
    if o.field == "sdata" and o.kind == "imm": out.append(imm_text("u16", o.value)); continue
    if o.kind == "text": out.append(o.text)
    elif o.kind == "off": out.append("off")
    elif o.kind == "imm" and o.field == "ssrc0": out.append(sendmsg_text(o.value, True))
    elif o.kind == "imm": out.append(imm_text(next(t[1] for t in ins.info.operands if t[0] == o.field), o.value))
    else: out.append(operand_text(o, ins))
  return out

def sext(v: int, bits: int) -> int: return v - (1 << bits) if v >> (bits - 1) else v

def instr_text(ins: Instr) -> str:
  f, enc, name = ins.fields, ins.enc, ins.name
  ops = _ops_text(ins)
  if enc == "SMEM" and ops:                           # soffset null: print the immediate offset (or null when 0)
    off = f["offset"]
    if f["soffset"] == 0x7c: ops[-1] = f"0x{off:x}" if off else "null"
    elif off: ops[-1] += f" offset:0x{off:x}"
  mods = []
  if enc == "SMEM": mods += ["glc"] * f["glc"] + ["dlc"] * f["dlc"]
  elif enc == "DS":
    if name == "ds_swizzle_b32":
      if f["offset0"] | f["offset1"] << 8: mods.append("offset:" + swizzle_text(f["offset0"] | f["offset1"] << 8))
    elif "2addr" in name:
      if f["offset0"]: mods.append(f"offset0:{f['offset0']}")
      if f["offset1"]: mods.append(f"offset1:{f['offset1']}")
    elif f["offset0"] | f["offset1"] << 8: mods.append(f"offset:{f['offset0'] | f['offset1'] << 8}")
    if f["gds"]: mods.append("gds")
  elif enc in ("FLAT", "GLOBAL", "SCRATCH"):
    if f["offset"]: mods.append(f"offset:{sext(f['offset'], 13) if enc != 'FLAT' else f['offset']}")
    mods += ["glc"] * f["glc"] + ["slc"] * f["slc"] + ["dlc"] * f["dlc"]
  elif enc == "MUBUF":
    mods += ["idxen"] * f["idxen"] + ["offen"] * f["offen"]
    if f["offset"]: mods.append(f"offset:{f['offset']}")
    mods += ["glc"] * f["glc"] + ["slc"] * f["slc"] + ["dlc"] * f["dlc"] + ["tfe"] * f["tfe"]
  elif enc == "VOP3":
    n = 3 if "_fmac_" in name else sum(1 for o in ins.operands if o.field.startswith("src"))   # fmac: src2 is tied
    if f["opsel"] and name.startswith("v_permlane"): mods.append(f"op_sel:[{f['opsel'] & 1},{f['opsel'] >> 1 & 1}]")   # fi, bound_ctrl
    elif f["opsel"]: mods.append("op_sel:[" + ",".join(str((f["opsel"] >> i) & 1) for i in range(n)) + f",{f['opsel'] >> 3}]")
    if f["clamp"]: mods.append("clamp")
    if f["omod"]: mods.append(["", "mul:2", "mul:4", "div:2"][f["omod"]])
  elif enc == "VOP3P":
    n = sum(1 for o in ins.operands if o.field.startswith("src"))
    lst = lambda v: "[" + ",".join(str((v >> i) & 1) for i in range(n)) + "]"
    hi = f["opsel_hi"] | f["opsel_hi2"] << 2
    default_hi = 0 if "_mix" in name else (1 << n) - 1
    if f["opsel"]: mods.append("op_sel:" + lst(f["opsel"]))
    if hi & ((1 << n) - 1) != default_hi: mods.append("op_sel_hi:" + lst(hi))
    if f["neg"] and "_mix" not in name: mods.append("neg_lo:" + lst(f["neg"]))
    if f["neg_hi"] and "_mix" not in name: mods.append("neg_hi:" + lst(f["neg_hi"]))
    if f["clamp"]: mods.append("clamp")
  if ins.dpp: mods.append(dpp_text(ins.dpp))
  if name == "s_endpgm" and ops == ["0"]: ops = []
  t = name + (" " + ", ".join(ops) if ops else "") + (" " + " ".join(mods) if mods else "")
  if ins.y is not None: t += " :: " + ins.y.name + " " + ", ".join(_ops_text(ins.y))
  return t

def disassemble(code: bytes, base: int = 0, wave64: bool = False) -> list[tuple[int, str, bytes]]:
  """[(pc, text, bytes)] for a code blob."""
  return [(i.pc, instr_text(i), code[i.pc - base:i.pc - base + i.size]) for i in decode_all(code, base, wave64)]
