// The study commands (sw/cmd_{profile,quant,prune,plots,report,run}.c and
// sw/study.c), called through their C entry points on a tiny generated
// model and Fashion-MNIST-shaped IDX dataset: the CSVs have the expected
// rows, the PNGs exist (when gnuplot is installed), resume reuses points,
// and bad arguments give clear errors and non-zero exits.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "commands.h"
#include "study.h"
#include "ts_plot.h"
#include "ts_prune.h"
#include "ts_weights.h"

namespace {

constexpr int kTrain = 48, kTest = 40; // images per split
const char *const kNoGnuplot = "gnuplot not installed (apt-get install gnuplot-nox)";

bool Exists(const std::string &p) { return access(p.c_str(), F_OK) == 0; }

std::string Slurp(const std::string &p) {
  std::ifstream f(p);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

void WriteBe32(std::ofstream &f, uint32_t v) {
  const unsigned char b[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16),
                              (unsigned char)(v >> 8), (unsigned char)v};
  f.write(reinterpret_cast<const char *>(b), 4);
}

// IDX files of n random 28x28 images with labels 0..9 (raw, not gzipped).
void WriteIdx(const std::string &dir, const char *prefix, int n, uint32_t seed) {
  std::ofstream im(dir + "/" + prefix + "-images-idx3-ubyte", std::ios::binary);
  WriteBe32(im, 0x803);
  WriteBe32(im, n);
  WriteBe32(im, 28);
  WriteBe32(im, 28);
  std::ofstream lb(dir + "/" + prefix + "-labels-idx1-ubyte", std::ios::binary);
  WriteBe32(lb, 0x801);
  WriteBe32(lb, n);
  for (int i = 0; i < n; i++) {
    for (int p = 0; p < 28 * 28; p++) {
      seed = seed * 1664525u + 1013904223u;
      im.put(static_cast<char>(seed >> 24));
    }
    lb.put(static_cast<char>(i % 10));
  }
}

// Runs a command with argv built from args; returns its exit code and
// leaves what it printed to stderr in *err.
int RunCmd(int (*fn)(int, char **), std::vector<std::string> args, std::string *err = nullptr) {
  std::vector<char *> argv;
  for (auto &a : args) argv.push_back(&a[0]);
  argv.push_back(nullptr);
  testing::internal::CaptureStderr();
  const int rc = fn(static_cast<int>(args.size()), argv.data());
  fflush(stdout);
  const std::string e = testing::internal::GetCapturedStderr();
  if (err) *err = e;
  return rc;
}

class Study : public testing::Test {
 protected:
  void SetUp() override {
    const auto *info = testing::UnitTest::GetInstance()->current_test_info();
    dir_ = testing::TempDir() + "tessera_study_" + info->name() + "_" + std::to_string(getpid());
    data_ = dir_ + "/data";
    out_ = dir_ + "/out";
    model_ = dir_ + "/model.safetensors";
    ASSERT_EQ(std::system(("rm -rf '" + dir_ + "' && mkdir -p '" + data_ + "'").c_str()), 0);
    WriteIdx(data_, "train", kTrain, 1);
    WriteIdx(data_, "t10k", kTest, 2);
    ts_arch a;
    ts_arch_default(&a, 1, 28, 28, 10);
    ts_net *net = nullptr;
    ts_error err = {};
    ASSERT_EQ(ts_net_create(&a, &net, &err), TS_OK) << err.msg;
    ts_net_init(net, 7);
    const ts_st_meta meta[] = {{"tessera.dataset", "fashion-mnist"},
                               {"tessera.norm", "0.5/0.25"},
                               {"tessera.epochs", "1"},
                               {"tessera.seed", "7"}};
    ASSERT_EQ(ts_weights_save(net, model_.c_str(), meta, 4, &err), TS_OK) << err.msg;
    ts_net_destroy(net);
    gnuplot_ = ts_plot_gnuplot_found(nullptr);
  }
  void TearDown() override {
    if (!HasFailure()) std::system(("rm -rf '" + dir_ + "'").c_str());
  }
  std::vector<std::string> Common(const char *cmd) {
    return {cmd, "--model", model_, "--data", data_, "--out", out_, "--threads", "2"};
  }
  ts_csv *Csv(const std::string &name) {
    ts_csv *t = nullptr;
    ts_error err = {};
    EXPECT_EQ(ts_csv_read((out_ + "/" + name).c_str(), &t, &err), TS_OK) << err.msg;
    return t;
  }
  int Count(const ts_csv *t, const char *experiment) {
    int n = 0;
    for (int r = 0; r < t->rows; r++) n += !std::strcmp(ts_csv_get(t, r, "experiment"), experiment);
    return n;
  }
  std::string dir_, data_, out_, model_;
  int gnuplot_ = 0;
};

TEST_F(Study, QuantSweepWritesRowsPlotMemoryAndResumes) {
  auto args = Common("quant");
  args.insert(args.end(), {"--bits", "1-3"});
  std::string err;
  const int rc = RunCmd(ts_cmd_quant, args, &err);
  ASSERT_EQ(rc, gnuplot_ ? 0 : 1) << err;
  ts_csv *t = Csv("quant.csv");
  ASSERT_NE(t, nullptr);
  // FP32 + 3 bit widths x 2 schemes
  EXPECT_EQ(t->rows, 7);
  EXPECT_EQ(Count(t, "fp32"), 1);
  EXPECT_EQ(Count(t, "quant"), 6);
  for (int r = 0; r < t->rows; r++) {
    const double acc = ts_csv_num(t, r, "accuracy");
    EXPECT_TRUE(acc >= 0 && acc <= 1) << "row " << r << " accuracy " << acc;
    EXPECT_EQ(ts_csv_num(t, r, "images"), kTest) << "row " << r;
    EXPECT_EQ(ts_csv_num(t, r, "macs"), 281640) << "row " << r;
    const int bits = (int)ts_csv_num(t, r, "bits");
    // 1 bit keeps only the weights equal to -max|w| of their group: at most
    // one per tensor (5) or per output channel (6+16+120+84+10 = 236)
    if (bits == 1) {
      const bool per_tensor = !std::strcmp(ts_csv_get(t, r, "scheme"), "per-tensor");
      EXPECT_LE(ts_csv_num(t, r, "nonzero_weights"), per_tensor ? 5 : 236) << "row " << r;
    }
  }
  ts_csv_free(t);
  ts_csv *m = Csv("quant_memory.csv");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->rows, 7) << "fp32 + {2,4,8} x {per-tensor, per-channel}";
  ts_csv_free(m);
  if (gnuplot_) {
    EXPECT_TRUE(Exists(out_ + "/quant_accuracy.png"));
    ts_csv *p = Csv("quant_accuracy.csv");
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(p->rows, 3 + 3 + 2) << "two curves of 3 points and the 2-point FP32 line";
    ts_csv_free(p);
  }
  // A second run reuses every point; --no-resume recomputes them.
  ASSERT_EQ(RunCmd(ts_cmd_quant, args, &err), gnuplot_ ? 0 : 1) << err;
  ts_csv *run = Csv("quant_run.csv");
  ASSERT_NE(run, nullptr);
  EXPECT_STREQ(ts_csv_kv(run, "reused"), "7");
  EXPECT_STREQ(ts_csv_kv(run, "evaluations"), "0");
  ts_csv_free(run);
  args.push_back("--no-resume");
  ASSERT_EQ(RunCmd(ts_cmd_quant, args, &err), gnuplot_ ? 0 : 1) << err;
  run = Csv("quant_run.csv");
  ASSERT_NE(run, nullptr);
  EXPECT_STREQ(ts_csv_kv(run, "evaluations"), "7");
  ts_csv_free(run);
}

