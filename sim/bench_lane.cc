// One array row (tessera_lane) simulated alone, fed from registers by
// sim/tessera_lane_bench.sv: its simulated cycles per second bound the
// whole array's, since every lane is evaluated on every clock edge whether
// it works or not (docs/hw.md, "Not done yet").
//
//   make hw-bench-lane
#include <verilated.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "Vtessera_lane_bench.h"
#include "ts_hw_params.h"

int main(int argc, char **argv) {
  const long cycles = argc > 1 ? std::atol(argv[1]) : 4000000;
  if (cycles <= 0) {
    std::fprintf(stderr, "usage: bench_lane [cycles > 0]\n");
    return 2;
  }
  VerilatedContext ctx;
  Vtessera_lane_bench bench(&ctx);
  auto tick = [&] {
    bench.clk_i = 0;
    bench.eval();
    bench.clk_i = 1;
    bench.eval();
  };
  bench.rst_ni = 0;
  tick();
  bench.rst_ni = 1;
  const auto t0 = std::chrono::steady_clock::now();
  for (long c = 0; c < cycles; c++) tick();
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (ctx.gotError()) {
    std::fprintf(stderr, "bench_lane: the lane reported an assertion failure\n");
    return 1;
  }
  std::printf("one lane (%d PEs, conv1 at B = 8): %ld cycles in %.2f s = %.2f M cycles/s; "
              "%.1f%% MAC-busy, %llu tile results (check %016llx)\n",
              TS_HW_COLS, cycles, s, cycles / s / 1e6,
              100.0 * (double)bench.macs_o / ((double)cycles * TS_HW_COLS),
              (unsigned long long)bench.results_o, (unsigned long long)bench.check_o);
  std::printf("=> %d lanes, each evaluated every edge: at most %.2f M cycles/s for the array, "
              "before the controller\n",
              TS_HW_ROWS, cycles / s / 1e6 / TS_HW_ROWS);
  return 0;
}
