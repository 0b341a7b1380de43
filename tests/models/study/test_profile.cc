// Static profile (models/study/ts_profile.c): MACs against the closed forms for
// several architectures, shapes, memory against hand computation, and the
// table / CSV / JSON outputs.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "test_util.h"
#include "ts_profile.h"

namespace {

using ts_test::ReadLines;

// Per-test temporary directory (tests/test_util.h).
class TestDir : public ts_test::TestDir {
 public:
  TestDir() : ts_test::TestDir("profile") {}
};

std::vector<std::string> Split(const std::string &s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string x; std::getline(ss, x, ',');) out.push_back(x);
  if (!s.empty() && s.back() == ',') out.push_back("");
  return out;
}

ts_arch Arch(int c, int h, int w, int classes, int k1, int k2) {
  ts_arch a;
  ts_arch_default(&a, c, h, w, classes);
  a.k1 = k1;
  a.k2 = k2;
  return a;
}

ts_profile Profile(const ts_arch &a, int batch) {
  ts_profile p;
  ts_error err{};
  EXPECT_EQ(ts_profile_compute(&a, batch, &p, &err), TS_OK) << err.msg;
  return p;
}

// Closed forms: conv Cout*Cin*kh*kw*Hout*Wout, fc in*out, with the shapes
// worked out by hand for each case (stride 1, no padding, 2x2 pool floors).
struct MacCase {
  const char *what;
  ts_arch arch;
  long long conv1, conv2, fc1, fc2, fc3;
};

TEST(ProfileMacs, MatchClosedFormsForSeveralArchitectures) {
  const MacCase cases[] = {
      // 32 -5+1-> 28 -pool-> 14 -5+1-> 10 -pool-> 5; fc1 in 16*5*5 = 400
      {"CIFAR k=5,5", Arch(3, 32, 32, 100, 5, 5), 6LL * 3 * 5 * 5 * 28 * 28,
       16LL * 6 * 5 * 5 * 10 * 10, 400LL * 120, 120LL * 84, 84LL * 100},
      // 32 -> 24 -> 12 -> 4 -> 2; fc1 in 16*2*2 = 64
      {"CIFAR k=9,9", Arch(3, 32, 32, 100, 9, 9), 6LL * 3 * 9 * 9 * 24 * 24,
       16LL * 6 * 9 * 9 * 4 * 4, 64LL * 120, 120LL * 84, 84LL * 100},
      // 32 -> 32 -> 16 -> 16 -> 8; fc1 in 16*8*8 = 1024
      {"CIFAR k=1,1", Arch(3, 32, 32, 100, 1, 1), 6LL * 3 * 1 * 1 * 32 * 32,
       16LL * 6 * 1 * 1 * 16 * 16, 1024LL * 120, 120LL * 84, 84LL * 100},
      // 28 -> 24 -> 12 -> 8 -> 4; fc1 in 16*4*4 = 256
      {"MNIST k=5,5", Arch(1, 28, 28, 10, 5, 5), 6LL * 1 * 5 * 5 * 24 * 24,
       16LL * 6 * 5 * 5 * 8 * 8, 256LL * 120, 120LL * 84, 84LL * 10},
      // odd sizes: 31 -> 28 -> 14 -> 11 -> 5 (floor); fc1 in 16*5*5
      {"3x31x31 k=4,4", Arch(3, 31, 31, 100, 4, 4), 6LL * 3 * 4 * 4 * 28 * 28,
       16LL * 6 * 4 * 4 * 11 * 11, 400LL * 120, 120LL * 84, 84LL * 100},
      // k1 = 8, k2 = 3 (ids-style): 32 -> 25 -> 12 -> 10 -> 5
      {"CIFAR k=8,3", Arch(3, 32, 32, 100, 8, 3), 6LL * 3 * 8 * 8 * 25 * 25,
       16LL * 6 * 3 * 3 * 10 * 10, 400LL * 120, 120LL * 84, 84LL * 100},
  };
  for (const MacCase &c : cases) {
    const ts_profile p = Profile(c.arch, 1);
    const long long want[5] = {c.conv1, c.conv2, c.fc1, c.fc2, c.fc3};
    long long total = 0, got_total = 0;
    int layer = 0;
    for (int i = 0; i < p.n_ops; i++) {
      const ts_profile_op &o = p.op[i];
      if (o.kind == TS_OP_RELU || o.kind == TS_OP_POOL) {
        EXPECT_EQ(o.macs, 0) << c.what << " " << o.name;
        continue;
      }
      ASSERT_LT(layer, 5);
      EXPECT_EQ(o.macs, want[layer]) << c.what << " " << o.name;
      total += want[layer++];
      got_total += o.macs;
    }
    EXPECT_EQ(layer, 5) << c.what;
    EXPECT_EQ(got_total, total) << c.what;
    EXPECT_EQ(p.macs, total) << c.what;
    EXPECT_EQ(ts_arch_macs(&c.arch), total) << c.what;
  }
  EXPECT_EQ(Profile(Arch(3, 32, 32, 100, 5, 5), 1).macs, 659280);
}

