/* tessera report: OUT/report.md from the files the other commands wrote.
 * Every section reads its own inputs; a missing input turns the section
 * into a note saying which command produces it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "cli_opts.h"
#include "commands.h"
#include "report_area.h"
#include "report_codesign.h"
#include "report_sys.h"
#include "study.h"
#include "ts_atomic.h"
#include "ts_energy.h"
#include "ts_fmt.h"
#include "ts_safetensors.h"
#include "ts_weights.h"

static const char *const USAGE =
    "usage: tessera report [--out DIR] [--synth DIR]\n"
    "Writes DIR/report.md (default out/report.md) from what train, profile,\n"
    "quant, prune, plots, hw-run and hw-sweep left in DIR: configuration,\n"
    "training curve, layer table and memory, quantization and pruning results\n"
    "with their plots, timings, the RTL runs and sweep, the system model.\n"
    "Sections whose inputs are missing say so.\n"
    "  --synth DIR   `make synth-area`'s results for the area section\n"
    "                (default build/synth)\n";

typedef struct report {
  const char *out;
  const char *synth; /* make synth-area's folder */
} report;

static void missing(FILE *f, const char *what, const char *cmd) {
  fprintf(f, "*Not available: %s is missing (run `tessera %s`).*\n\n", what, cmd);
}

static void image(FILE *f, const report *r, const char *png, const char *alt, const char *cmd) {
  if (ts_study_exists(r->out, png)) fprintf(f, "![%s](%s)\n\n", alt, png);
  else fprintf(f, "*Plot %s is missing (run `tessera %s`; it needs gnuplot).*\n\n", png, cmd);
}

/* First row of a sweep CSV matching the key, -1 if none. */
static int row(const ts_csv *t, const char *exp, const char *scheme, const char *layer,
               int bits, double pct) {
  for (int r = 0; r < t->rows; r++) {
    const char *e = ts_csv_get(t, r, "experiment"), *s = ts_csv_get(t, r, "scheme"),
               *l = ts_csv_get(t, r, "layer");
    if (e && !strcmp(e, exp) && (!scheme || (s && !strcmp(s, scheme))) &&
        (!layer || (l && !strcmp(l, layer))) && ts_csv_num(t, r, "bits") == bits &&
        fabs(ts_csv_num(t, r, "percent") - pct) < 1e-9)
      return r;
  }
  return -1;
}

static void section_config(FILE *f, const report *r) {
  fprintf(f, "## 1. Configuration\n\n");
  char p[4096];
  ts_st_file *st = NULL;
  ts_arch a;
  if (ts_study_path(p, sizeof p, r->out, "model.safetensors") || ts_st_open(p, &st, NULL) ||
      ts_weights_read_arch(st, NULL, &a, NULL)) {
    missing(f, "model.safetensors", "train");
    ts_st_close(st);
    return;
  }
  const char *ds = ts_st_meta_get(st, TS_WEIGHTS_DATASET_KEY),
             *ep = ts_st_meta_get(st, TS_WEIGHTS_EPOCHS_KEY),
             *seed = ts_st_meta_get(st, TS_WEIGHTS_SEED_KEY),
             *norm = ts_st_meta_get(st, TS_WEIGHTS_NORM_KEY);
  char b1[32], b2[32];
  fprintf(f, "| item | value |\n|---|---|\n");
  fprintf(f, "| model | `%s` |\n", p);
  fprintf(f, "| dataset | %s |\n", ds ? ds : "?");
  fprintf(f, "| input | %dx%dx%d, %d classes |\n", a.in_c, a.in_h, a.in_w, a.classes);
  fprintf(f, "| architecture | conv1 %dx%d (%d ch) - pool - conv2 %dx%d (%d ch) - pool - fc %d - fc %d - fc %d |\n",
          a.k1, a.k1, a.c1, a.k2, a.k2, a.c2, a.f1, a.f2, a.classes);
  fprintf(f, "| parameters | %s |\n", ts_fmt_thousands(b1, (long long)ts_arch_num_params(&a)));
  fprintf(f, "| MACs per image | %s |\n", ts_fmt_thousands(b2, ts_arch_macs(&a)));
  fprintf(f, "| training | %s epochs, seed %s (SGD with momentum; see `tessera train --help`) |\n",
          ep ? ep : "?", seed ? seed : "?");
  fprintf(f, "| normalisation (mean/std) | %s |\n", norm ? norm : "?");
  ts_csv *q = ts_study_load_csv(r->out, "quant_run.csv");
  if (q) {
    const char *n = ts_csv_kv(q, "test_images"), *th = ts_csv_kv(q, "threads");
    fprintf(f, "| evaluation | %s test images, %s threads |\n", n ? n : "?", th ? th : "?");
  }
  ts_csv_free(q);
  fprintf(f, "\n");
  ts_st_close(st);
}

static void section_training(FILE *f, const report *r) {
  fprintf(f, "## 2. Training\n\n");
  ts_csv *t = ts_study_load_csv(r->out, "train_log.csv");
  if (!t || !t->rows) {
    missing(f, "train_log.csv", "train");
    ts_csv_free(t);
    return;
  }
  const int l = t->rows - 1;
  fprintf(f, "%d log rows; last row: iteration %s, epoch %s, train loss %.4f, train error %.2f%%, "
          "validation error %.2f%% (on %s images).\n\n", t->rows, ts_csv_get(t, l, "iteration"),
          ts_csv_get(t, l, "epoch"), ts_csv_num(t, l, "train_loss"),
          100 * ts_csv_num(t, l, "train_error"), 100 * ts_csv_num(t, l, "val_error"),
          ts_csv_get(t, l, "val_images"));
  ts_csv_free(t);
  image(f, r, "train_curve.png", "training curve", "plots");
}

