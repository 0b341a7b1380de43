// Whole-network checks (models/fp32/ts_net.c): gradient of every parameter against
// finite differences, thread-count independence, determinism, and a tiny
// training run whose loss must fall.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <random>
#include <vector>

#include "test_handles.h"
#include "ts_net.h"

namespace {

using ts_test::MakeNet;
using ts_test::NetPtr;
using ts_test::RandomImages;
using ts_test::TinyArch;
using ts_test::TrainerPtr;


TEST(Net, GradientOfEveryParameterMatchesFiniteDifferences) {
  const ts_arch a = TinyArch();
  NetPtr net = MakeNet(a, 7);
  const int n = 3;
  std::vector<float> x = RandomImages(a, n, 11);
  std::vector<int> y = {0, 3, 1};
  ts_trainer *tr = nullptr;
  ts_error err{};
  ASSERT_EQ(ts_trainer_create(net.get(), n, 1, &tr, &err), TS_OK) << err.msg;
  TrainerPtr trainer(tr);
  double loss = 0;
  const float *g = nullptr;
  ASSERT_EQ(ts_trainer_grad(tr, x.data(), y.data(), n, &loss, nullptr, &g, &err), TS_OK) << err.msg;
  const size_t np = ts_net_num_params(net.get());
  std::vector<float> ana(g, g + np);
  float *p = ts_net_params(net.get());
  const float eps = 2e-3f;
  double worst = 0, num_norm = 0, diff_norm = 0;
  size_t worst_i = 0;
  for (size_t i = 0; i < np; i++) {
    const float keep = p[i];
    double lp, lm;
    p[i] = keep + eps;
    ASSERT_EQ(ts_trainer_grad(tr, x.data(), y.data(), n, &lp, nullptr, nullptr, nullptr), TS_OK);
    p[i] = keep - eps;
    ASSERT_EQ(ts_trainer_grad(tr, x.data(), y.data(), n, &lm, nullptr, nullptr, nullptr), TS_OK);
    p[i] = keep;
    const double num = (lp - lm) / (2.0 * eps);
    const double d = std::fabs(num - ana[i]);
    num_norm += num * num;
    diff_norm += d * d;
    if (d > worst) {
      worst = d;
      worst_i = i;
    }
  }
  // Every element close in absolute terms (a ReLU kink inside +-eps could
  // spoil one element slightly), and the whole vector close in relative norm.
  EXPECT_LT(worst, 5e-3) << "parameter " << worst_i << " analytic " << ana[worst_i];
  EXPECT_LT(std::sqrt(diff_norm / num_norm), 1e-2)
      << "relative error of the whole gradient vector";
}

TEST(Net, ForwardDoesNotDependOnThreadsOrBatching) {
  ts_arch a;
  ts_arch_default(&a, 3, 32, 32, 100);
  NetPtr net = MakeNet(a, 1);
  const int n = 77;  // not a multiple of the inference chunk
  std::vector<float> x = RandomImages(a, n, 2);
  std::vector<float> l1(n * 100), l2(n * 100), one(100);
  ts_error err{};
  ASSERT_EQ(ts_net_forward(net.get(), x.data(), n, l1.data(), 1, &err), TS_OK) << err.msg;
  ASSERT_EQ(ts_net_forward(net.get(), x.data(), n, l2.data(), 2, &err), TS_OK) << err.msg;
  EXPECT_EQ(0, std::memcmp(l1.data(), l2.data(), l1.size() * sizeof(float)));
  const int probe = 50;
  ASSERT_EQ(ts_net_forward(net.get(), x.data() + probe * 3 * 32 * 32, 1, one.data(), 1, &err), TS_OK);
  // BLAS may block a 1-image GEMM differently: equal up to float rounding.
  for (int j = 0; j < 100; j++)
    EXPECT_NEAR(one[j], l1[probe * 100 + j], 1e-5f * (1.f + std::fabs(one[j]))) << "class " << j;
}

TEST(Net, InitIsDeterministicAndBoundedLikePyTorch) {
  const ts_arch a = TinyArch();
  NetPtr n1 = MakeNet(a, 42), n2 = MakeNet(a, 42), n3 = MakeNet(a, 43);
  const size_t np = ts_net_num_params(n1.get());
  EXPECT_EQ(0, std::memcmp(ts_net_params(n1.get()), ts_net_params(n2.get()), np * 4));
  EXPECT_NE(0, std::memcmp(ts_net_params(n1.get()), ts_net_params(n3.get()), np * 4));
  const ts_layer_info *l = ts_net_layer(n1.get(), 0);
  const float bound = 1.f / std::sqrt((float)(a.in_c * a.k1 * a.k1));
  for (size_t i = 0; i < l->w_len; i++)
    EXPECT_LE(std::fabs(ts_net_params(n1.get())[l->w_off + i]), bound);
}

// Two classes separable by the mean brightness of the image.
void MakeSeparable(const ts_arch &a, int n, uint32_t seed, std::vector<float> *x, std::vector<int> *y) {
  std::mt19937 g(seed);
  std::normal_distribution<float> d(0.f, 0.5f);
  const int sz = a.in_c * a.in_h * a.in_w;
  x->resize((size_t)n * sz);
  y->resize(n);
  for (int i = 0; i < n; i++) {
    (*y)[i] = i % 2;
    for (int j = 0; j < sz; j++) (*x)[(size_t)i * sz + j] = d(g) + ((*y)[i] ? 0.7f : -0.7f);
  }
}

TEST(Net, TrainingOnSeparableDataLowersTheLoss) {
  ts_arch a = TinyArch();
  a.classes = 2;
  NetPtr net = MakeNet(a, 3);
  std::vector<float> x;
  std::vector<int> y;
  MakeSeparable(a, 64, 5, &x, &y);
  ts_trainer *tr = nullptr;
  ASSERT_EQ(ts_trainer_create(net.get(), 16, 2, &tr, nullptr), TS_OK);
  TrainerPtr trainer(tr);
  const ts_sgd opt = {0.05f, 0.9f, 5e-4f};
  const int sz = a.in_c * a.in_h * a.in_w;
  double first = 0, last = 0;
  for (int epoch = 0; epoch < 15; epoch++) {
    double sum = 0;
    for (int b = 0; b < 64; b += 16) {
      double loss;
      ts_error err{};
      ASSERT_EQ(ts_trainer_step(tr, &opt, x.data() + (size_t)b * sz, y.data() + b, 16, &loss, nullptr, &err), TS_OK) << err.msg;
      sum += loss;
    }
    if (epoch == 0) first = sum / 4;
    last = sum / 4;
  }
  EXPECT_LT(last, 0.5 * first) << "loss went from " << first << " to " << last;
  EXPECT_LT(last, 0.2);
}

TEST(Net, SameSeedAndThreadsGiveBitIdenticalTraining) {
  const ts_arch a = TinyArch();
  std::vector<float> x = RandomImages(a, 32, 9);
  std::vector<int> y(32);
  for (int i = 0; i < 32; i++) y[i] = i % a.classes;
  std::vector<float> result[2];
  for (int run = 0; run < 2; run++) {
    NetPtr net = MakeNet(a, 8);
    ts_trainer *tr = nullptr;
    ASSERT_EQ(ts_trainer_create(net.get(), 32, 2, &tr, nullptr), TS_OK);
    TrainerPtr trainer(tr);
    const ts_sgd opt = {0.01f, 0.9f, 1e-4f};
    for (int s = 0; s < 5; s++)
      ASSERT_EQ(ts_trainer_step(tr, &opt, x.data(), y.data(), 32, nullptr, nullptr, nullptr), TS_OK);
    result[run].assign(ts_net_params(net.get()), ts_net_params(net.get()) + ts_net_num_params(net.get()));
  }
  EXPECT_EQ(result[0], result[1]);
}

// Masked training: a trainer stepping with momentum and weight decay from
// weights where the masked ones are non-zero at first.
struct MaskedRun {
  std::vector<float> params, momentum;
};
MaskedRun TrainWithMask(const ts_arch &a, const std::vector<uint8_t> *mask, int steps) {
  NetPtr net = MakeNet(a, 8);
  std::vector<float> x = RandomImages(a, 32, 9);
  std::vector<int> y(32);
  for (int i = 0; i < 32; i++) y[i] = i % a.classes;
  ts_trainer *tr = nullptr;
  EXPECT_EQ(ts_trainer_create(net.get(), 32, 2, &tr, nullptr), TS_OK);
  TrainerPtr trainer(tr);
  ts_error err{};
  if (mask) {
    EXPECT_EQ(ts_trainer_set_mask(tr, mask->data(), &err), TS_OK) << err.msg;
  }
  const ts_sgd opt = {0.02f, 0.9f, 5e-4f};
  for (int s = 0; s < steps; s++)
    EXPECT_EQ(ts_trainer_step(tr, &opt, x.data() + (s % 2) * 16 * a.in_c * a.in_h * a.in_w,
                              y.data() + (s % 2) * 16, 16, nullptr, nullptr, &err), TS_OK) << err.msg;
  const size_t np = ts_net_num_params(net.get());
  MaskedRun r;
  r.params.assign(ts_net_params(net.get()), ts_net_params(net.get()) + np);
  r.momentum.assign(ts_trainer_momentum(tr), ts_trainer_momentum(tr) + np);
  return r;
}

TEST(Net, MaskedWeightsAndMomentumStayExactlyZero) {
  const ts_arch a = TinyArch();
  const size_t np = ts_arch_num_params(&a);
  std::vector<uint8_t> mask(np);
  std::mt19937 g(4);
  for (auto &m : mask) m = (uint8_t)(g() % 3 != 0); // a third pruned, biases too
  const MaskedRun r = TrainWithMask(a, &mask, 60);
  const MaskedRun free_run = TrainWithMask(a, nullptr, 60);
  size_t masked = 0, moved = 0;
  for (size_t i = 0; i < np; i++) {
    if (!mask[i]) {
      masked++;
      // exact +0: a -0.0 or a denormal would fail these
      EXPECT_EQ(0u, reinterpret_cast<const uint32_t &>(r.params[i])) << "parameter " << i << " = " << r.params[i];
      EXPECT_EQ(0u, reinterpret_cast<const uint32_t &>(r.momentum[i])) << "momentum " << i << " = " << r.momentum[i];
      EXPECT_NE(0.0f, free_run.momentum[i]) << "parameter " << i << " gets no gradient anyway: a weak test";
    } else {
      moved += r.params[i] != 0.0f && r.momentum[i] != 0.0f;
    }
  }
  EXPECT_GT(masked, np / 5);
  EXPECT_EQ(moved, np - masked) << "every kept parameter must still train";
}

TEST(Net, AllOnesMaskChangesNothingAndNullRemovesTheMask) {
  const ts_arch a = TinyArch();
  const size_t np = ts_arch_num_params(&a);
  const std::vector<uint8_t> ones(np, 1);
  const MaskedRun with = TrainWithMask(a, &ones, 20), without = TrainWithMask(a, nullptr, 20);
  EXPECT_EQ(0, std::memcmp(with.params.data(), without.params.data(), np * sizeof(float)))
      << "an all-ones mask changed the parameters";
  EXPECT_EQ(0, std::memcmp(with.momentum.data(), without.momentum.data(), np * sizeof(float)))
      << "an all-ones mask changed the momentum";

  NetPtr net = MakeNet(a, 8);
  ts_trainer *tr = nullptr;
  ASSERT_EQ(ts_trainer_create(net.get(), 8, 1, &tr, nullptr), TS_OK);
  TrainerPtr trainer(tr);
  const std::vector<uint8_t> zeros(np, 0);
  ASSERT_EQ(ts_trainer_set_mask(tr, zeros.data(), nullptr), TS_OK);
  for (size_t i = 0; i < np; i++) ASSERT_EQ(ts_net_params(net.get())[i], 0.0f) << "set_mask zeroes at once";
  ASSERT_EQ(ts_trainer_set_mask(tr, nullptr, nullptr), TS_OK);
  std::vector<float> x = RandomImages(a, 8, 1);
  std::vector<int> y(8, 1);
  const ts_sgd opt = {0.02f, 0.9f, 0.0f};
  ASSERT_EQ(ts_trainer_step(tr, &opt, x.data(), y.data(), 8, nullptr, nullptr, nullptr), TS_OK);
  size_t nz = 0;
  for (size_t i = 0; i < np; i++) nz += ts_net_params(net.get())[i] != 0.0f;
  EXPECT_GT(nz, 0u) << "after set_mask(NULL) the parameters must train again";
  ts_error err{};
  EXPECT_EQ(ts_trainer_set_mask(nullptr, zeros.data(), &err), TS_E_ARG);
}

TEST(Net, BadArgumentsAreRejected) {
  const ts_arch a = TinyArch();
  NetPtr net = MakeNet(a, 1);
  ts_trainer *tr = nullptr;
  ts_error err{};
  EXPECT_EQ(ts_trainer_create(net.get(), 0, 1, &tr, &err), TS_E_ARG);
  ASSERT_EQ(ts_trainer_create(net.get(), 4, 1, &tr, &err), TS_OK);
  TrainerPtr trainer(tr);
  std::vector<float> x = RandomImages(a, 8, 1);
  std::vector<int> y = {0, 1, 9, 0, 0, 0, 0, 0};
  EXPECT_EQ(ts_trainer_grad(tr, x.data(), y.data(), 4, nullptr, nullptr, nullptr, &err), TS_E_ARG);
  EXPECT_NE(std::string(err.msg).find("label 9"), std::string::npos) << err.msg;
  EXPECT_EQ(ts_trainer_grad(tr, x.data(), y.data(), 8, nullptr, nullptr, nullptr, &err), TS_E_ARG);
  const ts_sgd bad = {-1.f, 0.9f, 0.f};
  y[2] = 0;
  EXPECT_EQ(ts_trainer_step(tr, &bad, x.data(), y.data(), 4, nullptr, nullptr, &err), TS_E_ARG);
  ts_arch broken = a;
  broken.k1 = 50;
  ts_net *n2 = nullptr;
  EXPECT_EQ(ts_net_create(&broken, &n2, &err), TS_E_ARG);
  EXPECT_EQ(n2, nullptr);
}

TEST(Net, DivergenceIsReportedNotHidden) {
  const ts_arch a = TinyArch();
  NetPtr net = MakeNet(a, 1);
  ts_net_params(net.get())[0] = NAN;
  ts_trainer *tr = nullptr;
  ASSERT_EQ(ts_trainer_create(net.get(), 4, 1, &tr, nullptr), TS_OK);
  TrainerPtr trainer(tr);
  std::vector<float> x = RandomImages(a, 4, 1);
  std::vector<int> y = {0, 1, 2, 3};
  ts_error err{};
  EXPECT_EQ(ts_trainer_grad(tr, x.data(), y.data(), 4, nullptr, nullptr, nullptr, &err), TS_E_NONFINITE);
}

}  // namespace