TEST(ProfileOps, ShapesKernelsAndParamsOfTheDefaultCifarNet) {
  const ts_profile p = Profile(Arch(3, 32, 32, 100, 5, 5), 1);
  struct Want {
    const char *name;
    ts_op_kind kind;
    int ic, ih, iw, oc, oh, ow, k;
    long long weights, biases;
  } want[] = {
      {"conv1", TS_OP_CONV, 3, 32, 32, 6, 28, 28, 5, 450, 6},
      {"relu1", TS_OP_RELU, 6, 28, 28, 6, 28, 28, 0, 0, 0},
      {"pool1", TS_OP_POOL, 6, 28, 28, 6, 14, 14, 2, 0, 0},
      {"conv2", TS_OP_CONV, 6, 14, 14, 16, 10, 10, 5, 2400, 16},
      {"relu2", TS_OP_RELU, 16, 10, 10, 16, 10, 10, 0, 0, 0},
      {"pool2", TS_OP_POOL, 16, 10, 10, 16, 5, 5, 2, 0, 0},
      {"fc1", TS_OP_FC, 400, 1, 1, 120, 1, 1, 0, 48000, 120},
      {"relu3", TS_OP_RELU, 120, 1, 1, 120, 1, 1, 0, 0, 0},
      {"fc2", TS_OP_FC, 120, 1, 1, 84, 1, 1, 0, 10080, 84},
      {"relu4", TS_OP_RELU, 84, 1, 1, 84, 1, 1, 0, 0, 0},
      {"fc3", TS_OP_FC, 84, 1, 1, 100, 1, 1, 0, 8400, 100},
  };
  ASSERT_EQ(p.n_ops, 11);
  for (int i = 0; i < 11; i++) {
    const ts_profile_op &o = p.op[i];
    const Want &w = want[i];
    EXPECT_STREQ(o.name, w.name);
    EXPECT_EQ(o.kind, w.kind) << w.name;
    EXPECT_EQ(o.in_c, w.ic) << w.name;
    EXPECT_EQ(o.in_h, w.ih) << w.name;
    EXPECT_EQ(o.in_w, w.iw) << w.name;
    EXPECT_EQ(o.out_c, w.oc) << w.name;
    EXPECT_EQ(o.out_h, w.oh) << w.name;
    EXPECT_EQ(o.out_w, w.ow) << w.name;
    EXPECT_EQ(o.k, w.k) << w.name;
    EXPECT_EQ(o.weights, w.weights) << w.name;
    EXPECT_EQ(o.biases, w.biases) << w.name;
  }
  EXPECT_EQ(p.params, 69656); // 456 + 2416 + 48120 + 10164 + 8500
  EXPECT_EQ(p.params, (long long)ts_arch_num_params(&p.arch));
}

// Hand computation for the default CIFAR net, one image, FP32:
// outputs conv1 6*28*28, relu1 same, pool1 6*14*14, conv2 16*10*10, relu2
// same, pool2 16*5*5, fc1 120, relu3 120, fc2 84, relu4 84, fc3 100.
TEST(ProfileMemory, InferenceMatchesHandComputation) {
  const ts_profile p = Profile(Arch(3, 32, 32, 100, 5, 5), 1);
  const long long in = 4 * 3 * 32 * 32; // 12288
  const long long out[11] = {4 * 4704, 4 * 4704, 4 * 1176, 4 * 1600,
                             4 * 1600, 4 * 400,  4 * 120,  4 * 120,
                             4 * 84,   4 * 84,   4 * 100};
  long long sum = in, prev = in;
  for (int i = 0; i < 11; i++) {
    EXPECT_EQ(p.op[i].act_bytes, out[i]) << p.op[i].name;
    EXPECT_EQ(p.op[i].live_bytes, prev + out[i]) << p.op[i].name;
    sum += out[i];
    prev = out[i];
  }
  EXPECT_EQ(p.input_bytes, 12288);
  EXPECT_EQ(p.act_sum_bytes, 71056);
  EXPECT_EQ(sum, 71056);
  EXPECT_EQ(p.act_peak_bytes, 2 * 18816) << "relu1: conv1 output in, out";
  EXPECT_STREQ(p.op[p.act_peak_op].name, "relu1");
  EXPECT_EQ(p.param_bytes, 4 * 69656);
  EXPECT_EQ(p.infer_bytes, 4 * 69656 + 37632);
}

