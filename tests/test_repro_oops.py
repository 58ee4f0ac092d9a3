"""The oops decoder: every x86 oops with `Code:` bytes in the shared kernel-log corpus (../shared/kernel-logs/) and the
stress author's copy (tests/kernel_logs/) is disassembled with capstone and its faulting instruction (the byte the kernel
printed in <>) is marked; the instructions before it are decoded from an offset that lands exactly on it."""
import glob, json, os
import pytest
from hwrt.stress.logparse import parse_text
from hwrt.repro.report import disassemble, format_disassembly, oops_section

HERE = os.path.dirname(os.path.abspath(__file__))
CORPORA = sorted(glob.glob(os.path.join(HERE, "..", "..", "shared", "kernel-logs", "*.jsonl")) + glob.glob(os.path.join(HERE, "kernel_logs", "*.jsonl")))

def x86_oopses():
  out = []
  for f in CORPORA:
    for line in open(f):
      if not line.strip(): continue
      rec = json.loads(line)
      for ev in parse_text(rec["log"]):
        if ev.get("code_bytes") and ev.get("code_arch") == "x86":
          out.append(pytest.param(rec, ev, id=f"{os.path.basename(f)}:{rec['id']}:{ev['kind']}"))
  return out

CASES = x86_oopses()

def test_the_corpus_has_x86_oopses_with_code_bytes():
  assert len(CASES) >= 3, CORPORA              # the decoder test below must not pass by having nothing to decode

@pytest.mark.parametrize("rec,ev", CASES)
def test_code_line_disassembled_with_the_faulting_instruction_marked(rec, ev):
  code, trap = bytes.fromhex(ev["code_bytes"]), ev["code_trap_offset"]
  code_line = next(l for l in rec["log"].splitlines() if "Code:" in l and "<" in l)
  marked = code_line.split("<", 1)[1].split(">", 1)[0]
  assert code[trap] == int(marked, 16)          # the trap offset is the byte printed in <>
  rows = disassemble(ev["code_bytes"], trap, "x86")
  traps = [r for r in rows if r["trap"]]
  assert len(traps) == 1 and traps[0]["offset"] == 0
  assert bytes.fromhex(traps[0]["bytes"].replace(" ", "")) == code[trap:trap + len(traps[0]["bytes"].split())]
  before = [r for r in rows if r["offset"] < 0]
  assert before, "bytes before the trap were not decoded"
  pos = before[0]["offset"]                      # contiguous up to the trap
  for r in before:
    assert r["offset"] == pos; pos += len(r["bytes"].split())
  assert pos == 0
  text = oops_section(ev)
  assert text.count("<-- trapping instruction") == 1 and traps[0]["text"] in text

def test_known_instructions():
  # amdgpu_get_dpm_state+0x4b (tests/kernel_logs/found.jsonl, amd-oops-get-dpm-state): 48 8b 80 a8 00 00 00 at the trap
  rows = disassemble("488b8368570000488b80a80000004885c0", 7, "x86")
  assert [(r["offset"], r["text"], r["trap"]) for r in rows][:3] == [(-7, "mov rax, qword ptr [rbx + 0x5768]", False),
                                                                     (0, "mov rax, qword ptr [rax + 0xa8]", True), (7, "test rax, rax", False)]
  # a window that starts inside an instruction: decoding from byte 0 would swallow the trap byte; the decoder realigns
  rows = disassemble("8b83" + "90570000" + "0f0b" + "c3", 6, "x86")   # tail of a mov, then ud2 at the trap
  assert [r["text"] for r in rows if r["trap"]] == ["ud2"] and rows[-1]["text"] == "ret"
  assert "<-- trapping instruction" in format_disassembly(rows)
