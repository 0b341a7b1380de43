// Weight quantization (models/study/ts_quant.c): the formula at ties and clamps,
// level counts, symmetry, scales, zero groups, (non-)idempotence, the
// network wrapper, and rejection of bad input.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <set>
#include <vector>

#include "test_handles.h"
#include "ts_net.h"
#include "ts_quant.h"
#include "ts_rng.h"

namespace {

using ts_test::NetPtr;

const ts_quant_scheme kSchemes[] = {TS_QUANT_PER_TENSOR, TS_QUANT_PER_CHANNEL};

int32_t Lo(int bits) { return -(1 << (bits - 1)); }
int32_t Hi(int bits) { return (1 << (bits - 1)) - 1; }

// [rows][cols] uniform in [-amp, amp), each row its own amplitude so that
// per-channel scales differ from the per-tensor one.
std::vector<float> RandomTensor(int rows, int cols, uint64_t seed) {
  ts_rng r;
  ts_rng_seed(&r, seed);
  std::vector<float> w((size_t)rows * cols);
  for (int i = 0; i < rows; i++) {
    const float amp = 0.05f + 0.1f * (float)i;
    for (int j = 0; j < cols; j++)
      w[(size_t)i * cols + j] = (2.0f * ts_rng_uniform(&r) - 1.0f) * amp;
  }
  return w;
}

struct Quantized {
  std::vector<int32_t> q;
  std::vector<float> scale;
};

Quantized Quantize(const std::vector<float> &w, int rows, int cols, int bits,
                   ts_quant_scheme s) {
  Quantized out{std::vector<int32_t>(w.size()),
                std::vector<float>((size_t)ts_quant_num_scales(rows, s))};
  ts_error err{};
  EXPECT_EQ(ts_quant_tensor(w.data(), rows, cols, bits, s, out.q.data(),
                            out.scale.data(), &err),
            TS_OK)
      << err.msg;
  return out;
}

float RowMax(const std::vector<float> &w, size_t begin, size_t end) {
  float m = 0.0f;
  for (size_t i = begin; i < end; i++) m = std::max(m, std::fabs(w[i]));
  return m;
}

TEST(QuantRound, HalfAwayFromZeroAtExactHalves) {
  struct Case {
    double x;
    int32_t want;
  } cases[] = {{0.5, 1},   {-0.5, -1}, {1.5, 2},   {-1.5, -2}, {2.5, 3},
               {-2.5, -3}, {2.4999, 2}, {-2.4999, -2}, {0.0, 0},
               {-0.0, 0},  {0.49999999999999994, 0},
               {-0.49999999999999994, 0}, {32767.5, 32768},
               {-32768.5, -32769}, {1e12, INT32_MAX}, {-1e12, INT32_MIN},
               {std::numeric_limits<double>::quiet_NaN(), 0}};
  for (const Case &c : cases)
    EXPECT_EQ(ts_round_half_away(c.x), c.want) << "x = " << c.x;
}

// Delta = 1 exactly (m = 3.5, B = 3: 2*3.5/7), so w/Delta = w: every .5
// below is an exact tie, rounded away from zero, then clamped to [-4, 3].
TEST(QuantTensor, TiesRoundAwayFromZeroAndClampAsTheFormulaSays) {
  const std::vector<float> w = {0.5f, -0.5f, 1.5f,  -1.5f, 2.5f,
                                -2.5f, 3.5f, -3.5f, 0.49f, -0.49f};
  const std::vector<int32_t> want = {1, -1, 2, -2, 3, -3, 3, -4, 0, 0};
  Quantized r = Quantize(w, 1, (int)w.size(), 3, TS_QUANT_PER_TENSOR);
  EXPECT_EQ(r.scale[0], 1.0f);
  for (size_t i = 0; i < w.size(); i++)
    EXPECT_EQ(r.q[i], want[i]) << "w = " << w[i];
  // per channel: row 1 has m = 7, Delta = 2; 1.0 and 3.0 are ties there
  const std::vector<float> w2 = {3.5f, 0.5f, 2.5f, -3.5f,
                                 7.0f, 1.0f, 3.0f, -5.0f};
  Quantized c = Quantize(w2, 2, 4, 3, TS_QUANT_PER_CHANNEL);
  EXPECT_EQ(c.scale[0], 1.0f);
  EXPECT_EQ(c.scale[1], 2.0f);
  const std::vector<int32_t> want2 = {3, 1, 3, -4, 3, 1, 2, -3};
  for (size_t i = 0; i < w2.size(); i++)
    EXPECT_EQ(c.q[i], want2[i]) << "row " << i / 4 << " w = " << w2[i];
}

TEST(QuantTensor, AtMost2PowBLevelsAndCodesInRangeForEveryB) {
  const int rows = 12, cols = 700;
  const std::vector<float> w = RandomTensor(rows, cols, 1);
  for (ts_quant_scheme s : kSchemes)
    for (int b = TS_QUANT_MIN_BITS; b <= TS_QUANT_MAX_BITS; b++) {
      Quantized r = Quantize(w, rows, cols, b, s);
      std::set<int32_t> codes(r.q.begin(), r.q.end());
      EXPECT_LE(codes.size(), (size_t)1 << b)
          << ts_quant_scheme_name(s) << " B = " << b;
      EXPECT_GE(*codes.begin(), Lo(b)) << "B = " << b;
      EXPECT_LE(*codes.rbegin(), Hi(b)) << "B = " << b;
      if (s == TS_QUANT_PER_TENSOR) { // one grid: values <= 2^B too
        std::vector<float> f = w;
        ts_error err{};
        ASSERT_EQ(ts_quant_fake(f.data(), rows, cols, b, s, &err), TS_OK)
            << err.msg;
        std::set<float> vals(f.begin(), f.end());
        EXPECT_LE(vals.size(), (size_t)1 << b) << "B = " << b;
      }
      // 8400 samples over 2^B levels: B <= 6 uses all but the clamp edges
      if (b >= 2 && b <= 6) {
        EXPECT_GE(codes.size(), ((size_t)1 << b) - 2)
            << ts_quant_scheme_name(s) << " B = " << b;
      }
    }
}

// Independent check of "nearest level": |w - q*Delta| <= Delta/2 where q
// was not clamped, and w beyond the top level where it was. Delta is the
// exact (double) 2m/(2^B-1): the codes are defined against it, not against
// the float scale they are stored with.
TEST(QuantTensor, EveryCodeIsTheNearestLevelOrTheClamp) {
  const int rows = 5, cols = 333;
  const std::vector<float> w = RandomTensor(rows, cols, 2);
  for (ts_quant_scheme s : kSchemes)
    for (int b = 1; b <= 16; b++) {
      Quantized r = Quantize(w, rows, cols, b, s);
      const double levels = std::ldexp(1.0, b) - 1.0;
      double worst = 0.0;
      for (int i = 0; i < rows; i++) {
        const bool pc = s == TS_QUANT_PER_CHANNEL;
        const float m = pc ? RowMax(w, (size_t)i * cols, (size_t)(i + 1) * cols)
                           : RowMax(w, 0, w.size());
        const double d = 2.0 * m / levels;
        for (int j = 0; j < cols; j++) {
          const size_t k = (size_t)i * cols + j;
          if (r.q[k] == Hi(b) && w[k] == m)
            continue; // clamped top: only +m rounds past the last level
          worst = std::max(worst, std::fabs(w[k] - r.q[k] * d) / d);
        }
      }
      EXPECT_LE(worst, 0.5 + 1e-9)
          << ts_quant_scheme_name(s) << " B = " << b
          << ": a weight is farther than Delta/2 from its level";
    }
}

// Pairs (w, -w) plus both +-m: q(-w) = -q(w) for |w| < m; at |w| = m the
// tie goes to 2^(B-1) (clamped to 2^(B-1)-1) and -2^(B-1).
TEST(QuantTensor, SymmetricExceptAtTheClampEdge) {
  std::vector<float> half = RandomTensor(1, 400, 3);
  for (float &v : half) v *= 0.8f; // |w| <= 0.04 < m
  std::vector<float> w = half;
  for (float v : half) w.push_back(-v);
  const float m = 0.05f;
  w.push_back(m);
  w.push_back(-m);
  const int n = (int)w.size(), h = (int)half.size();
  for (int b = 1; b <= 16; b++) {
    Quantized r = Quantize(w, 1, n, b, TS_QUANT_PER_TENSOR);
    for (int i = 0; i < h; i++)
      ASSERT_EQ(r.q[h + i], -r.q[i]) << "B = " << b << " w = " << w[i];
    EXPECT_EQ(r.q[n - 2], Hi(b)) << "q(+max), B = " << b;
    EXPECT_EQ(r.q[n - 1], Lo(b)) << "q(-max), B = " << b;
  }
}

// B = 1: Delta = 2m, so w/Delta is in [-0.5, 0.5]: only -m reaches a tie
// (-> -1); +m ties to 1 and is clamped to 0; everything else is 0.
TEST(QuantTensor, OneBitGivesWhatTheFormulaGives) {
  std::vector<float> w = {0.3f, -0.3f, 1.0f, -1.0f, 0.5f, -0.5f, -0.999f};
  Quantized r = Quantize(w, 1, (int)w.size(), 1, TS_QUANT_PER_TENSOR);
  EXPECT_EQ(r.scale[0], 2.0f);
  const std::vector<int32_t> want = {0, 0, 0, -1, 0, 0, 0};
  for (size_t i = 0; i < w.size(); i++) EXPECT_EQ(r.q[i], want[i]) << w[i];
  ts_error err{};
  ASSERT_EQ(ts_quant_fake(w.data(), 1, (int)w.size(), 1, TS_QUANT_PER_TENSOR,
                          &err),
            TS_OK);
  for (size_t i = 0; i < w.size(); i++)
    EXPECT_EQ(w[i], i == 3 ? -2.0f : 0.0f) << "index " << i;
  // the largest weight positive: the whole tensor becomes 0
  std::vector<float> pos = {1.0f, 0.2f, -0.7f};
  ASSERT_EQ(ts_quant_fake(pos.data(), 1, 3, 1, TS_QUANT_PER_TENSOR, &err),
            TS_OK);
  for (float v : pos) EXPECT_EQ(v, 0.0f);
}

TEST(QuantTensor, ScalesAreTwiceTheRowMaxOver2PowBMinus1) {
  const int rows = 9, cols = 77;
  const std::vector<float> w = RandomTensor(rows, cols, 4);
  for (int b = 1; b <= 16; b++) {
    const double levels = std::ldexp(1.0, b) - 1.0;
    Quantized c = Quantize(w, rows, cols, b, TS_QUANT_PER_CHANNEL);
    for (int i = 0; i < rows; i++) {
      const float m = RowMax(w, (size_t)i * cols, (size_t)(i + 1) * cols);
      EXPECT_EQ(c.scale[i], (float)(2.0 * m / levels))
          << "row " << i << " B = " << b;
    }
    Quantized t = Quantize(w, rows, cols, b, TS_QUANT_PER_TENSOR);
    EXPECT_EQ(t.scale[0], (float)(2.0 * RowMax(w, 0, w.size()) / levels))
        << "B = " << b;
  }
}

TEST(QuantTensor, ZeroTensorAndZeroChannelGiveZeroScaleNoNaN) {
  const int rows = 3, cols = 6;
  std::vector<float> w = RandomTensor(rows, cols, 5);
  for (int j = 0; j < cols; j++) w[cols + j] = j % 2 ? -0.0f : 0.0f; // row 1
  for (int b : {1, 2, 8, 16}) {
    Quantized c = Quantize(w, rows, cols, b, TS_QUANT_PER_CHANNEL);
    EXPECT_EQ(c.scale[1], 0.0f);
    EXPECT_GT(c.scale[0], 0.0f);
    for (int j = 0; j < cols; j++) EXPECT_EQ(c.q[cols + j], 0);
    std::vector<float> f = w;
    ts_error err{};
    ASSERT_EQ(ts_quant_fake(f.data(), rows, cols, b, TS_QUANT_PER_CHANNEL,
                            &err),
              TS_OK);
    for (float v : f) EXPECT_TRUE(std::isfinite(v));
    for (int j = 0; j < cols; j++) EXPECT_EQ(f[cols + j], 0.0f);
  }
  std::vector<float> z(40, 0.0f);
  for (ts_quant_scheme s : kSchemes) {
    Quantized r = Quantize(z, 4, 10, 4, s);
    for (float d : r.scale) EXPECT_EQ(d, 0.0f);
    for (int32_t q : r.q) EXPECT_EQ(q, 0);
  }
}

// Fake-quantization is exactly dequant(quant(w)): the float model and the
// integer path (codes * scale) agree bit for bit.
TEST(QuantTensor, FakeEqualsCodesTimesScale) {
  const int rows = 6, cols = 50;
  const std::vector<float> w = RandomTensor(rows, cols, 6);
  for (ts_quant_scheme s : kSchemes)
    for (int b = 1; b <= 16; b++) {
      Quantized r = Quantize(w, rows, cols, b, s);
      std::vector<float> deq(w.size()), fake = w;
      ts_error err{};
      ASSERT_EQ(ts_quant_dequant(r.q.data(), rows, cols, s, r.scale.data(),
                                 deq.data(), &err),
                TS_OK)
          << err.msg;
      ASSERT_EQ(ts_quant_fake(fake.data(), rows, cols, b, s, &err), TS_OK);
      ASSERT_EQ(std::memcmp(deq.data(), fake.data(), w.size() * 4), 0)
          << ts_quant_scheme_name(s) << " B = " << b;
    }
}

// Quantizing the dequantized tensor with the same scales gives the same
// codes (and so the same values): the grid is a fixed point.
TEST(QuantTensor, RequantizingWithTheSameScalesIsIdempotent) {
  const int rows = 7, cols = 90;
  const std::vector<float> w = RandomTensor(rows, cols, 7);
  for (ts_quant_scheme s : kSchemes)
    for (int b = 1; b <= 16; b++) {
      Quantized r = Quantize(w, rows, cols, b, s);
      std::vector<float> deq(w.size());
      std::vector<int32_t> q2(w.size());
      ts_error err{};
      ASSERT_EQ(ts_quant_dequant(r.q.data(), rows, cols, s, r.scale.data(),
                                 deq.data(), &err),
                TS_OK);
      ASSERT_EQ(ts_quant_codes(deq.data(), rows, cols, b, s, r.scale.data(),
                               q2.data(), &err),
                TS_OK)
          << err.msg;
      for (size_t i = 0; i < w.size(); i++)
        ASSERT_EQ(q2[i], r.q[i]) << ts_quant_scheme_name(s) << " B = " << b
                                 << " index " << i;
    }
}

// The full operator recomputes Delta from max|w'|, which is never m (it is
// (2^(B-1)-1)*Delta or 2^(B-1)*Delta), so applying it twice changes the
// values. B = 2, w = {1, 0.5, -0.2}: Delta = 2/3, q = {1, 1, 0};
// again: Delta' = 2*(2/3)/3, ratio 1.5 ties to 2, clamped to 1.
TEST(QuantTensor, FullOperatorIsNotIdempotentAsSpecified) {
  std::vector<float> w = {1.0f, 0.5f, -0.2f};
  ts_error err{};
  ASSERT_EQ(ts_quant_fake(w.data(), 1, 3, 2, TS_QUANT_PER_TENSOR, &err), TS_OK);
  const float d1 = (float)(2.0 / 3.0);
  EXPECT_EQ(w[0], d1);
  EXPECT_EQ(w[1], d1);
  EXPECT_EQ(w[2], 0.0f);
  ASSERT_EQ(ts_quant_fake(w.data(), 1, 3, 2, TS_QUANT_PER_TENSOR, &err), TS_OK);
  const float d2 = (float)(2.0 * (double)d1 / 3.0);
  EXPECT_EQ(w[0], d2) << "second pass: expected the shrunk level " << d2;
  EXPECT_EQ(w[1], d2);
  EXPECT_NE(w[0], d1);
}

TEST(QuantTensor, RejectsBitsOutside1To16WithAClearMessage) {
  std::vector<float> w = RandomTensor(2, 3, 8);
  std::vector<int32_t> q(6);
  float scale[2];
  for (int b : {0, 17, -1, 32}) {
    ts_error err{};
    EXPECT_EQ(ts_quant_tensor(w.data(), 2, 3, b, TS_QUANT_PER_TENSOR, q.data(),
                              scale, &err),
              TS_E_ARG)
        << "bits = " << b;
    EXPECT_NE(std::strstr(err.msg, "1..16"), nullptr) << err.msg;
    char want[32];
    std::snprintf(want, sizeof want, "bits = %d", b);
    EXPECT_NE(std::strstr(err.msg, want), nullptr) << err.msg;
    EXPECT_EQ(ts_quant_fake(w.data(), 2, 3, b, TS_QUANT_PER_CHANNEL, &err),
              TS_E_ARG);
  }
}

TEST(QuantTensor, RejectsNaNAndInfNamingThePositionAndLeavesWUntouched) {
  const float bad[] = {std::numeric_limits<float>::quiet_NaN(),
                       std::numeric_limits<float>::infinity(),
                       -std::numeric_limits<float>::infinity()};
  for (float v : bad) {
    std::vector<float> w = RandomTensor(3, 5, 9);
    w[2 * 5 + 3] = v;
    const std::vector<float> before = w;
    ts_error err{};
    EXPECT_EQ(ts_quant_fake(w.data(), 3, 5, 8, TS_QUANT_PER_CHANNEL, &err),
              TS_E_NONFINITE);
    EXPECT_NE(std::strstr(err.msg, "[2][3]"), nullptr) << err.msg;
    EXPECT_EQ(std::memcmp(w.data(), before.data(), w.size() * 4), 0)
        << "a failed fake-quantization changed the tensor";
    std::vector<int32_t> q(15, 77);
    float scale[3] = {-1, -1, -1};
    EXPECT_EQ(ts_quant_tensor(w.data(), 3, 5, 8, TS_QUANT_PER_CHANNEL,
                              q.data(), scale, &err),
              TS_E_NONFINITE);
    EXPECT_EQ(q[0], 77) << "codes written despite the failure";
  }
}

TEST(QuantTensor, RejectsBadShapesSchemesScalesAndNull) {
  std::vector<float> w(6, 0.5f);
  std::vector<int32_t> q(6);
  ts_error err{};
  EXPECT_EQ(ts_quant_fake(w.data(), 0, 6, 4, TS_QUANT_PER_TENSOR, &err),
            TS_E_ARG);
  EXPECT_EQ(ts_quant_fake(w.data(), 2, -3, 4, TS_QUANT_PER_TENSOR, &err),
            TS_E_ARG);
  EXPECT_EQ(ts_quant_fake(nullptr, 2, 3, 4, TS_QUANT_PER_TENSOR, &err),
            TS_E_ARG);
  EXPECT_EQ(ts_quant_fake(w.data(), 2, 3, 4, (ts_quant_scheme)7, &err),
            TS_E_ARG);
  EXPECT_NE(std::strstr(err.msg, "scheme"), nullptr) << err.msg;
  const float neg[2] = {0.1f, -0.1f};
  EXPECT_EQ(ts_quant_codes(w.data(), 2, 3, 4, TS_QUANT_PER_CHANNEL, neg,
                           q.data(), &err),
            TS_E_ARG);
  EXPECT_NE(std::strstr(err.msg, "scale[1]"), nullptr) << err.msg;
  // with a NULL error the status still comes back
  EXPECT_EQ(ts_quant_fake(w.data(), 2, 3, 17, TS_QUANT_PER_TENSOR, nullptr),
            TS_E_ARG);
}

TEST(QuantScheme, ParsesNamesAndListsValidOnes) {
  ts_quant_scheme s;
  ts_error err{};
  ASSERT_EQ(ts_quant_scheme_parse("per-channel", &s, &err), TS_OK);
  EXPECT_EQ(s, TS_QUANT_PER_CHANNEL);
  ASSERT_EQ(ts_quant_scheme_parse("per-tensor", &s, &err), TS_OK);
  EXPECT_EQ(s, TS_QUANT_PER_TENSOR);
  EXPECT_EQ(ts_quant_scheme_parse("per-row", &s, &err), TS_E_ARG);
  EXPECT_NE(std::strstr(err.msg, "'per-row'"), nullptr) << err.msg;
  EXPECT_NE(std::strstr(err.msg, "per-channel"), nullptr) << err.msg;
  EXPECT_STREQ(ts_quant_scheme_name(TS_QUANT_PER_TENSOR), "per-tensor");
}

// ---- Whole network ------------------------------------------------------


NetPtr MakeNet(int c, int h, int w, int classes, uint64_t seed) {
  ts_arch a;
  ts_arch_default(&a, c, h, w, classes);
  ts_net *n = nullptr;
  ts_error err{};
  EXPECT_EQ(ts_net_create(&a, &n, &err), TS_OK) << err.msg;
  if (n) ts_net_init(n, seed);
  return NetPtr(n);
}

// Every layer's weights equal ts_quant_fake of that layer alone, with rows
// = output channels; biases are bit-identical.
TEST(QuantNet, QuantizesEveryLayerAsItsOwnTensorAndKeepsBiases) {
  for (ts_quant_scheme s : kSchemes)
    for (int b : {1, 4, 8}) {
      NetPtr net = MakeNet(3, 32, 32, 100, 42);
      ASSERT_TRUE(net);
      const size_t np = ts_net_num_params(net.get());
      const std::vector<float> orig(ts_net_params(net.get()),
                                    ts_net_params(net.get()) + np);
      ts_error err{};
      ASSERT_EQ(ts_quant_net(net.get(), b, s, &err), TS_OK) << err.msg;
      const float *p = ts_net_params_const(net.get());
      for (int i = 0; i < TS_NUM_LAYERS; i++) {
        const ts_layer_info *l = ts_net_layer(net.get(), i);
        std::vector<float> want(orig.begin() + l->w_off,
                                orig.begin() + l->w_off + l->w_len);
        ASSERT_EQ(ts_quant_fake(want.data(), l->out_c,
                                (int)(l->w_len / l->out_c), b, s, &err),
                  TS_OK);
        EXPECT_EQ(std::memcmp(want.data(), p + l->w_off, l->w_len * 4), 0)
            << l->name << " " << ts_quant_scheme_name(s) << " B = " << b;
        EXPECT_EQ(std::memcmp(orig.data() + l->b_off, p + l->b_off,
                              l->b_len * 4),
                  0)
            << l->name << " biases changed";
      }
    }
}

TEST(QuantNet, NaNInOneLayerNamesItAndChangesNothing) {
  NetPtr net = MakeNet(1, 28, 28, 10, 3);
  ASSERT_TRUE(net);
  const ts_layer_info *fc2 = ts_net_layer(net.get(), 3);
  float *p = ts_net_params(net.get());
  p[fc2->w_off + 5] = std::numeric_limits<float>::quiet_NaN();
  const size_t np = ts_net_num_params(net.get());
  const std::vector<float> before(p, p + np);
  ts_error err{};
  EXPECT_EQ(ts_quant_net(net.get(), 4, TS_QUANT_PER_TENSOR, &err),
            TS_E_NONFINITE);
  EXPECT_NE(std::strstr(err.msg, "fc2"), nullptr) << err.msg;
  EXPECT_EQ(std::memcmp(before.data(), p, np * 4), 0)
      << "conv1..fc1 were quantized before the NaN in fc2 was found";
  EXPECT_EQ(ts_quant_net(net.get(), 0, TS_QUANT_PER_TENSOR, &err), TS_E_ARG);
  EXPECT_EQ(ts_quant_net(nullptr, 4, TS_QUANT_PER_TENSOR, &err), TS_E_ARG);
}

} // namespace
