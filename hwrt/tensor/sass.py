"""IR -> SASS text for sm_90 (assembled by assemblers/sass, scheduled by its sched.py). Only forms in the learned table
(assemblers/sass/sm90.tsv) and instructions the SASS interpreter implements are used. Registers: regalloc.py (linear scan,
shared with the RDNA3 back end). P0/P1 are scratch predicates inside one uop's sequence.

Float semantics: + - * exact IEEE; / and sqrt are MUFU seeds refined by FFMA (correctly rounded for operands in 2^-100..2^100 and
quotients below 2^126; outside that the MUFU result a * rcp(b) is used); exp2/log2 are MUFU with the denormal-range scaling
ptxas uses; sin is our own range reduction + minimax polynomial (not MUFU.SIN: ptxas feeds it x / 2pi, FMUL.RZ by
0.15915494, so the hardware takes revolutions, while the simulator's MUFU.SIN computes sin of its operand); float16
values are computed in float32 and rounded to float16 after every operation."""
from __future__ import annotations
import numpy as np
from hwrt.tensor.dtypes import float16, float32, int32, bool_
from hwrt.tensor import regalloc
from hwrt.tensor.regalloc import fimm, bits, magic
from hwrt.tensor.ir import Kernel, U, TILE as T, RB

def himm(v: int) -> str: return f"-{-v:#x}" if v < 0 else f"{v:#x}"

