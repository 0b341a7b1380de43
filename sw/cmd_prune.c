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
#include "prune_finetune.h"
#include "slurm.h"
#include "study.h"
#include "ts_plot.h"
#include "ts_prune.h"

static const char *const USAGE =
    "usage: tessera prune [--model FILE] [--dataset NAME] [--data DIR] [--coarse]\n"
    "                     [--percent LIST] [--layer NAME[,NAME...]] [--grid-bits LIST]\n"
    "                     [--grid-percent LIST] [--grid-scheme S] [--no-grid]\n"
    "                     [--limit N] [--threads N] [--out DIR] [--no-resume]\n"
    "       tessera prune --finetune EPOCHS [--gradual | --nm N:M] [--percent LIST]\n"
    "                     [--allocation A] [--lr X] [--lr-schedule S] [--resume]\n"
    "                     [--model FILE] [--data DIR] [--out DIR]\n"
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
    ".csv and .gp), OUT/prune_observation.txt and OUT/prune_run.csv.\n"
    "\n"
    "Masked fine-tuning: prune (as above), then train on the training split of\n"
    "--data with the pruned weights held at exactly 0, validating on the test split.\n"
    "  --finetune EPOCHS  fine-tuning epochs (5 is the measured default budget)\n"
    "  --percent LIST     sparsities of the whole model (zero weights / all weights),\n"
    "                     one run each (default 0,50,70,80,90,95; 0 is the unpruned\n"
    "                     model fine-tuned alike, the fair reference)\n"
    "  --allocation A     how a sparsity is split over the layers: global (default;\n"
    "                     one magnitude threshold over all weights) or local (every\n"
    "                     layer pruned to the same fraction)\n"
    "  --gradual          raise the sparsity on Zhu & Gupta's cubic schedule over the\n"
    "                     first 80% of the epochs instead of pruning at once\n"
    "  --nm N:M           N:M sparsity along every layer's K instead (e.g. 2:4, 1:4)\n"
    "  --lr X             fine-tuning learning rate (default 0.005, half of training's)\n"
    "  --lr-schedule S    cosine (default: from X to 0 over the epochs) or constant\n"
    "  --resume           continue each run from its checkpoint (bit-identical; the\n"
    "                     same options, and the same EPOCHS for --gradual or cosine,\n"
    "                     whose schedules span them; another recipe is refused)\n"
    "Writes OUT/finetune/RUN/{model,checkpoint}.safetensors and train_log.csv per run\n"
    "and the table OUT/finetune_{oneshot,gradual,nmN-M}.csv.\n" TS_SLURM_USAGE;

enum { MAXP = 64 };

static int find(const ts_sweep *w, const char *exp, const char *layer, int bits,
                double pct) {
  for (int i = 0; i < w->n; i++)
    if (!strcmp(w->p[i].experiment, exp) && !strcmp(w->p[i].layer, layer) &&
        w->p[i].bits == bits && fabs(w->p[i].percent - pct) < 1e-9)
      return i;
  return -1;
}

/* A comma list of numbers for --percent (0..100), --grid-percent, and
 * --grid-bits (whole numbers 1..16). */
