"""REPORT.md for a repro bundle, and the oops decoder: the `Code:` bytes of a kernel oops (stress/oops.py extracts them)
disassembled with capstone, the faulting instruction (the byte the kernel printed in <>, or in () on arm64) marked, as
the kernel's scripts/decodecode does: the bytes before the trap are decoded from the first offset whose instruction
stream lands exactly on the trap byte."""
from __future__ import annotations
import json, re, time

def _capstone(arch: str):
  import capstone
  if arch == "x86": md = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)
  elif arch == "arm64": md = capstone.Cs(capstone.CS_ARCH_ARM64 if hasattr(capstone, "CS_ARCH_ARM64") else capstone.CS_ARCH_AARCH64, capstone.CS_MODE_ARM)
  else: raise ValueError(f"no disassembler for {arch!r}")
  md.skipdata = False
  return md

def _lands(md, code: bytes, start: int, trap: int) -> list | None:
  """instructions from start that end exactly at trap (None if the stream overruns it or hits an undecodable byte)"""
  out, pos = [], start
  for i in md.disasm(code[start:trap], start):
    out.append(i); pos = i.address + i.size
  return out if pos == trap else None

def disassemble(code_hex: str, trap: int | None, arch: str = "x86", rip: int | None = None) -> list[dict]:
  """-> [{offset, bytes, text, trap}] for the Code: bytes; offsets are relative to the trap byte (0 = faulting instruction)."""
  code = bytes.fromhex(code_hex)
  md = _capstone(arch)
  trap = 0 if trap is None else trap
  before = []
  if arch == "arm64": before = list(md.disasm(code[:trap], 0)) if trap % 4 == 0 else []
  else:
    for start in range(0, trap):                      # longest decodable prefix that lands on the trap byte
      got = _lands(md, code, start, trap)
      if got is not None and all(i.mnemonic != "(bad)" for i in got): before = got; break
  after = list(md.disasm(code[trap:], trap))
  out = []
  for i in before + after:
    out.append({"offset": i.address - trap, "bytes": i.bytes.hex(" "), "text": f"{i.mnemonic} {i.op_str}".strip(), "trap": i.address == trap})
  if not any(x["trap"] for x in out) and trap < len(code):       # not decodable at the trap: say so rather than hide it
    out.append({"offset": 0, "bytes": code[trap:trap + 1].hex(), "text": "(undecodable)", "trap": True})
  return out

def format_disassembly(rows: list[dict], rip: str | None = None) -> str:
  w = max([len(r["bytes"]) for r in rows] + [8])
  lines = []
  for r in rows:
    where = f"{rip}{r['offset']:+#x}" if rip else f"{r['offset']:+#06x}"
    lines.append(f"{where:>14}:  {r['bytes']:<{w}}  {r['text']}" + ("   <-- trapping instruction" if r["trap"] else ""))
  return "\n".join(lines)

def dmesg_line(l: str) -> str:
  """/dev/kmsg record "prio,seq,usec,-;message" -> dmesg's "[seconds.micro] message"; other lines unchanged"""
  m = re.match(r"^\d+,\d+,(\d+),[^;]*;(.*)$", l)
  return f"[{int(m[1]) // 1000000:5d}.{int(m[1]) % 1000000:06d}] {m[2]}" if m else l

def oops_section(ev: dict) -> str:
  """Markdown for one kernel-log event: the raw lines, the decoded Code:, the call trace with modules."""
  out = [f"### {ev.get('signature')}", ""]
  raw = ev.get("raw_lines") or ev.get("lines")
  if isinstance(raw, list) and raw: out += ["```", *[dmesg_line(str(l)) for l in raw[:60]], "```", ""]
  elif ev.get("line"): out += ["```", dmesg_line(ev["line"]), "```", ""]
  if ev.get("code_bytes"):
    try:
      rows = disassemble(ev["code_bytes"], ev.get("code_trap_offset"), ev.get("code_arch") or "x86")
      fn = f"{ev['function']}+{ev['offset']}" if ev.get("function") and ev.get("offset") else None
      out += [f"`Code:` disassembled (capstone, {ev.get('code_arch') or 'x86'}), offsets from the faulting instruction" +
              (f" at {fn}" + (f" [{ev['module']}]" if ev.get("module") else "") if fn else "") + ":", "", "```", format_disassembly(rows), "```", ""]
    except Exception as e: out += [f"(`Code:` bytes could not be disassembled: {e})", ""]
  frames = ev.get("call_trace") or []
  if frames:
    out += ["Call Trace:", "", "```"]
    for f in frames[:40]:
      if isinstance(f, dict):
        out.append(f"{'' if f.get('reliable', True) else '? '}{f.get('function')}+{f.get('offset')}/{f.get('size')}" + (f" [{f['module']}]" if f.get("module") else ""))
      else: out.append(str(f))
    out += ["```", ""]
  mods = sorted({f.get("module") for f in frames if isinstance(f, dict) and f.get("module")} | set(ev.get("modules") or []))
  if mods: out += ["Modules in the trace / linked in: " + ", ".join(f"`{m}`" for m in mods), ""]
  return "\n".join(out)

