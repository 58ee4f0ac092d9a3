#include "common.h"
// cross-lane reduction: DPP row shifts, swizzle, permlane, readlane
__kernel void dpp_reduce(__global const int *in, __global int *out) {
  uint t = __builtin_amdgcn_workitem_id_x();
  int v = in[t];
  v += __builtin_amdgcn_update_dpp(0, v, 0x111, 0xf, 0xf, false);   // row_shr:1
  v += __builtin_amdgcn_update_dpp(0, v, 0x112, 0xf, 0xf, false);   // row_shr:2
  v += __builtin_amdgcn_update_dpp(0, v, 0x114, 0xf, 0xe, true);    // row_shr:4
  v += __builtin_amdgcn_mov_dpp(v, 0x141, 0xf, 0xf, false);         // row_half_mirror
  v += __builtin_amdgcn_ds_swizzle(v, 0x401f);
  v += __builtin_amdgcn_permlanex16(0, v, 0x76543210, 0xfedcba98, false, false);
  v += __builtin_amdgcn_readlane(v, 15);
  out[t] = __builtin_amdgcn_readfirstlane(v) + __builtin_amdgcn_ds_bpermute(t * 4, v);
}
__kernel void dpp_float(__global float *io) {
  uint t = __builtin_amdgcn_workitem_id_x();
  float v = io[t];
  v += __builtin_bit_cast(float, __builtin_amdgcn_update_dpp(0, __builtin_bit_cast(int, v), 0x111, 0xf, 0xf, false));
  v += __builtin_bit_cast(float, __builtin_amdgcn_mov_dpp8(__builtin_bit_cast(int, v), 0xfac688));
  io[t] = v;
}
