// sw/csv.c under injected faults: the sweep CSVs read back on --resume and
// the key-value files (the library the CLI links, tested here because this
// binary has the shim).
#include <gtest/gtest.h>

#include <string>

#include "csv.h"
#include "fault_util.h"
#include "test_util.h"

namespace {

using fault::Case;
using fault::kAlloc;
using fault::kIo;
using fault::Sweep;

void CsvReadSweep(fault::Kind kind, ts_status want) {
  ts_test::TestDir dir("fault_csv");
  const std::string path = dir.str() + "/sweep.csv";
  // longer than the reader's first 64 KiB buffer: the growing path too
  std::string text = "bits,acc\n";
  for (int i = 0; text.size() < 70000; i++) text += std::to_string(i) + ",0.5\n";
  fault::WriteFile(path, text);
  ts_csv *t = nullptr;
  Case c{"ts_csv_read", kind, want, [&](ts_error *e) { return ts_csv_read(path.c_str(), &t, e); }};
  c.on_fail = [&](ts_status) { EXPECT_EQ(t, nullptr); };
  c.on_ok = [&] {
    ASSERT_NE(t, nullptr);
    EXPECT_STREQ(ts_csv_get(t, 1000, "bits"), "1000");
    EXPECT_GT(t->rows, 6000);
    ts_csv_free(t);
    t = nullptr;
  };
  Sweep(c);
}

TEST(FaultCsv, ReadAllocationFailures) { CsvReadSweep(kAlloc, TS_E_NOMEM); }
TEST(FaultCsv, ReadFileFailures) { CsvReadSweep(kIo, TS_E_IO); }

TEST(FaultCsv, WriteKeyValues) {
  ts_test::TestDir dir("fault_kv");
  const std::string path = dir.str() + "/run.csv", old = "key,value\nold,1\n";
  const char *kv[] = {"dataset", "cifar100", "epochs", "30"};
  for (fault::Kind kind : {kAlloc, kIo}) {
    Case c{"ts_csv_write_kv", kind, kind == kAlloc ? TS_E_NOMEM : TS_E_IO,
           [&](ts_error *e) { return ts_csv_write_kv(path.c_str(), kv, 2, e); }};
    c.setup = [&] { fault::WriteFile(path, old); };
    c.on_fail = [&](ts_status) { fault::ExpectKept(dir.str(), path, old); };
    c.on_ok = [&] {
      ts_csv *t = nullptr;
      ts_error e{};
      ASSERT_EQ(ts_csv_read(path.c_str(), &t, &e), TS_OK) << e.msg;
      EXPECT_STREQ(ts_csv_kv(t, "epochs"), "30");
      ts_csv_free(t);
    };
    Sweep(c);
  }
}

}  // namespace
