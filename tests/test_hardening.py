"""Issue #20 "Found": every command a hostile user tried, as a regression test. Each case gives one clear line and the
promised exit code (0 ok, 1 failure found, 2 bad input), creates no file it should not, and finishes within its deadline."""
import json, os, struct, time
import numpy as np, pytest
from cli_harness import run_cli
from hwrt.assemblers.elf import SHDR

VADD = os.path.join(os.path.dirname(__file__), "examples", "vadd.sass.s")
L = ["--device", "sim:nv", "--grid", "4", "--block", "64", "--arg", "a=f32[256]:rand", "--arg", "b=f32[256]:rand",
     "--arg", "c=f32[256]:zeros", "--arg", "n=u32:256"]

@pytest.fixture(scope="module")
def work(tmp_path_factory):
  d = tmp_path_factory.mktemp("hardening")
  r = run_cli(["asm", VADD, "--arch", "sm_90", "-o", d / "K"])
  assert r.rc == 0, r
  return d

def _patch_section(data: bytes, pick, **fields) -> bytes:
  """set header fields (type, link, size, ...) of the first section header for which pick(index, fields) holds"""
  names = ("name", "type", "flags", "addr", "offset", "size", "link", "info", "align", "entsize")
  shoff, shnum = struct.unpack_from("<Q", data, 0x28)[0], struct.unpack_from("<H", data, 0x3C)[0]
  out = bytearray(data)
  for i in range(1, shnum):
    h = dict(zip(names, struct.unpack_from(SHDR, data, shoff + 64 * i)))
    if pick(i, h):
      h.update(fields); struct.pack_into(SHDR, out, shoff + 64 * i, *(h[n] for n in names)); return bytes(out)
  raise AssertionError("no such section")

def _files(d): return sorted(os.listdir(d))

def expect(r, rc, match=None, seconds=None):
  assert not r.problems(), (r.problems(), r)
  assert r.rc == rc, r
  if rc: assert any(l.startswith("hwrt") for l in r.err.splitlines()), r
  if match: assert match in r.err, r
  if seconds: assert r.seconds < seconds, r

# ---- code execution through --check (item 1): rejected before the launch, nothing written
HOSTILE_CHECKS = ["np.ctypeslib.ctypes.CDLL(None).system(b'id > owned') == 0", "np.save('owned', c) is None",
                  "np.savetxt('owned', c) is None", "9**9**9**9", "c", "1", "", "__import__('os').system('id')",
                  "(lambda: 1)() == 1", "[x for x in c] == c", "c.tofile('owned') is None", "np.lib.npyio.save('owned', c)",
                  "a.__class__", "open('owned', 'w')", "getattr(np, 'save')('owned', c)", "2 ** c", "(" * 5000 + "c" + ")" * 5000,
                  "c == " + "+".join(["a"] * 1000), "np.frombuffer(b'x', 'u1')", "c[::0] == 1", "c['x'] == 1", "'a' == 'a'"]

@pytest.mark.parametrize("expr", HOSTILE_CHECKS, ids=range(len(HOSTILE_CHECKS)))
def test_hostile_check_is_bad_input_and_writes_nothing(work, expr, monkeypatch):
  monkeypatch.chdir(work)
  before = _files(work)
  r = run_cli(["launch", work / "K", *L, "--check", expr], timeout=20)
  expect(r, 2, "--check", seconds=15)
  assert "launch(es)" not in r.out, r                   # validated before the launch
  assert _files(work) == before

@pytest.mark.parametrize("expr,rc", [("c == a + b", 0), ("allclose(c, a + b) and all(c == a + b)", 0), ("np.all(c >= -100)", 0),
                                     ("c == a - b", 1), ("sum(c) > 1e9", 1), ("abs(c - (a + b)) < 1e-4", 0), ("n == 256", 0)])
def test_check_language_still_checks(work, expr, rc):
  expect(run_cli(["launch", work / "K", *L, "--check", expr]), rc)

# ---- hangs (item 2, 3): special files, unbounded counts, a launch that overruns its deadline
SPECIAL = ["/dev/zero", "/dev/urandom"]
READERS = [["launch", "{f}", *L], ["asm", "{f}"], ["disasm", "{f}"], ["trace", "show", "{f}"], ["stress", "report", "{f}"],
           ["stress", "parse", "{f}"], ["repro", "make", "{f}"], ["stress", "resume", "{f}"]]

@pytest.mark.parametrize("special", SPECIAL)
@pytest.mark.parametrize("argv", READERS, ids=lambda a: " ".join(a[:2]))
def test_special_files_are_refused(work, argv, special):
  expect(run_cli([a.replace("{f}", special) for a in argv], timeout=10), 2, "not a regular file", seconds=8)

