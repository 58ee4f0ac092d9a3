__kernel void idiv(__global int *q, __global const int *a, __global const int *b) { int i = get_global_id(0); q[i] = a[i] / b[i] + a[i] % b[i]; }
__kernel void udiv_const(__global uint *q, __global const uint *a) { int i = get_global_id(0); q[i] = a[i] / 7u + a[i] % 13u; }
__kernel void fdiv_sqrt(__global float *q, __global const float *a, __global const float *b) {
  int i = get_global_id(0); q[i] = a[i] / b[i] + sqrt(a[i]) + native_exp(b[i]) + log2(a[i]);
}
