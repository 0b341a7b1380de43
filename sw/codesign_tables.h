/* The measurements behind `tessera codesign`: per layer and per option
 * (weight bits B, sparsity s), the validation accuracy when only that
 * layer is pruned to s (local magnitude) and quantized to B bits (every
 * other layer at 8 bits, unpruned), and the cost of that layer alone on
 * the RTL for one image (cycles in dense and in sparse mode) and in the
 * weight memory (dense-packed and compressed bits). Cycles and memory of a
 * layer depend on its own weights only, so a configuration's totals are
 * the sums of its layers' (cmd_codesign.c verifies that on the RTL). */
#ifndef TS_CODESIGN_TABLES_H
#define TS_CODESIGN_TABLES_H

#include <stdint.h>

#include "ts_arch.h"
#include "ts_hw.h"
#include "ts_net.h"
#include "ts_qnet.h"
#include "ts_quant.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What a configuration is measured against. */
typedef struct cd_data {
  const ts_net *fp32;     /* the trained network */
  const float *cal;       /* [ncal][c][h][w] calibration images */
  int ncal;
  const float *vx;        /* [nval][c][h][w] validation images */
  const int *vy;          /* [nval] */
  int nval;
  ts_quant_scheme scheme;
} cd_data;

/* One layer at one option. */
typedef struct cd_cell {
  int bits;
  double pct;                      /* percent pruned */
  double val_acc, drop;            /* drop: reference minus val_acc */
  uint64_t dense_cycles, sparse_cycles; /* the layer alone, one image */
  int64_t wmem_dense_bits, wmem_hw_bits; /* dense-packed / compressed */
} cd_cell;

/* The better mode and its cycles, the smaller memory. */
static inline uint64_t cd_cycles(const cd_cell *c) {
  return c->sparse_cycles < c->dense_cycles ? c->sparse_cycles : c->dense_cycles;
}
static inline int cd_sparse(const cd_cell *c) { return c->sparse_cycles < c->dense_cycles; }
static inline int64_t cd_wmem(const cd_cell *c) {
  return c->wmem_hw_bits < c->wmem_dense_bits ? c->wmem_hw_bits : c->wmem_dense_bits;
}

/* Fills cell[l * nopt + i] for options i = (bits[i / npct], pct[i % npct]):
 * nbits * npct options per layer, measured in parallel on `threads`
 * threads (a network copy and a simulator each). ref (out): the
 * validation accuracy at 8 bits, unpruned. Prints progress. */
ts_status cd_measure(const cd_data *d, const int *bits, int nbits, const double *pct, int npct,
                     int threads, cd_cell *cell, double *ref, ts_error *err);

/* Per-layer RTL cycles of n images (x: [n][c][h][w] normalised) through q
 * with layer l in sparse mode when sparse[l] (else dense); only layer
 * `only` when only >= 0 (the others on the golden kernel). cyc: [L]
 * summed over the images; logits (nullable): [n][classes]. */
ts_status cd_rtl_cycles(ts_hw *hw, const ts_qnet *q, const float *x, int n,
                        const int sparse[TS_NUM_LAYERS], int only,
                        uint64_t cyc[TS_NUM_LAYERS], int64_t *logits, ts_error *err);

#ifdef __cplusplus
}
#endif
#endif /* TS_CODESIGN_TABLES_H */
