// Unit tests of the integer contract's golden model (models/int/ts_int.h).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "ts_int.h"
#include "ts_quant.h"
#include "ts_rng.h"

namespace {

TEST(IntArith, RshiftRoundIsHalfAwayFromZero) {
  struct Case { int64_t x; int s; int64_t want; } cases[] = {
      {5, 1, 3},   {-5, 1, -3},  {4, 1, 2},   {-4, 1, -2}, {6, 2, 2},
      {-6, 2, -2}, {7, 2, 2},    {-7, 2, -2}, {1, 1, 1},   {-1, 1, -1},
      {1, 2, 0},   {-1, 2, 0},   {42, 0, 42}, {-42, 0, -42},
      {((int64_t)1 << 61), 62, 1}, {-((int64_t)1 << 61), 62, -1}};
  for (const Case &c : cases)
    EXPECT_EQ(ts_int_rshift_round(c.x, c.s), c.want)
        << "x=" << c.x << " s=" << c.s;
}

TEST(IntArith, RshiftRoundAgreesWithQuantizerRounding) {
  // The one rounding rule: the integer shift equals ts_round_half_away of
  // the exact quotient.
  ts_rng r;
  ts_rng_seed(&r, 7);
  for (int i = 0; i < 20000; i++) {
    int64_t x = (int64_t)ts_rng_below(&r, 1u << 24) - (1 << 23);
    int s = (int)ts_rng_below(&r, 12);
    EXPECT_EQ(ts_int_rshift_round(x, s),
              (int64_t)ts_round_half_away(std::ldexp((double)x, -s)))
        << "x=" << x << " s=" << s;
  }
}

TEST(IntArith, AccumulatorWidthCoversWorstCase) {
  // The derivation in ts_hw_params.h, evaluated: B=16, K=K_MAX needs exactly
  // the accumulator the hardware has.
  EXPECT_EQ(ts_int_acc_bits(TS_HW_K_MAX, TS_HW_WBITS_MAX), TS_HW_ACC_BITS);
  EXPECT_LE(ts_int_acc_bits(400, 16), TS_HW_ACC_BITS);
  EXPECT_EQ(ts_int_acc_bits(1, 1), 10);  // 2 * 1 * 255 = 510 -> 10 bits
  // Worst case actually computed: all weights -2^15, all activations 255,
  // bias at its negative bound: the result is exact and within ACC bits.
  const int k = TS_HW_K_MAX;
  std::vector<int32_t> w(k, -(1 << 15));
  std::vector<uint8_t> x(k, 255);
  int64_t bias = -ts_int_acc_bound(k) / 2;
  ts_int_gemm g = {1, k, 1, 16, 0, TS_INT_OUT_ACC, w.data(), &bias, nullptr,
                   nullptr};
  int64_t y = 0;
  ts_error err = {};
  ASSERT_EQ(ts_int_gemm_run(&g, x.data(), &y, &err), TS_OK) << err.msg;
  const int64_t want = bias + (int64_t)k * -(1 << 15) * 255;
  EXPECT_EQ(y, want);
  EXPECT_GE(y, -((int64_t)1 << (TS_HW_ACC_BITS - 1)));
}

TEST(IntArith, RequantSaturatesAndReLUs) {
  EXPECT_EQ(ts_int_requant(-1000, 1 << 14, 14, TS_INT_OUT_U8), 0);
  EXPECT_EQ(ts_int_requant(1000, 1 << 14, 14, TS_INT_OUT_U8), 255);
  EXPECT_EQ(ts_int_requant(1000, 1 << 14, 14, TS_INT_OUT_S8), 127);
  EXPECT_EQ(ts_int_requant(-1000, 1 << 14, 14, TS_INT_OUT_S8), -128);
  EXPECT_EQ(ts_int_requant(3, 1 << 14, 15, TS_INT_OUT_U8), 2);  // 1.5 -> 2
  EXPECT_EQ(ts_int_requant(-3, 1 << 14, 15, TS_INT_OUT_S8), -2);
  EXPECT_EQ(ts_int_requant(-123456789, 77, 3, TS_INT_OUT_ACC), -123456789);
}

TEST(IntArith, QuantizeMultiplierIsAccurate) {
  const double scales[] = {1.0, 0.5, 0.75, 1e-3, 3.3e-7, 123.456, 32767.0,
                           0.99999999};
  for (double s : scales) {
    int32_t m = 0;
    int sh = 0;
    ts_error err = {};
    ASSERT_EQ(ts_int_quantize_multiplier(s, &m, &sh, &err), TS_OK)
        << "scale " << s << ": " << err.msg;
    EXPECT_GE(m, 1 << (TS_HW_MULT_BITS - 2)) << "scale " << s;
    EXPECT_LE(m, TS_HW_MULT_MAX) << "scale " << s;
    double got = std::ldexp((double)m, -sh);
    EXPECT_LE(std::fabs(got - s) / s, std::ldexp(1.0, -(TS_HW_MULT_BITS - 1)))
        << "scale " << s << " -> " << m << " / 2^" << sh;
  }
  int32_t m;
  int sh;
  ts_error err = {};
  EXPECT_EQ(ts_int_quantize_multiplier(NAN, &m, &sh, &err), TS_E_NONFINITE);
  EXPECT_EQ(ts_int_quantize_multiplier(0.0, &m, &sh, &err), TS_E_ARG);
  EXPECT_EQ(ts_int_quantize_multiplier(-1.0, &m, &sh, &err), TS_E_ARG);
  EXPECT_EQ(ts_int_quantize_multiplier(1e9, &m, &sh, &err), TS_E_ARG);
  EXPECT_NE(std::string(err.msg).find("too large"), std::string::npos) << err.msg;
  EXPECT_EQ(ts_int_quantize_multiplier(1e-30, &m, &sh, &err), TS_E_ARG);
}

// docs/int-arith.md: the limits apply to the scale after rounding to
// TS_HW_MULT_BITS - 1 significant bits, so each edge sits half a step away
// from the power of two.
TEST(IntArith, MultiplierLimitsApplyAfterRounding) {
  const int frac = TS_HW_MULT_BITS - 1;
  const double top = std::ldexp(1.0, frac);               // 2^15
  const double bottom = std::ldexp(1.0, frac - 1 - TS_HW_SHIFT_MAX); // 2^-49
  const double half_ulp = std::ldexp(1.0, -frac - 1);     // 2^-16, relative
  int32_t m;
  int sh;
  ts_error err = {};
  ASSERT_EQ(ts_int_quantize_multiplier(top - 0.6, &m, &sh, &err), TS_OK) << err.msg;
  EXPECT_EQ(m, TS_HW_MULT_MAX);
  EXPECT_EQ(sh, 0);
  EXPECT_EQ(ts_int_quantize_multiplier(top - 0.5, &m, &sh, &err), TS_E_ARG)
      << "rounds up to 2^15 and needs shift -1";
  ASSERT_EQ(ts_int_quantize_multiplier(bottom * (1 - half_ulp), &m, &sh, &err), TS_OK)
      << "rounds up to 2^-49: " << err.msg;
  EXPECT_EQ(m, 1 << (frac - 1));
  EXPECT_EQ(sh, TS_HW_SHIFT_MAX);
  EXPECT_EQ(ts_int_quantize_multiplier(std::nextafter(bottom * (1 - half_ulp), 0.0), &m, &sh,
                                       &err),
            TS_E_ARG);
  EXPECT_NE(std::string(err.msg).find("too small"), std::string::npos) << err.msg;
}

TEST(IntArith, PackUnpackRoundTripsEveryWidth) {
  ts_rng r;
  ts_rng_seed(&r, 11);
  for (int b = TS_HW_WBITS_MIN; b <= TS_HW_WBITS_MAX; b++) {
    const int m = 3, k = 37;
    std::vector<int32_t> w(m * k);
    for (auto &v : w)
      v = (int32_t)ts_rng_below(&r, 1u << b) - (1 << (b - 1));
    w[0] = -(1 << (b - 1));
    w[1] = (1 << (b - 1)) - 1;
    const int wpr = ts_hw_words_per_row(k, b);
    std::vector<uint64_t> words(m * wpr);
    ts_error err = {};
    ASSERT_EQ(ts_int_pack_weights(w.data(), m, k, b, words.data(), words.size(),
                                  &err), TS_OK) << err.msg;
    for (int i = 0; i < m; i++)
      for (int j = 0; j < k; j++)
        ASSERT_EQ(ts_int_unpack_weight(words.data(), k, b, i, j), w[i * k + j])
            << "B=" << b << " row " << i << " col " << j;
    EXPECT_EQ(ts_int_pack_weights(w.data(), m, k, b, words.data(),
                                  words.size() - 1, &err), TS_E_ARG);
  }
}

TEST(IntArith, GemmMatchesDoubleReference) {
  ts_rng r;
  ts_rng_seed(&r, 3);
  const int m = 5, k = 19, n = 7;
  for (int b = 1; b <= 16; b++)
    for (int sgn = 0; sgn <= 1; sgn++) {
      std::vector<int32_t> w(m * k);
      std::vector<uint8_t> x(k * n);
      std::vector<int64_t> bias(m), y(m * n);
      std::vector<int32_t> mult(m);
      std::vector<uint8_t> shift(m);
      for (auto &v : w) v = (int32_t)ts_rng_below(&r, 1u << b) - (1 << (b - 1));
      for (auto &v : x) v = (uint8_t)ts_rng_below(&r, 256);
      for (int i = 0; i < m; i++) {
        bias[i] = (int64_t)ts_rng_below(&r, 20001) - 10000;
        mult[i] = 16384 + (int32_t)ts_rng_below(&r, 16384);
        shift[i] = (uint8_t)(14 + b + ts_rng_below(&r, 6));
      }
      ts_int_gemm g = {m, k, n, b, sgn, TS_INT_OUT_U8, w.data(), bias.data(),
                       mult.data(), shift.data()};
      ts_error err = {};
      ASSERT_EQ(ts_int_gemm_run(&g, x.data(), y.data(), &err), TS_OK) << err.msg;
      for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
          double acc = (double)bias[i];
          for (int t = 0; t < k; t++)
            acc += (double)w[i * k + t] *
                   (sgn ? (double)(int8_t)x[t * n + j] : (double)x[t * n + j]);
          double q = (double)ts_round_half_away(
              std::ldexp(acc * mult[i], -shift[i]));
          q = std::fmin(255.0, std::fmax(0.0, q));
          ASSERT_EQ((double)y[i * n + j], q)
              << "B=" << b << " signed=" << sgn << " at [" << i << "][" << j
              << "]";
        }
    }
}

