#include "common.h"
// tree reduction of 256 ints per workgroup in LDS, one partial per group
__kernel void reduce(__global const int *in, __global int *out) {
  __local int s[256];
  int l = LID0;
  s[l] = in[GID0];
  LDS_SYNC();
  for (int k = 128; k > 0; k >>= 1) { if (l < k) s[l] += s[l + k]; LDS_SYNC(); }
  if (l == 0) out[GROUP0] = s[0];
}
