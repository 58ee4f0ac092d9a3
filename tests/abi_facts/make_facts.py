"""Maintainer tool: regenerate a facts table (tests/abi_facts/*.tsv) by compiling the vendor's own headers with gcc.

Sources used for the checked-in tables (x86-64, gcc 12):
  nv_580.tsv    git archive of NVIDIA/open-gpu-kernel-modules tag 580.142 (src/common/sdk/nvidia/inc, kernel-open/common/inc,
                src/common/inc/swref/published/hopper (dev_mmu.h: the PTE kind),
                src/nvidia/arch/nvalloc/unix/include, kernel-open/nvidia-uvm, src/nvidia/generated/g_gpu_class_list.c) at ROOT:
                  python tests/abi_facts/make_facts.py nv uvm --preset nv --source-root ROOT \
                    --class-list ROOT/src/nvidia/generated/g_gpu_class_list.c \
                    --version "open-gpu-kernel-modules 580.142" -o tests/abi_facts/nv_580.tsv
  xe.tsv        include/drm-uapi/{drm.h,drm_mode.h,xe_drm.h} of intel-gpu/igt-gpu-tools commit a31c48a76 ("drm-uapi/xe: sync with
                kernel f99a05cc0b85") copied to ROOT/include/uapi/drm/:  ... xe --preset xe --source-root ROOT ...
  kfd_1.16.tsv  include/hsakmt/linux/kfd_ioctl.h of ROCm/ROCT-Thunk-Interface 06a9b94 copied to ROOT/include/uapi/linux/kfd_ioctl.h
                (it includes <libdrm/drm.h>: libdrm-dev):  ... kfd --preset kfd --source-root ROOT ...

For every struct/union our tables declare (hwrt.ioctl.<iface>.iface.structs) it prints the header's sizeof and, for every
field (sub-struct fields as a.b), offsetof and sizeof; for every ioctl row the request number as the header's macro makes it;
for every constant, RM class and RM control the header's value. The names come from our tables, the numbers only from
gcc and the vendor headers, so a wrong declaration shows up as a mismatch in tests/test_abi_facts.py (or as a compile
error here, when a name is wrong). Rows: kind, name, field, offset, size, value, source (header file the name is defined in)."""
from __future__ import annotations
import argparse, os, re, subprocess, sys, tempfile
from hwrt.ioctl.abi import load
from hwrt.ioctl.ffi import ffi

PRESETS = {
  "nv": dict(incs=["src/common/sdk/nvidia/inc", "kernel-open/common/inc", "src/nvidia/arch/nvalloc/unix/include", "kernel-open/nvidia-uvm",
                   "src/common/inc/swref/published"],
             headers=["nvtypes.h", "nvos.h", "hopper/gh100/dev_mmu.h", "nvstatuscodes.h", "nvgputypes.h", "nv-ioctl.h", "nv-ioctl-numbers.h", "nv_escape.h",
                      "nv-unix-nvos-params-wrappers.h", "alloc/alloc_channel.h", "uvm_ioctl.h", "uvm_linux_ioctl.h", "nv_uvm_user_types.h"]
                     + [f"class/{c}.h" for c in "cl0000 cl0001 cl0005 cl003e cl0040 cl0070 cl0071 cl0080 cl2080 cl2080_notification cl83de cl9067 "
                        "cl90f1 cla06c cla06f clb0b5sw clc361 clc461 clc561 clc661 clc761 clc36f clc46f clc56f clc86f clc86fsw clc96f clca6f "
                        "clc6c0 clc7c0 clc9c0 clcbc0 clcdc0 clcec0 clc6b5 clc7b5 clc8b5 clc9b5 clcab5".split()]
                     + [f"ctrl/{c}.h" for c in "ctrl0000/ctrl0000gpu ctrl0000/ctrl0000system ctrl0080/ctrl0080gpu ctrl0080/ctrl0080fifo "
                        "ctrl0080/ctrl0080gr ctrl2080/ctrl2080gpu ctrl2080/ctrl2080gr ctrl2080/ctrl2080fb ctrl2080/ctrl2080mc ctrl2080/ctrl2080perf "
                        "ctrl2080/ctrl2080rc ctrl2080/ctrl2080event ctrl2080/ctrl2080bus ctrl2080/ctrl2080gsp ctrla06c ctrla06f/ctrla06fgpfifo ctrla06f/ctrla06finternal ctrlc36f ctrl906f "
                        "ctrl90f1 ctrl83de/ctrl83dedebug".split()],
             request="nr"),   # NV_ESC_* macros are the nr: request = _IOWR('F', nr, sizeof(arg)); UVM macros are the request
  "xe": dict(incs=["include/uapi/drm"], headers=["drm.h", "xe_drm.h"], request="full"),
  "kfd": dict(incs=["include/uapi"], headers=["linux/kfd_ioctl.h"], request="full"),
}

