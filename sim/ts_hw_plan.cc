// Run and job planning for the array (ts_hw_plan.h).
#include "ts_hw_plan.h"

#include <algorithm>
#include <numeric>

#include "ts_hw_params.h"

namespace {

// Cycles of the queue model, read off the RTL (rtl/tessera_lane.sv,
// tessera_ctrl.sv): a dispatched job reaches its lane two cycles after the
// lane went idle; a load spends its words on the port, then one cycle for
// the last write and one to read word 0; the last entry's sums leave the
// lane two cycles after it issued.
constexpr uint64_t kDispatch = 2, kLoadTail = 2, kDrain = 3;

}  // namespace

ts_status hw_plan_runs(int M, int K, int N, const std::vector<HwFilter> &f,
                       std::vector<HwRun> *runs, ts_error *err) {
  runs->clear();
  if (K > TS_HW_ACT_ROWS)
    return ts_fail(err, TS_E_ARG, "hw plan: k=%d exceeds the activation buffer (%d rows)", K,
                   TS_HW_ACT_ROWS);
  for (int m = 0; m < M; m++)
    if (f[m].words > TS_HW_LANE_WORDS || f[m].words < 1 || f[m].entries < 1)
      return ts_fail(err, TS_E_ARG,
                     "hw plan: filter %d of %d words / %d entries does not fit a lane's "
                     "buffer (%d words)",
                     m, f[m].words, f[m].entries, TS_HW_LANE_WORDS);
  const int cols = TS_HW_COLS;
  const int tiles_all = (N + cols - 1) / cols;
  for (int m0 = 0; m0 < M;) {
    // As many filters as the weight memory, tables and queue take.
    int mm = 0, words = 0;
    const int mmax = std::min({TS_HW_CHAN_DEPTH, TS_HW_JOB_DEPTH, TS_HW_OUT_ROWS});
    while (m0 + mm < M && mm < mmax && words + f[m0 + mm].words <= TS_HW_WMEM_WORDS)
      words += f[m0 + mm++].words;
    const int tc = std::min({tiles_all, TS_HW_ACT_ROWS / K, TS_HW_OUT_ROWS / mm});
    for (int t0 = 0; t0 < tiles_all; t0 += tc)
      runs->push_back({m0, mm, t0, std::min(tc, tiles_all - t0)});
    m0 += mm;
  }
  return TS_OK;
}

uint64_t hw_plan_predict(const HwFilter *f, const std::vector<HwJob> &jobs) {
  uint64_t lane_free[TS_HW_ROWS] = {};
  int cached[TS_HW_ROWS];
  std::fill(cached, cached + TS_HW_ROWS, -1);
  uint64_t port_free = 0, end = 0;
  for (const HwJob &j : jobs) {
    int l = 0;  // the queue hands the job to the first lane to go idle
    for (int r = 1; r < TS_HW_ROWS; r++)
      if (lane_free[r] < lane_free[l]) l = r;
    uint64_t ready = lane_free[l] + kDispatch;
    if (cached[l] != j.m) {
      const uint64_t start = std::max(ready, port_free);
      port_free = start + (uint64_t)f[j.m].words;
      ready = port_free + kLoadTail;
      cached[l] = j.m;
    }
    lane_free[l] = ready + (uint64_t)j.count * (uint64_t)f[j.m].entries;
    end = std::max(end, lane_free[l]);
  }
  return end + kDrain;
}

uint64_t hw_plan_jobs(const HwRun &run, const HwFilter *f, std::vector<HwJob> *jobs) {
  uint64_t work = 0;
  for (int m = 0; m < run.mm; m++) work += (uint64_t)f[m].entries * (uint64_t)run.tt;
  const double share = (double)work / TS_HW_ROWS;  // one lane's fair share, cycles
  uint64_t best = UINT64_MAX;
  std::vector<HwJob> cand;
  for (int q : {1, 2, 3, 4, 6, 8}) {
    cand.clear();
    for (int m = 0; m < run.mm; m++) {
      // Pieces of about share / q cycles: ceil(tt / p) near-equal runs of tiles.
      const int p = std::max(1, std::min(run.tt, (int)(share / q / f[m].entries)));
      const int pieces = (run.tt + p - 1) / p;
      for (int i = 0, t = 0; i < pieces; i++) {
        const int c = run.tt / pieces + (i < run.tt % pieces ? 1 : 0);
        cand.push_back({m, t, c});
        t += c;
      }
    }
    if ((int)cand.size() > TS_HW_JOB_DEPTH) continue;
    for (int order = 0; order < 2; order++) {
      if (order == 1)  // largest first (LPT): the tail is made of small jobs
        std::stable_sort(cand.begin(), cand.end(), [&](const HwJob &a, const HwJob &b) {
          return (uint64_t)a.count * f[a.m].entries > (uint64_t)b.count * f[b.m].entries;
        });
      const uint64_t c = hw_plan_predict(f, cand);
      if (c < best) {
        best = c;
        *jobs = cand;
      }
    }
  }
  if (best == UINT64_MAX) {  // every cut exceeded the queue: one job per filter
    jobs->clear();
    for (int m = 0; m < run.mm; m++) jobs->push_back({m, 0, run.tt});
    best = hw_plan_predict(f, *jobs);
  }
  return best;
}
