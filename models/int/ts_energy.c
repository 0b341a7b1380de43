#include "ts_energy.h"

#include <math.h>
#include <string.h>

#include "ts_hw_params.h"

#define WORD TS_HW_WPORT_BITS /* SRAM and DRAM energies are per 64-bit word */

void ts_energy_table_horowitz(ts_energy_table *t) {
  *t = (ts_energy_table){.add8 = 0.03, .add32 = 0.1, .mul8 = 0.2, .mul32 = 3.1,
                         .sram_8k = 10, .sram_32k = 20, .sram_1m = 100,
                         .dram = (1300 + 2600) / 2.0};
}

ts_status ts_energy_table_check(const ts_energy_table *t, ts_error *err) {
  if (!t) return ts_fail(err, TS_E_ARG, "energy: the table is NULL");
  const struct { const char *name; double v; } f[] = {
      {"add8", t->add8}, {"add32", t->add32}, {"mul8", t->mul8}, {"mul32", t->mul32},
      {"sram_8k", t->sram_8k}, {"sram_32k", t->sram_32k}, {"sram_1m", t->sram_1m},
      {"dram", t->dram}};
  for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
    if (!isfinite(f[i].v) || f[i].v <= 0)
      return ts_fail(err, TS_E_ARG, "energy: table field %s = %g pJ; must be finite and > 0",
                     f[i].name, f[i].v);
  if (t->add32 < t->add8 || t->mul32 < t->mul8)
    return ts_fail(err, TS_E_ARG, "energy: 32-bit add / multiply (%g / %g pJ) below the 8-bit "
                   "ones (%g / %g pJ)", t->add32, t->mul32, t->add8, t->mul8);
  if (t->sram_32k < t->sram_8k || t->sram_1m < t->sram_32k)
    return ts_fail(err, TS_E_ARG, "energy: SRAM word energies %g / %g / %g pJ (8 KB / 32 KB / "
                   "1 MB) must not fall with size", t->sram_8k, t->sram_32k, t->sram_1m);
  return TS_OK;
}

/* Affine through (x0, y0) and (x1, y1), never below 0 (narrow operands of a
 * table whose 32-bit point is far above its 8-bit one). */
static double affine(double x, double x0, double y0, double x1, double y1) {
  const double y = y0 + (y1 - y0) * (x - x0) / (x1 - x0);
  return y > 0 ? y : 0;
}

double ts_energy_add_pj(const ts_energy_table *t, int bits) {
  return affine(bits, 8, t->add8, 32, t->add32);
}

double ts_energy_mul_pj(const ts_energy_table *t, int a_bits, int b_bits) {
  return affine((double)a_bits * b_bits, 64, t->mul8, 1024, t->mul32);
}

double ts_energy_sram_pj(const ts_energy_table *t, double bytes) {
  const double k8 = 8 * 1024, k32 = 32 * 1024, m1 = 1024 * 1024;
  if (bytes <= k32) return t->sram_8k * pow(bytes / k8, log(t->sram_32k / t->sram_8k) / log(k32 / k8));
  return t->sram_32k * pow(bytes / k32, log(t->sram_1m / t->sram_32k) / log(m1 / k32));
}

/* Array sizes and row widths of the built configuration. */
#define WMEM_BYTES ((double)TS_HW_WMEM_WORDS * WORD / 8)
#define FBUF_BYTES ((double)TS_HW_LANE_WORDS * WORD / 8)
#define ACT_BYTES ((double)TS_HW_ACT_ROWS * TS_HW_ACT_ROW_BITS / 8)
#define ACT_ROW_WORDS ((double)TS_HW_ACT_ROW_BITS / WORD)
#define OUT_ROW_BITS ((double)TS_HW_COLS * TS_HW_ACC_BITS)
#define OUT_BYTES ((double)TS_HW_OUT_ROWS * OUT_ROW_BITS / 8)