typedef struct num_list {
  double v[MAXP + 1]; /* + 1: the sorted percentages add 0 */
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

enum { F_CSV, F_ACC, F_MACS, F_LAYERS, F_GRID, F_OBS, F_RUN, NFILES };
static const char *const FILES[NFILES] = {
    "prune.csv", "prune_accuracy.png", "prune_macs.png", "prune_layers.png",
    "prune_grid.png", "prune_observation.txt", "prune_run.csv"};

typedef struct prune_args {
  ts_cli_common c;
  int resume, grid;
  num_list pct, gbits, gpct; /* --percent, --grid-bits, --grid-percent */
  const char *gscheme;       /* --grid-scheme */
  layer_list layers;         /* --layer, default all */
  char f[NFILES][TS_STUDY_PATH_MAX]; /* FILES in OUT */
  ts_slurm_opts so;                  /* --slurm ... */
  ts_slurm_cmd job;                  /* this command, for ts_sweep_execute */
  ts_prune_ft_opts ft;       /* --finetune and its options */
  int nm[2], percent_set, resume_set;
  int ft_only_set;           /* --allocation or --lr-schedule given */
} prune_args;

/* Returns 0 to go on, else 1 with the exit code in *rc. */
static int parse_args(const char *cmd, int argc, char **argv, prune_args *a, int *rc) {
  const prune_args dflt = {.resume = 1,
                           .grid = 1,
                           .pct = {{0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 99}, 12},
                           .gbits = {{2, 3, 4, 6, 8, 16}, 6},
                           .gpct = {{0, 25, 50, 75, 90}, 5},
                           .gscheme = "per-channel",
                           .ft = {.lr = TS_PRUNE_FT_LR,
                                  .allocation = TS_PRUNE_FT_ALLOCATION,
                                  .schedule = TS_PRUNE_FT_SCHEDULE}};
  *a = dflt;
  ts_cli_common_default(&a->c);
  ts_opt own[] = {TS_OPT_CALL("percent", opt_percent, &a->pct),
                        TS_OPT_CALL("layer", opt_layers, &a->layers),
                        TS_OPT_CALL("grid-bits", opt_grid_bits, &a->gbits),
                        TS_OPT_CALL("grid-percent", opt_percent, &a->gpct),
                        TS_OPT_CALL("grid-scheme", opt_grid_scheme, &a->gscheme),
                        TS_OPT_SWITCH("no-grid", &a->grid, 0),
                        TS_OPT_SWITCH("no-resume", &a->resume, 0),
                        TS_OPT_SWITCH("resume", &a->resume, 1),
                        TS_OPT_I("finetune", &a->ft.epochs, 1, 100000),
                        TS_OPT_SWITCH("gradual", &a->ft.gradual, 1),
                        TS_OPT_CALL("nm", ts_prune_opt_nm, a->nm),
                        TS_OPT_F("lr", &a->ft.lr, 1e-9, 10.0),
                        TS_OPT_CALL("allocation", ts_prune_opt_alloc, &a->ft.allocation),
                        TS_OPT_CALL("lr-schedule", ts_prune_opt_schedule, &a->ft.schedule),
                        TS_SLURM_OPTS(&a->so)};
  own[0].seen = &a->percent_set;
  own[7].seen = &a->resume_set;
  own[12].seen = own[13].seen = &a->ft_only_set;
  const ts_cli_spec spec = {cmd, USAGE, TS_CLI_STUDY_OPTS, own, TS_OPT_COUNT(own)};
  if (ts_cli_parse(&spec, argc, argv, &a->c, rc)) return 1;
  if (ts_slurm_check(cmd, &a->so)) return (*rc = 2);
  a->job = (ts_slurm_cmd){cmd, argc, argv, a->c.threads, a->resume, &a->so};
  if (!a->layers.n) { /* every layer; names do not depend on shapes */
    ts_arch any;
    ts_layer_info li[TS_NUM_LAYERS];
    ts_arch_default(&any, 1, 28, 28, 10);
    ts_arch_layers(&any, li, NULL);
    for (int i = 0; i < TS_NUM_LAYERS; i++)
      snprintf(a->layers.name[a->layers.n++], sizeof a->layers.name[0], "%s", li[i].name);
  }
  return 0;
}

static int add_points(const prune_args *a, ts_sweep *w) {
  const num_list *P = &a->pct;
  /* the unpruned model is the baseline of every curve */
  int ok = ts_sweep_add(w, "prune", "-", "all", TS_STUDY_FP32_BITS, 0) >= 0;
  for (int i = 0; i < P->n && ok; i++)
    if (P->v[i] > 0) ok = ts_sweep_add(w, "prune", "-", "all", TS_STUDY_FP32_BITS, P->v[i]) >= 0;
  for (int l = 0; l < a->layers.n && ok; l++)
    for (int i = 0; i < P->n && ok; i++)
      if (P->v[i] > 0)
        ok = ts_sweep_add(w, "layer", "-", a->layers.name[l], TS_STUDY_FP32_BITS, P->v[i]) >= 0;
  for (int b = 0; b < a->gbits.n && a->grid && ok; b++)
    for (int i = 0; i < a->gpct.n && ok; i++)
      ok = ts_sweep_add(w, "grid", a->gscheme, "all", (int)a->gbits.v[b], a->gpct.v[i]) >= 0;
  return !ok;
}

/* The swept percentages without repeats, sorted, with 0 first. */
static void sorted_percents(const num_list *P, num_list *ps) {
  ps->n = 0;
  ps->v[ps->n++] = 0;
  for (int i = 0; i < P->n; i++) {
    int dup = 0;
    for (int j = 0; j < ps->n; j++) dup |= fabs(ps->v[j] - P->v[i]) < 1e-9;
    if (!dup) ps->v[ps->n++] = P->v[i];
  }
  for (int i = 1; i < ps->n; i++) /* insertion sort */
    for (int j = i; j > 0 && ps->v[j] < ps->v[j - 1]; j--) {
      const double t = ps->v[j];
      ps->v[j] = ps->v[j - 1];
      ps->v[j - 1] = t;
    }
}

/* The point of experiment exp ("prune", "layer", "grid") at pct percent. */
static const ts_study_point *at(const ts_sweep *w, const char *exp, const char *layer,
                                int bits, double pct) {
  return &w->p[find(w, exp, layer, bits, pct)];
}

/* All layers pruned by p: table, accuracy and MACs plots. Returns 1 if a
 * plot failed. */
static int report_all(const char *cmd, const ts_study *s, const ts_sweep *w,
                      const num_list *ps, const char *acc_png, const char *macs_png) {
  double ay[MAXP + 1], mx[MAXP + 1];
  int plot_bad = 0;
  printf("\n  all layers pruned by p (local, per layer):\n"
         "  %7s  %9s  %14s  %9s\n", "p (%)", "accuracy", "non-zero MACs", "of dense");
  for (int i = 0; i < ps->n; i++) {
    const ts_study_point *p = at(w, "prune", "all", TS_STUDY_FP32_BITS, ps->v[i]);
    ay[i] = 100 * p->accuracy;
    mx[i] = (double)p->nonzero_macs;
    printf("  %7g  %8.2f%%  %14lld  %8.1f%%\n", ps->v[i], 100 * p->accuracy, p->nonzero_macs,
           100.0 * p->nonzero_macs / p->macs);
  }
  const double bx[2] = {ps->v[0], ps->v[ps->n - 1]};
  const double by[2] = {100 * w->p[0].accuracy, 100 * w->p[0].accuracy};
  ts_plot_series s1[2] = {{"all layers (local magnitude pruning)", ps->v, ay, ps->n},
                          {"unpruned FP32", bx, by, 2}};
  char title[256];
  snprintf(title, sizeof title, "Magnitude pruning, no fine-tuning (%s, %d test images)",
           s->dataset, s->n);
  ts_plot_opts po = {.title = title, .xlabel = "weights pruned in every layer (%)",
                     .ylabel = "test accuracy (%)"};
  ts_error err = {0};
  if (ts_plot_lines(acc_png, &po, s1, 2, &err)) plot_bad |= ts_study_plot_failed(cmd, &err);
  ts_plot_series s2[1] = {{"all layers pruned by 0..99%", mx, ay, ps->n}};
  snprintf(title, sizeof title, "Accuracy vs work left: non-zero MACs of the whole model (%s)",
           s->dataset);
  po.xlabel = "non-zero MACs per image (whole model)";
  if (ts_plot_lines(macs_png, &po, s2, 1, &err)) plot_bad |= ts_study_plot_failed(cmd, &err);
  return plot_bad;
}

/* Sensitivity of each layer pruned alone: mean accuracy drop vs the
 * unpruned model over the percentages, and the drop at the largest. */
typedef struct sensitivity {
  int worst, best;
  double worst_mean, best_mean, worst_top;
} sensitivity;

static ts_status write_line(FILE *fp, void *user, ts_error *err) {
  (void)err;
  fprintf(fp, "%s\n", (const char *)user);
  return TS_OK;
}

/* The observation (most and least sensitive layer) on stdout and in
 * OUT/prune_observation.txt (empty when only p = 0 was swept). */
static int write_observation(const char *cmd, const prune_args *a, const num_list *ps,
                             const sensitivity *sv, const char *path) {
  char line[1024] = "";
  if (ps->n > 1) {
    char least[128] = " (the only layer swept).";
    if (a->layers.n > 1)
      snprintf(least, sizeof least, "; least sensitive: %s (%.2f points on average).",
               a->layers.name[sv->best], sv->best_mean);
    snprintf(line, sizeof line,
             "Most sensitive layer: %s (pruned alone, it loses %.2f accuracy points on average over "
             "p = %g..%g%%, %.2f points at %g%%)%s Sensitivity = mean accuracy drop vs the "
             "unpruned model when only that layer is pruned, at the same percentages for every "
             "layer.",
             a->layers.name[sv->worst], sv->worst_mean, ps->v[1], ps->v[ps->n - 1],
             sv->worst_top, ps->v[ps->n - 1], least);
    printf("\n%s\n", line);
  }
  ts_error err = {0};
  if (ts_atomic_write(path, write_line, line, &err)) {
    ts_cli_error(cmd, &err);
    return 1;
  }
  return 0;
}

/* One layer pruned at a time: table, plot, sensitivity. Returns 1 if the
 * plot failed. */
static int report_layers(const char *cmd, const prune_args *a, const ts_study *s,
                         const ts_sweep *w, const num_list *ps, const char *png,
                         sensitivity *sv) {
  const int nl = a->layers.n, n = ps->n;
  double lx[TS_NUM_LAYERS][MAXP + 1], ly[TS_NUM_LAYERS][MAXP + 1];
  ts_plot_series sl[TS_NUM_LAYERS];
  const ts_study_point *base = &w->p[0];
  *sv = (sensitivity){0, 0, -1e9, 1e9, 0};
  printf("\n  one layer pruned, the others intact (accuracy %%; drop = mean loss vs unpruned):\n"
         "  %-6s", "layer");
  for (int i = 1; i < n; i++) printf(" %6g%%", ps->v[i]);
  printf("  %8s\n", "drop");
  for (int l = 0; l < nl; l++) {
    const char *name = a->layers.name[l];
    double sum = 0;
    printf("  %-6s", name);
    for (int i = 0; i < n; i++) {
      const ts_study_point *p = i == 0 ? base : at(w, "layer", name, TS_STUDY_FP32_BITS, ps->v[i]);
      lx[l][i] = (double)p->nonzero_macs;
      ly[l][i] = 100 * p->accuracy;
      if (i) {
        sum += base->accuracy - p->accuracy;
        printf(" %6.2f ", 100 * p->accuracy);
      }
    }
    const double mean = n > 1 ? 100 * sum / (n - 1) : 0;
    printf("  %7.2f\n", mean);
    if (mean > sv->worst_mean) {
      const ts_study_point *top = at(w, "layer", name, TS_STUDY_FP32_BITS, ps->v[n - 1]);
      *sv = (sensitivity){l, sv->best, mean, sv->best_mean,
                          100 * (base->accuracy - top->accuracy)};
    }
    if (mean < sv->best_mean) sv->best = l, sv->best_mean = mean;
    sl[l] = (ts_plot_series){name, lx[l], ly[l], n};
  }
  char title[256];
  snprintf(title, sizeof title, "One layer pruned at a time, 0..%g%% (%s)", ps->v[n - 1],
           s->dataset);
  ts_plot_opts po = {.title = title, .xlabel = "weights pruned in every layer (%)",
                     .ylabel = "test accuracy (%)"};
  ts_error err = {0};
  int plot_bad = 0;
  if (n > 1 && ts_plot_lines(png, &po, sl, nl, &err))
    plot_bad = ts_study_plot_failed(cmd, &err);
  return plot_bad;
}

/* The bits x pruning grid: table and heat map. Returns 1 if the plot failed. */
static int report_grid(const char *cmd, const prune_args *a, const ts_study *s,
                       const ts_sweep *w, const char *png) {
  const num_list *B = &a->gbits, *P = &a->gpct;
  double z[MAXP * MAXP];
  printf("\n  grid: accuracy (%%) with %s B-bit weights after pruning p%% of every layer\n  %5s",
         a->gscheme, "B\\p");
  for (int i = 0; i < P->n; i++) printf(" %6g%%", P->v[i]);
  printf("\n");
  for (int b = 0; b < B->n; b++) {
    printf("  %5d", (int)B->v[b]);
    for (int i = 0; i < P->n; i++) {
      z[b * P->n + i] = 100 * at(w, "grid", "all", (int)B->v[b], P->v[i])->accuracy;
      printf(" %6.2f ", z[b * P->n + i]);
    }
    printf("\n");
  }
  char title[256];
  snprintf(title, sizeof title, "Test accuracy (%%): %s B-bit weights x pruning (%s)",
           a->gscheme, s->dataset);
  ts_plot_opts ph = {.title = title, .xlabel = "weights pruned in every layer (%)",
                     .ylabel = "weight bits B", .zlabel = "test accuracy (%)"};
  ts_error err = {0};
  if (ts_plot_heatmap(png, &ph, P->v, P->n, B->v, B->n, z, "%.1f", &err))
    return ts_study_plot_failed(cmd, &err);
  return 0;
}

/* The sweep and everything written from it; returns the exit code. */
static int sweep(ts_study *s, ts_sweep *w, const void *user) {
  const prune_args *a = user;
  const char *cmd = s->cmd;
  const char *csv = a->f[F_CSV];
  ts_sweep_stats st;
  if (add_points(a, w)) {
    fprintf(stderr, "tessera %s: out of memory\n", cmd);
    return 1;
  }
  if (ts_sweep_execute(s, w, a->c.out, csv, &a->job, "pruning", "", &st)) return 1;
  if (st.stop) return 0; /* --slurm, or an array task */
  num_list ps;
  sensitivity sv;
  sorted_percents(&a->pct, &ps);
  int plot_bad = report_all(cmd, s, w, &ps, a->f[F_ACC], a->f[F_MACS]);
  plot_bad |= report_layers(cmd, a, s, w, &ps, a->f[F_LAYERS], &sv);
  if (write_observation(cmd, a, &ps, &sv, a->f[F_OBS])) return 1;
  if (a->grid) plot_bad |= report_grid(cmd, a, s, w, a->f[F_GRID]);
  char el[32];
  ts_cli_duration(st.sweep_s, el, sizeof el);
  printf("\nsweep time: %s for %d evaluations of %d images\n", el, st.evaluations, s->n);
  const char *extra[] = {"grid_scheme", a->grid ? a->gscheme : "none", "most_sensitive",
                         ps.n > 1 ? a->layers.name[sv.worst] : "-"};
  if (ts_study_write_run(s, a->f[F_RUN], extra, 2, &st)) return 1;
  printf("wrote %s and the plots prune_{accuracy,macs,layers%s}.png in %s\n", csv,
         a->grid ? ",grid" : "", a->c.out);
  return plot_bad;
}

int ts_cmd_prune(int argc, char **argv) {
  const char *cmd = "prune";
  prune_args a;
  int rc;
  if (parse_args(cmd, argc, argv, &a, &rc)) return rc;
  if (a.ft.epochs || a.ft.gradual || a.nm[1] || a.ft_only_set) { /* masked fine-tuning */
    if (!a.ft.epochs) {
      fprintf(stderr, "tessera prune: --gradual, --nm, --allocation and --lr-schedule need "
              "--finetune EPOCHS\n");
      return 2;
    }
    ts_prune_ft_opts *o = &a.ft;
    o->nm_n = a.nm[0];
    o->nm_m = a.nm[1];
    o->resume = a.resume_set && a.resume;
    o->percent = a.pct.v;
    o->npercent = a.pct.n;
    o->percent_given = a.percent_set;
    return ts_prune_finetune(&a.c, o);
  }
  if (ts_study_paths(cmd, a.c.out, FILES, NFILES, a.f)) return 2;
  return ts_sweep_command(cmd, &a.c, sweep, &a);
}
