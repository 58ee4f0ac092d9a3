/* hwrt LD_PRELOAD bridge: trace GPU device calls and/or serve them from hwrt's simulator (sim/bridge/__init__.py builds it).
 *
 * Environment (set by `hwrt trace` / `hwrt sim-run`, see sim/bridge_cli.py):
 *   HWRT_TRACE_DIR      trace mode: one raw record file per process, <dir>/trace.<pid>.bin (0600, mapped shared: see trace_append)
 *   HWRT_TRACE_ALSO     extra paths to treat as device nodes: "PATH=KIND;..." (KIND nv uvm kfd drm), for tests without a GPU
 *   HWRT_SIM            sim mode: the simulated vendor (nv, amd, intel); device nodes go to hwrt.sim.bridge.host in an embedded
 *                       Python interpreter (the process's own one when it already has libpython loaded)
 *   HWRT_SIM_ROOT       sim mode: the shadow tree (sysfs/procfs/dev files the simulator provides, materialized by sim-run)
 *   HWRT_SIM_PREFIXES   sim mode: ';'-separated path prefixes that resolve inside HWRT_SIM_ROOT (and nowhere else)
 *   HWRT_PYLIB          libpython to dlopen when the process has none; HWRT_PYPATH: sys.path entries for the embedded interpreter
 * Interposed: open/open64/openat(64)/__open*_2, close/close_range/closefrom, dup/dup2/dup3/fcntl(F_DUPFD), ioctl, mmap(64),
 * munmap, the fstat family (a sim fd is a character device); in sim mode also the path calls GPU stacks use (stat family,
 * statx, access, opendir, scandir, readlink(at), realpath, fopen, xattrs): a path under a simulated prefix resolves inside
 * the shadow tree, so read(), readdir(), fscanf() and the rest work on real files and need no interposing.
 * Every call on anything else passes straight through. Records are read by hwrt.sim.bridge.records. */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include "bridge_tables.h"      /* generated: ARGSZ (arg sizes the request number does not carry), NEST (pointer fields) */
#ifdef HWRT_PYTHON
#include <Python.h>
#endif

#define FDMAX 65536
#define PATHLEN 256
enum { K_NONE, K_NV, K_UVM, K_KFD, K_DRM };
enum { F_SIM = 0x80, F_KIND = 0x0f };
enum { C_OPEN = 1, C_CLOSE, C_IOCTL, C_MMAP, C_MUNMAP, C_PROCESS, C_DUP };
enum { B_PATH = 1, B_BEFORE, B_AFTER, B_NEST_BEFORE, B_NEST_AFTER, B_EXE, B_DRIVER };

struct rec { uint32_t len; uint16_t call, nblob; int32_t pid, tid, fd, err; int64_t ret; uint64_t t_wall, dur; uint64_t a[4];
             uint32_t kind, driver; };
struct blob { uint16_t tag, idx; uint32_t len; uint64_t addr; };

static unsigned char fdk[FDMAX];          /* kind | F_SIM per fd */
static unsigned char fddrv[FDMAX];        /* DRM driver id (DRV_* in bridge_tables.h) */
static char fdpath[FDMAX][PATHLEN];
static int tracing, sim, trace_fd = -1, use_pvr = 1;
static char trace_dir[512], sim_vendor[32], sim_root[512], also[1024];
static char prefixes[128][256]; static int nprefix;
static __thread int tls_tid, in_host;
static __thread uintptr_t stack_top, stack_lo;   /* this thread's stack: base (highest address) and lowest address */
static uintptr_t brk0;                    /* the program break when the shim started */
static int my_pid;                        /* getpid(), refreshed after fork */
static __thread char *rbuf; static __thread size_t rcap;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER, trace_lock = PTHREAD_MUTEX_INITIALIZER;
struct mapping { uint64_t addr, len; int fd; unsigned char kind; char path[PATHLEN]; };
static struct mapping maps[4096]; static int nmaps;

