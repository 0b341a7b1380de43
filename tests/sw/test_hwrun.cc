// tessera hw-run end to end (sw/cmd_hwrun.c): usage errors exit 2 with one
// line before any output; a run on generated MNIST-format data writes
// hw.csv / hw_accuracy.csv / hw.json and --check passes (RTL = golden),
// in dense, zero-skipping and automatic mode on a pruned model.
#include <gtest/gtest.h>

#include <unistd.h>

#include <map>
#include <string>
#include <vector>

#include "cli_harness.h"
#include "ts_arch.h"
#include "ts_weights.h"

namespace {

using namespace ts_cli_test;

constexpr int kSide = 28, kTrainN = 64, kTestN = 20, kClasses = 10;

class HwRunCli : public testing::Test {
 protected:
  void SetUp() override {
    bin_ = TesseraBin();
    if (bin_.empty()) GTEST_SKIP() << "no tessera binary (set TESSERA_BIN)";
    dir_ = FreshTestDir("ts_hwrun");
    WriteIdx(dir_ / "data", "train", EasyIdx(kTrainN, kSide, kSide));
    WriteIdx(dir_ / "data", "t10k", EasyIdx(kTestN, kSide, kSide));
    model_ = dir_ / "m.safetensors";
    ASSERT_EQ(WriteSmallModel(model_, kSide, kClasses), "");
  }
  void TearDown() override {
    std::error_code ec;
    if (!dir_.empty() && !HasFailure()) fs::remove_all(dir_, ec);
  }
  std::vector<std::string> Args(std::vector<std::string> extra) const {
    std::vector<std::string> a = {"hw-run", "--model", model_.string(), "--data",
                                  (dir_ / "data").string(), "--out", (dir_ / "out").string(),
                                  "--calib", "32", "--threads", "1"};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  fs::path bin_, dir_, model_;
};

TEST_F(HwRunCli, UsageErrorsExit2WithOneLineAndNoOutput) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--bits", "0"}, "--bits"},         {{"--bits", "17"}, "--bits"},
      {{"--bits", "x"}, "--bits"},         {{"--scheme", "both"}, "--scheme"},
      {{"--images", "0"}, "--images"},     {{"--threads", "0"}, "--threads"},
      {{"--batch", "0"}, "--batch"},       {{"--calib", "-1"}, "--calib"},
      {{"--acc-images", "0"}, "--acc-images"}, {{"--dataset", "svhn"}, "--dataset"},
      {{"--frobnicate"}, "--frobnicate"},  {{"stray"}, "stray"},
      {{"--images", "21"}, "--images"},    {{"--sparsity", "-1"}, "--sparsity"},
      {{"--sparsity", "101"}, "--sparsity"}, {{"--sparsity", "nan"}, "--sparsity"},
      {{"--mode", "fast"}, "--mode"}};
  for (const auto &c : cases) {
    RunResult r = RunIn(bin_, dir_, Args(c.first));
    EXPECT_TRUE(FailsCleanly(r, 2, c.second));
    EXPECT_FALSE(fs::exists(dir_ / "out")) << r.Describe();
  }
}

TEST_F(HwRunCli, MissingModelFailsWithExit1) {
  RunResult r = RunIn(bin_, dir_, {"hw-run", "--model", (dir_ / "nope").string(), "--data",
                                   (dir_ / "data").string()});
  EXPECT_TRUE(FailsCleanly(r, 1, "nope"));
}

