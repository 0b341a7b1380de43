// Equivalence of the RTL (through sim/ts_hw.h) with the C golden model
// (models/int/ts_int.h): every output bit-exact, for random and extreme layers.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "hw_layer.h"
#include "ts_hw.h"
#include "ts_int.h"
#include "ts_rng.h"

namespace {

using HwGemm = HwFixture;

TEST_F(HwGemm, SmallLayerEveryMode) {
  ts_rng r;
  ts_rng_seed(&r, 1);
  for (ts_int_out out : {TS_INT_OUT_ACC, TS_INT_OUT_U8, TS_INT_OUT_S8})
    for (int sgn = 0; sgn <= 1; sgn++) {
      Layer L = make_layer(&r, 3, 5, 7, 8, sgn, out, Fill::Random, Fill::Random);
      EXPECT_TRUE(check_layer(hw_, 1, L));
    }
}

// Thousands of random shapes: every B, both activation signs, every output
// mode, sizes from 1 to a few array widths (edges and non-multiples).
TEST_F(HwGemm, RandomShapesEveryWidth) {
  const uint64_t seeds[] = {11, 22, 33, 44, 55};
  const int per_width = 40;
  int cases = 0;
  for (uint64_t seed : seeds) {
    ts_rng r;
    ts_rng_seed(&r, seed);
    for (int b = TS_HW_WBITS_MIN; b <= TS_HW_WBITS_MAX; b++)
      for (int rep = 0; rep < per_width; rep++) {
        auto dim = [&](int max) {
          const uint64_t p = ts_rng_below(&r, 6);
          if (p == 0) return 1;
          if (p == 1) return (int)std::min<uint64_t>(max, 16 + ts_rng_below(&r, 3) - 1);
          return 1 + (int)ts_rng_below(&r, (uint64_t)max);
        };
        const int m = dim(40), k = dim(90), n = dim(60);
        const ts_int_out out = (ts_int_out)ts_rng_below(&r, 3);
        Layer L = make_layer(&r, m, k, n, b, (int)ts_rng_below(&r, 2), out,
                             Fill::Random, Fill::Random);
        ASSERT_TRUE(check_layer(hw_, seed, L));
        cases++;
      }
  }
  EXPECT_EQ(cases, 5 * 16 * per_width); // 3,200 shapes
}

// Extreme values: all max, all min, alternating signs, zeros; longest K.
TEST_F(HwGemm, ExtremeValuesEveryWidth) {
  const Fill fills[] = {Fill::AllMax, Fill::AllMin, Fill::Alternating, Fill::Zero};
  ts_rng r;
  ts_rng_seed(&r, 5);
  for (int b = TS_HW_WBITS_MIN; b <= TS_HW_WBITS_MAX; b++)
    for (Fill fw : fills)
      for (Fill fx : fills)
        for (int sgn = 0; sgn <= 1; sgn++) {
          Layer L = make_layer(&r, 17, 33, 17, b, sgn, TS_INT_OUT_ACC, fw, fx);
          ASSERT_TRUE(check_layer(hw_, 5, L)) << "fill w=" << (int)fw << " x=" << (int)fx;
        }
}

// Every byte value times +-1 and +-3, divided by 2 and 4: ties at every odd
// value, saturation at both ends, both output modes, both activation signs.
TEST_F(HwGemm, RoundingTiesAndSaturationSweep) {
  for (int sgn = 0; sgn <= 1; sgn++)
    for (ts_int_out out : {TS_INT_OUT_U8, TS_INT_OUT_S8})
      for (int q = 1; q <= 2; q++) {
        Layer L;
        L.m = 4; L.k = 1; L.n = 256; L.wbits = 3; L.act_signed = sgn; L.out = out;
        L.w = {1, -1, 3, -3};
        L.bias = {0, 1, -1, 0};
        L.mult = {1 << 14, 1 << 14, 1 << 14, 1 << 14};
        L.shift = std::vector<uint8_t>(4, (uint8_t)(14 + q));
        for (int v = 0; v < 256; v++) L.x.push_back((uint8_t)v);
        ASSERT_TRUE(check_layer(hw_, 0, L)) << "q=" << q;
      }
}

TEST_F(HwGemm, LongestDotProductAtFullWidth) {
  // K = K_MAX, B = 16, all weights -2^15, activations 255, bias at its bound:
  // the accumulator's worst case, exact on the RTL.
  ts_rng r;
  ts_rng_seed(&r, 9);
  Layer L = make_layer(&r, 3, TS_HW_K_MAX, 2, 16, 0, TS_INT_OUT_ACC, Fill::AllMin, Fill::AllMax);
  for (auto &b : L.bias) b = -ts_int_acc_bound(L.k) / 2;
  EXPECT_TRUE(check_layer(hw_, 9, L));
  Layer S = make_layer(&r, 2, TS_HW_K_MAX, 3, 16, 1, TS_INT_OUT_ACC, Fill::AllMin, Fill::AllMin);
  for (auto &b : S.bias) b = ts_int_acc_bound(S.k) / 2;
  EXPECT_TRUE(check_layer(hw_, 9, S));
}

TEST_F(HwGemm, LargerThanTheBuffers) {
  ts_rng r;
  ts_rng_seed(&r, 13);
  // K = 2048 at B = 16: 512 words a filter, 32 filters fill the weight
  // memory, 2 column tiles fill the activation buffer: 3 x 3 runs.
  Layer L = make_layer(&r, 70, TS_HW_K_MAX, 70, 16, 0, TS_INT_OUT_U8, Fill::Random, Fill::Random);
  ts_hw_counters c = {};
  ASSERT_TRUE(check_layer(hw_, 13, L, &c));
  EXPECT_GT(c.runs, 4u) << "expected the shape to be split into several runs";
  // Many tiles: N beyond one activation buffer at small K.
  Layer W = make_layer(&r, 5, 3, 25000, 4, 1, TS_INT_OUT_S8, Fill::Random, Fill::Random);
  ASSERT_TRUE(check_layer(hw_, 13, W, &c));
  // More output channels than the channel table.
  Layer M = make_layer(&r, TS_HW_CHAN_DEPTH + 37, 4, 3, 2, 0, TS_INT_OUT_U8, Fill::Random, Fill::Random);
  ASSERT_TRUE(check_layer(hw_, 13, M, &c));
}

TEST_F(HwGemm, CountersAddUp) {
  ts_rng r;
  ts_rng_seed(&r, 17);
  Layer L = make_layer(&r, 16, 64, 64, 4, 0, TS_INT_OUT_ACC, Fill::Random, Fill::Random);
  ts_hw_counters c = {};
  ASSERT_TRUE(check_layer(hw_, 17, L, &c));
  const uint64_t pes = (uint64_t)ts_hw_rows() * ts_hw_cols();
  EXPECT_GE(c.cycles * pes, c.macs);
  EXPECT_EQ(c.lane_run, (uint64_t)16 * 64 * 4) << "one issue per k per tile";
  // B = 4 packs 16 weights a word: each of the 16 filters (4 words) crosses
  // the port at least once and only whole; the planner may move tiles to
  // the lanes that start first and reload a filter there (prefetched while
  // the lane issues, so it costs port time, not lane time).
  EXPECT_GE(c.wport_cycles, 16u * 4u);
  EXPECT_EQ(c.wport_cycles % 4u, 0u) << c.wport_cycles << " port words: a partial filter";
  EXPECT_LE(c.wport_cycles, 2u * 16u * 4u) << "more than two loads per filter";
  EXPECT_EQ(c.runs, 1u);
}

// Backdoor loads (default) and host-port loads give the same outputs and the
// same compute counters; only host_cycles differ, by exactly one cycle per
// weight word and activation row.
TEST(HwLoads, BackdoorEqualsHostPort) {
  ts_rng r;
  ts_rng_seed(&r, 29);
  ts_error err = {};
  ts_hw *port = nullptr, *door = nullptr;
  ts_hw_opts o = {};
  o.port_loads = 1;
  ASSERT_EQ(ts_hw_create(&o, &port, &err), TS_OK) << err.msg;
  ASSERT_EQ(ts_hw_create(nullptr, &door, &err), TS_OK) << err.msg;
  // Two runs (M beyond the weight memory at K = 2048, B = 16) and a ragged N.
  for (int b : {3, 16}) {
    Layer L = make_layer(&r, b == 16 ? 40 : 11, b == 16 ? TS_HW_K_MAX : 90, 37, b, 1,
                         TS_INT_OUT_S8, Fill::Random, Fill::Random);
    ts_hw_counters cp = {}, cd = {};
    ASSERT_TRUE(check_layer(port, 29, L, &cp));
    ASSERT_TRUE(check_layer(door, 29, L, &cd));
    EXPECT_EQ(cp.cycles, cd.cycles) << "B=" << b << ": compute cycles differ";
    EXPECT_EQ(cp.wport_cycles, cd.wport_cycles) << "B=" << b;
    EXPECT_EQ(cp.lane_stall, cd.lane_stall) << "B=" << b;
    EXPECT_EQ(cp.runs, cd.runs) << "B=" << b;
    const int wpr = ts_hw_words_per_row(L.k, b);
    const uint64_t words = (uint64_t)L.m * wpr;
    // The activations are loaded once per run of filters that fit the memory.
    const int mc = std::min({L.m, TS_HW_CHAN_DEPTH, TS_HW_WMEM_WORDS / wpr});
    const uint64_t mruns = (uint64_t)((L.m + mc - 1) / mc);
    const uint64_t rows = mruns * L.k * ((L.n + ts_hw_cols() - 1) / ts_hw_cols());
    EXPECT_EQ(cp.host_cycles - cd.host_cycles, words + rows)
        << "B=" << b << ": host-port loads should cost one cycle per word / row";
  }
  ts_hw_destroy(port);
  ts_hw_destroy(door);
}

TEST_F(HwGemm, RejectsBadInputWithoutRunning) {
  ts_rng r;
  ts_rng_seed(&r, 19);
  Layer L = make_layer(&r, 2, 3, 4, 4, 0, TS_INT_OUT_U8, Fill::Random, Fill::Random);
  std::vector<int64_t> y(8);
  ts_error err = {};
  ts_int_gemm g = L.desc();
  g.wbits = 0;
  EXPECT_EQ(ts_hw_gemm(hw_, &g, L.x.data(), y.data(), nullptr, &err), TS_E_ARG);
  g.wbits = 17;
  EXPECT_EQ(ts_hw_gemm(hw_, &g, L.x.data(), y.data(), nullptr, &err), TS_E_ARG);
  g = L.desc();
  L.w[3] = 8;  // outside 4-bit two's complement
  EXPECT_EQ(ts_hw_gemm(hw_, &g, L.x.data(), y.data(), nullptr, &err), TS_E_ARG);
  EXPECT_NE(std::string(err.msg).find("w[1][0]=8"), std::string::npos) << err.msg;
  L.w[3] = 0;
  g.k = TS_HW_K_MAX + 1;
  EXPECT_EQ(ts_hw_gemm(hw_, &g, L.x.data(), y.data(), nullptr, &err), TS_E_ARG);
  g = L.desc();
  EXPECT_EQ(ts_hw_gemm(hw_, &g, nullptr, y.data(), nullptr, &err), TS_E_ARG);
  EXPECT_EQ(ts_hw_gemm(nullptr, &g, L.x.data(), y.data(), nullptr, &err), TS_E_ARG);
  // The handle still works after rejected calls.
  EXPECT_TRUE(check_layer(hw_, 19, L));
}

TEST(HwCreate, TracingNeedsATraceBuild) {
  ts_hw_opts o = {};
  std::string path = ::testing::TempDir() + "/tessera_trace.fst";
  o.trace_fst = path.c_str();
  ts_hw *hw = nullptr;
  ts_error err = {};
  ts_status st = ts_hw_create(&o, &hw, &err);
  if (ts_hw_has_trace()) {
    ASSERT_EQ(st, TS_OK) << err.msg;
    ts_rng r;
    ts_rng_seed(&r, 23);
    Layer L = make_layer(&r, 2, 3, 4, 4, 0, TS_INT_OUT_U8, Fill::Random, Fill::Random);
    EXPECT_TRUE(check_layer(hw, 23, L));
    ts_hw_destroy(hw);
    FILE *f = fopen(path.c_str(), "rb");
    ASSERT_NE(f, nullptr) << "no trace written to " << path;
    fseek(f, 0, SEEK_END);
    EXPECT_GT(ftell(f), 0L) << "empty trace " << path;
    fclose(f);
  } else {
    EXPECT_EQ(st, TS_E_ARG);
    EXPECT_NE(std::string(err.msg).find("HW_TRACE=1"), std::string::npos) << err.msg;
    ts_hw_destroy(hw);
  }
  EXPECT_EQ(ts_hw_create(nullptr, nullptr, &err), TS_E_ARG);
}

}  // namespace
