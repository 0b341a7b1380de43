// Shared by the RTL equivalence suites: a random integer layer, and the
// check that runs it on the RTL (dense or sparse mode) and on the golden
// model and reports the first mismatch and any counter that does not add up.
#ifndef TESSERA_TESTS_RTL_HW_LAYER_H
#define TESSERA_TESTS_RTL_HW_LAYER_H

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "ts_hw.h"
#include "ts_int.h"
#include "ts_rng.h"
#include "ts_sparse.h"

namespace {

// A fresh simulated array for each test (hw_).
class HwFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    ts_error err = {};
    ASSERT_EQ(ts_hw_create(nullptr, &hw_, &err), TS_OK) << err.msg;
  }
  void TearDown() override { ts_hw_destroy(hw_); }
  ts_hw *hw_ = nullptr;
};

enum class Fill { Random, AllMax, AllMin, Alternating, Zero };

struct Layer {
  int m = 1, k = 1, n = 1, wbits = 8, act_signed = 0;
  ts_int_out out = TS_INT_OUT_ACC;
  std::vector<int32_t> w;
  std::vector<int64_t> bias;
  std::vector<int32_t> mult;
  std::vector<uint8_t> shift;
  std::vector<uint8_t> x;
  ts_int_gemm desc() const {
    return {m, k, n, wbits, act_signed, out, w.data(), bias.data(), mult.data(),
            shift.data()};
  }
};

// A layer with the given shape; values drawn by fill. Requantization
// parameters put the outputs mostly inside the 8-bit range so that rounding
// and saturation are both exercised.
inline Layer make_layer(ts_rng *r, int m, int k, int n, int b, int sgn, ts_int_out out,
                 Fill fw, Fill fx) {
  Layer L;
  L.m = m; L.k = k; L.n = n; L.wbits = b; L.act_signed = sgn; L.out = out;
  const int32_t wlo = -(1 << (b - 1)), whi = (1 << (b - 1)) - 1;
  L.w.resize((size_t)m * k);
  for (size_t i = 0; i < L.w.size(); i++) {
    switch (fw) {
      case Fill::Random: L.w[i] = wlo + (int32_t)ts_rng_below(r, (uint64_t)(whi - wlo + 1)); break;
      case Fill::AllMax: L.w[i] = whi; break;
      case Fill::AllMin: L.w[i] = wlo; break;
      case Fill::Alternating: L.w[i] = (i % 2) ? wlo : whi; break;
      case Fill::Zero: L.w[i] = 0; break;
    }
  }
  const int xlo = sgn ? -128 : 0, xhi = sgn ? 127 : 255;
  L.x.resize((size_t)k * n);
  for (size_t i = 0; i < L.x.size(); i++) {
    int v = 0;
    switch (fx) {
      case Fill::Random: v = xlo + (int)ts_rng_below(r, (uint64_t)(xhi - xlo + 1)); break;
      case Fill::AllMax: v = xhi; break;
      case Fill::AllMin: v = xlo; break;
      case Fill::Alternating: v = (i % 2) ? xlo : xhi; break;
      case Fill::Zero: v = 0; break;
    }
    L.x[i] = (uint8_t)(v & 0xff);
  }
  const int64_t bb = ts_int_acc_bound(k) / 2;
  L.bias.resize(m);
  L.mult.resize(m);
  L.shift.resize(m);
  // Typical |acc| ~ sqrt(k) * 2^(b-1) * 128: aim the shift there.
  int mag_bits = b + 7;
  for (int kk = k; kk > 1; kk >>= 2) mag_bits++;
  for (int i = 0; i < m; i++) {
    const uint64_t pick = ts_rng_below(r, 8);
    L.bias[i] = pick == 0 ? bb : pick == 1 ? -bb
                : (int64_t)ts_rng_below(r, 1u << 16) - (1 << 15);
    L.mult[i] = pick == 2 ? TS_HW_MULT_MAX : pick == 3 ? 1
                : (1 << (TS_HW_MULT_BITS - 2)) + (int32_t)ts_rng_below(r, 1u << (TS_HW_MULT_BITS - 2));
    const int s = TS_HW_MULT_BITS - 1 + mag_bits - 8 + (int)ts_rng_below(r, 5) - 2;
    L.shift[i] = (uint8_t)(pick == 4 ? 0 : pick == 5 ? TS_HW_SHIFT_MAX
                           : std::min(std::max(s, 0), TS_HW_SHIFT_MAX));
    if (pick == 6) {
      // mult = 2^p, shift = p + q: acc / 2^q exactly, so ties (acc = odd
      // multiple of 2^(q-1)) are frequent and test the rounding rule.
      const int p = (int)ts_rng_below(r, TS_HW_MULT_BITS - 1);
      L.mult[i] = 1 << p;
      L.shift[i] = (uint8_t)(p + 1 + (int)ts_rng_below(r, 3));
      L.bias[i] = (int64_t)ts_rng_below(r, 201) - 100;
    }
  }
  return L;
}

