/* Tight loop of cheap ioctls for bench/trace_overhead.py: prints the mean ns per call.
 *   usage: ioctl_loop DEVICE N plain|nested
 * plain: NV_ESC_CHECK_VERSION_STR (a 72-byte argument, nothing nested); nested: NV_ESC_RM_CONTROL with a 32-byte
 * GET_ID_INFO_V2 parameter block (the tracer captures both, before and after). The result of each call is not checked: on a
 * file that is not a GPU node the kernel answers ENOTTY, which is still one full trip through the shim and the kernel. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include "nv_abi.h"

int main(int argc, char **argv) {
  if (argc != 4) { fprintf(stderr, "usage: ioctl_loop DEVICE N plain|nested\n"); return 2; }
  int fd = open(argv[1], O_RDWR | O_CLOEXEC), n = atoi(argv[2]), nested = !strcmp(argv[3], "nested");
  if (fd < 0) { perror(argv[1]); return 1; }
  nv_ioctl_rm_api_version_t v; NVOS54_PARAMETERS c; NV0000_CTRL_GPU_GET_ID_INFO_V2_PARAMS info;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (int i = 0; i < n; i++) {
    if (nested) {
      memset(&c, 0, sizeof c); memset(&info, 0, sizeof info);
      c.cmd = NV0000_CTRL_CMD_GPU_GET_ID_INFO_V2; c.params = (NvP64)(uintptr_t)&info; c.paramsSize = sizeof info;
      ioctl(fd, NV_ESC_RM_CONTROL, &c);
    } else {
      memset(&v, 0, sizeof v); v.cmd = NV_RM_API_VERSION_CMD_QUERY;
      ioctl(fd, NV_ESC_CHECK_VERSION_STR, &v);
    }
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  printf("%.1f\n", ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / n);
  close(fd);
  return 0;
}
