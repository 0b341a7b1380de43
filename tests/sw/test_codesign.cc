// tessera codesign end to end (sw/cmd_codesign.c) on a model trained by
// `tessera train` on generated two-class IDX data: usage errors exit 2 with
// one line and write nothing; a generous budget gives a verified choice
// (RTL = golden, no more cycles than the dense 8-bit network, the tables'
// cycles add up to the RTL's, for both families) and a report section; a
// budget nothing can meet exits 1 naming the best reachable accuracy,
// after writing what it measured.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "cli_harness.h"

namespace {

using namespace ts_cli_test;

class CodesignCli : public testing::Test {
 protected:
  void SetUp() override {
    bin_ = TesseraBin();
    if (bin_.empty()) GTEST_SKIP() << "no tessera binary (set TESSERA_BIN)";
    dir_ = FreshTestDir("ts_codesign");
    WriteIdx(dir_ / "data", "train", EasyIdx(96, 28, 28));
    WriteIdx(dir_ / "data", "t10k", EasyIdx(24, 28, 28));
    RunResult r = RunIn(bin_, dir_, {"train", "--data", "data", "--epochs", "3", "--batch", "8",
                                     "--threads", "1", "--quiet", "--out", "model"}, 120);
    ASSERT_TRUE(Succeeds(r));
  }
  void TearDown() override {
    std::error_code ec;
    if (!dir_.empty() && !HasFailure()) fs::remove_all(dir_, ec);
  }
  std::vector<std::string> Args(std::vector<std::string> extra) const {
    std::vector<std::string> a = {"codesign", "--model", "model/model.safetensors", "--data",
                                  "data", "--calib", "16", "--val-images", "12", "--finetune",
                                  "1", "--rtl-images", "2", "--threads", "1", "--out", "out"};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  fs::path bin_, dir_;
};

TEST_F(CodesignCli, UsageErrorsExit2WithOneLineAndNoOutput) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--budget", "-1"}, "--budget"},         {{"--budget", "nan"}, "--budget"},
      {{"--objective", "speed"}, "--objective"}, {{"--bits", "0"}, "--bits"},
      {{"--bits", "17"}, "--bits"},             {{"--bits", "4,4"}, "--bits"},
      {{"--sparsity", "50,25"}, "--sparsity"},  {{"--sparsity", "101"}, "--sparsity"},
      {{"--val-from", "dev"}, "--val-from"},    {{"--val-images", "0"}, "--val-images"},
      {{"--finetune", "-1"}, "--finetune"},     {{"--rtl-images", "0"}, "--rtl-images"},
      {{"--search", "fast"}, "--search"}};
  for (const auto &c : cases) {
    RunResult r = RunIn(bin_, dir_, Args(c.first));
    EXPECT_TRUE(FailsCleanly(r, kExitUsage, c.second));
  }
  RunResult r = RunIn(bin_, dir_, Args({"--val-from", "train", "--val-images", "96"}));
  EXPECT_TRUE(FailsCleanly(r, kExitUsage, "--val-images 96 leaves none"));
  EXPECT_FALSE(fs::exists(dir_ / "out")) << "a usage error writes nothing";
}

