#include "ts_atomic.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

ts_status ts_atomic_write(const char *path, ts_write_fn write, void *user,
                          ts_error *err) {
  if (!path || !*path) return ts_fail(err, TS_E_ARG, "empty output path");
  const size_t len = strlen(path) + 32;
  char *tmp = malloc(len);
  if (!tmp) return ts_fail(err, TS_E_NOMEM, "out of memory");
  snprintf(tmp, len, "%s.tmp.%ld", path, (long)getpid());
  FILE *fp = fopen(tmp, "wb");
  if (!fp) {
    ts_status s = ts_fail(err, TS_E_IO, "cannot create '%s': %s", tmp,
                          strerror(errno));
    free(tmp);
    return s;
  }
  ts_status s = write(fp, user, err);
  if (!s && (ferror(fp) || fflush(fp) != 0 || fsync(fileno(fp)) != 0))
    s = ts_fail(err, TS_E_IO, "cannot write '%s': %s", tmp, strerror(errno));
  if (fclose(fp) != 0 && !s)
    s = ts_fail(err, TS_E_IO, "cannot close '%s': %s", tmp, strerror(errno));
  if (!s && rename(tmp, path) != 0)
    s = ts_fail(err, TS_E_IO, "cannot rename '%s' to '%s': %s", tmp, path,
                strerror(errno));
  if (s) remove(tmp);
  else sync_parent_dir(path);
  free(tmp);
  return s;
}