def test_directory_input_is_refused(work):
  expect(run_cli(["disasm", work]), 2, "is a directory")

@pytest.mark.parametrize("extra,what", [(["--procs", "100000"], "--procs"), (["--ops", "100000000000", "--deadline", "5"], "--ops"),
                                        (["--ops", "-1"], "--ops"), (["--deadline", "0"], "--deadline"), (["--procs", "0"], "--procs")])
def test_stress_counts_are_bounded(work, extra, what):
  r = run_cli(["stress", "run", "--workload", "launch-loop", "--device", "sim:nv", "--iterations", "1", "--journal", work / "j.jsonl", *extra])
  expect(r, 2, what, seconds=10)
  assert not os.path.exists(work / "j.jsonl")

@pytest.mark.isolated
def test_huge_grid_stops_at_its_deadline(work):
  r = run_cli(["launch", work / "K", "--device", "sim:nv", "--grid", "2147483647", "--block", "1024", "--arg", "a=f32[256]:rand",
               "--arg", "b=f32[256]:rand", "--arg", "c=f32[256]:zeros", "--arg", "n=u32:256", "--timeout", "2"], timeout=60)
  expect(r, 1, "timeout", seconds=12)           # was: "10 s timeout" printed, exit after ~58 s

# ---- tracebacks and internal errors on bad input (items 2, 3)
@pytest.mark.parametrize("arg,match", [("a=f32[99999999999999]:rand", "bytes"), ("n=u32:-1", "out of range"),
                                       ("n=u32:99999999999999999999", "out of range"), ("n=f32:1e39", "out of range"),
                                       ("n=i8:128", "out of range"), ("a=f32[256]:/dev/zero", "not a regular file")])
def test_arg_values_are_range_checked(work, arg, match):
  argv = ["launch", work / "K", *L]
  key = arg.split("=")[0]
  i = next(i for i, a in enumerate(argv) if str(a).startswith(key + "="))
  argv[i] = arg
  expect(run_cli(argv), 2, match)

@pytest.mark.parametrize("old,new,match", [("n=u32:256", "n=u64:256", "parameter 3"), ("a=f32[256]:rand", "a=u32:5", "is 8 bytes, a u32 is 4"),
                                           ("n=u32:256", "n=u32[4]:zeros", "parameter 3")])
def test_arg_layout_matches_the_cubin(work, old, new, match):
  expect(run_cli(["launch", work / "K", *[new if a == old else a for a in L]]), 2, match)

@pytest.mark.parametrize("opt", [["--timeout", "0"], ["--timeout", "-1"], ["--timeout", "nan"], ["--flops", "-1"], ["--repeat", "0"],
                                 ["--repeat", "99999999999999999999"], ["--device", ""], ["--grid", "2147483648"], ["--block", "2048"],
                                 ["--bytes", "-5"]])
def test_launch_options_are_bounded(work, opt):
  expect(run_cli(["launch", work / "K", *L, *opt]), 2)

@pytest.mark.parametrize("src,match", [(".kernel k\n.regs 100000\nEXIT ;\n", ".regs"), (".kernel k\n.param 99999999999\nEXIT ;\n", ".param"),
                                       (".kernel k\n@P9 EXIT ;\n", "P9"), (".kernel k\nEXIT ;\n.kernel k\nEXIT ;\n", "k"),
                                       (b"\xff\xfe\x00binary", "offset"), (".kernel k\n\0EXIT ;\n", "NUL")])
def test_bad_assembly_is_bad_input(work, src, match):
  p = work / "bad.s"
  p.write_bytes(src if isinstance(src, bytes) else src.encode())
  expect(run_cli(["asm", p, "-o", work / "bad.cubin"]), 2, match)

@pytest.mark.parametrize("debug", ["yes", "", "2.5", "-1", "verbose"])
def test_debug_is_parsed_leniently(work, debug):
  expect(run_cli(["launch", work / "K", *L], env={"DEBUG": debug}), 0)

def _mutants(k: bytes) -> dict:
  shstrndx = struct.unpack_from("<H", k, 0x3E)[0]
  return {"sh_link out of range": _patch_section(k, lambda i, h: True, link=999),
          "REL size not a multiple of 16": _patch_section(k, lambda i, h: h["type"] == 1, type=9, size=17, entsize=16),
          "section-name index corrupt": k[:0x3E] + struct.pack("<H", 0x7777) + k[0x40:],
          "name offset past the string table": _patch_section(k, lambda i, h: True, name=0xFFFFFF),
          "section data past the file": _patch_section(k, lambda i, h: i != shstrndx and h["type"] == 1, offset=1 << 40),
          "symtab size not a multiple of 24": _patch_section(k, lambda i, h: h["type"] == 2, size=25),
          "truncated": k[:100], "header only": k[:64]}

