"""Generated PTX corpus: small kernels, one PTX compute instruction (× type × modifiers) each, with a uniform signature.

  python tests/ptx_corpus/generate.py DIR [--compile]   write DIR/<module>.ptx, DIR/manifest.json (and cubins at -O0/-O3)

Every kernel is `.entry <name>(.param .u64 out, .param .u64 in0, .param .u64 in1, .param .u64 in2)`; thread
i = ctaid.x * ntid.x + tid.x reads a = in0[i], b = in1[i], c = in2[i] (typed as the manifest's `inputs`), computes one
result and writes out[i] (type `output`). The manifest (kernels(): one dict per kernel) says: name, module, the PTX
instruction string, its PTX types, input/output dtypes, element count `n`, launch `block`/`grid`, a semantics key
(`add.s32`, `setp.lt.u32+selp`, `cvt.rn.f16.f32`, ...), input domains (`nonzero`, `shift`, `lane`, `bool`, `any`),
and for memory-side effects `checks` (which buffers hold the result). README.md in this folder documents each family.
PTX text is generated here; nothing binary is committed."""
import json, os, subprocess, sys

N, BLOCK = 64, 64                            # elements / threads per kernel: two warps in one CTA
SIZE = {"8": 1, "16": 2, "32": 4, "64": 8}
NP = {"s8": "int8", "u8": "uint8", "s16": "int16", "u16": "uint16", "s32": "int32", "u32": "uint32", "s64": "int64", "u64": "uint64",
      "b16": "uint16", "b32": "uint32", "b64": "uint64", "f16": "float16", "bf16": "bfloat16", "f32": "float32", "f64": "float64",
      "f16x2": "float16x2", "bf16x2": "bfloat16x2", "pred": "uint32"}
REG = {"s8": "s16", "u8": "u16", "f16": "b16", "bf16": "b16", "f16x2": "b32", "bf16x2": "b32", "pred": "u32"}   # register type
LDT = {"f16": "b16", "bf16": "b16", "f16x2": "b32", "bf16x2": "b32", "pred": "u32"}                              # ld/st type

def bits(t): return {"f16x2": 32, "bf16x2": 32, "bf16": 16, "pred": 32}.get(t) or int(t[1:])
def esize(t): return bits(t) // 8

HEAD = ".version 8.0\n.target sm_90\n.address_size 64\n"

def entry(name, ins, out, body, decls="", pre=""):
  """One kernel: load a/b/c of types ins (None: not read), run body (uses %a %b %c, writes %d), store %d as out."""
  regs = [".reg .u32 %i, %t0, %t1; .reg .u64 %o, %x0, %x1, %x2, %off; .reg .pred %p, %q, %r;"]
  load = []
  for k, (v, t) in enumerate(zip("abc", ins)):
    if t is None: continue
    regs.append(f".reg .{REG.get(t, t)} %{v};")
    load += [f"ld.param.u64 %x{k}, [in{k}];", f"cvta.to.global.u64 %x{k}, %x{k};", f"mul.wide.u32 %off, %i, {esize(t)};",
             f"add.u64 %x{k}, %x{k}, %off;", f"ld.global.{LDT.get(t, t)} %{v}, [%x{k}];"]
  if out: regs.append(f".reg .{REG.get(out, out)} %d;")
  store = [] if not out else ["ld.param.u64 %o, [out];", "cvta.to.global.u64 %o, %o;", f"mul.wide.u32 %off, %i, {esize(out)};",
                              "add.u64 %o, %o, %off;", f"st.global.{LDT.get(out, out)} [%o], %d;"]
  lines = regs + [decls] + ["mov.u32 %t0, %tid.x;", "mov.u32 %t1, %ctaid.x;", "mov.u32 %i, %ntid.x;", "mad.lo.u32 %i, %t1, %i, %t0;"]
  lines += load + [pre] + body.split("\n") + store + ["ret;"]
  return (f".visible .entry {name}(.param .u64 out, .param .u64 in0, .param .u64 in1, .param .u64 in2)\n{{\n"
          + "\n".join("  " + l for l in lines if l) + "\n}\n")

KERNELS = []

def add(module, name, instr, types, ins, out, sem, body, domains=None, decls="", pre="", checks=("out",), n=N, block=BLOCK, **extra):
  name = name.replace(".", "_").replace("::", "_")
  if any(k["name"] == name for k in KERNELS): return          # the same PTX reached from two type loops (and_b32 via s32 and u32)
  KERNELS.append(dict(name=name, module=module, instr=instr, types=list(types), inputs=[NP.get(t) if t else None for t in ins],
                      input_types=list(ins), output=NP.get(out) if out else None, output_type=out, n=n, block=block, grid=n // block,
                      sem=sem, domains=list(domains or ["any" if t else None for t in ins]), checks=list(checks),
                      ptx=entry(name, ins, out, body, decls, pre), **extra))

