#include "common.h"
// 16x16 tiles through LDS (padded row to avoid the bank pattern): out[x][y] = in[y][x], width w (multiple of 16)
__kernel void transpose(__global const float *in, __global float *out, int w, int h) {
  __local float tile[16][17];
  int lx = LID0 & 15, ly = LID0 >> 4;
  int tiles_x = w / 16, t = GROUP0, tx = t % tiles_x, ty = t / tiles_x;
  tile[ly][lx] = in[(ty * 16 + ly) * w + tx * 16 + lx];
  LDS_SYNC();
  out[(tx * 16 + ly) * h + ty * 16 + lx] = tile[lx][ly];
}
