// models/int: NULL arguments to the integer GEMM, sparse, qnet and energy
// calls, and out-of-range accessors.
#include <gtest/gtest.h>

#include <vector>

#include "models/test_args.h"
#include "test_handles.h"
#include "ts_energy.h"
#include "ts_int.h"
#include "ts_qeval.h"
#include "ts_qnet.h"
#include "ts_sparse.h"

namespace {

using ts_test::ExpectArg;

TEST(IntArgs, NullPointersAreArgumentErrors) {
  std::vector<int32_t> w(6, 1);
  std::vector<uint64_t> words(4);
  std::vector<uint8_t> x(16), y(16);
  std::vector<int64_t> acc(16);
  ts_int_gemm g{};
  g.m = 2, g.k = 3, g.n = 1, g.wbits = 4, g.out = TS_INT_OUT_ACC;
  ExpectArg("ts_int_gemm_check g", [&](ts_error *e) { return ts_int_gemm_check(nullptr, e); });
  ExpectArg("ts_int_gemm_check w", [&](ts_error *e) { return ts_int_gemm_check(&g, e); });
  ExpectArg("ts_int_pack_weights w", [&](ts_error *e) {
    return ts_int_pack_weights(nullptr, 2, 3, 4, words.data(), words.size(), e);
  });
  ExpectArg("ts_int_pack_weights words", [&](ts_error *e) {
    return ts_int_pack_weights(w.data(), 2, 3, 4, nullptr, 0, e);
  });
  ExpectArg("ts_int_im2col x", [&](ts_error *e) { return ts_int_im2col(nullptr, 1, 3, 3, 2, y.data(), e); });
  ExpectArg("ts_int_im2col cols", [&](ts_error *e) { return ts_int_im2col(x.data(), 1, 3, 3, 2, nullptr, e); });
  ExpectArg("ts_int_maxpool2 x", [&](ts_error *e) { return ts_int_maxpool2(nullptr, 1, 2, 2, 0, y.data(), e); });
  ExpectArg("ts_int_maxpool2 y", [&](ts_error *e) { return ts_int_maxpool2(x.data(), 1, 2, 2, 0, nullptr, e); });
  ExpectArg("ts_int_to_bytes y", [&](ts_error *e) { return ts_int_to_bytes(nullptr, 2, TS_INT_OUT_U8, y.data(), e); });
  ExpectArg("ts_int_to_bytes bytes", [&](ts_error *e) { return ts_int_to_bytes(acc.data(), 2, TS_INT_OUT_U8, nullptr, e); });

  ts_sparse_size sz;
  ts_sparse *s = nullptr;
  ExpectArg("ts_sparse_size_of w", [&](ts_error *e) { return ts_sparse_size_of(nullptr, 2, 3, 4, &sz, e); });
  ExpectArg("ts_sparse_size_of out", [&](ts_error *e) { return ts_sparse_size_of(w.data(), 2, 3, 4, nullptr, e); });
  ExpectArg("ts_sparse_pack out", [&](ts_error *e) { return ts_sparse_pack(w.data(), 2, 3, 4, nullptr, e); });
  ExpectArg("ts_sparse_decode_filter words", [&](ts_error *e) {
    return ts_sparse_decode_filter(nullptr, 1, 3, 4, w.data(), e);
  });
  ExpectArg("ts_sparse_decode_filter row", [&](ts_error *e) {
    return ts_sparse_decode_filter(words.data(), 1, 3, 4, nullptr, e);
  });
  ASSERT_EQ(ts_sparse_pack(w.data(), 2, 3, 4, &s, nullptr), TS_OK);
  ExpectArg("ts_sparse_decode layer", [&](ts_error *e) { return ts_sparse_decode(nullptr, w.data(), e); });
  ExpectArg("ts_sparse_decode w", [&](ts_error *e) { return ts_sparse_decode(s, nullptr, e); });
  ExpectArg("ts_sparse_gemm_run g", [&](ts_error *e) { return ts_sparse_gemm_run(nullptr, s, x.data(), acc.data(), e); });
  ExpectArg("ts_sparse_gemm_run layer", [&](ts_error *e) { return ts_sparse_gemm_run(&g, nullptr, x.data(), acc.data(), e); });
  const ts_sparse_filter none = ts_sparse_filter_info(s, 2);
  EXPECT_EQ(none.words, 0);
  EXPECT_EQ(none.entries, 0);
  ts_sparse_destroy(s);

  ts_energy_table t;
  ts_energy_table_horowitz(&t);
  ts_energy_counts c{};
  ts_energy en;
  ExpectArg("ts_energy_table_check", [&](ts_error *e) { return ts_energy_table_check(nullptr, e); });
  ExpectArg("ts_energy_layer counts", [&](ts_error *e) { return ts_energy_layer(&t, nullptr, &en, e); });
  ExpectArg("ts_energy_layer result", [&](ts_error *e) { return ts_energy_layer(&t, &c, nullptr, e); });
}

TEST(IntArgs, QnetNullPointersAndRanges) {
  const ts_arch a = ts_test::TinyArch();
  auto net = ts_test::MakeNet(a, 2);
  const auto calib = ts_test::RandomImages(a, 2, 3);
  ts_qnet *q = nullptr;
  ASSERT_EQ(ts_qnet_create(net.get(), 8, TS_QUANT_PER_TENSOR, calib.data(), 2, &q, nullptr), TS_OK);
  std::vector<uint8_t> img(ts_qnet_image_bytes(q));
  std::vector<int64_t> logits(a.classes);
  std::vector<int> labels(1), pred(1);
  double acc;
  ts_int_gemm g;
  ExpectArg("ts_qnet_create out", [&](ts_error *e) {
    return ts_qnet_create(net.get(), 8, TS_QUANT_PER_TENSOR, calib.data(), 2, nullptr, e);
  });
  ts_qnet *none = nullptr;
  ExpectArg("ts_qnet_create net", [&](ts_error *e) {
    return ts_qnet_create(nullptr, 8, TS_QUANT_PER_TENSOR, calib.data(), 2, &none, e);
  });
  EXPECT_EQ(none, nullptr);
  ExpectArg("ts_qnet_layer q", [&](ts_error *e) { return ts_qnet_layer(nullptr, 0, &g, e); });
  ExpectArg("ts_qnet_layer g", [&](ts_error *e) { return ts_qnet_layer(q, 0, nullptr, e); });
  ExpectArg("ts_qnet_quantize_input bytes", [&](ts_error *e) {
    return ts_qnet_quantize_input(q, calib.data(), 4, nullptr, e);
  });
  ExpectArg("ts_qnet_run img", [&](ts_error *e) {
    return ts_qnet_run(q, nullptr, 1, nullptr, nullptr, logits.data(), e);
  });
  ExpectArg("ts_qnet_accuracy labels", [&](ts_error *e) {
    return ts_qnet_accuracy(q, calib.data(), nullptr, 1, 1, &acc, pred.data(), e);
  });
  ExpectArg("ts_qnet_accuracy threads", [&](ts_error *e) {
    return ts_qnet_accuracy(q, calib.data(), labels.data(), 1, 0, &acc, pred.data(), e);
  });
  EXPECT_EQ(ts_qnet_layer_wbits(q, TS_NUM_LAYERS), -1);
  EXPECT_EQ(ts_qnet_layer_wbits(nullptr, 0), -1);
  EXPECT_EQ(ts_qnet_act_scale(q, -1), -1);
  ts_qnet_destroy(q);
}

}  // namespace
