// The SystemC/TLM-2.0 system model (sim/sys/ts_sys.h) against the
// standalone Verilator harness (sim/ts_hw.h) and the golden model
// (models/int/ts_int.c): outputs bit for bit, compute cycles exactly, and
// the DRAM / DMA timing against what the bytes and bandwidth imply.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "../rtl/hw_layer.h"
#include "ts_hw.h"
#include "ts_rng.h"
#include "ts_sparse.h"
#include "ts_sys.h"

namespace {

// One ts_sys at a time (SystemC has one kernel per process).
struct Sys {
  ts_sys *s = nullptr;
  ts_error err = {};
  explicit Sys(const ts_sys_opts *o = nullptr) {
    EXPECT_EQ(ts_sys_create(o, &s, &err), TS_OK) << err.msg;
  }
  ~Sys() { ts_sys_destroy(s); }
};

ts_sys_opts opts(double bw, uint32_t lat) {
  ts_sys_opts o;
  ts_sys_opts_default(&o);
  o.dram_bytes_per_cycle = bw;
  o.dram_latency = lat;
  return o;
}

uint64_t total_bytes(const ts_sys_report &r) {
  uint64_t b = 0;
  for (int k = 0; k < TS_SYS_KINDS; k++) b += r.bytes[k];
  return b;
}

// Runs L on the system (sparse: compressed filters) and checks Y against
// the golden model and the standalone harness, and the array's counters
// against the harness's (the same runs and jobs, so the same cycles).
::testing::AssertionResult check_sys(ts_sys *sys, const Layer &L, bool sparse,
                                     ts_sys_report *rep) {
  ts_int_gemm g = L.desc();
  const size_t ny = (size_t)L.m * L.n;
  std::vector<int64_t> want(ny), hw_y(ny, -777), got(ny, -777);
  ts_error err = {};
  const std::string what = describe(0, L, sparse);
  if (ts_int_gemm_run(&g, L.x.data(), want.data(), &err) != TS_OK)
    return ::testing::AssertionFailure() << what << ": golden: " << err.msg;
  ts_hw *hw = nullptr;
  if (ts_hw_create(nullptr, &hw, &err) != TS_OK)
    return ::testing::AssertionFailure() << "hw create: " << err.msg;
  ts_hw_counters hc = {};
  ts_status st = sparse ? ts_hw_gemm_sparse(hw, &g, nullptr, L.x.data(), hw_y.data(), &hc, &err)
                        : ts_hw_gemm(hw, &g, L.x.data(), hw_y.data(), &hc, &err);
  ts_hw_destroy(hw);
  if (st != TS_OK) return ::testing::AssertionFailure() << what << ": hw: " << err.msg;
  ts_sparse *sp = nullptr;
  if (sparse && ts_sparse_pack(g.w, g.m, g.k, g.wbits, &sp, &err) != TS_OK)
    return ::testing::AssertionFailure() << what << ": pack: " << err.msg;
  st = ts_sys_gemm(sys, "test", &g, sp, L.x.data(), got.data(), rep, &err);
  ts_sparse_destroy(sp);
  if (st != TS_OK) return ::testing::AssertionFailure() << what << ": sys: " << err.msg;
  for (size_t i = 0; i < ny; i++)
    if (got[i] != want[i] || hw_y[i] != want[i])
      return ::testing::AssertionFailure()
             << what << ": first mismatch at y[" << i / L.n << "][" << i % L.n
             << "]: golden " << want[i] << ", system " << got[i] << " (diff "
             << got[i] - want[i] << "), standalone " << hw_y[i];
  const ts_hw_counters &c = rep->hw;
  if (c.cycles != hc.cycles || c.macs != hc.macs || c.wport_cycles != hc.wport_cycles ||
      c.tiles != hc.tiles || c.runs != hc.runs || rep->compute_cycles != hc.cycles)
    return ::testing::AssertionFailure()
           << what << ": counters cycles/macs/wport/tiles/runs system " << c.cycles << "/"
           << c.macs << "/" << c.wport_cycles << "/" << c.tiles << "/" << c.runs
           << ", standalone " << hc.cycles << "/" << hc.macs << "/" << hc.wport_cycles << "/"
           << hc.tiles << "/" << hc.runs;
  // The accelerator's timeline is made of its parts, nothing else.
  const uint64_t parts = rep->port_cycles + rep->run_cycles + rep->readback_cycles +
                         rep->stall_data + rep->stall_out + rep->tail_cycles;
  if (parts != rep->total_cycles)
    return ::testing::AssertionFailure() << what << ": total " << rep->total_cycles
                                         << " != sum of the parts " << parts;
  return ::testing::AssertionSuccess();
}

struct Shape {
  int m, k, n;
};
// conv1, conv2, fc1 of the default CNN; two runs by the activation buffer;
// three runs by the weight memory (K = 2048 at B = 16).
const Shape kShapes[] = {{6, 75, 784}, {16, 150, 100}, {120, 400, 1}, {40, 300, 300},
                         {70, 2048, 3}};

TEST(HwSys, OutputsEqualStandaloneAndGoldenDense) {
  ts_sys_opts o = opts(8, 50);
  Sys S(&o);
  ts_rng r;
  ts_rng_seed(&r, 12);
  int i = 0;
  for (const Shape &sh : kShapes)
    for (int b : {2, 4, 8, 16}) {
      if (sh.k == 2048 && b != 16) continue;  // the weight-memory case is B = 16
      const ts_int_out out = (ts_int_out)(i % 3);
      Layer L = make_layer(&r, sh.m, sh.k, sh.n, b, i % 2, out, Fill::Random, Fill::Random);
      ts_sys_report rep = {};
      ASSERT_TRUE(check_sys(S.s, L, false, &rep));
      i++;
    }
}

TEST(HwSys, OutputsEqualStandaloneAndGoldenSparse) {
  Sys S;
  ts_rng r;
  ts_rng_seed(&r, 13);
  for (int b : {2, 4, 8})
    for (double s : {0.5, 0.9}) {
      Layer L = make_layer(&r, 40, 300, 20, b, 0, TS_INT_OUT_U8, Fill::Random, Fill::Random);
      sparsify(&r, &L, s);
      ts_sys_report rep = {};
      ASSERT_TRUE(check_sys(S.s, L, true, &rep));
      // Compressed weights are what the DMA moves: the words of the packing.
      ts_sparse_size z = {};
      ts_error err = {};
      ASSERT_EQ(ts_sparse_size_of(L.w.data(), L.m, L.k, L.wbits, &z, &err), TS_OK);
      EXPECT_EQ(rep.bytes[TS_SYS_WEIGHTS], 8 * (uint64_t)z.words) << describe(0, L, true);
    }
}

// Infinite bandwidth and no latency: the system's accelerator timeline is
// the standalone harness's with every load through the host port, plus one
// cycle per result row read back; nothing stalls.
TEST(HwSys, InfiniteBandwidthMatchesStandaloneCycles) {
  ts_sys_opts o = opts(INFINITY, 0);
  Sys S(&o);
  ts_rng r;
  ts_rng_seed(&r, 14);
  for (const Shape &sh : kShapes) {
    Layer L = make_layer(&r, sh.m, sh.k, sh.n, 8, 0, TS_INT_OUT_U8, Fill::Random, Fill::Random);
    ts_sys_report rep = {};
    ASSERT_TRUE(check_sys(S.s, L, false, &rep));
    ts_hw_opts ho = {};
    ho.port_loads = 1;
    ts_hw *hw = nullptr;
    ts_error err = {};
    ASSERT_EQ(ts_hw_create(&ho, &hw, &err), TS_OK) << err.msg;
    const uint64_t c0 = ts_hw_sim_cycles(hw);
    ts_int_gemm g = L.desc();
    std::vector<int64_t> y((size_t)L.m * L.n);
    ts_hw_counters hc = {};
    ASSERT_EQ(ts_hw_gemm(hw, &g, L.x.data(), y.data(), &hc, &err), TS_OK) << err.msg;
    const uint64_t standalone = ts_hw_sim_cycles(hw) - c0;
    ts_hw_destroy(hw);
    EXPECT_EQ(rep.port_cycles + rep.run_cycles, standalone) << describe(0, L);
    EXPECT_EQ(rep.compute_cycles, hc.cycles) << describe(0, L);
    EXPECT_EQ(rep.stall_data + rep.stall_out + rep.tail_cycles, 0u) << describe(0, L);
    EXPECT_EQ(rep.transfer_cycles, 0u);
  }
}

// Finite bandwidth: the time is never below bytes / bandwidth, nor below
// the array's compute cycles; the DMA overlaps transfers with compute.
TEST(HwSys, FiniteBandwidthBounds) {
  ts_rng r;
  ts_rng_seed(&r, 15);
  for (double bw : {0.5, 2.0, 16.0}) {
    ts_sys_opts o = opts(bw, 100);
    o.bank_bytes = 4096;  // several chunks a run: double buffering at work
    Sys S(&o);
    for (const Shape &sh : kShapes) {
      if (sh.k == 2048) continue;
      Layer L = make_layer(&r, sh.m, sh.k, sh.n, 4, 0, TS_INT_OUT_U8, Fill::Random, Fill::Random);
      ts_sys_report rep = {};
      ASSERT_TRUE(check_sys(S.s, L, false, &rep));
      const std::string what = describe(0, L) + " bw=" + std::to_string(bw);
      const double floor_bytes = (double)total_bytes(rep) / bw;
      EXPECT_GE((double)rep.total_cycles, floor_bytes) << what;
      EXPECT_GE(rep.total_cycles, rep.compute_cycles) << what;
      EXPECT_NEAR((double)rep.transfer_cycles, floor_bytes, 1.0 + floor_bytes * 1e-9) << what;
      EXPECT_LE(rep.overlap_cycles, std::min(rep.transfer_cycles, rep.run_cycles)) << what;
    }
  }
}

// Two runs (the activation buffer holds K x 13 tiles): the second run's
// inputs arrive while the first computes, so the layer takes less than
// loading, computing and transferring one after the other.
TEST(HwSys, DoubleBufferingOverlapsTransfersWithCompute) {
  ts_sys_opts o = opts(2, 100);
  o.bank_bytes = 8192;
  Sys S(&o);
  ts_rng r;
  ts_rng_seed(&r, 16);
  Layer L = make_layer(&r, 40, 300, 300, 8, 0, TS_INT_OUT_U8, Fill::Random, Fill::Random);
  ts_sys_report rep = {};
  ASSERT_TRUE(check_sys(S.s, L, false, &rep));
  EXPECT_EQ(rep.runs, 2u);
  EXPECT_GT(rep.overlap_cycles, 0u);
  const uint64_t serial = rep.port_cycles + rep.run_cycles + rep.readback_cycles +
                          rep.transfer_cycles;
  EXPECT_LT(rep.total_cycles, serial) << "overlap " << rep.overlap_cycles;
  printf("double buffering: total %llu, serial %llu, overlap %llu, stall data %llu, dma %llu\n",
         (unsigned long long)rep.total_cycles, (unsigned long long)serial,
         (unsigned long long)rep.overlap_cycles, (unsigned long long)rep.stall_data,
         (unsigned long long)rep.stall_dma);
}

// fc1 (one image) is DRAM-bound at low bandwidth: halving the bandwidth
// doubles its time within 10% (the fixed port and compute parts overlap).
TEST(HwSys, HalvingBandwidthDoublesMemoryBoundLayer) {
  ts_rng r;
  ts_rng_seed(&r, 17);
  Layer L = make_layer(&r, 120, 400, 1, 8, 0, TS_INT_OUT_U8, Fill::Random, Fill::Random);
  uint64_t t[2] = {};
  for (int i = 0; i < 2; i++) {
    ts_sys_opts o = opts(i == 0 ? 1.0 : 0.5, 100);
    Sys S(&o);
    ts_sys_report rep = {};
    ASSERT_TRUE(check_sys(S.s, L, false, &rep));
    EXPECT_EQ(rep.bound, TS_SYS_BOUND_DRAM) << "bw " << o.dram_bytes_per_cycle;
    t[i] = rep.total_cycles;
  }
  const double ratio = (double)t[1] / (double)t[0];
  EXPECT_NEAR(ratio, 2.0, 0.2) << "fc1 at 1 B/cycle " << t[0] << " cycles, at 0.5 " << t[1];
}

TEST(HwSys, BadConfigurationsAreClearErrors) {
  ts_sys *s = nullptr;
  ts_error err = {};
  for (double bw : {0.0, -1.0, (double)NAN}) {
    ts_sys_opts o = opts(bw, 10);
    EXPECT_EQ(ts_sys_create(&o, &s, &err), TS_E_ARG) << bw;
    EXPECT_NE(std::string(err.msg).find("bandwidth"), std::string::npos) << err.msg;
    EXPECT_EQ(s, nullptr);
  }
  ts_sys_opts o = opts(4, 10);
  o.clock_mhz = 0;
  EXPECT_EQ(ts_sys_create(&o, &s, &err), TS_E_ARG);
  EXPECT_NE(std::string(err.msg).find("clock"), std::string::npos) << err.msg;
  o = opts(4, 10);
  o.bank_bytes = 8;
  EXPECT_EQ(ts_sys_create(&o, &s, &err), TS_E_ARG);
  EXPECT_NE(std::string(err.msg).find("bank"), std::string::npos) << err.msg;

  ts_rng r;
  ts_rng_seed(&r, 18);
  Layer L = make_layer(&r, 6, 75, 40, 16, 0, TS_INT_OUT_U8, Fill::Random, Fill::Random);
  ts_int_gemm g = L.desc();
  std::vector<int64_t> y((size_t)L.m * L.n);
  {  // A bank smaller than one filter (75 weights at B = 16: 19 words, 152 bytes).
    o = opts(4, 10);
    o.bank_bytes = 128;
    Sys S(&o);
    EXPECT_EQ(ts_sys_gemm(S.s, "conv1", &g, nullptr, L.x.data(), y.data(), nullptr, &err),
              TS_E_ARG);
    EXPECT_NE(std::string(err.msg).find("conv1: filter 0 is 152 bytes"), std::string::npos)
        << err.msg;
    // A second handle while one lives.
    EXPECT_EQ(ts_sys_create(nullptr, &s, &err), TS_E_ARG);
    EXPECT_NE(std::string(err.msg).find("already"), std::string::npos) << err.msg;
  }
  {  // A DMA descriptor past the DRAM: named, and the handle refuses more.
    o = opts(4, 10);
    o.dram_bytes = 1024;
    Sys S(&o);
    EXPECT_EQ(ts_sys_gemm(S.s, "conv1", &g, nullptr, L.x.data(), y.data(), nullptr, &err),
              TS_E_HW);
    EXPECT_NE(std::string(err.msg).find("layer conv1: DMA read"), std::string::npos) << err.msg;
    EXPECT_EQ(ts_sys_gemm(S.s, "conv2", &g, nullptr, L.x.data(), y.data(), nullptr, &err),
              TS_E_HW);
    EXPECT_NE(std::string(err.msg).find("error state"), std::string::npos) << err.msg;
  }
  {  // A cycle limit the layer cannot meet: it says which layer stalled.
    o = opts(0.01, 1000);
    o.max_cycles = 5000;
    Sys S(&o);
    EXPECT_EQ(ts_sys_gemm(S.s, "fc1", &g, nullptr, L.x.data(), y.data(), nullptr, &err),
              TS_E_HW);
    EXPECT_NE(std::string(err.msg).find("layer fc1 stalled"), std::string::npos) << err.msg;
    EXPECT_NE(std::string(err.msg).find("input chunk 0"), std::string::npos) << err.msg;
  }
  {  // The handle is usable again after a bad layer descriptor.
    Sys S;
    ts_int_gemm bad = g;
    bad.wbits = 17;
    EXPECT_EQ(ts_sys_gemm(S.s, "x", &bad, nullptr, L.x.data(), y.data(), nullptr, &err),
              TS_E_ARG);
    ts_sys_report rep = {};
    EXPECT_TRUE(check_sys(S.s, L, false, &rep));
  }
}

}  // namespace
