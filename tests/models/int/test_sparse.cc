// The compressed weight format (models/int/ts_sparse.h): exact sizes, the
// round trip pack -> decode, the golden GEMM on it, malformed input.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "ts_int.h"
#include "ts_rng.h"
#include "ts_sparse.h"

namespace {

constexpr int kRunMax = TS_HW_SPARSE_RUN_MAX;

// Random codes at B bits, each zero with probability sparsity.
std::vector<int32_t> random_codes(ts_rng *r, int m, int k, int b, double sparsity) {
  std::vector<int32_t> w((size_t)m * k);
  const int32_t lo = -(1 << (b - 1)), hi = (1 << (b - 1)) - 1;
  for (auto &v : w) {
    if (ts_rng_uniform(r) < sparsity) { v = 0; continue; }
    do v = lo + (int32_t)ts_rng_below(r, (uint64_t)(hi - lo + 1)); while (v == 0);
  }
  return w;
}

// Padding entries a filter needs, written from the definition (not from
// the code under test): floor(gap / 2^R) per run of zeros before a non-zero.
int expected_pads(const int32_t *row, int k) {
  int pads = 0, gap = 0, nz = 0;
  for (int j = 0; j < k; j++) {
    if (row[j] == 0) { gap++; continue; }
    pads += gap / (kRunMax + 1);
    gap = 0;
    nz++;
  }
  return nz == 0 ? 1 : pads;
}

::testing::AssertionResult round_trip(const std::vector<int32_t> &w, int m, int k, int b,
                                      const std::string &what) {
  ts_error err = {};
  ts_sparse *s = nullptr;
  if (ts_sparse_pack(w.data(), m, k, b, &s, &err) != TS_OK)
    return ::testing::AssertionFailure() << what << ": pack: " << err.msg;
  std::vector<int32_t> back((size_t)m * k, 12345);
  ts_status st = ts_sparse_decode(s, back.data(), &err);
  ts_sparse_size sz, sz2;
  ts_sparse_size_get(s, &sz);
  ts_sparse_destroy(s);
  if (st != TS_OK) return ::testing::AssertionFailure() << what << ": decode: " << err.msg;
  for (size_t i = 0; i < w.size(); i++)
    if (back[i] != w[i])
      return ::testing::AssertionFailure()
             << what << ": first mismatch at w[" << i / k << "][" << i % k << "]: expected "
             << w[i] << ", decoded " << back[i];
  if (ts_sparse_size_of(w.data(), m, k, b, &sz2, &err) != TS_OK)
    return ::testing::AssertionFailure() << what << ": size: " << err.msg;
  uint64_t nnz = 0, pads = 0, words = 0;
  for (int r = 0; r < m; r++) {
    const int32_t *row = w.data() + (size_t)r * k;
    int nz = 0;
    for (int j = 0; j < k; j++) nz += row[j] != 0;
    const int p = expected_pads(row, k);
    nnz += nz;
    pads += p;
    const int epw = 64 / (b + TS_HW_SPARSE_RBITS);
    words += (uint64_t)((nz + p + epw - 1) / epw);
  }
  if (sz.nnz != nnz || sz.pads != pads || sz.entries != nnz + pads || sz.words != words ||
      sz.bits != 64 * words || sz2.words != sz.words || sz2.entries != sz.entries)
    return ::testing::AssertionFailure()
           << what << ": size nnz/pads/words " << sz.nnz << "/" << sz.pads << "/" << sz.words
           << " (size_of words " << sz2.words << "), expected " << nnz << "/" << pads << "/"
           << words;
  if (sz.dense_words != (uint64_t)m * ts_hw_words_per_row(k, b))
    return ::testing::AssertionFailure() << what << ": dense words " << sz.dense_words;
  return ::testing::AssertionSuccess();
}

TEST(SparseFormat, EntryGeometry) {
  EXPECT_EQ(ts_sparse_entry_bits(8), 8 + TS_HW_SPARSE_RBITS);
  for (int b = TS_HW_WBITS_MIN; b <= TS_HW_WBITS_MAX; b++) {
    const int epw = ts_sparse_entries_per_word(b);
    EXPECT_GE(epw, 2) << "B=" << b;
    EXPECT_LE(epw * (b + TS_HW_SPARSE_RBITS), 64) << "B=" << b;
    EXPECT_GT((epw + 1) * (b + TS_HW_SPARSE_RBITS), 64) << "B=" << b;
    EXPECT_EQ(ts_sparse_words_for(1, b), 1);
    EXPECT_EQ(ts_sparse_words_for(epw, b), 1);
    EXPECT_EQ(ts_sparse_words_for(epw + 1, b), 2);
  }
}

TEST(SparseFormat, PaddingAtTheGapBoundaries) {
  // A single non-zero after g zeros: g / 2^R padding entries before it.
  const int k = 4 * (kRunMax + 1) + 3;
  for (int g : {0, 1, kRunMax - 1, kRunMax, kRunMax + 1, kRunMax + 2, 2 * kRunMax + 1,
                2 * kRunMax + 2, k - 1}) {
    std::vector<int32_t> row(k, 0);
    row[g] = -3;
    EXPECT_EQ(ts_sparse_filter_entries(row.data(), k), 1 + g / (kRunMax + 1)) << "gap " << g;
    EXPECT_TRUE(round_trip(row, 1, k, 4, "single non-zero at " + std::to_string(g)));
  }
  // All zero: one entry; trailing zeros free.
  std::vector<int32_t> z(k, 0);
  EXPECT_EQ(ts_sparse_filter_entries(z.data(), k), 1);
  EXPECT_TRUE(round_trip(z, 1, k, 4, "all zero"));
  std::vector<int32_t> first(k, 0);
  first[0] = 1;
  EXPECT_EQ(ts_sparse_filter_entries(first.data(), k), 1);
  // Dense filter: one entry per weight, no padding.
  std::vector<int32_t> d(k, 1);
  EXPECT_EQ(ts_sparse_filter_entries(d.data(), k), k);
}

TEST(SparseFormat, RoundTripEveryWidthAndSparsity) {
  const double sp[] = {0.0, 0.25, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0};
  int cases = 0;
  for (uint64_t seed : {1, 2, 3})
    for (int b = TS_HW_WBITS_MIN; b <= TS_HW_WBITS_MAX; b++)
      for (double s : sp) {
        ts_rng r;
        ts_rng_seed(&r, seed * 1000 + (uint64_t)b);
        const int m = 1 + (int)ts_rng_below(&r, 20), k = 1 + (int)ts_rng_below(&r, 300);
        auto w = random_codes(&r, m, k, b, s);
        ASSERT_TRUE(round_trip(w, m, k, b,
                               "seed=" + std::to_string(seed) + " B=" + std::to_string(b) +
                                   " s=" + std::to_string(s) + " m=" + std::to_string(m) +
                                   " k=" + std::to_string(k)));
        cases++;
      }
  EXPECT_EQ(cases, 3 * 16 * 9);
}

TEST(SparseFormat, ExtremeCodesAndLongestFilter) {
  for (int b = TS_HW_WBITS_MIN; b <= TS_HW_WBITS_MAX; b++) {
    const int32_t lo = -(1 << (b - 1)), hi = (1 << (b - 1)) - 1;
    std::vector<int32_t> w((size_t)3 * TS_HW_K_MAX, 0);
    for (int j = 0; j < TS_HW_K_MAX; j++) {
      w[j] = j % 2 ? lo : (hi ? hi : lo);   // dense, extremes
      if (j % 97 == 0) w[TS_HW_K_MAX + j] = lo;  // sparse, long gaps
    }
    w[3 * TS_HW_K_MAX - 1] = lo;  // only the last position
    ASSERT_TRUE(round_trip(w, 3, TS_HW_K_MAX, b, "extremes B=" + std::to_string(b)));
  }
}

TEST(SparseFormat, FilterPlacementIsContiguousAndWordAligned) {
  ts_rng r;
  ts_rng_seed(&r, 5);
  auto w = random_codes(&r, 9, 150, 6, 0.8);
  ts_sparse *s = nullptr;
  ts_error err = {};
  ASSERT_EQ(ts_sparse_pack(w.data(), 9, 150, 6, &s, &err), TS_OK) << err.msg;
  size_t n = 0, off = 0;
  const uint64_t *words = ts_sparse_words(s, &n);
  ASSERT_NE(words, nullptr);
  for (int m = 0; m < 9; m++) {
    ts_sparse_filter f = ts_sparse_filter_info(s, m);
    EXPECT_EQ(f.word_off, off) << "filter " << m;
    EXPECT_EQ(f.entries, ts_sparse_filter_entries(w.data() + (size_t)m * 150, 150));
    EXPECT_EQ(f.words, ts_sparse_words_for(f.entries, 6));
    std::vector<int32_t> row(150);
    ASSERT_EQ(ts_sparse_decode_filter(words + f.word_off, f.entries, 150, 6, row.data(), &err),
              TS_OK) << err.msg;
    for (int j = 0; j < 150; j++) ASSERT_EQ(row[j], w[(size_t)m * 150 + j]) << m << "," << j;
    off += (size_t)f.words;
  }
  EXPECT_EQ(off, n);
  ts_sparse_filter none = ts_sparse_filter_info(s, 9);
  EXPECT_EQ(none.entries, 0);
  ts_sparse_destroy(s);
}

TEST(SparseFormat, GoldenGemmOnCompressedEqualsDense) {
  ts_rng r;
  ts_rng_seed(&r, 8);
  for (double sp : {0.0, 0.6, 0.97, 1.0}) {
    const int m = 7, k = 80, n = 19, b = 5;
    auto w = random_codes(&r, m, k, b, sp);
    std::vector<uint8_t> x((size_t)k * n);
    for (auto &v : x) v = (uint8_t)ts_rng_below(&r, 256);
    std::vector<int64_t> bias(m, 17);
    ts_int_gemm g = {m, k, n, b, 1, TS_INT_OUT_ACC, w.data(), bias.data(), nullptr, nullptr};
    std::vector<int64_t> want((size_t)m * n), got((size_t)m * n, -1);
    ts_error err = {};
    ASSERT_EQ(ts_int_gemm_run(&g, x.data(), want.data(), &err), TS_OK) << err.msg;
    ts_sparse *s = nullptr;
    ASSERT_EQ(ts_sparse_pack(w.data(), m, k, b, &s, &err), TS_OK) << err.msg;
    g.w = nullptr;  // ignored: the packed layer is the weights
    ASSERT_EQ(ts_sparse_gemm_run(&g, s, x.data(), got.data(), &err), TS_OK) << err.msg;
    EXPECT_EQ(got, want) << "sparsity " << sp;
    g.k = 81;
    EXPECT_EQ(ts_sparse_gemm_run(&g, s, x.data(), got.data(), &err), TS_E_ARG);
    ts_sparse_destroy(s);
  }
}

TEST(SparseFormat, RejectsBadInput) {
  ts_error err = {};
  ts_sparse *s = nullptr;
  ts_sparse_size sz;
  std::vector<int32_t> w = {1, 0, 9, 0};
  EXPECT_EQ(ts_sparse_pack(w.data(), 2, 2, 4, &s, &err), TS_E_ARG);
  EXPECT_NE(std::string(err.msg).find("w[1][0]=9"), std::string::npos) << err.msg;
  EXPECT_EQ(s, nullptr);
  EXPECT_EQ(ts_sparse_size_of(w.data(), 2, 2, 0, &sz, &err), TS_E_ARG);
  EXPECT_EQ(ts_sparse_size_of(w.data(), 2, 2, 17, &sz, &err), TS_E_ARG);
  EXPECT_EQ(ts_sparse_size_of(nullptr, 2, 2, 4, &sz, &err), TS_E_ARG);
  EXPECT_EQ(ts_sparse_size_of(w.data(), 0, 2, 4, &sz, &err), TS_E_ARG);
  EXPECT_EQ(ts_sparse_pack(w.data(), 2, 2, 4, nullptr, &err), TS_E_ARG);
  // A stream whose runs walk past k.
  const uint64_t bad = (uint64_t)kRunMax << 4 | 1u;  // B = 4: run 31, code 1
  std::vector<int32_t> row(10);
  EXPECT_EQ(ts_sparse_decode_filter(&bad, 1, 10, 4, row.data(), &err), TS_E_ARG);
  EXPECT_NE(std::string(err.msg).find("beyond k=10"), std::string::npos) << err.msg;
  EXPECT_EQ(ts_sparse_decode_filter(&bad, 0, 10, 4, row.data(), &err), TS_E_ARG);
  ts_sparse_destroy(nullptr);
}

}  // namespace
