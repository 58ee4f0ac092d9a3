__kernel void atomic_add_count(__global int *hist, __global const int *v, int bins) {
  int i = get_global_id(0); atomic_add(&hist[v[i] % bins], 1); atomic_max(&hist[bins], v[i]);
}
__kernel void atomic_cmpxchg_min(__global uint *m, __global const uint *v) {
  uint x = v[get_global_id(0)]; uint old = *m;
  while (x < old) { uint prev = atomic_cmpxchg(m, old, x); if (prev == old) break; old = prev; }
}
