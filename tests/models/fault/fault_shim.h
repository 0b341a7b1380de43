// Fault injection for the fault_tests binary. fault.mk copies the library
// archive with every allocator, stdio and file call it makes renamed to
// __wrap_<fn> (objcopy --redefine-sym), and fault_shim.cc's __wrap_
// functions pass each call on to the real one unless a test armed a fault:
// then the k-th call of the armed kind fails the way the real function
// reports a failure (NULL / -1 / EOF with errno, the stream's error flag
// set), once. Only Tessera's own calls are counted: libc, zlib, cJSON,
// BLIS, libxsmm and the test code call the real functions (cJSON's
// allocations come through its hooks, set here). All state is in the
// test binary; the library knows nothing of it.
#ifndef TESSERA_TESTS_FAULT_SHIM_H
#define TESSERA_TESTS_FAULT_SHIM_H

#include <cstddef>
#include <cstdio>

namespace fault {

enum Kind {
  kAlloc, // malloc calloc realloc strdup aligned_alloc fdopen gzdopen, cJSON's
  kIo     // open fopen stat fstat fcntl fread fgets fwrite fputs fputc
          // fprintf fflush fsync fclose rename gzread
};

// What happened in an armed window.
struct Shot {
  bool fired;     // the k-th call happened and was made to fail
  const char *fn; // the function that failed ("malloc", "fsync"), or ""
  long calls;     // calls of the armed kind seen in the window
};

// The k-th (1-based) call of kind from now fails; the others pass.
void Arm(Kind kind, long k);
// Ends the window; no call fails after it.
Shot Disarm();

const char *KindName(Kind kind);

} // namespace fault

// For test code that writes the way the library does (a ts_write_fn):
// these count and fail like the library's calls.
extern "C" {
int __wrap_fprintf(FILE *f, const char *fmt, ...);
int __wrap_fputs(const char *s, FILE *f);
int __wrap_fputc(int c, FILE *f);
size_t __wrap_fwrite(const void *p, size_t s, size_t n, FILE *f);
}

#endif // TESSERA_TESTS_FAULT_SHIM_H
