/* The co-design section of out/report.md (report_codesign.h). */
#include "report_codesign.h"

#include <math.h>
#include <string.h>

#include "csv.h"
#include "study.h"
#include "ts_arch.h"

static const char *const LAYERS[TS_NUM_LAYERS] = {"conv1", "conv2", "fc1", "fc2", "fc3"};

/* Column "<what>_<layer>" of row i. */
static double layer_num(const ts_csv *t, int i, const char *what, int l) {
  char col[64];
  snprintf(col, sizeof col, "%s_%s", what, LAYERS[l]);
  return ts_csv_num(t, i, col);
}

/* "conv1 4b/25%, conv2 ..." of row i. */
static void layers_text(const ts_csv *t, int i, char *s, size_t cap) {
  size_t n = 0;
  s[0] = '\0';
  for (int l = 0; l < TS_NUM_LAYERS && n < cap; l++)
    n += (size_t)snprintf(s + n, cap - n, "%s%s %.0fb/%.3g%%", l ? ", " : "", LAYERS[l],
                          layer_num(t, i, "bits", l), layer_num(t, i, "sparsity", l));
}

/* A row's cycles per image: the RTL's when measured, else the tables'. */
static double row_cycles(const ts_csv *t, int i) {
  const double c = ts_csv_num(t, i, "rtl_cycles");
  return isnan(c) ? ts_csv_num(t, i, "cycles") : c;
}

void ts_report_codesign(FILE *f, const char *out) {
  fprintf(f, "## 12. Per-layer co-design (`tessera codesign`)\n\n");
  ts_csv *t = ts_study_load_csv(out, "codesign.csv");
  if (!t || !t->rows || ts_csv_col(t, "bits_fc3") < 0 || ts_csv_col(t, "target_accuracy") < 0) {
    fprintf(f, "*Not available: no codesign.csv, or one from before this section (run "
               "`tessera codesign --out %s`; it is not "
               "part of `tessera run`: it fine-tunes every candidate, tens of minutes on "
               "CIFAR-100).*\n\n", out);
    ts_csv_free(t);
    return;
  }
  const double fp32 = ts_csv_num(t, 0, "fp32_accuracy");
  const double target = ts_csv_num(t, 0, "target_accuracy");
  /* the dense 8-bit cycles, from any row's speedup */
  const double dense8 = ts_csv_num(t, 0, "speedup_vs_dense8") * row_cycles(t, 0);
  int chosen = -1, best_uniform = -1;
  for (int i = 0; i < t->rows; i++) {
    if (ts_csv_num(t, i, "chosen") == 1) chosen = i;
    if (!strcmp(ts_csv_get(t, i, "kind"), "uniform") &&
        ts_csv_num(t, i, "test_accuracy") >= target &&
        (best_uniform < 0 || row_cycles(t, i) < row_cycles(t, best_uniform)))
      best_uniform = i;
  }
  fprintf(f, "A weight width and a sparsity per layer that minimise the array's cycles for one "
             "image (or the weight memory) while the integer network's test accuracy stays "
             "at or above the target (%.2f%%, the FP32 model's %.2f%% minus the budget); the "
             "dense 8-bit network takes %.0f RTL cycles per image. Candidates come from two families (the layer family: "
             "per-layer tables of the FP32 model; the global family: one magnitude threshold, "
             "then widths per layer), each pruned while fine-tuned, quantized and verified on "
             "the whole test set and on the RTL (RTL logits = golden). Method: docs/study.md "
             "section 12; every configuration in `codesign.csv`.\n\n", 100 * target, 100 * fp32,
          dense8);
  const double fp32_val = ts_csv_num(t, 0, "fp32_val_accuracy");
  if (!isnan(fp32_val))
    fprintf(f, "The target was checked on held-out training images (FP32 %.2f%% there, target "
               "%.2f%% there; `--val-from train`), so the test accuracies below played no part "
               "in any choice.\n\n", 100 * fp32_val,
            100 * (fp32_val - (fp32 - target)));
  else
    fprintf(f, "The target was checked on the test set (`--val-from test`): the choice is "
               "tuned on the images it is reported on.\n\n");
  if (chosen >= 0) {
    fprintf(f, "**Chosen** (%s): test accuracy **%.2f%%**, **%.0f** cycles per image, "
               "**%.2fx** fewer than dense 8-bit, %.1f KiB of weights.\n\n"
               "| layer | bits | pruned |\n|---|--:|--:|\n",
            strcmp(ts_csv_get(t, chosen, "kind"), "global") ? "layer family" : "global family",
            100 * ts_csv_num(t, chosen, "test_accuracy"), row_cycles(t, chosen),
            ts_csv_num(t, chosen, "speedup_vs_dense8"), ts_csv_num(t, chosen, "wmem_bits") / 8192);
    for (int l = 0; l < TS_NUM_LAYERS; l++)
      fprintf(f, "| %s | %.0f | %.4g%% |\n", LAYERS[l], layer_num(t, chosen, "bits", l),
              layer_num(t, chosen, "sparsity", l));
    fprintf(f, "\n");
  } else {
    fprintf(f, "**No configuration met the budget** (the verified candidates below say how "
               "close they came).\n\n");
  }
  if (best_uniform >= 0)
    fprintf(f, "The cheapest uniform configuration (one B and s everywhere, not fine-tuned) "
               "that meets the target (%.2f%%): %.0f bits, %.3g%% pruned, %.2f%%, %.0f cycles "
               "(%.2fx).\n\n", 100 * target, layer_num(t, best_uniform, "bits", 0),
            layer_num(t, best_uniform, "sparsity", 0),
            100 * ts_csv_num(t, best_uniform, "test_accuracy"), row_cycles(t, best_uniform),
            ts_csv_num(t, best_uniform, "speedup_vs_dense8"));
  fprintf(f, "Verified candidates (fine-tuned, on the RTL):\n\n"
             "| family | search budget (points) | bits / pruned per layer | test accuracy | "
             "RTL cycles per image | vs dense 8-bit |\n|---|--:|---|--:|--:|--:|\n");
  for (int i = 0; i < t->rows; i++) {
    const char *k = ts_csv_get(t, i, "kind");
    if (!strcmp(k, "uniform")) continue;
    char s[256];
    layers_text(t, i, s, sizeof s);
    fprintf(f, "| %s%s | %s | %s | %.2f%% | %.0f | %.2fx |\n", k, i == chosen ? " (chosen)" : "",
            ts_csv_get(t, i, "budget_level"), s, 100 * ts_csv_num(t, i, "test_accuracy"),
            row_cycles(t, i), ts_csv_num(t, i, "speedup_vs_dense8"));
  }
  fprintf(f, "\n");
  if (ts_study_exists(out, "codesign_cycles.png"))
    fprintf(f, "![accuracy vs cycles](codesign_cycles.png)\n\n");
  if (ts_study_exists(out, "codesign_memory.png"))
    fprintf(f, "![accuracy vs weight memory](codesign_memory.png)\n\n");
  ts_csv_free(t);
}
