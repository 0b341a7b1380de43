#include "ts_nm.h"

#include <math.h>
#include <string.h>

#include "ts_prune.h"

ts_status ts_nm_check(int n, int m, ts_error *err) {
  if (m < 1)
    return ts_fail(err, TS_E_ARG, "N:M sparsity %d:%d: M must be at least 1",
                   n, m);
  if (n < 1 || n > m)
    return ts_fail(err, TS_E_ARG,
                   "N:M sparsity %d:%d: N must be in 1..M (keep 1..%d of "
                   "every %d weights)", n, m, m, m);
  return TS_OK;
}

static int parse_int(const char *s, const char *end, int *v) {
  if (s == end) return 0;
  long x = 0;
  for (const char *p = s; p < end; p++) {
    if (*p < '0' || *p > '9') return 0;
    x = 10 * x + (*p - '0');
    if (x > 1 << 20) return 0;
  }
  *v = (int)x;
  return 1;
}

ts_status ts_nm_parse(const char *text, int *n, int *m, ts_error *err) {
  const char *colon = text ? strchr(text, ':') : NULL;
  int a, b;
  if (!colon || !parse_int(text, colon, &a) ||
      !parse_int(colon + 1, colon + strlen(colon), &b))
    return ts_fail(err, TS_E_ARG,
                   "N:M sparsity '%s' is not two whole numbers N:M such as 2:4",
                   text ? text : "(null)");
  ts_status st = ts_nm_check(a, b, err);
  if (st) return st;
  *n = a;
  *m = b;
  return TS_OK;
}

ts_status ts_nm_prune_params(const ts_arch *a, float *params, int n, int m,
                             uint8_t *mask, ts_error *err) {
  ts_layer_info L[TS_NUM_LAYERS];
  ts_status st = ts_arch_layers(a, L, err);
  if (st || (st = ts_nm_check(n, m, err))) return st;
  if (!params) return ts_fail(err, TS_E_ARG, "N:M prune: params is NULL");
  for (int l = 0; l < TS_NUM_LAYERS; l++)
    for (size_t i = 0; i < L[l].w_len; i++)
      if (!isfinite(params[L[l].w_off + i]))
        return ts_fail(err, TS_E_NONFINITE,
                       "N:M prune %s: weight %zu is %f; magnitudes of "
                       "non-finite weights cannot be ordered", L[l].name, i,
                       (double)params[L[l].w_off + i]);
  if (mask) memset(mask, 1, ts_arch_num_params(a));
  for (int l = 0; l < TS_NUM_LAYERS; l++) {
    const size_t K = (size_t)L[l].gemm_k, rows = L[l].w_len / K;
    for (size_t r = 0; r < rows; r++)
      for (size_t g = 0; g < K; g += (size_t)m) {
        const size_t len = K - g < (size_t)m ? K - g : (size_t)m;
        if (len <= (size_t)n) continue; /* a short group may keep all */
        const size_t off = L[l].w_off + r * K + g;
        if ((st = ts_prune_smallest(params + off, len, len - (size_t)n,
                                    mask ? mask + off : NULL, err)))
          return st;
      }
  }
  return TS_OK;
}
