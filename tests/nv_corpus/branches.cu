#include "pre.h"
// divergent branches, data-dependent loops, early exit, integer division, min/max, select
__device__ int collatz(unsigned x) { int s = 0; while (x > 1 && s < 1000) { x = (x & 1) ? 3 * x + 1 : x / 2; s++; } return s; }
extern "C" __global__ void branches(int* steps, int* cls, unsigned* divs, float* fl, const int* in, int n) {
  int i = GID;
  if (i >= n) return;
  int v = in[i];
  steps[i] = collatz((unsigned)v);
  int c;
  if (v % 3 == 0) c = v / 3; else if (v % 3 == 1) c = -v; else c = v * v;
  switch (v & 3) { case 0: c += 10; break; case 1: c ^= 0x55; break; case 2: c = c > 100 ? 100 : c; break; default: c = c < -7 ? -7 : c; }
  cls[i] = c;
  unsigned u = (unsigned)v * 2654435761u;
  divs[i] = u / 7u + u % 13u + (unsigned)((v ^ 0x5a5a) / (v % 17 + 1)) + ((u & (unsigned)c) | (~u & (unsigned)(v * 3)));  // a bit select
  float f = (float)v;
  for (int k = 0; k < (v & 7); k++) f = f * 0.5f + 1.0f;
  fl[i] = v > 50 ? f : -f;
}
