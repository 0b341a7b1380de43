/* Small CSV files as Tessera writes them: a header row, then rows of
 * plain fields (no quoting). Read back for --resume (the sweep CSVs, the
 * run stamp) and for the report; "key,value" files for run settings. */
#ifndef TS_CSV_H
#define TS_CSV_H

#include "ts_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A small CSV table: header row, then rows of plain fields (no quoting;
 * every file read here was written by Tessera). */
typedef struct ts_csv {
  int rows, cols; /* data rows (header excluded), columns */
  char **cell;    /* [rows + 1][cols], row 0 is the header */
  char *text;     /* the file's contents, split in place */
} ts_csv;

/* TS_E_IO when the file is missing/unreadable, TS_E_FORMAT (with file and
 * line) when a row has a different number of fields than the header. */
ts_status ts_csv_read(const char *path, ts_csv **out, ts_error *err);
void ts_csv_free(ts_csv *t);
/* Column index of name, -1 if absent. */
int ts_csv_col(const ts_csv *t, const char *name);
/* Field of data row r (0-based) in column name; NULL if absent. */
const char *ts_csv_get(const ts_csv *t, int r, const char *name);
double ts_csv_num(const ts_csv *t, int r, const char *name); /* NaN if bad */

/* Writes a two-column CSV "key,value" (atomic); kv holds n pairs
 * {key0, value0, key1, value1, ...}. Values must not contain commas. */
ts_status ts_csv_write_kv(const char *path, const char *const *kv, int n,
                          ts_error *err);
/* Value of key in such a file (a row of t), NULL if absent. */
const char *ts_csv_kv(const ts_csv *t, const char *key);

#ifdef __cplusplus
}
#endif
#endif /* TS_CSV_H */