static void section_profile(FILE *f, const report *r) {
  fprintf(f, "## 3. Layers, MACs and memory\n\n");
  ts_csv *t = ts_study_load_csv(r->out, "profile.csv");
  if (!t) {
    missing(f, "profile.csv", "profile");
    return;
  }
  char b[6][32];
  fprintf(f, "| layer | type | input | output | kernel | weights | biases | MACs |\n"
          "|---|---|---|---|---|--:|--:|--:|\n");
  int total = -1;
  for (int i = 0; i < t->rows; i++) {
    const char *name = ts_csv_get(t, i, "layer"), *type = ts_csv_get(t, i, "type");
    if (!name || !type || !strcmp(name, "input")) continue;
    if (!strcmp(name, "total")) {
      total = i;
      continue;
    }
    const int k = (int)ts_csv_num(t, i, "kernel");
    char kern[32] = "-";
    if (k && strcmp(type, "fc")) snprintf(kern, sizeof kern, "%dx%d%s", k, k, strcmp(type, "conv") ? "/2" : "");
    fprintf(f, "| %s | %s | %sx%sx%s | %sx%sx%s | %s | %s | %s | %s |\n", name, type,
            ts_csv_get(t, i, "in_c"), ts_csv_get(t, i, "in_h"), ts_csv_get(t, i, "in_w"),
            ts_csv_get(t, i, "out_c"), ts_csv_get(t, i, "out_h"), ts_csv_get(t, i, "out_w"), kern,
            ts_fmt_thousands(b[0], (long long)ts_csv_num(t, i, "weights")),
            ts_fmt_thousands(b[1], (long long)ts_csv_num(t, i, "biases")),
            ts_fmt_thousands(b[2], (long long)ts_csv_num(t, i, "macs")));
  }
  if (total >= 0) {
    fprintf(f, "| **total** | | | | | %s | %s | %s |\n\n",
            ts_fmt_thousands(b[0], (long long)ts_csv_num(t, total, "weights")),
            ts_fmt_thousands(b[1], (long long)ts_csv_num(t, total, "biases")),
            ts_fmt_thousands(b[2], (long long)ts_csv_num(t, total, "macs")));
    const long long par = (long long)ts_csv_num(t, total, "param_bytes"),
                    peak = (long long)ts_csv_num(t, total, "live_bytes"),
                    saved = (long long)ts_csv_num(t, total, "saved_bytes"),
                    gpeak = (long long)ts_csv_num(t, total, "grad_live_bytes"),
                    gw = (long long)ts_csv_num(t, total, "grad_w_bytes"),
                    mom = (long long)ts_csv_num(t, total, "momentum_bytes");
    fprintf(f, "Memory (bytes, FP32; rules in docs/study.md section 4):\n\n"
            "- **Inference, one image:** parameters %s + peak live activations %s = **%s**.\n",
            ts_fmt_thousands(b[0], par), ts_fmt_thousands(b[1], peak), ts_fmt_thousands(b[2], par + peak));
    fprintf(f, "- **Training, batch %s (backprop):** parameters %s + weight gradients %s + momentum %s "
            "+ saved activations %s + peak activation gradients %s = **%s**.\n\n",
            ts_csv_get(t, total, "batch"), ts_fmt_thousands(b[0], par), ts_fmt_thousands(b[1], gw), ts_fmt_thousands(b[2], mom),
            ts_fmt_thousands(b[3], saved), ts_fmt_thousands(b[4], gpeak), ts_fmt_thousands(b[5], par + gw + mom + saved + gpeak));
  }
  ts_csv_free(t);
  fprintf(f, "Full per-operation figures: `profile.csv`, `profile.json`.\n\n");
}

static void section_histograms(FILE *f, const report *r) {
  fprintf(f, "## 4. Weight distributions\n\n");
  static const char *const L[] = {"conv1", "conv2", "fc1", "fc2", "fc3"};
  int any = 0;
  for (int i = 0; i < 5; i++) {
    char png[64];
    snprintf(png, sizeof png, "weights_%s.png", L[i]);
    if (ts_study_exists(r->out, png)) {
      fprintf(f, "![%s weights](%s)\n\n", L[i], png);
      any = 1;
    }
  }
  if (!any) missing(f, "weights_<layer>.png", "plots");
}

static void memory_table(FILE *f, const ts_csv *m) {
  char b[4][32];
  fprintf(f, "| weights | scheme | packed weights B | scales B | biases B | model B | vs FP32 |\n"
          "|---|---|--:|--:|--:|--:|--:|\n");
  for (int i = 0; i < m->rows; i++) {
    const int bits = (int)ts_csv_num(m, i, "bits");
    char w[16];
    snprintf(w, sizeof w, bits == 32 ? "FP32" : "%d-bit", bits);
    fprintf(f, "| %s | %s | %s | %s | %s | %s | %.2fx |\n", w, ts_csv_get(m, i, "scheme"),
            ts_fmt_thousands(b[0], (long long)ts_csv_num(m, i, "weight_bytes")),
            ts_fmt_thousands(b[1], (long long)ts_csv_num(m, i, "scale_bytes")),
            ts_fmt_thousands(b[2], (long long)ts_csv_num(m, i, "bias_bytes")),
            ts_fmt_thousands(b[3], (long long)ts_csv_num(m, i, "model_bytes")), ts_csv_num(m, i, "compression"));
  }
  if (m->rows)
    fprintf(f, "\nActivations stay FP32 (weights-only quantization): peak %s bytes per image at "
            "every bit width.\n\n", ts_fmt_thousands(b[0], (long long)ts_csv_num(m, 0, "act_peak_bytes")));
}

