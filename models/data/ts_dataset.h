/* Image classification datasets: CIFAR-10, CIFAR-100 (binary versions) and
 * IDX files (MNIST, Fashion-MNIST), loaded into one in-memory layout.
 *
 *   pixels [n][c][h][w]  raw bytes 0..255 (CIFAR: c = 3, planes R, G, B;
 *                        IDX: c = 1)
 *   labels [n]           class index in [0, classes)
 *
 * Every byte is validated while loading: file sizes must be a whole number of
 * records (CIFAR) or match the IDX header exactly, labels must be in range.
 * A failure names the file and what was wrong. The on-disk formats, the
 * directory search and the validation rules are described in docs/data.md. */
#ifndef TS_DATASET_H
#define TS_DATASET_H

#include <stdint.h>

#include "ts_arch.h" /* TS_MAX_CHANNELS */
#include "ts_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Environment variable the CLI reads for the data directory when --data is
 * not given (the library itself never reads the environment). */
#define TS_DATA_ENV "TESSERA_DATA"

typedef enum ts_dataset_kind {
  TS_DS_CIFAR10 = 0,
  TS_DS_CIFAR100,
  TS_DS_MNIST,
  TS_DS_FASHION_MNIST
} ts_dataset_kind;

/* "cifar10", "cifar100", "mnist", "fashion-mnist" (exact, lower case); the
 * error message lists the valid names. */
ts_status ts_dataset_kind_parse(const char *name, ts_dataset_kind *out,
                                ts_error *err);
/* The name ts_dataset_kind_parse accepts; "unknown" for other values. */
const char *ts_dataset_kind_name(ts_dataset_kind k);
/* Classes the loader will report: 10, 100 (20 with coarse_labels), 10, 10.
 * 0 for an unknown kind. */
int ts_dataset_kind_classes(ts_dataset_kind k, int coarse_labels);

typedef enum ts_split { TS_SPLIT_TRAIN = 0, TS_SPLIT_TEST } ts_split;

/* "train" / "test". */
const char *ts_split_name(ts_split s);

/* An image set. Own one only through ts_dataset_load / _create / _split and
 * release it with ts_dataset_destroy; the fields are public for reading. */
typedef struct ts_dataset {
  int n, c, h, w;  /* images, channels, height, width */
  int classes;     /* labels are in [0, classes) */
  uint8_t *pixels; /* [n][c][h][w] raw 0..255 */
  uint8_t *labels; /* [n] */
} ts_dataset;

/* Loads one split of a dataset from dir (or its conventional sub-folder,
 * see docs/data.md). coarse_labels selects CIFAR-100's 20 coarse classes
 * instead of the 100 fine ones; it is ignored for other kinds. */
ts_status ts_dataset_load(ts_dataset_kind kind, const char *dir, ts_split split,
                          int coarse_labels, ts_dataset **out, ts_error *err);

/* Same, keeping only the first max_n records (0 = all) for quick runs.
 * File sizes and headers are still checked in full; only the records kept
 * are read, so labels (and a gzip stream's tail) past them are not. */
ts_status ts_dataset_load_n(ts_dataset_kind kind, const char *dir,
                            ts_split split, int coarse_labels, int max_n,
                            ts_dataset **out, ts_error *err);

/* An empty (zeroed) set of n >= 1 images of c x h x w, c <= TS_MAX_CHANNELS,
 * for synthetic data and tests. */
ts_status ts_dataset_create(int n, int c, int h, int w, int classes,
                            ts_dataset **out, ts_error *err);

/* NULL is allowed. */
void ts_dataset_destroy(ts_dataset *ds);

/* A copy of records [first, first + count) of src, count >= 1; used to hold
 * out a validation set (--val-split). */
ts_status ts_dataset_split(const ts_dataset *src, int first, int count,
                           ts_dataset **out, ts_error *err);

/* Per-channel normalisation constants, computed on the training set. */
typedef struct ts_norm {
  int c;
  float mean[TS_MAX_CHANNELS]; /* [c] mean of pixel / 255 */
  float std[TS_MAX_CHANNELS];  /* [c] population standard deviation */
} ts_norm;

/* Mean and standard deviation (divisor n, as the published CIFAR figures)
 * of pixel / 255 per channel over the whole set, accumulated exactly in
 * integers. A constant channel gets std 1 so that normalising never divides
 * by zero. */
ts_status ts_dataset_norm(const ts_dataset *train, ts_norm *out, ts_error *err);

/* Gathers images idx[0..n) normalised:
 *   x[i][ch][y][x] = (p / 255 - mean[ch]) / std[ch]   (computed in float)
 * x: [n][c][h][w]; y: [n] labels (y may be NULL). Fails, writing nothing,
 * if an index is outside [0, ds->n) or nm->c != ds->c. */
ts_status ts_dataset_batch(const ts_dataset *ds, const ts_norm *nm,
                           const int *idx, int n, float *x, int *y,
                           ts_error *err);

/* Checks that ds fits the architecture a network was built for: image
 * channels and size, class count (TS_E_SHAPE naming both otherwise).
 * Defined in ts_dataset_arch.c. */
ts_status ts_dataset_check_arch(const ts_dataset *ds, const ts_arch *a,
                                ts_error *err);

#ifdef __cplusplus
}
#endif
#endif /* TS_DATASET_H */
