// Work-item ids from the AMDGPU builtins (no ROCm device library needed: clang-19 -nogpulib)
#define LID0 ((int)__builtin_amdgcn_workitem_id_x())
#define GID0 ((int)(__builtin_amdgcn_workgroup_id_x() * __builtin_amdgcn_workgroup_size_x() + __builtin_amdgcn_workitem_id_x()))
#define BARRIER() __builtin_amdgcn_s_barrier()