// Batch 64. Saved: input batch; ReLU outputs; pool outputs + int32
// indices; logits. Not saved: conv/fc outputs that feed a ReLU.
TEST(ProfileMemory, TrainingMatchesHandComputation) {
  const int N = 64;
  const ts_profile p = Profile(Arch(3, 32, 32, 100, 5, 5), N);
  const long long saved[11] = {0,          N * 18816LL, N * 2 * 4704LL,
                               0,          N * 6400LL,  N * 2 * 1600LL,
                               0,          N * 480LL,   0,
                               N * 336LL,  N * 400LL};
  long long total_saved = N * 12288LL;
  for (int i = 0; i < 11; i++) {
    EXPECT_EQ(p.op[i].saved_bytes, saved[i]) << p.op[i].name;
    EXPECT_EQ(p.op[i].grad_act_bytes, N * p.op[i].act_bytes) << p.op[i].name;
    total_saved += saved[i];
  }
  EXPECT_EQ(p.input_batch_bytes, 786432);
  EXPECT_EQ(p.saved_bytes, 3284992);
  EXPECT_EQ(total_saved, 3284992);
  EXPECT_EQ(p.op[0].grad_live_bytes, N * 18816LL) << "conv1 needs no dInput";
  EXPECT_EQ(p.grad_act_peak_bytes, N * 2 * 18816LL) << "relu1: dOut + dIn";
  EXPECT_EQ(p.grad_act_sum_bytes, N * (71056LL - 12288));
  EXPECT_EQ(p.grad_w_bytes, 278624);
  EXPECT_EQ(p.momentum_bytes, 278624);
  EXPECT_EQ(p.train_bytes, 3 * 278624LL + 3284992 + 2408448);
  // training figures scale with the batch, model figures do not
  const ts_profile p1 = Profile(Arch(3, 32, 32, 100, 5, 5), 1);
  EXPECT_EQ(p.saved_bytes, N * p1.saved_bytes);
  EXPECT_EQ(p.grad_w_bytes, p1.grad_w_bytes);
}

// ceil(n*B/8) per layer + 4 bytes per scale + 4 per bias, by hand.
TEST(ProfileMemory, QuantizedModelMatchesHandComputation) {
  const ts_arch a = Arch(3, 32, 32, 100, 5, 5);
  const long long biases = 4LL * (6 + 16 + 120 + 84 + 100); // 1304
  struct Case {
    int bits;
    ts_quant_scheme s;
    long long weights, scales;
  } cases[] = {
      {4, TS_QUANT_PER_TENSOR, 225 + 1200 + 24000 + 5040 + 4200, 5 * 4},
      {4, TS_QUANT_PER_CHANNEL, 225 + 1200 + 24000 + 5040 + 4200, 1304},
      // 450*3/8 = 168.75 -> 169; the rest divide exactly
      {3, TS_QUANT_PER_TENSOR, 169 + 900 + 18000 + 3780 + 3150, 20},
      // 450/8 -> 57, 2400/8, 48000/8, 10080/8, 8400/8
      {1, TS_QUANT_PER_CHANNEL, 57 + 300 + 6000 + 1260 + 1050, 1304},
      {8, TS_QUANT_PER_TENSOR, 450 + 2400 + 48000 + 10080 + 8400, 20},
      {16, TS_QUANT_PER_TENSOR, 2 * 69330, 20},
  };
  for (const Case &c : cases) {
    ts_quant_mem m;
    ts_error err{};
    ASSERT_EQ(ts_profile_quant_mem(&a, c.bits, c.s, &m, &err), TS_OK)
        << err.msg;
    long long w = 0, s = 0, b = 0;
    for (int i = 0; i < TS_NUM_LAYERS; i++) {
      w += m.weight_bytes[i];
      s += m.scale_bytes[i];
      b += m.bias_bytes[i];
    }
    EXPECT_EQ(w, c.weights) << c.bits << " bits";
    EXPECT_EQ(s, c.scales) << c.bits << " bits " << ts_quant_scheme_name(c.s);
    EXPECT_EQ(b, biases);
    EXPECT_EQ(m.model_bytes, c.weights + c.scales + biases) << c.bits;
    EXPECT_EQ(m.fp32_bytes, 278624);
    EXPECT_DOUBLE_EQ(m.ratio, 278624.0 / (double)m.model_bytes);
    EXPECT_EQ(m.act_peak_bytes, 37632) << "activations stay FP32";
  }
  ts_quant_mem m;
  ts_error err{};
  EXPECT_EQ(ts_profile_quant_mem(&a, 0, TS_QUANT_PER_TENSOR, &m, &err), TS_E_ARG);
  EXPECT_EQ(ts_profile_quant_mem(&a, 17, TS_QUANT_PER_TENSOR, &m, &err), TS_E_ARG);
  EXPECT_NE(std::strstr(err.msg, "bits = 17"), nullptr) << err.msg;
}

