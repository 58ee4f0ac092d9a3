"""Maintainer tool: cross-check ioctl/nv_hw_qmd.txt (QMD field positions, generated from open-gpu-doc clcbc0qmd.h V03_00/V04_00
and clcdc0qmd.h V05_00) against the QMD header of each compute class the simulated boards use.

  python -m hwrt.ioctl.nv_hw_qmd_gen OPEN_GPU_DOC_CHECKOUT            # exit 1 if a field the driver or simulator uses moved

  V03_00  classes/compute/clc6c0qmd.h, clc7c0qmd.h, clc9c0qmd.h  (AMPERE_COMPUTE_A/B, ADA_COMPUTE_A: RTX 3090, RTX 4090)
  V04_00  classes/compute/clcbc0qmd.h                           (HOPPER_COMPUTE_A: H100)
  V05_00  classes/compute/clcec0qmd.h                           (BLACKWELL_COMPUTE_B: RTX 5090; tinygrad's Blackwell names)
Result at open-gpu-doc c8607fe5: every field the driver writes and the simulator reads sits at the same bits in all of them;
the headers differ only in fields neither uses (clcbc0's V03_00 adds the OCCUPANCY_* and CTA_LAUNCH_QUEUE fields of later
revisions, clc6c0 names RELEASE*_TRAP_TYPE RELEASE*_NON_BLOCKING_INTR_TYPE and has a 7-bit HW_ONLY_DEPENDENCE_COUNTER).
"""
from __future__ import annotations
import argparse, os, re, sys

SOURCES = [("V03_00", "classes/compute/clc6c0qmd.h", "NVC6C0_QMDV03_00_"), ("V03_00", "classes/compute/clc7c0qmd.h", "NVC7C0_QMDV03_00_"),
           ("V03_00", "classes/compute/clc9c0qmd.h", "NVC9C0_QMDV03_00_"), ("V04_00", "classes/compute/clcbc0qmd.h", "NVCBC0_QMDV04_00_"),
           ("V05_00", "classes/compute/clcec0qmd.h", "NVCEC0_QMDV05_00_")]
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "nv_hw_qmd.txt")
PLAIN = re.compile(r"#define\s+(\w+)\s+MW\((\d+):(\d+)\)")
INDEXED = re.compile(r"#define\s+(\w+)\(i\)\s+MW\(\((\d+)\+\(i\)\*(\d+)\):\((\d+)\+\(i\)\*(\d+)\)\)")

def fields(root: str) -> dict[tuple[str, str], dict[str, tuple]]:
  """{(version, header): {name: (hi, lo, stride)}}"""
  out = {}
  for ver, path, prefix in SOURCES:
    full = os.path.join(root, path)
    if not os.path.exists(full): continue
    d = out[(ver, path)] = {}
    for line in open(full).read().splitlines():
      if (m := INDEXED.match(line)) and m.group(1).startswith(prefix):
        d[m.group(1)[len(prefix):] + "(i)"] = (int(m.group(2)), int(m.group(4)), int(m.group(3)))
      elif (m := PLAIN.match(line)) and m.group(1).startswith(prefix):
        d[m.group(1)[len(prefix):]] = (int(m.group(2)), int(m.group(3)), 0)
  return out

def used() -> set[tuple[str, str]]:
  """(version, header field name) the driver writes (drivers/nv/program.py) or the simulator reads (sim/nv/gpu.py)."""
  from hwrt.ioctl import nv_hw as hw
  srcs = [open(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(hw.__file__))), p)).read()
          for p in ("drivers/nv/program.py", "sim/nv/gpu.py")]
  out = set()
  for line in open(OUT):
    if line.startswith("#") or not line.strip(): continue
    ver, name = line.split()[:2]
    key = name[:-3].lower() if name.endswith("(i)") else name.lower()
    if any(re.search(rf"\b{re.escape(key)}", s) for s in srcs): out.add((ver, name))
  return out

def main(argv=None) -> int:
  p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  p.add_argument("root", help="an NVIDIA/open-gpu-doc checkout")
  a = p.parse_args(argv)
  table = {}
  for line in open(OUT):
    if line.startswith("#") or not line.strip(): continue
    ver, name, hi, lo, stride, _ = line.split()
    table[(ver, name)] = (int(hi), int(lo), int(stride))
  bad = 0
  for (ver, path), d in fields(a.root).items():
    for (v, name) in sorted(used()):
      if v != ver: continue
      if name not in d: print(f"{path}: {ver} has no {name}"); bad += 1
      elif d[name] != table[(v, name)]: print(f"{path}: {ver} {name} is {d[name]}, the table says {table[(v, name)]}"); bad += 1
  print(f"{len(used())} fields used by the driver and simulator; {bad} disagree with a header")
  return 1 if bad else 0

if __name__ == "__main__":
  sys.exit(main())
