#include "pre.h"
// float <-> half <-> bfloat16 conversions and half arithmetic
extern "C" __global__ void fp16(_Float16* h, float* back, __bf16* bf, float* bback, float* hsum, const float* in, int n) {
  int i = GID;
  if (i >= n) return;
  float f = in[i];
  _Float16 x = (_Float16)f;
  h[i] = x;
  back[i] = (float)x;
  __bf16 b = (__bf16)f;
  bf[i] = b;
  bback[i] = (float)b;
  _Float16 y = x * (_Float16)2.0f + (_Float16)1.0f;
  hsum[i] = (float)y;
}
