// Model weights and checkpoints (models/data/ts_weights.c): PyTorch names and
// layouts, bit-identical round trips, every way a weights file can disagree
// with the architecture, checkpoints, and interop with the PyTorch twin
// (sw/py/tessera_torch.py) in both directions.
#include <cjson/cJSON.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "test_handles.h"
#include "ts_net.h"
#include "ts_weights.h"

namespace fs = std::filesystem;

namespace {

using ts_test::MakeNet;
using ts_test::NetPtr;
using ts_test::RandomImages;

// Odd sizes everywhere, non-square input: catches any mix-up of h and w,
// of in/out channels, or of the flatten order.
ts_arch OddArch() {
  ts_arch a;
  ts_arch_default(&a, 3, 20, 18, 11);
  a.k1 = 3;
  a.k2 = 4;
  a.c1 = 5;
  a.c2 = 7;
  a.f1 = 33;
  a.f2 = 21;
  return a;
}

std::string ArchStr(const ts_arch &a) {
  char *j = ts_weights_arch_json(&a);
  std::string s = j ? j : "(null)";
  free(j);
  return s;
}

bool SameArch(const ts_arch &a, const ts_arch &b) { return ArchStr(a) == ArchStr(b); }

std::vector<float> Params(const ts_net *n) {
  const float *p = ts_net_params_const(n);
  return std::vector<float>(p, p + ts_net_num_params(n));
}

// Index of the first differing float (by bits), or -1.
long FirstBitDiff(const std::vector<float> &a, const std::vector<float> &b) {
  if (a.size() != b.size()) return 0;
  for (size_t i = 0; i < a.size(); i++)
    if (std::memcmp(&a[i], &b[i], sizeof(float))) return (long)i;
  return -1;
}

bool Contains(const char *msg, const std::string &what) {
  return std::strstr(msg, what.c_str()) != nullptr;
}

class Weights : public testing::Test {
 protected:
  void SetUp() override {
    const auto *info = testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::path(testing::TempDir()) /
           (std::string("ts_weights_") + info->name() + "_" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string P(const std::string &name) const { return (dir_ / name).string(); }

  // Loads path; a failure must hand out no network and give a message.
  ts_status Load(const std::string &path, const ts_arch *hint, NetPtr *out = nullptr) {
    ts_net *n = reinterpret_cast<ts_net *>(0x1);
    err_ = ts_error{};
    ts_status s = ts_weights_load(path.c_str(), hint, &n, &err_);
    if (s != TS_OK) {
      EXPECT_EQ(n, nullptr) << "a failed load must not hand out a network";
      EXPECT_NE(err_.msg[0], '\0') << "a failure must come with a message";
      n = nullptr;
    }
    NetPtr p(n);
    if (out) *out = std::move(p);
    return s;
  }

  // The tensors of net as a list for ts_st_write, optionally edited; lets a
  // test write files that the saver itself would refuse.
  struct Tensors {
    std::vector<ts_st_tensor> t;
    std::vector<std::string> names;
  };
  Tensors NetTensors(const ts_net *net) {
    Tensors r;
    r.names.reserve(2 * TS_NUM_LAYERS);
    const float *p = ts_net_params_const(net);
    for (int i = 0; i < TS_NUM_LAYERS; i++) {
      const ts_layer_info *l = ts_net_layer(net, i);
      ts_st_tensor w{}, b{};
      w.name = ts_weights_tensor_name(2 * i);
      b.name = ts_weights_tensor_name(2 * i + 1);
      w.ndim = l->kind == TS_LAYER_CONV ? 4 : 2;
      w.shape[0] = l->out_c;
      w.shape[1] = l->in_c;
      w.shape[2] = w.shape[3] = l->k;
      w.data = p + l->w_off;
      b.ndim = 1;
      b.shape[0] = l->out_c;
      b.data = p + l->b_off;
      r.t.push_back(w);
      r.t.push_back(b);
    }
    return r;
  }
  void Write(const std::string &path, const std::vector<ts_st_tensor> &t,
             const std::vector<ts_st_meta> &m) {
    ts_error e{};
    ASSERT_EQ(ts_st_write(path.c_str(), t.data(), (int)t.size(), m.data(), (int)m.size(), &e),
              TS_OK) << e.msg;
  }

  fs::path dir_;
  ts_error err_{};
};

TEST_F(Weights, SaveLoadIsBitIdenticalAndKeepsArchAndMetadata) {
  const ts_arch a = OddArch();
  NetPtr net = MakeNet(a, 3);
  const ts_st_meta extra[] = {{"dataset", "cifar100"}, {"mean", "0.5071,0.4865,0.4409"},
                              {"epochs", "30"}};
  std::string path = P("w.safetensors");
  ASSERT_EQ(ts_weights_save(net.get(), path.c_str(), extra, 3, &err_), TS_OK) << err_.msg;
  NetPtr back;
  ASSERT_EQ(Load(path, nullptr, &back), TS_OK) << err_.msg;
  EXPECT_TRUE(SameArch(*ts_net_arch(back.get()), a))
      << ArchStr(*ts_net_arch(back.get())) << " vs " << ArchStr(a);
  long d = FirstBitDiff(Params(back.get()), Params(net.get()));
  EXPECT_EQ(d, -1) << "parameter " << d << " differs after the round trip";

  ts_st_file *f = nullptr;
  ASSERT_EQ(ts_st_open(path.c_str(), &f, &err_), TS_OK) << err_.msg;
  for (const auto &m : extra)
    EXPECT_STREQ(ts_st_meta_get(f, m.key), m.value) << "metadata " << m.key;
  EXPECT_STREQ(ts_st_meta_get(f, "format"), "pt");
  ts_arch meta_arch;
  ASSERT_EQ(ts_weights_arch_parse(ts_st_meta_get(f, TS_WEIGHTS_ARCH_KEY), &meta_arch, &err_),
            TS_OK) << err_.msg;
  EXPECT_TRUE(SameArch(meta_arch, a));
  ts_st_close(f);
}

// Names, shapes and contents follow PyTorch's state_dict, written out here
// independently of ts_arch_layers.
TEST_F(Weights, TensorsHavePyTorchNamesLayoutsAndSlices) {
  const ts_arch a = OddArch();
  NetPtr net = MakeNet(a, 5);
  std::string path = P("w.safetensors");
  ASSERT_EQ(ts_weights_save(net.get(), path.c_str(), nullptr, 0, &err_), TS_OK) << err_.msg;
  // 20x18 -k3-> 18x16 -pool-> 9x8 -k4-> 6x5 -pool-> 3x2: fc1 sees 7*3*2.
  const int flat = a.c2 * 3 * 2;
  struct Want {
    const char *name;
    std::vector<int64_t> shape;
  } want[] = {{"conv1.weight", {a.c1, a.in_c, a.k1, a.k1}}, {"conv1.bias", {a.c1}},
              {"conv2.weight", {a.c2, a.c1, a.k2, a.k2}},   {"conv2.bias", {a.c2}},
              {"fc1.weight", {a.f1, flat}},                 {"fc1.bias", {a.f1}},
              {"fc2.weight", {a.f2, a.f1}},                 {"fc2.bias", {a.f2}},
              {"fc3.weight", {a.classes, a.f2}},            {"fc3.bias", {a.classes}}};
  ts_st_file *f = nullptr;
  ASSERT_EQ(ts_st_open(path.c_str(), &f, &err_), TS_OK) << err_.msg;
  ASSERT_EQ(ts_st_num_tensors(f), 10);
  const float *p = ts_net_params_const(net.get());
  size_t off = 0;  // state_dict order = order of the flat parameters
  for (int i = 0; i < 10; i++) {
    const ts_st_tensor *t = ts_st_tensor_at(f, i);
    EXPECT_STREQ(t->name, want[i].name) << "tensor " << i;
    EXPECT_STREQ(ts_weights_tensor_name(i), want[i].name);
    ASSERT_EQ(t->ndim, (int)want[i].shape.size()) << want[i].name;
    size_t n = 1;
    for (int dd = 0; dd < t->ndim; dd++) {
      EXPECT_EQ(t->shape[dd], want[i].shape[dd]) << want[i].name << " dim " << dd;
      n *= (size_t)want[i].shape[dd];
    }
    EXPECT_EQ(std::memcmp(t->data, p + off, n * sizeof(float)), 0)
        << want[i].name << " is not the slice at offset " << off;
    off += n;
  }
  EXPECT_EQ(off, ts_net_num_params(net.get()));
  EXPECT_EQ(ts_weights_tensor_name(10), nullptr);
  ts_st_close(f);
}

TEST_F(Weights, ArchJsonRoundTripsAndRejectsMalformedText) {
  const ts_arch a = OddArch();
  ts_arch b;
  std::string j = ArchStr(a);
  ASSERT_EQ(ts_weights_arch_parse(j.c_str(), &b, &err_), TS_OK) << err_.msg;
  EXPECT_TRUE(SameArch(a, b)) << j;
  const std::string ok = R"("in_c":3,"in_h":20,"in_w":18,"k1":3,"k2":4,"c1":5,"c2":7,"f1":33,"f2":21)";
  struct Case {
    std::string json, expect;
  } cases[] = {
      {"not json", "not valid JSON"},
      {"[1,2]", "not valid JSON"},
      {"{" + ok + "}", "lacks field \"classes\""},
      {"{" + ok + ",\"classes\":\"11\"}", "\"classes\" is not an integer"},
      {"{" + ok + ",\"classes\":11.5}", "\"classes\" is not an integer"},
      {"{" + ok + ",\"classes\":1e30}", "\"classes\" is not an integer"},
      {"{" + ok + ",\"classes\":11,\"stride\":2}", "unknown field \"stride\""},
      {"{" + ok + ",\"classes\":0}", "not a valid architecture"},
  };
  for (const auto &c : cases) {
    err_ = ts_error{};
    b = ts_arch{};
    EXPECT_EQ(ts_weights_arch_parse(c.json.c_str(), &b, &err_), TS_E_FORMAT) << c.json;
    EXPECT_TRUE(Contains(err_.msg, c.expect)) << c.json << " -> " << err_.msg;
    EXPECT_EQ(b.in_c, 0) << "output written on failure";
  }
}

TEST_F(Weights, MalformedArchMetadataIsRejected) {
  NetPtr net = MakeNet(OddArch(), 1);
  Tensors t = NetTensors(net.get());
  std::string path = P("w.safetensors");
  Write(path, t.t, {{TS_WEIGHTS_ARCH_KEY, "{\"in_c\":3}"}});
  EXPECT_EQ(Load(path, nullptr), TS_E_FORMAT);
  EXPECT_TRUE(Contains(err_.msg, path) && Contains(err_.msg, "tessera.arch") &&
              Contains(err_.msg, "lacks field \"in_h\"")) << err_.msg;
  // Valid arch text that disagrees with the tensors: a shape error.
  ts_arch other = OddArch();
  other.f1 = 34;
  const std::string other_json = ArchStr(other);
  Write(path, t.t, {{TS_WEIGHTS_ARCH_KEY, other_json.c_str()}});
  EXPECT_EQ(Load(path, nullptr), TS_E_SHAPE);
  EXPECT_TRUE(Contains(err_.msg, "'fc1.weight' has shape [33, 42]; the architecture expects "
                                 "[34, 42]")) << err_.msg;
}

// One defect at a time in an otherwise valid file (with "tessera.arch").
TEST_F(Weights, FilesThatDisagreeWithTheArchitectureAreRejected) {
  const ts_arch a = OddArch();
  NetPtr net = MakeNet(a, 2);
  const std::string aj = ArchStr(a);
  const std::string path = P("bad.safetensors");
  std::vector<float> poisoned(Params(net.get()));

  struct Case {
    const char *what;
    ts_status status;
    std::vector<std::string> expect;
  };
  auto check = [&](const Case &c, const std::vector<ts_st_tensor> &t) {
    Write(path, t, {{TS_WEIGHTS_ARCH_KEY, aj.c_str()}});
    EXPECT_EQ(Load(path, nullptr), c.status) << c.what << ": " << err_.msg;
    for (const auto &e : c.expect)
      EXPECT_TRUE(Contains(err_.msg, e)) << c.what << ": message lacks \"" << e
                                         << "\": " << err_.msg;
  };

  Tensors t = NetTensors(net.get());
  auto drop = t.t;
  drop.erase(drop.begin() + 7);  // fc2.bias
  check({"missing tensor", TS_E_FORMAT, {path, "'fc2.bias' is missing", "[21]"}}, drop);

  auto extra = t.t;
  float one = 1.f;
  extra.push_back({"fc4.weight", 1, {1, 0, 0, 0}, &one});
  check({"unexpected tensor", TS_E_FORMAT, {"unexpected tensor 'fc4.weight'"}}, extra);

  auto shape = t.t;
  shape[2].shape[1] = 4;  // conv2.weight in-channels 5 -> 4 (smaller, data fits)
  shape[2].shape[0] = 7;
  check({"wrong shape", TS_E_SHAPE,
         {"'conv2.weight' has shape [7, 4, 4, 4]", "expects [7, 5, 4, 4]"}}, shape);

  auto rank = t.t;
  rank[4].ndim = 1;
  rank[4].shape[0] = 33 * 42;
  check({"wrong rank", TS_E_SHAPE, {"'fc1.weight' has shape [1386]", "expects [33, 42]"}}, rank);

  const ts_layer_info *fc1 = ts_net_layer(net.get(), 2);
  poisoned[fc1->w_off + 2 * 42 + 5] = std::numeric_limits<float>::quiet_NaN();
  auto nan = t.t;
  nan[4].data = poisoned.data() + fc1->w_off;
  check({"NaN", TS_E_NONFINITE, {"'fc1.weight' element 89 [2][5] is NaN"}}, nan);

  const ts_layer_info *fc3 = ts_net_layer(net.get(), 4);
  poisoned[fc3->b_off + 10] = -std::numeric_limits<float>::infinity();
  auto inf = t.t;
  inf[9].data = poisoned.data() + fc3->b_off;
  check({"-Inf", TS_E_NONFINITE, {"'fc3.bias' element 10 [10] is -Inf"}}, inf);
}

TEST_F(Weights, TruncatedAndGarbageFilesGiveErrors) {
  NetPtr net = MakeNet(OddArch(), 4);
  std::string good = P("w.safetensors"), cut = P("cut.safetensors");
  ASSERT_EQ(ts_weights_save(net.get(), good.c_str(), nullptr, 0, &err_), TS_OK) << err_.msg;
  std::ifstream in(good, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  for (size_t len : {size_t(0), size_t(5), size_t(100), bytes.size() / 2, bytes.size() - 1}) {
    std::ofstream(cut, std::ios::binary | std::ios::trunc).write(bytes.data(), (long)len);
    EXPECT_EQ(Load(cut, nullptr), TS_E_FORMAT) << "truncated to " << len << ": " << err_.msg;
  }
  std::ofstream(cut, std::ios::binary | std::ios::trunc) << "PK\x03\x04 this is a zip file";
  EXPECT_EQ(Load(cut, nullptr), TS_E_FORMAT) << err_.msg;
  EXPECT_EQ(Load(P("absent.safetensors"), nullptr), TS_E_IO) << err_.msg;
}

TEST_F(Weights, SaveRefusesNonFiniteAndReservedKeysAndKeepsTheOldFile) {
  NetPtr net = MakeNet(OddArch(), 6);
  std::string path = P("w.safetensors");
  ASSERT_EQ(ts_weights_save(net.get(), path.c_str(), nullptr, 0, &err_), TS_OK) << err_.msg;
  std::vector<float> before = Params(net.get());

  const ts_st_meta reserved[] = {{TS_WEIGHTS_ARCH_KEY, "{}"}};
  EXPECT_EQ(ts_weights_save(net.get(), path.c_str(), reserved, 1, &err_), TS_E_ARG);
  EXPECT_TRUE(Contains(err_.msg, "reserved")) << err_.msg;

  const ts_layer_info *c1 = ts_net_layer(net.get(), 0);
  ts_net_params(net.get())[c1->w_off + 7] = std::numeric_limits<float>::infinity();
  EXPECT_EQ(ts_weights_save(net.get(), path.c_str(), nullptr, 0, &err_), TS_E_NONFINITE);
  EXPECT_TRUE(Contains(err_.msg, "'conv1.weight' element 7 [0][0][2][1] is +Inf")) << err_.msg;

  NetPtr back;
  ASSERT_EQ(Load(path, nullptr, &back), TS_OK) << "old file damaged: " << err_.msg;
  EXPECT_EQ(FirstBitDiff(Params(back.get()), before), -1);

  std::string nodir = P("missing/dir/w.safetensors");
  ts_net_params(net.get())[c1->w_off + 7] = 0.f;
  EXPECT_EQ(ts_weights_save(net.get(), nodir.c_str(), nullptr, 0, &err_), TS_E_IO);
  EXPECT_TRUE(Contains(err_.msg, "missing/dir")) << err_.msg;
}

TEST_F(Weights, FileWithoutArchNeedsAHintAndDerivesTheRest) {
  const ts_arch a = OddArch();
  NetPtr net = MakeNet(a, 8);
  Tensors t = NetTensors(net.get());
  std::string path = P("torch_export.safetensors");
  Write(path, t.t, {{"format", "pt"}});

  EXPECT_EQ(Load(path, nullptr), TS_E_ARG);
  EXPECT_TRUE(Contains(err_.msg, "hint")) << err_.msg;

  ts_arch hint{};
  hint.in_c = a.in_c;
  hint.in_h = a.in_h;
  hint.in_w = a.in_w;  // classes 0: from the file
  NetPtr back;
  ASSERT_EQ(Load(path, &hint, &back), TS_OK) << err_.msg;
  EXPECT_TRUE(SameArch(*ts_net_arch(back.get()), a)) << ArchStr(*ts_net_arch(back.get()));
  EXPECT_EQ(FirstBitDiff(Params(back.get()), Params(net.get())), -1);

  hint.classes = 12;
  EXPECT_EQ(Load(path, &hint), TS_E_SHAPE);
  EXPECT_TRUE(Contains(err_.msg, "11 classes")) << err_.msg;

  hint.classes = a.classes;
  hint.in_c = 1;  // grey images offered a colour network
  EXPECT_EQ(Load(path, &hint), TS_E_SHAPE);
  EXPECT_TRUE(Contains(err_.msg, "'conv1.weight' has shape [5, 3, 3, 3]; the architecture "
                                 "expects [5, 1, 3, 3]")) << err_.msg;

  hint.in_c = 3;
  hint.in_h = 28;  // a different image size: fc1 no longer fits
  EXPECT_EQ(Load(path, &hint), TS_E_SHAPE);
  EXPECT_TRUE(Contains(err_.msg, "'fc1.weight'")) << err_.msg;

  hint.in_h = 4;  // too small for the kernels at all
  EXPECT_EQ(Load(path, &hint), TS_E_SHAPE);
  EXPECT_TRUE(Contains(err_.msg, "no valid architecture")) << err_.msg;

  auto nonsquare = t.t;
  nonsquare[0].shape[3] = 1;
  nonsquare[0].shape[2] = 9;  // 5*3*9*1 = 5*3*3*3 floats
  Write(path, nonsquare, {});
  hint.in_h = a.in_h;
  EXPECT_EQ(Load(path, &hint), TS_E_SHAPE);
  EXPECT_TRUE(Contains(err_.msg, "non-square")) << err_.msg;
}

TEST_F(Weights, HintMustAgreeWithStoredArch) {
  NetPtr net = MakeNet(OddArch(), 9);
  std::string path = P("w.safetensors");
  ASSERT_EQ(ts_weights_save(net.get(), path.c_str(), nullptr, 0, &err_), TS_OK) << err_.msg;
  ts_arch hint;
  ts_arch_default(&hint, 1, 28, 28, 10);  // Fashion-MNIST offered a CIFAR-like model
  EXPECT_EQ(Load(path, &hint), TS_E_SHAPE);
  EXPECT_TRUE(Contains(err_.msg, "3x20x18 inputs and 11 classes") &&
              Contains(err_.msg, "1x28x28 inputs and 10 classes")) << err_.msg;
  ts_arch_default(&hint, 3, 20, 18, 11);  // matches; widths in the hint are ignored
  EXPECT_EQ(Load(path, &hint), TS_OK) << err_.msg;
}

// ---- Checkpoints -------------------------------------------------------------

class Checkpoint : public Weights {
 protected:
  void SetUp() override {
    Weights::SetUp();
    arch_ = OddArch();
    n_ = ts_arch_num_params(&arch_);
    std::mt19937 g(13);
    std::normal_distribution<float> d(0.f, 0.1f);
    params_.resize(n_);
    mom_.resize(n_);
    for (auto &v : params_) v = d(g);
    for (auto &v : mom_) v = d(g);
    st_.epoch = 17;
    st_.iteration = 123456789012LL;
    st_.rng[0] = 0x0123456789abcdefULL;
    st_.rng[1] = 0xfedcba9876543210ULL;
    st_.rng[2] = 0;
    st_.rng[3] = ~0ULL;
    st_.lr = 0.1 * std::pow(0.5, 3) / 3.0;  // needs all 17 digits
    st_.best_accuracy = 0.4321;
  }
  ts_status Save(const std::string &path) {
    err_ = ts_error{};
    return ts_weights_save_checkpoint(path.c_str(), &arch_, params_.data(), mom_.data(), n_,
                                      &st_, nullptr, 0, &err_);
  }
  ts_arch arch_;
  size_t n_ = 0;
  std::vector<float> params_, mom_;
  ts_train_state st_{};
};

TEST_F(Checkpoint, RoundTripRestoresEverythingExactly) {
  std::string path = P("ckpt.safetensors");
  ASSERT_EQ(Save(path), TS_OK) << err_.msg;
  std::vector<float> p(n_, -7.f), m(n_, -7.f);
  ts_train_state st{};
  ASSERT_EQ(ts_weights_load_checkpoint(path.c_str(), &arch_, p.data(), m.data(), n_, &st, &err_),
            TS_OK) << err_.msg;
  EXPECT_EQ(FirstBitDiff(p, params_), -1) << "params";
  EXPECT_EQ(FirstBitDiff(m, mom_), -1) << "momentum";
  EXPECT_EQ(st.epoch, st_.epoch);
  EXPECT_EQ(st.iteration, st_.iteration);
  for (int i = 0; i < 4; i++) EXPECT_EQ(st.rng[i], st_.rng[i]) << "rng word " << i;
  EXPECT_EQ(st.lr, st_.lr) << "lr differs by " << st.lr - st_.lr;
  EXPECT_EQ(st.best_accuracy, st_.best_accuracy);

  // Momentum is optional on load, and a checkpoint also loads as weights.
  std::vector<float> p2(n_);
  ASSERT_EQ(ts_weights_load_checkpoint(path.c_str(), &arch_, p2.data(), nullptr, n_, &st, &err_),
            TS_OK) << err_.msg;
  EXPECT_EQ(FirstBitDiff(p2, params_), -1);
  NetPtr net;
  ASSERT_EQ(Load(path, nullptr, &net), TS_OK) << err_.msg;
  EXPECT_EQ(FirstBitDiff(Params(net.get()), params_), -1);
}

TEST_F(Checkpoint, BadCheckpointsAreRejectedAndOutputsUntouched) {
  std::string path = P("ckpt.safetensors");
  std::vector<float> p(n_, -7.f), m(n_, -7.f);
  ts_train_state st{};
  auto load = [&](const ts_arch &a) {
    err_ = ts_error{};
    return ts_weights_load_checkpoint(path.c_str(), &a, p.data(), m.data(), n_, &st, &err_);
  };
  auto untouched = [&](const char *what) {
    EXPECT_EQ(p[0], -7.f) << what << ": params written on failure";
    EXPECT_EQ(m[0], -7.f) << what << ": momentum written on failure";
    EXPECT_EQ(st.epoch, 0) << what << ": state written on failure";
  };

  // A weights-only file is not a checkpoint.
  ASSERT_EQ(ts_weights_save_params(&arch_, params_.data(), n_, path.c_str(), nullptr, 0, &err_),
            TS_OK) << err_.msg;
  EXPECT_EQ(load(arch_), TS_E_FORMAT);
  EXPECT_TRUE(Contains(err_.msg, "not a Tessera checkpoint")) << err_.msg;
  untouched("weights file");

  // Another architecture.
  ASSERT_EQ(Save(path), TS_OK) << err_.msg;
  ts_arch other = arch_;
  other.f2 = 20;
  EXPECT_EQ(load(other), TS_E_SHAPE);
  EXPECT_TRUE(Contains(err_.msg, "\"f2\":21") && Contains(err_.msg, "\"f2\":20")) << err_.msg;
  untouched("other arch");

  // Malformed state values, one key at a time.
  NetPtr net = MakeNet(arch_, 1);
  Tensors t = NetTensors(net.get());
  std::vector<ts_st_tensor> all = t.t;
  std::vector<std::string> mnames;
  for (int i = 0; i < 10; i++) mnames.push_back(std::string("momentum.") + t.t[i].name);
  for (int i = 0; i < 10; i++) {
    ts_st_tensor x = t.t[i];
    x.name = mnames[i].c_str();
    all.push_back(x);
  }
  const std::string aj = ArchStr(arch_);
  const char *good[][2] = {{"tessera.ckpt.epoch", "3"},
                           {"tessera.ckpt.iteration", "99"},
                           {"tessera.ckpt.rng", "0000000000000001,0000000000000002,"
                                                "0000000000000003,0000000000000004"},
                           {"tessera.ckpt.lr", "0.01"},
                           {"tessera.ckpt.best_accuracy", "0.5"}};
  struct Bad {
    int key;
    const char *value, *expect;
  } bad[] = {{0, "abc", "epoch' = 'abc'"},
             {0, "-1", "epoch' = '-1'"},
             {0, "99999999999", "in range"},
             {1, "12x", "iteration' = '12x'"},
             {2, "1,2,3,4", "16-digit"},
             {2, "0000000000000001,0000000000000002,0000000000000003", "16-digit"},
             {3, "nan", "lr' = 'nan' is not a finite number"},
             {4, "", "best_accuracy' = ''"},
             {-1, nullptr, "metadata 'tessera.ckpt.lr' is missing"}};
  for (const Bad &b : bad) {
    std::vector<ts_st_meta> meta = {{TS_WEIGHTS_ARCH_KEY, aj.c_str()}};
    for (int k = 0; k < 5; k++) {
      if (b.key == -1 && k == 3) continue;  // drop lr
      meta.push_back({good[k][0], k == b.key ? b.value : good[k][1]});
    }
    Write(path, all, meta);
    EXPECT_EQ(load(arch_), TS_E_FORMAT) << b.expect;
    EXPECT_TRUE(Contains(err_.msg, b.expect)) << "message lacks \"" << b.expect
                                              << "\": " << err_.msg;
    untouched(b.expect);
  }

  // Momentum requested but absent; then NaN in the momentum.
  std::vector<ts_st_meta> meta = {{TS_WEIGHTS_ARCH_KEY, aj.c_str()}};
  for (auto &g : good) meta.push_back({g[0], g[1]});
  Write(path, t.t, meta);
  EXPECT_EQ(load(arch_), TS_E_FORMAT);
  EXPECT_TRUE(Contains(err_.msg, "'momentum.conv1.weight' is missing")) << err_.msg;
  untouched("no momentum");
  std::vector<float> nanbuf(t.t[5].shape[0], 0.f);
  nanbuf[3] = std::nanf("");
  all[15].data = nanbuf.data();  // momentum.fc1.bias
  Write(path, all, meta);
  EXPECT_EQ(load(arch_), TS_E_NONFINITE);
  EXPECT_TRUE(Contains(err_.msg, "'momentum.fc1.bias' element 3")) << err_.msg;
  untouched("NaN momentum");
}

TEST_F(Checkpoint, SaveRejectsBadArguments) {
  std::string path = P("ckpt.safetensors");
  ts_train_state bad = st_;
  bad.lr = INFINITY;
  EXPECT_EQ(ts_weights_save_checkpoint(path.c_str(), &arch_, params_.data(), mom_.data(), n_,
                                       &bad, nullptr, 0, &err_), TS_E_ARG);
  EXPECT_EQ(ts_weights_save_checkpoint(path.c_str(), &arch_, params_.data(), mom_.data(), n_ - 1,
                                       &st_, nullptr, 0, &err_), TS_E_ARG);
  EXPECT_TRUE(Contains(err_.msg, std::to_string(n_))) << err_.msg;
  mom_[5] = NAN;
  EXPECT_EQ(Save(path), TS_E_NONFINITE);
  EXPECT_TRUE(Contains(err_.msg, "'momentum.conv1.weight' element 5")) << err_.msg;
  const ts_st_meta clash[] = {{"tessera.ckpt.epoch", "1"}};
  mom_[5] = 0;
  EXPECT_EQ(ts_weights_save_checkpoint(path.c_str(), &arch_, params_.data(), mom_.data(), n_,
                                       &st_, clash, 1, &err_), TS_E_ARG);
  EXPECT_FALSE(fs::exists(path));
}

// ---- Interop with PyTorch (sw/py/tessera_torch.py) ---------------------------

const char *kPython = "/usr/bin/python3";

// The script, from $TESSERA_ROOT, the working directory, or the binary's
// place in the tree (build/<cfg>/tests/<bin>).
std::string FindScript() {
  std::vector<fs::path> roots;
  if (const char *r = std::getenv("TESSERA_ROOT")) roots.push_back(r);
  roots.push_back(fs::current_path());
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) roots.push_back(exe.parent_path() / ".." / ".." / "..");
  for (const auto &r : roots)
    if (fs::exists(r / "sw/py/tessera_torch.py")) return (r / "sw/py/tessera_torch.py").string();
  return "";
}

struct PyRun {
  int code = -1;
  std::string out, err;
};

PyRun RunPython(const std::string &args, const fs::path &errfile) {
  PyRun r;
  std::string cmd = std::string(kPython) + " " + args + " 2>'" + errfile.string() + "'";
  FILE *p = popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int st = pclose(p);
  r.code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  std::ifstream e(errfile);
  r.err.assign(std::istreambuf_iterator<char>(e), {});
  return r;
}

// logits [n][classes] from the script's JSON.
std::vector<float> ParseLogits(const std::string &json, int n, int classes) {
  std::vector<float> out;
  cJSON *root = cJSON_Parse(json.c_str());
  const cJSON *rows = cJSON_GetObjectItemCaseSensitive(root, "logits");
  if (cJSON_GetArraySize(rows) == n) {
    const cJSON *row;
    cJSON_ArrayForEach(row, rows) {
      if (cJSON_GetArraySize(row) != classes) break;
      const cJSON *v;
      cJSON_ArrayForEach(v, row) out.push_back((float)v->valuedouble);
    }
  }
  cJSON_Delete(root);
  return out;
}

// Largest difference relative to the largest PyTorch logit.
void ExpectLogitsAgree(const std::vector<float> &ts, const std::vector<float> &pt, int classes) {
  ASSERT_EQ(ts.size(), pt.size()) << "PyTorch gave " << pt.size() << " logits, Tessera "
                                  << ts.size();
  double scale = 0, worst = 0;
  size_t at = 0;
  for (float v : pt) scale = std::max(scale, (double)std::fabs(v));
  for (size_t i = 0; i < ts.size(); i++) {
    double d = std::fabs((double)ts[i] - pt[i]);
    if (!(d <= worst)) worst = d, at = i;
  }
  double rel = worst / std::max(scale, 1e-30);
  EXPECT_LE(rel, 1e-4) << "logit [" << at / classes << "][" << at % classes << "]: Tessera "
                       << ts[at] << ", PyTorch " << pt[at] << " (abs diff " << worst
                       << ", max |logit| " << scale << ")";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", rel);
  testing::Test::RecordProperty("max_rel_diff", buf);
}

class WeightsInterop : public Weights {
 protected:
  void SetUp() override {
    Weights::SetUp();
    if (access(kPython, X_OK) != 0) GTEST_SKIP() << kPython << " not found";
    script_ = FindScript();
    ASSERT_FALSE(script_.empty()) << "sw/py/tessera_torch.py not found; set TESSERA_ROOT";
  }
  // Writes images x [n][c][h][w] as tensor "x" for the script's --input.
  std::string WriteInput(const ts_arch &a, const std::vector<float> &x, int n) {
    std::string path = P("x.safetensors");
    ts_st_tensor t{"x", 4, {n, a.in_c, a.in_h, a.in_w}, x.data()};
    EXPECT_EQ(ts_st_write(path.c_str(), &t, 1, nullptr, 0, &err_), TS_OK) << err_.msg;
    return path;
  }
  // Runs the script; false (with a skip) when numpy/torch are missing.
  bool Python(const std::string &args, PyRun *r) {
    *r = RunPython("'" + script_ + "' " + args, dir_ / "stderr.txt");
    if (r->code == 77) {
      skip_ = r->err;
      return false;
    }
    EXPECT_EQ(r->code, 0) << "tessera_torch.py " << args << " failed:\n" << r->err;
    return r->code == 0;
  }
  std::vector<float> Forward(const ts_net *net, const std::vector<float> &x, int n) {
    std::vector<float> y((size_t)n * ts_net_arch(net)->classes);
    EXPECT_EQ(ts_net_forward(net, x.data(), n, y.data(), 1, &err_), TS_OK) << err_.msg;
    return y;
  }
  std::string script_, skip_;
};

TEST_F(WeightsInterop, TesseraSavesPyTorchLoadsStrictAndAgrees) {
  const ts_arch a = OddArch();
  const int n = 5;
  NetPtr net = MakeNet(a, 21);
  std::string path = P("tessera.safetensors");
  ASSERT_EQ(ts_weights_save(net.get(), path.c_str(), nullptr, 0, &err_), TS_OK) << err_.msg;
  std::vector<float> x = RandomImages(a, n, 3);
  std::string xin = WriteInput(a, x, n);
  PyRun r;
  if (!Python("check '" + path + "' --input '" + xin + "'", &r)) {
    if (!skip_.empty()) GTEST_SKIP() << "PyTorch unavailable: " << skip_;
    return;
  }
  std::vector<float> pt = ParseLogits(r.out, n, a.classes);
  ExpectLogitsAgree(Forward(net.get(), x, n), pt, a.classes);
}

TEST_F(WeightsInterop, PyTorchExportLoadsWithAHintAndAgrees) {
  const int n = 4;
  ts_arch hint{};
  hint.in_c = 1;
  hint.in_h = 28;
  hint.in_w = 28;
  hint.classes = 10;
  std::vector<float> x = RandomImages(hint, n, 5);
  std::string xin = WriteInput(hint, x, n), path = P("torch.safetensors");
  PyRun r;
  if (!Python("export '" + path + "' --input-shape 1,28,28 --classes 10 --k1 3 --k2 4 "
              "--seed 5 --input '" + xin + "'", &r)) {
    if (!skip_.empty()) GTEST_SKIP() << "PyTorch unavailable: " << skip_;
    return;
  }
  ts_st_file *f = nullptr;
  ASSERT_EQ(ts_st_open(path.c_str(), &f, &err_), TS_OK) << err_.msg;
  EXPECT_EQ(ts_st_meta_get(f, TS_WEIGHTS_ARCH_KEY), nullptr) << "export should have no arch";
  ts_st_close(f);

  NetPtr net;
  ASSERT_EQ(Load(path, &hint, &net), TS_OK) << err_.msg;
  const ts_arch *a = ts_net_arch(net.get());
  EXPECT_EQ(a->k1, 3);
  EXPECT_EQ(a->k2, 4);
  EXPECT_EQ(a->c1, 6);
  EXPECT_EQ(a->f2, 84);
  ExpectLogitsAgree(Forward(net.get(), x, n), ParseLogits(r.out, n, 10), 10);
}

// The trainer against torch.optim.SGD: the same weights, batch and
// hyper-parameters, several steps (so momentum and weight decay on weights
// and biases all act). The parameters may differ only by float rounding:
// far below the size of the steps themselves, which a wrong loss scale,
// momentum rule or decay on the wrong tensors would not be.
TEST_F(WeightsInterop, SgdStepsMatchPyTorch) {
  const ts_arch a = OddArch();
  const int n = 6, steps = 3;
  const ts_sgd sgd = {0.05f, 0.9f, 5e-3f};
  NetPtr net = MakeNet(a, 31);
  const std::vector<float> before = Params(net.get());
  std::string path = P("start.safetensors");
  ASSERT_EQ(ts_weights_save(net.get(), path.c_str(), nullptr, 0, &err_), TS_OK) << err_.msg;

  std::vector<float> x = RandomImages(a, n, 7);  // [n][c][h][w]
  std::vector<int> y(n);                         // [n]
  std::vector<float> yf(n);
  for (int i = 0; i < n; i++) yf[i] = (float)(y[i] = (i * 7 + 3) % a.classes);
  std::string batch = P("batch.safetensors");
  ts_st_tensor t[2] = {{"x", 4, {n, a.in_c, a.in_h, a.in_w}, x.data()},
                       {"y", 1, {n}, yf.data()}};
  ASSERT_EQ(ts_st_write(batch.c_str(), t, 2, nullptr, 0, &err_), TS_OK) << err_.msg;

  std::string out = P("torch_after.safetensors");
  char flags[160];
  std::snprintf(flags, sizeof flags, " --steps %d --lr %.9g --momentum %.9g --weight-decay %.9g",
                steps, (double)sgd.lr, (double)sgd.momentum, (double)sgd.weight_decay);
  PyRun r;
  if (!Python("sgd '" + path + "' --batch '" + batch + "' --out '" + out + "'" + flags, &r)) {
    if (!skip_.empty()) GTEST_SKIP() << "PyTorch unavailable: " << skip_;
    return;
  }
  ts_trainer *tr = nullptr;
  ASSERT_EQ(ts_trainer_create(net.get(), n, 1, &tr, &err_), TS_OK) << err_.msg;
  ts_test::TrainerPtr trainer(tr);
  for (int s = 0; s < steps; s++) {
    double loss = 0;
    ASSERT_EQ(ts_trainer_step(tr, &sgd, x.data(), y.data(), n, &loss, nullptr, &err_), TS_OK)
        << err_.msg;
  }
  const std::vector<float> ours = Params(net.get());
  ts_arch hint{};
  hint.in_c = a.in_c;
  hint.in_h = a.in_h;
  hint.in_w = a.in_w;
  hint.classes = a.classes;
  NetPtr theirs_net;
  ASSERT_EQ(Load(out, &hint, &theirs_net), TS_OK) << err_.msg;
  const std::vector<float> theirs = Params(theirs_net.get());
  ASSERT_EQ(ours.size(), theirs.size());
  double moved = 0, worst = 0;
  size_t at = 0;
  for (size_t i = 0; i < ours.size(); i++) {
    moved = std::max(moved, (double)std::fabs(theirs[i] - before[i]));
    const double d = std::fabs((double)ours[i] - theirs[i]);
    if (!(d <= worst)) worst = d, at = i;
  }
  ASSERT_GT(moved, 1e-3) << "the steps should move the weights";
  EXPECT_LE(worst, 1e-3 * moved) << "parameter " << at << " after " << steps
                                 << " steps: Tessera " << ours[at] << ", PyTorch "
                                 << theirs[at] << " (started at " << before[at]
                                 << "; largest step of any parameter " << moved << ")";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", worst / moved);
  testing::Test::RecordProperty("max_diff_over_largest_move", buf);
}

}  // namespace
