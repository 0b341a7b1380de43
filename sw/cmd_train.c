/* tessera train: train the CNN on a dataset, log, checkpoint, save. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli_opts.h"
#include "commands.h"
#include "ts_eval.h"
#include "ts_train.h"
#include "ts_weights.h"
#include "train_seeds.h"

static const char *const USAGE =
    "usage: tessera train [options]\n"
    "Trains the small CNN (conv-relu-pool x2, fc x3) with SGD and writes\n"
    "OUT/model.safetensors, OUT/train_log.csv and OUT/checkpoint.safetensors.\n"
    "\n"
    "data:\n"
    "  --dataset NAME     cifar10 | cifar100 | mnist | fashion-mnist (default fashion-mnist)\n"
    "  --data DIR         dataset folder (default $TESSERA_DATA; Debian's folder for fashion-mnist)\n"
    "  --coarse           CIFAR-100: the 20 coarse labels instead of the 100 fine ones\n"
    "  --limit N          use only the first N images of each split (quick runs)\n"
    "  --val-split F      hold out the last fraction F of the training set for validation\n"
    "                     (default: validate on the test split, as the assignment does)\n"
    "architecture:\n"
    "  --k1 K, --k2 K     conv kernel sizes (default 5, 5)\n"
    "  --ids ID1,ID2      derive k1, k2 and epochs from two ID numbers (assignment rule)\n"
    "  --channels C1,C2   conv output channels (default 6,16)\n"
    "training:\n"
    "  --epochs N         (default 30)        --batch N        (default 64)\n"
    "  --lr X             (default 0.01)      --momentum X     (default 0.9)\n"
    "  --weight-decay X   (default 5e-4)      --seed N         (default 1)\n"
    "  --threads N        (default 2)         --log-every N    steps (default 200)\n"
    "  --out DIR          output folder (default out)\n"
    "  --resume           continue from OUT/checkpoint.safetensors if it exists; the\n"
    "                     recipe (data options, kernels, channels, batch, lr, momentum,\n"
    "                     weight decay, seed) must be the checkpoint's, --epochs at least\n"
    "                     the epochs it holds (else exit 2)\n"
    "  --quiet            no progress bar (epoch summaries still print)\n"
    "several seeds (a multi-seed study):\n"
    "  --seeds LIST       train once per seed (1,2,3 or 1-5; --seed is then ignored),\n"
    "                     each into OUT/seed-S/, and write OUT/train_seeds.csv (every\n"
    "                     seed's final loss and validation accuracy) and\n"
    "                     OUT/train_seeds_summary.csv (mean, sd, min, max); a seed\n"
    "                     already in the table with the same recipe is not trained again\n"
    TS_SLURM_USAGE
    "                     (with --seeds: one array task per seed by default)\n";

typedef struct progress_ctx {
  int tty, quiet;
  double last_draw;
  long long first_step; /* step count when this process started, -1 unknown */
} progress_ctx;

static void on_progress(const ts_train_progress *p, void *user) {
  progress_ctx *pc = user;
  if (pc->first_step < 0) pc->first_step = p->step - 1;
  char eta[32], el[32];
  enum { W = 30 }; /* bar width */
  if (pc->tty && !pc->quiet && (p->seconds - pc->last_draw > 0.2 || p->row)) {
    pc->last_draw = p->seconds;
    const double frac = (double)p->step / p->steps;
    int fill = (int)(frac * W);
    char bar[64];
    for (int i = 0; i < W; i++) bar[i] = i < fill ? '#' : '.';
    bar[W] = 0;
    ts_cli_duration(p->seconds, el, sizeof el);
    fprintf(stderr, "\r  epoch %d/%d [%s] %5.1f%% step %lld/%lld %s", p->epoch,
            p->epochs, bar, 100 * frac, p->step, p->steps, el);
    fflush(stderr);
  }
  if (p->row && p->row->epoch == (double)(int)p->row->epoch) {
    /* ETA from this process's own pace (a resumed run starts mid-way) */
    const long long done = p->step - pc->first_step;
    const double per_step = p->seconds / (done > 0 ? done : 1);
    ts_cli_duration(per_step * (p->steps - p->step), eta, sizeof eta);
    fprintf(stderr, "%sepoch %d/%d  train loss %.4f  train error %.2f%%  val error %s%.2f%%  ETA %s\n",
            pc->tty ? "\r\033[K" : "", p->epoch, p->epochs, p->row->train_loss,
            100 * p->row->train_error, p->row->val_error < 0 ? "n/a " : "",
            p->row->val_error < 0 ? 0 : 100 * p->row->val_error, eta);
  }
}

