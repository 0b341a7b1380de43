/* tessera prune: accuracy vs magnitude pruning (all layers, and each layer
 * alone), vs the MACs left, and a weight-bits x pruning grid. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_opts.h"
#include "ts_atomic.h"
#include "commands.h"
#include "study.h"
#include "ts_plot.h"
#include "ts_prune.h"

static const char *const USAGE =
    "usage: tessera prune [--model FILE] [--dataset NAME] [--data DIR] [--coarse]\n"
    "                     [--percent LIST] [--layer NAME[,NAME...]] [--grid-bits LIST]\n"
    "                     [--grid-percent LIST] [--grid-scheme S] [--no-grid]\n"
    "                     [--limit N] [--threads N] [--out DIR] [--no-resume]\n"
    "Magnitude pruning without fine-tuning, local per layer; every point starts\n"
    "from the FP32 weights (default model out/model.safetensors).\n"
    "  --percent LIST     pruning percentages, 0..100 (default 0,10,...,90,95,99)\n"
    "  --layer NAMES      layers for the one-layer-at-a-time sweep (default all:\n"
    "                     conv1,conv2,fc1,fc2,fc3)\n"
    "  --grid-bits LIST   weight bits of the bits x pruning grid (default 2,3,4,6,8,16)\n"
    "  --grid-percent LIST  pruning percentages of the grid (default 0,25,50,75,90)\n"
    "  --grid-scheme S    per-tensor or per-channel (default per-channel)\n"
    "  --no-grid          skip the grid\n"
    "  --limit N          use only the first N test images (quick runs)\n"
    "  --no-resume        recompute points already in OUT/prune.csv for this model\n"
    "Writes OUT/prune.csv (one row per point), OUT/prune_accuracy.png,\n"
    "OUT/prune_macs.png, OUT/prune_layers.png, OUT/prune_grid.png (each with its\n"
    ".csv and .gp), OUT/prune_observation.txt and OUT/prune_run.csv.\n";

enum { MAXP = 64 };

static int find(const ts_sweep *w, const char *exp, const char *layer, int bits,
                double pct) {
  for (int i = 0; i < w->n; i++)
    if (!strcmp(w->p[i].experiment, exp) && !strcmp(w->p[i].layer, layer) &&
        w->p[i].bits == bits && fabs(w->p[i].percent - pct) < 1e-9)
      return i;
  return -1;
}

static ts_status write_line(FILE *fp, void *user, ts_error *err) {
  (void)err;
  fprintf(fp, "%s\n", (const char *)user);
  return TS_OK;
}

/* A comma list of numbers for --percent (0..100), --grid-percent, and
 * --grid-bits (whole numbers 1..16). */
typedef struct num_list {
  double v[MAXP];
  int n;
} num_list;

static int opt_percent(const char *cmd, const char *flag, const char *arg, void *dst) {
  num_list *l = dst;
  return ts_study_parse_list(cmd, flag, arg, 0, 100, l->v, MAXP, &l->n);
}

static int opt_grid_bits(const char *cmd, const char *flag, const char *arg, void *dst) {
  num_list *l = dst;
  if (ts_study_parse_list(cmd, flag, arg, TS_QUANT_MIN_BITS, TS_QUANT_MAX_BITS, l->v, MAXP,
                          &l->n))
    return 1;
  for (int j = 0; j < l->n; j++)
    if (l->v[j] != floor(l->v[j])) {
      fprintf(stderr, "tessera %s: %s takes whole numbers %d..%d, got %g\n", cmd, flag,
              TS_QUANT_MIN_BITS, TS_QUANT_MAX_BITS, l->v[j]);
      return 1;
    }
  return 0;
}

static int opt_grid_scheme(const char *cmd, const char *flag, const char *arg, void *dst) {
  if (strcmp(arg, "per-tensor") && strcmp(arg, "per-channel")) {
    fprintf(stderr, "tessera %s: %s must be per-tensor or per-channel, got '%s'\n", cmd, flag,
            arg);
    return 1;
  }
  *(const char **)dst = arg;
  return 0;
}

/* The layers of the one-layer-at-a-time sweep, without repeats. */
typedef struct layer_list {
  char name[TS_NUM_LAYERS][16];
  int n;
} layer_list;

static int opt_layers(const char *cmd, const char *flag, const char *arg, void *dst) {
  layer_list *l = dst;
  ts_arch any;
  ts_arch_default(&any, 1, 28, 28, 10); /* layer names do not depend on shapes */
  char buf[256];
  snprintf(buf, sizeof buf, "%s", arg);
  for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
    ts_error e = {0};
    int li;
    if (ts_prune_layer_index(&any, tok, &li, &e)) {
      fprintf(stderr, "tessera %s: %s: %s\n", cmd, flag, e.msg);
      return 1;
    }
    int dup = 0;
    for (int j = 0; j < l->n; j++) dup |= !strcmp(l->name[j], tok);
    if (!dup && l->n < TS_NUM_LAYERS) snprintf(l->name[l->n++], sizeof l->name[0], "%s", tok);
  }
  if (!l->n) {
    fprintf(stderr, "tessera %s: %s needs at least one layer name\n", cmd, flag);
    return 1;
  }
  return 0;
}

