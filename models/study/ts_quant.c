#include "ts_quant.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "ts_atomic.h"
#include "ts_fmt.h"

int32_t ts_round_half_away(double x) {
  if (isnan(x)) return 0;
  /* round() is exactly "half away from zero" in C, whatever the FP mode */
  double r = round(x);
  if (r >= 2147483647.0) return INT32_MAX;
  if (r <= -2147483648.0) return INT32_MIN;
  return (int32_t)r;
}

const char *ts_quant_scheme_name(ts_quant_scheme s) {
  switch (s) {
    case TS_QUANT_PER_TENSOR: return "per-tensor";
    case TS_QUANT_PER_CHANNEL: return "per-channel";
  }
  return "?";
}

ts_status ts_quant_scheme_parse(const char *name, ts_quant_scheme *s,
                                ts_error *err) {
  if (!s) return ts_fail(err, TS_E_ARG, "quantization scheme output is NULL");
  if (name && strcmp(name, "per-tensor") == 0) {
    *s = TS_QUANT_PER_TENSOR;
    return TS_OK;
  }
  if (name && strcmp(name, "per-channel") == 0) {
    *s = TS_QUANT_PER_CHANNEL;
    return TS_OK;
  }
  return ts_fail(err, TS_E_ARG,
                 "unknown quantization scheme '%s'; use per-tensor or "
                 "per-channel", name ? name : "(null)");
}

int ts_quant_num_scales(int rows, ts_quant_scheme s) {
  return s == TS_QUANT_PER_CHANNEL ? rows : 1;
}

/* Shared argument checks; `what` names the tensor in messages. */
static ts_status check_args(const char *what, const void *w, int rows,
                            int cols, int bits, ts_quant_scheme s,
                            ts_error *err) {
  if (!w) return ts_fail(err, TS_E_ARG, "%s: tensor is NULL", what);
  if (rows < 1 || cols < 1)
    return ts_fail(err, TS_E_ARG, "%s: shape [%d][%d] is empty or negative",
                   what, rows, cols);
  if (bits < TS_QUANT_MIN_BITS || bits > TS_QUANT_MAX_BITS)
    return ts_fail(err, TS_E_ARG,
                   "%s: bits = %d is out of range; use %d..%d", what, bits,
                   TS_QUANT_MIN_BITS, TS_QUANT_MAX_BITS);
  if (s != TS_QUANT_PER_TENSOR && s != TS_QUANT_PER_CHANNEL)
    return ts_fail(err, TS_E_ARG,
                   "%s: quantization scheme %d is neither per-tensor (0) nor "
                   "per-channel (1)", what, (int)s);
  return TS_OK;
}

static ts_status check_finite(const char *what, const float *w, int rows,
                              int cols, ts_error *err) {
  const size_t n = (size_t)rows * (size_t)cols;
  for (size_t i = 0; i < n; i++)
    if (!isfinite(w[i]))
      return ts_fail(err, TS_E_NONFINITE,
                     "%s: weight [%zu][%zu] is %f; quantization needs finite "
                     "weights (was the model trained with a diverging "
                     "learning rate?)", what, i / (size_t)cols,
                     i % (size_t)cols, (double)w[i]);
  return TS_OK;
}

/* Quantizes one group of n weights (a row or the whole tensor). Writes
 * the codes to q and/or the dequantized values to deq (either nullable;
 * deq may alias w) and returns the scale. */
static float quant_group(const float *w, size_t n, int bits, int32_t *q,
                         float *deq) {
  const int32_t lo = -(INT32_C(1) << (bits - 1));
  const int32_t hi = (INT32_C(1) << (bits - 1)) - 1;
  const double levels = (double)((INT32_C(1) << bits) - 1); /* 2^B - 1 */
  float m = 0.0f;
  for (size_t i = 0; i < n; i++) {
    float a = fabsf(w[i]);
    if (a > m) m = a;
  }
  if (m == 0.0f) { /* Delta = 0: every code is 0, no division */
    for (size_t i = 0; i < n; i++) {
      if (q) q[i] = 0;
      if (deq) deq[i] = 0.0f;
    }
    return 0.0f;
  }
  const double two_m = 2.0 * (double)m;
  const float scale = (float)(two_m / levels);
  for (size_t i = 0; i < n; i++) {
    /* w / Delta = w*(2^B-1) / (2m): the product is exact in double, so the
     * quotient is the exact ratio correctly rounded and ties stay ties */
    int32_t c = ts_round_half_away((double)w[i] * levels / two_m);
    if (c > hi) c = hi;
    if (c < lo) c = lo;
    if (q) q[i] = c;
    if (deq) deq[i] = (float)c * scale;
  }
  return scale;
}

/* Runs quant_group over the groups of a scheme; w is read before deq
 * (which may alias it) is written within each group. */
