/* The reference CNN: forward, backward and SGD (see ts_net.h, ts_layers.h).
 *
 * A batch is split into one contiguous chunk of images per thread; each
 * thread runs forward and backward on its chunk with its own workspace and
 * gradient buffer, then the buffers are summed in thread order, so a run is
 * reproducible for a given thread count. */
#include "ts_net.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "ts_layers.h"
#include "ts_rng.h"

struct ts_net {
  ts_arch arch;
  ts_layer_info layer[TS_NUM_LAYERS];
  size_t nparams;
  float *params; /* [nparams], state_dict order */
};

ts_status ts_net_create(const ts_arch *a, ts_net **out, ts_error *err) {
  *out = NULL;
  ts_net *net = calloc(1, sizeof *net);
  if (!net) return ts_fail(err, TS_E_NOMEM, "cannot allocate the network");
  ts_status s = ts_arch_layers(a, net->layer, err);
  if (s) {
    free(net);
    return s;
  }
  net->arch = *a;
  net->nparams = ts_arch_num_params(a);
  net->params = calloc(net->nparams, sizeof(float));
  if (!net->params) {
    free(net);
    return ts_fail(err, TS_E_NOMEM, "cannot allocate %zu parameters",
                   ts_arch_num_params(a));
  }
  *out = net;
  return TS_OK;
}

void ts_net_destroy(ts_net *net) {
  if (!net) return;
  free(net->params);
  free(net);
}

const ts_arch *ts_net_arch(const ts_net *net) { return &net->arch; }
const ts_layer_info *ts_net_layer(const ts_net *net, int i) {
  return (i >= 0 && i < TS_NUM_LAYERS) ? &net->layer[i] : NULL;
}
size_t ts_net_num_params(const ts_net *net) { return net->nparams; }
float *ts_net_params(ts_net *net) { return net->params; }
const float *ts_net_params_const(const ts_net *net) { return net->params; }

void ts_net_init(ts_net *net, uint64_t seed) {
  ts_rng rng;
  ts_rng_seed(&rng, seed);
  for (int i = 0; i < TS_NUM_LAYERS; i++) {
    const ts_layer_info *l = &net->layer[i];
    const float bound = 1.0f / sqrtf((float)(l->in_c * l->k * l->k));
    float *p = net->params + l->w_off; /* weights then biases: contiguous */
    for (size_t j = 0; j < l->w_len + l->b_len; j++)
      p[j] = (2.0f * ts_rng_uniform(&rng) - 1.0f) * bound;
  }
}

/* ---- Workspace ---------------------------------------------------------- */

/* Activations and gradients of one thread for up to `cap` images. Conv
 * activations are CNHW (see ts_layers.h). */
typedef struct ts_ws {
  int cap;
  int train;      /* 1: keep what backward needs (the im2col buffers) */
  float *tile;    /* [max(K1, K2)][TS_CONV_TILE] a fused conv's tile, or
                     the direct conv's staging if larger */
  float *a1;      /* [c1][cap][oh1][ow1] conv1 after ReLU */
  float *p1;      /* [c1][cap][ph1][pw1] */
  float *col2;    /* [c1*k2*k2][cap*oh2*ow2] (training) */
  float *a2;      /* [c2][cap][oh2][ow2] */
  float *p2;      /* [c2][cap][ph2][pw2] */
  float *f0;      /* [cap][c2*ph2*pw2] flattened in PyTorch order */
  float *h1;      /* [cap][f1] */
  float *h2;      /* [cap][f2] */
  float *logits;  /* [cap][classes] */
  /* backward only (NULL for inference) */
  float *dlogits; /* [cap][classes] */
  float *dh2;     /* [cap][f2] */
  float *dh1;     /* [cap][f1] */
  float *df0;     /* [cap][flat] */
  float *dp2;     /* like p2 */
  float *da2;     /* like a2 */
  float *dcol2;   /* like col2 */
  float *dp1;     /* like p1 */
  float *da1;     /* [c1][cap][oh1][in_w]: rows padded to the input width
                     for ts_conv_wgrad_direct */
  float *dout_t;  /* [cap*oh2*ow2][c2] conv2's output gradient transposed */
  float *wk;      /* [k2*k2*c1][c2] conv2-weight-sized scratch */
  float *grad;    /* [nparams] */
  void *block;    /* the single allocation all of the above point into */
} ts_ws;