/* What the command line asked for. */
typedef struct train_args {
  ts_cli_common c;
  ts_train_config cfg;
  int k[2], ch[2];  /* kernel sizes k1, k2; conv channels c1, c2 */
  int quiet, epochs_set;
  double val_split; /* fraction of the training set held out, 0 = none */
  ts_seed_list seeds; /* --seeds, n = 0 without */
  ts_slurm_opts so;   /* --slurm ..., with --seeds */
} train_args;

/* --ids ID1,ID2: kernel sizes and (unless --epochs) epochs from two IDs. */
static int apply_ids(const char *cmd, const char *ids, train_args *a) {
  char id1[64], id2[64];
  const char *comma = strchr(ids, ',');
  ts_error err = {0};
  int ep;
  if (!comma || comma - ids >= 64 || strlen(comma + 1) >= 64) {
    fprintf(stderr, "tessera %s: --ids takes ID1,ID2, got '%s'\n", cmd, ids);
    return 1;
  }
  memcpy(id1, ids, comma - ids);
  id1[comma - ids] = 0;
  strcpy(id2, comma + 1);
  if (ts_arch_from_ids(id1, id2, &a->k[0], &a->k[1], &ep, &err)) {
    fprintf(stderr, "tessera %s: --ids: %s\n", cmd, err.msg);
    return 1;
  }
  if (!a->epochs_set) a->cfg.epochs = ep;
  printf("IDs %s, %s -> k1 = %d (max digit of ID1), k2 = %d (9 - min digit of ID2), "
         "epochs = %d%s\n", id1, id2, a->k[0], a->k[1], ep,
         a->epochs_set ? " (overridden by --epochs)" : "");
  return 0;
}

/* Returns 0 to go on, else 1 with the exit code in *rc. */
static int parse_args(const char *cmd, int argc, char **argv, train_args *a, int *rc) {
  memset(a, 0, sizeof *a);
  ts_cli_common_default(&a->c);
  ts_train_config_default(&a->cfg);
  a->k[0] = a->k[1] = 5;
  a->ch[0] = 6;
  a->ch[1] = 16;
  const char *ids = NULL;
  ts_train_config *cfg = &a->cfg;
  ts_opt own[] = {
      TS_OPT_R("val-split", &a->val_split, 0.0, 0.9),
      TS_OPT_I("k1", &a->k[0], 1, TS_CLI_MAX_DIM),
      TS_OPT_I("k2", &a->k[1], 1, TS_CLI_MAX_DIM),
      TS_OPT_S("ids", &ids),
      TS_OPT_CALL("channels", ts_opt_int_pair, a->ch),
      TS_OPT_I("epochs", &cfg->epochs, 1, 100000),
      TS_OPT_I("batch", &cfg->batch, 1, TS_MAX_BATCH),
      TS_OPT_F("lr", &cfg->sgd.lr, 1e-9, 10.0),
      TS_OPT_F("momentum", &cfg->sgd.momentum, 0.0, 0.999),
      TS_OPT_F("weight-decay", &cfg->sgd.weight_decay, 0.0, 1.0),
      TS_OPT_U("seed", &cfg->seed),
      TS_OPT_I("log-every", &cfg->log_every, 0, 1 << 30),
      TS_OPT_SWITCH("resume", &cfg->resume, 1),
      TS_OPT_SWITCH("quiet", &a->quiet, 1),
      TS_OPT_CALL("seeds", ts_opt_seed_list, &a->seeds),
      TS_SLURM_OPTS(&a->so)};
  own[5].seen = &a->epochs_set;
  const ts_cli_spec spec = {cmd, USAGE, TS_CLI_DATA_OPTS | TS_CLI_THREADS | TS_CLI_OUT, own,
                            TS_OPT_COUNT(own)};
  if (ts_cli_parse(&spec, argc, argv, &a->c, rc)) return 1;
  cfg->threads = a->c.threads;
  *rc = 2;
  if (ts_slurm_check(cmd, &a->so)) return 1;
  if (!a->seeds.n && (a->so.dir || a->so.slice || a->so.merge)) {
    fprintf(stderr, "tessera %s: --slurm trains several seeds: give --seeds too\n", cmd);
    return 1;
  }
  return ids && apply_ids(cmd, ids, a);
}

