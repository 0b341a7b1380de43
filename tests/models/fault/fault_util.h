// The SQLite-style loop of the fault tests: run a call with its k-th
// allocation (or file operation) failing, k = 1, 2, ..., until a run in
// which no fault was injected, checking at every k the status and the
// outputs, and with LeakSanitizer that the sweep leaked nothing.
#ifndef TESSERA_TESTS_FAULT_UTIL_H
#define TESSERA_TESTS_FAULT_UTIL_H

#include <dirent.h>
#include <gtest/gtest.h>
#include <sanitizer/lsan_interface.h>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "fault_shim.h"
#include "ts_status.h"

namespace fault {

// How a sweep went.
struct SweepStats {
  long faults = 0;   // runs with an injected fault
  long absorbed = 0; // of which the call still succeeded (best-effort steps)
  std::string absorbed_fns;
};

// One call under test. call(err) runs the entry point (armed); on_fail(s)
// checks what a failed call must leave (outputs untouched, no file), on_ok()
// what a successful one must produce. Either may use ASSERT/EXPECT.
struct Case {
  std::string what;                    // names the call in messages
  Kind kind;
  ts_status want;                      // status of a failed call
  std::function<ts_status(ts_error *)> call;
  std::function<void(ts_status)> on_fail = [](ts_status) {};
  std::function<void()> on_ok = [] {};
  std::function<void()> setup = [] {}; // before every run, unarmed
  // Further statuses a fault may give (e.g. TS_E_NOMEM from fdopen
  // during a file sweep); want is always accepted.
  std::vector<ts_status> also = {};
  // A status accepted only when a given function failed: cJSON's parser
  // returns NULL for both bad JSON and no memory, so a failed allocation
  // inside it reads as a malformed file ({"cJSON malloc", TS_E_FORMAT}).
  std::vector<std::pair<std::string, ts_status>> also_when = {};
};

constexpr long kMaxRuns = 20000; // a sweep that never ends is a bug

inline std::string StatusName(ts_status s) {
  return std::to_string((int)s) + " (" + ts_status_str(s) + ")";
}

// Runs the sweep; returns what happened (the test fails on any mismatch).
inline SweepStats Sweep(const Case &c) {
  // LeakSanitizer's check takes ~10 ms: once per sweep, or after every run
  // when FAULT_LEAK_EACH_RUN is set (slower; names the k that leaked)
  static const bool each_run = std::getenv("FAULT_LEAK_EACH_RUN") != nullptr;
  SweepStats st;
  for (long k = 1; k <= kMaxRuns; k++) {
    c.setup();
    if (testing::Test::HasFatalFailure()) return st;
    ts_error err{};
    Arm(c.kind, k);
    const ts_status s = c.call(&err);
    const Shot shot = Disarm();
    std::ostringstream where;
    where << c.what << " with " << KindName(c.kind) << " k = " << k << " of "
          << shot.calls << (shot.fired ? std::string(" failing (") + shot.fn + ")"
                                       : std::string(" (none failed)"))
          << ": got status " << StatusName(s) << " \"" << err.msg << "\"";
    SCOPED_TRACE(where.str());
    if (!shot.fired) {
      EXPECT_EQ(s, TS_OK) << "with no fault injected";
      if (s == TS_OK) c.on_ok();
    } else if (s == TS_OK) {
      // A best-effort step (cleaning stale temp files, syncing the folder)
      // may fail without failing the call; the result must still be right.
      st.faults++;
      st.absorbed++;
      if (st.absorbed_fns.find(shot.fn) == std::string::npos)
        st.absorbed_fns += std::string(st.absorbed_fns.empty() ? "" : " ") + shot.fn;
      c.on_ok();
    } else {
      st.faults++;
      bool expected = s == c.want;
      for (ts_status a : c.also) expected |= s == a;
      for (const auto &a : c.also_when) expected |= a.first == shot.fn && s == a.second;
      EXPECT_TRUE(expected) << "expected status " << StatusName(c.want);
      EXPECT_EQ(err.status, s) << "err.status disagrees with the return value";
      EXPECT_NE(err.msg[0], '\0') << "no error message";
      c.on_fail(s);
    }
    if (each_run && __lsan_do_recoverable_leak_check() != 0)
      ADD_FAILURE() << "LeakSanitizer found leaks (report above)";
    if (testing::Test::HasFailure()) return st;
    if (!shot.fired) {
      if (!each_run && __lsan_do_recoverable_leak_check() != 0)
        ADD_FAILURE() << c.what << " with " << KindName(c.kind) << " faults leaked (the "
                      << "report above names the allocation; FAULT_LEAK_EACH_RUN=1 "
                      << "checks after every run, naming k)";
      EXPECT_GT(st.faults, 0) << c.what << ": no " << KindName(c.kind)
                              << " to fail";
      if (st.absorbed)
        std::printf("  %s: %ld %s faults, %ld absorbed (%s)\n", c.what.c_str(),
                    st.faults, KindName(c.kind), st.absorbed,
                    st.absorbed_fns.c_str());
      return st;
    }
  }
  ADD_FAILURE() << c.what << ": still failing after " << kMaxRuns << " runs";
  return st;
}

// ---- files -----------------------------------------------------------------

inline std::string ReadFile(const std::string &path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

inline bool Exists(const std::string &path) {
  std::ifstream f(path);
  return f.good();
}

inline void WriteFile(const std::string &path, const std::string &text) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << text;
}

// Names in dir containing ".tmp." (an atomic write's leftovers).
inline std::vector<std::string> TempFiles(const std::string &dir) {
  std::vector<std::string> out;
  if (DIR *d = opendir(dir.c_str())) {
    while (dirent *e = readdir(d))
      if (std::string(e->d_name).find(".tmp.") != std::string::npos)
        out.push_back(e->d_name);
    closedir(d);
  }
  return out;
}

// What a failed atomic write must leave: the old file, byte for byte, and
// no temporary file beside it.
inline void ExpectKept(const std::string &dir, const std::string &path,
                       const std::string &old) {
  EXPECT_EQ(ReadFile(path), old) << path << " changed by a failed write";
  const auto tmp = TempFiles(dir);
  EXPECT_TRUE(tmp.empty()) << "left behind: " << (tmp.empty() ? "" : tmp[0]);
}

} // namespace fault

#endif // TESSERA_TESTS_FAULT_UTIL_H