// Zeroes each weight with probability s (unstructured random pruning).
inline void sparsify(ts_rng *r, Layer *L, double s) {
  for (auto &v : L->w)
    if (ts_rng_uniform(r) < s) v = 0;
}

inline uint64_t nonzeros(const Layer &L) {
  uint64_t nz = 0;
  for (int32_t v : L.w) nz += v != 0;
  return nz;
}

inline std::string describe(uint64_t seed, const Layer &L, bool sparse = false) {
  std::ostringstream os;
  os << (sparse ? "sparse" : "dense") << " seed=" << seed << " m=" << L.m << " k=" << L.k
     << " n=" << L.n << " B=" << L.wbits << " act_signed=" << L.act_signed
     << " out=" << (int)L.out << " sparsity="
     << 100.0 * (1.0 - (double)nonzeros(L) / (double)L.w.size()) << "%";
  return os.str();
}

// Runs L on the RTL (dense mode, or sparse with the weights packed by
// ts_sparse_pack) and on the golden model; fails with the first mismatch,
// or a counter that disagrees with what the layer's weights imply.
inline ::testing::AssertionResult check_layer(ts_hw *hw, uint64_t seed, const Layer &L,
                                       ts_hw_counters *cnt = nullptr, bool sparse = false) {
  ts_int_gemm g = L.desc();
  std::vector<int64_t> want((size_t)L.m * L.n), got((size_t)L.m * L.n, -777);
  ts_error err = {};
  const std::string what = describe(seed, L, sparse);
  if (ts_int_gemm_run(&g, L.x.data(), want.data(), &err) != TS_OK)
    return ::testing::AssertionFailure() << what << ": golden: " << err.msg;
  ts_hw_counters c = {};
  const ts_status st = sparse ? ts_hw_gemm_sparse(hw, &g, nullptr, L.x.data(), got.data(), &c, &err)
                              : ts_hw_gemm(hw, &g, L.x.data(), got.data(), &c, &err);
  if (st != TS_OK) return ::testing::AssertionFailure() << what << ": hw: " << err.msg;
  for (size_t i = 0; i < want.size(); i++)
    if (want[i] != got[i])
      return ::testing::AssertionFailure()
             << what << ": first mismatch at y[" << i / L.n << "][" << i % L.n << "] (flat "
             << i << "): expected " << want[i] << ", actual " << got[i] << " (diff "
             << got[i] - want[i] << ")";
  // What the counters must say: entries per filter (dense: K) x columns.
  uint64_t entries = 0;
  for (int m = 0; m < L.m; m++)
    entries += sparse ? (uint64_t)ts_sparse_filter_entries(L.w.data() + (size_t)m * L.k, L.k)
                      : (uint64_t)L.k;
  const uint64_t tiles = (uint64_t)(L.n + ts_hw_cols() - 1) / ts_hw_cols();
  const uint64_t want_macs = entries * L.n, want_nz = nonzeros(L) * L.n;
  if (c.macs != want_macs || c.useful_macs != want_nz || c.lane_run != entries * tiles ||
      c.skipped != ((uint64_t)L.m * L.k - entries) * tiles || c.tiles != (uint64_t)L.m * tiles)
    return ::testing::AssertionFailure()
           << what << ": counters macs/useful/issued/skipped/tiles " << c.macs << "/"
           << c.useful_macs << "/" << c.lane_run << "/" << c.skipped << "/" << c.tiles
           << ", expected " << want_macs << "/" << want_nz << "/" << entries * tiles << "/"
           << ((uint64_t)L.m * L.k - entries) * tiles << "/" << (uint64_t)L.m * tiles;
  if (c.lane_run + c.lane_load + c.lane_stall + c.lane_idle > c.cycles * ts_hw_rows())
    return ::testing::AssertionFailure()
           << what << ": lane-cycles run+load+stall+idle " << c.lane_run << "+" << c.lane_load
           << "+" << c.lane_stall << "+" << c.lane_idle << " exceed rows x cycles "
           << c.cycles * ts_hw_rows();
  if (cnt) *cnt = c;
  return ::testing::AssertionSuccess();
}

}  // namespace

#endif  // TESSERA_TESTS_RTL_HW_LAYER_H
