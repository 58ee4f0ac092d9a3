"""SASS interpreter errors: unknown instructions are reported (never executed as something else), bad global accesses
become MMU faults with the faulting VA, bad shared accesses and runaway kernels become GPUFault / GPUTimeout."""
import os, sys
import numpy as np
import pytest
from conftest import oracle
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "nv_corpus"))
import build   # noqa: E402
from hwrt.assemblers.sass.asm import encode_line   # noqa: E402
from hwrt.errors import GPUFault, GPUTimeout, Unimplemented   # noqa: E402
from hwrt.helpers import Deadline   # noqa: E402
from hwrt.sim import sass_exec   # noqa: E402
from hwrt.sim.memory import MMUFault   # noqa: E402
from hwrt.sim.sass_harness import Harness, Kernel   # noqa: E402

@pytest.fixture
def h():
  x = Harness(); yield x; x.close()

def raw(h, lines, **kw):
  code = b"".join(encode_line(t, 16 * i).to_bytes(16, "little") for i, t in enumerate(lines))
  return h.load_kernel(Kernel.raw(code, **kw))

def test_unknown_word_is_unimplemented(h):
  tab = sass_exec.table()
  word = next(w for w in range(0x000, 0x1000) if tab.match(w | 0xFC00000000000000000000000000000) is None) | 0xFC00000000000000000000000000000
  prog = h.load_kernel(Kernel.raw(encode_line("NOP ;", 0).to_bytes(16, "little") + word.to_bytes(16, "little")))
  with pytest.raises(Unimplemented) as e: h.launch(prog, [], (1, 1, 1), (32, 1, 1))
  assert f"unimplemented SASS instruction {word:032x}" in str(e.value) and f"at pc {prog[1] + 16:#x}" in str(e.value)

@pytest.mark.parametrize("text,block", [("WARPSYNC.COLLECTIVE R0, 0x10 ;", 32), ("ENDCOLLECTIVE ;", 32),
                                        ("HMMA.16816.F32 R4, R8, R12, R4 ;", 20)])      # mma.sync needs a whole warp
def test_unhandled_form_is_unimplemented(h, text, block):
  """Forms the decoder knows but the interpreter does not implement stop the kernel before anything else happens."""
  out = h.alloc(4)
  lines = ["ULDC.64 UR4, c[0x0][0x208] ;", "IMAD.MOV.U32 R2, RZ, RZ, 0x7 ;", text,
           f"MOV R4, {out & 0xFFFFFFFF:#x} ;", f"MOV R5, {out >> 32:#x} ;", "STG.E desc[UR4][R4.64], R2 ;", "EXIT ;"]
  prog = raw(h, lines)
  with pytest.raises(Unimplemented) as e: h.launch(prog, [], (1, 1, 1), (block, 1, 1))
  assert text.split()[0] in str(e.value) and f"at pc {prog[1] + 32:#x}" in str(e.value)
  assert h.read(out, np.uint32, 1)[0] == 0

def test_unknown_modifier_of_every_form_is_unimplemented():
  """No handler accepts a modifier it does not name: every form of the decoder's table, given one modifier more than it
  has, binds to an instruction that raises Unimplemented naming the instruction, its pc and the modifier."""
  import dataclasses
  from hwrt.assemblers.sass import decoder
  from hwrt.sim import sass_ops
  tab = sass_exec.table()
  for f in tab.forms:
    ins = decoder.decode(f.value, 0x40, tab)
    ins = dataclasses.replace(ins, opcode=ins.opcode + ".NOTAMOD")
    op = sass_ops.bind(ins, 0x40)
    with pytest.raises(Unimplemented) as e: op.fn(None, op, None)
    assert f"unimplemented SASS instruction" in str(e.value) and "at pc 0x40" in str(e.value) and "NOTAMOD" in str(e.value), f.key

def test_guarded_off_unknown_form_is_not_reached(h):
  """An unimplemented instruction that no thread executes (predicated off) is no error; the rest of the kernel runs."""
  out = h.alloc(4)
  prog = raw(h, ["ULDC.64 UR4, c[0x0][0x208] ;", "IMAD.MOV.U32 R2, RZ, RZ, 0x7 ;", "@!PT HMMA.16816.F32 R4, R8, R12, R4 ;",
                 f"MOV R4, {out & 0xFFFFFFFF:#x} ;", f"MOV R5, {out >> 32:#x} ;", "STG.E desc[UR4][R4.64], R2 ;", "EXIT ;"])
  h.launch(prog, [], (1, 1, 1), (1, 1, 1))
  assert h.read(out, np.uint32, 1)[0] == 7

@pytest.fixture(scope="module")
def corpus(): return build.compiled_corpus(oracle)

