#include "pre.h"
extern "C" __global__ void int_ops(int* o, const int* a, const unsigned* b, int n, int s){
  int i = GID; if (i >= n) return;
  int x = a[i]; unsigned y = b[i];
  o[i*16+0] = x + y*3 - s;
  o[i*16+1] = (x << (s & 31)) ^ (int)(y >> 3) | (x & ~s);
  o[i*16+2] = x < s ? x : (int)y;
  o[i*16+3] = __builtin_popcount(y) + __builtin_clz(y|1) + __builtin_bitreverse32(y);
  o[i*16+4] = (int)(((long long)x * (long long)s) >> 32);
  o[i*16+5] = __nvvm_mulhi_ui(y, (unsigned)s);
  o[i*16+6] = x / (s|1) + (int)(y % 7u);
  o[i*16+7] = (x > s ? x : s) + (y < 5u ? y : 5u);
  o[i*16+8] = __builtin_abs(x) + (x > 0) - (y == 3u);
  o[i*16+9] = __nvvm_prmt(x, y, 0x3210 ^ s);
  o[i*16+10] = (x >> 5) + (int)(y >> (s&31)) + (int)__builtin_rotateleft32(y, s);
  o[i*16+11] = __nvvm_fns(y, 1, 0) ;
}
extern "C" __global__ void int64_ops(long long* o, const long long* a, const unsigned long long* b, long long s){
  int i = GID; long long x = a[i]; unsigned long long y = b[i];
  o[i*8+0] = x + (long long)y * s;
  o[i*8+1] = (x << 7) ^ (long long)(y >> 11) | (x & s);
  o[i*8+2] = x < s ? x : (long long)y;
  o[i*8+3] = x / s + (long long)(y % 13ull);
  o[i*8+4] = __builtin_popcountll(y) + __builtin_clzll(y|1);
  o[i*8+5] = (long long)(__int128)x * s;
}
extern "C" __global__ void float_ops(float* o, const float* a, const float* b, float s, int n){
  int i = GID; if (i >= n) return;
  float x = a[i], y = b[i];
  o[i*16+0] = x * y + s;
  o[i*16+1] = x * 0.5f - y * 3.0f;
  o[i*16+2] = __nvvm_fmax_f(x, y) + __nvvm_fmin_f(x, s);
  o[i*16+3] = __nvvm_ex2_approx_f(x) + __nvvm_lg2_approx_f(y);
  o[i*16+4] = __nvvm_sqrt_rn_f(x) + __nvvm_rsqrt_approx_f(y);
  o[i*16+5] = __nvvm_sin_approx_f(x) + __nvvm_cos_approx_f(y);
  o[i*16+6] = x / y;
  o[i*16+7] = __nvvm_rcp_rn_f(x) + __nvvm_fabs_f(y);
  o[i*16+8] = x < y ? s : -s;
  o[i*16+9] = (float)(int)x + (float)(unsigned)y;
  o[i*16+10] = (float)((int)(x * 100.f) ^ (int)y);
  o[i*16+11] = __builtin_floorf(x) + __builtin_ceilf(y) + __builtin_truncf(s);
  o[i*16+12] = __nvvm_fma_rn_ftz_f(x, y, s) + __nvvm_saturate_f(x);
  o[i*16+13] = (x != x) ? 1.0f : (x >= y ? 2.0f : 1e-30f);
}
extern "C" __global__ void double_ops(double* o, const double* a, const float* b, double s){
  int i = GID; double x = a[i]; float f = b[i];
  o[i*8+0] = x * s + (double)f;
  o[i*8+1] = x / s;
  o[i*8+2] = x < s ? x : 2.5;
  o[i*8+3] = (double)(long long)x + (double)(int)f;
  o[i*8+4] = __nvvm_sqrt_rn_d(x);
  o[i*8+5] = (float)x;
  o[i*8+6] = __nvvm_fmax_d(x, s) - __nvvm_fmin_d(x, 1.0);
}
extern "C" __global__ void half_ops(_Float16* o, const _Float16* a, const __bf16* b, float* f, int n){
  int i = GID; if (i >= n) return;
  _Float16 x = a[i], y = a[i+n];
  o[i*4+0] = x * y + (_Float16)1.5f;
  o[i*4+1] = (_Float16)f[i];
  __bf16 z = b[i];
  f[i] = (float)z + (float)x;
  o[i*4+2] = x < y ? x : y;
  ((__bf16*)o)[i*4+3] = (__bf16)(f[i+n] * 2.0f);
  ((unsigned short*)o)[i*4+1] += (unsigned short)(int)(float)x;
}
