// End-to-end tests of the `tessera` command line (train, eval, top level).
//
// The real binary ($TESSERA_BIN, default build/tessera) runs in a per-test
// temp dir on tiny generated data. Bad input of every kind must end with
// exit 2 (usage) or 1 (runtime), exactly one stderr line naming the problem,
// no signal or sanitizer report, and no new or changed output file; the
// happy path must train, log, checkpoint, evaluate and resume.
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "sw/cli_harness.h"
#include "ts_arch.h"
#include "ts_plot.h"
#include "ts_safetensors.h"
#include "ts_weights.h"

namespace {

using namespace ts_cli_test;

// Tiny MNIST-shaped data: enough images for a few SGD steps per epoch.
constexpr int kSide = 28, kTrainN = 240, kTestN = 64, kClasses = 10, kBatch = 8;
constexpr const char *kModel = "model.safetensors";
constexpr const char *kCkpt = "checkpoint.safetensors";
constexpr const char *kLog = "train_log.csv";
constexpr const char *kIdxTrainImages = "train-images-idx3-ubyte";
constexpr const char *kIdxTrainLabels = "train-labels-idx1-ubyte";
constexpr const char *kIdxTestImages = "t10k-images-idx3-ubyte";
constexpr const char *kIdxTestLabels = "t10k-labels-idx1-ubyte";

// ---- safetensors files edited through the library's own reader/writer ----

// A safetensors file held in owned memory so tests can poison a value, drop
// a tensor, change a shape or a metadata entry, then write it back.
struct StFile {
  struct Tensor {
    std::string name;
    std::vector<int64_t> shape;
    std::vector<float> data;
  };
  std::vector<Tensor> tensors;
  std::vector<std::pair<std::string, std::string>> meta;

