#define BARRIER() do { __builtin_amdgcn_fence(__ATOMIC_RELEASE, "workgroup"); __builtin_amdgcn_s_barrier(); __builtin_amdgcn_fence(__ATOMIC_ACQUIRE, "workgroup"); } while (0)
// workgroup sum in LDS, tree reduction with barriers
__kernel __attribute__((reqd_work_group_size(256, 1, 1)))
void lds_reduce(__global const float *in, __global float *out) {
  __local float buf[256];
  uint t = __builtin_amdgcn_workitem_id_x(), g = __builtin_amdgcn_workgroup_id_x();
  buf[t] = in[g * 256 + t];
  BARRIER();
  for (uint s = 128; s > 0; s >>= 1) {
    if (t < s) buf[t] += buf[t + s];
    BARRIER();
  }
  if (t == 0) out[g] = buf[0];
}
__kernel void lds_u64(__global ulong *io, __local ulong *scratch) {
  uint t = __builtin_amdgcn_workitem_id_x();
  scratch[t] = io[t];
  BARRIER();
  io[t] = scratch[t ^ 1] + scratch[(t + 5) & 63];
}
