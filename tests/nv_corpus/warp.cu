#include "pre.h"
// warp collectives with divergent lanes: VOTE (all / any / uni / ballot), MATCH (any / all, 32 and 64 bits), SHFL in every
// mode with sub-warp segments and out-of-range lanes, REDUX, BAR.RED (popc / and / or), active masks
#define K 24
extern "C" __global__ void warp(unsigned* out, const unsigned* in, const unsigned long long* in64, int n) {
  int i = GID;
  unsigned v = in[i], *o = out + i * K, lane = laneid;
  unsigned long long w = in64[i];
  o[0] = __nvvm_vote_ballot_sync(0xffffffffu, v & 1);
  o[1] = __nvvm_vote_all_sync(0xffffffffu, v & 1);
  o[2] = __nvvm_vote_any_sync(0xffffffffu, (v & 7) == 0);
  o[3] = __nvvm_vote_uni_sync(0xffffffffu, (v >> 8 & 3) == 0);
  o[4] = __nvvm_match_any_sync_i32(0xffffffffu, v & 3);
  { int p; o[5] = __nvvm_match_all_sync_i32p(0xffffffffu, v >> 28, &p); o[6] = p; }
  o[7] = __nvvm_match_any_sync_i64(0xffffffffu, w & 0x100000003ull);
  o[8] = __nvvm_shfl_sync_up_i32(0xffffffffu, v, v >> 16 & 7, 0x0800);          // segments of 8 lanes (c = 0x800 | 0)
  o[9] = __nvvm_shfl_sync_down_i32(0xffffffffu, v, v >> 16 & 15, 0x181f);       // segments of 8
  o[10] = __nvvm_shfl_sync_bfly_i32(0xffffffffu, v, v >> 20 & 31, 0x101f);       // segments of 16
  o[11] = __nvvm_shfl_sync_idx_i32(0xffffffffu, v, v >> 24, 0x1c1f);             // segments of 4, any source lane
  o[12] = __nvvm_redux_sync_add(v, 0xffffffffu);
  o[13] = __nvvm_redux_sync_umin(v, 0xffffffffu);
  o[14] = __nvvm_redux_sync_max(v, 0xffffffffu);
  o[15] = __nvvm_redux_sync_xor(v, 0xffffffffu);
  o[16] = __nvvm_bar0_popc(v & 1);
  o[17] = __nvvm_bar0_and(v & 2);
  o[18] = __nvvm_bar0_or((v & 0xff) == 7);
  if (v & 0x10) {                                              // a divergent half: only these lanes vote
    unsigned m = __nvvm_activemask();
    o[19] = m;
    o[20] = __nvvm_vote_ballot_sync(m, v & 0x20);
    o[21] = __nvvm_vote_all_sync(m, v & 0x20);
    o[22] = __nvvm_redux_sync_min(v, m);
  } else { o[19] = o[20] = o[21] = o[22] = 0xdead; }
  o[23] = __nvvm_shfl_sync_idx_i32(0xffffffffu, v, lane ^ 5, 0x1f);
}
