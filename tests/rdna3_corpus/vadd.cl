// c[i] = a[i] + b[i]
#define GID (__builtin_amdgcn_workgroup_id_x() * 256 + __builtin_amdgcn_workitem_id_x())
__kernel __attribute__((reqd_work_group_size(256, 1, 1)))
void vadd(__global const float *a, __global const float *b, __global float *c, int n) {
  int i = GID;
  if (i < n) c[i] = a[i] + b[i];
}
