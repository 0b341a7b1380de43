// Masked fine-tuning (models/study/ts_finetune.c): the gradual schedule's
// endpoints, the mask held through training (one-shot, gradual, N:M), a
// sparsity of 0 equal to plain training, exact resume, and bad configs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "test_handles.h"
#include "ts_eval.h"
#include "ts_finetune.h"
#include "ts_nm.h"
#include "ts_prune.h"

namespace {

using ts_test::DsPtr;
using ts_test::MakeStripes;
using ts_test::NetPtr;

TEST(GradualSchedule, EndpointsAndCubicShape) {
  for (double si : {0.0, 0.2}) {
    for (double sf : {0.5, 0.9, 1.0}) {
      const double T = 4.0;
      EXPECT_EQ(ts_finetune_gradual_sparsity(si, sf, 0.0, T), si);
      EXPECT_EQ(ts_finetune_gradual_sparsity(si, sf, -1.0, T), si);
      EXPECT_EQ(ts_finetune_gradual_sparsity(si, sf, T, T), sf) << "s_f exactly at t = T";
      EXPECT_EQ(ts_finetune_gradual_sparsity(si, sf, T + 0.5, T), sf);
      EXPECT_NEAR(ts_finetune_gradual_sparsity(si, sf, T / 2, T), sf + (si - sf) / 8, 1e-15);
      EXPECT_NEAR(ts_finetune_gradual_sparsity(si, sf, 1.0, T), sf + (si - sf) * 27.0 / 64, 1e-15);
      double last = si;
      for (double t = 0.0; t <= T; t += 0.01) {
        const double s = ts_finetune_gradual_sparsity(si, sf, t, T);
        EXPECT_GE(s, last - 1e-15) << "not monotone at t = " << t;
        last = s;
      }
    }
  }
}

// A small net trained a little on stripes: the "trained model" to prune.
// Zeros per layer after each step, through the progress callback.
struct ZeroTrace {
  const ts_net *net;
  std::vector<size_t> zeros; // whole-model weight zeros after every step
};
void OnStep(const ts_train_progress *, void *user) {
  ZeroTrace *z = static_cast<ZeroTrace *>(user);
  ts_layer_sparsity total;
  ts_layer_sparsity per[TS_NUM_LAYERS];
  ASSERT_EQ(ts_prune_stats(z->net, per, &total, nullptr), TS_OK);
  z->zeros.push_back(total.weights - total.nonzero);
}

class FinetuneTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "tessera_finetune_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    ASSERT_EQ(system(("rm -rf " + dir_ + " && mkdir -p " + dir_).c_str()), 0);
    train_ = MakeStripes(240, 1);
    val_ = MakeStripes(90, 2);
    ASSERT_EQ(ts_dataset_norm(train_.get(), &nm_, nullptr), TS_OK);
    ts_arch_default(&a_, 1, 12, 12, 3);
    a_.k1 = 3;
    a_.k2 = 2;
    base_ = ts_test::MakeNet(a_, 5);
    ts_train_config tc;
    ts_train_config_default(&tc);
    tc.epochs = 3;
    tc.batch = 32;
    tc.log_every = 0;
    tc.sgd.lr = 0.05f;
    ts_error err{};
    ASSERT_EQ(ts_train(base_.get(), train_.get(), nullptr, &nm_, &tc, nullptr, nullptr, nullptr, &err), TS_OK) << err.msg;
    ts_finetune_config_default(&cfg_);
    cfg_.train.epochs = 3;
    cfg_.train.batch = 32;
    cfg_.train.log_every = 0;
    cfg_.train.sgd.lr = 0.01f;
  }
  NetPtr Copy() const {
    NetPtr n = ts_test::MakeNet(a_, 1);
    std::memcpy(ts_net_params(n.get()), ts_net_params_const(base_.get()),
                ts_net_num_params(n.get()) * sizeof(float));
    return n;
  }
  std::vector<float> Params(const NetPtr &n) const {
    return std::vector<float>(ts_net_params_const(n.get()),
                              ts_net_params_const(n.get()) + ts_net_num_params(n.get()));
  }
  ts_status Run(const NetPtr &n, ts_train_result *res = nullptr) {
    ts_error err{};
    const ts_status s = ts_finetune(n.get(), train_.get(), val_.get(), &nm_, &cfg_, nullptr, nullptr, res, &err);
    EXPECT_EQ(s, TS_OK) << err.msg;
    return s;
  }
  // Gradual pruning to 80% over 4 epochs (3 prune points each) with the
  // given allocation: the model's zeros after every step in z, checked
  // never to fall (a weight once pruned stays pruned).
  void GradualTrace(ts_net *n, ts_prune_alloc alloc, ZeroTrace *z) {
    cfg_.mode = TS_FINETUNE_GRADUAL;
    cfg_.allocation = alloc;
    cfg_.sparsity = 0.8;
    cfg_.train.epochs = 4;
    cfg_.prunes_per_epoch = 3;
    ts_error err{};
    ASSERT_EQ(ts_finetune(n, train_.get(), val_.get(), &nm_, &cfg_, OnStep, z, nullptr, &err), TS_OK) << err.msg;
    ASSERT_EQ(z->zeros.size(), 4u * 8u); // 240 images / 32 = 8 steps per epoch
    for (size_t i = 1; i < z->zeros.size(); i++) EXPECT_GE(z->zeros[i], z->zeros[i - 1]) << "step " << i;
  }
  std::string dir_;
  DsPtr train_, val_;
  ts_norm nm_;
  ts_arch a_;
  NetPtr base_;
  ts_finetune_config cfg_;
};