  Tensor *Find(const std::string &name) {
    for (auto &t : tensors)
      if (t.name == name) return &t;
    return nullptr;
  }
  void SetMeta(const std::string &k, const std::string &v) {
    for (auto &m : meta)
      if (m.first == k) {
        m.second = v;
        return;
      }
    meta.emplace_back(k, v);
  }
  void DropMeta(const std::string &k) {
    for (size_t i = 0; i < meta.size(); i++)
      if (meta[i].first == k) meta.erase(meta.begin() + static_cast<long>(i--));
  }
};

StFile ReadSt(const fs::path &p) {
  StFile s;
  ts_error err{};
  ts_st_file *f = nullptr;
  if (ts_st_open(p.c_str(), &f, &err) != TS_OK) {
    ADD_FAILURE() << "cannot read back " << p << ": " << err.msg;
    return s;
  }
  for (int i = 0; i < ts_st_num_meta(f); i++) {
    const ts_st_meta *m = ts_st_meta_at(f, i);
    s.meta.emplace_back(m->key, m->value);
  }
  for (int i = 0; i < ts_st_num_tensors(f); i++) {
    const ts_st_tensor *t = ts_st_tensor_at(f, i);
    StFile::Tensor c;
    c.name = t->name;
    size_t n = 1;
    for (int d = 0; d < t->ndim; d++) {
      c.shape.push_back(t->shape[d]);
      n *= static_cast<size_t>(t->shape[d]);
    }
    c.data.assign(t->data, t->data + n);
    s.tensors.push_back(std::move(c));
  }
  ts_st_close(f);
  return s;
}

// Written with ts_st_write exactly as given: nothing checks the values.
void WriteSt(const fs::path &p, const StFile &s) {
  std::vector<ts_st_tensor> t;
  for (const auto &c : s.tensors) {
    ts_st_tensor x{};
    x.name = c.name.c_str();
    x.ndim = static_cast<int>(c.shape.size());
    for (int d = 0; d < x.ndim; d++) x.shape[d] = c.shape[d];
    x.data = c.data.data();
    t.push_back(x);
  }
  std::vector<ts_st_meta> m;
  for (const auto &kv : s.meta) m.push_back({kv.first.c_str(), kv.second.c_str()});
  ts_error err{};
  ASSERT_EQ(ts_st_write(p.c_str(), t.data(), static_cast<int>(t.size()), m.data(),
                        static_cast<int>(m.size()), &err),
            TS_OK)
      << err.msg;
}

// A model file like the ones `tessera train` writes (architecture,
// dataset and normalisation metadata), with small deterministic weights.
void WriteModel(const fs::path &p, const ts_arch &a, const std::string &dataset,
                const std::string &norm) {
  std::vector<float> params(ts_arch_num_params(&a));
  ASSERT_FALSE(params.empty()) << "invalid architecture for a test model";
  for (size_t i = 0; i < params.size(); i++)
    params[i] = 0.01f * static_cast<float>(static_cast<int>(i % 7) - 3);
  const ts_st_meta extra[] = {{"tessera.dataset", dataset.c_str()},
                              {"tessera.norm", norm.c_str()}};
  ts_error err{};
  ASSERT_EQ(ts_weights_save_params(&a, params.data(), params.size(), p.c_str(), extra, 2, &err),
            TS_OK)
      << err.msg;
}

ts_arch MnistArch() {
  ts_arch a;
  ts_arch_default(&a, 1, kSide, kSide, kClasses);
  return a;
}

// ---- fixture ----------------------------------------------------------------

class Cli : public testing::Test {
 protected:
  void SetUp() override {
    bin_ = TesseraBin();
    if (bin_.empty())
      GTEST_SKIP() << "no tessera binary (build it with `make build/tessera`, or set "
                      "TESSERA_BIN)";
    const auto *info = testing::UnitTest::GetInstance()->current_test_info();
    std::string name = std::string(info->test_suite_name()) + "_" + info->name();
    for (char &c : name)
      if (c == '/') c = '_';
    dir_ = fs::path(testing::TempDir()) / ("ts_cli_" + name + "_" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    data_ = dir_ / "data";
    out_ = dir_ / "out";
    fs::create_directories(data_);
    WriteIdx(data_, "train", EasyIdx(kTrainN, kSide, kSide));
    WriteIdx(data_, "t10k", EasyIdx(kTestN, kSide, kSide));
  }
  void TearDown() override {  // a failed test's folder stays for a look
    std::error_code ec;
    if (!dir_.empty() && !HasFailure()) fs::remove_all(dir_, ec);
  }

  RunResult Run(const std::vector<std::string> &args) { return RunIn(bin_, dir_, args); }

  // A quick valid training command; `extra` comes last (and so wins).
  std::vector<std::string> TrainArgs(std::vector<std::string> extra = {}) const {
    std::vector<std::string> a = {"train", "--dataset", "mnist", "--data", data_.string(),
                                  "--epochs", "1", "--batch", std::to_string(kBatch),
                                  "--out", out_.string(), "--quiet"};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  std::vector<std::string> EvalArgs(const fs::path &model,
                                    std::vector<std::string> extra = {}) const {
    std::vector<std::string> a = {"eval", "--model", model.string(), "--data", data_.string()};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  // A valid model for the generated data.
  fs::path GoodModel() {
    fs::path p = dir_ / "good.safetensors";
    if (!fs::exists(p)) WriteModel(p, MnistArch(), "mnist", "0.45/0.35");
    return p;
  }
  // out_ holding a model.safetensors that a failed run must leave alone.
  Bytes PlantSentinelModel() {
    fs::create_directories(out_);
    Bytes b = ReadBytes(GoodModel());
    WriteBytes(out_ / kModel, b);
    return b;
  }
  // out_ exactly as the sentinel left it: no new file, no temp file, and
  // model.safetensors byte-identical.
  void ExpectOutUntouched(const Bytes &sentinel) {
    EXPECT_EQ(ListDir(out_), std::set<std::string>{kModel})
        << "a failed run must not leave new files in " << out_;
    Bytes now = ReadBytes(out_ / kModel);
    EXPECT_TRUE(now == sentinel) << "model.safetensors changed: " << sentinel.size()
                                 << " bytes before, " << now.size() << " after";
  }

  fs::path bin_, dir_, data_, out_;
};

// ---- usage errors: exit 2, before any output is written ---------------------

struct UsageCase {
  const char *name;
  std::vector<std::string> args;  // appended to a valid command
  const char *key;                // what the one stderr line must mention
};

std::string CaseName(const testing::TestParamInfo<UsageCase> &i) { return i.param.name; }
void PrintTo(const UsageCase &c, std::ostream *os) { *os << c.name; }

class TrainUsage : public Cli, public testing::WithParamInterface<UsageCase> {};

TEST_P(TrainUsage, ExitsTwoWithOneLineAndWritesNothing) {
  RunResult r = Run(TrainArgs(GetParam().args));
  EXPECT_TRUE(FailsCleanly(r, kExitUsage, GetParam().key));
  EXPECT_FALSE(fs::exists(out_)) << "a usage error created the output folder " << out_;
}

const UsageCase kTrainUsage[] = {
    {"epochs_zero", {"--epochs", "0"}, "--epochs"},
    {"epochs_negative", {"--epochs", "-3"}, "--epochs"},
    {"epochs_text", {"--epochs", "abc"}, "--epochs"},
    {"epochs_empty", {"--epochs", ""}, "--epochs"},
    {"epochs_fraction", {"--epochs", "1.5"}, "--epochs"},
    {"epochs_overflow", {"--epochs", "99999999999999999999"}, "--epochs"},
    {"batch_zero", {"--batch", "0"}, "--batch"},
    {"lr_negative", {"--lr", "-1"}, "--lr"},
    {"lr_nan", {"--lr", "nan"}, "--lr"},
    {"lr_inf", {"--lr", "inf"}, "--lr"},
    {"lr_zero", {"--lr", "0"}, "--lr"},
    {"momentum_above_one", {"--momentum", "1.5"}, "--momentum"},
    {"weight_decay_nan", {"--weight-decay", "nan"}, "--weight-decay"},
    {"threads_zero", {"--threads", "0"}, "--threads"},
    {"seed_negative", {"--seed", "-1"}, "--seed"},
    {"seed_negative_after_blank", {"--seed", " -1"}, "--seed"},
    {"limit_zero", {"--limit", "0"}, "--limit"},
    {"log_every_negative", {"--log-every", "-1"}, "--log-every"},
    {"k1_zero", {"--k1", "0"}, "--k1"},
    {"k2_text", {"--k2", "five"}, "--k2"},
    // Kernels larger than the 28x28 images (found once the data is read).
    {"k1_larger_than_image", {"--k1", "40"}, "k1 = 40"},
    {"k1_leaves_nothing_to_pool", {"--k1", "28"}, "k1 = 28"},
    {"k2_larger_than_conv1_output", {"--k2", "13"}, "k2 = 13"},
    {"channels_one_number", {"--channels", "6"}, "--channels"},
    {"channels_zero", {"--channels", "6,0"}, "--channels"},
    {"channels_three_numbers", {"--channels", "6,16,3"}, "--channels"},
    {"channels_text", {"--channels", "six,16"}, "--channels"},
    {"ids_different_lengths", {"--ids", "123,4567"}, "different lengths"},
    {"ids_non_digits", {"--ids", "12a4,5678"}, "digits only"},
    {"ids_one_number", {"--ids", "1234"}, "--ids"},
    {"ids_empty_second", {"--ids", "1234,"}, "--ids"},
    {"ids_all_zeros", {"--ids", "0000,5678"}, "only zeros"},
    {"ids_all_nines", {"--ids", "1234,9999"}, "only nines"},
    {"val_split_two", {"--val-split", "2"}, "--val-split"},
    {"val_split_negative", {"--val-split", "-0.1"}, "--val-split"},
    {"val_split_nan", {"--val-split", "nan"}, "--val-split"},
    {"val_split_leaves_no_images", {"--val-split", "0.001"}, "--val-split 0.001"},
    {"unknown_dataset", {"--dataset", "imagenet"}, "unknown dataset 'imagenet'"},
    {"empty_dataset", {"--dataset", ""}, "unknown dataset ''"},
    {"unknown_flag", {"--bogus"}, "'--bogus'"},
    {"unknown_flag_with_value", {"--bogus=3"}, "'--bogus=3'"},
    {"unknown_short_flag", {"-x"}, "'-x'"},
    {"flag_missing_value", {"--batch"}, "'--batch' needs a value"},
    {"value_on_switch", {"--quiet=yes"}, "'--quiet=yes' takes no value"},
    {"stray_argument", {"stray"}, "unexpected argument 'stray'"},
    {"out_empty", {"--out", ""}, "--out"},
};
INSTANTIATE_TEST_SUITE_P(Cli, TrainUsage, testing::ValuesIn(kTrainUsage), CaseName);

class EvalUsage : public Cli, public testing::WithParamInterface<UsageCase> {};

TEST_P(EvalUsage, ExitsTwoWithOneLine) {
  RunResult r = Run(EvalArgs(GoodModel(), GetParam().args));
  EXPECT_TRUE(FailsCleanly(r, kExitUsage, GetParam().key));
}

const UsageCase kEvalUsage[] = {
    {"threads_zero", {"--threads", "0"}, "--threads"},
    {"threads_text", {"--threads", "two"}, "--threads"},
    {"limit_zero", {"--limit", "0"}, "--limit"},
    {"limit_negative", {"--limit", "-5"}, "--limit"},
    {"split_unknown", {"--split", "validation"}, "--split"},
    {"unknown_dataset", {"--dataset", "imagenet"}, "unknown dataset 'imagenet'"},
    {"unknown_flag", {"--epochs", "3"}, "'--epochs'"},
    {"flag_missing_value", {"--model"}, "'--model' needs a value"},
    {"value_on_switch", {"--coarse=1"}, "'--coarse=1' takes no value"},
    {"stray_argument", {"extra.safetensors"}, "unexpected argument 'extra.safetensors'"},
};
INSTANTIATE_TEST_SUITE_P(Cli, EvalUsage, testing::ValuesIn(kEvalUsage), CaseName);

// ---- shared options: one table (sw/cli_opts.c), the same checks everywhere ---

// Every command that takes a shared option rejects the same bad value the
// same way: exit 2 and one line, before anything is read or written.
TEST_F(Cli, SharedOptionsAreValidatedAlikeByEveryCommand) {
  struct Command {
    std::string name;
    std::vector<std::string> shared;  // the shared options it accepts
  };
  const std::vector<Command> commands = {
      {"train", {"dataset", "limit", "threads", "out"}},
      {"eval", {"dataset", "limit", "threads"}},
      {"quant", {"dataset", "limit", "threads", "out"}},
      {"prune", {"dataset", "limit", "threads", "out"}},
      {"profile", {"dataset", "out"}},
      {"plots", {"out"}},
      {"report", {"out"}},
      {"hw-run", {"dataset", "limit", "threads", "out"}},
      {"run", {"dataset", "limit", "threads", "out"}},
  };
  struct Bad {
    std::string option, value, key;
  };
  const std::vector<Bad> bad = {
      {"dataset", "imagenet", "--dataset: unknown dataset 'imagenet'"},
      {"limit", "0", "--limit must be a whole number in [1, 1073741824]"},
      {"threads", "0", "--threads must be a whole number in [1, "},
      {"out", "", "--out needs a folder name, got ''"},
  };
  int runs = 0;
  for (const auto &c : commands)
    for (const auto &b : bad) {
      if (std::find(c.shared.begin(), c.shared.end(), b.option) == c.shared.end()) continue;
      std::vector<std::string> args = {c.name, "--data", data_.string()};
      if (c.name == "profile" || c.name == "plots" || c.name == "report") args = {c.name};
      if (b.option != "out" && c.name != "eval") args.insert(args.end(), {"--out", out_.string()});
      args.insert(args.end(), {"--" + b.option, b.value});
      RunResult r = Run(args);
      EXPECT_TRUE(FailsCleanly(r, kExitUsage, b.key));
      EXPECT_FALSE(fs::exists(out_)) << "a usage error created " << out_ << ":\n"
                                     << r.Describe();
      runs++;
    }
  EXPECT_EQ(runs, 4 * 5 + 3 + 2 + 1 + 1) << "cases run";
}

// An option a command does not share is unknown to it, like any other.
TEST_F(Cli, SharedOptionsOnlyWhereTheyApply) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"report", "--threads", "2"}, "unknown or ambiguous option '--threads'"},
      {{"plots", "--dataset", "mnist"}, "unknown or ambiguous option '--dataset'"},
      {{"profile", "--limit", "5"}, "unknown or ambiguous option '--limit'"},
      {{"eval", "--out", "x"}, "unknown or ambiguous option '--out'"},
      {{"train", "--model", "x"}, "unknown or ambiguous option '--model'"},
  };
  for (const auto &c : cases) EXPECT_TRUE(FailsCleanly(Run(c.first), kExitUsage, c.second));
}

