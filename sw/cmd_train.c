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
    "  --resume           continue from OUT/checkpoint.safetensors if it exists\n"
    "  --quiet            no progress bar (epoch summaries still print)\n";

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

int ts_cmd_train(int argc, char **argv) {
  const char *cmd = "train";
  ts_cli_common c;
  ts_cli_common_default(&c);
  ts_train_config cfg;
  ts_train_config_default(&cfg);
  int k[2] = {5, 5}, ch[2] = {6, 16}, quiet = 0, epochs_set = 0;
  double val_split = 0;
  const char *ids = NULL;
  ts_opt own[] = {
      TS_OPT_R("val-split", &val_split, 0.0, 0.9),
      TS_OPT_I("k1", &k[0], 1, TS_CLI_MAX_DIM),
      TS_OPT_I("k2", &k[1], 1, TS_CLI_MAX_DIM),
      TS_OPT_S("ids", &ids),
      TS_OPT_CALL("channels", ts_opt_int_pair, ch),
      TS_OPT_I("epochs", &cfg.epochs, 1, 100000),
      TS_OPT_I("batch", &cfg.batch, 1, 65536),
      TS_OPT_F("lr", &cfg.sgd.lr, 1e-9, 10.0),
      TS_OPT_F("momentum", &cfg.sgd.momentum, 0.0, 0.999),
      TS_OPT_F("weight-decay", &cfg.sgd.weight_decay, 0.0, 1.0),
      TS_OPT_U("seed", &cfg.seed),
      TS_OPT_I("log-every", &cfg.log_every, 0, 1 << 30),
      TS_OPT_SWITCH("resume", &cfg.resume, 1),
      TS_OPT_SWITCH("quiet", &quiet, 1)};
  own[5].seen = &epochs_set;
  const ts_cli_spec spec = {cmd, USAGE, TS_CLI_DATA_OPTS | TS_CLI_THREADS | TS_CLI_OUT, own,
                            TS_OPT_COUNT(own)};
  int rc;
  if (ts_cli_parse(&spec, argc, argv, &c, &rc)) return rc;
  cfg.threads = c.threads;
  const ts_cli_data data = c.data;
  const char *out = c.out;
  int k1 = k[0], k2 = k[1];
  const int c1 = ch[0], c2 = ch[1];
  if (ids) {
    char id1[64], id2[64];
    const char *comma = strchr(ids, ',');
    ts_error err = {0};
    int ep;
    if (!comma || comma - ids >= 64 || strlen(comma + 1) >= 64) {
      fprintf(stderr, "tessera train: --ids takes ID1,ID2, got '%s'\n", ids);
      return 2;
    }
    memcpy(id1, ids, comma - ids);
    id1[comma - ids] = 0;
    strcpy(id2, comma + 1);
    if (ts_arch_from_ids(id1, id2, &k1, &k2, &ep, &err)) {
      fprintf(stderr, "tessera train: --ids: %s\n", err.msg);
      return 2;
    }
    if (!epochs_set) cfg.epochs = ep;
    printf("IDs %s, %s -> k1 = %d (max digit of ID1), k2 = %d (9 - min digit of ID2), "
           "epochs = %d%s\n", id1, id2, k1, k2, ep, epochs_set ? " (overridden by --epochs)" : "");
  }

  ts_dataset *train = ts_cli_load(cmd, &data, TS_SPLIT_TRAIN), *val = NULL, *held = NULL;
  if (!train) return 1;
  rc = 1;
  ts_net *net = NULL;
  ts_error err = {0};
  if (val_split > 0) {
    const int nval = (int)(train->n * val_split);
    if (nval < 1 || nval >= train->n) {
      fprintf(stderr, "tessera train: --val-split %g leaves no images on one side of %d\n",
              val_split, train->n);
      rc = 2;
      goto done;
    }
    ts_dataset *rest = NULL;
    if (ts_dataset_split(train, train->n - nval, nval, &held, &err) ||
        ts_dataset_split(train, 0, train->n - nval, &rest, &err)) {
      fprintf(stderr, "tessera train: %s\n", err.msg);
      goto done;
    }
    ts_dataset_destroy(train);
    train = rest;
    val = held;
  } else if (!(val = ts_cli_load(cmd, &data, TS_SPLIT_TEST))) {
    goto done;
  }
  ts_arch a;
  ts_arch_default(&a, train->c, train->h, train->w, train->classes);
  a.k1 = k1;
  a.k2 = k2;
  a.c1 = c1;
  a.c2 = c2;
  /* kernels that do not fit the images are a usage error (exit 2) */
  if (ts_arch_validate(&a, &err)) {
    fprintf(stderr, "tessera train: --k1/--k2/--channels: %s\n", err.msg);
    rc = 2;
    goto done;
  }
  if (ts_net_create(&a, &net, &err)) {
    fprintf(stderr, "tessera train: %s\n", err.msg);
    goto done;
  }
  ts_net_init(net, cfg.seed);
  ts_norm nm;
  if (ts_dataset_norm(train, &nm, &err)) {
    fprintf(stderr, "tessera train: %s\n", err.msg);
    goto done;
  }
  if (ts_cli_mkdirs(cmd, out)) goto done;
  char log_path[4096], ckpt[4096], model[4096], normbuf[256], epochs_s[32], seed_s[32];
  snprintf(log_path, sizeof log_path, "%s/train_log.csv", out);
  snprintf(ckpt, sizeof ckpt, "%s/checkpoint.safetensors", out);
  snprintf(model, sizeof model, "%s/model.safetensors", out);
  ts_cli_norm_format(&nm, normbuf, sizeof normbuf);
  snprintf(epochs_s, sizeof epochs_s, "%d", cfg.epochs);
  snprintf(seed_s, sizeof seed_s, "%llu", (unsigned long long)cfg.seed);
  const char *dsname = ts_cli_dataset(&data);
  ts_st_meta meta[] = {{TS_WEIGHTS_DATASET_KEY, dsname},
                       {TS_WEIGHTS_NORM_KEY, normbuf},
                       {TS_WEIGHTS_EPOCHS_KEY, epochs_s},
                       {TS_WEIGHTS_SEED_KEY, seed_s}};
  cfg.log_path = log_path;
  cfg.checkpoint_path = ckpt;
  cfg.meta = meta;
  cfg.nmeta = 4;
  printf("training on %s: %d images %dx%dx%d, %d classes; validating on %d %s images\n",
         dsname, train->n, train->c, train->h, train->w, train->classes, val->n,
         held ? "held-out" : "test");
  printf("architecture: k1=%d k2=%d channels=%d,%d, %zu parameters, %lld MACs/image\n",
         a.k1, a.k2, a.c1, a.c2, ts_net_num_params(net), ts_arch_macs(&a));
  printf("recipe: %d epochs, batch %d, lr %g, momentum %g, weight decay %g, seed %llu, %d threads\n",
         cfg.epochs, cfg.batch, cfg.sgd.lr, cfg.sgd.momentum, cfg.sgd.weight_decay,
         (unsigned long long)cfg.seed, cfg.threads);
  progress_ctx pc = {isatty(2), quiet, -1, -1};
  ts_train_result res;
  if (ts_train(net, train, val, &nm, &cfg, on_progress, &pc, &res, &err)) {
    fprintf(stderr, "%stessera train: %s\n", pc.tty ? "\n" : "", err.msg);
    goto done;
  }
  if (res.start_epoch >= res.epochs_done) /* no epoch ran: no val error */
    printf("nothing to train: the checkpoint already holds %d epochs (asked for %d)\n",
           res.start_epoch, cfg.epochs);
  else if (res.start_epoch > 0)
    printf("resumed from the checkpoint after epoch %d\n", res.start_epoch);
  if (ts_weights_save(net, model, meta, 4, &err)) {
    fprintf(stderr, "tessera train: %s\n", err.msg);
    goto done;
  }
  char el[32];
  ts_cli_duration(res.seconds, el, sizeof el);
  if (res.val_error >= 0)
    printf("done: %d epochs in %s (%.0f images/s); final val error %.2f%% (accuracy %.2f%%)\n",
           res.epochs_done, el, res.images_per_s, 100 * res.val_error,
           100 * (1 - res.val_error));
  else
    printf("done: %d epochs\n", res.epochs_done);
  printf("wrote %s, %s, %s\n", model, log_path, ckpt);
  rc = 0;
done:
  ts_net_destroy(net);
  ts_dataset_destroy(train);
  ts_dataset_destroy(val);
  return rc;
}