INTS = ["s16", "u16", "s32", "u32", "s64", "u64"]
def _int_family():
  for t in INTS:
    bt = "b" + t[1:]
    for op in ("add", "sub", "mul.lo", "mul.hi", "min", "max", "div", "rem"):
      dom = ["any", "nonzero", None] if op in ("div", "rem") else ["any", "any", None]
      add("int", f"{op}_{t}", op, [t], [t, t, None], t, f"{op}.{t}", f"{op}.{t} %d, %a, %b;", dom)
    add("int", f"mad_lo_{t}", "mad.lo", [t], [t, t, t], t, f"mad.lo.{t}", f"mad.lo.{t} %d, %a, %b, %c;")
    add("int", f"mad_hi_{t}", "mad.hi", [t], [t, t, t], t, f"mad.hi.{t}", f"mad.hi.{t} %d, %a, %b, %c;")
    if t[0] == "s":
      for op in ("abs", "neg"): add("int", f"{op}_{t}", op, [t], [t, None, None], t, f"{op}.{t}", f"{op}.{t} %d, %a;")
    if bits(t) <= 32:
      w = t[0] + str(2 * bits(t))
      add("int", f"mul_wide_{t}", "mul.wide", [t], [t, t, None], w, f"mul.wide.{t}", f"mul.wide.{t} %d, %a, %b;")
      add("int", f"mad_wide_{t}", "mad.wide", [t], [t, t, w], w, f"mad.wide.{t}", f"mad.wide.{t} %d, %a, %b, %c;")
    for op in ("and", "or", "xor"): add("bit", f"{op}_{bt}", op, [bt], [bt, bt, None], bt, f"{op}.{bt}", f"{op}.{bt} %d, %a, %b;")
    add("bit", f"not_{bt}", "not", [bt], [bt, None, None], bt, f"not.{bt}", f"not.{bt} %d, %a;")
    add("bit", f"cnot_{bt}", "cnot", [bt], [bt, None, None], bt, f"cnot.{bt}", f"cnot.{bt} %d, %a;")
    add("bit", f"shl_{bt}", "shl", [bt], [bt, "u32", None], bt, f"shl.{bt}", f"shl.{bt} %d, %a, %b;", ["any", "shift", None])
    add("bit", f"shr_{t}", "shr", [t], [t, "u32", None], t, f"shr.{t}", f"shr.{t} %d, %a, %b;", ["any", "shift", None])
    add("bit", f"shl_{bt}_imm", "shl", [bt], [bt, None, None], bt, f"shl.{bt}#3", f"shl.{bt} %d, %a, 3;")
    add("bit", f"shr_{t}_imm", "shr", [t], [t, None, None], t, f"shr.{t}#5", f"shr.{t} %d, %a, 5;")
  for t in ("s32", "u32"):
    add("int", f"add_imm_{t}", "add", [t], [t, None, None], t, f"add.{t}#1000", f"add.{t} %d, %a, 1000;")
    add("int", f"mul_lo_imm_{t}", "mul.lo", [t], [t, None, None], t, f"mul.lo.{t}#-7", f"mul.lo.{t} %d, %a, -7;")
    add("int", f"mul24_lo_{t}", "mul24.lo", [t], [t, t, None], t, f"mul24.lo.{t}", f"mul24.lo.{t} %d, %a, %b;")
    add("int", f"mul24_hi_{t}", "mul24.hi", [t], [t, t, None], t, f"mul24.hi.{t}", f"mul24.hi.{t} %d, %a, %b;")
    add("int", f"mad24_lo_{t}", "mad24.lo", [t], [t, t, t], t, f"mad24.lo.{t}", f"mad24.lo.{t} %d, %a, %b, %c;")
    add("int", f"sad_{t}", "sad", [t], [t, t, t], t, f"sad.{t}", f"sad.{t} %d, %a, %b, %c;")
    add("int", f"bfe_{t}", "bfe", [t], [t, "u32", "u32"], t, f"bfe.{t}", f"bfe.{t} %d, %a, %b, %c;", ["any", "shift", "shift"])
    add("int", f"bfind_{t}", "bfind", [t], [t, None, None], "u32", f"bfind.{t}", f"bfind.{t} %d, %a;")
    add("int", f"bfind_shiftamt_{t}", "bfind.shiftamt", [t], [t, None, None], "u32", f"bfind.shiftamt.{t}", f"bfind.shiftamt.{t} %d, %a;")
    add("int", f"min_relu_s32" if t == "s32" else "max_relu_s32", "max.relu" if t == "u32" else "min.relu", ["s32"], ["s32", "s32", None],
        "s32", ("max" if t == "u32" else "min") + ".relu.s32", ("max" if t == "u32" else "min") + ".relu.s32 %d, %a, %b;")
  for t in ("s64", "u64"):
    add("int", f"bfe_{t}", "bfe", [t], [t, "u32", "u32"], t, f"bfe.{t}", f"bfe.{t} %d, %a, %b, %c;", ["any", "shift", "shift"])
    add("int", f"bfind_{t}", "bfind", [t], [t, None, None], "u32", f"bfind.{t}", f"bfind.{t} %d, %a;")
  for op in ("add.sat", "sub.sat"): add("int", f"{op}_s32", op, ["s32"], ["s32", "s32", None], "s32", f"{op}.s32", f"{op}.s32 %d, %a, %b;")
  for t in ("b32", "b64"):
    for op in ("popc", "clz"): add("bit", f"{op}_{t}", op, [t], [t, None, None], "u32", f"{op}.{t}", f"{op}.{t} %d, %a;")
    add("bit", f"brev_{t}", "brev", [t], [t, None, None], t, f"brev.{t}", f"brev.{t} %d, %a;")
    add("bit", f"bfi_{t}", "bfi", [t], [t, t, None], t, f"bfi.{t}#b,c", f"bfi.{t} %d, %a, %b, 4, 12;")
  for m in ("", ".f4e", ".b4e", ".rc8", ".ecl", ".ecr", ".rc16"):
    add("bit", f"prmt_b32{m}", "prmt" + m, ["b32"], ["b32", "b32", "b32"], "b32", f"prmt.b32{m}", f"prmt.b32{m} %d, %a, %b, %c;")
  for lut in (0x96, 0xe8, 0xfe, 0x80, 0x3c, 0x1e, 0x01):
    add("bit", f"lop3_{lut:02x}", "lop3.b32", ["b32"], ["b32", "b32", "b32"], "b32", f"lop3.b32#{lut:#x}", f"lop3.b32 %d, %a, %b, %c, {lut:#x};")
  for d in ("l", "r"):
    for m in ("wrap", "clamp"):
      add("bit", f"shf_{d}_{m}", f"shf.{d}.{m}", ["b32"], ["b32", "b32", "u32"], "b32", f"shf.{d}.{m}.b32", f"shf.{d}.{m}.b32 %d, %a, %b, %c;",
          ["any", "any", "shift"])
  for s1 in ("u32", "s32"):
    for s2 in ("u32", "s32"):
      add("int", f"dp4a_{s1}_{s2}", "dp4a", [s1, s2], [s1, s2, "s32"], "s32" if "s" in s1 + s2 else "u32", f"dp4a.{s1}.{s2}",
          f"dp4a.{s1}.{s2} %d, %a, %b, %c;".replace("%c", "%c" if "s" in s1 + s2 else "%c"))
      add("int", f"dp2a_lo_{s1}_{s2}", "dp2a.lo", [s1, s2], [s1, s2, "s32"], "s32" if "s" in s1 + s2 else "u32", f"dp2a.lo.{s1}.{s2}",
          f"dp2a.lo.{s1}.{s2} %d, %a, %b, %c;")
  add("int", "addc_u64_chain", "add.cc+addc", ["u32"], ["u64", "u64", None], "u64", "add.u64(cc chain)",
      "mov.b64 {%t0, %t1}, %a;\n.reg .u32 %y0, %y1;\nmov.b64 {%y0, %y1}, %b;\nadd.cc.u32 %t0, %t0, %y0;\naddc.u32 %t1, %t1, %y1;\n"
      "mov.b64 %d, {%t0, %t1};")
  add("int", "subc_u64_chain", "sub.cc+subc", ["u32"], ["u64", "u64", None], "u64", "sub.u64(cc chain)",
      "mov.b64 {%t0, %t1}, %a;\n.reg .u32 %y0, %y1;\nmov.b64 {%y0, %y1}, %b;\nsub.cc.u32 %t0, %t0, %y0;\nsubc.u32 %t1, %t1, %y1;\n"
      "mov.b64 %d, {%t0, %t1};")
  add("int", "szext_wrap_u32", "szext.wrap", ["u32"], ["u32", "u32", None], "u32", "szext.wrap.u32", "szext.wrap.u32 %d, %a, %b;",
      ["any", "shift", None])
  add("int", "szext_clamp_s32", "szext.clamp", ["s32"], ["s32", "u32", None], "s32", "szext.clamp.s32", "szext.clamp.s32 %d, %a, %b;",
      ["any", "shift", None])
  add("int", "bmsk_clamp_b32", "bmsk.clamp", ["b32"], ["u32", "u32", None], "b32", "bmsk.clamp.b32", "bmsk.clamp.b32 %d, %a, %b;",
      ["shift", "shift", None])
  add("int", "bmsk_wrap_b32", "bmsk.wrap", ["b32"], ["u32", "u32", None], "b32", "bmsk.wrap.b32", "bmsk.wrap.b32 %d, %a, %b;",
      ["shift", "shift", None])
  for op in ("add", "min", "max"):
    for t in ("s16x2", "u16x2"):
      if op == "add": continue
      add("int", f"{op}_{t}", op, [t], ["b32", "b32", None], "b32", f"{op}.{t}", f"{op}.{t} %d, %a, %b;")