/* The training images and the validation images: the last val_split of
 * the training set, or the test split. Returns an exit code. */
static int load_data(const char *cmd, const train_args *a, ts_dataset **train,
                     ts_dataset **val) {
  *val = NULL;
  if (!(*train = ts_cli_load(cmd, &a->c.data, TS_SPLIT_TRAIN))) return 1;
  if (a->val_split <= 0)
    return (*val = ts_cli_load(cmd, &a->c.data, TS_SPLIT_TEST)) ? 0 : 1;
  const int n = (*train)->n, nval = (int)(n * a->val_split);
  if (nval < 1 || nval >= n) {
    fprintf(stderr, "tessera %s: --val-split %g leaves no images on one side of %d\n", cmd,
            a->val_split, n);
    return 2;
  }
  ts_dataset *rest = NULL;
  ts_error err = {0};
  if (ts_dataset_split(*train, n - nval, nval, val, &err) ||
      ts_dataset_split(*train, 0, n - nval, &rest, &err)) {
    ts_cli_error(cmd, &err);
    return 1;
  }
  ts_dataset_destroy(*train);
  *train = rest;
  return 0;
}

/* A freshly initialised network for the training images. Returns an exit
 * code: kernels that do not fit the images are a usage error. */
static int make_net(const char *cmd, const train_args *a, const ts_dataset *train,
                    ts_net **net) {
  ts_arch arch;
  ts_error err = {0};
  ts_arch_default(&arch, train->c, train->h, train->w, train->classes);
  arch.k1 = a->k[0];
  arch.k2 = a->k[1];
  arch.c1 = a->ch[0];
  arch.c2 = a->ch[1];
  if (ts_arch_validate(&arch, &err)) {
    fprintf(stderr, "tessera %s: --k1/--k2/--channels: %s\n", cmd, err.msg);
    return 2;
  }
  if (ts_net_create(&arch, net, &err)) {
    ts_cli_error(cmd, &err);
    return 1;
  }
  ts_net_init(*net, a->cfg.seed);
  return 0;
}

/* ---- The recipe: stored with the weights, repeated by a resume --------- */

/* The training settings a model's weights depend on (besides the kernel
 * sizes and channels, which its architecture holds), as metadata of the
 * model and the checkpoint. A resume must ask for the same ones. */
enum { NRECIPE = 9 };
static const struct {
  const char *key, *flag;
} RECIPE[NRECIPE] = {
    {TS_WEIGHTS_DATASET_KEY, "--dataset"},   {"tessera.coarse", "--coarse"},
    {"tessera.limit", "--limit"},            {"tessera.val_split", "--val-split"},
    {"tessera.batch", "--batch"},            {"tessera.lr", "--lr"},
    {"tessera.momentum", "--momentum"},      {"tessera.weight_decay", "--weight-decay"},
    {TS_WEIGHTS_SEED_KEY, "--seed"}};

typedef struct recipe {
  char value[NRECIPE][64]; /* RECIPE[i]'s value as stored */
} recipe;

/* The shortest text that reads back as exactly v ("0.01", not
 * "0.00999999978"). */
static void float_text(char *buf, int len, float v) {
  for (int digits = 6; digits <= 9; digits++) {
    snprintf(buf, len, "%.*g", digits, v);
    if (strtof(buf, NULL) == v) return;
  }
}

