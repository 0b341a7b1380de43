/* tessera quant: test accuracy vs weight bits, per-tensor and per-channel,
 * and the storage the quantized model needs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_opts.h"
#include "commands.h"
#include "study.h"
#include "ts_plot.h"
#include "ts_profile.h"

static const char *const USAGE =
    "usage: tessera quant [--model FILE] [--dataset NAME] [--data DIR] [--coarse]\n"
    "                     [--bits LO-HI] [--scheme per-tensor|per-channel|both]\n"
    "                     [--limit N] [--threads N] [--out DIR] [--no-resume]\n"
    "Post-training weight quantization sweep: every point starts from the FP32\n"
    "weights (default model out/model.safetensors), fake-quantizes every layer's\n"
    "weights to B bits (biases stay FP32) and measures test accuracy.\n"
    "  --bits LO-HI   bit widths to sweep, within 1..16 (default 1-16; N for one)\n"
    "  --scheme S     per-tensor, per-channel or both (default both)\n"
    "  --limit N      use only the first N test images (quick runs)\n"
    "  --no-resume    recompute points already in OUT/quant.csv for this model\n"
    "Writes OUT/quant.csv (one row per point), OUT/quant_accuracy.png (+ .csv,\n"
    ".gp), OUT/quant_memory.csv (storage at 2/4/8 bits) and OUT/quant_run.csv\n"
    "(configuration and timing).\n";

/* bit 0: per-tensor, bit 1: per-channel */
static int opt_schemes(const char *cmd, const char *flag, const char *arg, void *dst) {
  int *schemes = dst;
  if (!strcmp(arg, "per-tensor")) *schemes = 1;
  else if (!strcmp(arg, "per-channel")) *schemes = 2;
  else if (!strcmp(arg, "both")) *schemes = 3;
  else {
    fprintf(stderr, "tessera %s: %s must be per-tensor, per-channel or both, got '%s'\n", cmd,
            flag, arg);
    return 1;
  }
  return 0;
}

static int opt_bits(const char *cmd, const char *flag, const char *arg, void *dst) {
  (void)flag;
  int *lohi = dst; /* [2] */
  return ts_study_parse_bits(cmd, arg, &lohi[0], &lohi[1]);
}

static const char *const SCHEME_NAMES[2] = {"per-tensor", "per-channel"};
enum { F_CSV, F_PNG, F_MEM, F_RUN, NFILES };
static const char *const FILES[NFILES] = {"quant.csv", "quant_accuracy.png",
                                          "quant_memory.csv", "quant_run.csv"};

typedef struct quant_args {
  ts_cli_common c;
  int bits[2]; /* LO, HI */
  int resume, schemes;
  char f[NFILES][TS_STUDY_PATH_MAX]; /* FILES in OUT */
} quant_args;

/* Returns 0 to go on, else 1 with the exit code in *rc. */
static int parse_args(const char *cmd, int argc, char **argv, quant_args *a, int *rc) {
  ts_cli_common_default(&a->c);
  a->bits[0] = TS_QUANT_MIN_BITS;
  a->bits[1] = TS_QUANT_MAX_BITS;
  a->resume = 1;
  a->schemes = 3;
  const ts_opt own[] = {TS_OPT_CALL("bits", opt_bits, a->bits),
                        TS_OPT_CALL("scheme", opt_schemes, &a->schemes),
                        TS_OPT_SWITCH("no-resume", &a->resume, 0),
                        TS_OPT_SWITCH("resume", &a->resume, 1)};
  const ts_cli_spec spec = {cmd, USAGE, TS_CLI_STUDY_OPTS, own, TS_OPT_COUNT(own)};
  return ts_cli_parse(&spec, argc, argv, &a->c, rc);
}

/* The FP32 point, then bits LO..HI of each scheme asked for. */
static int add_points(const quant_args *a, ts_sweep *w) {
  int ok = ts_sweep_add(w, "fp32", "-", "all", TS_STUDY_FP32_BITS, 0) >= 0;
  for (int sc = 0; sc < 2; sc++)
    for (int b = a->bits[0]; b <= a->bits[1] && ok; b++)
      if (a->schemes >> sc & 1) ok = ts_sweep_add(w, "quant", SCHEME_NAMES[sc], "all", b, 0) >= 0;
  return !ok;
}

/* Index in the sweep of scheme sc's point at `bits` bits. */
static int point(const quant_args *a, int sc, int bits) {
  const int nb = a->bits[1] - a->bits[0] + 1;
  return 1 + (a->schemes == 3 ? sc * nb : 0) + (bits - a->bits[0]);
}

