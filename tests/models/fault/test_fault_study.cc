// models/study under injected faults: pruning (its sort buffers), the
// weight-memory study, and the profile and quantized-memory tables written
// to a stream or atomically to a file.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "fault_util.h"
#include "test_handles.h"
#include "test_util.h"
#include "ts_profile.h"
#include "ts_prune.h"
#include "ts_quant.h"
#include "ts_wmem.h"

namespace {

using fault::Case;
using fault::kAlloc;
using fault::kIo;
using fault::Sweep;

std::vector<float> Params(uint64_t seed) {
  auto net = ts_test::MakeNet(ts_test::StripesArch(), seed);
  const float *p = ts_net_params_const(net.get());
  return std::vector<float>(p, p + ts_net_num_params(net.get()));
}

// A failed prune leaves the parameters and the mask untouched.
TEST(FaultPrune, LocalGlobalAndTensor) {
  const ts_arch a = ts_test::StripesArch();
  const auto orig = Params(31);
  for (ts_prune_alloc alloc : {TS_PRUNE_LOCAL, TS_PRUNE_GLOBAL}) {
    std::vector<float> want = orig, p;
    std::vector<uint8_t> want_mask(orig.size()), mask;
    ts_error e0{};
    ASSERT_EQ(ts_prune_params_alloc(&a, want.data(), 0.5, alloc, want_mask.data(), &e0), TS_OK)
        << e0.msg;
    Case c{std::string("ts_prune_params_alloc ") + ts_prune_alloc_name(alloc), kAlloc,
           TS_E_NOMEM,
           [&](ts_error *e) { return ts_prune_params_alloc(&a, p.data(), 0.5, alloc, mask.data(), e); }};
    c.setup = [&] {
      p = orig;
      mask.assign(orig.size(), 7);
    };
    c.on_fail = [&](ts_status) {
      EXPECT_EQ(p, orig);
      EXPECT_EQ(mask, std::vector<uint8_t>(orig.size(), 7));
    };
    c.on_ok = [&] {
      EXPECT_EQ(p, want);
      EXPECT_EQ(mask, want_mask);
    };
    Sweep(c);
  }
  std::vector<float> w;
  size_t pruned = 0;
  Case t{"ts_prune_tensor", kAlloc, TS_E_NOMEM,
         [&](ts_error *e) { return ts_prune_tensor(w.data(), 40, 0.25, &pruned, e); }};
  t.setup = [&] { w.assign(orig.begin(), orig.begin() + 40); };
  t.on_fail = [&](ts_status) {
    EXPECT_EQ(w, std::vector<float>(orig.begin(), orig.begin() + 40));
  };
  t.on_ok = [&] { EXPECT_EQ(pruned, 10u); };
  Sweep(t);
}

TEST(FaultWmem, Net) {
  const ts_arch a = ts_test::StripesArch();
  auto p = Params(32);
  ts_error e0{};
  ASSERT_EQ(ts_prune_params(&a, p.data(), 0.6, &e0), TS_OK);
  ts_wmem_layer want[TS_NUM_LAYERS], want_total, out[TS_NUM_LAYERS], total;
  ASSERT_EQ(ts_wmem_net(&a, p.data(), 4, TS_QUANT_PER_CHANNEL, 4, want, &want_total, &e0), TS_OK)
      << e0.msg;
  Case c{"ts_wmem_net", kAlloc, TS_E_NOMEM, [&](ts_error *e) {
           return ts_wmem_net(&a, p.data(), 4, TS_QUANT_PER_CHANNEL, 4, out, &total, e);
         }};
  c.on_ok = [&] {
    EXPECT_EQ(total.nnz, want_total.nnz);
    EXPECT_EQ(total.weights, want_total.weights);
  };
  Sweep(c);
}

// Tables printed to a stream: a write error is TS_E_IO.
void StreamSweep(const char *what, std::function<ts_status(FILE *, ts_error *)> print) {
  ts_test::TestDir dir("fault_stream");
  const std::string path = dir.str() + "/out.txt", ref = dir.str() + "/ref.txt";
  {
    FILE *f = std::fopen(ref.c_str(), "w");
    ASSERT_NE(f, nullptr);
    ts_error e{};
    ASSERT_EQ(print(f, &e), TS_OK) << e.msg;
    std::fclose(f);
  }
  FILE *f = nullptr;
  Case c{what, kIo, TS_E_IO, [&](ts_error *e) { return print(f, e); }};
  c.setup = [&] {
    if (f) std::fclose(f);
    f = std::fopen(path.c_str(), "w");
    ASSERT_NE(f, nullptr);
  };
  c.on_ok = [&] {
    std::fclose(f);
    f = nullptr;
    EXPECT_EQ(fault::ReadFile(path), fault::ReadFile(ref));
  };
  Sweep(c);
  if (f) std::fclose(f);
}

// Tables written atomically: a failure keeps the old file.
void FileSweep(const char *what, fault::Kind kind, ts_status want,
               std::function<ts_status(const char *, ts_error *)> write) {
  ts_test::TestDir dir("fault_table");
  const std::string path = dir.str() + "/t.out", ref = dir.str() + "/ref.out", old = "old\n";
  ts_error e0{};
  ASSERT_EQ(write(ref.c_str(), &e0), TS_OK) << e0.msg;
  Case c{what, kind, want, [&](ts_error *e) { return write(path.c_str(), e); }};
  c.setup = [&] { fault::WriteFile(path, old); };
  c.on_fail = [&](ts_status) { fault::ExpectKept(dir.str(), path, old); };
  c.on_ok = [&] { EXPECT_EQ(fault::ReadFile(path), fault::ReadFile(ref)); };
  Sweep(c);
}

class FaultTables : public testing::Test {
 protected:
  void SetUp() override {
    ts_error e{};
    ASSERT_EQ(ts_profile_compute(&a_, 8, &prof_, &e), TS_OK) << e.msg;
    for (int i = 0; i < 2; i++)
      ASSERT_EQ(ts_profile_quant_mem(&a_, 4 * (i + 1), TS_QUANT_PER_CHANNEL, &qm_[i], &e), TS_OK)
          << e.msg;
  }
  const ts_arch a_ = ts_test::StripesArch();
  ts_profile prof_;
  ts_quant_mem qm_[2];
};

TEST_F(FaultTables, Profile) {
  StreamSweep("ts_profile_print", [&](FILE *f, ts_error *e) { return ts_profile_print(f, &prof_, e); });
  for (fault::Kind k : {kAlloc, kIo}) {
    const ts_status want = k == kAlloc ? TS_E_NOMEM : TS_E_IO;
    FileSweep("ts_profile_write_csv", k, want,
              [&](const char *p, ts_error *e) { return ts_profile_write_csv(p, &prof_, e); });
    FileSweep("ts_profile_write_json", k, want,
              [&](const char *p, ts_error *e) { return ts_profile_write_json(p, &prof_, e); });
  }
}

TEST_F(FaultTables, QuantMem) {
  StreamSweep("ts_quant_mem_print",
              [&](FILE *f, ts_error *e) { return ts_quant_mem_print(f, qm_, 2, e); });
  for (fault::Kind k : {kAlloc, kIo})
    FileSweep("ts_quant_mem_write_csv", k, k == kAlloc ? TS_E_NOMEM : TS_E_IO,
              [&](const char *p, ts_error *e) { return ts_quant_mem_write_csv(p, qm_, 2, e); });
}

}  // namespace