static void recipe_of(const train_args *a, recipe *r) {
  const ts_train_config *c = &a->cfg;
  const int len = sizeof r->value[0];
  snprintf(r->value[0], len, "%s", ts_cli_dataset(&a->c.data));
  snprintf(r->value[1], len, "%d", a->c.data.coarse);
  snprintf(r->value[2], len, "%d", a->c.data.limit);
  snprintf(r->value[3], len, "%.17g", a->val_split);
  snprintf(r->value[4], len, "%d", c->batch);
  float_text(r->value[5], len, c->sgd.lr);
  float_text(r->value[6], len, c->sgd.momentum);
  float_text(r->value[7], len, c->sgd.weight_decay);
  snprintf(r->value[8], len, "%llu", (unsigned long long)c->seed);
}

static void refuse(const char *cmd, const char *path, const char *flag, const char *was,
                   const char *now) {
  fprintf(stderr, "tessera %s: --resume: '%s' was trained with %s %s, this run asks for %s %s; "
          "resume with the same recipe, or train from scratch without --resume\n", cmd, path,
          flag, was, flag, now);
}

/* The architecture's part of the recipe: kernel sizes and channels. */
static int same_arch(const char *cmd, const char *path, const ts_st_file *f,
                     const train_args *a) {
  const char *json = ts_st_meta_get(f, TS_WEIGHTS_ARCH_KEY);
  ts_arch was;
  if (!json || ts_weights_arch_parse(json, &was, NULL)) return 1; /* ts_train reports it */
  char w[32], n[32];
  for (int i = 0; i < 2; i++) {
    snprintf(w, sizeof w, "%d", i ? was.k2 : was.k1);
    snprintf(n, sizeof n, "%d", a->k[i]);
    if (strcmp(w, n)) return refuse(cmd, path, i ? "--k2" : "--k1", w, n), 0;
  }
  snprintf(w, sizeof w, "%d,%d", was.c1, was.c2);
  snprintf(n, sizeof n, "%d,%d", a->ch[0], a->ch[1]);
  if (strcmp(w, n)) return refuse(cmd, path, "--channels", w, n), 0;
  return 1;
}

/* With --resume and a checkpoint in OUT: refuses (exit 2) a recipe other
 * than the checkpoint's, field by field as far as the checkpoint records
 * them (the kernel sizes and channels when it records the whole recipe),
 * and fewer epochs than it holds. A checkpoint that cannot be read
 * is left to ts_train to report. Returns an exit code. */
static int check_resume(const char *cmd, const train_args *a, const recipe *r) {
  char path[4096];
  ts_st_file *f = NULL;
  if (!a->cfg.resume ||
      snprintf(path, sizeof path, "%s/checkpoint.safetensors", a->c.out) >= (int)sizeof path ||
      access(path, F_OK) || ts_st_open(path, &f, NULL))
    return 0;
  int ok = 1, recorded = 0;
  for (int i = 0; i < NRECIPE && ok; i++) {
    const char *was = ts_st_meta_get(f, RECIPE[i].key);
    recorded += was != NULL;
    if (was && strcmp(was, r->value[i])) {
      refuse(cmd, path, RECIPE[i].flag, was, r->value[i]);
      ok = 0;
    }
  }
  /* a checkpoint without the whole recipe (an older one, or not ours):
   * another architecture stays the file's error that ts_train reports */
  ok = ok && (recorded < NRECIPE || same_arch(cmd, path, f, a));
  const char *done = ts_st_meta_get(f, TS_WEIGHTS_CKPT_EPOCH_KEY);
  if (ok && done && atoi(done) > a->cfg.epochs) {
    fprintf(stderr, "tessera %s: --resume: '%s' already holds %s epochs, more than --epochs "
            "%d; ask for at least %s, or train from scratch without --resume\n", cmd, path,
            done, a->cfg.epochs, done);
    ok = 0;
  }
  ts_st_close(f);
  return ok ? 0 : 2;
}

/* Output files and the metadata stored in the model and the checkpoint:
 * the normalisation, the epochs, the recipe. */
typedef struct train_files {
  char log[4096], ckpt[4096], model[4096];
  char norm[256], epochs[32];
  recipe r;
  ts_st_meta meta[2 + NRECIPE];
} train_files;

