/* Energy per image and layer of the accelerator, from its counters and a
 * per-operation energy table (docs/energy.md has the table, its source and
 * every assumption).
 *
 * The table is Horowitz's 45 nm, 0.9 V figures ("Computing's energy problem
 * (and what we can do about it)", ISSCC 2014): integer add and multiply at
 * 8 and 32 bits, a 64-bit SRAM read from an 8 KB / 32 KB / 1 MB array, a
 * 64-bit DRAM access. Other widths and sizes are interpolated:
 *   add of w bits         affine in w through the 8- and 32-bit points
 *   multiply a x b bits   affine in a * b through the 8x8 and 32x32 points
 *   SRAM word of S bytes  a power law in S between neighbouring points (and
 *                         the nearest segment's law outside 8 KB..1 MB)
 *
 * What is counted (ts_energy_counts, one layer, `images` images):
 *   compute   every MAC issued: a B x ABITS multiply and an accumulator add
 *             of B + ABITS + LOG2_K_MAX + 1 bits (the widths runtime B needs:
 *             an operand-gated datapath); per output a requantization (bias
 *             add, ACC x MULT_BITS multiply, rounding add)
 *   on-chip   weight-port words (a weight-memory read and a filter-buffer
 *             write each), filter-buffer reads (one per word of entries
 *             issued), activation-buffer rows (one read per issued entry, one
 *             write per row loaded: K rows per tile of 16 columns), output-
 *             buffer rows (one write per tile)
 *   off-chip  DRAM bits the layer fetches or stores once (weights as stored:
 *             dense-packed or compressed; its input and output activations)
 *
 * Reentrant, no allocation. */
#ifndef TS_ENERGY_H
#define TS_ENERGY_H

#include <stdint.h>

#include "ts_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Per-operation energies in pJ (every field > 0, 32-bit >= 8-bit, SRAM
 * non-decreasing with size). */
typedef struct ts_energy_table {
  double add8, add32;                 /* integer add, 8 / 32 bits */
  double mul8, mul32;                 /* integer multiply, 8x8 / 32x32 bits */
  double sram_8k, sram_32k, sram_1m;  /* read of one 64-bit word, array size */
  double dram;                        /* one 64-bit DRAM access */
} ts_energy_table;

/* Horowitz, ISSCC 2014, 45 nm: 0.03 / 0.1, 0.2 / 3.1, 10 / 20 / 100 pJ and
 * DRAM 1.3-2.6 nJ, taken at its midpoint 1.95 nJ. */
void ts_energy_table_horowitz(ts_energy_table *t);

/* TS_OK when every field is usable; else TS_E_ARG naming the field. */
ts_status ts_energy_table_check(const ts_energy_table *t, ts_error *err);

/* The interpolations above (bits >= 1, bytes > 0; pJ). */
double ts_energy_add_pj(const ts_energy_table *t, int bits);
double ts_energy_mul_pj(const ts_energy_table *t, int a_bits, int b_bits);
double ts_energy_sram_pj(const ts_energy_table *t, double bytes);

/* One layer's counters (ts_hw_counters of sim/ts_hw.h, summed over the
 * images) and what the layer moves off chip. */
typedef struct ts_energy_counts {
  int wbits;           /* runtime weight bits B, TS_HW_WBITS_MIN..MAX */
  int sparse;          /* 1: the lanes streamed {run, code} entries of
                          B + TS_HW_SPARSE_RBITS bits; 0: dense B-bit codes */
  int images;          /* images these counts are for, >= 1 */
  int m, k;            /* GEMM rows (filters) and depth, >= 1 */
  int64_t macs;        /* MACs issued, valid columns (ts_hw_counters.macs) */
  int64_t lane_issues; /* lane-cycles issuing an entry (lane_run) */
  int64_t wport_words; /* weight-port words (wport_cycles) */
  int64_t tiles;       /* tile results through the output stage (tiles) */
  int64_t outputs;     /* results requantized: valid columns of the tiles */
  int64_t dram_weight_bits; /* weight bits fetched from DRAM (all images) */
  int64_t dram_act_bits;    /* activation bits read and written in DRAM */
} ts_energy_counts;

/* Energy per image in pJ, by item and by class. */
typedef struct ts_energy {
  double mul, acc, requant;           /* compute */
  double wmem, fbuf, act, out;        /* on-chip SRAM */
  double dram_w, dram_act;            /* off-chip */
  double compute, onchip, offchip, total;
} ts_energy;

/* e = the energy per image of the layer c under table t (NULL: Horowitz).
 * TS_E_ARG, naming the field, for a bad table, B outside
 * TS_HW_WBITS_MIN..MAX, images / m / k < 1, a negative counter, more tiles
 * than lane issues or more outputs than tiles x TS_HW_COLS; e is then
 * zeroed. */
ts_status ts_energy_layer(const ts_energy_table *t, const ts_energy_counts *c, ts_energy *e,
                          ts_error *err);

/* acc += x, item by item (network totals). */
void ts_energy_add(ts_energy *acc, const ts_energy *x);

/* ---- Monotonicity over a bits x sparsity grid ----------------------------
 * A rise is a pair of points where the cheaper configuration costs more:
 * same B and higher sparsity, or same sparsity and fewer bits, with energy
 * above the other's by more than the relative tolerance tol. */
typedef struct ts_energy_point {
  int wbits;
  double sparsity;
  double pj;
} ts_energy_point;

typedef struct ts_energy_rise {
  int from, to; /* indices: p[to] is the cheaper configuration, yet costs more */
  int by_bits;  /* 1: B fell at equal sparsity; 0: sparsity rose at equal B */
} ts_energy_rise;

/* Counts the rises among all pairs of p[n]; stores the first max of them in
 * out (nullable). */
int ts_energy_rises(const ts_energy_point *p, int n, double tol, ts_energy_rise *out, int max);

#ifdef __cplusplus
}
#endif
#endif /* TS_ENERGY_H */
