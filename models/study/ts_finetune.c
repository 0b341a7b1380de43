#include "ts_finetune.h"

#include <math.h>
#include <stdlib.h>

#include "ts_nm.h"
#include "ts_prune.h"

void ts_finetune_config_default(ts_finetune_config *c) {
  ts_train_config_default(&c->train);
  c->train.epochs = 5;
  c->train.sgd.lr = 0.001f;
  c->mode = TS_FINETUNE_ONESHOT;
  c->sparsity = 0.5;
  c->allocation = TS_PRUNE_LOCAL;
  c->initial_sparsity = 0.0;
  c->ramp_epochs = 0.0;
  c->prunes_per_epoch = 10;
  c->nm_n = 2;
  c->nm_m = 4;
  c->layer_sparsity = NULL;
}

double ts_finetune_gradual_sparsity(double s_i, double s_f, double t,
                                    double T) {
  if (t <= 0) return s_i;
  if (t >= T) return s_f;
  const double r = 1.0 - t / T;
  return s_f + (s_i - s_f) * r * r * r;
}

typedef struct ft_ctx {
  const ts_finetune_config *cfg;
  double ramp;    /* T in epochs */
  uint8_t *mask;  /* [num_params] */
} ft_ctx;

/* The ts_train hook: at a prune point, prune the current weights and hold
 * the result as the trainer's mask. */
static ts_status prune_point(ts_net *net, ts_trainer *tr, int epoch,
                             long long step, long long steps_per_epoch,
                             void *user, ts_error *err) {
  ft_ctx *c = user;
  const ts_finetune_config *cfg = c->cfg;
  const ts_arch *a = ts_net_arch(net);
  float *params = ts_net_params(net);
  ts_status s;
  if (cfg->mode == TS_FINETUNE_GRADUAL) {
    /* point j of the epoch is its first step at or after j/P of it */
    const long long P = cfg->prunes_per_epoch;
    const int point = step == 0 || (step * P) / steps_per_epoch !=
                                       ((step - 1) * P) / steps_per_epoch;
    if (!point) return TS_OK;
    const double t = epoch + (double)step / steps_per_epoch;
    if (cfg->layer_sparsity) { /* every layer on its own ramp to its own s_f */
      double sp[TS_NUM_LAYERS];
      for (int l = 0; l < TS_NUM_LAYERS; l++) {
        const double sf = cfg->layer_sparsity[l];
        sp[l] = ts_finetune_gradual_sparsity(fmin(cfg->initial_sparsity, sf), sf, t, c->ramp);
      }
      s = ts_prune_params_mask_layers(a, params, sp, c->mask, err);
    } else {
      const double sp = ts_finetune_gradual_sparsity(cfg->initial_sparsity,
                                                     cfg->sparsity, t, c->ramp);
      s = ts_prune_params_alloc(a, params, sp, cfg->allocation, c->mask, err);
    }
  } else {
    if (step != 0) return TS_OK;
    s = cfg->mode == TS_FINETUNE_NM
            ? ts_nm_prune_params(a, params, cfg->nm_n, cfg->nm_m, c->mask, err)
            : cfg->layer_sparsity
                ? ts_prune_params_mask_layers(a, params, cfg->layer_sparsity, c->mask, err)
                : ts_prune_params_alloc(a, params, cfg->sparsity, cfg->allocation,
                                        c->mask, err);
  }
  return s ? s : ts_trainer_set_mask(tr, c->mask, err);
}

static ts_status check_config(const ts_finetune_config *c, ts_error *err) {
  if (c->train.hook)
    return ts_fail(err, TS_E_ARG, "fine-tuning sets the training hook itself");
  if (c->layer_sparsity && c->mode == TS_FINETUNE_NM)
    return ts_fail(err, TS_E_ARG, "per-layer sparsities are for one-shot or gradual pruning");
  if (c->mode == TS_FINETUNE_NM) return ts_nm_check(c->nm_n, c->nm_m, err);
  if (c->mode != TS_FINETUNE_ONESHOT && c->mode != TS_FINETUNE_GRADUAL)
    return ts_fail(err, TS_E_ARG, "fine-tuning mode %d is unknown", c->mode);
  if (isnan(c->sparsity) || c->sparsity < 0 || c->sparsity > 1)
    return ts_fail(err, TS_E_ARG,
                   "sparsity %g (%g%%) is outside [0, 1] (0%%..100%%)",
                   c->sparsity, 100 * c->sparsity);
  if (c->allocation != TS_PRUNE_LOCAL && c->allocation != TS_PRUNE_GLOBAL)
    return ts_fail(err, TS_E_ARG, "sparsity allocation %d is unknown", (int)c->allocation);
  for (int l = 0; c->layer_sparsity && l < TS_NUM_LAYERS; l++)
    if (!(c->layer_sparsity[l] >= 0 && c->layer_sparsity[l] <= 1))
      return ts_fail(err, TS_E_ARG, "layer %d's sparsity %g is outside [0, 1]", l,
                     c->layer_sparsity[l]);
  if (c->mode == TS_FINETUNE_ONESHOT) return TS_OK;
  if (isnan(c->initial_sparsity) || c->initial_sparsity < 0 ||
      c->initial_sparsity > c->sparsity)
    return ts_fail(err, TS_E_ARG,
                   "gradual pruning: initial sparsity %g is outside [0, %g] "
                   "(the final sparsity)", c->initial_sparsity, c->sparsity);
  if (c->prunes_per_epoch < 1)
    return ts_fail(err, TS_E_ARG, "gradual pruning: %d prune points per "
                   "epoch; need at least 1", c->prunes_per_epoch);
  if (!(c->ramp_epochs >= 0))
    return ts_fail(err, TS_E_ARG,
                   "gradual pruning: ramp of %g epochs is negative or NaN "
                   "(0 = the default)", c->ramp_epochs);
  return TS_OK;
}

ts_status ts_finetune(ts_net *net, const ts_dataset *train,
                      const ts_dataset *val, const ts_norm *nm,
                      const ts_finetune_config *cfg, ts_train_cb cb,
                      void *user, ts_train_result *res, ts_error *err) {
  if (!net || !cfg)
    return ts_fail(err, TS_E_ARG, "fine-tuning: network or config is NULL");
  ts_status s = check_config(cfg, err);
  if (s) return s;
  ft_ctx c = {cfg, cfg->ramp_epochs > 0 ? cfg->ramp_epochs
                                        : TS_FINETUNE_RAMP * cfg->train.epochs,
              malloc(ts_net_num_params(net))};
  if (!c.mask)
    return ts_fail(err, TS_E_NOMEM, "cannot allocate a pruning mask");
  ts_train_config tc = cfg->train;
  tc.hook = prune_point;
  tc.hook_user = &c;
  s = ts_train(net, train, val, nm, &tc, cb, user, res, err);
  free(c.mask);
  return s;
}
