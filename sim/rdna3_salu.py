"""Scalar instructions for sim/rdna3_exec.py: SOP1/SOP2/SOPC/SOPK/SOPP and SMEM, one value per wave (numpy over the waves of a
group). Semantics: AMD "RDNA3 ISA" ch. 6 (SCC rules: add/sub carry, compares, logic ops set SCC = result != 0)."""
from __future__ import annotations
import numpy as np
from hwrt.sim.rdna3_exec import VCC, M0, NULL, EXEC, Unimplemented
from hwrt.sim.rdna3_ops import raw, wsgpr, sreg, srcs, dst, TYPES, U32, I32, U64, I64, WIDE

def _rd(b, o, w, t): return raw(b, o, w, t, lanes=False).reshape(-1)
def _nw(b, w): return b.nw if isinstance(w, slice) else len(w)

LOGIC = {"and": lambda a, c: a & c, "or": lambda a, c: a | c, "xor": lambda a, c: a ^ c, "nand": lambda a, c: ~(a & c),
         "nor": lambda a, c: ~(a | c), "xnor": lambda a, c: ~(a ^ c), "and_not1": lambda a, c: a & ~c, "or_not1": lambda a, c: a | ~c,
         "andn2": lambda a, c: a & ~c, "orn2": lambda a, c: a | ~c}
CMPS = {"eq": np.equal, "lg": np.not_equal, "ne": np.not_equal, "gt": np.greater, "ge": np.greater_equal, "lt": np.less,
        "le": np.less_equal}

def make(ins):
  n = ins.name
  if ins.enc == "SOPP": return _sopp(ins)
  if ins.enc == "SMEM": return _smem(ins)
  toks = n[2:].split("_")
  ts = [t for t in toks if t in TYPES]
  op = "_".join(t for t in toks if t not in TYPES)
  t = TYPES[ts[-1]] if ts else U32
  wide = t in WIDE
  if ins.enc == "SOPC" or (ins.enc == "SOPK" and op.startswith("cmpk")):
    c = op.split("_")[1] if "_" in op else ""
    if c not in CMPS or not ts: return None
    tt = I32 if ts[-1] == "i32" else (U64 if wide else U32)
    def h(b, ins, w):
      ss = srcs(ins)
      if ins.enc == "SOPK":
        a, k = _rd(b, dst(ins), w, U32), np.uint32(ins.fields["simm16"])
        k = np.int32(np.uint16(k).view(np.int16)) if tt is I32 else k
      else: a, k = _rd(b, ss[0], w, tt), _rd(b, ss[1], w, tt)
      if tt is I32: a, k = np.asarray(a).astype(U32).view(I32), np.asarray(k).astype(np.int64).astype(U32).view(I32) if np.ndim(k) else k
      b.scc[w] = CMPS[c](a, k)
    return h
  if ins.enc == "SOPK": return _sopk(ins, op)
  if op in LOGIC or op.endswith("_saveexec") or op in ("not", "mov", "cmov", "brev", "bcnt1_i32", "ff1_i32", "flbit_i32", "abs",
                                                        "sext_i32", "getpc", "setpc", "swappc", "wqm", "lshl", "lshr", "ashr",
                                                        "add", "addc", "sub", "subb", "mul", "mul_hi", "cselect", "min", "max",
                                                        "bfe", "bfm", "lshl1_add", "lshl2_add", "lshl3_add", "lshl4_add",
                                                        "pack_ll", "pack_lh", "pack_hh", "and_saveexec", "absdiff"):
    return _alu(ins, op, t, wide, ts)
  return None

