/* Per-layer sensitivity and cost tables of `tessera codesign`
 * (codesign_tables.h). */
#include "codesign_tables.h"

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ts_prune.h"
#include "ts_qeval.h"
#include "ts_wmem.h"

/* ---- The RTL, layer by layer ------------------------------------------- */

typedef struct rtl_ctx {
  ts_hw *hw;
  const int *sparse; /* [L] */
  int only;          /* -1: every layer on the RTL */
  uint64_t *cyc;     /* [L] */
} rtl_ctx;

static ts_status rtl_exec(void *ctx, int layer, const ts_int_gemm *g, const uint8_t *x,
                          int64_t *y, ts_error *err) {
  rtl_ctx *c = ctx;
  if (c->only >= 0 && layer != c->only) return ts_qnet_gemm_reference(NULL, layer, g, x, y, err);
  ts_hw_counters cnt = {0};
  const ts_status st = c->sparse[layer] ? ts_hw_gemm_sparse(c->hw, g, NULL, x, y, &cnt, err)
                                        : ts_hw_gemm(c->hw, g, x, y, &cnt, err);
  c->cyc[layer] += cnt.cycles;
  return st;
}

ts_status cd_rtl_cycles(ts_hw *hw, const ts_qnet *q, const float *x, int n,
                        const int sparse[TS_NUM_LAYERS], int only,
                        uint64_t cyc[TS_NUM_LAYERS], int64_t *logits, ts_error *err) {
  const size_t px = ts_qnet_image_bytes(q);
  const int C = ts_qnet_classes(q);
  uint8_t *b = malloc(px);                /* [c][h][w] one image */
  int64_t *lg = malloc(sizeof *lg * C);   /* [classes] */
  ts_status st = b && lg ? TS_OK : ts_fail(err, TS_E_NOMEM, "codesign: no memory");
  memset(cyc, 0, sizeof *cyc * TS_NUM_LAYERS);
  rtl_ctx c = {hw, sparse, only, cyc};
  /* one image a run: the cycles of one image, as the search counts them */
  for (int i = 0; !st && i < n; i++) {
    st = ts_qnet_quantize_input(q, x + px * i, px, b, err);
    if (!st) st = ts_qnet_run(q, b, 1, rtl_exec, &c, lg, err);
    if (!st && logits) memcpy(logits + (size_t)i * C, lg, sizeof *lg * C);
  }
  free(b);
  free(lg);
  return st;
}

/* ---- One cell ------------------------------------------------------------ */

/* Layer l of net (a copy of the FP32 weights) pruned and quantized as the
 * cell says, the others at 8 bits; its accuracy and costs. */
static ts_status measure_cell(const cd_data *d, ts_net *net, ts_hw *hw, int l, cd_cell *cell,
                              ts_error *err) {
  const ts_arch *a = ts_net_arch(net);
  memcpy(ts_net_params(net), ts_net_params_const(d->fp32),
         sizeof(float) * ts_net_num_params(net));
  ts_status st = cell->pct > 0
                     ? ts_prune_params_layer(a, ts_net_params(net), l, cell->pct / 100, err)
                     : TS_OK;
  int bits[TS_NUM_LAYERS];
  for (int k = 0; k < TS_NUM_LAYERS; k++) bits[k] = k == l ? cell->bits : 8;
  ts_qnet *q = NULL;
  if (!st) st = ts_qnet_create_mixed(net, bits, d->scheme, d->cal, d->ncal, &q, err);
  if (!st) st = ts_qnet_accuracy(q, d->vx, d->vy, d->nval, 1, &cell->val_acc, NULL, err);
  uint64_t cyc[TS_NUM_LAYERS];
  int mode[TS_NUM_LAYERS] = {0};
  if (!st) st = cd_rtl_cycles(hw, q, d->vx, 1, mode, l, cyc, NULL, err);
  cell->dense_cycles = cyc[l];
  mode[l] = 1;
  if (!st) st = cd_rtl_cycles(hw, q, d->vx, 1, mode, l, cyc, NULL, err);
  cell->sparse_cycles = cyc[l];
  ts_int_gemm g;
  ts_wmem_layer wm;
  if (!st) st = ts_qnet_layer(q, l, &g, err);
  if (!st) st = ts_wmem_measure(g.w, g.m, g.k, cell->bits, TS_HW_SPARSE_RBITS, &wm, err);
  if (!st) {
    cell->wmem_dense_bits = wm.fmt[TS_WMEM_DENSE].bits;
    cell->wmem_hw_bits = wm.hw.bits;
  }
  ts_qnet_destroy(q);
  return st;
}

ts_status cd_measure(const cd_data *d, const int *bits, int nbits, const double *pct, int npct,
                     int threads, cd_cell *cell, double *ref, ts_error *err) {
  const int nopt = nbits * npct, total = TS_NUM_LAYERS * nopt;
  const ts_arch *a = ts_net_arch(d->fp32);
  ts_qnet *q8 = NULL;
  ts_status st = ts_qnet_create(d->fp32, 8, d->scheme, d->cal, d->ncal, &q8, err);
  if (!st) st = ts_qnet_accuracy(q8, d->vx, d->vy, d->nval, threads, ref, NULL, err);
  ts_qnet_destroy(q8);
  if (st) return st;
  for (int l = 0; l < TS_NUM_LAYERS; l++)
    for (int i = 0; i < nopt; i++)
      cell[l * nopt + i] = (cd_cell){.bits = bits[i / npct], .pct = pct[i % npct]};
  int done = 0;
  ts_status st_all = TS_OK;
#pragma omp parallel num_threads(threads)
  {
    ts_net *net = NULL;
    ts_hw *hw = NULL;
    ts_error e = {0};
    ts_status s = ts_net_create(a, &net, &e);
    if (!s) s = ts_hw_create(NULL, &hw, &e);
#pragma omp for schedule(dynamic, 1)
    for (int c = 0; c < total; c++) {
      if (s) continue;
      cd_cell *x = &cell[c];
      if ((s = measure_cell(d, net, hw, c / nopt, x, &e))) continue;
      x->drop = *ref - x->val_acc;
#pragma omp critical
      {
        if (++done % 10 == 0 || done == total) {
          printf("\r  sensitivity and cost: %d of %d layer options", done, total);
          fflush(stdout);
        }
      }
    }
#pragma omp critical
    if (s && !st_all) {
      st_all = s;
      if (err) *err = e;
    }
    ts_hw_destroy(hw);
    ts_net_destroy(net);
  }
  printf("\n");
  return st_all;
}
