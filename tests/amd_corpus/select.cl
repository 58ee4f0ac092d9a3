#include "common.h"
// compares and selects, including NaN (unordered compares), a branchy clamp, and an exec-masked early return
__kernel void select(__global const float *a, __global float *o, __global int *flags, int n) {
  int i = GID0;
  if (i >= n) return;
  float x = a[i];
  int f = (x != x) | ((x < 0.0f) << 1) | ((x >= 1.0f) << 2) | (!(x <= 2.0f) << 3);
  flags[i] = f;
  float y;
  if (x != x) y = -1.0f; else if (x < 0.0f) y = 0.0f; else if (x > 1.0f) y = 1.0f; else y = x;
  o[i] = y;
}
