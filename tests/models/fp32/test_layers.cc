// Finite-difference gradient checks for each layer kernel (models/fp32/ts_layers.c).
// Each check builds a scalar L = sum(out .* R) for a fixed random R, so
// dL/dout = R, and compares the analytic input/weight gradients with central
// differences of L.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <random>
#include <vector>

#include "ts_layers.h"

namespace {

using Vec = std::vector<float>;

Vec Random(size_t n, std::mt19937 &g, float lo = -1.f, float hi = 1.f) {
  std::uniform_real_distribution<float> d(lo, hi);
  Vec v(n);
  for (auto &x : v) x = d(g);
  return v;
}

double Dot(const Vec &a, const Vec &b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); i++) s += (double)a[i] * b[i];
  return s;
}

// Compares analytic gradient `ana` of loss() w.r.t. `x` with central
// differences; reports the worst element.
void ExpectGradClose(const char *what, Vec &x, const Vec &ana,
                     const std::function<double()> &loss, float eps = 1e-2f,
                     double tol = 2e-3) {
  ASSERT_EQ(x.size(), ana.size()) << what;
  double worst = 0;
  size_t worst_i = 0;
  double worst_num = 0;
  for (size_t i = 0; i < x.size(); i++) {
    const float keep = x[i];
    x[i] = keep + eps;
    const double lp = loss();
    x[i] = keep - eps;
    const double lm = loss();
    x[i] = keep;
    const double num = (lp - lm) / (2.0 * eps);
    const double diff = std::fabs(num - ana[i]) / (1.0 + std::fabs(num));
    if (diff > worst) {
      worst = diff;
      worst_i = i;
      worst_num = num;
    }
  }
  EXPECT_LE(worst, tol) << what << ": element " << worst_i << " numeric "
                        << worst_num << " analytic " << ana[worst_i];
}

TEST(Layers, DenseGradients) {
  std::mt19937 g(1);
  const int p = 5, k = 7, m = 4;
  Vec in = Random(p * k, g), w = Random(m * k, g), b = Random(m, g), r = Random(p * m, g);
  auto loss = [&] {
    Vec out(p * m);
    ts_dense_forward(out.data(), in.data(), w.data(), b.data(), p, k, m, 0);
    return Dot(out, r);
  };
  Vec din(p * k), dw(m * k, 0.f), db(m, 0.f);
  ts_dense_backward(din.data(), dw.data(), db.data(), r.data(), in.data(), w.data(), p, k, m);
  ExpectGradClose("dense d/din", in, din, loss);
  ExpectGradClose("dense d/dw", w, dw, loss);
  ExpectGradClose("dense d/db", b, db, loss);
}

TEST(Layers, DenseForwardMatchesNaiveLoop) {
  std::mt19937 g(2);
  const int p = 3, k = 9, m = 5;
  Vec in = Random(p * k, g), w = Random(m * k, g), b = Random(m, g), out(p * m);
  ts_dense_forward(out.data(), in.data(), w.data(), b.data(), p, k, m, 1);
  for (int i = 0; i < p; i++)
    for (int j = 0; j < m; j++) {
      double s = b[j];
      for (int q = 0; q < k; q++) s += (double)in[i * k + q] * w[j * k + q];
      EXPECT_NEAR(out[i * m + j], s > 0 ? s : 0, 1e-5) << "row " << i << " col " << j;
    }
}

// Conv as transposed im2col (CNHW input) + GEMM; the input gradient goes
// back through col2im.
TEST(Layers, ConvGradientsThroughIm2col) {
  std::mt19937 g(3);
  const int n = 2, c = 3, h = 6, w = 5, k = 3, m = 2;
  const int oh = h - k + 1, ow = w - k + 1, kk = c * k * k, p = n * oh * ow;
  Vec x = Random(c * n * h * w, g), wt = Random(m * kk, g), b = Random(m, g), r = Random(m * p, g);
  const ts_strides s = ts_strides_cnhw(n, h, w);
  auto loss = [&] {
    Vec col(kk * p), out(m * p);
    ts_im2col_t(col.data(), x.data(), s, n, c, h, w, k);
    ts_conv_gemm_forward(out.data(), col.data(), wt.data(), b.data(), m, kk, p, 0);
    return Dot(out, r);
  };
  Vec col(kk * p), dcol(kk * p), dw(m * kk, 0.f), db(m, 0.f), dx(x.size(), 0.f);
  ts_im2col_t(col.data(), x.data(), s, n, c, h, w, k);
  Vec dt(p * m), wk(kk * m);
  ts_conv_gemm_backward(dcol.data(), dw.data(), db.data(), r.data(), col.data(), wt.data(), dt.data(), wk.data(), m, kk, p);
  ts_col2im_t(dx.data(), dcol.data(), n, c, h, w, k);
  ExpectGradClose("conv d/dx", x, dx, loss);
  ExpectGradClose("conv d/dw", wt, dw, loss);
  ExpectGradClose("conv d/db", b, db, loss);
}