TEST(IntArith, GemmRejectsBadInput) {
  int32_t w[4] = {1, 2, 3, 4};
  uint8_t x[4] = {0, 0, 0, 0};
  int64_t y[4];
  int64_t bias[2] = {0, 0};
  int32_t mult[2] = {1, 1};
  uint8_t shift[2] = {0, 0};
  ts_error err = {};
  ts_int_gemm g = {2, 2, 2, 2, 0, TS_INT_OUT_U8, w, bias, mult, shift};
  // 2 and 3 do not fit 2-bit two's complement (-2..1).
  EXPECT_EQ(ts_int_gemm_run(&g, x, y, &err), TS_E_ARG);
  EXPECT_NE(std::string(err.msg).find("w[0][1]=2"), std::string::npos) << err.msg;
  g.wbits = 4;
  EXPECT_EQ(ts_int_gemm_run(&g, x, y, &err), TS_OK) << err.msg;
  g.wbits = 0;
  EXPECT_EQ(ts_int_gemm_run(&g, x, y, &err), TS_E_ARG);
  g.wbits = 17;
  EXPECT_EQ(ts_int_gemm_run(&g, x, y, &err), TS_E_ARG);
  g.wbits = 4;
  g.k = TS_HW_K_MAX + 1;
  EXPECT_EQ(ts_int_gemm_check(&g, &err), TS_E_ARG);
  EXPECT_NE(std::string(err.msg).find("TS_HW_K_MAX"), std::string::npos);
  g.k = 2;
  mult[1] = 0;
  EXPECT_EQ(ts_int_gemm_run(&g, x, y, &err), TS_E_ARG);
  mult[1] = 1;
  shift[0] = 64;
  EXPECT_EQ(ts_int_gemm_run(&g, x, y, &err), TS_E_ARG);
  shift[0] = 0;
  bias[1] = ts_int_acc_bound(2);
  EXPECT_EQ(ts_int_gemm_run(&g, x, y, &err), TS_E_ARG);
  bias[1] = 0;
  g.m = 0;
  EXPECT_EQ(ts_int_gemm_run(&g, x, y, &err), TS_E_ARG);
  EXPECT_EQ(ts_int_gemm_run(nullptr, x, y, &err), TS_E_ARG);
}

