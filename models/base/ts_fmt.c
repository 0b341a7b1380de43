#include "ts_fmt.h"

#include <stdio.h>

const char *ts_fmt_thousands(char *buf, long long v) {
  char tmp[TS_FMT_LEN];
  /* the magnitude as unsigned: -LLONG_MIN does not fit a long long */
  const unsigned long long m = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
  int n = snprintf(tmp, sizeof tmp, "%llu", m), o = 0;
  if (v < 0) buf[o++] = '-';
  for (int i = 0; i < n; i++) {
    buf[o++] = tmp[i];
    if ((n - 1 - i) % 3 == 0 && i != n - 1) buf[o++] = ',';
  }
  buf[o] = '\0';
  return buf;
}