TEST_F(FinetuneTest, OneShotHoldsTheMaskItPrunedAndRecovers) {
  cfg_.sparsity = 0.7;
  cfg_.train.epochs = 4;
  NetPtr pruned = Copy(), tuned = Copy();
  ASSERT_EQ(ts_prune_net(pruned.get(), 0.7, nullptr), TS_OK);
  double acc_pruned = 0;
  ASSERT_EQ(ts_evaluate(pruned.get(), val_.get(), &nm_, 0, 2, &acc_pruned, nullptr, nullptr), TS_OK);
  ts_train_result res;
  ASSERT_EQ(Run(tuned, &res), TS_OK);
  const std::vector<float> p = Params(pruned), t = Params(tuned);
  ts_layer_info L[TS_NUM_LAYERS];
  ASSERT_EQ(ts_arch_layers(&a_, L, nullptr), TS_OK);
  size_t changed = 0;
  for (const ts_layer_info &l : L)
    for (size_t i = l.w_off; i < l.w_off + l.w_len; i++) {
      if (p[i] == 0.0f)
        EXPECT_EQ(0u, reinterpret_cast<const uint32_t &>(t[i])) << l.name << " weight " << i - l.w_off << " = " << t[i];
      else
        EXPECT_NE(t[i], 0.0f) << l.name << " weight " << i - l.w_off << " was kept by pruning but is 0";
      changed += t[i] != p[i];
    }
  EXPECT_GT(changed, 0u) << "fine-tuning did not train";
  EXPECT_LE(res.val_error, 1.0 - acc_pruned) << "fine-tuning lost accuracy against the pruned model";
}

TEST_F(FinetuneTest, ZeroSparsityIsPlainTraining) {
  cfg_.sparsity = 0.0;
  NetPtr tuned = Copy(), plain = Copy();
  ASSERT_EQ(Run(tuned), TS_OK);
  ts_error err{};
  ASSERT_EQ(ts_train(plain.get(), train_.get(), val_.get(), &nm_, &cfg_.train, nullptr, nullptr, nullptr, &err), TS_OK) << err.msg;
  EXPECT_EQ(0, std::memcmp(Params(tuned).data(), Params(plain).data(), ts_net_num_params(plain.get()) * sizeof(float)))
      << "an all-ones mask changed training";
}