// ---- bad data directories: exit 1 for train and eval, outputs untouched -----

struct DataCase {
  const char *name;
  const char *dataset;
  std::function<void(const fs::path &data)> spoil;  // turns good data bad
  const char *key;
};

std::string DataCaseName(const testing::TestParamInfo<DataCase> &i) { return i.param.name; }
void PrintTo(const DataCase &c, std::ostream *os) { *os << c.name; }

void Truncate(const fs::path &p, long drop) {
  Bytes b = ReadBytes(p);
  ASSERT_GT(static_cast<long>(b.size()), drop) << p;
  b.resize(b.size() - static_cast<size_t>(drop));
  WriteBytes(p, b);
}

void PatchByte(const fs::path &p, size_t at, uint8_t v) {
  Bytes b = ReadBytes(p);
  ASSERT_LT(at, b.size()) << p;
  b[at] = v;
  WriteBytes(p, b);
}

void PatchBe32(const fs::path &p, size_t at, uint32_t v) {
  Bytes b = ReadBytes(p);
  ASSERT_LE(at + 4, b.size()) << p;
  for (int i = 0; i < 4; i++) b[at + i] = static_cast<uint8_t>(v >> (24 - 8 * i));
  WriteBytes(p, b);
}

void Gzip(const fs::path &raw, long keep_bytes /* <0: all */) {
  Bytes b = ReadBytes(raw);
  fs::path gz = raw.string() + ".gz";
  gzFile g = gzopen(gz.c_str(), "wb");
  ASSERT_NE(g, nullptr);
  ASSERT_EQ(gzwrite(g, b.data(), static_cast<unsigned>(b.size())), static_cast<int>(b.size()));
  ASSERT_EQ(gzclose(g), Z_OK);
  fs::remove(raw);
  if (keep_bytes >= 0) {
    Bytes z = ReadBytes(gz);
    z.resize(static_cast<size_t>(keep_bytes));
    WriteBytes(gz, z);
  }
}

// CIFAR folders made from scratch (the fixture's IDX files are left beside).
void MakeCifar10(const fs::path &d, int per_batch) {
  for (int i = 1; i <= 5; i++)
    WriteBytes(d / ("data_batch_" + std::to_string(i) + ".bin"), Cifar10Records(per_batch));
  WriteBytes(d / "test_batch.bin", Cifar10Records(per_batch));
}

