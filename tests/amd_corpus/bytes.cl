#include "common.h"
// narrow loads and stores: u8 and i16 in, widened math, u8/i16 out
__kernel void bytes(__global const uchar *a, __global const short *b, __global uchar *c, __global short *d, __global int *e) {
  int i = GID0;
  uchar x = a[i]; short y = b[i];
  c[i] = (uchar)(x * 3 + 1);
  d[i] = (short)(y * 2 - x);
  e[i] = (int)y * (int)x;
}
