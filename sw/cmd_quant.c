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

int ts_cmd_quant(int argc, char **argv) {
  const char *cmd = "quant";
  ts_cli_common c;
  ts_cli_common_default(&c);
  int bits[2] = {TS_QUANT_MIN_BITS, TS_QUANT_MAX_BITS}, resume = 1, schemes = 3;
  const ts_opt own[] = {TS_OPT_CALL("bits", opt_bits, bits),
                        TS_OPT_CALL("scheme", opt_schemes, &schemes),
                        TS_OPT_SWITCH("no-resume", &resume, 0),
                        TS_OPT_SWITCH("resume", &resume, 1)};
  const ts_cli_spec spec = {cmd, USAGE, TS_CLI_MODEL | TS_CLI_DATA_OPTS | TS_CLI_THREADS |
                            TS_CLI_OUT, own, TS_OPT_COUNT(own)};
  int rc;
  if (ts_cli_parse(&spec, argc, argv, &c, &rc)) return rc;
  const char *model = c.model, *out = c.out;
  ts_cli_data data = c.data;
  const int threads = c.threads, lo = bits[0], hi = bits[1];
  char csv[4096], png[4096], memcsv[4096], runcsv[4096];
  if (ts_study_path(csv, sizeof csv, out, "quant.csv") ||
      ts_study_path(png, sizeof png, out, "quant_accuracy.png") ||
      ts_study_path(memcsv, sizeof memcsv, out, "quant_memory.csv") ||
      ts_study_path(runcsv, sizeof runcsv, out, "quant_run.csv")) {
    fprintf(stderr, "tessera quant: --out path too long\n");
    return 2;
  }
  const double t0 = ts_study_now();
  ts_study s;
  if (ts_study_open(cmd, model, &data, threads, &s)) {
    ts_study_close(&s);
    return 1;
  }
  int reused = 0, plot_bad = 0;
  rc = 1;
  ts_error err = {0};
  ts_sweep w = {0};
  w.hash = s.hash;
  w.images = s.n;
  double *x = NULL, *y = NULL;
  if (ts_cli_mkdirs(cmd, out)) goto done;
  const char *names[2] = {"per-tensor", "per-channel"};
  int ok = ts_sweep_add(&w, "fp32", "-", "all", TS_STUDY_FP32_BITS, 0) >= 0;
  for (int sc = 0; sc < 2; sc++)
    for (int b = lo; b <= hi && ok; b++)
      if (schemes >> sc & 1) ok = ts_sweep_add(&w, "quant", names[sc], "all", b, 0) >= 0;
  if (!ok) {
    fprintf(stderr, "tessera quant: out of memory\n");
    goto done;
  }
  if (resume && ts_sweep_resume(&w, csv, &reused, &err)) {
    fprintf(stderr, "tessera quant: %s\n", err.msg);
    goto done;
  }
  printf("quantization sweep: %s on %s (%d test images), B = %d..%d, %d threads; "
         "%d of %d points evaluated, %d reused from %s\n",
         model, s.dataset, s.n, lo, hi, threads, w.n - reused, w.n, reused, csv);
  const double t1 = ts_study_now();
  if (ts_sweep_run(&s, &w, csv)) goto done;
  const double sweep_s = ts_study_now() - t1;
  const double fp32 = w.p[0].accuracy;
  printf("\n  bits  per-tensor  per-channel   (FP32 %.2f%%)\n", 100 * fp32);
  const int nb = hi - lo + 1;
  for (int b = lo; b <= hi; b++) {
    printf("  %4d", b);
    for (int sc = 0; sc < 2; sc++) {
      const int i = 1 + (schemes == 3 ? sc * nb : 0) + (b - lo);
      if (schemes >> sc & 1) printf("  %9.2f%%", 100 * w.p[i].accuracy);
      else printf("  %10s", "-");
    }
    printf("\n");
  }
  char el[32];
  ts_cli_duration(sweep_s, el, sizeof el);
  printf("sweep time: %s for %d evaluations of %d images (%.3f s/evaluation)\n", el,
         w.n - reused, s.n, (w.n - reused) ? sweep_s / (w.n - reused) : 0.0);

  /* the plot: one curve per scheme + the FP32 line */
  x = malloc(sizeof(double) * 2 * nb);
  y = malloc(sizeof(double) * 2 * nb);
  if (!x || !y) {
    fprintf(stderr, "tessera quant: out of memory\n");
    goto done;
  }
  ts_plot_series ser[3];
  int ns = 0;
  for (int sc = 0; sc < 2; sc++) {
    if (!(schemes >> sc & 1)) continue;
    const int first = 1 + (schemes == 3 ? sc * nb : 0);
    for (int j = 0; j < nb; j++) {
      x[sc * nb + j] = w.p[first + j].bits;
      y[sc * nb + j] = 100 * w.p[first + j].accuracy;
    }
    ser[ns++] = (ts_plot_series){names[sc], x + sc * nb, y + sc * nb, nb};
  }
  const double bx[2] = {lo, hi}, by[2] = {100 * fp32, 100 * fp32};
  ser[ns++] = (ts_plot_series){"FP32 baseline", bx, by, 2};
  char title[256];
  snprintf(title, sizeof title, "Post-training weight quantization (%s, %d test images)",
           s.dataset, s.n);
  ts_plot_opts po = {.title = title, .xlabel = "weight bits B",
                     .ylabel = "test accuracy (%)"};
  if (ts_plot_lines(png, &po, ser, ns, &err)) plot_bad |= ts_study_plot_failed(cmd, &err);
  else printf("wrote %s\n", png);

  /* storage at 2/4/8 bits vs FP32 */
  ts_quant_mem mem[6];
  const int bits3[3] = {2, 4, 8};
  for (int sc = 0; sc < 2; sc++)
    for (int k = 0; k < 3; k++)
      if (ts_profile_quant_mem(ts_net_arch(s.net), bits3[k], (ts_quant_scheme)sc,
                               &mem[sc * 3 + k], &err)) {
        fprintf(stderr, "tessera quant: %s\n", err.msg);
        goto done;
      }
  printf("\nmodel storage with B-bit weights (packed codes + FP32 scales + FP32 biases;\n"
         "activations stay FP32):\n");
  if (ts_quant_mem_print(stdout, mem, 6, &err) ||
      ts_quant_mem_write_csv(memcsv, mem, 6, &err)) {
    fprintf(stderr, "tessera quant: %s\n", err.msg);
    goto done;
  }
  char v_images[32], v_threads[32], v_sweep[32], v_total[32], v_evals[32], v_bits[32],
      v_reused[32], v_fp32[32];
  snprintf(v_images, sizeof v_images, "%d", s.n);
  snprintf(v_threads, sizeof v_threads, "%d", threads);
  snprintf(v_sweep, sizeof v_sweep, "%.3f", sweep_s);
  snprintf(v_total, sizeof v_total, "%.3f", ts_study_now() - t0);
  snprintf(v_evals, sizeof v_evals, "%d", w.n - reused);
  snprintf(v_reused, sizeof v_reused, "%d", reused);
  snprintf(v_bits, sizeof v_bits, "%d-%d", lo, hi);
  snprintf(v_fp32, sizeof v_fp32, "%.6f", fp32);
  const char *kv[] = {"model", s.model_path, "dataset", s.dataset, "test_images", v_images,
                      "threads", v_threads, "bits", v_bits, "fp32_accuracy", v_fp32,
                      "evaluations", v_evals, "reused", v_reused, "sweep_seconds", v_sweep,
                      "total_seconds", v_total};
  if (ts_study_write_kv(runcsv, kv, sizeof kv / sizeof kv[0] / 2, &err)) {
    fprintf(stderr, "tessera quant: %s\n", err.msg);
    goto done;
  }
  printf("wrote %s, %s, %s\n", csv, memcsv, runcsv);
  rc = plot_bad;
done:
  free(x);
  free(y);
  ts_sweep_free(&w);
  ts_study_close(&s);
  return rc;
}
