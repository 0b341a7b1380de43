#include "ts_safetensors.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ts_atomic.h"
#include "ts_file.h"

/* Tensor data is written and read with memcpy: the format is little-endian. */
#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "ts_safetensors.c assumes a little-endian host (safetensors is LE)"
#endif

#define META_KEY "__metadata__"
/* Integers in the JSON header pass through doubles (cJSON): keep them exact. */
#define JSON_INT_MAX 9007199254740992.0 /* 2^53 */

struct ts_st_file {
  char *path;
  cJSON *root;         /* parsed header; names and metadata point into it */
  unsigned char *data; /* data section, malloc'd so floats are aligned */
  uint64_t data_len;
  ts_st_tensor *t;
  int nt;
  ts_st_meta *m;
  int nm;
};

/* ---- Writing ------------------------------------------------------------ */

/* Element count of a shape, 0 with *ok = 0 on overflow past 2^53 / 4. */
static uint64_t shape_count(int ndim, const int64_t *shape, int *ok) {
  uint64_t n = 1;
  *ok = 1;
  for (int d = 0; d < ndim; d++) {
    uint64_t s = (uint64_t)shape[d];
    if (s != 0 && n > (uint64_t)(JSON_INT_MAX / 4) / s) *ok = 0;
    n *= s;
  }
  return *ok ? n : 0;
}

static ts_status check_write_args(const char *path, const ts_st_tensor *t,
                                  int nt, const ts_st_meta *m, int nm,
                                  ts_error *err) {
  if (!path || !*path) return ts_fail(err, TS_E_ARG, "safetensors: empty path");
  if (nt < 0 || nm < 0 || (nt > 0 && !t) || (nm > 0 && !m))
    return ts_fail(err, TS_E_ARG,
                   "file '%s': bad tensor/metadata list (nt = %d, nm = %d)",
                   path, nt, nm);
  for (int i = 0; i < nt; i++) {
    const ts_st_tensor *x = &t[i];
    if (!x->name || !*x->name || !strcmp(x->name, META_KEY))
      return ts_fail(err, TS_E_ARG,
                     "file '%s': tensor %d has an empty or reserved name '%s'",
                     path, i, x->name ? x->name : "(null)");
    if (x->ndim < 0 || x->ndim > TS_ST_MAX_NDIM)
      return ts_fail(err, TS_E_ARG,
                     "file '%s': tensor '%s' has ndim = %d; 0..%d supported",
                     path, x->name, x->ndim, TS_ST_MAX_NDIM);
    for (int d = 0; d < x->ndim; d++)
      if (x->shape[d] < 0)
        return ts_fail(err, TS_E_ARG,
                       "file '%s': tensor '%s' has negative dimension %d = %lld",
                       path, x->name, d, (long long)x->shape[d]);
    int ok;
    uint64_t n = shape_count(x->ndim, x->shape, &ok);
    if (!ok)
      return ts_fail(err, TS_E_ARG, "file '%s': tensor '%s' is too large",
                     path, x->name);
    if (n > 0 && !x->data)
      return ts_fail(err, TS_E_ARG, "file '%s': tensor '%s' has no data",
                     path, x->name);
    for (int j = 0; j < i; j++)
      if (!strcmp(t[j].name, x->name))
        return ts_fail(err, TS_E_ARG,
                       "file '%s': tensor name '%s' is used twice (%d and %d)",
                       path, x->name, j, i);
  }
  for (int i = 0; i < nm; i++) {
    if (!m[i].key || !m[i].value)
      return ts_fail(err, TS_E_ARG,
                     "file '%s': metadata entry %d has a NULL key or value",
                     path, i);
    for (int j = 0; j < i; j++)
      if (!strcmp(m[j].key, m[i].key))
        return ts_fail(err, TS_E_ARG,
                       "file '%s': metadata key '%s' is given twice", path,
                       m[i].key);
  }
  return TS_OK;
}