// im2col and col2im equal plain loops bit for bit, for rows shorter than,
// equal to and longer than the 8-float copies (3, 8, 10, 17 output columns).
TEST(Layers, Im2colAndCol2imEqualPlainLoops) {
  std::mt19937 g(11);
  for (int ow : {3, 8, 10, 17}) {
    const int n = 2, c = 2, k = 3, h = 5, w = ow + k - 1, oh = h - k + 1;
    const long p = (long)n * oh * ow;
    Vec x = Random(c * n * h * w, g), dcol = Random(c * k * k * p, g);
    Vec col(c * k * k * p), dx(x.size(), 0.f), col_ref(col.size()), dx_ref(x.size(), 0.f);
    ts_im2col_t(col.data(), x.data(), ts_strides_cnhw(n, h, w), n, c, h, w, k);
    ts_col2im_t(dx.data(), dcol.data(), n, c, h, w, k);
    for (int ch = 0; ch < c; ch++)
      for (int ky = 0; ky < k; ky++)
        for (int kx = 0; kx < k; kx++)
          for (int i = 0; i < n; i++)
            for (int y = 0; y < oh; y++)
              for (int xx = 0; xx < ow; xx++) {
                const long r = ((ch * k + ky) * k + kx) * p + (i * oh + y) * ow + xx;
                const long at = ((ch * n + i) * h + y + ky) * w + xx + kx;
                col_ref[r] = x[at];
                dx_ref[at] += dcol[r];
              }
    EXPECT_EQ(col, col_ref) << "ow " << ow;
    EXPECT_EQ(0, std::memcmp(dx.data(), dx_ref.data(), dx.size() * sizeof(float))) << "ow " << ow;
  }
}

// The conv output for NCHW input must equal a direct 6-loop convolution in
// PyTorch's weight layout [m][c][k][k]; sizes exercise full and partial
// GEMM tiles (p = 2*18*16 = 576 = 9 tiles of 64, and 2*3*5 = 30).
TEST(Layers, ConvMatchesDirectConvolution) {
  std::mt19937 g(4);
  for (int hw : {20, 5}) {
    const int n = 2, c = 2, h = hw, w = hw + 2, k = 3, m = 3;
    const int oh = h - k + 1, ow = w - k + 1, kk = c * k * k, p = n * oh * ow;
    Vec x = Random(n * c * h * w, g), wt = Random(m * kk, g), b = Random(m, g);
    Vec col(kk * p), out(m * p);
    ts_im2col_t(col.data(), x.data(), ts_strides_nchw(c, h, w), n, c, h, w, k);
    ts_conv_gemm_forward(out.data(), col.data(), wt.data(), b.data(), m, kk, p, 1);
    double worst = 0;
    for (int i = 0; i < n; i++)
      for (int o = 0; o < m; o++)
        for (int y = 0; y < oh; y++)
          for (int xx = 0; xx < ow; xx++) {
            double s = b[o];
            for (int ch = 0; ch < c; ch++)
              for (int ky = 0; ky < k; ky++)
                for (int kx = 0; kx < k; kx++)
                  s += (double)x[((i * c + ch) * h + y + ky) * w + xx + kx] *
                       wt[((o * c + ch) * k + ky) * k + kx];
            s = s > 0 ? s : 0;
            // CNHW output: [o][i][y][x]
            worst = std::max(worst, std::fabs(out[((o * n + i) * oh + y) * ow + xx] - s));
          }
    EXPECT_LT(worst, 1e-5) << "image size " << h << "x" << w;
  }
}

