// The integer network (models/int/ts_qnet.c): agreement with the FP32 network on
// a small trained CNN, the built-in kernel against ts_int_gemm_run, batching,
// calibration results, and rejection of bad arguments.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "ts_net.h"
#include "ts_qnet.h"
#include "ts_quant.h"
#include "ts_rng.h"

namespace {

const ts_quant_scheme kSchemes[] = {TS_QUANT_PER_TENSOR, TS_QUANT_PER_CHANNEL};

// 1x16x16 images, 4 classes: class c is a bright 5x5 blob in quadrant c over
// noise. Normalised-looking floats (about zero mean, unit range).
struct Data {
  std::vector<float> x;  // [n][1][16][16]
  std::vector<int> y;    // [n]
};

Data Generate(int n, uint64_t seed) {
  ts_rng r;
  ts_rng_seed(&r, seed);
  Data d;
  d.x.resize((size_t)n * 256);
  d.y.resize(n);
  for (int i = 0; i < n; i++) {
    const int c = (int)ts_rng_below(&r, 4);
    d.y[i] = c;
    float *im = &d.x[(size_t)i * 256];
    for (int p = 0; p < 256; p++) im[p] = 0.6f * ts_rng_uniform(&r) - 0.8f;
    const int oy = (c / 2) * 8 + 1 + (int)ts_rng_below(&r, 3);
    const int ox = (c % 2) * 8 + 1 + (int)ts_rng_below(&r, 3);
    for (int yy = 0; yy < 5; yy++)
      for (int xx = 0; xx < 5; xx++) im[(oy + yy) * 16 + ox + xx] += 2.0f;
  }
  return d;
}

ts_arch SmallArch() {
  ts_arch a;
  ts_arch_default(&a, 1, 16, 16, 4);
  a.k1 = 3;
  a.k2 = 3;
  return a;
}

// A network trained for a few hundred SGD steps on the generated task (a
// random one has logits too close together for argmax to mean anything).
class QnetTrained : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ts_error err = {};
    ts_arch a = SmallArch();
    ASSERT_EQ(ts_net_create(&a, &net_, &err), TS_OK) << err.msg;
    ts_net_init(net_, 7);
    ts_trainer *t = nullptr;
    ASSERT_EQ(ts_trainer_create(net_, 32, 1, &t, &err), TS_OK) << err.msg;
    ts_sgd opt = {0.05f, 0.9f, 0.0f};
    for (int step = 0; step < 150; step++) {
      Data d = Generate(32, 1000 + step);
      double loss;
      ASSERT_EQ(ts_trainer_step(t, &opt, d.x.data(), d.y.data(), 32, &loss, nullptr, &err),
                TS_OK) << err.msg;
    }
    ts_trainer_destroy(t);
  }
  static void TearDownTestSuite() {
    ts_net_destroy(net_);
    net_ = nullptr;
  }
  static ts_net *net_;
};
ts_net *QnetTrained::net_ = nullptr;

// Fraction of images whose integer top-1 equals the FP32 top-1.
double Agreement(ts_net *net, int bits, ts_quant_scheme s, double *fp_acc = nullptr) {
  ts_error err = {};
  Data calib = Generate(200, 11);
  Data test = Generate(300, 12);
  ts_qnet *q = nullptr;
  EXPECT_EQ(ts_qnet_create(net, bits, s, calib.x.data(), 200, &q, &err), TS_OK) << err.msg;
  if (!q) return 0;
  const int n = 300, C = 4;
  std::vector<float> logits((size_t)n * C);
  EXPECT_EQ(ts_net_forward(net, test.x.data(), n, logits.data(), 1, &err), TS_OK) << err.msg;
  std::vector<uint8_t> img((size_t)n * 256);
  EXPECT_EQ(ts_qnet_quantize_input(q, test.x.data(), img.size(), img.data(), &err), TS_OK);
  std::vector<int64_t> acc((size_t)n * C);
  EXPECT_EQ(ts_qnet_run(q, img.data(), n, nullptr, nullptr, acc.data(), &err), TS_OK)
      << err.msg;
  std::vector<int> pred(n);
  ts_qnet_predict(q, acc.data(), n, pred.data());
  int agree = 0, correct = 0;
  for (int i = 0; i < n; i++) {
    int best = 0;
    for (int c = 1; c < C; c++)
      if (logits[(size_t)i * C + c] > logits[(size_t)i * C + best]) best = c;
    agree += best == pred[i];
    correct += best == test.y[i];
  }
  if (fp_acc) *fp_acc = (double)correct / n;
  ts_qnet_destroy(q);
  return (double)agree / n;
}

