#include "common.h"
// a private array indexed by data (cannot live in registers: scratch memory), per work-item
__kernel void private_mem(__global const int *idx, __global int *out) {
  int i = GID0;
  volatile int t[40];
  for (int k = 0; k < 40; k++) t[k] = k * k + i;
  out[i] = t[idx[i] % 40] + t[(idx[i] * 7) % 40];
}
