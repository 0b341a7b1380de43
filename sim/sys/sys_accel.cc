// The accelerator module of the system model (sys_accel.h).
// Verilator's headers first: the model is built without SystemC (VM_SC=0),
// and verilated.h takes SystemC's time functions when it sees SystemC.
#include <verilated.h>

#include "Vtessera_top.h"
// (a blank line keeps the order above)
#include "sys_accel.h"

#include <algorithm>
#include <cstring>

#include "ts_hw_params.h"
#include "ts_hw_words.h"

using sc_core::sc_time;
using sc_core::SC_ZERO_TIME;

namespace {

constexpr int kHostWords = TS_HW_HOST_BITS / 32;  // host data, 32-bit words

}  // namespace

SysAccel::SysAccel(sc_core::sc_module_name name) : sc_module(name) {}
SysAccel::~SysAccel() { detach(); }

ts_status SysAccel::attach(ts_error *err) {
  detach();
  ctx_.reset(new VerilatedContext);
  ctx_->fatalOnError(false);  // an assertion becomes TS_E_HW, not an exit
  ctx_->fatalOnVpiError(false);
  ctx_->randReset(0);
  top_.reset(new Vtessera_top(ctx_.get(), "tessera"));
  top_->rst_ni = 0;
  top_->start_i = 0;
  top_->host_we_i = 0;
  tick();
  tick();
  top_->rst_ni = 1;
  tick();
  if (ctx_->gotError()) return ts_fail(err, TS_E_HW, "sys create: the RTL failed at reset");
  return TS_OK;
}

void SysAccel::detach() {
  // Verilator destroys a model's scopes through the thread's current
  // context, which any later VerilatedContext (a ts_hw, say) replaced and
  // may have freed: make it this model's again first (else a hang).
  if (ctx_) Verilated::threadContextp(ctx_.get());
  if (top_) top_->final();
  top_.reset();
  ctx_.reset();
}

bool SysAccel::failed() const { return !ctx_ || ctx_->gotError(); }

void SysAccel::tick() {
  top_->clk_i = 0;
  top_->eval();
  ctx_->timeInc(1);
  top_->clk_i = 1;
  top_->eval();
  ctx_->timeInc(1);
  clocks_++;
}

void SysAccel::host_write(int sel, int addr, const uint8_t *data, int bytes) {
  top_->host_we_i = 1;
  top_->host_sel_i = (uint8_t)sel;
  top_->host_addr_i = (uint16_t)addr;
  uint32_t w[kHostWords] = {};
  std::memcpy(w, data, (size_t)std::min(bytes, kHostWords * 4));  // little-endian, zero padded
  for (int i = 0; i < kHostWords; i++) top_->host_wdata_i[i] = w[i];
  tick();
  top_->host_we_i = 0;
}

bool SysAccel::run_array(SysLayer *L, size_t ri, uint64_t *ticks) {
  const uint64_t t0 = clocks_;
  top_->start_i = 1;
  tick();
  top_->start_i = 0;
  while (top_->busy_o) {
    tick();
    if (ctx_->gotError()) {
      L->fail(TS_E_HW, "sys: layer %s: an RTL assertion failed in run %zu (see stderr)",
              L->name.c_str(), ri);
      return false;
    }
    if (clocks_ - t0 > L->limit_cycles) {
      L->fail(TS_E_HW, "sys: layer %s stalled: run %zu of the array did not finish within %llu "
                       "cycles (--max-cycles)",
              L->name.c_str(), ri, (unsigned long long)L->limit_cycles);
      return false;
    }
  }
  *ticks = clocks_ - t0;
  ts_hw_counters &c = L->hw;
  c.cycles += top_->cnt_cycles_o;
  c.macs += top_->cnt_macs_o;
  c.useful_macs += top_->cnt_nz_macs_o;
  c.skipped += top_->cnt_skipped_o;
  c.wport_cycles += top_->cnt_wport_o;
  c.lane_run += top_->cnt_lane_run_o;
  c.lane_load += top_->cnt_lane_load_o;
  c.lane_stall += top_->cnt_lane_stall_o;
  c.lane_idle += top_->cnt_lane_idle_o;
  c.tiles += top_->cnt_tiles_o;
  c.runs++;
  return true;
}

