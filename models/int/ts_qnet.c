/* The integer CNN: calibration, layer construction and batched inference
 * (rules in ts_qnet.h and docs/int-arith.md). */
#include "ts_qnet.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct qlayer {
  ts_layer_info info;
  int act_signed;  /* 1 for conv1 (the int8 image), else 0 */
  ts_int_out out;  /* U8 for hidden layers, ACC for fc3 */
  int32_t *w;      /* [m][k] B-bit codes */
  int64_t *bias;   /* [m] accumulator domain */
  int32_t *mult;   /* [m] */
  uint8_t *shift;  /* [m] */
  double *unit;    /* [m] real value of one accumulator unit: Delta_m * s_x */
  int acc32;       /* |bias| + k * max|w| * max|x| < 2^31: int32 kernel */
} qlayer;

struct ts_qnet {
  ts_arch arch;
  int wbits[TS_NUM_LAYERS]; /* weight bits per layer */
  ts_quant_scheme scheme;
  double s_in;                 /* image scale (int8) */
  double s_act[TS_NUM_LAYERS]; /* scale of layer l's input bytes */
  qlayer L[TS_NUM_LAYERS];
};

static size_t img_bytes(const ts_arch *a) {
  return (size_t)a->in_c * a->in_h * a->in_w;
}

void ts_qnet_destroy(ts_qnet *q) {
  if (!q) return;
  for (int l = 0; l < TS_NUM_LAYERS; l++) {
    free(q->L[l].w);
    free(q->L[l].bias);
    free(q->L[l].mult);
    free(q->L[l].shift);
    free(q->L[l].unit);
  }
  free(q);
}

int ts_qnet_wbits(const ts_qnet *q) {
  int b = 0;
  for (int l = 0; l < TS_NUM_LAYERS; l++) b = q->wbits[l] > b ? q->wbits[l] : b;
  return b;
}

int ts_qnet_layer_wbits(const ts_qnet *q, int l) {
  return q && l >= 0 && l < TS_NUM_LAYERS ? q->wbits[l] : -1;
}
ts_quant_scheme ts_qnet_scheme(const ts_qnet *q) { return q->scheme; }
int ts_qnet_classes(const ts_qnet *q) { return q->arch.classes; }
size_t ts_qnet_image_bytes(const ts_qnet *q) { return img_bytes(&q->arch); }

double ts_qnet_act_scale(const ts_qnet *q, int l) {
  if (!q || l < 0 || l >= TS_NUM_LAYERS) return -1;
  return q->s_act[l];
}

static ts_int_gemm layer_desc(const qlayer *L, int n) {
  ts_int_gemm g = {L->info.gemm_m, L->info.gemm_k, n, 0, L->act_signed, L->out,
                   L->w, L->bias, L->mult, L->shift};
  return g;
}

ts_status ts_qnet_layer(const ts_qnet *q, int l, ts_int_gemm *g, ts_error *err) {
  if (!q || !g) return ts_fail(err, TS_E_ARG, "qnet layer: NULL argument");
  if (l < 0 || l >= TS_NUM_LAYERS)
    return ts_fail(err, TS_E_ARG, "qnet layer: index %d outside 0..%d", l,
                   TS_NUM_LAYERS - 1);
  *g = layer_desc(&q->L[l], q->L[l].info.gemm_n);
  g->wbits = q->wbits[l];
  return TS_OK;
}

ts_status ts_qnet_gemm_reference(void *ctx, int layer, const ts_int_gemm *g,
                                 const uint8_t *x, int64_t *y, ts_error *err) {
  (void)ctx;
  (void)layer;
  return ts_int_gemm_run(g, x, y, err);
}

/* The built-in golden kernel: exact integer sums in m-k-n order so the
 * inner loop vectorizes; 32-bit accumulators when the layer's bound fits. */