static void ws_destroy(ts_ws *ws) {
  if (!ws) return;
  free(ws->block);
  free(ws);
}

static ts_ws *ws_create(const ts_net *net, int cap, int train) {
  const ts_layer_info *L = net->layer;
  const size_t n = (size_t)cap;
  /* conv1 always runs direct or fused (tiles), conv2 too at inference:
   * scratch for the larger of a tile and the direct conv's staging */
  size_t tile = (size_t)(L[0].gemm_k > L[1].gemm_k ? L[0].gemm_k : L[1].gemm_k) *
                TS_CONV_TILE;
  const size_t stage = (size_t)TS_CONV_DIRECT_MB *
                       ((L[0].out_h - 1) * L[0].in_w + L[0].out_w);
  if (stage > tile) tile = stage;
  const size_t a1 = n * L[0].gemm_n * L[0].out_c;
  const size_t p1 = n * L[0].pooled_h * L[0].pooled_w * L[0].out_c;
  const size_t col2 = train ? n * L[1].gemm_n * L[1].gemm_k : 0;
  const size_t a2 = n * L[1].gemm_n * L[1].out_c;
  const size_t p2 = n * L[1].pooled_h * L[1].pooled_w * L[1].out_c;
  const size_t f0 = n * L[2].in_c, h1 = n * L[2].out_c, h2 = n * L[3].out_c;
  const size_t lg = n * L[4].out_c;
  /* sizes in floats */
  const size_t da1 = n * L[0].out_c * L[0].out_h * L[0].in_w;
  size_t sizes[] = {tile, a1, p1, col2, a2, p2, f0, h1, h2, lg,
                    lg, h2, h1, f0, p2, a2, col2, p1, da1, a2, L[1].w_len,
                    net->nparams};
  const int nbuf = train ? 22 : 10;
  size_t total = 0;
  for (int i = 0; i < nbuf; i++) total += (sizes[i] + 15) & ~(size_t)15;
  ts_ws *ws = calloc(1, sizeof *ws);
  float *block = ws ? aligned_alloc(64, total * sizeof(float)) : NULL;
  if (!block) {
    free(ws);
    return NULL;
  }
  ws->cap = cap;
  ws->train = train;
  ws->block = block;
  float **slots[] = {&ws->tile, &ws->a1, &ws->p1,
                     &ws->col2, &ws->a2, &ws->p2,
                     &ws->f0, &ws->h1, &ws->h2, &ws->logits,
                     &ws->dlogits, &ws->dh2, &ws->dh1, &ws->df0,
                     &ws->dp2, &ws->da2, &ws->dcol2, &ws->dp1,
                     &ws->da1, &ws->dout_t, &ws->wk, &ws->grad};
  float *p = block;
  for (int i = 0; i < nbuf; i++) {
    *slots[i] = p;
    p += (sizes[i] + 15) & ~(size_t)15;
  }
  return ws;
}

