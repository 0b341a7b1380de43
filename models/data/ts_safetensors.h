/* A small reader/writer of the safetensors format, F32 tensors only.
 *
 * File layout (https://github.com/huggingface/safetensors):
 *
 *   u64 little-endian N | N bytes of JSON header | data section
 *
 *   header = {"__metadata__": {"key": "value", ...},            (optional)
 *             "name": {"dtype": "F32", "shape": [d0, d1, ...],
 *                      "data_offsets": [begin, end]}, ...}
 *
 * Offsets are byte offsets into the data section, which the tensors must
 * cover exactly (no gaps, no overlap). The header is padded with spaces to a
 * multiple of 8 bytes so that the data section stays aligned.
 *
 * Writing is atomic: the file is written to `path.tmp.<pid>`, synced and
 * renamed over `path`; on failure `path` is left as it was. Reading checks
 * everything a malformed or truncated file could get wrong and keeps the
 * whole file in memory until ts_st_close. */
#ifndef TS_SAFETENSORS_H
#define TS_SAFETENSORS_H

#include <stdint.h>

#include "ts_status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TS_ST_MAX_NDIM 4                    /* enough for conv weights */
#define TS_ST_MAX_HEADER (100u * 1000 * 1000) /* larger headers are rejected */

/* One tensor. shape[0..ndim) in row-major order (PyTorch's layout); ndim 0
 * is a scalar holding one value. data: [shape[0]]...[shape[ndim-1]]. */
typedef struct ts_st_tensor {
  const char *name;
  int ndim;
  int64_t shape[TS_ST_MAX_NDIM];
  const float *data;
} ts_st_tensor;

/* One "__metadata__" entry: both strings, as the format requires. */
typedef struct ts_st_meta {
  const char *key;
  const char *value;
} ts_st_meta;

/* Writes nt tensors (in this order) and nm metadata entries to path,
 * atomically. Names must be non-empty, unique and not "__metadata__";
 * metadata keys must be unique. Nothing about the values is checked (NaN is
 * written as is). */
ts_status ts_st_write(const char *path, const ts_st_tensor *t, int nt,
                      const ts_st_meta *m, int nm, ts_error *err);

typedef struct ts_st_file ts_st_file;

/* Reads and validates the whole file. On failure *out is NULL and err says
 * what is wrong, naming the file and the tensor, field or byte range. */
ts_status ts_st_open(const char *path, ts_st_file **out, ts_error *err);
void ts_st_close(ts_st_file *f); /* NULL is fine */

const char *ts_st_path(const ts_st_file *f);

/* Metadata value for key, NULL if absent. Valid until ts_st_close. */
const char *ts_st_meta_get(const ts_st_file *f, const char *key);
int ts_st_num_meta(const ts_st_file *f);
/* Entry i in 0..ts_st_num_meta()-1, in file order; NULL if out of range. */
const ts_st_meta *ts_st_meta_at(const ts_st_file *f, int i);

/* Tensors in header order. ts_st_tensor_at returns NULL if i is out of
 * range; the pointers inside stay valid until ts_st_close. */
int ts_st_num_tensors(const ts_st_file *f);
const ts_st_tensor *ts_st_tensor_at(const ts_st_file *f, int i);

/* Looks a tensor up by name; TS_E_FORMAT naming the file and tensor if it
 * is absent. ndim, shape ([TS_ST_MAX_NDIM]) and data may each be NULL. */
ts_status ts_st_get(const ts_st_file *f, const char *name, int *ndim,
                    int64_t shape[TS_ST_MAX_NDIM], const float **data,
                    ts_error *err);

/* Same lookup without an error: NULL if absent. */
const ts_st_tensor *ts_st_find(const ts_st_file *f, const char *name);

#ifdef __cplusplus
}
#endif
#endif /* TS_SAFETENSORS_H */
