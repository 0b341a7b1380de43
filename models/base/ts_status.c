#include "ts_status.h"

#include <stdarg.h>
#include <stdio.h>

const char *ts_status_str(ts_status s) {
  switch (s) {
    case TS_OK: return "ok";
    case TS_E_ARG: return "invalid argument";
    case TS_E_IO: return "i/o error";
    case TS_E_FORMAT: return "malformed file";
    case TS_E_SHAPE: return "shape mismatch";
    case TS_E_NOMEM: return "out of memory";
    case TS_E_NONFINITE: return "non-finite value";
    case TS_E_HW: return "hardware simulation error";
    case TS_E_MISMATCH: return "results differ";
  }
  return "unknown status";
}

ts_status ts_fail(ts_error *err, ts_status s, const char *fmt, ...) {
  if (err) {
    err->status = s;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
  }
  return s;
}