/* x: [n][in_c][in_h][in_w] -> ws->logits [n][classes], n <= ws->cap. */
static void forward_chunk(const ts_net *net, ts_ws *ws, const float *x, int n) {
  const ts_layer_info *L = net->layer;
  const float *P = net->params;
  const ts_arch *a = &net->arch;
  const ts_strides s1 = ts_strides_nchw(a->in_c, a->in_h, a->in_w);
  const ts_strides s2 = ts_strides_cnhw(n, L[1].in_h, L[1].in_w);
  /* conv1's backward reads x directly (ts_conv_wgrad_direct), so even
   * training keeps no im2col buffer for it */
  if (ts_conv_direct_ok(a->in_h, a->in_w, a->k1))
    ts_conv_forward_direct(ws->a1, x, s1, n, a->in_c, a->in_h, a->in_w, a->k1,
                           P + L[0].w_off, P + L[0].b_off, L[0].out_c, 1,
                           ws->tile);
  else
    ts_conv_forward_fused(ws->a1, x, s1, n, a->in_c, a->in_h, a->in_w, a->k1,
                          P + L[0].w_off, P + L[0].b_off, L[0].out_c, 1,
                          ws->tile);
  ts_maxpool_forward(ws->p1, ws->a1, (long)L[0].out_c * n, L[0].out_h, L[0].out_w);
  if (ws->train) { /* backward needs the im2col buffer */
    ts_im2col_t(ws->col2, ws->p1, s2, n, L[1].in_c, L[1].in_h, L[1].in_w,
                L[1].k);
    ts_conv_gemm_forward(ws->a2, ws->col2, P + L[1].w_off, P + L[1].b_off,
                         L[1].out_c, L[1].gemm_k, n * L[1].gemm_n, 1);
  } else {
    ts_conv_forward_fused(ws->a2, ws->p1, s2, n, L[1].in_c, L[1].in_h,
                          L[1].in_w, L[1].k, P + L[1].w_off, P + L[1].b_off,
                          L[1].out_c, 1, ws->tile);
  }
  ts_maxpool_forward(ws->p2, ws->a2, (long)L[1].out_c * n, L[1].out_h, L[1].out_w);
  ts_flatten_cnhw(ws->f0, ws->p2, n, L[1].out_c, L[1].pooled_h, L[1].pooled_w);
  ts_dense_forward(ws->h1, ws->f0, P + L[2].w_off, P + L[2].b_off, n,
                   L[2].in_c, L[2].out_c, 1);
  ts_dense_forward(ws->h2, ws->h1, P + L[3].w_off, P + L[3].b_off, n,
                   L[3].in_c, L[3].out_c, 1);
  ts_dense_forward(ws->logits, ws->h2, P + L[4].w_off, P + L[4].b_off, n,
                   L[4].in_c, L[4].out_c, 0);
}

/* Backward from ws->dlogits; accumulates into ws->grad. x is the chunk's
 * input, as given to forward_chunk. */
static void backward_chunk(const ts_net *net, ts_ws *ws, const float *x,
                           int n) {
  const ts_layer_info *L = net->layer;
  const float *P = net->params;
  float *g = ws->grad;
  ts_dense_backward(ws->dh2, g + L[4].w_off, g + L[4].b_off, ws->dlogits,
                    ws->h2, P + L[4].w_off, n, L[4].in_c, L[4].out_c);
  ts_relu_backward(ws->dh2, ws->h2, (long)n * L[3].out_c);
  ts_dense_backward(ws->dh1, g + L[3].w_off, g + L[3].b_off, ws->dh2, ws->h1,
                    P + L[3].w_off, n, L[3].in_c, L[3].out_c);
  ts_relu_backward(ws->dh1, ws->h1, (long)n * L[2].out_c);
  ts_dense_backward(ws->df0, g + L[2].w_off, g + L[2].b_off, ws->dh1, ws->f0,
                    P + L[2].w_off, n, L[2].in_c, L[2].out_c);
  ts_unflatten_cnhw(ws->dp2, ws->df0, n, L[1].out_c, L[1].pooled_h,
                    L[1].pooled_w);
  ts_maxpool_relu_backward(ws->da2, ws->dp2, ws->a2, ws->p2,
                           (long)L[1].out_c * n, L[1].out_h, L[1].out_w,
                           L[1].out_w);
  ts_conv_gemm_backward(ws->dcol2, g + L[1].w_off, g + L[1].b_off, ws->da2,
                        ws->col2, P + L[1].w_off, ws->dout_t, ws->wk, L[1].out_c,
                        L[1].gemm_k,
                        n * L[1].gemm_n);
  memset(ws->dp1, 0, sizeof(float) * (size_t)n * L[1].in_h * L[1].in_w * L[1].in_c);
  ts_col2im_t(ws->dp1, ws->dcol2, n, L[1].in_c, L[1].in_h, L[1].in_w, L[1].k);
  ts_maxpool_relu_backward(ws->da1, ws->dp1, ws->a1, ws->p1,
                           (long)L[0].out_c * n, L[0].out_h, L[0].out_w,
                           L[0].in_w);
  const ts_arch *a = &net->arch;
  ts_conv_wgrad_direct(g + L[0].w_off, g + L[0].b_off, ws->da1, x,
                       ts_strides_nchw(a->in_c, a->in_h, a->in_w), n, a->in_c,
                       a->in_h, a->in_w, a->k1, L[0].out_c);
}

