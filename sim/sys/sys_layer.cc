// One layer on the system model: spawn, run, report (sys_layer.h).
#define SC_INCLUDE_DYNAMIC_PROCESSES
#include "sys_layer.h"

#include <algorithm>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <memory>

#include "sys_top.h"
#include "ts_hw_params.h"

using sc_core::sc_time;

void SysLayer::fail(ts_status s, const char *fmt, ...) {
  if (st == TS_OK) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err.msg, sizeof err.msg, fmt, ap);
    va_end(ap);
    st = err.status = s;
  }
  abort = true;
  wake_all();
}

void SysLayer::wake_all() {
  ev_bank_free.notify(sc_core::SC_ZERO_TIME);
  ev_ready.notify(sc_core::SC_ZERO_TIME);
  ev_out_full.notify(sc_core::SC_ZERO_TIME);
  ev_out_free.notify(sc_core::SC_ZERO_TIME);
}

void sys_intervals_add(SysIntervals *iv, sc_time a, sc_time b) {
  if (!(a < b)) return;
  if (!iv->empty() && a <= iv->back().second)
    iv->back().second = std::max(iv->back().second, b);
  else
    iv->push_back({a, b});
}

namespace {

using Intervals = SysIntervals;

sc_time length(const Intervals &a) {
  sc_time sum = sc_core::SC_ZERO_TIME;
  for (const auto &i : a) sum += i.second - i.first;
  return sum;
}

// Total length of the intersection of two sorted, disjoint interval lists.
sc_time overlap(const Intervals &a, const Intervals &b) {
  sc_time sum = sc_core::SC_ZERO_TIME;
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    const sc_time lo = std::max(a[i].first, b[j].first), hi = std::min(a[i].second, b[j].second);
    if (lo < hi) sum += hi - lo;
    if (a[i].second < b[j].second)
      i++;
    else
      j++;
  }
  return sum;
}

// A cycle limit no correct run reaches: four times every transfer, latency,
// port write and the planner's work bound, plus a margin.
uint64_t default_limit(const SysProgram &p, const ts_sys_opts &o, uint64_t y_bytes) {
  const double bytes = (double)p.image.size() + (double)y_bytes;
  const double xfer = std::isinf(o.dram_bytes_per_cycle) ? 0 : bytes / o.dram_bytes_per_cycle;
  const double lat = (double)o.dram_latency * (double)(p.chunks.size() + p.runs.size() + 2);
  return (uint64_t)(4 * (xfer + lat + (double)p.items.size() + (double)y_bytes)) +
         4 * p.work_bound + 100000;
}

}  // namespace

