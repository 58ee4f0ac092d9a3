"""RDNA3 code objects: kernel descriptors from .amdhsa_* directives byte-equal to llvm-mc's, writer output read back by our
reader and by llvm-readelf/llvm-objdump, the CLI, and clean errors on bad input."""
import io, os, random, subprocess, sys
import pytest
from elftools.elf.elffile import ELFFile
from conftest import oracle
from hwrt.assemblers.rdna3 import (assemble_to_container, disassemble_container, read_hsaco, encode_kd, decode_kd,
                                   kernel_descriptor_fields)
from hwrt.errors import AssemblerError, InvalidKernelBinary

SRC = """
.text
.globl vadd
.p2align 8
vadd:
  s_load_b128 s[4:7], s[0:1], null
  s_load_b64 s[0:1], s[0:1], 0x10
  v_lshlrev_b32_e32 v0, 2, v0
  s_waitcnt lgkmcnt(0)
  global_load_b32 v1, v0, s[4:5]
  global_load_b32 v2, v0, s[6:7]
  s_waitcnt vmcnt(0)
  v_add_f32_e32 v1, v1, v2
  global_store_b32 v0, v1, s[0:1]
  s_endpgm
.rodata
.amdhsa_kernel vadd
  .amdhsa_next_free_vgpr 3
  .amdhsa_next_free_sgpr 8
  .amdhsa_user_sgpr_kernarg_segment_ptr 1
  .amdhsa_kernarg_size 24
  .amdhsa_group_segment_fixed_size 1024
  .hwrt_arg a, 0, 8, global_buffer
  .hwrt_arg b, 8, 8, global_buffer
  .hwrt_arg c, 16, 8, global_buffer
.end_amdhsa_kernel
"""

def test_writer_reader_round_trip():
  co = read_hsaco(assemble_to_container(SRC, "gfx1100"))
  k = co.kernel("vadd")
  assert co.arch == "gfx1100" and [tuple(a) for a in k.args] == [("a", 0, 8, "global_buffer"), ("b", 8, 8, "global_buffer"), ("c", 16, 8, "global_buffer")]
  assert (k.kernarg_size, k.group_segment_size, k.private_segment_size, k.wavefront_size, k.vgpr_count, k.sgpr_count) == (24, 1024, 0, 32, 3, 10)
  d = k.descriptor
  assert (d["user_sgpr_kernarg_segment_ptr"], d["user_sgpr_count"], d["wavefront_size32"], d["granulated_workitem_vgpr_count"]) == (1, 2, 1, 0)
  assert d["group_segment_fixed_size"] == 1024 and d["kernarg_size"] == 24
  assert k.entry == k.kd_address + d["kernel_code_entry_byte_offset"] and len(k.code) == 60 and k.code[-4:] == bytes.fromhex("0000b0bf")
  assert encode_kd(d) == encode_kd(decode_kd(encode_kd(d)))

def test_register_counts_from_code_when_not_given():
  src = SRC.replace("  .amdhsa_next_free_vgpr 3\n", "").replace("  .amdhsa_next_free_sgpr 8\n", "")
  k = read_hsaco(assemble_to_container(src, "gfx1100")).kernel("vadd")
  assert (k.vgpr_count, k.sgpr_count) == (3, 10)                 # v0..v2; s0..s7 plus VCC
  src = src.replace("v_add_f32_e32 v1, v1, v2", "v_add_f32_e32 v1, v1, v2\n  v_mov_b32_e32 v17, s9")
  k = read_hsaco(assemble_to_container(src, "gfx1100")).kernel("vadd")
  assert (k.vgpr_count, k.sgpr_count, k.descriptor["granulated_workitem_vgpr_count"]) == (18, 12, 2)