// CIFAR-100 records: coarse label, fine label, pixels.
Bytes Cifar100Records(int n, int bad_fine_at = -1) {
  Bytes c10 = Cifar10Records(n), out;
  for (int i = 0; i < n; i++) {
    const uint8_t fine = static_cast<uint8_t>(i == bad_fine_at ? 100 : i % 2);
    out.push_back(static_cast<uint8_t>(i % 2));  // coarse, valid

    out.push_back(fine);
    auto rec = c10.begin() + static_cast<long>(i) * (1 + kCifarPixels);
    out.insert(out.end(), rec + 1, rec + 1 + kCifarPixels);
  }
  return out;
}

const DataCase kDataCases[] = {
    {"missing_directory", "mnist", [](const fs::path &d) { fs::remove_all(d); },
     "does not exist"},
    {"directory_is_a_file", "mnist",
     [](const fs::path &d) {
       fs::remove_all(d);
       WriteBytes(d, Bytes{1, 2, 3});
     },
     "does not exist"},
    {"empty_directory", "mnist",
     [](const fs::path &d) {
       fs::remove_all(d);
       fs::create_directories(d);
     },
     "no file"},
    {"images_truncated", "mnist", [](const fs::path &d) { Truncate(d / kIdxTrainImages, 100); },
     "truncated"},
    {"images_trailing_bytes", "mnist",
     [](const fs::path &d) {
       Bytes b = ReadBytes(d / kIdxTrainImages);
       b.insert(b.end(), {1, 2, 3});
       WriteBytes(d / kIdxTrainImages, b);
     },
     "trailing data"},
    {"images_empty_file", "mnist", [](const fs::path &d) { WriteBytes(d / kIdxTrainImages, {}); },
     "truncated IDX header"},
    {"images_garbage", "mnist",
     [](const fs::path &d) {
       Bytes g(5000);
       for (size_t i = 0; i < g.size(); i++) g[i] = static_cast<uint8_t>(i * 7919u >> 3);
       WriteBytes(d / kIdxTrainImages, g);
     },
     "bad IDX magic"},
    {"images_count_absurd", "mnist",
     [](const fs::path &d) { PatchBe32(d / kIdxTrainImages, 4, 0x7fffffffu); },
     "2147483647 images"},
    {"both_counts_absurd", "mnist",  // agreeing headers: found when the data runs out
     [](const fs::path &d) {
       PatchBe32(d / kIdxTrainImages, 4, 0x7fffffffu);
       PatchBe32(d / kIdxTrainLabels, 4, 0x7fffffffu);
     },
     "truncated"},
    {"labels_out_of_range", "mnist",
     [](const fs::path &d) { PatchByte(d / kIdxTrainLabels, kIdxHeaderLabels + 3, 12); },
     "label 12"},
    {"labels_count_mismatch", "mnist",
     [](const fs::path &d) {
       WriteBytes(d / kIdxTrainLabels, EasyIdx(kTrainN - 1, kSide, kSide).labels);
     },
     "labels"},
    {"test_labels_missing", "mnist", [](const fs::path &d) { fs::remove(d / kIdxTestLabels); },
     kIdxTestLabels},
    {"test_images_truncated", "mnist", [](const fs::path &d) { Truncate(d / kIdxTestImages, 1); },
     "truncated"},
    {"gzip_truncated", "mnist", [](const fs::path &d) { Gzip(d / kIdxTrainImages, 300); },
     "train-images-idx3-ubyte.gz"},
    {"gzip_corrupt", "mnist",
     [](const fs::path &d) {
       Gzip(d / kIdxTrainImages, -1);
       fs::path gz = d / (std::string(kIdxTrainImages) + ".gz");
       Bytes z = ReadBytes(gz);
       for (size_t i = 20; i < z.size() - 8; i += 97) z[i] ^= 0x5a;
       WriteBytes(gz, z);
     },
     "train-images-idx3-ubyte.gz"},
    {"cifar10_truncated", "cifar10",
     [](const fs::path &d) {
       MakeCifar10(d, 8);
       Truncate(d / "data_batch_2.bin", 100);
     },
     "3073-byte"},
    {"cifar10_batch_missing", "cifar10",
     [](const fs::path &d) {
       MakeCifar10(d, 8);
       fs::remove(d / "data_batch_3.bin");
     },
     "data_batch_3.bin"},
    {"cifar10_test_garbage", "cifar10",
     [](const fs::path &d) {
       MakeCifar10(d, 8);
       WriteBytes(d / "test_batch.bin", Bytes(1000, 0xab));
     },
     "test_batch.bin"},
    {"cifar100_given_cifar10_records", "cifar100",
     [](const fs::path &d) {
       WriteBytes(d / "train.bin", Cifar10Records(16));
       WriteBytes(d / "test.bin", Cifar10Records(16));
     },
     "3074-byte"},
    {"cifar100_fine_label_out_of_range", "cifar100",
     [](const fs::path &d) {
       WriteBytes(d / "train.bin", Cifar100Records(16, 5));
       WriteBytes(d / "test.bin", Cifar100Records(16, 5));
     },
     "fine label 100"},
};

class BadData : public Cli, public testing::WithParamInterface<DataCase> {};

TEST_P(BadData, TrainFailsAndLeavesTheOldModelAlone) {
  const Bytes sentinel = PlantSentinelModel();
  GetParam().spoil(data_);
  RunResult r = Run(TrainArgs({"--dataset", GetParam().dataset}));
  EXPECT_TRUE(FailsCleanly(r, kExitRuntime, GetParam().key));
  ExpectOutUntouched(sentinel);
}

TEST_P(BadData, EvalFails) {
  const fs::path model = GoodModel();
  const Bytes before = ReadBytes(model);
  GetParam().spoil(data_);
  // eval reads the test split; spoilt training files are read with --split train
  const std::string name = GetParam().name;
  const bool test_split = name.find("test") != std::string::npos ||
                          name.find("missing_dir") != std::string::npos;
  RunResult r = Run(EvalArgs(model, {"--dataset", GetParam().dataset, "--split",
                                     test_split ? "test" : "train"}));
  EXPECT_TRUE(FailsCleanly(r, kExitRuntime, GetParam().key));
  EXPECT_TRUE(ReadBytes(model) == before) << "eval changed its model file";
}

INSTANTIATE_TEST_SUITE_P(Cli, BadData, testing::ValuesIn(kDataCases), DataCaseName);