TEST_F(Study, QuantPointsStartFromFp32AndMatchTheLibrary) {
  // Each point must equal quantizing the FP32 model once, whatever ran before.
  ts_cli_data data = {};
  data.dir = data_.c_str();
  ts_study s;
  ASSERT_EQ(ts_study_open("test", model_.c_str(), &data, 1, &s), 0);
  ts_study_point p4 = {}, p2 = {}, again = {};
  std::strcpy(p4.experiment, "quant");
  std::strcpy(p4.scheme, "per-tensor");
  std::strcpy(p4.layer, "all");
  p4.bits = 4;
  p2 = p4;
  p2.bits = 2;
  again = p4;
  ts_error err = {};
  ASSERT_EQ(ts_study_run_point(&s, &p4, &err), TS_OK) << err.msg;
  ASSERT_EQ(ts_study_run_point(&s, &p2, &err), TS_OK) << err.msg;
  ASSERT_EQ(ts_study_run_point(&s, &again, &err), TS_OK) << err.msg;
  EXPECT_EQ(p4.accuracy, again.accuracy);
  EXPECT_EQ(p4.nonzero_weights, again.nonzero_weights);
  // the weights are back to FP32 after a point
  EXPECT_EQ(std::memcmp(ts_net_params_const(s.net), s.fp32, sizeof(float) * s.nparams), 0)
      << "a sweep point left modified weights behind";
  ts_study_close(&s);
}

