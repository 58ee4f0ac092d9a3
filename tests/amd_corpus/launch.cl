// Kernels the AMD driver launches in tests/test_amd_driver.py (compiled at test time by clang-19 -nogpulib for gfx1100);
// each has a numpy reference there (LAUNCHES). Work-item positions come from clang's AMDGPU builtins: the workgroup size
// reads code object v5's hidden kernel arguments (hidden_group_size_*), the grid size the dispatch packet
// (user_sgpr_dispatch_ptr), so both must be laid out as the metadata and the kernel descriptor say.
#pragma OPENCL EXTENSION cl_khr_fp16 : enable
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
#define LID(d) __builtin_amdgcn_workitem_id_##d()
#define LSZ(d) ((uint)__builtin_amdgcn_workgroup_size_##d())
#define GID(d) (__builtin_amdgcn_workgroup_id_##d() * LSZ(d) + LID(d))
#define GSZ(d) __builtin_amdgcn_grid_size_##d()
#define BARRIER() do { __builtin_amdgcn_fence(__ATOMIC_RELEASE, "workgroup"); __builtin_amdgcn_s_barrier(); \
                       __builtin_amdgcn_fence(__ATOMIC_ACQUIRE, "workgroup"); } while (0)
__kernel void vadd(__global const float *a, __global const float *b, __global float *c, uint n) {
  uint i = GID(x); if (i < n) c[i] = a[i] + b[i];
}
__kernel void saxpy(float alpha, __global const float *x, __global const float *y, __global float *out, uint n) {
  uint i = GID(x); if (i < n) out[i] = alpha * x[i] + y[i];
}
__kernel void scale_int(__global const int *a, __global int *out, int k) {
  uint i = GID(x); out[i] = a[i] * k + (int)i;
}
__kernel void relu(__global const float *x, __global float *y) {
  uint i = GID(x); y[i] = __builtin_fmaxf(x[i], 0.0f);
}
__kernel void mul2d(__global const float *a, __global const float *b, __global float *c, uint w) {
  uint x = GID(x), y = GID(y); c[y * w + x] = a[y * w + x] * b[y * w + x];
}
__kernel void transpose(__global const uint *in, __global uint *out, uint w, uint h) {
  uint x = GID(x), y = GID(y); if (x < w && y < h) out[x * h + y] = in[y * w + x];
}
__kernel void matmul(__global const float *A, __global const float *B, __global float *C, uint n) {
  uint col = GID(x), row = GID(y);
  float acc = 0.0f;
  for (uint k = 0; k < n; k++) acc += A[row * n + k] * B[k * n + col];
  C[row * n + col] = acc;
}
__kernel void hist(__global const uint *data, __global uint *bins, uint n) {
  uint i = GID(x); if (i < n) __atomic_fetch_add(&bins[data[i] & 15], 1u, __ATOMIC_RELAXED);
}
__kernel __attribute__((reqd_work_group_size(256, 1, 1))) void reduce_lds(__global const float *in, __global float *out) {
  __local float buf[256];
  uint t = LID(x);
  buf[t] = in[GID(x)];
  BARRIER();
  for (uint s = 128; s > 0; s >>= 1) { if (t < s) buf[t] += buf[t + s]; BARRIER(); }
  if (t == 0) out[__builtin_amdgcn_workgroup_id_x()] = buf[0];
}
__kernel void dot_atomic(__global const int *a, __global const int *b, __global int *out) {
  uint i = GID(x); __atomic_fetch_add(out, a[i] * b[i], __ATOMIC_RELAXED);
}
__kernel void umax8(__global const uchar *a, __global const uchar *b, __global uchar *c) {
  uint i = GID(x); c[i] = a[i] > b[i] ? a[i] : b[i];
}
__kernel void dadd(__global const double *a, __global const double *b, __global double *c) {
  uint i = GID(x); c[i] = a[i] * 0.5 + b[i];
}
__kernel void to_half(__global const float *x, __global half *h) {
  uint i = GID(x); h[i] = (half)(x[i] * 2.0f);
}
__kernel void index3d(__global uint *out) {
  uint x = GID(x), y = GID(y), z = GID(z);
  out[(z * GSZ(y) + y) * GSZ(x) + x] = x + 10 * y + 100 * z;
}
__kernel void sizes(__global uint *out) {
  uint i = GID(x); out[i] = LSZ(x) * 1000 + (GSZ(x) / LSZ(x)) * 10 + LID(x) % 7;
}
__kernel void bitops(__global const uint *a, __global uint *out) {
  uint i = GID(x), v = a[i];
  out[i] = __builtin_popcount(v) + (__builtin_clz(v | 1) << 8) + (((v << 3) | (v >> 29)) & 0xffff0000u);
}
