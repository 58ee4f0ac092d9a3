#include "common.h"
// inclusive prefix sum per workgroup of 128 in LDS (Hillis-Steele, barriers between steps)
__kernel void lds_scan(__global const int *in, __global int *out) {
  __local int buf[2][128];
  int l = LID0, g = GID0, p = 0;
  buf[0][l] = in[g];
  LDS_SYNC();
  for (int off = 1; off < 128; off <<= 1) {
    int v = buf[p][l];
    if (l >= off) v += buf[p][l - off];
    buf[1 - p][l] = v;
    p = 1 - p;
    LDS_SYNC();
  }
  out[g] = buf[p][l];
}
