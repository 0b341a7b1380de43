/* Per-layer co-design search by dynamic programming (ts_codesign.h). */
#include "ts_codesign.h"

#include <math.h>
#include <stdlib.h>

/* Units of the drop an option uses: rounded up, at least 0. */
static long units_of(double drop, double unit) {
  if (!(drop > 0)) return 0;
  const double u = ceil(drop / unit - 1e-9); /* a drop of exactly k units is k */
  return u > TS_CD_MAX_UNITS ? TS_CD_MAX_UNITS + 1 : (long)u;
}

static ts_status check_args(const ts_cd_option *const *opt, const int *nopt, int nlayers,
                            double budget, double unit, const int *choice, ts_error *err) {
  if (!opt || !nopt || !choice || nlayers < 1)
    return ts_fail(err, TS_E_ARG, "codesign: no layers or NULL argument");
  if (!(unit > 0)) return ts_fail(err, TS_E_ARG, "codesign: unit %g must be > 0", unit);
  if (!(budget >= 0))
    return ts_fail(err, TS_E_ARG, "codesign: accuracy budget %g must be >= 0", budget);
  if (budget / unit > TS_CD_MAX_UNITS)
    return ts_fail(err, TS_E_ARG, "codesign: budget %g is %g units of %g, at most %d", budget,
                   budget / unit, unit, TS_CD_MAX_UNITS);
  for (int l = 0; l < nlayers; l++) {
    if (nopt[l] < 1 || !opt[l])
      return ts_fail(err, TS_E_ARG, "codesign: layer %d has no options", l);
    for (int i = 0; i < nopt[l]; i++)
      if (!(opt[l][i].cost >= 0) || isnan(opt[l][i].drop))
        return ts_fail(err, TS_E_ARG, "codesign: layer %d option %d: cost %g, drop %g (cost "
                       "must be >= 0, drop a number)", l, i, opt[l][i].cost, opt[l][i].drop);
  }
  return TS_OK;
}

ts_status ts_codesign_search(const ts_cd_option *const *opt, const int *nopt, int nlayers,
                             double budget, double unit, int *choice, double *cost,
                             double *drop, ts_error *err) {
  ts_status st = check_args(opt, nopt, nlayers, budget, unit, choice, err);
  if (st) return st;
  const long B = (long)floor(budget / unit + 1e-9), W = B + 1;
  /* best[l][b]: least cost of layers 0..l using at most b units;
   * pick[l][b]: layer l's option there (-1: unreachable) */
  double *best = calloc((size_t)nlayers * W, sizeof *best);
  int *pick = malloc(sizeof *pick * (size_t)nlayers * W);
  if (!best || !pick) {
    free(best);
    free(pick);
    return ts_fail(err, TS_E_NOMEM, "codesign: no memory for %ld x %d states", W, nlayers);
  }
  for (int l = 0; l < nlayers; l++)
    for (long b = 0; b < W; b++) {
      double bc = INFINITY;
      int bi = -1;
      for (int i = 0; i < nopt[l]; i++) {
        const long u = units_of(opt[l][i].drop, unit);
        if (u > b) continue;
        const double prev = l ? best[(size_t)(l - 1) * W + (b - u)] : 0;
        if (isinf(prev)) continue;
        const double c = prev + opt[l][i].cost;
        if (c < bc) bc = c, bi = i;
      }
      best[(size_t)l * W + b] = bc;
      pick[(size_t)l * W + b] = bi;
    }
  if (isinf(best[(size_t)(nlayers - 1) * W + B])) {
    double least = 0; /* the smallest reachable drop: each layer's least */
    for (int l = 0; l < nlayers; l++) {
      double m = INFINITY;
      for (int i = 0; i < nopt[l]; i++) m = fmin(m, fmax(0, opt[l][i].drop));
      least += m;
    }
    free(best);
    free(pick);
    return ts_fail(err, TS_E_ARG, "codesign: no configuration within a drop of %g; the "
                   "smallest reachable is %g", budget, least);
  }
  double c = 0, d = 0;
  for (long l = nlayers - 1, b = B; l >= 0; l--) {
    const int i = pick[(size_t)l * W + b];
    choice[l] = i;
    c += opt[l][i].cost;
    d += opt[l][i].drop;
    b -= units_of(opt[l][i].drop, unit);
  }
  if (cost) *cost = c;
  if (drop) *drop = d;
  free(best);
  free(pick);
  return TS_OK;
}
