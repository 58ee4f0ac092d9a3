"""ABI conformance for the interfaces Debian ships no header for (NVIDIA RM + UVM, Intel xe): every struct size, field
offset/size, ioctl request, constant, RM class id and RM control cmd our tables declare is checked against a facts table
computed by gcc from the vendor's headers (tests/abi_facts/*.tsv; each row names its header file, the first line the
version). tests/abi_facts/make_facts.py regenerates them."""
import csv, os, pytest
from pathlib import Path
from hwrt.ioctl.abi import load, declared_fields
from hwrt.ioctl.ffi import ffi

FACTS = Path(__file__).parent / "abi_facts"
TABLES = {"nv_580.tsv": ("nv", "uvm"), "xe.tsv": ("xe",), "kfd_1.16.tsv": ("kfd",)}

def read_facts(fname):
  lines = (FACTS / fname).read_text().splitlines()
  assert lines[0].startswith("# ABI facts computed by gcc from "), "first line must name the source version"
  return lines[0], list(csv.DictReader(lines[1:], delimiter="\t"))

def field_type(ctype, path):
  t = ffi.typeof(ctype)
  for p in path.split("."): t = dict(t.fields)[p].type
  return t

def field_size(ctype, path):
  t = field_type(ctype, path)
  return 0 if t.kind == "array" and t.length is None else ffi.sizeof(t)   # flexible array member: 0

def available():
  return [f for f in TABLES if (FACTS / f).exists()]

@pytest.fixture(scope="module", params=sorted(TABLES))
def facts(request):
  if not (FACTS / request.param).exists(): pytest.fail(f"facts table {request.param} missing")
  head, rows = read_facts(request.param)
  return request.param, head, rows, [load(n) for n in TABLES[request.param]]

def test_every_row_names_its_source(facts):
  fname, head, rows, _ = facts
  assert rows and all(r["source"] not in ("", "?") for r in rows), [r for r in rows if r["source"] in ("", "?")][:5]
  assert "nv" not in fname or "580" in head

def test_struct_sizes(facts):
  _, _, rows, _ = facts
  bad = [(r["name"], int(r["size"]), ffi.sizeof(r["name"])) for r in rows if r["kind"] == "struct" and ffi.sizeof(r["name"]) != int(r["size"])]
  assert not bad

def test_field_offsets_and_sizes(facts):
  _, _, rows, _ = facts
  bad = []
  for r in rows:
    if r["kind"] != "field": continue
    off = ffi.offsetof(r["name"], *r["field"].split("."))
    size = field_size(r["name"], r["field"])
    if (off, size) != (int(r["offset"]), int(r["size"])): bad.append((r["name"], r["field"], off, size, r["offset"], r["size"]))
  assert not bad

def test_every_declared_layout_has_facts(facts):
  """every struct and every field we declare is covered (nothing unchecked)"""
  _, _, rows, ifaces = facts
  structs = {r["name"] for r in rows if r["kind"] == "struct"}
  fields = {(r["name"], r["field"]) for r in rows if r["kind"] == "field"}
  missing = []
  for iface in ifaces:
    for st in iface.structs:
      if st not in structs: missing.append(st)
      missing += [f"{st}.{p}" for p, _ in declared_fields(st) if (st, p) not in fields]
  assert not missing

def test_ioctl_requests(facts):
  _, _, rows, ifaces = facts
  ours = {}
  for iface in ifaces:
    for r in iface.ioctl_rows:
      ours[r.name if r.struct == iface.ioctls[r.name].struct else f"{r.name}@{r.struct}"] = (r.request, r.size)
  fx = {r["name"]: (int(r["value"], 16), int(r["size"])) for r in rows if r["kind"] == "ioctl"}
  assert set(ours) == set(fx)
  assert {k: v for k, v in ours.items() if fx[k] != v} == {}

def test_constants_class_ids_controls(facts):
  _, _, rows, ifaces = facts
  consts, classes, controls = {}, {}, {}
  for iface in ifaces:
    consts.update(iface.constants); classes.update(iface.rm_classes); controls.update(iface.rm_controls)
  bad, n = [], 0
  for r in rows:
    if r["kind"] == "const":
      v = consts[r["name"]]
      want = tuple(int(x) for x in r["value"].split(":")) if ":" in r["value"] else int(r["value"])
      if isinstance(want, int):   # compare as the C type's bit pattern: (1 << 31) is an int in C, 0x80000000 in our table
        m = (1 << 8 * int(r["size"])) - 1
        want, v = want & m, v & m
      n += 1
      if v != want: bad.append((r["name"], v, r["value"]))
    elif r["kind"] in ("rm_class", "rm_control"):
      obj = (classes if r["kind"] == "rm_class" else controls)[r["name"]]
      val = obj.id if r["kind"] == "rm_class" else obj.cmd
      params = obj.params or "-"
      if (val, params) != (int(r["value"], 16), r["field"]) or (obj.params and ffi.sizeof(obj.params) != int(r["size"])):
        bad.append((r["name"], val, r["value"]))
  assert not bad
  assert {r["name"] for r in rows if r["kind"] == "const"} == set(consts)
  assert {r["name"] for r in rows if r["kind"] == "rm_class"} == set(classes)
  assert {r["name"] for r in rows if r["kind"] == "rm_control"} == set(controls)

