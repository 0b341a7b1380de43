// Thin C++ shim: owns the VerilatedContext and the model, drives the host
// port of rtl/tessera_top, exposes the extern "C" API of sim/ts_hw.h.
#include "ts_hw.h"

#include <verilated.h>
#if VM_TRACE_FST
#include <verilated_fst_c.h>
#endif

#if VM_COVERAGE
#include <verilated_cov.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unistd.h>
#endif

#include <algorithm>
#include <memory>
#include <new>
#include <vector>

#include "Vtessera_top.h"
#include "Vtessera_top___024root.h"
#include "ts_hw_params.h"
#include "ts_hw_plan.h"
#include "ts_hw_words.h"

namespace {

constexpr int kActW = TS_HW_ACT_ROW_BITS;                       // bits
constexpr int kHostWords = TS_HW_HOST_BITS / 32;                // host data, 32-bit words

}  // namespace

struct ts_hw {
  std::unique_ptr<VerilatedContext> ctx;
  std::unique_ptr<Vtessera_top> top;
#if VM_TRACE_FST
  std::unique_ptr<VerilatedFstC> trace;
#endif
  uint64_t max_cycles = 0;
  uint64_t cycles = 0;
  uint64_t run_cycles = 0;  // of cycles, those from start to idle
  bool port_loads = false;

  // Backdoor writes (sim/tessera_sim.vlt makes these memories public): the
  // buffers are filled between clock edges without simulated cycles. Safe
  // because both memories are only read at a clock edge while busy_o is high.
  void load_wmem(uint32_t addr, uint64_t v) {
    if (port_loads) {
      host_write64(TS_HW_SEL_WMEM, addr, v);
    } else {
      top->rootp->tessera_top__DOT__u_weight_mem__DOT__u_ram__DOT__mem_q[addr] = v;
    }
  }

  void load_act(uint32_t addr, const uint64_t *data, int nwords64) {
    if (port_loads) {
      host_write(TS_HW_SEL_ACT, addr, data, nwords64);
      return;
    }
    auto &row = top->rootp->tessera_top__DOT__u_act_buf__DOT__mem_q[addr];
    for (int i = 0; i < kActW / 32; i++)
      row[i] = i / 2 < nwords64 ? (uint32_t)(data[i / 2] >> (32 * (i % 2))) : 0u;
  }

  void tick() {
    top->clk_i = 0;
    top->eval();
    ctx->timeInc(1);
#if VM_TRACE_FST
    if (trace) trace->dump(ctx->time());
#endif
    top->clk_i = 1;
    top->eval();
    ctx->timeInc(1);
#if VM_TRACE_FST
    if (trace) trace->dump(ctx->time());
#endif
    cycles++;
  }

  void host_write(int sel, uint32_t addr, const uint64_t *data, int nwords64) {
    top->host_we_i = 1;
    top->host_sel_i = (uint8_t)sel;
    top->host_addr_i = (uint16_t)addr;
    for (int i = 0; i < kHostWords; i++) top->host_wdata_i[i] = 0;
    for (int i = 0; i < nwords64 && 2 * i < kHostWords; i++) {
      top->host_wdata_i[2 * i] = (uint32_t)data[i];
      if (2 * i + 1 < kHostWords) top->host_wdata_i[2 * i + 1] = (uint32_t)(data[i] >> 32);
    }
    tick();
    top->host_we_i = 0;
  }

  void host_write64(int sel, uint32_t addr, uint64_t v) { host_write(sel, addr, &v, 1); }
};