TEST_F(CodesignCli, GenerousBudgetGivesAVerifiedCheaperChoice) {
  RunResult r = RunIn(bin_, dir_, Args({"--bits", "4,8", "--sparsity", "0,50", "--budget",
                                        "100"}), 300);
  ASSERT_TRUE(Succeeds(r));
  EXPECT_NE(r.out.find("chosen configuration"), std::string::npos) << r.Describe();
  const std::string csv = ReadText(dir_ / "out" / "codesign.csv");
  const auto kind = Column(csv, "kind"), chosen = Column(csv, "chosen");
  ASSERT_GE(kind.size(), 5u) << "4 uniform configurations and at least one search:\n" << csv;
  int uniform = 0, picked = -1;
  for (size_t i = 0; i < kind.size(); i++) {
    uniform += kind[i] == "uniform";
    if (chosen[i] == "1") picked = static_cast<int>(i);
  }
  EXPECT_EQ(uniform, 4) << csv;
  // Both families ran: the layer family's "search" rows and, at 50% global,
  // the global family's, each verified on the RTL with the cycles its
  // tables predicted (the global tables are measured on the pruned,
  // fine-tuned model the verification quantizes).
  const auto rtl_equal = Column(csv, "rtl_equal"), cycles = Column(csv, "cycles"),
             rtl_cycles = Column(csv, "rtl_cycles");
  int searched = 0, global = 0;
  for (size_t i = 0; i < kind.size(); i++) {
    if (kind[i] != "search" && kind[i] != "global") continue;
    (kind[i] == "global" ? global : searched)++;
    EXPECT_EQ(rtl_equal[i], "1") << "row " << i << ":\n" << csv;
    const double t = std::stod(cycles[i]), m = std::stod(rtl_cycles[i]);
    EXPECT_NEAR(m, t, 0.02 * t) << "row " << i << " (" << kind[i] << "): tables " << t
                                << " vs RTL " << m;
  }
  EXPECT_GE(searched, 1) << csv;
  EXPECT_GE(global, 1) << csv;
  const std::string gtab = ReadText(dir_ / "out" / "codesign_global.csv");
  const auto gsp = Column(gtab, "model_sparsity");
  EXPECT_EQ(gsp.size(), 5u * 2u) << "one pruned model (50%) x 5 layers x 2 widths:\n" << gtab;
  for (const auto &v : gsp) EXPECT_EQ(v, "50") << gtab;
  ASSERT_GE(picked, 0) << "no row is marked chosen:\n" << csv;
  EXPECT_EQ(Column(csv, "rtl_equal")[picked], "1") << csv;
  // The generous budget allows the cheapest option of every layer; the
  // choice cannot take more cycles than the dense 8-bit network.
  EXPECT_GE(std::stod(Column(csv, "speedup_vs_dense8")[picked]), 1.0) << csv;
  // A layer's cycles depend on its own weights only: the tables' sum is
  // what the RTL ran (the same pruning mask; fine-tuning keeps it).
  const double table = std::stod(Column(csv, "cycles")[picked]);
  const double rtl = std::stod(Column(csv, "rtl_cycles")[picked]);
  EXPECT_NEAR(rtl, table, 0.02 * table) << "tables " << table << " vs RTL " << rtl;
  const std::string layers = ReadText(dir_ / "out" / "codesign_layers.csv");
  EXPECT_EQ(Column(layers, "layer").size(), 5u * 4u) << layers;
  EXPECT_NE(ReadText(dir_ / "out" / "codesign.json").find("\"chosen\""), std::string::npos);
  // The report's co-design section names the choice with its speedup.
  ASSERT_TRUE(Succeeds(RunIn(bin_, dir_, {"report", "--out", "out"})));
  const std::string md = ReadText(dir_ / "out" / "report.md");
  const size_t sec = md.find("## 12. Per-layer co-design");
  ASSERT_NE(sec, std::string::npos) << md;
  char speedup[32];
  std::snprintf(speedup, sizeof speedup, "**%.2fx**",
                std::stod(Column(csv, "speedup_vs_dense8")[picked]));
  EXPECT_NE(md.find(speedup, sec), std::string::npos) << "no " << speedup << " in\n"
                                                       << md.substr(sec);
  EXPECT_EQ(md.find("Not available", sec), std::string::npos) << md.substr(sec);
}

// --val-from train: the target is checked on held-out training images, so
// the test set plays no part in any choice; every verified row carries its
// validation accuracy, and the chosen one meets FP32's there minus the budget.
TEST_F(CodesignCli, ValidationSplitChoosesWithoutTheTestSet) {
  RunResult r = RunIn(bin_, dir_, Args({"--bits", "4,8", "--sparsity", "0,50", "--budget", "100",
                                        "--val-from", "train", "--val-images", "24",
                                        "--search", "global"}), 300);
  ASSERT_TRUE(Succeeds(r));
  EXPECT_NE(r.out.find("held-out training images"), std::string::npos) << r.Describe();
  const std::string csv = ReadText(dir_ / "out" / "codesign.csv");
  const auto kind = Column(csv, "kind"), val = Column(csv, "val_accuracy"),
             fp32v = Column(csv, "fp32_val_accuracy"), chosen = Column(csv, "chosen");
  int global = 0;
  for (size_t i = 0; i < kind.size(); i++) {
    EXPECT_NE(kind[i], "search") << "--search global ran the layer family:\n" << csv;
    if (kind[i] != "global") continue;
    global++;
    EXPECT_FALSE(std::isnan(std::stod(val[i]))) << "row " << i << " has no validation accuracy";
    if (chosen[i] == "1") {
      EXPECT_GE(std::stod(val[i]), std::stod(fp32v[i]) - 1.0) << csv;
    }
  }
  EXPECT_GE(global, 1) << csv;
  EXPECT_NE(ReadText(dir_ / "out" / "codesign.json").find("held-out training images"),
            std::string::npos);
}

TEST_F(CodesignCli, UnreachableBudgetExits1NamingTheBestAccuracy) {
  // 1-bit weights with 95% of them pruned, within 0 points of FP32: the
  // trained model separates the two classes, this network cannot.
  RunResult r = RunIn(bin_, dir_, Args({"--bits", "1", "--sparsity", "95", "--budget", "0",
                                        "--finetune", "0"}), 300);
  EXPECT_TRUE(FailsCleanly(r, kExitRuntime, "best reachable test accuracy"));
  EXPECT_TRUE(fs::exists(dir_ / "out" / "codesign.csv")) << "the measurements are kept";
}

}  // namespace
