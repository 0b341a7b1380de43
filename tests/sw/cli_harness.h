// Helpers for end-to-end tests of the `tessera` binary: find it, run it in a
// directory with captured stdout / stderr / exit status and a time limit,
// judge a failure (one clear stderr line, no crash, no sanitizer report),
// and write tiny IDX / CIFAR data sets.
#ifndef TS_TESTS_SW_CLI_HARNESS_H
#define TS_TESTS_SW_CLI_HARNESS_H

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "ts_arch.h"
#include "ts_weights.h"

extern char **environ;

namespace ts_cli_test {

namespace fs = std::filesystem;
using Bytes = std::vector<uint8_t>;

// Exit codes of the CLI's contract (sw/commands.h).
constexpr int kExitOk = 0, kExitRuntime = 1, kExitUsage = 2;

// The binary under test: $TESSERA_BIN, else build/tessera (relative to the
// directory the suite runs from, the repository root under `make test`).
// Empty when it does not exist.
inline fs::path TesseraBin() {
  const char *env = std::getenv("TESSERA_BIN");
  fs::path p = (env && *env) ? fs::path(env) : fs::path("build/tessera");
  std::error_code ec;
  if (!fs::is_regular_file(p, ec)) return {};
  return fs::absolute(p);
}

// A per-test folder TempDir/<prefix>_<test name>_<pid>, emptied, with an
// empty data/ inside for the test's tiny datasets.
inline fs::path FreshTestDir(const std::string &prefix) {
  const auto *info = testing::UnitTest::GetInstance()->current_test_info();
  const fs::path d = fs::path(testing::TempDir()) /
                     (prefix + "_" + std::string(info->name()) + "_" + std::to_string(getpid()));
  fs::remove_all(d);
  fs::create_directories(d / "data");
  return d;
}

inline void WriteBytes(const fs::path &p, const Bytes &b) {
  FILE *f = std::fopen(p.c_str(), "wb");
  ASSERT_NE(f, nullptr) << "cannot create " << p;
  if (!b.empty()) {
    EXPECT_EQ(std::fwrite(b.data(), 1, b.size(), f), b.size()) << p;
  }
  std::fclose(f);
}

inline Bytes ReadBytes(const fs::path &p) {
  std::error_code ec;
  auto n = fs::file_size(p, ec);
  if (ec) return {};
  Bytes b(n);
  if (FILE *f = std::fopen(p.c_str(), "rb")) {
    b.resize(std::fread(b.data(), 1, b.size(), f));
    std::fclose(f);
  }
  return b;
}

inline std::string ReadText(const fs::path &p) {
  Bytes b = ReadBytes(p);
  return std::string(b.begin(), b.end());
}

// Names of the entries of a directory (empty if it does not exist).
inline std::set<std::string> ListDir(const fs::path &d) {
  std::set<std::string> out;
  std::error_code ec;
  for (fs::directory_iterator it(d, ec), end; !ec && it != end; it.increment(ec))
    out.insert(it->path().filename().string());
  return out;
}

// What one run of the binary did.
struct RunResult {
  std::vector<std::string> args;
  bool exited = false;  // false: killed by a signal (or by the time limit)
  int code = -1;        // exit status when exited
  int signal = 0;       // terminating signal otherwise
  bool timed_out = false;
  std::string out, err;

