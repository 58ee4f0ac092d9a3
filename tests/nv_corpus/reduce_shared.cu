#include "pre.h"
// block-wide sum in shared memory (blockDim.x == 256), one partial per block
extern "C" __global__ void reduce_shared(int* out, const int* in, int n) {
  __shared__ int s[256];
  int i = GID;
  s[tid_x] = i < n ? in[i] : 0;
  __syncthreads();
  for (unsigned k = ntid_x / 2; k > 0; k >>= 1) {
    if (tid_x < k) s[tid_x] += s[tid_x + k];
    __syncthreads();
  }
  if (tid_x == 0) out[ctaid_x] = s[0];
}
