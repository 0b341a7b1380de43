#include "ts_prune.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

ts_status ts_prune_count(size_t n, double p, size_t *k, ts_error *err) {
  if (!k) return ts_fail(err, TS_E_ARG, "prune: count output is NULL");
  if (isnan(p) || p < 0.0 || p > 1.0)
    return ts_fail(err, TS_E_ARG,
                   "prune fraction %g (%g%%) is outside [0, 1] (0%%..100%%)",
                   p, p * 100.0);
  double x = floor(p * (double)n + 0.5);
  *k = x >= (double)n ? n : (size_t)x;
  return TS_OK;
}

typedef struct mag_idx {
  float mag;  /* |w| */
  size_t idx; /* position in the tensor: the tie-break */
} mag_idx;

static int cmp_mag_idx(const void *pa, const void *pb) {
  const mag_idx *a = pa, *b = pb;
  if (a->mag != b->mag) return a->mag < b->mag ? -1 : 1;
  return (a->idx > b->idx) - (a->idx < b->idx);
}

static ts_status check_tensor(const char *what, const float *w, size_t n,
                              ts_error *err) {
  if (!w) return ts_fail(err, TS_E_ARG, "prune %s: tensor is NULL", what);
  if (n == 0) return ts_fail(err, TS_E_ARG, "prune %s: tensor is empty", what);
  for (size_t i = 0; i < n; i++)
    if (!isfinite(w[i]))
      return ts_fail(err, TS_E_NONFINITE,
                     "prune %s: weight %zu is %f; magnitudes of non-finite "
                     "weights cannot be ordered", what, i, (double)w[i]);
  return TS_OK;
}

/* Sorts v[n] (magnitudes and positions in w) and zeroes w and mask
 * (nullable) at the positions of the k smallest. */
static void zero_smallest(mag_idx *v, size_t n, size_t k, float *w, uint8_t *mask) {
  /* keys are unique (index tie-break), so qsort's instability is harmless */
  qsort(v, n, sizeof *v, cmp_mag_idx);
  for (size_t i = 0; i < k; i++) {
    w[v[i].idx] = 0.0f;
    if (mask) mask[v[i].idx] = 0;
  }
}

/* Whether pruning k of n entries needs the sort buffer (0 < k < n). */
static int needs_sort(size_t n, size_t k) { return k > 0 && k < n; }

/* w is known finite and non-empty here. mask (nullable, [n]) gets 0 at
 * the k pruned entries and is left alone elsewhere. v: [n] scratch when
 * needs_sort(n, k). */
static void prune_with(float *w, size_t n, size_t k, uint8_t *mask, mag_idx *v) {
  if (k == 0) return;
  if (k == n) {
    for (size_t i = 0; i < n; i++) w[i] = 0.0f;
    if (mask) memset(mask, 0, n);
    return;
  }
  for (size_t i = 0; i < n; i++) {
    v[i].mag = fabsf(w[i]);
    v[i].idx = i;
  }
  zero_smallest(v, n, k, w, mask);
}

static ts_status no_sort_memory(size_t n, ts_error *err) {
  return ts_fail(err, TS_E_NOMEM, "prune: cannot allocate %zu sort entries", n);
}

/* prune_with with its own buffer; nothing changes when it cannot get one. */
static ts_status prune_checked(float *w, size_t n, size_t k, uint8_t *mask,
                               ts_error *err) {
  mag_idx *v = NULL;
  if (needs_sort(n, k) && !(v = malloc(n * sizeof *v))) return no_sort_memory(n, err);
  prune_with(w, n, k, mask, v);
  free(v);
  return TS_OK;
}

ts_status ts_prune_smallest(float *w, size_t n, size_t k, uint8_t *mask,
                            ts_error *err) {
  ts_status st = check_tensor("tensor", w, n, err);
  if (st) return st;
  if (k > n)
    return ts_fail(err, TS_E_ARG, "prune: %zu of %zu weights asked for", k, n);
  return prune_checked(w, n, k, mask, err);
}

ts_status ts_prune_tensor(float *w, size_t n, double p, size_t *pruned,
                          ts_error *err) {
  size_t k = 0;
  ts_status st = ts_prune_count(n, p, &k, err);
  if (st) return st;
  if ((st = check_tensor("tensor", w, n, err))) return st;
  if ((st = prune_checked(w, n, k, NULL, err))) return st;
  if (pruned) *pruned = k;
  return TS_OK;
}