static void quant_all(const float *w, int rows, int cols, int bits,
                      ts_quant_scheme s, int32_t *q, float *scale,
                      float *deq) {
  const size_t c = (size_t)cols;
  if (s == TS_QUANT_PER_TENSOR) {
    float d = quant_group(w, (size_t)rows * c, bits, q, deq);
    if (scale) scale[0] = d;
    return;
  }
  for (int r = 0; r < rows; r++) {
    const size_t o = (size_t)r * c;
    float d = quant_group(w + o, c, bits, q ? q + o : NULL,
                          deq ? deq + o : NULL);
    if (scale) scale[r] = d;
  }
}

ts_status ts_quant_tensor(const float *w, int rows, int cols, int bits,
                          ts_quant_scheme s, int32_t *q, float *scale,
                          ts_error *err) {
  ts_status st = check_args("quantize", w, rows, cols, bits, s, err);
  if (st) return st;
  if ((st = check_finite("quantize", w, rows, cols, err))) return st;
  quant_all(w, rows, cols, bits, s, q, scale, NULL);
  return TS_OK;
}

ts_status ts_quant_fake(float *w, int rows, int cols, int bits,
                        ts_quant_scheme s, ts_error *err) {
  ts_status st = check_args("fake-quantize", w, rows, cols, bits, s, err);
  if (st) return st;
  if ((st = check_finite("fake-quantize", w, rows, cols, err))) return st;
  quant_all(w, rows, cols, bits, s, NULL, NULL, w);
  return TS_OK;
}

static ts_status check_scales(const char *what, const float *scale, int rows,
                              ts_quant_scheme s, ts_error *err) {
  if (!scale) return ts_fail(err, TS_E_ARG, "%s: scale array is NULL", what);
  const int ns = ts_quant_num_scales(rows, s);
  for (int i = 0; i < ns; i++)
    if (!isfinite(scale[i]) || scale[i] < 0.0f)
      return ts_fail(err, TS_E_ARG,
                     "%s: scale[%d] = %g; scales must be finite and >= 0",
                     what, i, (double)scale[i]);
  return TS_OK;
}

ts_status ts_quant_codes(const float *x, int rows, int cols, int bits,
                         ts_quant_scheme s, const float *scale, int32_t *q,
                         ts_error *err) {
  ts_status st = check_args("quantize with scales", x, rows, cols, bits, s,
                            err);
  if (st) return st;
  if (!q) return ts_fail(err, TS_E_ARG, "quantize with scales: q is NULL");
  if ((st = check_scales("quantize with scales", scale, rows, s, err)) ||
      (st = check_finite("quantize with scales", x, rows, cols, err)))
    return st;
  const int32_t lo = -(INT32_C(1) << (bits - 1));
  const int32_t hi = (INT32_C(1) << (bits - 1)) - 1;
  for (int r = 0; r < rows; r++) {
    const double d = scale[s == TS_QUANT_PER_CHANNEL ? r : 0];
    for (int c = 0; c < cols; c++) {
      const size_t i = (size_t)r * (size_t)cols + (size_t)c;
      int32_t v = d > 0.0 ? ts_round_half_away((double)x[i] / d) : 0;
      q[i] = v > hi ? hi : v < lo ? lo : v;
    }
  }
  return TS_OK;
}

ts_status ts_quant_dequant(const int32_t *q, int rows, int cols,
                           ts_quant_scheme s, const float *scale, float *w,
                           ts_error *err) {
  if (!q || !w)
    return ts_fail(err, TS_E_ARG, "dequantize: codes or output is NULL");
  if (rows < 1 || cols < 1)
    return ts_fail(err, TS_E_ARG,
                   "dequantize: shape [%d][%d] is empty or negative", rows,
                   cols);
  if (s != TS_QUANT_PER_TENSOR && s != TS_QUANT_PER_CHANNEL)
    return ts_fail(err, TS_E_ARG, "dequantize: unknown scheme %d", (int)s);
  ts_status st = check_scales("dequantize", scale, rows, s, err);
  if (st) return st;
  for (int r = 0; r < rows; r++) {
    const float d = scale[s == TS_QUANT_PER_CHANNEL ? r : 0];
    for (int c = 0; c < cols; c++) {
      const size_t i = (size_t)r * (size_t)cols + (size_t)c;
      w[i] = (float)q[i] * d;
    }
  }
  return TS_OK;
}

ts_status ts_quant_params(const ts_arch *a, float *params, int bits,
                          ts_quant_scheme s, ts_error *err) {
  ts_layer_info L[TS_NUM_LAYERS];
  ts_status st = ts_arch_layers(a, L, err);
  if (st) return st;
  if (!params) return ts_fail(err, TS_E_ARG, "quantize model: params is NULL");
  /* check everything first so that a failure leaves the model unchanged */
  for (int i = 0; i < TS_NUM_LAYERS; i++) {
    const int rows = L[i].out_c, cols = (int)(L[i].w_len / (size_t)rows);
    char what[48];
    snprintf(what, sizeof what, "layer %s", L[i].name);
    if ((st = check_args(what, params + L[i].w_off, rows, cols, bits, s, err)) ||
        (st = check_finite(what, params + L[i].w_off, rows, cols, err)))
      return st;
  }
  for (int i = 0; i < TS_NUM_LAYERS; i++) {
    const int rows = L[i].out_c, cols = (int)(L[i].w_len / (size_t)rows);
    float *w = params + L[i].w_off;
    quant_all(w, rows, cols, bits, s, NULL, NULL, w);
  }
  return TS_OK;
}

