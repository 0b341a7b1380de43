/* Weight-memory accounting: how many bits a layer's B-bit weight codes take
 * in the accelerator's weight memory, dense-packed or compressed, counted
 * exactly from the codes themselves (per filter non-zero counts and index
 * gaps), metadata and padding included. docs/study.md ("Weight memory,
 * dense vs compressed") has the diagrams and the measured crossovers.
 *
 * A layer is W[m][k] codes (m filters of k weights, as ts_int_gemm holds
 * them). Memory is 64-bit words (TS_HW_WPORT_BITS); every filter starts on
 * a word boundary, as the lanes load whole words.
 *
 *   dense   floor(64/B) codes per word, no code straddles a word (the RTL's
 *           packing, ts_int_pack_weights): m * ceil(k / floor(64/B)) words.
 *   bitmap  per filter: a k-bit occupancy map in ceil(k/64) words, then the
 *           nnz non-zero codes, floor(64/B) per word.
 *   relidx  per filter: entries of (R-bit delta, B-bit code), floor(64/(B+R))
 *           per word (EIE's relative index). delta = zeros skipped since the
 *           previous entry (or the filter start), 0..2^R-1; a run of g zeros
 *           before a non-zero needs floor(g / 2^R) padding entries (code 0,
 *           delta 2^R-1), each standing for 2^R positions. Zeros after the
 *           last non-zero need no entries.
 *   Both compressed formats keep a filter table: one 32-bit entry per filter
 *   (16-bit start word, 16-bit entry count; two per word), because filters
 *   no longer sit at r * words_per_row. A filter with no entries takes no
 *   words besides its table entry.
 *
 * Nothing here allocates hidden state; all functions are reentrant. */
#ifndef TS_WMEM_H
#define TS_WMEM_H

#include <stdint.h>

#include "ts_arch.h"
#include "ts_quant.h"
#include "ts_status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ts_wmem_format {
  TS_WMEM_DENSE = 0,
  TS_WMEM_BITMAP = 1,
  TS_WMEM_RELIDX = 2,
  TS_WMEM_NFORMATS = 3
} ts_wmem_format;

#define TS_WMEM_TABLE_BITS 32 /* filter-table entry of a compressed format */
#define TS_WMEM_RBITS_MIN 1
#define TS_WMEM_RBITS_MAX 8
#define TS_WMEM_RBITS_DEFAULT 4 /* EIE's choice; docs/study.md compares R */

/* "dense", "bitmap", "relidx" ("?" for an invalid value). */
const char *ts_wmem_format_name(ts_wmem_format f);

/* One format's size. bits = words * 64 = code_bits + meta_bits + padding. */
typedef struct ts_wmem_size {
  int64_t words;     /* 64-bit words, filter table included */
  int64_t bits;      /* words * TS_HW_WPORT_BITS */
  int64_t code_bits; /* non-zero codes x B (dense: every code x B) */
  int64_t meta_bits; /* bitmap bits / delta bits + padding entries' codes,
                        plus the filter table; 0 for dense */
  int64_t pad_bits;  /* unused bits of partly filled words */
} ts_wmem_size;

/* A layer (or a sum of layers) in every format. */
typedef struct ts_wmem_layer {
  int m, k, wbits, rbits;
  int64_t weights;     /* m * k */
  int64_t nnz;         /* non-zero codes */
  int64_t pad_entries; /* relidx padding entries */
  ts_wmem_size fmt[TS_WMEM_NFORMATS];
  ts_wmem_size hw; /* the hardware's compressed format (ts_wmem_hw_size) */
} ts_wmem_layer;

/* Sizes of w: [m][k] codes at wbits = 1..16 (every code in range), relative
 * index deltas of rbits = TS_WMEM_RBITS_MIN..MAX bits, and the hardware's
 * format. m, k >= 1. */
ts_status ts_wmem_measure(const int32_t *w, int m, int k, int wbits,
                          int rbits, ts_wmem_layer *out, ts_error *err);

/* acc += x (m, k keep acc's values unless acc is empty; weights, nnz and
 * every size add up). For network totals. */
void ts_wmem_add(ts_wmem_layer *acc, const ts_wmem_layer *x);

/* ---- The format the hardware uses --------------------------------------
 * PLACEHOLDER until models/int/ts_sparse.h exists on this branch: the
 * hardware's compressed size is taken to be the relative-index format above.
 * After the merge this function calls ts_sparse's size function (one
 * definition of the format) and nothing else changes. */
ts_status ts_wmem_hw_size(const int32_t *w, int m, int k, int wbits,
                          ts_wmem_size *out, ts_error *err);
/* Name of that format, for reports. */
const char *ts_wmem_hw_format_name(void);

/* The per-layer choice: 1 when the compressed size is strictly smaller than
 * dense (store compressed), 0 otherwise (a tie stays dense: no decoder). */
int ts_wmem_choose_compressed(int64_t dense_bits, int64_t compressed_bits);

/* Crossover on a sparsity grid s[n] (ascending, percent or fraction):
 * the smallest s[i] from which compressed[j] < dense[j] for every j >= i;
 * -1 when the last point does not favour compression. */
double ts_wmem_crossover(const double *s, const int64_t *dense,
                         const int64_t *compressed, int n);

/* A random unstructured pattern: w: [m][k] gets exactly ts_prune_count(m*k,
 * sparsity) zeros at uniformly random positions (seeded, reproducible) and
 * the code -1 elsewhere (valid at every B; sizes depend only on which codes
 * are zero). sparsity in [0, 1]. */
ts_status ts_wmem_random_codes(int32_t *w, int m, int k, double sparsity,
                               uint64_t seed, ts_error *err);

/* Every layer of a network: params (already pruned by the caller, laid out
 * as ts_arch_layers says) quantized to wbits under scheme with
 * ts_quant_tensor, then measured. out: [TS_NUM_LAYERS]; total (nullable)
 * the sum. */
ts_status ts_wmem_net(const ts_arch *a, const float *params, int wbits,
                      ts_quant_scheme scheme, int rbits,
                      ts_wmem_layer out[TS_NUM_LAYERS], ts_wmem_layer *total,
                      ts_error *err);

#ifdef __cplusplus
}
#endif
#endif /* TS_WMEM_H */
