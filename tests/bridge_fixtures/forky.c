/* Trace-completeness fixture: forks NCHILD children; each opens DEVICE, makes NCALL RM_CONTROL ioctls from its main thread
 * and NCALL from a second thread (hObject = child*1000 + thread*100 + i, a nested GET_ID_INFO_V2 block with gpuId = the
 * same number), then closes and exits with _exit (no atexit flush). Every call is journaled on stdout as
 *   CALL pid tid fd hObject ret errno
 * so the test can compare the trace with what the program did.  usage: forky DEVICE NCHILD NCALL
 * NCHILD 0: no fork; one ioctl whose argument pointer is bad and one whose nested params pointer is bad (the tracer must
 * not crash the program: the kernel answers EFAULT, the shim records what it could read).
 * NCHILD < 0: the parent opens DEVICE and makes NCALL calls first, then forks -NCHILD children as above (under sim-run the
 * children inherit an initialized simulator; they must neither deadlock nor disturb the parent's). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "nv_abi.h"

static const char *dev; static int ncall;
struct job { int fd, base; };

static void journal(int fd, unsigned h, int ret, int err) {
  char line[160];
  int n = snprintf(line, sizeof line, "CALL %d %ld %d %u %d %d\n", getpid(), syscall(SYS_gettid), fd, h, ret, err);
  if (write(1, line, n) != n) _exit(3);
}
static void *calls(void *p) {
  struct job *j = p;
  for (int i = 0; i < ncall; i++) {
    NV0000_CTRL_GPU_GET_ID_INFO_V2_PARAMS info; memset(&info, 0, sizeof info);
    info.gpuId = j->base + i;
    NVOS54_PARAMETERS a; memset(&a, 0, sizeof a);
    a.hClient = 0xc1d00000u; a.hObject = j->base + i; a.cmd = NV0000_CTRL_CMD_GPU_GET_ID_INFO_V2;
    a.params = (NvP64)(uintptr_t)&info; a.paramsSize = sizeof info;
    int r = ioctl(j->fd, NV_ESC_RM_CONTROL, &a);
    journal(j->fd, j->base + i, r, r < 0 ? errno : 0);
  }
  return NULL;
}
int main(int argc, char **argv) {
  if (argc != 4) { fprintf(stderr, "usage: forky DEVICE NCHILD NCALL\n"); return 2; }
  dev = argv[1]; int nchild = atoi(argv[2]); ncall = atoi(argv[3]);
  int pfd = -1;
  setvbuf(stdout, NULL, _IONBF, 0);
  if (nchild == 0) {
    int fd = open(dev, O_RDWR | O_CLOEXEC);
    if (fd < 0) { perror(dev); return 1; }
    int r = ioctl(fd, NV_ESC_RM_CONTROL, (void *)16);
    journal(fd, 0, r, r < 0 ? errno : 0);
    NVOS54_PARAMETERS a; memset(&a, 0, sizeof a);
    a.hObject = 1; a.cmd = NV0000_CTRL_CMD_GPU_GET_ID_INFO_V2; a.params = 16; a.paramsSize = 32;
    r = ioctl(fd, NV_ESC_RM_CONTROL, &a);
    journal(fd, 1, r, r < 0 ? errno : 0);
    close(fd);
    return 7;
  }
  if (nchild < 0) {
    nchild = -nchild;
    if ((pfd = open(dev, O_RDWR | O_CLOEXEC)) < 0) { perror(dev); return 1; }
    struct job j = { pfd, 0 };
    calls(&j);
  }
  for (int c = 1; c <= nchild; c++) {
    pid_t pid = fork();
    if (pid < 0) { perror("fork"); return 1; }
    if (pid == 0) {
      int fd = open(dev, O_RDWR | O_CLOEXEC);
      if (fd < 0) { perror(dev); _exit(1); }
      struct job main_job = { fd, c * 1000 }, thread_job = { fd, c * 1000 + 100 };
      pthread_t t;
      pthread_create(&t, NULL, calls, &thread_job);
      calls(&main_job);
      pthread_join(t, NULL);
      close(fd);
      _exit(0);
    }
  }
  int bad = 0, st;
  while (wait(&st) > 0) bad |= !WIFEXITED(st) || WEXITSTATUS(st);
  if (pfd >= 0) { struct job j = { pfd, 900 }; calls(&j); close(pfd); }
  return bad ? 1 : 7;      /* 7: the test checks the exit code is passed through */
}