TEST_F(Cli, TrainWithoutDataDirectoryForCifarSaysHowToGiveOne) {
  RunResult r = Run({"train", "--dataset", "cifar100", "--epochs", "1", "--out", out_.string()});
  EXPECT_TRUE(FailsCleanly(r, kExitRuntime, "--data DIR"));
  EXPECT_FALSE(fs::exists(out_));
}

TEST_F(Cli, TrainValidatingOnTestImagesOfAnotherSizeFails) {
  WriteIdx(data_, "t10k", EasyIdx(kTestN, kSide + 4, kSide + 4));
  const Bytes sentinel = PlantSentinelModel();
  RunResult r = Run(TrainArgs());
  EXPECT_TRUE(FailsCleanly(r, kExitRuntime, "1x32x32 images"));
  ExpectOutUntouched(sentinel);
}

// ---- bad output folders and checkpoints --------------------------------------

TEST_F(Cli, TrainOutIsAFileFails) {
  WriteBytes(out_, Bytes{'k', 'e', 'e', 'p'});
  RunResult r = Run(TrainArgs());
  EXPECT_TRUE(FailsCleanly(r, kExitRuntime, "not a directory"));
  EXPECT_TRUE(ReadBytes(out_) == (Bytes{'k', 'e', 'e', 'p'})) << "--out file was changed";
}

TEST_F(Cli, TrainOutBelowAFileFails) {
  WriteBytes(dir_ / "plain", Bytes{1});
  RunResult r = Run(TrainArgs({"--out", (dir_ / "plain" / "sub").string()}));
  EXPECT_TRUE(FailsCleanly(r, kExitRuntime, "plain"));
}

TEST_F(Cli, ResumeFromGarbageCheckpointFailsAndKeepsBoth) {
  const Bytes sentinel = PlantSentinelModel();
  const Bytes junk(777, 0x42);
  WriteBytes(out_ / kCkpt, junk);
  RunResult r = Run(TrainArgs({"--resume"}));
  EXPECT_TRUE(FailsCleanly(r, kExitRuntime, kCkpt));
  EXPECT_TRUE(ReadBytes(out_ / kCkpt) == junk) << "the bad checkpoint was overwritten";
  EXPECT_TRUE(ReadBytes(out_ / kModel) == sentinel) << "model.safetensors changed";
  EXPECT_EQ(ListDir(out_), (std::set<std::string>{kModel, kCkpt}));
}

TEST_F(Cli, ResumeFromCheckpointOfAnotherArchitectureFails) {
  // A checkpoint of a k1 = 3 network, resumed by a run with the default k1 = 5.
  ts_arch a = MnistArch();
  a.k1 = 3;
  const size_t n = ts_arch_num_params(&a);
  std::vector<float> params(n, 0.01f), momentum(n, 0.0f);
  ts_train_state st{};
  st.epoch = 1;
  st.iteration = kTrainN / kBatch;
  fs::create_directories(out_);
  ts_error err{};
  ASSERT_EQ(ts_weights_save_checkpoint((out_ / kCkpt).c_str(), &a, params.data(),
                                       momentum.data(), n, &st, nullptr, 0, &err),
            TS_OK)
      << err.msg;
  const Bytes ckpt = ReadBytes(out_ / kCkpt);
  RunResult r = Run(TrainArgs({"--epochs", "2", "--resume"}));
  EXPECT_TRUE(FailsCleanly(r, kExitRuntime, "k1"));
  EXPECT_TRUE(ReadBytes(out_ / kCkpt) == ckpt) << "the checkpoint was overwritten";
  EXPECT_EQ(ListDir(out_), std::set<std::string>{kCkpt});
}

TEST_F(Cli, ResumeFromCheckpointWithNanFails) {
  const ts_arch a = MnistArch();
  const size_t n = ts_arch_num_params(&a);
  std::vector<float> params(n, 0.01f), momentum(n, 0.0f);
  ts_train_state st{};
  st.epoch = 1;
  fs::create_directories(out_);
  ts_error err{};
  ASSERT_EQ(ts_weights_save_checkpoint((out_ / kCkpt).c_str(), &a, params.data(),
                                       momentum.data(), n, &st, nullptr, 0, &err),
            TS_OK)
      << err.msg;
  // the writer refuses NaN, so poison the momentum through the plain writer
  StFile s = ReadSt(out_ / kCkpt);
  StFile::Tensor *m = s.Find(std::string(TS_WEIGHTS_MOMENTUM_PREFIX) + "fc1.weight");
  ASSERT_NE(m, nullptr) << "no momentum tensor in the checkpoint";
  m->data[7] = std::numeric_limits<float>::quiet_NaN();
  WriteSt(out_ / kCkpt, s);
  RunResult r = Run(TrainArgs({"--epochs", "2", "--resume"}));
  EXPECT_TRUE(FailsCleanly(r, kExitRuntime, "NaN"));
  EXPECT_EQ(ListDir(out_), std::set<std::string>{kCkpt});
}

TEST_F(Cli, DivergingTrainingFailsWithoutWritingAModel) {
  const Bytes sentinel = PlantSentinelModel();
  // weight decay 1 at lr 10 multiplies every weight by about -9 per step:
  // the loss overflows within the first epoch whatever the data
  RunResult r = Run(TrainArgs({"--lr", "10", "--momentum", "0.999", "--weight-decay", "1"}));
  EXPECT_TRUE(FailsCleanly(r, kExitRuntime, "diverged"));
  ExpectOutUntouched(sentinel);
}

// ---- bad model files for eval: exit 1 ------------------------------------------

struct ModelCase {
  const char *name;
  // Writes the bad model at p, given a good one to start from.
  std::function<void(const fs::path &good, const fs::path &p)> make;
  const char *key;
};

std::string ModelCaseName(const testing::TestParamInfo<ModelCase> &i) { return i.param.name; }
void PrintTo(const ModelCase &c, std::ostream *os) { *os << c.name; }

// A good model file rewritten with one edit.
std::function<void(const fs::path &, const fs::path &)> Edited(std::function<void(StFile &)> edit) {
  return [edit](const fs::path &good, const fs::path &p) {
    StFile s = ReadSt(good);
    edit(s);
    WriteSt(p, s);
  };
}

