// Magnitude pruning (models/study/ts_prune.c): the count rule, which weights go,
// ties, 0% and 100%, per-layer pruning of a network, non-zero MAC counts,
// and rejection of bad input.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <vector>

#include "test_handles.h"
#include "ts_net.h"
#include "ts_prune.h"
#include "ts_rng.h"

namespace {

using ts_test::NetPtr;

// n distinct non-zero magnitudes in random order with random signs.
std::vector<float> DistinctTensor(size_t n, uint64_t seed) {
  ts_rng r;
  ts_rng_seed(&r, seed);
  std::vector<int> idx(n);
  for (size_t i = 0; i < n; i++) idx[i] = (int)i;
  ts_rng_shuffle(&r, idx.data(), (int)n);
  std::vector<float> w(n);
  for (size_t i = 0; i < n; i++)
    w[i] = (float)(idx[i] + 1) * 1e-3f * (ts_rng_u64(&r) & 1 ? 1.0f : -1.0f);
  return w;
}

size_t Zeros(const float *w, size_t n) {
  size_t z = 0;
  for (size_t i = 0; i < n; i++) z += w[i] == 0.0f;
  return z;
}

TEST(PruneCount, RoundsPTimesNHalfUp) {
  struct Case {
    size_t n;
    double p;
    size_t k;
  } cases[] = {{100, 0.1, 10},   {7, 0.5, 4},     {5, 0.5, 3},
               {3, 0.5, 2},      {10, 0.0, 0},    {10, 1.0, 10},
               {1, 0.49, 0},     {1, 0.5, 1},     {0, 0.5, 0},
               {48000, 0.95, 45600}, {450, 0.99, 446}, {2400, 0.99, 2376},
               {8400, 0.3, 2520}, {6, 0.25, 2}};
  for (const Case &c : cases) {
    size_t k = 12345;
    ts_error err{};
    ASSERT_EQ(ts_prune_count(c.n, c.p, &k, &err), TS_OK) << err.msg;
    EXPECT_EQ(k, c.k) << "n = " << c.n << " p = " << c.p;
  }
}

TEST(PruneCount, RejectsFractionsOutside0To1AndNaN) {
  const double bad[] = {-0.05, 1.01, -1e-12, 1.0 + 1e-12,
                        std::numeric_limits<double>::quiet_NaN(),
                        std::numeric_limits<double>::infinity()};
  for (double p : bad) {
    size_t k;
    ts_error err{};
    EXPECT_EQ(ts_prune_count(10, p, &k, &err), TS_E_ARG) << "p = " << p;
    EXPECT_NE(std::strstr(err.msg, "[0, 1]"), nullptr) << err.msg;
  }
  ts_error err{};
  size_t k;
  ts_prune_count(10, -0.05, &k, &err);
  EXPECT_NE(std::strstr(err.msg, "-5%"), nullptr) << err.msg;
  ts_prune_count(10, 1.01, &k, &err);
  EXPECT_NE(std::strstr(err.msg, "101%"), nullptr) << err.msg;
}

// The k smallest magnitudes become 0, everything else is bit-identical.
TEST(PruneTensor, ZeroesExactlyTheKSmallestMagnitudes) {
  const size_t n = 1000;
  const std::vector<float> orig = DistinctTensor(n, 1);
  for (double p : {0.0, 0.1, 0.25, 0.5, 0.9, 0.95, 0.99, 1.0}) {
    std::vector<float> w = orig;
    size_t k = 0;
    ts_error err{};
    ASSERT_EQ(ts_prune_tensor(w.data(), n, p, &k, &err), TS_OK) << err.msg;
    EXPECT_EQ(k, (size_t)std::floor(p * n + 0.5)) << "p = " << p;
    EXPECT_EQ(Zeros(w.data(), n), k) << "p = " << p;
    // magnitudes are (i+1)/1000: the pruned ones are exactly ranks < k
    for (size_t i = 0; i < n; i++) {
      const size_t rank = (size_t)std::lround(std::fabs(orig[i]) * 1e3f) - 1;
      if (rank < k)
        EXPECT_EQ(w[i], 0.0f) << "rank " << rank << " kept at p = " << p;
      else
        EXPECT_EQ(w[i], orig[i]) << "rank " << rank << " changed at p = " << p;
    }
  }
}

// Equal magnitudes (and w vs -w) go in index order.
TEST(PruneTensor, TiesGoByIndex) {
  std::vector<float> w = {0.5f, -0.5f, 0.5f, 0.1f, -0.5f, 2.0f};
  ts_error err{};
  ASSERT_EQ(ts_prune_tensor(w.data(), w.size(), 0.5, nullptr, &err), TS_OK);
  const std::vector<float> want = {0.0f, 0.0f, 0.5f, 0.0f, -0.5f, 2.0f};
  for (size_t i = 0; i < w.size(); i++) EXPECT_EQ(w[i], want[i]) << "index " << i;
  std::vector<float> same(8, -1.0f);
  ASSERT_EQ(ts_prune_tensor(same.data(), 8, 0.375, nullptr, &err), TS_OK);
  for (size_t i = 0; i < 8; i++)
    EXPECT_EQ(same[i], i < 3 ? 0.0f : -1.0f) << "index " << i;
}

// Zeros already present are the smallest and count towards k.
TEST(PruneTensor, ExistingZerosCountAmongTheSmallest) {
  std::vector<float> w = {0.0f, -0.0f, 3.0f, 1.0f, 2.0f};
  ts_error err{};
  ASSERT_EQ(ts_prune_tensor(w.data(), 5, 0.2, nullptr, &err), TS_OK);
  EXPECT_EQ(w[3], 1.0f) << "k = 1 should take a zero, not 1.0";
  ASSERT_EQ(ts_prune_tensor(w.data(), 5, 0.6, nullptr, &err), TS_OK);
  EXPECT_EQ(w[3], 0.0f);
  EXPECT_EQ(w[4], 2.0f);
  EXPECT_EQ(w[2], 3.0f);
}

TEST(PruneTensor, ZeroPercentKeepsAndHundredPercentClearsEverything) {
  const std::vector<float> orig = DistinctTensor(37, 2);
  std::vector<float> w = orig;
  ts_error err{};
  ASSERT_EQ(ts_prune_tensor(w.data(), w.size(), 0.0, nullptr, &err), TS_OK);
  EXPECT_EQ(std::memcmp(w.data(), orig.data(), w.size() * 4), 0);
  ASSERT_EQ(ts_prune_tensor(w.data(), w.size(), 1.0, nullptr, &err), TS_OK);
  EXPECT_EQ(Zeros(w.data(), w.size()), w.size());
}

TEST(PruneTensor, RejectsNaNEmptyAndBadFractionLeavingWUntouched) {
  std::vector<float> w = DistinctTensor(10, 3);
  w[7] = std::numeric_limits<float>::quiet_NaN();
  const std::vector<float> before = w;
  ts_error err{};
  EXPECT_EQ(ts_prune_tensor(w.data(), w.size(), 0.5, nullptr, &err),
            TS_E_NONFINITE);
  EXPECT_NE(std::strstr(err.msg, "weight 7"), nullptr) << err.msg;
  EXPECT_EQ(std::memcmp(w.data(), before.data(), w.size() * 4), 0);
  w[7] = 1.0f;
  EXPECT_EQ(ts_prune_tensor(w.data(), w.size(), 1.5, nullptr, &err), TS_E_ARG);
  EXPECT_EQ(ts_prune_tensor(w.data(), 0, 0.5, nullptr, &err), TS_E_ARG);
  EXPECT_EQ(ts_prune_tensor(nullptr, 4, 0.5, nullptr, &err), TS_E_ARG);
}

// ---- Networks -----------------------------------------------------------


NetPtr CifarNet(uint64_t seed) {
  ts_arch a;
  ts_arch_default(&a, 3, 32, 32, 100);
  ts_net *n = nullptr;
  ts_error err{};
  EXPECT_EQ(ts_net_create(&a, &n, &err), TS_OK) << err.msg;
  if (n) ts_net_init(n, seed);
  return NetPtr(n);
}

// Output pixels each conv weight is used at: Hout*Wout (fc: 1), by hand
// for the default CIFAR shapes.
const long long kUses[TS_NUM_LAYERS] = {28 * 28, 10 * 10, 1, 1, 1};
const size_t kWeights[TS_NUM_LAYERS] = {6 * 3 * 5 * 5, 16 * 6 * 5 * 5,
                                        400 * 120, 120 * 84, 84 * 100};

TEST(PruneNet, OneNamedLayerOnlyAndItsNonzeroMacs) {
  NetPtr net = CifarNet(1);
  ASSERT_TRUE(net);
  const size_t np = ts_net_num_params(net.get());
  float *p = ts_net_params(net.get());
  const std::vector<float> orig(p, p + np);
  ts_error err{};
  ASSERT_EQ(ts_prune_layer(net.get(), "conv2", 0.5, &err), TS_OK) << err.msg;
  ts_layer_sparsity s[TS_NUM_LAYERS], total;
  ASSERT_EQ(ts_prune_stats(net.get(), s, &total, &err), TS_OK) << err.msg;
  for (int i = 0; i < TS_NUM_LAYERS; i++) {
    const ts_layer_info *l = ts_net_layer(net.get(), i);
    EXPECT_EQ(s[i].weights, kWeights[i]) << l->name;
    const size_t zeros = Zeros(p + l->w_off, l->w_len);
    const size_t orig_zeros = Zeros(orig.data() + l->w_off, l->w_len);
    if (i == 1) {
      EXPECT_EQ(zeros, std::max<size_t>(1200, orig_zeros)) << l->name;
    } else {
      EXPECT_EQ(std::memcmp(p + l->w_off, orig.data() + l->w_off, l->w_len * 4), 0)
          << l->name << " changed when only conv2 was pruned";
    }
    EXPECT_EQ(std::memcmp(p + l->b_off, orig.data() + l->b_off, l->b_len * 4), 0)
        << l->name << " biases changed";
    EXPECT_EQ(s[i].nonzero, l->w_len - zeros) << l->name;
    EXPECT_EQ(s[i].nonzero_macs, (long long)s[i].nonzero * kUses[i]) << l->name;
  }
  EXPECT_EQ(total.macs, 659280);
  EXPECT_STREQ(total.name, "total");
}

TEST(PruneNet, AllLayersLocallyAndMacsFallAsTheClosedForm) {
  for (double p : {0.0, 0.1, 0.5, 0.9, 0.99, 1.0}) {
    NetPtr net = CifarNet(2);
    ASSERT_TRUE(net);
    size_t z0[TS_NUM_LAYERS]; // zeros before (init could hit exactly 0)
    for (int i = 0; i < TS_NUM_LAYERS; i++) {
      const ts_layer_info *l = ts_net_layer(net.get(), i);
      z0[i] = Zeros(ts_net_params(net.get()) + l->w_off, l->w_len);
    }
    ts_error err{};
    ASSERT_EQ(ts_prune_net(net.get(), p, &err), TS_OK) << err.msg;
    ts_layer_sparsity s[TS_NUM_LAYERS], total;
    ASSERT_EQ(ts_prune_stats(net.get(), s, &total, &err), TS_OK);
    long long want_macs = 0;
    for (int i = 0; i < TS_NUM_LAYERS; i++) {
      const size_t k = std::max(
          (size_t)std::floor(p * kWeights[i] + 0.5), z0[i]);
      EXPECT_EQ(s[i].nonzero, kWeights[i] - k) << s[i].name << " p = " << p;
      want_macs += (long long)(kWeights[i] - k) * kUses[i];
    }
    EXPECT_EQ(total.nonzero_macs, want_macs) << "p = " << p;
    EXPECT_EQ(total.macs, 659280);
  }
}

TEST(PruneNet, UnknownLayerListsTheValidNames) {
  NetPtr net = CifarNet(3);
  ASSERT_TRUE(net);
  ts_error err{};
  EXPECT_EQ(ts_prune_layer(net.get(), "conv3", 0.5, &err), TS_E_ARG);
  EXPECT_NE(std::strstr(err.msg, "'conv3'"), nullptr) << err.msg;
  EXPECT_NE(std::strstr(err.msg, "conv1, conv2, fc1, fc2, fc3"), nullptr)
      << err.msg;
  EXPECT_EQ(ts_prune_layer(net.get(), nullptr, 0.5, &err), TS_E_ARG);
  EXPECT_EQ(ts_prune_layer(net.get(), "fc1", -0.05, &err), TS_E_ARG);
  EXPECT_EQ(ts_prune_net(net.get(), 1.01, &err), TS_E_ARG);
  EXPECT_EQ(ts_prune_net(nullptr, 0.5, &err), TS_E_ARG);
  int idx = -1;
  ASSERT_EQ(ts_prune_layer_index(ts_net_arch(net.get()), "fc3", &idx, &err),
            TS_OK);
  EXPECT_EQ(idx, 4);
}

TEST(PruneNet, NaNInALaterLayerChangesNoLayer) {
  NetPtr net = CifarNet(4);
  ASSERT_TRUE(net);
  float *p = ts_net_params(net.get());
  p[ts_net_layer(net.get(), 4)->w_off] = std::numeric_limits<float>::quiet_NaN();
  const size_t np = ts_net_num_params(net.get());
  const std::vector<float> before(p, p + np);
  ts_error err{};
  EXPECT_EQ(ts_prune_net(net.get(), 0.5, &err), TS_E_NONFINITE);
  EXPECT_NE(std::strstr(err.msg, "fc3"), nullptr) << err.msg;
  EXPECT_EQ(std::memcmp(before.data(), p, np * 4), 0);
}

// Stats on a hand-made parameter array of a tiny network (2x9x9 input,
// k = 2): -0.0 counts as zero, MACs per conv weight = Hout*Wout.
TEST(PruneStats, CountsNonzeroWeightsAndMacsOnAHandMadeModel) {
  ts_arch a;
  ts_arch_default(&a, 2, 9, 9, 3);
  a.k1 = a.k2 = 2;
  a.c1 = 2;
  a.c2 = 3;
  a.f1 = 4;
  a.f2 = 5;
  // conv1: 9x9 -> 8x8, pool 4x4; conv2: 4x4 -> 3x3, pool 1x1; fc1 3 -> 4
  const size_t nw[TS_NUM_LAYERS] = {2 * 2 * 2 * 2, 3 * 2 * 2 * 2, 3 * 4, 4 * 5,
                                    5 * 3};
  const long long uses[TS_NUM_LAYERS] = {8 * 8, 3 * 3, 1, 1, 1};
  ts_layer_info L[TS_NUM_LAYERS];
  ts_error err{};
  ASSERT_EQ(ts_arch_layers(&a, L, &err), TS_OK) << err.msg;
  std::vector<float> params(ts_arch_num_params(&a), 1.0f);
  // layer i gets i+1 zeros (one of them -0.0)
  for (int i = 0; i < TS_NUM_LAYERS; i++) {
    ASSERT_EQ(L[i].w_len, nw[i]) << L[i].name;
    for (int j = 0; j <= i; j++) params[L[i].w_off + j] = j ? 0.0f : -0.0f;
  }
  ts_layer_sparsity s[TS_NUM_LAYERS], total;
  ASSERT_EQ(ts_prune_stats_params(&a, params.data(), s, &total, &err), TS_OK);
  long long macs = 0, nzmacs = 0;
  for (int i = 0; i < TS_NUM_LAYERS; i++) {
    EXPECT_EQ(s[i].nonzero, nw[i] - (i + 1)) << L[i].name;
    EXPECT_EQ(s[i].macs, (long long)nw[i] * uses[i]) << L[i].name;
    EXPECT_EQ(s[i].nonzero_macs, (long long)(nw[i] - (i + 1)) * uses[i])
        << L[i].name;
    macs += (long long)nw[i] * uses[i];
    nzmacs += (long long)(nw[i] - (i + 1)) * uses[i];
  }
  EXPECT_EQ(total.macs, macs);
  EXPECT_EQ(total.nonzero_macs, nzmacs);
  EXPECT_EQ(total.nonzero, total.weights - 15);
}

} // namespace

