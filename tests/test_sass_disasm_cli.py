"""`hwrt disasm` ergonomics (issue #13 item 6): every decodable word prints, an undecodable one prints in place as
`.word 0x...` with exit status 1; `--raw --arch sm_90` reads raw words; bad input is one line, exit 2."""
import os, subprocess, sys
import pytest
from hwrt.assemblers import sass
from hwrt.assemblers.sass import asm
from hwrt.assemblers.sass.disasm import disassemble

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOP = 0x000fc000000000000000000000007918
BAD = 0x000fc00000000000000000000000ff00      # opcode 0xf00: nvdisasm rejects it ("Unrecognized operation"), no form/variant

def hwrt(*args):
  env = dict(os.environ, PYTHONPATH=ROOT)
  return subprocess.run([sys.executable, "-m", "hwrt", *args], capture_output=True, text=True, env=env, cwd=ROOT)

def test_listing_marks_undecodable_in_place():
  code = b"".join(w.to_bytes(16, "little") for w in (NOP, BAD, NOP))
  out = disassemble(code)
  assert out.undecodable == 1 and len(out) == 3
  assert "NOP" in out[0] and "NOP" in out[2] and f".word 0x{BAD:032x}" in out[1] and "/*0010*/" in out[1]
  assert asm.encode_line(out[1].split("*/", 1)[1].split("//")[0]) == BAD      # the marker re-assembles to the word

def test_cli_raw(tmp_path):
  p = tmp_path / "w.bin"
  p.write_bytes(b"".join(w.to_bytes(16, "little") for w in (NOP, BAD)))
  r = hwrt("disasm", "--raw", "--arch", "sm_90", str(p))
  assert r.returncode == 1 and "NOP" in r.stdout and ".word" in r.stdout
  p.write_bytes(NOP.to_bytes(16, "little"))
  r = hwrt("disasm", "--raw", "--arch", "sm_90", str(p))
  assert r.returncode == 0 and "NOP" in r.stdout and ".word" not in r.stdout

@pytest.mark.parametrize("args, msg", [(["--raw"], "--raw needs --arch"), (["--raw", "--arch", "sm_75"], "no SASS model for sm_75")])
def test_cli_bad_arguments(tmp_path, args, msg):
  p = tmp_path / "w.bin"; p.write_bytes(NOP.to_bytes(16, "little"))
  r = hwrt("disasm", *args, str(p))
  assert r.returncode == 2 and msg in r.stderr and "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1

def test_cli_odd_size(tmp_path):
  p = tmp_path / "w.bin"; p.write_bytes(b"x" * 17)
  r = hwrt("disasm", "--raw", "--arch", "sm_90", str(p))
  assert r.returncode == 2 and "multiple of 16" in r.stderr and "Traceback" not in r.stderr

def test_cubin_with_an_undecodable_word(tmp_path):
  src = ".kernel k\n.regs 8\n[B------:R-:W-:Y:S01] NOP ;\n.word 0x%032x ;\n[B------:R-:W-:Y:S05] EXIT ;\n" % BAD
  p = tmp_path / "k.cubin"; p.write_bytes(sass.assemble_to_container(src))
  r = hwrt("disasm", str(p))
  assert r.returncode == 1 and "EXIT" in r.stdout and f".word 0x{BAD:032x}" in r.stdout and "1 word(s) not decodable" in r.stderr