/* The JSON header, padded with spaces to a multiple of 8. NULL on OOM. */
static char *build_header(const ts_st_tensor *t, int nt, const ts_st_meta *m,
                          int nm, size_t *len) {
  cJSON *root = cJSON_CreateObject();
  int ok = root != NULL;
  if (ok && nm > 0) {
    cJSON *meta = cJSON_AddObjectToObject(root, META_KEY);
    ok = meta != NULL;
    for (int i = 0; ok && i < nm; i++)
      ok = cJSON_AddStringToObject(meta, m[i].key, m[i].value) != NULL;
  }
  uint64_t off = 0;
  for (int i = 0; ok && i < nt; i++) {
    cJSON *e = cJSON_AddObjectToObject(root, t[i].name);
    ok = e && cJSON_AddStringToObject(e, "dtype", "F32");
    cJSON *shape = ok ? cJSON_AddArrayToObject(e, "shape") : NULL;
    cJSON *offs = ok ? cJSON_AddArrayToObject(e, "data_offsets") : NULL;
    ok = shape && offs;
    int fits;
    uint64_t bytes = 4 * shape_count(t[i].ndim, t[i].shape, &fits);
    for (int d = 0; ok && d < t[i].ndim; d++)
      ok = cJSON_AddItemToArray(shape, cJSON_CreateNumber((double)t[i].shape[d]));
    ok = ok && cJSON_AddItemToArray(offs, cJSON_CreateNumber((double)off)) &&
         cJSON_AddItemToArray(offs, cJSON_CreateNumber((double)(off + bytes)));
    off += bytes;
  }
  char *json = ok ? cJSON_PrintUnformatted(root) : NULL;
  cJSON_Delete(root);
  if (!json) return NULL;
  size_t n = strlen(json), padded = (n + 7) / 8 * 8;
  char *out = realloc(json, padded + 1);
  if (!out) {
    free(json);
    return NULL;
  }
  memset(out + n, ' ', padded - n);
  out[padded] = '\0';
  *len = padded;
  return out;
}

static int write_all(FILE *fp, const void *p, size_t n) {
  return n == 0 || fwrite(p, 1, n, fp) == n;
}

typedef struct st_payload {
  const char *header; /* JSON header, already padded */
  size_t hlen;
  const ts_st_tensor *t;
  int nt;
} st_payload;

static ts_status write_payload(FILE *fp, void *user, ts_error *err) {
  const st_payload *p = user;
  unsigned char len8[8];
  for (int i = 0; i < 8; i++) len8[i] = (unsigned char)((uint64_t)p->hlen >> (8 * i));
  int ok = write_all(fp, len8, 8) && write_all(fp, p->header, p->hlen);
  for (int i = 0; ok && i < p->nt; i++) {
    int fits;
    uint64_t n = shape_count(p->t[i].ndim, p->t[i].shape, &fits);
    ok = write_all(fp, p->t[i].data, (size_t)n * sizeof(float));
  }
  return ok ? TS_OK : ts_fail(err, TS_E_IO, "write failed: %s", strerror(errno));
}

ts_status ts_st_write(const char *path, const ts_st_tensor *t, int nt,
                      const ts_st_meta *m, int nm, ts_error *err) {
  ts_status s = check_write_args(path, t, nt, m, nm, err);
  if (s) return s;
  size_t hlen = 0;
  char *header = build_header(t, nt, m, nm, &hlen);
  if (!header)
    return ts_fail(err, TS_E_NOMEM, "file '%s': out of memory building the header",
                   path);
  st_payload p = {header, hlen, t, nt};
  s = ts_atomic_write(path, write_payload, &p, err);
  free(header);
  return s;
}

/* ---- Reading ------------------------------------------------------------ */

void ts_st_close(ts_st_file *f) {
  if (!f) return;
  cJSON_Delete(f->root);
  free(f->path);
  free(f->data);
  free(f->t);
  free(f->m);
  free(f);
}

