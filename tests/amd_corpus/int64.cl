#include "common.h"
// 64-bit integer math: multiply, add, shifts, xor, rotate (a splitmix64 step), signed 64-bit compare and select
__kernel void int64(__global const ulong *in, __global ulong *out, __global long *sout) {
  int i = GID0;
  ulong z = in[i] + 0x9E3779B97F4A7C15ul;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ul;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBul;
  out[i] = z ^ (z >> 31);
  long s = (long)in[i] - (long)0x4000000000000000l;
  sout[i] = s < 0 ? -s : (s << 1) + (long)i;
}
