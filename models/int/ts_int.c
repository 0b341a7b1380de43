/* C golden model of the integer contract (ts_int.h, docs/int-arith.md).
 * Written to be read, not to be fast: the RTL is checked against it. */
#include "ts_int.h"

#include <math.h>

#include "ts_quant.h"

int64_t ts_int_acc_bound(int k) {
  /* |dot| <= k * 2^(Bmax-1) * (2^A - 1); the bias may add as much again. */
  return 2 * (int64_t)k * ((int64_t)1 << (TS_HW_WBITS_MAX - 1)) *
         (((int64_t)1 << TS_HW_ABITS) - 1);
}

int ts_int_acc_bits(int k, int wbits) {
  if (k < 1 || wbits < 1 || wbits > 62) return 0;
  /* Worst magnitude of bias + dot for this B: 2 * k * 2^(B-1) * 255. */
  uint64_t bound = 2 * (uint64_t)k * ((uint64_t)1 << (wbits - 1)) *
                   (((uint64_t)1 << TS_HW_ABITS) - 1);
  int bits = 1; /* sign */
  while (bits < 64 && (bound >> (bits - 1)) != 0) bits++;
  return bits;
}

static int wmin(int b) { return -(1 << (b - 1)); }
static int wmax(int b) { return (1 << (b - 1)) - 1; }

ts_status ts_int_gemm_check(const ts_int_gemm *g, ts_error *err) {
  if (!g) return ts_fail(err, TS_E_ARG, "int gemm: descriptor is NULL");
  if (g->m < 1 || g->k < 1 || g->n < 1)
    return ts_fail(err, TS_E_ARG,
                   "int gemm: sizes m=%d k=%d n=%d must all be >= 1", g->m,
                   g->k, g->n);
  if (g->k > TS_HW_K_MAX)
    return ts_fail(err, TS_E_ARG,
                   "int gemm: k=%d exceeds TS_HW_K_MAX=%d (the accumulator is "
                   "sized for it; split the dot product or raise "
                   "TS_HW_LOG2_K_MAX)",
                   g->k, TS_HW_K_MAX);
  if (g->wbits < TS_HW_WBITS_MIN || g->wbits > TS_HW_WBITS_MAX)
    return ts_fail(err, TS_E_ARG, "int gemm: wbits=%d outside %d..%d",
                   g->wbits, TS_HW_WBITS_MIN, TS_HW_WBITS_MAX);
  if (g->act_signed != 0 && g->act_signed != 1)
    return ts_fail(err, TS_E_ARG, "int gemm: act_signed=%d must be 0 or 1",
                   g->act_signed);
  if (g->out != TS_INT_OUT_ACC && g->out != TS_INT_OUT_U8 &&
      g->out != TS_INT_OUT_S8)
    return ts_fail(err, TS_E_ARG, "int gemm: output mode %d unknown",
                   (int)g->out);
  if (!g->w) return ts_fail(err, TS_E_ARG, "int gemm: weights are NULL");
  const int lo = wmin(g->wbits), hi = wmax(g->wbits);
  for (long long i = 0; i < (long long)g->m * g->k; i++) {
    if (g->w[i] < lo || g->w[i] > hi)
      return ts_fail(err, TS_E_ARG,
                     "int gemm: weight code w[%lld][%lld]=%d outside the "
                     "%d-bit range %d..%d",
                     i / g->k, i % g->k, (int)g->w[i], g->wbits, lo, hi);
  }
  const int64_t bb = ts_int_acc_bound(g->k) / 2;
  for (int r = 0; g->bias && r < g->m; r++) {
    if (g->bias[r] < -bb || g->bias[r] > bb)
      return ts_fail(err, TS_E_ARG,
                     "int gemm: bias[%d]=%lld exceeds the accumulator bound "
                     "+-%lld for k=%d (larger would saturate every output)",
                     r, (long long)g->bias[r], (long long)bb, g->k);
  }
  if (g->out != TS_INT_OUT_ACC) {
    if (!g->mult || !g->shift)
      return ts_fail(err, TS_E_ARG,
                     "int gemm: requantized output needs mult and shift");
    for (int r = 0; r < g->m; r++) {
      if (g->mult[r] < 1 || g->mult[r] > TS_HW_MULT_MAX)
        return ts_fail(err, TS_E_ARG, "int gemm: mult[%d]=%d outside 1..%d",
                       r, (int)g->mult[r], TS_HW_MULT_MAX);
      if (g->shift[r] > TS_HW_SHIFT_MAX)
        return ts_fail(err, TS_E_ARG, "int gemm: shift[%d]=%d outside 0..%d",
                       r, (int)g->shift[r], TS_HW_SHIFT_MAX);
    }
  }
  return TS_OK;
}