static ts_status check_batch(const float *x, int n, int threads,
                             ts_error *err) {
  if (!x) return ts_fail(err, TS_E_ARG, "input batch is NULL");
  if (n < 1) return ts_fail(err, TS_E_ARG, "batch of %d images; need >= 1", n);
  if (threads < 1 || threads > TS_MAX_THREADS)
    return ts_fail(err, TS_E_ARG, "threads = %d; need 1..%d", threads, TS_MAX_THREADS);
  return TS_OK;
}

/* Images a thread runs through its workspace at a time during inference:
 * enough pixels for long GEMM tiles, small enough to stay in L2. */
#define TS_INFER_CHUNK 16

struct ts_infer {
  const ts_net *net;
  int threads;
  ts_ws *ws[TS_MAX_THREADS]; /* [threads] */
};

void ts_infer_destroy(ts_infer *ctx) {
  if (!ctx) return;
  for (int t = 0; t < ctx->threads; t++) ws_destroy(ctx->ws[t]);
  free(ctx);
}

ts_status ts_infer_create(const ts_net *net, int threads, ts_infer **out,
                          ts_error *err) {
  *out = NULL;
  if (threads < 1 || threads > TS_MAX_THREADS)
    return ts_fail(err, TS_E_ARG, "threads = %d; need 1..%d", threads, TS_MAX_THREADS);
  ts_infer *ctx = calloc(1, sizeof *ctx);
  if (!ctx) return ts_fail(err, TS_E_NOMEM, "cannot allocate inference context");
  ctx->net = net;
  ctx->threads = threads;
  for (int t = 0; t < threads; t++)
    if (!(ctx->ws[t] = ws_create(net, TS_INFER_CHUNK, 0))) {
      ts_infer_destroy(ctx);
      return ts_fail(err, TS_E_NOMEM, "cannot allocate inference workspace");
    }
  *out = ctx;
  return TS_OK;
}

ts_status ts_infer_run(ts_infer *ctx, const float *x, int n, float *logits,
                       ts_error *err) {
  const ts_net *net = ctx->net;
  ts_status s = check_batch(x, n, ctx->threads, err);
  if (s) return s;
  const ts_arch *a = &net->arch;
  const long in_sz = (long)a->in_c * a->in_h * a->in_w;
  const int nchunks = (n + TS_INFER_CHUNK - 1) / TS_INFER_CHUNK;
  const int threads = ctx->threads < nchunks ? ctx->threads : nchunks;
  /* Every chunk is computed the same way whatever thread runs it, so the
   * logits do not depend on the thread count. */
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
  for (int c = 0; c < nchunks; c++) {
    ts_ws *w = ctx->ws[omp_get_thread_num()];
    const int lo = c * TS_INFER_CHUNK;
    const int cnt = n - lo < TS_INFER_CHUNK ? n - lo : TS_INFER_CHUNK;
    forward_chunk(net, w, x + lo * in_sz, cnt);
    memcpy(logits + (long)lo * a->classes, w->logits,
           sizeof(float) * (size_t)cnt * a->classes);
  }
  return TS_OK;
}