TEST_F(Study, PruneSweepRowsPlotsObservationAndMacs) {
  auto args = Common("prune");
  args.insert(args.end(), {"--percent", "0,50,90", "--layer", "conv1,fc3", "--grid-bits", "2,8",
                           "--grid-percent", "0,50"});
  std::string err;
  ASSERT_EQ(RunCmd(ts_cmd_prune, args, &err), gnuplot_ ? 0 : 1) << err;
  ts_csv *t = Csv("prune.csv");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(Count(t, "prune"), 3) << "0, 50, 90 %";
  EXPECT_EQ(Count(t, "layer"), 4) << "conv1, fc3 x 50, 90 %";
  EXPECT_EQ(Count(t, "grid"), 4) << "2, 8 bits x 0, 50 %";
  EXPECT_EQ(t->rows, 11);
  for (int r = 0; r < t->rows; r++) {
    const char *e = ts_csv_get(t, r, "experiment");
    const double pct = ts_csv_num(t, r, "percent");
    if (std::strcmp(e, "prune")) continue;
    // local pruning keeps round((1-p) n) weights per layer
    const double kept = ts_csv_num(t, r, "nonzero_weights") / ts_csv_num(t, r, "weights");
    EXPECT_NEAR(kept, 1 - pct / 100, 1e-3) << "at " << pct << "%";
    const double macs = ts_csv_num(t, r, "nonzero_macs") / ts_csv_num(t, r, "macs");
    EXPECT_NEAR(macs, 1 - pct / 100, 1e-3) << "at " << pct << "%";
  }
  // conv1 alone at 90%: every other layer keeps its MACs
  for (int r = 0; r < t->rows; r++)
    if (!std::strcmp(ts_csv_get(t, r, "layer"), "conv1") && ts_csv_num(t, r, "percent") == 90) {
      const double removed = ts_csv_num(t, r, "macs") - ts_csv_num(t, r, "nonzero_macs");
      EXPECT_NEAR(removed, 0.9 * 86400, 24 * 24) << "conv1 has 150 weights x 24x24 pixels";
    }
  ts_csv_free(t);
  const std::string obs = Slurp(out_ + "/prune_observation.txt");
  EXPECT_NE(obs.find("Most sensitive layer: "), std::string::npos) << obs;
  EXPECT_TRUE(obs.find("conv1") != std::string::npos || obs.find("fc3") != std::string::npos) << obs;
  if (!gnuplot_) GTEST_SKIP() << kNoGnuplot;
  for (const char *p : {"prune_accuracy.png", "prune_macs.png", "prune_layers.png", "prune_grid.png"})
    EXPECT_TRUE(Exists(out_ + "/" + p)) << p;
  ts_csv *l = Csv("prune_layers.csv");
  ASSERT_NE(l, nullptr);
  EXPECT_EQ(l->rows, 2 * 3) << "2 layers x (unpruned + 2 percentages)";
  ts_csv_free(l);
}

