#include "pre.h"
// global and shared atomics; results that do not depend on the order of the threads
extern "C" __global__ void atomics(int* ctr, unsigned long long* c64, float* fsum, int* hist, const int* in, int n) {
  __shared__ int sh[16];
  int i = GID;
  if (tid_x < 16) sh[tid_x] = 0;
  __syncthreads();
  if (i < n) {
    int v = in[i];
    __atomic_fetch_add(&ctr[0], 1, __ATOMIC_RELAXED);
    __atomic_fetch_max(&ctr[1], v, __ATOMIC_RELAXED);
    __atomic_fetch_min(&ctr[2], v, __ATOMIC_RELAXED);
    __atomic_fetch_or(&ctr[3], v, __ATOMIC_RELAXED);
    __atomic_fetch_and(&ctr[4], v, __ATOMIC_RELAXED);
    __atomic_fetch_xor(&ctr[5], v, __ATOMIC_RELAXED);
    __atomic_fetch_add(&c64[0], (unsigned long long)(unsigned)v, __ATOMIC_RELAXED);
    __atomic_fetch_add(&fsum[0], (float)(v & 255), __ATOMIC_RELAXED);      // integral sums: exact in any order
    __atomic_fetch_add(&sh[v & 15], 1, __ATOMIC_RELAXED);
    int old = __atomic_fetch_add(&ctr[6], 1, __ATOMIC_RELAXED);              // tickets: a permutation of 0..n-1
    hist[n + old] = 1;
    int exp = 0; __atomic_compare_exchange_n(&ctr[7], &exp, 1, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
    if (exp == 0) __atomic_fetch_add(&ctr[8], 1, __ATOMIC_RELAXED);      // exactly one thread wins the CAS
    __atomic_exchange_n(&ctr[9], 42, __ATOMIC_RELAXED);
  }
  __syncthreads();
  if (tid_x < 16) __atomic_fetch_add(&hist[tid_x], sh[tid_x], __ATOMIC_RELAXED);
}
