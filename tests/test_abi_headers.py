"""ABI conformance against the uapi headers Debian ships (linux-libc-dev: linux/kfd_ioctl.h; libdrm-dev: drm.h, amdgpu_drm.h,
i915_drm.h under /usr/include/libdrm). One C probe, generated from our tables and compiled once per session with gcc,
prints the header's sizeof/offsetof for every struct and field we declare that the header has, every ioctl request macro
and every constant; the tests compare those numbers with ours (cffi)."""
import os, re, shutil, subprocess, pytest
from hwrt.ioctl.abi import load, declared_fields
from hwrt.ioctl.ffi import ffi

HEADERS = {  # interface -> (header file, #include line)
  "drm": ("/usr/include/libdrm/drm.h", "#include <drm.h>"),
  "amdgpu": ("/usr/include/libdrm/amdgpu_drm.h", "#include <amdgpu_drm.h>"),
  "i915": ("/usr/include/libdrm/i915_drm.h", "#include <i915_drm.h>"),
  "kfd": ("/usr/include/linux/kfd_ioctl.h", "#include <linux/kfd_ioctl.h>"),
}
INCS = ["-I/usr/include/libdrm"]
INSTALL = "apt-get install gcc libdrm-dev linux-libc-dev"
# constants that name the header's version rather than an ABI fact (we declare KFD 1.16; the facts table checks them)
VERSION_MARKERS = {"KFD_IOCTL_MINOR_VERSION", "AMDKFD_COMMAND_END"}

def need(ok: bool, what: str):
  """skip with the reason when a header/compiler is missing; in CI that is a failure (like conftest.oracle)"""
  if ok: return
  msg = f"{what} is not installed ({INSTALL})"
  if os.environ.get("CI"): pytest.fail("CI must have every ABI header: " + msg)
  pytest.skip(msg)

def our_field_size(f):
  return 0 if f.type.kind == "array" and f.type.length is None else ffi.sizeof(f.type)

@pytest.fixture(scope="session")
def probe(tmp_path_factory):
  """{iface: {"struct": {name: size}, "field": {(name, path): (off, size)}, "ioctl": {name: req}, "const": {name: value}}}"""
  need(shutil.which("gcc") is not None, "gcc")
  present = {n: h for n, h in HEADERS.items() if os.path.exists(h[0])}
  need(bool(present) and len(present) == len(HEADERS), "uapi headers " + ", ".join(h[0] for n, h in HEADERS.items() if n not in present))
  # Debian's linux/kfd_ioctl.h includes <drm/drm.h>, which libdrm-dev ships as /usr/include/libdrm/drm.h
  shim = tmp_path_factory.mktemp("abi_inc")
  (shim / "drm").symlink_to("/usr/include/libdrm")
  incs = INCS + [f"-I{shim}"]
  src = ["#include <stdio.h>", "#include <stddef.h>", "#include <stdint.h>"] + [h[1] for h in present.values()]
  # what the headers define: struct/union tags and typedef names, enumerators (preprocessed text), macros (-dM)
  pp = subprocess.run(["gcc", "-E", *incs, "-x", "c", "-"], input="\n".join(src) + "\n", capture_output=True, text=True, check=True).stdout
  tags = set(re.findall(r"\b((?:struct|union)\s+\w+)\s*\{", pp))
  tags = {re.sub(r"\s+", " ", t) for t in tags}
  typedefs = set(re.findall(r"\}\s*(\w+)\s*;", pp)) | set(re.findall(r"typedef\s+[^;{}]*?\b(\w+)\s*;", pp))
  idents = set(re.findall(r"\b[A-Z_][A-Z0-9_]+\b", pp))
  macros = set(re.findall(r"#define (\w+)", subprocess.run(["gcc", "-E", "-dM", *incs, "-x", "c", "-"], input="\n".join(src) + "\n",
                                                          capture_output=True, text=True, check=True).stdout))
  body, keys = [], []
  def emit(key, fmt, expr):
    keys.append(key); body.append(f'printf("{fmt}\\n", {expr});')
  for name in present:
    iface = load(name)
    for st in iface.structs:
      if not (st in tags or st in typedefs): continue
      emit((name, "struct", st, None), "%zu", f"sizeof({st})")
      for path, f in declared_fields(st):
        size = "(size_t)0" if f.type.kind == "array" and f.type.length is None else f"sizeof((({st}*)0)->{path})"
        emit((name, "field", st, path), "%zu %zu", f"offsetof({st}, {path}), {size}")
    for r in iface.ioctl_rows:
      if r.name in macros and iface.ioctls[r.name] is r: emit((name, "ioctl", r.name, None), "%lu", f"(unsigned long)({r.name})")
    for c, v in iface.constants.items():
      if isinstance(v, int) and (c in macros or c in idents): emit((name, "const", c, None), "%lld %zu", f"(long long)({c}), sizeof({c})")
  d = tmp_path_factory.mktemp("abi_probe")
  dropped = []   # fields our (newer) declaration has and this header version lacks: the facts table checks those
  for _ in range(5):
    code = "\n".join(src) + "\nint main(void) {\n" + "\n".join(body) + "\nreturn 0;\n}\n"
    (d / "probe.c").write_text(code)
    r = subprocess.run(["gcc", "-w", *incs, str(d / "probe.c"), "-o", str(d / "probe")], capture_output=True, text=True)
    if r.returncode == 0: break
    first = len(src) + 2   # line number of body[0]
    bad = {int(n) - first for n in re.findall(r"probe\.c:(\d+):\d+: error: .* has no member named", r.stderr)}
    assert bad and all(0 <= i < len(body) for i in bad), "probe does not compile:\n" + r.stderr[:4000]
    dropped += [keys[i] for i in sorted(bad)]
    body = [b for i, b in enumerate(body) if i not in bad]; keys = [k for i, k in enumerate(keys) if i not in bad]
  assert r.returncode == 0, r.stderr[:4000]
  out = subprocess.run([str(d / "probe")], capture_output=True, text=True, check=True).stdout.splitlines()
  assert len(out) == len(keys)
  res = {n: {"struct": {}, "field": {}, "ioctl": {}, "const": {}, "dropped": []} for n in present}
  for k in dropped: res[k[0]]["dropped"].append((k[2], k[3]))
  for (n, kind, a, b), line in zip(keys, out):
    nums = [int(x) for x in line.split()]
    if kind in ("field", "const"): res[n][kind][(a, b) if kind == "field" else a] = tuple(nums)
    else: res[n][kind][a] = nums[0]
  return res