// Rows m * tiles + t of the output buffer, as Y's rows: [i][cols] of ebytes
// (the requantized byte, or the 64-bit accumulator).
void SysAccel::read_results(SysLayer *L, size_t ri, uint8_t *dst) {
  const SysProgram &p = *L->prog;
  const HwRun &r = p.runs[ri].r;
  const uint64_t n0 = (uint64_t)r.t0 * TS_HW_COLS;
  const int cols = (int)std::min<uint64_t>((uint64_t)r.tt * TS_HW_COLS, L->out_n - n0);
  for (int i = 0; i < r.mm; i++)
    for (int t = 0; t < r.tt; t++) {
      top_->host_raddr_i = (uint16_t)(i * r.tt + t);
      top_->eval();
      for (int c = 0; c < TS_HW_COLS && t * TS_HW_COLS + c < cols; c++) {
        const int64_t v = ts_hw_field_signed(top_->host_rdata_o, c * TS_HW_ACC_BITS, TS_HW_ACC_BITS);
        std::memcpy(dst + ((size_t)i * cols + t * TS_HW_COLS + c) * p.ebytes, &v,
                    (size_t)p.ebytes);  // little-endian: the low byte for 1
      }
    }
}

void SysAccel::layer_thread(SysLayer *L) {
  Verilated::threadContextp(ctx_.get());  // assertions report to this model's context
  const SysProgram &p = *L->prog;
  sc_time lt = SC_ZERO_TIME;  // local time ahead of the kernel
  auto sync = [&] {
    if (lt > SC_ZERO_TIME) wait(lt);
    lt = SC_ZERO_TIME;
  };
  const auto now = [] { return sc_core::sc_time_stamp(); };
  char what[96];
  for (size_t ri = 0; ri < p.runs.size(); ri++) {
    const SysRunProg &rp = p.runs[ri];
    for (size_t c = rp.chunk0; c < rp.chunk0 + rp.nchunks; c++) {
      sync();
      SysProbes &P = *L->probes;
      P.run = (unsigned)ri;
      P.chunk = (unsigned)c;
      if (!L->ready[c] || L->ready_at[c] > now()) {
        P.accel_state = SYS_ACC_WAIT_DATA;
        snprintf(what, sizeof what, "input chunk %zu of run %zu from the DMA", c, ri);
        L->waiting = what;
        const sc_time t = now();
        while (!L->ready[c] && !L->abort) wait(L->ev_ready);
        if (L->ready_at[c] > now()) wait(L->ready_at[c] - now());  // a prefetch in flight
        L->stall_data += now() - t;
      }
      if (L->abort) return;
      const SysChunk &ch = p.chunks[c];
      const int bi = (int)((L->bank0 + c) % 2);
      const uint8_t *bank = L->banks->data[bi].data();
      P.accel_state = SYS_ACC_PORT;
      for (size_t i = ch.first; i < ch.first + ch.count; i++) {
        const SysItem &it = p.items[i];
        host_write(it.sel, it.addr, bank + it.bank_off, it.bytes);
      }
      lt += L->period * (double)ch.count;
      L->port += L->period * (double)ch.count;
      sync();
      L->banks->free[bi] = true;
      P.bank_full[bi] = false;
      L->ev_bank_free.notify();
    }
    if (ctx_->gotError()) {
      L->fail(TS_E_HW, "sys: layer %s: an RTL assertion failed while loading run %zu",
              L->name.c_str(), ri);
      return;
    }
    uint64_t ticks = 0;
    L->probes->accel_state = SYS_ACC_RUN;
    if (!run_array(L, ri, &ticks)) return;
    L->port += L->period;  // the start pulse is a port write
    L->run += L->period * (double)(ticks - 1);
    L->compute.push_back({now() + lt + L->period, now() + lt + L->period * (double)ticks});
    lt += L->period * (double)ticks;
    // Results into result bank ri % 2 once the DMA has emptied it.
    sync();
    const int b = (int)(ri % 2);
    if (L->out_run[b] != -1) {
      L->probes->accel_state = SYS_ACC_WAIT_OUT;
      snprintf(what, sizeof what, "result bank %d to be written to DRAM (run %zu)", b, ri);
      L->waiting = what;
      const sc_time t = now();
      while (L->out_run[b] != -1 && !L->abort) wait(L->ev_out_free);
      L->stall_out += now() - t;
      if (L->abort) return;
    }
    L->probes->accel_state = SYS_ACC_READBACK;
    read_results(L, ri, L->out[b].data());
    const double rows = (double)rp.r.mm * rp.r.tt;  // one output-buffer row a cycle
    lt += L->period * rows;
    L->readback += L->period * rows;
    sync();
    L->out_run[b] = (long)ri;
    L->ev_out_full.notify();
  }
  sync();
  L->waiting = "the DMA to write the last results";
  L->accel_end = now();
  L->accel_done = true;
  L->probes->accel_state = SYS_ACC_IDLE;
}
