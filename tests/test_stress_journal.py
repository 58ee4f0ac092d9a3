"""The journal survives SIGKILL at any point: every record acknowledged after its fsync is read back intact."""
import os, random, signal, time
import pytest
from hwrt.stress import journal
from hwrt.errors import BadInput

def _writer(path, ack_fd, rng_seed):
  j = journal.Journal(path)
  rng = random.Random(rng_seed)
  j.write({"t": "start", "version": journal.VERSION, "config": {"cmd": "x", "procs": 1, "seed": rng_seed}})
  os.write(ack_fd, b"0\n")
  for i in range(1, 1 << 30):
    pad = "x" * rng.choice([10, 1000, 70000])          # some records are bigger than a pipe/page: torn writes happen
    j.write({"t": "event", "event": {"kind": "oops", "signature": f"sig {i % 7}", "n": i, "pad": pad}})
    os.write(ack_fd, f"{i}\n".encode())

@pytest.mark.parametrize("block", range(4))
def test_sigkill_at_100_random_points_loses_nothing_acknowledged(tmp_path, block):
  rng = random.Random(1234 + block)
  for k in range(25):                                   # 4 blocks x 25 = 100 kill points
    path = str(tmp_path / f"j{k}.jsonl")
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
      os.close(r)
      try: _writer(path, w, k)
      finally: os._exit(0)
    os.close(w)
    time.sleep(rng.uniform(0.0, 0.03))
    os.kill(pid, signal.SIGKILL); os.waitpid(pid, 0)
    acked = [int(x) for x in os.read(r, 1 << 20).split()]
    while (more := os.read(r, 1 << 20)): acked += [int(x) for x in more.split()]
    os.close(r)
    if not acked: continue                              # killed before the start record was acknowledged
    recs, damage = journal.read(path)
    assert damage["bad_lines"] == []
    ns = [rec["event"]["n"] for rec in recs if rec["t"] == "event"]
    assert recs[0]["t"] == "start" and ns == list(range(1, len(ns) + 1))
    assert len(ns) >= max(acked), (len(ns), max(acked))         # nothing acknowledged is lost
    s = journal.summarize(recs, damage)
    assert not s["ended"] and s["events"] == len(ns)
    assert "NO end record" in journal.format_summary(s)
    # appending after a torn tail seals it: the old records and the new one both read back
    j = journal.Journal(path); j.write({"t": "end", "reason": "test"}); j.close()
    recs2, d2 = journal.read(path)
    assert recs2[-1]["t"] == "end" and len(recs2) == len(recs) + 1 and d2["torn_tail"] == 0

def test_read_rejects_what_is_not_a_journal(tmp_path):
  p = tmp_path / "x.txt"; p.write_text("hello\nworld\n")
  with pytest.raises(BadInput): journal.read(str(p))
  with pytest.raises(BadInput): journal.read(str(tmp_path / "missing"))
