// Architecture shapes, MACs and the ID rule (models/fp32/ts_arch.c).
#include <gtest/gtest.h>

#include "ts_arch.h"

namespace {

TEST(Arch, DefaultCifarShapesMatchTheWorkloadTable) {
  ts_arch a;
  ts_arch_default(&a, 3, 32, 32, 100);
  ts_layer_info l[TS_NUM_LAYERS];
  ts_error err{};
  ASSERT_EQ(ts_arch_layers(&a, l, &err), TS_OK) << err.msg;
  const long long macs[] = {352800, 240000, 48000, 10080, 8400};
  const int m[] = {6, 16, 120, 84, 100}, k[] = {75, 150, 400, 120, 84}, n[] = {784, 100, 1, 1, 1};
  for (int i = 0; i < TS_NUM_LAYERS; i++) {
    EXPECT_EQ(l[i].macs, macs[i]) << l[i].name;
    EXPECT_EQ(l[i].gemm_m, m[i]) << l[i].name;
    EXPECT_EQ(l[i].gemm_k, k[i]) << l[i].name;
    EXPECT_EQ(l[i].gemm_n, n[i]) << l[i].name;
  }
  EXPECT_EQ(ts_arch_macs(&a), 659280);
  // 450+6 + 2400+16 + 48000+120 + 10080+84 + 8400+100
  EXPECT_EQ(ts_arch_num_params(&a), 69656u);
}

TEST(Arch, LargeKernelsShrinkEverything) {
  ts_arch a;
  ts_arch_default(&a, 3, 32, 32, 10);
  a.k1 = a.k2 = 9;
  ts_layer_info l[TS_NUM_LAYERS];
  ASSERT_EQ(ts_arch_layers(&a, l, nullptr), TS_OK);
  EXPECT_EQ(l[1].out_h, 4);      // 32-9+1=24 -> 12 -> 12-9+1 = 4
  EXPECT_EQ(l[2].in_c, 16 * 2 * 2);
}

TEST(Arch, OddSizesFloorLikePyTorch) {
  ts_arch a;
  ts_arch_default(&a, 1, 28, 28, 10);
  a.k1 = 4;  // 25 -> 12
  a.k2 = 4;  // 9 -> 4
  ts_layer_info l[TS_NUM_LAYERS];
  ASSERT_EQ(ts_arch_layers(&a, l, nullptr), TS_OK);
  EXPECT_EQ(l[0].pooled_h, 12);
  EXPECT_EQ(l[1].out_h, 9);
  EXPECT_EQ(l[2].in_c, 16 * 4 * 4);
}

TEST(Arch, KernelTooLargeIsRejectedWithAReason) {
  ts_arch a;
  ts_arch_default(&a, 3, 32, 32, 100);
  a.k1 = 33;
  ts_error err{};
  EXPECT_EQ(ts_arch_validate(&a, &err), TS_E_ARG);
  EXPECT_NE(std::string(err.msg).find("k1 = 33"), std::string::npos) << err.msg;
  a.k1 = 5;
  a.k2 = 15;
  EXPECT_EQ(ts_arch_validate(&a, &err), TS_E_ARG);
  EXPECT_NE(std::string(err.msg).find("k2 = 15"), std::string::npos) << err.msg;
  a.k2 = 0;
  EXPECT_EQ(ts_arch_validate(&a, &err), TS_E_ARG);
  EXPECT_EQ(ts_arch_num_params(&a), 0u);
}

TEST(Arch, HugeChannelCountsAreRefusedBeforeAllocating) {
  ts_arch a;
  ts_arch_default(&a, 3, 32, 32, 100);
  a.c1 = a.c2 = 4096;  // 4096*4096*25 = 419M conv2 weights
  ts_error err{};
  EXPECT_EQ(ts_arch_validate(&a, &err), TS_E_ARG);
  EXPECT_NE(std::string(err.msg).find("weights"), std::string::npos) << err.msg;
}

TEST(Arch, IdRule) {
  int k1, k2, ep;
  ts_error err{};
  ASSERT_EQ(ts_arch_from_ids("1234", "5678", &k1, &k2, &ep, &err), TS_OK) << err.msg;
  EXPECT_EQ(k1, 4);
  EXPECT_EQ(k2, 9 - 5);
  EXPECT_EQ(ep, 32);  // 4*8
  ASSERT_EQ(ts_arch_from_ids("1111", "1111", &k1, &k2, &ep, &err), TS_OK);
  EXPECT_EQ(ep, 30);
  EXPECT_EQ(ts_arch_from_ids("123", "1234", &k1, &k2, &ep, &err), TS_E_ARG);
  EXPECT_NE(std::string(err.msg).find("different lengths"), std::string::npos);
  EXPECT_EQ(ts_arch_from_ids("12a4", "1234", &k1, &k2, &ep, &err), TS_E_ARG);
  EXPECT_EQ(ts_arch_from_ids("", "", &k1, &k2, &ep, &err), TS_E_ARG);
  EXPECT_EQ(ts_arch_from_ids("0000", "1234", &k1, &k2, &ep, &err), TS_E_ARG);
  EXPECT_EQ(ts_arch_from_ids("1234", "9999", &k1, &k2, &ep, &err), TS_E_ARG);
}

}  // namespace