static ts_status check_counts(const ts_energy_counts *c, ts_error *err) {
  if (!c) return ts_fail(err, TS_E_ARG, "energy: the counts are NULL");
  if (c->wbits < TS_HW_WBITS_MIN || c->wbits > TS_HW_WBITS_MAX)
    return ts_fail(err, TS_E_ARG, "energy: B = %d bits is outside %d..%d", c->wbits,
                   TS_HW_WBITS_MIN, TS_HW_WBITS_MAX);
  if (c->sparse != 0 && c->sparse != 1)
    return ts_fail(err, TS_E_ARG, "energy: sparse = %d; must be 0 (dense) or 1", c->sparse);
  if (c->images < 1 || c->m < 1 || c->k < 1)
    return ts_fail(err, TS_E_ARG, "energy: images = %d, m = %d, k = %d; each must be >= 1",
                   c->images, c->m, c->k);
  const struct { const char *name; int64_t v; } f[] = {
      {"macs", c->macs}, {"lane_issues", c->lane_issues}, {"wport_words", c->wport_words},
      {"tiles", c->tiles}, {"outputs", c->outputs}, {"dram_weight_bits", c->dram_weight_bits},
      {"dram_act_bits", c->dram_act_bits}};
  for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
    if (f[i].v < 0)
      return ts_fail(err, TS_E_ARG, "energy: counter %s = %lld is negative", f[i].name,
                     (long long)f[i].v);
  /* what the array can do: a tile needs an issue, an issue feeds COLS PEs */
  if (c->tiles > c->lane_issues || c->macs > c->lane_issues * TS_HW_COLS ||
      c->outputs > c->tiles * TS_HW_COLS)
    return ts_fail(err, TS_E_ARG, "energy: inconsistent counters: %lld tiles, %lld lane issues, "
                   "%lld MACs, %lld outputs (tiles <= issues, MACs <= issues x %d, outputs <= "
                   "tiles x %d)", (long long)c->tiles, (long long)c->lane_issues,
                   (long long)c->macs, (long long)c->outputs, TS_HW_COLS, TS_HW_COLS);
  return TS_OK;
}

ts_status ts_energy_layer(const ts_energy_table *t, const ts_energy_counts *c, ts_energy *e,
                          ts_error *err) {
  ts_energy_table h;
  if (!t) ts_energy_table_horowitz(&h), t = &h;
  if (!e) return ts_fail(err, TS_E_ARG, "energy: the result is NULL");
  memset(e, 0, sizeof *e);
  ts_status st = ts_energy_table_check(t, err);
  if (!st) st = check_counts(c, err);
  if (st) return st;
  const int B = c->wbits;
  /* accumulator width runtime B needs (ts_hw_params.h: ACC_BITS at B_max) */
  const int accw = B + TS_HW_ABITS + TS_HW_LOG2_K_MAX + 1;
  /* entries a filter-buffer word holds: dense codes or {run, code} */
  const int epw = WORD / (c->sparse ? B + TS_HW_SPARSE_RBITS : B);
  const double n = c->images;
  e->mul = c->macs * ts_energy_mul_pj(t, B, TS_HW_ABITS) / n;
  e->acc = c->macs * ts_energy_add_pj(t, accw) / n;
  e->requant = c->outputs *
               (ts_energy_add_pj(t, accw) + ts_energy_mul_pj(t, accw, TS_HW_MULT_BITS) +
                ts_energy_add_pj(t, accw + TS_HW_MULT_BITS)) / n;
  const double fb = ts_energy_sram_pj(t, FBUF_BYTES);
  e->wmem = c->wport_words * ts_energy_sram_pj(t, WMEM_BYTES) / n;
  /* every port word is written into a filter buffer; a lane reads a word
   * per epw entries it issues */
  e->fbuf = (c->wport_words + (double)c->lane_issues / epw) * fb / n;
  /* each issue reads one activation row; K rows are loaded per tile column
   * block (tiles / m blocks) */
  const double act_rows_loaded = (double)c->k * c->tiles / c->m;
  e->act = (c->lane_issues + act_rows_loaded) * ACT_ROW_WORDS * ts_energy_sram_pj(t, ACT_BYTES) / n;
  e->out = c->tiles * ceil(OUT_ROW_BITS / WORD) * ts_energy_sram_pj(t, OUT_BYTES) / n;
  e->dram_w = (double)c->dram_weight_bits / WORD * t->dram / n;
  e->dram_act = (double)c->dram_act_bits / WORD * t->dram / n;
  e->compute = e->mul + e->acc + e->requant;
  e->onchip = e->wmem + e->fbuf + e->act + e->out;
  e->offchip = e->dram_w + e->dram_act;
  e->total = e->compute + e->onchip + e->offchip;
  return TS_OK;
}

void ts_energy_add(ts_energy *acc, const ts_energy *x) {
  acc->mul += x->mul, acc->acc += x->acc, acc->requant += x->requant;
  acc->wmem += x->wmem, acc->fbuf += x->fbuf, acc->act += x->act, acc->out += x->out;
  acc->dram_w += x->dram_w, acc->dram_act += x->dram_act;
  acc->compute += x->compute, acc->onchip += x->onchip, acc->offchip += x->offchip;
  acc->total += x->total;
}

int ts_energy_rises(const ts_energy_point *p, int n, double tol, ts_energy_rise *out, int max) {
  int found = 0;
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) {
      const int by_sparsity = p[j].wbits == p[i].wbits && p[j].sparsity > p[i].sparsity;
      const int by_bits = p[j].sparsity == p[i].sparsity && p[j].wbits < p[i].wbits;
      if ((by_sparsity || by_bits) && p[j].pj > p[i].pj * (1 + tol)) {
        if (out && found < max) out[found] = (ts_energy_rise){i, j, by_bits};
        found++;
      }
    }
  return found;
}