#define REAL(ret, name, ...) static ret (*real_##name)(__VA_ARGS__); \
  if (!real_##name) real_##name = (ret (*)(__VA_ARGS__))dlsym(RTLD_NEXT, #name)

/* ---------------------------------------------------------------- setup */
static void init_once(void);
static pthread_once_t once = PTHREAD_ONCE_INIT;
#define INIT() pthread_once(&once, init_once)

static void trace_drop_inherited(void);
static void after_fork_child(void) {
  trace_drop_inherited();
  pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER; trace_lock = fresh; lock = fresh;   /* another thread may have held them */
  tls_tid = 0;
  my_pid = (int)syscall(SYS_getpid);
}
#ifdef HWRT_PYTHON
static void py_prefork(void), py_parent(void), py_child(void);
#endif
static void init_once(void) {
  const char *e;
  if ((e = getenv("HWRT_TRACE_DIR")) && *e) { snprintf(trace_dir, sizeof trace_dir, "%s", e); tracing = 1; }
  if ((e = getenv("HWRT_TRACE_ALSO"))) snprintf(also, sizeof also, "%s", e);
  if ((e = getenv("HWRT_SIM")) && *e) { snprintf(sim_vendor, sizeof sim_vendor, "%s", e); sim = 1; }
  if ((e = getenv("HWRT_SIM_ROOT"))) snprintf(sim_root, sizeof sim_root, "%s", e);
  if ((e = getenv("HWRT_SIM_PREFIXES"))) {
    static char tmp[128 * 256]; snprintf(tmp, sizeof tmp, "%s", e);
    for (char *s, *t = strtok_r(tmp, ";", &s); t && nprefix < 128; t = strtok_r(NULL, ";", &s))
      snprintf(prefixes[nprefix++], sizeof prefixes[0], "%s", t);
  }
  my_pid = (int)syscall(SYS_getpid);
  brk0 = (uintptr_t)sbrk(0);
  pthread_atfork(NULL, NULL, after_fork_child);
}
__attribute__((constructor)) static void ctor(void) { INIT(); }

static uint64_t now(clockid_t c) { struct timespec ts; clock_gettime(c, &ts); return ts.tv_sec * 1000000000ull + ts.tv_nsec; }
static int gettid_cached(void) { if (!tls_tid) tls_tid = (int)syscall(SYS_gettid); return tls_tid; }

/* device node path -> kind; the same patterns as hwrt.ioctl.syscalls.device_kind */
static int digits(const char *s) { if (!*s) return 0; for (; *s; s++) if (*s < '0' || *s > '9') return 0; return 1; }
static int dev_kind(const char *p) {
  if (!p || !*p) return K_NONE;
  if (!strncmp(p, "/dev/nvidia", 11)) {
    const char *r = p + 11;
    if (!strcmp(r, "-uvm") || !strcmp(r, "-uvm-tools")) return K_UVM;
    if (!strcmp(r, "ctl") || digits(r)) return K_NV;
    return K_NONE;
  }
  if (!strcmp(p, "/dev/kfd")) return K_KFD;
  if (!strncmp(p, "/dev/dri/renderD", 16) && digits(p + 16)) return K_DRM;
  if (!strncmp(p, "/dev/dri/card", 13) && digits(p + 13)) return K_DRM;
  if (also[0]) {          /* "PATH=KIND;PATH=KIND" */
    size_t n = strlen(p);
    for (const char *s = also; (s = strstr(s, p)); s += n)
      if ((s == also || s[-1] == ';') && s[n] == '=') {
        const char *k = s + n + 1;
        if (!strncmp(k, "nv", 2) && (k[2] == ';' || !k[2])) return K_NV;
        if (!strncmp(k, "uvm", 3)) return K_UVM;
        if (!strncmp(k, "kfd", 3)) return K_KFD;
        if (!strncmp(k, "drm", 3)) return K_DRM;
      }
  }
  return K_NONE;
}

/* ---------------------------------------------------------------- sim: shadow tree path rewriting */
static const char *shadow(const char *p, char *buf, size_t n) {
  if (!sim || !p || p[0] != '/' || in_host || !sim_root[0]) return p;
  int hit = dev_kind(p) != K_NONE;
  for (int i = 0; !hit && i < nprefix; i++) {
    size_t l = strlen(prefixes[i]);
    if (!strncmp(p, prefixes[i], l) && (p[l] == 0 || p[l] == '/' || prefixes[i][l - 1] == ':' || prefixes[i][l - 1] == '/')) hit = 1;
  }
  if (!hit) return p;
  snprintf(buf, n, "%s%s", sim_root, p);
  return buf;
}
/* a stat of a simulated device node: the shadow file's times, a character device's mode and numbers */
static void devnode_stat(const char *p, struct stat *st) {
  int k = dev_kind(p); unsigned maj = 0, min = 0;
  const char *b = strrchr(p, '/') + 1;
  if (k == K_NV) { maj = 195; min = !strcmp(b, "nvidiactl") ? 255 : (unsigned)atoi(b + 6); }
  else if (k == K_UVM) { maj = 510; min = strstr(b, "tools") ? 1 : 0; }
  else if (k == K_KFD) { maj = 511; min = 0; }
  else if (k == K_DRM) { maj = 226; min = (unsigned)atoi(b + (b[0] == 'r' ? 7 : 4)); }
  st->st_mode = S_IFCHR | 0666; st->st_rdev = makedev(maj, min); st->st_size = 0;
}

/* ---------------------------------------------------------------- sim: the embedded interpreter */
#ifdef HWRT_PYTHON
#define PYFN(n) static __typeof__(n) *p_##n
PYFN(Py_IsInitialized); PYFN(PyGILState_Ensure); PYFN(PyGILState_Release); PYFN(PyEval_SaveThread);
PYFN(PyImport_ImportModule); PYFN(PyObject_CallMethod); PYFN(PyLong_AsLongLong); PYFN(PyErr_Print); PYFN(Py_DecRef);
PYFN(PyConfig_InitPythonConfig); PYFN(Py_InitializeFromConfig); PYFN(PyConfig_Clear); PYFN(PyStatus_Exception);
PYFN(PyRun_SimpleStringFlags); PYFN(Py_GetVersion); PYFN(PyOS_AfterFork_Child); PYFN(PyErr_Occurred);
static PyObject *host; static int py_state;      /* 0 not tried, 1 ready, -1 failed */
static pthread_mutex_t py_lock = PTHREAD_MUTEX_INITIALIZER;
static int py_owned;

static void py_fail(const char *what) {
  fprintf(stderr, "hwrt sim-run: cannot start the simulator in this process: %s\n", what);
  py_state = -1;
}
static int py_start(void) {
  if (py_state) return py_state;
  pthread_mutex_lock(&py_lock);
  if (py_state) { pthread_mutex_unlock(&py_lock); return py_state; }
  in_host++;
  void *h = RTLD_DEFAULT;
  if (!dlsym(RTLD_DEFAULT, "Py_IsInitialized")) {
    const char *lib = getenv("HWRT_PYLIB");
    if (!lib || !*lib) { py_fail("HWRT_PYLIB is not set (run the program through `hwrt sim-run`)"); goto out; }
    if (!(h = dlopen(lib, RTLD_NOW | RTLD_GLOBAL))) { py_fail(dlerror()); goto out; }
  }
#define LOAD(n) if (!(p_##n = (__typeof__(n) *)dlsym(h, #n))) { py_fail("libpython lacks " #n); goto out; }
  LOAD(Py_IsInitialized) LOAD(PyGILState_Ensure) LOAD(PyGILState_Release) LOAD(PyEval_SaveThread) LOAD(PyImport_ImportModule)
  LOAD(PyObject_CallMethod) LOAD(PyLong_AsLongLong) LOAD(PyErr_Print) LOAD(Py_DecRef) LOAD(PyConfig_InitPythonConfig)
  LOAD(Py_InitializeFromConfig) LOAD(PyConfig_Clear) LOAD(PyStatus_Exception) LOAD(PyRun_SimpleStringFlags) LOAD(Py_GetVersion)
  LOAD(PyOS_AfterFork_Child) LOAD(PyErr_Occurred)
  {
    const char *v = p_Py_GetVersion(); char want[16]; snprintf(want, sizeof want, "%d.%d.", PY_MAJOR_VERSION, PY_MINOR_VERSION);
    if (strncmp(v, want, strlen(want))) {
      char msg[160]; snprintf(msg, sizeof msg, "the program runs Python %.8s but the shim was built for %s", v, want);
      py_fail(msg); goto out;
    }
  }
  if (!p_Py_IsInitialized()) {
    PyConfig c; p_PyConfig_InitPythonConfig(&c);
    c.install_signal_handlers = 0; c.parse_argv = 0; c.configure_c_stdio = 0; c.buffered_stdio = 1;
    PyStatus s = p_Py_InitializeFromConfig(&c); p_PyConfig_Clear(&c);
    if (p_PyStatus_Exception(s)) { py_fail(s.err_msg ? s.err_msg : "Py_InitializeFromConfig failed"); goto out; }
    p_PyEval_SaveThread();
    py_owned = 1;
    pthread_atfork(py_prefork, py_parent, py_child);
  }
  {
    PyGILState_STATE g = p_PyGILState_Ensure();
    p_PyRun_SimpleStringFlags("import os, sys, site\n"
      "for _p in os.environ.get('HWRT_PYPATH', '').split(os.pathsep):\n"
      "  if _p and _p not in sys.path: site.addsitedir(_p) if _p.endswith('-packages') else sys.path.append(_p)\n", NULL);
    PyObject *m = p_PyImport_ImportModule("hwrt.sim.bridge.host");
    PyObject *r = m ? p_PyObject_CallMethod(m, "start", "s", sim_vendor) : NULL;
    if (!r) { p_PyErr_Print(); py_fail("hwrt.sim.bridge.host.start failed (traceback above)"); }
    else { p_Py_DecRef(r); host = m; py_state = 1; }
    p_PyGILState_Release(g);
  }
out:
  in_host--;
  pthread_mutex_unlock(&py_lock);
  return py_state;
}
/* fork with an interpreter we own: hold the GIL across fork() so the child's copy is consistent (CPython does the same) */
static PyGILState_STATE fork_g;
static void py_prefork(void) { if (py_state == 1) fork_g = p_PyGILState_Ensure(); }
static void py_parent(void) { if (py_state == 1) p_PyGILState_Release(fork_g); }
static void py_child(void) { if (py_state == 1) { p_PyOS_AfterFork_Child(); p_PyGILState_Release(fork_g); } }

/* call host.<fn>(fmt...) -> int64 (negative: -errno) */
static int64_t hcall(const char *fn, const char *fmt, ...) {
  if (py_start() != 1) return -ENODEV;
  char f[32]; snprintf(f, sizeof f, "(%s)", fmt);
  va_list ap; va_start(ap, fmt);
  in_host++;
  PyGILState_STATE g = p_PyGILState_Ensure();
  PyObject *args = NULL;
  int64_t v = -EIO;
  /* PyObject_CallMethod takes varargs, not a va_list: the few signatures we use, spelled out */
  if (!strcmp(fmt, "si")) { const char *s = va_arg(ap, const char *); int i = va_arg(ap, int); args = p_PyObject_CallMethod(host, fn, f, s, i); }
  else if (!strcmp(fmt, "i")) { int i = va_arg(ap, int); args = p_PyObject_CallMethod(host, fn, f, i); }
  else if (!strcmp(fmt, "ii")) { int i = va_arg(ap, int), j = va_arg(ap, int); args = p_PyObject_CallMethod(host, fn, f, i, j); }
  else if (!strcmp(fmt, "iKK")) { int i = va_arg(ap, int); unsigned long long a = va_arg(ap, unsigned long long), b = va_arg(ap, unsigned long long);
    args = p_PyObject_CallMethod(host, fn, f, i, a, b); }
  else if (!strcmp(fmt, "KK")) { unsigned long long a = va_arg(ap, unsigned long long), b = va_arg(ap, unsigned long long);
    args = p_PyObject_CallMethod(host, fn, f, a, b); }
  else if (!strcmp(fmt, "KKiiiK")) { unsigned long long a = va_arg(ap, unsigned long long), b = va_arg(ap, unsigned long long);
    int c = va_arg(ap, int), d = va_arg(ap, int), e = va_arg(ap, int); unsigned long long o = va_arg(ap, unsigned long long);
    args = p_PyObject_CallMethod(host, fn, f, a, b, c, d, e, o); }
  if (args) { v = p_PyLong_AsLongLong(args); p_Py_DecRef(args); if (p_PyErr_Occurred()) { p_PyErr_Print(); v = -EIO; } }
  else p_PyErr_Print();
  p_PyGILState_Release(g);
  in_host--;
  va_end(ap);
  return v;
}
#else
static int64_t hcall(const char *fn, const char *fmt, ...) {
  (void)fn; (void)fmt;
  static int said; if (!said++) fprintf(stderr, "hwrt sim-run: this shim was built without Python (no sim mode)\n");
  return -ENODEV;
}
#endif

/* ---------------------------------------------------------------- trace records */
/* Memory that is certainly mapped: this thread's stack between its stack pointer and its base, and the brk heap. Anything
 * else is read with process_vm_readv, so a bad pointer costs the program an EFAULT (as the kernel gives it), never a crash. */
static int surely_mapped(uint64_t a, size_t n) {
  uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
  if (!stack_top) {
    pthread_attr_t at; void *lo; size_t sz;
    if (!pthread_getattr_np(pthread_self(), &at)) {
      if (!pthread_attr_getstack(&at, &lo, &sz)) { stack_lo = (uintptr_t)lo; stack_top = (uintptr_t)lo + sz; }
      pthread_attr_destroy(&at);
    }
    if (!stack_top) stack_top = 1;
  }
  if (sp >= stack_lo && a >= sp && a + n <= stack_top) return 1;     /* (not on a signal or coroutine stack) */
  uintptr_t cur = (uintptr_t)sbrk(0);
  return brk0 && a >= brk0 && a + n <= cur;
}
static int safe_read(void *dst, uint64_t src, size_t n) {
  if (!src || !n) return 0;
  if (surely_mapped(src, n)) { memcpy(dst, (void *)(uintptr_t)src, n); return (int)n; }
  if (use_pvr) {
    struct iovec l = { dst, n }, r = { (void *)(uintptr_t)src, n };
    ssize_t got = syscall(SYS_process_vm_readv, my_pid, &l, 1, &r, 1, 0);
    if (got >= 0) return (int)got;
    if (errno == EFAULT) return 0;
    use_pvr = 0;                    /* ENOSYS / EPERM (seccomp): plain copy from here on */
  }
  memcpy(dst, (void *)(uintptr_t)src, n);
  return (int)n;
}
static char *rb_reserve(size_t need) {
  if (need > rcap) { size_t c = need + 65536; char *b = realloc(rbuf, c); if (!b) return NULL; rbuf = b; rcap = c; }
  return rbuf;
}
static size_t rb_blob(size_t off, struct rec *r, int tag, int idx, uint64_t addr, const void *data, size_t len) {
  size_t pad = (len + 7) & ~(size_t)7;
  if (!rb_reserve(off + sizeof(struct blob) + pad)) return off;
  struct blob *b = (struct blob *)(rbuf + off);
  b->tag = tag; b->idx = idx; b->len = (uint32_t)len; b->addr = addr;
  if (data) memcpy(b + 1, data, len); else memset(b + 1, 0, len);
  memset((char *)(b + 1) + len, 0, pad - len);
  ((struct rec *)rbuf)->nblob++; (void)r;
  return off + sizeof(struct blob) + pad;
}
/* trusted: the same bytes were read safely just before the call (so they are mapped) */
static size_t rb_blob_user(size_t off, int tag, int idx, uint64_t addr, size_t len, int trusted) {
  size_t pad = (len + 7) & ~(size_t)7;
  if (!rb_reserve(off + sizeof(struct blob) + pad)) return off;
  struct blob *b = (struct blob *)(rbuf + off);
  int got = trusted ? (memcpy(b + 1, (void *)(uintptr_t)addr, len), (int)len) : safe_read(b + 1, addr, len);
  b->tag = tag; b->idx = idx; b->len = (uint32_t)got; b->addr = addr;
  pad = ((size_t)got + 7) & ~(size_t)7;
  memset((char *)(b + 1) + got, 0, pad - got);
  ((struct rec *)rbuf)->nblob++;
  return off + sizeof(struct blob) + pad;
}
/* The per-process trace file is mapped MAP_SHARED: a record is an atomic reservation in the file's header plus a memcpy, no
 * system call, and what a process wrote survives its _exit, crash or SIGKILL (the pages belong to the file). Layout: a 64-byte
 * header {magic, next free offset, file size, dropped records}, then records; a record's length word is stored last, so a
 * reader stops at a zero length (a record whose writer died mid-copy). The file grows by TRACE_CHUNK with fallocate (no
 * SIGBUS on a full disk: tracing stops instead); the mapping reserves TRACE_SPAN of address space up front so it never moves.
 * An exec'd image (same pid, same file) continues after the previous image's records. */
#define TRACE_MAGIC 0x3143525454525748ull      /* "HWRTTRC1" */
#define TRACE_CHUNK (8ull << 20)
#define TRACE_SPAN (16ull << 30)
struct trace_hdr { uint64_t magic, pos, size, dropped, pad[4]; };
static struct trace_hdr *trace_map;
static int trace_failed;

static void trace_drop_inherited(void) {       /* fork child: the parent's mapping and file are not ours */
  if (trace_map) { syscall(SYS_munmap, trace_map, TRACE_SPAN); trace_map = NULL; }
  if (trace_fd >= 0) { syscall(SYS_close, trace_fd); trace_fd = -1; }
  trace_failed = 0;
}
static void trace_append(const char *data, size_t len);
static size_t rec_start(int call, int fd, int kind);
static void trace_open_file(void) {
  char p[640];
  snprintf(p, sizeof p, "%s/trace.%d.bin", trace_dir, my_pid);
  int fd = (int)syscall(SYS_openat, AT_FDCWD, p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) { trace_failed = 1; return; }
  struct stat st;
  if (syscall(SYS_fstat, fd, &st) || (st.st_size < (off_t)sizeof(struct trace_hdr) && syscall(SYS_fallocate, fd, 0, 0, (off_t)TRACE_CHUNK))) {
    syscall(SYS_close, fd); trace_failed = 1; return;
  }
  void *m = (void *)syscall(SYS_mmap, NULL, TRACE_SPAN, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd, 0);
  if (m == MAP_FAILED) { syscall(SYS_close, fd); trace_failed = 1; return; }
  struct trace_hdr *h = m;
  if (h->magic != TRACE_MAGIC) { h->pos = sizeof *h; h->size = TRACE_CHUNK; h->dropped = 0; h->magic = TRACE_MAGIC; }
  trace_fd = fd;
  __atomic_store_n(&trace_map, h, __ATOMIC_RELEASE);
  /* first record of each process (and of each exec): who it is and who forked it */
  char *save = rbuf; size_t savecap = rcap; rbuf = NULL; rcap = 0;
  size_t off = rec_start(C_PROCESS, -1, 0);
  if (off) {
    ((struct rec *)rbuf)->a[0] = (uint64_t)getppid();
    char exe[512]; ssize_t n = syscall(SYS_readlinkat, AT_FDCWD, "/proc/self/exe", exe, sizeof exe - 1); if (n < 0) n = 0; exe[n] = 0;
    off = rb_blob(off, NULL, B_EXE, 0, 0, exe, (size_t)n);
    ((struct rec *)rbuf)->len = (uint32_t)off;
    trace_append(rbuf, off);
  }
  free(rbuf); rbuf = save; rcap = savecap;
}
static void trace_append(const char *data, size_t len) {
  struct trace_hdr *h = __atomic_load_n(&trace_map, __ATOMIC_ACQUIRE);
  if (!h) return;
  uint64_t at = __atomic_fetch_add(&h->pos, len, __ATOMIC_ACQ_REL);
  if (at + len > TRACE_SPAN) { __atomic_fetch_add(&h->dropped, 1, __ATOMIC_RELAXED); return; }
  if (at + len > __atomic_load_n(&h->size, __ATOMIC_ACQUIRE)) {
    pthread_mutex_lock(&trace_lock);
    while (at + len > h->size) {
      if (syscall(SYS_fallocate, trace_fd, 0, (off_t)h->size, (off_t)TRACE_CHUNK)) break;
      __atomic_store_n(&h->size, h->size + TRACE_CHUNK, __ATOMIC_RELEASE);
    }
    int ok = at + len <= h->size;
    pthread_mutex_unlock(&trace_lock);
    if (!ok) { __atomic_fetch_add(&h->dropped, 1, __ATOMIC_RELAXED); return; }
  }
  char *dst = (char *)h + at;
  memcpy(dst + 4, data + 4, len - 4);
  __atomic_store_n((uint32_t *)dst, (uint32_t)len, __ATOMIC_RELEASE);
}
static void rec_write(size_t len) {
  ((struct rec *)rbuf)->len = (uint32_t)len;
  if (!__atomic_load_n(&trace_map, __ATOMIC_ACQUIRE) && !trace_failed) {
    pthread_mutex_lock(&trace_lock);
    if (!trace_map && !trace_failed) trace_open_file();
    pthread_mutex_unlock(&trace_lock);
  }
  trace_append(rbuf, len);
}
static size_t rec_start(int call, int fd, int kind) {
  if (!rb_reserve(sizeof(struct rec))) return 0;
  struct rec *r = (struct rec *)rbuf;
  memset(r, 0, sizeof *r);
  r->call = call; r->pid = my_pid; r->tid = gettid_cached(); r->fd = fd; r->kind = kind & F_KIND;
  r->driver = (fd >= 0 && fd < FDMAX) ? fddrv[fd] : 0;
  r->t_wall = now(CLOCK_REALTIME);
  return sizeof(struct rec);
}
static void rec_finish(size_t off, int64_t ret, int err, uint64_t t0) {
  struct rec *r = (struct rec *)rbuf;
  r->dur = now(CLOCK_MONOTONIC) - t0; r->ret = ret; r->err = ret < 0 ? err : 0;
  rec_write(off);
}
static size_t rec_path(size_t off, int fd, const char *path) {
  if (!path && fd >= 0 && fd < FDMAX) path = fdpath[fd];
  return path ? rb_blob(off, NULL, B_PATH, 0, 0, path, strnlen(path, PATHLEN - 1)) : off;
}

/* ---------------------------------------------------------------- fd bookkeeping */
static int drm_driver(const char *path) {
  const char *b = strrchr(path, '/'); char l[320], t[256]; char sb[640];
  snprintf(l, sizeof l, "/sys/class/drm/%s/device/driver", b ? b + 1 : path);
  ssize_t n = readlink(shadow(l, sb, sizeof sb), t, sizeof t - 1);
  if (n <= 0) return 0;
  t[n] = 0; const char *d = strrchr(t, '/'); d = d ? d + 1 : t;
  for (int i = 1; i < (int)(sizeof DRV_NAMES / sizeof DRV_NAMES[0]); i++) if (!strcmp(d, DRV_NAMES[i])) return i;
  return 0;
}
static void fd_set_dev(int fd, int kind, const char *path) {
  if (fd < 0 || fd >= FDMAX) return;
  snprintf(fdpath[fd], PATHLEN, "%s", path);
  fddrv[fd] = (kind & F_KIND) == K_DRM ? (unsigned char)drm_driver(path) : 0;
  __atomic_store_n(&fdk[fd], (unsigned char)kind, __ATOMIC_RELEASE);
}
static inline int fd_kind(int fd) { return (fd >= 0 && fd < FDMAX) ? __atomic_load_n(&fdk[fd], __ATOMIC_ACQUIRE) : 0; }

static int in_vfork_child(void) { return (int)syscall(SYS_getpid) != my_pid; }   /* shares the parent's memory */
static void forget_fd(int fd) { if (fd >= 0 && fd < FDMAX) __atomic_store_n(&fdk[fd], 0, __ATOMIC_RELEASE); }

/* ---------------------------------------------------------------- open */
static int dev_open_sim(const char *path, int flags, int *kind, int *err) {
  int64_t v = hcall("open", "si", path, flags);
  *err = v < 0 ? (int)-v : 0;
  if (v >= 0) *kind |= F_SIM;
  return v < 0 ? -1 : (int)v;
}
static int dev_open_done(const char *path, int flags, int kind, int fd, int err, uint64_t t0, size_t off) {
  if (fd >= 0) fd_set_dev(fd, kind, path);
  if (off) {
    struct rec *r = (struct rec *)rbuf; r->a[0] = (uint64_t)flags; r->fd = fd; r->kind = kind & F_KIND;
    r->driver = fd >= 0 && fd < FDMAX ? fddrv[fd] : 0;
    off = rec_path(off, -1, path);
    rec_finish(off, fd, err, t0);
  }
  errno = err;
  return fd;
}
/* device node: trace and/or simulate; anything else: the shadow tree in sim mode, else untouched */
#define OPEN_BODY(realcall) \
  INIT(); \
  int kind = in_host ? K_NONE : dev_kind(path); \
  if (kind) { \
    uint64_t t0 = now(CLOCK_MONOTONIC); size_t off = tracing ? rec_start(C_OPEN, -1, kind) : 0; int fd, err; \
    if (sim) fd = dev_open_sim(path, flags, &kind, &err); else { fd = realcall; err = errno; } \
    return dev_open_done(path, flags, kind, fd, err, t0, off); \
  } \
  char sb[640]; path = shadow(path, sb, sizeof sb); \
  int r = realcall; \
  if (r >= 0 && fd_kind(r)) forget_fd(r);  /* closed behind our back (close_range, a raw syscall): not a device any more */ \
  return r;
#define VA_MODE mode_t mode = 0; if (flags & (O_CREAT | __O_TMPFILE)) { va_list ap; va_start(ap, flags); mode = va_arg(ap, mode_t); va_end(ap); }

int open(const char *path, int flags, ...) { REAL(int, open, const char *, int, ...); VA_MODE OPEN_BODY(real_open(path, flags, mode)) }
int open64(const char *path, int flags, ...) { REAL(int, open64, const char *, int, ...); VA_MODE OPEN_BODY(real_open64(path, flags, mode)) }
int openat(int dfd, const char *path, int flags, ...) { REAL(int, openat, int, const char *, int, ...); VA_MODE OPEN_BODY(real_openat(dfd, path, flags, mode)) }
int openat64(int dfd, const char *path, int flags, ...) { REAL(int, openat64, int, const char *, int, ...); VA_MODE OPEN_BODY(real_openat64(dfd, path, flags, mode)) }
int __open_2(const char *path, int flags) { REAL(int, open, const char *, int, ...); OPEN_BODY(real_open(path, flags)) }
int __open64_2(const char *path, int flags) { REAL(int, open64, const char *, int, ...); OPEN_BODY(real_open64(path, flags)) }
int __openat_2(int dfd, const char *path, int flags) { REAL(int, openat, int, const char *, int, ...); OPEN_BODY(real_openat(dfd, path, flags)) }
int __openat64_2(int dfd, const char *path, int flags) { REAL(int, openat64, int, const char *, int, ...); OPEN_BODY(real_openat64(dfd, path, flags)) }

FILE *fopen(const char *path, const char *m) { REAL(FILE *, fopen, const char *, const char *); INIT(); char sb[640]; return real_fopen(shadow(path, sb, sizeof sb), m); }
FILE *fopen64(const char *path, const char *m) { REAL(FILE *, fopen64, const char *, const char *); INIT(); char sb[640]; return real_fopen64(shadow(path, sb, sizeof sb), m); }

/* ---------------------------------------------------------------- close / dup */
int close(int fd) {
  REAL(int, close, int);
  int k = in_host ? 0 : fd_kind(fd);
  if (!k || in_vfork_child()) return real_close(fd);
  uint64_t t0 = now(CLOCK_MONOTONIC);
  size_t off = tracing ? rec_start(C_CLOSE, fd, k) : 0;
  if (off) off = rec_path(off, fd, NULL);
  __atomic_store_n(&fdk[fd], 0, __ATOMIC_RELEASE);
  int r, err = 0;
  if (k & F_SIM) { int64_t v = hcall("close", "i", fd); r = v < 0 ? -1 : 0; err = v < 0 ? (int)-v : 0; }
  else { r = real_close(fd); err = errno; }
  if (off) rec_finish(off, r, err, t0);
  errno = err;
  return r;
}
/* close_range / closefrom: forget the device fds in the range. Nothing is recorded and the simulator is not called: these
 * run in children between vfork and exec (Python's subprocess, posix_spawn), which share the parent's memory. */
static void close_devs_in(unsigned lo, unsigned hi) {
  if (in_host || in_vfork_child()) return;
  for (unsigned fd = lo; fd <= hi && fd < FDMAX; fd++) if (fdk[fd]) forget_fd((int)fd);
}
int close_range(unsigned lo, unsigned hi, int flags) {
  REAL(int, close_range, unsigned, unsigned, int);
  if (!(flags & 4 /* CLOSE_RANGE_CLOEXEC */)) close_devs_in(lo, hi);
  return real_close_range(lo, hi, flags);
}
void closefrom(int lo) {
  REAL(void, closefrom, int);
  close_devs_in(lo < 0 ? 0 : (unsigned)lo, FDMAX - 1);
  real_closefrom(lo);
}
static int dup_common(int old, int nw, int err) {
  int k = fd_kind(old);
  if (nw >= 0 && nw != old && !in_host) {
    if (fd_kind(nw)) __atomic_store_n(&fdk[nw], 0, __ATOMIC_RELEASE);
    if (k) {
      if (k & F_SIM) hcall("dup", "ii", old, nw);
      fd_set_dev(nw, k, fdpath[old]);
      if (tracing) { uint64_t t0 = now(CLOCK_MONOTONIC); size_t off = rec_start(C_DUP, old, k); if (off) { ((struct rec *)rbuf)->a[0] = nw; off = rec_path(off, old, NULL); rec_finish(off, nw, 0, t0); } }
    }
  }
  errno = err;
  return nw;
}
int dup(int old) { REAL(int, dup, int); int r = real_dup(old); return dup_common(old, r, errno); }
int dup2(int old, int nw) { REAL(int, dup2, int, int); int r = real_dup2(old, nw); return dup_common(old, r, errno); }
int dup3(int old, int nw, int fl) { REAL(int, dup3, int, int, int); int r = real_dup3(old, nw, fl); return dup_common(old, r, errno); }
int fcntl(int fd, int cmd, ...) {
  REAL(int, fcntl, int, int, ...);
  va_list ap; va_start(ap, cmd); void *arg = va_arg(ap, void *); va_end(ap);
  int r = real_fcntl(fd, cmd, arg);
  if ((cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC) && r >= 0) return dup_common(fd, r, errno);
  return r;
}
int fcntl64(int fd, int cmd, ...) {
  REAL(int, fcntl64, int, int, ...);
  va_list ap; va_start(ap, cmd); void *arg = va_arg(ap, void *); va_end(ap);
  int r = real_fcntl64(fd, cmd, arg);
  if ((cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC) && r >= 0) return dup_common(fd, r, errno);
  return r;
}

/* ---------------------------------------------------------------- ioctl */
static uint32_t arg_size(int kind, unsigned long req) {
  if ((kind & F_KIND) == K_UVM) {
    for (size_t i = 0; i < sizeof ARGSZ / sizeof ARGSZ[0]; i++) if (ARGSZ[i].kind == K_UVM && ARGSZ[i].req == (uint32_t)req) return ARGSZ[i].size;
    return 0;
  }
  return _IOC_DIR(req) ? _IOC_SIZE(req) : 0;
}
static uint64_t rd_uint(const char *base, uint32_t len, uint32_t off, uint32_t w) {
  uint64_t v = 0; if (off + w <= len) memcpy(&v, base + off, w); return v;
}
static uint32_t sel_size(const struct nest *n, uint64_t sel) {
  const struct selsz *t = n->sel == SEL_CLASS ? NVCLS : n->sel == SEL_CONTROL ? NVCTL : NULL;
  size_t cnt = n->sel == SEL_CLASS ? sizeof NVCLS / sizeof NVCLS[0] : n->sel == SEL_CONTROL ? sizeof NVCTL / sizeof NVCTL[0] : 0;
  for (size_t i = 0; t && i < cnt; i++) if (t[i].id == (uint32_t)sel) return t[i].size;
  return 0;
}
/* nested blocks: (table index, address, size) found in the argument bytes */
struct nref { int idx; uint64_t addr; uint32_t size; };
static int find_nested(int kind, int drv, unsigned long req, const char *arg, uint32_t len, struct nref *out, int max) {
  int n = 0;
  for (int i = 0; i < (int)(sizeof NEST / sizeof NEST[0]) && n < max; i++) {
    const struct nest *e = &NEST[i];
    if (e->kind != (kind & F_KIND) || e->req != (uint32_t)req || (e->driver && e->driver != drv)) continue;
    uint64_t p = rd_uint(arg, len, e->ptr_off, 8);
    if (!p) continue;
    uint64_t sz = e->cnt_w ? rd_uint(arg, len, e->cnt_off, e->cnt_w) * e->elem : e->elem;
    if (!sz && e->sel) sz = sel_size(e, rd_uint(arg, len, e->sel_off, 4));
    if (!sz) continue;
    if (sz > NEST_MAX) sz = NEST_MAX;
    out[n++] = (struct nref){ i, p, (uint32_t)sz };
  }
  return n;
}
int ioctl(int fd, unsigned long req, ...) {
  REAL(int, ioctl, int, unsigned long, ...);
  va_list ap; va_start(ap, req); void *arg = va_arg(ap, void *); va_end(ap);
  int k = in_host ? 0 : fd_kind(fd);
  if (!k) return real_ioctl(fd, req, arg);
  uint64_t t0 = now(CLOCK_MONOTONIC);
  size_t off = 0, arg_off = 0; uint32_t sz = 0, got = 0, ngot[8]; struct nref nest[8]; int nn = 0;
  if (tracing && (off = rec_start(C_IOCTL, fd, k))) {
    struct rec *r = (struct rec *)rbuf; r->a[0] = req; r->a[1] = (uint64_t)(uintptr_t)arg;
    off = rec_path(off, fd, NULL);
    sz = arg_size(k, req);
    arg_off = off;
    off = rb_blob_user(off, B_BEFORE, 0, (uint64_t)(uintptr_t)arg, sz, 0);
    struct blob *b = (struct blob *)(rbuf + arg_off);
    got = b->len;
    nn = find_nested(k, fddrv[fd], req, (const char *)(b + 1), b->len, nest, 8);
    for (int i = 0; i < nn; i++) {
      size_t at = off;
      off = rb_blob_user(off, B_NEST_BEFORE, nest[i].idx, nest[i].addr, nest[i].size, 0);
      ngot[i] = ((struct blob *)(rbuf + at))->len;
    }
  }
  int ret, err;
  if (k & F_SIM) { int64_t v = hcall("ioctl", "iKK", fd, (unsigned long long)req, (unsigned long long)(uintptr_t)arg); ret = v < 0 ? -1 : (int)v; err = v < 0 ? (int)-v : 0; }
  else { ret = real_ioctl(fd, req, arg); err = errno; }
  if (off) {
    off = rb_blob_user(off, B_AFTER, 0, (uint64_t)(uintptr_t)arg, sz, got == sz);
    for (int i = 0; i < nn; i++) off = rb_blob_user(off, B_NEST_AFTER, nest[i].idx, nest[i].addr, nest[i].size, ngot[i] == nest[i].size);
    rec_finish(off, ret, err, t0);
  }
  errno = err;
  return ret;
}

/* ---------------------------------------------------------------- mmap / munmap */
static void map_add(uint64_t a, uint64_t len, int fd, int k) {
  pthread_mutex_lock(&lock);
  if (nmaps < (int)(sizeof maps / sizeof maps[0])) { struct mapping *m = &maps[nmaps++]; m->addr = a; m->len = len; m->fd = fd; m->kind = (unsigned char)k; snprintf(m->path, PATHLEN, "%s", fdpath[fd]); }
  pthread_mutex_unlock(&lock);
}
static void *dev_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t o, int k, void *(*real)(void *, size_t, int, int, int, off_t)) {
  uint64_t t0 = now(CLOCK_MONOTONIC);
  size_t off = tracing ? rec_start(C_MMAP, fd, k) : 0;
  void *p; int err;
  if (k & F_SIM) {
    int64_t v = hcall("mmap", "KKiiiK", (unsigned long long)(uintptr_t)addr, (unsigned long long)len, prot, flags, fd, (unsigned long long)o);
    p = v < 0 && v > -4096 ? MAP_FAILED : (void *)(uintptr_t)v; err = v < 0 && v > -4096 ? (int)-v : 0;
  } else { p = real(addr, len, prot, flags, fd, o); err = errno; }
  if (p != MAP_FAILED) map_add((uint64_t)(uintptr_t)p, len, fd, k);
  if (off) {
    struct rec *r = (struct rec *)rbuf; r->a[0] = (uint64_t)(uintptr_t)addr; r->a[1] = len; r->a[2] = ((uint64_t)(uint32_t)prot << 32) | (uint32_t)flags; r->a[3] = (uint64_t)o;
    off = rec_path(off, fd, NULL);
    rec_finish(off, p == MAP_FAILED ? -1 : (int64_t)(uintptr_t)p, err, t0);
  }
  errno = err;
  return p;
}
void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t o) {
  REAL(void *, mmap, void *, size_t, int, int, int, off_t);
  int k = (in_host || (flags & MAP_ANONYMOUS)) ? 0 : fd_kind(fd);
  if (!k) return real_mmap(addr, len, prot, flags, fd, o);
  return dev_mmap(addr, len, prot, flags, fd, o, k, real_mmap);
}
void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t o) {
  REAL(void *, mmap64, void *, size_t, int, int, int, off_t);
  int k = (in_host || (flags & MAP_ANONYMOUS)) ? 0 : fd_kind(fd);
  if (!k) return real_mmap64(addr, len, prot, flags, fd, o);
  return dev_mmap(addr, len, prot, flags, fd, o, k, real_mmap64);
}
int munmap(void *addr, size_t len) {
  REAL(int, munmap, void *, size_t);
  if (in_host || !__atomic_load_n(&nmaps, __ATOMIC_RELAXED)) return real_munmap(addr, len);
  uint64_t a = (uint64_t)(uintptr_t)addr, e = a + len;
  struct mapping hit = { 0 }; int found = 0;
  pthread_mutex_lock(&lock);
  for (int i = 0; i < nmaps; i++) {
    struct mapping *m = &maps[i];
    if (m->addr < e && a < m->addr + m->len) {
      if (!found) { hit = *m; found = 1; }
      if (a <= m->addr && m->addr + m->len <= e) { maps[i--] = maps[--nmaps]; }   /* fully unmapped: forget it */
    }
  }
  pthread_mutex_unlock(&lock);
  if (!found) return real_munmap(addr, len);
  uint64_t t0 = now(CLOCK_MONOTONIC);
  size_t off = tracing ? rec_start(C_MUNMAP, hit.fd, hit.kind) : 0;
  int r, err;
  if (hit.kind & F_SIM) { int64_t v = hcall("munmap", "KK", (unsigned long long)a, (unsigned long long)len); r = v < 0 ? -1 : 0; err = v < 0 ? (int)-v : 0; }
  else { r = real_munmap(addr, len); err = errno; }
  if (off) {
    struct rec *rr = (struct rec *)rbuf; rr->a[0] = a; rr->a[1] = len; rr->a[2] = hit.addr;
    off = rb_blob(off, NULL, B_PATH, 0, 0, hit.path, strnlen(hit.path, PATHLEN - 1));
    rec_finish(off, r, err, t0);
  }
  errno = err;
  return r;
}

