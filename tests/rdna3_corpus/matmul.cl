#define BARRIER() do { __builtin_amdgcn_fence(__ATOMIC_RELEASE, "workgroup"); __builtin_amdgcn_s_barrier(); __builtin_amdgcn_fence(__ATOMIC_ACQUIRE, "workgroup"); } while (0)
// tiled fp32 matmul, 16x16 tiles in LDS
#define T 16
__kernel __attribute__((reqd_work_group_size(16, 16, 1)))
void matmul(__global const float *A, __global const float *B, __global float *C, int N) {
  __local float As[T][T], Bs[T][T];
  int tx = __builtin_amdgcn_workitem_id_x(), ty = __builtin_amdgcn_workitem_id_y();
  int row = __builtin_amdgcn_workgroup_id_y() * T + ty, col = __builtin_amdgcn_workgroup_id_x() * T + tx;
  float acc = 0.0f;
  for (int k0 = 0; k0 < N; k0 += T) {
    As[ty][tx] = A[row * N + k0 + tx];
    Bs[ty][tx] = B[(k0 + ty) * N + col];
    BARRIER();
    for (int k = 0; k < T; k++) acc = fma(As[ty][k], Bs[k][tx], acc);
    BARRIER();
  }
  C[row * N + col] = acc;
}