def _alu(ins, op, t, wide, ts):
  M = U64 if wide else U32
  mask = np.uint64(2**64 - 1) if wide else np.uint64(0xFFFFFFFF)
  def h(b, ins, w):
    ss, d = srcs(ins), dst(ins)
    nw = _nw(b, w)
    v = [np.broadcast_to(_rd(b, o, w, U64 if wide else U32), (nw,)) for o in ss]
    scc = None
    if op.endswith("_saveexec"):
      ex = np.broadcast_to(_rd(b, _Exec, w, M), (nw,))
      wsgpr(b, sreg(d), w, ex, wide)
      base = op[:-len("_saveexec")]
      r = LOGIC[base](v[0], ex) if base in LOGIC else v[0]
      wsgpr(b, EXEC, w, r, wide); b.scc[w] = r != 0; return
    if op in LOGIC: r = LOGIC[op](v[0], v[1]); scc = r != 0
    elif op == "not": r = ~v[0]; scc = r != 0
    elif op == "mov": r = v[0]
    elif op == "cmov": r = np.where(b.scc[w], v[0], np.broadcast_to(_rd(b, d, w, M), (nw,)))
    elif op == "cselect": r = np.where(b.scc[w], v[0], v[1])
    elif op in ("lshl", "lshr", "ashr"):
      s = v[1] & M(63 if wide else 31)
      if op == "lshl": r = v[0] << s
      elif op == "lshr": r = v[0] >> s
      else: r = (v[0].view(I64 if wide else I32) >> s.astype(I64 if wide else I32)).view(M)
      scc = r != 0
    elif op in ("add", "addc", "sub", "subb"):
      a, c = v[0].astype(np.int64), v[1].astype(np.int64)
      cin = b.scc[w].astype(np.int64) if op in ("addc", "subb") else 0
      if ts[-1] == "i32":
        a, c = v[0].view(I32).astype(np.int64), v[1].view(I32).astype(np.int64)
        r64 = a + c if op == "add" else a - c
        r = (r64 & 0xFFFFFFFF).astype(U32); scc = (r64 > 2**31 - 1) | (r64 < -2**31)
      else:
        r64 = a + c + cin if op.startswith("add") else a - c - cin
        r = (r64 & 0xFFFFFFFF).astype(U32); scc = (r64 >> 32) != 0
    elif op == "absdiff": r = np.abs(v[0].view(I32).astype(np.int64) - v[1].view(I32).astype(np.int64)).astype(U32); scc = r != 0
    elif op == "mul": r = (v[0].astype(U64) * v[1].astype(U64) & mask).astype(M)
    elif op == "mul_hi":
      if ts[-1] == "i32": r = ((v[0].view(I32).astype(np.int64) * v[1].view(I32).astype(np.int64)) >> 32).astype(np.int64).astype(U32)
      else: r = ((v[0].astype(U64) * v[1].astype(U64)) >> U64(32)).astype(U32)
    elif op in ("min", "max"):
      a, c = (v[0].view(I32), v[1].view(I32)) if ts[-1] == "i32" else (v[0], v[1])
      r = (np.minimum(a, c) if op == "min" else np.maximum(a, c)).view(U32) if ts[-1] == "i32" else (np.minimum(a, c) if op == "min" else np.maximum(a, c))
      scc = (a < c) if op == "min" else (a > c)
    elif op == "bfe":
      off, wd = v[1] & M(63 if wide else 31), (v[1] >> M(16)) & M(127)
      r = (v[0] >> off) & ((M(1) << wd) - M(1))
      if ts[-1] in ("i32", "i64"):
        bits = 64 if wide else 32; s = M(bits) - wd
        r = np.where(wd == 0, M(0), ((r << s).view(I64 if wide else I32) >> s.astype(I64 if wide else I32)).view(M))
      scc = r != 0
    elif op == "bfm": r = ((M(1) << (v[0] & M(31))) - M(1)) << (v[1] & M(31))
    elif op.startswith("lshl") and op.endswith("_add"):
      k = int(op[4]); r64 = (v[0].astype(np.int64) << k) + v[1].astype(np.int64)
      r = (r64 & 0xFFFFFFFF).astype(U32); scc = (r64 >> 32) != 0
    elif op == "pack_ll": r = (v[0] & U32(0xFFFF)) | (v[1] << U32(16))
    elif op == "pack_lh": r = (v[0] & U32(0xFFFF)) | (v[1] & U32(0xFFFF0000))
    elif op == "pack_hh": r = (v[0] >> U32(16)) | (v[1] & U32(0xFFFF0000))
    elif op == "brev": r = np.array([int(f"{int(x):0{64 if wide else 32}b}"[::-1], 2) for x in v[0]], M)
    elif op == "bcnt1_i32": r = np.array([bin(int(x)).count("1") for x in v[0]], U32); scc = r != 0
    elif op == "ff1_i32": r = np.array([(int(x) & -int(x)).bit_length() - 1 if x else 0xFFFFFFFF for x in v[0]], U32)
    elif op == "flbit_i32": r = np.array([(64 if wide else 32) - int(x).bit_length() if x else 0xFFFFFFFF for x in v[0]], U32)
    elif op == "abs": r = np.abs(v[0].view(I32)).view(U32); scc = r != 0
    elif op == "sext_i32": bits = 8 if ts[-1] == "i8" else 16; r = ((v[0] << U32(32 - bits)).view(I32) >> (32 - bits)).view(U32)
    elif op == "getpc": r = np.broadcast_to(U64(b.pc_now + ins.size), (nw,))
    elif op in ("setpc", "swappc"):
      if op == "swappc": wsgpr(b, sreg(d), w, np.full(nw, b.pc_now + ins.size, U64), True)
      return int(v[0][0])
    else: raise Unimplemented(f"unimplemented RDNA3 instruction {ins.name}")
    if d is not None: wsgpr(b, sreg(d), w, np.asarray(r).astype(U64) & mask if wide else np.asarray(r), wide and op not in ("bcnt1_i32", "ff1_i32", "flbit_i32"))
    if scc is not None: b.scc[w] = scc
  return h

