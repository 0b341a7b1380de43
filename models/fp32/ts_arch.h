/* The classic small CNN, described by plain numbers.
 *
 *   x [in_c][in_h][in_w]
 *   conv1 (in_c -> c1, k1 x k1, stride 1, no padding) -> ReLU -> maxpool 2x2
 *   conv2 (c1 -> c2, k2 x k2)                         -> ReLU -> maxpool 2x2
 *   flatten (PyTorch order: c, h, w)
 *   fc1 (c2*p2h*p2w -> f1) -> ReLU -> fc2 (f1 -> f2) -> ReLU -> fc3 (f2 -> classes)
 *
 * Everything about shapes, parameter offsets and MAC counts is derived here
 * from a ts_arch, so the trainer, the analysis, the quantizer and the
 * hardware harness agree on one description. Pooling floors odd sizes, as
 * PyTorch's MaxPool2d(2, 2) does. */
#ifndef TS_ARCH_H
#define TS_ARCH_H

#include <stddef.h>

#include "ts_status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TS_NUM_LAYERS 5   /* parameter layers: conv1, conv2, fc1, fc2, fc3 */
#define TS_MAX_CHANNELS 4 /* largest input channel count a dataset may have */
#define TS_MAX_PARAMS 50000000 /* weights of the largest model accepted */

typedef struct ts_arch {
  int in_c, in_h, in_w; /* input image */
  int k1, k2;           /* conv kernel sizes (square) */
  int c1, c2;           /* conv output channels (default 6, 16) */
  int f1, f2;           /* hidden FC widths (default 120, 84) */
  int classes;          /* fc3 outputs */
} ts_arch;

typedef enum ts_layer_kind { TS_LAYER_CONV = 0, TS_LAYER_FC = 1 } ts_layer_kind;

typedef struct ts_layer_info {
  const char *name;        /* "conv1".."fc3": the PyTorch state_dict prefix */
  ts_layer_kind kind;
  int in_c, in_h, in_w;    /* layer input (FC: in_c = features, h = w = 1) */
  int out_c, out_h, out_w; /* layer output before pooling (FC: h = w = 1) */
  int k;                   /* kernel size (FC: 1) */
  int pooled_h, pooled_w;  /* after the 2x2 max-pool (conv); = out (FC) */
  int relu;                /* 1 when a ReLU follows the layer */
  size_t w_off, w_len;     /* weight slice of the flat parameters,
                              [out_c][in_c][k][k] (conv) / [out][in] (FC) */
  size_t b_off, b_len;     /* bias slice, [out_c] */
  long long macs;          /* dense MACs for one image */
  int gemm_m, gemm_k, gemm_n; /* Out[M x N] = W[M x K] X[K x N], one image */
} ts_layer_info;

/* Default widths (6, 16, 120, 84) and kernels (5, 5) for an input shape. */
void ts_arch_default(ts_arch *a, int in_c, int in_h, int in_w, int classes);

/* Checks every field and that the kernels fit; the message names the
 * offending field and the sizes involved. */
ts_status ts_arch_validate(const ts_arch *a, ts_error *err);

/* Fills out[TS_NUM_LAYERS] for a valid architecture. */
ts_status ts_arch_layers(const ts_arch *a, ts_layer_info out[TS_NUM_LAYERS],
                         ts_error *err);

/* Total parameter count (weights + biases), 0 if the arch is invalid. */
size_t ts_arch_num_params(const ts_arch *a);

/* Dense MACs of one image through the whole network. */
long long ts_arch_macs(const ts_arch *a);

/* k1 = max digit of id1, k2 = 9 - min digit of id2,
 * epochs = max(max_i id1[i] * id2[i], 30). IDs must be non-empty digit
 * strings of equal length. */
ts_status ts_arch_from_ids(const char *id1, const char *id2, int *k1, int *k2,
                           int *epochs, ts_error *err);

#ifdef __cplusplus
}
#endif
#endif /* TS_ARCH_H */
