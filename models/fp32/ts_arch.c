#include "ts_arch.h"

#include <string.h>

void ts_arch_default(ts_arch *a, int in_c, int in_h, int in_w, int classes) {
  a->in_c = in_c;
  a->in_h = in_h;
  a->in_w = in_w;
  a->k1 = 5;
  a->k2 = 5;
  a->c1 = 6;
  a->c2 = 16;
  a->f1 = 120;
  a->f2 = 84;
  a->classes = classes;
}

/* Sizes stay far below INT_MAX so that products of two fit a long long. */
#define TS_DIM_MAX 4096

static ts_status check_range(const char *what, int v, int lo, int hi,
                             ts_error *err) {
  if (v < lo || v > hi)
    return ts_fail(err, TS_E_ARG, "%s = %d is out of range [%d, %d]", what, v,
                   lo, hi);
  return TS_OK;
}

ts_status ts_arch_validate(const ts_arch *a, ts_error *err) {
  ts_status s;
  if (!a) return ts_fail(err, TS_E_ARG, "architecture is NULL");
  if ((s = check_range("input channels", a->in_c, 1, TS_MAX_CHANNELS, err)) ||
      (s = check_range("input height", a->in_h, 1, TS_DIM_MAX, err)) ||
      (s = check_range("input width", a->in_w, 1, TS_DIM_MAX, err)) ||
      (s = check_range("k1", a->k1, 1, TS_DIM_MAX, err)) ||
      (s = check_range("k2", a->k2, 1, TS_DIM_MAX, err)) ||
      (s = check_range("conv1 channels", a->c1, 1, TS_DIM_MAX, err)) ||
      (s = check_range("conv2 channels", a->c2, 1, TS_DIM_MAX, err)) ||
      (s = check_range("fc1 width", a->f1, 1, TS_DIM_MAX, err)) ||
      (s = check_range("fc2 width", a->f2, 1, TS_DIM_MAX, err)) ||
      (s = check_range("classes", a->classes, 2, TS_DIM_MAX, err)))
    return s;
  int h = a->in_h, w = a->in_w;
  if (a->k1 > h || a->k1 > w)
    return ts_fail(err, TS_E_ARG,
                   "k1 = %d does not fit the %dx%d input (conv1 needs k1 <= %d)",
                   a->k1, h, w, h < w ? h : w);
  h = (h - a->k1 + 1) / 2;
  w = (w - a->k1 + 1) / 2;
  if (h < 1 || w < 1)
    return ts_fail(err, TS_E_ARG,
                   "k1 = %d leaves conv1 a %dx%d output, too small for the "
                   "2x2 max-pool", a->k1, (a->in_h - a->k1 + 1), (a->in_w - a->k1 + 1));
  if (a->k2 > h || a->k2 > w)
    return ts_fail(err, TS_E_ARG,
                   "k2 = %d does not fit conv2's %dx%d input (after conv1 with "
                   "k1 = %d and pooling); use k2 <= %d", a->k2, h, w, a->k1,
                   h < w ? h : w);
  int h2 = (h - a->k2 + 1) / 2, w2 = (w - a->k2 + 1) / 2;
  if (h2 < 1 || w2 < 1)
    return ts_fail(err, TS_E_ARG,
                   "k2 = %d leaves conv2 a %dx%d output, too small for the "
                   "2x2 max-pool", a->k2, h - a->k2 + 1, w - a->k2 + 1);
  /* Widths are each bounded above, but their products are not: refuse a
   * model whose parameters alone would take gigabytes. */
  const long long params =
      (long long)a->c1 * a->in_c * a->k1 * a->k1 +
      (long long)a->c2 * a->c1 * a->k2 * a->k2 +
      (long long)a->f1 * a->c2 * h2 * w2 + (long long)a->f2 * a->f1 +
      (long long)a->classes * a->f2;
  if (params > TS_MAX_PARAMS)
    return ts_fail(err, TS_E_ARG,
                   "the architecture has %lld weights, more than the %d "
                   "Tessera allows; use fewer channels (--channels)",
                   params, TS_MAX_PARAMS);
  return TS_OK;
}

static void fill_conv(ts_layer_info *l, const char *name, int in_c, int h,
                      int w, int out_c, int k) {
  l->name = name;
  l->kind = TS_LAYER_CONV;
  l->in_c = in_c;
  l->in_h = h;
  l->in_w = w;
  l->out_c = out_c;
  l->out_h = h - k + 1;
  l->out_w = w - k + 1;
  l->k = k;
  l->pooled_h = l->out_h / 2;
  l->pooled_w = l->out_w / 2;
  l->relu = 1;
  l->w_len = (size_t)out_c * in_c * k * k;
  l->b_len = (size_t)out_c;
  l->gemm_m = out_c;
  l->gemm_k = in_c * k * k;
  l->gemm_n = l->out_h * l->out_w;
  l->macs = (long long)l->gemm_m * l->gemm_k * l->gemm_n;
}

