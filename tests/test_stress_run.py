"""`hwrt stress` end to end without hardware: --cmd loops over commands that crash, hang or print driver-like failures into a
test log source; the harness killed with SIGKILL mid-run leaves a journal `report` reads; Ctrl-C ends cleanly; the CLI grammar
and exit codes (0 nothing found, 1 failures found, 2 bad input); parse, report and resume."""
import json, os, random, signal, subprocess, sys, time
from hwrt.stress import journal as J

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "kernel_logs")

def hwrt(*args, timeout=60, **kw):
  return subprocess.run([sys.executable, "-m", "hwrt", "stress", *args], capture_output=True, text=True, timeout=timeout, **kw)

# worker N does failure N, every iteration: 0 segfaults, 1 hangs, 2 prints an Xid into the log, 3 an amdgpu fault + an oops
SCRIPT = r'''
case "$HWRT_STRESS_WORKER" in
0) kill -SEGV $$ ;;
1) sleep 60 ;;
2) echo "NVRM: Xid (PCI:0000:01:00): 31, pid=$$, name=demo, Ch 00000003, intr 10000000. MMU Fault: ENGINE GRAPHICS GPCCLIENT_T1_1 faulted @ 0x0_00001000. Fault is of type FAULT_PDE ACCESS_TYPE_READ" >> "$KLOG"; sleep 0.3 ;;
3) printf '%s\n' "amdgpu 0000:0b:00.0: amdgpu: [gfxhub] page fault (src_id:0 ring:24 vmid:8 pasid:32770, for process demo pid $$ thread demo pid $$)" \
     "amdgpu 0000:0b:00.0: amdgpu:   in page starting at address 0x00007f5279bab000 from client 0x1b (UTCL2)" \
     "BUG: kernel NULL pointer dereference, address: 0000000000000008" "Oops: 0000 [#1] PREEMPT SMP NOPTI" \
     "CPU: 3 PID: $$ Comm: demo Tainted: G           OE      6.8.0-85-generic #85-Ubuntu" \
     "RIP: 0010:amdgpu_vm_fini+0x21/0x610 [amdgpu]" "Code: 48 89 e5 <48> 8b 47 08 5d c3" "Call Trace:" " <TASK>" \
     " amdgpu_driver_postclose_kms+0x1b7/0x2f0 [amdgpu]" " </TASK>" >> "$KLOG"; sleep 0.3 ;;
esac
'''

def test_cmd_loop_detects_crash_hang_and_driver_log_failures(tmp_path):
  (tmp_path / "demo.sh").write_text(SCRIPT)
  klog = tmp_path / "klog"; klog.write_text("")
  j = tmp_path / "j.jsonl"
  p = hwrt("run", "--cmd", f"sh {tmp_path}/demo.sh", "--procs", "4", "--iterations", "2", "--deadline", "1", "--kmsg-file", str(klog),
           "--journal", str(j), "--plain", env={**os.environ, "KLOG": str(klog)})
  assert p.returncode == 1, p.stdout + p.stderr
  recs, dmg = J.read(str(j))
  evs = [r["event"] for r in recs if r["t"] == "event"]
  by = lambda k: [e for e in evs if e["kind"] == k]
  assert {e["worker"] for e in by("crash")} == {0} and by("crash")[0]["signal"] == "SIGSEGV" and len(by("crash")) == 2
  assert {e["worker"] for e in by("hang")} == {1} and len(by("hang")) == 2 and by("hang")[0]["seconds"] >= 1
  assert any(t["wchan"] == "hrtimer_nanosleep" for t in by("hang")[0]["tasks"])     # where the hung iteration sleeps in the kernel
  assert len(by("xid")) == 2 and all(e["xid"] == 31 and e["pci"] == "0000:01:00" and e["process"] == "demo" for e in by("xid"))
  # kernel-log lines carry the pid of the process that hit them: the harness maps it to the worker and iteration that ran it
  assert sorted((e["worker"], e["iteration"]) for e in by("xid")) == [(2, 0), (2, 1)]
  assert sorted((e["worker"], e["iteration"]) for e in by("page_fault") + by("oops")) == [(3, 0), (3, 0), (3, 1), (3, 1)]
  assert len(by("page_fault")) == 2 and by("page_fault")[0]["address"] == "0x00007f5279bab000" and by("page_fault")[0]["vmid"] == 8
  oo = by("oops")
  assert len(oo) == 2 and oo[0]["function"] == "amdgpu_vm_fini" and oo[0]["code_bytes"] == "4889e5488b47085dc3" and oo[0]["code_trap_offset"] == 3
  assert oo[0]["signature"] == oo[1]["signature"] == "BUG: kernel NULL pointer dereference in amdgpu_vm_fini" and oo[0]["vendor"] == "amd"
  start, end = recs[0], recs[-1]
  assert start["t"] == "start" and start["config"]["procs"] == 4 and start["system"]["kernel"] == os.uname().release
  assert end["t"] == "end" and end["reason"] == "iterations done" and end["harness_cpu"]["wall"] > 0
  # report: same summary again, and --json for scripts
  r = hwrt("report", str(j))
  assert r.returncode == 1 and "command killed by SIGSEGV" in r.stdout and "NVRM: Xid 31" in r.stdout
  s = json.loads(hwrt("report", str(j), "--json").stdout)
  assert s["failures"] == 5 and {g["kind"] for g in s["signatures"]} == {"crash", "hang", "xid", "page_fault", "oops"}
  assert {w: st["done"] for w, st in s["workers"].items()} == {"0": 2, "1": 2, "2": 2, "3": 2}