ts_status ts_prune_layer_index(const ts_arch *a, const char *name, int *index,
                               ts_error *err) {
  ts_layer_info L[TS_NUM_LAYERS];
  ts_status st = ts_arch_layers(a, L, err);
  if (st) return st;
  if (!index) return ts_fail(err, TS_E_ARG, "prune: index output is NULL");
  for (int i = 0; name && i < TS_NUM_LAYERS; i++)
    if (strcmp(name, L[i].name) == 0) {
      *index = i;
      return TS_OK;
    }
  char list[128] = "";
  size_t used = 0;
  for (int i = 0; i < TS_NUM_LAYERS && used < sizeof list; i++)
    used += (size_t)snprintf(list + used, sizeof list - used, "%s%s",
                             i ? ", " : "", L[i].name);
  return ts_fail(err, TS_E_ARG, "unknown layer '%s'; valid layers: %s",
                 name ? name : "(null)", list);
}

ts_status ts_prune_params_layer(const ts_arch *a, float *params, int index,
                                double p, ts_error *err) {
  ts_layer_info L[TS_NUM_LAYERS];
  ts_status st = ts_arch_layers(a, L, err);
  if (st) return st;
  if (!params) return ts_fail(err, TS_E_ARG, "prune: params is NULL");
  if (index < 0 || index >= TS_NUM_LAYERS)
    return ts_fail(err, TS_E_ARG, "prune: layer index %d is not in 0..%d",
                   index, TS_NUM_LAYERS - 1);
  size_t k = 0;
  if ((st = ts_prune_count(L[index].w_len, p, &k, err))) return st;
  float *w = params + L[index].w_off;
  if ((st = check_tensor(L[index].name, w, L[index].w_len, err))) return st;
  return prune_checked(w, L[index].w_len, k, NULL, err);
}

ts_status ts_prune_params_mask(const ts_arch *a, float *params, double p,
                               uint8_t *mask, ts_error *err) {
  double each[TS_NUM_LAYERS];
  for (int i = 0; i < TS_NUM_LAYERS; i++) each[i] = p;
  return ts_prune_params_mask_layers(a, params, each, mask, err);
}

ts_status ts_prune_params_mask_layers(const ts_arch *a, float *params,
                                      const double p[TS_NUM_LAYERS], uint8_t *mask,
                                      ts_error *err) {
  ts_layer_info L[TS_NUM_LAYERS];
  ts_status st = ts_arch_layers(a, L, err);
  if (st) return st;
  if (!params || !p) return ts_fail(err, TS_E_ARG, "prune: params or fractions NULL");
  size_t k[TS_NUM_LAYERS];
  for (int i = 0; i < TS_NUM_LAYERS; i++)
    if ((st = ts_prune_count(L[i].w_len, p[i], &k[i], err)) ||
        (st = check_tensor(L[i].name, params + L[i].w_off, L[i].w_len, err)))
      return st;
  /* one buffer for the largest layer, taken before anything changes: a
   * failure leaves params and mask as they were, never half pruned */
  size_t most = 0;
  for (int i = 0; i < TS_NUM_LAYERS; i++)
    if (needs_sort(L[i].w_len, k[i]) && L[i].w_len > most) most = L[i].w_len;
  mag_idx *v = NULL;
  if (most && !(v = malloc(most * sizeof *v))) return no_sort_memory(most, err);
  if (mask) memset(mask, 1, ts_arch_num_params(a));
  for (int i = 0; i < TS_NUM_LAYERS; i++)
    prune_with(params + L[i].w_off, L[i].w_len, k[i], mask ? mask + L[i].w_off : NULL, v);
  free(v);
  return TS_OK;
}

ts_status ts_prune_alloc_parse(const char *name, ts_prune_alloc *alloc, ts_error *err) {
  if (!alloc) return ts_fail(err, TS_E_ARG, "prune: allocation output is NULL");
  for (int i = TS_PRUNE_LOCAL; i <= TS_PRUNE_GLOBAL; i++)
    if (name && !strcmp(name, ts_prune_alloc_name((ts_prune_alloc)i))) {
      *alloc = (ts_prune_alloc)i;
      return TS_OK;
    }
  return ts_fail(err, TS_E_ARG, "unknown sparsity allocation '%s'; valid: local, global",
                 name ? name : "(null)");
}

const char *ts_prune_alloc_name(ts_prune_alloc alloc) {
  return alloc == TS_PRUNE_GLOBAL ? "global" : alloc == TS_PRUNE_LOCAL ? "local" : "?";
}

/* One threshold over every layer's weights: the k smallest (|w|, layer,
 * index) of the model are zeroed. params are finite (checked). */
