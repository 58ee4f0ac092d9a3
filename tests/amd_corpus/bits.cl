#include "common.h"
// bit manipulation: popcount, clz/ctz, rotate, bitfield extract/insert, byte swap
__kernel void bits(__global const uint *a, __global uint *o) {
  int i = GID0;
  uint x = a[i];
  o[6 * i + 0] = __builtin_popcount(x);
  o[6 * i + 1] = x ? __builtin_clz(x) : 32;
  o[6 * i + 2] = x ? __builtin_ctz(x) : 32;
  o[6 * i + 3] = (x << 7) | (x >> 25);
  o[6 * i + 4] = ((x >> 5) & 0x3ff) | ((x & 0xff) << 20);
  o[6 * i + 5] = __builtin_bswap32(x);
}
