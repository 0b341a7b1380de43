// Planning a GEMM on the array (no Verilator here): which filters and
// column tiles go into each run so that they fit the buffers, and how a
// run's tiles are cut into jobs for the lanes' queue. The port steps
// (load, configure, run, read back) are in ts_hw_shim.cc.
//
// A filter's cost is what the host knows before the run: its entries (one
// lane cycle per entry and tile; dense: K, sparse: non-zeros + padding,
// models/int/ts_sparse.h) and its words (cycles on the shared weight port
// to load it). Jobs are balanced on these costs (docs/hw.md, "Planning").
#ifndef TS_HW_PLAN_H
#define TS_HW_PLAN_H

#include <cstdint>
#include <vector>

#include "ts_status.h"

struct HwFilter {
  int entries;  // issue cycles per tile, >= 1
  int words;    // weight-memory words, >= 1
};

// Filters [m0, m0 + mm) x column tiles [t0, t0 + tt) of the layer.
struct HwRun {
  int m0, mm, t0, tt;
};

// Tiles [t0, t0 + count) of filter m; m and t0 are local to the run.
struct HwJob {
  int m, t0, count;
};

// Cuts an M x K x N layer into runs that fit the weight memory (the sum of
// the run's filter words), the channel and filter tables, the job queue
// (at least one job per filter), and the activation and output buffers.
// f: [M]. Fails (TS_E_ARG) when a single filter exceeds a lane's buffer or
// K alone exceeds the activation buffer.
ts_status hw_plan_runs(int M, int K, int N, const std::vector<HwFilter> &f,
                       std::vector<HwRun> *runs, ts_error *err);

// Jobs of one run (f points at the run's first filter, run.mm of them),
// balanced on the filters' costs: candidate cuts (pieces of about
// 1/q of a lane's share, q = 1..8) and orders (largest first, by filter)
// are scored with a model of the queue (a job goes to the first lane whose
// pending slot is free; a lane without the job's filter in either of its two
// banks loads it through the one weight port, overlapped with its current job)
// and the best is kept. Returns the model's cycle estimate.
uint64_t hw_plan_jobs(const HwRun &run, const HwFilter *f, std::vector<HwJob> *jobs);

// The queue model's estimate for a given job list (exposed for tests).
uint64_t hw_plan_predict(const HwFilter *f, const std::vector<HwJob> &jobs);

#endif  // TS_HW_PLAN_H