TEST_F(QnetTrained, TopOneAgreesWithFp32AtB16AndB8) {
  double fp_acc = 0;
  for (ts_quant_scheme s : kSchemes) {
    const double a16 = Agreement(net_, 16, s, &fp_acc);
    EXPECT_GE(a16, 0.95) << ts_quant_scheme_name(s) << " B=16: integer top-1 agrees with "
                         << "FP32 on only " << 100 * a16 << "% of 300 images";
    const double a8 = Agreement(net_, 8, s);
    EXPECT_GE(a8, 0.90) << ts_quant_scheme_name(s) << " B=8: agreement " << 100 * a8 << "%";
  }
  // The float model learned the task, so agreement is about something.
  EXPECT_GE(fp_acc, 0.8) << "FP32 accuracy on the generated task only " << 100 * fp_acc << "%";
}

TEST_F(QnetTrained, BuiltinKernelEqualsReferenceAndBatchingDoesNotMatter) {
  ts_error err = {};
  Data calib = Generate(50, 21);
  Data test = Generate(7, 22);
  for (ts_quant_scheme s : kSchemes)
    for (int bits : {1, 2, 3, 8, 12, 16}) {
      ts_qnet *q = nullptr;
      ASSERT_EQ(ts_qnet_create(net_, bits, s, calib.x.data(), 50, &q, &err), TS_OK)
          << "B=" << bits << ": " << err.msg;
      const int n = 7, C = ts_qnet_classes(q);
      std::vector<uint8_t> img((size_t)n * ts_qnet_image_bytes(q));
      ASSERT_EQ(ts_qnet_quantize_input(q, test.x.data(), img.size(), img.data(), &err), TS_OK);
      std::vector<int64_t> fast((size_t)n * C), ref((size_t)n * C), one((size_t)n * C);
      ASSERT_EQ(ts_qnet_run(q, img.data(), n, nullptr, nullptr, fast.data(), &err), TS_OK);
      ASSERT_EQ(ts_qnet_run(q, img.data(), n, ts_qnet_gemm_reference, nullptr, ref.data(),
                            &err), TS_OK) << err.msg;
      for (int i = 0; i < n; i++)
        ASSERT_EQ(ts_qnet_run(q, img.data() + i * ts_qnet_image_bytes(q), 1, nullptr,
                              nullptr, one.data() + (size_t)i * C, &err), TS_OK);
      for (size_t i = 0; i < fast.size(); i++) {
        ASSERT_EQ(fast[i], ref[i]) << ts_quant_scheme_name(s) << " B=" << bits << " image "
                                   << i / C << " class " << i % C << ": built-in kernel "
                                   << fast[i] << " vs ts_int_gemm_run " << ref[i];
        ASSERT_EQ(fast[i], one[i]) << ts_quant_scheme_name(s) << " B=" << bits
                                   << ": batch of 7 vs one image differ at " << i;
      }
      ts_qnet_destroy(q);
    }
}

TEST_F(QnetTrained, LayersAreLegalAndScalesPositive) {
  ts_error err = {};
  Data calib = Generate(40, 31);
  for (ts_quant_scheme s : kSchemes)
    for (int bits = 1; bits <= 16; bits++) {
      ts_qnet *q = nullptr;
      ASSERT_EQ(ts_qnet_create(net_, bits, s, calib.x.data(), 40, &q, &err), TS_OK)
          << "B=" << bits << ": " << err.msg;
      EXPECT_EQ(ts_qnet_wbits(q), bits);
      EXPECT_EQ(ts_qnet_scheme(q), s);
      for (int l = 0; l < TS_NUM_LAYERS; l++) {
        ts_int_gemm g;
        ASSERT_EQ(ts_qnet_layer(q, l, &g, &err), TS_OK);
        EXPECT_EQ(ts_int_gemm_check(&g, &err), TS_OK) << "layer " << l << ": " << err.msg;
        EXPECT_EQ(g.out, l == TS_NUM_LAYERS - 1 ? TS_INT_OUT_ACC : TS_INT_OUT_U8);
        EXPECT_EQ(g.act_signed, l == 0);
        EXPECT_GT(ts_qnet_act_scale(q, l), 0) << "layer " << l;
        EXPECT_TRUE(std::isfinite(ts_qnet_act_scale(q, l)));
      }
      ts_qnet_destroy(q);
    }
}

