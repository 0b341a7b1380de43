// Replays the fuzz corpus (tests/fuzz/corpus/<target>/) and every crash
// input kept as a regression (tests/fuzz/crashes/<target>/) through the same
// entry points `make fuzz` runs, built here with gcc and ASan + UBSan: one
// test per file, so each counts in make test's "N passed" line. A crash, a
// sanitizer report or an abort() of a target's own checks fails the run.
#include <dirent.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" {
int fuzz_safetensors_one(const uint8_t *data, size_t size);
int fuzz_weights_one(const uint8_t *data, size_t size);
int fuzz_checkpoint_one(const uint8_t *data, size_t size);
int fuzz_cifar_one(const uint8_t *data, size_t size);
int fuzz_idx_one(const uint8_t *data, size_t size);
int fuzz_csv_one(const uint8_t *data, size_t size);
}

namespace {

struct Target {
  const char *name;
  int (*one)(const uint8_t *, size_t);
};

const Target kTargets[] = {
    {"safetensors", fuzz_safetensors_one}, {"weights", fuzz_weights_one},
    {"checkpoint", fuzz_checkpoint_one},   {"cifar", fuzz_cifar_one},
    {"idx", fuzz_idx_one},                 {"csv", fuzz_csv_one},
};

struct Input {
  const Target *target;
  std::string kind; // "corpus" or "crashes"
  std::string file;
  std::string path() const {
    return std::string(TS_FUZZ_DIR) + "/" + kind + "/" + target->name + "/" + file;
  }
};

std::vector<std::string> Files(const std::string &dir) {
  std::vector<std::string> out;
  if (DIR *d = opendir(dir.c_str())) {
    while (dirent *e = readdir(d))
      if (e->d_name[0] != '.') out.push_back(e->d_name);
    closedir(d);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<Input> AllInputs() {
  std::vector<Input> in;
  for (const Target &t : kTargets)
    for (const char *kind : {"corpus", "crashes"})
      for (const std::string &f : Files(std::string(TS_FUZZ_DIR) + "/" + kind + "/" + t.name))
        in.push_back({&t, kind, f});
  return in;
}

class Replay : public testing::TestWithParam<Input> {};

TEST_P(Replay, ParsesWithoutCrashOrSanitizerReport) {
  const Input &in = GetParam();
  std::ifstream f(in.path(), std::ios::binary);
  ASSERT_TRUE(f) << "cannot read " << in.path();
  const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(f)),
                                   std::istreambuf_iterator<char>());
  EXPECT_EQ(in.target->one(bytes.data(), bytes.size()), 0) << in.path();
}

INSTANTIATE_TEST_SUITE_P(Fuzz, Replay, testing::ValuesIn(AllInputs()),
                         [](const testing::TestParamInfo<Input> &i) {
                           std::string n = std::string(i.param.target->name) + "_" +
                                           i.param.kind + "_" + i.param.file;
                           for (char &c : n)
                             if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n + "_" + std::to_string(i.index);
                         });

// An empty or missing corpus would make the replay above pass vacuously.
TEST(ReplayCorpus, EveryTargetHasSeeds) {
  for (const Target &t : kTargets)
    EXPECT_FALSE(Files(std::string(TS_FUZZ_DIR) + "/corpus/" + t.name).empty())
        << "no seed inputs for fuzz target '" << t.name << "' in " << TS_FUZZ_DIR
        << "/corpus (make fuzz-corpus writes them)";
}

}  // namespace