TEST_F(Study, InvalidArgumentsGiveClearErrors) {
  struct Case {
    int (*fn)(int, char **);
    std::vector<std::string> extra;
    int rc;
    const char *msg;
  } cases[] = {
      {ts_cmd_quant, {"--bits", "0"}, 2, "--bits 0 is out of range"},
      {ts_cmd_quant, {"--bits", "17"}, 2, "--bits 17 is out of range"},
      {ts_cmd_quant, {"--bits", "1-17"}, 2, "out of range"},
      {ts_cmd_quant, {"--bits", "abc"}, 2, "--bits takes N or LO-HI"},
      {ts_cmd_quant, {"--scheme", "per-row"}, 2, "--scheme must be"},
      {ts_cmd_prune, {"--percent", "-5"}, 2, "--percent value -5 is out of range; use 0..100"},
      {ts_cmd_prune, {"--percent", "101"}, 2, "--percent value 101 is out of range"},
      {ts_cmd_prune, {"--percent", "10,x"}, 2, "comma-separated list"},
      {ts_cmd_prune, {"--layer", "conv3"}, 2, "valid layers: conv1, conv2, fc1, fc2, fc3"},
      {ts_cmd_prune, {"--grid-bits", "0"}, 2, "out of range"},
      {ts_cmd_prune, {"--grid-bits", "2.5"}, 2, "whole numbers"},
      {ts_cmd_quant, {"--threads", "0"}, 2, "--threads must be"},
      {ts_cmd_quant, {"stray"}, 2, "unexpected argument 'stray'"},
  };
  for (const auto &c : cases) {
    auto args = Common(c.fn == ts_cmd_quant ? "quant" : "prune");
    args.insert(args.end(), c.extra.begin(), c.extra.end());
    std::string err;
    EXPECT_EQ(RunCmd(c.fn, args, &err), c.rc) << c.extra[0];
    EXPECT_NE(err.find(c.msg), std::string::npos) << "expected '" << c.msg << "' in: " << err;
  }
  EXPECT_FALSE(Exists(out_ + "/quant.csv")) << "a usage error must not start the sweep";
}

TEST_F(Study, MissingOrBadInputsFailWithoutCrashing) {
  std::string err;
  auto args = Common("quant");
  args[2] = dir_ + "/nope.safetensors";
  EXPECT_EQ(RunCmd(ts_cmd_quant, args, &err), 1);
  EXPECT_NE(err.find("nope.safetensors"), std::string::npos) << err;
  args[0] = "prune";
  EXPECT_EQ(RunCmd(ts_cmd_prune, args, &err), 1);
  EXPECT_NE(err.find("nope.safetensors"), std::string::npos) << err;
  // a garbage model file
  std::ofstream(dir_ + "/garbage.safetensors") << "not a safetensors file";
  args[2] = dir_ + "/garbage.safetensors";
  EXPECT_EQ(RunCmd(ts_cmd_prune, args, &err), 1);
  EXPECT_NE(err.find("garbage.safetensors"), std::string::npos) << err;
  // a truncated results CSV cannot be resumed from
  ASSERT_EQ(std::system(("mkdir -p '" + out_ + "'").c_str()), 0);
  std::ofstream(out_ + "/quant.csv") << "experiment,scheme,layer\nquant,per-tensor\n";
  auto q = Common("quant");
  q.insert(q.end(), {"--bits", "2"});
  EXPECT_EQ(RunCmd(ts_cmd_quant, q, &err), 1);
  EXPECT_NE(err.find("quant.csv"), std::string::npos) << err;
  EXPECT_NE(err.find("line 2 has 2 fields"), std::string::npos) << err;
  // missing data directory
  auto d = Common("quant");
  d[4] = dir_ + "/no-data";
  EXPECT_EQ(RunCmd(ts_cmd_quant, d, &err), 1);
  EXPECT_NE(err.find("no-data"), std::string::npos) << err;
  // profile: missing model, unknown dataset, both sources
  EXPECT_EQ(RunCmd(ts_cmd_profile, {"profile", "--model", dir_ + "/nope.safetensors"}, &err), 1);
  EXPECT_NE(err.find("nope.safetensors"), std::string::npos) << err;
  EXPECT_EQ(RunCmd(ts_cmd_profile, {"profile", "--dataset", "imagenet"}, &err), 2);
  EXPECT_NE(err.find("imagenet"), std::string::npos) << err;
  EXPECT_EQ(RunCmd(ts_cmd_profile, {"profile", "--dataset", "cifar100", "--k1", "40"}, &err), 2);
  EXPECT_NE(err.find("k1"), std::string::npos) << err;
  // report on a folder that does not exist
  EXPECT_EQ(RunCmd(ts_cmd_report, {"report", "--out", dir_ + "/none"}, &err), 1);
  EXPECT_NE(err.find("does not exist"), std::string::npos) << err;
}

