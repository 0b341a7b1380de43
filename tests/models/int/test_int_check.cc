// models/int/ts_int.c: ts_int_gemm_check refuses each bad field of a GEMM
// descriptor with a message naming it.
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "ts_int.h"

namespace {

TEST(IntGemmCheck, EachBadFieldIsNamed) {
  std::vector<int32_t> w(6, 1);
  std::vector<int64_t> bias(2, 0);
  std::vector<int32_t> mult(2, 1000);
  std::vector<uint8_t> shift(2, 10);
  auto good = [&] {
    ts_int_gemm g{};
    g.m = 2, g.k = 3, g.n = 4, g.wbits = 4, g.out = TS_INT_OUT_U8;
    g.w = w.data(), g.bias = bias.data(), g.mult = mult.data(), g.shift = shift.data();
    return g;
  };
  ts_error err{};
  ts_int_gemm g0 = good();
  ASSERT_EQ(ts_int_gemm_check(&g0, &err), TS_OK) << err.msg;
  const std::vector<std::pair<std::string, std::function<void(ts_int_gemm &)>>> bad = {
      {"sizes m=0", [](ts_int_gemm &g) { g.m = 0; }},
      {"sizes m=2 k=0", [](ts_int_gemm &g) { g.k = 0; }},
      {"n=0", [](ts_int_gemm &g) { g.n = 0; }},
      {"exceeds TS_HW_K_MAX", [](ts_int_gemm &g) { g.k = TS_HW_K_MAX + 1; }},
      {"wbits=0", [](ts_int_gemm &g) { g.wbits = 0; }},
      {"wbits=17", [](ts_int_gemm &g) { g.wbits = TS_HW_WBITS_MAX + 1; }},
      {"act_signed=2", [](ts_int_gemm &g) { g.act_signed = 2; }},
      {"output mode 7", [](ts_int_gemm &g) { g.out = static_cast<ts_int_out>(7); }},
      {"w[1][2]=8", [&](ts_int_gemm &g) { w[5] = 8; (void)g; }},
      {"w[0][0]=-9", [&](ts_int_gemm &g) { w[0] = -9; (void)g; }},
      {"bias[1]=", [&](ts_int_gemm &g) { bias[1] = ts_int_acc_bound(g.k); }},
      {"bias[0]=-", [&](ts_int_gemm &g) { bias[0] = -ts_int_acc_bound(g.k); }},
      {"needs mult and shift", [](ts_int_gemm &g) { g.mult = nullptr; }},
      {"needs mult and shift", [](ts_int_gemm &g) { g.shift = nullptr; }},
      {"mult[1]=0", [&](ts_int_gemm &g) { mult[1] = 0; (void)g; }},
      {"mult[0]=", [&](ts_int_gemm &g) { mult[0] = TS_HW_MULT_MAX + 1; (void)g; }},
      {"shift[1]=", [&](ts_int_gemm &g) { shift[1] = TS_HW_SHIFT_MAX + 1; (void)g; }},
  };
  for (const auto &b : bad) {
    w.assign(6, 1), bias.assign(2, 0), mult.assign(2, 1000), shift.assign(2, 10);
    ts_int_gemm g = good();
    b.second(g);
    err = ts_error{};
    EXPECT_EQ(ts_int_gemm_check(&g, &err), TS_E_ARG) << b.first;
    EXPECT_NE(std::string(err.msg).find(b.first), std::string::npos)
        << "expected '" << b.first << "' in: " << err.msg;
  }
}

}  // namespace