TEST(ProfileOutput, TableNamesEveryLayerAndTheTotals) {
  const ts_profile p = Profile(Arch(3, 32, 32, 100, 5, 5), 32);
  char *buf = nullptr;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  ASSERT_NE(f, nullptr);
  ts_error err{};
  ASSERT_EQ(ts_profile_print(f, &p, &err), TS_OK) << err.msg;
  std::fclose(f);
  const std::string s(buf, len);
  std::free(buf);
  for (const char *want : {"conv1", "relu1", "pool1", "conv2", "pool2", "fc1",
                           "fc2", "fc3", "3x32x32", "6x28x28", "16x5x5",
                           "659,280", "69,656", "352,800", "batch 32",
                           "peak live", "sum of all", "training total"})
    EXPECT_NE(s.find(want), std::string::npos) << "'" << want << "' missing:\n"
                                                << s;
}

TEST(ProfileOutput, CsvHasARowPerOpPlusInputAndTotal) {
  const TestDir tmp;
  const std::string dir = tmp.str();
  const std::string path = dir + "/profile.csv";
  const ts_profile p = Profile(Arch(1, 28, 28, 10, 5, 5), 16);
  ts_error err{};
  ASSERT_EQ(ts_profile_write_csv(path.c_str(), &p, &err), TS_OK) << err.msg;
  const auto lines = ReadLines(path);
  ASSERT_EQ(lines.size(), 14u) << "header + input + 11 ops + total";
  const auto head = Split(lines[0]);
  ASSERT_EQ(head.size(), 21u) << lines[0];
  EXPECT_EQ(head[0], "layer");
  EXPECT_EQ(head[11], "macs");
  EXPECT_EQ(Split(lines[1])[0], "input");
  for (int i = 0; i < 11; i++) {
    const auto row = Split(lines[2 + i]);
    ASSERT_EQ(row.size(), 21u) << lines[2 + i];
    EXPECT_EQ(row[0], p.op[i].name);
    EXPECT_EQ(std::stoll(row[11]), p.op[i].macs) << row[0];
    EXPECT_EQ(std::stoll(row[15]), p.op[i].saved_bytes) << row[0];
    EXPECT_EQ(row[20], "16");
  }
  const auto total = Split(lines[13]);
  EXPECT_EQ(total[0], "total");
  EXPECT_EQ(std::stoll(total[11]), 86400 + 153600 + 30720 + 10080 + 840);
  EXPECT_EQ(std::stoll(total[15]), p.saved_bytes);
  EXPECT_NE(access((path + ".tmp." + std::to_string(getpid())).c_str(), F_OK), 0)
      << "temp file left";
}