@pytest.mark.parametrize("mutant", ["sh_link out of range", "REL size not a multiple of 16", "section-name index corrupt",
                          "name offset past the string table", "section data past the file", "symtab size not a multiple of 24",
                          "truncated", "header only"])
@pytest.mark.parametrize("cmd", ["disasm", "launch"])
def test_malformed_cubins_are_invalid_binaries(work, mutant, cmd):
  p = work / "m.cubin"
  p.write_bytes(_mutants((work / "K").read_bytes())[mutant])
  expect(run_cli(["disasm", p] if cmd == "disasm" else ["launch", p, *L]), 2, "invalid kernel binary")

BAD_JOURNALS = {"wrong field types": [{"t": "start", "time": "x", "config": [], "version": 1}, {"t": "event", "event": "s"},
                                      {"t": "progress", "time": 1, "workers": [1, 2]}, {"t": "end", "time": None, "reason": 5}],
                "event without signature": [{"t": "start", "time": 1, "config": {"device": "sim:nv"}}, {"t": "event", "time": 2, "event": {}}],
                "config wrong": [{"t": "start", "time": 1, "config": {"device": 7, "procs": "x"}}]}

@pytest.mark.parametrize("name", BAD_JOURNALS)
@pytest.mark.parametrize("cmd", [["stress", "report"], ["repro", "make"], ["stress", "resume"]])
def test_malformed_journals_are_bad_input(work, name, cmd):
  p = work / "bad.jsonl"
  p.write_text("".join(json.dumps(r) + "\n" for r in BAD_JOURNALS[name]))
  extra = ["-o", work / "bundle", "--budget", "5"] if cmd[1] == "make" else ["--pstore", work / "nopstore"] if cmd[1] == "resume" else []
  r = run_cli([*cmd, p, *extra], timeout=30)
  if cmd[1] == "report" and r.rc == 0: expect(r, 0, None); assert "journal damage" in r.out, r   # the good records, the bad lines named
  else: expect(r, 2)

def test_deeply_nested_json_is_bad_input(work):
  p = work / "deep.jsonl"
  p.write_text("[" * 100000 + "]" * 100000 + "\n")
  for argv in (["trace", "show", p], ["stress", "report", p]): expect(run_cli(argv), 2)

def test_binary_trace_is_bad_input(work):
  p = work / "bin.jsonl"
  p.write_bytes(b'{"a": 1}\n\xff\xfe\x80\n')
  expect(run_cli(["trace", "show", p]), 2, "offset")

# ---- output paths: validated before any work, bad input (exit 2), never "internal error"
def _unwritable(work):
  d = work / "ro"; d.mkdir(exist_ok=True); d.chmod(0o500)
  return d

@pytest.mark.parametrize("where", ["missing-dir", "directory", "unwritable", "/dev/full"])
def test_output_paths(work, where):
  if where == "unwritable" and os.geteuid() == 0: pytest.skip("root writes anywhere")
  path = {"missing-dir": str(work / "nope" / "x"), "directory": str(work), "unwritable": str(_unwritable(work) / "x"),
          "/dev/full": "/dev/full"}[where]
  expect(run_cli(["asm", VADD, "-o", path]), 2)
  r = run_cli(["launch", work / "K", *L, "--out", f"c={path}"])
  expect(r, 2); assert "launch(es)" not in r.out, r                  # refused before the launch
  expect(run_cli(["trace", "-o", path, "--", "true"]), 2)
  if where != "/dev/full": expect(run_cli(["repro", "make", work / "none.jsonl", "-o", path + ("/x" if where == "directory" else "")]), 2)

class ClosedPipe:
  def write(self, s): raise BrokenPipeError(32, "Broken pipe")
  def flush(self): raise BrokenPipeError(32, "Broken pipe")
  def fileno(self): return os.open(os.devnull, os.O_WRONLY)

def test_closed_stdout_ends_quietly(work):
  r = run_cli(["disasm", work / "K"], stdout=ClosedPipe())
  assert r.rc == 0 and not r.err, r

# ---- wrong answers, silently (item 3)
@pytest.mark.parametrize("argv,match", [
  (["stress", "run", "--cmd", "", "--iterations", "1"], "--cmd"), (["stress", "run", "--cmd", "true", "--iterations", "1", "--device", ""], "device"),
  (["repro", "verify", "{w}", "--device", "bogus"], "bogus"), (["repro", "verify", "{w}", "--jobs", "-2"], "--jobs"),
  (["stress", "run", "--workload", "launch-loop", "--device", "bogus", "--iterations", "1"], "bogus"),
  (["repro", "make", "{w}/none.jsonl", "--budget", "0"], "--budget"), (["repro", "make", "{w}/none.jsonl", "--budget", "inf"], "--budget")])
