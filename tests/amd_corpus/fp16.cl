#include "common.h"
#pragma OPENCL EXTENSION cl_khr_fp16 : enable
// half precision: conversions, add/mul/fma in f16, and a packed pair (half2) multiply-add
__kernel void fp16(__global const half *a, __global const half *b, __global half *c, __global float *f, __global half2 *p) {
  int i = GID0;
  half x = a[i], y = b[i];
  c[i] = x * y + (half)1.5h;
  f[i] = (float)(x - y);
  half2 q = p[i];
  p[i] = q * (half2)(x, y) + q;
}
