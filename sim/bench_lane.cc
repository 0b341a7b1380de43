// One array row (tessera_lane) simulated alone: its simulated cycles per
// second bound the whole array's, since every lane is evaluated on every
// clock edge whether it works or not (docs/hw.md, "Not done yet").
//
//   make hw-bench-lane
//
// The lane runs jobs of conv1's shape at B = 8 back to back (K = 75,
// 20 tiles a job, a filter reload per job), results taken as they appear.
#include <verilated.h>

#include <chrono>
#include <cstdio>

#include "Vtessera_lane.h"
#include "ts_hw_params.h"

int main() {
  VerilatedContext ctx;
  Vtessera_lane lane(&ctx);
  auto tick = [&] {
    lane.clk_i = 0;
    lane.eval();
    lane.clk_i = 1;
    lane.eval();
  };
  lane.rst_ni = 0;
  tick();
  lane.rst_ni = 1;
  lane.cfg_k_i = 75;
  lane.cfg_tiles_i = 49;
  lane.cfg_last_cols_i = TS_HW_COLS;
  lane.cfg_wbits_i = 8;
  lane.cfg_wpw_i = TS_HW_WPORT_BITS / 8;
  lane.cfg_wrow_i = (75 + 7) / 8;
  lane.cfg_act_signed_i = 0;
  lane.clear_i = 0;
  lane.wgnt_i = 1;  // the weight port is the lane's alone here
  lane.wdata_i = 0x0102030405060708ULL;
  for (int i = 0; i < TS_HW_COLS / 4; i++) lane.adata_i[i] = 0x01020304u * (unsigned)(i + 1);

  const long cycles = 4000000;
  long macs = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (long c = 0; c < cycles; c++) {
    lane.job_valid_i = lane.idle_o;
    lane.job_m_i = (c >> 4) & 3;  // a different filter each job: reloads
    lane.job_t_i = 0;
    lane.job_count_i = 20;
    lane.job_row_i = 0;
    lane.job_wbase_i = 0;
    lane.res_take_i = lane.res_valid_o;
    macs += lane.mac_cols_o;
    tick();
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (ctx.gotError()) {
    std::fprintf(stderr, "bench_lane: the lane reported an assertion failure\n");
    return 1;
  }
  std::printf("one lane (%d PEs): %ld cycles in %.2f s = %.2f M cycles/s, %.1f%% of them MAC cycles\n",
              TS_HW_COLS, cycles, s, cycles / s / 1e6, 100.0 * macs / ((double)cycles * TS_HW_COLS));
  std::printf("=> %d lanes evaluated every edge: at most %.2f M cycles/s for the array, before the controller\n",
              TS_HW_ROWS, cycles / s / 1e6 / TS_HW_ROWS);
  return 0;
}