// The area section reads make synth-area's results: the design total of
// stat -tech cmos (the last of its estimates) and xilinx_table.md's total
// row; without them it names the make target.
TEST_F(Study, ReportAreaFromSynthResults) {
  const std::string syn = dir_ + "/synth";
  ASSERT_EQ(std::system(("mkdir -p '" + out_ + "' '" + syn + "/wmax8' '" + syn + "/wmax8p1'").c_str()), 0);
  std::string err;
  ASSERT_EQ(RunCmd(ts_cmd_report, {"report", "--out", out_, "--synth", syn}, &err), 0) << err;
  std::string md = Slurp(out_ + "/report.md");
  EXPECT_NE(md.find("no synthesis results in `" + syn + "` (run `make synth-area`"), std::string::npos) << md;
  std::ofstream(syn + "/wmax8/stat_cmos.txt")
      << "=== tessera_pe ===\n   Estimated number of transistors:       7822\n"
         "=== design hierarchy ===\n   Estimated number of transistors:    5221844\n";
  std::ofstream(syn + "/wmax8/xilinx_table.md")
      << "| module | instances | LUT | RAM64M | FF | DSP48E1 | RAMB36E1 | RAMB18E1 | CARRY4 |\n"
         "|---|---|---|---|---|---|---|---|---|\n| tessera_pe | 256 | 30 | 0 | 28 | 1 | 0 | 0 | 0 |\n"
         "| **total** (activation buffer not included) | | **158,856** | **39,544** | **37,908** | "
         "**386** | **48** | **3** | **5,700** |\n";
  std::ofstream(syn + "/wmax8p1/stat_cmos.txt") << "   Estimated number of transistors:    3086166\n";
  ASSERT_EQ(RunCmd(ts_cmd_report, {"report", "--out", out_, "--synth", syn}, &err), 0) << err;
  md = Slurp(out_ + "/report.md");
  for (const char *s : {"## 11. Area (Yosys)",
                        "| B_max = 8, 4 output ports | 5221844 | **158,856** | **39,544** | **37,908** | **386** | **48** | **3** | **5,700** |",
                        "| B_max = 8, 1 output port | 3086166 | - | - | - | - | - | - | - |"})
    EXPECT_NE(md.find(s), std::string::npos) << "missing '" << s << "' in report.md:\n" << md;
  EXPECT_EQ(md.find("B_max = 4"), std::string::npos) << "a configuration without results got a row";
  EXPECT_EQ(md.find("no synthesis results"), std::string::npos);
}

TEST_F(Study, ProfileWritesTableCsvJson) {
  std::string err;
  ASSERT_EQ(RunCmd(ts_cmd_profile, {"profile", "--dataset", "cifar100", "--k1", "3", "--k2", "9",
                                 "--batch", "8", "--out", out_}, &err), 0) << err;
  ts_csv *t = Csv("profile.csv");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->rows, 1 + 11 + 1) << "input, 11 ops, total";
  EXPECT_STREQ(ts_csv_get(t, 1, "layer"), "conv1");
  EXPECT_EQ(ts_csv_num(t, 1, "macs"), 6 * 3 * 3 * 3 * 30 * 30) << "conv1 3x3 on 3x32x32";
  EXPECT_EQ(ts_csv_num(t, 1, "batch"), 8);
  ts_csv_free(t);
  EXPECT_NE(Slurp(out_ + "/profile.json").find("\"ops\""), std::string::npos);
  ts_csv *m = Csv("profile_quant_memory.csv");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->rows, 7);
  ts_csv_free(m);
  // from the model file, whose architecture is the Fashion-MNIST default
  ASSERT_EQ(RunCmd(ts_cmd_profile, {"profile", "--model", model_, "--out", out_}, &err), 0) << err;
  t = Csv("profile.csv");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(ts_csv_num(t, t->rows - 1, "macs"), 281640);
  ts_csv_free(t);
}

