// Weight-memory accounting (models/study/ts_wmem.c): sizes of the dense,
// bitmap and relative-index layouts checked against a hand count and
// against independent encoders written here (which build the words and
// decode them back), random patterns, the crossover rule, whole networks,
// and rejection of bad input.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "test_handles.h"
#include "ts_hw_params.h"
#include "ts_prune.h"
#include "ts_rng.h"
#include "ts_wmem.h"

namespace {

constexpr int kWord = TS_HW_WPORT_BITS;

// ---- Independent encoders: they emit real words, then decode them ------

// A bit writer that starts a new word when a field would straddle one.
struct Words {
  std::vector<uint64_t> w;
  int used = kWord;  // bits used in the last word
  void Put(uint64_t v, int bits) {
    if (used + bits > kWord) w.push_back(0), used = 0;
    w.back() |= (v & ((bits == 64 ? 0 : (1ull << bits)) - 1)) << used;
    used += bits;
  }
  void Align() { used = kWord; }
};

// EIE relative index for one filter, by positions: an entry at position p
// after an entry at q stores p - q - 1 zeros; when that exceeds 2^R - 1 a
// padding entry (code 0) goes at q + 2^R. Returns the entries as
// (delta, code) pairs.
std::vector<std::pair<int, int32_t>> RelIdxEntries(const int32_t *row, int k, int r) {
  std::vector<std::pair<int, int32_t>> e;
  int q = -1;
  for (int p = 0; p < k; p++) {
    if (!row[p]) continue;
    while (p - q - 1 > (1 << r) - 1) {
      e.push_back({(1 << r) - 1, 0});
      q += 1 << r;
    }
    e.push_back({p - q - 1, row[p]});
    q = p;
  }
  return e;
}

std::vector<int32_t> RelIdxDecode(const std::vector<std::pair<int, int32_t>> &e, int k) {
  std::vector<int32_t> row(k, 0);
  int p = -1;
  for (auto &x : e) {
    p += x.first + 1;
    if (p < k && x.second) row[p] = x.second;
  }
  return row;
}

int32_t SignExtend(uint64_t v, int b) {
  return (int32_t)((int64_t)(v << (64 - b)) >> (64 - b));
}

// Words of a layer in each compressed layout, built for real; the decoded
// codes must equal the input.
int64_t EncodeRelIdx(const std::vector<int32_t> &w, int m, int k, int b, int r) {
  Words out;
  for (int f = 0; f < m; f++) out.Put(0xffffffffu, TS_WMEM_TABLE_BITS);  // table
  for (int f = 0; f < m; f++) {
    auto e = RelIdxEntries(&w[(size_t)f * k], k, r);
    out.Align();
    for (auto &x : e) out.Put((uint64_t)x.first | ((uint64_t)(uint32_t)x.second << r), r + b);
    auto back = RelIdxDecode(e, k);
    for (int j = 0; j < k; j++)
      EXPECT_EQ(back[j], w[(size_t)f * k + j]) << "relidx round trip, filter " << f << " k " << j;
  }
  return (int64_t)out.w.size();
}

int64_t EncodeBitmap(const std::vector<int32_t> &w, int m, int k, int b) {
  Words out;
  for (int f = 0; f < m; f++) out.Put(0xffffffffu, TS_WMEM_TABLE_BITS);
  for (int f = 0; f < m; f++) {
    const int32_t *row = &w[(size_t)f * k];
    bool any = false;
    for (int j = 0; j < k; j++) any |= row[j] != 0;
    if (!any) continue;
    out.Align();
    const size_t map0 = out.w.size();
    for (int j = 0; j < k; j++) out.Put(row[j] != 0, 1);
    out.Align();
    const size_t code0 = out.w.size();
    for (int j = 0; j < k; j++)
      if (row[j]) out.Put((uint32_t)row[j], b);
    // decode: walk the map, take codes in order
    size_t ci = 0;
    const int per = kWord / b;
    for (int j = 0; j < k; j++) {
      const bool nz = out.w[map0 + j / kWord] >> (j % kWord) & 1;
      int32_t v = 0;
      if (nz) {
        v = SignExtend(out.w[code0 + ci / per] >> ((ci % per) * b), b);
        ci++;
      }
      EXPECT_EQ(v, row[j]) << "bitmap round trip, filter " << f << " k " << j;
    }
  }
  return (int64_t)out.w.size();
}

std::vector<int32_t> RandomCodes(int m, int k, int b, double density, uint64_t seed) {
  ts_rng r;
  ts_rng_seed(&r, seed);
  std::vector<int32_t> w((size_t)m * k);
  const int lo = -(1 << (b - 1)), span = 1 << b;
  for (auto &x : w) {
    x = 0;
    if (ts_rng_uniform(&r) < density)
      while (!x) x = lo + (int)ts_rng_below(&r, span);
  }
  return w;
}

ts_wmem_layer Measure(const std::vector<int32_t> &w, int m, int k, int b, int r) {
  ts_wmem_layer l;
  ts_error err{};
  EXPECT_EQ(ts_wmem_measure(w.data(), m, k, b, r, &l, &err), TS_OK) << err.msg;
  return l;
}

TEST(Wmem, HandCountedLayer) {
  // B = 4 (16 codes a word), R = 4: filter 0 has non-zeros at 0, 16 (15
  // zeros between: no padding) and 33 (16 zeros: one padding entry);
  // filter 1 is all zero.
  const int m = 2, k = 40;
  std::vector<int32_t> w(m * k, 0);
  w[0] = 3, w[16] = -8, w[33] = 7;
  ts_wmem_layer l = Measure(w, m, k, 4, 4);
  EXPECT_EQ(l.nnz, 3);
  EXPECT_EQ(l.pad_entries, 1);
  EXPECT_EQ(l.fmt[TS_WMEM_DENSE].words, 2 * 3) << "ceil(40/16) words a filter";
  EXPECT_EQ(l.fmt[TS_WMEM_DENSE].code_bits, 80 * 4);
  // bitmap: table 1 word + filter 0: map 1 word + codes 1 word
  EXPECT_EQ(l.fmt[TS_WMEM_BITMAP].words, 3);
  EXPECT_EQ(l.fmt[TS_WMEM_BITMAP].meta_bits, 64 + 40);
  EXPECT_EQ(l.fmt[TS_WMEM_BITMAP].code_bits, 12);
  EXPECT_EQ(l.fmt[TS_WMEM_BITMAP].pad_bits, 3 * 64 - 104 - 12);
  // relidx: table 1 word + 4 entries of 8 bits in 1 word
  EXPECT_EQ(l.fmt[TS_WMEM_RELIDX].words, 2);
  EXPECT_EQ(l.fmt[TS_WMEM_RELIDX].meta_bits, 64 + 4 * 4 + 1 * 4);
  EXPECT_EQ(l.fmt[TS_WMEM_RELIDX].bits, 128);
  EXPECT_EQ(ts_wmem_choose_compressed(l.fmt[TS_WMEM_DENSE].bits, l.fmt[TS_WMEM_RELIDX].bits), 1);
}

TEST(Wmem, GapsAtTheEdgesOfThePaddingRule) {
  // One non-zero after g leading zeros, for g around multiples of 2^R.
  for (int r = 1; r <= 5; r++)
    for (int g = 0; g <= 3 << r; g++) {
      const int k = g + 1;
      std::vector<int32_t> w(k, 0);
      w[g] = 1;
      ts_wmem_layer l = Measure(w, 1, k, 2, r);
      EXPECT_EQ(l.pad_entries, g >> r) << "R " << r << " gap " << g;
      EXPECT_EQ(RelIdxEntries(w.data(), k, r).size(), (size_t)(1 + (g >> r)))
          << "the test's encoder disagrees, R " << r << " gap " << g;
    }
}

TEST(Wmem, DensePackingMatchesTheHardware) {
  // B = 3: 21 codes a word, none straddling; B = 16: 4 a word.
  std::vector<int32_t> w(22, 1);
  EXPECT_EQ(Measure(w, 1, 21, 3, 4).fmt[TS_WMEM_DENSE].words, 1);
  EXPECT_EQ(Measure(w, 1, 22, 3, 4).fmt[TS_WMEM_DENSE].words, 2);
  EXPECT_EQ(Measure(w, 1, 4, 16, 4).fmt[TS_WMEM_DENSE].words, 1);
  EXPECT_EQ(Measure(w, 1, 5, 16, 4).fmt[TS_WMEM_DENSE].words, 2);
  for (int b = 1; b <= 16; b++)
    for (int k : {1, 7, 64, 75, 150, 400}) {
      std::vector<int32_t> z((size_t)3 * k, 0);
      EXPECT_EQ(Measure(z, 3, k, b, 4).fmt[TS_WMEM_DENSE].words,
                3 * ts_hw_words_per_row(k, b))
          << "B " << b << " k " << k;
    }
}

TEST(Wmem, SizesEqualIndependentEncodersOverRandomLayers) {
  ts_rng r;
  ts_rng_seed(&r, 11);
  int cases = 0;
  for (int b = 1; b <= 16; b++)
    for (int rb : {2, 4, 6}) {
      for (double dens : {0.0, 0.02, 0.1, 0.3, 0.7, 1.0}) {
        const int m = 1 + (int)ts_rng_below(&r, 9), k = 1 + (int)ts_rng_below(&r, 300);
        const uint64_t seed = ts_rng_u64(&r);
        auto w = RandomCodes(m, k, b, dens, seed);
        ts_wmem_layer l = Measure(w, m, k, b, rb);
        EXPECT_EQ(l.fmt[TS_WMEM_RELIDX].words, EncodeRelIdx(w, m, k, b, rb))
            << "relidx B " << b << " R " << rb << " density " << dens << " shape " << m << "x"
            << k << " seed " << seed;
        EXPECT_EQ(l.fmt[TS_WMEM_BITMAP].words, EncodeBitmap(w, m, k, b))
            << "bitmap B " << b << " density " << dens << " shape " << m << "x" << k
            << " seed " << seed;
        for (int f = 0; f < TS_WMEM_NFORMATS; f++) {
          const ts_wmem_size &s = l.fmt[f];
          EXPECT_EQ(s.bits, s.words * kWord);
          EXPECT_GE(s.pad_bits, 0) << ts_wmem_format_name((ts_wmem_format)f);
          EXPECT_EQ(s.code_bits + s.meta_bits + s.pad_bits, s.bits);
        }
        cases++;
      }
    }
  EXPECT_EQ(cases, 16 * 3 * 6);
}

TEST(Wmem, RandomCodesHaveExactlyThePrunedCountAndAreReproducible) {
  const int m = 16, k = 150;
  for (double s : {0.0, 0.25, 0.5, 0.9, 0.95, 1.0}) {
    std::vector<int32_t> a(m * k), b(m * k), c(m * k);
    ts_error err{};
    ASSERT_EQ(ts_wmem_random_codes(a.data(), m, k, s, 7, &err), TS_OK) << err.msg;
    ASSERT_EQ(ts_wmem_random_codes(b.data(), m, k, s, 7, &err), TS_OK);
    ASSERT_EQ(ts_wmem_random_codes(c.data(), m, k, s, 8, &err), TS_OK);
    size_t zeros = 0, want = 0;
    for (int32_t x : a) zeros += x == 0;
    ASSERT_EQ(ts_prune_count((size_t)m * k, s, &want, &err), TS_OK);
    EXPECT_EQ(zeros, want) << "sparsity " << s;
    EXPECT_EQ(a, b) << "same seed, other pattern";
    if (s > 0 && s < 1) {
      EXPECT_NE(a, c) << "seeds 7 and 8 gave the same pattern";
    }
  }
  std::vector<int32_t> w(4);
  ts_error err{};
  EXPECT_EQ(ts_wmem_random_codes(w.data(), 2, 2, 1.5, 1, &err), TS_E_ARG);
}

TEST(Wmem, CrossoverRule) {
  const double s[] = {0, 10, 20, 30, 40};
  const int64_t d[] = {100, 100, 100, 100, 100};
  const int64_t c1[] = {150, 120, 90, 70, 50};
  const int64_t c2[] = {90, 120, 90, 70, 50};   // a dip below does not count
  const int64_t c3[] = {150, 120, 110, 100, 100}; // never smaller (tie stays dense)
  EXPECT_EQ(ts_wmem_crossover(s, d, c1, 5), 20);
  EXPECT_EQ(ts_wmem_crossover(s, d, c2, 5), 20);
  EXPECT_EQ(ts_wmem_crossover(s, d, c3, 5), -1);
  EXPECT_EQ(ts_wmem_choose_compressed(100, 100), 0);
}

TEST(Wmem, BitmapCrossoverNearOneOverBOnLargeRandomLayers) {
  // With k a multiple of 64 and B dividing 64, bitmap = k + nnz B and
  // dense = k B bits per filter: they cross at sparsity 1/B. The overheads
  // can only move it up: at most one partly filled code word per filter and
  // the filter table (m + m/2 words against m k B / 64 dense words), that
  // is by at most 100 * 1.5 * 64 / (k B) points, plus the 1% grid.
  const int m = 64, k = 1024;
  std::vector<double> grid;
  for (int p = 0; p <= 99; p++) grid.push_back(p);
  for (int b : {2, 4, 8, 16}) {
    std::vector<int64_t> dense, bm;
    for (double p : grid) {
      std::vector<int32_t> w((size_t)m * k);
      ts_error err{};
      ASSERT_EQ(ts_wmem_random_codes(w.data(), m, k, p / 100, 3, &err), TS_OK);
      ts_wmem_layer l = Measure(w, m, k, b, 4);
      dense.push_back(l.fmt[TS_WMEM_DENSE].bits);
      bm.push_back(l.fmt[TS_WMEM_BITMAP].bits);
    }
    const double x = ts_wmem_crossover(grid.data(), dense.data(), bm.data(), (int)grid.size());
    EXPECT_GE(x, std::floor(100.0 / b)) << "B " << b;
    EXPECT_LE(x, 100.0 / b + 100.0 * 1.5 * 64 / (k * b) + 1) << "B " << b;
  }
}

TEST(Wmem, NetworkLayersSumToTheTotalAndFollowPruning) {
  ts_arch a;
  ts_arch_default(&a, 3, 32, 32, 100);
  ts_test::NetPtr net = ts_test::MakeNet(a, 5);
  std::vector<float> p(ts_net_params_const(net.get()),
                       ts_net_params_const(net.get()) + ts_net_num_params(net.get()));
  ts_error err{};
  ts_wmem_layer l0[TS_NUM_LAYERS], t0, l9[TS_NUM_LAYERS], t9;
  ASSERT_EQ(ts_wmem_net(&a, p.data(), 8, TS_QUANT_PER_CHANNEL, 4, l0, &t0, &err), TS_OK)
      << err.msg;
  ASSERT_EQ(ts_prune_params(&a, p.data(), 0.9, &err), TS_OK) << err.msg;
  ASSERT_EQ(ts_wmem_net(&a, p.data(), 8, TS_QUANT_PER_CHANNEL, 4, l9, &t9, &err), TS_OK);
  ts_wmem_layer sum{};
  for (int l = 0; l < TS_NUM_LAYERS; l++) {
    ts_wmem_add(&sum, &l9[l]);
    EXPECT_LE(l9[l].nnz, l9[l].weights / 10 + 1) << "layer " << l << " after 90% pruning";
    EXPECT_LT(l9[l].hw.bits, l0[l].hw.bits) << "layer " << l;
    EXPECT_EQ(l9[l].fmt[TS_WMEM_DENSE].bits, l0[l].fmt[TS_WMEM_DENSE].bits)
        << "dense size does not depend on the values";
  }
  EXPECT_EQ(sum.nnz, t9.nnz);
  EXPECT_EQ(sum.weights, t9.weights);
  EXPECT_EQ(t9.weights, 450 + 2400 + 48000 + 10080 + 8400);
  for (int f = 0; f < TS_WMEM_NFORMATS; f++) EXPECT_EQ(sum.fmt[f].bits, t9.fmt[f].bits);
  EXPECT_EQ(sum.hw.bits, t9.hw.bits);
}

TEST(Wmem, RejectsBadInput) {
  std::vector<int32_t> w(8, 0);
  ts_wmem_layer l;
  ts_error err{};
  EXPECT_EQ(ts_wmem_measure(w.data(), 2, 4, 0, 4, &l, &err), TS_E_ARG);
  EXPECT_NE(std::strstr(err.msg, "B = 0"), nullptr) << err.msg;
  EXPECT_EQ(ts_wmem_measure(w.data(), 2, 4, 17, 4, &l, &err), TS_E_ARG);
  EXPECT_EQ(ts_wmem_measure(w.data(), 2, 4, 4, 0, &l, &err), TS_E_ARG);
  EXPECT_EQ(ts_wmem_measure(w.data(), 2, 4, 4, 9, &l, &err), TS_E_ARG);
  EXPECT_EQ(ts_wmem_measure(w.data(), 0, 4, 4, 4, &l, &err), TS_E_ARG);
  EXPECT_EQ(ts_wmem_measure(nullptr, 2, 4, 4, 4, &l, &err), TS_E_ARG);
  w[5] = 8;  // outside -8..7 at B = 4
  EXPECT_EQ(ts_wmem_measure(w.data(), 2, 4, 4, 4, &l, &err), TS_E_ARG);
  EXPECT_NE(std::strstr(err.msg, "[1][1]"), nullptr) << err.msg;
}

}  // namespace
