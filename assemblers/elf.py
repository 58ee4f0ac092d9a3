"""A small generic ELF64 little-endian writer and reader (no ISA or vendor specifics).

Writer API (stable; other ISA packages import it):
  w = ElfWriter(machine=190, etype=ET_EXEC, osabi=0x41, abiversion=8, flags=0)
  idx = w.add_section(name, data=b"", type=SHT_PROGBITS, flags=0, align=1, entsize=0, link=0, info=0, size=None, addr=0)
        # section index (>= 1); `link`/`info` may be patched later via w.sections[idx]; size is for SHT_NOBITS
  w.add_note(name_of_section, owner, type, desc, align=4)        # one SHT_NOTE section with one note
  s = w.add_symbol(name, value=0, size=0, bind=STB_LOCAL, type=STT_NOTYPE, other=0, shndx=0)   # symbol index (>= 1)
        # locals must be added before globals (ELF rule); the writer checks
  w.add_rela(target_idx, [(offset, sym, type, addend)], name=None, rel=False)    # .rela<target> / .rel<target>
  w.add_phdr(type, flags, sections=[idx...], align=8)             # optional program headers covering those sections
  data = w.build()
Section ".shstrtab", ".strtab" and ".symtab" are created by build() (symtab only if there are symbols).

Reader: read_elf(data) -> Elf with .header dict, .sections (list of Section: name, type, flags, addr, offset, size, link, info,
align, entsize, data), .symbols (list of Symbol: name, value, size, bind, type, other, shndx), .section(name), .relocations(sec)
-> [(offset, sym, type, addend)] for SHT_REL/SHT_RELA sections.
Layout facts: the ELF-64 Object File Format (gABI) struct layouts (Elf64_Ehdr 64 B, Elf64_Shdr 64 B, Elf64_Phdr 56 B,
Elf64_Sym 24 B, Elf64_Rel 16 B, Elf64_Rela 24 B)."""
import struct
from dataclasses import dataclass, field
from hwrt.errors import InvalidKernelBinary

ET_REL, ET_EXEC, ET_DYN = 1, 2, 3
SHT_NULL, SHT_PROGBITS, SHT_SYMTAB, SHT_STRTAB, SHT_RELA, SHT_NOTE, SHT_NOBITS, SHT_REL = 0, 1, 2, 3, 4, 7, 8, 9
SHF_WRITE, SHF_ALLOC, SHF_EXECINSTR, SHF_INFO_LINK = 0x1, 0x2, 0x4, 0x40
STB_LOCAL, STB_GLOBAL, STB_WEAK = 0, 1, 2
STT_NOTYPE, STT_OBJECT, STT_FUNC, STT_SECTION, STT_FILE = 0, 1, 2, 3, 4
PT_LOAD, PT_PHDR, PT_NOTE = 1, 6, 4
PF_X, PF_W, PF_R = 1, 2, 4
EHDR, SHDR, PHDR = "<16sHHIQQQIHHHHHH", "<IIQQQQIIQQ", "<IIQQQQQQ"

@dataclass
class Section:
  name: str
  type: int = SHT_PROGBITS
  flags: int = 0
  data: bytes = b""
  align: int = 1
  entsize: int = 0
  link: int = 0
  info: int = 0
  addr: int = 0
  size: int | None = None     # SHT_NOBITS size (else len(data))
  offset: int = 0             # file offset (set by build/read)
  def nbytes(self) -> int: return self.size if self.size is not None else len(self.data)

@dataclass
class Symbol:
  name: str
  value: int = 0
  size: int = 0
  bind: int = STB_LOCAL
  type: int = STT_NOTYPE
  other: int = 0
  shndx: int = 0

class _StrTab:
  def __init__(self): self.data, self.index = bytearray(b"\0"), {"": 0}
  def add(self, s: str) -> int:
    if s not in self.index: self.index[s] = len(self.data); self.data += s.encode() + b"\0"
    return self.index[s]

def _align(n: int, a: int) -> int: return (n + a - 1) // a * a if a > 1 else n