// The fused (tiled) inference conv equals im2col + GEMM, for NCHW and CNHW
// inputs, with tiles that span image rows and images (ow = 7, 3).
TEST(Layers, FusedConvEqualsIm2colConv) {
  std::mt19937 g(7);
  for (int layout = 0; layout < 2; layout++)
    for (int hw : {9, 5}) {
      const int n = 5, c = 3, h = hw, w = hw + 1, k = 3, m = 4;
      const int oh = h - k + 1, ow = w - k + 1, kk = c * k * k, p = n * oh * ow;
      const ts_strides s = layout ? ts_strides_cnhw(n, h, w) : ts_strides_nchw(c, h, w);
      Vec x = Random(n * c * h * w, g), wt = Random(m * kk, g), b = Random(m, g);
      Vec col(kk * p), ref(m * p), fused(m * p), tile(kk * TS_CONV_TILE);
      ts_im2col_t(col.data(), x.data(), s, n, c, h, w, k);
      ts_conv_gemm_forward(ref.data(), col.data(), wt.data(), b.data(), m, kk, p, 1);
      ts_conv_forward_fused(fused.data(), x.data(), s, n, c, h, w, k, wt.data(), b.data(), m, 1,
                            tile.data());
      double worst = 0;
      for (int i = 0; i < m * p; i++) worst = std::max(worst, (double)std::fabs(ref[i] - fused[i]));
      EXPECT_LT(worst, 1e-6) << (layout ? "CNHW" : "NCHW") << " input " << h << "x" << w;
    }
}

// The direct conv (flat shifted rows, no im2col) equals im2col + GEMM, for
// NCHW and CNHW inputs, channel counts that leave a partial block of 6,
// ReLU on and off, and pixel counts whose last 64-pixel block overlaps.
TEST(Layers, DirectConvEqualsIm2colConv) {
  std::mt19937 g(9);
  struct Shape { int n, c, h, w, k, m; };
  const Shape shapes[] = {{3, 3, 32, 32, 5, 6}, {2, 2, 13, 11, 3, 7}, {2, 6, 14, 14, 5, 16},
                          {4, 1, 9, 12, 2, 3}};
  for (const Shape &sh : shapes)
    for (int layout = 0; layout < 2; layout++)
      for (int relu = 0; relu < 2; relu++) {
        const int n = sh.n, c = sh.c, h = sh.h, w = sh.w, k = sh.k, m = sh.m;
        ASSERT_TRUE(ts_conv_direct_ok(h, w, k)) << h << "x" << w << " k " << k;
        const int oh = h - k + 1, ow = w - k + 1, kk = c * k * k, p = n * oh * ow;
        const ts_strides s = layout ? ts_strides_cnhw(n, h, w) : ts_strides_nchw(c, h, w);
        Vec x = Random(n * c * h * w, g), wt = Random(m * kk, g), b = Random(m, g);
        Vec col(kk * p), ref(m * p), out(m * p, 7.f);
        Vec stage(TS_CONV_DIRECT_MB * ((oh - 1) * w + ow));
        ts_im2col_t(col.data(), x.data(), s, n, c, h, w, k);
        ts_conv_gemm_forward(ref.data(), col.data(), wt.data(), b.data(), m, kk, p, relu);
        ts_conv_forward_direct(out.data(), x.data(), s, n, c, h, w, k, wt.data(), b.data(), m,
                               relu, stage.data());
        double worst = 0;
        for (int i = 0; i < m * p; i++) worst = std::max(worst, (double)std::fabs(ref[i] - out[i]));
        EXPECT_LT(worst, 1e-5) << (layout ? "CNHW " : "NCHW ") << h << "x" << w << " k " << k
                               << " m " << m << " relu " << relu;
      }
  EXPECT_FALSE(ts_conv_direct_ok(9, 9, 3));  // 61 flat pixels: below one block
}

