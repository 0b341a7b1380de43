// A whole integer CNN (conv -> pool -> conv -> pool -> fc x3) run layer by
// layer on the RTL and on the golden model: every intermediate byte and the
// final logits must be equal. The first tests use random integer weights
// with requantization calibrated from the golden accumulators; the QnetOnRtl
// tests build the integer network the real path builds (models/int/ts_qnet.h:
// a float network, calibration images, B and scheme) and run it through
// ts_qnet_run with the RTL as the GEMM executor.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "ts_arch.h"
#include "ts_dataset.h"
#include "ts_hw.h"
#include "ts_int.h"
#include "ts_net.h"
#include "ts_qnet.h"
#include "ts_rng.h"

namespace {

struct IntLayer {
  ts_layer_info info;
  int wbits;
  std::vector<int32_t> w;      // [m][k]
  std::vector<int64_t> bias;   // [m]
  std::vector<int32_t> mult;   // [m]
  std::vector<uint8_t> shift;  // [m]
  ts_int_out out;
};

// GEMM input of a layer: im2col for conv, the flattened [c][h][w] bytes for FC.
std::vector<uint8_t> gemm_input(const IntLayer &L, const std::vector<uint8_t> &act) {
  if (L.info.kind == TS_LAYER_FC) return act;
  std::vector<uint8_t> cols((size_t)L.info.gemm_k * L.info.gemm_n);
  ts_error err = {};
  EXPECT_EQ(ts_int_im2col(act.data(), L.info.in_c, L.info.in_h, L.info.in_w,
                          L.info.k, cols.data(), &err), TS_OK) << err.msg;
  return cols;
}

ts_int_gemm desc(const IntLayer &L, int act_signed) {
  return {L.info.gemm_m, L.info.gemm_k, L.info.gemm_n, L.wbits, act_signed, L.out,
          L.w.data(), L.bias.data(), L.mult.data(), L.shift.data()};
}

// Next layer's input bytes from this layer's outputs (pool after conv).
std::vector<uint8_t> next_act(const IntLayer &L, const std::vector<int64_t> &y) {
  std::vector<uint8_t> b(y.size());
  ts_error err = {};
  EXPECT_EQ(ts_int_to_bytes(y.data(), y.size(), L.out, b.data(), &err), TS_OK) << err.msg;
  if (L.info.kind == TS_LAYER_FC) return b;
  std::vector<uint8_t> p((size_t)L.info.out_c * L.info.pooled_h * L.info.pooled_w);
  EXPECT_EQ(ts_int_maxpool2(b.data(), L.info.out_c, L.info.out_h, L.info.out_w, 0,
                            p.data(), &err), TS_OK) << err.msg;
  return p;
}

// images: n images of [c][h][w] int8 bytes, or empty to generate them.
void run_net(const ts_arch &a, const int wbits[TS_NUM_LAYERS], uint64_t seed, int images,
             const std::vector<std::vector<uint8_t>> &given = {}) {
  ts_error err = {};
  ts_layer_info info[TS_NUM_LAYERS];
  ASSERT_EQ(ts_arch_layers(&a, info, &err), TS_OK) << err.msg;
  ts_rng r;
  ts_rng_seed(&r, seed);
  std::vector<IntLayer> net(TS_NUM_LAYERS);
  for (int l = 0; l < TS_NUM_LAYERS; l++) {
    IntLayer &L = net[l];
    L.info = info[l];
    L.wbits = wbits[l];
    L.out = l == TS_NUM_LAYERS - 1 ? TS_INT_OUT_ACC : TS_INT_OUT_U8;
    const int m = L.info.gemm_m, k = L.info.gemm_k, b = L.wbits;
    L.w.resize((size_t)m * k);
    for (auto &v : L.w) v = (int32_t)ts_rng_below(&r, 1u << b) - (1 << (b - 1));
    L.bias.resize(m);
    for (auto &v : L.bias) v = (int64_t)ts_rng_below(&r, 2001) - 1000;
    L.mult.assign(m, 1);
    L.shift.assign(m, 0);
  }

  ts_hw *hw = nullptr;
  ASSERT_EQ(ts_hw_create(nullptr, &hw, &err), TS_OK) << err.msg;
  // Calibration on image 0: scale so the largest accumulator maps to 255.
  for (int img = 0; img < images; img++) {
    std::vector<uint8_t> act((size_t)a.in_c * a.in_h * a.in_w);
    for (auto &v : act) v = (uint8_t)ts_rng_below(&r, 256);  // int8 image
    if (!given.empty()) act = given[(size_t)img % given.size()];
    for (int l = 0; l < TS_NUM_LAYERS; l++) {
      IntLayer &L = net[l];
      const int act_signed = l == 0;
      std::vector<uint8_t> x = gemm_input(L, act);
      const size_t ny = (size_t)L.info.gemm_m * L.info.gemm_n;
      if (img == 0 && L.out != TS_INT_OUT_ACC) {
        ts_int_gemm g = desc(L, act_signed);
        g.out = TS_INT_OUT_ACC;
        std::vector<int64_t> acc(ny);
        ASSERT_EQ(ts_int_gemm_run(&g, x.data(), acc.data(), &err), TS_OK) << err.msg;
        int64_t mx = 1;
        for (int64_t v : acc) mx = std::max<int64_t>(mx, v < 0 ? -v : v);
        int32_t mult;
        int shift;
        ASSERT_EQ(ts_int_quantize_multiplier(255.0 / (double)mx, &mult, &shift, &err), TS_OK)
            << L.info.name << ": " << err.msg;
        L.mult.assign(L.info.gemm_m, mult);
        L.shift.assign(L.info.gemm_m, (uint8_t)shift);
      }
      ts_int_gemm g = desc(L, act_signed);
      std::vector<int64_t> want(ny), got(ny, -777);
      ASSERT_EQ(ts_int_gemm_run(&g, x.data(), want.data(), &err), TS_OK) << err.msg;
      ASSERT_EQ(ts_hw_gemm(hw, &g, x.data(), got.data(), nullptr, &err), TS_OK) << err.msg;
      for (size_t i = 0; i < ny; i++)
        ASSERT_EQ(got[i], want[i])
            << "seed=" << seed << " image " << img << " layer " << L.info.name
            << " (m=" << g.m << " k=" << g.k << " n=" << g.n << " B=" << g.wbits
            << "): first mismatch at y[" << i / g.n << "][" << i % g.n << "]";
      if (L.out != TS_INT_OUT_ACC) {
        // Not everything saturated or zero: the calibration did its job.
        // (B = 1 codes are -1 and 0, so every dot product is <= 0 and the
        // ReLU outputs are legitimately all zero.)
        int mid = 0;
        for (int64_t v : want) mid += v > 0 && v < 255;
        if (L.wbits >= 2) {
          EXPECT_GT(mid, 0) << L.info.name << " (B=" << L.wbits
                            << ") outputs are all 0 or 255";
        }
        act = next_act(L, want);
      }
    }
  }
  ts_hw_destroy(hw);
}

TEST(HwNet, DefaultCifarShapesGeneratedImages) {
  ts_arch a;
  ts_arch_default(&a, 3, 32, 32, 100);
  const int wbits[TS_NUM_LAYERS] = {8, 6, 4, 3, 8};
  run_net(a, wbits, 101, 2);
}

// Real CIFAR-100 test images (first 4) when the data is present: pixels
// zero-centred to int8 (p - 128), random integer weights.
TEST(HwNet, CifarTestImagesWhenPresent) {
  const char *dir = std::getenv("TESSERA_CIFAR100_DIR");
  if (!dir) GTEST_SKIP() << "TESSERA_CIFAR100_DIR not set (tests/run_tests.sh sets it when "
                            "../shared/data/cifar-100-binary exists)";
  ts_dataset *ds = nullptr;
  ts_error err = {};
  if (ts_dataset_load_n(TS_DS_CIFAR100, dir, TS_SPLIT_TEST, 0, 4, &ds, &err) != TS_OK)
    GTEST_SKIP() << "CIFAR-100 not loadable from " << dir << ": " << err.msg;
  std::vector<std::vector<uint8_t>> imgs;
  const size_t px = (size_t)ds->c * ds->h * ds->w;
  for (int i = 0; i < ds->n; i++) {
    std::vector<uint8_t> v(px);
    for (size_t j = 0; j < px; j++) v[j] = (uint8_t)(ds->pixels[i * px + j] - 128);
    imgs.push_back(v);
  }
  ts_arch a;
  ts_arch_default(&a, ds->c, ds->h, ds->w, ds->classes);
  ts_dataset_destroy(ds);
  const int wbits[TS_NUM_LAYERS] = {8, 8, 8, 8, 8};
  run_net(a, wbits, 303, (int)imgs.size(), imgs);
}

TEST(HwNet, OddKernelsOneChannelEveryWidth) {
  // Fashion-MNIST-like 1x28x28 with k1 = 3, k2 = 9 (the ID rule's extremes
  // leave conv2 a 5x5 output and fc1 an input of 64).
  ts_arch a;
  ts_arch_default(&a, 1, 28, 28, 10);
  a.k1 = 3;
  a.k2 = 9;
  ts_error err = {};
  ASSERT_EQ(ts_arch_validate(&a, &err), TS_OK) << err.msg;
  for (int b = 1; b <= 16; b += 5) {
    const int wbits[TS_NUM_LAYERS] = {b, 17 - b, b, 17 - b, b};
    run_net(a, wbits, 200 + b, 1);
  }
}

// ts_qnet's GEMM executor on the RTL: ctx is the ts_hw handle.
ts_status hw_exec(void *ctx, int, const ts_int_gemm *g, const uint8_t *x, int64_t *y,
                  ts_error *err) {
  return ts_hw_gemm(static_cast<ts_hw *>(ctx), g, x, y, nullptr, err);
}

// Normalised float images [n][c][h][w] (and the architecture they fit):
// CIFAR-100 test images when TESSERA_CIFAR100_DIR is set, else generated
// 3x32x32 ones with the same value range.
std::vector<float> qnet_images(int n, ts_arch *a, bool *real) {
  *real = false;
  ts_arch_default(a, 3, 32, 32, 100);
  const size_t px = 3 * 32 * 32;
  std::vector<float> x((size_t)n * px);
  if (const char *dir = std::getenv("TESSERA_CIFAR100_DIR")) {
    ts_dataset *ds = nullptr;
    ts_error err = {};
    if (ts_dataset_load_n(TS_DS_CIFAR100, dir, TS_SPLIT_TEST, 0, n, &ds, &err) == TS_OK &&
        ds->n == n) {
      ts_norm nm;
      std::vector<int> idx(n);
      for (int i = 0; i < n; i++) idx[i] = i;
      if (ts_dataset_norm(ds, &nm, &err) == TS_OK &&
          ts_dataset_batch(ds, &nm, idx.data(), n, x.data(), nullptr, &err) == TS_OK)
        *real = true;
    }
    ts_dataset_destroy(ds);
    if (*real) return x;
  }
  ts_rng r;
  ts_rng_seed(&r, 4242);
  for (auto &v : x) v = 4.0f * ts_rng_uniform(&r) - 2.0f;
  return x;
}

// N images through the integer network built by ts_qnet from a float
// network (PyTorch-style init; the trained CIFAR model is not in the tree),
// calibrated on the first images: the RTL's fc3 accumulators must equal the
// golden model's exactly, for several B and both schemes, the images batched
// into one GEMM per layer (FC layers get N = images columns).
TEST(QnetOnRtl, TrainedStyleNetworkLogitsEqualGolden) {
  const int n_calib = 16, n_run = 6;
  ts_arch a;
  bool real = false;
  std::vector<float> imgs = qnet_images(n_calib, &a, &real);
  if (!real) std::printf("[ info ] QnetOnRtl: generated images (TESSERA_CIFAR100_DIR unset)\n");
  ts_error err = {};
  ts_net *net = nullptr;
  ASSERT_EQ(ts_net_create(&a, &net, &err), TS_OK) << err.msg;
  ts_net_init(net, 77);
  ts_hw *hw = nullptr;
  ASSERT_EQ(ts_hw_create(nullptr, &hw, &err), TS_OK) << err.msg;
  for (ts_quant_scheme s : {TS_QUANT_PER_TENSOR, TS_QUANT_PER_CHANNEL})
    for (int bits : {2, 5, 8, 16}) {
      ts_qnet *q = nullptr;
      ASSERT_EQ(ts_qnet_create(net, bits, s, imgs.data(), n_calib, &q, &err), TS_OK)
          << "B=" << bits << ": " << err.msg;
      const int C = ts_qnet_classes(q);
      std::vector<uint8_t> x((size_t)n_run * ts_qnet_image_bytes(q));
      // The last n_run calibration images: some of them were not seen first.
      ASSERT_EQ(ts_qnet_quantize_input(q, imgs.data() + (imgs.size() - x.size()), x.size(),
                                       x.data(), &err), TS_OK) << err.msg;
      std::vector<int64_t> want((size_t)n_run * C), got((size_t)n_run * C, -777);
      ASSERT_EQ(ts_qnet_run(q, x.data(), n_run, nullptr, nullptr, want.data(), &err), TS_OK)
          << err.msg;
      ASSERT_EQ(ts_qnet_run(q, x.data(), n_run, hw_exec, hw, got.data(), &err), TS_OK)
          << ts_quant_scheme_name(s) << " B=" << bits << ": " << err.msg;
      int nonzero = 0;
      for (size_t i = 0; i < want.size(); i++) {
        ASSERT_EQ(got[i], want[i]) << ts_quant_scheme_name(s) << " B=" << bits << " image "
                                   << i / C << " logit " << i % C << ": RTL " << got[i]
                                   << " vs golden " << want[i] << " (diff "
                                   << got[i] - want[i] << ")";
        nonzero += want[i] != 0;
      }
      EXPECT_GT(nonzero, 0) << "B=" << bits << ": every logit is 0, the net computed nothing";
      ts_qnet_destroy(q);
    }
  ts_hw_destroy(hw);
  ts_net_destroy(net);
}

}  // namespace
