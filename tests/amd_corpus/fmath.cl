#include "common.h"
// IEEE-defined float ops (bit-exact): sqrt, fma, fmin/fmax with NaN, floor/ceil/trunc/rint, fabs, copysign, int<->float
__kernel void fmath(__global const float *a, __global const float *b, __global float *o, __global int *io) {
  int i = GID0;
  float x = a[i], y = b[i];
  o[8 * i + 0] = __builtin_sqrtf(__builtin_fabsf(x));
  o[8 * i + 1] = __builtin_fmaf(x, y, 0.75f);
  o[8 * i + 2] = __builtin_fminf(x, y);
  o[8 * i + 3] = __builtin_fmaxf(x, y);
  o[8 * i + 4] = __builtin_floorf(x) + __builtin_ceilf(y);
  o[8 * i + 5] = __builtin_truncf(x) - __builtin_rintf(y);
  o[8 * i + 6] = __builtin_copysignf(y, x);
  o[8 * i + 7] = (float)(int)(x * 1000.0f) + (float)(uint)(__builtin_fabsf(y) * 77.0f);
  io[i] = (int)(y * 100000.0f);
}
