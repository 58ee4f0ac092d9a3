"""cubin reader against ptxas-made cubins (PTX signatures, cuobjdump -res-usage), relocations, and the writer's output
against nvdisasm and cuobjdump; disassemble -> assemble of whole ptxas cubins gives ptxas's code bytes back."""
import glob, os, re, struct
import pytest
from sass_common import corpus_cubins, run
from hwrt.assemblers import sass
from hwrt.assemblers.sass import cubin as C, learn
from hwrt.errors import InvalidKernelBinary

PTX_SIZE = {"8": 1, "16": 2, "32": 4, "64": 8}

def ptx_signatures(text):
  """{kernel: [(offset, size)]} from `.entry name(.param .u64 a, .param .align 8 .b8 s[16], ...)` with C layout."""
  out = {}
  for m in re.finditer(r"\.entry\s+(\w+)\s*\(([^)]*)\)", text):
    off, params = 0, []
    for p in m.group(2).split(","):
      p = p.strip()
      if not p: continue
      arr = re.search(r"\[(\d+)\]", p)
      al = re.search(r"\.align\s+(\d+)", p)
      bits = re.search(r"\.[busf](8|16|32|64)\b", p).group(1)
      size = PTX_SIZE[bits] * (int(arr.group(1)) if arr else 1)
      align = int(al.group(1)) if al else PTX_SIZE[bits]
      off = (off + align - 1) // align * align
      params.append((off, size)); off += size
    out[m.group(1)] = params
  return out

@pytest.mark.oracle("ptxas")
def test_reader_params_match_ptx_signatures():
  n, entries = 0, 0
  for name, data in corpus_cubins().items():
    cub = sass.read_cubin(data)
    entries += learn.corpus_text(name).count(".entry")
    assert cub.arch == "sm_90"
    for kname, params in ptx_signatures(learn.corpus_text(name)).items():
      k = cub.kernels[kname]
      assert k.params == params, kname
      assert k.param_base == 0x210 and k.param_size == (params[-1][0] + params[-1][1] if params else 0)
      assert k.cbank0_size == 0x210 + k.param_size
      n += 1
  assert n == entries and n >= 15

@pytest.mark.oracle("cuobjdump")
def test_reader_resources_match_cuobjdump():
  for name, data in corpus_cubins().items():
    r = run("cuobjdump", "-res-usage", "{}", input_bytes=data)
    assert r.returncode == 0, r.stderr
    found = re.findall(r"Function (\w+):\s*REG:(\d+) STACK:(\d+) SHARED:(\d+) LOCAL:(\d+) CONSTANT\[0\]:(\d+)", r.stdout)
    cub = sass.read_cubin(data)
    assert len(found) == len(cub.kernels)
    for kname, reg, stack, shared, local, c0 in found:
      k = cub.kernels[kname]
      assert (k.regs, k.min_stack_size, k.shared_size, k.cbank0_size) == (int(reg), int(stack), int(shared), int(c0)), kname

@pytest.mark.oracle("ptxas")
def test_reader_constant_banks_and_relocations():
  cub = sass.read_cubin(corpus_cubins()["mem.ptx"])
  assert len(cub.const_banks[3]) == 64                       # __constant__ float c_coef[16]
  assert cub.symbols["c_coef"] == (".nv.constant3", 0, 64)
  assert cub.symbols["g_table"][0] == ".nv.global" and cub.symbols["g_table"][2] == 256
  relocs = cub.const_relocs[4]                               # bank 4: pointers to __device__ variables (R_CUDA_64)
  assert sorted(s for _, _, s, _ in relocs) == ["g_counter", "g_table"]
  addrs = {"g_counter": 0x7f0000001000, "g_table": 0x7f0000002004}
  out = C.apply_relocations(cub.const_banks[4], relocs, addrs)
  for off, typ, sym, add in relocs:
    assert typ == 2 and struct.unpack_from("<Q", out, off)[0] == addrs[sym] + add

def test_apply_relocations_instruction_fields():
  word = bytes(range(16))
  out = C.apply_relocations(word, [(0, 56, "s", 0)], {"s": 0x1122334455667788})
  assert out[4:8] == struct.pack("<I", 0x55667788) and out[:4] == word[:4] and out[8:] == word[8:]
  out = C.apply_relocations(word, [(0, 57, "s", 0)], {"s": 0x1122334455667788})
  assert out[4:8] == struct.pack("<I", 0x11223344)
  with pytest.raises(Exception): C.apply_relocations(word, [(0, 999, "s", 0)], {"s": 0})

@pytest.mark.oracle("nvdisasm")
def test_reassemble_ptxas_cubins_gives_same_code():
  """disassemble_container (labels, .param/.shared/.regs directives, explicit control codes) -> assemble_to_container:
  every kernel's code is ptxas's byte for byte, with the same parameter layout, registers and shared size."""
  n = 0
  for name, data in corpus_cubins().items():
    if name.startswith("gen_"): continue       # the generated PTX corpus: measured in test_sass_ptx_corpus.py
    ref = sass.read_cubin(data)
    ours = sass.read_cubin(sass.assemble_to_container(sass.disassemble_container(data)))
    assert set(ours.kernels) == set(ref.kernels)
    for k, rk in ref.kernels.items():
      ok = ours.kernels[k]
      assert ok.code == rk.code, k
      assert (ok.params, ok.regs, ok.shared_size, ok.exit_offsets, ok.local_size, ok.min_stack_size) == \
             (rk.params, rk.regs, rk.shared_size, rk.exit_offsets, rk.local_size, rk.min_stack_size)
      n += len(rk.code) // 16
  assert n > 1500

def test_reader_rejects_garbage():
  with pytest.raises(InvalidKernelBinary): sass.read_cubin(b"\x7fELF" + bytes(100))
  with pytest.raises(InvalidKernelBinary): sass.disassemble_container(b"not an elf")
