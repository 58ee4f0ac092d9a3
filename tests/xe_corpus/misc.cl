__kernel void bits(__global uint *o, __global const uint *a) {
  int i = get_global_id(0); uint x = a[i]; o[i] = popcount(x) + clz(x) + ctz(x) + (x << (i & 31)) + rotate(x, 5u) + mad24(x, x, 3u) + abs_diff(x, 9u);
}
__kernel void fmath(__global float *o, __global const float *a) {
  int i = get_global_id(0); float x = a[i]; o[i] = floor(x) + ceil(x) + rint(x) + trunc(x) + fmin(x, 1.0f) + copysign(x, -2.0f) + native_sin(x) + rsqrt(x);
}
__kernel void convs(__global char *c, __global const float *f, __global short *s, __global uchar4 *u) {
  int i = get_global_id(0); c[i] = convert_char_sat(f[i]); s[i] = convert_short_rte(f[i] * 100.0f); u[i] = convert_uchar4_sat(f[i] * (float4)(1, 2, 3, 4));
}
__kernel void image_args(__read_only image2d_t img, sampler_t smp, __global float4 *o) { int i = get_global_id(0); o[i] = read_imagef(img, smp, (int2)(i, 0)); }
__kernel void structs(__global float *o, float4 v, int2 p, __constant float *c, __local int *l) { int i = get_global_id(0); l[get_local_id(0)] = p.x; barrier(1); o[i] = v.x + v.w + c[p.y] + l[0]; }
