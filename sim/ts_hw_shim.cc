// Thin C++ shim: owns the VerilatedContext and the model, drives the host
// port of rtl/tessera_top, exposes the extern "C" API of sim/ts_hw.h.
#include "ts_hw.h"

#include <verilated.h>
#if VM_TRACE_FST
#include <verilated_fst_c.h>
#endif

#include <algorithm>
#include <memory>
#include <new>
#include <vector>

#include "Vtessera_top.h"
#include "Vtessera_top___024root.h"
#include "ts_hw_params.h"

namespace {

constexpr int kActW = TS_HW_ACT_ROW_BITS;                       // bits
constexpr int kHostWords = TS_HW_HOST_BITS / 32;                // host data, 32-bit words

// Writes `bits` bits of v at bit `lsb` of a Verilator wide value.
template <typename W>
void put_bits(W &w, int lsb, int bits, uint64_t v) {
  for (int i = 0; i < bits; i++) {
    const int b = lsb + i;
    const uint32_t bit = (uint32_t)((v >> i) & 1u);
    w[b / 32] = (w[b / 32] & ~(1u << (b % 32))) | (bit << (b % 32));
  }
}

template <typename W>
int64_t get_signed(const W &w, int lsb, int bits) {
  // The field spans at most three 32-bit words (bits <= 64): gather them
  // into 96 bits and shift, instead of a loop over the bits (which was 6%
  // of hw-bench's instructions).
  const int w0 = lsb / 32, sh = lsb % 32, last = (lsb + bits - 1) / 32;
  unsigned __int128 acc = 0;
  for (int i = last; i >= w0; i--) acc = (acc << 32) | (uint32_t)w[i];
  uint64_t v = (uint64_t)(acc >> sh);
  if (bits < 64) {
    v &= ((uint64_t)1 << bits) - 1;
    if ((v >> (bits - 1)) & 1u) v |= ~(((uint64_t)1 << bits) - 1);
  }
  return (int64_t)v;
}

// Tile counts of njobs jobs (sum = total, each >= 1) such that job j,
// which starts about j * wpr cycles late, ends with the others: real
// shares F - j * wpr over K cycles per tile, rounded by largest remainder.
std::vector<int> balanced_counts(int total, int njobs, int k, int wpr) {
  std::vector<double> share(njobs);
  double delay_sum = 0;
  for (int j = 0; j < njobs; j++) delay_sum += (double)j * wpr;
  const double finish = ((double)total * k + delay_sum) / njobs;
  double sum = 0;
  for (int j = 0; j < njobs; j++) {
    share[j] = std::max(1.0, (finish - (double)j * wpr) / k);
    sum += share[j];
  }
  std::vector<int> c(njobs);
  int given = 0;
  for (int j = 0; j < njobs; j++) {
    share[j] *= total / sum;  // exact total after the clamp to >= 1
    c[j] = std::max(1, (int)share[j]);
    given += c[j];
  }
  // Hand out (or take back) the remainder, largest fractional part first.
  while (given != total) {
    int best = -1;
    double best_frac = 0;
    for (int j = 0; j < njobs; j++) {
      const double frac = share[j] - c[j];
      const bool ok = given < total || c[j] > 1;
      if (ok && (best < 0 || (given < total ? frac > best_frac : frac < best_frac))) {
        best = j;
        best_frac = frac;
      }
    }
    c[best] += given < total ? 1 : -1;
    given += given < total ? 1 : -1;
  }
  return c;
}

}  // namespace