/* ---------------------------------------------------------------- sim: path functions (stat, access, opendir, readlink, ...) */
#define PATHFN(ret, name, params, callargs, pathvar) \
  ret name params { REAL(ret, name, PATHFN_TYPES_##name); INIT(); char sb[640]; pathvar = shadow(pathvar, sb, sizeof sb); return real_##name callargs; }
#define PATHFN_TYPES_access const char *, int
#define PATHFN_TYPES_euidaccess const char *, int
#define PATHFN_TYPES_eaccess const char *, int
#define PATHFN_TYPES_faccessat int, const char *, int, int
#define PATHFN_TYPES_opendir const char *
#define PATHFN_TYPES_readlink const char *, char *, size_t
#define PATHFN_TYPES_readlinkat int, const char *, char *, size_t
#define PATHFN_TYPES_realpath const char *, char *
#define PATHFN_TYPES_scandir const char *, struct dirent ***, int (*)(const struct dirent *), int (*)(const struct dirent **, const struct dirent **)
#define PATHFN_TYPES_scandir64 const char *, struct dirent64 ***, int (*)(const struct dirent64 *), int (*)(const struct dirent64 **, const struct dirent64 **)
#define PATHFN_TYPES_getxattr const char *, const char *, void *, size_t
#define PATHFN_TYPES_lgetxattr const char *, const char *, void *, size_t
#define PATHFN_TYPES_listxattr const char *, char *, size_t
#define PATHFN_TYPES_llistxattr const char *, char *, size_t
PATHFN(ssize_t, getxattr, (const char *p, const char *n, void *v, size_t s), (p, n, v, s), p)
PATHFN(ssize_t, lgetxattr, (const char *p, const char *n, void *v, size_t s), (p, n, v, s), p)
PATHFN(ssize_t, listxattr, (const char *p, char *l, size_t s), (p, l, s), p)
PATHFN(ssize_t, llistxattr, (const char *p, char *l, size_t s), (p, l, s), p)
PATHFN(int, access, (const char *p, int m), (p, m), p)
PATHFN(int, euidaccess, (const char *p, int m), (p, m), p)
PATHFN(int, eaccess, (const char *p, int m), (p, m), p)
PATHFN(int, faccessat, (int d, const char *p, int m, int f), (d, p, m, f), p)
PATHFN(DIR *, opendir, (const char *p), (p), p)
PATHFN(ssize_t, readlink, (const char *p, char *b, size_t n), (p, b, n), p)
PATHFN(ssize_t, readlinkat, (int d, const char *p, char *b, size_t n), (d, p, b, n), p)
PATHFN(int, scandir, (const char *p, struct dirent ***l, int (*f)(const struct dirent *), int (*c)(const struct dirent **, const struct dirent **)), (p, l, f, c), p)
PATHFN(int, scandir64, (const char *p, struct dirent64 ***l, int (*f)(const struct dirent64 *), int (*c)(const struct dirent64 **, const struct dirent64 **)), (p, l, f, c), p)
/* realpath of a shadowed path answers in the program's namespace (the shadow root stripped) */
char *realpath(const char *p, char *out) {
  REAL(char *, realpath, const char *, char *); INIT();
  char sb[640]; const char *q = shadow(p, sb, sizeof sb);
  char *r = real_realpath(q, out);
  if (r && q != p) { size_t l = strlen(sim_root); if (!strncmp(r, sim_root, l)) memmove(r, r + l, strlen(r + l) + 1); }
  return r;
}
#define STATFN(name, st_t, params, callargs, pathvar) \
  int name params { REAL(int, name, STATFN_TYPES_##name); INIT(); char sb[640]; const char *o = pathvar; pathvar = shadow(pathvar, sb, sizeof sb); \
    int r = real_##name callargs; if (!r && o != pathvar && dev_kind(o)) devnode_stat(o, (struct stat *)st); return r; }
#define STATFN_TYPES_stat const char *, struct stat *
#define STATFN_TYPES_lstat const char *, struct stat *
#define STATFN_TYPES_stat64 const char *, struct stat64 *
#define STATFN_TYPES_lstat64 const char *, struct stat64 *
#define STATFN_TYPES_fstatat int, const char *, struct stat *, int
#define STATFN_TYPES_fstatat64 int, const char *, struct stat64 *, int
#define STATFN_TYPES___xstat int, const char *, struct stat *
#define STATFN_TYPES___lxstat int, const char *, struct stat *
#define STATFN_TYPES___xstat64 int, const char *, struct stat64 *
#define STATFN_TYPES___lxstat64 int, const char *, struct stat64 *
STATFN(stat, struct stat, (const char *p, struct stat *st), (p, st), p)
STATFN(lstat, struct stat, (const char *p, struct stat *st), (p, st), p)
STATFN(stat64, struct stat64, (const char *p, struct stat64 *st), (p, st), p)
STATFN(lstat64, struct stat64, (const char *p, struct stat64 *st), (p, st), p)
STATFN(fstatat, struct stat, (int d, const char *p, struct stat *st, int f), (d, p, st, f), p)
STATFN(fstatat64, struct stat64, (int d, const char *p, struct stat64 *st, int f), (d, p, st, f), p)
STATFN(__xstat, struct stat, (int v, const char *p, struct stat *st), (v, p, st), p)
STATFN(__lxstat, struct stat, (int v, const char *p, struct stat *st), (v, p, st), p)
STATFN(__xstat64, struct stat64, (int v, const char *p, struct stat64 *st), (v, p, st), p)
STATFN(__lxstat64, struct stat64, (int v, const char *p, struct stat64 *st), (v, p, st), p)
int statx(int d, const char *p, int f, unsigned int mask, struct statx *st) {
  REAL(int, statx, int, const char *, int, unsigned int, struct statx *); INIT();
  char sb[640]; const char *q = shadow(p, sb, sizeof sb);
  int r = real_statx(d, q, f, mask, st);
  if (!r && q != p && dev_kind(p)) { struct stat s; devnode_stat(p, &s); st->stx_mode = S_IFCHR | 0666; st->stx_rdev_major = major(s.st_rdev); st->stx_rdev_minor = minor(s.st_rdev); }
  return r;
}
/* fstat of a simulated device fd: the node's character-device identity, not /dev/null's */
#define FSTATFN(name, params, callargs, fdvar, stvar) \
  int name params { REAL(int, name, FSTATFN_TYPES_##name); int r = real_##name callargs; \
    int k = in_host ? 0 : fd_kind(fdvar); if (!r && (k & F_SIM)) devnode_stat(fdpath[fdvar], (struct stat *)stvar); return r; }
#define FSTATFN_TYPES_fstat int, struct stat *
#define FSTATFN_TYPES_fstat64 int, struct stat64 *
#define FSTATFN_TYPES___fxstat int, int, struct stat *
#define FSTATFN_TYPES___fxstat64 int, int, struct stat64 *
FSTATFN(fstat, (int fd, struct stat *st), (fd, st), fd, st)
FSTATFN(fstat64, (int fd, struct stat64 *st), (fd, st), fd, st)
FSTATFN(__fxstat, (int v, int fd, struct stat *st), (v, fd, st), fd, st)
FSTATFN(__fxstat64, (int v, int fd, struct stat64 *st), (v, fd, st), fd, st)

/* ---------------------------------------------------------------- dlsym
 * A symbol looked up by handle, dlsym(<libc's handle>, "mmap"), is searched in that object's own scope and never finds an
 * LD_PRELOAD interposer (dlsym(3): "the search is performed in the object and its dependencies"). ctypes does exactly
 * that for ctypes.CDLL("libc.so.6").mmap, which is how tinygrad's runtime/autogen/libc.py maps RM memory: without this,
 * its mmap of /dev/nvidia0 reaches the host kernel on a /dev/null fd. For the calls this shim serves, hand back the
 * global-scope definition (ours, since a preload comes first); every other name goes to the real dlsym unchanged. */
static const char *const routed_names[] = {"open", "open64", "openat", "openat64", "close", "dup", "dup2", "dup3", "fcntl",
                                           "fcntl64", "ioctl", "mmap", "mmap64", "munmap", NULL};
void *dlsym(void *restrict h, const char *restrict name) {
  static void *(*real_dlsym)(void *, const char *);
  if (!real_dlsym) real_dlsym = (void *(*)(void *, const char *))dlvsym(RTLD_NEXT, "dlsym", "GLIBC_2.34");
  if (!real_dlsym) real_dlsym = (void *(*)(void *, const char *))dlvsym(RTLD_NEXT, "dlsym", "GLIBC_2.2.5");
  if (h != RTLD_NEXT && h != RTLD_DEFAULT && name)
    for (const char *const *n = routed_names; *n; n++)
      if (!strcmp(*n, name)) return real_dlsym(RTLD_DEFAULT, name);
  return real_dlsym(h, name);
}
