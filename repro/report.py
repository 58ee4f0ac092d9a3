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

def _plural(n: int, word: str) -> str: return f"{n} {word}{'' if n == 1 else 'es' if word.endswith('s') else 's'}"

def describe_op(op: list) -> str:
  """one workload op (stress/workloads.py) in words"""
  name, p = op
  slot = lambda s: f"slot {s}"
  if name == "alloc": return f"allocate a {p['nbytes']}-byte buffer in {slot(p['slot'])} (device memory, mapped into the GPU VA space through a UVM external range)"
  if name == "free": return f"free {slot(p['slot'])}: UVM_FREE of its GPU VA range, then NV_ESC_RM_FREE of its memory"
  if name == "launch":
    args = ", ".join(slot(a) for a in p.get("args", []))
    what = f"launch the built-in `{p['program']}` kernel" + (f" over {args}" if args else "") + (f" (scalars {p['scalars']})" if p.get("scalars") else "") + \
           f", grid {tuple(p['grid'])}, block {tuple(p['block'])}"
    return what + (" and do not wait for it (`\"wait\": false`): it may still be running when the next operation starts" if p.get("wait") is False
                   else ", and wait for it (its semaphore, with the error notifier beside it)")
  if name == "copyin": return f"copy {p['nbytes']} bytes of 0x{p['fill']:02x} into {slot(p['slot'])} (staging buffer and copy engine), and wait"
  if name == "copyout": return f"copy {p['nbytes']} bytes of {slot(p['slot'])} out (copy engine), wait, and check them"
  if name == "copy": return f"copy {p['nbytes']} bytes from {slot(p['src'])} to {slot(p['dst'])} on the copy engine, and wait"
  if name == "sync": return "wait for everything submitted so far (the timeline semaphore)"
  if name == "queue": return f"create {p.get('n', 1)} more channel group(s) with a compute channel each, make them live, and free them"
  return json.dumps(op)

def _ioctl_words(io: dict) -> str:
  f = io["fields"]
  if io["name"] == "UVM_FREE": return f"UVM_FREE (base {f.get('base', 0):#x}, length {f.get('length', 0):#x})"
  if io["name"] == "NV_ESC_RM_FREE": return f"NV_ESC_RM_FREE (hObjectOld: the handle the programs keep in `{f.get('hObjectOld')}`)"
  sym = ", ".join(f"{a}={b}" for a, b in io["symbols"].items())
  return io["name"] + (f" ({sym})" if sym else "")