ts_status ts_quant_net(ts_net *net, int bits, ts_quant_scheme s,
                       ts_error *err) {
  if (!net) return ts_fail(err, TS_E_ARG, "quantize model: network is NULL");
  return ts_quant_params(ts_net_arch(net), ts_net_params(net), bits, s, err);
}

/* ---- Storage of a quantized model ------------------------------------- */

#define F32 4LL /* bytes of an FP32 scale or bias */

static ts_status io_check(FILE *f, const char *what, ts_error *err) {
  if (ferror(f))
    return ts_fail(err, TS_E_IO, "%s: write failed: %s", what, strerror(errno));
  return TS_OK;
}

static ts_status check_qm(const ts_quant_mem *m, int n, ts_error *err) {
  if (!m || n < 1)
    return ts_fail(err, TS_E_ARG, "quantized memory table: %d rows given; "
                   "need at least one", m ? n : 0);
  return TS_OK;
}

static void qm_sum(const ts_quant_mem *m, long long *w, long long *s,
                   long long *b) {
  *w = *s = *b = 0;
  for (int i = 0; i < TS_NUM_LAYERS; i++) {
    *w += m->weight_bytes[i];
    *s += m->scale_bytes[i];
    *b += m->bias_bytes[i];
  }
}

ts_status ts_quant_mem_print(FILE *f, const ts_quant_mem *m, int n,
                             ts_error *err) {
  ts_status st = check_qm(m, n, err);
  if (st) return st;
  if (!f) return ts_fail(err, TS_E_ARG, "quantized memory table: FILE is NULL");
  char b1[TS_FMT_LEN], b2[TS_FMT_LEN], b3[TS_FMT_LEN], b4[TS_FMT_LEN], b5[TS_FMT_LEN];
  fprintf(f, "Model storage (bytes): packed weights ceil(n*B/8) per layer + "
          "FP32 scales + FP32 biases; activations stay FP32\n");
  fprintf(f, "%-7s %-11s %11s %8s %8s %11s %7s %14s\n", "weights", "scheme",
          "weights", "scales", "biases", "model", "vs FP32",
          "peak act/img");
  long long w, s, b;
  qm_sum(&m[0], &w, &s, &b);
  fprintf(f, "%-7s %-11s %11s %8s %8s %11s %7s %14s\n", "FP32", "-",
          ts_fmt_thousands(b1, m[0].fp32_bytes - b), "0", ts_fmt_thousands(b2, b),
          ts_fmt_thousands(b3, m[0].fp32_bytes), "1.00x",
          ts_fmt_thousands(b4, m[0].act_peak_bytes));
  for (int i = 0; i < n; i++) {
    qm_sum(&m[i], &w, &s, &b);
    char bits[16], ratio[16];
    snprintf(bits, sizeof bits, "%d-bit", m[i].bits);
    snprintf(ratio, sizeof ratio, "%.2fx", m[i].ratio);
    fprintf(f, "%-7s %-11s %11s %8s %8s %11s %7s %14s\n", bits,
            ts_quant_scheme_name(m[i].scheme), ts_fmt_thousands(b1, w),
            ts_fmt_thousands(b2, s), ts_fmt_thousands(b3, b),
            ts_fmt_thousands(b4, m[i].model_bytes), ratio,
            ts_fmt_thousands(b5, m[i].act_peak_bytes));
  }
  return io_check(f, "quantized memory table", err);
}

typedef struct qm_ctx {
  const ts_quant_mem *m;
  int n;
} qm_ctx;

static ts_status qm_csv(FILE *f, void *ctx, ts_error *err) {
  const qm_ctx *c = ctx;
  long long w, s, b;
  fprintf(f, "bits,scheme,weight_bytes,scale_bytes,bias_bytes,model_bytes,"
          "fp32_bytes,compression,act_peak_bytes\n");
  qm_sum(&c->m[0], &w, &s, &b);
  fprintf(f, "32,fp32,%lld,0,%lld,%lld,%lld,1.0000,%lld\n",
          c->m[0].fp32_bytes - b, b, c->m[0].fp32_bytes, c->m[0].fp32_bytes,
          c->m[0].act_peak_bytes);
  for (int i = 0; i < c->n; i++) {
    const ts_quant_mem *m = &c->m[i];
    qm_sum(m, &w, &s, &b);
    fprintf(f, "%d,%s,%lld,%lld,%lld,%lld,%lld,%.4f,%lld\n", m->bits,
            ts_quant_scheme_name(m->scheme), w, s, b, m->model_bytes,
            m->fp32_bytes, m->ratio, m->act_peak_bytes);
  }
  return io_check(f, "quantized memory CSV", err);
}

ts_status ts_quant_mem_write_csv(const char *path, const ts_quant_mem *m,
                                 int n, ts_error *err) {
  ts_status st = check_qm(m, n, err);
  if (st) return st;
  qm_ctx c = {m, n};
  return ts_atomic_write(path, qm_csv, &c, err);
}