static void section_quant(FILE *f, const report *r) {
  fprintf(f, "## 5. Post-training weight quantization\n\n");
  ts_csv *t = ts_study_load_csv(r->out, "quant.csv");
  if (!t) {
    missing(f, "quant.csv", "quant");
  } else {
    const int fr = row(t, "fp32", NULL, NULL, 32, 0);
    const double fp32 = fr >= 0 ? ts_csv_num(t, fr, "accuracy") : NAN;
    fprintf(f, "Symmetric uniform quantization of every conv/FC weight tensor to B bits "
            "(Delta = 2 max|w| / (2^B - 1), round half away from zero, clamp to "
            "[-2^(B-1), 2^(B-1) - 1]); each point starts from the FP32 weights and is "
            "fake-quantized (weights replaced by q x Delta, inference in FP32). "
            "FP32 accuracy: **%.2f%%**.\n\n", 100 * fp32);
    fprintf(f, "| B | per-tensor | per-channel | per-tensor - FP32 | per-channel - FP32 |\n"
            "|--:|--:|--:|--:|--:|\n");
    for (int b = 1; b <= 16; b++) {
      const int a = row(t, "quant", "per-tensor", NULL, b, 0), c = row(t, "quant", "per-channel", NULL, b, 0);
      if (a < 0 && c < 0) continue;
      const double x = a >= 0 ? ts_csv_num(t, a, "accuracy") : NAN,
                   y = c >= 0 ? ts_csv_num(t, c, "accuracy") : NAN;
      fprintf(f, "| %d | %.2f%% | %.2f%% | %+.2f | %+.2f |\n", b, 100 * x, 100 * y,
              100 * (x - fp32), 100 * (y - fp32));
    }
    fprintf(f, "\n");
    const int b1 = row(t, "quant", "per-tensor", NULL, 1, 0);
    fprintf(f, "- **Biases stay FP32.** A layer has one per output channel against "
            "hundreds to thousands of weights per channel, so quantizing them would save "
            "almost nothing, and each bias adds into an accumulator that already "
            "holds a sum of many products at a much finer scale (input scale x weight scale): "
            "an integer engine keeps them at accumulator precision anyway.\n");
    fprintf(f, "- **Why B = 1 collapses%s.** With 2^1 - 1 = 1 step, Delta = 2 max|w| and every "
            "w / Delta lies in [-0.5, 0.5]: all weights round to 0 except the ties at -max|w| "
            "(code -1; +max|w| rounds to +1 and is clamped to 0). The network is left with "
            "almost no weights, so it predicts one class. Two codes cannot be centred on zero "
            "under this formula; B = 2 (codes -2..1) is the first usable width.\n",
            b1 >= 0 ? "" : " (not swept here)");
    if (b1 >= 0) {
      char n1[32], n2[32];
      fprintf(f, "  Measured at B = 1: accuracy %.2f%%, non-zero MACs %s of %s.\n",
              100 * ts_csv_num(t, b1, "accuracy"), ts_fmt_thousands(n1, (long long)ts_csv_num(t, b1, "nonzero_macs")),
              ts_fmt_thousands(n2, (long long)ts_csv_num(t, b1, "macs")));
    }
    fprintf(f, "- Per-channel scales follow each output channel's own range, so small-range "
            "channels keep more levels: it matters most at 2-3 bits.\n\n");
    ts_csv_free(t);
    image(f, r, "quant_accuracy.png", "accuracy vs weight bits", "quant");
  }
  ts_csv *m = ts_study_load_csv(r->out, "quant_memory.csv");
  if (!m) m = ts_study_load_csv(r->out, "profile_quant_memory.csv");
  fprintf(f, "### Storage at 2/4/8 bits vs FP32\n\nPacked B-bit codes (ceil(n B / 8) bytes per "
          "layer) + one FP32 scale per tensor or per output channel + FP32 biases.\n\n");
  if (m) memory_table(f, m);
  else missing(f, "quant_memory.csv", "quant");
  ts_csv_free(m);
}

static void section_prune(FILE *f, const report *r) {
  fprintf(f, "## 6. Magnitude pruning (no fine-tuning)\n\n");
  ts_csv *t = ts_study_load_csv(r->out, "prune.csv");
  if (!t) {
    missing(f, "prune.csv", "prune");
    return;
  }
  char b[3][32];
  fprintf(f, "Local pruning: every layer loses the same fraction p of its own weights (smallest "
          "|w| first); biases are kept. Non-zero MACs count only products whose weight is not "
          "zero (a conv weight is used at every output pixel).\n\n"
          "| p | accuracy | non-zero MACs | of dense | non-zero weights |\n|--:|--:|--:|--:|--:|\n");
  int r0 = -1, r90 = -1, last = -1;
  for (int i = 0; i < t->rows; i++) {
    const char *e = ts_csv_get(t, i, "experiment");
    if (!e || strcmp(e, "prune")) continue;
    const double p = ts_csv_num(t, i, "percent");
    if (p == 0) r0 = i;
    if (fabs(p - 90) < 1e-9) r90 = i;
    if (last < 0 || p > ts_csv_num(t, last, "percent")) last = i;
    fprintf(f, "| %g%% | %.2f%% | %s | %.1f%% | %s |\n", p, 100 * ts_csv_num(t, i, "accuracy"),
            ts_fmt_thousands(b[0], (long long)ts_csv_num(t, i, "nonzero_macs")),
            100 * ts_csv_num(t, i, "nonzero_macs") / ts_csv_num(t, i, "macs"),
            ts_fmt_thousands(b[1], (long long)ts_csv_num(t, i, "nonzero_weights")));
  }
  fprintf(f, "\n");
  image(f, r, "prune_accuracy.png", "accuracy vs pruning", "prune");
  image(f, r, "prune_macs.png", "accuracy vs non-zero MACs", "prune");
  fprintf(f, "### Each layer pruned alone\n\n");
  image(f, r, "prune_layers.png", "per-layer sensitivity", "prune");
  char p[4096];
  FILE *o = NULL;
  if (!ts_study_path(p, sizeof p, r->out, "prune_observation.txt") && (o = fopen(p, "r"))) {
    char line[2048];
    if (fgets(line, sizeof line, o) && line[0] != '\n') fprintf(f, "**Observation.** %s\n", line);
    fclose(o);
  } else {
    missing(f, "prune_observation.txt", "prune");
  }
  fprintf(f, "### Weight bits x pruning\n\n");
  image(f, r, "prune_grid.png", "bits x pruning heat map", "prune");
  fprintf(f, "### Will conventional hardware benefit from this pruning?\n\n");
  const int pick = r90 >= 0 ? r90 : last;
  if (pick >= 0 && r0 >= 0) {
    const double dense = ts_csv_num(t, pick, "macs"), nz = ts_csv_num(t, pick, "nonzero_macs");
    fprintf(f, "**No, not by itself.** At p = %g%% the model keeps %s of %s MACs per image "
            "(%.1f%%) with a non-zero weight, at %.2f%% accuracy (unpruned %.2f%%). A dense "
            "engine -- a BLAS GEMM on a CPU, or a plain MAC/systolic array like ours "
            "(docs/hw.md) -- still performs all %s MACs, multiplying by the zeros, so its time "
            "and energy per image stay the same. Only zero-skipping hardware (sparse weight "
            "encodings with index logic, or structured pruning that removes whole channels / "
            "blocks and so shrinks the dense GEMMs) could turn the %.1fx reduction in useful "
            "MACs into speed. What a dense engine can gain is storage: a compressed sparse "
            "format, paid for with index bits. See the hardware section, docs/hw.md.\n\n",
            ts_csv_num(t, pick, "percent"), ts_fmt_thousands(b[0], (long long)nz), ts_fmt_thousands(b[1], (long long)dense),
            100 * nz / dense, 100 * ts_csv_num(t, pick, "accuracy"),
            100 * ts_csv_num(t, r0, "accuracy"), ts_fmt_thousands(b[2], (long long)dense),
            nz > 0 ? dense / nz : INFINITY);
    /* the most pruning that costs at most one accuracy point */
    int keep = r0;
    for (int i = 0; i < t->rows; i++) {
      const char *e = ts_csv_get(t, i, "experiment");
      if (e && !strcmp(e, "prune") &&
          ts_csv_num(t, i, "accuracy") >= ts_csv_num(t, r0, "accuracy") - 0.01 &&
          ts_csv_num(t, i, "percent") > ts_csv_num(t, keep, "percent"))
        keep = i;
    }
    fprintf(f, "The largest pruning in the sweep that costs at most 1 accuracy point is p = %g%% "
            "(%.2f%%): %s non-zero MACs of %s (%.1f%%). Even there a dense engine does all %s.\n\n",
            ts_csv_num(t, keep, "percent"), 100 * ts_csv_num(t, keep, "accuracy"),
            ts_fmt_thousands(b[0], (long long)ts_csv_num(t, keep, "nonzero_macs")),
            ts_fmt_thousands(b[1], (long long)ts_csv_num(t, keep, "macs")),
            100 * ts_csv_num(t, keep, "nonzero_macs") / ts_csv_num(t, keep, "macs"),
            ts_fmt_thousands(b[2], (long long)ts_csv_num(t, keep, "macs")));
  } else {
    fprintf(f, "*No all-layer pruning points with p = 0 found in prune.csv.*\n\n");
  }
  ts_csv_free(t);
}

