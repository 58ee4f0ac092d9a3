// private arrays indexed at run time live in scratch memory (scratch_load/store, private segment size in the descriptor)
__kernel void scratch(__global const int *in, __global int *out, int k) {
  uint t = __builtin_amdgcn_workitem_id_x();
  int priv[64];
  for (int i = 0; i < 64; i++) priv[i] = in[t * 64 + i] * i;
  out[t] = priv[(t + k) & 63] + priv[k & 63];
}
__kernel void bf16_convert(__global const float *f, __global __bf16 *b, __global float *back) {
  uint t = __builtin_amdgcn_workitem_id_x();
  __bf16 x = (__bf16)f[t];
  b[t] = x;
  back[t] = (float)x * 2.0f;
}