TEST_F(FinetuneTest, GradualRisesMonotonicallyToTheFinalSparsity) {
  NetPtr n = Copy();
  ZeroTrace z{n.get(), {}};
  ASSERT_NO_FATAL_FAILURE(GradualTrace(n.get(), TS_PRUNE_LOCAL, &z));
  EXPECT_EQ(z.zeros[0], 0u) << "s_i = 0: the first step trains the dense model";
  ts_layer_info L[TS_NUM_LAYERS];
  ASSERT_EQ(ts_arch_layers(&a_, L, nullptr), TS_OK);
  size_t want = 0;
  for (const ts_layer_info &l : L) {
    size_t k = 0;
    ASSERT_EQ(ts_prune_count(l.w_len, 0.8, &k, nullptr), TS_OK);
    want += k;
  }
  // the default ramp ends at 0.8 x 4 = 3.2 epochs; prune points are at
  // steps 0, 3, 6 of each 8-step epoch, so from the one at 3.375 epochs
  // (step index 27) on, every layer holds s_f exactly
  for (size_t i = 27; i < z.zeros.size(); i++) EXPECT_EQ(z.zeros[i], want) << "step " << i + 1;
  EXPECT_LT(z.zeros[20], want) << "reached s_f before the ramp ended";
  EXPECT_GT(z.zeros[9], 0u) << "nothing pruned after the first prune point of epoch 2";
}

// Global allocation: the mask is the global pruning of the base weights,
// held exactly (bit pattern +0) through momentum and weight decay; the
// model's zero count is the requested fraction within one weight.
TEST_F(FinetuneTest, GlobalAllocationHoldsItsMaskAndTheModelsCount) {
  cfg_.sparsity = 0.7;
  cfg_.allocation = TS_PRUNE_GLOBAL;
  cfg_.train.epochs = 3;
  NetPtr pruned = Copy(), tuned = Copy();
  ASSERT_EQ(ts_prune_params_alloc(&a_, ts_net_params(pruned.get()), 0.7, TS_PRUNE_GLOBAL, nullptr,
                                  nullptr), TS_OK);
  ASSERT_EQ(Run(tuned), TS_OK);
  const std::vector<float> p = Params(pruned), t = Params(tuned);
  ts_layer_info L[TS_NUM_LAYERS];
  ASSERT_EQ(ts_arch_layers(&a_, L, nullptr), TS_OK);
  size_t zeros = 0, n = 0, changed = 0;
  for (const ts_layer_info &l : L)
    for (size_t i = l.w_off; i < l.w_off + l.w_len; i++, n++) {
      if (p[i] == 0.0f)
        EXPECT_EQ(0u, reinterpret_cast<const uint32_t &>(t[i])) << l.name << " weight " << i - l.w_off << " = " << t[i];
      else
        EXPECT_NE(t[i], 0.0f) << l.name << " weight " << i - l.w_off << " was kept but is 0";
      zeros += t[i] == 0.0f;
      changed += t[i] != p[i];
    }
  EXPECT_LE(std::fabs((double)zeros - 0.7 * (double)n), 1.0) << zeros << " of " << n << " weights are 0";
  EXPECT_GT(changed, 0u) << "fine-tuning did not train";
}

// Gradual pruning with global allocation ends at the global mask's count
// and never un-prunes a weight once pruned.
TEST_F(FinetuneTest, GradualGlobalReachesTheModelsCount) {
  NetPtr n = Copy();
  ZeroTrace z{n.get(), {}};
  ASSERT_NO_FATAL_FAILURE(GradualTrace(n.get(), TS_PRUNE_GLOBAL, &z));
  ts_layer_info L[TS_NUM_LAYERS];
  ASSERT_EQ(ts_arch_layers(&a_, L, nullptr), TS_OK);
  size_t total = 0, want = 0;
  for (const ts_layer_info &l : L) total += l.w_len;
  ASSERT_EQ(ts_prune_count(total, 0.8, &want, nullptr), TS_OK);
  for (size_t i = 27; i < z.zeros.size(); i++) EXPECT_EQ(z.zeros[i], want) << "step " << i + 1;
}