@pytest.mark.parametrize("name", sorted(HEADERS))
def test_struct_sizes(probe, name):
  bad = {st: (ffi.sizeof(st), size) for st, size in probe[name]["struct"].items() if ffi.sizeof(st) != size}
  assert not bad

@pytest.mark.parametrize("name", sorted(HEADERS))
def test_field_offsets(probe, name):
  bad = []
  for st in probe[name]["struct"]:
    for path, f in declared_fields(st):
      if (st, path) in probe[name]["dropped"]: continue
      ours = (ffi.offsetof(st, *path.split(".")), our_field_size(f))
      theirs = probe[name]["field"][(st, path)]
      if ours != theirs: bad.append((st, path, ours, theirs))
  assert not bad

def test_fields_newer_than_the_header_are_in_the_facts_table(probe):
  """KFD: we declare 1.16, Debian's header is 1.11; what it lacks is checked by tests/abi_facts/kfd_1.16.tsv"""
  from test_abi_facts import read_facts
  _, rows = read_facts("kfd_1.16.tsv")
  facts = {(r["name"], r["field"]) for r in rows if r["kind"] == "field"}
  for name, p in probe.items():
    assert name == "kfd" or not p["dropped"], (name, p["dropped"])
    assert all(k in facts for k in p["dropped"])

@pytest.mark.parametrize("name", sorted(HEADERS))
def test_ioctl_request_numbers(probe, name):
  iface = load(name)
  got = probe[name]["ioctl"]
  assert {n: hex(iface.ioctls[n].request) for n in got if iface.ioctls[n].request != got[n]} == {}
  # every ioctl we declare is checked here or (not in this header version) by the facts table
  unchecked = [n for n in iface.ioctls if n not in got]
  if name == "kfd":
    from test_abi_facts import read_facts
    _, rows = read_facts("kfd_1.16.tsv")
    unchecked = [n for n in unchecked if n not in {r["name"] for r in rows if r["kind"] == "ioctl"}]
  assert unchecked == []

@pytest.mark.parametrize("name", sorted(HEADERS))
def test_constants(probe, name):
  iface = load(name)
  # equal as the C type's bit pattern (a flag written (1 << 31) is an int in C, 0x80000000 in our table)
  bad = {c: (iface.constants[c], v) for c, (v, width) in probe[name]["const"].items()
         if c not in VERSION_MARKERS and iface.constants[c] & ((1 << 8 * width) - 1) != v & ((1 << 8 * width) - 1)}
  assert not bad and probe[name]["const"]

def test_coverage(probe):
  """the issue's bar: at least 60 structs checked field by field against gcc-compiled headers"""
  structs = sum(len(p["struct"]) for p in probe.values())
  fields = sum(len(p["field"]) for p in probe.values())
  ioctls = sum(len(p["ioctl"]) for p in probe.values())
  print(f"\nABI header check: {structs} structs, {fields} fields, {ioctls} ioctl requests, "
        f"{sum(len(p['const']) for p in probe.values())} constants")
  for n, p in sorted(probe.items()):
    print(f"  {n}: {len(p['struct'])} structs, {len(p['field'])} fields, {len(p['ioctl'])} ioctls, {len(p['const'])} constants")
  assert structs >= 60 and fields > 4 * structs and ioctls >= 100
  # the interfaces the drivers use are all among them
  for st in ("struct drm_version", "struct drm_syncobj_wait", "struct kfd_ioctl_alloc_memory_of_gpu_args", "struct kfd_ioctl_create_queue_args",
             "struct drm_i915_gem_execbuffer2", "struct drm_i915_query_item", "union drm_amdgpu_gem_create"):
    assert any(st in p["struct"] for p in probe.values()), st
