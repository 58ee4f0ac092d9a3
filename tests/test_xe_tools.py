"""Xe-HPG tools: the learner's --check, the SWSB scheduler, our own kernels in ocloc's container, the CLI."""
import os, subprocess, sys, pytest
from conftest import oracle
from hwrt.assemblers import xe
from hwrt.assemblers.xe import asm, container, iga, sched, syntax, table as T
from hwrt.errors import AssemblerError, InvalidKernelBinary

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KERNEL = """
.kernel add_one
.simd 16
.arg out buffer 8
.arg k value 4
(W) mov (8|M0) r127.0<1>:ud 0x0:ud
    add (16|M0) r10.0<1>:d r2.0<1;1,0>:d 1:w
    mul (16|M0) r12.0<1>:d r10.0<1;1,0>:d r4.0<0;1,0>:d
(W) send.gtwy (8|M0) null r127 null:0 0x0 0x02000010 {EOT}
"""

def hwrt(*args, **kw):
  return subprocess.run([sys.executable, "-m", "hwrt", *args], capture_output=True, text=True, cwd=ROOT,
                        env={**os.environ, "PYTHONPATH": ROOT}, **kw)

def test_learn_check():
  oracle("iga64")
  r = subprocess.run([sys.executable, "-m", "hwrt.assemblers.xe.learn", "--check", "-n", "2000"], capture_output=True,
                     text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": ROOT})
  assert r.returncode == 0, r.stdout + r.stderr
  assert "ops_modelled=" in r.stdout

def test_sched_inserts_waits():
  lines = [(1, "send.dc1 (16|M0) r20 r16 null:0 0x0 0x04205E01"), (2, "add (16|M0) r20.0<1>:d r20.0<1;1,0>:d 1:w"),
           (3, "add (16|M0) r22.0<1>:d r20.0<1;1,0>:d 1:w"), (4, "mov (16|M0) r16.0<1>:d 0:w")]
  out = [t for _, t in sched.schedule(lines)]
  assert out[0].endswith("{$0}")
  assert out[1].endswith("{$0.dst}")          # reads the send's response
  assert out[2].endswith("{A@1}")             # reads the previous add
  assert "$0" not in out[3]                   # the send's payload r16 was released by the .dst wait

def test_sched_output_assembles_and_matches_iga64():
  oracle("iga64")
  out = sched.schedule([(i, ln.strip()) for i, ln in enumerate(KERNEL.splitlines()) if ln.strip() and not ln.startswith(".")])
  code = asm.assemble_lines(out)
  assert iga.assemble("\n".join(t for _, t in out) + "\n") is not None      # iga64 accepts the scheduled text
  back = iga.decode_text(code)                                               # and reads our bytes back as that text
  assert [iga.norm(back[pc]) for pc in sorted(back)] == [iga.norm(t) for _, t in out]

def test_container_round_trip():
  data = xe.assemble_to_container(KERNEL)
  prog = container.read(data)
  (k,) = prog.kernels
  assert k.name == "add_one" and k.simd == 16
  a0, a1 = k.args()
  assert (a0.name, a0.kind, a0.offset, a0.size) == ("out", "buffer", 32, 8)
  assert (a1.name, a1.kind, a1.offset, a1.size) == ("k", "value", 40, 4)
  assert xe.decode(k.isa)[-1].f["op"] == "send"

def test_cli_asm_and_disasm(tmp_path):
  src = tmp_path / "k.s"; src.write_text(KERNEL)
  r = hwrt("asm", "--arch", "xe-hpg", str(src))
  assert r.returncode == 0, r.stderr
  r = hwrt("disasm", str(tmp_path / "k.bin"), "--dump-isa", str(tmp_path / "isa"))
  assert r.returncode == 0, r.stderr
  assert ".kernel add_one" in r.stdout and "send.gtwy" in r.stdout
  isa = (tmp_path / "isa" / "add_one.isa").read_bytes()
  assert isa == container.read((tmp_path / "k.bin").read_bytes()).kernels[0].isa
  # our own disassembly assembles back to the same container ISA
  (tmp_path / "back.s").write_text(r.stdout)
  r2 = hwrt("asm", "--arch", "xe-hpg", str(tmp_path / "back.s"), "-o", str(tmp_path / "back.bin"))
  assert r2.returncode == 0, r2.stderr
  assert container.read((tmp_path / "back.bin").read_bytes()).kernels[0].isa == isa

def test_bad_input_is_one_line(tmp_path):
  bad = tmp_path / "bad.s"; bad.write_text(".kernel k\n    frobnicate (16|M0) r1 r2\n")
  r = hwrt("asm", "--arch", "xe-hpg", str(bad))
  assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
  junk = tmp_path / "junk.bin"
  junk.write_bytes(container.write([("k", b"\xff" * 16, [])]))
  r = hwrt("disasm", str(junk))
  assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
  with pytest.raises(InvalidKernelBinary): container.read(b"\x7fELF" + b"\0" * 60)
  with pytest.raises(AssemblerError): asm.assemble_lines([(1, "add (16|M0) r1.0<1>:d r2.0<1;1,0>:zz 1:w")])
  with pytest.raises(AssemblerError): asm.assemble_lines([(1, "goto (32|M0) nowhere nowhere")])