class ElfWriter:
  def __init__(self, machine: int, etype: int = ET_EXEC, osabi: int = 0, abiversion: int = 0, flags: int = 0, entry: int = 0):
    self.machine, self.etype, self.osabi, self.abiversion, self.flags, self.entry = machine, etype, osabi, abiversion, flags, entry
    self.sections: list[Section] = [Section("", SHT_NULL)]
    self.symbols: list[Symbol] = [Symbol("")]
    self.phdrs: list[tuple] = []
    self.symtab_index = None    # known after reserve_symtab()/build()

  def add_section(self, name, data=b"", type=SHT_PROGBITS, flags=0, align=1, entsize=0, link=0, info=0, size=None, addr=0) -> int:
    self.sections.append(Section(name, type, flags, bytes(data), align, entsize, link, info, addr, size))
    return len(self.sections) - 1

  def add_note(self, name, owner: str, type: int, desc: bytes, align=4) -> int:
    o = owner.encode() + b"\0"
    blob = struct.pack("<III", len(o), len(desc), type) + o.ljust(_align(len(o), 4), b"\0") + desc.ljust(_align(len(desc), 4), b"\0")
    return self.add_section(name, blob, SHT_NOTE, align=align)

  def add_symbol(self, name, value=0, size=0, bind=STB_LOCAL, type=STT_NOTYPE, other=0, shndx=0) -> int:
    if bind == STB_LOCAL and any(s.bind != STB_LOCAL for s in self.symbols[1:]):
      raise ValueError(f"local symbol {name!r} after a global one")
    self.symbols.append(Symbol(name, value, size, bind, type, other, shndx))
    return len(self.symbols) - 1

  def reserve_symtab(self, name=".symtab", strtab=".strtab") -> int:
    """Create .strtab/.symtab now (so their indices are known, e.g. for sh_link of relocation sections); filled in build()."""
    if self.symtab_index is None:
      self._strtab_index = self.add_section(strtab, type=SHT_STRTAB)
      self.symtab_index = self.add_section(name, type=SHT_SYMTAB, align=8, entsize=24)
    return self.symtab_index

  def add_rela(self, target: int, relocs, name=None, rel=False, flags=0) -> int:
    st = self.reserve_symtab()
    if rel: data = b"".join(struct.pack("<QQ", o, (s << 32) | t) for o, s, t, _ in relocs)
    else: data = b"".join(struct.pack("<QQq", o, (s << 32) | t, a) for o, s, t, a in relocs)
    nm = name or (".rel" if rel else ".rela") + self.sections[target].name
    return self.add_section(nm, data, SHT_REL if rel else SHT_RELA, flags=flags, align=8,
                            entsize=16 if rel else 24, link=st, info=target)

  def add_phdr(self, type, flags, sections=(), align=8):
    self.phdrs.append((type, flags, list(sections), align))

  def build(self) -> bytes:
    if len(self.symbols) > 1: self.reserve_symtab()
    shstr = _StrTab()
    shstr_idx = self.add_section(".shstrtab", type=SHT_STRTAB) if not any(s.name == ".shstrtab" for s in self.sections) else \
      next(i for i, s in enumerate(self.sections) if s.name == ".shstrtab")
    if self.symtab_index is not None:
      strtab = _StrTab()
      syms = b"".join(struct.pack("<IBBHQQ", strtab.add(s.name) if s.name else 0, (s.bind << 4) | s.type, s.other, s.shndx, s.value, s.size)
                      for s in self.symbols)
      st = self.sections[self.symtab_index]
      st.data, st.link = syms, self._strtab_index
      st.info = next((i for i, s in enumerate(self.symbols) if i and s.bind != STB_LOCAL), len(self.symbols))
      self.sections[self._strtab_index].data = bytes(strtab.data)
    names = [shstr.add(s.name) for s in self.sections]
    self.sections[shstr_idx].data = bytes(shstr.data)
    off = 64 + 56 * len(self.phdrs)
    for s in self.sections[1:]:
      off = _align(off, max(s.align, 1))
      s.offset = off
      if s.type != SHT_NOBITS: off += len(s.data)
    shoff = _align(off, 8)
    out = bytearray(shoff + 64 * len(self.sections))
    ident = b"\x7fELF" + bytes([2, 1, 1, self.osabi, self.abiversion])
    out[0:64] = struct.pack(EHDR, ident, self.etype, self.machine, 1, self.entry, 64 if self.phdrs else 0, shoff, self.flags,
                            64, 56 if self.phdrs else 0, len(self.phdrs), 64, len(self.sections), shstr_idx)
    for i, (type, flags, secs, align) in enumerate(self.phdrs):
      if secs:
        ss = [self.sections[j] for j in secs]
        start, end = min(s.offset for s in ss), max(s.offset + (0 if s.type == SHT_NOBITS else len(s.data)) for s in ss)
        mem = max(s.offset + s.nbytes() for s in ss) - start
        vaddr = min(s.addr for s in ss)
      else: start, end, mem, vaddr = 64, 64 + 56 * len(self.phdrs), 56 * len(self.phdrs), 0
      out[64 + 56 * i:64 + 56 * (i + 1)] = struct.pack(PHDR, type, flags, start, vaddr, vaddr, end - start, mem, align)
    for i, s in enumerate(self.sections):
      if i and s.type != SHT_NOBITS: out[s.offset:s.offset + len(s.data)] = s.data
      out[shoff + 64 * i:shoff + 64 * (i + 1)] = struct.pack(SHDR, names[i], s.type, s.flags, s.addr, s.offset if i else 0,
                                                              s.nbytes() if i else 0, s.link, s.info, s.align if i else 0, s.entsize)
    return bytes(out)