const ModelCase kModelCases[] = {
    {"missing", [](const fs::path &, const fs::path &) {}, "cannot open"},
    {"empty", [](const fs::path &, const fs::path &p) { WriteBytes(p, {}); }, "0 bytes"},
    {"garbage",
     [](const fs::path &, const fs::path &p) {
       Bytes g(4096);
       for (size_t i = 0; i < g.size(); i++) g[i] = static_cast<uint8_t>(i * 2654435761u >> 24);
       WriteBytes(p, g);
     },
     "bad.safetensors"},
    {"truncated_in_header",
     [](const fs::path &good, const fs::path &p) {
       Bytes b = ReadBytes(good);
       b.resize(100);
       WriteBytes(p, b);
     },
     "bad.safetensors"},
    {"truncated_in_data",
     [](const fs::path &good, const fs::path &p) {
       Bytes b = ReadBytes(good);
       b.resize(b.size() / 2);
       WriteBytes(p, b);
     },
     "bad.safetensors"},
    {"header_not_json",
     [](const fs::path &good, const fs::path &p) {
       Bytes b = ReadBytes(good);
       for (size_t i = 8; i < 40; i++) b[i] = '#';
       WriteBytes(p, b);
     },
     "bad.safetensors"},
    {"nan_weight_bytes",  // a float's bytes overwritten in place
     [](const fs::path &good, const fs::path &p) {
       Bytes b = ReadBytes(good);
       uint64_t hlen = 0;
       for (int i = 7; i >= 0; i--) hlen = hlen << 8 | b[static_cast<size_t>(i)];
       const float nan = std::numeric_limits<float>::quiet_NaN();
       std::memcpy(&b[8 + hlen + 4 * 10], &nan, sizeof nan);
       WriteBytes(p, b);
     },
     "NaN"},
    {"nan_weight", Edited([](StFile &s) {
       s.Find("fc2.weight")->data[5] = std::numeric_limits<float>::quiet_NaN();
     }),
     "fc2.weight"},
    {"inf_bias", Edited([](StFile &s) {
       s.Find("conv2.bias")->data[0] = -std::numeric_limits<float>::infinity();
     }),
     "conv2.bias"},
    {"tensor_missing", Edited([](StFile &s) {
       s.tensors.erase(s.tensors.begin() + static_cast<long>(s.Find("fc3.bias") - &s.tensors[0]));
     }),
     "fc3.bias"},
    {"tensor_wrong_shape", Edited([](StFile &s) {
       StFile::Tensor *t = s.Find("conv1.weight");
       t->shape.back() = 1;  // [c1][in_c][k1][1]
       t->data.resize(static_cast<size_t>(t->shape[0] * t->shape[1] * t->shape[2]));
     }),
     "conv1.weight"},
    {"no_norm_metadata", Edited([](StFile &s) { s.DropMeta("tessera.norm"); }), "tessera.norm"},
    {"norm_zero_std", Edited([](StFile &s) { s.SetMeta("tessera.norm", "0.5/0"); }),
     "tessera.norm"},
    {"norm_nan", Edited([](StFile &s) { s.SetMeta("tessera.norm", "nan/0.3"); }),
     "tessera.norm"},
    {"arch_metadata_garbage", Edited([](StFile &s) { s.SetMeta("tessera.arch", "{\"in_c\":"); }),
     "tessera.arch"},
    {"dataset_metadata_unknown", Edited([](StFile &s) { s.SetMeta("tessera.dataset", "svhn"); }),
     "unknown dataset 'svhn'"},
    {"trained_on_colour_images",  // a CIFAR model offered 1-channel images
     [](const fs::path &, const fs::path &p) {
       ts_arch a;
       ts_arch_default(&a, 3, 32, 32, kClasses);
       WriteModel(p, a, "mnist", "0.5,0.5,0.5/0.25,0.25,0.25");
     },
     "3-channel"},
    {"trained_on_larger_images",
     [](const fs::path &, const fs::path &p) {
       ts_arch a;
       ts_arch_default(&a, 1, kSide + 4, kSide + 4, kClasses);
       WriteModel(p, a, "mnist", "0.5/0.25");
     },
     "1x32x32"},
    {"is_a_directory", [](const fs::path &, const fs::path &p) { fs::create_directories(p); },
     "not a regular file"},
};

class BadModel : public Cli, public testing::WithParamInterface<ModelCase> {};

TEST_P(BadModel, EvalFailsWithOneLine) {
  const fs::path p = dir_ / "bad.safetensors";
  GetParam().make(GoodModel(), p);
  ASSERT_FALSE(HasFatalFailure());
  RunResult r = Run(EvalArgs(p));  // the dataset comes from the model's metadata
  EXPECT_TRUE(FailsCleanly(r, kExitRuntime, GetParam().key));
}

// quant, prune and hw-run read a model through the same loader as eval
// (sw/cli_model.c): the same bad file fails the same way, before any output.
TEST_P(BadModel, EveryModelReaderFailsAlike) {
  const fs::path p = dir_ / "bad.safetensors";
  GetParam().make(GoodModel(), p);
  ASSERT_FALSE(HasFatalFailure());
  for (const char *cmd : {"quant", "prune", "hw-run"}) {
    RunResult r = Run({cmd, "--model", p.string(), "--data", data_.string(), "--out",
                       out_.string()});
    EXPECT_TRUE(FailsCleanly(r, kExitRuntime, GetParam().key)) << cmd;
    EXPECT_FALSE(fs::exists(out_)) << cmd << " created " << out_;
  }
}

INSTANTIATE_TEST_SUITE_P(Cli, BadModel, testing::ValuesIn(kModelCases), ModelCaseName);

TEST_F(Cli, EvalOfTheGoodTestModelWorks) {  // the baseline the cases above spoil
  RunResult r = Run(EvalArgs(GoodModel()));
  EXPECT_TRUE(Succeeds(r));
  EXPECT_NE(r.out.find("accuracy"), std::string::npos) << r.Describe();
}

// ---- happy path ----------------------------------------------------------------

// "accuracy 97.50%" -> 97.5; NaN when absent.
double AccuracyIn(const std::string &s) {
  const std::string key = "accuracy ";
  const size_t at = s.find(key);
  if (at == std::string::npos) return std::nan("");
  char *end = nullptr;
  const double v = std::strtod(s.c_str() + at + key.size(), &end);
  return (end && *end == '%') ? v : std::nan("");
}