static int name_files(const char *cmd, const train_args *a, const ts_norm *nm,
                      train_files *f) {
  const char *out = a->c.out;
  if (snprintf(f->log, sizeof f->log, "%s/train_log.csv", out) >= (int)sizeof f->log ||
      snprintf(f->ckpt, sizeof f->ckpt, "%s/checkpoint.safetensors", out) >=
          (int)sizeof f->ckpt ||
      snprintf(f->model, sizeof f->model, "%s/model.safetensors", out) >= (int)sizeof f->model) {
    fprintf(stderr, "tessera %s: --out path too long\n", cmd);
    return 1;
  }
  ts_cli_norm_format(nm, f->norm, sizeof f->norm);
  snprintf(f->epochs, sizeof f->epochs, "%d", a->cfg.epochs);
  recipe_of(a, &f->r);
  f->meta[0] = (ts_st_meta){TS_WEIGHTS_NORM_KEY, f->norm};
  f->meta[1] = (ts_st_meta){TS_WEIGHTS_EPOCHS_KEY, f->epochs};
  for (int i = 0; i < NRECIPE; i++) f->meta[2 + i] = (ts_st_meta){RECIPE[i].key, f->r.value[i]};
  return 0;
}

static void print_plan(const train_args *a, const ts_dataset *train, const ts_dataset *val,
                       const ts_net *net) {
  const ts_arch *arch = ts_net_arch(net);
  const ts_train_config *cfg = &a->cfg;
  printf("training on %s: %d images %dx%dx%d, %d classes; validating on %d %s images\n",
         ts_cli_dataset(&a->c.data), train->n, train->c, train->h, train->w, train->classes,
         val->n, a->val_split > 0 ? "held-out" : "test");
  printf("architecture: k1=%d k2=%d channels=%d,%d, %zu parameters, %lld MACs/image\n",
         arch->k1, arch->k2, arch->c1, arch->c2, ts_net_num_params(net), ts_arch_macs(arch));
  printf("recipe: %d epochs, batch %d, lr %g, momentum %g, weight decay %g, seed %llu, "
         "%d threads\n", cfg->epochs, cfg->batch, cfg->sgd.lr, cfg->sgd.momentum,
         cfg->sgd.weight_decay, (unsigned long long)cfg->seed, cfg->threads);
}

static void print_result(const ts_train_config *cfg, const ts_train_result *res,
                         const train_files *f) {
  if (res->start_epoch >= res->epochs_done) /* no epoch ran: no val error */
    printf("nothing to train: the checkpoint already holds %d epochs (asked for %d)\n",
           res->start_epoch, cfg->epochs);
  else if (res->start_epoch > 0)
    printf("resumed from the checkpoint after epoch %d\n", res->start_epoch);
  char el[32];
  ts_cli_duration(res->seconds, el, sizeof el);
  if (res->val_error >= 0)
    printf("done: %d epochs in %s (%.0f images/s); final val error %.2f%% (accuracy %.2f%%)\n",
           res->epochs_done, el, res->images_per_s, 100 * res->val_error,
           100 * (1 - res->val_error));
  else
    printf("done: %d epochs\n", res->epochs_done);
  printf("wrote %s, %s, %s\n", f->model, f->log, f->ckpt);
}

/* Trains net and writes the model, the log and the checkpoint; res
 * (nullable) receives what ts_train returned. */
static int train_and_save(const char *cmd, train_args *a, ts_net *net,
                          const ts_dataset *train, const ts_dataset *val,
                          ts_train_result *res_out) {
  ts_error err = {0};
  ts_norm nm;
  train_files *f = calloc(1, sizeof *f);
  int rc = 1;
  if (!f) {
    fprintf(stderr, "tessera %s: out of memory\n", cmd);
    return 1;
  }
  if (ts_dataset_norm(train, &nm, &err)) {
    ts_cli_error(cmd, &err);
    goto done;
  }
  if (name_files(cmd, a, &nm, f) || ts_cli_mkdirs(cmd, a->c.out)) goto done;
  a->cfg.log_path = f->log;
  a->cfg.checkpoint_path = f->ckpt;
  a->cfg.meta = f->meta;
  a->cfg.nmeta = TS_OPT_COUNT(f->meta);
  print_plan(a, train, val, net);
  progress_ctx pc = {isatty(2), a->quiet, -1, -1};
  ts_train_result res;
  if (ts_train(net, train, val, &nm, &a->cfg, on_progress, &pc, &res, &err)) {
    fprintf(stderr, "%stessera %s: %s\n", pc.tty ? "\n" : "", cmd, err.msg);
    goto done;
  }
  if (ts_weights_save(net, f->model, f->meta, a->cfg.nmeta, &err)) {
    ts_cli_error(cmd, &err);
    goto done;
  }
  print_result(&a->cfg, &res, f);
  if (res_out) *res_out = res;
  rc = 0;
done:
  free(f);
  return rc;
}

