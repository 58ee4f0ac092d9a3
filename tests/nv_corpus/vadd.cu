#include "pre.h"
extern "C" __global__ void vadd(float* c, const float* a, const float* b, int n) {
  int i = GID;
  if (i < n) c[i] = a[i] + b[i];
}