def test_bad_options_are_bad_input(work, argv, match):
  expect(run_cli([str(a).replace("{w}", str(work)) for a in argv], timeout=20), 2, match)

def test_garbage_fault_spec_is_bad_input(work):
  # a fresh process: the in-process simulated machine has read its fault plan already
  import subprocess, sys
  root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
  for argv in (["launch", str(work / "K"), *L], ["stress", "run", "--workload", "launch-loop", "--device", "sim:nv", "--iterations", "1",
                                                  "--env", "HWRT_SIM_FAULTS=garbage@@", "--journal", str(work / "gj.jsonl")]):
    p = subprocess.run([sys.executable, "-m", "hwrt", *argv], capture_output=True, text=True, timeout=60, cwd=root,
                       env={**os.environ, "HWRT_SIM_FAULTS": "garbage@@", "PYTHONPATH": root})
    assert p.returncode == 2 and "HWRT_SIM_FAULTS" in p.stderr and "Traceback" not in p.stderr, (argv, p.returncode, p.stderr[-800:])

def test_repro_make_honours_its_budget_on_a_long_journal(work):
  """A failure at iteration 300000 of a long run: its whole history (4.8 million ops) was built and tried whatever --budget said."""
  p = work / "long.jsonl"
  recs = [{"t": "start", "time": 1.0, "version": 1, "config": {"workload": "launch-loop", "device": "sim:nv", "seed": 1, "procs": 1,
           "ops": 16, "env": [], "deadline": 10.0}},
          {"t": "event", "time": 2.0, "event": {"kind": "workload_error", "signature": "GPU fault in launch", "severity": "error",
           "worker": 0, "iteration": 300000}}]
  p.write_text("".join(json.dumps(r) + "\n" for r in recs))
  t0 = time.monotonic()
  r = run_cli(["repro", "make", p, "-o", work / "long-bundle", "--budget", "3", "--rate-runs", "1", "--verify-runs", "0"], timeout=60)
  expect(r, 1, "did not reproduce")                  # launch-loop on a healthy simulator: nothing to reproduce
  assert time.monotonic() - t0 < 30, r

def test_debug_2_reports_bandwidth_and_flops(work):
  """item 6: GB/s from the buffer arguments (said to be an upper bound) unless --bytes; GFLOP/s from --flops"""
  r = run_cli(["launch", work / "K", *L, "--flops", "256"], env={"DEBUG": "2"})
  expect(r, 0)
  line = next(l for l in r.err.splitlines() if l.startswith("***") and "GB/s" in l and "vadd" in l)
  gbps, gflops = float(line.split()[-2]), float(line.split("GFLOP/s")[0].split()[-1])
  assert gbps > 0 and gflops > 0, line
  assert "3072 bytes" in r.err and "upper bound" in r.err, r.err
  r2 = run_cli(["launch", work / "K", *L, "--bytes", "3072000"], env={"DEBUG": "2"})
  line2 = next(l for l in r2.err.splitlines() if l.startswith("***") and "GB/s" in l and "vadd" in l)
  assert "upper bound" not in r2.err and float(line2.split()[-2]) > gbps, r2.err

RDNA3 = """.text
.globl k
.p2align 8
k:
  s_endpgm
.rodata
.amdhsa_kernel k
  .amdhsa_next_free_vgpr 1
  .amdhsa_next_free_sgpr 1
{extra}
.end_amdhsa_kernel
"""

@pytest.mark.parametrize("extra", [".amdhsa_group_segment_fixed_size 99999999999", ".amdhsa_next_free_vgpr 99999",
                                   ".hwrt_arg x, 0, 99999999999999999999999, global_buffer", ".amdhsa_kernarg_size -1"])
def test_rdna3_values_past_their_fields_are_assembler_errors(work, extra):
  """found by tests/fuzz (seeds 0 and 21): struct.error / OverflowError / ValueError from the code object writer"""
  p = work / "r.s"; p.write_text(RDNA3.format(extra=extra))
  expect(run_cli(["asm", p, "--arch", "gfx1100", "-o", work / "r.hsaco"]), 2)

def test_rdna3_kernel_without_a_name(work):
  p = work / "r.s"; p.write_text(RDNA3.replace(".amdhsa_kernel k", ".amdhsa_kernel").format(extra=""))
  expect(run_cli(["asm", p, "--arch", "gfx1100", "-o", work / "r.hsaco"]), 2, ".amdhsa_kernel NAME")
