/* tessera plots: weight histograms of every layer and the training curve. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_opts.h"
#include "commands.h"
#include "study.h"
#include "ts_plot.h"
#include "ts_weights.h"

static const char *const USAGE =
    "usage: tessera plots [--model FILE] [--log FILE] [--bins N] [--out DIR]\n"
    "Draws a histogram of every conv/FC layer's weights (OUT/weights_<layer>.png)\n"
    "and the training curve, train and validation error vs SGD iteration, from\n"
    "the training log (OUT/train_curve.png). Defaults: --model OUT/model.safetensors,\n"
    "--log OUT/train_log.csv, --bins 60, OUT = out. A missing log is reported and\n"
    "skipped; the histograms are still drawn.\n";

/* Training curve from a ts_train CSV log; returns 0, 1 (error printed). */
static int train_curve(const char *cmd, const char *log, const char *png) {
  ts_error err = {0};
  ts_csv *t = NULL;
  if (ts_csv_read(log, &t, &err)) {
    fprintf(stderr, "tessera %s: training curve skipped: %s\n", cmd, err.msg);
    return 1;
  }
  const char *need[] = {"iteration", "train_error", "val_error"};
  for (int i = 0; i < 3; i++)
    if (ts_csv_col(t, need[i]) < 0) {
      fprintf(stderr, "tessera %s: file '%s' has no column '%s' (is it a tessera train log?)\n",
              cmd, log, need[i]);
      ts_csv_free(t);
      return 1;
    }
  double *v = malloc(sizeof(double) * 4 * (t->rows + 1));
  int rc = 1, nt = 0, nv = 0;
  if (!v) goto done;
  double *tx = v, *ty = v + t->rows, *vx = ty + t->rows, *vy = vx + t->rows;
  for (int r = 0; r < t->rows; r++) {
    const double it = ts_csv_num(t, r, "iteration"), te = ts_csv_num(t, r, "train_error"),
                 ve = ts_csv_num(t, r, "val_error");
    if (!isfinite(it) || !isfinite(te)) {
      fprintf(stderr, "tessera %s: file '%s': row %d is not numeric\n", cmd, log, r + 2);
      goto done;
    }
    tx[nt] = it, ty[nt++] = 100 * te;
    if (isfinite(ve) && ve >= 0) vx[nv] = it, vy[nv++] = 100 * ve; /* -1: no validation */
  }
  if (!nt) {
    fprintf(stderr, "tessera %s: file '%s' has no rows\n", cmd, log);
    goto done;
  }
  ts_plot_series s[2] = {{"train error (since the previous row)", tx, ty, nt},
                         {"validation error", vx, vy, nv}};
  ts_plot_opts po = {.title = "Training curve", .xlabel = "SGD iteration",
                     .ylabel = "error (%)"};
  if (ts_plot_lines(png, &po, s, nv ? 2 : 1, &err)) {
    ts_study_plot_failed(cmd, &err);
    goto done;
  }
  printf("wrote %s (%d rows of %s)\n", png, nt, log);
  rc = 0;
done:
  free(v);
  ts_csv_free(t);
  return rc;
}

int ts_cmd_plots(int argc, char **argv) {
  const char *cmd = "plots", *log = NULL;
  ts_cli_common c;
  ts_cli_common_default(&c);
  c.model = NULL; /* default: OUT/model.safetensors */
  int bins = 60;
  const ts_opt own[] = {TS_OPT_S("log", &log), TS_OPT_I("bins", &bins, 2, 10000)};
  const ts_cli_spec spec = {cmd, USAGE, TS_CLI_MODEL | TS_CLI_OUT, own, TS_OPT_COUNT(own)};
  int rc;
  if (ts_cli_parse(&spec, argc, argv, &c, &rc)) return rc;
  const char *model = c.model, *out = c.out;
  char mpath[4096], lpath[4096], png[4096];
  if (ts_study_path(mpath, sizeof mpath, out, "model.safetensors") ||
      ts_study_path(lpath, sizeof lpath, out, "train_log.csv")) {
    fprintf(stderr, "tessera plots: --out path too long\n");
    return 2;
  }
  if (!model) model = mpath;
  if (!log) log = lpath;
  ts_error err = {0};
  ts_net *net = NULL;
  if (ts_weights_load(model, NULL, &net, &err)) {
    ts_cli_error("plots", &err);
    return 1;
  }
  rc = 0;
  if (ts_cli_mkdirs(cmd, out)) {
    ts_net_destroy(net);
    return 1;
  }
  const float *w = ts_net_params_const(net);
  for (int l = 0; l < TS_NUM_LAYERS; l++) {
    const ts_layer_info *li = ts_net_layer(net, l);
    char name[64], title[160];
    snprintf(name, sizeof name, "weights_%s.png", li->name);
    if (ts_study_path(png, sizeof png, out, name)) return 2;
    snprintf(title, sizeof title, "%s weights (%zu values, FP32)", li->name, li->w_len);
    ts_plot_opts po = {.title = title, .xlabel = "weight value", .ylabel = "count"};
    if (ts_plot_histogram(png, &po, li->name, w + li->w_off, li->w_len, bins, &err))
      rc = ts_study_plot_failed(cmd, &err);
    else printf("wrote %s\n", png);
  }
  ts_net_destroy(net);
  if (ts_study_path(png, sizeof png, out, "train_curve.png")) return 2;
  rc |= train_curve(cmd, log, png);
  return rc;
}