def test_clean_loop_exits_0_and_ctrl_c_ends_cleanly(tmp_path):
  j = tmp_path / "a.jsonl"
  p = hwrt("run", "--cmd", "true", "--procs", "2", "--iterations", "3", "--journal", str(j), "--no-kmsg", "--plain")
  assert p.returncode == 0 and "no failures found" in p.stdout, p.stdout + p.stderr
  j2 = tmp_path / "b.jsonl"
  proc = subprocess.Popen([sys.executable, "-m", "hwrt", "stress", "run", "--cmd", "sleep 0.05", "--procs", "2", "--journal", str(j2),
                           "--no-kmsg", "--plain"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
  time.sleep(1.5)
  proc.send_signal(signal.SIGINT)
  out, err = proc.communicate(timeout=20)
  assert proc.returncode == 0, out + err
  recs, _ = J.read(str(j2))
  assert recs[-1]["t"] == "end" and recs[-1]["reason"] == "interrupted" and recs[-1]["iterations"] > 2

def _alive(pid):
  try: os.kill(pid, 0)
  except ProcessLookupError: return False
  try: return open(f"/proc/{pid}/stat").read().split()[2] != "Z"
  except OSError: return False

def test_harness_sigkill_mid_run_leaves_a_readable_journal(tmp_path):
  rng = random.Random(7)
  klog = tmp_path / "klog"; klog.write_text("")
  for k in range(4):
    j = tmp_path / f"k{k}.jsonl"
    proc = subprocess.Popen([sys.executable, "-m", "hwrt", "stress", "run", "--cmd", f"sh -c 'echo \"NVRM: Xid (PCI:0000:01:00): 13, pid=$$, name=x, "
                             f"Graphics Exception\" >> {klog}'", "--procs", "3", "--journal", str(j), "--kmsg-file", str(klog), "--plain"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(rng.uniform(0.8, 2.0))
    proc.kill(); proc.wait()
    recs, dmg = J.read(str(j))
    assert recs[0]["t"] == "start" and all(r["t"] != "end" for r in recs) and dmg["bad_lines"] == []
    r = hwrt("report", str(j))
    assert r.returncode in (0, 1) and "NO end record" in r.stdout, r.stdout + r.stderr
    pids = {st["pid"] for rec in recs if rec["t"] == "progress" for st in rec["workers"].values() if st["pid"]}
    deadline = time.time() + 3
    while any(_alive(p) for p in pids) and time.time() < deadline: time.sleep(0.05)
    assert not any(_alive(p) for p in pids), "workers outlived the harness"

def _group(pgid):
  out = []
  for d in os.listdir("/proc"):
    if d.isdigit():
      try: st = open(f"/proc/{d}/stat").read().rsplit(")", 1)[1].split()
      except OSError: continue
      if int(st[2]) == pgid and st[0] != "Z": out.append(int(d))
  return out

def test_harness_sigkill_takes_a_hung_command_down_too(tmp_path):
  j = tmp_path / "h.jsonl"
  proc = subprocess.Popen([sys.executable, "-m", "hwrt", "stress", "run", "--cmd", "sleep 30", "--procs", "2", "--journal", str(j),
                           "--no-kmsg", "--plain"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
  deadline = time.time() + 20
  while time.time() < deadline:                       # wait until both workers run their command
    recs = J.read(str(j))[0] if j.exists() and j.stat().st_size else []
    pids = [st["pid"] for r in recs if r["t"] == "progress" for st in r["workers"].values() if st["pid"] and st["current"] is not None]
    if len(set(pids)) == 2 and all(len(_group(p)) >= 2 for p in set(pids)): break
    time.sleep(0.1)
  assert len(set(pids)) == 2
  proc.kill(); proc.wait()
  deadline = time.time() + 5
  while any(_group(p) for p in set(pids)) and time.time() < deadline: time.sleep(0.05)
  assert not any(_group(p) for p in set(pids)), "a worker or its command outlived the harness"

def test_cli_grammar_and_bad_input(tmp_path):
  assert hwrt("run", "--procs", "2").returncode == 2                                   # neither --cmd nor --workload
  assert hwrt("run", "--cmd", "true", "--workload", "mix").returncode == 2
  assert hwrt("run", "--cmd", "true", "--duration", "1", "--iterations", "2").returncode == 2
  assert hwrt("run", "--cmd", "true", "--procs", "0").returncode == 2
  assert hwrt("run", "--cmd", "true", "--env", "NOEQUALS").returncode == 2
  assert hwrt("run", "--workload", "bogus").returncode == 2
  (tmp_path / "junk").write_text("not a journal\n")
  for sub in ("report", "resume"):
    r = hwrt(sub, str(tmp_path / "junk")); assert r.returncode == 2 and "Traceback" not in r.stderr
    assert hwrt(sub, str(tmp_path / "missing")).returncode == 2
  assert hwrt("parse", str(tmp_path / "missing")).returncode == 2
  assert hwrt().returncode == 2

def test_parse_cli_json_lines(tmp_path):
  cases = [json.loads(l) for l in open(os.path.join(CORPUS, "found.jsonl"))]
  text = "\n".join(c["log"] for c in cases)
  f = tmp_path / "dmesg.txt"; f.write_text(text)
  p = hwrt("parse", str(f), "--json")
  assert p.returncode == 1
  evs = [json.loads(l) for l in p.stdout.splitlines()]
  assert all({"kind", "vendor", "signature", "severity", "line"} <= set(e) for e in evs)
  assert {e["kind"] for e in evs} >= {c["kind"] for c in cases}
  f2 = tmp_path / "quiet.txt"; f2.write_text("[    0.000000] Linux version 6.8.0\n[    1.0] usb 1-1: new device\n")
  q = hwrt("parse", str(f2))
  assert q.returncode == 0 and q.stdout == ""

def test_resume_pulls_the_panic_log_from_pstore(tmp_path):
  j = tmp_path / "j.jsonl"
  p = hwrt("run", "--cmd", "true", "--procs", "2", "--iterations", "3", "--journal", str(j), "--no-kmsg", "--plain")
  assert p.returncode == 0
  # the machine "died": drop the end record (as if killed before it), leave a ramoops record
  lines = j.read_text().splitlines(); j.write_text("\n".join(l for l in lines if '"t":"end"' not in l) + "\n")
  ps = tmp_path / "pstore"; ps.mkdir()
  (ps / "dmesg-ramoops-0").write_text("Panic#1 Part1\n<4>[  812.1] NVRM: Xid (PCI:0000:01:00): 79, GPU has fallen off the bus.\n"
                                      "<0>[  812.2] Kernel panic - not syncing: Fatal exception\n")
  r = hwrt("resume", str(j), "--pstore", str(ps))
  assert r.returncode == 1 and "worker 0: last iteration finished: 2" in r.stdout and "kernel panic: Fatal exception" in r.stdout, r.stdout + r.stderr
  recs, _ = J.read(str(j))
  ev = [x["event"] for x in recs if x["t"] == "event"]
  assert {(e["kind"], e["source"]) for e in ev} == {("xid", "pstore"), ("panic", "pstore")}
  assert [x for x in recs if x["t"] == "pstore"][0]["text"].startswith("Panic#1")
  r2 = hwrt("resume", str(j), "--pstore", str(ps))                     # idempotent: the same record is not imported twice
  assert "0 new pstore record(s)" in r2.stdout and len([x for x in J.read(str(j))[0] if x["t"] == "event"]) == 2
