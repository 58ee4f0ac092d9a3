"""assemblers/elf.py (the generic ELF64 writer/reader the SASS and RDNA3 containers share): what it writes reads back,
and llvm-readelf parses it without complaint."""
import subprocess
import pytest
from conftest import oracle
from hwrt.assemblers import elf as E
from hwrt.errors import InvalidKernelBinary

def sample() -> bytes:
  w = E.ElfWriter(62, E.ET_DYN, osabi=0, flags=0x5)
  t = w.add_section(".text", b"\x90" * 32, flags=E.SHF_ALLOC | E.SHF_EXECINSTR, align=16, addr=0x1000)
  d = w.add_section(".data", b"\x01\x02\x03\x04\x05\x06\x07\x08", flags=E.SHF_ALLOC | E.SHF_WRITE, align=8, addr=0x2000)
  w.add_section(".bss", type=E.SHT_NOBITS, size=256, flags=E.SHF_ALLOC | E.SHF_WRITE, align=16, addr=0x3000)
  w.add_note(".note.test", "hwrt", 7, b"\xaa\xbb\xcc")
  w.add_symbol("local_fn", 0x1000, 16, E.STB_LOCAL, E.STT_FUNC, shndx=t)
  g = w.add_symbol("global_fn", 0x1010, 16, E.STB_GLOBAL, E.STT_FUNC, shndx=t)
  w.add_rela(d, [(0, g, 1, 8)])
  w.add_phdr(E.PT_LOAD, E.PF_R | E.PF_X, [t])
  return w.build()

def test_write_read_round_trip():
  e = E.read_elf(sample())
  assert e.header["machine"] == 62 and e.header["type"] == E.ET_DYN and e.header["flags"] == 5 and e.header["phnum"] == 1
  assert e.section(".text").data == b"\x90" * 32 and e.section(".text").addr == 0x1000
  assert e.section(".bss").nbytes() == 256 and e.section(".bss").data == b""
  assert [s.name for s in e.symbols] == ["", "local_fn", "global_fn"]
  assert e.symbols[2].bind == E.STB_GLOBAL and e.symbols[2].value == 0x1010
  assert e.relocations(e.section(".rela.data")) == [(0, 2, 1, 8)]
  note = e.section(".note.test").data
  assert note[12:17] == b"hwrt\0" and note[20:23] == b"\xaa\xbb\xcc"

def test_local_after_global_is_refused():
  w = E.ElfWriter(62)
  w.add_symbol("g", bind=E.STB_GLOBAL)
  with pytest.raises(ValueError): w.add_symbol("l", bind=E.STB_LOCAL)

def test_reader_rejects_truncated():
  with pytest.raises(InvalidKernelBinary): E.read_elf(sample()[:100])
  with pytest.raises(InvalidKernelBinary): E.read_elf(b"\x7fELF\x01\x01" + bytes(60))

@pytest.mark.oracle("llvm-readelf-19")
def test_llvm_readelf_accepts(tmp_path):
  p = tmp_path / "x.elf"; p.write_bytes(sample())
  r = subprocess.run([oracle("llvm-readelf-19"), "-a", "-W", str(p)], capture_output=True, text=True)
  assert r.returncode == 0 and "warning" not in r.stderr.lower() and "error" not in r.stderr.lower(), r.stderr
  assert "global_fn" in r.stdout and ".rela.data" in r.stdout and "LOAD" in r.stdout