@dataclass
class Elf:
  header: dict
  sections: list = field(default_factory=list)
  symbols: list = field(default_factory=list)
  def section(self, name: str):
    return next((s for s in self.sections if s.name == name), None)
  def relocations(self, sec: Section):
    fmt, size = {SHT_REL: ("<QQ", 16), SHT_RELA: ("<QQq", 24)}.get(sec.type, (None, 0))
    if fmt is None: raise InvalidKernelBinary(f"section {sec.name!r} is not a relocation section")
    if len(sec.data) % size: raise InvalidKernelBinary(f"relocation section {sec.name!r}: {len(sec.data)} bytes is not a multiple of {size}")
    return [(o, i >> 32, i & 0xFFFFFFFF, r[0] if r else 0) for o, i, *r in struct.iter_unpack(fmt, sec.data)]
  def notes(self, sec: Section):
    """-> [(owner, type, desc)] of an SHT_NOTE section (gABI "Note Section": namesz, descsz, type, then both 4-aligned)"""
    out, d, i = [], sec.data, 0
    while i + 12 <= len(d):
      nsz, dsz, ty = struct.unpack_from("<III", d, i)
      no = i + 12; do = no + _align(nsz, 4); end = do + _align(dsz, 4)
      if do + dsz > len(d): raise InvalidKernelBinary(f"note in {sec.name!r} at offset {i} runs past its section ({len(d)} bytes)")
      out.append((d[no:no + nsz].rstrip(b"\0").decode("utf-8", "replace"), ty, d[do:do + dsz])); i = end
    return out

SHT_DYNSYM = 11

def _cstr(tab: bytes, off: int, what: str) -> str:
  if off == 0 and not tab: return ""
  if off >= len(tab) and off: raise InvalidKernelBinary(f"{what}: name offset {off} is outside its string table ({len(tab)} bytes)")
  end = tab.find(b"\0", off)
  if end < 0: raise InvalidKernelBinary(f"{what}: name at offset {off} has no terminating NUL")
  return tab[off:end].decode("utf-8", "replace")

def read_elf(data: bytes) -> Elf:
  """Every offset, size, index and link is range-checked; every failure is InvalidKernelBinary naming what and where."""
  def bad(why): raise InvalidKernelBinary(why)
  n = len(data)
  if n < 64 or data[:4] != b"\x7fELF": bad("not an ELF file" if data[:4] != b"\x7fELF" else f"ELF header truncated ({n} of 64 bytes)")
  if data[4] != 2 or data[5] != 1: bad("not a 64-bit little-endian ELF")
  ident, etype, machine, _, entry, phoff, shoff, flags, ehsize, phentsize, phnum, shentsize, shnum, shstrndx = struct.unpack_from(EHDR, data)
  hdr = dict(osabi=ident[7], abiversion=ident[8], type=etype, machine=machine, entry=entry, flags=flags, phoff=phoff, phnum=phnum)
  if phnum and (phentsize != 56 or phoff + phnum * 56 > n): bad(f"program header table (offset {phoff:#x}, {phnum} entries) out of range")
  if shnum and shentsize != 64: bad(f"e_shentsize {shentsize}, expected 64")
  if shnum and shoff + shnum * 64 > n: bad(f"section header table (offset {shoff:#x}, {shnum} entries) runs past the file ({n} bytes)")
  if shnum and shstrndx >= shnum: bad(f"e_shstrndx {shstrndx} out of range ({shnum} sections)")
  raw = [struct.unpack_from(SHDR, data, shoff + 64 * i) for i in range(shnum)]
  secs = []
  for i, (nm, ty, fl, ad, of, sz, lk, inf, al, es) in enumerate(raw):
    if ty not in (SHT_NOBITS, SHT_NULL) and (of > n or sz > n - of):
      bad(f"section {i}: data at offset {of:#x} size {sz:#x} runs past the file ({n} bytes)")
    if lk >= max(shnum, 1) and lk: bad(f"section {i}: sh_link {lk} out of range ({shnum} sections)")
    secs.append(Section("", ty, fl, b"" if ty in (SHT_NOBITS, SHT_NULL) else data[of:of + sz], al, es, lk, inf, ad,
                        sz if ty == SHT_NOBITS else None, of))
  if shnum:
    if secs[shstrndx].type != SHT_STRTAB: bad(f"e_shstrndx {shstrndx} names a section of type {secs[shstrndx].type}, not a string table")
    strs = secs[shstrndx].data
    for i, (s, r) in enumerate(zip(secs, raw)): s.name = _cstr(strs, r[0], f"section {i}")
  elf = Elf(hdr, secs)
  for i, s in enumerate(secs):
    if s.type in (SHT_REL, SHT_RELA) and s.info >= len(secs): bad(f"section {i} {s.name!r}: sh_info {s.info} out of range")
    if s.type not in (SHT_SYMTAB, SHT_DYNSYM) or (s.type == SHT_DYNSYM and any(x.type == SHT_SYMTAB for x in secs)): continue
    if len(s.data) % 24: bad(f"symbol table {s.name!r}: {len(s.data)} bytes is not a multiple of 24")
    strs = secs[s.link].data
    for j, (nm, info, other, shndx, value, size) in enumerate(struct.iter_unpack("<IBBHQQ", s.data)):
      elf.symbols.append(Symbol(_cstr(strs, nm, f"symbol {j}"), value, size, info >> 4, info & 15, other, shndx))
  return elf
