"""Redaction (repro/redact.py) and the `hwrt repro` command line's refusals, without a simulator: a report written from a
journal carrying a planted host name, user, home path, secret environment variable and GPU serial has none of them left
after redact_dir, while the repro code and the simulator settings it needs survive."""
import json, os, subprocess, sys
import pytest
from hwrt.repro import redact as R, report

HOST, USER, SECRET, UUID = "planted-host-q7z", "planted-user-k2", "sekrit-planted-value-9x", "GPU-1a2b3c4d-1111-2222-3333-444455556666"

def test_planted_values_are_removed_and_code_survives(tmp_path, monkeypatch):
  monkeypatch.setenv("USER", USER); monkeypatch.setenv("LOGNAME", USER); monkeypatch.setenv("HOME", f"/home/{USER}")
  monkeypatch.setenv("HWRT_PLANTED_SECRET", SECRET); monkeypatch.setenv("HWRT_SIM_FAULTS", "fault@launch=4")
  system = {"hostname": HOST, "kernel": "6.8.0", "cmdline": f"root=/dev/sda1 host={HOST} token={SECRET}", "hwrt": "0.1.0", "python": "3.11.7",
            "gpus": [{"pci": "0000:01:00.0", "vendor": "nvidia", "device": "0x2330", "driver": "nvidia", "firmware": {"GPU UUID": UUID, "VBIOS": "96.00.74"}}]}
  env_items = ["HWRT_SIM_FAULTS=fault@launch=4", f"HWRT_JOURNAL_SECRET={SECRET}-journal"]
  lines = report.environment(system, "nv:0", {"HWRT_SIM_FAULTS": "fault@launch=4"}, None)
  text = "\n".join(lines) + f"\nobserved: Xid 31 [{HOST.upper()}] /home/{USER}/work/hwrt-stress.jsonl user {USER} serial number: 1324021012345 {SECRET}-journal\n"
  code = "memcpy(map1 + 0x2000, \"\\xde\\xad\", 2);\n  a2.hRoot = h1;   /* NV01_ROOT_CLIENT */\n"
  (tmp_path / "REPORT.md").write_text(text); (tmp_path / "repro.c").write_text(code)
  for planted in (HOST, USER, SECRET, UUID, "1324021012345"): assert planted in text or planted.upper() in text    # the inputs carry them
  changed = R.redact_dir(str(tmp_path), R.secrets(system, env_items))
  out = (tmp_path / "REPORT.md").read_text()
  for planted in (HOST, HOST.upper(), USER, SECRET, UUID, "1324021012345"): assert planted not in out, planted
  assert "<hostname>" in out and "<user>" in out and "<home>" in out and "<env:HWRT_PLANTED_SECRET>" in out and "<serial>" in out
  assert "fault@launch=4" in out and "6.8.0" in out and "96.00.74" in out        # what the repro needs and what is not private stays
  assert (tmp_path / "repro.c").read_text() == code and changed == [str(tmp_path / "REPORT.md")]

def hwrt(*args):
  return subprocess.run([sys.executable, "-m", "hwrt", "repro", *args], capture_output=True, text=True, timeout=120)

def test_cli_refuses_bad_input_with_one_line(tmp_path):
  r = hwrt()
  assert r.returncode == 2 and "make or verify" in r.stderr
  r = hwrt("verify", str(tmp_path))
  assert r.returncode == 2 and "repro.json" in r.stderr and "Traceback" not in r.stderr
  j = tmp_path / "cmd.jsonl"
  j.write_text(json.dumps({"t": "start", "time": 1, "config": {"cmd": "true", "workload": None, "device": "sim:nv", "procs": 1, "seed": 1}}) + "\n"
               + json.dumps({"t": "event", "time": 2, "event": {"kind": "exit", "signature": "command exited with status 1", "severity": "error"}}) + "\n")
  r = hwrt("make", str(j), "-o", str(tmp_path / "b"))
  assert r.returncode == 2 and "--cmd" in r.stderr and "Traceback" not in r.stderr
  r = hwrt("make", str(tmp_path / "missing.jsonl"))
  assert r.returncode == 2 and "no journal" in r.stderr