def _float_family():
  for t in ("f32", "f64"):
    for op in ("add", "sub", "mul"):
      for rnd in ("", ".rn", ".rz", ".rm", ".rp"):
        add("float", f"{op}{rnd}_{t}", op + rnd, [t], [t, t, None], t, f"{op}{rnd}.{t}", f"{op}{rnd}.{t} %d, %a, %b;")
    for rnd in (".rn", ".rz", ".rm", ".rp"):
      add("float", f"fma{rnd}_{t}", "fma" + rnd, [t], [t, t, t], t, f"fma{rnd}.{t}", f"fma{rnd}.{t} %d, %a, %b, %c;")
    for op in ("min", "max", "abs", "neg"):
      two = op in ("min", "max")
      add("float", f"{op}_{t}", op, [t], [t, t if two else None, None], t, f"{op}.{t}", f"{op}.{t} %d, %a{', %b' if two else ''};")
    add("float", f"div_rn_{t}", "div.rn", [t], [t, t, None], t, f"div.rn.{t}", f"div.rn.{t} %d, %a, %b;")
    add("float", f"rcp_rn_{t}", "rcp.rn", [t], [t, None, None], t, f"rcp.rn.{t}", f"rcp.rn.{t} %d, %a;")
    add("float", f"sqrt_rn_{t}", "sqrt.rn", [t], [t, None, None], t, f"sqrt.rn.{t}", f"sqrt.rn.{t} %d, %a;", ["nonneg", None, None])
    add("float", f"add_imm_{t}", "add", [t], [t, None, None], t, f"add.{t}#1.5", f"add.{t} %d, %a, 0f3FC00000;" if t == "f32"
        else f"add.{t} %d, %a, 0d3FF8000000000000;")
    add("float", f"mul_imm_{t}", "mul", [t], [t, None, None], t, f"mul.{t}#-2.25", f"mul.{t} %d, %a, 0fC0100000;" if t == "f32"
        else f"mul.{t} %d, %a, 0dC002000000000000;")
  for op in ("add", "sub", "mul"):
    for m in (".ftz", ".sat", ".ftz.sat", ".rz.ftz"):
      add("float", f"{op}{m}_f32", op + m, ["f32"], ["f32", "f32", None], "f32", f"{op}{m}.f32", f"{op}{m}.f32 %d, %a, %b;")
  for m in (".rn.ftz", ".rn.sat", ".rz.ftz.sat"):
    add("float", f"fma{m}_f32", "fma" + m, ["f32"], ["f32", "f32", "f32"], "f32", f"fma{m}.f32", f"fma{m}.f32 %d, %a, %b, %c;")
  for op in ("min.NaN", "max.NaN", "min.ftz", "max.ftz", "min.xorsign.abs", "max.xorsign.abs"):
    add("float", f"{op}_f32", op, ["f32"], ["f32", "f32", None], "f32", f"{op}.f32", f"{op}.f32 %d, %a, %b;")
  for op in ("div.approx", "div.full", "div.approx.ftz", "div.full.ftz", "div.rz", "div.rm", "div.rp"):
    add("float", f"{op}_f32", op, ["f32"], ["f32", "f32", None], "f32", f"{op}.f32", f"{op}.f32 %d, %a, %b;")
  for op, dom in (("rcp.approx", "any"), ("rcp.approx.ftz", "any"), ("sqrt.approx", "nonneg"), ("rsqrt.approx", "positive"),
                  ("sin.approx", "small"), ("cos.approx", "small"), ("lg2.approx", "positive"), ("ex2.approx", "small"),
                  ("tanh.approx", "any"), ("ex2.approx.ftz", "small"), ("sqrt.rz", "nonneg"), ("rcp.rz", "any")):
    add("float", f"{op}_f32", op, ["f32"], ["f32", None, None], "f32", f"{op}.f32", f"{op}.f32 %d, %a;", [dom, None, None])
  add("float", "rsqrt_approx_f64", "rsqrt.approx", ["f64"], ["f64", None, None], "f64", "rsqrt.approx.f64", "rsqrt.approx.f64 %d, %a;",
      ["positive", None, None])
  add("float", "copysign_f32", "copysign", ["f32"], ["f32", "f32", None], "f32", "copysign.f32", "copysign.f32 %d, %a, %b;")
  for op in ("finite", "infinite", "number", "notanumber", "normal", "subnormal"):
    add("float", f"testp_{op}_f32", f"testp.{op}", ["f32"], ["f32", None, None], "u32", f"testp.{op}.f32+selp",
        f"testp.{op}.f32 %p, %a;\nselp.u32 %d, 1, 0, %p;")
  for t in ("f16", "f16x2", "bf16", "bf16x2"):
    for op in ("add", "sub", "mul"):
      for m in (("", ".rn", ".ftz", ".sat") if t.startswith("f") else ("", ".rn")):
        add("half", f"{op}{m}_{t}", op + m, [t], [t, t, None], t, f"{op}{m}.{t}", f"{op}{m}.{t} %d, %a, %b;")
    for m in ((".rn", ".rn.ftz", ".rn.sat", ".rn.relu") if t.startswith("f") else (".rn", ".rn.relu")):
      add("half", f"fma{m}_{t}", "fma" + m, [t], [t, t, t], t, f"fma{m}.{t}", f"fma{m}.{t} %d, %a, %b, %c;")
    for op in ("min", "max", "min.NaN", "max.NaN"):
      add("half", f"{op}_{t}", op, [t], [t, t, None], t, f"{op}.{t}", f"{op}.{t} %d, %a, %b;")
    for op in ("neg", "abs"): add("half", f"{op}_{t}", op, [t], [t, None, None], t, f"{op}.{t}", f"{op}.{t} %d, %a;")
  for t in ("f16", "f16x2"):
    add("half", f"ex2_approx_{t}", "ex2.approx", [t], [t, None, None], t, f"ex2.approx.{t}", f"ex2.approx.{t} %d, %a;", ["small", None, None])
    add("half", f"tanh_approx_{t}", "tanh.approx", [t], [t, None, None], t, f"tanh.approx.{t}", f"tanh.approx.{t} %d, %a;")