static ts_status gemm_fast(const qlayer *L, const ts_int_gemm *g,
                           const uint8_t *x, int64_t *y, ts_error *err) {
  const int n = g->n, k = g->k;
  void *buf = malloc((size_t)n * (L->acc32 ? sizeof(int32_t) : sizeof(int64_t)));
  if (!buf) return ts_fail(err, TS_E_NOMEM, "qnet %s: no memory for %d sums",
                           L->info.name, n);
  for (int r = 0; r < g->m; r++) {
    const int32_t *wr = g->w + (size_t)r * k;
    int64_t *yr = y + (size_t)r * n;
    if (L->acc32) {
      int32_t *acc = buf;
      for (int j = 0; j < n; j++) acc[j] = (int32_t)g->bias[r];
      for (int c = 0; c < k; c++) {
        const int32_t wv = wr[c];
        const uint8_t *xr = x + (size_t)c * n;
        if (!wv) continue;
        if (g->act_signed)
          for (int j = 0; j < n; j++) acc[j] += wv * (int32_t)(int8_t)xr[j];
        else
          for (int j = 0; j < n; j++) acc[j] += wv * (int32_t)xr[j];
      }
      for (int j = 0; j < n; j++) yr[j] = acc[j];
    } else {
      int64_t *acc = buf;
      for (int j = 0; j < n; j++) acc[j] = g->bias[r];
      for (int c = 0; c < k; c++) {
        const int64_t wv = wr[c];
        const uint8_t *xr = x + (size_t)c * n;
        if (!wv) continue;
        if (g->act_signed)
          for (int j = 0; j < n; j++) acc[j] += wv * (int8_t)xr[j];
        else
          for (int j = 0; j < n; j++) acc[j] += wv * xr[j];
      }
      memcpy(yr, acc, (size_t)n * sizeof *yr);
    }
    if (g->out != TS_INT_OUT_ACC)
      for (int j = 0; j < n; j++)
        yr[j] = ts_int_requant(yr[j], g->mult[r], g->shift[r], g->out);
  }
  free(buf);
  return TS_OK;
}

/* GEMM input of layer L for n images. act: [n][in_c][in_h][in_w] bytes.
 * Conv: x [K][n * positions], image i's columns at i * positions.
 * FC:   x [K][n], the flattened image i as column i. */
static ts_status gemm_input(const qlayer *L, const uint8_t *act, int n,
                            uint8_t *x, uint8_t *tmp, ts_error *err) {
  const ts_layer_info *I = &L->info;
  const size_t in = (size_t)I->in_c * I->in_h * I->in_w;
  const int K = I->gemm_k;
  if (I->kind == TS_LAYER_FC) {
    for (int i = 0; i < n; i++)
      for (int c = 0; c < K; c++) x[(size_t)c * n + i] = act[(size_t)i * in + c];
    return TS_OK;
  }
  const size_t np = (size_t)I->gemm_n, N = np * (size_t)n;
  for (int i = 0; i < n; i++) {
    ts_status st = ts_int_im2col(act + (size_t)i * in, I->in_c, I->in_h, I->in_w,
                                 I->k, tmp, err);
    if (st) return st;
    for (int c = 0; c < K; c++)
      memcpy(x + (size_t)c * N + (size_t)i * np, tmp + (size_t)c * np, np);
  }
  return TS_OK;
}

/* Next layer's input from layer L's 8-bit outputs y [m][n * positions]:
 * per image [m][oh][ow] bytes, max-pooled for conv. act: [n][...]. */
static ts_status next_act(const qlayer *L, const int64_t *y, int n,
                          uint8_t *act, uint8_t *tmp, ts_error *err) {
  const ts_layer_info *I = &L->info;
  const int M = I->gemm_m;
  const size_t np = (size_t)I->gemm_n, N = np * (size_t)n;
  const int sgn = L->out == TS_INT_OUT_S8;
  for (int i = 0; i < n; i++) {
    for (int m = 0; m < M; m++)
      for (size_t p = 0; p < np; p++)
        tmp[(size_t)m * np + p] = (uint8_t)y[(size_t)m * N + (size_t)i * np + p];
    if (I->kind == TS_LAYER_FC) {
      memcpy(act + (size_t)i * M, tmp, (size_t)M);
    } else {
      const size_t out = (size_t)M * I->pooled_h * I->pooled_w;
      ts_status st = ts_int_maxpool2(tmp, M, I->out_h, I->out_w, sgn,
                                     act + (size_t)i * out, err);
      if (st) return st;
    }
  }
  return TS_OK;
}

/* Scratch for n images: the largest GEMM input / output / activation. */
typedef struct scratch {
  uint8_t *act, *act2, *x, *tmp;
  int64_t *y;
} scratch;

static void scratch_free(scratch *s) {
  free(s->act);
  free(s->act2);
  free(s->x);
  free(s->tmp);
  free(s->y);
}

