#include "common.h"
// histogram with global atomics: 16 bins, plus an atomic max and a compare-and-swap counter
__kernel void atomics(__global const uint *in, __global uint *hist, __global int *mx, __global uint *cas, int n) {
  int i = GID0;
  if (i >= n) return;
  __atomic_fetch_add(&hist[in[i] & 15], 1u, __ATOMIC_RELAXED);
  __atomic_fetch_max(mx, (int)(in[i] >> 4), __ATOMIC_RELAXED);
  uint old = *cas;
  while (!__atomic_compare_exchange_n(cas, &old, old + 2u, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {}
}