/* A JSON number that is an exact integer in [0, 2^53]. */
static int json_uint(const cJSON *v, uint64_t *out) {
  if (!cJSON_IsNumber(v)) return 0;
  double d = v->valuedouble;
  if (!(d >= 0 && d <= JSON_INT_MAX) || (double)(uint64_t)d != d) return 0;
  *out = (uint64_t)d;
  return 1;
}

typedef struct span {
  uint64_t begin, end;
  int idx;
} span;

static int cmp_span(const void *a, const void *b) {
  const span *x = a, *y = b;
  if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
  if (x->end != y->end) return x->end < y->end ? -1 : 1;
  return 0;
}

static int cmp_name(const void *a, const void *b) {
  return strcmp(((const ts_st_tensor *)a)->name, ((const ts_st_tensor *)b)->name);
}

/* Reads metadata: an object whose values are all strings. */
static ts_status parse_meta(ts_st_file *f, const cJSON *obj, ts_error *err) {
  if (f->m)
    return ts_fail(err, TS_E_FORMAT, "file '%s': \"%s\" appears twice",
                   f->path, META_KEY);
  if (!cJSON_IsObject(obj))
    return ts_fail(err, TS_E_FORMAT,
                   "file '%s': \"%s\" must be an object of strings", f->path,
                   META_KEY);
  int n = cJSON_GetArraySize(obj);
  f->m = calloc((size_t)n + 1, sizeof *f->m);
  if (!f->m) return ts_fail(err, TS_E_NOMEM, "file '%s': out of memory", f->path);
  const cJSON *e;
  cJSON_ArrayForEach(e, obj) {
    if (!cJSON_IsString(e))
      return ts_fail(err, TS_E_FORMAT,
                     "file '%s': metadata '%s' is not a string (the format "
                     "allows string values only)", f->path, e->string);
    for (int j = 0; j < f->nm; j++)
      if (!strcmp(f->m[j].key, e->string))
        return ts_fail(err, TS_E_FORMAT,
                       "file '%s': metadata key '%s' appears twice", f->path,
                       e->string);
    f->m[f->nm].key = e->string;
    f->m[f->nm].value = e->valuestring;
    f->nm++;
  }
  return TS_OK;
}

