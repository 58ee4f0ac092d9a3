#include "pre.h"
// 64-bit integer arithmetic: carries, borrows, wide multiplies, shifts, comparisons, division
extern "C" __global__ void int64(unsigned long long* o, const unsigned long long* a, const unsigned long long* b, int n) {
  int i = GID;
  if (i >= n) return;
  unsigned long long x = a[i], y = b[i];
  long long sx = (long long)x, sy = (long long)y;
  unsigned long long* r = o + 12 * i;
  r[0] = x + y; r[1] = x - y; r[2] = x * y; r[3] = __nvvm_mulhi_ull(x, y);
  r[4] = x << (y & 63); r[5] = x >> (y & 63); r[6] = (unsigned long long)(sx >> (y & 63));
  r[7] = (x < y) | (sx < sy) << 1 | (x == y) << 2 | (sx >= sy) << 3 | (x > y) << 4;
  r[8] = y ? x / y : 0; r[9] = y ? x % y : 0;
  r[10] = x + y + (x < y) - (unsigned long long)(sy * 3);
  r[11] = (unsigned long long)__nvvm_mulhi_i((int)x, (int)y) + __builtin_popcountll(x) + (y ? __builtin_clzll(y) : 64);
}
