/* The area section of out/report.md (report_area.h). */
#include "report_area.h"

#include <stdlib.h>
#include <string.h>

#include "study.h"

/* The configurations of rtl/synth.mk's synth-area, in table order. */
static const struct {
  const char *dir, *label;
} kCfg[] = {
    {"wmax4", "B_max = 4, 4 output ports"},  {"wmax8", "B_max = 8, 4 output ports"},
    {"full", "B_max = 16, 4 output ports"},  {"wmax8p1", "B_max = 8, 1 output port"},
    {"wmax8p2", "B_max = 8, 2 output ports"},
};

/* The last "Estimated number of transistors" of stat -tech cmos (the
 * design total, after the per-module ones); 0 if absent. */
static long long transistors(const char *dir, const char *cfg) {
  char sub[512], p[4096], line[512];
  long long n = 0;
  snprintf(sub, sizeof sub, "%s/stat_cmos.txt", cfg);
  FILE *f = ts_study_path(p, sizeof p, dir, sub) ? NULL : fopen(p, "r");
  if (!f) return 0;
  while (fgets(line, sizeof line, f)) {
    const char *s = strstr(line, "Estimated number of transistors:");
    if (s) n = atoll(s + strlen("Estimated number of transistors:"));
  }
  fclose(f);
  return n;
}

/* The "**total**" row of xilinx_table.md (rtl/synth/xilinx_table.py),
 * its cells after the first two, into out[cap]; 0 if absent. */
static int xilinx_total(const char *dir, const char *cfg, char *out, size_t cap) {
  char sub[512], p[4096], line[1024];
  snprintf(sub, sizeof sub, "%s/xilinx_table.md", cfg);
  FILE *f = ts_study_path(p, sizeof p, dir, sub) ? NULL : fopen(p, "r");
  if (!f) return 0;
  int found = 0;
  while (!found && fgets(line, sizeof line, f)) {
    if (strncmp(line, "| **total**", 11)) continue;
    const char *s = strchr(line + 1, '|');  /* end of the name cell */
    s = s ? strchr(s + 1, '|') : NULL;      /* end of the (empty) instances cell */
    if (!s) break;
    snprintf(out, cap, "%s", s);
    out[strcspn(out, "\n")] = '\0';
    found = 1;
  }
  fclose(f);
  return found;
}

void ts_report_area(FILE *f, const char *synth_dir) {
  fprintf(f, "## 11. Area (Yosys)\n\n");
  int any = 0;
  for (size_t i = 0; i < sizeof kCfg / sizeof kCfg[0]; i++) {
    char x[1024];
    const long long t = transistors(synth_dir, kCfg[i].dir);
    const int xl = xilinx_total(synth_dir, kCfg[i].dir, x, sizeof x);
    if (!t && !xl) continue;
    if (!any)
      fprintf(f, "The 16 x 16 array as synthesized by `make synth-area` (Yosys; `%s/<cfg>/`): "
              "logic transistors from `stat -tech cmos` (memories not included) and the "
              "Xilinx 7 mapping's totals (activation buffer not included; method in "
              "docs/hw.md, which also gives the dense-only design's area and the speedup per "
              "transistor of 1, 2 and 4 output ports). Set them against the cycles of section 9: "
              "B_max sizes the PEs, the output ports buy cycles only at high sparsity.\n\n"
              "| configuration | CMOS transistors (logic) | LUT | RAM64M | FF | DSP48E1 | "
              "RAMB36E1 | RAMB18E1 | CARRY4 |\n|---|--:|--:|--:|--:|--:|--:|--:|--:|\n",
              synth_dir);
    any = 1;
    char tr[32] = "-";
    if (t) snprintf(tr, sizeof tr, "%lld", t);
    fprintf(f, "| %s | %s %s\n", kCfg[i].label, tr, xl ? x : "| - | - | - | - | - | - | - |");
  }
  if (!any)
    fprintf(f, "*Not available: no synthesis results in `%s` (run `make synth-area`, about "
            "25 CPU-minutes, or `tessera report --synth DIR` with its build/synth folder).*\n\n",
            synth_dir);
  else
    fprintf(f, "\n");
}
