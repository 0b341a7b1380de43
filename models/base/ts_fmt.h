/* Numbers formatted for tables people read. */
#ifndef TS_FMT_H
#define TS_FMT_H

#ifdef __cplusplus
extern "C" {
#endif

#define TS_FMT_LEN 32 /* enough for any long long with separators */

/* 1234567 -> "1,234,567" (buf holds TS_FMT_LEN bytes); returns buf. */
const char *ts_fmt_thousands(char *buf, long long v);

#ifdef __cplusplus
}
#endif
#endif /* TS_FMT_H */
