/* Atomic file output: whatever a writer produces appears at `path` whole or
 * not at all. The data goes to "<path>.tmp.<pid>", is flushed and fsync'd,
 * then renamed over path; on any failure the temp file is removed and an
 * existing file at path is left untouched.
 *
 * A process killed mid-write (kill -9, power loss) cannot remove its temp
 * file, so every write first removes the temp files of `path` whose
 * process no longer exists: leftovers never accumulate. */
#ifndef TS_ATOMIC_H
#define TS_ATOMIC_H

#include <stddef.h>
#include <stdio.h>

#include "ts_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Writes the content to fp; returns TS_OK or a status with err filled. */
typedef ts_status (*ts_write_fn)(FILE *fp, void *user, ts_error *err);

ts_status ts_atomic_write(const char *path, ts_write_fn write, void *user,
                          ts_error *err);

/* This process's temp name for path, "<path>.tmp.<pid>", into buf[cap];
 * 0 on success, -1 when it does not fit. */
int ts_atomic_tmp_name(const char *path, char *buf, size_t cap);

/* Removes "<path>.tmp.<pid>" files left by processes that are gone (the
 * pid is checked with kill(pid, 0)); a live writer's temp file, this
 * process's own and any other name are kept. Returns how many were
 * removed. Best effort: an unreadable folder removes nothing. */
int ts_atomic_clean_stale(const char *path);

#ifdef __cplusplus
}
#endif
#endif /* TS_ATOMIC_H */