def test_unmapped_pointer_is_mmu_fault(h, corpus):
  n = 1000
  a = h.buffer(np.ones(n, np.float32)); b = h.buffer(np.ones(n, np.float32))
  bad = 0x7F1234560000
  prog = h.load(corpus["vadd"][1], "vadd")
  with pytest.raises(MMUFault) as e: h.launch(prog, [bad, a, b, (n, "<i")], (4, 1, 1), (256, 1, 1))
  assert e.value.va == bad and e.value.write and e.value.kind == "FAULT_PDE"

def test_read_past_buffer_is_mmu_fault_at_first_bad_address(h, corpus):
  n, short = 1000, 300
  a = h.buffer(np.ones(short, np.float32)); b = h.buffer(np.ones(n, np.float32)); c = h.alloc(4 * n)
  prog = h.load(corpus["vadd"][1], "vadd")
  with pytest.raises(MMUFault) as e: h.launch(prog, [c, a, b, (n, "<i")], (4, 1, 1), (256, 1, 1))
  assert e.value.va == a + 4 * short and not e.value.write

def test_write_to_read_only_mapping_faults(h, corpus):
  n = 64
  a = h.buffer(np.ones(n, np.float32))
  prog = h.load(corpus["vadd"][1], "vadd")
  with pytest.raises(MMUFault) as e: h.launch(prog, [prog[1], a, a, (n, "<i")], (1, 1, 1), (64, 1, 1))   # c = the code
  assert e.value.va == prog[1] and e.value.write and e.value.kind != "FAULT_PDE"     # mapped, but read-only

def test_shared_out_of_window_is_gpu_fault(h):
  prog = raw(h, ["MOV R2, 0x4000 ;", "STS [R2], RZ ;", "EXIT ;"], shared=0x800)
  with pytest.raises(GPUFault) as e: h.launch(prog, [], (1, 1, 1), (32, 1, 1))
  assert not isinstance(e.value, MMUFault) and "0x4000" in str(e.value) and "shared" in str(e.value)

def test_misaligned_global_is_gpu_fault(h):
  buf = h.alloc(64)
  prog = raw(h, ["ULDC.64 UR4, c[0x0][0x208] ;", f"MOV R4, {(buf + 2) & 0xFFFFFFFF:#x} ;", f"MOV R5, {buf >> 32:#x} ;",
                 "LDG.E R2, desc[UR4][R4.64] ;", "EXIT ;"])
  with pytest.raises(GPUFault) as e: h.launch(prog, [], (1, 1, 1), (32, 1, 1))
  assert "misaligned" in str(e.value) and not isinstance(e.value, MMUFault)

def test_infinite_loop_times_out(h):
  prog = raw(h, ["NOP ;", "BRA 0x10 ;"])
  with pytest.raises(GPUTimeout):
    sass_exec.execute(h.launch_desc(prog, [], (1, 1, 1), (32, 1, 1)), h.mem, Deadline(0.3))

@pytest.mark.isolated
def test_fault_through_driver_is_xid31_and_channel_recovers(corpus):
  """Full path: the interpreter's MMUFault becomes an Xid 31 line in the simulated kmsg and the error notifier, the driver
  raises GPUFault(xid=31); after recovery the same program runs correctly."""
  from hwrt.devices import open_device
  from hwrt.sim import kmsg
  dev = open_device("sim:nv")
  try:
    n = 512
    x = np.arange(n, dtype=np.float32)
    A, B, C = dev.alloc(4 * n), dev.alloc(4 * n), dev.alloc(4 * n)
    dev.copyin(A, x.tobytes()); dev.copyin(B, x.tobytes())
    prog = dev.load(corpus["vadd"][1], "vadd")
    bad = 0x7F1234560000
    with pytest.raises(GPUFault) as e:
      dev.launch(prog, [bad, A, B, np.int32(n)], (2, 1, 1), (256, 1, 1)); dev.synchronize()
    assert e.value.info.get("xid") == 31
    log = open(kmsg.kmsg_path()).read().splitlines()
    hits = [l for l in log if ": 31, " in l and f"{bad >> 32:x}_{bad & 0xFFFFFFFF:08x}" in l]
    assert hits and "FAULT_PDE" in hits[-1] and "WRITE" in hits[-1]
    dev.launch(prog, [C, A, B, np.int32(n)], (2, 1, 1), (256, 1, 1)); dev.synchronize()
    assert np.array_equal(np.frombuffer(dev.copyout(C, 4 * n), np.float32), x + x)
  finally: dev.close()

def test_trap_is_gpu_fault(h):
  prog = raw(h, ["NOP ;", "BPT.TRAP 0x1 ;", "EXIT ;"])
  with pytest.raises(GPUFault) as e: h.launch(prog, [], (1, 1, 1), (32, 1, 1))
  assert "BPT.TRAP" in str(e.value) and f"at pc {prog[1] + 16:#x}" in str(e.value) and not isinstance(e.value, MMUFault)
