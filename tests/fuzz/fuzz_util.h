/* Shared by the fuzz targets (tests/fuzz/fuzz_*.c).
 *
 * The parsers under test read paths, not buffers, so every input is first
 * written to a file in a folder private to this process (on /dev/shm when
 * it exists: tmpfs keeps the round trip cheap), removed at exit. The same
 * target sources are built twice: with clang and libFuzzer for `make fuzz`,
 * and with gcc and the sanitizers into the replay test of `make test`
 * (there LLVMFuzzerTestOneInput is renamed to fuzz_<target>_one). */
#ifndef TS_FUZZ_UTIL_H
#define TS_FUZZ_UTIL_H

#include <dirent.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ts_status.h"

static char fuzz_dir_path[PATH_MAX];

static inline void fuzz_dir_remove(void) {
  DIR *d = opendir(fuzz_dir_path);
  if (!d) return;
  struct dirent *e;
  while ((e = readdir(d)) != NULL)
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
      unlinkat(dirfd(d), e->d_name, 0);
  closedir(d);
  rmdir(fuzz_dir_path);
}

/* The scratch folder, made on first use; NULL if it cannot be made. */
static inline const char *fuzz_dir(void) {
  if (fuzz_dir_path[0]) return fuzz_dir_path;
  const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");
  /* mkdtemp: one folder per target even when several share a process
   * (the replay test links all of them) */
  snprintf(fuzz_dir_path, sizeof fuzz_dir_path, "%s/tessera-fuzz-XXXXXX",
           base ? base : "/tmp");
  if (!mkdtemp(fuzz_dir_path)) {
    fuzz_dir_path[0] = '\0';
    return NULL;
  }
  atexit(fuzz_dir_remove);
  return fuzz_dir_path;
}

/* Writes data[n] to <scratch>/name and its path to path[cap]; 0 on success. */
static inline int fuzz_write(char *path, size_t cap, const char *name,
                      const uint8_t *data, size_t n) {
  const char *dir = fuzz_dir();
  if (!dir) return -1;
  if ((size_t)snprintf(path, cap, "%s/%s", dir, name) >= cap) return -1;
  FILE *f = fopen(path, "wb");
  if (!f) return -1;
  const int ok = fwrite(data, 1, n, f) == n;
  return fclose(f) == 0 && ok ? 0 : -1;
}

/* Removes <scratch>/name (a file an earlier input left that must not be
 * found by this one). */
static inline void fuzz_unlink(const char *name) {
  char path[PATH_MAX];
  const char *dir = fuzz_dir();
  if (dir && (size_t)snprintf(path, sizeof path, "%s/%s", dir, name) < sizeof path)
    unlink(path);
}

/* Every failure must come with a message (the library's contract): an
 * empty one is a bug, reported as a crash so that the fuzzer keeps it.
 * TS_FUZZ_VERBOSE=1 prints each verdict. */
static inline void fuzz_check_error(ts_status s, const ts_error *e) {
  if (getenv("TS_FUZZ_VERBOSE")) /* to see how far a seed gets */
    fprintf(stderr, "  -> %s\n", s == TS_OK ? "accepted" : e->msg);
  if (s != TS_OK && (e->status != s || e->msg[0] == '\0')) {
    fprintf(stderr, "status %d (%s) with error record %d \"%s\"\n", (int)s,
            ts_status_str(s), (int)e->status, e->msg);
    abort();
  }
}

#endif /* TS_FUZZ_UTIL_H */
