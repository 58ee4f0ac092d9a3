"""RDNA3 (gfx1100) against LLVM 19 on a corpus of clang-compiled OpenCL kernels (tests/rdna3_corpus/*.cl):
disassembly text and bytes, assembly of LLVM's text, code object reader vs llvm-readelf --notes, writer round trip."""
import glob, os, re, subprocess
import pytest
from conftest import oracle
from hwrt.assemblers.rdna3 import (disassemble, assemble_instr, read_hsaco, assemble_to_container, disassemble_container,
                                   decode_all)

CORPUS = sorted(glob.glob(os.path.join(os.path.dirname(__file__), "rdna3_corpus", "*.cl")))
CLANG_FLAGS = ["-x", "cl", "-cl-std=CL2.0", "-Xclang", "-finclude-default-header", "-target", "amdgcn-amd-amdhsa",
               "-mcpu=gfx1100", "-O2", "-nogpulib"]
LINE = re.compile(r"\t(.*?)\s*// ([0-9A-F]{12}): ([0-9A-F ]+)")

@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
  """{name: (hsaco bytes, [(pc, LLVM text, bytes)])}: the corpus compiled once per session."""
  clang, objdump = oracle("clang-19"), oracle("llvm-objdump-19")
  d = tmp_path_factory.mktemp("rdna3_corpus")
  out = {}
  for cl in CORPUS:
    name = os.path.basename(cl)[:-3]
    ho = str(d / (name + ".hsaco"))
    subprocess.run([clang, *CLANG_FLAGS, cl, "-o", ho], check=True, capture_output=True)
    out[name] = (open(ho, "rb").read(), objdump_lines(objdump, ho))
  return out

def objdump_lines(objdump: str, path: str, *extra) -> list:
  txt = subprocess.run([objdump, "-d", "--mcpu=gfx1100", *extra, path], capture_output=True, text=True, check=True).stdout
  res = []
  for ln in txt.splitlines():
    m = LINE.match(ln)
    if m: res.append((int(m.group(2), 16), m.group(1).strip(), b"".join(int(x, 16).to_bytes(4, "little") for x in m.group(3).split())))
  return res

WAVE64 = ("vadd", "atomics", "branches", "lds_reduce", "dpp_reduce", "matmul")

@pytest.fixture(scope="module")
def corpus64(tmp_path_factory):
  """Some of the corpus compiled for wave64 (-mwavefrontsize64), disassembled by llvm-objdump in wave64 mode."""
  clang, objdump = oracle("clang-19"), oracle("llvm-objdump-19")
  d = tmp_path_factory.mktemp("rdna3_corpus64")
  out = {}
  for name in WAVE64:
    ho = str(d / (name + ".hsaco"))
    subprocess.run([clang, *CLANG_FLAGS, "-mwavefrontsize64", os.path.join(os.path.dirname(__file__), "rdna3_corpus", name + ".cl"), "-o", ho],
                   check=True, capture_output=True)
    out[name] = (open(ho, "rb").read(), objdump_lines(objdump, ho, "--mattr=+wavefrontsize64"))
  return out

def test_wave64_corpus_round_trip(corpus64):
  n = 0
  for name, (data, ref) in corpus64.items():
    co = read_hsaco(data)
    assert all(k.wavefront_size == 64 for k in co.kernels)
    assert disassemble(co.text, co.text_address, wave64=True) == ref, name
    for pc, t, b in ref: assert assemble_instr(t, pc, wave64=True) == b, (name, t)
    again = read_hsaco(assemble_to_container(disassemble_container(data), "gfx1100"))
    assert again.text == co.text and [k.wavefront_size for k in again.kernels] == [k.wavefront_size for k in co.kernels]
    n += len(ref)
  print(f"\nrdna3: {n} wave64 corpus instructions round-trip (text, bytes, container)")
  assert n > 1000

def test_corpus_is_big_enough(corpus):
  n = sum(len(v[1]) for v in corpus.values())
  names = {t.split()[0] for v in corpus.values() for _, t, _ in v[1]}
  print(f"\nrdna3 corpus: {len(corpus)} files, {n} instructions, {len(names)} distinct mnemonics")
  assert len(corpus) >= 9 and n > 1500 and len(names) > 150
  for must in ("v_wmma_f32_16x16x16_f16", "v_add_nc_u32_dpp", "ds_swizzle_b32", "global_atomic_cmpswap_b64", "v_dual_mov_b32",
               "s_cbranch_execz", "v_cvt_f16_f32_e32", "ds_load_2addr_b32", "v_fmac_f32_e32", "v_permlanex16_b32",
               "scratch_store_b128", "scratch_load_b32", "global_atomic_cmpswap_b32"):
    assert must in names, must

def test_disassembly_matches_llvm_objdump(corpus):
  total = 0
  for name, (data, ref) in corpus.items():
    co = read_hsaco(data)
    mine = disassemble(co.text, co.text_address)
    assert [(pc, t, b) for pc, t, b in mine] == ref, name
    total += len(ref)
  print(f"\nrdna3: {total} corpus instructions disassemble to llvm-objdump's text and byte extents")

