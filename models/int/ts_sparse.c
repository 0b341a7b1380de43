/* The compressed weight format (ts_sparse.h): size, pack, decode. */
#include "ts_sparse.h"

#include <stdlib.h>

int ts_sparse_entry_bits(int wbits) { return wbits + TS_HW_SPARSE_RBITS; }

int ts_sparse_entries_per_word(int wbits) {
  return TS_HW_WPORT_BITS / ts_sparse_entry_bits(wbits);
}

int ts_sparse_words_for(int entries, int wbits) {
  const int epw = ts_sparse_entries_per_word(wbits);
  return (entries + epw - 1) / epw;
}

/* Calls emit(ctx, run, code) for every entry of row[k], in order; returns
 * the entry count. The one place that decides where padding goes. */
typedef void (*emit_fn)(void *ctx, int run, int32_t code);

static int walk_filter(const int32_t *row, int k, emit_fn emit, void *ctx) {
  int n = 0, gap = 0;
  for (int j = 0; j < k; j++) {
    if (row[j] == 0) {
      gap++;
      continue;
    }
    while (gap > TS_HW_SPARSE_RUN_MAX) { /* padding: a zero at a zero */
      if (emit) emit(ctx, TS_HW_SPARSE_RUN_MAX, 0);
      n++;
      gap -= TS_HW_SPARSE_RUN_MAX + 1;
    }
    if (emit) emit(ctx, gap, row[j]);
    n++;
    gap = 0;
  }
  if (n == 0) { /* an all-zero filter still issues one (zero) entry */
    if (emit) emit(ctx, 0, 0);
    n = 1;
  }
  return n;
}

int ts_sparse_filter_entries(const int32_t *row, int k) {
  return row && k >= 1 ? walk_filter(row, k, NULL, NULL) : 0;
}

static ts_status check_layer(const int32_t *w, int m, int k, int wbits,
                             const char *what, ts_error *err) {
  if (!w) return ts_fail(err, TS_E_ARG, "%s: weights are NULL", what);
  if (m < 1 || k < 1)
    return ts_fail(err, TS_E_ARG, "%s: m=%d k=%d must be >= 1", what, m, k);
  if (wbits < TS_HW_WBITS_MIN || wbits > TS_HW_WBITS_MAX)
    return ts_fail(err, TS_E_ARG, "%s: wbits=%d outside %d..%d", what, wbits,
                   TS_HW_WBITS_MIN, TS_HW_WBITS_MAX);
  const int32_t lo = -(1 << (wbits - 1)), hi = (1 << (wbits - 1)) - 1;
  for (long long i = 0; i < (long long)m * k; i++)
    if (w[i] < lo || w[i] > hi)
      return ts_fail(err, TS_E_ARG,
                     "%s: code w[%lld][%lld]=%d outside the %d-bit range %d..%d",
                     what, i / k, i % k, (int)w[i], wbits, (int)lo, (int)hi);
  return TS_OK;
}

ts_status ts_sparse_size_of(const int32_t *w, int m, int k, int wbits,
                            ts_sparse_size *out, ts_error *err) {
  if (!out) return ts_fail(err, TS_E_ARG, "sparse size: out is NULL");
  ts_status st = check_layer(w, m, k, wbits, "sparse size", err);
  if (st != TS_OK) return st;
  ts_sparse_size s = {0};
  s.weights = (uint64_t)m * k;
  for (int r = 0; r < m; r++) {
    const int32_t *row = w + (size_t)r * k;
    const int e = walk_filter(row, k, NULL, NULL);
    int nz = 0;
    for (int j = 0; j < k; j++) nz += row[j] != 0;
    const int words = ts_sparse_words_for(e, wbits);
    s.nnz += (uint64_t)nz;
    s.entries += (uint64_t)e;
    s.words += (uint64_t)words;
    if (words > s.max_filter_words) s.max_filter_words = words;
  }
  s.pads = s.entries - s.nnz;
  s.bits = s.words * TS_HW_WPORT_BITS;
  s.dense_words = (uint64_t)m * ts_hw_words_per_row(k, wbits);
  s.dense_bits = s.dense_words * TS_HW_WPORT_BITS;
  *out = s;
  return TS_OK;
}

struct ts_sparse {
  int m, k, wbits;
  uint64_t *words;          /* [size.words] */
  ts_sparse_filter *filt;   /* [m] */
  ts_sparse_size size;
};

/* Appends entries to one filter's words. */
typedef struct packer {
  uint64_t *words;
  int wbits, epw, n;
} packer;

static void pack_entry(void *ctx, int run, int32_t code) {
  packer *p = ctx;
  const int eb = ts_sparse_entry_bits(p->wbits);
  const uint64_t cmask = ((uint64_t)1 << p->wbits) - 1;
  const uint64_t e = ((uint64_t)(uint32_t)code & cmask) | (uint64_t)run << p->wbits;
  p->words[p->n / p->epw] |= e << ((p->n % p->epw) * eb);
  p->n++;
}

