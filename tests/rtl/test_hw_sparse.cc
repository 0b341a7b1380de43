// Zero-skipping on the RTL (ts_hw_gemm_sparse): bit-exact with the golden
// model at every sparsity, for random layers and for the shapes of weights
// that stress the compressed stream (empty filters, one non-zero, only the
// first or last k, the longest gaps), counters that match the weights, and
// whole pruned networks in dense and sparse mode.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "hw_layer.h"
#include "ts_arch.h"
#include "ts_hw.h"
#include "ts_int.h"
#include "ts_net.h"
#include "ts_prune.h"
#include "ts_qnet.h"
#include "ts_rng.h"
#include "ts_sparse.h"

namespace {

using HwSparse = HwFixture;

const double kSparsities[] = {0.0, 0.25, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0};

// Thousands of random layers: shapes x B x sparsity x seeds, both
// activation signs, every output mode; each in sparse mode, every fourth
// in dense mode too (the same design, the same answer).
TEST_F(HwSparse, RandomLayersEveryWidthAndSparsity) {
  int cases = 0;
  for (uint64_t seed : {101, 202})
    for (int b = TS_HW_WBITS_MIN; b <= TS_HW_WBITS_MAX; b++)
      for (double s : kSparsities)
        for (int rep = 0; rep < 8; rep++) {
          ts_rng r;
          ts_rng_seed(&r, seed * 100000 + (uint64_t)b * 1000 + (uint64_t)(s * 100) * 10 + rep);
          auto dim = [&](int max) {
            const uint64_t p = ts_rng_below(&r, 6);
            if (p == 0) return 1;
            if (p == 1) return (int)std::min<uint64_t>(max, 16 + ts_rng_below(&r, 3) - 1);
            return 1 + (int)ts_rng_below(&r, (uint64_t)max);
          };
          const int m = dim(40), k = dim(200), n = dim(60);
          Layer L = make_layer(&r, m, k, n, b, (int)ts_rng_below(&r, 2),
                               (ts_int_out)ts_rng_below(&r, 3), Fill::Random, Fill::Random);
          sparsify(&r, &L, s);
          ASSERT_TRUE(check_layer(hw_, seed, L, nullptr, true));
          if (rep % 4 == 0) {
            ASSERT_TRUE(check_layer(hw_, seed, L, nullptr, false));
          }
          cases++;
        }
  EXPECT_EQ(cases, 2 * 16 * 9 * 8);  // 2,304 sparse layers (+576 dense)
}

// Weight patterns that stress the stream, at every B and both signs.
TEST_F(HwSparse, StreamEdgeCasesEveryWidth) {
  enum Pattern { AllZero, SomeFiltersZero, OneNonzero, OnlyFirst, OnlyLast, FirstAndLast,
                 EveryGapLength, Dense };
  const char *names[] = {"all zero", "some filters zero", "one non-zero per filter",
                         "only k=0", "only k=K-1", "k=0 and k=K-1", "every gap length",
                         "dense"};
  ts_rng r;
  ts_rng_seed(&r, 77);
  for (int b = TS_HW_WBITS_MIN; b <= TS_HW_WBITS_MAX; b++)
    for (int sgn = 0; sgn <= 1; sgn++)
      for (int pat = AllZero; pat <= Dense; pat++) {
        const int m = 19, k = pat == EveryGapLength ? 700 : 150, n = 21;
        Layer L = make_layer(&r, m, k, n, b, sgn, TS_INT_OUT_ACC, Fill::AllMin, Fill::Random);
        for (int i = 0; i < m; i++) {
          int32_t *row = L.w.data() + (size_t)i * k;
          const int32_t v = row[0];  // -2^(B-1): the largest magnitude
          switch (pat) {
            case AllZero: std::fill(row, row + k, 0); break;
            case SomeFiltersZero: if (i % 3 != 1) std::fill(row, row + k, 0); break;
            case OneNonzero:
              std::fill(row, row + k, 0);
              row[ts_rng_below(&r, (uint64_t)k)] = v;
              break;
            case OnlyFirst: std::fill(row, row + k, 0); row[0] = v; break;
            case OnlyLast: std::fill(row, row + k, 0); row[k - 1] = v; break;
            case FirstAndLast: std::fill(row, row + k, 0); row[0] = row[k - 1] = v; break;
            case EveryGapLength: {
              // Gaps of every length from 0 to 2^R + 2 and beyond: padding
              // entries at and around each boundary.
              std::fill(row, row + k, 0);
              int pos = i;
              for (int gap = 0; pos < k; gap++) {
                row[pos] = v;
                pos += 1 + (gap % (TS_HW_SPARSE_RUN_MAX + 4)) + (gap % 7 == 6 ? 64 : 0);
              }
              break;
            }
            case Dense: break;
          }
        }
        ASSERT_TRUE(check_layer(hw_, 77, L, nullptr, true)) << names[pat];
      }
}

// The longest filter with the longest gaps: K = K_MAX, non-zeros only at
// the ends, so 63 padding entries in between (at B = 16, words to spare).
TEST_F(HwSparse, LongestGapsAtKMax) {
  ts_rng r;
  ts_rng_seed(&r, 31);
  for (int b : {1, 8, 16}) {
    Layer L = make_layer(&r, 5, TS_HW_K_MAX, 33, b, 1, TS_INT_OUT_ACC, Fill::AllMin, Fill::AllMin);
    for (int i = 0; i < L.m; i++)
      for (int j = 1; j < L.k - 1; j++) L.w[(size_t)i * L.k + j] = 0;
    ts_hw_counters c = {};
    ASSERT_TRUE(check_layer(hw_, 31, L, &c, true));
    const int pads = (TS_HW_K_MAX - 2) / (TS_HW_SPARSE_RUN_MAX + 1);
    EXPECT_EQ(c.macs, (uint64_t)L.m * (2 + pads) * L.n) << "2 non-zeros + " << pads << " pads";
  }
}

// A prepacked layer gives the same answer; a mismatched one is refused.
TEST_F(HwSparse, PrepackedLayerAndBadInput) {
  ts_rng r;
  ts_rng_seed(&r, 41);
  Layer L = make_layer(&r, 9, 60, 40, 6, 0, TS_INT_OUT_U8, Fill::Random, Fill::Random);
  sparsify(&r, &L, 0.8);
  ts_int_gemm g = L.desc();
  std::vector<int64_t> want((size_t)L.m * L.n), got(want.size(), -1);
  ts_error err = {};
  ASSERT_EQ(ts_int_gemm_run(&g, L.x.data(), want.data(), &err), TS_OK) << err.msg;
  ts_sparse *s = nullptr;
  ASSERT_EQ(ts_sparse_pack(L.w.data(), L.m, L.k, L.wbits, &s, &err), TS_OK) << err.msg;
  g.w = nullptr;  // not read when the packed layer is given
  ASSERT_EQ(ts_hw_gemm_sparse(hw_, &g, s, L.x.data(), got.data(), nullptr, &err), TS_OK)
      << err.msg;
  EXPECT_EQ(got, want);
  g.k = 61;
  EXPECT_EQ(ts_hw_gemm_sparse(hw_, &g, s, L.x.data(), got.data(), nullptr, &err), TS_E_ARG);
  EXPECT_NE(std::string(err.msg).find("differs"), std::string::npos) << err.msg;
  g = L.desc();
  EXPECT_EQ(ts_hw_gemm_sparse(hw_, &g, nullptr, nullptr, got.data(), nullptr, &err), TS_E_ARG);
  EXPECT_EQ(ts_hw_gemm_sparse(nullptr, &g, nullptr, L.x.data(), got.data(), nullptr, &err),
            TS_E_ARG);
  ts_sparse_destroy(s);
  EXPECT_TRUE(check_layer(hw_, 41, L, nullptr, true)) << "handle unusable after bad input";
}

// Skipping pays: at 90% sparsity a conv-like layer runs in a fraction of
// its dense cycles, and the counters account for every lane-cycle.
TEST_F(HwSparse, SkippingSavesCycles) {
  ts_rng r;
  ts_rng_seed(&r, 51);
  Layer L = make_layer(&r, 16, 150, 400, 8, 0, TS_INT_OUT_U8, Fill::Random, Fill::Random);
  sparsify(&r, &L, 0.9);
  ts_hw_counters d = {}, s = {};
  ASSERT_TRUE(check_layer(hw_, 51, L, &d, false));
  ASSERT_TRUE(check_layer(hw_, 51, L, &s, true));
  const double ideal = (double)d.macs / (double)s.useful_macs;
  const double got = (double)d.cycles / (double)s.cycles;
  EXPECT_GT(got, 0.5 * ideal) << "dense " << d.cycles << " cycles, sparse " << s.cycles
                              << ", ideal speedup " << ideal;
  EXPECT_EQ(d.useful_macs, s.useful_macs);
}

// ts_hw_gemm_auto runs dense where the wider sparse entries would cost
// more (an FC layer at 0% sparsity: 13-bit entries at B = 8) and sparse
// where skipping pays; the results are the golden model's either way.
TEST_F(HwSparse, AutoModePicksTheCheaperMode) {
  ts_rng r;
  ts_rng_seed(&r, 61);
  for (double sp : {0.0, 0.95}) {
    Layer L = make_layer(&r, 64, 400, 1, 8, 0, TS_INT_OUT_ACC, Fill::Random, Fill::Random);
    sparsify(&r, &L, sp);
    ts_int_gemm g = L.desc();
    std::vector<int64_t> want((size_t)L.m * L.n), got(want.size(), -1);
    ts_error err = {};
    ASSERT_EQ(ts_int_gemm_run(&g, L.x.data(), want.data(), &err), TS_OK) << err.msg;
    ts_hw_counters c = {}, d = {}, s = {};
    int used = -1;
    ASSERT_EQ(ts_hw_gemm_auto(hw_, &g, L.x.data(), got.data(), &c, &used, &err), TS_OK) << err.msg;
    EXPECT_EQ(got, want) << "sparsity " << sp;
    EXPECT_EQ(used, sp > 0.5 ? 1 : 0) << "sparsity " << sp;
    ASSERT_TRUE(check_layer(hw_, 61, L, &d, false));
    ASSERT_TRUE(check_layer(hw_, 61, L, &s, true));
    EXPECT_EQ(c.cycles, std::min(d.cycles, s.cycles)) << "sparsity " << sp << ": auto "
        << c.cycles << ", dense " << d.cycles << ", sparse " << s.cycles;
  }
}

// Double-buffered filters: a lane prefetches its next job's filter into the
// bank its current job does not use. Many one- and two-tile jobs of filters
// that differ in size from job to job (all zero, one non-zero at k = K-1,
// 90% zeros, dense), so lanes run jobs back to back with a different filter
// each time and the last job of every lane is a short one; both modes.
TEST_F(HwSparse, PrefetchBackToBackDifferentFilters) {
  ts_rng r;
  ts_rng_seed(&r, 71);
  for (int b : {1, 4, 8, 16})
    for (int n : {16, 20}) {
      const int m = 48, k = 150;
      Layer L = make_layer(&r, m, k, n, b, b % 2, TS_INT_OUT_ACC, Fill::Random, Fill::Random);
      for (int i = 0; i < m; i++) {
        int32_t *row = L.w.data() + (size_t)i * k;
        switch (i % 4) {
          case 0: std::fill(row, row + k, 0); break;  // a job whose filter is all zeros
          case 1: std::fill(row, row + k - 1, 0); break;  // only k = K-1
          case 2:
            for (int j = 0; j < k; j++)
              if (ts_rng_uniform(&r) < 0.9) row[j] = 0;
            break;
          default: break;  // dense
        }
      }
      ASSERT_TRUE(check_layer(hw_, 71, L, nullptr, true)) << "B=" << b << " n=" << n;
      ASSERT_TRUE(check_layer(hw_, 71, L, nullptr, false)) << "B=" << b << " n=" << n;
    }
}

// Filters that fill a whole bank (K = K_MAX at B = 16: HW_LANE_WORDS words,
// dense mode): more filters than lanes, so second jobs load a full filter
// into the other bank while the first ones issue. Sparse mode at 50% (B = 8,
// 13-bit entries: half a bank) on the same shape.
TEST_F(HwSparse, PrefetchFullBankFilters) {
  ts_rng r;
  ts_rng_seed(&r, 73);
  Layer L = make_layer(&r, 20, TS_HW_K_MAX, 16, 16, 1, TS_INT_OUT_ACC, Fill::Random,
                       Fill::Random);
  ts_hw_counters c = {};
  ASSERT_TRUE(check_layer(hw_, 73, L, &c, false));
  EXPECT_EQ(c.wport_cycles, (uint64_t)L.m * TS_HW_LANE_WORDS) << "one load per filter";
  Layer S = make_layer(&r, 20, TS_HW_K_MAX, 40, 8, 0, TS_INT_OUT_ACC, Fill::Random,
                       Fill::Random);
  sparsify(&r, &S, 0.5);
  ASSERT_TRUE(check_layer(hw_, 73, S, nullptr, true));
}

// Multicast: one filter of 38 words (K = 150 at B = 16, dense) for 16
// lanes. While the first load holds the port the other lanes queue up, and
// the next grant serves every waiting lane at once: 2-3 loads' worth of
// port words instead of one load per lane (16 x 38).
TEST_F(HwSparse, MulticastSharesFilterLoads) {
  ts_rng r;
  ts_rng_seed(&r, 79);
  // 24 tiles: one run (the activation buffer holds 27 tiles at K = 150).
  Layer L = make_layer(&r, 1, 150, 16 * 24, 16, 0, TS_INT_OUT_ACC, Fill::Random, Fill::Random);
  ts_hw_counters c = {};
  ASSERT_TRUE(check_layer(hw_, 79, L, &c, false));
  const uint64_t words = (150 + 3) / 4;
  EXPECT_LE(c.wport_cycles, 3 * words) << "port words " << c.wport_cycles << " for 16 lanes";
  EXPECT_EQ(c.wport_cycles % words, 0u) << "port words " << c.wport_cycles << ": a partial load";
  EXPECT_EQ(c.runs, 1u);
}

// ts_qnet's GEMM executors on the RTL: ctx is the ts_hw handle.
ts_status exec_dense(void *ctx, int, const ts_int_gemm *g, const uint8_t *x, int64_t *y,
                     ts_error *err) {
  return ts_hw_gemm(static_cast<ts_hw *>(ctx), g, x, y, nullptr, err);
}
ts_status exec_sparse(void *ctx, int, const ts_int_gemm *g, const uint8_t *x, int64_t *y,
                      ts_error *err) {
  return ts_hw_gemm_sparse(static_cast<ts_hw *>(ctx), g, nullptr, x, y, nullptr, err);
}

// A magnitude-pruned network (ts_prune_net) quantized by ts_qnet: the RTL's
// logits equal the golden model's in dense and in sparse mode.
TEST(HwSparseNet, PrunedNetworkLogitsEqualGoldenDenseAndSparse) {
  ts_arch a;
  ts_arch_default(&a, 3, 32, 32, 100);
  ts_error err = {};
  ts_net *net = nullptr;
  ASSERT_EQ(ts_net_create(&a, &net, &err), TS_OK) << err.msg;
  ts_net_init(net, 5);
  const int n_img = 4;
  std::vector<float> imgs((size_t)n_img * 3 * 32 * 32);
  ts_rng r;
  ts_rng_seed(&r, 6);
  for (auto &v : imgs) v = 4.0f * ts_rng_uniform(&r) - 2.0f;
  ts_hw *hw = nullptr;
  ASSERT_EQ(ts_hw_create(nullptr, &hw, &err), TS_OK) << err.msg;
  double done = 0;
  for (double p : {0.5, 0.9, 0.99}) {
    ASSERT_EQ(ts_prune_net(net, p, &err), TS_OK) << err.msg;  // cumulative: p of each layer
    for (int bits : {4, 8}) {
      ts_qnet *q = nullptr;
      ASSERT_EQ(ts_qnet_create(net, bits, TS_QUANT_PER_CHANNEL, imgs.data(), n_img, &q, &err),
                TS_OK) << err.msg;
      std::vector<uint8_t> x((size_t)n_img * ts_qnet_image_bytes(q));
      ASSERT_EQ(ts_qnet_quantize_input(q, imgs.data(), x.size(), x.data(), &err), TS_OK);
      const size_t nl = (size_t)n_img * ts_qnet_classes(q);
      std::vector<int64_t> want(nl), dense(nl, -7), sparse(nl, -7);
      ASSERT_EQ(ts_qnet_run(q, x.data(), n_img, nullptr, nullptr, want.data(), &err), TS_OK);
      ASSERT_EQ(ts_qnet_run(q, x.data(), n_img, exec_dense, hw, dense.data(), &err), TS_OK)
          << err.msg;
      ASSERT_EQ(ts_qnet_run(q, x.data(), n_img, exec_sparse, hw, sparse.data(), &err), TS_OK)
          << err.msg;
      for (size_t i = 0; i < nl; i++) {
        ASSERT_EQ(dense[i], want[i]) << "pruned " << p << " B=" << bits << " logit " << i;
        ASSERT_EQ(sparse[i], want[i]) << "pruned " << p << " B=" << bits << " logit " << i;
      }
      ts_qnet_destroy(q);
      done++;
    }
  }
  EXPECT_EQ(done, 6);
  ts_hw_destroy(hw);
  ts_net_destroy(net);
}

}  // namespace
