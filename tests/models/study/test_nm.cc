// N:M structured pruning along K (models/study/ts_nm.c): the pattern in every
// group of M of every weight row, the largest magnitudes kept, short last
// groups, the mask, and rejection of bad N:M.
#include <gtest/gtest.h>

#include <cmath>
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "test_handles.h"
#include "ts_nm.h"

namespace {

using ts_test::MakeNet;
using ts_test::NetPtr;
// TinyArch's odd sizes (fc2 K = 7, fc3 K = 5, conv1 K = 18): most M leave a
// short last group in some layer.
using ts_test::TinyArch;


void CheckPattern(int n, int m) {
  const ts_arch a = TinyArch();
  NetPtr net = MakeNet(a, 11);
  const size_t np = ts_net_num_params(net.get());
  const std::vector<float> before(ts_net_params(net.get()), ts_net_params(net.get()) + np);
  std::vector<uint8_t> mask(np, 7);
  ts_error err{};
  ASSERT_EQ(ts_nm_prune_params(&a, ts_net_params(net.get()), n, m, mask.data(), &err), TS_OK) << err.msg;
  const float *w = ts_net_params(net.get());
  ts_layer_info L[TS_NUM_LAYERS];
  ASSERT_EQ(ts_arch_layers(&a, L, nullptr), TS_OK);
  std::vector<uint8_t> is_weight(np, 0);
  for (const ts_layer_info &l : L) {
    const size_t K = (size_t)l.gemm_k;
    ASSERT_EQ(l.w_len % K, 0u) << l.name;
    std::fill(is_weight.begin() + l.w_off, is_weight.begin() + l.w_off + l.w_len, 1);
    for (size_t r = 0; r < l.w_len / K; r++)
      for (size_t g = 0; g < K; g += m) {
        const size_t off = l.w_off + r * K + g, len = std::min<size_t>(m, K - g);
        size_t nz = 0;
        float min_kept = INFINITY, max_pruned = 0;
        for (size_t i = off; i < off + len; i++) {
          nz += w[i] != 0.0f;
          if (w[i] != 0.0f) {
            EXPECT_EQ(w[i], before[i]) << "kept weights keep their value";
            min_kept = std::min(min_kept, std::fabs(before[i]));
          } else {
            max_pruned = std::max(max_pruned, std::fabs(before[i]));
          }
          EXPECT_EQ(mask[i], w[i] != 0.0f) << l.name << " weight " << i - l.w_off;
        }
        // random init: no weight is 0, so every group keeps exactly min(N, len)
        EXPECT_EQ(nz, std::min<size_t>(n, len))
            << n << ":" << m << " " << l.name << " row " << r << " group at K = " << g;
        if (nz < len) {
          EXPECT_GE(min_kept, max_pruned) << "a smaller weight was kept in " << l.name;
        }
      }
  }
  for (size_t i = 0; i < np; i++)
    if (!is_weight[i]) {
      EXPECT_EQ(w[i], before[i]) << "bias " << i << " changed";
      EXPECT_EQ(mask[i], 1) << "bias " << i;
    }
}

TEST(NM, EveryGroupOfMKeepsTheNLargest) {
  const int cases[][2] = {{2, 4}, {1, 4}, {3, 8}, {1, 2}, {5, 7}, {2, 3}, {4, 4}, {1, 1}, {1, 64}};
  for (const auto &c : cases) {
    SCOPED_TRACE(std::to_string(c[0]) + ":" + std::to_string(c[1]));
    CheckPattern(c[0], c[1]);
  }
}

TEST(NM, ParseAcceptsNColonM) {
  int n = 0, m = 0;
  ts_error err{};
  ASSERT_EQ(ts_nm_parse("2:4", &n, &m, &err), TS_OK) << err.msg;
  EXPECT_EQ(n, 2);
  EXPECT_EQ(m, 4);
  ASSERT_EQ(ts_nm_parse("16:16", &n, &m, &err), TS_OK) << err.msg;
  EXPECT_EQ(n, 16);
}

TEST(NM, BadNMIsRejectedWithAClearMessageAndNothingChanges) {
  struct Bad {
    const char *text;
    const char *says;
  } bad[] = {{"4:2", "N must be in 1..M"}, {"2:0", "M must be at least 1"},
             {"0:4", "N must be in 1..M"}, {"-1:4", "not two whole numbers"},
             {"2", "not two whole numbers"}, {"2:4x", "not two whole numbers"},
             {":4", "not two whole numbers"}, {"a:b", "not two whole numbers"},
             {"", "not two whole numbers"}};
  for (const Bad &b : bad) {
    int n = -5, m = -5;
    ts_error err{};
    EXPECT_EQ(ts_nm_parse(b.text, &n, &m, &err), TS_E_ARG) << b.text;
    EXPECT_NE(std::string(err.msg).find(b.says), std::string::npos) << b.text << ": " << err.msg;
    EXPECT_EQ(n, -5) << b.text;
  }
  const ts_arch a = TinyArch();
  NetPtr net = MakeNet(a, 2);
  const size_t np = ts_net_num_params(net.get());
  const std::vector<float> before(ts_net_params(net.get()), ts_net_params(net.get()) + np);
  const int pairs[][2] = {{5, 4}, {1, 0}, {0, 0}, {0, 3}, {-2, 4}};
  for (const auto &p : pairs) {
    ts_error err{};
    EXPECT_EQ(ts_nm_prune_params(&a, ts_net_params(net.get()), p[0], p[1], nullptr, &err), TS_E_ARG)
        << p[0] << ":" << p[1];
    EXPECT_NE(std::string(err.msg).find("N:M sparsity"), std::string::npos) << err.msg;
  }
  // a NaN in the last layer: no earlier layer may have been pruned
  ts_layer_info L[TS_NUM_LAYERS];
  ASSERT_EQ(ts_arch_layers(&a, L, nullptr), TS_OK);
  const size_t last = L[TS_NUM_LAYERS - 1].w_off;
  ts_net_params(net.get())[last] = NAN;
  ts_error err{};
  EXPECT_EQ(ts_nm_prune_params(&a, ts_net_params(net.get()), 2, 4, nullptr, &err), TS_E_NONFINITE);
  EXPECT_NE(std::string(err.msg).find("fc3"), std::string::npos) << err.msg;
  ts_net_params(net.get())[last] = before[last];
  EXPECT_EQ(0, std::memcmp(before.data(), ts_net_params(net.get()), np * sizeof(float)))
      << "a rejected call changed the weights";
}

}  // namespace