// Gradual pruning with a sparsity per layer (tessera codesign's
// configurations): every layer ends at exactly its own count, and the
// model's zeros never fall on the way.
TEST_F(FinetuneTest, GradualPerLayerReachesEachLayersCount) {
  const double p[TS_NUM_LAYERS] = {0.3, 0.5, 0.85, 0.6, 0.9};
  cfg_.layer_sparsity = p;
  NetPtr n = Copy();
  ZeroTrace z{n.get(), {}};
  ASSERT_NO_FATAL_FAILURE(GradualTrace(n.get(), TS_PRUNE_LOCAL, &z));
  EXPECT_EQ(z.zeros[0], 0u) << "s_i = 0: the first step trains the dense model";
  ts_layer_sparsity per[TS_NUM_LAYERS], total;
  ASSERT_EQ(ts_prune_stats(n.get(), per, &total, nullptr), TS_OK);
  for (int l = 0; l < TS_NUM_LAYERS; l++) {
    size_t want = 0;
    ASSERT_EQ(ts_prune_count(per[l].weights, p[l], &want, nullptr), TS_OK);
    EXPECT_EQ(per[l].weights - per[l].nonzero, want) << per[l].name << " at " << p[l];
  }
}

TEST_F(FinetuneTest, NMPatternHoldsAfterFineTuning) {
  cfg_.mode = TS_FINETUNE_NM;
  cfg_.nm_n = 1;
  cfg_.nm_m = 4;
  NetPtr n = Copy();
  ASSERT_EQ(Run(n), TS_OK);
  const std::vector<float> w = Params(n);
  ts_layer_info L[TS_NUM_LAYERS];
  ASSERT_EQ(ts_arch_layers(&a_, L, nullptr), TS_OK);
  for (const ts_layer_info &l : L) {
    const size_t K = l.gemm_k;
    for (size_t r = 0; r < l.w_len / K; r++)
      for (size_t g = 0; g < K; g += 4) {
        int nz = 0;
        for (size_t i = g; i < std::min(K, g + 4); i++) nz += w[l.w_off + r * K + i] != 0.0f;
        EXPECT_EQ(nz, 1) << l.name << " row " << r << " group at K = " << g;
      }
  }
}

TEST_F(FinetuneTest, ResumeEqualsAnUninterruptedRun) {
  for (ts_finetune_mode mode : {TS_FINETUNE_GRADUAL, TS_FINETUNE_ONESHOT}) {
    SCOPED_TRACE(mode == TS_FINETUNE_GRADUAL ? "gradual, global, cosine" : "one-shot");
    // the gradual run also uses the new options: global allocation, and a
    // cosine rate whose T (4 epochs) is given so the 2-epoch part keeps it
    cfg_.allocation = mode == TS_FINETUNE_GRADUAL ? TS_PRUNE_GLOBAL : TS_PRUNE_LOCAL;
    cfg_.train.lr_schedule = mode == TS_FINETUNE_GRADUAL ? TS_LR_COSINE : TS_LR_CONSTANT;
    cfg_.train.schedule_epochs = 4;
    const std::string ck_a = dir_ + "/a.ckpt", ck_b = dir_ + "/b.ckpt";
    std::remove(ck_a.c_str());
    std::remove(ck_b.c_str());
    cfg_.mode = mode;
    cfg_.sparsity = 0.75;
    cfg_.prunes_per_epoch = 5;
    cfg_.train.epochs = 4;
    cfg_.train.checkpoint_path = ck_a.c_str();
    cfg_.ramp_epochs = 3.2; // given in epochs: the 2-epoch run below has the same schedule
    NetPtr whole = Copy();
    ASSERT_EQ(Run(whole), TS_OK);
    // "killed" after 2 epochs, then a fresh net resumes from the checkpoint
    cfg_.train.checkpoint_path = ck_b.c_str();
    cfg_.train.epochs = 2;
    NetPtr part = Copy();
    ASSERT_EQ(Run(part), TS_OK);
    cfg_.train.epochs = 4;
    cfg_.train.resume = 1;
    NetPtr resumed = ts_test::MakeNet(a_, 77);
    ts_train_result res;
    ASSERT_EQ(Run(resumed, &res), TS_OK);
    cfg_.train.resume = 0;
    cfg_.ramp_epochs = 0;
    cfg_.train.schedule_epochs = 0;
    EXPECT_EQ(res.start_epoch, 2);
    EXPECT_EQ(0, std::memcmp(Params(whole).data(), Params(resumed).data(), ts_net_num_params(whole.get()) * sizeof(float)))
        << "resumed parameters differ from the uninterrupted run";
  }
}