/* Reads one tensor entry into f->t[f->nt] and its byte range into *sp. */
static ts_status parse_tensor(ts_st_file *f, const cJSON *e, span *sp,
                              ts_error *err) {
  const char *name = e->string;
  if (!cJSON_IsObject(e))
    return ts_fail(err, TS_E_FORMAT, "file '%s': tensor '%s' is not an object",
                   f->path, name);
  const cJSON *dtype = cJSON_GetObjectItemCaseSensitive(e, "dtype");
  const cJSON *shape = cJSON_GetObjectItemCaseSensitive(e, "shape");
  const cJSON *offs = cJSON_GetObjectItemCaseSensitive(e, "data_offsets");
  if (!cJSON_IsString(dtype))
    return ts_fail(err, TS_E_FORMAT,
                   "file '%s': tensor '%s' has no \"dtype\" string", f->path,
                   name);
  if (strcmp(dtype->valuestring, "F32"))
    return ts_fail(err, TS_E_FORMAT,
                   "file '%s': tensor '%s' has dtype '%s'; only F32 is "
                   "supported (convert it to float32 before saving)",
                   f->path, name, dtype->valuestring);
  if (!cJSON_IsArray(shape))
    return ts_fail(err, TS_E_FORMAT,
                   "file '%s': tensor '%s' has no \"shape\" array", f->path,
                   name);
  int ndim = cJSON_GetArraySize(shape);
  if (ndim > TS_ST_MAX_NDIM)
    return ts_fail(err, TS_E_FORMAT,
                   "file '%s': tensor '%s' has %d dimensions; at most %d are "
                   "supported", f->path, name, ndim, TS_ST_MAX_NDIM);
  ts_st_tensor *t = &f->t[f->nt];
  memset(t, 0, sizeof *t);
  t->name = name;
  t->ndim = ndim;
  for (int d = 0; d < ndim; d++) {
    uint64_t v;
    if (!json_uint(cJSON_GetArrayItem(shape, d), &v))
      return ts_fail(err, TS_E_FORMAT,
                     "file '%s': tensor '%s': shape[%d] is not a non-negative "
                     "integer", f->path, name, d);
    t->shape[d] = (int64_t)v;
  }
  uint64_t b, en;
  if (!cJSON_IsArray(offs) || cJSON_GetArraySize(offs) != 2 ||
      !json_uint(cJSON_GetArrayItem(offs, 0), &b) ||
      !json_uint(cJSON_GetArrayItem(offs, 1), &en))
    return ts_fail(err, TS_E_FORMAT,
                   "file '%s': tensor '%s': \"data_offsets\" must be two "
                   "non-negative integers [begin, end]", f->path, name);
  if (b > en)
    return ts_fail(err, TS_E_FORMAT,
                   "file '%s': tensor '%s': data_offsets [%llu, %llu] are "
                   "reversed (begin after end); the header is corrupt",
                   f->path, name, (unsigned long long)b, (unsigned long long)en);
  if (en > f->data_len)
    return ts_fail(err, TS_E_FORMAT,
                   "file '%s': tensor '%s': data_offsets [%llu, %llu] are out "
                   "of range for the %llu-byte data section (truncated file?)",
                   f->path, name, (unsigned long long)b,
                   (unsigned long long)en, (unsigned long long)f->data_len);
  int ok;
  uint64_t count = shape_count(ndim, t->shape, &ok);
  if (!ok)
    return ts_fail(err, TS_E_FORMAT,
                   "file '%s': tensor '%s' spans %llu bytes but its shape "
                   "needs more than 2^53 bytes", f->path, name,
                   (unsigned long long)(en - b));
  if (en - b != 4 * count)
    return ts_fail(err, TS_E_FORMAT,
                   "file '%s': tensor '%s' spans %llu bytes but its shape "
                   "needs %llu (4 bytes x %llu elements)", f->path, name,
                   (unsigned long long)(en - b),
                   (unsigned long long)(4 * count), (unsigned long long)count);
  sp->begin = b;
  sp->end = en;
  sp->idx = f->nt;
  f->nt++;
  return TS_OK;
}

/* Tensors must tile the data section: sorted by offset, each one starts
 * where the previous ended, the first at 0 and the last at the end. */
static ts_status check_layout(ts_st_file *f, span *sp, ts_error *err) {
  qsort(sp, (size_t)f->nt, sizeof *sp, cmp_span);
  uint64_t at = 0;
  for (int i = 0; i < f->nt; i++) {
    if (sp[i].begin < at)
      return ts_fail(err, TS_E_FORMAT,
                     "file '%s': tensors '%s' [%llu, %llu) and '%s' [%llu, "
                     "%llu) overlap", f->path, f->t[sp[i - 1].idx].name,
                     (unsigned long long)sp[i - 1].begin,
                     (unsigned long long)sp[i - 1].end, f->t[sp[i].idx].name,
                     (unsigned long long)sp[i].begin,
                     (unsigned long long)sp[i].end);
    if (sp[i].begin > at)
      return ts_fail(err, TS_E_FORMAT,
                     "file '%s': data bytes [%llu, %llu) belong to no tensor",
                     f->path, (unsigned long long)at,
                     (unsigned long long)sp[i].begin);
    at = sp[i].end;
  }
  if (at != f->data_len)
    return ts_fail(err, TS_E_FORMAT,
                   "file '%s': the data section has %llu bytes but the "
                   "tensors cover %llu (trailing garbage?)", f->path,
                   (unsigned long long)f->data_len, (unsigned long long)at);
  /* Every size is a multiple of 4 and the first begins at 0, so every
   * offset is too: the pointers below are float-aligned. */
  for (int i = 0; i < f->nt; i++)
    f->t[sp[i].idx].data = (const float *)(const void *)(f->data + sp[i].begin);

  ts_st_tensor *byname = malloc(((size_t)f->nt + 1) * sizeof *byname);
  if (!byname) return ts_fail(err, TS_E_NOMEM, "file '%s': out of memory", f->path);
  memcpy(byname, f->t, (size_t)f->nt * sizeof *byname);
  qsort(byname, (size_t)f->nt, sizeof *byname, cmp_name);
  ts_status s = TS_OK;
  for (int i = 1; i < f->nt && !s; i++)
    if (!strcmp(byname[i].name, byname[i - 1].name))
      s = ts_fail(err, TS_E_FORMAT, "file '%s': tensor '%s' appears twice",
                  f->path, byname[i].name);
  free(byname);
  return s;
}

