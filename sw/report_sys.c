/* The system-model section of out/report.md (report_sys.h): from
 * hw_sweep.csv's sys_* columns and hw_sys_bw.csv (`tessera hw-sweep`). */
#include "report_sys.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "study.h"

/* Row of hw_sys_bw.csv, -1 if none. */
static int bw_row(const ts_csv *t, int bits, double pct, const char *layer, double bw) {
  for (int i = 0; i < t->rows; i++)
    if ((int)ts_csv_num(t, i, "bits") == bits && ts_csv_num(t, i, "sparsity") == pct &&
        ts_csv_num(t, i, "dram_bw") == bw && !strcmp(ts_csv_get(t, i, "layer"), layer))
      return i;
  return -1;
}

static const char *const FC[3] = {"fc1", "fc2", "fc3"};

/* Cycles of the three FC layers at B bits, pct, bw; 0 when a row is absent. */
static double fc_cycles(const ts_csv *t, int bits, double pct, double bw, double *wbytes) {
  double c = 0;
  *wbytes = 0;
  for (int k = 0; k < 3; k++) {
    const int i = bw_row(t, bits, pct, FC[k], bw);
    if (i < 0) return 0;
    c += ts_csv_num(t, i, "cycles");
    *wbytes += ts_csv_num(t, i, "bytes_weights");
  }
  return c;
}

