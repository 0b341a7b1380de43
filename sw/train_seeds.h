/* Multi-seed training (`tessera train --seeds LIST`): the same recipe
 * trained once per seed, each into OUT/seed-S/ (model, log, checkpoint),
 * and one table OUT/train_seeds.csv of every seed's final figures, with
 * their mean, standard deviation, minimum and maximum in
 * OUT/train_seeds_summary.csv. Seeds are the points of a sweep: a seed
 * with a row in the table (same recipe) is never trained again, and with
 * --slurm each array task trains its slice of the seeds (slurm.h), the
 * merge job writing the same two files a single-machine run writes.
 *
 * Like cli.h, functions print their own one-line errors and return 0 / 1
 * (exit codes where said). */
#ifndef TS_TRAIN_SEEDS_H
#define TS_TRAIN_SEEDS_H

#include <stdint.h>

#include "slurm.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TS_SEEDS_MAX TS_SLURM_MAX_TASKS

/* --seeds LIST: comma-separated seeds or ranges A-B, distinct, at most
 * TS_SEEDS_MAX; dst is a ts_seed_list. ts_opt_fn's signature (cli_opts.h). */
typedef struct ts_seed_list {
  int n;
  uint64_t *seed; /* [n], malloc'ed; free() it */
} ts_seed_list;
int ts_opt_seed_list(const char *cmd, const char *flag, const char *arg, void *dst);

/* What training one seed gave. */
typedef struct ts_seed_result {
  double train_loss; /* last epoch's mean training loss */
  double val_error;  /* last epoch's validation error, -1 none */
} ts_seed_result;

/* Trains seed into folder out; returns an exit code (0 = done). */
typedef int (*ts_train_one_fn)(void *user, uint64_t seed, const char *out,
                               ts_seed_result *r);

typedef struct ts_seeds_cmd {
  const ts_slurm_cmd *job;   /* the train command and its --slurm options */
  const char *out;           /* OUT */
  const ts_seed_list *seeds;
  /* The recipe besides the seed (the epochs included) as CSV columns:
   * names "a,b,..." and this run's values in the same order (no commas
   * inside a value). A row is reused only when every value is this run's. */
  const char *recipe_cols, *recipe_vals;
  ts_train_one_fn train;
  void *user;
} ts_seeds_cmd;

/* Trains the seeds that have no row yet (this task's slice under --slice),
 * saving the table atomically after each; writes the Slurm jobs instead
 * under --slurm. Returns an exit code. */
int ts_train_seeds(const ts_seeds_cmd *c);

#ifdef __cplusplus
}
#endif
#endif /* TS_TRAIN_SEEDS_H */