def test_assembly_of_llvm_text_matches_bytes(corpus):
  total = 0
  for name, (_, ref) in corpus.items():
    for pc, t, b in ref:
      assert assemble_instr(t, pc) == b, (name, hex(pc), t)
      total += 1
  print(f"\nrdna3: {total} corpus instructions assemble from LLVM's text to LLVM's bytes")

def parse_notes_yaml(text: str) -> list:
  """The kernel list of llvm-readelf --notes' YAML, enough of it for the fields we compare (flat keys, .args list)."""
  kernels, k, arg, in_args = [], None, None, False
  for ln in text.splitlines():
    m = re.match(r"^(\s*)(- )?(\.[\w]+|amdhsa\.\w+):\s*(.*)$", ln)
    if not m: continue
    ind, dash, key, val = len(m.group(1)), m.group(2), m.group(3), m.group(4).strip().strip("'")
    if key == ".args" and dash: k = {}; kernels.append(k); arg = None; in_args = True; k[".args"] = []
    if key == ".args": in_args = True; k.setdefault(".args", []); continue
    if ind == 4 and not dash: in_args = False
    if dash and key != ".args" and ind == 2: k = {}; kernels.append(k); in_args = False
    if in_args and ind >= 6:
      if dash: arg = {}; k[".args"].append(arg)
      arg[key] = val
    elif k is not None and ind in (2, 4) and val: k[key] = val
  return kernels

def test_reader_matches_llvm_readelf_notes(corpus):
  readelf = oracle("llvm-readelf-19")
  n = 0
  for name, (data, _) in corpus.items():
    notes = subprocess.run([readelf, "--notes", "-"], input=data, capture_output=True, check=True).stdout.decode()
    ref = parse_notes_yaml(notes)
    co = read_hsaco(data)
    assert [k[".name"] for k in ref] == [k.name for k in co.kernels], name
    for r, k in zip(ref, co.kernels):
      assert int(r[".kernarg_segment_size"]) == k.kernarg_size
      assert int(r[".group_segment_fixed_size"]) == k.group_segment_size == k.descriptor["group_segment_fixed_size"]
      assert int(r[".private_segment_fixed_size"]) == k.private_segment_size == k.descriptor["private_segment_fixed_size"]
      assert int(r[".wavefront_size"]) == k.wavefront_size == (32 if k.descriptor["wavefront_size32"] else 64)
      assert int(r[".sgpr_count"]) == k.sgpr_count and int(r[".vgpr_count"]) == k.vgpr_count
      assert k.vgpr_count <= 8 * (k.descriptor["granulated_workitem_vgpr_count"] + 1)
      assert k.descriptor["kernarg_size"] == k.kernarg_size
      assert [(int(a[".offset"]), int(a[".size"]), a[".value_kind"]) for a in r.get(".args", [])] == \
             [(a.offset, a.size, a.kind) for a in k.args]
      assert k.code and decode_all(k.code, k.entry)[0].pc == k.entry
      n += 1
  print(f"\nrdna3: reader matches llvm-readelf --notes for {n} kernels")

def test_writer_round_trip(corpus, tmp_path):
  """clang object -> our disassembly -> our assembler -> our code object: llvm-readelf reads our metadata back, llvm-objdump
  disassembles it to the same instructions, and the descriptors agree with clang's field by field."""
  readelf, objdump = oracle("llvm-readelf-19"), oracle("llvm-objdump-19")
  for name, (data, ref) in corpus.items():
    ours = assemble_to_container(disassemble_container(data), "gfx1100")
    p = tmp_path / (name + ".hsaco"); p.write_bytes(ours)
    assert [(t, b) for _, t, b in objdump_lines(objdump, str(p))] == [(t, b) for _, t, b in ref], name
    a, b = read_hsaco(data), read_hsaco(ours)
    for x, y in zip(a.kernels, b.kernels, strict=True):
      assert [tuple(q)[1:] for q in x.args] == [tuple(q)[1:] for q in y.args]
      assert x.code == y.code
      dx = {k: v for k, v in x.descriptor.items() if k != "kernel_code_entry_byte_offset"}
      assert dx == {k: v for k, v in y.descriptor.items() if k != "kernel_code_entry_byte_offset"}
      assert y.entry == y.kd_address + y.descriptor["kernel_code_entry_byte_offset"]
    notes = subprocess.run([readelf, "--notes", str(p)], capture_output=True, check=True, text=True).stdout
    got = parse_notes_yaml(notes)
    yaml_str = lambda v: str(v).lower() if isinstance(v, bool) else str(v)
    assert len(got) == len(b.kernels)
    for r, k, x in zip(got, b.kernels, a.kernels):   # every key we wrote, as llvm-readelf prints it
      assert {key: yaml_str(v) for key, v in k.metadata.items() if key != ".args"} == {key: v for key, v in r.items() if key != ".args"}
      assert [{key: yaml_str(v) for key, v in q.meta.items()} for q in k.args] == r.get(".args", [])
      assert (k.kernarg_size, k.sgpr_count, k.vgpr_count, k.wavefront_size) == (x.kernarg_size, x.sgpr_count, x.vgpr_count, x.wavefront_size)
