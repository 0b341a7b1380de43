/* Opening a user-given file for reading without blocking on it.
 *
 * fopen() on a FIFO waits until something writes to it, forever when
 * nothing does (`mkfifo m.safetensors; tessera eval --model m.safetensors`).
 * These open with O_NONBLOCK, check with fstat that the path is a regular
 * file and only then clear O_NONBLOCK: a FIFO, a directory or a device is an
 * error naming the path and what it is. */
#ifndef TS_FILE_H
#define TS_FILE_H

#include <stdio.h>

#include "ts_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A readable descriptor of the regular file at path, in *fd (O_CLOEXEC).
 * `what` names the file's role in messages ("model", "data file"). */
ts_status ts_file_open_fd(const char *path, const char *what, int *fd,
                          ts_error *err);

/* The same as a stdio stream opened "rb", in *out. */
ts_status ts_file_open(const char *path, const char *what, FILE **out,
                       ts_error *err);

#ifdef __cplusplus
}
#endif
#endif /* TS_FILE_H */
