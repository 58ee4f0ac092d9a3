#include "pre.h"
// integer bit operations as ptxas emits them for PTX's bit instructions: BREV, FLO, POPC, PRMT (every mode), IDP (dp4a /
// dp2a), SHF (funnel shifts), BMSK, SGXT, bfe/bfi, IABS, IMNMX, LOP3 with arbitrary truth tables, 64-bit bit counts
#define A1(ins, x) ({ unsigned r_; asm(ins " %0, %1;" : "=r"(r_) : "r"(x)); r_; })
#define A2(ins, x, y) ({ unsigned r_; asm(ins " %0, %1, %2;" : "=r"(r_) : "r"(x), "r"(y)); r_; })
#define A3(ins, x, y, z) ({ unsigned r_; asm(ins " %0, %1, %2, %3;" : "=r"(r_) : "r"(x), "r"(y), "r"(z)); r_; })
#define K 48
extern "C" __global__ void intops(unsigned* out, const unsigned* ina, const unsigned* inb, const unsigned* inc, int n) {
  int i = GID;
  if (i >= n) return;
  unsigned a = ina[i], b = inb[i], c = inc[i], *o = out + i * K;
  o[0] = A1("brev.b32", a);
  o[1] = A1("bfind.u32", a);
  o[2] = A1("bfind.s32", a);
  o[3] = A1("bfind.shiftamt.u32", a);
  o[4] = A1("popc.b32", a);
  o[5] = A1("clz.b32", a);
  o[6] = A3("prmt.b32", a, b, c);
  o[7] = A3("prmt.b32.f4e", a, b, c);
  o[8] = A3("prmt.b32.b4e", a, b, c);
  o[9] = A3("prmt.b32.rc8", a, b, c);
  o[10] = A3("prmt.b32.ecl", a, b, c);
  o[11] = A3("prmt.b32.ecr", a, b, c);
  o[12] = A3("prmt.b32.rc16", a, b, c);
  o[13] = A3("dp4a.s32.s32", a, b, c);
  o[14] = A3("dp4a.u32.u32", a, b, c);
  o[15] = A3("dp4a.s32.u32", a, b, c);
  o[16] = A3("dp2a.lo.s32.s32", a, b, c);
  o[17] = A3("dp2a.hi.u32.u32", a, b, c);
  o[18] = A3("shf.l.wrap.b32", a, b, c);
  o[19] = A3("shf.r.clamp.b32", a, b, c);
  o[20] = A3("shf.l.clamp.b32", a, b, c);
  o[21] = A3("shf.r.wrap.b32", a, b, c);
  o[22] = A3("bfe.u32", a, b & 31, c & 31);
  o[23] = A3("bfe.s32", a, b & 31, c & 31);
  o[24] = ({ unsigned r_; asm("bfi.b32 %0, %1, %2, %3, %4;" : "=r"(r_) : "r"(a), "r"(b), "r"(c & 31), "r"((c >> 8) & 31)); r_; });
  o[25] = A2("bmsk.clamp.b32", b & 63, c & 63);
  o[26] = A2("bmsk.wrap.b32", b, c);
  o[27] = A2("szext.clamp.s32", a, b & 63);
  o[28] = A2("szext.wrap.u32", a, b);
  o[29] = A1("abs.s32", a);
  o[30] = A2("min.s32", a, b);
  o[31] = A2("max.u32", a, b);
  o[32] = A2("mul.hi.s32", a, b);
  o[33] = A2("mul.hi.u32", a, b);
  o[34] = A3("sad.u32", a, b, c);
  o[35] = A2("rem.s32", a, b | 1);
  o[36] = ({ unsigned r_; asm("lop3.b32 %0, %1, %2, %3, 0x1e;" : "=r"(r_) : "r"(a), "r"(b), "r"(c)); r_; });
  o[37] = ({ unsigned r_; asm("lop3.b32 %0, %1, %2, %3, 0xe8;" : "=r"(r_) : "r"(a), "r"(b), "r"(c)); r_; });
  o[38] = ({ unsigned r_; asm("lop3.b32 %0, %1, %2, %3, 0x6b;" : "=r"(r_) : "r"(a), "r"(b), "r"(c)); r_; });
  unsigned long long w = ((unsigned long long)b << 32) | a;
  o[39] = ({ unsigned r_; asm("popc.b64 %0, %1;" : "=r"(r_) : "l"(w)); r_; });
  o[40] = ({ unsigned r_; asm("clz.b64 %0, %1;" : "=r"(r_) : "l"(w)); r_; });
  o[41] = ({ unsigned r_; asm("bfind.s64 %0, %1;" : "=r"(r_) : "l"(w)); r_; });
  o[42] = ({ unsigned long long r_; asm("brev.b64 %0, %1;" : "=l"(r_) : "l"(w)); (unsigned)(r_ >> 7); });
  o[43] = A3("mad.hi.u32", a, b, c);
  o[44] = A2("mul24.lo.s32", a, b);
  o[45] = ({ unsigned r_; asm("{.reg .pred p; setp.lt.u32 p, %1, %2; selp.u32 %0, %3, 7, p;}" : "=r"(r_) : "r"(a), "r"(b), "r"(c)); r_; });
  o[46] = A2("min.u16x2", a, b);
  o[47] = A2("max.s16x2", a, b);
}
