// models/base under injected faults: atomic writes (ts_atomic.c) and the
// non-blocking open (ts_file.c).
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "fault_util.h"
#include "test_util.h"
#include "ts_atomic.h"
#include "ts_file.h"

namespace {

using fault::Case;
using fault::Sweep;

// Writes the string in user through fprintf, fputs, fputc and fwrite as the
// library does (the shim's, which it can fail); returns TS_OK like a writer
// that relies on ts_atomic_write's ferror check.
ts_status WriteText(FILE *fp, void *user, ts_error *) {
  const std::string &s = *static_cast<const std::string *>(user);
  __wrap_fprintf(fp, "%s:%d\n", "head", 1);
  __wrap_fputs("line\n", fp);
  __wrap_fputc('x', fp);
  __wrap_fwrite(s.data(), 1, s.size(), fp);
  return TS_OK;
}

void AtomicWriteSweep(fault::Kind kind, ts_status want) {
  ts_test::TestDir dir("fault_atomic");
  const std::string path = dir.str() + "/out.txt", old = "the old file\n";
  std::string text(3000, 'a');
  Case c{"ts_atomic_write", kind, want, [&](ts_error *e) {
           return ts_atomic_write(path.c_str(), WriteText, &text, e);
         }};
  c.setup = [&] { fault::WriteFile(path, old); };
  c.on_fail = [&](ts_status) { fault::ExpectKept(dir.str(), path, old); };
  c.on_ok = [&] {
    EXPECT_EQ(fault::ReadFile(path), "head:1\nline\nx" + text);
    EXPECT_TRUE(fault::TempFiles(dir.str()).empty());
  };
  Sweep(c);
}

TEST(FaultAtomic, AllocationFailures) { AtomicWriteSweep(fault::kAlloc, TS_E_NOMEM); }
TEST(FaultAtomic, FileFailures) { AtomicWriteSweep(fault::kIo, TS_E_IO); }

void FileOpenSweep(fault::Kind kind, ts_status want) {
  ts_test::TestDir dir("fault_open");
  const std::string path = dir.str() + "/in.bin";
  fault::WriteFile(path, "abc");
  FILE *fp = nullptr;
  Case c{"ts_file_open", kind, want, [&](ts_error *e) {
           fp = reinterpret_cast<FILE *>(1);
           return ts_file_open(path.c_str(), "model", &fp, e);
         }};
  c.on_fail = [&](ts_status) { EXPECT_EQ(fp, nullptr); };
  c.on_ok = [&] {
    ASSERT_NE(fp, nullptr);
    char buf[4] = {0};
    EXPECT_EQ(std::fread(buf, 1, 3, fp), 3u);
    EXPECT_STREQ(buf, "abc");
    std::fclose(fp);
  };
  Sweep(c);
}

TEST(FaultFile, AllocationFailures) { FileOpenSweep(fault::kAlloc, TS_E_NOMEM); }
TEST(FaultFile, FileFailures) { FileOpenSweep(fault::kIo, TS_E_IO); }

}  // namespace
