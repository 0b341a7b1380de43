// Cross-layer prefetch on the system model (ts_sys_prefetch, sim/sys/ts_sys.h):
// the next layer's weights move into the staging banks while the current
// layer computes. Outputs stay bit-exact, the network takes fewer cycles
// than the same layers one after the other, and the time bounds still hold.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "../rtl/hw_layer.h"
#include "ts_rng.h"
#include "ts_sparse.h"
#include "ts_sys.h"

namespace {

struct Net {
  std::vector<Layer> L;
  std::vector<std::vector<int64_t>> want;  // golden Y per layer
};

// conv2, fc1, fc2, fc3 of the default CNN at B (fc3 gives accumulators).
Net make_net(uint64_t seed, int b, double sparsity) {
  ts_rng r;
  ts_rng_seed(&r, seed);
  Net n;
  const int shapes[][3] = {{16, 150, 100}, {120, 400, 1}, {84, 120, 1}, {100, 84, 1}};
  for (size_t i = 0; i < 4; i++) {
    const ts_int_out out = i == 3 ? TS_INT_OUT_ACC : TS_INT_OUT_U8;
    n.L.push_back(make_layer(&r, shapes[i][0], shapes[i][1], shapes[i][2], b, 0, out,
                             Fill::Random, Fill::Random));
    if (sparsity > 0) sparsify(&r, &n.L.back(), sparsity);
    ts_int_gemm g = n.L.back().desc();
    n.want.emplace_back((size_t)g.m * g.n);
    ts_error err = {};
    EXPECT_EQ(ts_int_gemm_run(&g, n.L.back().x.data(), n.want.back().data(), &err), TS_OK)
        << err.msg;
  }
  return n;
}

// Runs the layers in order, declaring each next one first when prefetch.
::testing::AssertionResult run_net(ts_sys *s, const Net &n, bool prefetch, bool sparse,
                                   std::vector<ts_sys_report> *reps) {
  reps->assign(n.L.size(), ts_sys_report{});
  for (size_t i = 0; i < n.L.size(); i++) {
    const std::string name = "l" + std::to_string(i);
    ts_error err = {};
    ts_sparse *sp = nullptr, *spn = nullptr;
    const ts_int_gemm g = n.L[i].desc();
    if (sparse && ts_sparse_pack(g.w, g.m, g.k, g.wbits, &sp, &err) != TS_OK)
      return ::testing::AssertionFailure() << name << ": pack: " << err.msg;
    ts_status st = TS_OK;
    if (prefetch && i + 1 < n.L.size()) {
      const ts_int_gemm gn = n.L[i + 1].desc();
      if (sparse) st = ts_sparse_pack(gn.w, gn.m, gn.k, gn.wbits, &spn, &err);
      if (st == TS_OK)
        st = ts_sys_prefetch(s, ("l" + std::to_string(i + 1)).c_str(), &gn, spn, &err);
      ts_sparse_destroy(spn);
    }
    std::vector<int64_t> y((size_t)g.m * g.n, -777);
    if (st == TS_OK) st = ts_sys_gemm(s, name.c_str(), &g, sp, n.L[i].x.data(), y.data(),
                                      &(*reps)[i], &err);
    ts_sparse_destroy(sp);
    if (st != TS_OK) return ::testing::AssertionFailure() << name << ": " << err.msg;
    for (size_t j = 0; j < y.size(); j++)
      if (y[j] != n.want[i][j])
        return ::testing::AssertionFailure()
               << name << (prefetch ? " (prefetch)" : "") << ": first mismatch at y[" << j
               << "]: golden " << n.want[i][j] << ", system " << y[j] << " (diff "
               << y[j] - n.want[i][j] << ")";
  }
  return ::testing::AssertionSuccess();
}

uint64_t bytes_of(const ts_sys_report &r) {
  uint64_t b = 0;
  for (int k = 0; k < TS_SYS_KINDS; k++) b += r.bytes[k];
  return b;
}

// The same four layers with and without prefetch at 2 B/cycle, dense B = 8
// and compressed B = 4 at 80%: same outputs (the golden model's), same
// compute and bytes, fewer cycles, overlap > 0 on every prefetched layer,
// and the whole run never faster than its bytes / bandwidth or its compute.
TEST(HwSysPrefetch, NextLayerWeightsOverlapComputeBitExact) {
  const double bw = 2;
  ts_sys_opts o;
  ts_sys_opts_default(&o);
  o.dram_bytes_per_cycle = bw;
  ts_sys *s = nullptr;
  ts_error err = {};
  ASSERT_EQ(ts_sys_create(&o, &s, &err), TS_OK) << err.msg;
  for (const bool sparse : {false, true}) {
    const Net n = make_net(sparse ? 41 : 40, sparse ? 4 : 8, sparse ? 0.8 : 0);
    std::vector<ts_sys_report> ser, pre;
    ASSERT_TRUE(run_net(s, n, false, sparse, &ser));
    ASSERT_TRUE(run_net(s, n, true, sparse, &pre));
    uint64_t t_ser = 0, t_pre = 0, bytes = 0, compute = 0, overlap = 0;
    for (size_t i = 0; i < n.L.size(); i++) {
      const ts_sys_report &a = ser[i], &b = pre[i];
      const std::string what = "layer " + std::to_string(i) + (sparse ? " sparse" : " dense");
      t_ser += a.total_cycles;
      t_pre += b.total_cycles;
      bytes += bytes_of(b);
      compute += b.compute_cycles;
      overlap += b.overlap_cycles;
      EXPECT_EQ(b.compute_cycles, a.compute_cycles) << what;
      for (int k = 0; k < TS_SYS_KINDS; k++)
        EXPECT_EQ(b.bytes[k], a.bytes[k]) << what << " kind " << k;
      EXPECT_EQ(a.prefetched, 0u) << what;
      EXPECT_EQ(a.prefetch_cycles, 0u) << what;
      EXPECT_GE(b.total_cycles, b.compute_cycles) << what;
      EXPECT_LE(b.transfer_cycles - b.prefetch_cycles, b.total_cycles) << what;
      EXPECT_NEAR((double)b.transfer_cycles, bytes_of(b) / bw, 1.0) << what;
      EXPECT_LE(b.overlap_cycles, b.transfer_cycles) << what;
      EXPECT_EQ(b.port_cycles + b.run_cycles + b.readback_cycles + b.stall_data + b.stall_out +
                    b.tail_cycles,
                b.total_cycles)
          << what;
      if (i == 0) {
        EXPECT_EQ(b.prefetched, 0u) << what;
        continue;
      }
      EXPECT_GE(b.prefetched, 1u) << what;
      EXPECT_LE(b.prefetched, 2u) << what;
      EXPECT_GT(b.prefetch_cycles, 0u) << what;
      EXPECT_GT(b.overlap_cycles, a.overlap_cycles) << what;
      EXPECT_LT(b.total_cycles, a.total_cycles) << what;
    }
    EXPECT_LT(t_pre, t_ser) << (sparse ? "sparse" : "dense");
    EXPECT_GE((double)t_pre, (double)bytes / bw) << (sparse ? "sparse" : "dense");
    EXPECT_GE(t_pre, compute);
    printf("%s: %llu cycles serial, %llu with prefetch (%.1f%% less), overlap %llu\n",
           sparse ? "sparse B=4 80%" : "dense B=8", (unsigned long long)t_ser,
           (unsigned long long)t_pre, 100.0 * (double)(t_ser - t_pre) / (double)t_ser,
           (unsigned long long)overlap);
  }
  ts_sys_destroy(s);
}

// A layer that is not the one declared: a clear error, the prefetched
// chunks dropped, and the handle runs the layer correctly when asked again.
TEST(HwSysPrefetch, DifferentLayerThanDeclaredIsAnError) {
  ts_sys *s = nullptr;
  ts_error err = {};
  ASSERT_EQ(ts_sys_create(nullptr, &s, &err), TS_OK) << err.msg;
  const Net n = make_net(42, 8, 0);
  std::vector<int64_t> y(100 * 100);
  const ts_int_gemm g0 = n.L[0].desc(), g1 = n.L[1].desc(), g2 = n.L[2].desc();
  ASSERT_EQ(ts_sys_prefetch(s, "fc1", &g1, nullptr, &err), TS_OK) << err.msg;
  ASSERT_EQ(ts_sys_gemm(s, "conv2", &g0, nullptr, n.L[0].x.data(), y.data(), nullptr, &err),
            TS_OK)
      << err.msg;
  EXPECT_EQ(ts_sys_gemm(s, "fc2", &g2, nullptr, n.L[2].x.data(), y.data(), nullptr, &err),
            TS_E_ARG);
  EXPECT_NE(std::string(err.msg).find("layer fc2 is not the layer prefetched (fc1)"),
            std::string::npos)
      << err.msg;
  // A one-weight difference is caught too (the prefetched words are compared).
  Layer other = n.L[1];
  other.w[7] = other.w[7] == 0 ? 1 : 0;
  const ts_int_gemm go = other.desc();
  ASSERT_EQ(ts_sys_prefetch(s, "fc1", &g1, nullptr, &err), TS_OK) << err.msg;
  ASSERT_EQ(ts_sys_gemm(s, "conv2", &g0, nullptr, n.L[0].x.data(), y.data(), nullptr, &err),
            TS_OK)
      << err.msg;
  EXPECT_EQ(ts_sys_gemm(s, "fc1'", &go, nullptr, other.x.data(), y.data(), nullptr, &err),
            TS_E_ARG);
  // Usable afterwards, bit-exact.
  ts_sys_report rep = {};
  ASSERT_EQ(ts_sys_gemm(s, "fc2", &g2, nullptr, n.L[2].x.data(), y.data(), &rep, &err), TS_OK)
      << err.msg;
  EXPECT_EQ(rep.prefetched, 0u);
  for (size_t j = 0; j < n.want[2].size(); j++)
    ASSERT_EQ(y[j], n.want[2][j]) << "fc2 y[" << j << "] after a dropped prefetch";
  ts_sys_destroy(s);
  // A declared layer whose filter does not fit a bank is refused at once.
  ts_sys_opts o;
  ts_sys_opts_default(&o);
  o.bank_bytes = 64;
  ASSERT_EQ(ts_sys_create(&o, &s, &err), TS_OK) << err.msg;
  EXPECT_EQ(ts_sys_prefetch(s, "fc1", &g1, nullptr, &err), TS_E_ARG);
  EXPECT_NE(std::string(err.msg).find("layer fc1: filter 0 is 400 bytes"), std::string::npos)
      << err.msg;
  EXPECT_EQ(ts_sys_prefetch(s, "fc1", nullptr, nullptr, &err), TS_E_ARG);
  ts_sys_destroy(s);
}

}  // namespace
