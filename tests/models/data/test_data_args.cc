// models/data: NULL arguments to the safetensors, weights and dataset calls.
#include <gtest/gtest.h>

#include <vector>

#include "models/test_args.h"
#include "test_handles.h"
#include "test_util.h"
#include "ts_dataset.h"
#include "ts_safetensors.h"
#include "ts_weights.h"

namespace {

using ts_test::ExpectArg;

TEST(DataArgs, NullPointersAreArgumentErrors) {
  ts_test::TestDir dir("data_args");
  const std::string path = dir.str() + "/w.safetensors";
  const ts_arch a = ts_test::TinyArch();
  auto net = ts_test::MakeNet(a, 1);
  ASSERT_EQ(ts_weights_save(net.get(), path.c_str(), nullptr, 0, nullptr), TS_OK);
  ts_st_file *f = nullptr;
  ASSERT_EQ(ts_st_open(path.c_str(), &f, nullptr), TS_OK);
  std::vector<float> p(ts_net_num_params(net.get()));
  ts_arch out;
  ts_net *n = nullptr;
  ts_dataset *ds = nullptr;
  ts_dataset_kind kind;
  ts_norm nm;
  ts_train_state st{};
  ExpectArg("ts_st_open out", [&](ts_error *e) { return ts_st_open(path.c_str(), nullptr, e); });
  ts_st_file *none = nullptr;
  ExpectArg("ts_st_open path", [&](ts_error *e) { return ts_st_open(nullptr, &none, e); });
  EXPECT_EQ(none, nullptr);
  ExpectArg("ts_st_get file", [&](ts_error *e) { return ts_st_get(nullptr, "x", nullptr, nullptr, nullptr, e); });
  ExpectArg("ts_st_get name", [&](ts_error *e) { return ts_st_get(f, nullptr, nullptr, nullptr, nullptr, e); });
  ExpectArg("ts_st_write path", [&](ts_error *e) { return ts_st_write(nullptr, nullptr, 0, nullptr, 0, e); });
  ExpectArg("ts_weights_arch_parse json", [&](ts_error *e) { return ts_weights_arch_parse(nullptr, &out, e); });
  ExpectArg("ts_weights_arch_parse out", [&](ts_error *e) { return ts_weights_arch_parse("{}", nullptr, e); });
  ExpectArg("ts_weights_save net", [&](ts_error *e) { return ts_weights_save(nullptr, path.c_str(), nullptr, 0, e); });
  ExpectArg("ts_weights_save path", [&](ts_error *e) { return ts_weights_save(net.get(), nullptr, nullptr, 0, e); });
  ExpectArg("ts_weights_save_params arch", [&](ts_error *e) {
    return ts_weights_save_params(nullptr, p.data(), p.size(), path.c_str(), nullptr, 0, e);
  });
  ExpectArg("ts_weights_read_arch file", [&](ts_error *e) { return ts_weights_read_arch(nullptr, &a, &out, e); });
  ExpectArg("ts_weights_read_arch out", [&](ts_error *e) { return ts_weights_read_arch(f, &a, nullptr, e); });
  ExpectArg("ts_weights_read_params file", [&](ts_error *e) {
    return ts_weights_read_params(nullptr, &a, p.data(), p.size(), e);
  });
  ExpectArg("ts_weights_read_params params", [&](ts_error *e) {
    return ts_weights_read_params(f, &a, nullptr, p.size(), e);
  });
  ExpectArg("ts_weights_load out", [&](ts_error *e) { return ts_weights_load(path.c_str(), &a, nullptr, e); });
  ExpectArg("ts_weights_save_checkpoint momentum", [&](ts_error *e) {
    return ts_weights_save_checkpoint(path.c_str(), &a, p.data(), nullptr, p.size(), &st, nullptr, 0, e);
  });
  ExpectArg("ts_weights_load_checkpoint state", [&](ts_error *e) {
    return ts_weights_load_checkpoint(path.c_str(), &a, p.data(), nullptr, p.size(), nullptr, e);
  });
  ExpectArg("ts_dataset_kind_parse out", [&](ts_error *e) { return ts_dataset_kind_parse("mnist", nullptr, e); });
  ExpectArg("ts_dataset_kind_parse name", [&](ts_error *e) { return ts_dataset_kind_parse(nullptr, &kind, e); });
  ExpectArg("ts_dataset_create out", [&](ts_error *e) { return ts_dataset_create(1, 1, 1, 1, 2, nullptr, e); });
  ExpectArg("ts_dataset_load out", [&](ts_error *e) {
    return ts_dataset_load(TS_DS_MNIST, dir.str().c_str(), TS_SPLIT_TRAIN, 0, nullptr, e);
  });
  ExpectArg("ts_dataset_load dir", [&](ts_error *e) {
    return ts_dataset_load(TS_DS_MNIST, nullptr, TS_SPLIT_TRAIN, 0, &ds, e);
  });
  auto set = ts_test::MakeStripes(3, 1);
  ExpectArg("ts_dataset_split src", [&](ts_error *e) { return ts_dataset_split(nullptr, 0, 1, &ds, e); });
  ExpectArg("ts_dataset_split out", [&](ts_error *e) { return ts_dataset_split(set.get(), 0, 1, nullptr, e); });
  ExpectArg("ts_dataset_norm set", [&](ts_error *e) { return ts_dataset_norm(nullptr, &nm, e); });
  ExpectArg("ts_dataset_norm out", [&](ts_error *e) { return ts_dataset_norm(set.get(), nullptr, e); });
  ExpectArg("ts_dataset_batch norm", [&](ts_error *e) {
    return ts_dataset_batch(set.get(), nullptr, nullptr, 0, nullptr, nullptr, e);
  });
  ExpectArg("ts_dataset_check_arch set", [&](ts_error *e) { return ts_dataset_check_arch(nullptr, &a, e); });
  ExpectArg("ts_dataset_check_arch arch", [&](ts_error *e) { return ts_dataset_check_arch(set.get(), nullptr, e); });
  EXPECT_EQ(ts_st_path(nullptr), nullptr);
  EXPECT_EQ(ts_st_meta_get(nullptr, "k"), nullptr);
  EXPECT_EQ(ts_st_meta_get(f, nullptr), nullptr);
  EXPECT_EQ(ts_st_num_meta(nullptr), 0);
  EXPECT_EQ(ts_st_meta_at(nullptr, 0), nullptr);
  EXPECT_EQ(ts_st_meta_at(f, -1), nullptr);
  EXPECT_EQ(ts_st_num_tensors(nullptr), 0);
  EXPECT_EQ(ts_st_tensor_at(f, ts_st_num_tensors(f)), nullptr);
  EXPECT_EQ(ts_st_find(nullptr, "conv1.weight"), nullptr);
  EXPECT_EQ(ts_st_find(f, nullptr), nullptr);
  EXPECT_EQ(ts_weights_tensor_name(-1), nullptr);
  EXPECT_EQ(ts_weights_tensor_name(2 * TS_NUM_LAYERS), nullptr);
  EXPECT_EQ(ts_weights_arch_json(nullptr), nullptr);
  EXPECT_STREQ(ts_dataset_kind_name(static_cast<ts_dataset_kind>(9)), "unknown");
  EXPECT_EQ(ts_dataset_kind_classes(static_cast<ts_dataset_kind>(9), 0), 0);
  EXPECT_STREQ(ts_split_name(static_cast<ts_split>(5)), "unknown");
  ts_st_close(f);
  ts_net_destroy(n);
}

}  // namespace