CMPI = ("eq", "ne", "lt", "le", "gt", "ge")
CMPU = ("lo", "ls", "hi", "hs")
CMPF = ("eq", "ne", "lt", "le", "gt", "ge", "equ", "neu", "ltu", "leu", "gtu", "geu", "num", "nan")
def _compare_family():
  for t in ("s16", "u16", "s32", "u32", "s64", "u64", "b32", "f32", "f64", "f16", "bf16"):
    cmps = CMPF if t[0] in "fb" and t != "b32" else CMPI[:2] if t == "b32" else CMPI + (CMPU if t[0] == "u" else ())
    for c in cmps:
      add("cmp", f"setp_{c}_{t}", f"setp.{c}", [t], [t, t, None], "u32", f"setp.{c}.{t}+selp", f"setp.{c}.{t} %p, %a, %b;\nselp.u32 %d, 1, 0, %p;")
  for t in ("s32", "u32", "f32"):
    for bop in ("and", "or", "xor"):
      add("cmp", f"setp_lt_{bop}_{t}", f"setp.lt.{bop}", [t], [t, t, "u32"], "u32", f"setp.lt.{bop}.{t}(c!=0)+selp",
          f"setp.ne.u32 %q, %c, 0;\nsetp.lt.{bop}.{t} %p|%r, %a, %b, %q;\nselp.u32 %d, 1, 0, %p;\nselp.u32 %t0, 2, 0, %r;\nor.b32 %d, %d, %t0;",
          ["any", "any", "bool"])
  for t in ("s64", "u64"):
    add("cmp", f"setp_ne_and_{t}", "setp.ne.and", [t], [t, t, "u32"], "u32", f"setp.ne.and.{t}(c!=0)+selp",
        f"setp.ne.u32 %q, %c, 0;\nsetp.ne.and.{t} %p, %a, %b, %q;\nselp.u32 %d, 1, 0, %p;", ["any", "any", "bool"])
  add("cmp", "setp_gt_s32_imm", "setp.gt", ["s32"], ["s32", None, None], "u32", "setp.gt.s32#-5+selp",
      "setp.gt.s32 %p, %a, -5;\nselp.u32 %d, 1, 0, %p;")
  add("cmp", "setp_lt_f32_imm", "setp.lt", ["f32"], ["f32", None, None], "u32", "setp.lt.f32#0.5+selp",
      "setp.lt.f32 %p, %a, 0f3F000000;\nselp.u32 %d, 1, 0, %p;")
  for dt in ("u32", "s32", "f32"):
    for st, c in (("s32", "lt"), ("u32", "hi"), ("f32", "ge"), ("s64", "ne")):
      add("cmp", f"set_{c}_{dt}_{st}", f"set.{c}", [dt, st], [st, st, None], dt, f"set.{c}.{dt}.{st}", f"set.{c}.{dt}.{st} %d, %a, %b;")
  for t in ("u16", "s32", "u32", "u64", "f32", "f64"):
    add("cmp", f"selp_{t}", "selp", [t], [t, t, "u32"], t, f"selp.{t}(c&1)", f"and.b32 %t0, %c, 1;\nsetp.ne.u32 %p, %t0, 0;\nselp.{t} %d, %a, %b, %p;",
        ["any", "any", "bool"])
  for t in ("s32", "u32", "f32"):
    add("cmp", f"slct_{t}_s32", "slct", [t, "s32"], [t, t, "s32"], t, f"slct.{t}.s32", f"slct.{t}.s32 %d, %a, %b, %c;")
  add("cmp", "slct_f32_f32", "slct", ["f32", "f32"], ["f32", "f32", "f32"], "f32", "slct.f32.f32", "slct.f32.f32 %d, %a, %b, %c;")

IT = ("s8", "u8", "s16", "u16", "s32", "u32", "s64", "u64")
FT = ("f16", "bf16", "f32", "f64")
def _cvt_family():
  for d in IT + FT:
    for s in IT + FT:
      if d == s: continue
      di, si = d in IT, s in IT
      src = {"s8": "s16", "u8": "u16"}.get(s, s)          # 8-bit sources come in 16-bit registers (PTX has no 8-bit registers)
      rnds = [""] if di and si else ["rn", "rz", "rm", "rp"] if not di and (si or bits(d) < bits(s)) else \
             ["rni", "rzi", "rmi", "rpi"] if di else [""]
      for r in rnds:
        if d == "bf16" and r in ("rm", "rp") and s != "f32" or "bf16" in (s, d) and {s, d} & {"s8", "u8"}: continue
        m = f".{r}" if r else ""
        add("cvt", f"cvt{m}_{d}_{s}", "cvt" + m, [d, s], [src, None, None], {"s8": "s16", "u8": "u16"}.get(d, d), f"cvt{m}.{d}.{s}",
            f"cvt{m}.{d}.{s} %d, %a;")
  for d, s in (("s32", "f32"), ("u32", "f32"), ("s8", "s32"), ("u8", "s32"), ("s16", "s32"), ("u16", "u64"), ("u32", "s64"), ("s32", "f64")):
    m = ".rzi.sat" if s[0] == "f" else ".sat"
    add("cvt", f"cvt{m}_{d}_{s}", "cvt" + m, [d, s], [s, None, None], {"s8": "s16", "u8": "u16"}.get(d, d), f"cvt{m}.{d}.{s}",
        f"cvt{m}.{d}.{s} %d, %a;")
  for d, s, m in (("f32", "f32", ".rni"), ("f32", "f32", ".rzi"), ("f32", "f32", ".rmi"), ("f32", "f32", ".rpi"), ("f64", "f64", ".rni"),
                  ("f64", "f64", ".rzi"), ("f32", "f32", ".ftz.sat"), ("f32", "f64", ".rn.ftz"), ("f16", "f32", ".rn.relu"),
                  ("f32", "f16", ".ftz"), ("f32", "s32", ".rn.sat")):
    add("cvt", f"cvt{m}_{d}_{s}", "cvt" + m, [d, s], [s, None, None], d, f"cvt{m}.{d}.{s}", f"cvt{m}.{d}.{s} %d, %a;")
  add("cvt", "cvt_rn_f16x2_f32", "cvt.rn", ["f16x2", "f32"], ["f32", "f32", None], "f16x2", "cvt.rn.f16x2.f32", "cvt.rn.f16x2.f32 %d, %a, %b;")
  add("cvt", "cvt_rn_bf16x2_f32", "cvt.rn", ["bf16x2", "f32"], ["f32", "f32", None], "bf16x2", "cvt.rn.bf16x2.f32", "cvt.rn.bf16x2.f32 %d, %a, %b;")
  add("cvt", "cvt_rna_tf32_f32", "cvt.rna", ["tf32", "f32"], ["f32", None, None], "b32", "cvt.rna.tf32.f32", "cvt.rna.tf32.f32 %d, %a;")
  for t in ("s32",):
    add("cvt", f"cvt_pack_sat_u8_{t}", "cvt.pack.sat", ["u8", t], [t, t, "b32"], "b32", f"cvt.pack.sat.u8.{t}.b32",
        f"cvt.pack.sat.u8.{t}.b32 %d, %a, %b, %c;")