TEST_F(Study, PlotsAndReport) {
  ASSERT_EQ(std::system(("mkdir -p '" + out_ + "' && cp '" + model_ + "' '" + out_ + "/'").c_str()), 0);
  std::string err;
  // the report before anything else: every section says what is missing
  ASSERT_EQ(RunCmd(ts_cmd_report, {"report", "--out", out_}, &err), 0) << err;
  std::string md = Slurp(out_ + "/report.md");
  EXPECT_NE(md.find("quant.csv is missing (run `tessera quant`)"), std::string::npos) << md;
  EXPECT_NE(md.find("prune.csv is missing"), std::string::npos) << md;
  EXPECT_NE(md.find("train_log.csv is missing"), std::string::npos) << md;
  EXPECT_NE(md.find("| dataset | fashion-mnist |"), std::string::npos) << md;
  std::ofstream(out_ + "/train_log.csv")
      << "iteration,epoch,train_loss,train_error,val_error,val_images\n"
         "10,0.5,2.1,0.8,0.7,40\n20,1.0,1.9,0.6,0.65,40\n";
  auto q = Common("quant");
  q.insert(q.end(), {"--bits", "1-2"});
  auto p = Common("prune");
  p.insert(p.end(), {"--percent", "0,90", "--layer", "fc1", "--no-grid"});
  const int want = gnuplot_ ? 0 : 1;
  ASSERT_EQ(RunCmd(ts_cmd_quant, q, &err), want) << err;
  ASSERT_EQ(RunCmd(ts_cmd_prune, p, &err), want) << err;
  ASSERT_EQ(RunCmd(ts_cmd_plots, {"plots", "--out", out_}, &err), want) << err;
  ASSERT_EQ(RunCmd(ts_cmd_report, {"report", "--out", out_}, &err), 0) << err;
  md = Slurp(out_ + "/report.md");
  for (const char *s : {"## 5. Post-training weight quantization", "| 2 |", "Biases stay FP32",
                        "Why B = 1 collapses", "Will conventional hardware benefit",
                        "At p = 90%", "docs/hw.md", "Most sensitive layer: fc1", "## 7. Timings",
                        "last row: iteration 20"})
    EXPECT_NE(md.find(s), std::string::npos) << "missing '" << s << "' in report.md";
  EXPECT_EQ(md.find("quant.csv is missing"), std::string::npos);
  if (!gnuplot_) GTEST_SKIP() << kNoGnuplot;
  for (const char *png : {"weights_conv1.png", "weights_fc3.png", "train_curve.png"})
    EXPECT_TRUE(Exists(out_ + "/" + png)) << png;
  EXPECT_NE(md.find("![training curve](train_curve.png)"), std::string::npos);
}

// A point read back on resume equals the one computed, bit for bit: with
// --limit 3 the accuracy is 1/3, which "%.6f" would round.
TEST(StudyHelpers, ResumedPointsAreExactlyTheWrittenOnes) {
  const std::string p = testing::TempDir() + "tessera_sweep_" + std::to_string(getpid()) + ".csv";
  const double accs[] = {1.0 / 3, 2.0 / 3, 0.1, 1e-7, 1};
  const double pcts[] = {100.0 / 3, 12.3456789, 0.1, 50, 99.99999999};
  ts_sweep w = {};
  w.hash = 0x1234abcdull;
  w.images = 3;
  for (int i = 0; i < 5; i++) {
    const int k = ts_sweep_add(&w, "prune", "-", "all", TS_STUDY_FP32_BITS, pcts[i]);
    ASSERT_EQ(k, i);
    w.p[k].accuracy = accs[i];
    w.p[k].done = 1;
  }
  ts_error err = {};
  ASSERT_EQ(ts_sweep_write(&w, p.c_str(), &err), TS_OK) << err.msg;
  ts_sweep r = {};
  r.hash = w.hash;
  r.images = w.images;
  for (int i = 0; i < 5; i++) ts_sweep_add(&r, "prune", "-", "all", TS_STUDY_FP32_BITS, pcts[i]);
  int reused = 0;
  ASSERT_EQ(ts_sweep_resume(&r, p.c_str(), &reused, &err), TS_OK) << err.msg;
  EXPECT_EQ(reused, 5) << "a percent did not match after the round trip";
  for (int i = 0; i < 5; i++)
    EXPECT_EQ(r.p[i].accuracy, accs[i]) << "point " << i << " came back as " << r.p[i].accuracy
                                        << ", off by " << r.p[i].accuracy - accs[i];
  ts_sweep_free(&w);
  ts_sweep_free(&r);
  std::remove(p.c_str());
}

