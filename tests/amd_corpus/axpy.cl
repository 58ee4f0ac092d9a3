#include "common.h"
__kernel void axpy(__global float *c, __global const float *a, __global const float *b, int n) {
  int i = GID0;
  if (i < n) c[i] = a[i] * 2.0f + b[i];
}