int64_t ts_int_rshift_round(int64_t x, int s) {
  if (s <= 0) return x;
  /* Round the magnitude half up, then restore the sign: ties away from 0. */
  uint64_t mag = x < 0 ? (uint64_t)0 - (uint64_t)x : (uint64_t)x;
  mag = (mag + ((uint64_t)1 << (s - 1))) >> s;
  return x < 0 ? -(int64_t)mag : (int64_t)mag;
}

int64_t ts_int_requant(int64_t acc, int32_t mult, int shift, ts_int_out out) {
  if (out == TS_INT_OUT_ACC) return acc;
  int64_t y = ts_int_rshift_round(acc * (int64_t)mult, shift);
  const int64_t lo = out == TS_INT_OUT_U8 ? 0 : -128;
  const int64_t hi = out == TS_INT_OUT_U8 ? 255 : 127;
  return y < lo ? lo : y > hi ? hi : y;
}

static int64_t act_value(uint8_t b, int is_signed) {
  return is_signed ? (int64_t)(int8_t)b : (int64_t)b;
}

ts_status ts_int_gemm_run(const ts_int_gemm *g, const uint8_t *x, int64_t *y,
                          ts_error *err) {
  ts_status st = ts_int_gemm_check(g, err);
  if (st != TS_OK) return st;
  if (!x || !y)
    return ts_fail(err, TS_E_ARG, "int gemm: activation or output is NULL");
  for (int r = 0; r < g->m; r++) {
    for (int c = 0; c < g->n; c++) {
      int64_t acc = g->bias ? g->bias[r] : 0;
      for (int j = 0; j < g->k; j++)
        acc += (int64_t)g->w[(size_t)r * g->k + j] *
               act_value(x[(size_t)j * g->n + c], g->act_signed);
      y[(size_t)r * g->n + c] =
          g->out == TS_INT_OUT_ACC
              ? acc
              : ts_int_requant(acc, g->mult[r], g->shift[r], g->out);
    }
  }
  return TS_OK;
}

ts_status ts_int_quantize_multiplier(double scale, int32_t *mult, int *shift,
                                     ts_error *err) {
  if (!mult || !shift)
    return ts_fail(err, TS_E_ARG, "quantize multiplier: NULL output");
  if (!isfinite(scale))
    return ts_fail(err, TS_E_NONFINITE,
                   "quantize multiplier: scale %g is not finite", scale);
  if (scale <= 0)
    return ts_fail(err, TS_E_ARG,
                   "quantize multiplier: scale %g must be > 0", scale);
  int e;
  const double f = frexp(scale, &e); /* scale = f * 2^e, f in [0.5, 1) */
  const int frac = TS_HW_MULT_BITS - 1;  /* significant bits of mult */
  int32_t q = ts_round_half_away(ldexp(f, frac));
  int s = frac - e;
  if (q > TS_HW_MULT_MAX) { /* f rounded up to 1.0 */
    q /= 2;
    s -= 1;
  }
  if (s < 0)
    return ts_fail(err, TS_E_ARG,
                   "quantize multiplier: scale %g too large (max %d)", scale,
                   TS_HW_MULT_MAX);
  if (s > TS_HW_SHIFT_MAX)
    return ts_fail(err, TS_E_ARG,
                   "quantize multiplier: scale %g too small (shift %d > %d)",
                   scale, s, TS_HW_SHIFT_MAX);
  *mult = q;
  *shift = s;
  return TS_OK;
}

ts_status ts_int_pack_weights(const int32_t *w, int m, int k, int wbits,
                              uint64_t *words, size_t cap, ts_error *err) {
  if (!w || !words) return ts_fail(err, TS_E_ARG, "pack weights: NULL array");
  if (m < 1 || k < 1)
    return ts_fail(err, TS_E_ARG, "pack weights: m=%d k=%d must be >= 1", m, k);
  if (wbits < TS_HW_WBITS_MIN || wbits > TS_HW_WBITS_MAX)
    return ts_fail(err, TS_E_ARG, "pack weights: wbits=%d outside %d..%d",
                   wbits, TS_HW_WBITS_MIN, TS_HW_WBITS_MAX);
  const int wpw = ts_hw_weights_per_word(wbits);
  const size_t wpr = (size_t)ts_hw_words_per_row(k, wbits);
  if ((size_t)m * wpr > cap)
    return ts_fail(err, TS_E_ARG,
                   "pack weights: %d rows x %zu words need %zu words, have %zu",
                   m, wpr, (size_t)m * wpr, cap);
  const uint64_t mask = wbits == 64 ? ~0ull : ((uint64_t)1 << wbits) - 1;
  for (int r = 0; r < m; r++) {
    for (size_t i = 0; i < wpr; i++) words[r * wpr + i] = 0;
    for (int j = 0; j < k; j++) {
      int32_t v = w[(size_t)r * k + j];
      if (v < wmin(wbits) || v > wmax(wbits))
        return ts_fail(err, TS_E_ARG,
                       "pack weights: w[%d][%d]=%d outside the %d-bit range",
                       r, j, (int)v, wbits);
      words[r * wpr + j / wpw] |= ((uint64_t)(uint32_t)v & mask)
                                  << ((j % wpw) * wbits);
    }
  }
  return TS_OK;
}

