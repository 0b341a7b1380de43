// Energy per layer (models/int/ts_energy.c): the table's interpolations
// reproduce Horowitz's published points; a tiny layer counted by hand equals
// the formula item by item; bad input gets TS_E_ARG naming the field; the
// rise finder flags exactly the pairs that got cheaper yet cost more.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "ts_energy.h"
#include "ts_hw_params.h"

namespace {

// The hand computation below assumes the default build's buffer sizes.
static_assert(TS_HW_WMEM_WORDS == 16384 && TS_HW_LANE_WORDS == 512 && TS_HW_ACT_ROWS == 4096 &&
                  TS_HW_OUT_ROWS == 4096 && TS_HW_COLS == 16 && TS_HW_ACC_BITS == 36 &&
                  TS_HW_ABITS == 8 && TS_HW_LOG2_K_MAX == 11 && TS_HW_MULT_BITS == 16 &&
                  TS_HW_SPARSE_RBITS == 5,
              "test_energy.cc's hand-computed layer is for the default ts_hw_params.h");

ts_energy_table Horowitz() {
  ts_energy_table t;
  ts_energy_table_horowitz(&t);
  return t;
}

TEST(Energy, InterpolationsHitThePublishedPoints) {
  const ts_energy_table t = Horowitz();
  EXPECT_DOUBLE_EQ(ts_energy_add_pj(&t, 8), 0.03);
  EXPECT_DOUBLE_EQ(ts_energy_add_pj(&t, 32), 0.1);
  EXPECT_DOUBLE_EQ(ts_energy_mul_pj(&t, 8, 8), 0.2);
  EXPECT_DOUBLE_EQ(ts_energy_mul_pj(&t, 32, 32), 3.1);
  EXPECT_NEAR(ts_energy_sram_pj(&t, 8 * 1024), 10, 1e-12);
  EXPECT_NEAR(ts_energy_sram_pj(&t, 32 * 1024), 20, 1e-12);
  EXPECT_NEAR(ts_energy_sram_pj(&t, 1024 * 1024), 100, 1e-9);
  EXPECT_DOUBLE_EQ(t.dram, 1950.0);
  // in between: affine in width / in the product of widths
  EXPECT_NEAR(ts_energy_add_pj(&t, 20), 0.03 + 0.07 * 12 / 24, 1e-15);
  EXPECT_NEAR(ts_energy_mul_pj(&t, 16, 9), 0.2 + 2.9 * (144 - 64) / 960.0, 1e-15);
  // narrower is never dearer
  for (int b = 2; b <= 16; b++) {
    EXPECT_LT(ts_energy_mul_pj(&t, b - 1, 8), ts_energy_mul_pj(&t, b, 8)) << b;
    EXPECT_GT(ts_energy_mul_pj(&t, b - 1, 8), 0) << b;
  }
}

// One layer by hand: M = 2 filters, K = 8, N = 3 columns, B = 4, dense, one
// image. Every filter is one tile (3 of 16 columns valid) of 8 issues and one
// 64-bit word (16 codes of 4 bits a word).
TEST(Energy, TinyLayerByHand) {
  const ts_energy_counts c = {.wbits = 4, .sparse = 0, .images = 1, .m = 2, .k = 8,
                              .macs = 2 * 8 * 3, .lane_issues = 16, .wport_words = 2,
                              .tiles = 2, .outputs = 6, .dram_weight_bits = 128,
                              .dram_act_bits = (8 * 3 + 2 * 3) * 8};
  ts_energy e;
  ts_error err{};
  ASSERT_EQ(ts_energy_layer(nullptr, &c, &e, &err), TS_OK) << err.msg;
  // multiply 4 x 8 bits: product 32 -> 0.2 + 2.9 (32 - 64) / 960 pJ, 48 of them
  const double mul = 0.2 + 2.9 * (32 - 64) / 960.0;
  EXPECT_NEAR(e.mul, 48 * mul, 1e-12);
  // accumulator of 4 + 8 + 11 + 1 = 24 bits: 0.03 + 0.07 * 16 / 24
  const double add24 = 0.03 + 0.07 * 16 / 24.0;
  EXPECT_NEAR(e.acc, 48 * add24, 1e-12);
  // per output: bias add 24, 24 x 16 multiply, rounding add of 40 bits
  const double rq = add24 + (0.2 + 2.9 * (384 - 64) / 960.0) + (0.03 + 0.07 * 32 / 24.0);
  EXPECT_NEAR(e.requant, 6 * rq, 1e-12);
  // SRAM words: weight memory 128 KB = 20 * 4^(ln 5 / ln 32) = 20 * 5^0.4 pJ,
  // filter buffer 4 KB = 10 * 0.5^0.5, activation buffer 64 KB = 20 * 5^0.2,
  // output buffer 4096 x 576 bits = 288 KB = 20 * 9^(ln 5 / ln 32)
  const double wm = 20 * std::pow(5, 0.4), fb = 10 * std::sqrt(0.5), ab = 20 * std::pow(5, 0.2),
               ob = 20 * std::pow(9, std::log(5) / std::log(32));
  EXPECT_NEAR(e.wmem, 2 * wm, 1e-9);
  // 2 words written, 16 issues / 16 codes a word = 1 word read
  EXPECT_NEAR(e.fbuf, 3 * fb, 1e-9);
  // 16 rows read + K = 8 rows loaded for the one column block; 2 words a row
  EXPECT_NEAR(e.act, 24 * 2 * ab, 1e-9);
  // 2 tiles, a 576-bit row each = 9 words
  EXPECT_NEAR(e.out, 2 * 9 * ob, 1e-9);
  EXPECT_NEAR(e.dram_w, 2 * 1950.0, 1e-9);
  EXPECT_NEAR(e.dram_act, 240 / 64.0 * 1950, 1e-9);
  EXPECT_NEAR(e.compute, e.mul + e.acc + e.requant, 1e-12);
  EXPECT_NEAR(e.onchip, e.wmem + e.fbuf + e.act + e.out, 1e-9);
  EXPECT_NEAR(e.offchip, e.dram_w + e.dram_act, 1e-9);
  EXPECT_NEAR(e.total, e.compute + e.onchip + e.offchip, 1e-9);

  // the same counts over 4 images: a quarter per image
  ts_energy_counts c4 = c;
  c4.images = 4;
  ts_energy e4;
  ASSERT_EQ(ts_energy_layer(nullptr, &c4, &e4, &err), TS_OK) << err.msg;
  EXPECT_NEAR(e4.total, e.total / 4, 1e-9);

  // sparse mode: entries of 4 + 5 bits, 7 a word: 16 issues read 16/7 words
  ts_energy_counts cs = c;
  cs.sparse = 1;
  ts_energy es;
  ASSERT_EQ(ts_energy_layer(nullptr, &cs, &es, &err), TS_OK) << err.msg;
  EXPECT_NEAR(es.fbuf, (2 + 16.0 / 7) * fb, 1e-9);
  EXPECT_NEAR(es.total - e.total, (16.0 / 7 - 1) * fb, 1e-9);
}

TEST(Energy, BadInputIsRefusedByName) {
  const ts_energy_counts ok = {.wbits = 8, .sparse = 0, .images = 1, .m = 1, .k = 1,
                               .macs = 1, .lane_issues = 1, .wport_words = 1, .tiles = 1,
                               .outputs = 1, .dram_weight_bits = 64, .dram_act_bits = 16};
  ts_energy e;
  ts_error err{};
  ASSERT_EQ(ts_energy_layer(nullptr, &ok, &e, &err), TS_OK) << err.msg;
  struct Case {
    const char *want;
    ts_energy_counts c;
  };
  auto with = [&](auto f) {
    ts_energy_counts c = ok;
    f(c);
    return c;
  };
  const Case cases[] = {
      {"B = 0", with([](ts_energy_counts &c) { c.wbits = 0; })},
      {"B = 17", with([](ts_energy_counts &c) { c.wbits = 17; })},
      {"macs = -1", with([](ts_energy_counts &c) { c.macs = -1; })},
      {"lane_issues = -5", with([](ts_energy_counts &c) { c.lane_issues = -5; })},
      {"wport_words = -1", with([](ts_energy_counts &c) { c.wport_words = -1; })},
      {"dram_act_bits = -8", with([](ts_energy_counts &c) { c.dram_act_bits = -8; })},
      {"images = 0", with([](ts_energy_counts &c) { c.images = 0; })},
      {"sparse = 2", with([](ts_energy_counts &c) { c.sparse = 2; })},
      {"inconsistent", with([](ts_energy_counts &c) { c.tiles = 2; })},
      {"inconsistent", with([](ts_energy_counts &c) { c.macs = 17; })},
  };
  for (const Case &k : cases) {
    e.total = 123;
    err = ts_error{};
    EXPECT_EQ(ts_energy_layer(nullptr, &k.c, &e, &err), TS_E_ARG) << k.want;
    EXPECT_NE(std::string(err.msg).find(k.want), std::string::npos)
        << "message '" << err.msg << "' does not name '" << k.want << "'";
    EXPECT_EQ(e.total, 0) << "result not zeroed for " << k.want;
  }
  ts_energy_table t = Horowitz();
  t.sram_32k = -1;
  EXPECT_EQ(ts_energy_layer(&t, &ok, &e, &err), TS_E_ARG);
  EXPECT_NE(std::string(err.msg).find("sram_32k"), std::string::npos) << err.msg;
  t = Horowitz();
  t.mul32 = 0.1;
  EXPECT_EQ(ts_energy_layer(&t, &ok, &e, &err), TS_E_ARG) << "32-bit multiply below 8-bit";
  t = Horowitz();
  t.dram = NAN;
  EXPECT_EQ(ts_energy_layer(&t, &ok, &e, &err), TS_E_ARG);
  EXPECT_EQ(ts_energy_layer(nullptr, nullptr, &e, &err), TS_E_ARG);
  EXPECT_EQ(ts_energy_layer(nullptr, &ok, nullptr, &err), TS_E_ARG);
}

TEST(Energy, RisesAreFoundExactly) {
  // B = 4, 8 x sparsity 0, 50: all fall except B=8 50% > B=8 0% and
  // B=4 0% > B=8 0%
  const ts_energy_point p[] = {{8, 0, 100}, {8, 50, 101}, {4, 0, 120}, {4, 50, 60}};
  ts_energy_rise r[4];
  ASSERT_EQ(ts_energy_rises(p, 4, 0, r, 4), 2);
  EXPECT_EQ(r[0].from, 0);
  EXPECT_EQ(r[0].to, 1);
  EXPECT_EQ(r[0].by_bits, 0);
  EXPECT_EQ(r[1].from, 0);
  EXPECT_EQ(r[1].to, 2);
  EXPECT_EQ(r[1].by_bits, 1);
  EXPECT_EQ(ts_energy_rises(p, 4, 0.25, nullptr, 0), 0) << "within 25%";
  const ts_energy_point q[] = {{8, 0, 100}, {8, 50, 80}, {4, 0, 90}, {4, 50, 60}};
  EXPECT_EQ(ts_energy_rises(q, 4, 0, nullptr, 0), 0);
}

}  // namespace