static ts_status scratch_alloc(const ts_arch *a, const ts_layer_info *info, int n,
                               scratch *s, ts_error *err) {
  size_t act = img_bytes(a), x = 0, y = 0, tmp = 0;
  for (int l = 0; l < TS_NUM_LAYERS; l++) {
    const ts_layer_info *I = &info[l];
    const size_t in = (size_t)I->in_c * I->in_h * I->in_w;
    const size_t out = (size_t)I->gemm_m * I->gemm_n;
    if (in > act) act = in;
    if (out > act) act = out;
    if ((size_t)I->gemm_k * I->gemm_n > x) x = (size_t)I->gemm_k * I->gemm_n;
    if (out > y) y = out;
  }
  tmp = x > act ? x : act;
  memset(s, 0, sizeof *s);
  s->act = malloc(act * n);
  s->act2 = malloc(act * n);
  s->x = malloc(x * n);
  s->tmp = malloc(tmp);
  s->y = malloc(y * n * sizeof(int64_t));
  if (!s->act || !s->act2 || !s->x || !s->tmp || !s->y) {
    scratch_free(s);
    return ts_fail(err, TS_E_NOMEM, "qnet: no memory for %d images' activations", n);
  }
  return TS_OK;
}

static ts_status run_layer(const ts_qnet *q, int l, const ts_int_gemm *g,
                           const uint8_t *x, int64_t *y, ts_qnet_gemm_fn fn,
                           void *ctx, ts_error *err) {
  if (fn) return fn(ctx, l, g, x, y, err);
  return gemm_fast(&q->L[l], g, x, y, err);
}

ts_status ts_qnet_quantize_input(const ts_qnet *q, const float *x, size_t count,
                                 uint8_t *bytes, ts_error *err) {
  if (!q || (!x && count) || (!bytes && count))
    return ts_fail(err, TS_E_ARG, "qnet quantize input: NULL argument");
  for (size_t i = 0; i < count; i++) {
    if (!isfinite(x[i]))
      return ts_fail(err, TS_E_NONFINITE,
                     "qnet quantize input: value %zu (image %zu) is %g", i,
                     i / img_bytes(&q->arch), (double)x[i]);
    int32_t c = ts_round_half_away((double)x[i] / q->s_in);
    if (c < -128) c = -128;
    if (c > 127) c = 127;
    bytes[i] = (uint8_t)(int8_t)c;
  }
  return TS_OK;
}

/* Weight codes, Delta per row, bias in the accumulator domain for layer l
 * given its input scale s_x. */
static ts_status build_weights(ts_qnet *q, const ts_net *net, int l, double s_x,
                               ts_error *err) {
  qlayer *L = &q->L[l];
  const ts_layer_info *I = &L->info;
  const int M = I->gemm_m, K = I->gemm_k;
  const float *p = ts_net_params_const(net);
  float delta[1024];
  if (M > (int)(sizeof delta / sizeof delta[0]))
    return ts_fail(err, TS_E_ARG, "qnet %s: %d output channels, at most %d", I->name,
                   M, (int)(sizeof delta / sizeof delta[0]));
  ts_status st = ts_quant_tensor(p + I->w_off, M, K, q->wbits[l], q->scheme, L->w,
                                 delta, err);
  if (st) return st;
  float dmax = 0;
  const int ns = ts_quant_num_scales(M, q->scheme);
  for (int i = 0; i < ns; i++) dmax = delta[i] > dmax ? delta[i] : dmax;
  const int64_t bb = ts_int_acc_bound(K) / 2;
  int64_t bmax = 0;
  int32_t wmax = 0;
  for (int m = 0; m < M; m++) {
    float d = delta[q->scheme == TS_QUANT_PER_CHANNEL ? m : 0];
    /* An all-zero filter has Delta = 0: its codes are 0 whatever Delta is,
     * so borrow the largest one to give its bias a scale. */
    if (d == 0) d = dmax > 0 ? dmax : 1.0f;
    L->unit[m] = (double)d * s_x;
    const double b = (double)p[I->b_off + m] / L->unit[m];
    if (!(fabs(b) <= (double)bb))
      return ts_fail(err, TS_E_ARG,
                     "qnet %s: bias[%d] = %g is %g accumulator units, beyond the "
                     "bound %lld (K=%d); the weights' scale is too small for it",
                     I->name, m, (double)p[I->b_off + m], b, (long long)bb, K);
    L->bias[m] = ts_round_half_away(b);
    if (llabs(L->bias[m]) > bmax) bmax = llabs(L->bias[m]);
  }
  for (size_t i = 0; i < (size_t)M * K; i++)
    if (abs(L->w[i]) > wmax) wmax = abs(L->w[i]);
  const double bound = (double)bmax + (double)K * wmax * 255.0;
  L->acc32 = bound < 2147483647.0;
  return TS_OK;
}

ts_status ts_qnet_create(const ts_net *net, int wbits, ts_quant_scheme scheme,
                         const float *calib, int ncalib, ts_qnet **out,
                         ts_error *err) {
  int each[TS_NUM_LAYERS];
  for (int l = 0; l < TS_NUM_LAYERS; l++) each[l] = wbits;
  return ts_qnet_create_mixed(net, each, scheme, calib, ncalib, out, err);
}