TEST_F(HwRunCli, RunWritesFilesAndCheckPasses) {
  RunResult r = RunIn(bin_, dir_, Args({"--images", "5", "--batch", "3", "--bits", "6",
                                        "--scheme", "per-tensor", "--check", "--acc-images",
                                        "5"}), 120);
  ASSERT_TRUE(Succeeds(r));
  EXPECT_NE(r.out.find("--check: all 50 logits of 5 images equal"), std::string::npos)
      << r.Describe();
  const std::string csv = ReadText(dir_ / "out" / "hw.csv");
  EXPECT_EQ(csv.rfind("layer,bits,scheme,images,batch,m,k,n,runs,macs,cycles,", 0), 0u) << csv;
  for (const char *l : {"conv1,6,per-tensor,5,3,", "conv2,", "fc1,", "fc2,", "fc3,"})
    EXPECT_NE(csv.find(l), std::string::npos) << "hw.csv lacks " << l << ":\n" << csv;
  const std::string acc = ReadText(dir_ / "out" / "hw_accuracy.csv");
  int lines = 0;
  for (char c : acc) lines += c == '\n';
  EXPECT_EQ(lines, 1 + 32) << "hw_accuracy.csv: header + B=1..16 x 2 schemes:\n" << acc;
  const std::string js = ReadText(dir_ / "out" / "hw.json");
  EXPECT_NE(js.find("\"mismatches\":\t0"), std::string::npos) << js;
  // The table's integer column is the same network as the RTL run (built
  // from the FP32 weights): on the same 5 images, the same accuracy.
  const size_t row = acc.find("\n6,per-tensor,5,");
  const size_t key = js.find("\"golden_accuracy\":");
  ASSERT_NE(row, std::string::npos) << acc;
  ASSERT_NE(key, std::string::npos) << js;
  const size_t last = acc.rfind(',', acc.find('\n', row + 1));
  const double table_int = std::stod(acc.substr(last + 1));
  const double run_golden = std::stod(js.substr(js.find(':', key) + 1));
  EXPECT_NEAR(table_int, run_golden, 1e-9) << "hw_accuracy.csv row vs hw.json";
  for (const auto &f : ListDir(dir_ / "out"))
    EXPECT_EQ(f.find(".tmp"), std::string::npos) << "temp file left: " << f;
}

// The same pruned model in the three modes: every run equals the golden
// model (--check), the useful MACs are the same work, and zero-skipping
// takes fewer cycles than issuing every weight.
TEST_F(HwRunCli, PrunedModelInEveryModeEqualsGoldenAndSparseSkipsWork) {
  std::map<std::string, std::string> csv;
  for (const char *mode : {"dense", "sparse", "auto"}) {
    RunResult r = RunIn(bin_, dir_, Args({"--images", "4", "--batch", "2", "--sparsity", "80",
                                          "--mode", mode, "--check", "--no-table", "--out",
                                          (dir_ / mode).string()}), 120);
    ASSERT_TRUE(Succeeds(r)) << mode;
    EXPECT_NE(r.out.find("--check: all 40 logits of 4 images equal"), std::string::npos)
        << mode << ": " << r.Describe();
    csv[mode] = ReadText(dir_ / mode / "hw.csv");
  }
  const auto layers = Column(csv["dense"], "layer");
  ASSERT_EQ(layers.size(), 5u) << csv["dense"];
  const auto num = [&](const char *mode, const char *col, size_t l) {
    return std::stod(Column(csv[mode], col).at(l));
  };
  double dense_total = 0, sparse_total = 0;
  for (size_t l = 0; l < layers.size(); l++) {
    EXPECT_EQ(Column(csv["dense"], "mode").at(l), "dense") << layers[l];
    EXPECT_EQ(Column(csv["sparse"], "mode").at(l), "sparse") << layers[l];
    EXPECT_EQ(Column(csv["sparse"], "sparsity").at(l), "80") << layers[l];
    // The pruned layer keeps ~20% of its weights: that many useful MACs,
    // whichever mode issued them.
    const double useful = num("dense", "useful_macs", l), macs = num("dense", "macs", l);
    EXPECT_EQ(num("sparse", "useful_macs", l), useful) << layers[l];
    EXPECT_NEAR(useful / macs, 0.2, 0.01) << layers[l] << ": useful " << useful << " of "
                                          << macs;
    EXPECT_LT(num("sparse", "cycles", l), num("dense", "cycles", l))
        << layers[l] << ": sparse mode did not save cycles";
    dense_total += num("dense", "cycles", l);
    sparse_total += num("sparse", "cycles", l);
  }
  // auto never takes more cycles than the better of the two, layer by layer
  // within the planner's estimate: in total, at most the dense cycles.
  double auto_total = 0;
  for (size_t l = 0; l < layers.size(); l++) auto_total += num("auto", "cycles", l);
  EXPECT_LE(auto_total, dense_total) << "auto " << auto_total << " vs dense " << dense_total;
  EXPECT_GT(dense_total / sparse_total, 2.0)
      << "80% sparsity: dense " << dense_total << " vs sparse " << sparse_total << " cycles";
}

}  // namespace
