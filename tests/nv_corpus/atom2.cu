#include "pre.h"
// every atomic operation and type on global (ATOMG / REDG), shared (ATOMS) and generic (ATOM / RED) addresses; each thread
// owns its slots, so the returned old values and the memory afterwards are both determined
#define K 22
#define SLOTS (3 * K)
#define A32(sp, op, p, x) ({ unsigned r_; \
  asm volatile("atom" sp op " %0, [%1], %2;" : "=r"(r_) : "l"(p), "r"((unsigned)(x)) : "memory"); (unsigned long long)r_; })
#define A64(sp, op, p, x) ({ unsigned long long r_; \
  asm volatile("atom" sp op " %0, [%1], %2;" : "=l"(r_) : "l"(p), "l"(x) : "memory"); r_; })
#define C32(sp, p, x, y) ({ unsigned r_; asm volatile("atom" sp ".cas.b32 %0, [%1], %2, %3;" \
  : "=r"(r_) : "l"(p), "r"((unsigned)(y)), "r"((unsigned)(x)) : "memory"); (unsigned long long)r_; })
#define C64(sp, p, x, y) ({ unsigned long long r_; \
  asm volatile("atom" sp ".cas.b64 %0, [%1], %2, %3;" : "=l"(r_) : "l"(p), "l"(y), "l"(x) : "memory"); r_; })
#define R32(sp, op, p, x) asm volatile("red" sp op " [%0], %1;" :: "l"(p), "r"((unsigned)(x)) : "memory")
#define R64(sp, op, p, x) asm volatile("red" sp op " [%0], %1;" :: "l"(p), "l"(x) : "memory")
#define OPS(sp, m, ret) \
  ret[0] = A32(sp, ".add.u32", m + 0, v[0]);   ret[1] = A64(sp, ".add.u64", m + 1, v[1]); \
  ret[2] = ({ float r_; asm volatile("atom" sp ".add.f32 %0, [%1], %2;" \
                        : "=f"(r_) : "l"(m + 2), "f"(__builtin_bit_cast(float, (unsigned)v[2])) : "memory"); \
              (unsigned long long)__builtin_bit_cast(unsigned, r_); }); \
  ret[3] = ({ double r_; asm volatile("atom" sp ".add.f64 %0, [%1], %2;" : "=d"(r_) : "l"(m + 3), "d"(__builtin_bit_cast(double, v[3])) : "memory"); \
              __builtin_bit_cast(unsigned long long, r_); }); \
  ret[4] = A32(sp, ".min.s32", m + 4, v[4]);   ret[5] = A32(sp, ".min.u32", m + 5, v[5]); \
  ret[6] = A64(sp, ".max.s64", m + 6, v[6]);   ret[7] = A64(sp, ".min.u64", m + 7, v[7]); \
  ret[8] = A32(sp, ".inc.u32", m + 8, v[8]);   ret[9] = A32(sp, ".dec.u32", m + 9, v[9]); \
  ret[10] = A32(sp, ".and.b32", m + 10, v[10]); ret[11] = A64(sp, ".or.b64", m + 11, v[11]); \
  ret[12] = A32(sp, ".xor.b32", m + 12, v[12]); ret[13] = A32(sp, ".exch.b32", m + 13, v[13]); \
  ret[14] = A64(sp, ".exch.b64", m + 14, v[14]); ret[15] = C32(sp, m + 15, v[15], c[15]); \
  ret[16] = C64(sp, m + 16, v[16], c[16]); \
  ret[17] = A32(sp, ".noftz.add.f16x2", m + 17, v[17]); ret[18] = A32(sp, ".max.s32", m + 18, v[18]); \
  ret[19] = A64(sp, ".max.u64", m + 19, v[19]); ret[20] = A64(sp, ".and.b64", m + 20, v[20]); ret[21] = A32(sp, ".noftz.add.bf16x2", m + 21, v[21]);
#define REDS(sp, m) \
  R32(sp, ".add.u32", m + 0, v[0]); R64(sp, ".add.u64", m + 1, v[1]); \
  asm volatile("red" sp ".add.f32 [%0], %1;" :: "l"(m + 2), "f"(__builtin_bit_cast(float, (unsigned)v[2])) : "memory"); \
  asm volatile("red" sp ".add.f64 [%0], %1;" :: "l"(m + 3), "d"(__builtin_bit_cast(double, v[3])) : "memory"); \
  R32(sp, ".min.s32", m + 4, v[4]); R32(sp, ".min.u32", m + 5, v[5]); R64(sp, ".max.s64", m + 6, v[6]); \
  R64(sp, ".min.u64", m + 7, v[7]); R32(sp, ".inc.u32", m + 8, v[8]); R32(sp, ".dec.u32", m + 9, v[9]); \
  R32(sp, ".and.b32", m + 10, v[10]); R64(sp, ".or.b64", m + 11, v[11]); R32(sp, ".xor.b32", m + 12, v[12]); \
  R32(sp, ".noftz.add.f16x2", m + 17, v[17]); R32(sp, ".max.s32", m + 18, v[18]); R64(sp, ".max.u64", m + 19, v[19]); \
  R64(sp, ".and.b64", m + 20, v[20]); R32(sp, ".noftz.add.bf16x2", m + 21, v[21]);
// mem: n x SLOTS u64 slots (0..K-1 global atom, K.. generic atom on global, 2K.. red global; the shared copy is written to
// slots 0..K-1 of shm_out); ret: n x 3K old values (global, generic, shared)
extern "C" __global__ void atom2(unsigned long long* mem, unsigned long long* shm_out, unsigned long long* ret,
                                 const unsigned long long* vals, const unsigned long long* cmps) {
  __shared__ unsigned long long sh[64 * K];
  int i = GID, t = tid_x;
  const unsigned long long *v = vals + i * K, *c = cmps + i * K;
  unsigned long long *m = mem + i * SLOTS, *r = ret + i * 3 * K, *s = sh + t * K;
  for (int j = 0; j < K; j++) s[j] = shm_out[i * 2 * K + j];
  OPS(".global", m, r)
  { unsigned long long* g = m + K; OPS("", g, (r + K)) }
  { unsigned long long* q = m + 2 * K; REDS(".global", q) }
  { unsigned long long* ss; asm("cvta.to.shared.u64 %0, %1;" : "=l"(ss) : "l"(s)); OPS(".shared", ss, (r + 2 * K)) }
  for (int j = 0; j < K; j++) shm_out[i * 2 * K + j] = s[j];
  for (int j = 0; j < K; j++) s[j] = shm_out[i * 2 * K + K + j];
  REDS("", s)
  for (int j = 0; j < K; j++) shm_out[i * 2 * K + K + j] = s[j];
}
