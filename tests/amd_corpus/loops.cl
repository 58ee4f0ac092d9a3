#include "common.h"
// data-dependent trip counts (lanes diverge and reconverge): collatz steps capped at 500, and a nested loop sum
__kernel void loops(__global const uint *in, __global uint *steps, __global uint *sums) {
  int i = GID0;
  uint x = in[i], s = 0;
  while (x != 1 && s < 500) { x = (x & 1) ? 3 * x + 1 : x >> 1; s++; }
  steps[i] = s;
  uint acc = 0;
  for (uint a = 0; a < (in[i] & 7); a++)
    for (uint b = 0; b <= a; b++) acc += a * b + 1;
  sums[i] = acc;
}
