__kernel void mul64(__global ulong *a, __global const ulong *b, ulong k) {
  size_t i = get_global_id(0); a[i] = a[i] * b[i] + (k >> 3) ^ (b[i] << 7);
}
__kernel void mulhi64(__global long *a, __global const long *b) { size_t i = get_global_id(0); a[i] = mul_hi(a[i], b[i]) + rotate(b[i], 13L); }
__kernel void div64(__global ulong *a, __global const ulong *b) { size_t i = get_global_id(0); a[i] = a[i] / (b[i] | 1) + a[i] % 7; }
