"""Linux _IOC request encoding (include/uapi/asm-generic/ioctl.h): nr 8 bits, type 8, size 14, dir 2."""
IOC_NONE, IOC_WRITE, IOC_READ = 0, 1, 2
NRSHIFT, TYPESHIFT, SIZESHIFT, DIRSHIFT = 0, 8, 16, 30

def IOC(d: int, t, nr: int, size: int) -> int:
  t = ord(t) if isinstance(t, str) else t
  assert 0 <= size < (1 << 14), f"ioctl size {size} does not fit 14 bits"
  return (d << DIRSHIFT) | (t << TYPESHIFT) | (nr << NRSHIFT) | (size << SIZESHIFT)
def IO(t, nr): return IOC(IOC_NONE, t, nr, 0)
def IOR(t, nr, size): return IOC(IOC_READ, t, nr, size)
def IOW(t, nr, size): return IOC(IOC_WRITE, t, nr, size)
def IOWR(t, nr, size): return IOC(IOC_READ | IOC_WRITE, t, nr, size)
DIRS = {"IO": IOC_NONE, "IOR": IOC_READ, "IOW": IOC_WRITE, "IOWR": IOC_READ | IOC_WRITE}

def ioc_fields(req: int) -> dict:
  return {"dir": (req >> DIRSHIFT) & 3, "type": (req >> TYPESHIFT) & 0xFF, "nr": req & 0xFF, "size": (req >> SIZESHIFT) & 0x3FFF}
