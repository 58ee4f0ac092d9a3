"""Single RDNA3 instructions on the simulated GPU, written with hwrt's own assembler (assemblers/rdna3) and checked against
values the RDNA3 ISA guide defines: instructions LLVM's codegen rarely emits (so the OpenCL corpus does not reach them) and the
encodings gfx11 changed (M0 = 125, NULL = 124)."""
import struct
import numpy as np
import pytest
from hwrt.errors import GPUFault
from hwrt.assemblers.rdna3 import asm
from hwrt.sim import kernel
from hwrt.sim.amd.testbench import Bench

PRO = """s_load_b128 s[4:7], s[0:1], 0x0
v_lshlrev_b32 v20, 2, v0
s_waitcnt lgkmcnt(0)
global_load_b32 v1, v20, s[4:5]
global_load_b32 v2, v20, s[4:5] offset:128
global_load_b32 v3, v20, s[4:5] offset:256
s_waitcnt vmcnt(0)
"""
EPI = """global_store_b32 v20, v1, s[6:7]
global_store_b32 v20, v2, s[6:7] offset:128
global_store_b32 v20, v3, s[6:7] offset:256
s_endpgm
"""

@pytest.fixture
def b():
  m = kernel.new_machine("amd")
  yield Bench(m.syscalls)
  m.close()

def run(b, body, v1, v2=None, v3=None):
  """32 lanes; v1..v3 in, v1..v3 out (uint32 each)"""
  code = asm.assemble(PRO + body + "\n" + EPI)[0]
  bo = b.upload(bytes(code) + b"\0" * 256)
  ins = [np.asarray(x if x is not None else np.zeros(32), np.uint32) for x in (v1, v2, v3)]
  IN, OUT = b.upload(np.concatenate(ins).tobytes()), b.alloc(3 * 128)
  k = dict(entry=bo.va, rsrc1=0x40AF0003, rsrc2=2 << 1, props=0x400, lds=0)    # 32 VGPRs, 2 user SGPRs (kernarg), wave32
  b.dispatch(k, struct.pack("<QQ", IN.va, OUT.va), (1, 1, 1), (32, 1, 1), timeout=10)
  return OUT.view[:384].view(np.uint32).reshape(3, 32).copy()

L = np.arange(32, dtype=np.uint32)

def test_m0_and_null_are_gfx11s(b):
  out = run(b, "s_mov_b32 m0, 0x1234\ns_mov_b32 null, 77\nv_mov_b32 v1, m0\nv_mov_b32 v2, null", L)
  assert (out[0] == 0x1234).all() and (out[1] == 0).all()           # writes to null vanish, M0 keeps its value

def test_swap_nop_pipeflush(b):
  out = run(b, "v_nop\nv_swap_b32 v1, v2\nv_pipeflush", L, L + 100)
  assert np.array_equal(out[0], L + 100) and np.array_equal(out[1], L)

def test_bitcmp_bitset(b):
  body = ("s_mov_b32 s2, 0x10\ns_bitcmp1_b32 s2, 4\ns_cselect_b32 s3, 1, 0\ns_bitcmp0_b32 s2, 4\ns_cselect_b32 s8, 1, 0\n"
          "s_bitset1_b32 s2, 1\ns_bitset0_b32 s2, 4\nv_mov_b32 v1, s3\nv_mov_b32 v2, s8\nv_mov_b32 v3, s2")
  out = run(b, body, L)
  assert (out[0] == 1).all() and (out[1] == 0).all() and (out[2] == 0x2).all()

def test_fma_mix(b):
  x = np.linspace(-2, 2, 32).astype(np.float16); y = np.float32(1.5); z = np.linspace(0, 1, 32).astype(np.float32)
  v1 = x.view(np.uint16).astype(np.uint32) << 16                       # the f16 source in the high half
  out = run(b, "v_fma_mix_f32 v3, v1, v2, v3 op_sel:[1,0,0] op_sel_hi:[1,0,0]", v1, np.full(32, y).view(np.uint32), z.view(np.uint32))
  assert np.array_equal(out[2].view(np.float32), (x.astype(np.float64) * y + z).astype(np.float32))

def test_dot4_u32_u8(b):
  a = np.random.default_rng(3).integers(0, 2**32, 32, dtype=np.uint64).astype(np.uint32)
  c = np.random.default_rng(4).integers(0, 2**32, 32, dtype=np.uint64).astype(np.uint32)
  out = run(b, "v_dot4_u32_u8 v3, v1, v2, v3", a, c, L)
  ref = L.astype(np.uint64) + sum(((a >> (8 * i)) & 255).astype(np.uint64) * ((c >> (8 * i)) & 255) for i in range(4))
  assert np.array_equal(out[2], (ref & 0xFFFFFFFF).astype(np.uint32))

def test_unknown_instruction_faults_with_its_name(b):
  with pytest.raises(GPUFault) as e: run(b, "v_movrels_b32 v1, v2", L)
  assert "unimplemented RDNA3 instruction v_movrels_b32_e32 at pc" in str(e.value)
