// `tessera prune --finetune` end to end (sw/prune_finetune.c and its options
// in sw/cmd_prune.c), on a tiny generated MNIST-shaped set and a model the
// binary trains: runs and their table, the mask in the saved model, N:M,
// bit-identical resume, and usage errors (exit 2, one clear line).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "cli_harness.h"
#include "ts_weights.h"

namespace {

using namespace ts_cli_test;

constexpr int kSide = 28, kTrainN = 96, kTestN = 32;

class PruneFinetune : public testing::Test {
 protected:
  void SetUp() override {
    bin_ = TesseraBin();
    if (bin_.empty()) GTEST_SKIP() << "no tessera binary (make build/tessera, or set TESSERA_BIN)";
    dir_ = FreshTestDir("ts_prune_ft");
    data_ = dir_ / "data";
    WriteIdx(data_, "train", EasyIdx(kTrainN, kSide, kSide));
    WriteIdx(data_, "t10k", EasyIdx(kTestN, kSide, kSide));
    RunResult r = RunIn(bin_, dir_, {"train", "--dataset", "mnist", "--data", data_.string(),
                                     "--epochs", "1", "--batch", "16", "--out",
                                     (dir_ / "base").string(), "--quiet"}, 300);
    ASSERT_TRUE(Succeeds(r));
    model_ = dir_ / "base" / "model.safetensors";
  }
  void TearDown() override {
    std::error_code ec;
    if (!dir_.empty() && !HasFailure()) fs::remove_all(dir_, ec);
  }
  // prune --finetune with the data, the model and out; `extra` last.
  RunResult Prune(const std::string &out, std::vector<std::string> extra) {
    std::vector<std::string> a = {"prune", "--model", model_.string(), "--dataset", "mnist",
                                  "--data", data_.string(), "--threads", "1",
                                  "--out", (dir_ / out).string()};
    a.insert(a.end(), extra.begin(), extra.end());
    return RunIn(bin_, dir_, a, 600);
  }
  // Rows of a summary CSV (header dropped), split at commas.
  std::vector<std::vector<std::string>> Rows(const fs::path &csv) {
    std::vector<std::vector<std::string>> rows;
    std::istringstream in(ReadText(csv));
    std::string line;
    std::getline(in, line);
    while (std::getline(in, line)) {
      std::vector<std::string> f;
      std::istringstream ls(line);
      for (std::string x; std::getline(ls, x, ',');) f.push_back(x);
      rows.push_back(f);
    }
    return rows;
  }
  // The weights of a saved model (weights only, biases left out).
  std::vector<std::vector<float>> LayerWeights(const fs::path &p, ts_layer_info L[TS_NUM_LAYERS]) {
    ts_net *net = nullptr;
    ts_error err{};
    ts_arch hint;
    ts_arch_default(&hint, 1, kSide, kSide, 10);
    EXPECT_EQ(ts_weights_load(p.c_str(), &hint, &net, &err), TS_OK) << err.msg;
    std::vector<std::vector<float>> w;
    if (!net) return w;
    EXPECT_EQ(ts_arch_layers(ts_net_arch(net), L, nullptr), TS_OK);
    for (int l = 0; l < TS_NUM_LAYERS; l++)
      w.emplace_back(ts_net_params(net) + L[l].w_off, ts_net_params(net) + L[l].w_off + L[l].w_len);
    ts_net_destroy(net);
    return w;
  }
  fs::path bin_, dir_, data_, model_;
};

TEST_F(PruneFinetune, OneShotRunsWriteTheTableAndHoldTheMask) {
  RunResult r = Prune("out", {"--finetune", "2", "--percent", "0,60", "--allocation", "local"});
  ASSERT_TRUE(Succeeds(r));
  const auto rows = Rows(dir_ / "out" / "finetune_oneshot.csv");
  ASSERT_EQ(rows.size(), 2u) << ReadText(dir_ / "out" / "finetune_oneshot.csv");
  ASSERT_EQ(rows[1].size(), 15u);
  EXPECT_EQ(rows[1][8], "local");
  EXPECT_EQ(rows[1][9], "cosine") << "the default schedule";
  EXPECT_EQ(rows[1][4], "0.005") << "the default rate";
  for (int l = 0; l < TS_NUM_LAYERS; l++)
    EXPECT_NEAR(std::stod(rows[1][10 + l]), 60.0, 0.2) << "layer " << l << "'s zeros (%)";
  EXPECT_EQ(rows[0][0], "p0");
  EXPECT_EQ(rows[1][0], "p60");
  EXPECT_EQ(rows[1][3], "2") << "epochs";
  EXPECT_NEAR(std::stod(rows[0][5]), 0.0, 1e-9) << "the reference run prunes nothing";
  EXPECT_NEAR(std::stod(rows[1][5]), 60.0, 0.01) << "weight zeros after fine-tuning (%)";
  ts_layer_info L[TS_NUM_LAYERS];
  const auto w = LayerWeights(dir_ / "out" / "finetune" / "p60" / "model.safetensors", L);
  ASSERT_EQ(w.size(), (size_t)TS_NUM_LAYERS);
  for (int l = 0; l < TS_NUM_LAYERS; l++) {
    size_t zeros = 0;
    for (float v : w[l]) zeros += v == 0.0f;
    EXPECT_EQ(zeros, (size_t)std::floor(0.6 * L[l].w_len + 0.5)) << L[l].name;
  }
  for (const char *f : {"checkpoint.safetensors", "train_log.csv", "model.safetensors"})
    EXPECT_TRUE(fs::exists(dir_ / "out" / "finetune" / "p60" / f)) << f;
}

// Global allocation (the default): the model's zero count is the requested
// fraction of all its weights within one weight, held through fine-tuning,
// split unevenly over the layers, reported per layer in the table.
TEST_F(PruneFinetune, GlobalAllocationPrunesTheModelsFraction) {
  ASSERT_TRUE(Succeeds(Prune("out", {"--finetune", "1", "--percent", "60"})));
  const auto rows = Rows(dir_ / "out" / "finetune_oneshot.csv");
  ASSERT_EQ(rows.size(), 1u);
  ASSERT_EQ(rows[0].size(), 15u);
  EXPECT_EQ(rows[0][8], "global") << "the default allocation";
  ts_layer_info L[TS_NUM_LAYERS];
  const auto w = LayerWeights(dir_ / "out" / "finetune" / "p60" / "model.safetensors", L);
  ASSERT_EQ(w.size(), (size_t)TS_NUM_LAYERS);
  size_t zeros = 0, n = 0;
  double lo = 100, hi = 0;
  for (int l = 0; l < TS_NUM_LAYERS; l++) {
    size_t z = 0;
    for (float v : w[l]) z += v == 0.0f;
    const double pct = 100.0 * z / w[l].size();
    EXPECT_NEAR(std::stod(rows[0][10 + l]), pct, 1e-3) << L[l].name << " in the table";
    lo = std::min(lo, pct);
    hi = std::max(hi, pct);
    zeros += z;
    n += w[l].size();
  }
  EXPECT_LE(std::fabs((double)zeros - 0.6 * n), 1.0) << zeros << " of " << n << " weights are 0";
  EXPECT_GT(hi - lo, 1.0) << "every layer at the same fraction: not a global threshold";
  EXPECT_NEAR(std::stod(rows[0][5]), 100.0 * zeros / n, 1e-3);
}

TEST_F(PruneFinetune, ResumeIsBitIdentical) {
  ASSERT_TRUE(Succeeds(Prune("whole", {"--finetune", "3", "--percent", "50", "--lr-schedule", "constant"})));
  // stopped after 1 epoch, then resumed to 3
  ASSERT_TRUE(Succeeds(Prune("part", {"--finetune", "1", "--percent", "50", "--lr-schedule", "constant"})));
  RunResult r = Prune("part", {"--finetune", "3", "--percent", "50", "--resume", "--lr-schedule", "constant"});
  ASSERT_TRUE(Succeeds(r));
  EXPECT_NE(r.out.find("resumed after epoch 1 of 3"), std::string::npos) << r.out;
  const fs::path a = dir_ / "whole" / "finetune" / "p50", b = dir_ / "part" / "finetune" / "p50";
  EXPECT_TRUE(ReadBytes(a / "model.safetensors") == ReadBytes(b / "model.safetensors"))
      << "the resumed model differs from the uninterrupted run's";
  EXPECT_EQ(ReadText(a / "train_log.csv"), ReadText(b / "train_log.csv"));
}

// A changed recipe on --resume is refused (exit 2, nothing overwritten):
// another allocation, rate or schedule; and, for cosine (the schedule spans
// the epochs), other epochs. The same recipe resumes.
TEST_F(PruneFinetune, ResumeRefusesAnotherRecipe) {
  const std::vector<std::string> cos = {"--percent", "50", "--lr-schedule", "cosine"};
  auto with = [&](std::vector<std::string> extra) {
    extra.insert(extra.end(), cos.begin(), cos.end());
    return extra;
  };
  ASSERT_TRUE(Succeeds(Prune("out", with({"--finetune", "1"}))));
  const fs::path ck = dir_ / "out" / "finetune" / "p50" / "checkpoint.safetensors";
  const auto before = ReadBytes(ck);
  const std::vector<std::vector<std::string>> changed = {
      with({"--finetune", "1", "--resume", "--allocation", "local"}),
      with({"--finetune", "1", "--resume", "--lr", "0.002"}),
      with({"--finetune", "2", "--resume"}),
      {"--finetune", "1", "--resume", "--percent", "50", "--lr-schedule", "constant"}};
  for (auto extra : changed)
    EXPECT_TRUE(FailsCleanly(Prune("out", extra), kExitUsage, "was fine-tuned with")) << extra[3];
  EXPECT_TRUE(ReadBytes(ck) == before) << "a refused resume changed the checkpoint";
  RunResult r = Prune("out", with({"--finetune", "1", "--resume"}));
  ASSERT_TRUE(Succeeds(r));
  EXPECT_NE(r.out.find("resumed after epoch 1 of 1"), std::string::npos) << r.out;
}

TEST_F(PruneFinetune, NMKeepsNOfEveryMAlongK) {
  ASSERT_TRUE(Succeeds(Prune("out", {"--finetune", "1", "--nm", "1:4"})));
  const auto rows = Rows(dir_ / "out" / "finetune_nm1-4.csv");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][0], "nm1-4");
  EXPECT_EQ(rows[0][2], "75");
  ts_layer_info L[TS_NUM_LAYERS];
  const auto w = LayerWeights(dir_ / "out" / "finetune" / "nm1-4" / "model.safetensors", L);
  ASSERT_EQ(w.size(), (size_t)TS_NUM_LAYERS);
  for (int l = 0; l < TS_NUM_LAYERS; l++) {
    const size_t K = L[l].gemm_k;
    for (size_t row = 0; row < w[l].size() / K; row++)
      for (size_t g = 0; g < K; g += 4) {
        int nz = 0;
        for (size_t j = g; j < std::min(g + 4, K); j++) nz += w[l][row * K + j] != 0.0f;
        ASSERT_LE(nz, 1) << L[l].name << " row " << row << " group at K = " << g;
      }
  }
}

