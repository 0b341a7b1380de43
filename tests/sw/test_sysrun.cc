// tessera sys-run end to end (sw/cmd_sysrun.c): usage errors and bad
// system configurations exit 2 with one line before any output; a run on
// generated MNIST-format data prints the per-layer table, writes sys.csv
// and --check passes (system model = golden); a bank smaller than a filter
// and an unreachable cycle limit fail naming the layer.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cli_harness.h"
#include "ts_arch.h"
#include "ts_weights.h"

namespace {

using namespace ts_cli_test;

constexpr int kSide = 28, kTrainN = 32, kTestN = 8, kClasses = 10;

class SysRunCli : public testing::Test {
 protected:
  void SetUp() override {
    bin_ = TesseraBin();
    if (bin_.empty()) GTEST_SKIP() << "no tessera binary (set TESSERA_BIN)";
    dir_ = FreshTestDir("ts_sysrun");
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
    std::vector<std::string> a = {"sys-run", "--model", model_.string(), "--data",
                                  (dir_ / "data").string(), "--out", (dir_ / "out").string(),
                                  "--calib", "16"};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  fs::path bin_, dir_, model_;
};

TEST_F(SysRunCli, UsageAndConfigurationErrorsExit2) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--bits", "17"}, "--bits"},          {{"--dram-bw", "x"}, "--dram-bw"},
      {{"--dram-bw", "0"}, "bandwidth"},     {{"--dram-bw", "-2"}, "bandwidth"},
      {{"--clock-mhz", "0"}, "clock"},       {{"--bank-bytes", "8"}, "bank"},
      {{"--images", "0"}, "--images"},       {{"--dram-latency", "-1"}, "--dram-latency"},
      {{"--images", "9"}, "--images"},       {{"--sparsity", "100"}, "--sparsity"},
      {{"--frobnicate"}, "--frobnicate"},   {{"--trace", "t.txt"}, ".vcd"},
      {{"--trace", "/nonexistent-dir/t.vcd"}, "trace file"}};
  for (const auto &c : cases) {
    RunResult r = RunIn(bin_, dir_, Args(c.first));
    EXPECT_TRUE(FailsCleanly(r, 2, c.second));
    EXPECT_FALSE(fs::exists(dir_ / "out")) << r.Describe();
  }
}

TEST_F(SysRunCli, RunPrintsTableWritesCsvAndCheckPasses) {
  RunResult r = RunIn(bin_, dir_, Args({"--images", "3", "--batch", "2", "--bits", "4",
                                        "--dram-bw", "2", "--check"}), 120);
  ASSERT_TRUE(Succeeds(r));
  EXPECT_NE(r.out.find("--check: all 30 logits of 3 images equal"), std::string::npos)
      << r.Describe();
  EXPECT_NE(r.out.find("DRAM 2 B/cycle"), std::string::npos) << r.Describe();
  const std::string csv = ReadText(dir_ / "out" / "sys.csv");
  EXPECT_EQ(csv.rfind("layer,bits,scheme,sparse,images,batch,dram_bytes_per_cycle,", 0), 0u)
      << csv;
  for (const char *l : {"conv1,4,per-channel,0,3,2,2,", "conv2,", "fc1,", "fc2,", "fc3,"})
    EXPECT_NE(csv.find(l), std::string::npos) << "sys.csv lacks " << l << ":\n" << csv;
  // fc1 at 2 bytes/cycle with one or two images: the DRAM bounds it.
  const size_t fc1 = csv.find("\nfc1,");
  ASSERT_NE(fc1, std::string::npos);
  const std::string row = csv.substr(fc1 + 1, csv.find('\n', fc1 + 1) - fc1 - 1);
  EXPECT_EQ(row.substr(row.rfind(',') + 1), "dram") << row;
}

TEST_F(SysRunCli, SparseRunChecks) {
  RunResult r = RunIn(bin_, dir_, Args({"--images", "1", "--sparse", "--sparsity", "90",
                                        "--check"}), 120);
  ASSERT_TRUE(Succeeds(r));
  EXPECT_NE(r.out.find("90.0% pruned, compressed weights"), std::string::npos) << r.Describe();
  EXPECT_NE(r.out.find("--check: all 10 logits of 1 image equal"), std::string::npos)
      << r.Describe();
}

TEST_F(SysRunCli, BadLayerConfigurationsNameTheLayer) {
  // conv1 here is 1x5x5 = 25 weights at B = 16: 7 words, 56 bytes per filter.
  RunResult r = RunIn(bin_, dir_, Args({"--bits", "16", "--bank-bytes", "32"}));
  EXPECT_TRUE(FailsCleanly(r, 1, "layer conv1: filter 0 is 56 bytes"));
  r = RunIn(bin_, dir_, Args({"--dram-bw", "0.001", "--max-cycles", "2000"}));
  EXPECT_TRUE(FailsCleanly(r, 1, "layer conv1 stalled"));
}

// Cross-layer prefetch (the default) against --no-prefetch: the same logits
// (--check), fewer cycles in total, prefetch cycles only with it; --trace
// writes a VCD file.
TEST_F(SysRunCli, PrefetchSavesCyclesAndTraceWritesVcd) {
  const fs::path vcd = dir_ / "sys.vcd";
  RunResult a = RunIn(bin_, dir_, Args({"--dram-bw", "2", "--check", "--trace", vcd.string()}),
                      120);
  ASSERT_TRUE(Succeeds(a));
  const std::string with = ReadText(dir_ / "out" / "sys.csv");
  RunResult b = RunIn(bin_, dir_, Args({"--dram-bw", "2", "--check", "--no-prefetch"}), 120);
  ASSERT_TRUE(Succeeds(b));
  const std::string without = ReadText(dir_ / "out" / "sys.csv");
  const auto sum = [](const std::string &csv, const char *col) {
    double t = 0;
    for (const std::string &v : Column(csv, col)) t += std::stod(v);
    return t;
  };
  EXPECT_LT(sum(with, "total_cycles"), sum(without, "total_cycles")) << with << without;
  EXPECT_GT(sum(with, "prefetch_cycles"), 0) << with;
  EXPECT_EQ(sum(without, "prefetch_cycles"), 0) << without;
  EXPECT_EQ(sum(with, "compute_cycles"), sum(without, "compute_cycles"));
  EXPECT_EQ(Column(with, "prefetch")[0], "1");
  EXPECT_EQ(Column(without, "prefetch")[0], "0");
  const std::string v = ReadText(vcd);
  EXPECT_NE(v.find("$enddefinitions"), std::string::npos) << v.substr(0, 400);
  EXPECT_NE(v.find("accel_state"), std::string::npos);
  EXPECT_NE(a.out.find("wrote " + vcd.string()), std::string::npos) << a.Describe();
}

}  // namespace
