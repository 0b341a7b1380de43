/* Dataset loaders: CIFAR-10 / CIFAR-100 binary versions and IDX
 * (MNIST, Fashion-MNIST), plus normalisation and batch gathering.
 * Formats and validation rules: docs/data.md. */
#include "ts_dataset.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "ts_file.h"

#define CIFAR_SIDE 32
#define CIFAR_CHANNELS 3
#define CIFAR_PIXELS (CIFAR_CHANNELS * CIFAR_SIDE * CIFAR_SIDE) /* 3072 */
#define CIFAR10_TRAIN_FILES 5
#define CIFAR_CHUNK_RECORDS 2048 /* ~6 MB per fread: big blocks, bounded memory */

#define IDX_MAGIC_U8_IMAGES 0x00000803u /* unsigned bytes, 3 dims */
#define IDX_MAGIC_U8_LABELS 0x00000801u /* unsigned bytes, 1 dim */
#define IDX_MAX_SIDE 65535u             /* keeps n * h * w inside size_t */
#define IDX_CLASSES 10
#define GZ_CHUNK (64u << 20)  /* bytes per gzread (its length is an int) */
#define GZ_BUFFER (128u << 10) /* zlib's input buffer (default 8 KB): fewer reads */

#define PATH_CAP 4096

/* ---- Names ------------------------------------------------------------- */

static const char *const kind_names[] = {"cifar10", "cifar100", "mnist",
                                         "fashion-mnist"};
#define NUM_KINDS ((int)(sizeof kind_names / sizeof kind_names[0]))

/* The sub-folder each dataset's official archive (or usual copy) unpacks to. */
static const char *const kind_subdirs[] = {"cifar-10-batches-bin",
                                           "cifar-100-binary", "mnist",
                                           "fashion-mnist"};

ts_status ts_dataset_kind_parse(const char *name, ts_dataset_kind *out,
                                ts_error *err) {
  if (!out) return ts_fail(err, TS_E_ARG, "ts_dataset_kind_parse: out is NULL");
  for (int k = 0; name && k < NUM_KINDS; k++) {
    if (strcmp(name, kind_names[k]) == 0) {
      *out = (ts_dataset_kind)k;
      return TS_OK;
    }
  }
  return ts_fail(err, TS_E_ARG,
                 "unknown dataset '%s': valid names are cifar10, cifar100, "
                 "mnist, fashion-mnist",
                 name ? name : "(null)");
}

const char *ts_dataset_kind_name(ts_dataset_kind k) {
  return (k >= 0 && (int)k < NUM_KINDS) ? kind_names[k] : "unknown";
}

int ts_dataset_kind_classes(ts_dataset_kind k, int coarse_labels) {
  switch (k) {
    case TS_DS_CIFAR10: return 10;
    case TS_DS_CIFAR100: return coarse_labels ? 20 : 100;
    case TS_DS_MNIST:
    case TS_DS_FASHION_MNIST: return IDX_CLASSES;
  }
  return 0;
}

const char *ts_split_name(ts_split s) {
  return s == TS_SPLIT_TRAIN ? "train" : s == TS_SPLIT_TEST ? "test" : "unknown";
}

/* ---- Owning datasets --------------------------------------------------- */

#define HUGE_PAGE ((size_t)2 << 20)

/* Pixel buffers are large (150 MB for CIFAR-100): on Linux, ask for
 * transparent huge pages, which cuts the page faults of filling them ~500x
 * (they were most of the load time). The memory is freed with free(). */
