/* tessera run: the whole pipeline in one folder -- train (or reuse the
 * model), profile, quant, prune, plots, hw-run, report -- by calling the other
 * commands with the options they need. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
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
    "  --limit N  first N images of each split (quick runs; also the test images)\n"
    "Other options as in `tessera train`; defaults: fashion-mnist, 30 epochs.\n";

typedef int (*cmd_fn)(int, char **);

enum { RUN_STAGES = 7 };

static int stage(int i, const char *name, cmd_fn fn, char **argv) {
  int argc = 0;
  while (argv[argc]) argc++;
  printf("\n==== [%d/%d] %s ====\n$ tessera", i, RUN_STAGES, name);
  for (int k = 0; k < argc; k++) printf(" %s", argv[k]);
  printf("\n");
  fflush(stdout);
  const double t0 = ts_study_now();
  const int rc = fn(argc, argv);
  char el[32];
  ts_cli_duration(ts_study_now() - t0, el, sizeof el);
  printf("==== %s: %s in %s\n", name, rc ? "FAILED" : "done", el);
  return rc;
}

int ts_cmd_run(int argc, char **argv) {
  const char *cmd = "run", *dataset = "fashion-mnist", *data = NULL, *out = "out";
  const char *epochs = "30", *k1 = "5", *k2 = "5", *seed = "1", *limit = NULL, *threads = "2";
  int coarse = 0, grid = 1, v;
  enum { O_DATASET = 256, O_DATA, O_COARSE, O_EPOCHS, O_K1, O_K2, O_SEED, O_LIMIT, O_THREADS,
         O_OUT, O_NOGRID, O_HELP };
  static const struct option opts[] = {
      {"dataset", 1, 0, O_DATASET}, {"data", 1, 0, O_DATA}, {"coarse", 0, 0, O_COARSE},
      {"epochs", 1, 0, O_EPOCHS}, {"k1", 1, 0, O_K1}, {"k2", 1, 0, O_K2}, {"seed", 1, 0, O_SEED},
      {"limit", 1, 0, O_LIMIT}, {"threads", 1, 0, O_THREADS}, {"out", 1, 0, O_OUT},
      {"no-grid", 0, 0, O_NOGRID}, {"help", 0, 0, O_HELP}, {0, 0, 0, 0}};
  int o;
  uint64_t u;
  optind = 1;
  opterr = 0; /* ts_cli_bad_option says it in one line */
  while ((o = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
    int bad = 0;
    switch (o) {
      case O_DATASET: dataset = optarg; break;
      case O_DATA: data = optarg; break;
      case O_COARSE: coarse = 1; break;
      case O_EPOCHS: bad = ts_cli_int(cmd, "--epochs", optarg, 1, 100000, &v); epochs = optarg; break;
      case O_K1: bad = ts_cli_int(cmd, "--k1", optarg, 1, 4096, &v); k1 = optarg; break;
      case O_K2: bad = ts_cli_int(cmd, "--k2", optarg, 1, 4096, &v); k2 = optarg; break;
      case O_SEED: bad = ts_cli_u64(cmd, "--seed", optarg, &u); seed = optarg; break;
      case O_LIMIT: bad = ts_cli_int(cmd, "--limit", optarg, 1, 1 << 30, &v); limit = optarg; break;
      case O_THREADS: bad = ts_cli_int(cmd, "--threads", optarg, 1, 256, &v); threads = optarg; break;
      case O_OUT: out = optarg; break;
      case O_NOGRID: grid = 0; break;
      case O_HELP: fputs(USAGE, stdout); return 0;
      default: return ts_cli_bad_option(cmd, o, argv);
    }
    if (bad) return 2;
  }
  if (ts_cli_no_extra_args(cmd, argc, argv)) return 2;
  char model[4096], stamp[4096];
  if (ts_study_path(model, sizeof model, out, "model.safetensors") ||
      ts_study_path(stamp, sizeof stamp, out, "run_config.csv")) {
    fprintf(stderr, "tessera run: --out path too long\n");
    return 2;
  }
  if (ts_cli_mkdirs(cmd, out)) return 1;
  const double t0 = ts_study_now();
  const char *cfg[] = {"dataset", dataset, "data", data ? data : "(default)",
                       "coarse", coarse ? "1" : "0", "epochs", epochs, "k1", k1, "k2", k2,
                       "seed", seed, "limit", limit ? limit : "0"};
  enum { NCFG = sizeof cfg / sizeof cfg[0] / 2 };
  /* 0: no stamp, 1: same config, unfinished, 2: same and finished, 3: other */
  int state = 0;
  ts_csv *t = NULL;
  if (!ts_csv_read(stamp, &t, NULL)) {
    state = 1;
    for (int i = 0; i < NCFG; i++) {
      const char *val = ts_study_kv(t, cfg[2 * i]);
      if (!val || strcmp(val, cfg[2 * i + 1])) state = 3;
    }
    const char *c = ts_study_kv(t, "complete");
    struct stat sb;
    if (state == 1 && c && !strcmp(c, "1") && stat(model, &sb) == 0) state = 2;
  }
  ts_csv_free(t);
  printf("tessera run: %s (%s) -> %s, %s epochs%s%s\n", dataset, data ? data : "default folder",
         out, epochs, limit ? ", limit " : "", limit ? limit : "");
  ts_error err = {0};
  int failed = 0;
  if (state == 2) {
    printf("\n==== [1/6] train ====\n%s was trained to completion with this configuration "
           "(%s); reusing it. Delete it to retrain.\n", model, stamp);
  } else {
    const char *kv[2 * NCFG + 2];
    memcpy(kv, cfg, sizeof cfg);
    kv[2 * NCFG] = "complete";
    kv[2 * NCFG + 1] = "0";
    if (state == 3)
      printf("%s holds another configuration: training from scratch\n", stamp);
    if (ts_study_write_kv(stamp, kv, NCFG + 1, &err)) {
      fprintf(stderr, "tessera run: %s\n", err.msg);
      return 1;
    }
    char *a[32] = {"train", "--dataset", (char *)dataset, "--epochs", (char *)epochs,
                   "--k1", (char *)k1, "--k2", (char *)k2, "--seed", (char *)seed,
                   "--threads", (char *)threads, "--out", (char *)out, "--quiet"};
    int n = 16;
    if (data) a[n++] = "--data", a[n++] = (char *)data;
    if (coarse) a[n++] = "--coarse";
    if (limit) a[n++] = "--limit", a[n++] = (char *)limit;
    if (state != 3) a[n++] = "--resume"; /* exact continuation of the same run */
    a[n] = NULL;
    if (stage(1, "train", ts_cmd_train, a)) {
      fprintf(stderr, "tessera run: training failed; stopping\n");
      return 1;
    }
    kv[2 * NCFG + 1] = "1";
    if (ts_study_write_kv(stamp, kv, NCFG + 1, &err)) {
      fprintf(stderr, "tessera run: %s\n", err.msg);
      return 1;
    }
  }
  {
    char *a[] = {"profile", "--model", model, "--out", (char *)out, NULL};
    failed |= stage(2, "profile", ts_cmd_profile, a) != 0;
  }
  char *common[16];
  int n = 0;
  common[n++] = "--model", common[n++] = model, common[n++] = "--out", common[n++] = (char *)out;
  common[n++] = "--threads", common[n++] = (char *)threads;
  common[n++] = "--dataset", common[n++] = (char *)dataset;
  if (data) common[n++] = "--data", common[n++] = (char *)data;
  if (coarse) common[n++] = "--coarse";
  if (limit) common[n++] = "--limit", common[n++] = (char *)limit;
  {
    char *a[20] = {"quant"};
    memcpy(a + 1, common, sizeof(char *) * n);
    a[n + 1] = NULL;
    failed |= (stage(3, "quant", ts_cmd_quant, a) != 0) << 1;
  }
  {
    char *a[20] = {"prune"};
    memcpy(a + 1, common, sizeof(char *) * n);
    int m = n + 1;
    if (!grid) a[m++] = "--no-grid";
    a[m] = NULL;
    failed |= (stage(4, "prune", ts_cmd_prune, a) != 0) << 2;
  }
  {
    char *a[] = {"plots", "--model", model, "--out", (char *)out, NULL};
    failed |= (stage(5, "plots", ts_cmd_plots, a) != 0) << 3;
  }
  {
    /* the integer network on the RTL: 64 images checked logit by logit
     * against the C golden model, and the accuracy table */
    char *a[24] = {"hw-run", "--model", model, "--out", (char *)out, "--threads",
                   (char *)threads, "--dataset", (char *)dataset, "--images", "64",
                   "--check"};
    int m = 12;
    if (data) a[m++] = "--data", a[m++] = (char *)data;
    if (coarse) a[m++] = "--coarse";
    if (limit) a[m++] = "--acc-images", a[m++] = (char *)limit;
    a[m] = NULL;
    failed |= (stage(6, "hw-run", ts_cmd_hwrun, a) != 0) << 4;
  }
  {
    char *a[] = {"report", "--out", (char *)out, NULL};
    failed |= (stage(7, "report", ts_cmd_report, a) != 0) << 5;
  }
  char el[32];
  ts_cli_duration(ts_study_now() - t0, el, sizeof el);
  if (failed) {
    static const char *const names[] = {"profile", "quant", "prune", "plots", "hw-run",
                                        "report"};
    fprintf(stderr, "tessera run: finished in %s with failed stages:", el);
    for (int i = 0; i < 6; i++)
      if (failed >> i & 1) fprintf(stderr, " %s", names[i]);
    fprintf(stderr, " (see their messages above)\n");
    return 1;
  }
  printf("\ntessera run: all stages done in %s; read %s/report.md\n", el, out);
  return 0;
}