static ts_status parse_header(ts_st_file *f, const char *json, size_t n,
                              ts_error *err) {
  const char *end = NULL;
  f->root = cJSON_ParseWithLengthOpts(json, n, &end, 0);
  if (!f->root) {
    size_t at = end ? (size_t)(end - json) : 0;
    return ts_fail(err, TS_E_FORMAT,
                   "file '%s': the header is not valid JSON (error at header "
                   "byte %zu of %zu: \"%.24s\")", f->path, at, n,
                   end && at < n ? end : "");
  }
  for (const char *p = end; p < json + n; p++)
    if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
      return ts_fail(err, TS_E_FORMAT,
                     "file '%s': unexpected byte 0x%02x after the JSON header "
                     "(at header byte %zu of %zu)", f->path,
                     (unsigned char)*p, (size_t)(p - json), n);
  if (!cJSON_IsObject(f->root))
    return ts_fail(err, TS_E_FORMAT, "file '%s': the header is not a JSON object",
                   f->path);
  int n_items = cJSON_GetArraySize(f->root);
  f->t = calloc((size_t)n_items + 1, sizeof *f->t);
  span *sp = calloc((size_t)n_items + 1, sizeof *sp);
  if (!f->t || !sp) {
    free(sp);
    return ts_fail(err, TS_E_NOMEM, "file '%s': out of memory", f->path);
  }
  ts_status s = TS_OK;
  const cJSON *e;
  cJSON_ArrayForEach(e, f->root) {
    s = !strcmp(e->string, META_KEY) ? parse_meta(f, e, err)
                                     : parse_tensor(f, e, &sp[f->nt], err);
    if (s) break;
  }
  if (!s) s = check_layout(f, sp, err);
  free(sp);
  return s;
}

/* n bytes from fp, which fstat said are there: a read error (TS_E_IO with
 * errno's reason) or a file that shrank meanwhile. */
static ts_status read_exact(FILE *fp, void *buf, uint64_t n, const char *path,
                            ts_error *err) {
  if (fread(buf, 1, n, fp) == n) return TS_OK;
  return ts_fail(err, TS_E_IO, "cannot read '%s': %s", path,
                 ferror(fp) ? strerror(errno)
                            : "short read (file changed while reading?)");
}