TEST_F(Cli, TrainEvalAndResume) {
  // the command of the task description, as a user would type it
  const std::vector<std::string> train = {"train", "--dataset", "mnist", "--data",
                                          data_.string(), "--epochs", "2", "--batch",
                                          std::to_string(kBatch), "--out", out_.string()};
  RunResult r = Run(train);
  ASSERT_TRUE(Succeeds(r));
  EXPECT_EQ(ListDir(out_), (std::set<std::string>{kModel, kLog, kCkpt}))
      << "train must leave exactly its three files";
  EXPECT_NE(r.out.find("done: 2 epochs"), std::string::npos) << r.Describe();

  // The log: the header, then one row per epoch end (fewer steps than
  // --log-every), the last at epoch 2.
  std::vector<std::string> rows;
  {
    std::istringstream in(ReadText(out_ / kLog));
    for (std::string l; std::getline(in, l);)
      if (!l.empty()) rows.push_back(l);
  }
  ASSERT_GE(rows.size(), 3u) << ReadText(out_ / kLog);
  EXPECT_EQ(rows[0], "iteration,epoch,train_loss,train_error,val_error,val_images");
  EXPECT_EQ(rows.size(), 3u) << ReadText(out_ / kLog);
  const int steps = (kTrainN + kBatch - 1) / kBatch;
  EXPECT_EQ(rows.back().rfind(std::to_string(2 * steps) + ",2.0000,", 0), 0u)
      << "last row should be step " << 2 * steps << " at epoch 2: " << rows.back();

  // The two classes are trivially separable: anything near chance means
  // the model, its normalisation or eval is broken.
  RunResult e = Run({"eval", "--model", (out_ / kModel).string(), "--dataset", "mnist",
                     "--data", data_.string()});
  ASSERT_TRUE(Succeeds(e));
  const double acc = AccuracyIn(e.out);
  EXPECT_GE(acc, 90.0) << "accuracy on two easy classes: " << e.Describe();
  EXPECT_NE(e.out.find("(" + std::to_string(kTestN) + " images)"), std::string::npos)
      << e.Describe();

  // Resuming a finished run does no more work and rewrites the same bytes.
  const Bytes model = ReadBytes(out_ / kModel), ckpt = ReadBytes(out_ / kCkpt),
              log = ReadBytes(out_ / kLog);
  std::vector<std::string> resume = train;
  resume.push_back("--resume");
  RunResult rr = Run(resume);
  ASSERT_TRUE(Succeeds(rr));
  EXPECT_NE(rr.out.find("nothing to train"), std::string::npos) << rr.Describe();
  EXPECT_EQ(rr.out.find("accuracy 200"), std::string::npos) << rr.Describe();
  EXPECT_TRUE(ReadBytes(out_ / kModel) == model) << "resume changed model.safetensors";
  EXPECT_TRUE(ReadBytes(out_ / kCkpt) == ckpt) << "resume changed the checkpoint";
  EXPECT_TRUE(ReadBytes(out_ / kLog) == log) << "resume changed the log";
  EXPECT_EQ(ListDir(out_), (std::set<std::string>{kModel, kLog, kCkpt}));
}

TEST_F(Cli, ResumeContinuesToTheBytesOfAnUninterruptedRun) {
  // 1 epoch, then --resume up to 2, against 2 epochs straight: the
  // checkpoint holds everything (weights, momentum, step, shuffling RNG).
  const fs::path straight = dir_ / "straight";
  ASSERT_TRUE(Succeeds(Run(TrainArgs({"--epochs", "2", "--out", straight.string()}))));
  ASSERT_TRUE(Succeeds(Run(TrainArgs({"--epochs", "1"}))));
  RunResult r = Run(TrainArgs({"--epochs", "2", "--resume"}));
  ASSERT_TRUE(Succeeds(r));
  EXPECT_NE(r.out.find("resumed from the checkpoint after epoch 1"), std::string::npos)
      << r.Describe();
  for (const char *f : {kModel, kCkpt, kLog}) {
    const Bytes a = ReadBytes(straight / f), b = ReadBytes(out_ / f);
    size_t first = 0;
    while (first < a.size() && first < b.size() && a[first] == b[first]) first++;
    EXPECT_TRUE(a == b) << f << " differs: " << a.size() << " vs " << b.size()
                        << " bytes, first difference at byte " << first;
  }
}

// --resume continues the run the checkpoint holds: another recipe is a
// usage error naming the option, and nothing is touched.
TEST_F(Cli, ResumeRefusesAnotherRecipe) {
  ASSERT_TRUE(Succeeds(Run(TrainArgs({"--epochs", "2"}))));
  const Bytes model = ReadBytes(out_ / kModel), ckpt = ReadBytes(out_ / kCkpt),
              log = ReadBytes(out_ / kLog);
  StFile s = ReadSt(out_ / kModel);
  auto meta = [&s](const std::string &k) {
    for (const auto &m : s.meta)
      if (m.first == k) return m.second;
    return std::string("(absent)");
  };
  EXPECT_EQ(meta("tessera.lr"), "0.01") << "the recipe is recorded in the model";
  EXPECT_EQ(meta("tessera.batch"), std::to_string(kBatch));
  EXPECT_EQ(meta("tessera.seed"), "1");
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--seed", "8"}, "with --seed 1, this run asks for --seed 8"},
      {{"--lr", "0.02"}, "with --lr 0.01, this run asks for --lr 0.02"},
      {{"--momentum", "0.5"}, "--momentum 0.9, this run asks for --momentum 0.5"},
      {{"--weight-decay", "0"}, "--weight-decay 0.0005, this run asks for --weight-decay 0"},
      {{"--batch", "16"}, "--batch 8, this run asks for --batch 16"},
      {{"--limit", "100"}, "--limit 0, this run asks for --limit 100"},
      {{"--val-split", "0.25"}, "--val-split 0, this run asks for --val-split 0.25"},
      {{"--dataset", "fashion-mnist"}, "--dataset mnist, this run asks for --dataset fashion-mnist"},
      {{"--k1", "3"}, "--k1 5, this run asks for --k1 3"},
      {{"--channels", "4,8"}, "--channels 6,16, this run asks for --channels 4,8"},
      {{"--epochs", "1"}, "already holds 2 epochs, more than --epochs 1"},
  };
  for (const auto &c : cases) {
    std::vector<std::string> extra = {"--epochs", "3", "--resume"};
    extra.insert(extra.end(), c.first.begin(), c.first.end());
    RunResult r = Run(TrainArgs(extra));
    EXPECT_TRUE(FailsCleanly(r, kExitUsage, c.second));
  }
  EXPECT_TRUE(ReadBytes(out_ / kModel) == model) << "a refused resume changed the model";
  EXPECT_TRUE(ReadBytes(out_ / kCkpt) == ckpt) << "a refused resume changed the checkpoint";
  EXPECT_TRUE(ReadBytes(out_ / kLog) == log) << "a refused resume changed the log";
  EXPECT_EQ(ListDir(out_), (std::set<std::string>{kModel, kLog, kCkpt}));
  // What does not change the weights may differ: threads, log interval.
  RunResult ok = Run(TrainArgs({"--epochs", "3", "--resume", "--threads", "1", "--lr", "0.010",
                                "--log-every", "7"}));
  ASSERT_TRUE(Succeeds(ok));
  EXPECT_NE(ok.out.find("resumed from the checkpoint after epoch 2"), std::string::npos)
      << ok.Describe();
}

