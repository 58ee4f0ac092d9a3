"""The kernel-log parser on real excerpts from public bug reports (tests/kernel_logs/*.jsonl, each with its source)."""
import json, os, pytest
from hwrt.stress.logparse import parse_text, split_line, KINDS
from hwrt.stress.oops import parse_code_line, decode_taint

HERE = os.path.join(os.path.dirname(__file__), "kernel_logs")
CORPUS = [json.loads(l) for f in sorted(os.listdir(HERE)) if f.endswith(".jsonl") for l in open(os.path.join(HERE, f)) if l.strip()]

def test_corpus_covers_every_vendor_and_kind():
  assert {c["vendor"] for c in CORPUS} >= {"nvidia", "amd", "intel", "kernel"}
  assert {c["kind"] for c in CORPUS} >= {"xid", "ring_timeout", "page_fault", "gpu_reset", "kfd", "gpu_hang", "oops", "warning", "gpf",
                                         "panic", "lockup", "rcu_stall", "hung_task"}
  assert len({c["id"] for c in CORPUS}) == len(CORPUS) and all(c["source"] for c in CORPUS)

@pytest.mark.parametrize("case", CORPUS, ids=[c["id"] for c in CORPUS])
def test_excerpt(case):
  evs = parse_text(case["log"])
  assert all(e["kind"] in KINDS and e["signature"] and e["vendor"] for e in evs)
  first = next((e for e in evs if e["kind"] == case["kind"]), None)
  assert first is not None, f"no {case['kind']} event in {[e['kind'] for e in evs]}"
  got = {k: first.get(k) for k in case["expected"]}
  assert got == case["expected"]
  for want in case.get("also", []):
    assert any(all(e.get(k) == v for k, v in want.items()) for e in evs), f"no event matches {want}"

def test_signature_is_stable_across_pids_addresses_and_slots():
  a = parse_text("[ 1.0] amdgpu 0000:03:00.0: amdgpu: ring comp_1.1.0 timeout, signaled seq=7, emitted seq=9\n"
                 "[ 1.1] amdgpu 0000:03:00.0: amdgpu:  Process a pid 1 thread a pid 2")[0]
  b = parse_text("6,99,5,-;amdgpu 0000:83:00.0: amdgpu: ring comp_1.1.0 timeout, signaled seq=70, emitted seq=90")[0]
  assert a["signature"] == b["signature"] and a["pid"] == 1 and b["seq"] == 99
  x1 = parse_text("NVRM: Xid (PCI:0000:01:00): 13, pid=5, name=a, Graphics Exception: ESR 0x1=0x2")[0]
  x2 = parse_text("NVRM: Xid (PCI:0000:41:00): 13, pid=9, name=b, Graphics Exception: ESR 0x5=0x6")[0]
  x3 = parse_text("NVRM: Xid (PCI:0000:41:00): 31, pid=9, name=b, Ch 00000001")[0]
  assert x1["signature"] == x2["signature"] != x3["signature"]

def test_kmsg_record_prefix_and_continuations():
  meta, msg, body = split_line("3,1234,56789,-;amdgpu 0000:01:00.0: amdgpu: GPU reset begin!")
  assert meta == {"prio": 3, "seq": 1234, "ts": 0.056789, "driver": "amdgpu", "pci": "0000:01:00.0"} and body == "GPU reset begin!"

def test_journalctl_short_monotonic_prefix():
  meta, msg, body = split_line("[  629.844077] rustyspork kernel: BUG: kernel NULL pointer dereference, address: 0000000000000008")
  assert meta["ts"] == 629.844077 and body.startswith("BUG: kernel NULL")

def test_code_line_forms():
  assert parse_code_line("0f 0b <cc> 90") == {"code_bytes": "0f0bcc90", "code_trap_offset": 2, "code_arch": "x86"}
  assert parse_code_line("d503201f (d4210000)") == {"code_bytes": "1f2003d5000021d4", "code_trap_offset": 4, "code_arch": "arm64"}
  assert parse_code_line("Unable to access opcode bytes at 0xffff.")["code_bytes"] is None
  assert parse_code_line("48 89 <c7> 48 >")["code_bytes"] == "4889c748"

def test_taint_decode():
  assert [t["letter"] for t in decode_taint(4097 | 512 | 128)] == ["P", "D", "W", "O"]
  assert decode_taint(0) == []

def test_line_formats_not_in_the_corpus():
  # kernel/watchdog_perf.c: pr_emerg("Watchdog detected hard LOCKUP on cpu %d\n")
  e = parse_text("[  99.1] NMI watchdog: Watchdog detected hard LOCKUP on cpu 3\n[  99.2] RIP: 0010:nv_spin_lock+0x10/0x20 [nvidia]")[0]
  assert (e["kind"], e["lockup_type"], e["cpu"], e["function"], e["vendor"]) == ("lockup", "hard", 3, "nv_spin_lock", "nvidia")
  # kernel BUG at file:line! with the RIP naming the function
  e = parse_text("kernel BUG at drivers/gpu/drm/ttm/ttm_bo.c:123!\ninvalid opcode: 0000 [#1] SMP\nRIP: 0010:ttm_bo_put+0x1/0x2 [ttm]")[0]
  assert (e["kind"], e["file"], e["line_no"], e["signature"]) == ("bug", "drivers/gpu/drm/ttm/ttm_bo.c", 123, "kernel BUG in ttm_bo_put")

def test_noise_is_skipped_and_no_event_is_invented():
  assert parse_text("[    1.0] usb 1-1: new high-speed USB device\n[    2.0] amdgpu 0000:03:00.0: amdgpu: SMU is initialized successfully!") == []

def test_xe_timedout_job_both_formats():
  # drivers/gpu/drm/xe/xe_guc_submit.c: "Timedout job: seqno=%u, guc_id=%d, flags=0x%lx" (6.8), "... lrc_seqno=%u ... in %s [%d]" (6.13+)
  a = parse_text("xe 0000:03:00.0: [drm] Timedout job: seqno=4294967169, guc_id=2, flags=0x0")[0]
  b = parse_text("xe 0000:03:00.0: [drm] GT0: Timedout job: seqno=5, lrc_seqno=5, guc_id=7, flags=0x8 in llama-server [4242]")[0]
  assert (a["kind"], a["driver"], a["guc_id"], a.get("process")) == ("gpu_hang", "xe", 2, None)
  assert (b["process"], b["pid"], b["pci"], b["signature"]) == ("llama-server", 4242, "0000:03:00.0", "xe: GPU hang on ?")

def test_code_bytes_disassemble_to_the_faulting_instruction():
  # marazmista/radeon-profile#147: NULL dereference at 0xa8; the trapping instruction reads [rax+0xa8] with rax = 0
  import capstone
  case = next(c for c in CORPUS if c["id"] == "amd-oops-get-dpm-state")
  e = parse_text(case["log"])[0]
  code = bytes.fromhex(e["code_bytes"])[e["code_trap_offset"]:]
  md = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)
  insn = next(md.disasm(code, 0))
  assert (insn.mnemonic, insn.op_str) == ("mov", "rax, qword ptr [rax + 0xa8]") and int(e["address"], 16) == 0xa8
