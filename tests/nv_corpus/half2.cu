#include "pre.h"
// packed half / bfloat16 arithmetic: HADD2/HMUL2/HFMA2 (f16x2, bf16x2, one broadcast half, .SAT, .RELU), HMNMX2,
// HSETP2 / HSET2 comparisons, and MUFU on halves
#define H3(ins, x, y, z) ({ unsigned r_; asm(ins " %0, %1, %2, %3;" : "=r"(r_) : "r"(x), "r"(y), "r"(z)); r_; })
#define H2(ins, x, y) ({ unsigned r_; asm(ins " %0, %1, %2;" : "=r"(r_) : "r"(x), "r"(y)); r_; })
#define H1(ins, x) ({ unsigned r_; asm(ins " %0, %1;" : "=r"(r_) : "r"(x)); r_; })
#define P2(cmp, x, y) ({ unsigned r_; asm("{.reg .pred p, q; setp." cmp ".f16x2 p|q, %1, %2; selp.u32 %0, 1, 0, p; @q add.u32 %0, %0, 2;}" \
                                         : "=r"(r_) : "r"(x), "r"(y)); r_; })
#define K 32
extern "C" __global__ void half2(unsigned* out, const unsigned* ina, const unsigned* inb, const unsigned* inc, int n) {
  int i = GID;
  if (i >= n) return;
  unsigned a = ina[i], b = inb[i], c = inc[i], *o = out + i * K;
  o[0] = H2("add.rn.f16x2", a, b);   o[1] = H2("mul.rn.f16x2", a, b);   o[2] = H3("fma.rn.f16x2", a, b, c);
  o[3] = H2("sub.rn.f16x2", a, b);   o[4] = H2("add.sat.f16x2", a, b);  o[5] = H3("fma.rn.sat.f16x2", a, b, c);
  o[6] = H3("fma.rn.relu.f16x2", a, b, c);
  o[7] = H2("add.rn.bf16x2", a, b);  o[8] = H2("mul.rn.bf16x2", a, b);  o[9] = H3("fma.rn.bf16x2", a, b, c);
  o[10] = H3("fma.rn.relu.bf16x2", a, b, c);
  o[11] = H2("min.f16x2", a, b);     o[12] = H2("max.f16x2", a, b);     o[13] = H2("min.NaN.f16x2", a, b);
  o[14] = H2("max.bf16x2", a, b);    o[15] = H2("min.bf16x2", a, b);
  o[16] = P2("lt", a, b); o[17] = P2("equ", a, b); o[18] = P2("ge", a, b); o[19] = P2("neu", a, b);
  o[20] = H2("set.lt.u32.f16x2", a, b);
  o[21] = H1("neg.f16x2", a);  o[22] = H1("abs.f16x2", a);
  typedef unsigned short u16;
  o[23] = ({ u16 r_; asm("fma.rn.f16 %0, %1, %2, %3;" : "=h"(r_) : "h"((u16)a), "h"((u16)(b >> 16)), "h"((u16)c)); (unsigned)r_; });
  o[24] = ({ u16 r_; asm("mul.rn.f16 %0, %1, %2;" : "=h"(r_) : "h"((u16)(a >> 16)), "h"((u16)(a >> 16))); (unsigned)r_; });
  o[25] = ({ unsigned r_; asm("{.reg .b16 l, h; .reg .b32 t; mov.b32 {l, h}, %1; mov.b32 t, {h, h}; fma.rn.f16x2 %0, %2, t, %3;}"
                              : "=r"(r_) : "r"(a), "r"(b), "r"(c)); r_; });
  o[26] = H2("sub.rn.bf16x2", a, b);
  o[27] = ({ unsigned short r_; asm("add.rn.bf16 %0, %1, %2;" : "=h"(r_) : "h"((unsigned short)a), "h"((unsigned short)b)); (unsigned)r_; });
  o[28] = H2("max.NaN.f16x2", a, b);
  o[29] = ({ unsigned r_; asm("{.reg .f32 t; .reg .b16 l, h; mov.b32 {l, h}, %1; cvt.f32.f16 t, h; mov.b32 %0, t;}" : "=r"(r_) : "r"(a)); r_; });
  o[30] = H2("mul.rn.f16x2", a, 0x40003c00u);
  o[31] = H3("fma.rn.f16x2", a, 0x3c003c00u, c);
}
