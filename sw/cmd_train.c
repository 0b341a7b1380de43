/* tessera train: train the CNN on a dataset, log, checkpoint, save. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
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

static int parse_pair(const char *cmd, const char *flag, const char *s, int *a,
                      int *b) {
  char buf[64];
  const char *comma = strchr(s, ',');
  if (!comma || comma - s >= (long)sizeof buf) {
    fprintf(stderr, "tessera %s: %s takes two numbers, e.g. 6,16; got '%s'\n", cmd, flag, s);
    return 1;
  }
  memcpy(buf, s, comma - s);
  buf[comma - s] = 0;
  return ts_cli_int(cmd, flag, buf, 1, 4096, a) || ts_cli_int(cmd, flag, comma + 1, 1, 4096, b);
}

int ts_cmd_train(int argc, char **argv) {
  const char *cmd = "train";
  ts_cli_data data = {0};
  ts_train_config cfg;
  ts_train_config_default(&cfg);
  int k1 = 5, k2 = 5, c1 = 6, c2 = 16, quiet = 0, epochs_set = 0;
  double val_split = 0, d;
  const char *out = "out", *ids = NULL;
  enum { O_DATASET = 256, O_DATA, O_COARSE, O_LIMIT, O_VAL, O_K1, O_K2, O_IDS,
         O_CH, O_EPOCHS, O_BATCH, O_LR, O_MOM, O_WD, O_SEED, O_THREADS, O_LOG,
         O_OUT, O_RESUME, O_QUIET, O_HELP };
  static const struct option opts[] = {
      {"dataset", 1, 0, O_DATASET}, {"data", 1, 0, O_DATA}, {"coarse", 0, 0, O_COARSE},
      {"limit", 1, 0, O_LIMIT}, {"val-split", 1, 0, O_VAL}, {"k1", 1, 0, O_K1},
      {"k2", 1, 0, O_K2}, {"ids", 1, 0, O_IDS}, {"channels", 1, 0, O_CH},
      {"epochs", 1, 0, O_EPOCHS}, {"batch", 1, 0, O_BATCH}, {"lr", 1, 0, O_LR},
      {"momentum", 1, 0, O_MOM}, {"weight-decay", 1, 0, O_WD}, {"seed", 1, 0, O_SEED},
      {"threads", 1, 0, O_THREADS}, {"log-every", 1, 0, O_LOG}, {"out", 1, 0, O_OUT},
      {"resume", 0, 0, O_RESUME}, {"quiet", 0, 0, O_QUIET}, {"help", 0, 0, O_HELP},
      {0, 0, 0, 0}};
  int o;
  optind = 1;
  opterr = 0; /* ts_cli_bad_option says it in one line */
  while ((o = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
    int bad = 0;
    switch (o) {
      case O_DATASET: data.dataset = optarg; bad = ts_cli_dataset_name(cmd, optarg); break;
      case O_DATA: data.dir = optarg; break;
      case O_COARSE: data.coarse = 1; break;
      case O_LIMIT: bad = ts_cli_int(cmd, "--limit", optarg, 1, 1 << 30, &data.limit); break;
      case O_VAL: bad = ts_cli_real(cmd, "--val-split", optarg, 0.0, 0.9, &val_split); break;
      case O_K1: bad = ts_cli_int(cmd, "--k1", optarg, 1, 4096, &k1); break;
      case O_K2: bad = ts_cli_int(cmd, "--k2", optarg, 1, 4096, &k2); break;
      case O_IDS: ids = optarg; break;
      case O_CH: bad = parse_pair(cmd, "--channels", optarg, &c1, &c2); break;
      case O_EPOCHS: bad = ts_cli_int(cmd, "--epochs", optarg, 1, 100000, &cfg.epochs); epochs_set = 1; break;
      case O_BATCH: bad = ts_cli_int(cmd, "--batch", optarg, 1, 65536, &cfg.batch); break;
      case O_LR: bad = ts_cli_real(cmd, "--lr", optarg, 1e-9, 10.0, &d); cfg.sgd.lr = (float)d; break;
      case O_MOM: bad = ts_cli_real(cmd, "--momentum", optarg, 0.0, 0.999, &d); cfg.sgd.momentum = (float)d; break;
      case O_WD: bad = ts_cli_real(cmd, "--weight-decay", optarg, 0.0, 1.0, &d); cfg.sgd.weight_decay = (float)d; break;
      case O_SEED: bad = ts_cli_u64(cmd, "--seed", optarg, &cfg.seed); break;
      case O_THREADS: bad = ts_cli_int(cmd, "--threads", optarg, 1, 256, &cfg.threads); break;
      case O_LOG: bad = ts_cli_int(cmd, "--log-every", optarg, 0, 1 << 30, &cfg.log_every); break;
      case O_OUT:
        out = optarg;
        if (!*out) {
          fprintf(stderr, "tessera train: --out needs a folder name, got ''\n");
          bad = 1;
        }
        break;
      case O_RESUME: cfg.resume = 1; break;
      case O_QUIET: quiet = 1; break;
      case O_HELP: fputs(USAGE, stdout); return 0;
      default: return ts_cli_bad_option(cmd, o, argv);
    }
    if (bad) return 2;
  }
  if (ts_cli_no_extra_args(cmd, argc, argv)) return 2;
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
  int rc = 1;
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
  const char *dsname = data.dataset ? data.dataset : "fashion-mnist";
  ts_st_meta meta[] = {{"tessera.dataset", dsname},
                       {"tessera.norm", normbuf},
                       {"tessera.epochs", epochs_s},
                       {"tessera.seed", seed_s}};
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
