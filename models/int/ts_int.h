/* The integer contract and its C golden model (docs/int-arith.md).
 *
 * One layer is a GEMM  Y[m][n] = requant(bias[m] + sum_k W[m][k] * X[k][n]):
 *   W  signed B-bit codes (B = 1..16), as ts_quant_tensor produces them:
 *      -2^(B-1) .. 2^(B-1)-1
 *   X  8-bit activations, unsigned (0..255, every ReLU output) or signed
 *      (-128..127, the zero-centred input image), passed as raw bytes
 *   bias  in the accumulator domain (scale s_w * s_x), |bias| <= the
 *      largest dot product the hardware supports
 *   acc   exact, TS_HW_ACC_BITS signed bits (never overflows, by derivation)
 *   requant  y = round_half_away(acc * mult / 2^shift), then saturate to
 *      0..255 (U8: saturating at 0 is the ReLU) or -128..127 (S8); the ACC
 *      mode returns acc itself (logits).
 * Convolutions are im2col + GEMM; 2x2 max-pool runs on the 8-bit outputs
 * (requant is monotone, so pooling after it equals pooling before it).
 * The RTL (rtl/) must match ts_int_gemm_run bit for bit. */
#ifndef TS_INT_H
#define TS_INT_H

#include <stddef.h>
#include <stdint.h>

#include "ts_hw_params.h"
#include "ts_status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ts_int_out {
  TS_INT_OUT_ACC = 0, /* raw accumulator + bias (the last layer's logits) */
  TS_INT_OUT_U8 = 1,  /* requantized, saturated to 0..255 (includes ReLU) */
  TS_INT_OUT_S8 = 2   /* requantized, saturated to -128..127 */
} ts_int_out;

/* One integer GEMM layer. Pointers are borrowed. */
typedef struct ts_int_gemm {
  int m, k, n;          /* Y[m][n] = W[m][k] X[k][n] */
  int wbits;            /* B, TS_HW_WBITS_MIN..TS_HW_WBITS_MAX */
  int act_signed;       /* 0: X bytes are uint8; 1: X bytes are int8 */
  ts_int_out out;
  const int32_t *w;     /* [m][k] codes in -2^(B-1) .. 2^(B-1)-1 */
  const int64_t *bias;  /* [m] accumulator-domain bias, or NULL for 0 */
  const int32_t *mult;  /* [m] 1..TS_HW_MULT_MAX (unused for ACC; may be NULL then) */
  const uint8_t *shift; /* [m] 0..TS_HW_SHIFT_MAX (unused for ACC) */
} ts_int_gemm;

/* Largest |bias + dot| the contract allows for a k-long dot product:
 * k * 2^(B_max-1) * (2^A - 1), doubled for the bias. */
int64_t ts_int_acc_bound(int k);

/* Signed bits an accumulator needs for k products of B-bit weights and
 * 8-bit activations plus a bias of the same bound (the derivation in
 * ts_hw_params.h, evaluated for this k and B). */
int ts_int_acc_bits(int k, int wbits);

/* Checks sizes, B, every code against B, bias bound, mult/shift ranges; the
 * message names the field, the index and the value. */
ts_status ts_int_gemm_check(const ts_int_gemm *g, ts_error *err);

/* Golden GEMM. x: [k][n] bytes; y: [m][n] (ACC: accumulator, else the
 * saturated 8-bit value as an integer). Checks g first. */
ts_status ts_int_gemm_run(const ts_int_gemm *g, const uint8_t *x, int64_t *y,
                          ts_error *err);

/* x / 2^s rounded to nearest, ties away from zero (the project's one
 * rounding rule, as ts_round_half_away). s in 0..63, |x| < 2^62. */
int64_t ts_int_rshift_round(int64_t x, int s);

/* Requantizes one accumulator (bias already added) for mode out. */
int64_t ts_int_requant(int64_t acc, int32_t mult, int shift, ts_int_out out);

/* Fixed-point form of a positive real scale: scale ~= mult / 2^shift with
 * mult normalised to 2^(MULT_BITS-2) .. TS_HW_MULT_MAX (15 significant bits)
 * and rounded half away from zero. Fails (TS_E_ARG / TS_E_NONFINITE) on a
 * scale <= 0, NaN/Inf, or one outside what mult/shift can express. */
ts_status ts_int_quantize_multiplier(double scale, int32_t *mult, int *shift,
                                     ts_error *err);

/* Packs W[m][k] codes at B bits: row r starts at word r * words_per_row
 * (ts_hw_words_per_row), weight j of a row sits in word j / wpw at bits
 * (j % wpw) * B (wpw = ts_hw_weights_per_word(B)), two's complement, unused
 * bits zero. words: [m * words_per_row], cap = its length. */
ts_status ts_int_pack_weights(const int32_t *w, int m, int k, int wbits,
                              uint64_t *words, size_t cap, ts_error *err);

/* Weight j of packed row r (the inverse of the packing, for tests). */
int32_t ts_int_unpack_weight(const uint64_t *words, int k, int wbits, int r,
                             int j);

/* im2col for a stride-1, unpadded k x k convolution.
 * x: [c][h][w] bytes -> cols: [c*k*k][oh*ow], oh = h-k+1, ow = w-k+1.
 * Row order (ci, ky, kx) matches the PyTorch weight layout [out][c][k][k]. */
ts_status ts_int_im2col(const uint8_t *x, int c, int h, int w, int k,
                        uint8_t *cols, ts_error *err);

/* 2x2 / stride 2 max-pool, floor on odd sizes. x: [c][h][w] bytes read as
 * uint8 (is_signed = 0) or int8; y: [c][h/2][w/2]. */
ts_status ts_int_maxpool2(const uint8_t *x, int c, int h, int w, int is_signed,
                          uint8_t *y, ts_error *err);

/* Bytes of n 8-bit results (U8 / S8 modes) for the next layer's input. */
ts_status ts_int_to_bytes(const int64_t *y, size_t n, ts_int_out out,
                          uint8_t *bytes, ts_error *err);

#ifdef __cplusplus
}
#endif
#endif /* TS_INT_H */