namespace {

// Global allocation: one threshold over the whole model. The count is the
// model's (floor(p*N + 0.5) of all N weights, within one weight of p*N),
// every pruned |w| is <= every kept |w| across layers, and the layers end
// at different fractions.
TEST(PruneGlobal, OneThresholdOverAllLayersAndTheModelsCount) {
  for (double p : {0.0, 0.3, 0.7, 0.8, 0.95, 1.0}) {
    NetPtr net = CifarNet(5);
    ASSERT_TRUE(net);
    const ts_arch *a = ts_net_arch(net.get());
    float *w = ts_net_params(net.get());
    const size_t np = ts_net_num_params(net.get());
    const std::vector<float> before(w, w + np);
    std::vector<uint8_t> mask(np, 7);
    ts_error err{};
    ASSERT_EQ(ts_prune_params_alloc(a, w, p, TS_PRUNE_GLOBAL, mask.data(), &err), TS_OK)
        << err.msg;
    ts_layer_sparsity s[TS_NUM_LAYERS], total;
    ASSERT_EQ(ts_prune_stats(net.get(), s, &total, &err), TS_OK);
    const double want = p * (double)total.weights;
    EXPECT_LE(std::fabs((double)(total.weights - total.nonzero) - want), 1.0)
        << "p = " << p << ": " << total.weights - total.nonzero << " zeros, asked " << want;
    float max_pruned = 0, min_kept = INFINITY;
    for (int i = 0; i < TS_NUM_LAYERS; i++) {
      const ts_layer_info *l = ts_net_layer(net.get(), i);
      for (size_t j = l->w_off; j < l->w_off + l->w_len; j++) {
        ASSERT_EQ(mask[j], w[j] == 0.0f ? 0 : 1) << l->name << " weight " << j - l->w_off;
        if (w[j] == 0.0f) max_pruned = std::max(max_pruned, std::fabs(before[j]));
        else {
          min_kept = std::min(min_kept, std::fabs(w[j]));
          ASSERT_EQ(w[j], before[j]) << "a kept weight changed";
        }
      }
      // biases are never pruned
      for (size_t j = l->b_off; j < l->b_off + l->b_len; j++) {
        ASSERT_EQ(mask[j], 1);
        ASSERT_EQ(w[j], before[j]);
      }
    }
    if (p > 0 && p < 1) {
      EXPECT_LE(max_pruned, min_kept) << "p = " << p << ": not one threshold";
      EXPECT_NE(s[0].nonzero * s[2].weights, s[2].nonzero * s[0].weights)
          << "conv1 and fc1 ended at the same fraction: not global";
    }
  }
}

// Local through the same entry point is ts_prune_params_mask; re-pruning
// a globally pruned model at the same sparsity gives the same mask (the
// fine-tuning resume relies on it).
TEST(PruneGlobal, LocalIsTheDefaultSplitAndGlobalIsIdempotent) {
  NetPtr a = CifarNet(6), b = CifarNet(6);
  const size_t np = ts_net_num_params(a.get());
  ASSERT_EQ(ts_prune_params_alloc(ts_net_arch(a.get()), ts_net_params(a.get()), 0.6,
                                  TS_PRUNE_LOCAL, nullptr, nullptr), TS_OK);
  ASSERT_EQ(ts_prune_net(b.get(), 0.6, nullptr), TS_OK);
  EXPECT_EQ(0, std::memcmp(ts_net_params(a.get()), ts_net_params(b.get()), np * 4));
  NetPtr g = CifarNet(7);
  float *w = ts_net_params(g.get());
  std::vector<uint8_t> m1(np), m2(np);
  ASSERT_EQ(ts_prune_params_alloc(ts_net_arch(g.get()), w, 0.75, TS_PRUNE_GLOBAL, m1.data(),
                                  nullptr), TS_OK);
  const std::vector<float> once(w, w + np);
  ASSERT_EQ(ts_prune_params_alloc(ts_net_arch(g.get()), w, 0.75, TS_PRUNE_GLOBAL, m2.data(),
                                  nullptr), TS_OK);
  EXPECT_EQ(m1, m2);
  EXPECT_EQ(0, std::memcmp(once.data(), w, np * 4));
}

TEST(PruneGlobal, BadInputIsRejectedAndNothingChanges) {
  ts_prune_alloc al = TS_PRUNE_LOCAL;
  ts_error err{};
  EXPECT_EQ(ts_prune_alloc_parse("global", &al, &err), TS_OK);
  EXPECT_EQ(al, TS_PRUNE_GLOBAL);
  EXPECT_EQ(ts_prune_alloc_parse("local", &al, &err), TS_OK);
  EXPECT_EQ(al, TS_PRUNE_LOCAL);
  EXPECT_EQ(ts_prune_alloc_parse("globl", &al, &err), TS_E_ARG);
  EXPECT_NE(std::strstr(err.msg, "'globl'"), nullptr) << err.msg;
  EXPECT_NE(std::strstr(err.msg, "local, global"), nullptr) << err.msg;
  EXPECT_EQ(al, TS_PRUNE_LOCAL) << "a failed parse changed the output";
  NetPtr net = CifarNet(8);
  float *p = ts_net_params(net.get());
  const size_t np = ts_net_num_params(net.get());
  p[ts_net_layer(net.get(), 4)->w_off] = std::numeric_limits<float>::quiet_NaN();
  const std::vector<float> before(p, p + np);
  EXPECT_EQ(ts_prune_params_alloc(ts_net_arch(net.get()), p, 0.5, TS_PRUNE_GLOBAL, nullptr, &err),
            TS_E_NONFINITE);
  EXPECT_NE(std::strstr(err.msg, "fc3"), nullptr) << err.msg;
  EXPECT_EQ(ts_prune_params_alloc(ts_net_arch(net.get()), p, 1.5, TS_PRUNE_GLOBAL, nullptr, &err),
            TS_E_ARG);
  EXPECT_NE(std::strstr(err.msg, "outside [0, 1]"), nullptr) << err.msg;
  EXPECT_EQ(ts_prune_params_alloc(ts_net_arch(net.get()), p, 0.5, (ts_prune_alloc)9, nullptr, &err),
            TS_E_ARG);
  EXPECT_EQ(std::memcmp(before.data(), p, np * 4), 0);
}

}  // namespace
