/* tessera prune: accuracy vs magnitude pruning (all layers, and each layer
 * alone), vs the MACs left, and a weight-bits x pruning grid. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
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

int ts_cmd_prune(int argc, char **argv) {
  const char *cmd = "prune", *model = "out/model.safetensors", *out = "out";
  ts_cli_data data = {0};
  int threads = 2, resume = 1, grid = 1, np = 12, ngb = 6, ngp = 5, nl = 0;
  double pct[MAXP] = {0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 99};
  double gbits[MAXP] = {2, 3, 4, 6, 8, 16}, gpct[MAXP] = {0, 25, 50, 75, 90};
  const char *gscheme = "per-channel";
  char layers[TS_NUM_LAYERS][16];
  ts_arch any;
  ts_arch_default(&any, 1, 28, 28, 10); /* layer names do not depend on shapes */
  enum { O_MODEL = 256, O_DATASET, O_DATA, O_COARSE, O_PCT, O_LAYER, O_GB, O_GP, O_GS,
         O_NOGRID, O_LIMIT, O_THREADS, O_OUT, O_NORESUME, O_RESUME, O_HELP };
  static const struct option opts[] = {
      {"model", 1, 0, O_MODEL}, {"dataset", 1, 0, O_DATASET}, {"data", 1, 0, O_DATA},
      {"coarse", 0, 0, O_COARSE}, {"percent", 1, 0, O_PCT}, {"layer", 1, 0, O_LAYER},
      {"grid-bits", 1, 0, O_GB}, {"grid-percent", 1, 0, O_GP}, {"grid-scheme", 1, 0, O_GS},
      {"no-grid", 0, 0, O_NOGRID}, {"limit", 1, 0, O_LIMIT}, {"threads", 1, 0, O_THREADS},
      {"out", 1, 0, O_OUT}, {"no-resume", 0, 0, O_NORESUME}, {"resume", 0, 0, O_RESUME},
      {"help", 0, 0, O_HELP}, {0, 0, 0, 0}};
  int o;
  optind = 1;
  opterr = 0; /* ts_cli_bad_option says it in one line */
  while ((o = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
    int bad = 0;
    switch (o) {
      case O_MODEL: model = optarg; break;
      case O_DATASET: data.dataset = optarg; break;
      case O_DATA: data.dir = optarg; break;
      case O_COARSE: data.coarse = 1; break;
      case O_PCT: bad = ts_study_parse_list(cmd, "--percent", optarg, 0, 100, pct, MAXP, &np); break;
      case O_LAYER: {
        char buf[256];
        snprintf(buf, sizeof buf, "%s", optarg);
        for (char *tok = strtok(buf, ","); tok && !bad; tok = strtok(NULL, ",")) {
          ts_error e = {0};
          int li;
          if (ts_prune_layer_index(&any, tok, &li, &e)) {
            fprintf(stderr, "tessera prune: --layer: %s\n", e.msg);
            bad = 1;
          } else if (nl < TS_NUM_LAYERS) {
            int dup = 0;
            for (int j = 0; j < nl; j++) dup |= !strcmp(layers[j], tok);
            if (!dup) snprintf(layers[nl++], sizeof layers[0], "%s", tok);
          }
        }
        if (!bad && !nl) {
          fprintf(stderr, "tessera prune: --layer needs at least one layer name\n");
          bad = 1;
        }
        break;
      }
      case O_GB: bad = ts_study_parse_list(cmd, "--grid-bits", optarg, 1, 16, gbits, MAXP, &ngb);
        for (int j = 0; j < ngb && !bad; j++)
          if (gbits[j] != floor(gbits[j])) {
            fprintf(stderr, "tessera prune: --grid-bits takes whole numbers 1..16, got %g\n", gbits[j]);
            bad = 1;
          }
        break;
      case O_GP: bad = ts_study_parse_list(cmd, "--grid-percent", optarg, 0, 100, gpct, MAXP, &ngp); break;
      case O_GS:
        if (strcmp(optarg, "per-tensor") && strcmp(optarg, "per-channel")) {
          fprintf(stderr, "tessera prune: --grid-scheme must be per-tensor or per-channel, got '%s'\n", optarg);
          bad = 1;
        }
        gscheme = optarg;
        break;
      case O_NOGRID: grid = 0; break;
      case O_LIMIT: bad = ts_cli_int(cmd, "--limit", optarg, 1, 1 << 30, &data.limit); break;
      case O_THREADS: bad = ts_cli_int(cmd, "--threads", optarg, 1, 256, &threads); break;
      case O_OUT: out = optarg; break;
      case O_NORESUME: resume = 0; break;
      case O_RESUME: resume = 1; break;
      case O_HELP: fputs(USAGE, stdout); return 0;
      default: return ts_cli_bad_option(cmd, o, argv);
    }
    if (bad) return 2;
  }
  if (ts_cli_no_extra_args(cmd, argc, argv)) return 2;
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
  int rc = 1, reused = 0, plot_bad = 0, ok = 1;
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
