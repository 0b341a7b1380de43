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

namespace {

// The queue model's state: when each lane goes idle, which filter it holds,
// when the weight port and the dispatcher (one job a cycle) are free.
struct QueueModel {
  uint64_t lane_free[TS_HW_ROWS] = {};
  int cached[TS_HW_ROWS];
  uint64_t port_free = 0, last_dispatch = 0, end = 0;
  QueueModel() { std::fill(cached, cached + TS_HW_ROWS, -1); }
  // The lane the next job goes to: the first to go idle, lowest on ties.
  int next_lane() const {
    int l = 0;
    for (int r = 1; r < TS_HW_ROWS; r++)
      if (lane_free[r] < lane_free[l]) l = r;
    return l;
  }
  // When lane l could start issuing filter m's entries.
  uint64_t ready(int l, const HwFilter &fm, int m, uint64_t *port_after) const {
    uint64_t t = std::max(lane_free[l], last_dispatch + 1) + kDispatch;
    *port_after = port_free;
    if (cached[l] != m) {
      const uint64_t start = std::max(t, port_free);
      *port_after = start + (uint64_t)fm.words;
      t = *port_after + kLoadTail;
    }
    return t;
  }
  void take(int l, const HwFilter &fm, int m, int count) {
    uint64_t port_after;
    const uint64_t t = ready(l, fm, m, &port_after);
    last_dispatch = std::max(lane_free[l], last_dispatch + 1);
    port_free = port_after;
    cached[l] = m;
    lane_free[l] = t + (uint64_t)count * (uint64_t)fm.entries;
    end = std::max(end, lane_free[l]);
  }
};

// List scheduling with the model: each lane, as it goes idle, gets tiles of
// the filter it holds (no reload) or else of the filter with the most work
// left, as many as end by `target`. Fails (UINT64_MAX) beyond the queue.
uint64_t greedy(const HwRun &run, const HwFilter *f, uint64_t target, std::vector<HwJob> *jobs) {
  std::vector<int> left(run.mm, run.tt), next(run.mm, 0);
  int open = run.mm;
  QueueModel q;
  jobs->clear();
  while (open > 0) {
    if ((int)jobs->size() >= TS_HW_JOB_DEPTH) return UINT64_MAX;
    const int l = q.next_lane();
    int m = q.cached[l] >= 0 && left[q.cached[l]] > 0 ? q.cached[l] : -1;
    if (m < 0) {
      uint64_t most = 0;
      for (int i = 0; i < run.mm; i++) {
        const uint64_t w = (uint64_t)left[i] * (uint64_t)f[i].entries;
        if (left[i] > 0 && (m < 0 || w > most)) {
          m = i;
          most = w;
        }
      }
    }
    uint64_t port_after;
    const uint64_t t = q.ready(l, f[m], m, &port_after);
    int c = target > t ? (int)((target - t) / (uint64_t)f[m].entries) : 1;
    c = std::max(1, std::min(c, left[m]));
    jobs->push_back({m, next[m], c});
    q.take(l, f[m], m, c);
    next[m] += c;
    left[m] -= c;
    open -= left[m] == 0;
  }
  return q.end + kDrain;
}

}  // namespace

uint64_t hw_plan_predict(const HwFilter *f, const std::vector<HwJob> &jobs) {
  QueueModel q;
  for (const HwJob &j : jobs) q.take(q.next_lane(), f[j.m], j.m, j.count);
  return q.end + kDrain;
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
  // List schedules aimed at finishing times from the fair share upwards.
  uint64_t loads = 0;
  for (int m = 0; m < run.mm; m++) loads += (uint64_t)f[m].words;
  const double base = share + (double)loads / TS_HW_ROWS;
  for (int i = 0; i <= 30; i++) {
    const uint64_t target = (uint64_t)(base * (1.0 + 0.02 * i)) + 1;
    const uint64_t c = greedy(run, f, target, &cand);
    if (c < best) {
      best = c;
      *jobs = cand;
    }
  }
  if (best == UINT64_MAX) {  // every cut exceeded the queue: one job per filter
    jobs->clear();
    for (int m = 0; m < run.mm; m++) jobs->push_back({m, 0, run.tt});
    best = hw_plan_predict(f, *jobs);
  }
  return best;
}