TEST(IntArith, Im2colAndMaxpool) {
  // 1 channel 3x3, k=2: column j of cols is the 2x2 patch at output pixel j.
  const uint8_t x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  uint8_t cols[4 * 4];
  ts_error err = {};
  ASSERT_EQ(ts_int_im2col(x, 1, 3, 3, 2, cols, &err), TS_OK);
  const uint8_t want[16] = {1, 2, 4, 5, 2, 3, 5, 6, 4, 5, 7, 8, 5, 6, 8, 9};
  for (int i = 0; i < 16; i++) EXPECT_EQ(cols[i], want[i]) << "index " << i;
  EXPECT_EQ(ts_int_im2col(x, 1, 3, 3, 4, cols, &err), TS_E_ARG);
  // Signed pooling picks 1 over 0xff (-1); unsigned picks 0xff. Odd size floors.
  const uint8_t p[2 * 3] = {0xff, 1, 9, 0x80, 0, 9};
  uint8_t out = 0;
  ASSERT_EQ(ts_int_maxpool2(p, 1, 2, 3, 1, &out, &err), TS_OK);
  EXPECT_EQ(out, 1);
  ASSERT_EQ(ts_int_maxpool2(p, 1, 2, 3, 0, &out, &err), TS_OK);
  EXPECT_EQ(out, 0xff);
  EXPECT_EQ(ts_int_maxpool2(p, 1, 1, 3, 0, &out, &err), TS_E_ARG);
  const int64_t y[3] = {-128, 0, 127};
  uint8_t b[3];
  ASSERT_EQ(ts_int_to_bytes(y, 3, TS_INT_OUT_S8, b, &err), TS_OK);
  EXPECT_EQ(b[0], 0x80);
  EXPECT_EQ(ts_int_to_bytes(y, 3, TS_INT_OUT_U8, b, &err), TS_E_ARG);
}

}  // namespace
