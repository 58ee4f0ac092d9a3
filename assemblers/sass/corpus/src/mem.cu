#include "pre.h"
struct __attribute__((aligned(16))) f4 { float x, y, z, w; };
struct __attribute__((aligned(8))) f2 { float x, y; };
extern "C" __global__ void widths(char* c, short* h, int* w, f2* d, f4* q, const f4* qi, const f2* di, const char* ci, const short* hi){
  int i = GID;
  c[i] = ci[i] + 1; h[i] = hi[i] * 3; ((unsigned char*)c)[i+1000] = ((const unsigned char*)ci)[i+7];
  ((unsigned short*)h)[i+1000] = ((const unsigned short*)hi)[i+3];
  f4 v = qi[i]; v.x += 1.0f; v.w *= 2.0f; q[i] = v;
  f2 u = di[i]; u.y += u.x; d[i] = u;
  w[i + 64] = w[i - 3] + 5;
}
extern "C" __global__ void atomics(int* ctr, float* fs, unsigned long long* u64, int* out, int n){
  __shared__ int sh[256]; __shared__ float shf[32];
  int i = GID;
  sh[tid_x] = 0; if (tid_x < 32) shf[tid_x] = 0; __syncthreads();
  __atomic_fetch_add(&sh[tid_x & 7], i, __ATOMIC_RELAXED);
  __atomic_fetch_add(&shf[tid_x & 31], 1.0f, __ATOMIC_RELAXED);
  int old = __atomic_fetch_add(&ctr[0], 1, __ATOMIC_RELAXED);
  __atomic_fetch_add(&ctr[1], 1, __ATOMIC_RELAXED);
  __atomic_fetch_max(&ctr[2], i, __ATOMIC_RELAXED);
  __atomic_fetch_min(&ctr[3], i, __ATOMIC_RELAXED);
  __atomic_fetch_or(&ctr[4], i, __ATOMIC_RELAXED);
  __atomic_fetch_and(&ctr[5], i, __ATOMIC_RELAXED);
  __atomic_fetch_xor(&ctr[6], i, __ATOMIC_RELAXED);
  int e = __atomic_exchange_n(&ctr[7], i, __ATOMIC_RELAXED);
  int exp = 5; __atomic_compare_exchange_n(&ctr[8], &exp, i, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
  __atomic_fetch_add(&fs[i & 15], 1.5f, __ATOMIC_RELAXED);
  float fo = __atomic_fetch_add(&fs[16], 2.5f, __ATOMIC_RELAXED);
  unsigned long long o64 = __atomic_fetch_add(&u64[0], 3ull, __ATOMIC_RELAXED);
  __atomic_fetch_add(&u64[1], (unsigned long long)i, __ATOMIC_RELAXED);
  __syncthreads();
  out[i] = old + e + exp + sh[tid_x] + (int)shf[tid_x & 31] + (int)fo + (int)o64;
}
extern "C" __global__ void local_mem(int* o, const int* a, int k){
  int buf[64];
  for (int j = 0; j < 64; j++) buf[j] = a[j * k + tid_x];
  o[GID] = buf[(tid_x * 7) & 63] + buf[k & 63];
}
__device__ int g_counter;
__device__ float g_table[64];
__constant__ float c_coef[16];
extern "C" __global__ void globals(float* out, int k){
  int i = GID;
  out[i] = g_table[i & 63] * c_coef[k & 15] + c_coef[3];
  if (i == 0) g_counter += k;
}
