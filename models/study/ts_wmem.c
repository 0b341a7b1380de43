#include "ts_wmem.h"

#include <stdlib.h>
#include <string.h>

#include "ts_hw_params.h"
#include "ts_prune.h"
#include "ts_rng.h"
#include "ts_sparse.h"

#define WORD TS_HW_WPORT_BITS

const char *ts_wmem_format_name(ts_wmem_format f) {
  switch (f) {
    case TS_WMEM_DENSE: return "dense";
    case TS_WMEM_BITMAP: return "bitmap";
    case TS_WMEM_RELIDX: return "relidx";
    default: return "?";
  }
}

static int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

/* Fills bits and pad_bits from words, code_bits and meta_bits. */
static void finish(ts_wmem_size *s) {
  s->bits = s->words * WORD;
  s->pad_bits = s->bits - s->code_bits - s->meta_bits;
}

static ts_status check(const int32_t *w, int m, int k, int wbits, int rbits,
                       ts_error *err) {
  if (!w) return ts_fail(err, TS_E_ARG, "wmem: codes are NULL");
  if (m < 1 || k < 1)
    return ts_fail(err, TS_E_ARG, "wmem: shape %d x %d; both must be >= 1", m, k);
  if (wbits < TS_HW_WBITS_MIN || wbits > TS_HW_WBITS_MAX)
    return ts_fail(err, TS_E_ARG, "wmem: B = %d bits is outside %d..%d", wbits,
                   TS_HW_WBITS_MIN, TS_HW_WBITS_MAX);
  if (rbits < TS_WMEM_RBITS_MIN || rbits > TS_WMEM_RBITS_MAX)
    return ts_fail(err, TS_E_ARG, "wmem: R = %d index bits is outside %d..%d", rbits,
                   TS_WMEM_RBITS_MIN, TS_WMEM_RBITS_MAX);
  const int32_t lo = -(1 << (wbits - 1)), hi = (1 << (wbits - 1)) - 1;
  for (int64_t i = 0; i < (int64_t)m * k; i++)
    if (w[i] < lo || w[i] > hi)
      return ts_fail(err, TS_E_ARG, "wmem: code %d at [%lld][%lld] is outside %d..%d (B = %d)",
                     w[i], (long long)(i / k), (long long)(i % k), lo, hi, wbits);
  return TS_OK;
}

/* Relative-index entries of one filter row: non-zeros plus the padding
 * entries its zero runs need (floor(gap / 2^R) before each non-zero). */
static void relidx_row(const int32_t *row, int k, int rbits, int64_t *nnz, int64_t *pads) {
  const int64_t span = (int64_t)1 << rbits;
  int64_t gap = 0;
  *nnz = *pads = 0;
  for (int j = 0; j < k; j++) {
    if (row[j] == 0) {
      gap++;
      continue;
    }
    *pads += gap / span;
    ++*nnz;
    gap = 0;
  }
}

static void sizes(const int32_t *w, int m, int k, int wbits, int rbits, ts_wmem_layer *o) {
  memset(o, 0, sizeof *o);
  o->m = m, o->k = k, o->wbits = wbits, o->rbits = rbits;
  o->weights = (int64_t)m * k;
  const int64_t wpw = ts_hw_weights_per_word(wbits);     /* dense / bitmap codes */
  const int64_t epw = WORD / (wbits + rbits);             /* relidx entries */
  const int64_t table_words = ceil_div((int64_t)m * TS_WMEM_TABLE_BITS, WORD);
  ts_wmem_size *d = &o->fmt[TS_WMEM_DENSE], *b = &o->fmt[TS_WMEM_BITMAP],
               *r = &o->fmt[TS_WMEM_RELIDX];
  d->words = (int64_t)m * ts_hw_words_per_row(k, wbits);
  d->code_bits = o->weights * wbits;
  b->words = r->words = table_words;
  b->meta_bits = r->meta_bits = (int64_t)m * TS_WMEM_TABLE_BITS;
  for (int f = 0; f < m; f++) {
    int64_t nnz, pads;
    relidx_row(w + (size_t)f * k, k, rbits, &nnz, &pads);
    o->nnz += nnz;
    o->pad_entries += pads;
    if (nnz) { /* an empty filter is just its table entry (count 0) */
      b->words += ceil_div(k, WORD) + ceil_div(nnz, wpw);
      b->meta_bits += k;
      b->code_bits += nnz * wbits;
    }
    r->words += ceil_div(nnz + pads, epw);
    r->meta_bits += (nnz + pads) * rbits + pads * wbits;
    r->code_bits += nnz * wbits;
  }
  for (int i = 0; i < TS_WMEM_NFORMATS; i++) finish(&o->fmt[i]);
}

/* ---- The hardware's format (models/int/ts_sparse.h) ------------------- */

