// Design for test of the 64-bit performance counters (HW_CFG_CNT_BASE,
// ts_hw_set_counter_base): a run that starts every counter near 2^64 wraps
// it within a few hundred cycles, so every bit of every counter toggles both
// ways and every carry of its adder is used. Each counter must end at
// base + (its value from base 0) modulo 2^64; a lost carry in any bit
// leaves that bit set and fails the comparison.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "hw_layer.h"
#include "ts_hw.h"
#include "ts_rng.h"

namespace {

// The hardware counters of ts_hw_counters, by name (host_cycles, runs and
// plan_cycles are the shim's, not the array's).
struct Field {
  const char *name;
  uint64_t ts_hw_counters::*p;
};
const Field kFields[] = {
    {"cycles", &ts_hw_counters::cycles},         {"macs", &ts_hw_counters::macs},
    {"useful_macs", &ts_hw_counters::useful_macs}, {"skipped", &ts_hw_counters::skipped},
    {"wport_cycles", &ts_hw_counters::wport_cycles}, {"lane_run", &ts_hw_counters::lane_run},
    {"lane_load", &ts_hw_counters::lane_load},   {"lane_stall", &ts_hw_counters::lane_stall},
    {"lane_idle", &ts_hw_counters::lane_idle},   {"tiles", &ts_hw_counters::tiles},
};

using HwCounterBase = HwFixture;

// One sparse run that moves every counter: K = 6 with ~40% zeros (skipped
// weights), 64 tiles of 1-6 entries so the 16 lanes finish tiles faster
// than the output stage takes them (stalls), filter loads, idle lanes at
// the ends of the run.
Layer busy_layer(uint64_t seed) {
  ts_rng r;
  ts_rng_seed(&r, seed);
  Layer L = make_layer(&r, 24, 6, 64 * ts_hw_cols(), 8, 0, TS_INT_OUT_U8, Fill::Random,
                       Fill::Random);
  sparsify(&r, &L, 0.4);
  return L;
}

TEST_F(HwCounterBase, EveryCounterWrapsFromNear2To64) {
  const uint64_t seed = 91;
  const Layer L = busy_layer(seed);
  ts_hw_counters ref = {};
  ASSERT_TRUE(check_layer(hw_, seed, L, &ref, /*sparse=*/true));
  ASSERT_EQ(ref.runs, 1u) << "the check below assumes one run per call";
  uint64_t least = UINT64_MAX;
  for (const Field &f : kFields) {
    // A counter that stays at its base wraps nothing: the layer must move
    // every counter.
    ASSERT_GT(ref.*f.p, 0u) << f.name << " is 0 from base 0: the layer does not exercise it";
    least = std::min(least, ref.*f.p);
  }
  const ts_int_gemm g = L.desc();
  std::vector<int64_t> want((size_t)L.m * L.n);
  ts_error err = {};
  ASSERT_EQ(ts_int_gemm_run(&g, L.x.data(), want.data(), &err), TS_OK) << err.msg;
  // All ones: the first increment of every counter carries through all 64
  // bits. 2^64 - least: the least-moving counter ends exactly at 0 and the
  // others just past it. The last base, 0, must give the base-0 values back.
  const uint64_t bases[] = {UINT64_MAX, 0 - least, 0x8000000000000000ull - 1, 0};
  for (uint64_t base : bases) {
    ASSERT_EQ(ts_hw_set_counter_base(hw_, base, &err), TS_OK) << err.msg;
    ts_hw_counters c = {};
    std::vector<int64_t> got((size_t)L.m * L.n, -777);
    ASSERT_EQ(ts_hw_gemm_sparse(hw_, &g, nullptr, L.x.data(), got.data(), &c, &err), TS_OK)
        << err.msg;
    ASSERT_EQ(c.runs, 1u);
    for (size_t i = 0; i < want.size(); i++)
      ASSERT_EQ(got[i], want[i]) << "base " << base << ": output y[" << i / L.n << "]["
                                 << i % L.n << "] differs from the golden model";
    for (const Field &f : kFields) {
      const uint64_t expect = base + ref.*f.p;  // modulo 2^64
      EXPECT_EQ(c.*f.p, expect) << f.name << " from base 0x" << std::hex << base
                                << ": got 0x" << c.*f.p << ", expected 0x" << expect
                                << " (differing bits 0x" << (c.*f.p ^ expect) << ")";
    }
  }
}

// A call of several runs reports R * base + the base-0 sum (the shim adds
// the runs' raw counters), as sim/ts_hw.h documents.
TEST_F(HwCounterBase, SeveralRunsAddTheBaseOncePerRun) {
  ts_rng r;
  ts_rng_seed(&r, 92);
  // 300 filters: more than a run's 256 job-queue entries, so two runs.
  const Layer L = make_layer(&r, 300, 3, 5, 4, 1, TS_INT_OUT_ACC, Fill::Random, Fill::Random);
  ts_hw_counters ref = {};
  ASSERT_TRUE(check_layer(hw_, 92, L, &ref));
  ASSERT_GE(ref.runs, 2u);
  ts_error err = {};
  const uint64_t base = 0 - (uint64_t)12345;
  ASSERT_EQ(ts_hw_set_counter_base(hw_, base, &err), TS_OK) << err.msg;
  const ts_int_gemm g = L.desc();
  std::vector<int64_t> got((size_t)L.m * L.n);
  ts_hw_counters c = {};
  ASSERT_EQ(ts_hw_gemm(hw_, &g, L.x.data(), got.data(), &c, &err), TS_OK) << err.msg;
  ASSERT_EQ(c.runs, ref.runs);
  for (const Field &f : kFields)
    EXPECT_EQ(c.*f.p, ref.runs * base + ref.*f.p) << f.name;
  EXPECT_EQ(c.host_cycles, ref.host_cycles) << "the base must not change host-port work";
}

TEST(HwCounterBaseArgs, NullHandle) {
  ts_error err = {};
  EXPECT_EQ(ts_hw_set_counter_base(nullptr, 1, &err), TS_E_ARG);
  EXPECT_NE(std::string(err.msg).find("NULL"), std::string::npos) << err.msg;
}

}  // namespace
