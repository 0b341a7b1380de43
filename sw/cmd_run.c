/* tessera run: the whole pipeline in one folder -- train (or reuse the
 * model), profile, quant, prune, plots, hw-run, report -- by calling the other
 * commands with the options they need. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "cli_opts.h"
#include "commands.h"
#include "study.h"

static const char *const USAGE =
    "usage: tessera run [--dataset NAME] [--data DIR] [--coarse] [--epochs N]\n"
    "                   [--k1 K] [--k2 K] [--seed N] [--limit N] [--threads N]\n"
    "                   [--out DIR] [--no-grid]\n"
    "Runs the study end to end in OUT (default out):\n"
    "  1 train    unless OUT/model.safetensors was trained to completion with the same\n"
    "             configuration (OUT/run_config.csv); an interrupted training of the\n"
    "             same configuration continues from its checkpoint (exact resume)\n"
    "  2 profile  3 quant  4 prune  5 plots\n"
    "  6 hw-run   64 test images through the integer CNN on the RTL, checked\n"
    "             against the golden model, plus the integer accuracy table\n"
    "  7 report   OUT/report.md\n"
    "quant and prune skip points already in their CSVs for the same model.\n"
    "  --limit N  first N images of each split (quick runs; also the test images\n"
    "             and hw-run's calibration images)\n"
    "Other options as in `tessera train`; defaults: fashion-mnist, 30 epochs.\n";

/* What the command line asked for, as the text the stages are given. */
typedef struct run_args {
  ts_cli_common c;
  const char *dataset;
  int grid;
  char epochs[16], k1[16], k2[16], seed[32], limit[16], threads[16];
  char model[TS_STUDY_PATH_MAX]; /* OUT/model.safetensors */
  char stamp[TS_STUDY_PATH_MAX]; /* OUT/run_config.csv */
  int trained; /* the stamp says the model was trained with this configuration */
  int resume;  /* an unfinished training of the same configuration: --resume */
} run_args;

/* Returns 0 to go on, else 1 with the exit code in *rc. */
static int parse_args(const char *cmd, int argc, char **argv, run_args *a, int *rc) {
  int ep = 30, k[2] = {5, 5};
  uint64_t seed = 1;
  memset(a, 0, sizeof *a);
  a->grid = 1;
  ts_cli_common_default(&a->c);
  const ts_opt own[] = {TS_OPT_I("epochs", &ep, 1, 100000),
                        TS_OPT_I("k1", &k[0], 1, TS_CLI_MAX_DIM),
                        TS_OPT_I("k2", &k[1], 1, TS_CLI_MAX_DIM), TS_OPT_U("seed", &seed),
                        TS_OPT_SWITCH("no-grid", &a->grid, 0)};
  const ts_cli_spec spec = {cmd, USAGE, TS_CLI_DATA_OPTS | TS_CLI_THREADS | TS_CLI_OUT, own,
                            TS_OPT_COUNT(own)};
  if (ts_cli_parse(&spec, argc, argv, &a->c, rc)) return 1;
  a->dataset = ts_cli_dataset(&a->c.data);
  snprintf(a->epochs, sizeof a->epochs, "%d", ep);
  snprintf(a->k1, sizeof a->k1, "%d", k[0]);
  snprintf(a->k2, sizeof a->k2, "%d", k[1]);
  snprintf(a->seed, sizeof a->seed, "%llu", (unsigned long long)seed);
  snprintf(a->limit, sizeof a->limit, "%d", a->c.data.limit);
  snprintf(a->threads, sizeof a->threads, "%d", a->c.threads);
  const char *const names[2] = {"model.safetensors", "run_config.csv"};
  char paths[2][TS_STUDY_PATH_MAX];
  *rc = 2;
  if (ts_study_paths(cmd, a->c.out, names, 2, paths)) return 1;
  memcpy(a->model, paths[0], sizeof a->model);
  memcpy(a->stamp, paths[1], sizeof a->stamp);
  return 0;
}

/* ---- Stages ------------------------------------------------------------ */

/* The argument vector of one stage, NULL-terminated. */
enum { ARGV_MAX = 32 };
typedef struct argv_buf {
  char *v[ARGV_MAX + 1];
  int n;
  int overflow; /* more than ARGV_MAX words were pushed */
} argv_buf;

