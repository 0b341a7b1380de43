/* The training loop: epochs of shuffled mini-batch SGD with a CSV log,
 * atomic checkpoints at every epoch end and exact resume.
 *
 * Resume contract: a run stopped at any point and restarted with the same
 * configuration and resume = 1 produces bit-identical parameters and log
 * rows to an uninterrupted run (same thread count), because the checkpoint
 * holds the parameters, the momentum, the step count and the shuffling RNG
 * state of the last finished epoch. */
#ifndef TS_TRAIN_H
#define TS_TRAIN_H

#include <stdint.h>

#include "ts_dataset.h"
#include "ts_net.h"
#include "ts_safetensors.h"
#include "ts_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Called before every SGD step, with the epoch (0-based), the step's index
 * inside the epoch and the steps per epoch; it may change the parameters
 * and set the trainer's mask (masked fine-tuning, gradual pruning). For the
 * resume contract it must depend only on its arguments and the parameters:
 * a resumed run starts at an epoch start without the earlier calls. */
typedef ts_status (*ts_train_hook)(ts_net *net, ts_trainer *tr, int epoch,
                                   long long step, long long steps_per_epoch,
                                   void *user, ts_error *err);

/* Learning rate over a run: constant, or cosine decay from sgd.lr at the
 * first step to 0 after schedule_epochs (Loshchilov & Hutter 2017, without
 * restarts): lr_t = lr (1 + cos(pi t / T)) / 2, t = steps done, T = steps in
 * schedule_epochs. The rate depends on the step count only, so a resumed
 * run follows it exactly. */
typedef enum ts_lr_schedule { TS_LR_CONSTANT, TS_LR_COSINE } ts_lr_schedule;

typedef struct ts_train_config {
  int epochs;         /* total epochs; a resumed run continues up to this */
  int batch;          /* images per SGD step (the last batch may be short) */
  int threads;        /* worker threads */
  ts_sgd sgd;         /* learning rate, momentum, weight decay */
  ts_lr_schedule lr_schedule; /* TS_LR_CONSTANT by default */
  double schedule_epochs;     /* cosine: T in epochs; 0 = epochs (a run
                                 stopped early to be resumed later gives
                                 the full run's T to keep its schedule) */
  uint64_t seed;      /* shuffling seed (initialise the net separately) */
  int log_every;      /* SGD steps between log rows; 0 = epoch ends only */
  int val_subset;     /* validation images used by rows inside an epoch;
                         rows at epoch ends use the whole validation set */
  const char *log_path;        /* CSV log, rewritten atomically; may be NULL */
  const char *checkpoint_path; /* written at each epoch end; may be NULL */
  int resume;                  /* 1: continue from checkpoint_path if present */
  const ts_st_meta *meta;      /* extra metadata stored in checkpoints */
  int nmeta;
  ts_train_hook hook;          /* nullable: called before every step */
  void *hook_user;
} ts_train_config;

/* Sensible defaults: 30 epochs, batch 64, 2 threads, lr 0.01, momentum 0.9,
 * weight decay 5e-4, seed 1, a log row every 200 steps on 2000 images. */
void ts_train_config_default(ts_train_config *c);

/* One log row (also what the progress callback sees). */
typedef struct ts_train_row {
  long long iteration; /* SGD steps taken so far */
  double epoch;        /* epochs done, fractional inside an epoch */
  double train_loss;   /* mean loss over the steps since the last row */
  double train_error;  /* error rate over the same images */
  double val_error;    /* validation error rate; -1 when there is no set */
  int val_images;      /* images the validation error was measured on */
} ts_train_row;

typedef struct ts_train_progress {
  int epoch, epochs;        /* current epoch (1-based) and total */
  long long step, steps;    /* steps done and total, over the whole run */
  double seconds;           /* wall time of this process so far */
  const ts_train_row *row;  /* the row just logged, or NULL mid-epoch */
} ts_train_progress;

/* Called after every step (row == NULL) and after every log row. */
typedef void (*ts_train_cb)(const ts_train_progress *p, void *user);

typedef struct ts_train_result {
  int start_epoch;       /* epochs already done when this call started */
  int epochs_done;       /* epochs done when it returned */
  long long steps;       /* SGD steps in total */
  double val_error;      /* last epoch's validation error (-1: none) */
  double train_loss;     /* last epoch's mean training loss */
  double seconds;        /* wall time spent in this call */
  double images_per_s;   /* training throughput of this call */
} ts_train_result;

/* The learning rate of step `step` (0-based, counted from the run's start)
 * of a run with steps_per_epoch steps per epoch, under cfg's schedule. */
float ts_train_lr(const ts_train_config *cfg, long long step,
                  long long steps_per_epoch);

/* Trains net in place. val may be NULL (no validation). */
ts_status ts_train(ts_net *net, const ts_dataset *train, const ts_dataset *val,
                   const ts_norm *nm, const ts_train_config *cfg,
                   ts_train_cb cb, void *user, ts_train_result *res,
                   ts_error *err);

#ifdef __cplusplus
}
#endif
#endif /* TS_TRAIN_H */
