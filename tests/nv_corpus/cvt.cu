#include "pre.h"
// conversions (PTX cvt) between every integer and float type with each rounding, saturation and NaN rule
#define CV(dt, st, ins, x) ({ dt r_; asm(ins " %0, %1;" : "=" #st (r_) : FX(x)); r_; })
#define FX(x) "f"(x)
#define F2(ins, x) ({ unsigned r_; asm("{.reg .b32 t; " ins " t, %1; mov.b32 %0, t;}" : "=r"(r_) : "f"(x)); r_; })
#define F2S(ins, x) ({ unsigned short r_; asm(ins " %0, %1;" : "=h"(r_) : "f"(x)); (unsigned)r_; })
#define D2(ins, x) ({ unsigned r_; asm(ins " %0, %1;" : "=r"(r_) : "d"(x)); r_; })
#define I2(ins, x) ({ unsigned r_; asm(ins " %0, %1;" : "=r"(r_) : "r"(x)); r_; })
#define L2(ins, x) ({ unsigned r_; asm(ins " %0, %1;" : "=r"(r_) : "l"(x)); r_; })
#define K 48
extern "C" __global__ void cvt(unsigned* out, unsigned long long* out64, const float* inf, const double* ind,
                               const unsigned* ini, const unsigned long long* inl, int n) {
  int i = GID;
  if (i >= n) return;
  float f = inf[i]; double d = ind[i]; unsigned u = ini[i]; unsigned long long l = inl[i];
  unsigned* o = out + i * K; unsigned long long* q = out64 + i * 8;
  o[0] = F2("cvt.rni.s32.f32", f);  o[1] = F2("cvt.rzi.u32.f32", f);  o[2] = F2("cvt.rmi.s32.f32", f);
  o[3] = F2("cvt.rpi.u32.f32", f);  o[4] = F2S("cvt.rni.s16.f32", f); o[5] = F2S("cvt.rzi.u16.f32", f);
  o[6] = F2S("cvt.rni.u8.f32", f);  o[7] = F2S("cvt.rzi.s8.f32", f);   o[8] = F2S("cvt.rn.f16.f32", f);
  o[9] = F2S("cvt.rz.f16.f32", f);  o[10] = F2S("cvt.rm.f16.f32", f); o[11] = F2S("cvt.rp.f16.f32", f);
  o[12] = F2S("cvt.rn.bf16.f32", f); o[13] = F2S("cvt.rz.bf16.f32", f);
  o[14] = F2("cvt.rni.f32.f32", f); o[15] = F2("cvt.sat.f32.f32", f);  o[16] = F2("cvt.rzi.ftz.s32.f32", f);
  o[17] = ({ unsigned r_; asm("cvt.rn.f16x2.f32 %0, %1, %2;" : "=r"(r_) : "f"(f), "f"(f * 3.0f)); r_; });
  o[18] = ({ unsigned r_; asm("cvt.rn.bf16x2.f32 %0, %1, %2;" : "=r"(r_) : "f"(f), "f"(f * 3.0f)); r_; });
  o[19] = ({ unsigned r_; asm("cvt.rn.relu.f16x2.f32 %0, %1, %2;" : "=r"(r_) : "f"(f), "f"(-f)); r_; });
  o[20] = ({ unsigned r_; asm("cvt.rn.satfinite.bf16x2.f32 %0, %1, %2;" : "=r"(r_) : "f"(f * 1e30f), "f"(f)); r_; });
  o[21] = D2("cvt.rn.f32.f64", d);  o[22] = D2("cvt.rz.f32.f64", d);  o[23] = D2("cvt.rm.f32.f64", d);
  o[24] = D2("cvt.rni.s32.f64", d); o[25] = D2("cvt.rzi.u32.f64", d);
  o[26] = I2("cvt.rn.f32.s32", u);  o[27] = I2("cvt.rz.f32.u32", u);  o[28] = I2("cvt.rm.f32.s32", u);
  o[29] = ({ unsigned short r_; asm("cvt.rn.f16.s32 %0, %1;" : "=h"(r_) : "r"(u)); (unsigned)r_; });
  o[30] = ({ unsigned short r_; asm("cvt.rz.f16.u32 %0, %1;" : "=h"(r_) : "r"(u)); (unsigned)r_; });
  o[31] = ({ unsigned r_; asm("{.reg .s16 t; cvt.u16.u32 t, %1; cvt.rn.f32.s16 %0, t;}" : "=f"(*(float*)&r_) : "r"(u)); r_; });
  o[32] = ({ unsigned r_; asm("{.reg .u8 t; cvt.u8.u32 t, %1; cvt.rn.f32.u8 %0, t;}" : "=f"(*(float*)&r_) : "r"(u)); r_; });
  o[33] = L2("cvt.rn.f32.s64", l);  o[34] = L2("cvt.rz.f32.u64", l);  o[35] = L2("cvt.rp.f32.s64", l);
  o[36] = I2("cvt.sat.s8.s32", u);  o[37] = I2("cvt.sat.u16.s32", u); o[38] = I2("cvt.s8.s32", u);
  o[39] = ({ unsigned r_; asm("{.reg .f32 t; cvt.f32.f16 t, %1; mov.b32 %0, t;}" : "=r"(r_) : "h"((unsigned short)u)); r_; });
  o[40] = ({ unsigned r_; asm("{.reg .f32 t; cvt.f32.bf16 t, %1; mov.b32 %0, t;}" : "=r"(r_) : "h"((unsigned short)u)); r_; });
  o[41] = F2("cvt.rzi.sat.u32.f32", f); o[42] = I2("cvt.sat.u32.s32", u);
  o[43] = ({ unsigned r_; asm("cvt.rn.satfinite.f16x2.f32 %0, %1, %2;" : "=r"(r_) : "f"(f * 1e6f), "f"(f)); r_; });
  o[44] = ({ unsigned r_; asm("cvt.rna.tf32.f32 %0, %1;" : "=r"(r_) : "f"(f)); r_; });
  o[45] = F2("cvt.rmi.f32.f32", f); o[46] = F2("cvt.rzi.ftz.f32.f32", f); o[47] = F2("cvt.rpi.f32.f32", f);
  q[0] = ({ unsigned long long r_; asm("cvt.rzi.s64.f32 %0, %1;" : "=l"(r_) : "f"(f)); r_; });
  q[1] = ({ unsigned long long r_; asm("cvt.rni.u64.f32 %0, %1;" : "=l"(r_) : "f"(f)); r_; });
  q[2] = ({ unsigned long long r_; asm("cvt.rzi.u64.f64 %0, %1;" : "=l"(r_) : "d"(d)); r_; });
  q[3] = ({ unsigned long long r_; asm("cvt.rmi.s64.f64 %0, %1;" : "=l"(r_) : "d"(d)); r_; });
  q[4] = ({ unsigned long long r_; asm("cvt.rn.f64.s64 %0, %1;" : "=l"(r_) : "l"(l)); r_; });
  q[5] = ({ unsigned long long r_; asm("cvt.rz.f64.u64 %0, %1;" : "=l"(r_) : "l"(l)); r_; });
  q[6] = ({ unsigned long long r_; asm("{.reg .f64 t; cvt.rn.f64.u32 t, %1; mov.b64 %0, t;}" : "=l"(r_) : "r"(u)); r_; });
  q[7] = ({ unsigned long long r_; asm("{.reg .f64 t; cvt.f64.f32 t, %1; mov.b64 %0, t;}" : "=l"(r_) : "f"(f)); r_; });
}