ts_status sys_layer_run(SysTop *top, const SysProgram &prog, const SysLayerEnv &env,
                        const ts_sys_opts &o, const char *name, int out_mode, int m, int n,
                        int64_t *y, ts_sys_report *rep, ts_error *err) {
  const sc_time period(1e6 / o.clock_mhz, sc_core::SC_PS);
  std::unique_ptr<SysLayer> L(new SysLayer);
  L->prog = &prog;
  L->name = name;
  L->period = period;
  L->out_n = (uint64_t)n;
  L->t0 = sc_core::sc_time_stamp();
  L->banks = env.banks;
  L->ready.assign(prog.chunks.size(), 0);
  L->ready_at.assign(prog.chunks.size(), sc_core::SC_ZERO_TIME);
  if (env.in) {  // its first chunks are in the banks already, its image in DRAM
    L->base = env.in->base;
    L->bank0 = env.in->bank0;
    L->first_chunk = env.in->moved;
    for (size_t c = 0; c < env.in->moved; c++) {
      L->ready[c] = 1;
      L->ready_at[c] = env.in->ready_at[c];
    }
  } else {
    top->dram.clear();
  }
  L->next = env.out;
  L->probes = &top->probes;
  L->probes->layer++;
  size_t out_bytes = 0;
  for (const SysRunProg &rp : prog.runs)
    out_bytes = std::max(out_bytes, (size_t)rp.r.mm * rp.r.tt * TS_HW_COLS * prog.ebytes);
  L->out[0].assign(out_bytes, 0);
  L->out[1].assign(out_bytes, 0);
  const uint64_t y_bytes = (uint64_t)m * n * prog.ebytes;
  L->limit_cycles = o.max_cycles ? o.max_cycles : default_limit(prog, o, y_bytes);

  top->dram.configure(o.dram_bytes_per_cycle, o.dram_latency, period);
  top->dram.place(prog.image, L->base, o.dram_bytes);  // with X: the host wrote it
  if (env.out) top->dram.place(env.out->prog.image, env.out->base, o.dram_bytes);
  SysLayer *lp = L.get();
  // The Verilated eval() needs far more stack than SystemC's default for a
  // thread (64 KiB here; an overflow silently corrupted the heap).
  sc_core::sc_spawn_options big;
  big.set_stack_size(16 << 20);
  sc_core::sc_spawn([top, lp] { top->accel.layer_thread(lp); }, "accel_ctrl", &big);
  sc_core::sc_spawn([top, lp] { top->dma.in_thread(lp); }, "dma_in");
  sc_core::sc_spawn([top, lp] { top->dma.out_thread(lp); }, "dma_out");
  sc_core::sc_start(period * (double)L->limit_cycles, sc_core::SC_EXIT_ON_STARVATION);
  if (L->st == TS_OK && !(L->accel_done && L->out_done))
    L->fail(TS_E_HW,
            "sys: layer %s stalled: not finished within %llu cycles (--max-cycles); the "
            "accelerator was waiting for %s",
            name, (unsigned long long)L->limit_cycles, L->waiting.c_str());
  if (L->st != TS_OK) {
    // Let the aborted threads return before L goes.
    if (sc_core::sc_pending_activity()) sc_core::sc_start();
    if (err) *err = L->err;
    return L->st;
  }

  // Y from DRAM, as ts_int_gemm_run gives it.
  const uint8_t *yd = top->dram.contents().data() + L->base + prog.y_base;
  for (size_t i = 0; i < (size_t)m * n; i++) {
    if (prog.ebytes == 8)
      std::memcpy(&y[i], yd + 8 * i, 8);
    else
      y[i] = out_mode == TS_INT_OUT_S8 ? (int64_t)(int8_t)yd[i] : (int64_t)yd[i];
  }
  if (env.out) env.out->compute = L->compute;
  if (rep) {
    const auto cyc = [&](sc_time t) { return (uint64_t)std::llround(t / period); };
    *rep = ts_sys_report{};
    const sc_time end = std::max(L->accel_end, L->out_end);
    rep->total_cycles = cyc(end - L->t0);
    rep->compute_cycles = L->hw.cycles;
    rep->run_cycles = cyc(L->run);
    rep->port_cycles = cyc(L->port);
    rep->readback_cycles = cyc(L->readback);
    // This layer's transfers: its prefetched chunks' (during the previous
    // layer, overlapping that layer's compute) and its own.
    Intervals xfer, comp;
    if (env.in) {
      xfer = env.in->xfer;
      comp = env.in->compute;
      std::copy(env.in->bytes, env.in->bytes + TS_SYS_KINDS, rep->bytes);
      rep->prefetch_cycles = cyc(overlap(env.in->xfer, {{sc_core::SC_ZERO_TIME, L->t0}}));
      rep->prefetched = env.in->moved;
    }
    for (const auto &i : L->xfer) sys_intervals_add(&xfer, i.first, i.second);
    comp.insert(comp.end(), L->compute.begin(), L->compute.end());
    rep->transfer_cycles = cyc(length(xfer));
    rep->overlap_cycles = cyc(overlap(xfer, comp));
    rep->stall_data = cyc(L->stall_data);
    rep->stall_out = cyc(L->stall_out);
    rep->stall_dma = cyc(L->stall_dma);
    rep->tail_cycles = L->out_end > L->accel_end ? cyc(L->out_end - L->accel_end) : 0;
    for (int k = 0; k < TS_SYS_KINDS; k++) rep->bytes[k] += L->bytes[k];
    rep->runs = prog.runs.size();
    rep->chunks = prog.chunks.size();
    rep->hw = L->hw;
    rep->hw.plan_cycles = prog.plan_cycles;
    rep->hw.host_cycles = rep->port_cycles;
    const uint64_t port = rep->port_cycles + rep->readback_cycles;
    const uint64_t dram = rep->transfer_cycles - rep->prefetch_cycles;  // in this layer's time
    rep->bound = dram > std::max(rep->compute_cycles, port) ? TS_SYS_BOUND_DRAM
                 : port > rep->compute_cycles                               ? TS_SYS_BOUND_PORT
                                                                            : TS_SYS_BOUND_COMPUTE;
  }
  return TS_OK;
}
