#include "pre.h"
// warp sums with shuffles (down, xor), then one value per warp; also up/idx shuffles and a ballot
extern "C" __global__ void reduce_shfl(float* warp_sums, int* xor_sums, int* scan, int* bcast, unsigned* ballot, const float* in, const int* iin) {
  int i = GID;
  float v = in[i];
  for (int o = 16; o > 0; o >>= 1) v += __nvvm_shfl_sync_down_f32(0xffffffffu, v, o, 0x1f);
  int x = iin[i];
  for (int o = 1; o < 32; o <<= 1) x += __nvvm_shfl_sync_bfly_i32(0xffffffffu, x, o, 0x1f);
  int s = iin[i];
  for (int o = 1; o < 32; o <<= 1) { int t = __nvvm_shfl_sync_up_i32(0xffffffffu, s, o, 0); if ((int)laneid >= o) s += t; }
  scan[i] = s;
  bcast[i] = __nvvm_shfl_sync_idx_i32(0xffffffffu, iin[i], (laneid * 7) & 31, 0x1f);
  unsigned b = __nvvm_vote_ballot_sync(0xffffffffu, (iin[i] & 1) != 0);
  if (laneid == 0) { warp_sums[i / 32] = v; xor_sums[i / 32] = x; ballot[i / 32] = b; }
}
