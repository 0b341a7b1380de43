/* Magnitude pruning, local per layer, without fine-tuning.
 *
 * Count rule: pruning a fraction p in [0, 1] of a layer's n weights zeroes
 * exactly k = floor(p*n + 0.5) of them (p*n evaluated in double, halves
 * rounded up), so p = 0 keeps every weight and p = 1 zeroes all n.
 * Order: ascending |w|, ties broken by ascending flat index (a weight and
 * its negation tie; the one stored first goes first). Weights that are
 * already zero are the smallest, so they are among the k; the layer ends
 * with max(k, zeros before) zeros. Biases are never pruned.
 *
 * Sparsity accounting: a MAC whose weight is zero does not count. A conv
 * weight is used at every output pixel, so its non-zero MACs are
 * nonzero_weights * out_h * out_w; an FC layer's are nonzero_weights. */
#ifndef TS_PRUNE_H
#define TS_PRUNE_H

#include <stddef.h>
#include <stdint.h>

#include "ts_arch.h"
#include "ts_net.h"
#include "ts_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* k for a fraction p of n weights (the rule above). Rejects NaN and p
 * outside [0, 1]. */
ts_status ts_prune_count(size_t n, double p, size_t *k, ts_error *err);

/* Zeroes the k = ts_prune_count(n, p) smallest-magnitude entries of w[n]
 * (n >= 1, finite). pruned (nullable) receives k. Leaves w untouched on
 * failure. */
ts_status ts_prune_tensor(float *w, size_t n, double p, size_t *pruned,
                          ts_error *err);

/* Zeroes the k smallest-magnitude entries of w[n] (the order above;
 * k <= n, w finite). mask (nullable, [n]) gets 0 at the zeroed entries and
 * is left alone elsewhere. */
ts_status ts_prune_smallest(float *w, size_t n, size_t k, uint8_t *mask,
                            ts_error *err);

/* Index 0..TS_NUM_LAYERS-1 of a layer name ("conv1".."fc3"); an unknown
 * name fails with a message listing the valid ones. */
ts_status ts_prune_layer_index(const ts_arch *a, const char *name, int *index,
                               ts_error *err);

/* Prunes layer `index`'s weights inside a flat parameter array laid out as
 * ts_arch_layers describes. params: [num_params]. */
ts_status ts_prune_params_layer(const ts_arch *a, float *params, int index,
                                double p, ts_error *err);

/* Prunes every layer by the same fraction, each on its own (local). All
 * layers are checked before any is changed. */
ts_status ts_prune_params(const ts_arch *a, float *params, double p,
                          ts_error *err);

/* The same, also reporting what it pruned: mask (nullable, [num_params])
 * gets 0 at every pruned weight and 1 elsewhere (kept weights, biases). */
ts_status ts_prune_params_mask(const ts_arch *a, float *params, double p,
                               uint8_t *mask, ts_error *err);

/* The same with a fraction per layer: p[l] for layer l. */
ts_status ts_prune_params_mask_layers(const ts_arch *a, float *params,
                                      const double p[TS_NUM_LAYERS], uint8_t *mask,
                                      ts_error *err);

/* How a model-wide sparsity p is split over the layers:
 *   local   every layer loses the fraction p of its own weights (count rule
 *           per layer), so a 450-weight conv1 loses as large a share as the
 *           48,000-weight fc1;
 *   global  one magnitude threshold over the weights of all layers: the
 *           k = floor(p*N + 0.5) smallest |w| of the N weights of the model
 *           (ties by layer order, then flat index), wherever they are, so a
 *           layer with small weights loses more than one with large ones.
 * Both zero the same count of the model's weights up to the per-layer
 * rounding of local (within TS_NUM_LAYERS / 2 weights). */
typedef enum ts_prune_alloc { TS_PRUNE_LOCAL, TS_PRUNE_GLOBAL } ts_prune_alloc;

/* "local" / "global"; anything else fails naming the valid ones. */
ts_status ts_prune_alloc_parse(const char *name, ts_prune_alloc *alloc, ts_error *err);
const char *ts_prune_alloc_name(ts_prune_alloc alloc);

/* Prunes the model-wide fraction p split as alloc says; mask as for
 * ts_prune_params_mask (nullable). Every layer is checked first. */
ts_status ts_prune_params_alloc(const ts_arch *a, float *params, double p,
                                ts_prune_alloc alloc, uint8_t *mask, ts_error *err);

/* The same on a network, by layer name / for all layers. */
ts_status ts_prune_layer(ts_net *net, const char *name, double p,
                         ts_error *err);
ts_status ts_prune_net(ts_net *net, double p, ts_error *err);

/* Remaining work of one layer (or of the model, in a total). */
typedef struct ts_layer_sparsity {
  const char *name;       /* layer name, "total" for the sum */
  size_t weights;         /* weights (biases excluded) */
  size_t nonzero;         /* weights != 0 (-0.0 counts as zero) */
  long long macs;         /* dense MACs for one image */
  long long nonzero_macs; /* MACs with a non-zero weight */
} ts_layer_sparsity;

/* Per-layer counts (out[TS_NUM_LAYERS]) and their sum (total, nullable). */
ts_status ts_prune_stats_params(const ts_arch *a, const float *params,
                                ts_layer_sparsity out[TS_NUM_LAYERS],
                                ts_layer_sparsity *total, ts_error *err);
ts_status ts_prune_stats(const ts_net *net,
                         ts_layer_sparsity out[TS_NUM_LAYERS],
                         ts_layer_sparsity *total, ts_error *err);

#ifdef __cplusplus
}
#endif
#endif /* TS_PRUNE_H */
