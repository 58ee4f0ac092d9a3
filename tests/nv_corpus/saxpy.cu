#include "pre.h"
extern "C" __global__ void saxpy(float* y, const float* x, float a, int n) {
  int i = GID;
  if (i < n) y[i] = a * x[i] + y[i];
}
