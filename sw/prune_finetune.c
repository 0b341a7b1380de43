/* tessera prune --finetune: one fine-tuning run per sparsity (or one N:M
 * run), each in its own folder OUT/finetune/TAG with the trainer's
 * checkpoint and log, and a summary table OUT/finetune_MODE.csv. */
#include "prune_finetune.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_model.h"
#include "study.h"
#include "ts_atomic.h"
#include "ts_eval.h"
#include "ts_finetune.h"
#include "ts_nm.h"
#include "ts_prune.h"
#include "ts_weights.h"

int ts_prune_opt_nm(const char *cmd, const char *flag, const char *arg, void *dst) {
  int *nm = dst;
  ts_error e = {0};
  if (ts_nm_parse(arg, &nm[0], &nm[1], &e)) {
    fprintf(stderr, "tessera %s: %s: %s\n", cmd, flag, e.msg);
    return 1;
  }
  return 0;
}

enum { MAX_RUNS = 64 };

/* One line of the summary. */
typedef struct ft_row {
  char tag[32];
  double percent;        /* asked (N:M: 100 (1 - N/M)) */
  double sparsity;       /* weights that are 0 after fine-tuning, % */
  double acc_pruned;     /* before fine-tuning */
  double acc_tuned;      /* after */
} ft_row;

typedef struct ft_table {
  const ts_prune_ft_opts *o;
  const char *mode;
  ft_row rows[MAX_RUNS];
  int n;
} ft_table;

static ts_status write_table(FILE *fp, void *user, ts_error *err) {
  (void)err;
  const ft_table *t = user;
  fprintf(fp, "run,mode,percent,epochs,lr,weight_sparsity,accuracy_pruned,accuracy_finetuned\n");
  for (int i = 0; i < t->n; i++) {
    const ft_row *r = &t->rows[i];
    fprintf(fp, "%s,%s,%g,%d,%g,%.4f,%.6f,%.6f\n", r->tag, t->mode, r->percent, t->o->epochs,
            (double)t->o->lr, r->sparsity, r->acc_pruned, r->acc_tuned);
  }
  return TS_OK;
}

static void on_progress(const ts_train_progress *p, void *user) {
  (void)user;
  if (!p->row) return;
  printf("    epoch %d/%d  train loss %.4f  test accuracy %.2f%%\n", p->epoch, p->epochs,
         p->row->train_loss, 100 * (1 - p->row->val_error));
  fflush(stdout);
}

/* Prunes net's weights as cfg says, without training (the "no
 * fine-tuning" point; gradual pruning ends at the one-shot mask). */
static ts_status prune_once(ts_net *net, const ts_finetune_config *cfg, ts_error *err) {
  if (cfg->mode == TS_FINETUNE_NM)
    return ts_nm_prune_params(ts_net_arch(net), ts_net_params(net), cfg->nm_n, cfg->nm_m, NULL,
                              err);
  return ts_prune_net(net, cfg->sparsity, err);
}

/* One fine-tuning run from the base weights; fills r. */
static int run_one(const char *cmd, const ts_cli_common *c, const ts_prune_ft_opts *o,
                   const ts_cli_model *m, ts_net *net, const float *base,
                   const ts_dataset *train, const ts_dataset *test, ts_finetune_config *cfg,
                   const char *mode, ft_row *r) {
  const size_t np = ts_net_num_params(net);
  char dir[4096], ckpt[4096], log[4096], model[4096], normbuf[256], what[128];
  if (snprintf(dir, sizeof dir, "%s/finetune/%s", c->out, r->tag) >= (int)sizeof dir ||
      ts_study_path(ckpt, sizeof ckpt, dir, "checkpoint.safetensors") ||
      ts_study_path(log, sizeof log, dir, "train_log.csv") ||
      ts_study_path(model, sizeof model, dir, "model.safetensors")) {
    fprintf(stderr, "tessera %s: --out path too long\n", cmd);
    return 2;
  }
  if (ts_cli_mkdirs(cmd, dir)) return 1;
  ts_error err = {0};
  memcpy(ts_net_params(net), base, sizeof(float) * np);
  if (prune_once(net, cfg, &err) ||
      ts_evaluate(net, test, &m->norm, 0, c->threads, &r->acc_pruned, NULL, &err)) {
    fprintf(stderr, "tessera %s: %s\n", cmd, err.msg);
    return 1;
  }
  memcpy(ts_net_params(net), base, sizeof(float) * np);
  ts_cli_norm_format(&m->norm, normbuf, sizeof normbuf);
  snprintf(what, sizeof what, "%s %s, %d epochs at lr %g", mode, r->tag, o->epochs,
           (double)o->lr);
  const ts_st_meta meta[] = {{TS_WEIGHTS_DATASET_KEY, m->dataset},
                             {TS_WEIGHTS_NORM_KEY, normbuf},
                             {TS_WEIGHTS_EPOCHS_KEY, m->epochs},
                             {TS_WEIGHTS_SEED_KEY, m->seed},
                             {"tessera.finetune", what}};
  cfg->train.checkpoint_path = ckpt;
  cfg->train.log_path = log;
  cfg->train.meta = meta;
  cfg->train.nmeta = 5;
  printf("  %s: %.2f%% without fine-tuning; fine-tuning %d epochs (%s)\n", r->tag,
         100 * r->acc_pruned, o->epochs, dir);
  fflush(stdout);
  ts_train_result res;
  ts_layer_sparsity per[TS_NUM_LAYERS], tot;
  if (ts_finetune(net, train, test, &m->norm, cfg, on_progress, NULL, &res, &err) ||
      ts_evaluate(net, test, &m->norm, 0, c->threads, &r->acc_tuned, NULL, &err) ||
      ts_prune_stats(net, per, &tot, &err) || ts_weights_save(net, model, meta, 5, &err)) {
    fprintf(stderr, "tessera %s: %s\n", cmd, err.msg);
    return 1;
  }
  if (res.start_epoch > 0)
    printf("    resumed after epoch %d of %d\n", res.start_epoch, o->epochs);
  r->sparsity = 100.0 * (double)(tot.weights - tot.nonzero) / (double)tot.weights;
  return 0;
}

