/* tessera prune --finetune: prune the model, then fine-tune it with the
 * mask held (ts_finetune.h), one run per sparsity, each resumable. */
#ifndef TS_PRUNE_FINETUNE_H
#define TS_PRUNE_FINETUNE_H

#include "cli_opts.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The default fine-tuning learning rate: a tenth of training's (see
 * docs/study.md, "Masked fine-tuning"). */
#define TS_PRUNE_FT_LR 0.001

typedef struct ts_prune_ft_opts {
  int epochs;             /* --finetune EPOCHS */
  int gradual;            /* --gradual */
  int nm_n, nm_m;         /* --nm N:M (nm_m = 0: not given) */
  float lr;               /* --lr */
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

#ifdef __cplusplus
}
#endif
#endif /* TS_PRUNE_FINETUNE_H */
