typedef half half16 __attribute__((ext_vector_type(16)));
typedef float float8 __attribute__((ext_vector_type(8)));
#pragma OPENCL EXTENSION cl_khr_fp16 : enable
__kernel void wmma(__global const half16 *a, __global const half16 *b, __global float8 *c) {
  uint t = __builtin_amdgcn_workitem_id_x();
  c[t] = __builtin_amdgcn_wmma_f32_16x16x16_f16_w32(a[t], b[t], c[t]);
}
