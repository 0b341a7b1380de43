// models/data under injected faults: safetensors (ts_safetensors.c), weights
// and checkpoints (ts_weights.c) and the dataset loaders (ts_dataset.c).
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstring>
#include <string>
#include <vector>

#include "fault_util.h"
#include "test_handles.h"
#include "test_util.h"
#include "ts_dataset.h"
#include "ts_safetensors.h"
#include "ts_weights.h"

namespace {

using fault::Case;
using fault::kAlloc;
using fault::kIo;
using fault::Sweep;

// cJSON cannot tell "no memory" from "bad JSON" (see fault::Case).
const std::pair<std::string, ts_status> kCjsonParse{"cJSON malloc", TS_E_FORMAT};

// ---- safetensors -------------------------------------------------------------

struct StFixture {
  std::vector<float> a{1.f, -2.f, 3.5f, 4.f, 5.f, 6.f}, b{0.25f};
  int64_t none[TS_ST_MAX_NDIM] = {0};
  ts_st_tensor t[2] = {{"a", 2, {2, 3, 0, 0}, nullptr}, {"b", 0, {0, 0, 0, 0}, nullptr}};
  ts_st_meta m[2] = {{"k1", "v1"}, {"k2", "v2"}};
  StFixture() {
    t[0].data = a.data();
    t[1].data = b.data();
  }
  // The file at path holds exactly these tensors and metadata.
  void Check(const std::string &path) const {
    ts_st_file *f = nullptr;
    ts_error e{};
    ASSERT_EQ(ts_st_open(path.c_str(), &f, &e), TS_OK) << e.msg;
    EXPECT_EQ(ts_st_num_tensors(f), 2);
    EXPECT_STREQ(ts_st_meta_get(f, "k2"), "v2");
    const ts_st_tensor *x = ts_st_find(f, "a");
    ASSERT_NE(x, nullptr);
    EXPECT_EQ(std::vector<float>(x->data, x->data + 6), a);
    ts_st_close(f);
  }
};

void StWriteSweep(fault::Kind kind, ts_status want) {
  ts_test::TestDir dir("fault_stw");
  StFixture fx;
  const std::string path = dir.str() + "/m.safetensors", old = "old contents";
  Case c{"ts_st_write", kind, want, [&](ts_error *e) {
           return ts_st_write(path.c_str(), fx.t, 2, fx.m, 2, e);
         }};
  c.setup = [&] { fault::WriteFile(path, old); };
  c.on_fail = [&](ts_status) { fault::ExpectKept(dir.str(), path, old); };
  c.on_ok = [&] { fx.Check(path); };
  Sweep(c);
}

TEST(FaultSafetensors, WriteAllocationFailures) { StWriteSweep(kAlloc, TS_E_NOMEM); }
TEST(FaultSafetensors, WriteFileFailures) { StWriteSweep(kIo, TS_E_IO); }

void StOpenSweep(fault::Kind kind, ts_status want) {
  ts_test::TestDir dir("fault_sto");
  StFixture fx;
  const std::string path = dir.str() + "/m.safetensors";
  ts_error e{};
  ASSERT_EQ(ts_st_write(path.c_str(), fx.t, 2, fx.m, 2, &e), TS_OK) << e.msg;
  ts_st_file *f = nullptr;
  Case c{"ts_st_open", kind, want, [&](ts_error *err) {
           return ts_st_open(path.c_str(), &f, err);
         }};
  c.also_when = {kCjsonParse};
  c.on_fail = [&](ts_status) { EXPECT_EQ(f, nullptr); };
  c.on_ok = [&] {
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(ts_st_num_meta(f), 2);
    const ts_st_tensor *b = ts_st_find(f, "b");
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(b->data[0], 0.25f);
    ts_st_close(f);
    f = nullptr;
  };
  Sweep(c);
}

TEST(FaultSafetensors, OpenAllocationFailures) { StOpenSweep(kAlloc, TS_E_NOMEM); }
TEST(FaultSafetensors, OpenFileFailures) { StOpenSweep(kIo, TS_E_IO); }

// ---- weights and checkpoints -------------------------------------------------

// The tiny network of the fuzz corpus: 1x12x12 input, 2 classes.
ts_arch Tiny() {
  ts_arch a;
  ts_arch_default(&a, 1, 12, 12, 2);
  a.k1 = 3;
  a.k2 = 2;
  a.c1 = 1;
  a.c2 = 2;
  a.f1 = 3;
  a.f2 = 2;
  return a;
}

std::vector<float> ParamsOf(const ts_net *n) {
  const float *p = ts_net_params_const(n);
  return std::vector<float>(p, p + ts_net_num_params(n));
}

void WeightsSaveSweep(fault::Kind kind, ts_status want) {
  ts_test::TestDir dir("fault_ws");
  const ts_arch a = Tiny();
  auto net = ts_test::MakeNet(a, 7);
  ASSERT_TRUE(net);
  const std::string path = dir.str() + "/w.safetensors", old = "old model";
  const ts_st_meta extra[] = {{"tessera.dataset", "cifar100"}};
  Case c{"ts_weights_save", kind, want, [&](ts_error *e) {
           return ts_weights_save(net.get(), path.c_str(), extra, 1, e);
         }};
  c.setup = [&] { fault::WriteFile(path, old); };
  c.on_fail = [&](ts_status) { fault::ExpectKept(dir.str(), path, old); };
  c.on_ok = [&] {
    ts_net *back = nullptr;
    ts_error e{};
    ASSERT_EQ(ts_weights_load(path.c_str(), nullptr, &back, &e), TS_OK) << e.msg;
    EXPECT_EQ(ParamsOf(back), ParamsOf(net.get()));
    ts_net_destroy(back);
  };
  Sweep(c);
}

TEST(FaultWeights, SaveAllocationFailures) { WeightsSaveSweep(kAlloc, TS_E_NOMEM); }
TEST(FaultWeights, SaveFileFailures) { WeightsSaveSweep(kIo, TS_E_IO); }

void WeightsLoadSweep(fault::Kind kind, ts_status want) {
  ts_test::TestDir dir("fault_wl");
  const ts_arch a = Tiny();
  auto net = ts_test::MakeNet(a, 8);
  ASSERT_TRUE(net);
  const std::string path = dir.str() + "/w.safetensors";
  ts_error e{};
  ASSERT_EQ(ts_weights_save(net.get(), path.c_str(), nullptr, 0, &e), TS_OK) << e.msg;
  ts_net *out = nullptr;
  Case c{"ts_weights_load", kind, want, [&](ts_error *err) {
           return ts_weights_load(path.c_str(), &a, &out, err);
         }};
  c.also_when = {kCjsonParse};
  c.on_fail = [&](ts_status) { EXPECT_EQ(out, nullptr); };
  c.on_ok = [&] {
    ASSERT_NE(out, nullptr);
    EXPECT_EQ(ParamsOf(out), ParamsOf(net.get()));
    ts_net_destroy(out);
    out = nullptr;
  };
  Sweep(c);
}

TEST(FaultWeights, LoadAllocationFailures) { WeightsLoadSweep(kAlloc, TS_E_NOMEM); }
TEST(FaultWeights, LoadFileFailures) { WeightsLoadSweep(kIo, TS_E_IO); }

struct Ckpt {
  ts_arch a = Tiny();
  size_t n = ts_arch_num_params(&a);
  std::vector<float> params, momentum;
  ts_train_state st{};
  Ckpt() : params(n), momentum(n) {
    for (size_t i = 0; i < n; i++) {
      params[i] = 0.01f * (float)i - 0.3f;
      momentum[i] = -0.002f * (float)i;
    }
    st.epoch = 3;
    st.iteration = 1234;
    st.rng[0] = 1, st.rng[1] = 0xfedcba9876543210ull, st.rng[2] = 3, st.rng[3] = 4;
    st.lr = 0.0125;
    st.best_accuracy = 0.625;
  }
  ts_status Save(const std::string &path, ts_error *e) const {
    const ts_st_meta extra[] = {{"tessera.seed", "7"}};
    return ts_weights_save_checkpoint(path.c_str(), &a, params.data(), momentum.data(), n,
                                      &st, extra, 1, e);
  }
};

void CheckpointSaveSweep(fault::Kind kind, ts_status want) {
  ts_test::TestDir dir("fault_cs");
  Ckpt ck;
  const std::string path = dir.str() + "/c.safetensors", old = "old checkpoint";
  Case c{"ts_weights_save_checkpoint", kind, want,
         [&](ts_error *e) { return ck.Save(path, e); }};
  c.setup = [&] { fault::WriteFile(path, old); };
  c.on_fail = [&](ts_status) { fault::ExpectKept(dir.str(), path, old); };
  c.on_ok = [&] {
    std::vector<float> p(ck.n), m(ck.n);
    ts_train_state st{};
    ts_error e{};
    ASSERT_EQ(ts_weights_load_checkpoint(path.c_str(), &ck.a, p.data(), m.data(), ck.n, &st, &e),
              TS_OK) << e.msg;
    EXPECT_EQ(p, ck.params);
    EXPECT_EQ(m, ck.momentum);
    EXPECT_EQ(st.iteration, ck.st.iteration);
  };
  Sweep(c);
}

TEST(FaultCheckpoint, SaveAllocationFailures) { CheckpointSaveSweep(kAlloc, TS_E_NOMEM); }
TEST(FaultCheckpoint, SaveFileFailures) { CheckpointSaveSweep(kIo, TS_E_IO); }

void CheckpointLoadSweep(fault::Kind kind, ts_status want) {
  ts_test::TestDir dir("fault_cl");
  Ckpt ck;
  const std::string path = dir.str() + "/c.safetensors";
  ts_error e0{};
  ASSERT_EQ(ck.Save(path, &e0), TS_OK) << e0.msg;
  // sentinels: a failed load writes none of its outputs
  const std::vector<float> sentinel(ck.n, 42.f);
  std::vector<float> p, m;
  ts_train_state st{};
  Case c{"ts_weights_load_checkpoint", kind, want, [&](ts_error *e) {
           return ts_weights_load_checkpoint(path.c_str(), &ck.a, p.data(), m.data(), ck.n,
                                             &st, e);
         }};
  c.also_when = {kCjsonParse};
  c.setup = [&] {
    p = m = sentinel;
    st = ts_train_state{};
    st.epoch = -5;
  };
  c.on_fail = [&](ts_status) {
    EXPECT_EQ(p, sentinel);
    EXPECT_EQ(m, sentinel);
    EXPECT_EQ(st.epoch, -5);
  };
  c.on_ok = [&] {
    EXPECT_EQ(p, ck.params);
    EXPECT_EQ(m, ck.momentum);
    EXPECT_EQ(st.epoch, 3);
    EXPECT_EQ(st.rng[1], ck.st.rng[1]);
    EXPECT_EQ(st.lr, ck.st.lr);
  };
  Sweep(c);
}

TEST(FaultCheckpoint, LoadAllocationFailures) { CheckpointLoadSweep(kAlloc, TS_E_NOMEM); }
TEST(FaultCheckpoint, LoadFileFailures) { CheckpointLoadSweep(kIo, TS_E_IO); }

// ---- datasets ----------------------------------------------------------------

// CIFAR record i: label byte(s), then 3072 pixel bytes.
std::string CifarRecords(int n, int label_bytes, int seed) {
  std::string s;
  for (int i = 0; i < n; i++) {
    if (label_bytes == 2) s += (char)((i % 100) / 5);
    s += (char)(label_bytes == 2 ? i % 100 : i % 10);
    for (int p = 0; p < 3072; p++) s += (char)((p * 7 + i * 13 + seed) & 255);
  }
  return s;
}

std::string Be32(uint32_t v) {
  return std::string{(char)(v >> 24), (char)(v >> 16), (char)(v >> 8), (char)v};
}

void WriteGz(const std::string &path, const std::string &data) {
  gzFile g = gzopen(path.c_str(), "wb");
  ASSERT_NE(g, nullptr);
  ASSERT_EQ(gzwrite(g, data.data(), (unsigned)data.size()), (int)data.size());
  gzclose(g);
}

// Loads kind from dir with every fault of kind; a good load gives n images.
void DatasetSweep(const char *what, ts_dataset_kind kind, const std::string &dir, int n,
                  int max_n, fault::Kind fk, ts_status want) {
  ts_dataset *ds = nullptr;
  Case c{what, fk, want, [&](ts_error *e) {
           return ts_dataset_load_n(kind, dir.c_str(), TS_SPLIT_TRAIN, 0, max_n, &ds, e);
         }};
  c.setup = [&] { ds = reinterpret_cast<ts_dataset *>(1); };
  c.on_fail = [&](ts_status) { EXPECT_EQ(ds, nullptr); };
  c.on_ok = [&] {
    ASSERT_NE(ds, nullptr);
    EXPECT_EQ(ds->n, n);
    ts_dataset_destroy(ds);
    ds = nullptr;
  };
  Sweep(c);
}

class FaultDataset : public testing::Test {
 protected:
  ts_test::TestDir dir_{"fault_ds"};
  std::string d() const { return dir_.str(); }
};

TEST_F(FaultDataset, Cifar10) {
  for (int i = 1; i <= 5; i++)
    fault::WriteFile(d() + "/data_batch_" + std::to_string(i) + ".bin",
                     CifarRecords(2, 1, i));
  DatasetSweep("cifar10 load", TS_DS_CIFAR10, d(), 10, 0, kAlloc, TS_E_NOMEM);
  DatasetSweep("cifar10 load", TS_DS_CIFAR10, d(), 10, 0, kIo, TS_E_IO);
  DatasetSweep("cifar10 load of 3", TS_DS_CIFAR10, d(), 3, 3, kIo, TS_E_IO);
}

TEST_F(FaultDataset, Cifar100) {
  fault::WriteFile(d() + "/train.bin", CifarRecords(5, 2, 1));
  DatasetSweep("cifar100 load", TS_DS_CIFAR100, d(), 5, 0, kAlloc, TS_E_NOMEM);
  DatasetSweep("cifar100 load", TS_DS_CIFAR100, d(), 5, 0, kIo, TS_E_IO);
}

// IDX images of 4 x 5 x 3 and their labels, plain or gzip'd.
void WriteIdx(const std::string &dir, bool gz) {
  std::string img = Be32(0x803) + Be32(4) + Be32(5) + Be32(3), lbl = Be32(0x801) + Be32(4);
  for (int i = 0; i < 4 * 15; i++) img += (char)(i * 3);
  for (int i = 0; i < 4; i++) lbl += (char)(i % 10);
  if (gz) {
    WriteGz(dir + "/train-images-idx3-ubyte.gz", img);
    WriteGz(dir + "/train-labels-idx1-ubyte.gz", lbl);
  } else {
    fault::WriteFile(dir + "/train-images-idx3-ubyte", img);
    fault::WriteFile(dir + "/train-labels-idx1-ubyte", lbl);
  }
}

TEST_F(FaultDataset, IdxPlain) {
  WriteIdx(d(), false);
  DatasetSweep("idx load", TS_DS_FASHION_MNIST, d(), 4, 0, kAlloc, TS_E_NOMEM);
  DatasetSweep("idx load", TS_DS_FASHION_MNIST, d(), 4, 0, kIo, TS_E_IO);
}

TEST_F(FaultDataset, IdxGzip) {
  WriteIdx(d(), true);
  DatasetSweep("idx.gz load", TS_DS_MNIST, d(), 4, 0, kAlloc, TS_E_NOMEM);
  DatasetSweep("idx.gz load", TS_DS_MNIST, d(), 4, 0, kIo, TS_E_IO);
  DatasetSweep("idx.gz load of 2", TS_DS_MNIST, d(), 2, 2, kIo, TS_E_IO);
}

TEST(FaultDatasetCreate, CreateAndSplit) {
  // 4 MiB of pixels: the huge-page (aligned_alloc) path of the allocator
  ts_dataset *ds = nullptr;
  Case c{"ts_dataset_create (4 MiB)", kAlloc, TS_E_NOMEM,
         [&](ts_error *e) { return ts_dataset_create(1, 1, 2048, 2048, 3, &ds, e); }};
  c.on_fail = [&](ts_status) { EXPECT_EQ(ds, nullptr); };
  c.on_ok = [&] {
    ASSERT_NE(ds, nullptr);
    EXPECT_EQ(ds->pixels[2048 * 2048 - 1], 0);
    ts_dataset_destroy(ds);
  };
  Sweep(c);

  auto src = ts_test::MakeStripes(6, 3);
  ts_dataset *part = nullptr;
  Case s{"ts_dataset_split", kAlloc, TS_E_NOMEM,
         [&](ts_error *e) { return ts_dataset_split(src.get(), 2, 3, &part, e); }};
  s.on_fail = [&](ts_status) { EXPECT_EQ(part, nullptr); };
  s.on_ok = [&] {
    ASSERT_NE(part, nullptr);
    EXPECT_EQ(part->labels[0], src->labels[2]);
    ts_dataset_destroy(part);
  };
  Sweep(s);
}

}  // namespace
