/* tessera run: the whole pipeline in one folder -- train (or reuse the
 * model), profile, quant, prune, plots, hw-run, report -- by calling the other
 * commands with the options they need. */
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
  const char *cmd = "run";
  ts_cli_common c;
  ts_cli_common_default(&c);
  int ep = 30, kk[2] = {5, 5}, grid = 1;
  uint64_t sd = 1;
  const ts_opt own[] = {TS_OPT_I("epochs", &ep, 1, 100000),
                        TS_OPT_I("k1", &kk[0], 1, TS_CLI_MAX_DIM),
                        TS_OPT_I("k2", &kk[1], 1, TS_CLI_MAX_DIM), TS_OPT_U("seed", &sd),
                        TS_OPT_SWITCH("no-grid", &grid, 0)};
  const ts_cli_spec spec = {cmd, USAGE, TS_CLI_DATA_OPTS | TS_CLI_THREADS | TS_CLI_OUT, own,
                            TS_OPT_COUNT(own)};
  int rc;
  if (ts_cli_parse(&spec, argc, argv, &c, &rc)) return rc;
  const char *dataset = ts_cli_dataset(&c.data), *data = c.data.dir;
  const char *out = c.out;
  const int coarse = c.data.coarse;
  char epochs[16], k1[16], k2[16], seed[32], limit_s[16], threads[16];
  snprintf(epochs, sizeof epochs, "%d", ep);
  snprintf(k1, sizeof k1, "%d", kk[0]);
  snprintf(k2, sizeof k2, "%d", kk[1]);
  snprintf(seed, sizeof seed, "%llu", (unsigned long long)sd);
  snprintf(limit_s, sizeof limit_s, "%d", c.data.limit);
  snprintf(threads, sizeof threads, "%d", c.threads);
  const char *limit = c.data.limit ? limit_s : NULL;
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
    char *a[32] = {"train", "--dataset", (char *)dataset, "--epochs", epochs,
                   "--k1", k1, "--k2", k2, "--seed", seed,
                   "--threads", threads, "--out", (char *)out, "--quiet"};
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
  common[n++] = "--threads", common[n++] = threads;
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
                   threads, "--dataset", (char *)dataset, "--images", "64",
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
