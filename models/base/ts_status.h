/* Status codes and error detail shared by every Tessera library call.
 *
 * Library functions never print or exit: they return a ts_status and, when
 * the caller passes a ts_error, a one-line message naming what was wrong
 * (the file, the field, the value). Only main() prints and exits. */
#ifndef TS_STATUS_H
#define TS_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ts_status {
  TS_OK = 0,
  TS_E_ARG,       /* an argument is out of range or inconsistent */
  TS_E_IO,        /* a file could not be opened, read or written */
  TS_E_FORMAT,    /* a file's contents are malformed or truncated */
  TS_E_SHAPE,     /* tensor shapes disagree with the architecture */
  TS_E_NOMEM,     /* an allocation failed */
  TS_E_NONFINITE, /* a NaN or Inf where finite numbers are required */
  TS_E_HW,        /* the hardware simulation reported a fault */
  TS_E_MISMATCH   /* two results that must be equal are not */
} ts_status;

/* Short fixed name of a status ("invalid argument", ...). Never NULL. */
const char *ts_status_str(ts_status s);

/* Detail of the last failure of a call; callers may pass NULL. */
typedef struct ts_error {
  ts_status status;
  char msg[512];
} ts_error;

/* Records s and a printf-style message in err (if non-NULL); returns s so
 * that callers can write `return ts_fail(err, TS_E_IO, "...", ...)`. */
ts_status ts_fail(ts_error *err, ts_status s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#ifdef __cplusplus
}
#endif
#endif /* TS_STATUS_H */