static ts_status prune_global(const ts_layer_info L[TS_NUM_LAYERS], float *params, double p,
                              uint8_t *mask, size_t nparams, ts_error *err) {
  size_t n = 0, k = 0;
  for (int i = 0; i < TS_NUM_LAYERS; i++) n += L[i].w_len;
  ts_status st = ts_prune_count(n, p, &k, err);
  if (st) return st;
  mag_idx *v = NULL;
  if (k > 0 && !(v = malloc(n * sizeof *v))) return no_sort_memory(n, err);
  /* the mask only once nothing can fail: a failure leaves it as it was */
  if (mask) memset(mask, 1, nparams);
  if (k == 0) return TS_OK;
  size_t j = 0;
  /* idx = offset in params: layers are laid out in order, so it breaks
   * ties by layer, then by index inside the layer */
  for (int i = 0; i < TS_NUM_LAYERS; i++)
    for (size_t q = 0; q < L[i].w_len; q++, j++) {
      v[j].mag = fabsf(params[L[i].w_off + q]);
      v[j].idx = L[i].w_off + q;
    }
  zero_smallest(v, n, k, params, mask);
  free(v);
  return TS_OK;
}

ts_status ts_prune_params_alloc(const ts_arch *a, float *params, double p,
                                ts_prune_alloc alloc, uint8_t *mask, ts_error *err) {
  if (alloc == TS_PRUNE_LOCAL) return ts_prune_params_mask(a, params, p, mask, err);
  if (alloc != TS_PRUNE_GLOBAL)
    return ts_fail(err, TS_E_ARG, "sparsity allocation %d is unknown", (int)alloc);
  ts_layer_info L[TS_NUM_LAYERS];
  ts_status st = ts_arch_layers(a, L, err);
  if (st) return st;
  if (!params) return ts_fail(err, TS_E_ARG, "prune: params is NULL");
  size_t k = 0;
  if ((st = ts_prune_count(1, p, &k, err))) return st; /* p in [0, 1] */
  for (int i = 0; i < TS_NUM_LAYERS; i++)
    if ((st = check_tensor(L[i].name, params + L[i].w_off, L[i].w_len, err))) return st;
  return prune_global(L, params, p, mask, ts_arch_num_params(a), err);
}

ts_status ts_prune_params(const ts_arch *a, float *params, double p,
                          ts_error *err) {
  return ts_prune_params_mask(a, params, p, NULL, err);
}

ts_status ts_prune_layer(ts_net *net, const char *name, double p,
                         ts_error *err) {
  if (!net) return ts_fail(err, TS_E_ARG, "prune: network is NULL");
  int idx;
  ts_status st = ts_prune_layer_index(ts_net_arch(net), name, &idx, err);
  if (st) return st;
  return ts_prune_params_layer(ts_net_arch(net), ts_net_params(net), idx, p,
                               err);
}

ts_status ts_prune_net(ts_net *net, double p, ts_error *err) {
  if (!net) return ts_fail(err, TS_E_ARG, "prune: network is NULL");
  return ts_prune_params(ts_net_arch(net), ts_net_params(net), p, err);
}

ts_status ts_prune_stats_params(const ts_arch *a, const float *params,
                                ts_layer_sparsity out[TS_NUM_LAYERS],
                                ts_layer_sparsity *total, ts_error *err) {
  ts_layer_info L[TS_NUM_LAYERS];
  ts_status st = ts_arch_layers(a, L, err);
  if (st) return st;
  if (!params || !out)
    return ts_fail(err, TS_E_ARG, "sparsity: params or output is NULL");
  ts_layer_sparsity t = {"total", 0, 0, 0, 0};
  for (int i = 0; i < TS_NUM_LAYERS; i++) {
    const float *w = params + L[i].w_off;
    size_t nz = 0;
    for (size_t j = 0; j < L[i].w_len; j++) nz += w[j] != 0.0f;
    /* each conv weight is applied once per output pixel; FC once */
    const long long uses = (long long)L[i].out_h * L[i].out_w;
    out[i].name = L[i].name;
    out[i].weights = L[i].w_len;
    out[i].nonzero = nz;
    out[i].macs = L[i].macs;
    out[i].nonzero_macs = (long long)nz * uses;
    t.weights += out[i].weights;
    t.nonzero += nz;
    t.macs += out[i].macs;
    t.nonzero_macs += out[i].nonzero_macs;
  }
  if (total) *total = t;
  return TS_OK;
}

ts_status ts_prune_stats(const ts_net *net,
                         ts_layer_sparsity out[TS_NUM_LAYERS],
                         ts_layer_sparsity *total, ts_error *err) {
  if (!net) return ts_fail(err, TS_E_ARG, "sparsity: network is NULL");
  return ts_prune_stats_params(ts_net_arch(net), ts_net_params_const(net), out,
                               total, err);
}