/* Appends the words up to a NULL. */
static void push(argv_buf *b, ...) {
  va_list ap;
  va_start(ap, b);
  for (const char *w; (w = va_arg(ap, const char *));)
    if (b->n < ARGV_MAX) b->v[b->n++] = (char *)w;
    else b->overflow = 1;
  va_end(ap);
  b->v[b->n] = NULL;
}

/* [--data DIR] [--coarse] [LIMIT_FLAG N] as given to run. */
static void push_data(argv_buf *b, const run_args *a, const char *limit_flag) {
  if (a->c.data.dir) push(b, "--data", a->c.data.dir, NULL);
  if (a->c.data.coarse) push(b, "--coarse", NULL);
  if (a->c.data.limit) push(b, limit_flag, a->limit, NULL);
}

static void train_argv(const run_args *a, argv_buf *b) {
  push(b, "train", "--dataset", a->dataset, "--epochs", a->epochs, "--k1", a->k1, "--k2",
       a->k2, "--seed", a->seed, "--threads", a->threads, "--out", a->c.out, "--quiet", NULL);
  push_data(b, a, "--limit");
  if (a->resume) push(b, "--resume", NULL); /* exact continuation of the same run */
}

static void profile_argv(const run_args *a, argv_buf *b) {
  push(b, "profile", "--model", a->model, "--out", a->c.out, NULL);
}

/* quant and prune: the model, its data and the output folder. */
static void sweep_argv(const char *name, const run_args *a, argv_buf *b) {
  push(b, name, "--model", a->model, "--out", a->c.out, "--threads", a->threads, "--dataset",
       a->dataset, NULL);
  push_data(b, a, "--limit");
}

static void quant_argv(const run_args *a, argv_buf *b) { sweep_argv("quant", a, b); }

static void prune_argv(const run_args *a, argv_buf *b) {
  sweep_argv("prune", a, b);
  if (!a->grid) push(b, "--no-grid", NULL);
}

static void plots_argv(const run_args *a, argv_buf *b) {
  push(b, "plots", "--model", a->model, "--out", a->c.out, NULL);
}

/* The integer network on the RTL: 64 images checked logit by logit
 * against the C golden model, and the accuracy table. */
static void hwrun_argv(const run_args *a, argv_buf *b) {
  push(b, "hw-run", "--model", a->model, "--out", a->c.out, "--threads", a->threads,
       "--dataset", a->dataset, "--images", "64", "--check", NULL);
  push_data(b, a, "--acc-images");
  if (a->c.data.limit) push(b, "--calib", a->limit, NULL); /* calibration images too */
}

static void report_argv(const run_args *a, argv_buf *b) {
  push(b, "report", "--out", a->c.out, NULL);
}

typedef struct stage_def {
  const char *name;
  int (*fn)(int argc, char **argv);
  void (*make_argv)(const run_args *a, argv_buf *b);
} stage_def;

/* In order; the first trains the model the others study. */
static const stage_def STAGES[] = {
    {"train", ts_cmd_train, train_argv},    {"profile", ts_cmd_profile, profile_argv},
    {"quant", ts_cmd_quant, quant_argv},    {"prune", ts_cmd_prune, prune_argv},
    {"plots", ts_cmd_plots, plots_argv},    {"hw-run", ts_cmd_hwrun, hwrun_argv},
    {"report", ts_cmd_report, report_argv}};
enum { RUN_STAGES = sizeof STAGES / sizeof STAGES[0] };

/* Runs stage i (0-based) with its arguments; returns its exit code. */
static int stage(int i, const run_args *a) {
  const stage_def *s = &STAGES[i];
  argv_buf b = {.n = 0};
  s->make_argv(a, &b);
  if (b.overflow) {
    fprintf(stderr, "tessera run: %s: more than %d arguments\n", s->name, ARGV_MAX);
    return 1;
  }
  printf("\n==== [%d/%d] %s ====\n$ tessera", i + 1, RUN_STAGES, s->name);
  for (int k = 0; k < b.n; k++) printf(" %s", b.v[k]);
  printf("\n");
  fflush(stdout);
  const double t0 = ts_study_now();
  const int rc = s->fn(b.n, b.v);
  char el[32];
  ts_cli_duration(ts_study_now() - t0, el, sizeof el);
  printf("==== %s: %s in %s\n", s->name, rc ? "FAILED" : "done", el);
  return rc;
}

