/* Per-layer co-design search: choose one option (a weight bit width and a
 * sparsity) for every layer so that the summed cost (array cycles or
 * weight memory) is smallest while the summed accuracy drop stays within a
 * budget. Drops are measured one layer at a time (sensitivity) and assumed
 * to add up; the caller verifies the result end to end.
 *
 * It is a multiple-choice knapsack: solved exactly by dynamic programming
 * over the drop, counted in whole units of `unit` (each option's drop
 * rounded up, a negative drop counted as 0, the budget rounded down), so
 * the chosen configuration never exceeds the budget by rounding. */
#ifndef TS_CODESIGN_H
#define TS_CODESIGN_H

#include "ts_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One option of one layer. */
typedef struct ts_cd_option {
  int bits;        /* weight bits */
  double sparsity; /* fraction pruned, [0, 1] */
  double drop;     /* accuracy drop (fraction) when only this layer changes */
  double cost;     /* cycles or bits; >= 0 */
} ts_cd_option;

/* The largest drop budget in units the search accepts (memory: budget /
 * unit + 1 doubles and ints per layer). */
#define TS_CD_MAX_UNITS 1000000

/* opt[l]: [nopt[l]] options of layer l, l < nlayers. choice: [nlayers]
 * receives the index of each layer's option; cost and drop (nullable) the
 * sums over the layers (drop: the options' drops as given). Fails with
 * TS_E_ARG for bad arguments (budget < 0 or NaN, unit <= 0, budget / unit
 * over TS_CD_MAX_UNITS, a layer without options, NaN or negative cost), and
 * also when no combination fits the budget (err then names the smallest
 * reachable drop). */
ts_status ts_codesign_search(const ts_cd_option *const *opt, const int *nopt, int nlayers,
                             double budget, double unit, int *choice, double *cost,
                             double *drop, ts_error *err);

#ifdef __cplusplus
}
#endif
#endif /* TS_CODESIGN_H */
