#include "common.h"
#pragma OPENCL EXTENSION cl_khr_fp16 : enable
typedef half v16h __attribute__((ext_vector_type(16)));
typedef float v8f __attribute__((ext_vector_type(8)));
// one wave32: D(16x16 f32) = A(16x16 f16) x B(16x16 f16) + C, with the RDNA3 lane layout (ISA guide 7.9)
__kernel void wmma(__global const half *A, __global const half *B, __global const float *C, __global float *D) {
  int l = LID0, r = l & 15;
  v16h a, b; v8f c;
  for (int k = 0; k < 16; k++) { a[k] = A[r * 16 + k]; b[k] = B[k * 16 + r]; }
  for (int j = 0; j < 8; j++) c[j] = C[(2 * j + (l >> 4)) * 16 + r];
  v8f d = __builtin_amdgcn_wmma_f32_16x16x16_f16_w32(a, b, c);
  for (int j = 0; j < 8; j++) D[(2 * j + (l >> 4)) * 16 + r] = d[j];
}
