#pragma OPENCL EXTENSION cl_khr_fp16 : enable
// fp16 / bf16 / int conversions
__kernel void convert(__global const float *f, __global half *h, __global ushort *bf, __global float *back, __global int *ii) {
  uint t = __builtin_amdgcn_workitem_id_x();
  float x = f[t];
  half hx = (half)x;
  h[t] = hx * (half)2.0f + (half)1.0f;
  uint bits = as_uint(x);
  ushort b = (ushort)((bits + 0x7fff + ((bits >> 16) & 1)) >> 16);   // round-to-nearest-even bf16
  bf[t] = b;
  back[t] = (float)hx + as_float((uint)b << 16);
  ii[t] = (int)x + (int)rint(x * 3.0f) + (int)floor(x) + (int)ceil(x) + (int)(uint)fabs(x);
}
__kernel void half_math(__global half2 *io, __global double *d) {
  uint t = __builtin_amdgcn_workitem_id_x();
  half2 v = io[t];
  io[t] = v * v + (half2)(0.5h, -1.0h);
  d[t] = (double)v.x / (double)(t + 1) + sqrt((double)t);
}