/* ---- The training stage and its stamp ---------------------------------- */

/* The configuration a trained model is reused for (OUT/run_config.csv),
 * {key, value} pairs. */
enum { NCFG = 8 };
static void config_kv(const run_args *a, const char **kv) {
  const char *cfg[2 * NCFG] = {"dataset", a->dataset, "data",
                               a->c.data.dir ? a->c.data.dir : "(default)", "coarse",
                               a->c.data.coarse ? "1" : "0", "epochs", a->epochs, "k1", a->k1,
                               "k2", a->k2, "seed", a->seed, "limit", a->limit};
  memcpy(kv, cfg, sizeof cfg);
}

/* Reads the stamp: a->trained when the same configuration was trained to
 * completion (and the model is there), a->resume when it was started. */
static void read_stamp(run_args *a) {
  const char *cfg[2 * NCFG];
  ts_csv *t = NULL;
  config_kv(a, cfg);
  if (ts_csv_read(a->stamp, &t, NULL)) return; /* no stamp: train from scratch */
  int same = 1;
  for (int i = 0; i < NCFG; i++) {
    const char *val = ts_csv_kv(t, cfg[2 * i]);
    if (!val || strcmp(val, cfg[2 * i + 1])) same = 0;
  }
  const char *c = ts_csv_kv(t, "complete");
  struct stat sb;
  a->resume = same;
  a->trained = same && c && !strcmp(c, "1") && stat(a->model, &sb) == 0;
  if (!same) printf("%s holds another configuration: training from scratch\n", a->stamp);
  ts_csv_free(t);
}

static int write_stamp(const run_args *a, int complete) {
  const char *kv[2 * NCFG + 2];
  ts_error err = {0};
  config_kv(a, kv);
  kv[2 * NCFG] = "complete";
  kv[2 * NCFG + 1] = complete ? "1" : "0";
  if (ts_csv_write_kv(a->stamp, kv, NCFG + 1, &err)) {
    ts_cli_error("run", &err);
    return 1;
  }
  return 0;
}

/* Trains unless the stamp says this configuration was trained. */
static int train_stage(run_args *a) {
  if (a->trained) {
    printf("\n==== [1/%d] %s ====\n%s was trained to completion with this configuration "
           "(%s); reusing it. Delete it to retrain.\n", RUN_STAGES, STAGES[0].name, a->model,
           a->stamp);
    return 0;
  }
  if (write_stamp(a, 0)) return 1;
  if (stage(0, a)) {
    fprintf(stderr, "tessera run: training failed; stopping\n");
    return 1;
  }
  return write_stamp(a, 1);
}

int ts_cmd_run(int argc, char **argv) {
  const char *cmd = "run";
  run_args a;
  int rc;
  if (parse_args(cmd, argc, argv, &a, &rc)) return rc;
  if (ts_cli_mkdirs(cmd, a.c.out)) return 1;
  const double t0 = ts_study_now();
  printf("tessera run: %s (%s) -> %s, %s epochs%s%s\n", a.dataset,
         a.c.data.dir ? a.c.data.dir : "default folder", a.c.out, a.epochs,
         a.c.data.limit ? ", limit " : "", a.c.data.limit ? a.limit : "");
  read_stamp(&a);
  if (train_stage(&a)) return 1;
  unsigned failed = 0; /* bit i: stage i failed */
  for (int i = 1; i < RUN_STAGES; i++) failed |= (unsigned)(stage(i, &a) != 0) << i;
  char el[32];
  ts_cli_duration(ts_study_now() - t0, el, sizeof el);
  if (failed) {
    fprintf(stderr, "tessera run: finished in %s with failed stages:", el);
    for (int i = 1; i < RUN_STAGES; i++)
      if (failed >> i & 1) fprintf(stderr, " %s", STAGES[i].name);
    fprintf(stderr, " (see their messages above)\n");
    return 1;
  }
  printf("\ntessera run: all stages done in %s; read %s/report.md\n", el, a.c.out);
  return 0;
}