static void section_timing(FILE *f, const report *r) {
  fprintf(f, "## 7. Timings\n\nLast run of each command (points reused from its CSV cost "
          "nothing); the last column adds up the time every point in the CSV took when it was "
          "evaluated.\n\n| command | evaluations | test images | threads | sweep time | total | "
          "all points |\n|---|--:|--:|--:|--:|--:|--:|\n");
  const char *files[2] = {"quant_run.csv", "prune_run.csv"}, *cmds[2] = {"quant", "prune"};
  const char *csvs[2] = {"quant.csv", "prune.csv"};
  int any = 0;
  for (int i = 0; i < 2; i++) {
    ts_csv *t = ts_study_load_csv(r->out, files[i]);
    if (!t) continue;
    any = 1;
    const char *e = ts_csv_kv(t, "evaluations"), *n = ts_csv_kv(t, "test_images"),
               *th = ts_csv_kv(t, "threads"), *s = ts_csv_kv(t, "sweep_seconds"),
               *tt = ts_csv_kv(t, "total_seconds"), *re = ts_csv_kv(t, "reused");
    double sum = 0;
    ts_csv *pts = ts_study_load_csv(r->out, csvs[i]);
    for (int k = 0; pts && k < pts->rows; k++) sum += ts_csv_num(pts, k, "seconds");
    ts_csv_free(pts);
    fprintf(f, "| `tessera %s` | %s%s%s%s | %s | %s | %s s | %s s | %.1f s |\n", cmds[i],
            e ? e : "?", re && strcmp(re, "0") ? " (+" : "", re && strcmp(re, "0") ? re : "",
            re && strcmp(re, "0") ? " reused)" : "", n ? n : "?", th ? th : "?", s ? s : "?",
            tt ? tt : "?", sum);
    ts_csv_free(t);
  }
  fprintf(f, "\n");
  if (!any) missing(f, "quant_run.csv / prune_run.csv", "quant` and `tessera prune");
}

/* The accelerator: what `tessera hw-run` measured (hw.csv, hw_accuracy.csv;
 * columns in docs/hw.md). */
static void section_hw(FILE *f, const report *r) {
  fprintf(f, "## 8. On the INT MAC array (RTL, Verilator)\n\n");
  ts_csv *acc = ts_study_load_csv(r->out, "hw_accuracy.csv"), *hw = ts_study_load_csv(r->out, "hw.csv");
  if (acc && acc->rows > 0) {
    fprintf(f, "Integer inference as the accelerator computes it (B-bit weight codes, 8-bit "
            "activations calibrated per layer, integer requantization; contract in "
            "docs/int-arith.md), on %s test images, next to FP32 and weight-only fake "
            "quantization:\n\n| B | scheme | FP32 | fake-quant | integer (golden = RTL) |\n"
            "|--:|---|--:|--:|--:|\n", ts_csv_get(acc, 0, "images"));
    for (int i = 0; i < acc->rows; i++)
      fprintf(f, "| %s | %s | %.2f%% | %.2f%% | %.2f%% |\n", ts_csv_get(acc, i, "bits"),
              ts_csv_get(acc, i, "scheme"), 100 * ts_csv_num(acc, i, "fp32_accuracy"),
              100 * ts_csv_num(acc, i, "fakequant_accuracy"),
              100 * ts_csv_num(acc, i, "int_golden_accuracy"));
    fprintf(f, "\n");
  } else {
    missing(f, "hw_accuracy.csv", "hw-run");
  }
  if (hw && hw->rows > 0) {
    char b1[32], b2[32];
    fprintf(f, "Per layer on the RTL (%s images, B = %s %s, batch %s; utilization = useful MACs "
            "/ (cycles x PEs); a layer is fetch-bound when the weight port is the busier "
            "resource):\n\n| layer | M | K | N | MACs | cycles | utilization | weight port busy "
            "| bound |\n|---|--:|--:|--:|--:|--:|--:|--:|---|\n",
            ts_csv_get(hw, 0, "images"), ts_csv_get(hw, 0, "bits"), ts_csv_get(hw, 0, "scheme"),
            ts_csv_get(hw, 0, "batch"));
    for (int i = 0; i < hw->rows; i++)
      fprintf(f, "| %s | %s | %s | %s | %s | %s | %.1f%% | %.1f%% | %s |\n",
              ts_csv_get(hw, i, "layer"), ts_csv_get(hw, i, "m"), ts_csv_get(hw, i, "k"),
              ts_csv_get(hw, i, "n"), ts_fmt_thousands(b1, (long long)ts_csv_num(hw, i, "macs")),
              ts_fmt_thousands(b2, (long long)ts_csv_num(hw, i, "cycles")),
              100 * ts_csv_num(hw, i, "utilization"), 100 * ts_csv_num(hw, i, "wport_busy"),
              ts_csv_get(hw, i, "bound"));
    fprintf(f, "\nThe array is dense: it performs every MAC of a pruned model, zeros included "
            "(section 6). Zero-skipping is the next step of the design (docs/hw.md).\n\n");
  } else {
    missing(f, "hw.csv", "hw-run");
  }
  ts_csv_free(acc);
  ts_csv_free(hw);
}