  std::string Command() const {
    std::string s = "tessera";
    for (const auto &a : args) s += " '" + a + "'";
    return s;
  }
  // Everything a failure message needs to show.
  std::string Describe() const {
    std::ostringstream o;
    o << Command() << "\n  -> ";
    if (timed_out) o << "killed after the time limit";
    else if (exited) o << "exit " << code;
    else o << "killed by signal " << signal << " (" << strsignal(signal) << ")";
    o << "\n  stdout: " << (out.empty() ? "(empty)" : out) << "\n  stderr: "
      << (err.empty() ? "(empty)" : err);
    return o.str();
  }
  // Non-empty lines of stderr.
  std::vector<std::string> ErrLines() const {
    std::vector<std::string> lines;
    std::istringstream in(err);
    for (std::string l; std::getline(in, l);)
      if (!l.empty()) lines.push_back(l);
    return lines;
  }
};

// Runs `bin args...` in cwd with stdin from /dev/null, stdout and stderr to
// files in cwd (read back, then removed), TESSERA_DATA removed from the
// environment (each test says where its data is) and OMP_WAIT_POLICY set
// (saves the binary's re-exec). Killed after timeout_s.
inline RunResult RunIn(const fs::path &bin, const fs::path &cwd,
                       const std::vector<std::string> &args, double timeout_s = 60) {
  RunResult r;
  r.args = args;
  const fs::path out_p = cwd / ".cli_stdout", err_p = cwd / ".cli_stderr";

  std::vector<std::string> env;
  for (char **e = environ; *e; e++) {
    if (!std::strncmp(*e, "TESSERA_DATA=", 13) || !std::strncmp(*e, "OMP_WAIT_POLICY=", 16))
      continue;
    env.emplace_back(*e);
  }
  env.emplace_back("OMP_WAIT_POLICY=PASSIVE");
  std::vector<char *> envp, argv;
  for (auto &s : env) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::string bin_s = bin.string();
  std::vector<std::string> args_copy = args;
  argv.push_back(bin_s.data());
  for (auto &a : args_copy) argv.push_back(a.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, out_p.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&fa, 2, err_p.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addchdir_np(&fa, cwd.c_str());
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, bin_s.c_str(), &fa, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    ADD_FAILURE() << "cannot start " << bin_s << ": " << std::strerror(rc);
    return r;
  }
  int status = 0;
  timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (;;) {
    pid_t w = waitpid(pid, &status, WNOHANG);
    if (w == pid) break;
    timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    if (!r.timed_out && (t.tv_sec - t0.tv_sec) + 1e-9 * (t.tv_nsec - t0.tv_nsec) > timeout_s) {
      kill(pid, SIGKILL);
      r.timed_out = true;
    }
    usleep(2000);
  }
  r.exited = WIFEXITED(status) && !r.timed_out;
  if (WIFEXITED(status)) r.code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
  r.out = ReadText(out_p);
  r.err = ReadText(err_p);
  std::error_code ec;
  fs::remove(out_p, ec);
  fs::remove(err_p, ec);
  return r;
}

// The binary exited normally with `code`, wrote exactly one non-empty line
// to stderr, that line mentions `key`, and nothing reports a sanitizer
// error (when the binary is a sanitizer build). Set TS_CLI_TEST_VERBOSE=1
// to print each command and its message.
inline testing::AssertionResult FailsCleanly(const RunResult &r, int code,
                                             const std::string &key) {
  if (std::getenv("TS_CLI_TEST_VERBOSE"))  // to review every message at once
    std::fprintf(stderr, "  [%s] %s", r.Command().c_str(), r.err.c_str());
  if (!r.exited)
    return testing::AssertionFailure() << "crashed or hung:\n" << r.Describe();
  if (r.err.find("Sanitizer") != std::string::npos ||
      r.err.find("runtime error:") != std::string::npos)
    return testing::AssertionFailure() << "sanitizer report:\n" << r.Describe();
  if (r.code != code)
    return testing::AssertionFailure() << "exit status " << r.code << ", expected " << code
                                       << ":\n" << r.Describe();
  const auto lines = r.ErrLines();
  if (lines.size() != 1)
    return testing::AssertionFailure() << lines.size()
                                       << " lines on stderr, expected exactly 1:\n"
                                       << r.Describe();
  if (lines[0].find(key) == std::string::npos)
    return testing::AssertionFailure() << "the stderr line does not mention \"" << key
                                       << "\":\n" << r.Describe();
  return testing::AssertionSuccess();
}

inline testing::AssertionResult Succeeds(const RunResult &r) {
  if (r.exited && r.code == kExitOk && r.err.find("Sanitizer") == std::string::npos &&
      r.err.find("runtime error:") == std::string::npos)
    return testing::AssertionSuccess();
  return testing::AssertionFailure() << "expected success:\n" << r.Describe();
}

// ---- Tiny data sets (formats: docs/data.md) -------------------------------

constexpr uint32_t kIdxImagesMagic = 0x00000803u, kIdxLabelsMagic = 0x00000801u;
constexpr int kIdxHeaderImages = 16, kIdxHeaderLabels = 8;  // bytes
constexpr int kCifarSide = 32, kCifarC = 3;
constexpr int kCifarPixels = kCifarC * kCifarSide * kCifarSide;

inline void PutBe32(Bytes &b, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<uint8_t>(v >> s));
}