ts_status ts_qnet_create_mixed(const ts_net *net, const int wbits[TS_NUM_LAYERS],
                               ts_quant_scheme scheme, const float *calib, int ncalib,
                               ts_qnet **out, ts_error *err) {
  if (!out) return ts_fail(err, TS_E_ARG, "qnet create: NULL output");
  *out = NULL;
  if (!net || !calib || !wbits)
    return ts_fail(err, TS_E_ARG, "qnet create: NULL network, bits or images");
  for (int l = 0; l < TS_NUM_LAYERS; l++)
    if (wbits[l] < TS_HW_WBITS_MIN || wbits[l] > TS_HW_WBITS_MAX)
      return ts_fail(err, TS_E_ARG, "qnet create: layer %d's weight bits %d outside %d..%d",
                     l, wbits[l], TS_HW_WBITS_MIN, TS_HW_WBITS_MAX);
  if (scheme != TS_QUANT_PER_TENSOR && scheme != TS_QUANT_PER_CHANNEL)
    return ts_fail(err, TS_E_ARG, "qnet create: unknown scheme %d (per-tensor or per-channel)",
                   (int)scheme);
  if (ncalib < 1)
    return ts_fail(err, TS_E_ARG, "qnet create: %d calibration images (need >= 1)", ncalib);
  ts_qnet *q = calloc(1, sizeof *q);
  if (!q) return ts_fail(err, TS_E_NOMEM, "qnet create: no memory");
  q->arch = *ts_net_arch(net);
  memcpy(q->wbits, wbits, sizeof q->wbits);
  q->scheme = scheme;
  ts_layer_info info[TS_NUM_LAYERS];
  ts_status st = ts_arch_layers(&q->arch, info, err);
  if (st) {
    ts_qnet_destroy(q);
    return st;
  }
  for (int l = 0; l < TS_NUM_LAYERS; l++) {
    qlayer *L = &q->L[l];
    const int M = info[l].gemm_m, K = info[l].gemm_k;
    L->info = info[l];
    L->act_signed = l == 0;
    L->out = l == TS_NUM_LAYERS - 1 ? TS_INT_OUT_ACC : TS_INT_OUT_U8;
    L->w = malloc((size_t)M * K * sizeof *L->w);
    L->bias = malloc((size_t)M * sizeof *L->bias);
    L->mult = malloc((size_t)M * sizeof *L->mult);
    L->shift = malloc((size_t)M);
    L->unit = malloc((size_t)M * sizeof *L->unit);
    if (!L->w || !L->bias || !L->mult || !L->shift || !L->unit) {
      ts_qnet_destroy(q);
      return ts_fail(err, TS_E_NOMEM, "qnet create: no memory for %s", info[l].name);
    }
    for (int m = 0; m < M; m++) L->mult[m] = 1, L->shift[m] = 0;
  }

  /* Input scale: the largest |x| of the calibration images maps to 127. */
  const size_t px = img_bytes(&q->arch), total = px * (size_t)ncalib;
  double xmax = 0;
  for (size_t i = 0; i < total; i++) {
    if (!isfinite(calib[i])) {
      ts_qnet_destroy(q);
      return ts_fail(err, TS_E_NONFINITE,
                     "qnet create: calibration image %zu, value %zu is %g", i / px,
                     i % px, (double)calib[i]);
    }
    if (fabs(calib[i]) > xmax) xmax = fabs(calib[i]);
  }
  q->s_in = xmax > 0 ? xmax / 127.0 : 1.0;
  q->s_act[0] = q->s_in;

  scratch s;
  if ((st = scratch_alloc(&q->arch, info, ncalib, &s, err))) {
    ts_qnet_destroy(q);
    return st;
  }
  if ((st = ts_qnet_quantize_input(q, calib, total, s.act, err))) goto fail;
  /* Layer by layer on the integer path: the accumulators of the calibration
   * images give the real range of the output, which fixes s_y and with it
   * the requantization; then the bytes feed the next layer. */
  for (int l = 0; l < TS_NUM_LAYERS; l++) {
    qlayer *L = &q->L[l];
    const int M = L->info.gemm_m, N = L->info.gemm_n * ncalib;
    const double s_x = q->s_act[l];
    if ((st = build_weights(q, net, l, s_x, err))) goto fail;
    if (L->out == TS_INT_OUT_ACC) break;
    if ((st = gemm_input(L, s.act, ncalib, s.x, s.tmp, err))) goto fail;
    ts_int_gemm g = layer_desc(L, N);
    g.wbits = wbits[l];
    g.out = TS_INT_OUT_ACC;
    if ((st = ts_int_gemm_check(&g, err))) goto fail;
    if ((st = gemm_fast(L, &g, s.x, s.y, err))) goto fail;
    double ymax = 0;
    for (int m = 0; m < M; m++)
      for (int j = 0; j < N; j++) {
        const double v = (double)s.y[(size_t)m * N + j] * L->unit[m];
        if (v > ymax) ymax = v;
      }
    /* Nothing positive (e.g. B = 1: codes -1 and 0): every output is 0 for
     * any scale; one accumulator unit of the coarsest channel per step. */
    if (ymax <= 0) {
      for (int m = 0; m < M; m++) ymax = L->unit[m] > ymax ? L->unit[m] : ymax;
      ymax *= 255.0;
    }
    const double s_y = ymax / 255.0;
    q->s_act[l + 1] = s_y;
    for (int m = 0; m < M; m++) {
      int shift;
      if ((st = ts_int_quantize_multiplier(L->unit[m] / s_y, &L->mult[m], &shift, err))) {
        char msg[sizeof err->msg];
        snprintf(msg, sizeof msg, "%s", err ? err->msg : "");
        st = ts_fail(err, st, "qnet %s (B=%d): channel %d requant scale: %s",
                     L->info.name, wbits[l], m, msg);
        goto fail;
      }
      L->shift[m] = (uint8_t)shift;
      for (int j = 0; j < N; j++) {
        int64_t *v = &s.y[(size_t)m * N + j];
        *v = ts_int_requant(*v, L->mult[m], shift, L->out);
      }
    }
    if ((st = next_act(L, s.y, ncalib, s.act2, s.tmp, err))) goto fail;
    uint8_t *t = s.act;
    s.act = s.act2;
    s.act2 = t;
  }
  for (int l = 0; l < TS_NUM_LAYERS; l++) {
    ts_int_gemm g;
    ts_qnet_layer(q, l, &g, NULL);
    if ((st = ts_int_gemm_check(&g, err))) goto fail;
  }
  scratch_free(&s);
  *out = q;
  return TS_OK;
fail:
  scratch_free(&s);
  ts_qnet_destroy(q);
  return st;
}