// The direct weight gradient (output gradient in rows padded to the input
// width) equals the im2col + GEMM one, accumulating onto what dw and db
// hold; shapes include partial blocks of output channels and kernel
// positions, and a plane too small for a vector (the plain-loop path).
TEST(Layers, DirectWeightGradientEqualsIm2colGemm) {
  std::mt19937 g(10);
  struct Shape { int n, c, h, w, k, m; };
  const Shape shapes[] = {{3, 3, 32, 32, 5, 6}, {2, 2, 13, 11, 3, 7}, {3, 6, 14, 14, 5, 16},
                          {2, 3, 9, 12, 2, 4}, {2, 2, 4, 4, 3, 2}};
  for (const Shape &sh : shapes)
    for (int layout = 0; layout < 2; layout++) {
      const int n = sh.n, c = sh.c, h = sh.h, w = sh.w, k = sh.k, m = sh.m;
      const int oh = h - k + 1, ow = w - k + 1, kk = c * k * k, p = n * oh * ow;
      const ts_strides s = layout ? ts_strides_cnhw(n, h, w) : ts_strides_nchw(c, h, w);
      Vec x = Random(n * c * h * w, g), wt = Random(m * kk, g), r = Random(m * p, g);
      Vec rpad(m * n * oh * w, 0.f);  // [m][n][oh][w], padding columns zero
      for (int i = 0; i < m * n * oh; i++)
        std::copy(r.begin() + i * ow, r.begin() + (i + 1) * ow, rpad.begin() + i * w);
      Vec col(kk * p), dt(p * m), wk(kk * m);
      Vec dw_ref = Random(m * kk, g), db_ref = Random(m, g);
      Vec dw = dw_ref, db = db_ref;
      ts_im2col_t(col.data(), x.data(), s, n, c, h, w, k);
      ts_conv_gemm_backward(nullptr, dw_ref.data(), db_ref.data(), r.data(), col.data(),
                            wt.data(), dt.data(), wk.data(), m, kk, p);
      ts_conv_wgrad_direct(dw.data(), db.data(), rpad.data(), x.data(), s, n, c, h, w, k, m);
      double worst = 0;
      for (int i = 0; i < m * kk; i++)
        worst = std::max(worst, std::fabs((double)dw[i] - dw_ref[i]) / (1 + std::fabs(dw_ref[i])));
      for (int i = 0; i < m; i++)
        worst = std::max(worst, std::fabs((double)db[i] - db_ref[i]) / (1 + std::fabs(db_ref[i])));
      // float sums of up to 2,352 terms in two different orders
      EXPECT_LT(worst, 1e-4) << (layout ? "CNHW " : "NCHW ") << h << "x" << w << " k " << k
                             << " m " << m;
    }
}

TEST(Layers, MaxPoolGradientsAndOddSizes) {
  std::mt19937 g(5);
  const int planes = 6, h = 5, w = 7;  // odd sizes: last row/col dropped
  const int ph = h / 2, pw = w / 2;
  Vec x = Random(planes * h * w, g), r = Random(planes * ph * pw, g);
  auto loss = [&] {
    Vec out(r.size());
    ts_maxpool_forward(out.data(), x.data(), planes, h, w);
    return Dot(out, r);
  };
  Vec out(r.size()), dx(x.size());
  ts_maxpool_forward(out.data(), x.data(), planes, h, w);
  ts_maxpool_backward(dx.data(), r.data(), x.data(), out.data(), planes, h, w);
  // small eps: random values are distinct by far more than 1e-3
  ExpectGradClose("maxpool d/dx", x, dx, loss, 1e-3f, 2e-3);
  // a dropped row/column never receives gradient
  for (int pl = 0; pl < planes; pl++)
    for (int xx = 0; xx < w; xx++) EXPECT_EQ(dx[(pl * h + (h - 1)) * w + xx], 0.f);
  // ties (common after a ReLU) send the gradient to the first maximum in
  // scan order, and only there
  Vec tie = {0.f, 2.f, 2.f, 2.f}, o1(1), d1(4), g1 = {1.f};
  ts_maxpool_forward(o1.data(), tie.data(), 1, 2, 2);
  EXPECT_EQ(o1[0], 2.f);
  ts_maxpool_backward(d1.data(), g1.data(), tie.data(), o1.data(), 1, 2, 2);
  EXPECT_EQ(d1, (Vec{0.f, 1.f, 0.f, 0.f}));
}

