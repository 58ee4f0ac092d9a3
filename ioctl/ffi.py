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
libc = ffi.dlopen(None)
MAP_FAILED = 0xFFFFFFFFFFFFFFFF
