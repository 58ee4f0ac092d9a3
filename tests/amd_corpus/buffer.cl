// raw buffer loads/stores through buffer resources (V#): a lane past num_records reads 0 and does not store
__kernel void buffer(__global int *in, __global int *out, int n) {
  int i = __builtin_amdgcn_workitem_id_x();
  __amdgpu_buffer_rsrc_t r = __builtin_amdgcn_make_buffer_rsrc(in, 0, n * 4, 0x31014000);
  __amdgpu_buffer_rsrc_t w = __builtin_amdgcn_make_buffer_rsrc(out, 0, n * 4, 0x31014000);
  int v = __builtin_amdgcn_raw_buffer_load_b32(r, i * 4, 0, 0);
  __builtin_amdgcn_raw_buffer_store_b32(v * 3, w, i * 4, 0, 0);
}