def _mem_family():
  for t in ("u8", "s8", "u16", "s16", "u32", "s32", "u64", "f32", "f64", "b16", "b128" if False else "b64"):
    r = {"u8": "u32", "s8": "s32", "s16": "s32", "u16": "u32"}.get(t, t)
    for h in ("", ".ca", ".cg", ".cs", ".lu", ".cv", ".nc", ".volatile", ".relaxed.gpu", ".acquire.gpu", ".relaxed.sys", ".acquire.cta"):
      if h and t not in ("u32", "u64", "u8", "s16") and h not in (".cg", ".nc"): continue
      sp = "ld" + (".volatile" if h == ".volatile" else ".relaxed.gpu" if h == ".relaxed.gpu" else h if h.startswith(".acq") or
                   h == ".relaxed.sys" else "") + ".global" + (h if h in (".ca", ".cg", ".cs", ".lu", ".cv", ".nc") else "")
      add("mem", f"{sp}_{t}", sp, [t], [None, None, None], r, f"{sp}.{t}:in0[i]",
          f"ld.param.u64 %x0, [in0];\ncvta.to.global.u64 %x0, %x0;\nmul.wide.u32 %off, %i, {esize(t)};\nadd.u64 %x0, %x0, %off;\n"
          f"{sp}.{t} %d, [%x0];", ["any", None, None], in0_type=t)
  for h in (".L1::evict_normal", ".L1::evict_last", ".L1::evict_first", ".L1::no_allocate", ".L2::64B", ".L2::128B", ".L2::256B", ".L1::evict_unchanged"):
    add("mem", f"ld_global{h}_u32", f"ld.global{h}", ["u32"], [None, None, None], "u32", f"ld.global{h}.u32:in0[i]",
        f"ld.param.u64 %x0, [in0];\ncvta.to.global.u64 %x0, %x0;\nmul.wide.u32 %off, %i, 4;\nadd.u64 %x0, %x0, %off;\nld.global{h}.u32 %d, [%x0];",
        ["any", None, None], in0_type="u32")
  for h in ("", ".wb", ".cg", ".cs", ".wt", ".volatile", ".relaxed.gpu", ".release.gpu", ".release.sys", ".L1::no_allocate"):
    for t in ("u32", "u16", "u64", "u8", "f32"):
      if h and t not in ("u32", "u8"): continue
      sp = ("st" + h + ".global") if h in (".volatile", ".relaxed.gpu", ".release.gpu", ".release.sys") else f"st.global{h}"
      r = {"u8": "u16"}.get(t, t)
      add("mem", f"{sp}_{t}", sp, [t], [r, None, None], None, f"{sp}.{t}:out[i]=a",
          f"ld.param.u64 %o, [out];\ncvta.to.global.u64 %o, %o;\nmul.wide.u32 %off, %i, {esize(t)};\nadd.u64 %o, %o, %off;\n{sp}.{t} [%o], %a;",
          checks=["out"], out_type=t)
  for v, t in (("v2", "u32"), ("v4", "u32"), ("v2", "f64"), ("v4", "f32"), ("v2", "u64"), ("v2", "u16"), ("v4", "u16")):
    n = int(v[1]); sz = esize(t) * n
    regs = ", ".join(f"%e{j}" for j in range(n))
    add("mem", f"ld_st_global_{v}_{t}", f"ld.global.{v}+st.global.{v}", [t], [None, None, None], None, f"copy.{v}.{t}:out[i]=in0[i] ({n} elems)",
        f".reg .{t} {regs};\nld.param.u64 %x0, [in0];\ncvta.to.global.u64 %x0, %x0;\nmul.wide.u32 %off, %i, {sz};\nadd.u64 %x0, %x0, %off;\n"
        f"ld.global.{v}.{t} {{{regs}}}, [%x0];\nld.param.u64 %o, [out];\ncvta.to.global.u64 %o, %o;\nadd.u64 %o, %o, %off;\n"
        f"st.global.{v}.{t} [%o], {{{regs}}};", checks=["out"], vector=n, elem_type=t)
  for t in ("u8", "s8", "u16", "s16", "u32", "u64", "f32", "f64"):     # generic addresses (no state space), with an offset
    r = {"u8": "u32", "s8": "s32", "u16": "u32", "s16": "s32"}.get(t, t)
    for off in (0, 8):
      add("mem", f"ld_generic_{t}_{off}", "ld (generic)", [t], [None, None, None], r, f"ld.{t}:in0[i+{off // esize(t)}] (generic address)",
          f"ld.param.u64 %x0, [in0];\nmul.wide.u32 %off, %i, {esize(t)};\nadd.u64 %x0, %x0, %off;\nld.{t} %d, [%x0+{off}];",
          in0_type=t, note=f"reads in0[i + {off // esize(t)}]: in0 needs n + {off // esize(t)} elements")
      add("mem", f"st_generic_{t}_{off}", "st (generic)", [t], [{"u8": "u16", "s8": "s16"}.get(t, t), None, None], None,
          f"st.{t}:out[i+{off // esize(t)}]=a (generic address)",
          f"ld.param.u64 %o, [out];\nmul.wide.u32 %off, %i, {esize(t)};\nadd.u64 %o, %o, %off;\nst.{t} [%o+{off}], %a;", out_type=t,
          note=f"writes out[i + {off // esize(t)}]: out needs n + {off // esize(t)} elements")
  for v, t in (("v2", "u32"), ("v4", "u32"), ("v2", "u64")):
    n = int(v[1]); sz = esize(t) * n; regs = ", ".join(f"%e{j}" for j in range(n))
    add("mem", f"ld_st_generic_{v}_{t}", f"ld.{v}+st.{v} (generic)", [t], [None, None, None], None, f"copy.{v}.{t}:out[i]=in0[i] (generic)",
        f".reg .{t} {regs};\nld.param.u64 %x0, [in0];\nmul.wide.u32 %off, %i, {sz};\nadd.u64 %x0, %x0, %off;\nld.{v}.{t} {{{regs}}}, [%x0];\n"
        f"ld.param.u64 %o, [out];\nadd.u64 %o, %o, %off;\nst.{v}.{t} [%o], {{{regs}}};", checks=["out"], vector=n, elem_type=t)
  for t in ("u8", "u16", "u32", "u64", "f32", "f64", "s16"):
    r = {"u8": "u16"}.get(t, t)
    add("mem", f"shared_xchg_{t}", "st.shared+bar.sync+ld.shared", [t], [r, None, None], r, f"shared[i]=a; out[i]=shared[i^1]",
        f"mov.u64 %off, sh;\ncvt.u64.u32 %x1, %i;\nmul.lo.u64 %x1, %x1, {esize(t)};\nadd.u64 %x1, %off, %x1;\nst.shared.{t} [%x1], %a;\nbar.sync 0;\n"
        f"xor.b32 %t0, %i, 1;\ncvt.u64.u32 %x2, %t0;\nmul.lo.u64 %x2, %x2, {esize(t)};\nadd.u64 %x2, %off, %x2;\nld.shared.{t} %d, [%x2];",
        decls=f".shared .align 8 .b8 sh[{BLOCK * esize(t)}];")
  add("mem", "shared_offset_u32", "st.shared+ld.shared[+imm]", ["u32"], ["u32", None, None], "u32", "shared[i+64]=a; out[i]=shared[(i+1)%64+64]",
      "mov.u64 %off, sh;\nmul.wide.u32 %x1, %i, 4;\nadd.u64 %x1, %off, %x1;\nst.shared.u32 [%x1+256], %a;\nbar.sync 0;\n"
      "add.u32 %t0, %i, 1;\nand.b32 %t0, %t0, 63;\nmul.wide.u32 %x2, %t0, 4;\nadd.u64 %x2, %off, %x2;\nld.shared.u32 %d, [%x2+256];",
      decls=".shared .align 8 .b8 sh[512];")
  for t in ("u32", "u64", "f32", "u8"):
    r = {"u8": "u16"}.get(t, t)
    add("mem", f"local_{t}", "st.local+ld.local", [t], [r, "u32", None], r, "loc[b&7]=a; out[i]=loc[b&7]",
        f"mov.u64 %off, lo;\nand.b32 %t0, %b, 7;\nmul.wide.u32 %x1, %t0, {esize(t)};\nadd.u64 %x1, %off, %x1;\nst.local.{t} [%x1], %a;\nld.local.{t} %d, [%x1];",
        decls=f".local .align 8 .b8 lo[{8 * esize(t)}];")
  add("mem", "ld_const_u32", "ld.const", ["u32"], ["u32", None, None], "u32", "out[i]=ctab[a&3] (ctab = 11, 22, 33, 44)",
      "and.b32 %t0, %a, 3;\nmul.wide.u32 %x1, %t0, 4;\nmov.u64 %off, ctab;\nadd.u64 %x1, %off, %x1;\nld.const.u32 %d, [%x1];")
  add("mem", "ld_param_u64", "ld.param", ["u64"], [None, None, None], "u64", "out[i]=address of in2 (param)", "ld.param.u64 %d, [in2];")
  add("mem", "prefetch_global_L2", "prefetch.global.L2", ["u32"], ["u32", None, None], "u32", "copy (prefetch is a hint)",
      "prefetch.global.L2 [%x0];\nmov.u32 %d, %a;")

