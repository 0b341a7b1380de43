/* tessera prune --finetune: one fine-tuning run per sparsity (or one N:M
 * run), each in its own folder OUT/finetune/TAG with the trainer's
 * checkpoint and log, and a summary table OUT/finetune_MODE.csv. */
#include "prune_finetune.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

int ts_prune_opt_alloc(const char *cmd, const char *flag, const char *arg, void *dst) {
  ts_error e = {0};
  if (ts_prune_alloc_parse(arg, dst, &e)) {
    fprintf(stderr, "tessera %s: %s: %s\n", cmd, flag, e.msg);
    return 1;
  }
  return 0;
}

static const char *schedule_name(ts_lr_schedule s) {
  return s == TS_LR_COSINE ? "cosine" : "constant";
}

int ts_prune_opt_schedule(const char *cmd, const char *flag, const char *arg, void *dst) {
  for (int i = TS_LR_CONSTANT; i <= TS_LR_COSINE; i++)
    if (!strcmp(arg, schedule_name((ts_lr_schedule)i))) {
      *(ts_lr_schedule *)dst = (ts_lr_schedule)i;
      return 0;
    }
  fprintf(stderr, "tessera %s: %s: unknown learning-rate schedule '%s'; valid: constant, cosine\n",
          cmd, flag, arg);
  return 1;
}

enum { MAX_RUNS = 64 };

/* Checkpoint metadata key of a run's recipe (--resume refuses another). */
#define FT_RECIPE_KEY "tessera.finetune.recipe"


/* One line of the summary. */
typedef struct ft_row {
  char tag[32];
  double percent;        /* asked (N:M: 100 (1 - N/M)) */
  double sparsity;       /* weights that are 0 after fine-tuning, % */
  double acc_pruned;     /* before fine-tuning */
  double acc_tuned;      /* after */
  double layer_zeros[TS_NUM_LAYERS]; /* % of each layer's weights that are 0 */
} ft_row;

typedef struct ft_table {
  const ts_prune_ft_opts *o;
  const char *mode;
  const char *layer[TS_NUM_LAYERS]; /* layer names, for the header */
  ft_row rows[MAX_RUNS];
  int n;
} ft_table;

