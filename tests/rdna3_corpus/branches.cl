// divergent branches, loops, switch, early exit
__kernel void branches(__global int *io, int n, __global const int *tab) {
  uint t = __builtin_amdgcn_workitem_id_x();
  int v = io[t];
  if (v < 0) return;
  int s = 0;
  for (int i = 0; i < n; i++) {
    if ((v + i) & 1) s += tab[i]; else s ^= i * v;
    if (s > 1000000) break;
  }
  switch (v & 3) { case 0: s += 7; break; case 1: s *= 3; break; case 2: s = s / (n | 1); break; default: s = -s; }
  while (s & 0x10) s = (s >> 1) | (s << 3);
  io[t] = s;
}
__kernel void scalar_ops(__global ulong *out, ulong a, ulong b, uint c) {
  ulong r = a * b + (a >> (c & 63)) + (b << 3) + (a / (b | 1)) + __builtin_popcountl(a) + __builtin_clzl(b | 1) + (c % 7);
  out[__builtin_amdgcn_workitem_id_x()] = r ^ (ulong)__builtin_amdgcn_s_getreg(0xf801);
}
