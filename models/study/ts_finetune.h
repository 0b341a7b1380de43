/* Masked fine-tuning: prune a trained network, then go on training it from
 * the pruned weights with the pruning mask held (ts_trainer_set_mask), so
 * pruned weights stay exactly 0 through every SGD step, momentum and weight
 * decay included. It runs ts_train, so it logs, checkpoints at every epoch
 * end and resumes bit-identically the same way.
 *
 * The mask is recomputed from the current weights at every "prune point":
 * the first step of every epoch, and for gradual pruning also the first
 * step at or after each 1/prunes_per_epoch of an epoch. Pruned weights are
 * exactly 0, the smallest magnitudes, so recomputing at an unchanged
 * sparsity gives the mask back; the mask is therefore a function of the
 * checkpointed weights, which keeps resume exact.
 *
 * Modes:
 *   one-shot  magnitude pruning of the model to s_f (ts_prune.h; split
 *             over the layers as `allocation` says: local, every layer
 *             to s_f, or global, one threshold) before the first step,
 *             held through all epochs;
 *   gradual   Zhu & Gupta (2017): at a prune point t epochs into the run,
 *             the model is pruned (same allocation) to
 *             s_t = s_f + (s_i - s_f)(1 - t/T)^3
 *             (t <= T; s_f after), so sparsity rises fast first, then
 *             slowly, and the last (1 - T/epochs) of the run trains at s_f;
 *   N:M       ts_nm.h's pattern along every layer's K, held. */
#ifndef TS_FINETUNE_H
#define TS_FINETUNE_H

#include "ts_prune.h"
#include "ts_train.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ts_finetune_mode {
  TS_FINETUNE_ONESHOT,
  TS_FINETUNE_GRADUAL,
  TS_FINETUNE_NM
} ts_finetune_mode;

typedef struct ts_finetune_config {
  ts_train_config train;   /* epochs = fine-tuning epochs, lr, checkpoint,
                              resume, log: as for ts_train */
  ts_finetune_mode mode;
  double sparsity;         /* s_f in [0, 1], fraction of the model's
                              weights pruned (one-shot, gradual) */
  ts_prune_alloc allocation; /* how it is split over the layers (local:
                                every layer to s_f; global: one threshold) */
  double initial_sparsity; /* gradual: s_i in [0, s_f] */
  double ramp_epochs;      /* gradual: T in epochs; 0 means TS_FINETUNE_RAMP
                              x epochs (a T beyond the epochs never reaches
                              s_f; it lets a run stopped early, to be
                              resumed later, keep the full run's schedule) */
  int prunes_per_epoch;    /* gradual: prune points per epoch, >= 1 */
  int nm_n, nm_m;          /* N:M: keep n of every m along K */
  const double *layer_sparsity; /* one-shot or gradual, nullable:
                                   [TS_NUM_LAYERS], layer l pruned to
                                   layer_sparsity[l] instead of sparsity (a
                                   per-layer configuration; gradual: each
                                   layer on the cubic ramp to its own s_f,
                                   from min(s_i, its s_f)) */
} ts_finetune_config;

/* The default ramp: sparsity reaches s_f after this fraction of the
 * fine-tuning epochs, and the rest trains at s_f to recover. */
#define TS_FINETUNE_RAMP 0.8

/* ts_train_config_default with 5 epochs at lr 0.001 (a tenth of training's,
 * see docs/study.md), constant; one-shot at sparsity 0.5, local
 * allocation; gradual from s_i = 0 with
 * T = 0, 10 prune points per epoch; N:M 2:4. */
void ts_finetune_config_default(ts_finetune_config *c);

/* s_t of the cubic schedule: s_i at t <= 0, s_f at t >= T (exactly), and
 * s_f + (s_i - s_f)(1 - t/T)^3 between. T > 0. */
double ts_finetune_gradual_sparsity(double s_i, double s_f, double t,
                                    double T);

/* Prunes net as cfg says and fine-tunes it in place on train, validating on
 * val (nullable). The arguments are as for ts_train; cfg->train.hook must
 * be NULL (fine-tuning uses it). */
ts_status ts_finetune(ts_net *net, const ts_dataset *train,
                      const ts_dataset *val, const ts_norm *nm,
                      const ts_finetune_config *cfg, ts_train_cb cb,
                      void *user, ts_train_result *res, ts_error *err);

#ifdef __cplusplus
}
#endif
#endif /* TS_FINETUNE_H */
