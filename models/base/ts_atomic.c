#include "ts_atomic.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TMP_TAG ".tmp."

/* Makes the rename itself durable; best effort (some filesystems refuse). */
static void sync_parent_dir(const char *path) {
  char *copy = strdup(path);
  if (!copy) return;
  int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    (void)fsync(fd);
    close(fd);
  }
  free(copy);
}

int ts_atomic_tmp_name(const char *path, char *buf, size_t cap) {
  const int n = snprintf(buf, cap, "%s" TMP_TAG "%ld", path, (long)getpid());
  return n < 0 || (size_t)n >= cap ? -1 : 0;
}

/* The pid in "<base>.tmp.<pid>", or 0 when name is not such a file. */
static long tmp_pid(const char *name, const char *base, size_t blen) {
  if (strncmp(name, base, blen) != 0 ||
      strncmp(name + blen, TMP_TAG, sizeof TMP_TAG - 1) != 0)
    return 0;
  const char *d = name + blen + sizeof TMP_TAG - 1;
  long pid = 0;
  for (; *d; d++) {
    if (*d < '0' || *d > '9' || pid > INT_MAX / 10) return 0;
    pid = 10 * pid + (*d - '0');
  }
  return pid;
}

int ts_atomic_clean_stale(const char *path) {
  if (!path || !*path) return 0;
  char *dcopy = strdup(path), *bcopy = strdup(path);
  DIR *d = dcopy && bcopy ? opendir(dirname(dcopy)) : NULL;
  int removed = 0;
  if (d) {
    const char *base = basename(bcopy);
    const size_t blen = strlen(base);
    const long self = (long)getpid();
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
      const long pid = tmp_pid(e->d_name, base, blen);
      /* ESRCH only: EPERM means the process exists (another user's) */
      if (pid <= 0 || pid == self || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
        continue;
      if (unlinkat(dirfd(d), e->d_name, 0) == 0) removed++;
    }
    closedir(d);
  }
  free(dcopy);
  free(bcopy);
  return removed;
}

ts_status ts_atomic_write(const char *path, ts_write_fn write, void *user,
                          ts_error *err) {
  if (!path || !*path) return ts_fail(err, TS_E_ARG, "empty output path");
  const size_t len = strlen(path) + 32;
  char *tmp = malloc(len);
  if (!tmp) return ts_fail(err, TS_E_NOMEM, "out of memory");
  (void)ts_atomic_tmp_name(path, tmp, len); /* fits: 32 > ".tmp." + a pid */
  ts_atomic_clean_stale(path);
  FILE *fp = fopen(tmp, "wb");
  if (!fp) {
    ts_status s = ts_fail(err, TS_E_IO, "cannot create '%s': %s", tmp,
                          strerror(errno));
    free(tmp);
    return s;
  }
  ts_status s = write(fp, user, err);
  if (!s && (ferror(fp) || fflush(fp) != 0 || fsync(fileno(fp)) != 0))
    s = ts_fail(err, TS_E_IO, "cannot write '%s' (its temp file '%s'): %s; "
                "the earlier file, if any, is kept", path, tmp, strerror(errno));
  if (fclose(fp) != 0 && !s)
    s = ts_fail(err, TS_E_IO, "cannot write '%s' (closing its temp file '%s'): "
                "%s; the earlier file, if any, is kept", path, tmp, strerror(errno));
  if (!s && rename(tmp, path) != 0)
    s = ts_fail(err, TS_E_IO, "cannot rename '%s' to '%s': %s", tmp, path,
                strerror(errno));
  if (s) remove(tmp);
  else sync_parent_dir(path);
  free(tmp);
  return s;
}
