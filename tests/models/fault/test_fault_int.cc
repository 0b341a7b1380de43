// models/int under injected allocation failures: the integer network
// (build, run, accuracy) and the compressed sparse layers.
#include <gtest/gtest.h>

#include <vector>

#include "fault_util.h"
#include "test_handles.h"
#include "ts_qeval.h"
#include "ts_qnet.h"
#include "ts_sparse.h"

namespace {

using fault::Case;
using fault::kAlloc;
using fault::Sweep;

struct QnetDeleter {
  void operator()(ts_qnet *q) const { ts_qnet_destroy(q); }
};
using QnetPtr = std::unique_ptr<ts_qnet, QnetDeleter>;

class FaultQnet : public testing::Test {
 protected:
  void SetUp() override {
    net_ = ts_test::MakeNet(a_, 21);
    ASSERT_TRUE(net_);
    calib_ = ts_test::RandomImages(a_, 4, 22);
    ts_qnet *q = nullptr;
    ts_error e{};
    ASSERT_EQ(ts_qnet_create(net_.get(), 6, TS_QUANT_PER_CHANNEL, calib_.data(), 4, &q, &e),
              TS_OK) << e.msg;
    q_.reset(q);
  }
  const ts_arch a_ = ts_test::StripesArch();
  ts_test::NetPtr net_;
  std::vector<float> calib_;
  QnetPtr q_;
};

TEST_F(FaultQnet, CreateUniformAndMixed) {
  ts_qnet *q = nullptr;
  Case c{"ts_qnet_create", kAlloc, TS_E_NOMEM, [&](ts_error *e) {
           return ts_qnet_create(net_.get(), 6, TS_QUANT_PER_CHANNEL, calib_.data(), 4, &q, e);
         }};
  c.setup = [&] { q = reinterpret_cast<ts_qnet *>(1); };
  c.on_fail = [&](ts_status) { EXPECT_EQ(q, nullptr); };
  c.on_ok = [&] {
    ASSERT_NE(q, nullptr);
    EXPECT_EQ(ts_qnet_act_scale(q, 2), ts_qnet_act_scale(q_.get(), 2));
    ts_qnet_destroy(q);
  };
  Sweep(c);

  const int bits[TS_NUM_LAYERS] = {8, 4, 3, 5, 8};
  Case m{"ts_qnet_create_mixed", kAlloc, TS_E_NOMEM, [&](ts_error *e) {
           return ts_qnet_create_mixed(net_.get(), bits, TS_QUANT_PER_TENSOR, calib_.data(), 4,
                                       &q, e);
         }};
  m.setup = c.setup;
  m.on_fail = c.on_fail;
  m.on_ok = [&] {
    ASSERT_NE(q, nullptr);
    EXPECT_EQ(ts_qnet_layer_wbits(q, 2), 3);
    ts_qnet_destroy(q);
  };
  Sweep(m);
}

TEST_F(FaultQnet, RunAndAccuracy) {
  const int n = 70; // two chunks of ts_qnet_accuracy
  const auto x = ts_test::RandomImages(a_, n, 23);
  std::vector<uint8_t> img(x.size());
  ts_error e0{};
  ASSERT_EQ(ts_qnet_quantize_input(q_.get(), x.data(), x.size(), img.data(), &e0), TS_OK);
  std::vector<int64_t> want((size_t)n * a_.classes), got;
  ASSERT_EQ(ts_qnet_run(q_.get(), img.data(), n, nullptr, nullptr, want.data(), &e0), TS_OK)
      << e0.msg;
  Case c{"ts_qnet_run", kAlloc, TS_E_NOMEM, [&](ts_error *e) {
           return ts_qnet_run(q_.get(), img.data(), n, nullptr, nullptr, got.data(), e);
         }};
  c.setup = [&] { got.assign(want.size(), -1); };
  c.on_ok = [&] { EXPECT_EQ(got, want); };
  Sweep(c);

  std::vector<int> labels(n), pred(n), want_pred(n);
  for (int i = 0; i < n; i++) labels[i] = i % 3;
  double want_acc = -1, acc = -1;
  ASSERT_EQ(ts_qnet_accuracy(q_.get(), x.data(), labels.data(), n, 2, &want_acc,
                             want_pred.data(), &e0),
            TS_OK) << e0.msg;
  Case a{"ts_qnet_accuracy", kAlloc, TS_E_NOMEM, [&](ts_error *e) {
           return ts_qnet_accuracy(q_.get(), x.data(), labels.data(), n, 2, &acc, pred.data(), e);
         }};
  a.setup = [&] { acc = -1; };
  a.on_fail = [&](ts_status) { EXPECT_EQ(acc, -1); };
  a.on_ok = [&] {
    EXPECT_EQ(acc, want_acc);
    EXPECT_EQ(pred, want_pred);
  };
  Sweep(a);
}

TEST(FaultSparse, PackAndGemm) {
  // 3 filters of 10 codes at B = 4, half zeros, one empty filter
  const int m = 3, k = 10;
  std::vector<int32_t> w(m * k, 0);
  for (int i = 0; i < k; i += 2) w[i] = i - 4, w[2 * k + i + 1] = 7 - i;
  ts_sparse *s = nullptr;
  Case c{"ts_sparse_pack", kAlloc, TS_E_NOMEM,
         [&](ts_error *e) { return ts_sparse_pack(w.data(), m, k, 4, &s, e); }};
  c.setup = [&] { s = reinterpret_cast<ts_sparse *>(1); };
  c.on_fail = [&](ts_status) { EXPECT_EQ(s, nullptr); };
  c.on_ok = [&] {
    ASSERT_NE(s, nullptr);
    std::vector<int32_t> back(w.size());
    ts_error e{};
    ASSERT_EQ(ts_sparse_decode(s, back.data(), &e), TS_OK) << e.msg;
    EXPECT_EQ(back, w);
    ts_sparse_destroy(s);
  };
  Sweep(c);

  ts_error e0{};
  ASSERT_EQ(ts_sparse_pack(w.data(), m, k, 4, &s, &e0), TS_OK) << e0.msg;
  const int n = 2;
  std::vector<int64_t> bias(m, 1);
  std::vector<uint8_t> x(k * n);
  for (size_t i = 0; i < x.size(); i++) x[i] = (uint8_t)(i * 9);
  ts_int_gemm g{};
  g.m = m, g.k = k, g.n = n, g.wbits = 4, g.w = w.data(), g.bias = bias.data();
  g.out = TS_INT_OUT_ACC;
  std::vector<int64_t> want(m * n), got;
  ASSERT_EQ(ts_int_gemm_run(&g, x.data(), want.data(), &e0), TS_OK) << e0.msg;
  Case r{"ts_sparse_gemm_run", kAlloc, TS_E_NOMEM,
         [&](ts_error *e) { return ts_sparse_gemm_run(&g, s, x.data(), got.data(), e); }};
  r.setup = [&] { got.assign(want.size(), -1); };
  r.on_ok = [&] { EXPECT_EQ(got, want); };
  Sweep(r);
  ts_sparse_destroy(s);
}

}  // namespace