// Two classes that a few SGD steps separate: class 0 is bright on the left
// half, class 1 on the right half, with a little deterministic noise.
inline uint8_t EasyPixel(int image, int label, int y, int x, int w) {
  const bool lit = (label == 0) == (x < w / 2);
  const int noise = static_cast<int>((image * 131u + y * 31u + x * 17u) % 21u) - 10;
  return static_cast<uint8_t>((lit ? 200 : 30) + noise);
}

struct IdxSet {
  Bytes images, labels;
};

inline IdxSet EasyIdx(int n, int h, int w) {
  IdxSet s;
  PutBe32(s.images, kIdxImagesMagic);
  PutBe32(s.images, static_cast<uint32_t>(n));
  PutBe32(s.images, static_cast<uint32_t>(h));
  PutBe32(s.images, static_cast<uint32_t>(w));
  PutBe32(s.labels, kIdxLabelsMagic);
  PutBe32(s.labels, static_cast<uint32_t>(n));
  for (int i = 0; i < n; i++) {
    const int label = i % 2;
    s.labels.push_back(static_cast<uint8_t>(label));
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++) s.images.push_back(EasyPixel(i, label, y, x, w));
  }
  return s;
}

// prefix "train" or "t10k": the MNIST file names, raw (not gzipped).
inline void WriteIdx(const fs::path &dir, const std::string &prefix, const IdxSet &s) {
  WriteBytes(dir / (prefix + "-images-idx3-ubyte"), s.images);
  WriteBytes(dir / (prefix + "-labels-idx1-ubyte"), s.labels);
}

// n CIFAR-10 records (label byte + R, G, B planes).
inline Bytes Cifar10Records(int n) {
  Bytes b;
  for (int i = 0; i < n; i++) {
    b.push_back(static_cast<uint8_t>(i % 2));
    for (int ch = 0; ch < kCifarC; ch++)
      for (int y = 0; y < kCifarSide; y++)
        for (int x = 0; x < kCifarSide; x++)
          b.push_back(EasyPixel(i, i % 2, y, x, kCifarSide));
  }
  return b;
}

// A model file as `tessera train` writes it for side x side grey images and
// `classes` classes, with small deterministic weights (not trained) and
// MNIST metadata. Returns "" or the error.
inline std::string WriteSmallModel(const fs::path &path, int side, int classes) {
  ts_arch a;
  ts_arch_default(&a, 1, side, side, classes);
  std::vector<float> p(ts_arch_num_params(&a));
  for (size_t i = 0; i < p.size(); i++)
    p[i] = 0.02f * static_cast<float>(static_cast<int>((i * 7919u) % 11u) - 5);
  const ts_st_meta extra[] = {{"tessera.dataset", "mnist"}, {"tessera.norm", "0.45/0.35"}};
  ts_error err{};
  if (ts_weights_save_params(&a, p.data(), p.size(), path.c_str(), extra, 2, &err) != TS_OK)
    return err.msg;
  return "";
}

// The lines of a text.
inline std::vector<std::string> Lines(const std::string &s) {
  std::vector<std::string> v;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) v.push_back(l);
  return v;
}

// Field `col` (by header name) of every data row of a CSV text.
inline std::vector<std::string> Column(const std::string &csv, const std::string &col) {
  auto lines = Lines(csv);
  std::vector<std::string> out;
  if (lines.empty()) return out;
  auto split = [](const std::string &l) {
    std::vector<std::string> f;
    std::stringstream ss(l);
    for (std::string x; std::getline(ss, x, ',');) f.push_back(x);
    return f;
  };
  auto head = split(lines[0]);
  size_t c = 0;
  while (c < head.size() && head[c] != col) c++;
  if (c == head.size()) return out;
  for (size_t i = 1; i < lines.size(); i++) {
    auto f = split(lines[i]);
    out.push_back(c < f.size() ? f[c] : "");
  }
  return out;
}

}  // namespace ts_cli_test

#endif  // TS_TESTS_SW_CLI_HARNESS_H
