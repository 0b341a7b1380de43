/* Static profile of the network from its architecture alone: the layer
 * table, MACs, and memory for inference, training and quantized storage.
 *
 * The network is seen as 11 operations in forward order,
 *   conv1 relu1 pool1 conv2 relu2 pool2 fc1 relu3 fc2 relu4 fc3,
 * (flatten is a view and has no row; fc1's input is shown flattened).
 * All sizes are bytes; activations, gradients and parameters are FP32
 * (4 bytes), max-pool argmax indices int32 (4 bytes). docs/study.md
 * explains each rule; in short:
 *
 *  Inference (one image): every op writes its own output buffer (no
 *  in-place ReLU). live = input + output of the op while it runs;
 *  peak = max over ops of live; sum = input image + every op's output.
 *  Model in memory = parameters + peak.
 *
 *  Training (batch N, SGD with momentum): an op's output is SAVED for the
 *  backward pass when some backward step reads it -- a ReLU's output (its
 *  mask, and the next layer's input for dW), a pool's output (the next
 *  conv/FC input) and its argmax indices, fc3's logits (the loss) -- plus
 *  the input batch (conv1's dW). conv/FC outputs feeding a ReLU are not
 *  saved: the ReLU's own output carries the same mask. Activation
 *  gradients: one per op output; backward of one op holds dOut + dIn (conv1
 *  needs no dIn), the peak of that is what must be kept, the sum is what
 *  a trainer with one buffer per layer holds. Weight gradients and momentum
 *  are one float per parameter each.
 *  Training total = params + weight grads + momentum + saved + peak dAct.
 *
 *  Quantized storage at B bits: each layer's weights packed,
 *  ceil(n*B/8) bytes, + one FP32 scale per tensor or per output channel
 *  + FP32 biases. Activations stay FP32 (weights-only quantization). */
#ifndef TS_PROFILE_H
#define TS_PROFILE_H

#include <stdio.h>

#include "ts_arch.h"
#include "ts_quant.h"
#include "ts_status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TS_PROFILE_OPS 11

typedef enum ts_op_kind {
  TS_OP_CONV = 0,
  TS_OP_RELU = 1,
  TS_OP_POOL = 2, /* 2x2 max-pool, stride 2, floors odd sizes */
  TS_OP_FC = 3
} ts_op_kind;

/* "conv", "relu", "maxpool", "fc" (never NULL). */
const char *ts_op_kind_name(ts_op_kind k);

typedef struct ts_profile_op {
  char name[16];         /* "conv1", "relu1", "pool1", ... */
  ts_op_kind kind;
  int layer;             /* ts_arch_layers index for conv/FC, else -1 */
  int in_c, in_h, in_w;  /* input [c][h][w]; FC: [features][1][1] */
  int out_c, out_h, out_w;
  int k;                 /* conv: k (k x k); pool: 2 (2x2, stride 2); else 0 */
  long long weights, biases; /* parameter counts */
  long long macs;            /* dense MACs, one image (0 for relu/pool) */
  /* inference, one image */
  long long param_bytes; /* 4 * (weights + biases) */
  long long act_bytes;   /* 4 * output elements */
  long long live_bytes;  /* 4 * (input + output elements) */
  /* training, a batch of ts_profile.batch images */
  long long saved_bytes;     /* this op's output (and indices) kept */
  long long grad_act_bytes;  /* gradient of this op's output */
  long long grad_live_bytes; /* dOut + dIn held by this op's backward */
  long long grad_w_bytes;    /* weight + bias gradients */
  long long momentum_bytes;  /* SGD momentum buffer */
} ts_profile_op;

typedef struct ts_profile {
  ts_arch arch;
  int batch; /* images per training step (the training figures) */
  int n_ops; /* TS_PROFILE_OPS */
  ts_profile_op op[TS_PROFILE_OPS];
  /* model */
  long long weights, biases, params, macs, param_bytes;
  /* inference, one image */
  long long input_bytes;    /* 4 * in_c*in_h*in_w */
  long long act_sum_bytes;  /* input + every op's output */
  long long act_peak_bytes; /* max over ops of live_bytes */
  int act_peak_op;          /* index into op[] of that maximum */
  long long infer_bytes;    /* param_bytes + act_peak_bytes */
  /* training, batch images */
  long long input_batch_bytes;  /* the saved input batch (conv1's dW) */
  long long saved_bytes;        /* input batch + every op's saved_bytes */
  long long grad_act_sum_bytes; /* every op's grad_act_bytes */
  long long grad_act_peak_bytes;/* max over ops of grad_live_bytes */
  long long grad_w_bytes, momentum_bytes;
  long long train_bytes; /* params + grad_w + momentum + saved + peak dAct */
} ts_profile;

/* Fills p for a valid architecture and batch >= 1. */
ts_status ts_profile_compute(const ts_arch *a, int batch, ts_profile *p,
                             ts_error *err);

/* Human-readable tables (architecture + MACs, inference memory, training
 * memory) with the rules in one line each. */
ts_status ts_profile_print(FILE *f, const ts_profile *p, ts_error *err);

/* One row per op plus a "total" row; header names the units. Written to a
 * temporary file and renamed, so readers never see half a file. */
ts_status ts_profile_write_csv(const char *path, const ts_profile *p,
                               ts_error *err);

/* The same data as JSON: {"arch", "batch", "rules", "ops": [...],
 * "totals"}. Atomic like the CSV. */
ts_status ts_profile_write_json(const char *path, const ts_profile *p,
                                ts_error *err);

/* Storage of the model with B-bit weights (ts_quant_mem, ts_quant.h); the
 * activation peak is this profile's, one image. */
ts_status ts_profile_quant_mem(const ts_arch *a, int bits, ts_quant_scheme s,
                               ts_quant_mem *m, ts_error *err);

#ifdef __cplusplus
}
#endif
#endif /* TS_PROFILE_H */