def test_writer_output_accepted_by_llvm_tools(tmp_path):
  readelf, objdump = oracle("llvm-readelf-19"), oracle("llvm-objdump-19")
  p = tmp_path / "vadd.hsaco"; p.write_bytes(assemble_to_container(SRC, "gfx1100"))
  notes = subprocess.run([readelf, "--notes", str(p)], capture_output=True, text=True, check=True).stdout
  for want in (".name:           vadd", ".kernarg_segment_size: 24", ".group_segment_fixed_size: 1024", ".symbol:         vadd.kd",
               ".value_kind:     global_buffer", "amdhsa.target:   amdgcn-amd-amdhsa--gfx1100", ".vgpr_count:     3"):
    assert want in notes, want
  hdr = subprocess.run([readelf, "-h", str(p)], capture_output=True, text=True, check=True).stdout
  assert "AMDGPU - HSA" in hdr and "ABI Version:                       3" in hdr and "gfx1100" in hdr
  dis = subprocess.run([objdump, "-d", "--mcpu=gfx1100", str(p)], capture_output=True, text=True, check=True).stdout
  got = [ln.split("//")[0].strip() for ln in dis.splitlines() if ln.startswith("\t")]
  want = [ln.strip() for ln in SRC.split(".rodata")[0].splitlines() if ln.startswith("  ")]
  assert got == want

DIRECTIVES = {"next_free_vgpr": (1, 256), "next_free_sgpr": (0, 100), "user_sgpr_kernarg_segment_ptr": (0, 1), "user_sgpr_dispatch_ptr": (0, 1),
              "user_sgpr_queue_ptr": (0, 1), "user_sgpr_dispatch_id": (0, 1), "user_sgpr_private_segment_size": (0, 1),
              "wavefront_size32": (0, 1), "system_sgpr_workgroup_id_x": (0, 1), "system_sgpr_workgroup_id_y": (0, 1),
              "system_sgpr_workgroup_id_z": (0, 1), "system_sgpr_workgroup_info": (0, 1), "system_vgpr_workitem_id": (0, 2),
              "enable_private_segment": (0, 1), "float_round_mode_32": (0, 3), "float_round_mode_16_64": (0, 3),
              "float_denorm_mode_32": (0, 3), "float_denorm_mode_16_64": (0, 3), "dx10_clamp": (0, 1), "ieee_mode": (0, 1),
              "fp16_overflow": (0, 1), "workgroup_processor_mode": (0, 1), "memory_ordered": (0, 1), "forward_progress": (0, 1),
              "group_segment_fixed_size": (0, 65536), "private_segment_fixed_size": (0, 4096), "kernarg_size": (0, 4096),
              "uses_dynamic_stack": (0, 1), "exception_fp_ieee_invalid_op": (0, 1), "exception_int_div_zero": (0, 1)}

def test_kernel_descriptors_match_llvm_mc(tmp_path):
  """Random .amdhsa_* directive sets: our 64-byte descriptors equal llvm-mc's (entry offset aside: a relocation there)."""
  mc = oracle("llvm-mc-19")
  r = random.Random(7)
  kernels = []
  for i in range(40):
    f = {k: r.randint(lo, hi) for k, (lo, hi) in DIRECTIVES.items() if r.random() < 0.6 or k.startswith("next_free")}
    kernels.append((f"k{i}", f))
  src = ['.amdgcn_target "amdgcn-amd-amdhsa--gfx1100"', ".text"]
  for n, _ in kernels: src += [f".globl {n}", ".p2align 8", f"{n}:", "  s_endpgm"]
  src.append(".rodata")
  for n, f in kernels: src += [".p2align 6", f".amdhsa_kernel {n}"] + [f"  .amdhsa_{k} {v}" for k, v in f.items()] + [".end_amdhsa_kernel"]
  (tmp_path / "k.s").write_text("\n".join(src) + "\n")
  subprocess.run([mc, "-triple=amdgcn-amd-amdhsa", "-mcpu=gfx1100", "-filetype=obj", str(tmp_path / "k.s"), "-o", str(tmp_path / "k.o")],
                 check=True, capture_output=True)
  ro = ELFFile(open(tmp_path / "k.o", "rb")).get_section_by_name(".rodata").data()
  for i, (n, f) in enumerate(kernels):
    theirs = ro[64 * i:64 * i + 64]
    ours = encode_kd(kernel_descriptor_fields(f))
    assert ours[:16] + ours[24:] == theirs[:16] + theirs[24:], (n, f, decode_kd(theirs))