static void print_table(const quant_args *a, const ts_sweep *w) {
  printf("\n  bits  per-tensor  per-channel   (FP32 %.2f%%)\n", 100 * w->p[0].accuracy);
  for (int b = a->bits[0]; b <= a->bits[1]; b++) {
    printf("  %4d", b);
    for (int sc = 0; sc < 2; sc++) {
      if (a->schemes >> sc & 1) printf("  %9.2f%%", 100 * w->p[point(a, sc, b)].accuracy);
      else printf("  %10s", "-");
    }
    printf("\n");
  }
}

/* One curve per scheme and the FP32 line. Returns 1 if the plot failed. */
static int plot_accuracy(const char *cmd, const quant_args *a, const ts_study *s,
                         const ts_sweep *w, const char *png) {
  enum { MAXB = TS_QUANT_MAX_BITS - TS_QUANT_MIN_BITS + 1 };
  const int nb = a->bits[1] - a->bits[0] + 1;
  double x[2][MAXB], y[2][MAXB];
  ts_plot_series ser[3];
  int ns = 0;
  for (int sc = 0; sc < 2; sc++) {
    if (!(a->schemes >> sc & 1)) continue;
    for (int j = 0; j < nb; j++) {
      const ts_study_point *p = &w->p[point(a, sc, a->bits[0] + j)];
      x[sc][j] = p->bits;
      y[sc][j] = 100 * p->accuracy;
    }
    ser[ns++] = (ts_plot_series){SCHEME_NAMES[sc], x[sc], y[sc], nb};
  }
  const double fp32 = 100 * w->p[0].accuracy;
  const double bx[2] = {a->bits[0], a->bits[1]}, by[2] = {fp32, fp32};
  ser[ns++] = (ts_plot_series){"FP32 baseline", bx, by, 2};
  char title[256];
  snprintf(title, sizeof title, "Post-training weight quantization (%s, %d test images)",
           s->dataset, s->n);
  ts_plot_opts po = {.title = title, .xlabel = "weight bits B",
                     .ylabel = "test accuracy (%)"};
  ts_error err = {0};
  if (ts_plot_lines(png, &po, ser, ns, &err)) return ts_study_plot_failed(cmd, &err);
  printf("wrote %s\n", png);
  return 0;
}

/* Storage at 2/4/8 bits vs FP32: printed and written to path. */
static int write_memory(const char *cmd, const ts_study *s, const char *path) {
  ts_quant_mem mem[TS_STUDY_MEM_ROWS];
  ts_error err = {0};
  if (ts_study_quant_mem(cmd, ts_net_arch(s->net), mem)) return 1;
  printf("\nmodel storage with B-bit weights (packed codes + FP32 scales + FP32 biases;\n"
         "activations stay FP32):\n");
  if (ts_quant_mem_print(stdout, mem, TS_STUDY_MEM_ROWS, &err) ||
      ts_quant_mem_write_csv(path, mem, TS_STUDY_MEM_ROWS, &err)) {
    ts_cli_error(cmd, &err);
    return 1;
  }
  return 0;
}

/* The sweep and everything written from it; returns the exit code. */
static int sweep(ts_study *s, ts_sweep *w, const void *user) {
  const quant_args *a = user;
  const char *cmd = s->cmd;
  ts_sweep_stats st;
  char detail[64];
  snprintf(detail, sizeof detail, "B = %d..%d, ", a->bits[0], a->bits[1]);
  if (add_points(a, w)) {
    fprintf(stderr, "tessera %s: out of memory\n", cmd);
    return 1;
  }
  if (ts_sweep_execute(s, w, a->c.out, a->f[F_CSV], a->resume, "quantization", detail, &st))
    return 1;
  print_table(a, w);
  char el[32];
  ts_cli_duration(st.sweep_s, el, sizeof el);
  printf("sweep time: %s for %d evaluations of %d images (%.3f s/evaluation)\n", el,
         st.evaluations, s->n, st.evaluations ? st.sweep_s / st.evaluations : 0.0);
  const int plot_bad = plot_accuracy(cmd, a, s, w, a->f[F_PNG]);
  if (write_memory(cmd, s, a->f[F_MEM])) return 1;
  char bits[32], fp32[32];
  snprintf(bits, sizeof bits, "%d-%d", a->bits[0], a->bits[1]);
  snprintf(fp32, sizeof fp32, "%.6f", w->p[0].accuracy);
  const char *extra[] = {"bits", bits, "fp32_accuracy", fp32};
  if (ts_study_write_run(s, a->f[F_RUN], extra, 2, &st)) return 1;
  printf("wrote %s, %s, %s\n", a->f[F_CSV], a->f[F_MEM], a->f[F_RUN]);
  return plot_bad;
}

int ts_cmd_quant(int argc, char **argv) {
  const char *cmd = "quant";
  quant_args a;
  int rc;
  if (parse_args(cmd, argc, argv, &a, &rc)) return rc;
  if (ts_study_paths(cmd, a.c.out, FILES, NFILES, a.f)) return 2;
  return ts_sweep_command(cmd, &a.c, sweep, &a);
}