ts_status ts_st_open(const char *path, ts_st_file **out, ts_error *err) {
  if (!out) return ts_fail(err, TS_E_ARG, "ts_st_open: out is NULL");
  *out = NULL;
  if (!path) return ts_fail(err, TS_E_ARG, "ts_st_open: path is NULL");
  FILE *fp;
  ts_status os = ts_file_open(path, "safetensors file", &fp, err);
  if (os) return os;
  ts_st_file *f = calloc(1, sizeof *f);
  char *json = NULL;
  ts_status s = TS_OK;
  if (!f || !(f->path = strdup(path))) {
    s = ts_fail(err, TS_E_NOMEM, "file '%s': out of memory", path);
    goto done;
  }
  struct stat st;
  if (fstat(fileno(fp), &st) != 0) {
    s = ts_fail(err, TS_E_IO, "cannot stat '%s': %s", path, strerror(errno));
    goto done;
  }
  uint64_t size = (uint64_t)st.st_size;
  unsigned char len8[8];
  if (size < 8) {
    s = ts_fail(err, TS_E_FORMAT,
                "file '%s' is %llu bytes, too short for the 8-byte header "
                "length of a safetensors file", path, (unsigned long long)size);
    goto done;
  }
  if ((s = read_exact(fp, len8, 8, path, err))) goto done;
  uint64_t n = 0;
  for (int i = 7; i >= 0; i--) n = n << 8 | len8[i];
  if (n == 0 || n > TS_ST_MAX_HEADER || n > size - 8) {
    s = ts_fail(err, TS_E_FORMAT,
                "file '%s': header length %llu is impossible for a %llu-byte "
                "file (must be 1..%llu and at most %u); truncated or not "
                "safetensors?", path, (unsigned long long)n,
                (unsigned long long)size, (unsigned long long)(size - 8),
                TS_ST_MAX_HEADER);
    goto done;
  }
  f->data_len = size - 8 - n;
  json = malloc(n + 1);
  f->data = malloc(f->data_len + 1);
  if (!json || !f->data) {
    s = ts_fail(err, TS_E_NOMEM, "file '%s': out of memory (%llu bytes)", path,
                (unsigned long long)size);
    goto done;
  }
  if ((s = read_exact(fp, json, n, path, err)) ||
      (s = read_exact(fp, f->data, f->data_len, path, err)))
    goto done;
  json[n] = '\0';
  s = parse_header(f, json, n, err);

done:
  fclose(fp);
  free(json);
  if (s) {
    ts_st_close(f);
    return s;
  }
  *out = f;
  return TS_OK;
}

/* ---- Accessors ---------------------------------------------------------- */

const char *ts_st_path(const ts_st_file *f) { return f ? f->path : NULL; }

const char *ts_st_meta_get(const ts_st_file *f, const char *key) {
  if (!f || !key) return NULL;
  for (int i = 0; i < f->nm; i++)
    if (!strcmp(f->m[i].key, key)) return f->m[i].value;
  return NULL;
}

int ts_st_num_meta(const ts_st_file *f) { return f ? f->nm : 0; }

const ts_st_meta *ts_st_meta_at(const ts_st_file *f, int i) {
  return f && i >= 0 && i < f->nm ? &f->m[i] : NULL;
}

int ts_st_num_tensors(const ts_st_file *f) { return f ? f->nt : 0; }

const ts_st_tensor *ts_st_tensor_at(const ts_st_file *f, int i) {
  return f && i >= 0 && i < f->nt ? &f->t[i] : NULL;
}

const ts_st_tensor *ts_st_find(const ts_st_file *f, const char *name) {
  if (!f || !name) return NULL;
  for (int i = 0; i < f->nt; i++)
    if (!strcmp(f->t[i].name, name)) return &f->t[i];
  return NULL;
}

ts_status ts_st_get(const ts_st_file *f, const char *name, int *ndim,
                    int64_t shape[TS_ST_MAX_NDIM], const float **data,
                    ts_error *err) {
  if (!f || !name) return ts_fail(err, TS_E_ARG, "ts_st_get: NULL file or name");
  const ts_st_tensor *t = ts_st_find(f, name);
  if (!t)
    return ts_fail(err, TS_E_FORMAT, "file '%s': no tensor named '%s'", f->path,
                   name);
  if (ndim) *ndim = t->ndim;
  if (shape) memcpy(shape, t->shape, sizeof t->shape);
  if (data) *data = t->data;
  return TS_OK;
}