static ts_status write_table(FILE *fp, void *user, ts_error *err) {
  (void)err;
  const ft_table *t = user;
  fprintf(fp, "run,mode,percent,epochs,lr,weight_sparsity,accuracy_pruned,accuracy_finetuned,"
          "allocation,lr_schedule");
  for (int l = 0; l < TS_NUM_LAYERS; l++) fprintf(fp, ",zeros_%s", t->layer[l]);
  fputc('\n', fp);
  for (int i = 0; i < t->n; i++) {
    const ft_row *r = &t->rows[i];
    fprintf(fp, "%s,%s,%g,%d,%g,%.4f,%.6f,%.6f,%s,%s", r->tag, t->mode, r->percent,
            t->o->epochs, (double)t->o->lr, r->sparsity, r->acc_pruned, r->acc_tuned,
            t->o->nm_m ? "nm" : ts_prune_alloc_name(t->o->allocation),
            schedule_name(t->o->schedule));
    for (int l = 0; l < TS_NUM_LAYERS; l++) fprintf(fp, ",%.4f", r->layer_zeros[l]);
    fputc('\n', fp);
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
  return ts_prune_params_alloc(ts_net_arch(net), ts_net_params(net), cfg->sparsity,
                               cfg->allocation, NULL, err);
}

/* The run's recipe as stored in its checkpoint. The epochs are part of it
 * when the schedule spans them (gradual, cosine): resuming with other
 * epochs would follow another schedule than an uninterrupted run. */
static void recipe_text(char *buf, size_t len, const ts_prune_ft_opts *o,
                        const ts_finetune_config *cfg, const ft_row *r) {
  int n = snprintf(buf, len, "%s lr %g %s", r->tag, (double)o->lr, schedule_name(o->schedule));
  if (!o->nm_m && n > 0 && (size_t)n < len)
    n += snprintf(buf + n, len - n, " %s", ts_prune_alloc_name(cfg->allocation));
  if ((o->gradual || o->schedule != TS_LR_CONSTANT) && n > 0 && (size_t)n < len)
    snprintf(buf + n, len - n, " epochs %d", o->epochs);
}

/* With --resume and a checkpoint: 0 if it was written with this recipe (or
 * records none, or cannot be read: ts_train reports that), else 2 after a
 * message naming both. */
static int check_resume(const char *cmd, const char *ckpt, const char *recipe) {
  ts_st_file *f = NULL;
  if (access(ckpt, F_OK) || ts_st_open(ckpt, &f, NULL)) return 0;
  const char *was = ts_st_meta_get(f, FT_RECIPE_KEY);
  int rc = 0;
  if (was && strcmp(was, recipe)) {
    fprintf(stderr, "tessera %s: --resume: '%s' was fine-tuned with '%s', this run asks for "
            "'%s'; resume with the same options, or start again without --resume\n", cmd, ckpt,
            was, recipe);
    rc = 2;
  }
  ts_st_close(f);
  return rc;
}

/* One fine-tuning run from the base weights; fills r. */
static int run_one(const char *cmd, const ts_cli_common *c, const ts_prune_ft_opts *o,
                   const ts_cli_model *m, ts_net *net, const float *base,
                   const ts_dataset *train, const ts_dataset *test, ts_finetune_config *cfg,
                   const char *mode, ft_row *r) {
  const size_t np = ts_net_num_params(net);
  char dir[4096], ckpt[4096], log[4096], model[4096], normbuf[256], what[256], recipe[160];
  if (snprintf(dir, sizeof dir, "%s/finetune/%s", c->out, r->tag) >= (int)sizeof dir ||
      ts_study_path(ckpt, sizeof ckpt, dir, "checkpoint.safetensors") ||
      ts_study_path(log, sizeof log, dir, "train_log.csv") ||
      ts_study_path(model, sizeof model, dir, "model.safetensors")) {
    fprintf(stderr, "tessera %s: --out path too long\n", cmd);
    return 2;
  }
  recipe_text(recipe, sizeof recipe, o, cfg, r);
  if (cfg->train.resume && check_resume(cmd, ckpt, recipe)) return 2;
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
  snprintf(what, sizeof what, "%s %s, %d epochs at lr %g (%s)", mode, r->tag, o->epochs,
           (double)o->lr, recipe);
  const ts_st_meta meta[] = {{TS_WEIGHTS_DATASET_KEY, m->dataset},
                             {TS_WEIGHTS_NORM_KEY, normbuf},
                             {TS_WEIGHTS_EPOCHS_KEY, m->epochs},
                             {TS_WEIGHTS_SEED_KEY, m->seed},
                             {"tessera.finetune", what},
                             {FT_RECIPE_KEY, recipe}};
  const int nmeta = (int)(sizeof meta / sizeof meta[0]);
  cfg->train.checkpoint_path = ckpt;
  cfg->train.log_path = log;
  cfg->train.meta = meta;
  cfg->train.nmeta = nmeta;
  printf("  %s: %.2f%% without fine-tuning; fine-tuning %d epochs (%s)\n", r->tag,
         100 * r->acc_pruned, o->epochs, dir);
  fflush(stdout);
  ts_train_result res;
  ts_layer_sparsity per[TS_NUM_LAYERS], tot;
  if (ts_finetune(net, train, test, &m->norm, cfg, on_progress, NULL, &res, &err) ||
      ts_evaluate(net, test, &m->norm, 0, c->threads, &r->acc_tuned, NULL, &err) ||
      ts_prune_stats(net, per, &tot, &err) || ts_weights_save(net, model, meta, nmeta, &err)) {
    fprintf(stderr, "tessera %s: %s\n", cmd, err.msg);
    return 1;
  }
  if (res.start_epoch > 0)
    printf("    resumed after epoch %d of %d\n", res.start_epoch, o->epochs);
  r->sparsity = 100.0 * (double)(tot.weights - tot.nonzero) / (double)tot.weights;
  printf("    zeros per layer:");
  for (int l = 0; l < TS_NUM_LAYERS; l++) {
    r->layer_zeros[l] = 100.0 * (double)(per[l].weights - per[l].nonzero) / (double)per[l].weights;
    printf(" %s %.2f%%", per[l].name, r->layer_zeros[l]);
  }
  printf("; model %.2f%%\n", r->sparsity);
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
  ts_layer_info L[TS_NUM_LAYERS];
  ts_error lerr = {0};
  if (ts_arch_layers(ts_net_arch(net), L, &lerr)) {
    fprintf(stderr, "tessera %s: %s\n", cmd, lerr.msg);
    goto done;
  }
  for (int l = 0; l < TS_NUM_LAYERS; l++) t.layer[l] = L[l].name; /* static names */
  printf("masked fine-tuning of %s on %s (%d training, %d test images): %s%s%s, %d epochs at lr "
         "%g (%s), %d threads\n", c->model, m.dataset, train->n, test->n, t.mode,
         o->nm_m ? "" : ", allocation ", o->nm_m ? "" : ts_prune_alloc_name(o->allocation),
         o->epochs, (double)o->lr, schedule_name(o->schedule), c->threads);
  for (int i = 0; i < np; i++) {
    ts_finetune_config cfg;
    ts_finetune_config_default(&cfg);
    cfg.train.epochs = o->epochs;
    cfg.train.sgd.lr = o->lr;
    cfg.train.lr_schedule = o->schedule;
    cfg.allocation = o->allocation;
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