void ts_report_system(FILE *f, const char *out) {
  fprintf(f, "## 10. The system model: DRAM, DMA and the memory-bound FC layers "
             "(`tessera hw-sweep`, docs/system.md)\n\n");
  ts_csv *t = ts_study_load_csv(out, "hw_sweep.csv"), *b = ts_study_load_csv(out, "hw_sys_bw.csv");
  if (!t || !t->rows || !ts_csv_get(t, 0, "sys_cycles") || !b || !b->rows) {
    fprintf(f, "*Not available: hw_sweep.csv without sys_* columns or hw_sys_bw.csv is missing "
               "(run `tessera hw-sweep`; an older CSV needs `--no-resume`).*\n\n");
    ts_csv_free(t);
    ts_csv_free(b);
    return;
  }
  const char *sch = ts_csv_get(b, 0, "scheme");
  double top = 0;
  int bits[32] = {0}, nb = 0;
  for (int i = 0; i < b->rows; i++) {
    top = fmax(top, ts_csv_num(b, i, "sparsity"));
    const int x = (int)ts_csv_num(b, i, "bits");
    int seen = 0;
    for (int k = 0; k < nb; k++) seen |= bits[k] == x;
    if (!seen && nb < 32) bits[nb++] = x;
  }
  fprintf(f, "The first test image through the SystemC/TLM-2.0 model at every point: weights, "
             "activations and metadata travel DRAM -> DMA -> staging banks -> the RTL's host "
             "port, the next layer's weights moving while the current layer computes; every "
             "point's 100 logits equal the golden model's (sys_logit_mismatch = 0 is checked). "
             "hw_sweep.csv has the columns at %s B/cycle (latency %s cycles); hw_sys_bw.csv "
             "repeats the network (%s) at 0%% and %g%% pruned over DRAM bandwidths, each layer's "
             "weights dense-packed at 0%% and in the cheaper format (compressed where it is "
             "smaller) at %g%%.\n\n",
          ts_csv_get(t, 0, "sys_dram_bw"), ts_csv_get(t, 0, "sys_dram_latency"), sch, top, top);
  /* FC layers against bandwidth and B */
  static const double BW[2] = {2, 16};
  fprintf(f, "FC layers (fc1 + fc2 + fc3) per image, cycles and weight bytes moved:\n\n"
             "| B | pruned | weights | weight bytes | cycles @ 2 B/cycle | cycles @ 16 B/cycle "
             "| fc1 bound @ 2 | fc1 bound @ 16 |\n|--:|--:|---|--:|--:|--:|---|---|\n");
  for (int k = 0; k < nb; k++)
    for (int p = 0; p < 2; p++) {
      const double pct = p ? top : 0;
      if (p && top == 0) break;
      double wb = 0, w2 = 0;
      const double c2 = fc_cycles(b, bits[k], pct, BW[0], &w2),
                   c16 = fc_cycles(b, bits[k], pct, BW[1], &wb);
      const int i2 = bw_row(b, bits[k], pct, "fc1", BW[0]),
                i16 = bw_row(b, bits[k], pct, "fc1", BW[1]);
      if (!c2 || !c16 || i2 < 0 || i16 < 0) continue;
      fprintf(f, "| %d | %g%% | %s | %.0f | %.0f | %.0f | %s | %s |\n", bits[k], pct,
              ts_csv_get(b, i2, "weights"), wb, c2, c16, ts_csv_get(b, i2, "bound"),
              ts_csv_get(b, i16, "bound"));
    }
  /* the answer, from the rows above */
  int bmax = bits[0], bmin = bits[0], bref = bits[0];
  for (int k = 0; k < nb; k++) {
    bmax = bits[k] > bmax ? bits[k] : bmax;
    bmin = bits[k] < bmin ? bits[k] : bmin;
    if (abs(bits[k] - 8) < abs(bref - 8)) bref = bits[k];
  }
  double whi, wlo, wref, wcmp, w16;
  const double chi = fc_cycles(b, bmax, 0, 2, &whi), clo = fc_cycles(b, bmin, 0, 2, &wlo),
               cref = fc_cycles(b, bref, 0, 2, &wref), ccmp = fc_cycles(b, bref, top, 2, &wcmp),
               c16hi = fc_cycles(b, bmax, 0, 16, &w16), c16lo = fc_cycles(b, bmin, 0, 16, &w16);
  /* how often the DRAM / the port bounds the FC layers at 2 and 16 B/cycle */
  int n2 = 0, d2 = 0, n16 = 0, p16 = 0;
  for (int i = 0; i < b->rows; i++) {
    if (strncmp(ts_csv_get(b, i, "layer"), "fc", 2)) continue;
    const double bwi = ts_csv_num(b, i, "dram_bw");
    if (bwi == 2) n2++, d2 += !strcmp(ts_csv_get(b, i, "bound"), "dram");
    if (bwi == 16) n16++, p16 += !strcmp(ts_csv_get(b, i, "bound"), "port");
  }
  if (chi > 0 && clo > 0) {
    fprintf(f, "\n**Answer.** At 2 B/cycle the DRAM bounds %d of the %d FC-layer runs of "
               "hw_sys_bw.csv "
               "(the rest: the host port); going from B = %d to B = %d cuts the FC layers' "
               "weight bytes %.1fx (%.0f -> %.0f) and their time %.1fx (%.0f -> %.0f cycles). ",
            d2, n2, bmax, bmin, whi / wlo, whi, wlo, chi / clo, chi, clo);
    if (ccmp > 0 && top > 0)
      fprintf(f, "Pruning %g%% and moving compressed weights at B = %d cuts the bytes %.1fx "
                 "(%.0f -> %.0f) and the time %.1fx (%.0f -> %.0f cycles) against dense B = %d. ",
              top, bref, wref / wcmp, wref, wcmp, cref / ccmp, cref, ccmp, bref);
    if (c16hi > 0 && c16lo > 0)
      fprintf(f, "At 16 B/cycle the same step gains %.1fx (%.0f -> %.0f cycles): the host port "
                 "bounds %d of the %d there (one 64-bit weight word a cycle, and "
                 "no writes while the array computes), so fewer bits still help, through the "
                 "port instead of the DRAM.",
              c16hi / c16lo, c16hi, c16lo, p16, n16);
    fprintf(f, "\n\n");
  }
  /* the whole network per B at the default DRAM setting, from hw_sweep.csv */
  fprintf(f, "Whole network and fc1 per point at %s B/cycle (%s; hw_sweep.csv): cycles, "
             "DRAM transfer, stalls, bytes and intensity:\n\n| B | pruned | cycles | transfer "
             "| overlap | stall | weight bytes | act bytes | fc1 cycles | fc1 MACs/byte | fc1 "
             "bound |\n|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|\n",
          ts_csv_get(t, 0, "sys_dram_bw"), sch);
  for (int i = 0; i < t->rows; i++) {
    if (strcmp(ts_csv_get(t, i, "scheme"), sch) || strcmp(ts_csv_get(t, i, "layer"), "total"))
      continue;
    int fc1 = -1;
    for (int j = i - 1; j >= 0 && j >= i - 5; j--)
      if (!strcmp(ts_csv_get(t, j, "layer"), "fc1")) fc1 = j;
    if (fc1 < 0) continue;
    fprintf(f, "| %s | %s%% | %s | %s | %s | %s | %s | %s | %s | %.2f | %s |\n",
            ts_csv_get(t, i, "bits"), ts_csv_get(t, i, "sparsity"), ts_csv_get(t, i, "sys_cycles"),
            ts_csv_get(t, i, "sys_transfer_cycles"), ts_csv_get(t, i, "sys_overlap_cycles"),
            ts_csv_get(t, i, "sys_stall_cycles"), ts_csv_get(t, i, "sys_bytes_weights"),
            ts_csv_get(t, i, "sys_bytes_acts"), ts_csv_get(t, fc1, "sys_cycles"),
            ts_csv_num(t, fc1, "sys_macs_per_byte"), ts_csv_get(t, fc1, "sys_bound"));
  }
  fprintf(f, "\n");
  if (ts_study_exists(out, "hw_roofline.png")) fprintf(f, "![roofline](hw_roofline.png)\n\n");
  if (ts_study_exists(out, "hw_bw_time.png"))
    fprintf(f, "![layer time vs DRAM bandwidth](hw_bw_time.png)\n\n");
  ts_csv_free(t);
  ts_csv_free(b);
}
