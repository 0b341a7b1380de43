/* The whole-network integer inference path: the golden model of the
 * accelerator running the trained CNN (docs/int-arith.md, "The integer
 * network").
 *
 * ts_qnet_create turns a trained float ts_net into integer layers:
 *   weight codes  ts_quant_tensor at B bits, per-tensor or per-channel Delta
 *   input scale   s_0 = max |x| over the calibration images / 127, the image
 *                 quantized to int8 with the project's rounding rule
 *   act. scales   s_l = max over the calibration images of the real value
 *                 of layer l's ReLU output (acc * Delta_m * s_x, computed on
 *                 the integer path itself, so earlier layers' rounding is
 *                 included) / 255: unsigned 8-bit activations
 *   bias          round_half_away(b_m / (Delta_m * s_x)), accumulator domain
 *   requant       ts_int_quantize_multiplier(Delta_m * s_x / s_y), U8 output
 *                 (saturating at 0 is the ReLU), max-pool on the bytes
 *   fc3           raw accumulators (ACC); real logits = acc * Delta_m * s_x
 *
 * ts_qnet_run pushes int8 images through the layers, all images of a call
 * batched into one GEMM per layer (N = images x output positions). Each GEMM
 * goes to a caller-given executor (the RTL through ts_hw_gemm, a test's
 * reference) or, with none, to the built-in golden kernel, which equals
 * ts_int_gemm_run bit for bit (exact integers) but runs in m-k-n order with
 * 32-bit accumulators where the layer's bound allows. models/ stays free of
 * Verilator: the executor is a function pointer.
 *
 * A ts_qnet is immutable after creation: several threads may run the same
 * one at once (each call allocates its own scratch). */
#ifndef TS_QNET_H
#define TS_QNET_H

#include <stddef.h>
#include <stdint.h>

#include "ts_arch.h"
#include "ts_int.h"
#include "ts_net.h"
#include "ts_quant.h"
#include "ts_status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ts_qnet ts_qnet;

/* Runs one layer's GEMM: y[m][n] = g applied to x[k][n] (the contract of
 * ts_int_gemm_run). layer is 0..TS_NUM_LAYERS-1. Returns TS_OK or fails
 * with its own message. */
typedef ts_status (*ts_qnet_gemm_fn)(void *ctx, int layer, const ts_int_gemm *g,
                                     const uint8_t *x, int64_t *y,
                                     ts_error *err);

/* Builds the integer network of net at wbits = 1..16 under scheme.
 * calib: [ncalib][in_c][in_h][in_w] normalised floats (as ts_net_forward
 * takes them; a few hundred training images), ncalib >= 1, all finite.
 * Fails with TS_E_ARG (bits, counts, a scale the multiplier cannot
 * express), TS_E_NONFINITE (naming the image and index) or TS_E_NOMEM. */
ts_status ts_qnet_create(const ts_net *net, int wbits, ts_quant_scheme scheme,
                         const float *calib, int ncalib, ts_qnet **out,
                         ts_error *err);
/* The same with a bit width per layer (a mixed-precision network):
 * wbits[l] for layer l, each 1..16. */
ts_status ts_qnet_create_mixed(const ts_net *net, const int wbits[TS_NUM_LAYERS],
                               ts_quant_scheme scheme, const float *calib, int ncalib,
                               ts_qnet **out, ts_error *err);
void ts_qnet_destroy(ts_qnet *q);

/* The widest layer's weight bits; layer l's (-1 for a bad l). */
int ts_qnet_wbits(const ts_qnet *q);
int ts_qnet_layer_wbits(const ts_qnet *q, int l);
ts_quant_scheme ts_qnet_scheme(const ts_qnet *q);
int ts_qnet_classes(const ts_qnet *q);
/* Bytes of one input image: in_c * in_h * in_w. */
size_t ts_qnet_image_bytes(const ts_qnet *q);

/* Layer l's integer GEMM for ONE image (g->n = output positions); pointers
 * stay owned by q. Fails with TS_E_ARG for l outside 0..TS_NUM_LAYERS-1. */
ts_status ts_qnet_layer(const ts_qnet *q, int l, ts_int_gemm *g,
                        ts_error *err);
/* Scale of layer l's 8-bit input (l = 0: the image's s_0). -1 out of range. */
double ts_qnet_act_scale(const ts_qnet *q, int l);

/* Image bytes: x [count] normalised floats -> int8 codes (as bytes) at the
 * input scale, round half away from zero, clamped to -128..127. Fails with
 * TS_E_NONFINITE naming the first NaN/Inf. */
ts_status ts_qnet_quantize_input(const ts_qnet *q, const float *x, size_t count,
                                 uint8_t *bytes, ts_error *err);

/* n >= 1 images through the integer network.
 * img: [n][in_c][in_h][in_w] int8 bytes (ts_qnet_quantize_input);
 * logits: [n][classes] fc3 accumulators (int64, the bit-exact result).
 * gemm/ctx: the executor of every layer's GEMM, or NULL for the built-in
 * golden kernel. */
ts_status ts_qnet_run(const ts_qnet *q, const uint8_t *img, int n,
                      ts_qnet_gemm_fn gemm, void *ctx, int64_t *logits,
                      ts_error *err);

/* Predicted class of each image: argmax, first on ties, of the real
 * logits acc * Delta_m * s_x (per-channel scales make the raw accumulators
 * incomparable across classes). acc: [n][classes]; pred: [n]. */
void ts_qnet_predict(const ts_qnet *q, const int64_t *acc, int n, int *pred);

/* An executor that calls ts_int_gemm_run (the unoptimised golden model);
 * ctx is ignored. Tests use it to check the built-in kernel. */
ts_status ts_qnet_gemm_reference(void *ctx, int layer, const ts_int_gemm *g,
                                 const uint8_t *x, int64_t *y, ts_error *err);

#ifdef __cplusplus
}
#endif
#endif /* TS_QNET_H */