namespace {

// The layer as the port steps see it: dense codes (g->w) or a packed
// sparse layer, and every filter's cost for the planner.
struct LayerSrc {
  const ts_int_gemm *g = nullptr;
  const ts_sparse *sp = nullptr;  // non-null: sparse mode
  std::vector<HwFilter> filt;     // [m]
};

// Step 1a: the run's filters into the weight memory (word-aligned, in m
// order) and their {entries, words, word base} into the filter table;
// per-channel {shift, mult, bias}.
ts_status load_filters(ts_hw *hw, const LayerSrc &L, const HwRun &r,
                       std::vector<uint64_t> *scratch, ts_error *err) {
  const ts_int_gemm *g = L.g;
  uint32_t base = 0;
  if (!L.sp) {
    const int wpr = L.filt[0].words;
    scratch->assign((size_t)r.mm * wpr, 0);
    ts_status st = ts_int_pack_weights(g->w + (size_t)r.m0 * g->k, r.mm, g->k, g->wbits,
                                       scratch->data(), scratch->size(), err);
    if (st != TS_OK) return st;
    for (size_t i = 0; i < scratch->size(); i++) hw->load_wmem((uint32_t)i, (*scratch)[i]);
  }
  for (int i = 0; i < r.mm; i++) {
    const int m = r.m0 + i;
    if (L.sp) {
      const ts_sparse_filter f = ts_sparse_filter_info(L.sp, m);
      const uint64_t *w = ts_sparse_words(L.sp, nullptr) + f.word_off;
      for (int j = 0; j < f.words; j++) hw->load_wmem(base + (uint32_t)j, w[j]);
    }
    const uint64_t fb = TS_HW_FILT_FIELD_BITS;
    hw->host_write64(TS_HW_SEL_FILT, (uint32_t)i,
                     (uint64_t)base | (uint64_t)L.filt[m].words << fb |
                         (uint64_t)L.filt[m].entries << (2 * fb));
    base += (uint32_t)L.filt[m].words;
    const int64_t bias = g->bias ? g->bias[m] : 0;
    const uint64_t mult = g->out == TS_INT_OUT_ACC ? 1 : (uint64_t)g->mult[m];
    const uint64_t shift = g->out == TS_INT_OUT_ACC ? 0 : (uint64_t)g->shift[m];
    const uint64_t acc_mask = ((uint64_t)1 << TS_HW_ACC_BITS) - 1;
    hw->host_write64(TS_HW_SEL_CHAN, (uint32_t)i,
                     ((uint64_t)bias & acc_mask) << TS_HW_CHAN_BIAS_LSB |
                         mult << TS_HW_CHAN_MULT_LSB | shift << TS_HW_CHAN_SHIFT_LSB);
  }
  return TS_OK;
}

// Step 1b: activation rows t * K + k hold X[k][n0 + t*COLS ..], zero padded.
void load_acts(ts_hw *hw, const uint8_t *x, int K, int N, const HwRun &r) {
  const int cols = TS_HW_COLS, n0 = r.t0 * cols;
  uint64_t row[kActW / 64 + 1];
  for (int t = 0; t < r.tt; t++)
    for (int k = 0; k < K; k++) {
      std::fill(row, row + kActW / 64 + 1, 0);
      for (int c = 0; c < cols; c++) {
        const int n = n0 + t * cols + c;
        if (n >= N) break;
        row[c / 8] |= (uint64_t)x[(size_t)k * N + n] << (8 * (c % 8));
      }
      hw->load_act((uint32_t)(t * K + k), row, kActW / 64);
    }
}

// Step 2: jobs and configuration.
void configure(ts_hw *hw, const ts_int_gemm *g, bool sparse, const HwRun &r,
               const std::vector<HwJob> &jobs) {
  const int cols = TS_HW_COLS;
  const int nn = std::min(r.tt * cols, g->n - r.t0 * cols);
  const int last_cols = nn - (r.tt - 1) * cols;
  for (size_t j = 0; j < jobs.size(); j++) {
    const uint64_t f = TS_HW_JOB_FIELD_BITS;
    hw->host_write64(TS_HW_SEL_JOB, (uint32_t)j,
                     (uint64_t)jobs[j].m | (uint64_t)jobs[j].t0 << f |
                         (uint64_t)jobs[j].count << (2 * f));
  }
  hw->host_write64(TS_HW_SEL_CFG, TS_HW_CFG_K, (uint64_t)g->k);
  hw->host_write64(TS_HW_SEL_CFG, TS_HW_CFG_TILES, (uint64_t)r.tt);
  hw->host_write64(TS_HW_SEL_CFG, TS_HW_CFG_LAST_COLS, (uint64_t)last_cols);
  hw->host_write64(TS_HW_SEL_CFG, TS_HW_CFG_WBITS, (uint64_t)g->wbits);
  hw->host_write64(TS_HW_SEL_CFG, TS_HW_CFG_SPARSE, sparse ? 1u : 0u);
  hw->host_write64(TS_HW_SEL_CFG, TS_HW_CFG_ACT_SIGNED, (uint64_t)g->act_signed);
  hw->host_write64(TS_HW_SEL_CFG, TS_HW_CFG_OUT_MODE, (uint64_t)g->out);
  hw->host_write64(TS_HW_SEL_CFG, TS_HW_CFG_NJOBS, (uint64_t)jobs.size());
}

// Step 3: start, clock until idle (or an assertion, or the bound), add the
// run's counters to sum.
ts_status run(ts_hw *hw, const ts_int_gemm *g, uint64_t bound, ts_hw_counters *sum,
              ts_error *err) {
  if (hw->ctx->gotError())
    return ts_fail(err, TS_E_HW, "hw gemm: an RTL assertion failed while loading (see stderr)");
  const uint64_t t_start = hw->cycles;
  hw->top->start_i = 1;
  hw->tick();
  hw->top->start_i = 0;
  while (hw->top->busy_o) {
    hw->tick();
    if (hw->ctx->gotError())
      return ts_fail(err, TS_E_HW,
                     "hw gemm: an RTL assertion failed during the run (m=%d k=%d n=%d B=%d; "
                     "see stderr)",
                     g->m, g->k, g->n, g->wbits);
    if (hw->cycles - t_start > bound)
      return ts_fail(err, TS_E_HW,
                     "hw gemm: run did not finish within %llu cycles (m=%d k=%d n=%d B=%d)",
                     (unsigned long long)bound, g->m, g->k, g->n, g->wbits);
  }
  hw->run_cycles += hw->cycles - t_start;
  sum->cycles += hw->top->cnt_cycles_o;
  sum->macs += hw->top->cnt_macs_o;
  sum->useful_macs += hw->top->cnt_nz_macs_o;
  sum->skipped += hw->top->cnt_skipped_o;
  sum->wport_cycles += hw->top->cnt_wport_o;
  sum->lane_run += hw->top->cnt_lane_run_o;
  sum->lane_load += hw->top->cnt_lane_load_o;
  sum->lane_stall += hw->top->cnt_lane_stall_o;
  sum->lane_idle += hw->top->cnt_lane_idle_o;
  sum->tiles += hw->top->cnt_tiles_o;
  sum->runs++;
  return TS_OK;
}

// Step 4: read back rows m * tiles + t (combinational port, no clock).
void read_back(ts_hw *hw, const ts_int_gemm *g, const HwRun &r, int64_t *y) {
  const int cols = TS_HW_COLS, N = g->n;
  for (int i = 0; i < r.mm; i++)
    for (int t = 0; t < r.tt; t++) {
      hw->top->host_raddr_i = (uint16_t)(i * r.tt + t);
      hw->top->eval();
      for (int c = 0; c < cols; c++) {
        const int n = (r.t0 + t) * cols + c;
        if (n >= N) break;
        y[(size_t)(r.m0 + i) * N + n] =
            ts_hw_field_signed(hw->top->host_rdata_o, c * TS_HW_ACC_BITS, TS_HW_ACC_BITS);
      }
    }
}

// Plan, then per run: load, configure, run, read back.
ts_status gemm(ts_hw *hw, const LayerSrc &L, const uint8_t *x, int64_t *y,
               ts_hw_counters *cnt, ts_error *err) {
  const ts_int_gemm *g = L.g;
  std::vector<HwRun> runs;
  ts_status st = hw_plan_runs(g->m, g->k, g->n, L.filt, &runs, err);
  if (st != TS_OK) return st;
  ts_hw_counters sum = {};
  const uint64_t host0 = hw->cycles, run0 = hw->run_cycles;
  std::vector<uint64_t> scratch;
  std::vector<HwJob> jobs;
  int loaded_m0 = -1;
  for (const HwRun &r : runs) {
    if (r.m0 != loaded_m0) {
      st = load_filters(hw, L, r, &scratch, err);
      if (st != TS_OK) return st;
      loaded_m0 = r.m0;
    }
    load_acts(hw, x, g->k, g->n, r);
    sum.plan_cycles += hw_plan_jobs(r, L.filt.data() + r.m0, &jobs);
    configure(hw, g, L.sp != nullptr, r, jobs);
    // Generous bound: every entry of every tile on one lane plus every load.
    uint64_t work = 1000;
    for (int i = 0; i < r.mm; i++)
      work += 4ull * ((uint64_t)r.tt * (L.filt[r.m0 + i].entries + 4) +
                      2ull * L.filt[r.m0 + i].words + 8);
    st = run(hw, g, hw->max_cycles ? hw->max_cycles : work, &sum, err);
    if (st != TS_OK) return st;
    read_back(hw, g, r, y);
  }
  sum.host_cycles = hw->cycles - host0 - (hw->run_cycles - run0);
  if (cnt) *cnt = sum;
  return TS_OK;
}

// The planner's cycle estimate of the whole layer (all runs).
uint64_t estimate(const LayerSrc &L) {
  std::vector<HwRun> runs;
  ts_error err = {};
  if (hw_plan_runs(L.g->m, L.g->k, L.g->n, L.filt, &runs, &err) != TS_OK) return UINT64_MAX;
  std::vector<HwJob> jobs;
  uint64_t c = 0;
  for (const HwRun &r : runs) c += hw_plan_jobs(r, L.filt.data() + r.m0, &jobs);
  return c;
}

/* A handle (not NULL) about to drive its model: refused after an earlier
 * run left the model in an error state. `what` names the call. */
ts_status check_ready(const ts_hw *hw, const char *what, ts_error *err) {
  if (hw->ctx->gotError())
    return ts_fail(err, TS_E_HW, "%s: the model is in an error state from an earlier run", what);
  /* Verilator reports assertion failures through the calling thread's
   * context (Verilated::threadContextp), which another handle's create or
   * destroy on this thread may have changed: make it this handle's. */
  Verilated::threadContextp(hw->ctx.get());
  return TS_OK;
}

ts_status check_call(const ts_hw *hw, const uint8_t *x, int64_t *y, ts_error *err) {
  if (!hw) return ts_fail(err, TS_E_ARG, "hw gemm: handle is NULL");
  if (!x || !y) return ts_fail(err, TS_E_ARG, "hw gemm: activation or output is NULL");
  return check_ready(hw, "hw gemm", err);
}

}  // namespace

