// Ordinary CUDA kernels in no learner corpus (issue #13's list): the disassembler must decode every instruction.
// Built like tests/nv_corpus: clang-19 -x cuda --cuda-device-only -nocudainc -nocudalib --cuda-gpu-arch=sm_90 -S -O2 (+ -O0)
#include "../nv_corpus/pre.h"
typedef unsigned long long u64;
typedef _Float16 half;

extern "C" __global__ void collatz(unsigned* steps, const u64* start, int n) {
  int i = GID;
  if (i >= n) return;
  u64 x = start[i]; unsigned s = 0;
  while (x != 1 && s < 100000) { x = (x & 1) ? 3 * x + 1 : x >> 1; s++; }
  steps[i] = s;
}

extern "C" __global__ void transpose(float* out, const float* in, int w, int h) {
  __shared__ float tile[32][33];
  int x = ctaid_x * 32 + tid_x, y = __nvvm_read_ptx_sreg_ctaid_y() * 32 + tid_y;
  if (x < w && y < h) tile[tid_y][tid_x] = in[y * w + x];
  __syncthreads();
  x = __nvvm_read_ptx_sreg_ctaid_y() * 32 + tid_x; y = ctaid_x * 32 + tid_y;
  if (x < h && y < w) out[y * h + x] = tile[tid_x][tid_y];
}

extern "C" __global__ void inclusive_scan(int* out, const int* in, int n) {
  __shared__ int buf[1024];
  int t = tid_x, i = GID;
  buf[t] = i < n ? in[i] : 0;
  __syncthreads();
  for (int off = 1; off < (int)ntid_x; off <<= 1) {
    int v = t >= off ? buf[t - off] : 0;
    __syncthreads();
    buf[t] += v;
    __syncthreads();
  }
  if (i < n) out[i] = buf[t];
}

extern "C" __global__ void warp_votes(unsigned* out, const int* in, int n) {
  int i = GID;
  int v = i < n ? in[i] : 0;
  unsigned ballot = __nvvm_vote_ballot_sync(0xffffffffu, v > 0);
  int all = __nvvm_vote_all_sync(0xffffffffu, v != 0);
  int any = __nvvm_vote_any_sync(0xffffffffu, v < 0);
  int uni = __nvvm_vote_uni_sync(0xffffffffu, v & 1);
  unsigned s = __nvvm_shfl_sync_bfly_i32(0xffffffffu, (unsigned)v, 1, 0x1f);
  if (i < n) out[i] = ballot ^ (all << 1) ^ (any << 2) ^ (uni << 3) ^ s;
}

extern "C" __global__ void cas_loop(float* acc, u64* acc64, const float* in, int n) {
  int i = GID;
  if (i >= n) return;
  unsigned* p = (unsigned*)acc;
  unsigned old = *p, assumed;
  do {
    assumed = old;
    float f = __builtin_bit_cast(float, assumed) * 0.5f + in[i];
    old = __nvvm_atom_cas_gen_i((int*)p, assumed, __builtin_bit_cast(unsigned, f));
  } while (assumed != old);
  u64 o64 = *acc64, a64;
  do { a64 = o64; o64 = __nvvm_atom_cas_gen_ll((long long*)acc64, a64, a64 * 3 + i); } while (a64 != o64);
}

extern "C" __global__ void fp16_products(half* out, const half* a, const half* b, float* dot, int n) {
  int i = GID;
  if (i >= n) return;
  half x = a[i], y = b[i];
  half p = x * y, q = x * y + p, r = (x - y) * (half)0.5f;
  out[i] = p > q ? p : (q < r ? r : q);
  float d = (float)x * (float)y;
  __atomic_fetch_add(dot, d, __ATOMIC_RELAXED);
}
