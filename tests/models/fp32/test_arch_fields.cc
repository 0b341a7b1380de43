// models/fp32/ts_arch.c: every field of ts_arch out of range (too small and
// too large) is refused with a message naming that field.
#include <gtest/gtest.h>

#include <string>

#include "test_handles.h"
#include "ts_arch.h"

namespace {

TEST(ArchFields, EachFieldOutOfRangeIsNamed) {
  const struct {
    const char *name;
    int ts_arch::*field;
    int low;
  } fields[] = {{"input channels", &ts_arch::in_c, 0}, {"input height", &ts_arch::in_h, 0},
                {"input width", &ts_arch::in_w, 0},    {"k1", &ts_arch::k1, 0},
                {"k2", &ts_arch::k2, 0},               {"conv1 channels", &ts_arch::c1, 0},
                {"conv2 channels", &ts_arch::c2, 0},   {"fc1 width", &ts_arch::f1, 0},
                {"fc2 width", &ts_arch::f2, 0},        {"classes", &ts_arch::classes, 1}};
  for (const auto &f : fields)
    for (int v : {f.low, 1 << 30}) {
      ts_arch a = ts_test::TinyArch();
      a.*f.field = v;
      ts_error err{};
      EXPECT_EQ(ts_arch_validate(&a, &err), TS_E_ARG) << f.name << " = " << v;
      EXPECT_NE(std::string(err.msg).find(std::string(f.name) + " = "), std::string::npos)
          << f.name << " = " << v << ": " << err.msg;
    }
}

TEST(ArchFields, KernelsThatDoNotFitAreRefused) {
  ts_arch a = ts_test::TinyArch();  // 2x13x11 input
  ts_error err{};
  a.k1 = 12;  // taller than wide: fits the height, not the width
  EXPECT_EQ(ts_arch_validate(&a, &err), TS_E_ARG);
  EXPECT_NE(std::string(err.msg).find("k1 = 12 does not fit"), std::string::npos) << err.msg;
  a = ts_test::TinyArch();
  a.k1 = 11;  // conv1 output 3x1: no 2x2 pool
  EXPECT_EQ(ts_arch_validate(&a, &err), TS_E_ARG);
  EXPECT_NE(std::string(err.msg).find("too small for the 2x2 max-pool"), std::string::npos) << err.msg;
  a = ts_test::TinyArch();
  a.k1 = 3;
  a.k2 = 5;  // pooled conv1 output is 5x4
  EXPECT_EQ(ts_arch_validate(&a, &err), TS_E_ARG);
  EXPECT_NE(std::string(err.msg).find("k2 = 5 does not fit"), std::string::npos) << err.msg;
  a.k2 = 4;  // conv2 output 2x1: no 2x2 pool
  EXPECT_EQ(ts_arch_validate(&a, &err), TS_E_ARG);
  EXPECT_NE(std::string(err.msg).find("k2 = 4 leaves conv2"), std::string::npos) << err.msg;
}

}  // namespace