static void *big_alloc(size_t bytes) {
#ifdef MADV_HUGEPAGE
  if (bytes >= 2 * HUGE_PAGE) {
    size_t rounded = (bytes + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
    void *p = aligned_alloc(HUGE_PAGE, rounded);
    if (p) madvise(p, rounded, MADV_HUGEPAGE); /* advice only: ignore failure */
    return p;
  }
#endif
  return malloc(bytes ? bytes : 1);
}

/* Wraps buffers the caller already allocated (ownership moves on success). */
static ts_status wrap(int n, int c, int h, int w, int classes, uint8_t *pixels,
                      uint8_t *labels, ts_dataset **out, ts_error *err) {
  ts_dataset *ds = malloc(sizeof *ds);
  if (!ds) return ts_fail(err, TS_E_NOMEM, "dataset: out of memory for the header");
  ds->n = n, ds->c = c, ds->h = h, ds->w = w, ds->classes = classes;
  ds->pixels = pixels;
  ds->labels = labels;
  *out = ds;
  return TS_OK;
}

/* ts_dataset_create, optionally leaving the pixels for the caller to fill. */
static ts_status alloc_set(int n, int c, int h, int w, int classes, int zero,
                           ts_dataset **out, ts_error *err) {
  if (!out) return ts_fail(err, TS_E_ARG, "ts_dataset_create: out is NULL");
  *out = NULL;
  if (n < 1 || c < 1 || c > TS_MAX_CHANNELS || h < 1 || w < 1 || classes < 1 ||
      classes > 256)
    return ts_fail(err, TS_E_ARG,
                   "ts_dataset_create: n=%d c=%d h=%d w=%d classes=%d; need "
                   "n, h, w >= 1, 1 <= c <= %d, 1 <= classes <= 256",
                   n, c, h, w, classes, TS_MAX_CHANNELS);
  size_t per = (size_t)c * (size_t)h * (size_t)w;
  if (per > SIZE_MAX / (size_t)n)
    return ts_fail(err, TS_E_ARG, "ts_dataset_create: %d images of %dx%dx%d "
                   "overflow the address space", n, c, h, w);
  uint8_t *pixels = big_alloc((size_t)n * per);
  uint8_t *labels = calloc((size_t)n, 1);
  ts_status s = TS_OK;
  if (!pixels || !labels)
    s = ts_fail(err, TS_E_NOMEM, "ts_dataset_create: out of memory for %d "
                "images of %dx%dx%d", n, c, h, w);
  else
    s = wrap(n, c, h, w, classes, pixels, labels, out, err);
  if (s != TS_OK) {
    free(pixels);
    free(labels);
  } else if (zero) {
    memset(pixels, 0, (size_t)n * per);
  }
  return s;
}

ts_status ts_dataset_create(int n, int c, int h, int w, int classes,
                            ts_dataset **out, ts_error *err) {
  return alloc_set(n, c, h, w, classes, 1, out, err);
}

void ts_dataset_destroy(ts_dataset *ds) {
  if (!ds) return;
  free(ds->pixels);
  free(ds->labels);
  free(ds);
}

static size_t image_bytes(const ts_dataset *ds) {
  return (size_t)ds->c * (size_t)ds->h * (size_t)ds->w;
}

ts_status ts_dataset_split(const ts_dataset *src, int first, int count,
                           ts_dataset **out, ts_error *err) {
  if (!src || !out) return ts_fail(err, TS_E_ARG, "ts_dataset_split: NULL argument");
  *out = NULL;
  if (first < 0 || count < 1 || first > src->n - count)
    return ts_fail(err, TS_E_ARG,
                   "dataset split: records [%d, %d + %d) are not inside the "
                   "%d records of the set (need first >= 0, count >= 1)",
                   first, first, count, src->n);
  ts_dataset *d;
  ts_status s = alloc_set(count, src->c, src->h, src->w, src->classes, 0, &d, err);
  if (s != TS_OK) return s;
  size_t per = image_bytes(src);
  memcpy(d->pixels, src->pixels + (size_t)first * per, (size_t)count * per);
  memcpy(d->labels, src->labels + first, (size_t)count);
  *out = d;
  return TS_OK;
}

/* ---- Finding files ----------------------------------------------------- */

static int is_file(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static ts_status join(char *buf, const char *a, const char *b, const char *c,
                      ts_error *err) {
  int len = snprintf(buf, PATH_CAP, "%s/%s%s", a, b, c);
  if (len < 0 || len >= PATH_CAP)
    return ts_fail(err, TS_E_ARG, "data path '%s/%s%s' is longer than %d bytes",
                   a, b, c, PATH_CAP - 1);
  return TS_OK;
}

/* The directory holding `name` (or `name` + `alt_suffix`): `dir` itself or
 * its conventional sub-folder. Writes the file's path to path. */
static ts_status find_first(ts_dataset_kind kind, ts_split split,
                            const char *dir, const char *name,
                            const char *alt_suffix, char *found_dir,
                            char *path, ts_error *err) {
  struct stat st;
  if (stat(dir, &st) != 0)
    return ts_fail(err, TS_E_IO, "data directory '%s' does not exist (%s); "
                   "pass --data DIR or set %s", dir, strerror(errno), TS_DATA_ENV);
  if (!S_ISDIR(st.st_mode))
    return ts_fail(err, TS_E_IO, "data directory '%s' is not a directory", dir);
  const char *sub = kind_subdirs[kind];
  for (int pass = 0; pass < 2; pass++) {
    ts_status s;
    if (pass == 0) {
      if (strlen(dir) >= PATH_CAP)
        return ts_fail(err, TS_E_ARG, "data directory name is longer than %d bytes",
                       PATH_CAP - 1);
      strcpy(found_dir, dir);
    } else if ((s = join(found_dir, dir, sub, "", err)) != TS_OK) {
      return s;
    }
    const char *suffixes[2] = {"", alt_suffix};
    for (int k = 0; k < (alt_suffix ? 2 : 1); k++) {
      if ((s = join(path, found_dir, name, suffixes[k], err)) != TS_OK) return s;
      if (is_file(path)) return TS_OK;
    }
  }
  if (alt_suffix)
    return ts_fail(err, TS_E_IO, "%s %s: no file '%s' or '%s%s' in '%s' or '%s/%s'",
                   kind_names[kind], ts_split_name(split), name, name,
                   alt_suffix, dir, dir, sub);
  return ts_fail(err, TS_E_IO, "%s %s: no file '%s' in '%s' or '%s/%s'",
                 kind_names[kind], ts_split_name(split), name, dir, dir, sub);
}

/* A further file of the same set, which must sit beside the first one. */
static ts_status find_next(const char *found_dir, const char *first_name,
                           const char *name, const char *alt_suffix,
                           char *path, ts_error *err) {
  const char *suffixes[2] = {"", alt_suffix};
  for (int k = 0; k < (alt_suffix ? 2 : 1); k++) {
    ts_status s = join(path, found_dir, name, suffixes[k], err);
    if (s != TS_OK) return s;
    if (is_file(path)) return TS_OK;
  }
  if (alt_suffix)
    return ts_fail(err, TS_E_IO, "found '%s' in '%s' but no '%s' or '%s%s' beside it",
                   first_name, found_dir, name, name, alt_suffix);
  return ts_fail(err, TS_E_IO, "found '%s' in '%s' but no '%s' beside it",
                 first_name, found_dir, name);
}

/* ---- CIFAR ------------------------------------------------------------- */

typedef struct cifar_file {
  char path[PATH_CAP];
  long long records;
} cifar_file;

/* Checks one record's label bytes; *label receives the one kept. */
static ts_status cifar_label(ts_dataset_kind kind, int coarse, const uint8_t *rec,
                             const char *path, long long index, uint8_t *label,
                             ts_error *err) {
  if (kind == TS_DS_CIFAR10) {
    if (rec[0] >= 10)
      return ts_fail(err, TS_E_FORMAT, "file '%s': record %lld has label %u, "
                     "outside 0..9 (is this a CIFAR-10 file?)", path, index, rec[0]);
    *label = rec[0];
    return TS_OK;
  }
  if (rec[0] >= 20)
    return ts_fail(err, TS_E_FORMAT, "file '%s': record %lld has coarse label %u, "
                   "outside 0..19 (is this a CIFAR-100 file?)", path, index, rec[0]);
  if (rec[1] >= 100)
    return ts_fail(err, TS_E_FORMAT, "file '%s': record %lld has fine label %u, "
                   "outside 0..99 (is this a CIFAR-100 file?)", path, index, rec[1]);
  *label = coarse ? rec[0] : rec[1];
  return TS_OK;
}

/* Reads `want` records of `f` into ds at record `at`, in big blocks. */
static ts_status cifar_read(ts_dataset_kind kind, int coarse, FILE *f,
                            const char *path, int want, size_t rec_bytes,
                            uint8_t *chunk, ts_dataset *ds, int at,
                            ts_error *err) {
  size_t label_bytes = rec_bytes - CIFAR_PIXELS;
  for (int done = 0; done < want;) {
    int todo = want - done < CIFAR_CHUNK_RECORDS ? want - done : CIFAR_CHUNK_RECORDS;
    size_t got = fread(chunk, rec_bytes, (size_t)todo, f);
    if (got != (size_t)todo) {
      if (ferror(f))
        return ts_fail(err, TS_E_IO, "file '%s': read error at record %d: %s",
                       path, done + (int)got, strerror(errno));
      return ts_fail(err, TS_E_FORMAT, "file '%s': ends at record %d of %d "
                     "(did it change while loading?)", path, done + (int)got, want);
    }
    for (int r = 0; r < todo; r++) {
      const uint8_t *rec = chunk + (size_t)r * rec_bytes;
      int i = at + done + r;
      ts_status s = cifar_label(kind, coarse, rec, path, done + r, &ds->labels[i], err);
      if (s != TS_OK) return s;
      /* The record's planes are already [c][h][w]. */
      memcpy(ds->pixels + (size_t)i * CIFAR_PIXELS, rec + label_bytes, CIFAR_PIXELS);
    }
    done += todo;
  }
  return TS_OK;
}

static ts_status load_cifar(ts_dataset_kind kind, const char *dir, ts_split split,
                            int coarse, int max_n, ts_dataset **out,
                            ts_error *err) {
  const size_t rec_bytes = (kind == TS_DS_CIFAR10 ? 1 : 2) + CIFAR_PIXELS;
  char names[CIFAR10_TRAIN_FILES][32];
  int nfiles = 1;
  if (kind == TS_DS_CIFAR10 && split == TS_SPLIT_TRAIN) {
    nfiles = CIFAR10_TRAIN_FILES;
    for (int i = 0; i < nfiles; i++) snprintf(names[i], sizeof names[i], "data_batch_%d.bin", i + 1);
  } else if (kind == TS_DS_CIFAR10) {
    strcpy(names[0], "test_batch.bin");
  } else {
    strcpy(names[0], split == TS_SPLIT_TRAIN ? "train.bin" : "test.bin");
  }

  /* Every file is found and size-checked before anything is read. */
  cifar_file *files = calloc((size_t)nfiles, sizeof *files);
  char found_dir[PATH_CAP];
  uint8_t *chunk = NULL;
  ts_dataset *ds = NULL;
  ts_status s = TS_OK;
  if (!files) {
    s = ts_fail(err, TS_E_NOMEM, "%s: out of memory", kind_names[kind]);
    goto done;
  }
  long long total = 0;
  for (int i = 0; i < nfiles; i++) {
    s = i == 0 ? find_first(kind, split, dir, names[0], NULL, found_dir, files[0].path, err)
               : find_next(found_dir, names[0], names[i], NULL, files[i].path, err);
    if (s != TS_OK) goto done;
    struct stat st;
    if (stat(files[i].path, &st) != 0) {
      s = ts_fail(err, TS_E_IO, "file '%s': %s", files[i].path, strerror(errno));
      goto done;
    }
    long long size = (long long)st.st_size;
    if (size == 0 || size % (long long)rec_bytes != 0) {
      s = ts_fail(err, TS_E_FORMAT, "file '%s': size %lld bytes is not a whole, "
                  "non-zero number of %zu-byte %s records (%lld records + %lld "
                  "bytes); the file is truncated, padded or not %s",
                  files[i].path, size, rec_bytes, kind_names[kind],
                  size / (long long)rec_bytes, size % (long long)rec_bytes,
                  kind == TS_DS_CIFAR10 ? "CIFAR-10's binary version"
                                        : "CIFAR-100's binary version");
      goto done;
    }
    files[i].records = size / (long long)rec_bytes;
    total += files[i].records;
  }
  if (total > INT_MAX) {
    s = ts_fail(err, TS_E_FORMAT, "%s in '%s': %lld records are more than %d",
                kind_names[kind], found_dir, total, INT_MAX);
    goto done;
  }
  int keep = (max_n > 0 && max_n < total) ? max_n : (int)total;
  s = alloc_set(keep, CIFAR_CHANNELS, CIFAR_SIDE, CIFAR_SIDE,
                ts_dataset_kind_classes(kind, coarse), 0, &ds, err);
  if (s != TS_OK) goto done;
  /* no bigger than the records kept: a 2-record file needs no 6 MB buffer */
  chunk = big_alloc((keep < CIFAR_CHUNK_RECORDS ? (size_t)keep : CIFAR_CHUNK_RECORDS) * rec_bytes);
  if (!chunk) {
    s = ts_fail(err, TS_E_NOMEM, "%s: out of memory for the read buffer", kind_names[kind]);
    goto done;
  }
  int at = 0;
  for (int i = 0; i < nfiles && at < keep; i++) {
    int want = keep - at < files[i].records ? keep - at : (int)files[i].records;
    FILE *f;
    if ((s = ts_file_open(files[i].path, "data file", &f, err)) != TS_OK) goto done;
    s = cifar_read(kind, coarse, f, files[i].path, want, rec_bytes, chunk, ds, at, err);
    fclose(f);
    if (s != TS_OK) goto done;
    at += want;
  }
  *out = ds;
  ds = NULL;
done:
  ts_dataset_destroy(ds);
  free(chunk);
  free(files);
  return s;
}

/* ---- IDX --------------------------------------------------------------- */

/* zlib's last error for g, without the "path: " or "<fd:N>: " prefix
 * gzerror adds (our messages name the file already). */
static const char *gz_msg(gzFile g, const char *path, int *zerr) {
  const char *m = gzerror(g, zerr);
  size_t len = strlen(path);
  if (strncmp(m, path, len) == 0 && m[len] == ':' && m[len + 1] == ' ') return m + len + 2;
  if (strncmp(m, "<fd:", 4) == 0) {
    const char *e = strstr(m, ">: ");
    if (e) return e + 3;
  }
  return m;
}

/* Reads up to `want` bytes into buf (len <= INT_MAX per gzread call). */
static ts_status gz_read(gzFile g, const char *path, uint8_t *buf, size_t want,
                         size_t *got, ts_error *err) {
  *got = 0;
  while (*got < want) {
    size_t ask = want - *got < GZ_CHUNK ? want - *got : GZ_CHUNK;
    int r = gzread(g, buf + *got, (unsigned)ask);
    if (r < 0) {
      int zerr;
      const char *msg = gz_msg(g, path, &zerr);
      if (zerr == Z_ERRNO)
        return ts_fail(err, TS_E_IO, "file '%s': read error at compressed "
                       "byte %lld: %s", path, (long long)gzoffset(g), strerror(errno));
      /* Where, in the compressed file: a count of this call's bytes says 0
       * when the end-of-stream check fails after megabytes were decoded
       * (zlib drops the bytes of the failing call). */
      const char *check = strstr(msg, "incorrect data check")     ? "CRC-32"
                          : strstr(msg, "incorrect length check") ? "length"
                                                                  : NULL;
      if (check)
        return ts_fail(err, TS_E_FORMAT, "file '%s': the gzip stream was "
                       "decompressed to its end but its %s check failed (zlib: "
                       "%s, at compressed byte %lld): the file is damaged; "
                       "download it again", path, check, msg,
                       (long long)gzoffset(g));
      return ts_fail(err, TS_E_FORMAT, "file '%s': corrupt gzip data at "
                     "compressed byte %lld, %lld bytes decompressed before it "
                     "(zlib: %s)", path, (long long)gzoffset(g),
                     (long long)gztell(g), msg);
    }
    if (r == 0) break;
    *got += (size_t)r;
  }
  return TS_OK;
}

/* Explains a short read: a gzip stream cut off, or a plain short file. */
static ts_status gz_short(gzFile g, const char *path, const char *what,
                          size_t want, size_t got, ts_error *err) {
  int zerr = Z_OK;
  const char *msg = gz_msg(g, path, &zerr);
  if (zerr != Z_OK)
    return ts_fail(err, TS_E_FORMAT, "file '%s': truncated gzip stream: %s needs "
                   "%zu bytes, only %zu could be decompressed (zlib: %s)",
                   path, what, want, got, msg);
  return ts_fail(err, TS_E_FORMAT, "file '%s': truncated: %s needs %zu bytes, "
                 "the file has only %zu", path, what, want, got);
}

/* Reads exactly `want` bytes into a buffer that grows as data arrives, so a
 * corrupt header announcing terabytes never causes a huge allocation. */
static ts_status gz_read_alloc(gzFile g, const char *path, const char *what,
                               size_t want, uint8_t **out, ts_error *err) {
  *out = NULL;
  size_t cap = want < GZ_CHUNK ? want : GZ_CHUNK, have = 0;
  uint8_t *buf = big_alloc(cap);
  if (!buf) return ts_fail(err, TS_E_NOMEM, "file '%s': out of memory", path);
  for (;;) {
    size_t got;
    ts_status s = gz_read(g, path, buf + have, cap - have, &got, err);
    if (s != TS_OK) {
      free(buf);
      return s;
    }
    have += got;
    if (have == want) break;
    if (have < cap) { /* end of data */
      free(buf);
      return gz_short(g, path, what, want, have, err);
    }
    cap = want - cap < cap ? want : 2 * cap;
    uint8_t *grown = realloc(buf, cap);
    if (!grown) {
      free(buf);
      return ts_fail(err, TS_E_NOMEM, "file '%s': out of memory for %zu bytes", path, cap);
    }
    buf = grown;
  }
  *out = buf;
  return TS_OK;
}

/* Nothing may follow the announced data. */
static ts_status gz_expect_end(gzFile g, const char *path, const char *what,
                               ts_error *err) {
  uint8_t tail[1 << 16];
  size_t extra = 0, got;
  do {
    ts_status s = gz_read(g, path, tail, sizeof tail, &got, err);
    if (s != TS_OK) return s;
    extra += got;
  } while (got == sizeof tail);
  int zerr = Z_OK;
  const char *msg = gz_msg(g, path, &zerr);
  if (zerr != Z_OK)
    return ts_fail(err, TS_E_FORMAT, "file '%s': truncated gzip stream after "
                   "the %s (zlib: %s)", path, what, msg);
  if (extra)
    return ts_fail(err, TS_E_FORMAT, "file '%s': %zu bytes of trailing data "
                   "after the %s the header announces", path, extra, what);
  return TS_OK;
}

static uint32_t be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Opens an IDX file and reads its magic and `ndims` big-endian dims. */
static ts_status idx_open(const char *path, uint32_t magic, const char *kind_desc,
                          int ndims, uint32_t *dims, gzFile *out, ts_error *err) {
  *out = NULL;
  int fd;
  ts_status os = ts_file_open_fd(path, "data file", &fd, err);
  if (os != TS_OK) return os;
  gzFile g = gzdopen(fd, "rb"); /* owns fd from here */
  if (!g) {
    close(fd);
    return ts_fail(err, TS_E_NOMEM, "file '%s': zlib could not allocate", path);
  }
  gzbuffer(g, GZ_BUFFER);
  uint8_t head[4 + 4 * 3];
  size_t want = 4 + 4 * (size_t)ndims, got;
  ts_status s = gz_read(g, path, head, want, &got, err);
  if (s == TS_OK && got < want) {
    int zerr = Z_OK;
    const char *msg = gz_msg(g, path, &zerr);
    s = ts_fail(err, TS_E_FORMAT, "file '%s': truncated IDX header: %zu of %zu "
                "bytes%s%s%s", path, got, want, zerr != Z_OK ? " (zlib: " : "",
                zerr != Z_OK ? msg : "", zerr != Z_OK ? ")" : "");
  }
  if (s == TS_OK && be32(head) != magic)
    s = ts_fail(err, TS_E_FORMAT, "file '%s': bad IDX magic 0x%08x, expected "
                "0x%08x (%s)", path, be32(head), magic, kind_desc);
  if (s != TS_OK) {
    gzclose_r(g);
    return s;
  }
  for (int d = 0; d < ndims; d++) dims[d] = be32(head + 4 + 4 * d);
  *out = g;
  return TS_OK;
}

static ts_status load_idx(ts_dataset_kind kind, const char *dir, ts_split split,
                          int max_n, ts_dataset **out, ts_error *err) {
  const char *prefix = split == TS_SPLIT_TRAIN ? "train" : "t10k";
  char img_name[64], lbl_name[64];
  snprintf(img_name, sizeof img_name, "%s-images-idx3-ubyte", prefix);
  snprintf(lbl_name, sizeof lbl_name, "%s-labels-idx1-ubyte", prefix);

  char found_dir[PATH_CAP], img_path[PATH_CAP], lbl_path[PATH_CAP];
  gzFile gi = NULL, gl = NULL;
  uint8_t *pixels = NULL, *labels = NULL;
  ts_status s = find_first(kind, split, dir, img_name, ".gz", found_dir, img_path, err);
  if (s == TS_OK) s = find_next(found_dir, img_name, lbl_name, ".gz", lbl_path, err);
  if (s != TS_OK) goto done;

  uint32_t idims[3] = {0, 0, 0}, ldims[1] = {0};
  s = idx_open(img_path, IDX_MAGIC_U8_IMAGES, "unsigned-byte images, 3 dims", 3,
               idims, &gi, err);
  if (s == TS_OK)
    s = idx_open(lbl_path, IDX_MAGIC_U8_LABELS, "unsigned-byte labels, 1 dim", 1,
                 ldims, &gl, err);
  if (s != TS_OK) goto done;
  if (idims[0] < 1 || idims[0] > INT_MAX || idims[1] < 1 ||
      idims[1] > IDX_MAX_SIDE || idims[2] < 1 || idims[2] > IDX_MAX_SIDE) {
    s = ts_fail(err, TS_E_FORMAT, "file '%s': header dims %u x %u x %u are not "
                "images x rows x cols with 1..%d images of 1..%u pixels a side",
                img_path, idims[0], idims[1], idims[2], INT_MAX, IDX_MAX_SIDE);
    goto done;
  }
  if (ldims[0] != idims[0]) {
    s = ts_fail(err, TS_E_FORMAT, "'%s' holds %u images but '%s' holds %u labels",
                img_path, idims[0], lbl_path, ldims[0]);
    goto done;
  }
  int n = (int)idims[0], h = (int)idims[1], w = (int)idims[2];
  int keep = (max_n > 0 && max_n < n) ? max_n : n;
  size_t per = (size_t)h * (size_t)w;
  char what[96];
  snprintf(what, sizeof what, "%d images of %dx%d", keep, h, w);
  s = gz_read_alloc(gi, img_path, what, (size_t)keep * per, &pixels, err);
  if (s == TS_OK && keep == n) s = gz_expect_end(gi, img_path, what, err);
  if (s != TS_OK) goto done;
  snprintf(what, sizeof what, "%d labels", keep);
  s = gz_read_alloc(gl, lbl_path, what, (size_t)keep, &labels, err);
  if (s == TS_OK && keep == n) s = gz_expect_end(gl, lbl_path, what, err);
  if (s != TS_OK) goto done;
  for (int i = 0; i < keep; i++) {
    if (labels[i] >= IDX_CLASSES) {
      s = ts_fail(err, TS_E_FORMAT, "file '%s': record %d has label %u, outside "
                  "0..%d", lbl_path, i, labels[i], IDX_CLASSES - 1);
      goto done;
    }
  }
  s = wrap(keep, 1, h, w, IDX_CLASSES, pixels, labels, out, err);
  if (s == TS_OK) pixels = labels = NULL;
done:
  if (gi) gzclose_r(gi);
  if (gl) gzclose_r(gl);
  free(pixels);
  free(labels);
  return s;
}

/* ---- Loading ----------------------------------------------------------- */

ts_status ts_dataset_load_n(ts_dataset_kind kind, const char *dir,
                            ts_split split, int coarse_labels, int max_n,
                            ts_dataset **out, ts_error *err) {
  if (!out) return ts_fail(err, TS_E_ARG, "ts_dataset_load: out is NULL");
  *out = NULL;
  if (kind < 0 || (int)kind >= NUM_KINDS)
    return ts_fail(err, TS_E_ARG, "ts_dataset_load: unknown dataset kind %d", (int)kind);
  if (split != TS_SPLIT_TRAIN && split != TS_SPLIT_TEST)
    return ts_fail(err, TS_E_ARG, "ts_dataset_load: unknown split %d", (int)split);
  if (!dir || !*dir)
    return ts_fail(err, TS_E_ARG, "%s: no data directory given; pass --data DIR "
                   "or set %s", kind_names[kind], TS_DATA_ENV);
  if (max_n < 0)
    return ts_fail(err, TS_E_ARG, "%s: max_n = %d; use 0 for all records or a "
                   "positive limit", kind_names[kind], max_n);
  if (kind == TS_DS_CIFAR10 || kind == TS_DS_CIFAR100)
    return load_cifar(kind, dir, split, coarse_labels, max_n, out, err);
  return load_idx(kind, dir, split, max_n, out, err);
}

ts_status ts_dataset_load(ts_dataset_kind kind, const char *dir, ts_split split,
                          int coarse_labels, ts_dataset **out, ts_error *err) {
  return ts_dataset_load_n(kind, dir, split, coarse_labels, 0, out, err);
}

/* ---- Normalisation and batches ----------------------------------------- */

/* Plane slices short enough that 32-bit sums of squares cannot overflow
 * (4096 * 255^2 < 2^32), which lets the compiler vectorise the inner loop. */
#define NORM_SLICE 4096

ts_status ts_dataset_norm(const ts_dataset *ds, ts_norm *out, ts_error *err) {
  if (!ds || !out) return ts_fail(err, TS_E_ARG, "ts_dataset_norm: NULL argument");
  if (ds->n < 1 || ds->c < 1 || ds->c > TS_MAX_CHANNELS || ds->h < 1 || ds->w < 1 ||
      !ds->pixels)
    return ts_fail(err, TS_E_ARG, "ts_dataset_norm: dataset of n=%d c=%d h=%d "
                   "w=%d has nothing to average", ds->n, ds->c, ds->h, ds->w);
  uint64_t s1[TS_MAX_CHANNELS] = {0}, s2[TS_MAX_CHANNELS] = {0};
  size_t plane = (size_t)ds->h * (size_t)ds->w;
  for (int i = 0; i < ds->n; i++) {
    for (int ch = 0; ch < ds->c; ch++) {
      const uint8_t *p = ds->pixels + ((size_t)i * (size_t)ds->c + (size_t)ch) * plane;
      for (size_t o = 0; o < plane; o += NORM_SLICE) {
        size_t len = plane - o < NORM_SLICE ? plane - o : NORM_SLICE;
        uint32_t a = 0, b = 0;
        for (size_t k = 0; k < len; k++) {
          uint32_t v = p[o + k];
          a += v;
          b += v * v;
        }
        s1[ch] += a;
        s2[ch] += b;
      }
    }
  }
  double count = (double)ds->n * (double)plane;
  out->c = ds->c;
  for (int ch = 0; ch < TS_MAX_CHANNELS; ch++) {
    out->mean[ch] = 0.0f;
    out->std[ch] = 1.0f;
  }
  for (int ch = 0; ch < ds->c; ch++) {
    double m = (double)s1[ch] / count; /* pixel units */
    double var = (double)s2[ch] / count - m * m;
    double sd = var > 0 ? sqrt(var) / 255.0 : 0.0;
    out->mean[ch] = (float)(m / 255.0);
    out->std[ch] = sd > 1e-12 ? (float)sd : 1.0f;
  }
  return TS_OK;
}

ts_status ts_dataset_batch(const ts_dataset *ds, const ts_norm *nm,
                           const int *idx, int n, float *x, int *y,
                           ts_error *err) {
  if (!ds || !nm || (n > 0 && (!idx || !x)))
    return ts_fail(err, TS_E_ARG, "ts_dataset_batch: NULL argument");
  if (n < 0) return ts_fail(err, TS_E_ARG, "ts_dataset_batch: n = %d < 0", n);
  if (nm->c != ds->c)
    return ts_fail(err, TS_E_ARG, "ts_dataset_batch: normalisation has %d "
                   "channels, the dataset %d", nm->c, ds->c);
  for (int i = 0; i < n; i++)
    if (idx[i] < 0 || idx[i] >= ds->n)
      return ts_fail(err, TS_E_ARG, "ts_dataset_batch: idx[%d] = %d is outside "
                     "the %d records of the set", i, idx[i], ds->n);
  /* One table per channel: exactly the documented formula, 256 times, then
   * a lookup per pixel. */
  float lut[TS_MAX_CHANNELS][256];
  for (int ch = 0; ch < ds->c; ch++)
    for (int p = 0; p < 256; p++)
      lut[ch][p] = ((float)p / 255.0f - nm->mean[ch]) / nm->std[ch];
  size_t plane = (size_t)ds->h * (size_t)ds->w, per = plane * (size_t)ds->c;
  /* A training batch (64 CIFAR images, 196k lookups) is worth two threads:
   * the trainer's workers wait for it every step. */
#pragma omp parallel for schedule(static) if ((size_t)n * per >= 65536)
  for (int i = 0; i < n; i++) {
    const uint8_t *src = ds->pixels + (size_t)idx[i] * per;
    float *dst = x + (size_t)i * per;
    for (int ch = 0; ch < ds->c; ch++) {
      const float *t = lut[ch];
      const uint8_t *sp = src + (size_t)ch * plane;
      float *dp = dst + (size_t)ch * plane;
      for (size_t k = 0; k < plane; k++) dp[k] = t[sp[k]];
    }
    if (y) y[i] = ds->labels[idx[i]];
  }
  return TS_OK;
}
