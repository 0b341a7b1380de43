// The training loop (models/fp32/ts_train.c): logs, checkpoints, exact resume.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "test_handles.h"
#include "ts_train.h"

namespace {

using ts_test::DsPtr;
using ts_test::MakeStripes;
using ts_test::NetPtr;

NetPtr MakeNet() {
  ts_arch a;
  ts_arch_default(&a, 1, 12, 12, 3);
  a.k1 = 3;
  a.k2 = 2;
  ts_net *n = nullptr;
  EXPECT_EQ(ts_net_create(&a, &n, nullptr), TS_OK);
  ts_net_init(n, 5);
  return NetPtr(n);
}

std::string Slurp(const std::string &path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

class TrainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "tessera_train_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    ASSERT_EQ(system(("rm -rf " + dir_ + " && mkdir -p " + dir_).c_str()), 0);
    train_ = MakeStripes(300, 1);
    val_ = MakeStripes(90, 2);
    ASSERT_EQ(ts_dataset_norm(train_.get(), &nm_, nullptr), TS_OK);
    ts_train_config_default(&cfg_);
    cfg_.batch = 32;
    cfg_.log_every = 4;
    cfg_.val_subset = 30;
    cfg_.sgd.lr = 0.05f;
  }
  std::string dir_;
  DsPtr train_, val_;
  ts_norm nm_;
  ts_train_config cfg_;
};

// Cosine: lr at the first step, lr/2 half way, 0 at T and after; monotone;
// constant is lr throughout; T defaults to the run's epochs.
TEST(TrainLr, CosineEndpointsAndShape) {
  ts_train_config c;
  ts_train_config_default(&c);
  c.sgd.lr = 0.01f;
  c.epochs = 5;
  EXPECT_EQ(ts_train_lr(&c, 0, 100), 0.01f);
  EXPECT_EQ(ts_train_lr(&c, 499, 100), 0.01f) << "constant";
  c.lr_schedule = TS_LR_COSINE;
  EXPECT_EQ(ts_train_lr(&c, 0, 100), 0.01f);
  EXPECT_NEAR(ts_train_lr(&c, 250, 100), 0.005f, 1e-9);
  EXPECT_NEAR(ts_train_lr(&c, 125, 100), 0.005 * (1 + std::cos(M_PI / 4)), 1e-8);
  EXPECT_EQ(ts_train_lr(&c, 500, 100), 0.0f);
  EXPECT_GT(ts_train_lr(&c, 499, 100), 0.0f);
  float last = 1;
  for (long long s = 0; s < 600; s++) {
    const float lr = ts_train_lr(&c, s, 100);
    EXPECT_LE(lr, last) << "step " << s;
    last = lr;
  }
  c.schedule_epochs = 10; // a run stopped early keeps the full run's T
  EXPECT_NEAR(ts_train_lr(&c, 500, 100), 0.005f, 1e-9);
}

// A cosine run's schedule follows the step count, so it resumes exactly.
TEST_F(TrainTest, CosineResumeEqualsAnUninterruptedRun) {
  cfg_.lr_schedule = TS_LR_COSINE;
  cfg_.schedule_epochs = 3;
  cfg_.epochs = 3;
  cfg_.log_every = 0;
  const std::string ck_a = dir_ + "/a.ckpt", ck_b = dir_ + "/b.ckpt";
  NetPtr whole = MakeNet(), resumed = MakeNet();
  cfg_.checkpoint_path = ck_a.c_str();
  ts_error err{};
  ASSERT_EQ(ts_train(whole.get(), train_.get(), nullptr, &nm_, &cfg_, nullptr, nullptr, nullptr, &err), TS_OK) << err.msg;
  cfg_.checkpoint_path = ck_b.c_str();
  cfg_.epochs = 1;
  ASSERT_EQ(ts_train(resumed.get(), train_.get(), nullptr, &nm_, &cfg_, nullptr, nullptr, nullptr, &err), TS_OK) << err.msg;
  cfg_.epochs = 3;
  cfg_.resume = 1;
  NetPtr fresh = MakeNet();
  ASSERT_EQ(ts_train(fresh.get(), train_.get(), nullptr, &nm_, &cfg_, nullptr, nullptr, nullptr, &err), TS_OK) << err.msg;
  EXPECT_EQ(0, std::memcmp(ts_net_params(whole.get()), ts_net_params(fresh.get()),
                           ts_net_num_params(whole.get()) * sizeof(float)))
      << "the resumed cosine run differs from the uninterrupted one";
  // and the schedule matters: a constant run ends elsewhere
  cfg_.resume = 0;
  cfg_.checkpoint_path = nullptr;
  cfg_.lr_schedule = TS_LR_CONSTANT;
  NetPtr flat = MakeNet();
  ASSERT_EQ(ts_train(flat.get(), train_.get(), nullptr, &nm_, &cfg_, nullptr, nullptr, nullptr, &err), TS_OK) << err.msg;
  EXPECT_NE(0, std::memcmp(ts_net_params(whole.get()), ts_net_params(flat.get()),
                           ts_net_num_params(whole.get()) * sizeof(float)));
}

