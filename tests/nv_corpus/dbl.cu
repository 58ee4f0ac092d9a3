#include "pre.h"
// fp64: fused multiply-add, IEEE division and square root (ptxas' Newton sequences on MUFU.RCP64H/RSQ64H, slow-path
// subroutines), conversions to and from fp32 and 64-bit integers, comparisons
extern "C" __global__ void dbl(double* o, long long* oi, const double* x, const long long* k, int n) {
  int i = GID;
  if (i >= n) return;
  double v = x[i];
  double* r = o + 6 * i;
  r[0] = v * 3.0 + 1.0;
  r[1] = v / 7.0;
  r[2] = (double)(float)v;
  r[3] = __builtin_sqrt(__builtin_fabs(v));
  r[4] = (double)k[i] + v * v;
  r[5] = v < 0.5 ? v : -v;
  oi[i] = (long long)(v * 1e6);
}
