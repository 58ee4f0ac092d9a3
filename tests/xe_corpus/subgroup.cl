__kernel void sg_shuffle(__global int *out, __global const int *in) {
  int i = get_global_id(0); int v = in[i];
  out[i] = intel_sub_group_shuffle(v, (get_sub_group_local_id() + 1) % get_max_sub_group_size()) + sub_group_reduce_add(v)
         + intel_sub_group_shuffle_xor(v, 3) + sub_group_broadcast(v, 0);
}
__attribute__((intel_reqd_sub_group_size(16)))
__kernel void sg_scan16(__global float *out, __global const float *in) { int i = get_global_id(0); out[i] = sub_group_scan_inclusive_add(in[i]); }