static void fill_fc(ts_layer_info *l, const char *name, int in, int out,
                    int relu) {
  memset(l, 0, sizeof *l);
  l->name = name;
  l->kind = TS_LAYER_FC;
  l->in_c = in;
  l->in_h = l->in_w = 1;
  l->out_c = out;
  l->out_h = l->out_w = 1;
  l->k = 1;
  l->pooled_h = l->pooled_w = 1;
  l->relu = relu;
  l->w_len = (size_t)out * in;
  l->b_len = (size_t)out;
  l->gemm_m = out;
  l->gemm_k = in;
  l->gemm_n = 1;
  l->macs = (long long)in * out;
}

ts_status ts_arch_layers(const ts_arch *a, ts_layer_info out[TS_NUM_LAYERS],
                         ts_error *err) {
  ts_status s = ts_arch_validate(a, err);
  if (s) return s;
  memset(out, 0, sizeof(ts_layer_info) * TS_NUM_LAYERS);
  fill_conv(&out[0], "conv1", a->in_c, a->in_h, a->in_w, a->c1, a->k1);
  fill_conv(&out[1], "conv2", a->c1, out[0].pooled_h, out[0].pooled_w, a->c2,
            a->k2);
  int flat = a->c2 * out[1].pooled_h * out[1].pooled_w;
  fill_fc(&out[2], "fc1", flat, a->f1, 1);
  fill_fc(&out[3], "fc2", a->f1, a->f2, 1);
  fill_fc(&out[4], "fc3", a->f2, a->classes, 0);
  size_t off = 0;
  for (int i = 0; i < TS_NUM_LAYERS; i++) {
    out[i].w_off = off;
    off += out[i].w_len;
    out[i].b_off = off;
    off += out[i].b_len;
  }
  return TS_OK;
}

size_t ts_arch_num_params(const ts_arch *a) {
  ts_layer_info l[TS_NUM_LAYERS];
  if (ts_arch_layers(a, l, NULL)) return 0;
  return l[TS_NUM_LAYERS - 1].b_off + l[TS_NUM_LAYERS - 1].b_len;
}

long long ts_arch_macs(const ts_arch *a) {
  ts_layer_info l[TS_NUM_LAYERS];
  if (ts_arch_layers(a, l, NULL)) return 0;
  long long m = 0;
  for (int i = 0; i < TS_NUM_LAYERS; i++) m += l[i].macs;
  return m;
}

ts_status ts_arch_from_ids(const char *id1, const char *id2, int *k1, int *k2,
                           int *epochs, ts_error *err) {
  if (!id1 || !id2 || !*id1 || !*id2)
    return ts_fail(err, TS_E_ARG, "--ids needs two non-empty ID numbers");
  size_t n = strlen(id1);
  if (strlen(id2) != n)
    return ts_fail(err, TS_E_ARG,
                   "IDs '%s' and '%s' have different lengths (%zu and %zu)",
                   id1, id2, n, strlen(id2));
  int maxd = 0, mind = 9, maxprod = 0;
  for (size_t i = 0; i < n; i++) {
    if (id1[i] < '0' || id1[i] > '9' || id2[i] < '0' || id2[i] > '9')
      return ts_fail(err, TS_E_ARG,
                     "IDs must be digits only; '%s,%s' has '%c' at position %zu",
                     id1, id2,
                     (id1[i] < '0' || id1[i] > '9') ? id1[i] : id2[i], i + 1);
    int d1 = id1[i] - '0', d2 = id2[i] - '0';
    if (d1 > maxd) maxd = d1;
    if (d2 < mind) mind = d2;
    if (d1 * d2 > maxprod) maxprod = d1 * d2;
  }
  if (maxd == 0)
    return ts_fail(err, TS_E_ARG,
                   "ID '%s' has only zeros: k1 = max digit = 0 is not a kernel",
                   id1);
  if (mind == 9)
    return ts_fail(err, TS_E_ARG,
                   "ID '%s' has only nines: k2 = 9 - min digit = 0 is not a kernel",
                   id2);
  *k1 = maxd;
  *k2 = 9 - mind;
  *epochs = maxprod > 30 ? maxprod : 30;
  return TS_OK;
}
