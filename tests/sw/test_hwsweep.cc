// tessera hw-sweep end to end (sw/cmd_hwsweep.c): bad input exits with one
// line and writes nothing; a small grid on generated MNIST-format data
// writes the CSV / JSON / weight-memory files with the RTL equal to the
// golden model; a sweep killed part-way resumes to the same CSV.
#include <gtest/gtest.h>

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <sstream>
#include <string>
#include <vector>

#include "cli_harness.h"
#include "ts_arch.h"
#include "ts_hw_params.h"
#include "ts_weights.h"

namespace {

using namespace ts_cli_test;

constexpr int kSide = 28, kTrainN = 48, kTestN = 24, kClasses = 10;

class HwSweepCli : public testing::Test {
 protected:
  void SetUp() override {
    bin_ = TesseraBin();
    if (bin_.empty()) GTEST_SKIP() << "no tessera binary (set TESSERA_BIN)";
    dir_ = FreshTestDir("ts_hwsweep");
    WriteIdx(dir_ / "data", "train", EasyIdx(kTrainN, kSide, kSide));
    WriteIdx(dir_ / "data", "t10k", EasyIdx(kTestN, kSide, kSide));
    model_ = dir_ / "m.safetensors";
    ts_arch a;
    ts_arch_default(&a, 1, kSide, kSide, kClasses);
    SaveModel(a, model_);
  }
  void TearDown() override {
    std::error_code ec;
    if (!dir_.empty() && !HasFailure()) fs::remove_all(dir_, ec);
  }
  // A model file as `tessera train` writes it, deterministic weights with
  // distinct magnitudes so that pruning has an order to follow.
  static void SaveModel(const ts_arch &a, const fs::path &p) {
    std::vector<float> w(ts_arch_num_params(&a));
    for (size_t i = 0; i < w.size(); i++)
      w[i] = 0.003f * static_cast<float>(static_cast<int>((i * 7919u) % 23u) - 11) +
             1e-6f * static_cast<float>(i % 97);
    const ts_st_meta extra[] = {{"tessera.dataset", "mnist"}, {"tessera.norm", "0.45/0.35"}};
    ts_error err{};
    ASSERT_EQ(ts_weights_save_params(&a, w.data(), w.size(), p.c_str(), extra, 2, &err), TS_OK)
        << err.msg;
  }
  std::vector<std::string> Args(std::vector<std::string> extra, const std::string &out = "out") const {
    std::vector<std::string> a = {"hw-sweep", "--model", model_.string(), "--data",
                                  (dir_ / "data").string(), "--out", (dir_ / out).string(),
                                  "--calib", "16", "--rtl-images", "3", "--batch", "2"};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  fs::path bin_, dir_, model_;
};

TEST_F(HwSweepCli, BadInputExitsWithOneLineAndWritesNothing) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> usage = {
      {{"--bits", "0"}, "--bits"},          {{"--bits", "17"}, "--bits"},
      {{"--bits", "4,x"}, "--bits"},        {{"--bits", "2.5"}, "--bits"},
      {{"--bits", "4,4"}, "--bits"},        {{"--sparsity", "-1"}, "--sparsity"},
      {{"--sparsity", "101"}, "--sparsity"}, {{"--sparsity", "50,25"}, "--sparsity"},
      {{"--scheme", "both"}, "--scheme"},   {{"--rtl-images", "0"}, "--rtl-images"},
      {{"--threads", "0"}, "--threads"},    {{"--rbits", "9"}, "--rbits"},
      {{"--frobnicate"}, "--frobnicate"},   {{"stray"}, "stray"},
      {{"--dataset", "svhn"}, "--dataset"}, {{"--rtl-images", "25"}, "--rtl-images"},
      {{"--dram-bw", "0"}, "--dram-bw"},    {{"--dram-bw", "-1"}, "--dram-bw"},
      {{"--dram-bw", "x"}, "--dram-bw"},    {{"--dram-latency", "-1"}, "--dram-latency"}};
  for (const auto &c : usage) {
    RunResult r = RunIn(bin_, dir_, Args(c.first));
    EXPECT_TRUE(FailsCleanly(r, 2, c.second));
    EXPECT_FALSE(fs::exists(dir_ / "out")) << r.Describe();
  }
}

TEST_F(HwSweepCli, UnreadableModelExits1) {
  RunResult r = RunIn(bin_, dir_, {"hw-sweep", "--model", (dir_ / "nope").string(), "--data",
                                   (dir_ / "data").string(), "--out", (dir_ / "out").string()});
  EXPECT_TRUE(FailsCleanly(r, 1, "nope"));
  WriteBytes(dir_ / "junk.safetensors", Bytes(100, 'x'));
  r = RunIn(bin_, dir_, {"hw-sweep", "--model", (dir_ / "junk.safetensors").string(), "--data",
                         (dir_ / "data").string(), "--out", (dir_ / "out").string()});
  EXPECT_TRUE(FailsCleanly(r, 1, "junk.safetensors"));
  EXPECT_FALSE(fs::exists(dir_ / "out")) << r.Describe();
}

TEST_F(HwSweepCli, ModelTooLargeForTheArrayExits1) {
  // 160 conv2 channels: fc1 has K = 160 * 4 * 4 = 2560 weights per filter.
  ts_arch a;
  ts_arch_default(&a, 1, kSide, kSide, kClasses);
  a.c2 = 160;
  ASSERT_GT(a.c2 * 16, TS_HW_K_MAX);
  SaveModel(a, dir_ / "big.safetensors");
  RunResult r = RunIn(bin_, dir_, {"hw-sweep", "--model", (dir_ / "big.safetensors").string(),
                                   "--data", (dir_ / "data").string(), "--out",
                                   (dir_ / "out").string(), "--calib", "8"});
  EXPECT_TRUE(FailsCleanly(r, 1, "does not fit"));
  EXPECT_NE(r.err.find("fc1"), std::string::npos) << r.Describe();
  EXPECT_NE(r.err.find("2560"), std::string::npos) << r.Describe();
  EXPECT_FALSE(fs::exists(dir_ / "out" / "hw_sweep.csv")) << r.Describe();
}

// The energy columns (models/int/ts_energy.h, per image in nJ): each mode's
// classes add up to its total, the per-layer choice is the cheaper mode and
// the total row sums the layers; and the whole network's energy never rises
// when sparsity rises at equal B or B falls at equal sparsity, in dense,
// sparse and per-layer mode (a rise is printed with both points).
void CheckEnergy(const std::string &csv) {
  const auto layer = Column(csv, "layer"), bits = Column(csv, "bits"), sp = Column(csv, "sparsity");
  auto num = [&](const char *c) {
    std::vector<double> v;
    for (const auto &x : Column(csv, c)) v.push_back(std::stod(x));
    return v;
  };
  const auto ed = num("energy_dense_nj"), es = num("energy_sparse_nj"), eb = num("energy_best_nj");
  ASSERT_EQ(ed.size(), layer.size()) << "no energy columns in:\n" << csv;
  for (const char *m : {"dense", "sparse", "best"}) {
    const std::string p = std::string("energy_") + m;
    const auto t = num((p + "_nj").c_str()), c = num((p + "_compute_nj").c_str()),
               on = num((p + "_onchip_nj").c_str()), off = num((p + "_offchip_nj").c_str());
    for (size_t i = 0; i < t.size(); i++) {
      EXPECT_GT(c[i], 0) << m << " row " << i + 1;
      EXPECT_GT(on[i], 0) << m << " row " << i + 1;
      EXPECT_GT(off[i], 0) << m << " row " << i + 1;
      EXPECT_NEAR(t[i], c[i] + on[i] + off[i], 2e-4) << m << " row " << i + 1;
    }
  }
  const auto mode = Column(csv, "energy_best_mode");
  for (size_t i = 0; i < layer.size(); i++) {
    if (layer[i] == "total") {
      EXPECT_EQ(mode[i], "per-layer");
      double sum = 0;
      for (size_t j = i - 5; j < i; j++) sum += eb[j];
      EXPECT_NEAR(eb[i], sum, 1e-3) << "total row " << i + 1 << " is not the sum of its layers";
      continue;
    }
    EXPECT_NEAR(eb[i], std::min(ed[i], es[i]), 1e-9) << "row " << i + 1;
    EXPECT_EQ(mode[i], es[i] < ed[i] ? "sparse" : "dense") << "row " << i + 1;
  }
  for (const auto *e : {&ed, &es, &eb})
    for (size_t i = 0; i < layer.size(); i++)
      for (size_t j = 0; j < layer.size(); j++) {
        if (layer[i] != "total" || layer[j] != "total") continue;
        const int bi = std::stoi(bits[i]), bj = std::stoi(bits[j]);
        const double si = std::stod(sp[i]), sj = std::stod(sp[j]);
        if ((bi == bj && sj > si) || (si == sj && bj < bi)) {
          EXPECT_LE((*e)[j], (*e)[i])
              << (e == &ed ? "dense" : e == &es ? "sparse" : "best") << ": B=" << bj << " "
              << sj << "% costs " << (*e)[j] << " nJ, more than B=" << bi << " " << si
              << "% (" << (*e)[i] << " nJ), by " << (*e)[j] - (*e)[i] << " nJ";
        }
      }
}

// The system model's columns (the first image at 16 B/cycle) and its
// bandwidth sweep (hw_sys_bw.csv): logits equal the golden model's, the
// time never below the compute or the bytes / bandwidth, fewer weight
// bytes at fewer bits, the time at 0.5 B/cycle above the one at 64.
void CheckSystem(const std::string &csv, const std::string &bw) {
  const auto layer = Column(csv, "layer"), bits = Column(csv, "bits"), sp = Column(csv, "sparsity"),
             cyc = Column(csv, "sys_cycles"), comp = Column(csv, "sys_compute_cycles"),
             xfer = Column(csv, "sys_transfer_cycles"), mis = Column(csv, "sys_logit_mismatch"),
             wb = Column(csv, "sys_bytes_weights"), ab = Column(csv, "sys_bytes_acts"),
             rb = Column(csv, "sys_bytes_results"), mb = Column(csv, "sys_bytes_meta"),
             dbw = Column(csv, "sys_dram_bw"), bound = Column(csv, "sys_bound");
  ASSERT_EQ(cyc.size(), layer.size()) << "no sys_cycles column";
  double fc1_w[2] = {0, 0};  // weight bytes of fc1 at B = 2 and 8, unpruned
  for (size_t i = 0; i < layer.size(); i++) {
    const std::string what = "row " + std::to_string(i + 1) + " " + layer[i];
    EXPECT_EQ(mis[i], "0") << what;
    EXPECT_EQ(dbw[i], "16") << what;
    EXPECT_TRUE(bound[i] == "compute" || bound[i] == "dram" || bound[i] == "port") << what;
    EXPECT_GE(std::stod(cyc[i]), std::stod(comp[i])) << what;
    EXPECT_GT(std::stod(comp[i]), 0) << what;
    const double bytes = std::stod(wb[i]) + std::stod(ab[i]) + std::stod(rb[i]) + std::stod(mb[i]);
    EXPECT_NEAR(std::stod(xfer[i]), bytes / 16, 1 + (layer[i] == "total" ? 5 : 0)) << what;
    if (layer[i] == "total") {
      EXPECT_GE(std::stod(cyc[i]), bytes / 16) << what;
    }
    if (layer[i] == "fc1" && std::stod(sp[i]) == 0) fc1_w[bits[i] == "8"] = std::stod(wb[i]);
  }
  EXPECT_GT(fc1_w[0], 0);
  EXPECT_LT(fc1_w[0], fc1_w[1]) << "fc1 weight bytes at B = 2 not below B = 8";
  // bandwidth sweep: 2 bits x (0%, 90%) x 8 bandwidths x 5 layers
  const auto bl = Lines(bw);
  ASSERT_EQ(bl.size(), 1u + 2 * 2 * 8 * 5) << bw.substr(0, 400);
  const auto bc = Column(bw, "cycles"), bx = Column(bw, "transfer_cycles"),
             bp = Column(bw, "prefetch_cycles"), bb = Column(bw, "bytes"),
             bwc = Column(bw, "dram_bw"), blay = Column(bw, "layer"), bbits = Column(bw, "bits"),
             bsp = Column(bw, "sparsity");
  for (size_t i = 0; i < bc.size(); i++) {
    const std::string what = "hw_sys_bw row " + std::to_string(i + 1);
    // this layer's transfers that fall within its own time
    EXPECT_LE(std::stod(bx[i]) - std::stod(bp[i]), std::stod(bc[i])) << what;
    EXPECT_NEAR(std::stod(bx[i]), std::stod(bb[i]) / std::stod(bwc[i]), 1) << what;
    for (size_t j = 0; j < bc.size(); j++)
      if (blay[j] == blay[i] && bbits[j] == bbits[i] && bsp[j] == bsp[i] && bwc[i] == "0.5" &&
          bwc[j] == "64") {
        EXPECT_GT(std::stod(bc[i]), std::stod(bc[j])) << what << " vs row " << j + 1;
      }
  }
}

TEST_F(HwSweepCli, SmallGridWritesEverythingAndRtlEqualsGolden) {
  RunResult r = RunIn(bin_, dir_, Args({"--bits", "2,8", "--scheme", "per-channel",
                                        "--sparsity", "0,50,90", "--threads", "2"}), 300);
  ASSERT_TRUE(Succeeds(r));
  EXPECT_NE(r.out.find("RTL check: all logits"), std::string::npos) << r.Describe();
  const std::string csv = ReadText(dir_ / "out" / "hw_sweep.csv");
  const auto lines = Lines(csv);
  ASSERT_EQ(lines.size(), 1u + 2 * 3 * 6) << "header + 2 bits x 3 sparsities x (5 layers + "
                                              "total):\n" << csv;
  const auto layer = Column(csv, "layer"), sp = Column(csv, "sparsity"),
             ideal = Column(csv, "ideal_speedup"), dense = Column(csv, "wmem_dense_bits"),
             chosen = Column(csv, "wmem_chosen_bits"), mis = Column(csv, "rtl_logit_mismatch"),
             nzw = Column(csv, "nonzero_weights"), w = Column(csv, "weights"),
             dc = Column(csv, "dense_cycles"), macs = Column(csv, "macs"),
             nzm = Column(csv, "nonzero_macs");
  ASSERT_EQ(layer.size(), 36u);
  for (size_t i = 0; i < layer.size(); i++) {
    EXPECT_EQ(mis[i], "0") << "row " << i + 1;
    EXPECT_LE(std::stoll(chosen[i]), std::stoll(dense[i])) << "the choice never costs more";
    EXPECT_GT(std::stoll(dc[i]), 0) << "row " << i + 1;
    const double s = std::stod(sp[i]) / 100;
    const double nz = std::stod(nzw[i]), n = std::stod(w[i]);
    // pruning leaves at most (1 - s) of the weights; quantization may zero more
    EXPECT_LE(nz, (1 - s) * n + 1) << "row " << i + 1;
    // ideal = dense MACs / non-zero MACs (for a layer: weights / non-zeros)
    const double want = std::stod(macs[i]) / std::stod(nzm[i]);
    if (nz > 0) {
      EXPECT_NEAR(std::stod(ideal[i]), want, 1e-4 * want) << "row " << i + 1;
      if (layer[i] != "total") {
        EXPECT_NEAR(want, n / nz, 1e-9 * want) << "row " << i + 1;
      }
    }
  }
  // dense cycles do not depend on the values: equal across sparsity at a B
  const auto bits = Column(csv, "bits");
  for (size_t i = 0; i < layer.size(); i++)
    for (size_t j = 0; j < layer.size(); j++)
      if (bits[i] == bits[j] && layer[i] == layer[j]) {
        EXPECT_EQ(dc[i], dc[j]) << i << " " << j;
      }
  CheckEnergy(csv);
  EXPECT_NE(r.out.find("energy check: never rises"), std::string::npos) << r.Describe();
  CheckSystem(csv, ReadText(dir_ / "out" / "hw_sys_bw.csv"));
  for (const char *f : {"hw_roofline.csv", "hw_bw_time.csv"})
    EXPECT_TRUE(fs::exists(dir_ / "out" / f)) << f;
  for (const char *f : {"hw_sweep.json", "hw_wmem.csv", "hw_crossover.csv", "hw_wmem_map.csv",
                        "hw_energy_map.csv", "hw_energy_split.csv"})
    EXPECT_TRUE(fs::exists(dir_ / "out" / f)) << f;
  const auto wm = Lines(ReadText(dir_ / "out" / "hw_wmem.csv"));
  EXPECT_EQ(wm.size(), 1u + 2 * 6 * 16 * 100) << "(model, random) x 6 layers x 16 B x 100 %";
  const auto cr = Lines(ReadText(dir_ / "out" / "hw_crossover.csv"));
  EXPECT_EQ(cr.size(), 1u + 2 * 6 * 16);
  for (const auto &f : ListDir(dir_ / "out"))
    EXPECT_EQ(f.find(".tmp"), std::string::npos) << "temp file left: " << f;
}

// The same energy checks on a trained CIFAR-100 model's real counters (B =
// 4, 8 x 0, 50, 90% pruned, per-channel; golden accuracy on 500 images).
// Needs TESSERA_CIFAR100_MODEL (a model file, e.g. trained 30 epochs) and
// TESSERA_CIFAR100_DIR (make test sets it when ../shared/data has CIFAR-100).
TEST_F(HwSweepCli, RealModelEnergyNeverRises) {
  const char *model = std::getenv("TESSERA_CIFAR100_MODEL"), *data = std::getenv("TESSERA_CIFAR100_DIR");
  if (!model || !data || !fs::exists(model))
    GTEST_SKIP() << "set TESSERA_CIFAR100_MODEL and TESSERA_CIFAR100_DIR to run on a trained model";
  RunResult r = RunIn(bin_, dir_, {"hw-sweep", "--model", model, "--dataset", "cifar100", "--data",
                                   data, "--out", (dir_ / "real").string(), "--bits", "4,8",
                                   "--scheme", "per-channel", "--sparsity", "0,50,90", "--limit",
                                   "500", "--calib", "64", "--threads", "2"},
                      1800);
  ASSERT_TRUE(Succeeds(r)) << r.Describe();
  const std::string csv = ReadText(dir_ / "real" / "hw_sweep.csv");
  ASSERT_EQ(Lines(csv).size(), 1u + 2 * 3 * 6) << csv;
  CheckEnergy(csv);
  EXPECT_NE(r.out.find("energy check: never rises"), std::string::npos) << r.Describe();
}

// Starts the sweep, kills it (SIGKILL) once its CSV holds at least one
// finished point, and returns whether it was caught before finishing.
bool KillPartWay(const fs::path &bin, const fs::path &cwd, const std::vector<std::string> &args,
                 const fs::path &csv) {
  std::vector<std::string> a = args;
  std::vector<char *> argv;
  std::string b = bin.string();
  argv.push_back(b.data());
  for (auto &s : a) argv.push_back(s.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addchdir_np(&fa, cwd.c_str());
  pid_t pid;
  if (posix_spawn(&pid, b.c_str(), &fa, nullptr, argv.data(), environ)) return false;
  posix_spawn_file_actions_destroy(&fa);
  bool caught = false;
  for (int i = 0; i < 300000; i++) {
    int status;
    if (waitpid(pid, &status, WNOHANG) == pid) return false;  // finished first
    if (Lines(ReadText(csv)).size() >= 1 + 6) {
      kill(pid, SIGKILL);
      caught = true;
      break;
    }
    usleep(1000);
  }
  int status;
  waitpid(pid, &status, 0);
  return caught;
}

TEST_F(HwSweepCli, KilledSweepResumesToTheSameCsv) {
  const std::vector<std::string> grid = {"--bits", "3,8", "--scheme", "per-tensor",
                                         "--sparsity", "0,50,90", "--threads", "1"};
  RunResult full = RunIn(bin_, dir_, Args(grid, "full"), 300);
  ASSERT_TRUE(Succeeds(full));
  const std::string want = ReadText(dir_ / "full" / "hw_sweep.csv");
  ASSERT_EQ(Lines(want).size(), 1u + 6 * 6);

  const fs::path csv = dir_ / "part" / "hw_sweep.csv";
  ASSERT_TRUE(KillPartWay(bin_, dir_, Args(grid, "part"), csv))
      << "the sweep finished before it could be killed";
  const std::string partial = ReadText(csv);
  const size_t done = (Lines(partial).size() - 1) / 6;
  EXPECT_GE(done, 1u);
  EXPECT_LT(done, 6u) << "killed after the last point";
  EXPECT_EQ((Lines(partial).size() - 1) % 6, 0u) << "a point was saved half:\n" << partial;
  EXPECT_EQ(want.compare(0, partial.size(), partial), 0)
      << "the saved points differ from the uninterrupted run's:\n" << partial;

  RunResult resumed = RunIn(bin_, dir_, Args(grid, "part"), 300);
  ASSERT_TRUE(Succeeds(resumed));
  EXPECT_NE(resumed.out.find(std::to_string(done) + " points resumed"), std::string::npos)
      << resumed.Describe();
  EXPECT_EQ(ReadText(csv), want) << "resumed CSV differs from the uninterrupted run's";

  // --no-resume recomputes everything, to the same values
  RunResult again = RunIn(bin_, dir_, Args({"--bits", "3,8", "--scheme", "per-tensor",
                                            "--sparsity", "0,50,90", "--no-resume"}, "part"),
                          300);
  ASSERT_TRUE(Succeeds(again));
  EXPECT_NE(again.out.find("0 points resumed"), std::string::npos) << again.Describe();
  EXPECT_EQ(ReadText(csv), want);
}

}  // namespace
