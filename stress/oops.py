"""Pieces of a kernel oops that need decoding: the `Code:` line (the bytes around the faulting instruction, which the repro
writer disassembles with capstone), call-trace frames, and the taint mask (/proc/sys/kernel/tainted)."""
from __future__ import annotations
import re

# Documentation/admin-guide/tainted-kernels.rst (Linux 6.12): bit -> (letter, meaning). `FAILURE_TAINTS` are the letters a
# stress run counts as failures when they appear during the run (the others come from loading an out-of-tree GPU driver).
TAINTS = {0: ("P", "proprietary module loaded"), 1: ("F", "module force loaded"), 2: ("S", "kernel running on an out of specification system"),
          3: ("R", "module force unloaded"), 4: ("M", "processor reported a Machine Check Exception"), 5: ("B", "bad page referenced or unexpected page flags"),
          6: ("U", "taint requested by userspace"), 7: ("D", "kernel died recently (OOPS or BUG)"), 8: ("A", "ACPI table overridden by user"),
          9: ("W", "kernel issued warning"), 10: ("C", "staging driver loaded"), 11: ("I", "workaround for platform firmware bug applied"),
          12: ("O", "externally-built (out-of-tree) module loaded"), 13: ("E", "unsigned module loaded"), 14: ("L", "soft lockup occurred"),
          15: ("K", "kernel live patched"), 16: ("X", "auxiliary taint (distribution-defined)"), 17: ("T", "kernel built with the struct randomization plugin"),
          18: ("N", "in-kernel test has been run"), 19: ("J", "userspace used a mutating debug operation in fwctl")}
FAILURE_TAINTS = set("MBDWL")

def decode_taint(mask: int) -> list[dict]:
  return [{"bit": b, "letter": TAINTS.get(b, ("?", ""))[0], "meaning": TAINTS.get(b, ("?", f"unknown taint bit {b}"))[1]}
          for b in range(max(mask.bit_length(), 1)) if mask >> b & 1]

def read_taint(path: str = "/proc/sys/kernel/tainted") -> int | None:
  try:
    with open(path) as f: return int(f.read().strip() or 0)
  except (OSError, ValueError): return None

# x86: "Code: 48 8b 80 <48> 8b ..." (the byte in <> is where RIP points); arm64: "Code: d503201f a9bf7bfd (d4210000)" (words,
# little-endian in memory, the parenthesised one faulted). "Code: Unable to access opcode bytes at 0x..." carries none.
_HEX_TOKEN = re.compile(r"^([<(]?)([0-9a-fA-F]{2}|[0-9a-fA-F]{4}|[0-9a-fA-F]{8})([>)]?)$")

def parse_code_line(text: str) -> dict:
  """text is what follows 'Code:'. Returns {code_bytes: hex string, code_trap_offset: byte offset of the faulting instruction
  in code_bytes (None if not marked), code_arch: x86|arm64|None}; code_bytes is None when the kernel could not read them."""
  toks, out, trap, arch = text.split(), bytearray(), None, None
  for t in toks:
    m = _HEX_TOKEN.match(t)
    if not m: break                                  # a journal-truncated line ("48 >") or trailing text: keep what we have
    open_, hx, close_ = m.groups()
    if (open_ == "<") != (close_ == ">") or (open_ == "(") != (close_ == ")"): break
    if open_: trap = len(out)
    if len(hx) == 2: arch = arch or "x86"; out += bytes.fromhex(hx)
    elif len(hx) == 8: arch = arch or "arm64"; out += int(hx, 16).to_bytes(4, "little")
    else: arch = arch or "arm64"; out += int(hx, 16).to_bytes(2, "little")   # thumb halfwords
  if not out: return {"code_bytes": None, "code_trap_offset": None, "code_arch": None}
  return {"code_bytes": out.hex(), "code_trap_offset": trap, "code_arch": arch}

# "func+0x12/0x60 [module]", "? func+0x1/0x2", "[<ffffffff81003c34>] func+0x4/0x10" (old), "RIP: 0010:func+0x.."
FRAME = re.compile(r"^\s*(?:\[<[^>]+>\]\s*)?(?P<unreliable>\?\s+)?(?P<func>[A-Za-z_.$][\w.$]*)\+(?P<off>0x[0-9a-f]+)/(?P<size>0x[0-9a-f]+)"
                   r"(?:\s+\[(?P<module>\w+)\])?")

def parse_frame(text: str) -> dict | None:
  m = FRAME.match(text)
  if not m: return None
  return {"function": m["func"], "offset": m["off"], "size": m["size"], "module": m["module"], "reliable": not m["unreliable"]}

# Frames a hang/stall passes through on its way to sleep: skipped when naming the function an event happened in (syzkaller
# does the same when it titles a report).
SLEEP_FRAMES = re.compile(r"^((?:__)?schedule\w*|schedule_\w+|io_schedule\w*|__?mutex_lock\w*|mutex_lock\w*|rwsem_\w+|down_\w+|__down\w*|"
                          r"wait_for_completion\w*|dma_fence_\w*wait\w*|\w*fence_default_wait\w*|__wait_\w+|wait_\w+event\w*|"
                          r"__switch_to\w*|preempt_schedule\w*|do_nanosleep|hrtimer_nanosleep|__x64_sys_\w+|do_syscall_64|"
                          r"entry_SYSCALL\w*|ret_from_fork\w*|kthread|worker_thread|process_one_work|__cond_resched|"
                          r"_raw_spin_\w+|native_queued_spin_lock_slowpath|queued_spin_lock_slowpath|dump_stack\w*|__warn|"
                          r"warn_slowpath\w*|report_bug|handle_bug|exc_invalid_op|asm_exc_\w+|panic|srso_return_thunk|"
                          r"srso_alias_return_thunk|__pfx_\w+)$")

def first_interesting_frame(frames: list[dict]) -> dict | None:
  for f in frames:
    if f.get("reliable", True) and not SLEEP_FRAMES.match(re.sub(r"\.(?:constprop|isra|part|cold|llvm)(?:\.\d+)?", "", f["function"])): return f
  return None