// A sweep CSV that cannot be resumed from says how to start over; a FIFO in
// its place is refused at once instead of blocking the run.
TEST(StudyHelpers, BadSweepCsvNamesTheWayOut) {
  const std::string dir = testing::TempDir() + "tessera_sweepbad_" + std::to_string(getpid());
  ASSERT_EQ(std::system(("rm -rf '" + dir + "' && mkdir -p '" + dir + "'").c_str()), 0);
  ts_sweep w = {};
  ts_sweep_add(&w, "fp32", "-", "all", TS_STUDY_FP32_BITS, 0);
  int reused = 0;
  ts_error err = {};
  const std::string csv = dir + "/quant.csv";
  struct Case {
    const char *text, *why;
  } cases[] = {{"experiment,scheme\nquant\n", "line 2 has 1 fields"},
               {"experiment,scheme\n", "no column 'layer'"},
               {"", "empty"},
               // a matching row whose count is not a number (found by fuzz_csv)
               {"experiment,scheme,layer,bits,percent,accuracy,nonzero_macs,macs,"
                "nonzero_weights,weights,images,model_hash,seconds\n"
                "fp32,-,all,32,0,0.5,nan,10,1,1,0,0000000000000000,0.1\n",
                "nonzero_macs is 'nan', not a count"}};
  for (const Case &c : cases) {
    std::ofstream(csv) << c.text;
    EXPECT_EQ(ts_sweep_resume(&w, csv.c_str(), &reused, &err), TS_E_FORMAT) << c.why;
    EXPECT_NE(std::strstr(err.msg, c.why), nullptr) << err.msg;
    EXPECT_NE(std::strstr(err.msg, "--no-resume"), nullptr) << err.msg;
  }
  std::remove(csv.c_str());
  EXPECT_EQ(ts_sweep_resume(&w, csv.c_str(), &reused, &err), TS_OK) << "missing: nothing to resume";
  ASSERT_EQ(mkfifo(csv.c_str(), 0600), 0);
  EXPECT_EQ(ts_sweep_resume(&w, csv.c_str(), &reused, &err), TS_E_IO);
  EXPECT_NE(std::strstr(err.msg, "FIFO"), nullptr) << err.msg;
  ts_sweep_free(&w);
  std::system(("rm -rf '" + dir + "'").c_str());
}

TEST(StudyHelpers, CsvReaderAndBitsParser) {
  int lo = 0, hi = 0;
  testing::internal::CaptureStderr();
  EXPECT_EQ(ts_study_parse_bits("t", "3-9", &lo, &hi), 0);
  EXPECT_EQ(lo, 3);
  EXPECT_EQ(hi, 9);
  EXPECT_EQ(ts_study_parse_bits("t", "16", &lo, &hi), 0);
  EXPECT_EQ(lo, 16);
  EXPECT_EQ(ts_study_parse_bits("t", "9-3", &lo, &hi), 1);
  EXPECT_EQ(ts_study_parse_bits("t", "", &lo, &hi), 1);
  testing::internal::GetCapturedStderr();
  ts_csv *t = nullptr;
  ts_error err = {};
  EXPECT_EQ(ts_csv_read("/nonexistent/x.csv", &t, &err), TS_E_IO);
  EXPECT_NE(std::strstr(err.msg, "/nonexistent/x.csv"), nullptr) << err.msg;
  const std::string p = testing::TempDir() + "tessera_csv_" + std::to_string(getpid()) + ".csv";
  std::ofstream(p) << "a,b\r\n1,2\r\n\r\n3,x\n";
  ASSERT_EQ(ts_csv_read(p.c_str(), &t, &err), TS_OK) << err.msg;
  EXPECT_EQ(t->rows, 2);
  EXPECT_EQ(ts_csv_num(t, 1, "a"), 3);
  EXPECT_TRUE(std::isnan(ts_csv_num(t, 1, "b"))) << "'x' is not a number";
  EXPECT_EQ(ts_csv_get(t, 0, "c"), nullptr);
  ts_csv_free(t);
  std::ofstream(p) << "";
  EXPECT_EQ(ts_csv_read(p.c_str(), &t, &err), TS_E_FORMAT);
  std::remove(p.c_str());
}

}  // namespace
