#include "pre.h"
// mma.sync on the tensor cores (HMMA / IMMA), fragments loaded as the PTX ISA documents them ("Matrix Fragments for
// mma.m16n8k16 / m16n8k8 / m16n8k32": groupID = lane >> 2, tig = lane & 3). A is row-major M x K, B is given transposed
// (N x K row-major = K x N column-major), C / D row-major M x N. One warp per 16 x 8 tile of D, looping over K.
typedef unsigned short u16;
typedef unsigned char u8;
static __device__ unsigned pk16(u16 lo, u16 hi) { return lo | (unsigned)hi << 16; }
#define TILE_SETUP int lane = laneid, g = lane >> 2, t = lane & 3, w = tid_x / 32; \
  int tm = (ctaid_x * (ntid_x / 32) + w) / (N / 8) * 16, tn = (ctaid_x * (ntid_x / 32) + w) % (N / 8) * 8; \
  if (tm >= M) return;
#define STORE_D(d, T) \
  D[(tm + g) * N + tn + 2 * t] = d[0]; D[(tm + g) * N + tn + 2 * t + 1] = d[1]; \
  D[(tm + g + 8) * N + tn + 2 * t] = d[2]; D[(tm + g + 8) * N + tn + 2 * t + 1] = d[3];
#define LOAD_C(c) \
  c[0] = C[(tm + g) * N + tn + 2 * t]; c[1] = C[(tm + g) * N + tn + 2 * t + 1]; \
  c[2] = C[(tm + g + 8) * N + tn + 2 * t]; c[3] = C[(tm + g + 8) * N + tn + 2 * t + 1];
// f16 or bf16 (kind) m16n8k16 -> f32
#define MMA16816(name, kind) \
extern "C" __global__ void name(float* D, const u16* A, const u16* B, const float* C, int M, int N, int K) { \
  TILE_SETUP \
  float c[4]; LOAD_C(c) \
  for (int k = 0; k < K; k += 16) { \
    const u16 *a0 = A + (tm + g) * K + k + 2 * t, *a8 = A + (tm + g + 8) * K + k + 2 * t, *b = B + (tn + g) * K + k + 2 * t; \
    unsigned ra[4] = {pk16(a0[0], a0[1]), pk16(a8[0], a8[1]), pk16(a0[8], a0[9]), pk16(a8[8], a8[9])}; \
    unsigned rb[2] = {pk16(b[0], b[1]), pk16(b[8], b[9])}; \
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32." kind "." kind ".f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};" \
        : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3]) : "r"(ra[0]), "r"(ra[1]), "r"(ra[2]), "r"(ra[3]), "r"(rb[0]), "r"(rb[1])); \
  } \
  STORE_D(c, float) }
MMA16816(mma_f16, "f16")
MMA16816(mma_bf16, "bf16")
// m16n8k8 f16 -> f32
extern "C" __global__ void mma_f16k8(float* D, const u16* A, const u16* B, const float* C, int M, int N, int K) {
  TILE_SETUP
  float c[4]; LOAD_C(c)
  for (int k = 0; k < K; k += 8) {
    const u16 *a0 = A + (tm + g) * K + k + 2 * t, *a8 = A + (tm + g + 8) * K + k + 2 * t, *b = B + (tn + g) * K + k + 2 * t;
    unsigned ra0 = pk16(a0[0], a0[1]), ra1 = pk16(a8[0], a8[1]), rb = pk16(b[0], b[1]);
    asm volatile("mma.sync.aligned.m16n8k8.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5}, {%6}, {%0,%1,%2,%3};"
        : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3]) : "r"(ra0), "r"(ra1), "r"(rb));
  }
  STORE_D(c, float)
}
// m16n8k16 f16 -> f16 accumulators (two f16x2 registers: rows g and g + 8)
extern "C" __global__ void mma_f16acc(u16* D, const u16* A, const u16* B, const u16* C, int M, int N, int K) {
  TILE_SETUP
  unsigned c0 = pk16(C[(tm + g) * N + tn + 2 * t], C[(tm + g) * N + tn + 2 * t + 1]);
  unsigned c1 = pk16(C[(tm + g + 8) * N + tn + 2 * t], C[(tm + g + 8) * N + tn + 2 * t + 1]);
  for (int k = 0; k < K; k += 16) {
    const u16 *a0 = A + (tm + g) * K + k + 2 * t, *a8 = A + (tm + g + 8) * K + k + 2 * t, *b = B + (tn + g) * K + k + 2 * t;
    unsigned ra[4] = {pk16(a0[0], a0[1]), pk16(a8[0], a8[1]), pk16(a0[8], a0[9]), pk16(a8[8], a8[9])};
    unsigned rb[2] = {pk16(b[0], b[1]), pk16(b[8], b[9])};
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f16.f16.f16.f16 {%0,%1}, {%2,%3,%4,%5}, {%6,%7}, {%0,%1};"
        : "+r"(c0), "+r"(c1) : "r"(ra[0]), "r"(ra[1]), "r"(ra[2]), "r"(ra[3]), "r"(rb[0]), "r"(rb[1]));
  }
  u16 d[4] = {(u16)c0, (u16)(c0 >> 16), (u16)c1, (u16)(c1 >> 16)};
  STORE_D(d, u16)
}
// s8 / u8 m16n8k32 -> s32, and m16n8k16
#define IMMA16832(name, ta, tb) \
extern "C" __global__ void name(int* D, const u8* A, const u8* B, const int* C, int M, int N, int K) { \
  TILE_SETUP \
  int c[4]; LOAD_C(c) \
  for (int k = 0; k < K; k += 32) { \
    const unsigned *a0 = (const unsigned*)(A + (tm + g) * K + k) + t, *a8 = (const unsigned*)(A + (tm + g + 8) * K + k) + t; \
    const unsigned *b = (const unsigned*)(B + (tn + g) * K + k) + t; \
    unsigned ra[4] = {a0[0], a8[0], a0[4], a8[4]}, rb[2] = {b[0], b[4]}; \
    asm volatile("mma.sync.aligned.m16n8k32.row.col.s32." ta "." tb ".s32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};" \
        : "+r"(c[0]), "+r"(c[1]), "+r"(c[2]), "+r"(c[3]) : "r"(ra[0]), "r"(ra[1]), "r"(ra[2]), "r"(ra[3]), "r"(rb[0]), "r"(rb[1])); \
  } \
  STORE_D(c, int) }
IMMA16832(mma_s8, "s8", "s8")
IMMA16832(mma_u8s8, "u8", "s8")
extern "C" __global__ void mma_s8k16(int* D, const u8* A, const u8* B, const int* C, int M, int N, int K) {
  TILE_SETUP
  int c[4]; LOAD_C(c)
  for (int k = 0; k < K; k += 16) {
    const unsigned *a0 = (const unsigned*)(A + (tm + g) * K + k) + t, *a8 = (const unsigned*)(A + (tm + g + 8) * K + k) + t;
    const unsigned *b = (const unsigned*)(B + (tn + g) * K + k) + t;
    unsigned ra0 = a0[0], ra1 = a8[0], rb = b[0];
    asm volatile("mma.sync.aligned.m16n8k16.row.col.satfinite.s32.s8.u8.s32 {%0,%1,%2,%3}, {%4,%5}, {%6}, {%0,%1,%2,%3};"
        : "+r"(c[0]), "+r"(c[1]), "+r"(c[2]), "+r"(c[3]) : "r"(ra0), "r"(ra1), "r"(rb));
  }
  STORE_D(c, int)
}