def write_report(res: dict, prog: dict, kmsg_events: list[dict], sim_info: dict | None, recorded: dict) -> str:
  from hwrt.repro.program import before_failure
  cfg = res["config"]
  sim = res["device"].startswith("sim:")
  sim_env = {k: v for k, v in res["env"].items() if k.startswith("HWRT_SIM_")}
  envp = " ".join(f"{k}={v}" for k, v in sorted(sim_env.items()))
  run_c = f"{envp + ' ' if envp else ''}hwrt sim-run --device {res['device']} -- ./repro; echo \"exit $?\"" if sim else "./repro; echo \"exit $?\""
  run_py = f"{envp + ' ' if envp else ''}hwrt sim-run --device {res['device']} -- python3 repro.py; echo \"exit $?\"" if sim else "python3 repro.py; echo \"exit $?\""
  case = res["case"]
  cut = prog.get("cut")
  bf = before_failure(prog)
  steps = prog["steps"]
  first_op = next((i for i, s in enumerate(steps) if s["s"] == "op"), len(steps))
  setup = sum(s["s"] == "ioctl" for s in steps[:first_op])
  R = [f"# {res['signature']}", "",
       f"Found by `hwrt stress` (workload `{cfg.get('workload')}`, {_plural(cfg.get('procs') or 1, 'process')}, seed {cfg.get('seed')}) and minimised by "
       f"`hwrt repro` from {_plural(res['original']['ops'], 'operation')} in {_plural(res['original']['procs'], 'process')} to "
       f"{_plural(len(case['schedule']), 'operation')} in {_plural(case['procs'], 'process')} x {_plural(case['iterations'], 'iteration')} "
       f"({res['attempts']} attempts).", "",
       "## Environment", "", *environment(recorded.get("system"), res["device"], sim_env, sim_info), "",
       "## Steps", "", "In this directory:", "", "```", "make            # builds ./repro from repro.c (libc only)", run_c, run_py, "```", ""]
  if cut is not None:
    R += ["Each program exits 1 when it sees the failure itself and says what it saw in one line on stderr "
          "(`repro: REPRODUCED: GPU fault: error notifier status 0xffff, Xid N (...)` or `repro: REPRODUCED: GPU timeout: ...`); "
          "0 when the sequence ran to its end without it (`not reproduced: ...` on stdout); 2 when the kernel answered an ioctl "
          "differently from the recording (the driver took another path; the line names the ioctl and field). Every wait has a deadline."]
    seen = next((ln for v in (res.get("verify") or {}).values() for r in v.get("results", []) for ln in (r.get("output") or "").splitlines()
                 if ln.startswith("repro: REPRODUCED")), None)
    if seen: R += ["", f"A reproducing run printed: `{seen}`"]
  else:
    R += ["The recorded run of the minimal case showed no failure the programs can see (no failing ioctl, no faulted or timed-out "
          "wait, the error notifier clear at the end): they replay the sequence in full and exit 0; look for the failure in the kernel log "
          "(`dmesg`). Exit status 2: the kernel answered an ioctl differently from the recording."]
  R.append("")
  if sim:
    R += ["Under `hwrt sim-run` a Python program hosts the simulator in its own interpreter: run repro.py with the Python hwrt is "
          "installed in (repro.py itself imports only the standard library and ctypes).", ""]
    if sim_env: R += [f"`{envp}` is what turns the simulated driver's behaviour on; without it the simulator behaves as a correct driver "
                      "should, and the same programs are the control (see Reproduction rate).", ""]
  if case["procs"] > 1:
    R += [f"The failure needs {case['procs']} processes at once: both programs replay one process's sequence; start {case['procs']} "
          f"copies together (`for i in $(seq {case['procs']}); do ./repro & done; wait`).", ""]
  R += ["## What the programs do", "",
        f"Both issue the same raw ioctl sequence, recorded (`hwrt trace`) from the minimised run: {prog['ioctls']} ioctls, with the CPU's "
        "writes into GPU-visible memory (pushbuffers, QMDs, GPFIFO entries) and the doorbell rings between them. "
        f"The first {setup} ioctls open the device and set up what every hwrt process has (RM client, device, subdevice, VA space, "
        "channel group with a compute and a copy channel, error notifier, UVM registration); the comments `---- workload op N` in "
        "repro.c and repro.py mark where each operation below starts.", "",
        "The minimised workload (hwrt stress op schedule) the sequence was recorded from, one operation a line:", "", "```"]
  R += [json.dumps(op) for op in case["schedule"]]
  R += ["```", ""]
  for k, op in enumerate(case["schedule"]): R.append(f"- op {k}: {describe_op(op)}")
  for op in prog.get("cleanup") or []:
    R.append(f"- end of the iteration (not in the schedule: what hwrt does with whatever a schedule still holds, in the minimiser, "
             f"the recording and the programs alike): {describe_op(op)}")
  w = bf["wait"]
  if w is not None and w.get("check"):
    R.append(f"- final check: wait, at most {w['timeout']:g} s, for all submitted work (the timeline semaphore reaching {w['value']}) with the "
             "channels' error notifier beside it" + (": the recording saw the failure here" if w.get("final") else ""))
  R += [""]
  R += ["## Expected vs observed", ""]
  frees = [io for io in bf["ioctls"] if io["name"] in ("UVM_FREE", "NV_ESC_RM_FREE", "UVM_UNMAP_EXTERNAL", "NV_ESC_RM_UNMAP_MEMORY_DMA")]
  asyncs = [op for op in case["schedule"] if op[0] == "launch" and op[1].get("wait") is False]
  exp = "every submitted operation completes (each semaphore reaches its value), the error notifier stays clear and the kernel logs nothing"
  if frees and asyncs and w is not None:
    exp += (". Freeing memory that submitted work still uses must not fault that work: the driver lets the work retire before the "
            f"memory leaves the VA space, so the final check sees the semaphore reach {w['value']}")
  R.append(f"- expected: {exp}")
  R.append(f"- observed in the stress run: `{res['signature']}`" + (f" — {res['target'].get('line')}" if res["target"].get("line") else ""))
  if cut is not None:
    where = "the final check" if w is not None and w.get("check") else "a wait" if cut.get("ev") == "wait" else "an operation"
    if cut.get("ev") == "wait" and cut.get("result") == "fault":
      what = (f"{where} found the channel's error notifier set (status {cut['error']:#x}" + (f", info32 = Xid {cut['xid']}" if cut.get("xid") else "") +
              f") with the timeline semaphore short of {cut['value']}")
    elif cut.get("ev") == "wait": what = f"{where} timed out after {cut['timeout']:g} s waiting for the timeline semaphore to reach {cut['value']}"
    else: what = f"an operation failed: {cut.get('error')}"
    trig = ""
    if bf["ioctls"]:
      trig = (" The launch of op " + ", ".join(str(case["schedule"].index(a)) for a in asyncs) + " was never waited for; after its doorbell "
              if frees and asyncs else " After the last doorbell ") + "the program issued " + ", then ".join(_ioctl_words(io) for io in bf["ioctls"]) + "."
    kl0 = next((ev for ev in kmsg_events if ev.get("signature") == res["signature"]), None) if res.get("kmsg_recorded") else None
    m = re.search(r"faulted @ 0x([0-9a-fA-F]+)_([0-9a-fA-F]{8})", (kl0 or {}).get("line") or "")
    va = (int(m[1], 16) << 32 | int(m[2], 16)) if m else None
    hit = next((io for io in frees if va is not None and io["name"] == "UVM_FREE" and io["fields"].get("base", 0) <= va < io["fields"].get("base", 0) + io["fields"].get("length", 0)), None)
    if hit: trig += f" The faulting address in the kernel log, {va:#x}, is in the range that UVM_FREE took away."
    R.append(f"- observed in the recorded run of the minimal case (what the programs replay): {what}." + trig)
  kl = next((ev for ev in kmsg_events if ev.get("signature") == res["signature"]), None)
  if kl and (kl.get("line") or kl.get("raw_lines")) and res.get("kmsg_recorded"):
    R.append(f"- kernel log of the recorded run: `{dmesg_line(kl.get('line') or kl['raw_lines'][0])}`")
  R.append("")
  mttf = res.get("mean_time_to_failure_s")
  R += ["## Reproduction rate", "",
        f"- minimised case (`hwrt repro` minimiser, re-run on `{res['device']}`): {res['hits']}/{res['runs']} runs"
        f" ({100 * res['rate']:.0f}%), mean time to failure {mttf * 1000:.1f} ms from the first operation" if mttf is not None else
        f"- minimised case: {res['hits']}/{res['runs']} runs"]
  if res.get("verify"):
    for name, v in res["verify"].items():
      codes = sorted({r["rc"] for r in v.get("results", [])}, key=str)
      R.append(f"- {name} (`hwrt repro verify`{', under ' + envp if envp else ''}): reproduced in {v['reproduced']}/{v['runs']} runs"
               + (f", exit status {', '.join(map(str, codes))}" if codes else ""))
  for name, v in (res.get("control") or {}).items():
    R.append(f"- control, {name} without `{envp}`: exit 0 in {v['exit0']}/{v['runs']} runs, reproduced in {v['reproduced']}/{v['runs']}")
  R.append("")
  R += ["## Kernel log", ""]
  if kmsg_events: R += ["Logged by the recorded run of the minimal case:" if res.get("kmsg_recorded") else
                        "The recorded run of the minimal case did not log the signature; the stress run's line first, then what the recorded run logged:", ""]
  if kmsg_events:
    for ev in kmsg_events[:6]: R.append(oops_section(ev))
  else: R += ["(no kernel log lines were captured for the minimised run)", ""]
  R += ["---", f"Generated by hwrt repro on {time.strftime('%Y-%m-%d', time.gmtime())}."]
  return "\n".join(R) + "\n"