def environment(system: dict | None, device: str, sim_env: dict, sim_info: dict | None) -> list[str]:
  s = system or {}
  lines = [f"- device: `{device}`" + (" (hwrt's simulated GPU behind the same kernel interface; run under `hwrt sim-run`)" if device.startswith("sim:") else "")]
  lines.append(f"- {'host ' if device.startswith('sim:') else ''}kernel: {s.get('kernel', '?')} ({s.get('kernel_version', '?')}), {s.get('machine', '?')}")
  for m, v in (s.get("drivers") or {}).items(): lines.append(f"- driver {m}: {v}")
  for g in s.get("gpus") or []:
    lines.append(f"- GPU {g.get('pci')}: vendor {g.get('vendor')} device id {g.get('device')}, bound to {g.get('driver')}")
    for k, v in (g.get("firmware") or {}).items(): lines.append(f"  - firmware {k}: {v}")
  if sim_info:
    cc = sim_info.get("compute_class")
    lines.append(f"- simulated GPU: {sim_info.get('name')} ({sim_info.get('arch')}, {sim_info.get('compute_units')} SMs), PCI {sim_info.get('pci')}, "
                 f"driver {sim_info.get('driver')}" + (f", compute class {cc:#06x}" if isinstance(cc, int) else ""))
  if sim_env: lines.append("- simulator settings: " + ", ".join(f"`{k}={v}`" for k, v in sorted(sim_env.items())))
  lines.append(f"- hwrt {s.get('hwrt') or _hwrt_version()}, Python {s.get('python', '?')}")
  if s.get("cmdline"): lines.append(f"- kernel command line: `{s['cmdline']}`")
  if s.get("taint") not in (None, "0"): lines.append(f"- kernel taint at start: {s.get('taint')}")
  return lines

def _hwrt_version() -> str:
  import hwrt; return hwrt.__version__

def write_report(res: dict, prog: dict, kmsg_events: list[dict], sim_info: dict | None, recorded: dict) -> str:
  cfg = res["config"]
  sim = res["device"].startswith("sim:")
  sim_env = {k: v for k, v in res["env"].items() if k.startswith("HWRT_SIM_")}
  envp = " ".join(f"{k}={v}" for k, v in sorted(sim_env.items()))
  run_c = f"{envp + ' ' if envp else ''}hwrt sim-run --device {res['device']} -- ./repro" if sim else "./repro"
  run_py = f"{envp + ' ' if envp else ''}hwrt sim-run --device {res['device']} -- python3 repro.py" if sim else "python3 repro.py"
  case = res["case"]
  R = [f"# {res['signature']}", "",
       f"Found by `hwrt stress` (workload `{cfg.get('workload')}`, {cfg.get('procs')} processes, seed {cfg.get('seed')}) and minimised by "
       f"`hwrt repro` from {res['original']['ops']} operations in {res['original']['procs']} process(es) to {len(case['schedule'])} "
       f"operation(s) in {case['procs']} process(es) x {case['iterations']} iteration(s) ({res['attempts']} attempts).", "",
       "## Environment", "", *environment(recorded.get("system"), res["device"], sim_env, sim_info), "",
       "## Steps", "", "```", "make            # builds ./repro from repro.c (libc only)", run_c, run_py, "```", "",
       *(["Under `hwrt sim-run` a Python program hosts the simulator in its own interpreter: run repro.py with the Python hwrt is "
          "installed in (repro.py itself imports only the standard library and ctypes).", ""] if sim else []),
       *([f"The failure needs {case['procs']} processes at once: both programs replay one process's sequence; start {case['procs']} "
          f"copies together (`for i in $(seq {case['procs']}); do ./repro & done; wait`).", ""] if case["procs"] > 1 else []),
       "Both programs issue the same raw ioctl sequence, recorded (`hwrt trace`) from the minimised run: "
       f"{prog['ioctls']} ioctls, with the CPU's writes into GPU-visible memory (pushbuffers, QMDs, GPFIFO entries) and the "
       "doorbell rings between them. Exit status 1: the failure was observed; 0: it was not; 2: the kernel answered an ioctl "
       "differently from the recording.", "", "The minimised workload (hwrt stress op schedule) the sequence was recorded from:", "", "```"]
  R += [json.dumps(op) for op in case["schedule"]]
  R += ["```", "", "## Expected vs observed", "",
        "- expected: every submitted operation completes (each semaphore reaches its value), the error notifier stays clear and the kernel logs nothing",
        f"- observed: `{res['signature']}`" + (f" — {res['target'].get('line')}" if res["target"].get("line") else "")]
  if prog.get("cut") and prog["cut"].get("error_text"): R += [f"- in the recorded run of the minimal case: {prog['cut']['error_text']}"]
  R.append("")
  mttf = res.get("mean_time_to_failure_s")
  R += ["## Reproduction rate", "",
        f"- minimised case (`hwrt repro` minimiser, re-run on `{res['device']}`): {res['hits']}/{res['runs']} runs"
        f" ({100 * res['rate']:.0f}%), mean time to failure {mttf * 1000:.1f} ms from the first operation" if mttf is not None else
        f"- minimised case: {res['hits']}/{res['runs']} runs"]
  R.append("")
  if res.get("verify"):
    for name, v in res["verify"].items(): R.append(f"- {name}: {v['reproduced']}/{v['runs']} runs reproduced the signature (`hwrt repro verify`)")
    R.append("")
  R += ["## Kernel log", ""]
  if kmsg_events:
    for ev in kmsg_events[:6]: R.append(oops_section(ev))
  else: R += ["(no kernel log lines were captured for the minimised run)", ""]
  R += ["---", f"Generated by hwrt repro on {time.strftime('%Y-%m-%d', time.gmtime())}."]
  return "\n".join(R) + "\n"
