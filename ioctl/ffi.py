"""The one cffi FFI instance (ABI mode) that every kernel-interface table in ioctl/ declares into, plus libc."""
import cffi

ffi = cffi.FFI()
ffi.cdef("""
int open(const char *path, int flags, ...);
int close(int fd);
int ioctl(int fd, unsigned long request, ...);
void *mmap(void *addr, size_t length, int prot, int flags, int fd, long offset);
int munmap(void *addr, size_t length);
int memfd_create(const char *name, unsigned int flags);
""")
# Linux uapi fixed-width types (asm-generic/int-ll64.h, posix_types.h) used by the drm/kfd/amdgpu/i915/xe tables
ffi.cdef("""
typedef uint8_t __u8; typedef uint16_t __u16; typedef uint32_t __u32; typedef uint64_t __u64;
typedef int8_t __s8; typedef int16_t __s16; typedef int32_t __s32; typedef int64_t __s64;
typedef __u16 __le16; typedef __u16 __be16; typedef __u32 __le32; typedef __u32 __be32; typedef __u64 __le64; typedef __u64 __be64;
typedef unsigned long __kernel_size_t; typedef long __kernel_ssize_t; typedef unsigned long __kernel_ulong_t;
""")
libc = ffi.dlopen(None)
MAP_FAILED = 0xFFFFFFFFFFFFFFFF

# ---- fast type lookup. cffi parses every new type string with pycparser behind a preamble that names every typedef
# declared so far; with the kernel-ABI tables loaded that costs ~0.2 s per distinct string. Simple declarations
# ("NAME", "struct NAME", "T *", "T[N]", "volatile T *") are built from cffi's own declaration table instead.
import re as _re
from cffi import model as _model
_SIMPLE = _re.compile(r"\s*(?:(?:volatile|const)\s+)*(?:(struct|union)\s+)?(\w+)\s*((?:\*\s*)*)((?:\[\s*\d*\s*\]\s*)*)$")
_slow_parse_type = ffi._parser.parse_type
def _fast_parse_type(cdecl: str):
  m = _SIMPLE.match(cdecl)
  if m:
    kw, name, stars, arrays = m.groups()
    decls, tp = ffi._parser._declarations, None
    if kw: tp = decls.get(f"{kw} {name}", (None,))[0]
    elif f"typedef {name}" in decls: tp = decls[f"typedef {name}"][0]
    elif name in _model.PrimitiveType.ALL_PRIMITIVE_TYPES: tp = _model.PrimitiveType(name)
    elif name == "void": tp = _model.void_type
    if tp is not None:
      for _ in range(stars.count("*")): tp = _model.PointerType(tp)
      for d in reversed(_re.findall(r"\[\s*(\d*)\s*\]", arrays)): tp = _model.ArrayType(tp, int(d) if d else None)
      return tp
  return _slow_parse_type(cdecl)
ffi._parser.parse_type = _fast_parse_type
