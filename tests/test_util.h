// Helpers shared by the test suites: a per-test temporary directory and
// small file readers.
#ifndef TESSERA_TESTS_TEST_UTIL_H
#define TESSERA_TESTS_TEST_UTIL_H

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

namespace ts_test {

// A fresh directory under testing::TempDir() for one test, removed at the
// end unless the test failed (then it stays for a look).
class TestDir {
 public:
  explicit TestDir(const std::string &prefix) {
    const auto *info = testing::UnitTest::GetInstance()->current_test_info();
    path_ = testing::TempDir() + "tessera_" + prefix + "_" + info->name() +
            "_" + std::to_string(getpid());
    Shell("rm -rf \"" + path_ + "\" && mkdir -p \"" + path_ + "\"");
  }
  ~TestDir() {
    if (!testing::Test::HasFailure()) Shell("rm -rf \"" + path_ + "\"");
  }
  const std::string &str() const { return path_; }

 private:
  static void Shell(const std::string &cmd) {
    EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }
  std::string path_;
};

inline std::vector<std::string> ReadLines(const std::string &path) {
  std::ifstream f(path);
  std::vector<std::string> out;
  for (std::string l; std::getline(f, l);) out.push_back(l);
  return out;
}

}  // namespace ts_test

#endif  // TESSERA_TESTS_TEST_UTIL_H
