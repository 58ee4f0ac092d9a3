"""IR -> RDNA3 (gfx1100, wave32) assembly in LLVM's syntax for assemblers/rdna3 (packed by its HSA code-object writer).
The mirror of sass.py: the same uops, the same register allocation (regalloc.py, VGPRs; buffer pointers are SGPR pairs
loaded from the kernarg segment), the same algorithms — / and sqrt as rcp/rsq seeds refined by FMA (correctly rounded in
the ranges sass.py states, the seed's result outside them), exp2/log2 with the denormal-range scaling, sin by our range
reduction + polynomial, float16 rounded after every operation. Threads past the end are masked off with EXEC at the
start; a reduction loop's counter is uniform, so its branch tests VCC. The tiled matmul stages its tiles in LDS."""
from __future__ import annotations
import numpy as np
from hwrt.tensor import regalloc
from hwrt.tensor.regalloc import bits, magic
from hwrt.tensor.dtypes import float16, float32, int32, bool_
from hwrt.tensor.ir import Kernel, U, TILE as T, RB

def lit(v: float) -> str: return f"{bits(v, float32):#x}"
def ilit(v: int) -> str: return f"{v & 0xFFFFFFFF:#x}"
LOADS = {1: "global_load_u8", 2: "global_load_u16", 4: "global_load_b32"}
STORES = {1: "global_store_b8", 2: "global_store_b16", 4: "global_store_b32"}