extern "C" {

int ts_hw_rows(void) { return TS_HW_ROWS; }
int ts_hw_cols(void) { return TS_HW_COLS; }
int ts_hw_has_trace(void) { return VM_TRACE_FST ? 1 : 0; }

ts_status ts_hw_create(const ts_hw_opts *opts, ts_hw **out, ts_error *err) {
  if (!out) return ts_fail(err, TS_E_ARG, "hw create: out is NULL");
  *out = nullptr;
  std::unique_ptr<ts_hw> hw(new (std::nothrow) ts_hw);
  if (!hw) return ts_fail(err, TS_E_NOMEM, "hw create: out of memory");
  hw->ctx.reset(new VerilatedContext);
  // Assertion failures set gotError instead of aborting the process: the
  // shim turns them into TS_E_HW.
  hw->ctx->fatalOnError(false);
  hw->ctx->fatalOnVpiError(false);
  hw->ctx->randReset(0);
  const char *trace_path = opts ? opts->trace_fst : nullptr;
#if VM_TRACE_FST
  if (trace_path) hw->ctx->traceEverOn(true);
#else
  if (trace_path)
    return ts_fail(err, TS_E_ARG,
                   "hw create: tracing to '%s' asked, but the model was built "
                   "without it (rebuild with make HW_TRACE=1)",
                   trace_path);
#endif
  hw->top.reset(new Vtessera_top(hw->ctx.get(), "tessera"));
#if VM_TRACE_FST
  if (trace_path) {
    hw->trace.reset(new VerilatedFstC);
    hw->top->trace(hw->trace.get(), 99);
    hw->trace->open(trace_path);
    if (!hw->trace->isOpen())
      return ts_fail(err, TS_E_IO, "hw create: cannot open trace '%s'", trace_path);
  }
#endif
  hw->max_cycles = opts ? opts->max_cycles : 0;
  hw->port_loads = opts && opts->port_loads;
  hw->top->rst_ni = 0;
  hw->top->start_i = 0;
  hw->top->host_we_i = 0;
  hw->tick();
  hw->tick();
  hw->top->rst_ni = 1;
  hw->tick();
  if (hw->ctx->gotError())
    return ts_fail(err, TS_E_HW, "hw create: the model reported an error at reset");
  *out = hw.release();
  return TS_OK;
}

#if VM_COVERAGE
// Coverage builds only (make rtl-coverage): every handle's context holds its
// own points; each is written to its own file in $TESSERA_HW_COVERAGE_DIR
// (as gcov's GCOV_PREFIX) and verilator_coverage merges them.
static void write_coverage(VerilatedContext *ctx) {
  static std::atomic<unsigned> seq{0};
  const char *dir = std::getenv("TESSERA_HW_COVERAGE_DIR");
  if (!dir || !*dir) return;
  const std::string path = std::string(dir) + "/cov-" + std::to_string(getpid()) + "-" +
                           std::to_string(seq++) + ".dat";
  ctx->coveragep()->write(path.c_str());
}
#endif

void ts_hw_destroy(ts_hw *hw) {
  if (!hw) return;
  /* the model's scopes unregister from the thread's current context
   * (~VerilatedScope): it must be this handle's, not one destroyed since */
  Verilated::threadContextp(hw->ctx.get());
  hw->top->final();
#if VM_COVERAGE
  write_coverage(hw->ctx.get());
#endif
#if VM_TRACE_FST
  if (hw->trace) hw->trace->close();
#endif
  delete hw;
}

uint64_t ts_hw_sim_cycles(const ts_hw *hw) { return hw ? hw->cycles : 0; }

ts_status ts_hw_set_counter_base(ts_hw *hw, uint64_t base, ts_error *err) {
  if (!hw) return ts_fail(err, TS_E_ARG, "hw set counter base: handle is NULL");
  if (ts_status st = check_ready(hw, "hw set counter base", err)) return st;
  // Between calls the array is idle, so the port takes the write now.
  hw->host_write64(TS_HW_SEL_CFG, TS_HW_CFG_CNT_BASE, base);
  return TS_OK;
}

void ts_hw_counters_add(ts_hw_counters *t, const ts_hw_counters *c) {
  t->cycles += c->cycles;
  t->macs += c->macs;
  t->useful_macs += c->useful_macs;
  t->skipped += c->skipped;
  t->wport_cycles += c->wport_cycles;
  t->lane_run += c->lane_run;
  t->lane_load += c->lane_load;
  t->lane_stall += c->lane_stall;
  t->lane_idle += c->lane_idle;
  t->tiles += c->tiles;
  t->host_cycles += c->host_cycles;
  t->runs += c->runs;
  t->plan_cycles += c->plan_cycles;
}

ts_status ts_hw_gemm(ts_hw *hw, const ts_int_gemm *g, const uint8_t *x,
                     int64_t *y, ts_hw_counters *cnt, ts_error *err) {
  ts_status st = check_call(hw, x, y, err);
  if (st != TS_OK) return st;
  if ((st = ts_int_gemm_check(g, err)) != TS_OK) return st;
  LayerSrc L;
  L.g = g;
  L.filt.assign(g->m, HwFilter{g->k, ts_hw_words_per_row(g->k, g->wbits)});
  return gemm(hw, L, x, y, cnt, err);
}

ts_status ts_hw_gemm_auto(ts_hw *hw, const ts_int_gemm *g, const uint8_t *x, int64_t *y,
                          ts_hw_counters *cnt, int *sparse_used, ts_error *err) {
  ts_status st = check_call(hw, x, y, err);
  if (st != TS_OK) return st;
  if ((st = ts_int_gemm_check(g, err)) != TS_OK) return st;
  ts_sparse *s = nullptr;
  if ((st = ts_sparse_pack(g->w, g->m, g->k, g->wbits, &s, err)) != TS_OK) return st;
  LayerSrc D, S;
  D.g = S.g = g;
  D.filt.assign(g->m, HwFilter{g->k, ts_hw_words_per_row(g->k, g->wbits)});
  S.sp = s;
  for (int m = 0; m < g->m; m++) {
    const ts_sparse_filter f = ts_sparse_filter_info(s, m);
    S.filt.push_back({f.entries, f.words});
  }
  // Sparse needs a filter that fits a lane; dense always does when it fits.
  const bool sparse = estimate(S) < estimate(D);
  if (sparse_used) *sparse_used = sparse ? 1 : 0;
  st = gemm(hw, sparse ? S : D, x, y, cnt, err);
  ts_sparse_destroy(s);
  return st;
}

ts_status ts_hw_gemm_sparse(ts_hw *hw, const ts_int_gemm *g, const ts_sparse *s,
                            const uint8_t *x, int64_t *y, ts_hw_counters *cnt,
                            ts_error *err) {
  ts_status st = check_call(hw, x, y, err);
  if (st != TS_OK) return st;
  if (!g) return ts_fail(err, TS_E_ARG, "hw gemm sparse: descriptor is NULL");
  ts_int_gemm d = *g;
  std::vector<int32_t> decoded;
  ts_sparse *own = nullptr;
  if (s) {
    if (ts_sparse_m(s) != g->m || ts_sparse_k(s) != g->k || ts_sparse_wbits(s) != g->wbits)
      return ts_fail(err, TS_E_ARG,
                     "hw gemm sparse: packed layer m=%d k=%d B=%d differs from the "
                     "descriptor m=%d k=%d B=%d",
                     ts_sparse_m(s), ts_sparse_k(s), ts_sparse_wbits(s), g->m, g->k, g->wbits);
    // The descriptor's other fields are checked with the decoded codes.
    decoded.resize((size_t)g->m * g->k);
    if ((st = ts_sparse_decode(s, decoded.data(), err)) != TS_OK) return st;
    d.w = decoded.data();
  }
  if ((st = ts_int_gemm_check(&d, err)) != TS_OK) return st;
  if (!s) {
    if ((st = ts_sparse_pack(g->w, g->m, g->k, g->wbits, &own, err)) != TS_OK) return st;
    s = own;
  }
  LayerSrc L;
  L.g = &d;
  L.sp = s;
  for (int m = 0; m < g->m; m++) {
    const ts_sparse_filter f = ts_sparse_filter_info(s, m);
    L.filt.push_back({f.entries, f.words});
  }
  st = gemm(hw, L, x, y, cnt, err);
  ts_sparse_destroy(own);
  return st;
}

}  // extern "C"
