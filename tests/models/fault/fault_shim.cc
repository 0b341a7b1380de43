// The __wrap_ functions of the fault_tests link (see fault_shim.h).
#include "fault_shim.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <atomic>

namespace fault {
namespace {

std::atomic<int> g_kind{-1}; // armed kind, -1 = none
std::atomic<long> g_calls{0};
std::atomic<long> g_target{0};
std::atomic<bool> g_fired{false};
std::atomic<const char *> g_fn{""};

// True when this call (of kind, named fn) is the one to fail.
bool Inject(Kind kind, const char *fn) {
  if (g_kind.load() != kind) return false;
  if (++g_calls != g_target.load()) return false;
  g_fired = true;
  g_fn = fn;
  return true;
}

// A failed stdio call sets the stream's error indicator, as glibc does.
void StreamError(FILE *f, int e) {
  f->_flags |= _IO_ERR_SEEN;
  errno = e;
}

} // namespace

void Arm(Kind kind, long k) {
  g_kind = -1;
  g_calls = 0;
  g_target = k;
  g_fired = false;
  g_fn = "";
  g_kind = kind;
}

Shot Disarm() {
  g_kind = -1;
  return Shot{g_fired.load(), g_fn.load(), g_calls.load()};
}

const char *KindName(Kind kind) {
  return kind == kAlloc ? "allocation" : "file operation";
}

} // namespace fault

using fault::Inject;
using fault::kAlloc;
using fault::kIo;
using fault::StreamError;

extern "C" {
void *__wrap_malloc(size_t n) {
  if (Inject(kAlloc, "malloc")) return errno = ENOMEM, nullptr;
  return malloc(n);
}
void *__wrap_calloc(size_t n, size_t s) {
  if (Inject(kAlloc, "calloc")) return errno = ENOMEM, nullptr;
  return calloc(n, s);
}
void *__wrap_realloc(void *p, size_t n) {
  if (Inject(kAlloc, "realloc")) return errno = ENOMEM, nullptr;
  return realloc(p, n);
}
char *__wrap_strdup(const char *s) {
  if (Inject(kAlloc, "strdup")) return errno = ENOMEM, nullptr;
  return strdup(s);
}
void *__wrap_aligned_alloc(size_t a, size_t n) {
  if (Inject(kAlloc, "aligned_alloc")) return errno = ENOMEM, nullptr;
  return aligned_alloc(a, n);
}
FILE *__wrap_fdopen(int fd, const char *mode) {
  if (Inject(kAlloc, "fdopen")) return errno = ENOMEM, nullptr;
  return fdopen(fd, mode);
}
gzFile __wrap_gzdopen(int fd, const char *mode) {
  if (Inject(kAlloc, "gzdopen")) return errno = ENOMEM, nullptr;
  return gzdopen(fd, mode);
}

int __wrap_open(const char *path, int flags, ...) {
  mode_t mode = 0;
  if (flags & (O_CREAT | O_TMPFILE)) {
    va_list ap;
    va_start(ap, flags);
    mode = (mode_t)va_arg(ap, int);
    va_end(ap);
  }
  if (Inject(kIo, "open")) return errno = EIO, -1;
  return open(path, flags, mode);
}
FILE *__wrap_fopen(const char *path, const char *mode) {
  if (Inject(kIo, "fopen")) return errno = EIO, nullptr;
  return fopen(path, mode);
}
int __wrap_stat(const char *path, struct stat *st) {
  if (Inject(kIo, "stat")) return errno = EIO, -1;
  return stat(path, st);
}
int __wrap_fstat(int fd, struct stat *st) {
  if (Inject(kIo, "fstat")) return errno = EIO, -1;
  return fstat(fd, st);
}
// The library calls fcntl with F_GETFL (no argument) and F_SETFL (an int).
int __wrap_fcntl(int fd, int cmd, ...) {
  long arg = 0;
  if (cmd != F_GETFL && cmd != F_GETFD) {
    va_list ap;
    va_start(ap, cmd);
    arg = va_arg(ap, long);
    va_end(ap);
  }
  if (Inject(kIo, "fcntl")) return errno = EIO, -1;
  return fcntl(fd, cmd, arg);
}
size_t __wrap_fread(void *p, size_t s, size_t n, FILE *f) {
  if (Inject(kIo, "fread")) return StreamError(f, EIO), 0;
  return fread(p, s, n, f);
}
char *__wrap_fgets(char *s, int n, FILE *f) {
  if (Inject(kIo, "fgets")) return StreamError(f, EIO), nullptr;
  return fgets(s, n, f);
}
size_t __wrap_fwrite(const void *p, size_t s, size_t n, FILE *f) {
  if (Inject(kIo, "fwrite")) return StreamError(f, ENOSPC), 0;
  return fwrite(p, s, n, f);
}
int __wrap_fputs(const char *s, FILE *f) {
  if (Inject(kIo, "fputs")) return StreamError(f, ENOSPC), EOF;
  return fputs(s, f);
}
int __wrap_fputc(int c, FILE *f) {
  if (Inject(kIo, "fputc")) return StreamError(f, ENOSPC), EOF;
  return fputc(c, f);
}
int __wrap_fprintf(FILE *f, const char *fmt, ...) {
  if (Inject(kIo, "fprintf")) return StreamError(f, ENOSPC), -1;
  va_list ap;
  va_start(ap, fmt);
  const int r = vfprintf(f, fmt, ap);
  va_end(ap);
  return r;
}
// A failed flush keeps the data buffered and sets the error flag.
int __wrap_fflush(FILE *f) {
  if (f && Inject(kIo, "fflush")) return StreamError(f, ENOSPC), EOF;
  return fflush(f);
}
int __wrap_fsync(int fd) {
  if (Inject(kIo, "fsync")) return errno = EIO, -1;
  return fsync(fd);
}
// fclose releases the stream even when it fails.
int __wrap_fclose(FILE *f) {
  const bool fail = Inject(kIo, "fclose");
  const int r = fclose(f);
  if (fail) return errno = EIO, EOF;
  return r;
}
int __wrap_rename(const char *a, const char *b) {
  if (Inject(kIo, "rename")) return errno = EIO, -1;
  return rename(a, b);
}

// A failed gzread: -1, and gzerror says Z_ERRNO (a read error) for that
// stream until it is closed, as zlib does.
static std::atomic<gzFile> g_gz_failed{nullptr};
int __wrap_gzread(gzFile g, voidp buf, unsigned len) {
  if (Inject(kIo, "gzread")) {
    g_gz_failed = g;
    return errno = EIO, -1;
  }
  return gzread(g, buf, len);
}
const char *__wrap_gzerror(gzFile g, int *errnum) {
  if (g && g == g_gz_failed.load()) {
    if (errnum) *errnum = Z_ERRNO;
    errno = EIO;
    return "Input/output error";
  }
  return gzerror(g, errnum);
}
int __wrap_gzclose_r(gzFile g) {
  if (g == g_gz_failed.load()) g_gz_failed = nullptr;
  return gzclose_r(g);
}
} // extern "C"

namespace {
// cJSON is a shared library, out of --wrap's reach: its allocations go
// through these hooks (cJSON's own, set once for the whole binary).
void *CjsonMalloc(size_t n) {
  if (Inject(kAlloc, "cJSON malloc")) return nullptr;
  return malloc(n);
}
void CjsonFree(void *p) { free(p); }
const bool g_hooks = [] {
  cJSON_Hooks h = {CjsonMalloc, CjsonFree};
  cJSON_InitHooks(&h);
  return true;
}();
} // namespace