/* The reference configuration of hw_sweep.csv: per-channel if swept, the B
 * nearest 8; returns B and sets *sch. */
static int hwsweep_reference(const ts_csv *t, const char **sch) {
  *sch = NULL;
  int bref = -1;
  for (int i = 0; i < t->rows; i++) {
    const char *s = ts_csv_get(t, i, "scheme");
    if (!*sch || !strcmp(s, "per-channel")) *sch = s;
  }
  for (int i = 0; i < t->rows; i++) {
    const int b = (int)ts_csv_num(t, i, "bits");
    if (!strcmp(ts_csv_get(t, i, "scheme"), *sch) && (bref < 0 || abs(b - 8) < abs(bref - 8)))
      bref = b;
  }
  return bref;
}

/* The whole network per point: accuracy, cycles per image, speedup, memory. */
static void hwsweep_totals(FILE *f, const ts_csv *t, double imgs) {
  fprintf(f, "| B | scheme | pruned | golden accuracy | dense cycles/image | sparse cycles/image "
          "| speedup | ideal | weight memory dense -> chosen (KiB) | RTL logits = golden |\n"
          "|--:|---|--:|--:|--:|--:|--:|--:|--:|---|\n");
  for (int i = 0; i < t->rows; i++) {
    if (strcmp(ts_csv_get(t, i, "layer"), "total")) continue;
    const double sc = ts_csv_num(t, i, "sparse_cycles"), sp = ts_csv_num(t, i, "speedup");
    char scb[32] = "pending", spb[32] = "pending";
    if (isfinite(sc)) snprintf(scb, sizeof scb, "%.0f", sc / imgs);
    if (isfinite(sp)) snprintf(spb, sizeof spb, "%.2fx", sp);
    fprintf(f, "| %s | %s | %s%% | %.2f%% | %.0f | %s | %s | %.2fx | %.1f -> %.1f | %s |\n",
            ts_csv_get(t, i, "bits"), ts_csv_get(t, i, "scheme"), ts_csv_get(t, i, "sparsity"),
            100 * ts_csv_num(t, i, "golden_accuracy"), ts_csv_num(t, i, "dense_cycles") / imgs,
            scb, spb, ts_csv_num(t, i, "ideal_speedup"), ts_csv_num(t, i, "wmem_dense_bits") / 8192,
            ts_csv_num(t, i, "wmem_chosen_bits") / 8192,
            ts_csv_num(t, i, "rtl_logit_mismatch") == 0 ? "yes" : "**NO**");
  }
}

/* Per layer at the reference configuration (B = bref, scheme sch). */
static void hwsweep_layers(FILE *f, const ts_csv *t, int bref, const char *sch) {
  fprintf(f, "\nPer layer at B = %d %s: speedup achieved / ideal, the resource that held the "
          "lanes back when they issued less than 85%% of their cycles (hw_sweep.csv has the "
          "lane-cycle shares), and the stored format:\n\n| layer |", bref, sch);
  double pcts[64];
  int np = 0;
  for (int i = 0; i < t->rows && np < 64; i++)
    if ((int)ts_csv_num(t, i, "bits") == bref && !strcmp(ts_csv_get(t, i, "scheme"), sch) &&
        !strcmp(ts_csv_get(t, i, "layer"), "total"))
      pcts[np++] = ts_csv_num(t, i, "sparsity");
  for (int j = 0; j < np; j++) fprintf(f, " %g%% |", pcts[j]);
  fprintf(f, "\n|---|");
  for (int j = 0; j < np; j++) fprintf(f, "--:|");
  fprintf(f, "\n");
  static const char *const L[] = {"conv1", "conv2", "fc1", "fc2", "fc3", "total"};
  for (int l = 0; l < 6; l++) {
    fprintf(f, "| %s |", L[l]);
    for (int j = 0; j < np; j++) {
      int k = -1;
      for (int i = 0; i < t->rows && k < 0; i++)
        if ((int)ts_csv_num(t, i, "bits") == bref && !strcmp(ts_csv_get(t, i, "scheme"), sch) &&
            ts_csv_num(t, i, "sparsity") == pcts[j] && !strcmp(ts_csv_get(t, i, "layer"), L[l]))
          k = i;
      if (k < 0) {
        fprintf(f, " |");
        continue;
      }
      const double sp = ts_csv_num(t, k, "speedup");
      const char *bound = ts_csv_get(t, k, "sparse_bound");
      char a[64] = "pending";
      if (isfinite(sp))
        snprintf(a, sizeof a, "%.2fx%s%s%s", sp, bound && strcmp(bound, "compute") ? " (" : "",
                 bound && strcmp(bound, "compute") ? bound : "",
                 bound && strcmp(bound, "compute") ? ")" : "");
      fprintf(f, " %s / %.2fx, %s |", a, ts_csv_num(t, k, "ideal_speedup"),
              ts_csv_get(t, k, "wmem_choice"));
    }
    fprintf(f, "\n");
  }
}