ts_status ts_qnet_run(const ts_qnet *q, const uint8_t *img, int n,
                      ts_qnet_gemm_fn gemm, void *ctx, int64_t *logits,
                      ts_error *err) {
  if (!q || !img || !logits) return ts_fail(err, TS_E_ARG, "qnet run: NULL argument");
  if (n < 1) return ts_fail(err, TS_E_ARG, "qnet run: %d images (need >= 1)", n);
  ts_layer_info info[TS_NUM_LAYERS];
  for (int l = 0; l < TS_NUM_LAYERS; l++) info[l] = q->L[l].info;
  scratch s;
  ts_status st = scratch_alloc(&q->arch, info, n, &s, err);
  if (st) return st;
  memcpy(s.act, img, img_bytes(&q->arch) * n);
  for (int l = 0; l < TS_NUM_LAYERS; l++) {
    const qlayer *L = &q->L[l];
    const int N = L->info.gemm_n * n;
    if ((st = gemm_input(L, s.act, n, s.x, s.tmp, err))) break;
    ts_int_gemm g = layer_desc(L, N);
    g.wbits = q->wbits[l];
    if ((st = run_layer(q, l, &g, s.x, s.y, gemm, ctx, err))) break;
    if (L->out == TS_INT_OUT_ACC) {
      const int C = q->arch.classes;
      for (int i = 0; i < n; i++)
        for (int c = 0; c < C; c++) logits[(size_t)i * C + c] = s.y[(size_t)c * n + i];
      break;
    }
    if ((st = next_act(L, s.y, n, s.act2, s.tmp, err))) break;
    uint8_t *t = s.act;
    s.act = s.act2;
    s.act2 = t;
  }
  scratch_free(&s);
  return st;
}

void ts_qnet_predict(const ts_qnet *q, const int64_t *acc, int n, int *pred) {
  const qlayer *L = &q->L[TS_NUM_LAYERS - 1];
  const int C = q->arch.classes;
  for (int i = 0; i < n; i++) {
    int best = 0;
    double bv = (double)acc[(size_t)i * C] * L->unit[0];
    for (int c = 1; c < C; c++) {
      const double v = (double)acc[(size_t)i * C + c] * L->unit[c];
      if (v > bv) bv = v, best = c;
    }
    pred[i] = best;
  }
}