TEST_F(TrainTest, LearnsAndLogsEveryRow) {
  NetPtr net = MakeNet();
  const std::string log = dir_ + "/log.csv";
  cfg_.epochs = 6;
  cfg_.log_path = log.c_str();
  ts_train_result res;
  ts_error err{};
  ASSERT_EQ(ts_train(net.get(), train_.get(), val_.get(), &nm_, &cfg_, nullptr, nullptr, &res, &err), TS_OK) << err.msg;
  EXPECT_EQ(res.epochs_done, 6);
  EXPECT_EQ(res.steps, 6 * 10);  // ceil(300/32) = 10 steps an epoch
  EXPECT_LT(res.val_error, 0.2) << "3 easy classes should be learned";
  // header + rows at steps 4, 8, 10(end), 12, 16, 20(end), ... : 2 per epoch
  // from log_every plus the epoch end, except where they coincide (20, 40, 60).
  std::istringstream lines(Slurp(log));
  std::string line;
  std::getline(lines, line);
  EXPECT_EQ(line, "iteration,epoch,train_loss,train_error,val_error,val_images");
  int rows = 0, full_rows = 0;
  while (std::getline(lines, line)) {
    rows++;
    full_rows += line.substr(line.rfind(',') + 1) == "90";
  }
  EXPECT_EQ(full_rows, 6) << "one whole-set validation per epoch end";
  EXPECT_EQ(rows, 6 + 15 - 3);  // 15 multiples of 4 up to 60; 20, 40, 60 are epoch ends
}

TEST_F(TrainTest, ResumeEqualsAnUninterruptedRun) {
  const std::string ck_a = dir_ + "/a.ckpt", log_a = dir_ + "/a.csv";
  const std::string ck_b = dir_ + "/b.ckpt", log_b = dir_ + "/b.csv";
  NetPtr whole = MakeNet(), part = MakeNet();
  cfg_.epochs = 4;
  cfg_.checkpoint_path = ck_a.c_str();
  cfg_.log_path = log_a.c_str();
  ts_error err{};
  ASSERT_EQ(ts_train(whole.get(), train_.get(), val_.get(), &nm_, &cfg_, nullptr, nullptr, nullptr, &err), TS_OK) << err.msg;

  // "Killed" after 2 epochs: simulate with a run that stops there, plus a
  // stale log row written after the checkpoint that must be dropped.
  cfg_.checkpoint_path = ck_b.c_str();
  cfg_.log_path = log_b.c_str();
  cfg_.epochs = 2;
  ASSERT_EQ(ts_train(part.get(), train_.get(), val_.get(), &nm_, &cfg_, nullptr, nullptr, nullptr, &err), TS_OK) << err.msg;
  std::ofstream(log_b, std::ios::app) << "24,2.4,1.0,0.5,0.5,30\n";
  // a fresh process: new net object with other weights, resume from disk
  NetPtr resumed = MakeNet();
  ts_net_init(resumed.get(), 999);
  cfg_.epochs = 4;
  cfg_.resume = 1;
  ts_train_result res;
  ASSERT_EQ(ts_train(resumed.get(), train_.get(), val_.get(), &nm_, &cfg_, nullptr, nullptr, &res, &err), TS_OK) << err.msg;
  EXPECT_EQ(res.start_epoch, 2);
  const size_t np = ts_net_num_params(whole.get());
  EXPECT_EQ(0, std::memcmp(ts_net_params(whole.get()), ts_net_params(resumed.get()), np * sizeof(float)))
      << "resumed parameters differ from the uninterrupted run";
  EXPECT_EQ(Slurp(log_a), Slurp(log_b));
}

TEST_F(TrainTest, ResumeWithoutCheckpointStartsFresh) {
  const std::string ck = dir_ + "/none.ckpt";
  NetPtr net = MakeNet();
  cfg_.epochs = 1;
  cfg_.checkpoint_path = ck.c_str();
  cfg_.resume = 1;
  ts_train_result res;
  ASSERT_EQ(ts_train(net.get(), train_.get(), nullptr, &nm_, &cfg_, nullptr, nullptr, &res, nullptr), TS_OK);
  EXPECT_EQ(res.start_epoch, 0);
  EXPECT_EQ(res.val_error, -1);
}

TEST_F(TrainTest, CorruptCheckpointIsAnErrorNotACrash) {
  const std::string ck = dir_ + "/bad.ckpt";
  std::ofstream(ck) << "definitely not safetensors";
  NetPtr net = MakeNet();
  cfg_.epochs = 1;
  cfg_.checkpoint_path = ck.c_str();
  cfg_.resume = 1;
  ts_error err{};
  EXPECT_NE(ts_train(net.get(), train_.get(), nullptr, &nm_, &cfg_, nullptr, nullptr, nullptr, &err), TS_OK);
  EXPECT_NE(std::string(err.msg).find("bad.ckpt"), std::string::npos) << err.msg;
  EXPECT_EQ(Slurp(ck), "definitely not safetensors") << "the checkpoint must be left alone";
}

TEST_F(TrainTest, BadConfigurationsAreRejected) {
  NetPtr net = MakeNet();
  ts_error err{};
  cfg_.epochs = 0;
  EXPECT_EQ(ts_train(net.get(), train_.get(), nullptr, &nm_, &cfg_, nullptr, nullptr, nullptr, &err), TS_E_ARG);
  cfg_.epochs = 1;
  cfg_.batch = 0;
  EXPECT_EQ(ts_train(net.get(), train_.get(), nullptr, &nm_, &cfg_, nullptr, nullptr, nullptr, &err), TS_E_ARG);
  cfg_.batch = 8;
  DsPtr wrong = MakeStripes(10, 3);
  wrong->classes = 7;
  EXPECT_EQ(ts_train(net.get(), wrong.get(), nullptr, &nm_, &cfg_, nullptr, nullptr, nullptr, &err), TS_E_SHAPE);
  EXPECT_NE(std::string(err.msg).find("7 classes"), std::string::npos) << err.msg;
}

}  // namespace