TEST(Qnet, InputQuantizationRoundsAndClamps) {
  ts_error err = {};
  ts_arch a = SmallArch();
  ts_net *net = nullptr;
  ASSERT_EQ(ts_net_create(&a, &net, &err), TS_OK);
  ts_net_init(net, 3);
  std::vector<float> calib(256, 0.0f);
  calib[5] = -2.54f;  // max |x| = 2.54: s_0 = 0.02
  ts_qnet *q = nullptr;
  ASSERT_EQ(ts_qnet_create(net, 8, TS_QUANT_PER_TENSOR, calib.data(), 1, &q, &err), TS_OK)
      << err.msg;
  EXPECT_NEAR(ts_qnet_act_scale(q, 0), 0.02, 1e-9);
  const float x[] = {0.0f, 0.031f, -0.031f, 2.54f, -2.54f, 100.0f, -100.0f, 0.011f};
  const int8_t want[] = {0, 2, -2, 127, -127, 127, -128, 1};
  uint8_t got[8];
  ASSERT_EQ(ts_qnet_quantize_input(q, x, 8, got, &err), TS_OK);
  for (int i = 0; i < 8; i++)
    EXPECT_EQ((int8_t)got[i], want[i]) << "x=" << x[i] << " at scale 0.02";
  const float bad[] = {0.0f, std::numeric_limits<float>::quiet_NaN()};
  EXPECT_EQ(ts_qnet_quantize_input(q, bad, 2, got, &err), TS_E_NONFINITE);
  EXPECT_NE(std::strstr(err.msg, "value 1"), nullptr) << err.msg;
  ts_qnet_destroy(q);
  ts_net_destroy(net);
}

TEST(Qnet, RejectsBadArguments) {
  ts_error err = {};
  ts_arch a = SmallArch();
  ts_net *net = nullptr;
  ASSERT_EQ(ts_net_create(&a, &net, &err), TS_OK);
  ts_net_init(net, 3);
  std::vector<float> calib(2 * 256, 0.5f);
  ts_qnet *q = reinterpret_cast<ts_qnet *>(&err);  // must be reset to NULL
  EXPECT_EQ(ts_qnet_create(net, 0, TS_QUANT_PER_TENSOR, calib.data(), 2, &q, &err), TS_E_ARG);
  EXPECT_EQ(q, nullptr);
  EXPECT_NE(std::strstr(err.msg, "bits 0"), nullptr) << err.msg;
  EXPECT_EQ(ts_qnet_create(net, 17, TS_QUANT_PER_TENSOR, calib.data(), 2, &q, &err), TS_E_ARG);
  EXPECT_EQ(ts_qnet_create(net, 8, (ts_quant_scheme)5, calib.data(), 2, &q, &err), TS_E_ARG);
  EXPECT_EQ(ts_qnet_create(net, 8, TS_QUANT_PER_TENSOR, calib.data(), 0, &q, &err), TS_E_ARG);
  EXPECT_EQ(ts_qnet_create(nullptr, 8, TS_QUANT_PER_TENSOR, calib.data(), 2, &q, &err),
            TS_E_ARG);
  EXPECT_EQ(ts_qnet_create(net, 8, TS_QUANT_PER_TENSOR, nullptr, 2, &q, &err), TS_E_ARG);
  EXPECT_EQ(ts_qnet_create(net, 8, TS_QUANT_PER_TENSOR, calib.data(), 2, nullptr, &err),
            TS_E_ARG);
  calib[300] = std::numeric_limits<float>::infinity();
  EXPECT_EQ(ts_qnet_create(net, 8, TS_QUANT_PER_TENSOR, calib.data(), 2, &q, &err),
            TS_E_NONFINITE);
  EXPECT_NE(std::strstr(err.msg, "image 1"), nullptr) << err.msg;
  calib[300] = 0.5f;

  ASSERT_EQ(ts_qnet_create(net, 8, TS_QUANT_PER_CHANNEL, calib.data(), 2, &q, &err), TS_OK)
      << err.msg;
  std::vector<uint8_t> img(256, 1);
  std::vector<int64_t> logits(4);
  EXPECT_EQ(ts_qnet_run(q, img.data(), 0, nullptr, nullptr, logits.data(), &err), TS_E_ARG);
  EXPECT_EQ(ts_qnet_run(q, nullptr, 1, nullptr, nullptr, logits.data(), &err), TS_E_ARG);
  EXPECT_EQ(ts_qnet_run(q, img.data(), 1, nullptr, nullptr, nullptr, &err), TS_E_ARG);
  ts_int_gemm g;
  EXPECT_EQ(ts_qnet_layer(q, -1, &g, &err), TS_E_ARG);
  EXPECT_EQ(ts_qnet_layer(q, TS_NUM_LAYERS, &g, &err), TS_E_ARG);
  EXPECT_EQ(ts_qnet_act_scale(q, TS_NUM_LAYERS), -1);
  // An executor's failure comes back unchanged.
  auto failing = [](void *, int layer, const ts_int_gemm *, const uint8_t *, int64_t *,
                    ts_error *e) { return ts_fail(e, TS_E_HW, "executor broke at %d", layer); };
  EXPECT_EQ(ts_qnet_run(q, img.data(), 1, failing, nullptr, logits.data(), &err), TS_E_HW);
  EXPECT_STREQ(err.msg, "executor broke at 0");
  // The handle still works.
  EXPECT_EQ(ts_qnet_run(q, img.data(), 1, nullptr, nullptr, logits.data(), &err), TS_OK);
  ts_qnet_destroy(q);
  ts_qnet_destroy(nullptr);
  ts_net_destroy(net);
}

}  // namespace
