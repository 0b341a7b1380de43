#include "csv.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ts_atomic.h"
#include "ts_file.h"

ts_status ts_csv_read(const char *path, ts_csv **out, ts_error *err) {
  *out = NULL;
  FILE *fp;
  ts_status os = ts_file_open(path, "CSV file", &fp, err);
  if (os) return os;
  size_t cap = 1 << 16, len = 0, got;
  char *text = malloc(cap + 1);
  while (text && (got = fread(text + len, 1, cap - len, fp)) > 0) {
    len += got;
    if (len == cap) {
      char *nt = realloc(text, 2 * cap + 1);
      if (!nt) {
        free(text);
        text = NULL;
        break;
      }
      text = nt;
      cap *= 2;
    }
  }
  /* fread's 0 is also a read error: not the end of the file */
  const int read_error = ferror(fp), e = errno;
  fclose(fp);
  if (!text) return ts_fail(err, TS_E_NOMEM, "file '%s': out of memory", path);
  if (read_error) {
    free(text);
    return ts_fail(err, TS_E_IO, "cannot read '%s': %s", path, strerror(e));
  }
  text[len] = 0;
  int lines = 0, fields = 0;
  for (size_t i = 0; i < len; i++) {
    lines += text[i] == '\n';
    fields += text[i] == ',' || text[i] == '\n';
  }
  ts_csv *t = calloc(1, sizeof *t);
  char **cell = malloc(sizeof(char *) * (fields + 2));
  if (!t || !cell) {
    free(t);
    free(cell);
    free(text);
    return ts_fail(err, TS_E_NOMEM, "file '%s': out of memory", path);
  }
  t->text = text;
  t->cell = cell;
  int row = 0, ncell = 0;
  char *line = text;
  for (int l = 0; l <= lines && *line; l++) {
    char *end = strchr(line, '\n');
    if (end) *end = 0;
    if (end > line && end[-1] == '\r') end[-1] = 0;
    if (*line) {
      int nf = 0;
      for (char *f = line;; nf++) {
        char *comma = strchr(f, ',');
        cell[ncell++] = f;
        if (!comma) break;
        *comma = 0;
        f = comma + 1;
      }
      nf++;
      if (row == 0) t->cols = nf;
      else if (nf != t->cols) {
        const int cols = t->cols;
        ts_csv_free(t);
        return ts_fail(err, TS_E_FORMAT, "file '%s': line %d has %d fields, the header has %d",
                       path, l + 1, nf, cols);
      }
      row++;
    }
    if (!end) break;
    line = end + 1;
  }
  if (row == 0) {
    ts_csv_free(t);
    return ts_fail(err, TS_E_FORMAT, "file '%s' is empty (no header row)", path);
  }
  t->rows = row - 1;
  *out = t;
  return TS_OK;
}

void ts_csv_free(ts_csv *t) {
  if (!t) return;
  free(t->cell);
  free(t->text);
  free(t);
}

int ts_csv_col(const ts_csv *t, const char *name) {
  for (int c = 0; c < t->cols; c++)
    if (!strcmp(t->cell[c], name)) return c;
  return -1;
}

const char *ts_csv_get(const ts_csv *t, int r, const char *name) {
  const int c = ts_csv_col(t, name);
  if (c < 0 || r < 0 || r >= t->rows) return NULL;
  return t->cell[(size_t)(r + 1) * t->cols + c];
}

double ts_csv_num(const ts_csv *t, int r, const char *name) {
  const char *s = ts_csv_get(t, r, name);
  char *end;
  if (!s || !*s) return NAN;
  double v = strtod(s, &end);
  return *end ? NAN : v;
}

typedef struct kv_ctx {
  const char *const *kv;
  int n;
} kv_ctx;

static ts_status write_kv(FILE *fp, void *user, ts_error *err) {
  const kv_ctx *c = user;
  (void)err;
  fprintf(fp, "key,value\n");
  for (int i = 0; i < c->n; i++) fprintf(fp, "%s,%s\n", c->kv[2 * i], c->kv[2 * i + 1]);
  return TS_OK;
}

ts_status ts_csv_write_kv(const char *path, const char *const *kv, int n,
                          ts_error *err) {
  kv_ctx c = {kv, n};
  return ts_atomic_write(path, write_kv, &c, err);
}

const char *ts_csv_kv(const ts_csv *t, const char *key) {
  for (int r = 0; r < t->rows; r++) {
    const char *k = ts_csv_get(t, r, "key");
    if (k && !strcmp(k, key)) return ts_csv_get(t, r, "value");
  }
  return NULL;
}
