/* The network: parameters plus the forward pass, and the trainer.
 *
 * Parameters live in one flat float array in PyTorch state_dict order
 * (conv1.weight, conv1.bias, conv2.weight, ..., fc3.bias), each tensor in
 * PyTorch's layout; ts_layer_info gives each slice. Activations are NCHW. */
#ifndef TS_NET_H
#define TS_NET_H

#include <stddef.h>
#include <stdint.h>

#include "ts_arch.h"
#include "ts_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Most worker threads any call here accepts (per-thread arrays are sized
 * by it); the CLI's --threads limit. */
#define TS_MAX_THREADS 256
/* Largest batch a trainer takes (the CLI's --batch limit). */
#define TS_MAX_BATCH 65536

typedef struct ts_net ts_net;

ts_status ts_net_create(const ts_arch *a, ts_net **out, ts_error *err);
void ts_net_destroy(ts_net *net);

const ts_arch *ts_net_arch(const ts_net *net);
/* Layer i in 0..TS_NUM_LAYERS-1. */
const ts_layer_info *ts_net_layer(const ts_net *net, int i);
size_t ts_net_num_params(const ts_net *net);
float *ts_net_params(ts_net *net);             /* [num_params] */
const float *ts_net_params_const(const ts_net *net);

/* PyTorch's default init: weights and biases ~ U(-1/sqrt(fan_in), +). */
void ts_net_init(ts_net *net, uint64_t seed);

/* Logits for n images. x: [n][in_c][in_h][in_w] normalised floats;
 * logits: [n][classes]. threads >= 1 splits the images between threads;
 * the result does not depend on the thread count (an image's logits may
 * differ in the last bits with the number of images n, as BLAS blocks
 * GEMMs of different sizes differently). */
ts_status ts_net_forward(const ts_net *net, const float *x, int n,
                         float *logits, int threads, ts_error *err);

/* A reusable inference context: per-thread workspaces allocated once, for
 * repeated calls (evaluation, sweeps, benchmarks). It reads the network's
 * parameters at each run, so they may change between runs. */
typedef struct ts_infer ts_infer;
ts_status ts_infer_create(const ts_net *net, int threads, ts_infer **out,
                          ts_error *err);
void ts_infer_destroy(ts_infer *ctx);
/* Same contract as ts_net_forward. */
ts_status ts_infer_run(ts_infer *ctx, const float *x, int n, float *logits,
                       ts_error *err);

/* ---- Training ---------------------------------------------------------- */

typedef struct ts_sgd {
  float lr;           /* learning rate */
  float momentum;     /* PyTorch SGD momentum (buf = m*buf + g; p -= lr*buf) */
  float weight_decay; /* L2 added to the gradient of weights and biases */
} ts_sgd;

typedef struct ts_trainer ts_trainer;

/* A trainer owns the scratch memory for batches of up to max_batch images
 * and the momentum buffer; it updates net's parameters in place. */
ts_status ts_trainer_create(ts_net *net, int max_batch, int threads,
                            ts_trainer **out, ts_error *err);
void ts_trainer_destroy(ts_trainer *t);

/* Mean cross-entropy loss and gradient of the batch, no update.
 * grad (may be NULL) receives a pointer to [num_params] gradients, valid
 * until the next call. correct (may be NULL) counts argmax hits. */
ts_status ts_trainer_grad(ts_trainer *t, const float *x, const int *labels,
                          int n, double *loss, int *correct,
                          const float **grad, ts_error *err);

/* ts_trainer_grad followed by one SGD step. */
ts_status ts_trainer_step(ts_trainer *t, const ts_sgd *opt, const float *x,
                          const int *labels, int n, double *loss, int *correct,
                          ts_error *err);

/* Momentum buffer [num_params], for checkpoints. */
float *ts_trainer_momentum(ts_trainer *t);

/* Holds a pruning mask during training (masked fine-tuning). mask:
 * [num_params], 0 = pruned, anything else = trained; the trainer keeps a
 * copy. Pruned parameters and their momentum are zeroed now and after every
 * ts_trainer_step, so they stay exactly 0 whatever the gradient, momentum
 * or weight decay; the other parameters are updated exactly as without a
 * mask. mask = NULL removes the mask. */
ts_status ts_trainer_set_mask(ts_trainer *t, const uint8_t *mask,
                              ts_error *err);

#ifdef __cplusplus
}
#endif
#endif /* TS_NET_H */
