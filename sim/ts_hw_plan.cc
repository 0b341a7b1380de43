// Run and job planning for the array (ts_hw_plan.h).
#include "ts_hw_plan.h"

#include <algorithm>
#include <numeric>

#include "ts_hw_params.h"

namespace {

// Cycles of the queue model, read off the RTL (rtl/tessera_lane.sv,
// tessera_ctrl.sv): a job dispatched in cycle d reaches the lane's pending
// slot at d + 1 and, when its filter is in neither of the lane's two banks,
// its load takes the port from d + 3 at the earliest (request, grant); the
// filter is usable one cycle after its last word left the port, and a lane
// that was waiting for it reads word 0 for another two cycles before it
// issues. A lane whose pending filter is ready when its current job ends
// issues the next job in the following cycle. The last entry's sums leave
// the lane two cycles after it issued.
constexpr uint64_t kArrive = 1, kLoadStart = 3, kLoadTail = 1, kPrime = 2, kDrain = 3;

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

// The queue model's state: per lane when its pending slot frees (its
// latest job started: a dispatch may come), when its latest job issues its
// last entry, and the filters in its two banks; when the weight port and
// the dispatcher (TS_HW_DISPATCH jobs a cycle) are free.
struct QueueModel {
  uint64_t accept[TS_HW_ROWS] = {};
  uint64_t lane_free[TS_HW_ROWS] = {};
  int bank[TS_HW_ROWS][2];
  int latest[TS_HW_ROWS];  // bank of the latest job
  uint64_t port_free = 0, last_dispatch = 0, end = 0;
  // The lanes of the current dispatch cycle batch_d not yet given a job.
  int batch[TS_HW_DISPATCH];
  int nbatch = 0, ibatch = 0;
  uint64_t batch_d = 0, cur_d = 0;
  std::vector<uint64_t> load_start, load_end;  // per filter: its latest load on the port
  QueueModel() {
    for (int r = 0; r < TS_HW_ROWS; r++) bank[r][0] = bank[r][1] = -1, latest[r] = 0;
  }
  bool holds(int l, int m) const { return bank[l][0] == m || bank[l][1] == m; }
  // The lane the next job goes to, as the controller picks it: at the first
  // cycle a pending slot is free, each of the TS_HW_DISPATCH job buses (lane
  // r on bus r % TS_HW_DISPATCH) takes its lowest-numbered candidate, free
  // lanes with nothing to issue first, and the cycle's jobs go to those
  // lanes in lane order. Sets cur_d, the dispatch cycle.
  int next_lane() {
    if (ibatch < nbatch) {
      cur_d = batch_d;
      return batch[ibatch++];
    }
    uint64_t d = accept[0];
    for (int r = 1; r < TS_HW_ROWS; r++) d = std::min(d, accept[r]);
    d = std::max(d, last_dispatch + 1);
    bool any_idle = false;
    for (int r = 0; r < TS_HW_ROWS; r++) any_idle |= accept[r] <= d && lane_free[r] <= d;
    bool used[TS_HW_DISPATCH] = {};
    nbatch = 0;
    for (int r = 0; r < TS_HW_ROWS; r++)
      if (accept[r] <= d && (!any_idle || lane_free[r] <= d) && !used[r % TS_HW_DISPATCH]) {
        used[r % TS_HW_DISPATCH] = true;
        batch[nbatch++] = r;
      }
    batch_d = cur_d = d;
    ibatch = 1;
    return batch[0];
  }
  // When lane l could start issuing filter m's entries. A lane that was
  // already waiting when a load of m took the port joins it (multicast).
  uint64_t ready(int l, const HwFilter &fm, int m, uint64_t *port_after, uint64_t *ld_start) const {
    const uint64_t d = cur_d;
    uint64_t t = d + kArrive;
    *port_after = port_free;
    *ld_start = UINT64_MAX;
    if (!holds(l, m)) {
      const uint64_t req = d + kLoadStart;
      if ((size_t)m < load_start.size() && load_start[m] != UINT64_MAX && load_start[m] >= req) {
        t = load_end[m] + kLoadTail;
      } else {
        *ld_start = std::max(req, port_free);
        *port_after = *ld_start + (uint64_t)fm.words;
        t = *port_after + kLoadTail;
      }
    }
    // Waiting idle for the filter costs the word-0 read; a filter ready
    // before the current job ends costs nothing.
    return t + kPrime > lane_free[l] ? t + kPrime : lane_free[l];
  }
  void take(int l, const HwFilter &fm, int m, int count) {
    uint64_t port_after, ld_start;
    const uint64_t t = ready(l, fm, m, &port_after, &ld_start);
    last_dispatch = cur_d;
    port_free = port_after;
    if (ld_start != UINT64_MAX) {
      if ((size_t)m >= load_start.size()) {
        load_start.resize((size_t)m + 1, UINT64_MAX);
        load_end.resize((size_t)m + 1, 0);
      }
      load_start[m] = ld_start;
      load_end[m] = port_after;
    }
    if (!holds(l, m)) {  // the bank the latest job does not use
      latest[l] ^= 1;
      bank[l][latest[l]] = m;
    } else {
      latest[l] = bank[l][1] == m;
    }
    accept[l] = t;
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
    // The filter of the lane's latest job, else the one in its other bank.
    int m = -1;
    for (int b = 0; b < 2 && m < 0; b++) {
      const int c = q.bank[l][q.latest[l] ^ b];
      if (c >= 0 && left[c] > 0) m = c;
    }
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
    uint64_t port_after, ld_start;
    const uint64_t t = q.ready(l, f[m], m, &port_after, &ld_start);
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