def main(argv=None):
  ap = argparse.ArgumentParser()
  ap.add_argument("ifaces", nargs="+")
  ap.add_argument("--source-root", required=True)
  ap.add_argument("--version", required=True)
  ap.add_argument("--preset", required=True, choices=PRESETS)
  ap.add_argument("-o", "--out", required=True)
  ap.add_argument("--skip-struct-re", dest="skip_struct_re", default=None)
  ap.add_argument("--class-list", default=None, help="NVIDIA: src/nvidia/generated/g_gpu_class_list.c of the same tag (rm_chip rows)")
  a = ap.parse_args(argv)
  pre = PRESETS[a.preset]
  root = os.path.abspath(a.source_root)
  incs = [f"-I{os.path.join(root, i)}" for i in pre["incs"]]
  head = "".join(f'#include "{h}"\n' for h in pre["headers"])
  head = "#include <stddef.h>\n#include <stdio.h>\n#include <stdint.h>\n#include <linux/ioctl.h>\n" + head
  # where each name is defined (from gcc -E line markers)
  pp = subprocess.run(["gcc", "-E", *incs, "-x", "c", "-"], input=head, capture_output=True, text=True, check=True).stdout
  where, cur = {}, "?"
  for line in pp.splitlines():
    m = re.match(r'# \d+ "([^"]+)"', line)
    if m: cur = m.group(1); continue
    for n in re.findall(r"\}\s*(\w+)\s*;|\b(?:struct|union)\s+(\w+)\s*\{|typedef\s+[\w ]+\s(\w+)\s*;|^\s*([A-Z]\w+)\s*(?:=[^=]|,|$)", line):
      for x in n:
        if x: where.setdefault(x, cur)
  macro_where = {}
  mm = subprocess.run(["gcc", "-E", "-dD", *incs, "-x", "c", "-"], input=head, capture_output=True, text=True, check=True).stdout
  cur = "?"
  for line in mm.splitlines():
    m = re.match(r'# \d+ "([^"]+)"', line)
    if m: cur = m.group(1); continue
    m = re.match(r"#define (\w+)", line)
    if m: macro_where.setdefault(m.group(1), cur)
  def rel(p): return os.path.relpath(p, root) if p.startswith(root) else p
  body, rows = [], []
  def emit(kind, name, field, expr_off, expr_size, expr_val, src):
    rows.append((kind, name, field, src))
    body.append(f'printf("%s\\t%s\\t%s\\t%lld\\t%lld\\t%s\\n", "{kind}", "{name}", "{field}", (long long)({expr_off}), (long long)({expr_size}), {expr_val});')
  for iname in a.ifaces:
    iface = load(iname)
    for st in [s for s in iface.structs if s.split()[-1] in where and not (a.skip_struct_re and re.search(a.skip_struct_re, s))]:
      t = ffi.typeof(st)
      src = rel(where.get(st.split()[-1], "?"))
      emit("struct", st, "-", "-1", f"sizeof({st})", '""', src)
      def walk(t, prefix):
        for fname, f in t.fields:
          if not fname or f.bitsize >= 0: continue   # bit-fields have no offsetof
          path = prefix + fname
          flex = f.type.kind == "array" and f.type.length is None
          emit("field", st, path, f"offsetof({st}, {path})", "0" if flex else f"sizeof((({st}*)0)->{path})", '""', src)
          if f.type.kind in ("struct", "union"): walk(f.type, path + ".")
      walk(t, "")
    for r in iface.ioctl_rows:
      sz = f"sizeof({r.struct})" if r.struct else "0"
      if pre["request"] == "nr" and r.dir != "RAW":
        req = f"_IOC({ {'IO': '_IOC_NONE', 'IOR': '_IOC_READ', 'IOW': '_IOC_WRITE', 'IOWR': '_IOC_READ|_IOC_WRITE'}[r.dir]}, {r.type}, {r.name}, {sz})"
      else: req = r.name
      key = r.name if r.struct == iface.ioctls[r.name].struct else f"{r.name}@{r.struct}"
      emit("ioctl", key, "-", "-1", sz, f'({{static char b[32]; snprintf(b, 32, "0x%llx", (unsigned long long)({req})); b;}})',
           rel(macro_where.get(r.name, "?")))
    for n, v in iface.constants.items():
      src = rel(macro_where.get(n) or where.get(n, "?"))
      if isinstance(v, tuple): emit("const", n, "-", "-1", "0", f'STR({n})', src)   # a HI:LO bit range
      else: emit("const", n, "-", "-1", f"sizeof({n})", f'({{static char b[32]; snprintf(b, 32, "%lld", (long long)({n})); b;}})', src)
    for c in iface.rm_classes.values():
      emit("rm_class", c.name, c.params or "-", "-1", f"sizeof({c.params})" if c.params else "0",
           f'({{static char b[32]; snprintf(b, 32, "0x%llx", (unsigned long long)({c.name})); b;}})', rel(macro_where.get(c.name, "?")))
    for c in iface.rm_controls.values():
      emit("rm_control", c.name, c.params or "-", "-1", f"sizeof({c.params})" if c.params else "0",
           f'({{static char b[32]; snprintf(b, 32, "0x%llx", (unsigned long long)({c.name})); b;}})', rel(macro_where.get(c.name, "?")))
  if a.class_list:   # rm_chip rows: chip, the classes it lists (field), MC arch (value) and implementation (size)
    text = open(a.class_list).read()
    for m in re.finditer(r"gpuGetEngClassDescriptorList_(\w+)\(.*?\{(.*?)\n\}", text, re.S):
      chip, cbody = m.group(1), m.group(2)
      if not {f"NV2080_CTRL_MC_ARCH_INFO_IMPLEMENTATION_{chip}", f"NV2080_CTRL_MC_ARCH_INFO_ARCHITECTURE_{chip[:3]}00"} <= set(macro_where):
        continue
      classes = sorted(set(re.findall(r"\b([A-Z][A-Z0-9_]*_(?:COMPUTE|DMA_COPY|CHANNEL_GPFIFO|USERMODE)_[A-Z])\b", cbody)))
      emit("rm_chip", chip, ",".join(classes), "-1", f"NV2080_CTRL_MC_ARCH_INFO_IMPLEMENTATION_{chip}",
           f'({{static char b[32]; snprintf(b, 32, "0x%x", NV2080_CTRL_MC_ARCH_INFO_ARCHITECTURE_{chip[:3]}00); b;}})',
           "src/nvidia/generated/g_gpu_class_list.c")
  src = head + '#define STR_(x) #x\n#define STR(x) STR_(x)\nint main(void){\n' + "\n".join(body) + "\nreturn 0;}\n"
  with tempfile.TemporaryDirectory() as td:
    open(f"{td}/p.c", "w").write(src)
    subprocess.run(["gcc", "-w", *incs, f"{td}/p.c", "-o", f"{td}/p"], check=True)
    out = subprocess.run([f"{td}/p"], capture_output=True, text=True, check=True).stdout.splitlines()
  with open(a.out, "w") as f:
    f.write(f"# ABI facts computed by gcc from {a.version} headers (x86-64) with tests/abi_facts/make_facts.py; do not edit by hand\n")
    f.write("kind\tname\tfield\toffset\tsize\tvalue\tsource\n")
    for line, (kind, name, field, src) in zip(out, rows):
      k, n, fl, off, size, val = line.split("\t")
      assert (k, n, fl) == (kind, name, field)
      val = re.sub(r"\s+", "", val.strip("()")) if kind == "const" and ":" in val else val
      f.write("\t".join([k, n, fl, off if off != "-1" else "-", size, val or "-", src]) + "\n")
  print(f"{a.out}: {len(out)} rows")

if __name__ == "__main__":
  sys.exit(main())