class _ExecOp:
  kind, value, field = "sgpr", EXEC, "exec"
_Exec = _ExecOp()

def _sopk(ins, op):
  def h(b, ins, w):
    d = dst(ins); k = np.int32(np.uint16(ins.fields["simm16"]).view(np.int16))
    nw = _nw(b, w)
    if op == "movk": wsgpr(b, sreg(d), w, np.full(nw, k, np.int64).astype(U32)); return
    if op == "cmovk": wsgpr(b, sreg(d), w, np.where(b.scc[w], U32(k & 0xFFFFFFFF), _rd(b, d, w, U32))); return
    cur = _rd(b, d, w, U32).view(I32).astype(np.int64)
    if op == "addk": r = cur + k; b.scc[w] = (r > 2**31 - 1) | (r < -2**31)
    elif op == "mulk": r = cur * k
    else: raise Unimplemented(f"unimplemented RDNA3 instruction {ins.name}")
    wsgpr(b, sreg(d), w, (r & 0xFFFFFFFF).astype(U32))
  return h

def _sopp(ins):
  n = ins.name
  if n in ("s_nop", "s_waitcnt", "s_waitcnt_vscnt", "s_waitcnt_vmcnt", "s_waitcnt_expcnt", "s_waitcnt_lgkmcnt", "s_delay_alu",
           "s_clause", "s_inst_prefetch", "s_set_inst_prefetch_distance", "s_sendmsg", "s_setprio", "s_sleep", "s_code_end",
           "s_icache_inv", "s_waitcnt_depctr", "s_wait_idle", "s_denorm_mode", "s_round_mode", "s_ttracedata", "s_sendmsghalt"):
    return lambda b, ins, w: None
  if n == "s_endpgm": return _endpgm
  if n == "s_barrier": return _barrier
  if n == "s_trap": return None
  conds = {"s_branch": None, "s_cbranch_scc0": lambda b, w: ~b.scc[w], "s_cbranch_scc1": lambda b, w: b.scc[w],
           "s_cbranch_vccz": lambda b, w: _zero(b, VCC, w), "s_cbranch_vccnz": lambda b, w: ~_zero(b, VCC, w),
           "s_cbranch_execz": lambda b, w: _zero(b, EXEC, w), "s_cbranch_execnz": lambda b, w: ~_zero(b, EXEC, w)}
  if n not in conds: return None
  c = conds[n]
  def h(b, ins, w):
    p = int(b.pc[w][0]) if not isinstance(w, slice) else b.pc_now
    tgt = p + 4 + 4 * int(np.uint16(ins.fields["simm16"]).view(np.int16))
    if c is None: return tgt
    return np.where(c(b, w), tgt, p + 4)
  return h

def _zero(b, r, w):
  z = b.S[w, r] == 0
  return z & (b.S[w, r + 1] == 0) if b.L == 64 else z

def _endpgm(b, ins, w):
  b.done[w] = True
  return None

def _barrier(b, ins, w):
  b.barrier[w] = True
  return None

def _smem(ins):
  n = ins.name
  if n in ("s_dcache_inv", "s_gl1_inv", "s_dcache_wb"): return lambda b, ins, w: None
  if not (n.startswith("s_load_") or n.startswith("s_buffer_load_")): return None
  dw = {"b32": 1, "b64": 2, "b128": 4, "b256": 8, "b512": 16}[n.rsplit("_", 1)[1]]
  buf = n.startswith("s_buffer")
  def h(b, ins, w):
    f = ins.fields
    nw = _nw(b, w)
    sb = f["sbase"] * 2
    base = (b.S[w, sb].astype(U64) | ((b.S[w, sb + 1] & U32(0xFFFF) if buf else b.S[w, sb + 1]).astype(U64) << U64(32)))
    off = np.int64(f["offset"] if f["offset"] < (1 << 20) else f["offset"] - (1 << 21))
    so = f["soffset"]
    extra = b.S[w, so].astype(U64) if so < 106 else U64(0)
    addr = (base.astype(np.int64) + off).astype(U64) + extra
    addr = np.broadcast_to(addr, (nw,)) & U64(~3 & (2**64 - 1))
    uniq, inv = np.unique(addr, return_inverse=True)
    data = b.load(np.repeat(uniq, dw) + np.tile(np.arange(dw, dtype=U64) * U64(4), len(uniq)), 4).view(U32).reshape(len(uniq), dw)
    d = sreg(dst(ins))
    vals = data[inv]
    for i in range(dw):
      if d + i < 106 or d + i in (VCC, VCC + 1, M0): b.S[w, d + i] = vals[:, i]
  return h