ATOM_OPS = {"add": ("u32", "s32", "u64", "f32", "f64"), "min": ("u32", "s32", "u64", "s64"), "max": ("u32", "s32", "u64", "s64"),
            "and": ("b32", "b64"), "or": ("b32", "b64"), "xor": ("b32", "b64"), "exch": ("b32", "b64"), "inc": ("u32",), "dec": ("u32",),
            "cas": ("b32", "b64")}
def _atom_family():
  for op, ts in ATOM_OPS.items():
    for t in ts:
      c = ", %c" if op == "cas" else ""
      ins = [None, t, t if op == "cas" else None]
      addr = f"ld.param.u64 %x0, [in0];\ncvta.to.global.u64 %x0, %x0;\nmul.wide.u32 %off, %i, {esize(t)};\nadd.u64 %x0, %x0, %off;\n"
      for sem in ("", ".relaxed.gpu", ".acq_rel.gpu") if t in ("u32", "b32") else ("",):
        add("atom", f"atom_global{sem}_{op}_{t}", f"atom{sem}.global.{op}", [t], ins, t, f"atom.{op}.{t}:out=old in0[i], in0[i]=op(old,b{',c' if c else ''})",
            addr + f"atom{sem}.global.{op}.{t} %d, [%x0], %b{c};", checks=["out", "in0"], in0_type=t)
      if op not in ("cas", "exch"):
        add("atom", f"red_global_{op}_{t}", f"red.global.{op}", [t], ins, None, f"red.{op}.{t}:in0[i]=op(in0[i],b)",
            addr + f"red.global.{op}.{t} [%x0], %b;", checks=["in0"], in0_type=t)
      if op in ("add", "min", "or") and t in ("u32", "b32", "f32"):
        add("atom", f"atom_global_all_{op}_{t}", f"atom.global.{op}(one address)", [t], ins, None, f"red.{op}.{t}:in0[0]=op over all b",
            f"ld.param.u64 %x0, [in0];\ncvta.to.global.u64 %x0, %x0;\nred.global.{op}.{t} [%x0], %b;", checks=["in0[0]"], in0_type=t)
      if t in ("f64",): continue
      sh = f"mov.u64 %off, sh;\nmul.wide.u32 %x0, %i, {esize(t)};\nadd.u64 %x0, %off, %x0;\nst.shared.{t} [%x0], %c;\n"
      cas = ", %a" if c else ""
      dec = f".shared .align 8 .b8 sh[{BLOCK * esize(t)}];"
      add("atom", f"atom_shared_{op}_{t}", f"atom.shared.{op}", [t], [t if c else None, t, t], t,
          f"atom.shared.{op}.{t}:shared[i]=c; atom(b{cas}); out=shared[i] (new)",
          sh + f"atom.shared.{op}.{t} %t0_{t}, [%x0], %b{cas};\nld.shared.{t} %d, [%x0];".replace("%t0_" + t, "%n"),
          decls=dec + f"\n.reg .{t} %n;")
      add("atom", f"atom_shared_old_{op}_{t}", f"atom.shared.{op}", [t], [t if c else None, t, t], t, f"atom.shared.{op}.{t}:shared[i]=c; out=old=c",
          sh + f"atom.shared.{op}.{t} %d, [%x0], %b{cas};", decls=dec)
  for t in ("f16x2", "bf16x2"):
    add("atom", f"atom_global_add_noftz_{t}", "atom.global.add.noftz", [t], [None, t, None], t, f"atom.add.noftz.{t}:out=old in0[i]",
        f"ld.param.u64 %x0, [in0];\ncvta.to.global.u64 %x0, %x0;\nmul.wide.u32 %off, %i, 4;\nadd.u64 %x0, %x0, %off;\n"
        f"atom.global.add.noftz.{t} %d, [%x0], %b;", checks=["out", "in0"], in0_type=t)