int ts_prune_finetune(const ts_cli_common *c, const ts_prune_ft_opts *o) {
  const char *cmd = "prune";
  if (o->gradual && o->nm_m) {
    fprintf(stderr, "tessera %s: --gradual and --nm exclude each other (N:M is pruned at once)\n",
            cmd);
    return 2;
  }
  if (o->nm_m && o->percent_given) {
    fprintf(stderr, "tessera %s: --nm N:M sets the sparsity (1 - N/M); drop --percent\n", cmd);
    return 2;
  }
  static const double def[] = TS_PRUNE_FT_DEFAULT_PERCENT;
  const double *pct = o->percent_given ? o->percent : def;
  const int np = o->nm_m ? 1 : o->percent_given ? o->npercent : (int)(sizeof def / sizeof def[0]);
  if (np > MAX_RUNS) {
    fprintf(stderr, "tessera %s: at most %d fine-tuning runs at once\n", cmd, MAX_RUNS);
    return 2;
  }
  ft_table t = {.o = o, .mode = o->nm_m ? "nm" : o->gradual ? "gradual" : "one-shot"};
  char csv[4096], name[64];
  if (o->nm_m)
    snprintf(name, sizeof name, "finetune_nm%d-%d.csv", o->nm_n, o->nm_m);
  else
    snprintf(name, sizeof name, "finetune_%s.csv", o->gradual ? "gradual" : "oneshot");
  if (ts_study_path(csv, sizeof csv, c->out, name)) {
    fprintf(stderr, "tessera %s: --out path too long\n", cmd);
    return 2;
  }
  ts_cli_data data = c->data;
  ts_cli_model m;
  ts_dataset *train = NULL, *test = NULL;
  ts_net *net = NULL;
  float *base = NULL;
  int rc = 1;
  if (ts_cli_model_open(cmd, c->model, &data, &m)) goto done;
  if (!(train = ts_cli_load(cmd, &data, TS_SPLIT_TRAIN)) ||
      !(test = ts_cli_load(cmd, &data, TS_SPLIT_TEST)) || ts_cli_model_net(cmd, &m, test, &net))
    goto done;
  const size_t nparams = ts_net_num_params(net);
  if (!(base = malloc(sizeof(float) * nparams))) {
    fprintf(stderr, "tessera %s: out of memory\n", cmd);
    goto done;
  }
  memcpy(base, ts_net_params(net), sizeof(float) * nparams);
  printf("masked fine-tuning of %s on %s (%d training, %d test images): %s, %d epochs at lr "
         "%g, %d threads\n", c->model, m.dataset, train->n, test->n, t.mode, o->epochs,
         (double)o->lr, c->threads);
  for (int i = 0; i < np; i++) {
    ts_finetune_config cfg;
    ts_finetune_config_default(&cfg);
    cfg.train.epochs = o->epochs;
    cfg.train.sgd.lr = o->lr;
    cfg.train.threads = c->threads;
    cfg.train.log_every = 0; /* a row (full test set) at each epoch end */
    cfg.train.resume = o->resume;
    ft_row *r = &t.rows[t.n];
    if (o->nm_m) {
      cfg.mode = TS_FINETUNE_NM;
      cfg.nm_n = o->nm_n;
      cfg.nm_m = o->nm_m;
      r->percent = 100.0 * (1.0 - (double)o->nm_n / o->nm_m);
      snprintf(r->tag, sizeof r->tag, "nm%d-%d", o->nm_n, o->nm_m);
    } else {
      cfg.mode = o->gradual ? TS_FINETUNE_GRADUAL : TS_FINETUNE_ONESHOT;
      cfg.sparsity = pct[i] / 100.0;
      r->percent = pct[i];
      snprintf(r->tag, sizeof r->tag, "p%g%s", pct[i], o->gradual ? "-gradual" : "");
    }
    if ((rc = run_one(cmd, c, o, &m, net, base, train, test, &cfg, t.mode, r))) goto done;
    t.n++;
    ts_error err = {0};
    if (ts_atomic_write(csv, write_table, &t, &err)) {
      fprintf(stderr, "tessera %s: %s\n", cmd, err.msg);
      rc = 1;
      goto done;
    }
  }
  printf("\n  %-14s %8s %10s %12s %12s\n", "run", "percent", "zeros (%)", "no fine-tune",
         "fine-tuned");
  for (int i = 0; i < t.n; i++)
    printf("  %-14s %8g %10.2f %11.2f%% %11.2f%%\n", t.rows[i].tag, t.rows[i].percent,
           t.rows[i].sparsity, 100 * t.rows[i].acc_pruned, 100 * t.rows[i].acc_tuned);
  printf("wrote %s and OUT/finetune/RUN/{model,checkpoint}.safetensors, train_log.csv "
         "(OUT = %s)\n", csv, c->out);
  rc = 0;
done:
  free(base);
  ts_net_destroy(net);
  ts_dataset_destroy(train);
  ts_dataset_destroy(test);
  ts_cli_model_close(&m);
  return rc;
}
