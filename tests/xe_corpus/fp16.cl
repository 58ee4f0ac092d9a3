#pragma OPENCL EXTENSION cl_khr_fp16 : enable
__kernel void half_axpy(__global half *y, __global const half *x, half a) { int i = get_global_id(0); y[i] = fma(a, x[i], y[i]); }
__kernel void half_convert(__global half *h, __global const float *f, __global float *g) {
  int i = get_global_id(0); h[i] = convert_half(f[i] * 2.0f); g[i] = (float)h[i] + fmax((float)h[i], 0.5f);
}