def _warp_family():
  pred = "and.b32 %t0, %a, 1;\nsetp.ne.u32 %p, %t0, 0;\n"
  for m in ("all", "any", "uni"):
    add("warp", f"vote_{m}", f"vote.sync.{m}.pred", ["pred"], ["u32", None, None], "u32", f"vote.{m}(a&1)",
        pred + f"vote.sync.{m}.pred %q, %p, 0xffffffff;\nselp.u32 %d, 1, 0, %q;", ["bool", None, None])
  add("warp", "vote_ballot", "vote.sync.ballot.b32", ["b32"], ["u32", None, None], "u32", "vote.ballot(a&1)",
      pred + "vote.sync.ballot.b32 %d, %p, 0xffffffff;", ["bool", None, None])
  add("warp", "vote_ballot_not", "vote.sync.ballot.b32 !p", ["b32"], ["u32", None, None], "u32", "vote.ballot(!(a&1))",
      pred + "vote.sync.ballot.b32 %d, !%p, 0xffffffff;", ["bool", None, None])
  add("warp", "activemask", "activemask.b32", ["b32"], [None, None, None], "u32", "activemask (full warp)", "activemask.b32 %d;")
  for t in ("b32", "b64"):
    for m in ("any", "all"):
      r = "u32" if t == "b32" else "u64"
      body = f"match.{m}.sync.{t} %d, %a, 0xffffffff;" if m == "any" else f"match.all.sync.{t} %d|%p, %a, 0xffffffff;"
      add("warp", f"match_{m}_{t}", f"match.{m}.sync", [t], [r, None, None], "u32", f"match.{m}.{t}", body, ["small", None, None])
  for op in ("add", "min", "max"):
    for t in ("u32", "s32"):
      add("warp", f"redux_{op}_{t}", f"redux.sync.{op}", [t], [t, None, None], t, f"redux.{op}.{t}", f"redux.sync.{op}.{t} %d, %a, 0xffffffff;")
  for op in ("and", "or", "xor"):
    add("warp", f"redux_{op}_b32", f"redux.sync.{op}", ["b32"], ["u32", None, None], "u32", f"redux.{op}.b32",
        f"redux.sync.{op}.b32 %d, %a, 0xffffffff;")
  for m, lane, clamp in (("up", 1, 0), ("down", 1, 0x1f), ("bfly", 1, 0x1f), ("idx", 0, 0x1f), ("up", 4, 0), ("down", 16, 0x1f),
                         ("bfly", 8, 0x1f), ("idx", 7, 0x1f), ("idx", 3, 0x181f), ("down", 2, 0x81f)):
    add("warp", f"shfl_{m}_{lane}_{clamp:x}", f"shfl.sync.{m}.b32", ["b32"], ["u32", None, None], "u32",
        f"shfl.{m}(lane={lane},c={clamp:#x})", f"shfl.sync.{m}.b32 %d, %a, {lane}, {clamp:#x}, 0xffffffff;")
  for m in ("up", "down", "bfly", "idx"):
    add("warp", f"shfl_{m}_reg", f"shfl.sync.{m}.b32 (reg lane)", ["b32"], ["u32", "u32", None], "u32", f"shfl.{m}(lane=b&31,c=0x1f|0)",
        f"and.b32 %t0, %b, 31;\nshfl.sync.{m}.b32 %d|%p, %a, %t0, {0 if m == 'up' else 0x1f}, 0xffffffff;", ["any", "lane", None])
  add("warp", "shfl_idx_pred", "shfl.sync.idx.b32 |p", ["b32"], ["u32", "u32", None], "u32", "shfl.idx(lane=b&63,c=0x1f):pred",
      "and.b32 %t0, %b, 63;\nshfl.sync.idx.b32 %t1|%p, %a, %t0, 0x1f, 0xffffffff;\nselp.u32 %d, 1, 0, %p;", ["any", "lane", None])
  for op, ty in (("popc", "u32"), ("and", "pred"), ("or", "pred")):
    body = pred + (f"bar.red.popc.u32 %d, 0, %p;" if op == "popc" else f"bar.red.{op}.pred %q, 0, %p;\nselp.u32 %d, 1, 0, %q;")
    add("warp", f"bar_red_{op}", f"bar.red.{op}", [ty], ["u32", None, None], "u32", f"bar.red.{op}(a&1) over the CTA", body, ["bool", None, None])
  add("warp", "barrier_sync_shared", "barrier.sync", ["b32"], ["u32", None, None], "u32", "shared[i]=a; out[i]=shared[63-i]",
      "mov.u64 %off, sh;\nmul.wide.u32 %x1, %i, 4;\nadd.u64 %x1, %off, %x1;\nst.shared.u32 [%x1], %a;\nbarrier.sync 0;\n"
      "sub.u32 %t0, 63, %i;\nmul.wide.u32 %x2, %t0, 4;\nadd.u64 %x2, %off, %x2;\nld.shared.u32 %d, [%x2];", decls=".shared .align 4 .b8 sh[256];")
  for f in ("membar.gl", "membar.cta", "membar.sys", "fence.acq_rel.gpu", "fence.sc.gpu", "fence.sc.cta", "fence.acq_rel.sys"):
    add("warp", f.replace(".", "_"), f, ["b32"], ["u32", None, None], "u32", f"{f}+copy", f"{f};\nmov.u32 %d, %a;")
  add("warp", "bar_warp_sync", "bar.warp.sync", ["b32"], ["u32", None, None], "u32", "bar.warp.sync+copy", "bar.warp.sync 0xffffffff;\nmov.u32 %d, %a;")
  for s in ("tid.x", "ntid.x", "laneid", "warpid", "ctaid.x", "nctaid.x", "lanemask_lt", "lanemask_ge", "clock"):
    add("warp", f"sreg_{s}", f"mov.u32 %{s}", ["u32"], [None, None, None], "u32", f"sreg.{s}", f"mov.u32 %d, %{s};")

