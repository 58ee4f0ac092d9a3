__kernel void collatz(__global uint *steps, uint start) {
  uint n = start + get_global_id(0), s = 0; while (n != 1 && s < 1000) { n = (n & 1) ? 3 * n + 1 : n >> 1; s++; } steps[get_global_id(0)] = s;
}
__kernel void dot_loop(__global const float *a, __global const float *b, __global float *out, int n) {
  float acc = 0; for (int k = 0; k < n; k++) acc = fma(a[get_global_id(0) * n + k], b[k], acc); out[get_global_id(0)] = acc;
}
