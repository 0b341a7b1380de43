/* Post-training quantization of weights: symmetric, uniform, B = 1..16 bits.
 *
 * For a group of weights (the whole tensor, or one output channel = one row
 * of [out][in*k*k]) with m = max|w|:
 *
 *   Delta = 2*m / (2^B - 1)
 *   q     = clamp(round_half_away(w / Delta), -2^(B-1), 2^(B-1) - 1)
 *   w'    = q * Delta          (Delta stored as a float "scale")
 *
 * Exactness: w / Delta is evaluated as w*(2^B-1) / (2*m) in double, which is
 * the exact ratio correctly rounded (w*(2^B-1) fits a double exactly), so a
 * ratio that is mathematically k + 0.5 is seen as a tie and rounded away from
 * zero. The dequantized value is (float)q * scale, so the integer path
 * (codes and scales) and the fake-quantized floats agree bit for bit.
 *
 * What the formula gives (docs/study.md has the details):
 *  - m / Delta = 2^(B-1) - 0.5 is always a tie: -m maps to -2^(B-1), +m
 *    rounds to 2^(B-1) and is clamped to 2^(B-1) - 1. So q(-w) = -q(w) for
 *    every |w| < m, and only w = +m breaks the symmetry.
 *  - B = 1: Delta = 2m, w/Delta lies in [-0.5, 0.5], so q = -1 only for
 *    w = -m (dequantized to -2m) and q = 0 for everything else.
 *  - m = 0 (all-zero group): Delta = 0 and every q = 0; no division.
 *  - Re-quantizing w' recomputes Delta from max|w'| = 2^(B-1)*Delta or
 *    (2^(B-1)-1)*Delta, never m, so the full operator is NOT idempotent;
 *    quantizing w' with the same scale (ts_quant_codes) returns q exactly.
 *
 * Biases are never quantized (they stay FP32). */
#ifndef TS_QUANT_H
#define TS_QUANT_H

#include <stdint.h>
#include <stdio.h>

#include "ts_arch.h"
#include "ts_hw_params.h"
#include "ts_net.h"
#include "ts_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Weight bits the quantizer takes: the accelerator's range, whose widths
 * have one source (ts_hw_params.h). */
#define TS_QUANT_MIN_BITS TS_HW_WBITS_MIN
#define TS_QUANT_MAX_BITS TS_HW_WBITS_MAX

typedef enum ts_quant_scheme {
  TS_QUANT_PER_TENSOR = 0, /* one Delta for the whole tensor */
  TS_QUANT_PER_CHANNEL = 1 /* one Delta per output channel (row) */
} ts_quant_scheme;

/* The project's one rounding rule: nearest integer, ties away from zero
 * (2.5 -> 3, -2.5 -> -3). Saturates outside the int32 range; NaN gives 0. */
int32_t ts_round_half_away(double x);

/* "per-tensor" / "per-channel" (never NULL; "?" for an invalid value). */
const char *ts_quant_scheme_name(ts_quant_scheme s);
/* Parses the names above; the message lists the valid ones. */
ts_status ts_quant_scheme_parse(const char *name, ts_quant_scheme *s,
                                ts_error *err);

/* Number of scales a scheme uses for a [rows][cols] tensor (1 or rows). */
int ts_quant_num_scales(int rows, ts_quant_scheme s);

/* w: [rows][cols] finite floats. q (nullable): [rows][cols] int32 codes.
 * scale (nullable): [rows] (per-channel) or [1] (per-tensor) Deltas.
 * Fails with TS_E_ARG on bits outside 1..16 or bad sizes and with
 * TS_E_NONFINITE naming the first NaN/Inf; nothing is written then. */
ts_status ts_quant_tensor(const float *w, int rows, int cols, int bits,
                          ts_quant_scheme s, int32_t *q, float *scale,
                          ts_error *err);

/* Fake-quantization in place: w <- q * scale. w: [rows][cols]. Leaves w
 * untouched on failure. */
ts_status ts_quant_fake(float *w, int rows, int cols, int bits,
                        ts_quant_scheme s, ts_error *err);

/* Codes of x under GIVEN scales (the integer path, and re-quantizing a
 * dequantized tensor): q = clamp(round_half_away(x / scale), ...), q = 0
 * where scale = 0. x: [rows][cols]; scale: [rows] or [1], finite, >= 0;
 * q: [rows][cols]. */
ts_status ts_quant_codes(const float *x, int rows, int cols, int bits,
                         ts_quant_scheme s, const float *scale, int32_t *q,
                         ts_error *err);

/* w = (float)q * scale. q: [rows][cols]; scale: [rows] or [1]; w:
 * [rows][cols]. */
ts_status ts_quant_dequant(const int32_t *q, int rows, int cols,
                           ts_quant_scheme s, const float *scale, float *w,
                           ts_error *err);

/* Fake-quantizes every layer's weights of a flat parameter array laid out
 * as ts_arch_layers describes (rows = output channels); biases untouched.
 * Every layer is checked before any is changed. params: [num_params]. */
ts_status ts_quant_params(const ts_arch *a, float *params, int bits,
                          ts_quant_scheme s, ts_error *err);

/* ts_quant_params on a network's own parameters. */
ts_status ts_quant_net(ts_net *net, int bits, ts_quant_scheme s,
                       ts_error *err);

/* ---- Storage of a quantized model ------------------------------------- */

/* Storage of the model with B-bit weights. */
typedef struct ts_quant_mem {
  int bits;
  ts_quant_scheme scheme;
  long long weight_bytes[TS_NUM_LAYERS]; /* ceil(w_len * bits / 8) */
  long long scale_bytes[TS_NUM_LAYERS];  /* 4 * (1 or out_c) */
  long long bias_bytes[TS_NUM_LAYERS];   /* 4 * b_len */
  long long model_bytes;    /* sum of the three over the layers */
  long long fp32_bytes;     /* 4 * (weights + biases) */
  double ratio;             /* fp32_bytes / model_bytes */
  long long act_peak_bytes; /* FP32 activations, one image (unchanged) */
} ts_quant_mem;

/* A table of n rows (e.g. 2, 4, 8 bits) with the FP32 model first. */
ts_status ts_quant_mem_print(FILE *f, const ts_quant_mem *m, int n,
                             ts_error *err);
/* The same as CSV (atomic): one row per entry of m plus an "fp32" row. */
ts_status ts_quant_mem_write_csv(const char *path, const ts_quant_mem *m,
                                 int n, ts_error *err);

#ifdef __cplusplus
}
#endif
#endif /* TS_QUANT_H */