def test_nv_spot_values_from_fact_sheet():
  """a few numbers quoted in /work/shared research (nvidia_rm_abi.md §1.3, §2.2, §3.2), independent of the generator"""
  from hwrt.ioctl import nv, uvm
  assert (nv.NV_ESC_RM_ALLOC, nv.NV_ESC_RM_CONTROL, nv.NV_ESC_RM_FREE) == (0xC020462B, 0xC020462A, 0xC0104629)
  assert nv.iface.request("NV_ESC_RM_ALLOC", "NVOS64_PARAMETERS") == 0xC030462B
  assert (nv.NV_ESC_RM_MAP_MEMORY, nv.NV_ESC_RM_MAP_MEMORY_DMA, nv.NV_ESC_CHECK_VERSION_STR) == (0xC038464E, 0xC0404657, 0xC04846D2)
  assert (uvm.UVM_INITIALIZE, uvm.UVM_REGISTER_GPU, uvm.UVM_MAP_EXTERNAL_ALLOCATION, uvm.UVM_FREE) == (0x30000001, 37, 33, 34)
  assert [ffi.sizeof(t) for t in ("NV_CHANNEL_ALLOC_PARAMS", "NV_MEMORY_ALLOCATION_PARAMS", "NV_VASPACE_ALLOCATION_PARAMETERS",
                                  "UVM_MAP_EXTERNAL_ALLOCATION_PARAMS", "NV0080_ALLOC_PARAMETERS")] == [368, 128, 56, 9264, 56]
  assert (nv.HOPPER_COMPUTE_A, nv.HOPPER_DMA_COPY_A, nv.HOPPER_CHANNEL_GPFIFO_A, nv.HOPPER_USERMODE_A) == (0xCBC0, 0xC8B5, 0xC86F, 0xC661)
  assert nv.NVC36F_CTRL_CMD_GPFIFO_GET_WORK_SUBMIT_TOKEN == 0xC36F0108 and nv.NV_ERR_INVALID_OBJECT_HANDLE == 0x33

def test_nv_chip_table_against_the_driver_class_lists():
  """each rm_chips row: MC arch/implementation as ctrl2080mc.h says, and compute/dma/gpfifo/usermode are the newest class of
  that kind in the chip's list in g_gpu_class_list.c (580.142)"""
  from hwrt.ioctl import nv
  _, rows = read_facts("nv_580.tsv")
  lists = {r["name"]: r for r in rows if r["kind"] == "rm_chip"}
  kinds = {"compute": "_COMPUTE_", "dma": "_DMA_COPY_", "gpfifo": "_CHANNEL_GPFIFO_", "usermode": "_USERMODE_"}
  for chip in nv.iface.rm_chips.values():
    r = lists[chip.chip]
    assert (chip.arch, chip.impl) == (int(r["value"], 16), int(r["size"])), chip.chip
    listed = r["field"].split(",")
    for attr, infix in kinds.items():
      of_kind = [c for c in listed if infix in c]
      assert all(c in nv.iface.rm_classes for c in of_kind), (chip.chip, of_kind)
      newest = max(of_kind, key=lambda c: nv.iface.rm_classes[c].id)
      assert getattr(chip, attr) == newest, (chip.chip, attr, getattr(chip, attr), newest)

def test_nv_generation_table():
  from hwrt.ioctl import nv
  for chip in nv.iface.rm_chips.values():
    for cls in (chip.compute, chip.dma, chip.gpfifo, chip.usermode): assert cls in nv.iface.rm_classes, (chip.chip, cls)
  gens = {c.gen for c in nv.iface.rm_chips.values()}
  assert {"ampere", "ada", "hopper", "blackwell"} <= gens
  assert nv.iface.rm_chips["GH100"].compute == "HOPPER_COMPUTE_A" and nv.iface.rm_chips["GH100"].arch == nv.NV2080_CTRL_MC_ARCH_INFO_ARCHITECTURE_GH100