int32_t ts_int_unpack_weight(const uint64_t *words, int k, int wbits, int r,
                             int j) {
  const int wpw = ts_hw_weights_per_word(wbits);
  const size_t wpr = (size_t)ts_hw_words_per_row(k, wbits);
  uint64_t field = (words[r * wpr + j / wpw] >> ((j % wpw) * wbits)) &
                   (((uint64_t)1 << wbits) - 1);
  /* Sign-extend from bit B-1. */
  return (int32_t)((int64_t)(field ^ ((uint64_t)1 << (wbits - 1))) -
                   ((int64_t)1 << (wbits - 1)));
}

ts_status ts_int_im2col(const uint8_t *x, int c, int h, int w, int k,
                        uint8_t *cols, ts_error *err) {
  if (!x || !cols) return ts_fail(err, TS_E_ARG, "im2col: NULL array");
  if (c < 1 || h < 1 || w < 1 || k < 1 || k > h || k > w)
    return ts_fail(err, TS_E_ARG,
                   "im2col: input %dx%dx%d with kernel %d (need 1 <= k <= h, w)",
                   c, h, w, k);
  const int oh = h - k + 1, ow = w - k + 1;
  const size_t npix = (size_t)oh * ow;
  for (int ci = 0; ci < c; ci++)
    for (int ky = 0; ky < k; ky++)
      for (int kx = 0; kx < k; kx++) {
        uint8_t *row = cols + ((size_t)(ci * k + ky) * k + kx) * npix;
        for (int oy = 0; oy < oh; oy++)
          for (int ox = 0; ox < ow; ox++)
            row[(size_t)oy * ow + ox] =
                x[((size_t)ci * h + oy + ky) * w + ox + kx];
      }
  return TS_OK;
}

ts_status ts_int_maxpool2(const uint8_t *x, int c, int h, int w, int is_signed,
                          uint8_t *y, ts_error *err) {
  if (!x || !y) return ts_fail(err, TS_E_ARG, "maxpool: NULL array");
  if (c < 1 || h < 2 || w < 2)
    return ts_fail(err, TS_E_ARG, "maxpool: input %dx%dx%d smaller than 2x2",
                   c, h, w);
  const int ph = h / 2, pw = w / 2;
  for (int ci = 0; ci < c; ci++)
    for (int py = 0; py < ph; py++)
      for (int px = 0; px < pw; px++) {
        int64_t best = INT64_MIN;
        uint8_t arg = 0;
        for (int dy = 0; dy < 2; dy++)
          for (int dx = 0; dx < 2; dx++) {
            uint8_t b = x[((size_t)ci * h + 2 * py + dy) * w + 2 * px + dx];
            if (act_value(b, is_signed) > best) {
              best = act_value(b, is_signed);
              arg = b;
            }
          }
        y[((size_t)ci * ph + py) * pw + px] = arg;
      }
  return TS_OK;
}

ts_status ts_int_to_bytes(const int64_t *y, size_t n, ts_int_out out,
                          uint8_t *bytes, ts_error *err) {
  if (!y || !bytes) return ts_fail(err, TS_E_ARG, "to bytes: NULL array");
  if (out == TS_INT_OUT_ACC)
    return ts_fail(err, TS_E_ARG,
                   "to bytes: accumulator outputs are not 8-bit; requantize "
                   "(U8/S8) first");
  const int64_t lo = out == TS_INT_OUT_U8 ? 0 : -128;
  const int64_t hi = out == TS_INT_OUT_U8 ? 255 : 127;
  for (size_t i = 0; i < n; i++) {
    if (y[i] < lo || y[i] > hi)
      return ts_fail(err, TS_E_ARG, "to bytes: y[%zu]=%lld outside %lld..%lld",
                     i, (long long)y[i], (long long)lo, (long long)hi);
    bytes[i] = (uint8_t)((uint64_t)y[i] & 0xffu); /* two's complement byte */
  }
  return TS_OK;
}
