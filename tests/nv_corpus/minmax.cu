#include "pre.h"
// fused add + min/max (VIADDMNMX), signed and unsigned min/max (VIMNMX)
__device__ int mn(int a, int b) { return a < b ? a : b; }
__device__ int mx(int a, int b) { return a > b ? a : b; }
__device__ unsigned umn(unsigned a, unsigned b) { return a < b ? a : b; }
extern "C" __global__ void minmax(int* o, const int* a, const int* b, const int* c, int n) {
  int i = GID; if (i >= n) return;
  int x = a[i], y = b[i], z = c[i];
  o[4*i] = mn(x + y, z); o[4*i+1] = mx(x + y, z); o[4*i+2] = (int)umn((unsigned)(x + y), (unsigned)z); o[4*i+3] = mx(x + 5, z);
}
