/* tessera prune --finetune: prune the model, then fine-tune it with the
 * mask held (ts_finetune.h), one run per sparsity, each resumable. */
#ifndef TS_PRUNE_FINETUNE_H
#define TS_PRUNE_FINETUNE_H

#include "cli_opts.h"
#include "ts_prune.h"
#include "ts_train.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The default fine-tuning recipe, chosen from the measurements in
 * docs/study.md section 11: cosine decay from lr 0.005 (half of training's
 * constant rate) to 0, and one global magnitude threshold over the model. */
#define TS_PRUNE_FT_LR 0.005
#define TS_PRUNE_FT_ALLOCATION TS_PRUNE_GLOBAL
#define TS_PRUNE_FT_SCHEDULE TS_LR_COSINE

typedef struct ts_prune_ft_opts {
  int epochs;             /* --finetune EPOCHS */
  int gradual;            /* --gradual */
  int nm_n, nm_m;         /* --nm N:M (nm_m = 0: not given) */
  float lr;               /* --lr */
  ts_prune_alloc allocation;  /* --allocation */
  ts_lr_schedule schedule;    /* --lr-schedule */
  int resume;             /* --resume given */
  const double *percent;  /* --percent, 0..100 each */
  int npercent;
  int percent_given;      /* 0: the default list below */
} ts_prune_ft_opts;

/* Sparsities fine-tuned when --percent is not given; 0 is the unpruned
 * model fine-tuned with the same budget, the fair reference. */
#define TS_PRUNE_FT_DEFAULT_PERCENT {0, 50, 70, 80, 90, 95}

/* Runs the fine-tuning for the parsed shared options c. Returns the exit
 * code (0 ok, 1 failure, 2 usage error). */
int ts_prune_finetune(const ts_cli_common *c, const ts_prune_ft_opts *o);

/* --nm N:M for the option table: dst = int[2] {N, M}. */
int ts_prune_opt_nm(const char *cmd, const char *flag, const char *arg, void *dst);

/* --allocation local|global (dst = ts_prune_alloc) and --lr-schedule
 * constant|cosine (dst = ts_lr_schedule) for the option table. */
int ts_prune_opt_alloc(const char *cmd, const char *flag, const char *arg, void *dst);
int ts_prune_opt_schedule(const char *cmd, const char *flag, const char *arg, void *dst);

#ifdef __cplusplus
}
#endif
#endif /* TS_PRUNE_FINETUNE_H */