ts_status ts_net_forward(const ts_net *net, const float *x, int n,
                         float *logits, int threads, ts_error *err) {
  ts_infer *ctx = NULL;
  ts_status s = ts_infer_create(net, threads, &ctx, err);
  if (!s) s = ts_infer_run(ctx, x, n, logits, err);
  ts_infer_destroy(ctx);
  return s;
}

/* ---- Trainer ------------------------------------------------------------ */

struct ts_trainer {
  ts_net *net;
  int max_batch, threads;
  ts_ws **ws;     /* [threads] */
  float *grad;    /* [nparams] summed gradient of the last batch */
  float *momentum;/* [nparams] */
  uint8_t *mask;  /* [nparams] 0 = pruned, or NULL: no mask */
};

void ts_trainer_destroy(ts_trainer *t) {
  if (!t) return;
  if (t->ws)
    for (int i = 0; i < t->threads; i++) ws_destroy(t->ws[i]);
  free(t->ws);
  free(t->grad);
  free(t->momentum);
  free(t->mask);
  free(t);
}

ts_status ts_trainer_create(ts_net *net, int max_batch, int threads,
                            ts_trainer **out, ts_error *err) {
  *out = NULL;
  if (max_batch < 1 || max_batch > TS_MAX_BATCH)
    return ts_fail(err, TS_E_ARG, "batch size %d; need 1..%d", max_batch, TS_MAX_BATCH);
  if (threads < 1 || threads > TS_MAX_THREADS)
    return ts_fail(err, TS_E_ARG, "threads = %d; need 1..%d", threads, TS_MAX_THREADS);
  if (threads > max_batch) threads = max_batch;
  ts_trainer *t = calloc(1, sizeof *t);
  if (!t) return ts_fail(err, TS_E_NOMEM, "cannot allocate trainer");
  t->net = net;
  t->max_batch = max_batch;
  t->threads = threads;
  t->ws = calloc((size_t)threads, sizeof(ts_ws *));
  t->grad = calloc(net->nparams, sizeof(float));
  t->momentum = calloc(net->nparams, sizeof(float));
  const int cap = (max_batch + threads - 1) / threads;
  int ok = t->ws && t->grad && t->momentum;
  for (int i = 0; ok && i < threads; i++) ok = (t->ws[i] = ws_create(net, cap, 1)) != NULL;
  if (!ok) {
    ts_trainer_destroy(t);
    return ts_fail(err, TS_E_NOMEM,
                   "cannot allocate training workspace for batch %d", max_batch);
  }
  *out = t;
  return TS_OK;
}

float *ts_trainer_momentum(ts_trainer *t) { return t->momentum; }

/* Pruned parameters and their momentum to exactly +0. */
static void apply_mask(ts_trainer *t) {
  float *p = t->net->params, *m = t->momentum;
  const uint8_t *k = t->mask;
  const size_t np = t->net->nparams;
  for (size_t i = 0; i < np; i++)
    if (!k[i]) p[i] = m[i] = 0.0f;
}

ts_status ts_trainer_set_mask(ts_trainer *t, const uint8_t *mask,
                              ts_error *err) {
  if (!t) return ts_fail(err, TS_E_ARG, "set mask: trainer is NULL");
  if (!mask) {
    free(t->mask);
    t->mask = NULL;
    return TS_OK;
  }
  const size_t np = t->net->nparams;
  if (!t->mask && !(t->mask = malloc(np)))
    return ts_fail(err, TS_E_NOMEM, "cannot allocate a mask of %zu parameters",
                   np);
  memcpy(t->mask, mask, np);
  apply_mask(t);
  return TS_OK;
}

