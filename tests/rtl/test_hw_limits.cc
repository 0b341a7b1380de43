// Shapes at the limits of the run's fields, bit-exact against the golden
// model: the most column tiles one run holds (tile count and tile indices
// in their top bits) and a dot product longer than 1024 (K's bit 10).
// The other fields' top bits cannot be reached through the shim: see
// docs/reliability.md, "RTL coverage (Verilator)".
#include <gtest/gtest.h>

#include <cstdint>

#include "hw_layer.h"
#include "ts_hw.h"
#include "ts_hw_params.h"
#include "ts_rng.h"

namespace {

using HwLimits = HwFixture;

// K = 1 lets one run hold TS_HW_ACT_ROWS column tiles (one activation row
// each): cfg_tiles = 4096 and tile indices up to 4095; then 3583 tiles
// (0xdff: the tile count's bits 10 and 11, which 4096 = 0x1000 leaves 0),
// the last one partial.
TEST_F(HwLimits, MostTilesInOneRun) {
  ts_rng r;
  ts_rng_seed(&r, 71);
  const int cols = ts_hw_cols();
  for (int n : {TS_HW_ACT_ROWS * cols, 3582 * cols + 5}) {
    Layer L = make_layer(&r, 1, 1, n, 8, 0, TS_INT_OUT_S8, Fill::Random, Fill::Random);
    ts_hw_counters c = {};
    ASSERT_TRUE(check_layer(hw_, 71, L, &c));
    EXPECT_EQ(c.runs, 1u) << "n=" << n << " at K=1 must fit one run";
    EXPECT_EQ(c.tiles, (uint64_t)(n + cols - 1) / cols);
  }
}

// K in [1024, 2048) sets K's bit 10 (K_MAX = 2048 alone does not), dense
// and sparse, with two tiles (activation rows t * K + k above 2048).
TEST_F(HwLimits, DotProductLongerThan1024) {
  static_assert(TS_HW_K_MAX >= 1500 && 2 * 1500 <= TS_HW_ACT_ROWS, "shape must fit");
  ts_rng r;
  ts_rng_seed(&r, 72);
  Layer L = make_layer(&r, 5, 1500, 2 * ts_hw_cols() - 3, 8, 1, TS_INT_OUT_ACC, Fill::Random,
                       Fill::Random);
  ASSERT_TRUE(check_layer(hw_, 72, L));
  sparsify(&r, &L, 0.7);
  ASSERT_TRUE(check_layer(hw_, 72, L, nullptr, /*sparse=*/true));
}

}  // namespace
