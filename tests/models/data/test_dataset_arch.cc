// ts_dataset_check_arch (models/data/ts_dataset_arch.c): a dataset against
// the architecture a network was built for.
#include <gtest/gtest.h>

#include <string>

#include "ts_dataset.h"

namespace {

struct DatasetArch : testing::Test {
  void SetUp() override {
    ts_error err{};
    ASSERT_EQ(ts_dataset_create(2, 1, 28, 28, 10, &ds_, &err), TS_OK) << err.msg;
    ts_arch_default(&a_, 1, 28, 28, 10);
  }
  void TearDown() override { ts_dataset_destroy(ds_); }
  ts_dataset *ds_ = nullptr;
  ts_arch a_;
};

TEST_F(DatasetArch, MatchingShapesPass) {
  ts_error err{};
  EXPECT_EQ(ts_dataset_check_arch(ds_, &a_, &err), TS_OK) << err.msg;
}

TEST_F(DatasetArch, OtherImagesOrClassesAreNamed) {
  ts_error err{};
  ts_arch cifar;
  ts_arch_default(&cifar, 3, 32, 32, 10);
  EXPECT_EQ(ts_dataset_check_arch(ds_, &cifar, &err), TS_E_SHAPE);
  EXPECT_NE(std::string(err.msg).find("1x28x28 images but the model expects 3x32x32"),
            std::string::npos)
      << err.msg;
  ts_arch more;
  ts_arch_default(&more, 1, 28, 28, 100);
  EXPECT_EQ(ts_dataset_check_arch(ds_, &more, &err), TS_E_SHAPE);
  EXPECT_NE(std::string(err.msg).find("10 classes but the model has 100 outputs"),
            std::string::npos)
      << err.msg;
  EXPECT_EQ(ts_dataset_check_arch(nullptr, &a_, &err), TS_E_ARG);
}

}  // namespace