ts_status ts_wmem_hw_size(const int32_t *w, int m, int k, int wbits,
                          ts_wmem_size *out, ts_error *err) {
  if (!out) return ts_fail(err, TS_E_ARG, "wmem hw size: output is NULL");
  ts_sparse_size z;
  ts_status st = ts_sparse_size_of(w, m, k, wbits, &z, err);
  if (st) return st;
  memset(out, 0, sizeof *out);
  out->words = (int64_t)z.words + ceil_div((int64_t)m * TS_WMEM_TABLE_BITS, WORD);
  out->code_bits = (int64_t)z.nnz * wbits;
  out->meta_bits = (int64_t)z.entries * TS_HW_SPARSE_RBITS + (int64_t)z.pads * wbits +
                   (int64_t)m * TS_WMEM_TABLE_BITS;
  finish(out);
  return TS_OK;
}

#define STR_(x) #x
#define STR(x) STR_(x)
const char *ts_wmem_hw_format_name(void) {
  return "ts_sparse (relative index, R = " STR(TS_HW_SPARSE_RBITS) ")";
}

/* ------------------------------------------------------------------------ */

ts_status ts_wmem_measure(const int32_t *w, int m, int k, int wbits,
                          int rbits, ts_wmem_layer *out, ts_error *err) {
  ts_status st = check(w, m, k, wbits, rbits, err);
  if (st) return st;
  if (!out) return ts_fail(err, TS_E_ARG, "wmem: output is NULL");
  sizes(w, m, k, wbits, rbits, out);
  return ts_wmem_hw_size(w, m, k, wbits, &out->hw, err);
}

static void add_size(ts_wmem_size *a, const ts_wmem_size *x) {
  a->words += x->words;
  a->bits += x->bits;
  a->code_bits += x->code_bits;
  a->meta_bits += x->meta_bits;
  a->pad_bits += x->pad_bits;
}

void ts_wmem_add(ts_wmem_layer *acc, const ts_wmem_layer *x) {
  if (!acc->weights) acc->m = x->m, acc->k = x->k, acc->wbits = x->wbits, acc->rbits = x->rbits;
  acc->weights += x->weights;
  acc->nnz += x->nnz;
  acc->pad_entries += x->pad_entries;
  for (int i = 0; i < TS_WMEM_NFORMATS; i++) add_size(&acc->fmt[i], &x->fmt[i]);
  add_size(&acc->hw, &x->hw);
}

int ts_wmem_choose_compressed(int64_t dense_bits, int64_t compressed_bits) {
  return compressed_bits < dense_bits;
}

double ts_wmem_crossover(const double *s, const int64_t *dense,
                         const int64_t *compressed, int n) {
  int from = n;
  while (from > 0 && compressed[from - 1] < dense[from - 1]) from--;
  return from < n ? s[from] : -1;
}

ts_status ts_wmem_random_codes(int32_t *w, int m, int k, double sparsity,
                               uint64_t seed, ts_error *err) {
  if (!w || m < 1 || k < 1)
    return ts_fail(err, TS_E_ARG, "wmem: random pattern of shape %d x %d", m, k);
  const size_t n = (size_t)m * k;
  size_t zeros;
  ts_status st = ts_prune_count(n, sparsity, &zeros, err);
  if (st) return st;
  if (n > (size_t)1 << 30) return ts_fail(err, TS_E_ARG, "wmem: %zu weights is too many", n);
  int *idx = malloc(sizeof *idx * n);
  if (!idx) return ts_fail(err, TS_E_NOMEM, "wmem: no memory for %zu indices", n);
  for (size_t i = 0; i < n; i++) idx[i] = (int)i, w[i] = -1;
  ts_rng r;
  ts_rng_seed(&r, seed);
  /* partial Fisher-Yates: the first `zeros` entries are a uniform subset */
  for (size_t i = 0; i < zeros; i++) {
    const size_t j = i + (size_t)ts_rng_below(&r, n - i);
    const int t = idx[i];
    idx[i] = idx[j];
    idx[j] = t;
    w[idx[i]] = 0;
  }
  free(idx);
  return TS_OK;
}

ts_status ts_wmem_net(const ts_arch *a, const float *params, int wbits,
                      ts_quant_scheme scheme, int rbits,
                      ts_wmem_layer out[TS_NUM_LAYERS], ts_wmem_layer *total,
                      ts_error *err) {
  ts_layer_info L[TS_NUM_LAYERS];
  ts_status st = ts_arch_layers(a, L, err);
  if (st) return st;
  if (!params) return ts_fail(err, TS_E_ARG, "wmem: params is NULL");
  size_t most = 0;
  for (int l = 0; l < TS_NUM_LAYERS; l++)
    if (L[l].w_len > most) most = L[l].w_len;
  int32_t *q = malloc(sizeof *q * most);
  if (!q) return ts_fail(err, TS_E_NOMEM, "wmem: no memory for %zu codes", most);
  if (total) memset(total, 0, sizeof *total);
  for (int l = 0; l < TS_NUM_LAYERS && !st; l++) {
    const int m = L[l].out_c, k = (int)(L[l].w_len / (size_t)m);
    st = ts_quant_tensor(params + L[l].w_off, m, k, wbits, scheme, q, NULL, err);
    if (!st) st = ts_wmem_measure(q, m, k, wbits, rbits, &out[l], err);
    if (!st && total) ts_wmem_add(total, &out[l]);
  }
  free(q);
  return st;
}
