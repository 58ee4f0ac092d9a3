#include "pre.h"
#define T 16
// C[M,N] = A[M,K] @ B[K,N], 16x16 tiles through shared memory; block (16,16); any M, N, K
extern "C" __global__ void matmul(float* C, const float* A, const float* B, int M, int N, int K) {
  __shared__ float As[T][T], Bs[T][T];
  int tx = tid_x, ty = tid_y, row = ctaid_y * T + ty, col = ctaid_x * T + tx;
  float acc = 0.0f;
  for (int k0 = 0; k0 < K; k0 += T) {
    As[ty][tx] = (row < M && k0 + tx < K) ? A[row * K + k0 + tx] : 0.0f;
    Bs[ty][tx] = (col < N && k0 + ty < K) ? B[(k0 + ty) * N + col] : 0.0f;
    __syncthreads();
    #pragma unroll
    for (int k = 0; k < T; k++) acc = __builtin_fmaf(As[ty][k], Bs[k][tx], acc);
    __syncthreads();
  }
  if (row < M && col < N) C[row * N + col] = acc;
}
