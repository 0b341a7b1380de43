/* The integer CNN on the system model (sys_net.h). */
#include "sys_net.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ts_sparse.h"

void ts_sys_report_add(ts_sys_report *t, const ts_sys_report *r) {
  /* the leading uint64_t fields: total_cycles .. tail_cycles, bytes, runs, chunks,
   * prefetched */
  uint64_t *a = &t->total_cycles;
  const uint64_t *b = &r->total_cycles;
  for (const uint64_t *p = b; p <= &r->prefetched; p++) a[p - b] += *p;
  t->bound = r->bound;
  t->hw.cycles += r->hw.cycles;
  t->hw.macs += r->hw.macs;
}

/* Declares layer l + 1 (at the batch of g, layer l's GEMM) so that its
 * weights move while layer l computes (ts_sys_prefetch). */
static ts_status prefetch_next(ts_sys_net *s, int l, const ts_int_gemm *g, ts_error *err) {
  ts_int_gemm one, next;
  ts_sparse *sp = NULL;
  ts_status st = ts_qnet_layer(s->q, l, &one, err);
  if (!st) st = ts_qnet_layer(s->q, l + 1, &next, err);
  if (st) return st;
  next.n *= g->n / one.n; /* the batch */
  if (s->sparse[l + 1]) st = ts_sparse_pack(next.w, next.m, next.k, next.wbits, &sp, err);
  if (!st) st = ts_sys_prefetch(s->sys, ts_net_layer(s->net, l + 1)->name, &next, sp, err);
  ts_sparse_destroy(sp);
  return st;
}

ts_status ts_sys_net_exec(void *ctx, int layer, const ts_int_gemm *g, const uint8_t *x,
                          int64_t *y, ts_error *err) {
  ts_sys_net *s = ctx;
  ts_sparse *sp = NULL;
  ts_status st = s->sparse[layer] ? ts_sparse_pack(g->w, g->m, g->k, g->wbits, &sp, err) : TS_OK;
  if (!st && s->prefetch && layer + 1 < TS_NUM_LAYERS) {
    /* A next layer that cannot be declared (a filter larger than a bank,
     * say) runs without prefetch: its own call then names the problem,
     * after this layer's own errors. */
    ts_error ignored = {0};
    (void)prefetch_next(s, layer, g, &ignored);
  }
  ts_sys_report r;
  if (!st) st = ts_sys_gemm(s->sys, ts_net_layer(s->net, layer)->name, g, sp, x, y, &r, err);
  ts_sparse_destroy(sp);
  if (!st) ts_sys_report_add(&s->rep[layer], &r);
  return st;
}

int ts_sys_opt_bw(const char *cmd, const char *flag, const char *arg, void *dst) {
  char *end = NULL;
  const double v = strcmp(arg, "inf") ? strtod(arg, &end) : INFINITY;
  if (end && (end == arg || *end || isnan(v))) {
    fprintf(stderr, "tessera %s: %s: '%s' is not a number of bytes per cycle or 'inf'\n", cmd,
            flag, arg);
    return 1;
  }
  *(double *)dst = v;
  return 0;
}
