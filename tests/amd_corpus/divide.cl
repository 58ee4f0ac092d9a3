#include "common.h"
// integer division and remainder (unsigned and signed: LLVM expands them to rcp/mul_hi sequences) and IEEE float division
__kernel void divide(__global const uint *a, __global const uint *b, __global uint *uq, __global uint *ur,
                     __global int *sq, __global int *sr, __global const float *fa, __global const float *fb, __global float *fq) {
  int i = GID0;
  uq[i] = a[i] / b[i]; ur[i] = a[i] % b[i];
  int x = (int)a[i], y = (int)b[i] - 500;
  if (y == 0) y = 7;
  sq[i] = x / y; sr[i] = x % y;
  fq[i] = fa[i] / fb[i];
}
