#define BARRIER() do { __builtin_amdgcn_fence(__ATOMIC_RELEASE, "workgroup"); __builtin_amdgcn_s_barrier(); __builtin_amdgcn_fence(__ATOMIC_ACQUIRE, "workgroup"); } while (0)
// global and LDS atomics through the clang __atomic builtins (no device libs)
__kernel void atomics(__global int *gi, __global uint *gu, __global float *gf, __global long *gl, __local int *li) {
  uint t = __builtin_amdgcn_workitem_id_x();
  __atomic_fetch_add(&gi[0], 1, __ATOMIC_RELAXED);
  __atomic_fetch_min(&gi[1], (int)t, __ATOMIC_RELAXED);
  __atomic_fetch_max(&gu[2], t, __ATOMIC_SEQ_CST);
  __atomic_exchange_n(&gi[3], (int)t, __ATOMIC_ACQ_REL);
  uint expect = t;
  __atomic_compare_exchange_n(&gu[4], &expect, t + 1, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
  __atomic_fetch_or(&gu[5], t, __ATOMIC_RELAXED); __atomic_fetch_and(&gu[6], t, __ATOMIC_RELAXED); __atomic_fetch_xor(&gu[7], t, __ATOMIC_RELAXED);
  gi[8 + t] = __atomic_fetch_sub(&gi[t], 3, __ATOMIC_RELAXED);
  __atomic_fetch_add(&gl[t], (long)t, __ATOMIC_RELAXED);
  gl[t + 64] = __atomic_fetch_max(&gl[t + 1], (long)t, __ATOMIC_RELAXED);
  __atomic_fetch_add(&gf[t], 1.5f, __ATOMIC_RELAXED);
  __atomic_fetch_add(&li[t & 15], 2, __ATOMIC_RELAXED);
  BARRIER();
  int e2 = 1;
  __atomic_compare_exchange_n(&li[t & 7], &e2, 2, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
  gu[t] += e2 + __atomic_fetch_max(&li[t & 3], 5, __ATOMIC_RELAXED);
}