/* Total row of (bits, sch, pct), -1 if absent. */
static int hwsweep_total(const ts_csv *t, int bits, const char *sch, double pct) {
  for (int i = 0; i < t->rows; i++)
    if ((int)ts_csv_num(t, i, "bits") == bits && !strcmp(ts_csv_get(t, i, "scheme"), sch) &&
        ts_csv_num(t, i, "sparsity") == pct && !strcmp(ts_csv_get(t, i, "layer"), "total"))
      return i;
  return -1;
}

/* Where the energy of one point goes, in shares of its cheaper-mode total. */
static void hwsweep_energy_split(FILE *f, const ts_csv *t, int i) {
  const double e = ts_csv_num(t, i, "energy_best_nj"), off = ts_csv_num(t, i, "energy_best_offchip_nj"),
               dw = ts_csv_num(t, i, "energy_best_dram_weights_nj");
  fprintf(f, "%.2f uJ: compute %.1f%%, on-chip SRAM %.1f%% (activation-buffer reads and loads "
          "%.1f%%), off-chip DRAM %.1f%% (weights %.1f%%, activations %.1f%%)",
          e / 1e3, 100 * ts_csv_num(t, i, "energy_best_compute_nj") / e,
          100 * ts_csv_num(t, i, "energy_best_onchip_nj") / e,
          100 * ts_csv_num(t, i, "energy_best_act_sram_nj") / e, 100 * off / e, 100 * dw / e,
          100 * (off - dw) / e);
}

/* Energy per image over the grid (hw_sweep.csv's energy_* columns, from the
 * RTL's counters and a 45 nm per-operation table: docs/energy.md), and the
 * answer: what B and sparsity save, where the energy goes, and whether it
 * ever rises when the configuration gets cheaper. */
static void hwsweep_energy(FILE *f, const ts_csv *t, int bref, const char *sch) {
  fprintf(f, "\n### Energy per image\n\n");
  if (ts_csv_col(t, "energy_best_nj") < 0) {
    fprintf(f, "hw_sweep.csv has no energy columns (written by an older hw-sweep): rerun "
            "`tessera hw-sweep --no-resume`.\n\n");
    return;
  }
  fprintf(f, "From the RTL's counters (MACs issued, activation-row reads, weight-port words, "
          "tiles) and Horowitz's 45 nm energies per operation (ISSCC 2014; table, scaling by "
          "bit-width and assumptions in docs/energy.md); off chip, every layer fetches its "
          "weights as stored (dense-packed or compressed) once per batch and its input and "
          "output activations once (a count of bytes, not the system model's DRAM traffic, "
          "which the system-level section below measures). Energy per image of the "
          "whole network in uJ, %s; \"best\" runs each layer in its cheaper mode:\n\n"
          "| B | pruned | dense | sparse | best | compute | on-chip | off-chip |\n"
          "|--:|--:|--:|--:|--:|--:|--:|--:|\n", sch);
  int lo_b = 99, hi_b = -1;
  double s0 = 1e9, s1 = -1;
  for (int i = 0; i < t->rows; i++) {
    if (strcmp(ts_csv_get(t, i, "layer"), "total") || strcmp(ts_csv_get(t, i, "scheme"), sch))
      continue;
    const int b = (int)ts_csv_num(t, i, "bits");
    const double s = ts_csv_num(t, i, "sparsity");
    lo_b = b < lo_b ? b : lo_b, hi_b = b > hi_b ? b : hi_b;
    s0 = s < s0 ? s : s0, s1 = s > s1 ? s : s1;
    fprintf(f, "| %d | %g%% | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f |\n", b, s,
            ts_csv_num(t, i, "energy_dense_nj") / 1e3, ts_csv_num(t, i, "energy_sparse_nj") / 1e3,
            ts_csv_num(t, i, "energy_best_nj") / 1e3,
            ts_csv_num(t, i, "energy_best_compute_nj") / 1e3,
            ts_csv_num(t, i, "energy_best_onchip_nj") / 1e3,
            ts_csv_num(t, i, "energy_best_offchip_nj") / 1e3);
  }
  const int r0 = hwsweep_total(t, bref, sch, s0), r1 = hwsweep_total(t, bref, sch, s1),
            rb = hwsweep_total(t, hi_b, sch, s0), rl = hwsweep_total(t, lo_b, sch, s0);
  if (r0 < 0 || r1 < 0 || rb < 0 || rl < 0) return;
  const double e0 = ts_csv_num(t, r0, "energy_best_nj"), e1 = ts_csv_num(t, r1, "energy_best_nj");
  fprintf(f, "\n**Answer.** Sparsity at B = %d: %g%% -> %g%% pruned takes the energy per image "
          "from %.2f to %.2f uJ (%.0f%% saved; golden accuracy %.2f%% -> %.2f%%; dense mode "
          "alone saves nothing: it issues every weight). Bits at %g%% pruned: B = %d -> %d -> "
          "%d costs %.2f -> %.2f -> %.2f uJ (%.0f%% and %.0f%% saved against B = %d; accuracy "
          "%.2f%%, %.2f%%, %.2f%%). ", bref, s0, s1, e0 / 1e3, e1 / 1e3, 100 * (1 - e1 / e0),
          100 * ts_csv_num(t, r0, "golden_accuracy"), 100 * ts_csv_num(t, r1, "golden_accuracy"),
          s0, hi_b, bref, lo_b, ts_csv_num(t, rb, "energy_best_nj") / 1e3, e0 / 1e3,
          ts_csv_num(t, rl, "energy_best_nj") / 1e3,
          100 * (1 - e0 / ts_csv_num(t, rb, "energy_best_nj")),
          100 * (1 - ts_csv_num(t, rl, "energy_best_nj") / ts_csv_num(t, rb, "energy_best_nj")),
          hi_b, 100 * ts_csv_num(t, rb, "golden_accuracy"), 100 * ts_csv_num(t, r0, "golden_accuracy"),
          100 * ts_csv_num(t, rl, "golden_accuracy"));
  fprintf(f, "Where it goes, B = %d at %g%%: ", bref, s0);
  hwsweep_energy_split(f, t, r0);
  fprintf(f, "; at %g%%: ", s1);
  hwsweep_energy_split(f, t, r1);
  double cmax = 0, floor_nj = 1e300;
  for (int i = 0; i < t->rows; i++)
    if (!strcmp(ts_csv_get(t, i, "layer"), "total") && !strcmp(ts_csv_get(t, i, "scheme"), sch)) {
      const double e = ts_csv_num(t, i, "energy_best_nj"), c = ts_csv_num(t, i, "energy_best_compute_nj") / e;
      const double a = ts_csv_num(t, i, "energy_best_offchip_nj") -
                       ts_csv_num(t, i, "energy_best_dram_weights_nj");
      cmax = c > cmax ? c : cmax;
      floor_nj = a < floor_nj ? a : floor_nj;
    }
  fprintf(f, ". Multipliers and adders are at most %.1f%% of any point's energy: what B and "
          "sparsity save is SRAM and DRAM traffic (activation rows not read, weight words not "
          "moved). The activations' DRAM traffic (at least %.2f uJ per image here) is a floor "
          "neither touches.\n\n", 100 * cmax, floor_nj / 1e3);
  /* the check: never more energy for a cheaper configuration */
  static const char *const col[3] = {"energy_dense_nj", "energy_sparse_nj", "energy_best_nj"};
  int rises = 0;
  for (int m = 0; m < 3; m++) {
    ts_energy_point pt[1024];
    int n = 0;
    for (int i = 0; i < t->rows && n < 1024; i++)
      if (!strcmp(ts_csv_get(t, i, "layer"), "total") && !strcmp(ts_csv_get(t, i, "scheme"), sch) &&
          isfinite(ts_csv_num(t, i, col[m])))
        pt[n++] = (ts_energy_point){(int)ts_csv_num(t, i, "bits"), ts_csv_num(t, i, "sparsity"),
                                    ts_csv_num(t, i, col[m])};
    ts_energy_rise rs[4];
    const int k = ts_energy_rises(pt, n, 0, rs, 4);
    for (int j = 0; j < k && j < 4; j++)
      fprintf(f, "- **energy rises** (%s): B = %d at %g%% costs %.3f uJ, B = %d at %g%% %.3f uJ\n",
              col[m], pt[rs[j].to].wbits, pt[rs[j].to].sparsity, pt[rs[j].to].pj / 1e3,
              pt[rs[j].from].wbits, pt[rs[j].from].sparsity, pt[rs[j].from].pj / 1e3);
    rises += k;
  }
  if (!rises)
    fprintf(f, "Checked: the whole network's energy never rises when sparsity rises at equal B "
            "or B falls at equal sparsity, in dense, sparse and per-layer mode.\n\n");
  else
    fprintf(f, "\n%d pairs where a cheaper configuration costs more energy (listed above, at "
            "most 4 per mode).\n\n", rises);
}