TEST(ProfileOutput, JsonParsesAndHoldsOpsAndTotals) {
  const TestDir tmp;
  const std::string dir = tmp.str();
  const std::string path = dir + "/profile.json";
  const ts_profile p = Profile(Arch(3, 32, 32, 100, 5, 5), 64);
  ts_error err{};
  ASSERT_EQ(ts_profile_write_json(path.c_str(), &p, &err), TS_OK) << err.msg;
  std::ifstream f(path);
  const std::string text((std::istreambuf_iterator<char>(f)),
                         std::istreambuf_iterator<char>());
  cJSON *root = cJSON_Parse(text.c_str());
  ASSERT_NE(root, nullptr) << "not JSON:\n" << text;
  const cJSON *ops = cJSON_GetObjectItem(root, "ops");
  ASSERT_TRUE(cJSON_IsArray(ops));
  EXPECT_EQ(cJSON_GetArraySize(ops), 11);
  const cJSON *op0 = cJSON_GetArrayItem(ops, 0);
  EXPECT_STREQ(cJSON_GetObjectItem(op0, "name")->valuestring, "conv1");
  EXPECT_EQ(cJSON_GetArraySize(cJSON_GetObjectItem(op0, "output")), 3);
  const cJSON *t = cJSON_GetObjectItem(root, "totals");
  EXPECT_EQ(cJSON_GetObjectItem(t, "macs")->valuedouble, 659280.0);
  EXPECT_EQ(cJSON_GetObjectItem(t, "train_bytes")->valuedouble,
            (double)p.train_bytes);
  EXPECT_EQ(cJSON_GetObjectItem(root, "batch")->valuedouble, 64.0);
  EXPECT_TRUE(cJSON_IsString(cJSON_GetObjectItem(
      cJSON_GetObjectItem(root, "rules"), "training")));
  cJSON_Delete(root);
}

TEST(ProfileOutput, QuantMemTableAndCsv) {
  const TestDir tmp;
  const std::string dir = tmp.str();
  const ts_arch a = Arch(3, 32, 32, 100, 5, 5);
  ts_quant_mem m[3];
  ts_error err{};
  const int bits[3] = {2, 4, 8};
  for (int i = 0; i < 3; i++)
    ASSERT_EQ(ts_profile_quant_mem(&a, bits[i], TS_QUANT_PER_CHANNEL, &m[i],
                                   &err),
              TS_OK);
  const std::string path = dir + "/quant_mem.csv";
  ASSERT_EQ(ts_quant_mem_write_csv(path.c_str(), m, 3, &err), TS_OK) << err.msg;
  const auto lines = ReadLines(path);
  ASSERT_EQ(lines.size(), 5u) << "header + fp32 + 3 widths";
  EXPECT_EQ(Split(lines[1])[0], "32");
  EXPECT_EQ(std::stoll(Split(lines[1])[5]), 278624);
  EXPECT_EQ(Split(lines[3])[0], "4");
  EXPECT_EQ(Split(lines[3])[1], "per-channel");
  EXPECT_EQ(std::stoll(Split(lines[3])[5]), m[1].model_bytes);
  char *buf = nullptr;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  ASSERT_EQ(ts_quant_mem_print(f, m, 3, &err), TS_OK);
  std::fclose(f);
  const std::string s(buf, len);
  std::free(buf);
  EXPECT_NE(s.find("FP32"), std::string::npos) << s;
  EXPECT_NE(s.find("8-bit"), std::string::npos) << s;
  EXPECT_EQ(ts_quant_mem_write_csv(path.c_str(), m, 0, &err), TS_E_ARG);
}

TEST(ProfileErrors, BadArchBatchAndUnwritablePath) {
  ts_profile p;
  ts_error err{};
  const ts_arch big = Arch(3, 32, 32, 100, 40, 5);
  EXPECT_EQ(ts_profile_compute(&big, 1, &p, &err), TS_E_ARG);
  EXPECT_NE(std::strstr(err.msg, "k1 = 40"), nullptr) << err.msg;
  const ts_arch a = Arch(3, 32, 32, 100, 5, 5);
  EXPECT_EQ(ts_profile_compute(&a, 0, &p, &err), TS_E_ARG);
  EXPECT_NE(std::strstr(err.msg, "batch = 0"), nullptr) << err.msg;
  EXPECT_EQ(ts_profile_compute(nullptr, 1, &p, &err), TS_E_ARG);
  ASSERT_EQ(ts_profile_compute(&a, 1, &p, &err), TS_OK);
  const TestDir tmp;
  const std::string bad = tmp.str() + "/no/such/dir/profile.csv";
  EXPECT_EQ(ts_profile_write_csv(bad.c_str(), &p, &err), TS_E_IO);
  EXPECT_NE(std::strstr(err.msg, "no/such/dir"), nullptr) << err.msg;
  EXPECT_EQ(ts_profile_write_json(bad.c_str(), &p, &err), TS_E_IO);
}

} // namespace