TEST_F(FinetuneTest, BadConfigurationsAreRejectedAndNothingChanges) {
  struct Bad {
    void (*set)(ts_finetune_config *);
    const char *says;
  } bad[] = {
      {[](ts_finetune_config *c) { c->sparsity = 1.5; }, "outside [0, 1]"},
      {[](ts_finetune_config *c) { c->sparsity = -0.1; }, "outside [0, 1]"},
      {[](ts_finetune_config *c) { c->sparsity = NAN; }, "outside [0, 1]"},
      {[](ts_finetune_config *c) { c->mode = TS_FINETUNE_NM; c->nm_n = 5; c->nm_m = 4; }, "N must be in 1..M"},
      {[](ts_finetune_config *c) { c->mode = TS_FINETUNE_NM; c->nm_n = 1; c->nm_m = 0; }, "M must be at least 1"},
      {[](ts_finetune_config *c) { c->mode = TS_FINETUNE_GRADUAL; c->initial_sparsity = 0.6; }, "initial sparsity"},
      {[](ts_finetune_config *c) { c->mode = TS_FINETUNE_GRADUAL; c->prunes_per_epoch = 0; }, "prune points"},
      {[](ts_finetune_config *c) { c->mode = TS_FINETUNE_GRADUAL; c->ramp_epochs = -1; }, "ramp"},
      {[](ts_finetune_config *c) { static const double p[TS_NUM_LAYERS] = {0.5, 0.5, 0.5, 0.5, 0.5};
                                   c->mode = TS_FINETUNE_NM; c->layer_sparsity = p; }, "one-shot or gradual"},
      {[](ts_finetune_config *c) { c->train.epochs = 0; }, "epochs"},
      {[](ts_finetune_config *c) { c->allocation = (ts_prune_alloc)7; }, "allocation 7 is unknown"},
      {[](ts_finetune_config *c) { c->train.lr_schedule = (ts_lr_schedule)5; }, "schedule 5 is unknown"},
      {[](ts_finetune_config *c) { c->train.schedule_epochs = -1; }, "schedule of -1 epochs"},
  };
  NetPtr n = Copy();
  const std::vector<float> before = Params(n);
  for (const Bad &b : bad) {
    ts_finetune_config c = cfg_;
    b.set(&c);
    ts_error err{};
    EXPECT_EQ(ts_finetune(n.get(), train_.get(), val_.get(), &nm_, &c, nullptr, nullptr, nullptr, &err), TS_E_ARG) << b.says;
    EXPECT_NE(std::string(err.msg).find(b.says), std::string::npos) << err.msg;
    EXPECT_EQ(0, std::memcmp(before.data(), Params(n).data(), before.size() * sizeof(float))) << b.says;
  }
}

}  // namespace
