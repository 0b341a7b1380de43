// models/base: status names (ts_status.c) and table number formatting
// (ts_fmt.c).
#include <gtest/gtest.h>

#include <climits>
#include <set>
#include <string>

#include "ts_fmt.h"
#include "ts_status.h"

namespace {

TEST(Status, EveryStatusHasItsOwnName) {
  const ts_status all[] = {TS_OK,    TS_E_ARG,       TS_E_IO, TS_E_FORMAT,  TS_E_SHAPE,
                           TS_E_NOMEM, TS_E_NONFINITE, TS_E_HW, TS_E_MISMATCH};
  std::set<std::string> names;
  for (ts_status s : all) {
    const char *n = ts_status_str(s);
    ASSERT_NE(n, nullptr) << "status " << s;
    EXPECT_GT(std::string(n).size(), 0u) << "status " << s << " has an empty name";
    EXPECT_STRNE(n, "unknown status") << "status " << s << " has no name";
    names.insert(n);
  }
  EXPECT_EQ(names.size(), sizeof all / sizeof all[0]) << "two statuses share a name";
  EXPECT_STREQ(ts_status_str(static_cast<ts_status>(999)), "unknown status");
  EXPECT_STREQ(ts_status_str(static_cast<ts_status>(-1)), "unknown status");
}

TEST(Fmt, ThousandsSeparators) {
  const std::pair<long long, const char *> cases[] = {
      {0, "0"},         {999, "999"},           {1000, "1,000"},
      {-1234, "-1,234"}, {1234567, "1,234,567"}, {-100000, "-100,000"},
      {LLONG_MAX, "9,223,372,036,854,775,807"}, {LLONG_MIN, "-9,223,372,036,854,775,808"}};
  for (const auto &c : cases) {
    char buf[TS_FMT_LEN];
    EXPECT_STREQ(ts_fmt_thousands(buf, c.first), c.second) << c.first;
  }
}

}  // namespace