def test_cli_asm_disasm(tmp_path):
  s = tmp_path / "k.s"; s.write_text(SRC)
  env = dict(os.environ)
  r = subprocess.run([sys.executable, "-m", "hwrt", "asm", str(s), "--arch", "gfx1100"], capture_output=True, text=True, env=env)
  assert r.returncode == 0, r.stderr
  out = tmp_path / "k.hsaco"
  assert out.exists() and read_hsaco(out.read_bytes()).kernel("vadd")
  r = subprocess.run([sys.executable, "-m", "hwrt", "disasm", str(out)], capture_output=True, text=True)
  assert r.returncode == 0 and "v_add_f32_e32 v1, v1, v2" in r.stdout and ".amdhsa_kernel vadd" in r.stdout
  again = assemble_to_container(r.stdout, "gfx1100")
  assert read_hsaco(again).kernel("vadd").code == read_hsaco(out.read_bytes()).kernel("vadd").code
  bad = tmp_path / "bad.s"; bad.write_text("s_nop 0\nv_frob v1\n")
  r = subprocess.run([sys.executable, "-m", "hwrt", "asm", str(bad), "--arch", "gfx1100"], capture_output=True, text=True)
  assert r.returncode == 2 and "line 2" in r.stderr + r.stdout and "Traceback" not in r.stderr

def test_bad_inputs_raise_clean_errors():
  data = assemble_to_container(SRC, "gfx1100")
  with pytest.raises(InvalidKernelBinary): read_hsaco(data[:200])
  with pytest.raises(InvalidKernelBinary): read_hsaco(b"\x7fELF" + b"\0" * 60)
  with pytest.raises(AssemblerError): assemble_to_container("s_endpgm\n", "gfx1100")              # no kernel descriptor
  with pytest.raises(AssemblerError): assemble_to_container(SRC, "gfx90a")
  with pytest.raises(AssemblerError): assemble_to_container(SRC.replace("s_endpgm", "s_endpgm s0"), "gfx1100")
  r = random.Random(3)
  for i in range(300):                                    # truncated / corrupted objects: InvalidKernelBinary, never a crash
    b = bytearray(data[:r.randrange(len(data))] if i % 3 == 0 else data)
    for _ in range(r.randrange(1, 20) if i % 3 else 0): b[r.randrange(len(b))] = r.randrange(256)
    for fn in (read_hsaco, disassemble_container):
      try: fn(bytes(b))
      except InvalidKernelBinary: pass

def test_kernarg_preload_fields_match_llvm_mc(tmp_path):
  """Kernarg preload exists from gfx90a/gfx942 on (not gfx1100): the descriptor's preload word and the user SGPR count it
  implies must equal llvm-mc's for a gfx942 kernel (the 64-byte layout is shared)."""
  mc = oracle("llvm-mc-19")
  cases = [(1, 0), (3, 1), (2, 5), (0, 0), (14, 2)]
  src = ['.amdgcn_target "amdgcn-amd-amdhsa--gfx942"', ".text", ".globl k", ".p2align 8", "k:", "  s_endpgm", ".rodata"]
  for i, (n, off) in enumerate(cases):
    src += [".p2align 6", f".amdhsa_kernel k{i}", "  .amdhsa_next_free_vgpr 1", "  .amdhsa_next_free_sgpr 8", "  .amdhsa_accum_offset 4",
            "  .amdhsa_user_sgpr_kernarg_segment_ptr 1", f"  .amdhsa_user_sgpr_kernarg_preload_length {n}",
            f"  .amdhsa_user_sgpr_kernarg_preload_offset {off}", ".end_amdhsa_kernel"]
  (tmp_path / "p.s").write_text("\n".join(src) + "\n")
  subprocess.run([mc, "-triple=amdgcn-amd-amdhsa", "-mcpu=gfx942", "-filetype=obj", str(tmp_path / "p.s"), "-o", str(tmp_path / "p.o")],
                 check=True, capture_output=True)
  ro = ELFFile(open(tmp_path / "p.o", "rb")).get_section_by_name(".rodata").data()
  keys = ("kernarg_preload", "kernarg_preload_length", "kernarg_preload_offset", "user_sgpr_count", "kernel_code_properties")
  for i, (n, off) in enumerate(cases):
    theirs = decode_kd(ro[64 * i:64 * i + 64])
    ours = decode_kd(encode_kd(kernel_descriptor_fields({"next_free_vgpr": 1, "next_free_sgpr": 8, "wavefront_size32": 0,
        "user_sgpr_kernarg_segment_ptr": 1, "user_sgpr_kernarg_preload_length": n, "user_sgpr_kernarg_preload_offset": off})))
    assert {k: ours[k] for k in keys} == {k: theirs[k] for k in keys}, (n, off)
    assert theirs["kernarg_preload_length"] == n
