#include "ts_file.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *kind_of(mode_t m) {
  if (S_ISFIFO(m)) return "a FIFO (named pipe)";
  if (S_ISDIR(m)) return "a directory";
  if (S_ISCHR(m)) return "a character device";
  if (S_ISBLK(m)) return "a block device";
  if (S_ISSOCK(m)) return "a socket";
  return "not a regular file";
}

ts_status ts_file_open_fd(const char *path, const char *what, int *fd,
                          ts_error *err) {
  *fd = -1;
  if (!what) what = "file";
  if (!path || !*path) return ts_fail(err, TS_E_ARG, "%s: empty path", what);
  /* O_NONBLOCK: opening a FIFO for reading returns at once */
  const int f = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (f < 0)
    return ts_fail(err, TS_E_IO, "cannot open %s '%s': %s", what, path,
                   strerror(errno));
  struct stat st;
  if (fstat(f, &st) != 0) {
    const int e = errno;
    close(f);
    return ts_fail(err, TS_E_IO, "cannot stat %s '%s': %s", what, path,
                   strerror(e));
  }
  if (!S_ISREG(st.st_mode)) {
    close(f);
    return ts_fail(err, TS_E_IO, "%s '%s' is %s; a regular file is needed",
                   what, path, kind_of(st.st_mode));
  }
  const int flags = fcntl(f, F_GETFL);
  if (flags < 0 || fcntl(f, F_SETFL, flags & ~O_NONBLOCK) != 0) {
    const int e = errno;
    close(f);
    return ts_fail(err, TS_E_IO, "%s '%s': fcntl: %s", what, path, strerror(e));
  }
  *fd = f;
  return TS_OK;
}

ts_status ts_file_open(const char *path, const char *what, FILE **out,
                       ts_error *err) {
  *out = NULL;
  int fd;
  ts_status s = ts_file_open_fd(path, what, &fd, err);
  if (s) return s;
  FILE *fp = fdopen(fd, "rb");
  if (!fp) {
    const int e = errno;
    close(fd);
    return ts_fail(err, TS_E_NOMEM, "%s '%s': fdopen: %s", what ? what : "file",
                   path, strerror(e));
  }
  *out = fp;
  return TS_OK;
}
