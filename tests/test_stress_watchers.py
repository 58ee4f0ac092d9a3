"""Watchers: /dev/kmsg (records, sequence numbers, the permission hint), a tailed log file, kernel taint, vanishing nodes."""
import os, uuid
import pytest
from hwrt.errors import PermissionDenied
from hwrt.stress import watchers as Wt

def test_kmsg_permission_hint_says_how_to_grant_it(monkeypatch):
  def deny(*a, **k): raise PermissionError(1, "Operation not permitted")
  monkeypatch.setattr(Wt.os, "open", deny)
  with pytest.raises(PermissionDenied) as e: Wt.KmsgSource()
  assert "dmesg_restrict=0" in str(e.value) and "CAP_SYSLOG" in str(e.value) and "root" in str(e.value)
  from hwrt.stress.runner import log_source
  notes = []
  assert log_source({"device": None}, notes.append) is None and "dmesg_restrict" in notes[0]

def test_kmsg_reads_new_records_with_sequence_numbers():
  try: src = Wt.KmsgSource()
  except (PermissionDenied, OSError) as e: pytest.skip(f"/dev/kmsg not readable here: {e}")
  if not os.access("/dev/kmsg", os.W_OK): src.close(); pytest.skip("cannot write /dev/kmsg to produce a record")
  tag = f"hwrt-stress-test {uuid.uuid4().hex}"
  with open("/dev/kmsg", "w") as f: f.write(f"<6>{tag}\n")          # an info line, nothing a GPU monitor would match
  lines = src.read(); src.close()
  mine = [l for l in lines if l.endswith(tag)]
  assert mine and int(mine[0].split(",")[1]) >= 0 and mine[0].split(",")[0] in ("6", "14")

def test_file_source_tails_and_handles_truncation(tmp_path):
  f = tmp_path / "log"; f.write_text("old line\n")
  src = Wt.FileSource(str(f))
  assert src.read() == []
  with open(f, "a") as fh: fh.write("3,7,100,-;BUG: soft lockup - CPU#1 stuck for 22s! [x:1]\npartial")
  assert src.read() == ["3,7,100,-;BUG: soft lockup - CPU#1 stuck for 22s! [x:1]"]
  with open(f, "a") as fh: fh.write(" end\n")
  assert src.read() == ["partial end"]
  f.write_text("new\n")
  assert src.read() == ["new"]

def test_watchers_taint_nodes_and_log(tmp_path):
  taint = tmp_path / "tainted"; taint.write_text("4096\n")          # O (out-of-tree module) at start
  node = tmp_path / "nvidia0"; node.write_text("")
  log = tmp_path / "klog"; log.write_text("")
  w = Wt.Watchers(Wt.FileSource(str(log)), nodes=[str(node)], taint_path=str(taint))
  assert w.poll(force_flush=True) == []
  taint.write_text(str(4096 | 512 | 1))                              # + W (warning) and P
  node.unlink()
  log.write_text("NVRM: Xid (PCI:0000:01:00): 79, GPU has fallen off the bus.\n")
  evs = w.poll(force_flush=True)
  kinds = {e["kind"]: e for e in evs}
  assert set(kinds) == {"taint", "device_lost", "xid"}
  assert kinds["taint"]["severity"] == "error" and "W (kernel issued warning)" in kinds["taint"]["signature"]
  assert [b["letter"] for b in kinds["taint"]["taint_added"]] == ["P", "W"]
  assert kinds["device_lost"]["path"] == str(node) and kinds["xid"]["xid"] == 79
  taint.write_text(str(4096 | 512 | 1 | 8192))                       # only E (unsigned module) added: info, not a failure
  assert [e["severity"] for e in w.poll(force_flush=True)] == ["info"]
