#include "pre.h"
// fp32 rounding modes, flush-to-zero, min/max, conversions with rounding, IEEE division and square root
extern "C" __global__ void fpmodes(float* o, int* oi, const float* a, const float* b, const float* c, int n) {
  int i = GID;
  if (i >= n) return;
  float x = a[i], y = b[i], z = c[i];
  float* r = o + 20 * i; int* ri = oi + 8 * i;
  r[0] = __nvvm_fma_rz_f(x, y, z);  r[1] = __nvvm_fma_rm_f(x, y, z);  r[2] = __nvvm_fma_rp_f(x, y, z);
  r[3] = __nvvm_add_rz_f(x, y);     r[4] = __nvvm_add_rm_f(x, y);     r[5] = __nvvm_mul_rp_f(x, y);
  r[6] = __nvvm_mul_rz_f(x, y);     r[7] = __nvvm_fma_rn_ftz_f(x, y, z); r[8] = __nvvm_add_rn_ftz_f(x, y);
  r[9] = __nvvm_fmin_f(x, y);       r[10] = __nvvm_fmax_f(x, y);      r[11] = __nvvm_div_rn_f(x, y);
  r[12] = __nvvm_sqrt_rn_f(__builtin_fabsf(x)); r[13] = __nvvm_i2f_rz((int)(x * 1e6f)); r[14] = __nvvm_ui2f_rp((unsigned)(y * 3e9f));
  r[15] = __nvvm_mul_rn_ftz_f(x, y);
  r[16] = __nvvm_floor_f(x * 1e3f); r[17] = __nvvm_ceil_f(x * 1e3f); r[18] = __nvvm_trunc_f(x * 1e3f); r[19] = __builtin_rintf(x * 1e3f);
  ri[0] = __nvvm_f2i_rn(x * 100.0f); ri[1] = __nvvm_f2i_rm(x * 100.0f); ri[2] = __nvvm_f2i_rp(x * 100.0f); ri[3] = __nvvm_f2i_rz(x * 100.0f);
  ri[4] = (int)__nvvm_f2ui_rz(y * 1e9f); ri[5] = x < y; ri[6] = x != x || y >= z; ri[7] = (int)__nvvm_f2ll_rz(x * 1e12f);
}