MMA = [  # (shape, dtypes d.a.b.c, words per lane of A, B, C/D)
  ("m16n8k16", "f32.f16.f16.f32", 4, 2, 4), ("m16n8k16", "f16.f16.f16.f16", 4, 2, 2), ("m16n8k8", "f32.f16.f16.f32", 2, 1, 4),
  ("m16n8k16", "f32.bf16.bf16.f32", 4, 2, 4), ("m16n8k8", "f32.bf16.bf16.f32", 2, 1, 4), ("m16n8k8", "f32.tf32.tf32.f32", 4, 2, 4),
  ("m16n8k4", "f32.tf32.tf32.f32", 2, 1, 4), ("m16n8k32", "s32.s8.s8.s32", 4, 2, 4), ("m16n8k32", "s32.u8.u8.s32", 4, 2, 4),
  ("m16n8k16", "s32.s8.s8.s32", 2, 1, 4), ("m16n8k32", "s32.s8.u8.s32.satfinite", 4, 2, 4), ("m8n8k4", "f64.f64.f64.f64", 1, 1, 2),
  ("m16n8k64", "s32.s4.s4.s32", 4, 2, 4), ("m8n8k16", "s32.s8.s8.s32", 1, 1, 2)]
def _mma_family():
  for shape, dt, na, nb, nc in MMA:
    parts = dt.split(".")
    sat = ".satfinite" if "satfinite" in parts else ""
    d, a, b, c = parts[:4]
    f64 = d == "f64"
    wt = "f64" if f64 else "b32"
    ra, rb, rc, rd = ([f"%{x}{j}" for j in range(n)] for x, n in (("A", na), ("B", nb), ("C", nc), ("D", nc)))
    decl = f".reg .{wt} {', '.join(ra + rb + rc + rd)};"
    es = 8 if f64 else 4
    body = []
    for k, (regs, n) in enumerate(((ra, na), (rb, nb), (rc, nc))):
      body += [f"ld.param.u64 %x{k}, [in{k}];", f"cvta.to.global.u64 %x{k}, %x{k};", f"mul.wide.u32 %off, %i, {n * es};", f"add.u64 %x{k}, %x{k}, %off;"]
      body += [f"ld.global.{wt} {r}, [%x{k}+{j * es}];" for j, r in enumerate(regs)]
    body += ["ld.param.u64 %o, [out];", "cvta.to.global.u64 %o, %o;", f"mul.wide.u32 %off, %i, {nc * es};", "add.u64 %o, %o, %off;"]
    lay = ".row.col"
    body.append(f"mma.sync.aligned.{shape}{lay}{sat}.{d}.{a}.{b}.{c} {{{', '.join(rd)}}}, {{{', '.join(ra)}}}, {{{', '.join(rb)}}}, {{{', '.join(rc)}}};")
    body += [f"st.global.{wt} [%o+{j * es}], {r};" for j, r in enumerate(rd)]
    key = f"mma.sync.aligned.{shape}.row.col{sat}.{d}.{a}.{b}.{c}"
    add("mma", f"mma_{shape}_{d}_{a}_{b}_{c}{sat.replace('.', '_')}", "mma.sync", [d, a, b, c], [None, None, None], None, key, "\n".join(body),
        decls=decl, n=32, block=32, checks=["out"], fragment_words={"A": na, "B": nb, "C": nc, "D": nc},
        fragment_word_type=wt, layout="lane l reads in0[l*A .. l*A+A-1], in1[l*B ..], in2[l*C ..] and writes out[l*D ..] (PTX ISA mma fragments)")
  add("mma", "ldmatrix_x4_b16", "ldmatrix.sync.aligned.m8n8.x4.shared.b16", ["b16"], ["u32", None, None], None,
      "shared[i]=a (128 words); lane l reads matrix rows; out[l*4+j]=fragment word j", "\n".join([
        "mov.u64 %off, sh;", "mul.wide.u32 %x1, %i, 4;", "add.u64 %x1, %off, %x1;", "st.shared.u32 [%x1], %a;",
        "add.u64 %x2, %x1, 128;", "st.shared.u32 [%x2], %a;", "add.u64 %x2, %x1, 256;", "st.shared.u32 [%x2], %a;",
        "add.u64 %x2, %x1, 384;", "st.shared.u32 [%x2], %a;", "bar.warp.sync 0xffffffff;",
        "mul.wide.u32 %x2, %i, 16;", "add.u64 %x2, %off, %x2;", "cvt.u32.u64 %t0, %x2;",
        "ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%e0, %e1, %e2, %e3}, [%t0];",
        "ld.param.u64 %o, [out];", "cvta.to.global.u64 %o, %o;", "mul.wide.u32 %off, %i, 16;", "add.u64 %o, %o, %off;",
        "st.global.v4.b32 [%o], {%e0, %e1, %e2, %e3};"]), decls=".shared .align 16 .b8 sh[512];\n.reg .b32 %e0, %e1, %e2, %e3;",
      n=32, block=32, checks=["out"])

for _f in (_int_family, _float_family, _compare_family, _cvt_family, _mem_family, _atom_family, _warp_family, _mma_family): _f()

CONST = ".const .align 4 .u32 ctab[4] = {11, 22, 33, 44};\n"

def kernels() -> list:
  """The manifest: one dict per kernel (ptx = the kernel's .entry text; module() gives the whole module)."""
  return KERNELS

def modules() -> dict:
  """{module name: PTX module text}: every kernel of a family in one module (fewer ptxas calls)."""
  out = {}
  for k in KERNELS: out.setdefault(k["module"], []).append(k["ptx"])
  return {m: HEAD + (CONST if m == "mem" else "") + "\n".join(v) for m, v in out.items()}

def module_of(name: str) -> str:
  """A one-kernel module (for a consumer that wants one cubin per kernel)."""
  k = next(k for k in KERNELS if k["name"] == name)
  return HEAD + (CONST if k["module"] == "mem" else "") + k["ptx"]

def write(d: str, compile_: bool = False, arch: str = "sm_90") -> list:
  os.makedirs(d, exist_ok=True)
  paths = []
  for m, text in modules().items():
    p = os.path.join(d, m + ".ptx")
    with open(p, "w") as f: f.write(text.replace(".target sm_90", f".target {arch}"))
    paths.append(p)
  with open(os.path.join(d, "manifest.json"), "w") as f: json.dump([{k: v for k, v in x.items() if k != "ptx"} for x in KERNELS], f, indent=1)
  if compile_:
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", ".."))
    from hwrt import oracles
    ptxas = oracles.find("ptxas")
    for p in paths:
      for opt in ("-O0", "-O3"):
        r = subprocess.run([ptxas, f"-arch={arch}", opt, p, "-o", p[:-4] + f"{opt}.cubin"], capture_output=True, text=True)
        if r.returncode: raise SystemExit(f"ptxas {opt} {p}: {r.stderr.strip()[:2000]}")
  return paths

if __name__ == "__main__":
  if len(sys.argv) < 2: sys.exit(__doc__)
  ps = write(sys.argv[1], "--compile" in sys.argv, next((a.split("=")[1] for a in sys.argv if a.startswith("--arch=")), "sm_90"))
  print(f"{len(KERNELS)} kernels in {len(ps)} modules under {sys.argv[1]}")
