#include "common.h"
// f32 denormals: kept by default (FLOAT_MODE FP_DENORM = 3), flushed with -cl-denorms-are-zero (FP_DENORM f32 = 0)
__kernel void denorm(__global const float *a, __global float *o) {
  int i = GID0;
  o[i] = a[i] * 0.5f + a[i] * 0.25f;
}