class Lowerer(regalloc.Lowerer):
  PREFIX, MAX_REGS, RESERVED = "v", 250, (0,)        # v0: the work-item id
  def value_width(self, u: U) -> int: return 0 if u.op == "PARAM" else RB * RB if u.op == "TDOT" else super().value_width(u)
  def R(self, u: U) -> str:
    if u.op == "PARAM": return f"s[{4 + 2 * u.arg}:{5 + 2 * u.arg}]"
    return super().R(u)
  def emit(self, *lines: str): self.out += [l if l.endswith(":") else f"  {l}" for l in lines]
  def finish(self) -> str:
    n, np_ = self.k.name, len(self.k.params)
    head = [".text", ".p2align 8", f"{n}:"]
    tail = ["END:", "  s_endpgm", ".rodata", f".amdhsa_kernel {n}", "  .amdhsa_user_sgpr_kernarg_segment_ptr 1",
            "  .amdhsa_system_sgpr_workgroup_id_x 1", "  .amdhsa_float_denorm_mode_32 3", f"  .amdhsa_kernarg_size {8 * np_}"]
    if self.k.shared:     # the LDS size in COMPUTE_PGM_RSRC2 too (512-byte granules): what a PM4 dispatch and sim:amd read
      tail += [f"  .amdhsa_group_segment_fixed_size {self.k.shared}", f"  .hwrt_granulated_lds_size {-(-self.k.shared // 512)}"]
    tail += [f"  .hwrt_arg p{i}, {8 * i}, 8, global_buffer" for i in range(np_)] + [".end_amdhsa_kernel"]
    return "\n".join(head + self.out + tail) + "\n"

  # ---- kernel structure
  def l_SPECIAL(self, u):
    d = self.R(u)
    if u.arg == "bid": return self.emit(f"v_mov_b32_e32 {d}, s2")
    if u.arg == "tx": return self.emit(f"v_and_b32_e32 {d}, 15, v0")
    if u.arg == "ty": return self.emit(f"v_lshrrev_b32_e32 {d}, 4, v0")
    self.emit("s_lshl_b32 s3, s2, 7", f"v_add_nc_u32_e32 {d}, s3, v0", f"v_cmp_gt_u32_e64 vcc_lo, {ilit(self.k.n)}, {d}",
              "s_and_saveexec_b32 s3, vcc_lo", "s_cbranch_execz END")
  def l_CONST(self, u): self.emit(f"v_mov_b32_e32 {self.R(u)}, {bits(u.arg, u.dtype or int32):#x}")
  def l_PARAM(self, u): self.emit(f"s_load_b64 {self.R(u)}, s[0:1], {8 * u.arg:#x}", "s_waitcnt lgkmcnt(0)")
  def _off(self, idx: U, size: int) -> str:
    if size == 1: return self.R(idx)
    o = self.t()
    self.emit(f"v_lshlrev_b32_e32 {o}, {size.bit_length() - 1}, {self.R(idx)}")
    return o
  def l_LOAD(self, u):
    o, d = self._off(u.srcs[1], u.dtype.itemsize), self.R(u)
    self.emit(f"{LOADS[u.dtype.itemsize]} {d}, {o}, {self.R(u.srcs[0])}", "s_waitcnt vmcnt(0)")
    if u.dtype is float16: self.emit(f"v_cvt_f32_f16_e32 {d}, {d}")
  def l_STORE(self, u):
    ptr, idx, v = u.srcs
    dt = self.k.params[0].dtype
    o, val = self._off(idx, dt.itemsize), self.R(v)
    if dt is float16: h = self.t(); self.emit(f"v_cvt_f16_f32_e32 {h}, {val}"); val = h
    self.emit(f"{STORES[dt.itemsize]} {o}, {val}, {self.R(ptr)}")
  def l_RANGE(self, u): self.emit(f"v_mov_b32_e32 {self.R(u)}, 0", f"L{u.arg[1]}:")
  def l_ACC(self, u):
    op, init, _ = u.arg
    if not u.dtype.is_float: init = {"SUM": 0, "MAX": -2**31 if u.dtype is int32 else 0, "MIN": 2**31 - 1 if u.dtype is int32 else 1}[op]
    self.emit(f"v_mov_b32_e32 {self.R(u)}, {bits(init, float32 if u.dtype.is_float else int32):#x}")
  def l_UPDATE(self, u):
    a, x = self.R(u.srcs[0]), self.R(u.srcs[1])
    ins = {"SUM": "v_add_f32", "MAX": "v_max_f32", "MIN": "v_min_f32"} if u.dtype.is_float else \
          {"SUM": "v_add_nc_u32", "MAX": "v_max_i32", "MIN": "v_min_i32"}
    self.emit(f"{ins[u.arg]}_e32 {a}, {a}, {x}")
  def l_END(self, u):
    r = self.R(u.srcs[0])
    self.emit(f"v_add_nc_u32_e32 {r}, 1, {r}", f"v_cmp_gt_u32_e64 vcc_lo, {ilit(u.srcs[0].arg[0])}, {r}", f"s_cbranch_vccnz L{u.arg}")

  # ---- index arithmetic
  def l_ADD(self, u):
    a, b = u.srcs
    self.emit(f"v_add_nc_u32_e32 {self.R(u)}, {ilit(b.arg) if b.op == 'CONST' else self.R(b)}, {self.R(a)}")
  def l_MUL(self, u):
    a, b = u.srcs
    self.emit(f"v_mul_lo_u32 {self.R(u)}, {self.R(a)}, {ilit(b.arg) if b.op == 'CONST' else self.R(b)}")
  def l_IMIN(self, u): self.emit(f"v_min_i32_e32 {self.R(u)}, {ilit(u.arg)}, {self.R(u.srcs[0])}")
  def l_TDOT(self, u):
    """The tiled matmul's k loop: sass.py's l_TDOT with LDS for shared memory (LDS starts at 0 on AMD)."""
    pa, pb, tx, ty, *bases = u.srcs
    K, sak, sbk, adt, bdt = u.arg
    base = self.reg[id(u)]
    acc = [f"v{base + q}" for q in range(RB * RB)]
    kc, ra, rb = self.t(), self.t(), self.t()
    ia, ib, sa, sb, va, vb = ([self.t() for _ in range(RB)] for _ in range(6))
    xs, ys = [self.t() for _ in range(RB)], [self.t() for _ in range(RB)]
    B0, rowb = T * RB * T * 4, T * 4
    X, Y = self.R(tx), self.R(ty)
    self.emit(*[f"v_mov_b32_e32 {a}, 0" for a in acc], f"v_mov_b32_e32 {kc}, 0")
    for q in range(RB):
      self.emit(f"v_mul_lo_u32 {ia[q]}, {X}, {ilit(sak)}", f"v_add_nc_u32_e32 {ia[q]}, {ia[q]}, {self.R(bases[q])}",
                f"v_mul_lo_u32 {ib[q]}, {Y}, {ilit(sbk)}", f"v_add_nc_u32_e32 {ib[q]}, {ib[q]}, {self.R(bases[RB + q])}")
    self.emit(f"v_lshl_add_u32 {sa[0]}, {Y}, 6, {X}", f"v_lshlrev_b32_e32 {sa[0]}, 2, {sa[0]}",              # As[ty*RB][tx]
              f"v_lshl_add_u32 {sb[0]}, {Y}, 4, {X}", f"v_lshl_add_u32 {sb[0]}, {sb[0]}, 4, {ilit(B0)}",    # Bs[ty][tx*RB]
              f"v_lshlrev_b32_e32 {ra}, 8, {Y}", f"v_lshl_add_u32 {rb}, {X}, 4, {ilit(B0)}")
    for q in range(1, RB): self.emit(f"v_add_nc_u32_e32 {sa[q]}, {q * rowb}, {sa[0]}", f"v_add_nc_u32_e32 {sb[q]}, {4 * q}, {sb[0]}")
    self.emit("TD:")
    for v, idx, bs, p, dt, t in ((va, ia, bases[:RB], pa, adt, X), (vb, ib, bases[RB:], pb, bdt, Y)):
      if K % T:
        kk = self.t()
        self.emit(f"v_add_nc_u32_e32 {kk}, {kc}, {t}", f"v_cmp_gt_u32_e64 vcc_lo, {ilit(K)}, {kk}")
      for q in range(RB):
        src = idx[q]
        if K % T: src = self.t(); self.emit(f"v_cndmask_b32_e32 {src}, {self.R(bs[q])}, {idx[q]}, vcc_lo")
        o = self.t()
        self.emit(f"v_lshlrev_b32_e32 {o}, {dt.itemsize.bit_length() - 1}, {src}", f"{LOADS[dt.itemsize]} {v[q]}, {o}, {self.R(p)}")
      self.emit("s_waitcnt vmcnt(0)")
      for q in range(RB):
        if dt is float16: self.emit(f"v_cvt_f32_f16_e32 {v[q]}, {v[q]}")
        if K % T: self.emit(f"v_cndmask_b32_e32 {v[q]}, 0, {v[q]}, vcc_lo")
    self.emit(*[f"ds_store_b32 {sa[q]}, {va[q]}" for q in range(RB)], *[f"ds_store_b32 {sb[q]}, {vb[q]}" for q in range(RB)],
              "s_waitcnt lgkmcnt(0)", "s_barrier")
    for kq in range(T):
      self.emit(*[f"ds_load_b32 {xs[q]}, {ra} offset:{q * rowb + 4 * kq}" for q in range(RB)],
                *[f"ds_load_b32 {ys[q]}, {rb} offset:{kq * T * RB * 4 + 4 * q}" for q in range(RB)], "s_waitcnt lgkmcnt(0)")
      self.emit(*[f"v_fma_f32 {acc[RB * r + c]}, {xs[r]}, {ys[c]}, {acc[RB * r + c]}" for r in range(RB) for c in range(RB)])
    self.emit("s_barrier", *[f"v_add_nc_u32_e32 {ia[q]}, {ilit(T * sak)}, {ia[q]}" for q in range(RB)],
              *[f"v_add_nc_u32_e32 {ib[q]}, {ilit(T * sbk)}, {ib[q]}" for q in range(RB)],
              f"v_add_nc_u32_e32 {kc}, {T}, {kc}", f"v_cmp_gt_u32_e64 vcc_lo, {ilit(K)}, {kc}", "s_cbranch_vccnz TD")
  def l_TDOTV(self, u): self.emit(f"v_mov_b32_e32 {self.R(u)}, v{self.reg[id(u.srcs[0])] + u.arg}")

  def l_IDIVC(self, u):
    c, x, d = u.arg, self.R(u.srcs[0]), self.R(u)
    if c & (c - 1) == 0: return self.emit(f"v_lshrrev_b32_e32 {d}, {c.bit_length() - 1}, {x}")
    m, s = magic(c)
    self.emit(f"v_mul_hi_u32 {d}, {x}, {ilit(m)}", *([f"v_lshrrev_b32_e32 {d}, {s}, {d}"] if s else []))
  def l_IMODC(self, u):
    c, x, q, d = u.arg, self.R(u.srcs[0]), self.R(u.srcs[1]), self.R(u)
    if c & (c - 1) == 0: return self.emit(f"v_and_b32_e32 {d}, {ilit(c - 1)}, {x}")
    t = self.t()
    self.emit(f"v_mul_lo_u32 {t}, {q}, {ilit(c)}", f"v_sub_nc_u32_e32 {d}, {x}, {t}")   # the quotient shared with IDIVC

  # ---- elementwise
  def l_ALU(self, u):
    op = u.arg[0] if isinstance(u.arg, tuple) else u.arg
    d, srcs = self.R(u), [self.R(s) for s in u.srcs]
    fl = u.srcs[0].dtype.is_float if op != "WHERE" else u.srcs[1].dtype.is_float
    if op == "CAST": self._cast(d, srcs[0], u.arg[1], u.dtype)
    elif op in ("CMPLT", "CMPLE", "CMPEQ", "CMPNE"):
      cc = {"CMPLT": "lt", "CMPLE": "le", "CMPEQ": "eq", "CMPNE": "neq" if fl else "ne"}[op]
      self.emit(f"v_cmp_{cc}_{'f32' if fl else 'i32'}_e64 vcc_lo, {srcs[0]}, {srcs[1]}", f"v_cndmask_b32_e64 {d}, 0, 1, vcc_lo")
    elif op == "WHERE": self.emit(f"v_cmp_ne_u32_e64 vcc_lo, {srcs[0]}, 0", f"v_cndmask_b32_e32 {d}, {srcs[2]}, {srcs[1]}, vcc_lo")
    elif fl: getattr(self, f"f_{op}")(d, *srcs)
    else: getattr(self, f"i_{op}")(d, *srcs, dt=u.dtype)
    if u.dtype is float16 and op not in ("MAX", "MIN", "NEG", "ABS", "WHERE"): self.emit(f"v_cvt_f16_f32_e32 {d}, {d}", f"v_cvt_f32_f16_e32 {d}, {d}")
  def _cast(self, d, a, frm, to):
    if frm.is_float and to.is_float or frm is to or (frm is bool_ and to is int32): self.emit(f"v_mov_b32_e32 {d}, {a}")
    elif frm.is_float and to is int32: self.emit(f"v_cvt_i32_f32_e32 {d}, {a}")
    elif to.is_float: self.emit(f"v_cvt_f32_i32_e32 {d}, {a}")
    else: self.emit(f"v_cmp_{'neq_f32' if frm.is_float else 'ne_u32'}_e64 vcc_lo, {a}, 0", f"v_cndmask_b32_e64 {d}, 0, 1, vcc_lo")
  def sel(self, d, cond: str, a: str, b: str, if_true: str):
    """d = if_true where `a cond b` (e64 compare into VCC), else d."""
    self.emit(f"v_cmp_{cond}_e64 vcc_lo, {a}, {b}", f"v_cndmask_b32_e32 {d}, {d}, {if_true}, vcc_lo")

  def f_ADD(self, d, a, b): self.emit(f"v_add_f32_e32 {d}, {a}, {b}")
  def f_SUB(self, d, a, b): self.emit(f"v_sub_f32_e32 {d}, {a}, {b}")
  def f_MUL(self, d, a, b): self.emit(f"v_mul_f32_e32 {d}, {a}, {b}")
  def f_NEG(self, d, a): self.emit(f"v_xor_b32_e32 {d}, 0x80000000, {a}")
  def f_ABS(self, d, a): self.emit(f"v_and_b32_e32 {d}, 0x7fffffff, {a}")
  def f_MAX(self, d, a, b): self.emit(f"v_max_f32_e32 {d}, {a}, {b}")
  def f_MIN(self, d, a, b): self.emit(f"v_min_f32_e32 {d}, {a}, {b}")
  def f_DIV(self, d, a, b):
    r, e, q, q0 = self.t(), self.t(), self.t(), self.t()
    self.emit(f"v_rcp_f32_e32 {r}, {b}", f"v_mul_f32_e32 {q0}, {a}, {r}", f"v_fma_f32 {e}, -{b}, {r}, 1.0", f"v_fma_f32 {r}, {r}, {e}, {r}",
              f"v_mul_f32_e32 {q}, {a}, {r}", f"v_fma_f32 {e}, -{b}, {q}, {a}", f"v_fma_f32 {d}, {r}, {e}, {q}")
    self.sel(d, "nlt_f32", f"|{b}|", lit(2.0**100), q0); self.sel(d, "ngt_f32", f"|{b}|", lit(2.0**-100), q0)
    self.sel(d, "nlt_f32", f"|{a}|", lit(2.0**100), q0); self.sel(d, "nlt_f32", f"|{q0}|", lit(2.0**126), q0)
  def f_MOD(self, d, a, b):
    q = self.t()
    self.f_DIV(q, a, b)
    self.emit(f"v_floor_f32_e32 {q}, {q}", f"v_fma_f32 {d}, -{q}, {b}, {a}")
  def f_SQRT(self, d, x):
    xs, r, s, e, m = self.t(), self.t(), self.t(), self.t(), self.t()
    self.emit(f"v_cmp_gt_f32_e64 vcc_lo, {lit(2.0**-100)}, {x}", f"v_mul_f32_e32 {xs}, {lit(2.0**64)}, {x}",
              f"v_cndmask_b32_e32 {xs}, {x}, {xs}, vcc_lo", f"v_cndmask_b32_e64 {m}, 0, 1, vcc_lo",
              f"v_rsq_f32_e32 {r}, {xs}", f"v_mul_f32_e32 {s}, {xs}, {r}", f"v_mul_f32_e32 {r}, 0.5, {r}", f"v_fma_f32 {e}, -{s}, {s}, {xs}",
              f"v_fma_f32 {d}, {e}, {r}, {s}", f"v_mul_f32_e32 {e}, {lit(2.0**-32)}, {d}")
    self.sel(d, "ne_u32", m, "0", e); self.sel(d, "eq_f32", x, "0", x); self.sel(d, "gt_f32", x, lit(3.4028234663852886e38), x)
  def f_EXP2(self, d, x):
    h, sq = self.t(), self.t()
    self.emit(f"v_cmp_nlt_f32_e64 vcc_lo, {x}, {lit(-126.0)}", f"v_mul_f32_e32 {h}, 0.5, {x}", f"v_cndmask_b32_e32 {h}, {h}, {x}, vcc_lo",
              f"v_exp_f32_e32 {d}, {h}", f"v_mul_f32_e32 {sq}, {d}, {d}", f"v_cndmask_b32_e32 {d}, {sq}, {d}, vcc_lo")
  def f_LOG2(self, d, x):
    s, l = self.t(), self.t()
    self.emit(f"v_cmp_nlt_f32_e64 vcc_lo, {x}, {lit(2.0**-126)}", f"v_mul_f32_e32 {s}, {lit(16777216.0)}, {x}",
              f"v_cndmask_b32_e32 {s}, {s}, {x}, vcc_lo", f"v_log_f32_e32 {d}, {s}", f"v_add_f32_e32 {l}, {lit(-24.0)}, {d}",
              f"v_cndmask_b32_e32 {d}, {l}, {d}, vcc_lo")
  def f_SIN(self, d, x):
    k, r, q, z, p, c, t = (self.t() for _ in range(7))
    self.emit(f"v_mul_f32_e32 {k}, {lit(2 / np.pi)}, {x}", f"v_rndne_f32_e32 {k}, {k}", f"v_fma_f32 {r}, {k}, {lit(-1.5703125)}, {x}",
              f"v_fma_f32 {r}, {k}, {lit(-4.837512969970703125e-4)}, {r}", f"v_fma_f32 {r}, {k}, {lit(-7.54978995489188216e-8)}, {r}",
              f"v_cvt_i32_f32_e32 {q}, {k}", f"v_mul_f32_e32 {z}, {r}, {r}",
              f"v_mul_f32_e32 {p}, {lit(-1.9515295891e-4)}, {z}", f"v_add_f32_e32 {p}, {lit(8.3321608736e-3)}, {p}",
              f"v_fma_f32 {p}, {p}, {z}, {lit(-1.6666654611e-1)}", f"v_mul_f32_e32 {t}, {r}, {z}", f"v_fma_f32 {p}, {t}, {p}, {r}",
              f"v_mul_f32_e32 {c}, {lit(2.443315711809948e-5)}, {z}", f"v_add_f32_e32 {c}, {lit(-1.388731625493765e-3)}, {c}",
              f"v_fma_f32 {c}, {c}, {z}, {lit(4.166664568298827e-2)}", f"v_mul_f32_e32 {t}, {z}, {z}", f"v_mul_f32_e32 {r}, -0.5, {z}",
              f"v_add_f32_e32 {r}, 1.0, {r}", f"v_fma_f32 {c}, {t}, {c}, {r}",
              f"v_and_b32_e32 {t}, 1, {q}", f"v_cmp_ne_u32_e64 vcc_lo, {t}, 0", f"v_cndmask_b32_e32 {d}, {p}, {c}, vcc_lo",
              f"v_and_b32_e32 {t}, 2, {q}", f"v_xor_b32_e32 {p}, 0x80000000, {d}")
    self.sel(d, "ne_u32", t, "0", p)

  def i_ADD(self, d, a, b, dt): self.emit(f"v_max_i32_e32 {d}, {a}, {b}" if dt is bool_ else f"v_add_nc_u32_e32 {d}, {a}, {b}")
  def i_SUB(self, d, a, b, dt): self.emit(f"v_sub_nc_u32_e32 {d}, {a}, {b}")
  def i_MUL(self, d, a, b, dt): self.emit(f"v_mul_lo_u32 {d}, {a}, {b}")
  def i_NEG(self, d, a, dt): self.emit(f"v_sub_nc_u32_e32 {d}, 0, {a}")
  def i_ABS(self, d, a, dt): t = self.t(); self.emit(f"v_sub_nc_u32_e32 {t}, 0, {a}", f"v_max_i32_e32 {d}, {a}, {t}")
  def i_MAX(self, d, a, b, dt): self.emit(f"v_max_i32_e32 {d}, {a}, {b}")
  def i_MIN(self, d, a, b, dt): self.emit(f"v_min_i32_e32 {d}, {a}, {b}")
  def i_MOD(self, d, a, b, dt):
    """numpy's remainder from an unsigned |a| / |b| (LLVM's AMDGPU expansion: a float reciprocal seed, one Newton step)."""
    ua, ub, f, t, n = self.t(), self.t(), self.t(), self.t(), self.t()
    self.i_ABS(ua, a, dt); self.i_ABS(ub, b, dt)
    self.emit(f"v_cvt_f32_u32_e32 {f}, {ub}", f"v_rcp_iflag_f32_e32 {f}, {f}", f"v_mul_f32_e32 {f}, 0x4f7ffffe, {f}",
              f"v_cvt_u32_f32_e32 {f}, {f}", f"v_sub_nc_u32_e32 {n}, 0, {ub}", f"v_mul_lo_u32 {t}, {n}, {f}",
              f"v_mul_hi_u32 {t}, {f}, {t}", f"v_add_nc_u32_e32 {f}, {f}, {t}", f"v_mul_hi_u32 {f}, {ua}, {f}",
              f"v_mul_lo_u32 {f}, {f}, {ub}", f"v_sub_nc_u32_e32 {d}, {ua}, {f}")
    for _ in range(2): self.emit(f"v_sub_nc_u32_e32 {t}, {d}, {ub}"); self.sel(d, "ge_u32", d, ub, t)
    self.emit(f"v_sub_nc_u32_e32 {t}, 0, {d}"); self.sel(d, "lt_i32", a, "0", t)
    self.emit(f"v_xor_b32_e32 {t}, {d}, {b}", f"v_add_nc_u32_e32 {f}, {d}, {b}", f"v_cmp_gt_i32_e64 vcc_lo, 0, {t}",
              f"v_cmp_ne_u32_e64 s3, {d}, 0", "s_and_b32 vcc_lo, vcc_lo, s3", f"v_cndmask_b32_e32 {d}, {d}, {f}, vcc_lo")

def render(k: Kernel) -> str: return Lowerer(k).lower()
