// Atomic writes (models/base/ts_atomic.c): a temp file left by a writer
// killed with -9 is removed by the next write of the same file; temp files
// of live processes and unrelated names are kept.
#include <dirent.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "test_util.h"
#include "ts_atomic.h"

namespace {

bool Exists(const std::string &p) { return access(p.c_str(), F_OK) == 0; }

std::vector<std::string> TempFiles(const std::string &dir) {
  std::vector<std::string> out;
  DIR *d = opendir(dir.c_str());
  if (!d) return out;
  while (dirent *e = readdir(d))
    if (std::strstr(e->d_name, ".tmp")) out.push_back(e->d_name);
  closedir(d);
  return out;
}

ts_status WriteHello(FILE *fp, void *, ts_error *) {
  fputs("hello\n", fp);
  return TS_OK;
}

// Writes some data, makes sure it reached the temp file, then dies the way
// kill -9 kills: no chance to clean up.
ts_status WriteThenDie(FILE *fp, void *, ts_error *) {
  fputs("half a checkpoint", fp);
  fflush(fp);
  raise(SIGKILL);
  return TS_OK;
}

// A pid that existed and has exited (reaped), so no process has it now
// (barring reuse in the microseconds between here and the check).
pid_t DeadPid() {
  const pid_t pid = fork();
  if (pid == 0) _exit(0);
  waitpid(pid, nullptr, 0);
  return pid;
}

TEST(Atomic, LeftoverOfAKilledWriterIsRemovedByTheNextWrite) {
  const ts_test::TestDir tmp("atomic");
  const std::string path = tmp.str() + "/quant.csv";
  for (int kill = 0; kill < 3; kill++) {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ts_atomic_write(path.c_str(), WriteThenDie, nullptr, nullptr);
      _exit(0); // not reached
    }
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    // the killed writer leaves its temp file; the earlier ones are gone
    // (each write removes its dead predecessors'): they never accumulate
    const std::vector<std::string> left = TempFiles(tmp.str());
    EXPECT_EQ(left, std::vector<std::string>{"quant.csv.tmp." + std::to_string(pid)})
        << "after kill " << kill + 1 << ": " << left.size() << " temp files";
  }
  EXPECT_FALSE(Exists(path));
  ts_error err{};
  ASSERT_EQ(ts_atomic_write(path.c_str(), WriteHello, nullptr, &err), TS_OK)
      << err.msg;
  const std::vector<std::string> left = TempFiles(tmp.str());
  EXPECT_TRUE(left.empty()) << left.size() << " temp files stay, first "
                            << left[0];
  EXPECT_EQ(ts_test::ReadLines(path), std::vector<std::string>{"hello"});
}

TEST(Atomic, CleanupKeepsLiveWritersAndOtherNames) {
  const ts_test::TestDir tmp("atomic");
  const std::string dir = tmp.str();
  const std::string path = dir + "/train_log.csv";
  const std::string dead = path + ".tmp." + std::to_string(DeadPid());
  const std::string live = path + ".tmp." + std::to_string(getppid());
  const std::string self = path + ".tmp." + std::to_string(getpid());
  const std::vector<std::string> keep = {
      live, self, path + ".tmp.12ab", path + ".tmp.", path + ".tmp.-5",
      dir + "/train_log.csvx.tmp.1", dir + "/other.csv.tmp." +
      std::to_string(DeadPid())};
  for (const auto &p : keep) std::ofstream(p) << "x";
  std::ofstream(dead) << "x";
  EXPECT_EQ(ts_atomic_clean_stale(path.c_str()), 1);
  EXPECT_FALSE(Exists(dead)) << dead;
  for (const auto &p : keep) EXPECT_TRUE(Exists(p)) << p << " was removed";
  EXPECT_EQ(ts_atomic_clean_stale(path.c_str()), 0);
  // a bare file name cleans the current folder
  EXPECT_EQ(ts_atomic_clean_stale("no-such-file-here.csv"), 0);
  EXPECT_EQ(ts_atomic_clean_stale(""), 0);
}

TEST(Atomic, TempNameIsPathDotTmpDotPid) {
  char buf[64];
  ASSERT_EQ(ts_atomic_tmp_name("a/b.csv", buf, sizeof buf), 0);
  EXPECT_EQ(std::string(buf), "a/b.csv.tmp." + std::to_string(getpid()));
  EXPECT_EQ(ts_atomic_tmp_name("a/b.csv", buf, 8), -1);
}

}  // namespace
