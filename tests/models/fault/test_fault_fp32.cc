// models/fp32 under injected faults: the network, inference contexts, the
// trainer, evaluation and the training loop with its log and checkpoints.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "fault_util.h"
#include "test_handles.h"
#include "test_util.h"
#include "ts_eval.h"
#include "ts_net.h"
#include "ts_train.h"
#include "ts_weights.h"

namespace {

using fault::Case;
using fault::kAlloc;
using fault::kIo;
using fault::Sweep;

TEST(FaultNet, Create) {
  const ts_arch a = ts_test::StripesArch();
  ts_net *net = nullptr;
  Case c{"ts_net_create", kAlloc, TS_E_NOMEM,
         [&](ts_error *e) { return ts_net_create(&a, &net, e); }};
  c.on_fail = [&](ts_status) { EXPECT_EQ(net, nullptr); };
  c.on_ok = [&] {
    ASSERT_NE(net, nullptr);
    EXPECT_EQ(ts_net_num_params(net), ts_arch_num_params(&a));
    ts_net_destroy(net);
  };
  Sweep(c);
}

TEST(FaultNet, Forward) {
  const ts_arch a = ts_test::StripesArch();
  auto net = ts_test::MakeNet(a, 3);
  ASSERT_TRUE(net);
  const int n = 20; // two inference chunks
  const auto x = ts_test::RandomImages(a, n, 5);
  std::vector<float> want(n * a.classes), got;
  ts_error e0{};
  ASSERT_EQ(ts_net_forward(net.get(), x.data(), n, want.data(), 2, &e0), TS_OK) << e0.msg;
  Case c{"ts_net_forward", kAlloc, TS_E_NOMEM,
         [&](ts_error *e) { return ts_net_forward(net.get(), x.data(), n, got.data(), 2, e); }};
  c.setup = [&] { got.assign(want.size(), -7.f); };
  c.on_fail = [&](ts_status) { EXPECT_EQ(got, std::vector<float>(want.size(), -7.f)); };
  c.on_ok = [&] { EXPECT_EQ(got, want); };
  Sweep(c);
}

TEST(FaultNet, TrainerCreateAndMask) {
  const ts_arch a = ts_test::StripesArch();
  auto net = ts_test::MakeNet(a, 4);
  ASSERT_TRUE(net);
  ts_trainer *tr = nullptr;
  Case c{"ts_trainer_create", kAlloc, TS_E_NOMEM,
         [&](ts_error *e) { return ts_trainer_create(net.get(), 6, 2, &tr, e); }};
  c.on_fail = [&](ts_status) { EXPECT_EQ(tr, nullptr); };
  c.on_ok = [&] {
    ASSERT_NE(tr, nullptr);
    ts_trainer_destroy(tr);
  };
  Sweep(c);

  // A failed ts_trainer_set_mask leaves the trainer as it was: no mask.
  const size_t np = ts_net_num_params(net.get());
  std::vector<uint8_t> mask(np, 1);
  mask[0] = 0;
  const auto x = ts_test::RandomImages(a, 4, 6);
  const int y[4] = {0, 1, 2, 1};
  const ts_sgd sgd = {0.05f, 0.9f, 0.f};
  ts_trainer *t = nullptr;
  Case m{"ts_trainer_set_mask", kAlloc, TS_E_NOMEM,
         [&](ts_error *e) { return ts_trainer_set_mask(t, mask.data(), e); }};
  m.setup = [&] {
    ts_trainer_destroy(t);
    t = nullptr;
    ts_error e{};
    ASSERT_EQ(ts_trainer_create(net.get(), 4, 1, &t, &e), TS_OK) << e.msg;
    ts_net_params(net.get())[0] = 0.5f;
  };
  m.on_fail = [&](ts_status) {
    ts_error e{};
    ASSERT_EQ(ts_trainer_step(t, &sgd, x.data(), y, 4, nullptr, nullptr, &e), TS_OK) << e.msg;
    EXPECT_NE(ts_net_params(net.get())[0], 0.f) << "a mask that failed to set is in force";
  };
  m.on_ok = [&] {
    ts_error e{};
    ASSERT_EQ(ts_trainer_step(t, &sgd, x.data(), y, 4, nullptr, nullptr, &e), TS_OK) << e.msg;
    EXPECT_EQ(ts_net_params(net.get())[0], 0.f);
  };
  Sweep(m);
  ts_trainer_destroy(t);
}

TEST(FaultNet, Evaluate) {
  const ts_arch a = ts_test::StripesArch();
  auto net = ts_test::MakeNet(a, 9);
  auto ds = ts_test::MakeStripes(12, 2);
  ASSERT_TRUE(net && ds);
  ts_norm nm;
  ts_error e0{};
  ASSERT_EQ(ts_dataset_norm(ds.get(), &nm, &e0), TS_OK);
  double want = -1, acc = -1;
  ASSERT_EQ(ts_evaluate(net.get(), ds.get(), &nm, 0, 2, &want, nullptr, &e0), TS_OK) << e0.msg;
  Case c{"ts_evaluate", kAlloc, TS_E_NOMEM, [&](ts_error *e) {
           return ts_evaluate(net.get(), ds.get(), &nm, 0, 2, &acc, nullptr, e);
         }};
  c.setup = [&] { acc = -1; };
  c.on_fail = [&](ts_status) { EXPECT_EQ(acc, -1); };
  c.on_ok = [&] { EXPECT_EQ(acc, want); };
  Sweep(c);
}

// ts_train with a log and a checkpoint: a failure may come after some epochs
// were written, but never leaves a temp file or a checkpoint that does not
// load; a good run leaves both complete.
class FaultTrain : public testing::Test {
 protected:
  void SetUp() override {
    net_ = ts_test::MakeNet(a_, 11);
    train_ = ts_test::MakeStripes(6, 1);
    val_ = ts_test::MakeStripes(3, 2);
    ASSERT_TRUE(net_ && train_ && val_);
    ts_error e{};
    ASSERT_EQ(ts_dataset_norm(train_.get(), &nm_, &e), TS_OK);
    ts_train_config_default(&cfg_);
    cfg_.epochs = 1; // steps of 3 images, 2 an epoch, a log row after each
    cfg_.batch = 3;
    cfg_.threads = 2;
    cfg_.log_every = 1;
    cfg_.val_subset = 2;
    cfg_.log_path = log_.c_str();
    cfg_.checkpoint_path = ckpt_.c_str();
  }
  void Reset() {
    ts_net_init(net_.get(), 11);
    std::remove(log_.c_str());
    std::remove(ckpt_.c_str());
  }
  ts_status Train(const ts_train_config &cfg, ts_error *e) {
    return ts_train(net_.get(), train_.get(), val_.get(), &nm_, &cfg, nullptr, nullptr,
                    nullptr, e);
  }
  // complete: the run went to cfg.epochs (every row of the log there).
  void CheckFiles(const ts_train_config &cfg, bool complete) {
    EXPECT_TRUE(fault::TempFiles(dir_.str()).empty());
    if (!complete && !fault::Exists(ckpt_)) return;
    std::vector<float> p(ts_net_num_params(net_.get())), m(p.size());
    ts_train_state st{};
    ts_error e{};
    ASSERT_EQ(ts_weights_load_checkpoint(ckpt_.c_str(), &a_, p.data(), m.data(), p.size(), &st,
                                         &e),
              TS_OK) << e.msg;
    if (complete) {
      EXPECT_EQ(st.epoch, cfg.epochs);
      EXPECT_EQ(st.iteration, 2 * cfg.epochs);
      const auto rows = ts_test::ReadLines(log_);
      ASSERT_EQ(rows.size(), 1u + 2 * cfg.epochs) << "header + a row per step";
      for (int i = 1; i <= 2 * cfg.epochs; i++)
        EXPECT_EQ(rows[i].rfind(std::to_string(i) + ",", 0), 0u) << rows[i];
    }
  }
  ts_test::TestDir dir_{"fault_train"};
  const ts_arch a_ = ts_test::StripesArch();
  ts_test::NetPtr net_;
  ts_test::DsPtr train_, val_;
  ts_norm nm_;
  ts_train_config cfg_;
  std::string log_ = dir_.str() + "/log.csv", ckpt_ = dir_.str() + "/ckpt.safetensors";
};

TEST_F(FaultTrain, Fresh) {
  for (fault::Kind kind : {kAlloc, kIo}) {
    Case c{"ts_train", kind, kind == kAlloc ? TS_E_NOMEM : TS_E_IO,
           [&](ts_error *e) { return Train(cfg_, e); }};
    c.setup = [&] { Reset(); };
    c.on_fail = [&](ts_status) { CheckFiles(cfg_, false); };
    c.on_ok = [&] { CheckFiles(cfg_, true); };
    Sweep(c);
  }
}

TEST_F(FaultTrain, Resume) {
  for (fault::Kind kind : {kAlloc, kIo}) {
    const ts_train_config first = cfg_;
    ts_train_config again = cfg_;
    again.epochs = 2;
    again.resume = 1;
    Case c{"ts_train --resume", kind, kind == kAlloc ? TS_E_NOMEM : TS_E_IO,
           [&](ts_error *e) { return Train(again, e); }};
    c.also_when = {{"cJSON malloc", TS_E_FORMAT}}; // see fault::Case
    // the first epoch's files, put back before every run
    Reset();
    ts_error e{};
    ASSERT_EQ(Train(first, &e), TS_OK) << e.msg;
    const std::string log = fault::ReadFile(log_), ckpt = fault::ReadFile(ckpt_);
    c.setup = [&, log, ckpt] {
      fault::WriteFile(log_, log);
      fault::WriteFile(ckpt_, ckpt);
    };
    c.on_fail = [&](ts_status) { CheckFiles(again, false); };
    c.on_ok = [&] { CheckFiles(again, true); };
    Sweep(c);
  }
}

}  // namespace