/* The bits x scheme x sparsity sweep on the accelerator (`tessera hw-sweep`:
 * hw_sweep.csv, hw_crossover.csv; columns in docs/study.md). */
static void section_hwsweep(FILE *f, const report *r) {
  fprintf(f, "## 9. Will hardware benefit from the pruning, and how (`tessera hw-sweep`)\n\n");
  ts_csv *t = ts_study_load_csv(r->out, "hw_sweep.csv");
  if (!t || !t->rows) {
    missing(f, "hw_sweep.csv", "hw-sweep");
    ts_csv_free(t);
    return;
  }
  const int sparse = ts_csv_get(t, 0, "mode") && strstr(ts_csv_get(t, 0, "mode"), "sparse");
  const double imgs = ts_csv_num(t, 0, "rtl_images");
  /* reference configuration: per-channel if swept, B nearest 8 */
  const char *sch = NULL;
  const int bref = hwsweep_reference(t, &sch);
  fprintf(f, "Every point prunes each layer by magnitude, quantizes to B bits and runs the "
          "integer network: golden accuracy on %s test images, cycles of the RTL on %g images "
          "(batch %s), weight memory from the codes the network holds (dense-packed, or "
          "compressed with its metadata when that is smaller, chosen per layer). %s\n\n",
          ts_csv_get(t, 0, "test_images"), imgs, ts_csv_get(t, 0, "batch"),
          sparse ? "Speedup = dense cycles / sparse cycles on the same RTL; ideal = dense MACs / "
                   "non-zero MACs."
                 : "**The zero-skipping RTL mode is not in this build yet: sparse cycles and "
                   "speedups are pending (NA); the ideal speedup and the memory are measured.**");
  hwsweep_totals(f, t, imgs);
  hwsweep_layers(f, t, bref, sch);
  /* the answer, from the numbers above */
  int r0 = -1, keep = -1;
  for (int i = 0; i < t->rows; i++)
    if ((int)ts_csv_num(t, i, "bits") == bref && !strcmp(ts_csv_get(t, i, "scheme"), sch) &&
        !strcmp(ts_csv_get(t, i, "layer"), "total") && (r0 < 0 || ts_csv_num(t, i, "sparsity") <
                                                                      ts_csv_num(t, r0, "sparsity")))
      r0 = i;
  for (int i = 0; r0 >= 0 && i < t->rows; i++)
    if ((int)ts_csv_num(t, i, "bits") == bref && !strcmp(ts_csv_get(t, i, "scheme"), sch) &&
        !strcmp(ts_csv_get(t, i, "layer"), "total") &&
        ts_csv_num(t, i, "golden_accuracy") >= ts_csv_num(t, r0, "golden_accuracy") - 0.01 &&
        (keep < 0 || ts_csv_num(t, i, "sparsity") > ts_csv_num(t, keep, "sparsity")))
      keep = i;
  /* the most pruned point of the sweep at the reference configuration */
  int hi = -1;
  for (int i = 0; i < t->rows; i++)
    if ((int)ts_csv_num(t, i, "bits") == bref && !strcmp(ts_csv_get(t, i, "scheme"), sch) &&
        !strcmp(ts_csv_get(t, i, "layer"), "total") &&
        (hi < 0 || ts_csv_num(t, i, "sparsity") > ts_csv_num(t, hi, "sparsity")))
      hi = i;
  if (r0 >= 0 && keep >= 0 && hi >= 0) {
    fprintf(f, "\n**Answer** (B = %d %s, from the table above). ", bref, sch);
    if (keep != r0)
      fprintf(f, "Accuracy stays within 1 point of the unpruned integer network (%.2f%%) up to "
              "%s%% pruning (%.2f%%). ", 100 * ts_csv_num(t, r0, "golden_accuracy"),
              ts_csv_get(t, keep, "sparsity"), 100 * ts_csv_num(t, keep, "golden_accuracy"));
    else
      fprintf(f, "No pruned point of the sweep stays within 1 accuracy point of the unpruned "
              "integer network (%.2f%%); this model has no pruning to give for free. ",
              100 * ts_csv_num(t, r0, "golden_accuracy"));
    const int pts[2] = {keep, hi};
    for (int k = 0; k < 2; k++) {
      const int i = pts[k];
      if (k == 1 && hi == keep) break;
      const double sp = ts_csv_num(t, i, "speedup");
      fprintf(f, "At %s%% (accuracy %.2f%%) the non-zero MACs allow %.2fx; ",
              ts_csv_get(t, i, "sparsity"), 100 * ts_csv_num(t, i, "golden_accuracy"),
              ts_csv_num(t, i, "ideal_speedup"));
      if (isfinite(sp))
        fprintf(f, "the zero-skipping array measures **%.2fx** (%.0f%% of ideal); ", sp,
                100 * ts_csv_num(t, i, "speedup_of_ideal"));
      else
        fprintf(f, "the dense array gains nothing (the same cycles at every sparsity: it performs "
                "every MAC), the zero-skipping measurement is **pending**; ");
      fprintf(f, "weight memory %.1f KiB dense-packed, %.1f KiB with the per-layer choice "
              "(%.0f%%, metadata included). ", ts_csv_num(t, i, "wmem_dense_bits") / 8192,
              ts_csv_num(t, i, "wmem_chosen_bits") / 8192,
              100 * ts_csv_num(t, i, "wmem_chosen_bits") / ts_csv_num(t, i, "wmem_dense_bits"));
    }
    fprintf(f, "Smaller weights also mean fewer words through the single weight port, which "
            "bounds the FC layers.\n\n");
  }
  hwsweep_energy(f, t, bref, sch);
  ts_csv_free(t);
  ts_csv *c = ts_study_load_csv(r->out, "hw_crossover.csv");
  if (c && c->rows) {
    fprintf(f, "Crossover sparsity below which compression costs more memory than it saves, "
            "whole model (hw_crossover.csv; never: not up to 99%%), real pruned weights and a "
            "random unstructured pattern:\n\n| B | bitmap (model) | bitmap (random) | relidx "
            "(model) | relidx (random) | hardware format (model) |\n|--:|--:|--:|--:|--:|--:|\n");
    const char *msch = NULL;
    for (int i = 0; i < c->rows; i++)
      if (!strcmp(ts_csv_get(c, i, "source"), "model")) msch = ts_csv_get(c, i, "scheme");
    for (int b = 1; b <= 16; b++) {
      int rm = -1, rr = -1;
      for (int i = 0; i < c->rows; i++) {
        if (strcmp(ts_csv_get(c, i, "layer"), "total") || (int)ts_csv_num(c, i, "bits") != b)
          continue;
        if (!strcmp(ts_csv_get(c, i, "source"), "random")) rr = i;
        else if (msch && !strcmp(ts_csv_get(c, i, "scheme"), msch)) rm = i;
      }
      if (rm < 0 || rr < 0) continue;
      const char *v[5] = {ts_csv_get(c, rm, "bitmap_crossover"),
                          ts_csv_get(c, rr, "bitmap_crossover"),
                          ts_csv_get(c, rm, "relidx_crossover"),
                          ts_csv_get(c, rr, "relidx_crossover"), ts_csv_get(c, rm, "hw_crossover")};
      fprintf(f, "| %d |", b);
      for (int k = 0; k < 5; k++)
        if (strcmp(v[k], "-1")) fprintf(f, " %s%% |", v[k]);
        else fprintf(f, " never |");
      fprintf(f, "\n");
    }
    fprintf(f, "\n");
  }
  ts_csv_free(c);
  for (int i = 0; i < 6; i++) {
    static const char *const P[] = {"hw_speedup.png", "hw_cycles_bits.png", "hw_wmem_map.png",
                                    "hw_pareto.png", "hw_energy_map.png", "hw_energy_split.png"};
    if (ts_study_exists(r->out, P[i])) fprintf(f, "![%s](%s)\n\n", P[i], P[i]);
  }
}