struct ts_hw {
  std::unique_ptr<VerilatedContext> ctx;
  std::unique_ptr<Vtessera_top> top;
#if VM_TRACE_FST
  std::unique_ptr<VerilatedFstC> trace;
#endif
  uint64_t max_cycles = 0;
  uint64_t cycles = 0;
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

void ts_hw_destroy(ts_hw *hw) {
  if (!hw) return;
  hw->top->final();
#if VM_TRACE_FST
  if (hw->trace) hw->trace->close();
#endif
  delete hw;
}

uint64_t ts_hw_sim_cycles(const ts_hw *hw) { return hw ? hw->cycles : 0; }

ts_status ts_hw_gemm(ts_hw *hw, const ts_int_gemm *g, const uint8_t *x,
                     int64_t *y, ts_hw_counters *cnt, ts_error *err) {
  if (!hw) return ts_fail(err, TS_E_ARG, "hw gemm: handle is NULL");
  ts_status st = ts_int_gemm_check(g, err);
  if (st != TS_OK) return st;
  if (!x || !y) return ts_fail(err, TS_E_ARG, "hw gemm: activation or output is NULL");
  if (hw->ctx->gotError())
    return ts_fail(err, TS_E_HW, "hw gemm: the model is in an error state from an earlier run");

  const int M = g->m, K = g->k, N = g->n, B = g->wbits;
  const int cols = TS_HW_COLS, rows = TS_HW_ROWS;
  const int wpr = ts_hw_words_per_row(K, B);
  if (wpr > TS_HW_LANE_WORDS)
    return ts_fail(err, TS_E_ARG, "hw gemm: a filter of %d words exceeds the lane buffer (%d)",
                   wpr, TS_HW_LANE_WORDS);
  // Runs that fit: mc filters in the weight memory and channel table,
  // tc column tiles in the activation buffer, mc * tc rows of output.
  const int mc = std::min({M, TS_HW_CHAN_DEPTH, TS_HW_WMEM_WORDS / wpr});
  const int tiles_all = (N + cols - 1) / cols;
  const int tc = std::min({tiles_all, TS_HW_ACT_ROWS / K, TS_HW_OUT_ROWS / mc});
  if (mc < 1 || tc < 1)
    return ts_fail(err, TS_E_ARG, "hw gemm: shape m=%d k=%d n=%d does not fit the buffers", M, K, N);

  ts_hw_counters sum = {};
  const uint64_t host0 = hw->cycles;
  uint64_t run_cycles = 0;
  std::vector<uint64_t> words((size_t)mc * wpr);
  std::vector<uint64_t> row(kHostWords / 2 + 1);

  for (int m0 = 0; m0 < M; m0 += mc) {
    const int mm = std::min(mc, M - m0);
    st = ts_int_pack_weights(g->w + (size_t)m0 * K, mm, K, B, words.data(), words.size(), err);
    if (st != TS_OK) return st;
    for (size_t i = 0; i < (size_t)mm * wpr; i++)
      hw->load_wmem((uint32_t)i, words[i]);
    for (int r = 0; r < mm; r++) {
      const int64_t bias = g->bias ? g->bias[m0 + r] : 0;
      const uint64_t mult = g->out == TS_INT_OUT_ACC ? 1 : (uint64_t)g->mult[m0 + r];
      const uint64_t shift = g->out == TS_INT_OUT_ACC ? 0 : (uint64_t)g->shift[m0 + r];
      const uint64_t acc_mask = ((uint64_t)1 << TS_HW_ACC_BITS) - 1;
      const uint64_t w = ((uint64_t)bias & acc_mask) << TS_HW_CHAN_BIAS_LSB |
                         mult << TS_HW_CHAN_MULT_LSB | shift << TS_HW_CHAN_SHIFT_LSB;
      hw->host_write64(TS_HW_SEL_CHAN, (uint32_t)r, w);
    }
    for (int t0 = 0; t0 < tiles_all; t0 += tc) {
      const int tt = std::min(tc, tiles_all - t0);
      const int n0 = t0 * cols;
      const int nn = std::min(tt * cols, N - n0);
      const int last_cols = nn - (tt - 1) * cols;
      // Activation rows: row k * tt + t holds X[k][n0 + t*cols ..], zero padded.
      for (int k = 0; k < K; k++)
        for (int t = 0; t < tt; t++) {
          std::fill(row.begin(), row.end(), 0);
          for (int c = 0; c < cols; c++) {
            const int n = n0 + t * cols + c;
            if (n >= N) break;
            row[c / 8] |= (uint64_t)x[(size_t)k * N + n] << (8 * (c % 8));
          }
          hw->load_act((uint32_t)(k * tt + t), row.data(), (int)row.size());
        }
      // Jobs: the flattened tile list i = m * tt + t cut into one run per
      // lane. Lane j gets its first filter about j * wpr cycles after lane
      // 0 (one shared weight port), so later lanes get fewer tiles and all
      // finish together: D_j + c_j * K = F, sum c_j = total.
      const int total = mm * tt;
      const int njobs = std::min({total, rows, TS_HW_JOB_DEPTH});
      const std::vector<int> counts = balanced_counts(total, njobs, K, wpr);
      int i0 = 0;
      for (int j = 0; j < njobs; j++) {
        const uint64_t f = TS_HW_JOB_FIELD_BITS;
        const uint64_t jw = (uint64_t)(i0 / tt) | (uint64_t)(i0 % tt) << f |
                            (uint64_t)counts[j] << (2 * f);
        hw->host_write64(TS_HW_SEL_JOB, (uint32_t)j, jw);
        i0 += counts[j];
      }
      hw->host_write64(TS_HW_SEL_CFG, TS_HW_CFG_K, (uint64_t)K);
      hw->host_write64(TS_HW_SEL_CFG, TS_HW_CFG_TILES, (uint64_t)tt);
      hw->host_write64(TS_HW_SEL_CFG, TS_HW_CFG_LAST_COLS, (uint64_t)last_cols);
      hw->host_write64(TS_HW_SEL_CFG, TS_HW_CFG_WBITS, (uint64_t)B);
      hw->host_write64(TS_HW_SEL_CFG, TS_HW_CFG_WROW, (uint64_t)wpr);
      hw->host_write64(TS_HW_SEL_CFG, TS_HW_CFG_ACT_SIGNED, (uint64_t)g->act_signed);
      hw->host_write64(TS_HW_SEL_CFG, TS_HW_CFG_OUT_MODE, (uint64_t)g->out);
      hw->host_write64(TS_HW_SEL_CFG, TS_HW_CFG_NJOBS, (uint64_t)njobs);
      if (hw->ctx->gotError())
        return ts_fail(err, TS_E_HW, "hw gemm: an RTL assertion failed while loading (see stderr)");

      // Run.
      const uint64_t t_start = hw->cycles;
      hw->top->start_i = 1;
      hw->tick();
      hw->top->start_i = 0;
      // Generous bound: every tile's MACs on one lane plus every filter load.
      const uint64_t bound = hw->max_cycles
                                 ? hw->max_cycles
                                 : 1000 + 4ull * ((uint64_t)total * (K + 2) + (uint64_t)mm * wpr * 2);
      while (hw->top->busy_o) {
        hw->tick();
        if (hw->ctx->gotError())
          return ts_fail(err, TS_E_HW,
                         "hw gemm: an RTL assertion failed during the run (m=%d k=%d n=%d B=%d; see stderr)",
                         M, K, N, B);
        if (hw->cycles - t_start > bound)
          return ts_fail(err, TS_E_HW,
                         "hw gemm: run did not finish within %llu cycles (m=%d k=%d n=%d B=%d)",
                         (unsigned long long)bound, M, K, N, B);
      }
      run_cycles += hw->cycles - t_start;
      sum.cycles += hw->top->cnt_cycles_o;
      sum.macs += hw->top->cnt_macs_o;
      sum.wport_cycles += hw->top->cnt_wport_o;
      sum.lane_run += hw->top->cnt_lane_run_o;
      sum.lane_load += hw->top->cnt_lane_load_o;
      sum.lane_stall += hw->top->cnt_lane_stall_o;
      sum.runs++;

      // Read back (combinational port, no clock needed).
      for (int r = 0; r < mm; r++)
        for (int t = 0; t < tt; t++) {
          hw->top->host_raddr_i = (uint16_t)(r * tt + t);
          hw->top->eval();
          for (int c = 0; c < cols; c++) {
            const int n = n0 + t * cols + c;
            if (n >= N) break;
            y[(size_t)(m0 + r) * N + n] =
                get_signed(hw->top->host_rdata_o, c * TS_HW_ACC_BITS, TS_HW_ACC_BITS);
          }
        }
    }
  }
  sum.host_cycles = hw->cycles - host0 - run_cycles;
  if (cnt) *cnt = sum;
  return TS_OK;
}

}  // extern "C"