class Lowerer(regalloc.Lowerer):
  PREFIX, MAX_REGS = "R", 250
  def value_width(self, u: U) -> int: return 2 if u.op == "PARAM" else RB * RB if u.op == "TDOT" else super().value_width(u)
  def emit(self, *lines: str): self.out += [l if l.endswith(":") else f"        {l} ;" for l in lines]
  def lower(self) -> str:
    self.emit("ULDC.64 UR4, c[0x0][0x208]")
    return super().lower()
  def finish(self) -> str:
    self.emit("EXIT")
    self.out += [".L_end:", "        BRA .L_end ;"]
    head = [f".kernel {self.k.name}"] + [".param 8"] * len(self.k.params) + ([f".shared {self.k.shared}"] if self.k.shared else [])
    return "\n".join(head + self.out) + "\n"

  # ---- kernel structure
  def l_SPECIAL(self, u):
    if u.arg == "bid": return self.emit(f"S2R {self.R(u)}, SR_CTAID.X")
    if u.arg in ("tx", "ty"):
      self.emit(f"S2R {self.R(u)}, SR_TID.X")
      r = self.R(u)
      return self.emit(f"LOP3.LUT {r}, {r}, 0xf, RZ, 0xc0, !PT" if u.arg == "tx" else f"SHF.R.U32.HI {r}, RZ, 0x4, {r}")
    a, b = self.t(), self.t()
    self.emit(f"S2R {a}, SR_TID.X", f"S2R {b}, SR_CTAID.X", f"LEA {self.R(u)}, {b}, {a}, 0x7",
              f"ISETP.GE.AND P0, PT, {self.R(u)}, {himm(self.k.n)}, PT", "@P0 EXIT")
  def l_CONST(self, u): self.emit(f"MOV {self.R(u)}, {bits(u.arg, u.dtype or int32):#x}")
  def l_PARAM(self, u): self.emit(f"LDC.64 {self.R(u)}, c[0x0][{0x210 + 8 * u.arg:#x}]")
  def _addr(self, ptr: U, idx: U, size: int) -> str:
    a = self.t(2)
    self.emit(f"IMAD.WIDE {a}, {self.R(idx)}, {size:#x}, {self.R(ptr)}")
    return a
  def l_LOAD(self, u):
    a, d = self._addr(*u.srcs, u.dtype.itemsize), self.R(u)
    sfx = {1: ".U8", 2: ".U16", 4: ""}[u.dtype.itemsize]
    self.emit(f"LDG.E{sfx} {d}, desc[UR4][{a}.64]")
    if u.dtype is float16: self.emit(f"HADD2.F32 {d}, -RZ, {d}.H0_H0")
  def l_STORE(self, u):
    ptr, idx, v = u.srcs
    dt = self.k.params[0].dtype
    a, val = self._addr(ptr, idx, dt.itemsize), self.R(v)
    if dt is float16: h = self.t(); self.emit(f"F2F.F16.F32 {h}, {val}"); val = h
    self.emit(f"STG.E{ {1: '.U8', 2: '.U16', 4: ''}[dt.itemsize]} desc[UR4][{a}.64], {val}")
  def l_RANGE(self, u): self.emit(f"MOV {self.R(u)}, RZ", f"L{u.arg[1]}:")
  def l_ACC(self, u):
    op, init, _ = u.arg
    if not u.dtype.is_float: init = {"SUM": 0, "MAX": -2**31 if u.dtype is int32 else 0, "MIN": 2**31 - 1 if u.dtype is int32 else 1}[op]
    self.emit(f"MOV {self.R(u)}, {bits(init, float32 if u.dtype.is_float else int32):#x}")
  def l_UPDATE(self, u):
    acc, v = u.srcs
    a, x = self.R(acc), self.R(v)
    op = u.arg
    if u.dtype.is_float: self.emit({"SUM": f"FADD {a}, {a}, {x}", "MAX": f"FMNMX {a}, {a}, {x}, !PT", "MIN": f"FMNMX {a}, {a}, {x}, PT"}[op])
    else: self.emit({"SUM": f"IADD3 {a}, {a}, {x}, RZ", "MAX": f"VIMNMX {a}, {a}, {x}, !PT", "MIN": f"VIMNMX {a}, {a}, {x}, PT"}[op])
  def l_END(self, u):
    rng = u.srcs[0]
    self.emit(f"IADD3 {self.R(rng)}, {self.R(rng)}, 0x1, RZ", f"ISETP.LT.AND P0, PT, {self.R(rng)}, {himm(rng.arg[0])}, PT",
              f"@P0 BRA L{u.arg}")

  # ---- index arithmetic
  def l_ADD(self, u):
    a, b = u.srcs
    self.emit(f"IADD3 {self.R(u)}, {self.R(a)}, {himm(b.arg) if b.op == 'CONST' else self.R(b)}, RZ")
  def l_MUL(self, u):
    a, b = u.srcs
    self.emit(f"IMAD {self.R(u)}, {self.R(a)}, {himm(b.arg) if b.op == 'CONST' else self.R(b)}, RZ")
  def l_IMIN(self, u): self.emit(f"VIMNMX {self.R(u)}, {self.R(u.srcs[0])}, {himm(u.arg)}, PT")
  def l_TDOT(self, u):
    """The tiled matmul's k loop. Per 16-wide k step each thread stages A[row_r, k0+tx] and B[k0+ty, col_c] (r, c < RB)
    into shared memory (after the 0x400 bytes sm_90 reserves: As[64][16], then Bs[16][64]), then accumulates RB*RB FFMAs
    per k from the tiles; k past K reads as 0. Its value is RB*RB accumulator registers (TDOTV picks one)."""
    pa, pb, tx, ty, *bases = u.srcs
    K, sak, sbk, adt, bdt = u.arg
    base = self.reg[id(u)]
    acc = [f"R{base + q}" for q in range(RB * RB)]
    kc, ra, rb = self.t(), self.t(), self.t()
    ia, ib, sa, sb, va, vb = ([self.t() for _ in range(RB)] for _ in range(6))
    xs, ys = [self.t() for _ in range(RB)], [self.t() for _ in range(RB)]
    A0, B0, rowb = 0x400, 0x400 + T * RB * T * 4, T * 4          # As row: 16 floats; Bs row: 64 floats
    X, Y = self.R(tx), self.R(ty)
    self.emit(*[f"MOV {a}, RZ" for a in acc], f"MOV {kc}, RZ")
    for q in range(RB):
      self.emit(f"IMAD {ia[q]}, {X}, {himm(sak)}, {self.R(bases[q])}", f"IMAD {ib[q]}, {Y}, {himm(sbk)}, {self.R(bases[RB + q])}")
    self.emit(f"LEA {sa[0]}, {Y}, {X}, 0x6", f"LEA {sa[0]}, {sa[0]}, {A0:#x}, 0x2",     # As[ty*RB][tx]: A0 + (ty*64 + tx) * 4
              f"LEA {sb[0]}, {Y}, {X}, 0x4", f"LEA {sb[0]}, {sb[0]}, {B0:#x}, 0x4",     # Bs[ty][tx*RB]: B0 + (ty*16 + tx) * 16
              f"LEA {ra}, {Y}, {A0:#x}, 0x8", f"LEA {rb}, {X}, {B0:#x}, 0x4")           # As[ty*RB][0], Bs[0][tx*RB]
    for q in range(1, RB): self.emit(f"IADD3 {sa[q]}, {sa[0]}, {q * rowb:#x}, RZ", f"IADD3 {sb[q]}, {sb[0]}, {4 * q:#x}, RZ")
    self.emit("TD:")
    for v, idx, bs, p, dt, t in ((va, ia, bases[:RB], pa, adt, X), (vb, ib, bases[RB:], pb, bdt, Y)):
      if K % T:
        kk = self.t()
        self.emit(f"IADD3 {kk}, {kc}, {t}, RZ", f"ISETP.LT.AND P0, PT, {kk}, {himm(K)}, PT")
      for q in range(RB):
        src = idx[q]
        if K % T: src = self.t(); self.emit(f"SEL {src}, {idx[q]}, {self.R(bs[q])}, P0")
        a = self.t(2)
        self.emit(f"IMAD.WIDE {a}, {src}, {dt.itemsize:#x}, {self.R(p)}", f"LDG.E{'.U16' if dt is float16 else ''} {v[q]}, desc[UR4][{a}.64]")
        if dt is float16: self.emit(f"HADD2.F32 {v[q]}, -RZ, {v[q]}.H0_H0")
        if K % T: self.emit(f"SEL {v[q]}, {v[q]}, RZ, P0")
    self.emit(*[f"STS [{sa[q]}], {va[q]}" for q in range(RB)], *[f"STS [{sb[q]}], {vb[q]}" for q in range(RB)], "BAR.SYNC.DEFER_BLOCKING 0x0")
    for kq in range(T):
      self.emit(*[f"LDS {xs[q]}, [{ra}+{q * rowb + 4 * kq:#x}]" for q in range(RB)],
                *[f"LDS {ys[q]}, [{rb}+{kq * T * RB * 4 + 4 * q:#x}]" for q in range(RB)])
      self.emit(*[f"FFMA {acc[RB * r + c]}, {xs[r]}, {ys[c]}, {acc[RB * r + c]}" for r in range(RB) for c in range(RB)])
    self.emit("BAR.SYNC.DEFER_BLOCKING 0x0", *[f"IADD3 {ia[q]}, {ia[q]}, {himm(T * sak)}, RZ" for q in range(RB)],
              *[f"IADD3 {ib[q]}, {ib[q]}, {himm(T * sbk)}, RZ" for q in range(RB)],
              f"IADD3 {kc}, {kc}, {T:#x}, RZ", f"ISETP.LT.AND P0, PT, {kc}, {himm(K)}, PT", "@P0 BRA TD")
  def l_TDOTV(self, u): self.emit(f"MOV {self.R(u)}, R{self.reg[id(u.srcs[0])] + u.arg}")

  def l_IDIVC(self, u):
    c, x, d = u.arg, self.R(u.srcs[0]), self.R(u)
    if c & (c - 1) == 0: return self.emit(f"SHF.R.U32.HI {d}, RZ, {c.bit_length() - 1:#x}, {x}")
    m, s = magic(c)
    self.emit(f"IMAD.HI.U32 {d}, {x}, {m:#x}, RZ", *([f"SHF.R.U32.HI {d}, RZ, {s:#x}, {d}"] if s else []))
  def l_IMODC(self, u):
    c, x, q, d = u.arg, self.R(u.srcs[0]), self.R(u.srcs[1]), self.R(u)
    if c & (c - 1) == 0: return self.emit(f"LOP3.LUT {d}, {x}, {c - 1:#x}, RZ, 0xc0, !PT")
    self.emit(f"IMAD {d}, {q}, {himm(-c)}, {x}")          # x - (x // c) * c, the quotient shared with IDIVC

  # ---- elementwise
  def l_ALU(self, u):
    op = u.arg[0] if isinstance(u.arg, tuple) else u.arg
    d, srcs = self.R(u), [self.R(s) for s in u.srcs]
    fl = u.srcs[0].dtype.is_float if op not in ("WHERE",) else u.srcs[1].dtype.is_float
    if op == "CAST": self._cast(d, srcs[0], u.arg[1], u.dtype)
    elif op in ("CMPLT", "CMPLE", "CMPEQ", "CMPNE"):
      a, b = srcs
      if op == "CMPLE": op, a, b = "GE", b, a
      cc = {"CMPLT": "LT", "GE": "GE", "CMPEQ": "EQ", "CMPNE": "NEU" if fl else "NE"}[op]
      self.emit(f"{'F' if fl else 'I'}SETP.{cc}.AND P0, PT, {a}, {b}, PT", f"SEL {d}, RZ, 0x1, !P0")
    elif op == "WHERE": self.emit(f"ISETP.NE.AND P0, PT, {srcs[0]}, RZ, PT", f"SEL {d}, {srcs[1]}, {srcs[2]}, P0")
    elif fl: getattr(self, f"f_{op}")(d, *srcs)
    else: getattr(self, f"i_{op}")(d, *srcs, dt=u.dtype)
    if u.dtype is float16 and op not in ("MAX", "MIN", "NEG", "ABS", "WHERE"): self.round16(d)
  def round16(self, d): self.emit(f"F2F.F16.F32 {d}, {d}", f"HADD2.F32 {d}, -RZ, {d}.H0_H0")
  def _cast(self, d, a, frm, to):
    if frm.is_float and to.is_float or frm is to or (frm is bool_ and to is int32): self.emit(f"MOV {d}, {a}")
    elif frm.is_float and to is int32: self.emit(f"F2I.TRUNC.NTZ {d}, {a}")
    elif to.is_float: self.emit(f"I2FP.F32.S32 {d}, {a}")
    else: self.emit(f"{'F' if frm.is_float else 'I'}SETP.{'NEU' if frm.is_float else 'NE'}.AND P0, PT, {a}, RZ, PT", f"SEL {d}, RZ, 0x1, !P0")

  def f_ADD(self, d, a, b): self.emit(f"FADD {d}, {a}, {b}")
  def f_SUB(self, d, a, b): self.emit(f"FFMA {d}, {b}, -1, {a}")
  def f_MUL(self, d, a, b): self.emit(f"FMUL {d}, {a}, {b}")
  def f_NEG(self, d, a): self.emit(f"FADD {d}, -{a}, -RZ")
  def f_ABS(self, d, a): self.emit(f"FADD {d}, |{a}|, -RZ")
  def f_MAX(self, d, a, b): self.emit(f"FMNMX {d}, {a}, {b}, !PT")
  def f_MIN(self, d, a, b): self.emit(f"FMNMX {d}, {a}, {b}, PT")
  def f_DIV(self, d, a, b):
    r, e, q, q0 = self.t(), self.t(), self.t(), self.t()
    self.emit(f"MUFU.RCP {r}, {b}", f"FMUL {q0}, {a}, {r}", f"FFMA {e}, -{b}, {r}, 1", f"FFMA {r}, {r}, {e}, {r}",
              f"FMUL {q}, {a}, {r}", f"FFMA {e}, -{b}, {q}, {a}", f"FFMA {d}, {r}, {e}, {q}",
              f"FSETP.GEU.AND P0, PT, |{b}|, {fimm(2.0**100)}, PT", f"FSEL {d}, {q0}, {d}, P0",
              f"FSETP.GT.AND P0, PT, |{b}|, {fimm(2.0**-100)}, PT", f"FSEL {d}, {d}, {q0}, P0",
              f"FSETP.GEU.AND P0, PT, |{a}|, {fimm(2.0**100)}, PT", f"FSEL {d}, {q0}, {d}, P0",
              f"FSETP.GEU.AND P0, PT, |{q0}|, {fimm(2.0**126)}, PT", f"FSEL {d}, {q0}, {d}, P0")
  def f_MOD(self, d, a, b):
    q = self.t()
    self.f_DIV(q, a, b)
    self.emit(f"FRND.FLOOR {q}, {q}", f"FFMA {d}, -{q}, {b}, {a}")
  def f_SQRT(self, d, x):
    xs, r, s, e = self.t(), self.t(), self.t(), self.t()
    self.emit(f"FSETP.LT.AND P1, PT, {x}, {fimm(2.0**-100)}, PT", f"FMUL {xs}, {x}, {fimm(2.0**64)}", f"FSEL {xs}, {xs}, {x}, P1",
              f"MUFU.RSQ {r}, {xs}", f"FMUL {s}, {xs}, {r}", f"FMUL {r}, {r}, 0.5", f"FFMA {e}, -{s}, {s}, {xs}",
              f"FFMA {d}, {e}, {r}, {s}", f"FMUL {e}, {d}, {fimm(2.0**-32)}", f"FSEL {d}, {e}, {d}, P1",
              f"FSETP.EQ.AND P0, PT, {x}, RZ, PT", f"FSEL {d}, {x}, {d}, P0",
              f"FSETP.GT.AND P0, PT, {x}, {fimm(3.4028234663852886e38)}, PT", f"FSEL {d}, {x}, {d}, P0")
  def f_EXP2(self, d, x):
    h, sq = self.t(), self.t()
    self.emit(f"FSETP.GEU.AND P0, PT, {x}, -126, PT", f"FMUL {h}, {x}, 0.5", f"FSEL {h}, {x}, {h}, P0", f"MUFU.EX2 {d}, {h}",
              f"FMUL {sq}, {d}, {d}", f"FSEL {d}, {d}, {sq}, P0")
  def f_LOG2(self, d, x):
    s, l = self.t(), self.t()
    self.emit(f"FSETP.GEU.AND P0, PT, {x}, {fimm(2.0**-126)}, PT", f"FMUL {s}, {x}, 16777216", f"FSEL {s}, {x}, {s}, P0",
              f"MUFU.LG2 {d}, {s}", f"FADD {l}, {d}, -24", f"FSEL {d}, {d}, {l}, P0")
  def f_SIN(self, d, x):
    k, r, q, z, p, c, t = (self.t() for _ in range(7))
    self.emit(f"FMUL {k}, {x}, {fimm(2 / np.pi)}", f"FRND {k}, {k}", f"FFMA {r}, {k}, -1.5703125, {x}",
              f"FFMA {r}, {k}, {fimm(-4.837512969970703125e-4)}, {r}", f"FFMA {r}, {k}, {fimm(-7.54978995489188216e-8)}, {r}",
              f"F2I.TRUNC.NTZ {q}, {k}", f"FMUL {z}, {r}, {r}",
              f"FMUL {p}, {z}, {fimm(-1.9515295891e-4)}", f"FADD {p}, {p}, {fimm(8.3321608736e-3)}",
              f"FFMA {p}, {p}, {z}, {fimm(-1.6666654611e-1)}", f"FMUL {t}, {r}, {z}", f"FFMA {p}, {t}, {p}, {r}",   # p = sin(r)
              f"FMUL {c}, {z}, {fimm(2.443315711809948e-5)}", f"FADD {c}, {c}, {fimm(-1.388731625493765e-3)}",
              f"FFMA {c}, {c}, {z}, {fimm(4.166664568298827e-2)}", f"FMUL {t}, {z}, {z}", f"FMUL {r}, {z}, -0.5",
              f"FADD {r}, {r}, 1", f"FFMA {c}, {t}, {c}, {r}",                                                     # c = cos(r)
              f"LOP3.LUT {t}, {q}, 0x1, RZ, 0xc0, !PT", f"ISETP.NE.U32.AND P0, PT, {t}, RZ, PT", f"FSEL {d}, {c}, {p}, P0",
              f"LOP3.LUT {t}, {q}, 0x2, RZ, 0xc0, !PT", f"ISETP.NE.U32.AND P0, PT, {t}, RZ, PT", f"FADD {t}, -{d}, -RZ",
              f"FSEL {d}, {t}, {d}, P0")

  def i_ADD(self, d, a, b, dt): self.emit(f"VIMNMX {d}, {a}, {b}, !PT" if dt is bool_ else f"IADD3 {d}, {a}, {b}, RZ")
  def i_SUB(self, d, a, b, dt): self.emit(f"IADD3 {d}, {a}, -{b}, RZ")
  def i_MUL(self, d, a, b, dt): self.emit(f"IMAD {d}, {a}, {b}, RZ")
  def i_NEG(self, d, a, dt): self.emit(f"IADD3 {d}, -{a}, RZ, RZ")
  def i_ABS(self, d, a, dt): self.emit(f"IABS {d}, {a}")
  def i_MAX(self, d, a, b, dt): self.emit(f"VIMNMX {d}, {a}, {b}, !PT")
  def i_MIN(self, d, a, b, dt): self.emit(f"VIMNMX {d}, {a}, {b}, PT")
  def i_MOD(self, d, a, b, dt):
    """numpy's remainder (sign of the divisor) from an unsigned division |a| / |b| as ptxas builds it (I2F.RP seed)."""
    ua, ub, f, nb, t, c = self.t(), self.t(), self.t(), self.t(), self.t(), self.t(2)
    chi = f"R{int(c[1:]) + 1}"                       # IMAD.HI's addend is a register pair: (0, f) adds f to the high word
    self.emit(f"IABS {ua}, {a}", f"IABS {ub}, {b}", f"I2F.U32.RP {f}, {ub}", f"MUFU.RCP {f}, {f}", f"IADD3 {f}, {f}, 0xffffffe, RZ",
              f"F2I.FTZ.U32.TRUNC.NTZ {f}, {f}", f"IADD3 {nb}, -{ub}, RZ, RZ", f"IMAD {t}, {nb}, {f}, RZ",
              f"MOV {c}, RZ", f"MOV {chi}, {f}", f"IMAD.HI.U32 {f}, {f}, {t}, {c}", f"IMAD.HI.U32 {f}, {f}, {ua}, RZ", f"IMAD {d}, {nb}, {f}, {ua}",
              f"ISETP.GE.U32.AND P0, PT, {d}, {ub}, PT", f"@P0 IADD3 {d}, {d}, -{ub}, RZ",
              f"ISETP.GE.U32.AND P0, PT, {d}, {ub}, PT", f"@P0 IADD3 {d}, {d}, -{ub}, RZ",
              f"ISETP.LT.AND P0, PT, {a}, RZ, PT", f"@P0 IADD3 {d}, -{d}, RZ, RZ",
              f"ISETP.NE.AND P0, PT, {d}, RZ, PT", f"LOP3.LUT {t}, {d}, {b}, RZ, 0x3c, !PT", f"ISETP.LT.AND P1, PT, {t}, RZ, P0",
              f"@P1 IADD3 {d}, {d}, {b}, RZ")

def render(k: Kernel) -> str: return Lowerer(k).lower()