static ts_status write_report(FILE *f, void *user, ts_error *err) {
  (void)err;
  const report *r = user;
  fprintf(f, "# Tessera optimisation study\n\n"
          "Generated by `tessera report` from the files in `%s/` (each table's source is a CSV "
          "beside this report; every plot has its data as `<plot>.csv` and its gnuplot script "
          "as `<plot>.gp`). How each figure is computed: docs/study.md.\n\n", r->out);
  section_config(f, r);
  section_training(f, r);
  section_profile(f, r);
  section_histograms(f, r);
  section_quant(f, r);
  section_prune(f, r);
  section_timing(f, r);
  section_hw(f, r);
  section_hwsweep(f, r);
  ts_report_system(f, r->out);
  ts_report_area(f, r->synth);
  ts_report_codesign(f, r->out);
  return ferror(f) ? ts_fail(err, TS_E_IO, "write error") : TS_OK;
}

int ts_cmd_report(int argc, char **argv) {
  const char *cmd = "report";
  ts_cli_common c;
  ts_cli_common_default(&c);
  const char *synth = "build/synth";
  const ts_opt own[] = {TS_OPT_S("synth", &synth)};
  const ts_cli_spec spec = {cmd, USAGE, TS_CLI_OUT, own, 1};
  int rc;
  if (ts_cli_parse(&spec, argc, argv, &c, &rc)) return rc;
  const char *out = c.out;
  struct stat sb;
  if (stat(out, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
    fprintf(stderr, "tessera report: folder '%s' does not exist; run `tessera run --out %s` "
            "(or train, quant, prune) first\n", out, out);
    return 1;
  }
  char path[4096];
  if (ts_study_path(path, sizeof path, out, "report.md")) {
    fprintf(stderr, "tessera report: --out path too long\n");
    return 2;
  }
  report r = {out, synth};
  ts_error err = {0};
  if (ts_atomic_write(path, write_report, &r, &err)) {
    ts_cli_error("report", &err);
    return 1;
  }
  printf("wrote %s\n", path);
  return 0;
}
