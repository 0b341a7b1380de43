/* The compressed (zero-skipping) weight format: one definition for the
 * host that packs it, the golden model that decodes it and the RTL lanes
 * that stream it (docs/hw.md, "Compressed weights").
 *
 * A layer's weights are B-bit codes W[m][k] (ts_int.h). Each filter (row m)
 * becomes a list of entries {run, code}, run of R = TS_HW_SPARSE_RBITS bits:
 *
 *   entry e of a filter sits at k_e = k_{e-1} + 1 + run_e  (k_{-1} = -1)
 *   one entry per non-zero code, in increasing k;
 *   a gap of more than RUN_MAX = 2^R - 1 zeros before a non-zero costs a
 *     padding entry {RUN_MAX, 0} (a zero code at a zero position) per
 *     2^R positions skipped;
 *   trailing zeros cost nothing; a filter with no non-zero code holds one
 *     entry {0, 0} (so a lane always has something to issue per tile).
 *
 * Packing: an entry is E = B + R bits, code in the low B bits (two's
 * complement), run above it; floor(64 / E) entries per 64-bit word, entry j
 * of a filter in word j / epw at bit (j % epw) * E, unused bits zero. Each
 * filter starts on a word; filters follow one another in m order. With
 * R = 0 and every k present this is exactly the dense packing of
 * ts_int_pack_weights (the RTL's dense mode reads it that way).
 *
 *   word 0 of filter m:  | unused | e2 {run,code} | e1 {run,code} | e0 {run,code} |
 *                        63                                       E            0
 */
#ifndef TS_SPARSE_H
#define TS_SPARSE_H

#include <stddef.h>
#include <stdint.h>

#include "ts_hw_params.h"
#include "ts_int.h"
#include "ts_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bits of one entry and entries per 64-bit word at B bits. */
int ts_sparse_entry_bits(int wbits);
int ts_sparse_entries_per_word(int wbits);

/* Entries (non-zeros + padding, >= 1) of one filter row[k]. */
int ts_sparse_filter_entries(const int32_t *row, int k);

/* 64-bit words holding `entries` entries at B bits. */
int ts_sparse_words_for(int entries, int wbits);

/* Exact size of a layer's weights, compressed and dense-packed. */
typedef struct ts_sparse_size {
  uint64_t weights;     /* m * k */
  uint64_t nnz;         /* non-zero codes */
  uint64_t pads;        /* padding entries (long gaps, empty filters) */
  uint64_t entries;     /* nnz + pads */
  uint64_t words;       /* compressed 64-bit words, every filter word-aligned */
  uint64_t bits;        /* words * 64: what the weight memory holds */
  uint64_t dense_words; /* m * ts_hw_words_per_row(k, B): the dense packing */
  uint64_t dense_bits;  /* dense_words * 64 */
  int max_filter_words; /* largest compressed filter (the lane buffer holds it) */
} ts_sparse_size;

/* Size of W[m][k] (codes at B bits) in both formats, without packing.
 * Fails (TS_E_ARG) on NULL, m or k < 1, B outside 1..16 or a code outside
 * the B-bit range (naming it). */
ts_status ts_sparse_size_of(const int32_t *w, int m, int k, int wbits,
                            ts_sparse_size *out, ts_error *err);

/* A packed layer (immutable after ts_sparse_pack). */
typedef struct ts_sparse ts_sparse;

/* Where filter r lives in the packed words. */
typedef struct ts_sparse_filter {
  size_t word_off; /* first word */
  int words;       /* ts_sparse_words_for(entries, B) */
  int entries;     /* >= 1 */
  int nnz;         /* non-zero codes (entries - padding) */
} ts_sparse_filter;

/* Packs W[m][k] (codes at B bits). Same checks as ts_sparse_size_of;
 * TS_E_NOMEM when out of memory. */
ts_status ts_sparse_pack(const int32_t *w, int m, int k, int wbits,
                         ts_sparse **out, ts_error *err);
void ts_sparse_destroy(ts_sparse *s);

int ts_sparse_m(const ts_sparse *s);
int ts_sparse_k(const ts_sparse *s);
int ts_sparse_wbits(const ts_sparse *s);
/* All packed words [size.words]; *nwords (nullable) receives the count. */
const uint64_t *ts_sparse_words(const ts_sparse *s, size_t *nwords);
/* Filter r's placement; zeros for r outside 0..m-1. */
ts_sparse_filter ts_sparse_filter_info(const ts_sparse *s, int r);
void ts_sparse_size_get(const ts_sparse *s, ts_sparse_size *out);

/* Decodes one filter: `entries` entries from words (its first word) into
 * row[k] (every position written, zeros where no entry). Fails (TS_E_ARG)
 * on NULL, entries < 1, or an entry that lands at position k or beyond
 * (a malformed stream), naming the entry. */
ts_status ts_sparse_decode_filter(const uint64_t *words, int entries, int k,
                                  int wbits, int32_t *row, ts_error *err);

/* Decodes the whole layer into w[m][k]. */
ts_status ts_sparse_decode(const ts_sparse *s, int32_t *w, ts_error *err);

/* The golden GEMM on the compressed layer: decodes s and runs
 * ts_int_gemm_run with g's other fields (g->w is ignored; g->m, g->k,
 * g->wbits must equal s's). x [k][n], y [m][n] as ts_int_gemm_run. */
ts_status ts_sparse_gemm_run(const ts_int_gemm *g, const ts_sparse *s,
                             const uint8_t *x, int64_t *y, ts_error *err);

#ifdef __cplusplus
}
#endif
#endif /* TS_SPARSE_H */