TEST_F(PruneFinetune, BadInputIsAUsageError) {
  struct Case {
    std::vector<std::string> extra;
    const char *key;
  } cases[] = {
      {{"--finetune", "0"}, "--finetune"},
      {{"--finetune", "2", "--percent", "101"}, "out of range"},
      {{"--finetune", "2", "--percent", "-1"}, "out of range"},
      {{"--finetune", "2", "--nm", "4:2"}, "N must be in 1..M"},
      {{"--finetune", "2", "--nm", "2:0"}, "M must be at least 1"},
      {{"--finetune", "2", "--nm", "2-4"}, "N:M"},
      {{"--finetune", "2", "--nm", "2:4", "--gradual"}, "exclude each other"},
      {{"--finetune", "2", "--nm", "2:4", "--percent", "50"}, "drop --percent"},
      {{"--gradual"}, "need --finetune"},
      {{"--finetune", "2", "--lr", "0"}, "--lr"},
      {{"--finetune", "2", "--allocation", "globl"}, "unknown sparsity allocation 'globl'"},
      {{"--finetune", "2", "--allocation", ""}, "valid: local, global"},
      {{"--finetune", "2", "--lr-schedule", "step"}, "unknown learning-rate schedule 'step'"},
      {{"--allocation", "global"}, "need --finetune"},
      {{"--lr-schedule", "cosine"}, "need --finetune"},
  };
  for (const Case &c : cases)
    EXPECT_TRUE(FailsCleanly(Prune("bad", c.extra), kExitUsage, c.key));
  EXPECT_FALSE(fs::exists(dir_ / "bad")) << "a usage error must write nothing";
  RunResult h = RunIn(bin_, dir_, {"prune", "--help"});
  ASSERT_TRUE(Succeeds(h));
  for (const char *opt : {"--finetune EPOCHS", "--gradual", "--nm N:M", "--lr X", "--resume",
                          "--allocation A", "--lr-schedule S"})
    EXPECT_NE(h.out.find(opt), std::string::npos) << opt;
}

}  // namespace