ts_status ts_sparse_pack(const int32_t *w, int m, int k, int wbits,
                         ts_sparse **out, ts_error *err) {
  if (!out) return ts_fail(err, TS_E_ARG, "sparse pack: out is NULL");
  *out = NULL;
  ts_sparse_size sz;
  ts_status st = ts_sparse_size_of(w, m, k, wbits, &sz, err);
  if (st != TS_OK) return st;
  ts_sparse *s = calloc(1, sizeof *s);
  if (s) {
    s->words = calloc((size_t)sz.words, sizeof *s->words);
    s->filt = calloc((size_t)m, sizeof *s->filt);
  }
  if (!s || !s->words || !s->filt) {
    ts_sparse_destroy(s);
    return ts_fail(err, TS_E_NOMEM, "sparse pack: out of memory (%llu words)",
                   (unsigned long long)sz.words);
  }
  s->m = m;
  s->k = k;
  s->wbits = wbits;
  s->size = sz;
  size_t off = 0;
  for (int r = 0; r < m; r++) {
    const int32_t *row = w + (size_t)r * k;
    packer p = {s->words + off, wbits, ts_sparse_entries_per_word(wbits), 0};
    walk_filter(row, k, pack_entry, &p);
    int nz = 0;
    for (int j = 0; j < k; j++) nz += row[j] != 0;
    s->filt[r].word_off = off;
    s->filt[r].entries = p.n;
    s->filt[r].words = ts_sparse_words_for(p.n, wbits);
    s->filt[r].nnz = nz;
    off += (size_t)s->filt[r].words;
  }
  *out = s;
  return TS_OK;
}

void ts_sparse_destroy(ts_sparse *s) {
  if (!s) return;
  free(s->words);
  free(s->filt);
  free(s);
}

int ts_sparse_m(const ts_sparse *s) { return s ? s->m : 0; }
int ts_sparse_k(const ts_sparse *s) { return s ? s->k : 0; }
int ts_sparse_wbits(const ts_sparse *s) { return s ? s->wbits : 0; }

const uint64_t *ts_sparse_words(const ts_sparse *s, size_t *nwords) {
  if (nwords) *nwords = s ? (size_t)s->size.words : 0;
  return s ? s->words : NULL;
}

ts_sparse_filter ts_sparse_filter_info(const ts_sparse *s, int r) {
  ts_sparse_filter f = {0, 0, 0, 0};
  if (s && r >= 0 && r < s->m) f = s->filt[r];
  return f;
}

void ts_sparse_size_get(const ts_sparse *s, ts_sparse_size *out) {
  if (!out) return;
  if (s) {
    *out = s->size;
  } else {
    ts_sparse_size z = {0};
    *out = z;
  }
}

ts_status ts_sparse_decode_filter(const uint64_t *words, int entries, int k,
                                  int wbits, int32_t *row, ts_error *err) {
  if (!words || !row) return ts_fail(err, TS_E_ARG, "sparse decode: NULL array");
  if (entries < 1 || k < 1 || wbits < TS_HW_WBITS_MIN || wbits > TS_HW_WBITS_MAX)
    return ts_fail(err, TS_E_ARG, "sparse decode: entries=%d k=%d wbits=%d out of range",
                   entries, k, wbits);
  const int eb = ts_sparse_entry_bits(wbits), epw = ts_sparse_entries_per_word(wbits);
  for (int j = 0; j < k; j++) row[j] = 0;
  int pos = -1;
  for (int e = 0; e < entries; e++) {
    const uint64_t v = words[e / epw] >> ((e % epw) * eb);
    const uint64_t field = v & (((uint64_t)1 << wbits) - 1);
    const int run = (int)((v >> wbits) & TS_HW_SPARSE_RUN_MAX);
    /* Sign-extend the code from bit B-1. */
    const int32_t code = (int32_t)((int64_t)(field ^ ((uint64_t)1 << (wbits - 1))) -
                                   ((int64_t)1 << (wbits - 1)));
    pos += 1 + run;
    if (pos >= k)
      return ts_fail(err, TS_E_ARG,
                     "sparse decode: entry %d (run %d) lands at position %d, beyond k=%d",
                     e, run, pos, k);
    row[pos] = code;
  }
  return TS_OK;
}

ts_status ts_sparse_decode(const ts_sparse *s, int32_t *w, ts_error *err) {
  if (!s || !w) return ts_fail(err, TS_E_ARG, "sparse decode: NULL argument");
  for (int r = 0; r < s->m; r++) {
    ts_status st = ts_sparse_decode_filter(s->words + s->filt[r].word_off, s->filt[r].entries,
                                           s->k, s->wbits, w + (size_t)r * s->k, err);
    if (st != TS_OK) return st;
  }
  return TS_OK;
}

ts_status ts_sparse_gemm_run(const ts_int_gemm *g, const ts_sparse *s,
                             const uint8_t *x, int64_t *y, ts_error *err) {
  if (!g || !s) return ts_fail(err, TS_E_ARG, "sparse gemm: NULL descriptor or layer");
  if (g->m != s->m || g->k != s->k || g->wbits != s->wbits)
    return ts_fail(err, TS_E_ARG,
                   "sparse gemm: descriptor m=%d k=%d B=%d differs from the packed "
                   "layer m=%d k=%d B=%d",
                   g->m, g->k, g->wbits, s->m, s->k, s->wbits);
  int32_t *w = malloc(sizeof *w * (size_t)s->m * s->k);
  if (!w) return ts_fail(err, TS_E_NOMEM, "sparse gemm: out of memory");
  ts_status st = ts_sparse_decode(s, w, err);
  if (st == TS_OK) {
    ts_int_gemm d = *g;
    d.w = w;
    st = ts_int_gemm_run(&d, x, y, err);
  }
  free(w);
  return st;
}
