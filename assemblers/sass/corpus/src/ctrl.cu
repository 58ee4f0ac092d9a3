#include "pre.h"
#define TILE 16
extern "C" __global__ void matmul_tiled(const float* A, const float* B, float* C, int N){
  __shared__ float As[TILE][TILE]; __shared__ float Bs[TILE][TILE];
  int tx = tid_x, ty = tid_y, row = ctaid_y * TILE + ty, col = ctaid_x * TILE + tx;
  float acc = 0.0f;
  for (int t = 0; t < N / TILE; t++) {
    As[ty][tx] = A[row * N + t * TILE + tx]; Bs[ty][tx] = B[(t * TILE + ty) * N + col];
    __syncthreads();
    for (int k = 0; k < TILE; k++) acc += As[ty][k] * Bs[k][tx];
    __syncthreads();
  }
  C[row * N + col] = acc;
}
extern "C" __global__ void reduce_sum(const float* in, float* out, int n){
  __shared__ float s[256];
  unsigned t = tid_x; int i = ctaid_x * ntid_x * 2 + t;
  float v = 0.0f; if (i < n) v = in[i]; if (i + (int)ntid_x < n) v += in[i + ntid_x];
  s[t] = v; __syncthreads();
  for (unsigned st = ntid_x / 2; st > 32; st >>= 1) { if (t < st) s[t] += s[t + st]; __syncthreads(); }
  if (t < 32) {
    float w = s[t] + s[t + 32];
    for (int o = 16; o > 0; o >>= 1) w += __nvvm_shfl_sync_down_f32(0xffffffff, w, o, 0x1f);
    if (t == 0) out[ctaid_x] = w;
  }
}
extern "C" __global__ void shuffles(int* o, const float* a){
  int i = GID; float x = a[i]; int y = (int)x;
  x += __nvvm_shfl_sync_bfly_f32(0xffffffff, x, 1, 0x1f);
  y += __nvvm_shfl_sync_idx_i32(0xffffffff, y, 0, 0x1f);
  y += __nvvm_shfl_sync_up_i32(0xffffffff, y, 2, 0);
  y += __nvvm_shfl_sync_idx_i32(0x0000ffff, y, i & 31, 0x1f);
  unsigned b = __nvvm_vote_ballot_sync(0xffffffff, x > 0.0f);
  int any = __nvvm_vote_any_sync(0xffffffff, y > 3);
  o[i] = y + (int)x + (int)b + any + laneid;
}
extern "C" __global__ void branches(int* o, const int* a, int n, int m){
  int i = GID; int acc = 0;
  for (int j = 0; j < n; j++) {
    int v = a[j * m + i];
    if (v & 1) acc += v; else if (v & 2) acc -= v * 3; else { acc ^= v; if (acc > 1000) break; }
  }
  while (acc > 100) acc = acc / 2 - 1;
  switch (acc & 3) { case 0: acc += 7; break; case 1: acc *= 5; break; case 2: acc -= 9; break; default: acc = -acc; }
  o[i] = acc + (int)__nvvm_read_ptx_sreg_clock() + (int)nctaid_x + ctaid_y + (int)__nvvm_read_ptx_sreg_warpid();
}
extern "C" __global__ void saxpy(float a, const float* x, float* y, int n){
  for (int i = GID; i < n; i += ntid_x * nctaid_x) y[i] = a * x[i] + y[i];
}
extern "C" __global__ void vadd(const float* a, const float* b, float* c, int n){
  int i = GID; if (i < n) c[i] = a[i] + b[i];
}
extern "C" __global__ void params(char c, short h, int i, long long l, float f, double d, const void* p, int* out){
  out[GID] = c + h + i + (int)l + (int)f + (int)d + (p != 0);
}
extern "C" __global__ void warp_sync(int* o, const int* a, unsigned m){
  int i = GID; int v = a[i];
  if (v > 0) { __nvvm_bar_warp_sync(m); v += __nvvm_shfl_sync_idx_i32(m, v, 3, 0x1f); }
  __nvvm_bar_warp_sync(0xffffffff);
  o[i] = v;
}
