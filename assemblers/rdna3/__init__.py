"""AMD RDNA3 (gfx1100): opcode table learned from llvm-mc (gfx1100.tsv), decoder (shared with sim/), LLVM-syntax
disassembler and assembler, HSA code object (v5) reader and writer.

Assembly source accepted by assemble_to_container (what disassemble_container prints):
  instructions in LLVM's syntax (llvm-objdump-19 / llvm-mc-19 text), `label:` lines, branch operands as labels or raw
  simm16; comments after // or ;; .text/.globl/.p2align/.type and other dot-directives outside kernel blocks are ignored.
  .amdhsa_kernel NAME ... .end_amdhsa_kernel per kernel (NAME: must label its first instruction), inside:
    .amdhsa_<field> N      LLVM's kernel descriptor directives (next_free_vgpr/next_free_sgpr: counted from the code when
                           left out, where llvm-mc requires them)
    .hwrt_arg NAME, OFFSET, SIZE, VALUE_KIND     one kernel argument for the metadata note
    .hwrt_<descriptor field> N                   raw descriptor bits LLVM has no directive for (KD_OVERRIDES)
    .hwrt_code_size / .hwrt_sgpr_count / .hwrt_vgpr_count / .hwrt_max_flat_workgroup_size / .hwrt_kernarg_segment_align N
  Wave64: a kernel block with `.amdhsa_wavefront_size32 0` makes the whole file use 64-bit lane masks (vcc, s[n:n+1]), as
  llvm-mc -mattr=+wavefrontsize64 does; disassemble_container prints wave64 syntax when every kernel is wave64.
"""
from hwrt.errors import AssemblerError, InvalidKernelBinary
from hwrt.assemblers.rdna3.decoder import decode, decode_all, Instr, Operand, OPS, BY_NAME, ENCODINGS
from hwrt.assemblers.rdna3.disasm import instr_text, disassemble
from hwrt.assemblers.rdna3.asm import assemble_instr, assemble, kernel_descriptor_fields
from hwrt.assemblers.rdna3.hsaco import read_hsaco, write_hsaco, decode_kd, encode_kd, CodeObject, Kernel, Arg, MACH

ARCHS = ("gfx1100",)
KD_OVERRIDES = ("granulated_wavefront_sgpr_count", "granulated_workitem_vgpr_count", "granulated_lds_size", "priority",
                "priv", "debug_mode", "bulky", "cdbg_user", "enable_trap_handler", "exception_address_watch", "exception_memory",
                "inst_pref_size", "trap_on_start", "trap_on_end", "image_op", "user_sgpr_flat_scratch_init",
                "user_sgpr_private_segment_buffer")
KD_DIRECTIVES = ("group_segment_fixed_size", "private_segment_fixed_size", "kernarg_size", "user_sgpr_count",
                 "user_sgpr_dispatch_ptr", "user_sgpr_queue_ptr", "user_sgpr_kernarg_segment_ptr", "user_sgpr_dispatch_id",
                 "user_sgpr_private_segment_size", "wavefront_size32", "uses_dynamic_stack", "enable_private_segment",
                 "system_sgpr_workgroup_id_x", "system_sgpr_workgroup_id_y", "system_sgpr_workgroup_id_z",
                 "system_sgpr_workgroup_info", "system_vgpr_workitem_id", "float_round_mode_32", "float_round_mode_16_64",
                 "float_denorm_mode_32", "float_denorm_mode_16_64", "dx10_clamp", "ieee_mode", "fp16_overflow",
                 "workgroup_processor_mode", "memory_ordered", "forward_progress", "shared_vgpr_count",
                 "exception_fp_ieee_invalid_op", "exception_fp_denorm_src", "exception_fp_ieee_div_zero",
                 "exception_fp_ieee_overflow", "exception_fp_ieee_underflow", "exception_fp_ieee_inexact", "exception_int_div_zero")

def registers_used(code: bytes) -> tuple[int, int]:
  """(next free VGPR, next free SGPR) over the operands of every instruction in code (VCC and other specials excluded)."""
  nv = ns = 0
  for ins in decode_all(code):
    for o in ins.operands + (ins.y.operands if ins.y else []):
      if o.kind == "vgpr": nv = max(nv, o.value + max(o.width, 1))
      elif o.kind == "sgpr": ns = max(ns, o.value + max(o.width, 1))
  return nv, ns

