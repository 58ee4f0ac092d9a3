__kernel void slm_scan(__global const float *in, __global float *out, __local float *tmp) {
  int l = get_local_id(0), n = get_local_size(0); tmp[l] = in[get_global_id(0)];
  for (int o = 1; o < n; o <<= 1) { barrier(CLK_LOCAL_MEM_FENCE); float t = l >= o ? tmp[l - o] : 0.0f;
    barrier(CLK_LOCAL_MEM_FENCE); tmp[l] += t; }
  barrier(CLK_LOCAL_MEM_FENCE); out[get_global_id(0)] = tmp[l];
}
__kernel void slm_transpose(__global const float *in, __global float *out, int w, int h) {
  __local float tile[16][17]; int x = get_global_id(0), y = get_global_id(1);
  int lx = get_local_id(0), ly = get_local_id(1);
  if (x < w && y < h) tile[ly][lx] = in[y * w + x];
  barrier(CLK_LOCAL_MEM_FENCE);
  int ox = get_group_id(1) * 16 + lx, oy = get_group_id(0) * 16 + ly;
  if (ox < h && oy < w) out[oy * h + ox] = tile[lx][ly];
}
