#include "common.h"
// OpenCL 2.0 generic pointers through a real call: flat_* loads that reach global memory or LDS by aperture
__attribute__((noinline)) int sum4(const int *p) { return p[0] + p[1] + p[2] + p[3]; }
__kernel void generic_ptr(__global const int *in, __global int *out) {
  __local int l[64];
  int i = LID0;
  l[i] = in[i] * 2;
  LDS_SYNC();
  out[i] = sum4(&in[i & ~3]) + 10 * sum4(&l[i & ~3]);
}