/* ---- Several seeds (train_seeds.h) ------------------------------------ */

typedef struct seed_ctx {
  const char *cmd;
  const train_args *a;
  const ts_dataset *train, *val;
} seed_ctx;

/* One seed: the single-seed flow with that seed and folder. */
static int train_one(void *user, uint64_t seed, const char *out, ts_seed_result *r) {
  const seed_ctx *x = user;
  train_args a = *x->a;
  a.cfg.seed = seed;
  a.c.out = out;
  recipe rc_;
  recipe_of(&a, &rc_);
  ts_net *net = NULL;
  ts_train_result res;
  int rc = check_resume(x->cmd, &a, &rc_);
  if (!rc) rc = make_net(x->cmd, &a, x->train, &net);
  if (!rc) rc = train_and_save(x->cmd, &a, net, x->train, x->val, &res);
  ts_net_destroy(net);
  if (!rc) *r = (ts_seed_result){res.train_loss, res.val_error};
  return rc;
}

/* The recipe besides the seed, as the table's columns. */
static void seed_recipe(const train_args *a, char *cols, char *vals, int len) {
  recipe r;
  recipe_of(a, &r);
  cols[0] = vals[0] = 0;
  for (int i = 0; i < NRECIPE; i++) {
    if (!strcmp(RECIPE[i].key, TS_WEIGHTS_SEED_KEY)) continue;
    snprintf(cols + strlen(cols), len - strlen(cols), "%s,", strrchr(RECIPE[i].key, '.') + 1);
    snprintf(vals + strlen(vals), len - strlen(vals), "%s,", r.value[i]);
  }
  snprintf(cols + strlen(cols), len - strlen(cols), "k1,k2,c1,c2,epochs");
  snprintf(vals + strlen(vals), len - strlen(vals), "%d,%d,%d,%d,%d", a->k[0], a->k[1],
           a->ch[0], a->ch[1], a->cfg.epochs);
}

static int train_seeds(const char *cmd, train_args *a, int argc, char **argv) {
  char cols[512], vals[512];
  seed_recipe(a, cols, vals, sizeof cols);
  const ts_slurm_cmd job = {cmd, argc, argv, a->c.threads, 1, &a->so};
  seed_ctx x = {cmd, a, NULL, NULL};
  ts_dataset *train = NULL, *val = NULL;
  int rc = 0;
  /* the jobs are written without reading the data */
  if (!a->so.dir && !a->so.merge && (rc = load_data(cmd, a, &train, &val))) return rc;
  x.train = train;
  x.val = val;
  const ts_seeds_cmd sc = {&job, a->c.out, &a->seeds, cols, vals, train_one, &x};
  rc = ts_train_seeds(&sc);
  ts_dataset_destroy(train);
  ts_dataset_destroy(val);
  return rc;
}

int ts_cmd_train(int argc, char **argv) {
  const char *cmd = "train";
  train_args a;
  int rc;
  if (parse_args(cmd, argc, argv, &a, &rc)) {
    free(a.seeds.seed);
    return rc;
  }
  if (a.seeds.n) {
    rc = train_seeds(cmd, &a, argc, argv);
    free(a.seeds.seed);
    return rc;
  }
  recipe r;
  recipe_of(&a, &r);
  if ((rc = check_resume(cmd, &a, &r))) return rc;
  ts_dataset *train = NULL, *val = NULL;
  ts_net *net = NULL;
  if (!(rc = load_data(cmd, &a, &train, &val)) && !(rc = make_net(cmd, &a, train, &net)))
    rc = train_and_save(cmd, &a, net, train, val, NULL);
  ts_net_destroy(net);
  ts_dataset_destroy(train);
  ts_dataset_destroy(val);
  return rc;
}