def assemble_to_container(text: str, arch: str = "gfx1100") -> bytes:
  """Assembly text (LLVM syntax, `.amdhsa_kernel NAME` blocks with .amdhsa_* fields, `.hwrt_arg name, offset, size, kind`
  lines for the metadata) -> an HSA code object v5."""
  if arch not in ARCHS: raise AssemblerError(f"arch {arch} is not supported by the RDNA3 assembler (have {', '.join(ARCHS)})")
  code, labels, ks = assemble(text)
  if not ks: raise AssemblerError("no .amdhsa_kernel block: a code object needs at least one kernel descriptor")
  starts = sorted(labels[k["name"]] for k in ks if k["name"] in labels)
  kernels = []
  for k in ks:
    if k["name"] not in labels: raise AssemblerError(f".amdhsa_kernel {k['name']}: no label {k['name']}: in the code")
    off = labels[k["name"]]
    end = min([s for s in starts if s > off] + [len(code)])
    fields = dict(k["fields"])
    if "next_free_vgpr" not in fields or "next_free_sgpr" not in fields:   # not given: count what the kernel's code uses
      nv, ns = registers_used(code[off:end])
      fields.setdefault("next_free_vgpr", nv); fields.setdefault("next_free_sgpr", ns)
    f = kernel_descriptor_fields(fields)
    f.update({x: v for x, v in k["meta"].items() if x in KD_OVERRIDES})           # .hwrt_<descriptor field> overrides
    if "code_size" in k["meta"]: end = off + k["meta"]["code_size"]
    wave = 32 if f["wavefront_size32"] else 64
    args = [{".name": n, ".offset": o, ".size": s, ".value_kind": kind, **({".address_space": "global"} if kind == "global_buffer" else {})}
            for n, o, s, kind in k["args"]]
    meta = {".name": k["name"], ".symbol": k["name"] + ".kd", ".kernarg_segment_size": f["kernarg_size"],
            ".kernarg_segment_align": k["meta"].get("kernarg_segment_align", 8), ".group_segment_fixed_size": f.get("group_segment_fixed_size", 0),
            ".private_segment_fixed_size": f.get("private_segment_fixed_size", 0), ".wavefront_size": wave,
            ".sgpr_count": k["meta"].get("sgpr_count", f["next_free_sgpr"] + 2 * f["reserve_vcc"]),
            ".vgpr_count": k["meta"].get("vgpr_count", f["next_free_vgpr"]), ".max_flat_workgroup_size": k["meta"].get("max_flat_workgroup_size", 1024),
            ".sgpr_spill_count": 0, ".vgpr_spill_count": 0, ".uses_dynamic_stack": bool(f.get("uses_dynamic_stack", 0)), ".args": args}
    kernels.append({"name": k["name"], "offset": off, "size": end - off, "kd": f, "meta": meta})
  return write_hsaco(arch, code, kernels, labels)

def disassemble_container(data: bytes) -> str:
  """A code object -> assembly text that assemble_to_container accepts (instructions in LLVM syntax, kernel descriptor
  fields and argument metadata as directives)."""
  co = read_hsaco(data)
  out = [f'.amdgcn_target "amdgcn-amd-amdhsa--{co.arch}"', ".text"]
  starts = {k.entry: k.name for k in co.kernels}
  wave64 = bool(co.kernels) and all(k.wavefront_size == 64 for k in co.kernels)
  try: ins = disassemble(co.text, co.text_address, wave64)
  except ValueError as e: raise InvalidKernelBinary(str(e))
  for pc, t, raw in ins:
    if pc in starts: out += ["", f".globl {starts[pc]}", ".p2align 8", f"{starts[pc]}:"]
    note = ""
    if t.startswith(("s_branch ", "s_cbranch_")):           # where a branch goes, as llvm-objdump notes it
      tgt = pc + 4 + 4 * (lambda v: v - 0x10000 if v & 0x8000 else v)(int(t.split()[1]))
      name = max((k for k in co.kernels if k.entry <= tgt), key=lambda k: k.entry, default=None)
      note = f" <{name.name}+{tgt - name.entry:#x}>" if name else f" <{tgt:#x}>"
    out.append(f"  {t:<60s}// {pc:012X}: " + " ".join(f"{int.from_bytes(raw[i:i + 4], 'little'):08X}" for i in range(0, len(raw), 4)) + note)
  for k in co.kernels:
    d = k.descriptor
    out += ["", ".rodata", ".p2align 6", f".amdhsa_kernel {k.name}", f"  .amdhsa_next_free_vgpr {k.vgpr_count}",
            f"  .amdhsa_next_free_sgpr {max(0, k.sgpr_count - 2)}"]
    out += [f"  .amdhsa_{f} {d[f]}" for f in KD_DIRECTIVES]
    out += [f"  .hwrt_{f} {d[f]}" for f in KD_OVERRIDES if d[f]]
    out += [f"  .hwrt_code_size {len(k.code)}", f"  .hwrt_sgpr_count {k.sgpr_count}", f"  .hwrt_vgpr_count {k.vgpr_count}",
            f"  .hwrt_max_flat_workgroup_size {k.metadata.get('.max_flat_workgroup_size', 1024)}"]
    out += [f"  .hwrt_arg {a.name or '_'}, {a.offset}, {a.size}, {a.kind}" for a in k.args]
    out.append(".end_amdhsa_kernel")
  return "\n".join(out) + "\n"
