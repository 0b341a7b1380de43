// models/study: NULL arguments to the pruning, quantization, weight-memory,
// N:M and profile calls.
#include <gtest/gtest.h>

#include <cstdio>
#include <vector>

#include "models/test_args.h"
#include "test_handles.h"
#include "ts_nm.h"
#include "ts_profile.h"
#include "ts_prune.h"
#include "ts_quant.h"
#include "ts_wmem.h"

namespace {

using ts_test::ExpectArg;

TEST(StudyArgs, NullPointersAreArgumentErrors) {
  const ts_arch a = ts_test::TinyArch();
  auto net = ts_test::MakeNet(a, 5);
  std::vector<float> p(ts_net_params_const(net.get()),
                       ts_net_params_const(net.get()) + ts_net_num_params(net.get()));
  std::vector<int32_t> codes(12, 1);
  std::vector<float> scale(4, 0.5f), w(12, 0.25f);
  size_t k;
  int idx, n, m;
  ts_prune_alloc alloc;
  ts_quant_scheme scheme;
  ts_layer_sparsity per[TS_NUM_LAYERS], total;
  ts_wmem_layer wl[TS_NUM_LAYERS], wt;
  ts_wmem_size ws;
  ts_profile prof;
  ts_quant_mem qm;
  const double each[TS_NUM_LAYERS] = {0.5, 0.5, 0.5, 0.5, 0.5};
  ExpectArg("ts_prune_count k", [&](ts_error *e) { return ts_prune_count(4, 0.5, nullptr, e); });
  ExpectArg("ts_prune_tensor w", [&](ts_error *e) { return ts_prune_tensor(nullptr, 4, 0.5, &k, e); });
  ExpectArg("ts_prune_layer_index out", [&](ts_error *e) { return ts_prune_layer_index(&a, "fc1", nullptr, e); });
  ExpectArg("ts_prune_layer_index name", [&](ts_error *e) { return ts_prune_layer_index(&a, nullptr, &idx, e); });
  ExpectArg("ts_prune_params_layer params", [&](ts_error *e) { return ts_prune_params_layer(&a, nullptr, 0, 0.5, e); });
  ExpectArg("ts_prune_params_layer index", [&](ts_error *e) { return ts_prune_params_layer(&a, p.data(), 9, 0.5, e); });
  ExpectArg("ts_prune_params_mask_layers p", [&](ts_error *e) {
    return ts_prune_params_mask_layers(&a, p.data(), nullptr, nullptr, e);
  });
  ExpectArg("ts_prune_params_mask_layers params", [&](ts_error *e) {
    return ts_prune_params_mask_layers(&a, nullptr, each, nullptr, e);
  });
  ExpectArg("ts_prune_alloc_parse out", [&](ts_error *e) { return ts_prune_alloc_parse("local", nullptr, e); });
  ExpectArg("ts_prune_alloc_parse name", [&](ts_error *e) { return ts_prune_alloc_parse(nullptr, &alloc, e); });
  ExpectArg("ts_prune_params_alloc params", [&](ts_error *e) {
    return ts_prune_params_alloc(&a, nullptr, 0.5, TS_PRUNE_GLOBAL, nullptr, e);
  });
  ExpectArg("ts_prune_params_alloc kind", [&](ts_error *e) {
    return ts_prune_params_alloc(&a, p.data(), 0.5, static_cast<ts_prune_alloc>(7), nullptr, e);
  });
  ExpectArg("ts_prune_layer net", [&](ts_error *e) { return ts_prune_layer(nullptr, "fc1", 0.5, e); });
  ExpectArg("ts_prune_net net", [&](ts_error *e) { return ts_prune_net(nullptr, 0.5, e); });
  ExpectArg("ts_prune_stats net", [&](ts_error *e) { return ts_prune_stats(nullptr, per, &total, e); });
  ExpectArg("ts_prune_stats_params params", [&](ts_error *e) {
    return ts_prune_stats_params(&a, nullptr, per, &total, e);
  });
  EXPECT_STREQ(ts_prune_alloc_name(static_cast<ts_prune_alloc>(7)), "?");

  ExpectArg("ts_quant_scheme_parse out", [&](ts_error *e) { return ts_quant_scheme_parse("per-tensor", nullptr, e); });
  ExpectArg("ts_quant_tensor w", [&](ts_error *e) {
    return ts_quant_tensor(nullptr, 3, 4, 4, TS_QUANT_PER_TENSOR, codes.data(), scale.data(), e);
  });
  ExpectArg("ts_quant_codes scale", [&](ts_error *e) {
    return ts_quant_codes(w.data(), 3, 4, 4, TS_QUANT_PER_TENSOR, nullptr, codes.data(), e);
  });
  ExpectArg("ts_quant_codes q", [&](ts_error *e) {
    return ts_quant_codes(w.data(), 3, 4, 4, TS_QUANT_PER_TENSOR, scale.data(), nullptr, e);
  });
  ExpectArg("ts_quant_params params", [&](ts_error *e) {
    return ts_quant_params(&a, nullptr, 4, TS_QUANT_PER_TENSOR, e);
  });
  ExpectArg("ts_quant_net net", [&](ts_error *e) { return ts_quant_net(nullptr, 4, TS_QUANT_PER_TENSOR, e); });
  ExpectArg("ts_quant_mem_print file", [&](ts_error *e) { return ts_quant_mem_print(nullptr, &qm, 1, e); });
  (void)scheme;

  ExpectArg("ts_wmem_measure w", [&](ts_error *e) { return ts_wmem_measure(nullptr, 3, 4, 4, 4, &wl[0], e); });
  ExpectArg("ts_wmem_hw_size out", [&](ts_error *e) { return ts_wmem_hw_size(codes.data(), 3, 4, 4, nullptr, e); });
  ExpectArg("ts_wmem_net params", [&](ts_error *e) {
    return ts_wmem_net(&a, nullptr, 4, TS_QUANT_PER_TENSOR, 4, wl, &wt, e);
  });
  (void)ws;

  ExpectArg("ts_nm_prune_params params", [&](ts_error *e) { return ts_nm_prune_params(&a, nullptr, 2, 4, nullptr, e); });
  ExpectArg("ts_nm_parse text", [&](ts_error *e) { return ts_nm_parse(nullptr, &n, &m, e); });

  ExpectArg("ts_profile_compute out", [&](ts_error *e) { return ts_profile_compute(&a, 8, nullptr, e); });
  ExpectArg("ts_profile_print file", [&](ts_error *e) { return ts_profile_print(nullptr, &prof, e); });
  ExpectArg("ts_profile_write_csv profile", [&](ts_error *e) { return ts_profile_write_csv("/tmp/x", nullptr, e); });
  ExpectArg("ts_profile_write_json profile", [&](ts_error *e) { return ts_profile_write_json("/tmp/x", nullptr, e); });
  ExpectArg("ts_profile_quant_mem out", [&](ts_error *e) {
    return ts_profile_quant_mem(&a, 4, TS_QUANT_PER_TENSOR, nullptr, e);
  });
}

}  // namespace