int ts_cmd_prune(int argc, char **argv) {
  const char *cmd = "prune";
  ts_cli_common c;
  ts_cli_common_default(&c);
  int resume = 1, grid = 1;
  num_list P = {{0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 99}, 12};
  num_list GB = {{2, 3, 4, 6, 8, 16}, 6}, GP = {{0, 25, 50, 75, 90}, 5};
  const char *gscheme = "per-channel";
  layer_list L = {.n = 0};
  const ts_opt own[] = {TS_OPT_CALL("percent", opt_percent, &P),
                        TS_OPT_CALL("layer", opt_layers, &L),
                        TS_OPT_CALL("grid-bits", opt_grid_bits, &GB),
                        TS_OPT_CALL("grid-percent", opt_percent, &GP),
                        TS_OPT_CALL("grid-scheme", opt_grid_scheme, &gscheme),
                        TS_OPT_SWITCH("no-grid", &grid, 0),
                        TS_OPT_SWITCH("no-resume", &resume, 0),
                        TS_OPT_SWITCH("resume", &resume, 1)};
  const ts_cli_spec spec = {cmd, USAGE, TS_CLI_MODEL | TS_CLI_DATA_OPTS | TS_CLI_THREADS |
                            TS_CLI_OUT, own, TS_OPT_COUNT(own)};
  int rc;
  if (ts_cli_parse(&spec, argc, argv, &c, &rc)) return rc;
  const char *model = c.model, *out = c.out;
  ts_cli_data data = c.data;
  const int threads = c.threads, np = P.n, ngb = GB.n, ngp = GP.n;
  const double *pct = P.v, *gbits = GB.v, *gpct = GP.v;
  int nl = L.n;
  char(*layers)[16] = L.name;
  ts_arch any;
  ts_arch_default(&any, 1, 28, 28, 10); /* layer names do not depend on shapes */
  if (!nl)
    for (int i = 0; i < TS_NUM_LAYERS; i++) {
      ts_layer_info li[TS_NUM_LAYERS];
      ts_arch_layers(&any, li, NULL);
      snprintf(layers[nl++], sizeof layers[0], "%s", li[i].name);
    }
  char csv[4096], p_acc[4096], p_macs[4096], p_layers[4096], p_grid[4096], obs[4096], runcsv[4096];
  if (ts_study_path(csv, sizeof csv, out, "prune.csv") ||
      ts_study_path(p_acc, sizeof p_acc, out, "prune_accuracy.png") ||
      ts_study_path(p_macs, sizeof p_macs, out, "prune_macs.png") ||
      ts_study_path(p_layers, sizeof p_layers, out, "prune_layers.png") ||
      ts_study_path(p_grid, sizeof p_grid, out, "prune_grid.png") ||
      ts_study_path(obs, sizeof obs, out, "prune_observation.txt") ||
      ts_study_path(runcsv, sizeof runcsv, out, "prune_run.csv")) {
    fprintf(stderr, "tessera prune: --out path too long\n");
    return 2;
  }
  const double t0 = ts_study_now();
  ts_study s;
  if (ts_study_open(cmd, model, &data, threads, &s)) {
    ts_study_close(&s);
    return 1;
  }
  int reused = 0, plot_bad = 0, ok = 1;
  rc = 1;
  ts_error err = {0};
  ts_sweep w = {0};
  w.hash = s.hash;
  w.images = s.n;
  double *buf = NULL;
  if (ts_cli_mkdirs(cmd, out)) goto done;
  /* the unpruned model is the baseline of every curve */
  ok = ts_sweep_add(&w, "prune", "-", "all", TS_STUDY_FP32_BITS, 0) >= 0;
  for (int i = 0; i < np && ok; i++)
    if (pct[i] > 0) ok = ts_sweep_add(&w, "prune", "-", "all", TS_STUDY_FP32_BITS, pct[i]) >= 0;
  for (int l = 0; l < nl && ok; l++)
    for (int i = 0; i < np && ok; i++)
      if (pct[i] > 0) ok = ts_sweep_add(&w, "layer", "-", layers[l], TS_STUDY_FP32_BITS, pct[i]) >= 0;
  for (int b = 0; b < ngb && grid && ok; b++)
    for (int i = 0; i < ngp && ok; i++)
      ok = ts_sweep_add(&w, "grid", gscheme, "all", (int)gbits[b], gpct[i]) >= 0;
  if (!ok) {
    fprintf(stderr, "tessera prune: out of memory\n");
    goto done;
  }
  if (resume && ts_sweep_resume(&w, csv, &reused, &err)) {
    fprintf(stderr, "tessera prune: %s\n", err.msg);
    goto done;
  }
  printf("pruning sweep: %s on %s (%d test images), %d threads; %d of %d points "
         "evaluated, %d reused from %s\n", model, s.dataset, s.n, threads, w.n - reused,
         w.n, reused, csv);
  const double t1 = ts_study_now();
  if (ts_sweep_run(&s, &w, csv)) goto done;
  const double sweep_s = ts_study_now() - t1;
  const ts_study_point *base = &w.p[0];

  /* sorted percentages with 0 first, for the curves */
  double ps[MAXP + 1];
  int nps = 0;
  ps[nps++] = 0;
  for (int i = 0; i < np; i++) {
    int dup = 0;
    for (int j = 0; j < nps; j++) dup |= fabs(ps[j] - pct[i]) < 1e-9;
    if (!dup) ps[nps++] = pct[i];
  }
  for (int i = 1; i < nps; i++) /* insertion sort */
    for (int j = i; j > 0 && ps[j] < ps[j - 1]; j--) {
      const double t = ps[j]; ps[j] = ps[j - 1]; ps[j - 1] = t;
    }
  buf = malloc(sizeof(double) * (MAXP + 1) * 2 * (TS_NUM_LAYERS + 3) + sizeof(double) * MAXP * MAXP);
  if (!buf) {
    fprintf(stderr, "tessera prune: out of memory\n");
    goto done;
  }
  double *ax = buf, *ay = ax + nps, *mx = ay + nps, *bx = mx + nps, *by = bx + 2;
  printf("\n  all layers pruned by p (local, per layer):\n"
         "  %7s  %9s  %14s  %9s\n", "p (%)", "accuracy", "non-zero MACs", "of dense");
  for (int i = 0; i < nps; i++) {
    const ts_study_point *p = &w.p[find(&w, "prune", "all", TS_STUDY_FP32_BITS, ps[i])];
    ax[i] = ps[i];
    ay[i] = 100 * p->accuracy;
    mx[i] = (double)p->nonzero_macs;
    printf("  %7g  %8.2f%%  %14lld  %8.1f%%\n", ps[i], 100 * p->accuracy, p->nonzero_macs,
           100.0 * p->nonzero_macs / p->macs);
  }
  bx[0] = ps[0];
  bx[1] = ps[nps - 1];
  by[0] = by[1] = 100 * base->accuracy;
  char title[256];
  ts_plot_series s1[2] = {{"all layers (local magnitude pruning)", ax, ay, nps},
                          {"unpruned FP32", bx, by, 2}};
  snprintf(title, sizeof title, "Magnitude pruning, no fine-tuning (%s, %d test images)",
           s.dataset, s.n);
  ts_plot_opts po = {.title = title, .xlabel = "weights pruned in every layer (%)",
                     .ylabel = "test accuracy (%)"};
  if (ts_plot_lines(p_acc, &po, s1, 2, &err)) plot_bad |= ts_study_plot_failed(cmd, &err);
  ts_plot_series s2[1] = {{"all layers pruned by 0..99%", mx, ay, nps}};
  snprintf(title, sizeof title, "Accuracy vs work left: non-zero MACs of the whole model (%s)",
           s.dataset);
  po.xlabel = "non-zero MACs per image (whole model)";
  if (ts_plot_lines(p_macs, &po, s2, 1, &err)) plot_bad |= ts_study_plot_failed(cmd, &err);

  /* each layer alone: curves and sensitivity */
  ts_plot_series sl[TS_NUM_LAYERS];
  double *lx = by + 2, *ly = lx + (size_t)TS_NUM_LAYERS * nps;
  double worst_mean = -1e9, best_mean = 1e9, worst_top = 0;
  int worst = 0, best = 0;
  printf("\n  one layer pruned, the others intact (accuracy %%; drop = mean loss vs unpruned):\n"
         "  %-6s", "layer");
  for (int i = 1; i < nps; i++) printf(" %6g%%", ps[i]);
  printf("  %8s\n", "drop");
  for (int l = 0; l < nl; l++) {
    double sum = 0;
    printf("  %-6s", layers[l]);
    for (int i = 0; i < nps; i++) {
      const ts_study_point *p =
          i == 0 ? base : &w.p[find(&w, "layer", layers[l], TS_STUDY_FP32_BITS, ps[i])];
      lx[l * nps + i] = (double)p->nonzero_macs;
      ly[l * nps + i] = 100 * p->accuracy;
      if (i) {
        sum += base->accuracy - p->accuracy;
        printf(" %6.2f ", 100 * p->accuracy);
      }
    }
    const double mean = nps > 1 ? 100 * sum / (nps - 1) : 0;
    printf("  %7.2f\n", mean);
    if (mean > worst_mean) worst_mean = mean, worst = l,
        worst_top = 100 * (base->accuracy - w.p[find(&w, "layer", layers[l], TS_STUDY_FP32_BITS, ps[nps - 1])].accuracy);
    if (mean < best_mean) best_mean = mean, best = l;
    sl[l] = (ts_plot_series){layers[l], lx + l * nps, ly + l * nps, nps};
  }
  snprintf(title, sizeof title, "One layer pruned at a time, 0..%g%% (%s)", ps[nps - 1], s.dataset);
  if (nps > 1 && ts_plot_lines(p_layers, &po, sl, nl, &err))
    plot_bad |= ts_study_plot_failed(cmd, &err);
  char line[1024] = "";
  if (nps > 1) {
    char least[128] = " (the only layer swept).";
    if (nl > 1)
      snprintf(least, sizeof least, "; least sensitive: %s (%.2f points on average).",
               layers[best], best_mean);
    snprintf(line, sizeof line,
             "Most sensitive layer: %s (pruned alone, it loses %.2f accuracy points on average over "
             "p = %g..%g%%, %.2f points at %g%%)%s Sensitivity = mean accuracy drop vs the "
             "unpruned model when only that layer is pruned, at the same percentages for every "
             "layer.",
             layers[worst], worst_mean, ps[1], ps[nps - 1], worst_top, ps[nps - 1], least);
    printf("\n%s\n", line);
  }
  if (ts_atomic_write(obs, write_line, line, &err)) {
    fprintf(stderr, "tessera prune: %s\n", err.msg);
    goto done;
  }

  /* bits x pruning grid */
  if (grid) {
    double *z = ly + (size_t)TS_NUM_LAYERS * nps, gy[MAXP];
    printf("\n  grid: accuracy (%%) with %s B-bit weights after pruning p%% of every layer\n  %5s",
           gscheme, "B\\p");
    for (int i = 0; i < ngp; i++) printf(" %6g%%", gpct[i]);
    printf("\n");
    for (int b = 0; b < ngb; b++) {
      gy[b] = gbits[b];
      printf("  %5d", (int)gbits[b]);
      for (int i = 0; i < ngp; i++) {
        z[b * ngp + i] = 100 * w.p[find(&w, "grid", "all", (int)gbits[b], gpct[i])].accuracy;
        printf(" %6.2f ", z[b * ngp + i]);
      }
      printf("\n");
    }
    snprintf(title, sizeof title, "Test accuracy (%%): %s B-bit weights x pruning (%s)", gscheme,
             s.dataset);
    ts_plot_opts ph = {.title = title, .xlabel = "weights pruned in every layer (%)",
                       .ylabel = "weight bits B", .zlabel = "test accuracy (%)"};
    if (ts_plot_heatmap(p_grid, &ph, gpct, ngp, gy, ngb, z, "%.1f", &err))
      plot_bad |= ts_study_plot_failed(cmd, &err);
  }
  char el[32], v_images[32], v_threads[32], v_sweep[32], v_total[32], v_evals[32], v_reused[32];
  ts_cli_duration(sweep_s, el, sizeof el);
  printf("\nsweep time: %s for %d evaluations of %d images\n", el, w.n - reused, s.n);
  snprintf(v_images, sizeof v_images, "%d", s.n);
  snprintf(v_threads, sizeof v_threads, "%d", threads);
  snprintf(v_sweep, sizeof v_sweep, "%.3f", sweep_s);
  snprintf(v_total, sizeof v_total, "%.3f", ts_study_now() - t0);
  snprintf(v_evals, sizeof v_evals, "%d", w.n - reused);
  snprintf(v_reused, sizeof v_reused, "%d", reused);
  const char *kv[] = {"model", s.model_path, "dataset", s.dataset, "test_images", v_images,
                      "threads", v_threads, "grid_scheme", grid ? gscheme : "none",
                      "most_sensitive", nps > 1 ? layers[worst] : "-",
                      "evaluations", v_evals, "reused", v_reused, "sweep_seconds", v_sweep,
                      "total_seconds", v_total};
  if (ts_study_write_kv(runcsv, kv, sizeof kv / sizeof kv[0] / 2, &err)) {
    fprintf(stderr, "tessera prune: %s\n", err.msg);
    goto done;
  }
  printf("wrote %s and the plots prune_{accuracy,macs,layers%s}.png in %s\n", csv,
         grid ? ",grid" : "", out);
  rc = plot_bad;
done:
  free(buf);
  ts_sweep_free(&w);
  ts_study_close(&s);
  return rc;
}
