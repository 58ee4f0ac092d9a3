#include "pre.h"
// a per-thread array indexed at run time (local memory: STL/LDL through the stack pointer) and generic pointers that
// point at shared, global or local memory (LD/ST with the shared and local windows of constant bank 0)
extern "C" __global__ void local(int* o, const int* a, int k, int n) {
  __shared__ int sh[256];
  int buf[32];
  int i = GID;
  for (int j = 0; j < 32; j++) buf[j] = a[(j * k + i) % n];
  sh[tid_x] = buf[(tid_x * 7 + k) & 31];
  __syncthreads();
  int* p = (tid_x & 1) ? &sh[tid_x ^ 1] : &o[n + i];
  *(volatile int*)p = i;
  __syncthreads();
  int* q = (tid_x & 2) ? &buf[(k + tid_x) & 31] : &sh[tid_x];
  o[i] = *(volatile int*)q + buf[(i + k) & 31];
}