ts_status ts_trainer_grad(ts_trainer *t, const float *x, const int *labels,
                          int n, double *loss, int *correct,
                          const float **grad, ts_error *err) {
  const ts_net *net = t->net;
  ts_status s = check_batch(x, n, t->threads, err);
  if (s) return s;
  if (n > t->max_batch)
    return ts_fail(err, TS_E_ARG, "batch of %d images exceeds the trainer's %d",
                   n, t->max_batch);
  const int classes = net->arch.classes;
  for (int i = 0; i < n; i++)
    if (labels[i] < 0 || labels[i] >= classes)
      return ts_fail(err, TS_E_ARG, "label %d of image %d is outside [0, %d)",
                     labels[i], i, classes);
  const ts_arch *a = &net->arch;
  const long in_sz = (long)a->in_c * a->in_h * a->in_w;
  const int T = t->threads;
  const int chunk = (n + T - 1) / T;
  double part_loss[TS_MAX_THREADS] = {0};
  int part_correct[TS_MAX_THREADS] = {0};
  const size_t np = net->nparams;
#pragma omp parallel num_threads(T)
  {
    const int id = omp_get_thread_num();
    ts_ws *w = t->ws[id];
    memset(w->grad, 0, sizeof(float) * np);
    const int lo = id * chunk;
    const int cnt = n - lo < chunk ? n - lo : chunk;
    if (cnt > 0) {
      forward_chunk(net, w, x + lo * in_sz, cnt);
      part_loss[id] = ts_softmax_xent(w->dlogits, w->logits, labels + lo, cnt,
                                      classes, 1.0f / (float)n,
                                      &part_correct[id]);
      backward_chunk(net, w, x + lo * in_sz, cnt);
    }
#pragma omp barrier
    /* Sum the per-thread gradients in thread order, a slice per thread. */
    const int team = omp_get_num_threads();
    const size_t per = (np + team - 1) / team;
    const size_t b = id * per, e = b + per < np ? b + per : np;
    for (size_t i = b; i < e; i++) {
      float sum = t->ws[0]->grad[i];
      for (int u = 1; u < T; u++) sum += t->ws[u]->grad[i];
      t->grad[i] = sum;
    }
  }
  double total = 0.0;
  int hits = 0;
  for (int i = 0; i < T; i++) {
    total += part_loss[i];
    hits += part_correct[i];
  }
  if (!isfinite(total))
    return ts_fail(err, TS_E_NONFINITE,
                   "training diverged: the batch loss is %g (try a smaller "
                   "learning rate)", total);
  if (loss) *loss = total / n;
  if (correct) *correct = hits;
  if (grad) *grad = t->grad;
  return TS_OK;
}

ts_status ts_trainer_step(ts_trainer *t, const ts_sgd *opt, const float *x,
                          const int *labels, int n, double *loss, int *correct,
                          ts_error *err) {
  if (!opt || !(opt->lr > 0.0f) || !(opt->momentum >= 0.0f) ||
      !(opt->momentum < 1.0f) || !(opt->weight_decay >= 0.0f))
    return ts_fail(err, TS_E_ARG,
                   "SGD needs lr > 0, 0 <= momentum < 1, weight decay >= 0");
  ts_status s = ts_trainer_grad(t, x, labels, n, loss, correct, NULL, err);
  if (s) return s;
  float *p = t->net->params, *m = t->momentum;
  const float *g = t->grad;
  const float lr = opt->lr, mu = opt->momentum, wd = opt->weight_decay;
  const long np = (long)t->net->nparams;
  /* PyTorch SGD: g += wd*p; buf = mu*buf + g; p -= lr*buf. */
#pragma omp parallel for num_threads(t->threads) schedule(static)
  for (long i = 0; i < np; i++) {
    const float gi = g[i] + wd * p[i];
    m[i] = mu * m[i] + gi;
    p[i] -= lr * m[i];
  }
  /* the masked entries moved above; put them back to 0 (cheaper than a
   * branch in the update, and the unmasked arithmetic stays the same) */
  if (t->mask) apply_mask(t);
  return TS_OK;
}