TEST_F(Cli, IdsDeriveKernelsAndEpochs) {
  // 1234,5678: k1 = max digit 4, k2 = 9 - min digit 5 = 4,
  // epochs = max(max_i 1234[i] * 5678[i], 30) = 4 * 8 = 32 (--epochs 1 wins).
  RunResult r = Run(TrainArgs({"--ids", "1234,5678", "--epochs", "1"}));
  ASSERT_TRUE(Succeeds(r));
  for (const char *want : {"k1 = 4", "k2 = 4", "epochs = 32", "overridden by --epochs",
                           "architecture: k1=4 k2=4", "recipe: 1 epochs"})
    EXPECT_NE(r.out.find(want), std::string::npos) << "missing \"" << want << "\"\n"
                                                   << r.Describe();
  StFile s = ReadSt(out_ / kModel);
  ASSERT_NE(s.Find("conv1.weight"), nullptr);
  EXPECT_EQ(s.Find("conv1.weight")->shape.back(), 4) << "conv1 kernel in the saved model";
  EXPECT_EQ(s.Find("conv2.weight")->shape.back(), 4) << "conv2 kernel in the saved model";
}

TEST_F(Cli, ValSplitHoldsOutTrainingImages) {
  RunResult r = Run(TrainArgs({"--val-split", "0.25"}));
  ASSERT_TRUE(Succeeds(r));
  EXPECT_NE(r.out.find("validating on " + std::to_string(kTrainN / 4) + " held-out images"),
            std::string::npos)
      << r.Describe();
}

// ---- tessera run: the whole pipeline on the tiny data ---------------------------

TEST_F(Cli, RunDoesEveryStageAndReusesTheModel) {
  if (!ts_plot_gnuplot_found(nullptr)) GTEST_SKIP() << "the plots stage needs gnuplot";
  // --limit keeps training, the sweeps and hw-run's calibration short;
  // hw-run checks 64 test images on the RTL (the whole generated test split)
  const std::vector<std::string> run = {"run", "--dataset", "mnist", "--data", data_.string(),
                                        "--epochs", "1", "--limit", "16", "--no-grid",
                                        "--out", out_.string()};
  RunResult r = RunIn(bin_, dir_, run, 120);
  ASSERT_TRUE(Succeeds(r));
  const char *const stages[] = {"train", "profile", "quant", "prune", "plots", "hw-run",
                                "report"};
  for (int i = 0; i < 7; i++) {
    const std::string head = "==== [" + std::to_string(i + 1) + "/7] " + stages[i] + " ====";
    EXPECT_NE(r.out.find(head), std::string::npos) << "no \"" << head << "\"\n" << r.Describe();
  }
  EXPECT_NE(r.out.find("all stages done"), std::string::npos) << r.Describe();
  for (const char *f : {kModel, kCkpt, kLog, "run_config.csv", "profile.csv", "quant.csv",
                        "prune.csv", "prune_accuracy.png", "weights_conv1.png", "hw.csv",
                        "hw_accuracy.csv", "hw.json", "report.md"})
    EXPECT_TRUE(fs::exists(out_ / f)) << f << " missing after tessera run";
  for (const auto &f : ListDir(out_))
    EXPECT_EQ(f.find(".tmp"), std::string::npos) << "temp file left: " << f;
  EXPECT_NE(ReadText(out_ / "hw.json").find("\"mismatches\":\t0"), std::string::npos);
  // Again with the same configuration: the model is reused, not retrained.
  const Bytes model = ReadBytes(out_ / kModel);
  RunResult again = RunIn(bin_, dir_, run, 120);
  ASSERT_TRUE(Succeeds(again));
  EXPECT_NE(again.out.find("==== [1/7] train ====\n" + (out_ / kModel).string() +
                           " was trained to completion"),
            std::string::npos)
      << again.Describe();
  EXPECT_TRUE(ReadBytes(out_ / kModel) == model) << "the reused model changed";
}

TEST_F(Cli, RunStopsWhenTrainingFails) {
  RunResult r = Run({"run", "--dataset", "mnist", "--data", (dir_ / "none").string(),
                     "--epochs", "1", "--out", out_.string()});
  EXPECT_TRUE(r.exited && r.code == kExitRuntime) << r.Describe();
  EXPECT_NE(r.err.find("training failed; stopping"), std::string::npos) << r.Describe();
  EXPECT_EQ(r.out.find("[2/7]"), std::string::npos) << "a stage ran after training failed";
}

// ---- top level -------------------------------------------------------------------

TEST_F(Cli, HelpPrintsUsageAndExitsZero) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--help"}, "usage: tessera <command>"},
      {{"-h"}, "usage: tessera <command>"},
      {{"train", "--help"}, "usage: tessera train"},
      {{"eval", "--help"}, "usage: tessera eval"}};
  for (const auto &c : cases) {
    RunResult r = Run(c.first);
    EXPECT_TRUE(Succeeds(r));
    EXPECT_NE(r.out.find(c.second), std::string::npos) << "no usage text:\n" << r.Describe();
    EXPECT_TRUE(r.err.empty()) << "help wrote to stderr:\n" << r.Describe();
  }
  EXPECT_TRUE(ListDir(dir_) == std::set<std::string>{"data"}) << "--help wrote files";
}

TEST_F(Cli, NoCommandOrUnknownCommandExitsTwo) {
  RunResult none = Run({});
  EXPECT_TRUE(none.exited && none.code == kExitUsage) << none.Describe();
  EXPECT_NE(none.err.find("usage: tessera"), std::string::npos) << none.Describe();
  RunResult bogus = Run({"bogus"});
  EXPECT_TRUE(bogus.exited && bogus.code == kExitUsage) << bogus.Describe();
  EXPECT_NE(bogus.err.find("unknown command 'bogus'"), std::string::npos) << bogus.Describe();
}

}  // namespace
