// make sys-bench: simulated cycles per CPU second of the system model next
// to the bare array (issue 12's goal: at most 25% more time per cycle).
// Same layers (conv1, conv2, fc1 of the default CNN at B = 8, random
// values) on both: the bare harness with every load through the host port
// (ts_hw_opts.port_loads), the system model at infinite bandwidth and zero
// latency, so both clock the RTL for the same writes and compute; the
// system adds one cycle per result row read back, the DMA and the kernel.
//   build/hw/sys/bench_sys [reps]
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <vector>

#include "ts_hw.h"
#include "ts_int.h"
#include "ts_rng.h"
#include "ts_sys.h"

namespace {

struct Layer {
  const char *name;
  int m, k, n;
  std::vector<int32_t> w, mult;
  std::vector<int64_t> bias;
  std::vector<uint8_t> shift, x;
  ts_int_gemm g;
};

double cpu_s() { return (double)std::clock() / CLOCKS_PER_SEC; }

}  // namespace

int main(int argc, char **argv) {
  const int reps = argc > 1 ? std::atoi(argv[1]) : 3;
  Layer L[] = {{"conv1", 6, 75, 784, {}, {}, {}, {}, {}, {}},
               {"conv2", 16, 150, 100, {}, {}, {}, {}, {}, {}},
               {"fc1", 120, 400, 1, {}, {}, {}, {}, {}, {}}};
  ts_rng r;
  ts_rng_seed(&r, 1);
  for (Layer &l : L) {
    l.w.resize((size_t)l.m * l.k);
    for (auto &v : l.w) v = (int32_t)ts_rng_below(&r, 256) - 128;
    l.x.resize((size_t)l.k * l.n);
    for (auto &v : l.x) v = (uint8_t)ts_rng_below(&r, 256);
    l.bias.assign(l.m, 0);
    l.mult.assign(l.m, 1 << 14);
    l.shift.assign(l.m, 24);
    l.g = {l.m, l.k, l.n, 8, 0, TS_INT_OUT_U8, l.w.data(), l.bias.data(), l.mult.data(),
           l.shift.data()};
  }
  ts_error err = {};
  ts_hw_opts ho = {};
  ho.port_loads = 1;
  ts_hw *hw = nullptr;
  ts_sys_opts so;
  ts_sys_opts_default(&so);
  so.dram_bytes_per_cycle = INFINITY;
  so.dram_latency = 0;
  ts_sys *sys = nullptr;
  if (ts_hw_create(&ho, &hw, &err) != TS_OK || ts_sys_create(&so, &sys, &err) != TS_OK) {
    std::fprintf(stderr, "bench_sys: %s\n", err.msg);
    return 1;
  }
  std::printf("%-6s %12s %9s %10s %12s %9s %10s %8s\n", "layer", "bare cycles", "CPU s",
              "M cyc/s", "sys cycles", "CPU s", "M cyc/s", "time/cyc");
  double tb = 0, ts = 0;
  uint64_t cb = 0, cs = 0;
  for (Layer &l : L) {
    std::vector<int64_t> y((size_t)l.m * l.n);
    const uint64_t h0 = ts_hw_sim_cycles(hw), s0 = ts_sys_cycles(sys);
    double t0 = cpu_s();
    for (int i = 0; i < reps; i++)
      if (ts_hw_gemm(hw, &l.g, l.x.data(), y.data(), nullptr, &err) != TS_OK) break;
    const double b_s = cpu_s() - t0;
    t0 = cpu_s();
    for (int i = 0; i < reps; i++)
      if (ts_sys_gemm(sys, l.name, &l.g, nullptr, l.x.data(), y.data(), nullptr, &err) != TS_OK)
        break;
    const double s_s = cpu_s() - t0;
    if (err.status) {
      std::fprintf(stderr, "bench_sys: %s\n", err.msg);
      return 1;
    }
    const uint64_t bc = ts_hw_sim_cycles(hw) - h0, sc = ts_sys_cycles(sys) - s0;
    std::printf("%-6s %12llu %9.3f %10.3f %12llu %9.3f %10.3f %7.2fx\n", l.name,
                (unsigned long long)bc, b_s, bc / b_s / 1e6, (unsigned long long)sc, s_s,
                sc / s_s / 1e6, (s_s / sc) / (b_s / bc));
    tb += b_s, ts += s_s, cb += bc, cs += sc;
  }
  std::printf("%-6s %12llu %9.3f %10.3f %12llu %9.3f %10.3f %7.2fx\n", "all",
              (unsigned long long)cb, tb, cb / tb / 1e6, (unsigned long long)cs, ts,
              cs / ts / 1e6, (ts / cs) / (tb / cb));
  std::printf("(time/cyc: the system model's CPU time per simulated cycle over the bare "
              "array's; goal <= 1.25x)\n");
  ts_hw_destroy(hw);
  ts_sys_destroy(sys);
  return 0;
}
