/* Atomic file output: whatever a writer produces appears at `path` whole or
 * not at all. The data goes to "<path>.tmp.<pid>", is flushed and fsync'd,
 * then renamed over path; on any failure the temp file is removed and an
 * existing file at path is left untouched. */
#ifndef TS_ATOMIC_H
#define TS_ATOMIC_H

#include <stdio.h>

#include "ts_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Writes the content to fp; returns TS_OK or a status with err filled. */
typedef ts_status (*ts_write_fn)(FILE *fp, void *user, ts_error *err);

ts_status ts_atomic_write(const char *path, ts_write_fn write, void *user,
                          ts_error *err);

#ifdef __cplusplus
}
#endif
#endif /* TS_ATOMIC_H */