// The fused pass equals max-pool backward followed by ReLU backward bit for
// bit: on ReLU outputs full of zeros and ties (values drawn from a few
// levels), with -0.0 and NaN among inputs and gradients, for odd sizes,
// rows narrower and wider than the kernel's 8 windows, and padded rows.
TEST(Layers, FusedMaxPoolReluBackwardEqualsUnfused) {
  std::mt19937 g(8);
  std::uniform_int_distribution<int> level(-3, 4);
  std::uniform_int_distribution<int> odds(0, 49);
  const int shapes[][2] = {{2, 2}, {5, 7}, {6, 16}, {28, 28}, {10, 10}, {7, 35}, {4, 3}};
  for (const auto &hw : shapes)
    for (int pad : {0, 3}) {
      const int h = hw[0], w = hw[1], ph = h / 2, pw = w / 2, ldd = w + pad;
      const long planes = 5;
      Vec x(planes * h * w), r(planes * ph * pw);
      for (auto &v : x) {  // a ReLU output: many exact zeros and ties
        const int l = level(g);
        v = l <= 0 ? 0.f : 0.25f * l;
        const int o = odds(g);
        if (o == 0) v = -0.f;
        if (o == 1) v = NAN;
      }
      for (auto &v : r) {
        v = std::uniform_real_distribution<float>(-1, 1)(g);
        const int o = odds(g);
        if (o == 0) v = -0.f;
        if (o == 1) v = NAN;
      }
      Vec out(r.size()), ref(x.size()), fused(planes * h * ldd, 7.f);
      ts_maxpool_forward(out.data(), x.data(), planes, h, w);
      ts_maxpool_backward(ref.data(), r.data(), x.data(), out.data(), planes, h, w);
      ts_relu_backward(ref.data(), x.data(), (long)x.size());
      ts_maxpool_relu_backward(fused.data(), r.data(), x.data(), out.data(), planes, h, w, ldd);
      for (long pl = 0; pl < planes; pl++)
        for (int y = 0; y < h; y++)
          for (int xx = 0; xx < ldd; xx++) {
            const float f = fused[(pl * h + y) * ldd + xx];
            const float e = xx < w ? ref[(pl * h + y) * w + xx] : 0.f;
            uint32_t fb, eb;
            std::memcpy(&fb, &f, 4);
            std::memcpy(&eb, &e, 4);
            ASSERT_EQ(fb, eb) << h << "x" << w << " ldd " << ldd << " plane " << pl
                              << " at " << y << "," << xx << ": " << f << " vs " << e;
          }
    }
}

TEST(Layers, SoftmaxCrossEntropyGradientAndValue) {
  std::mt19937 g(6);
  const int n = 4, classes = 5;
  Vec z = Random(n * classes, g, -3, 3);
  std::vector<int> y = {0, 4, 2, 2};
  auto loss = [&] { return ts_softmax_xent(nullptr, z.data(), y.data(), n, classes, 1.f, nullptr); };
  Vec dz(z.size());
  int correct = 0;
  ts_softmax_xent(dz.data(), z.data(), y.data(), n, classes, 1.f, &correct);
  ExpectGradClose("softmax-xent d/dz", z, dz, loss, 1e-2f, 1e-3);
  // uniform logits: loss = log(classes) per image
  Vec zero(n * classes, 0.f);
  EXPECT_NEAR(ts_softmax_xent(nullptr, zero.data(), y.data(), n, classes, 1.f, nullptr),
              n * std::log((double)classes), 1e-9);
}

TEST(Layers, FlattenRoundTripUsesPyTorchOrder) {
  const int n = 2, c = 3, h = 2, w = 2;
  Vec cnhw(n * h * w * c), flat(cnhw.size()), back(cnhw.size());
  for (size_t i = 0; i < cnhw.size(); i++) cnhw[i] = (float)i;
  ts_flatten_cnhw(flat.data(), cnhw.data(), n, c, h, w);
  // flat[img][ch][y][x] == cnhw[ch][img][y][x]
  EXPECT_EQ(flat[((1 * c + 2) * h + 1) * w + 0], cnhw[((2 * n + 1) * h + 1) * w + 0]);
  ts_unflatten_cnhw(back.data(), flat.data(), n, c, h, w);
  EXPECT_EQ(back, cnhw);
}

}  // namespace
