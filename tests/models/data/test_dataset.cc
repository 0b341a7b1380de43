// Dataset loaders: tiny CIFAR-10 / CIFAR-100 / IDX files generated here,
// checked bit by bit; every kind of malformed file must give a clear error
// (never a crash or a leak: this binary runs under ASan+UBSan); plus the
// real Fashion-MNIST and CIFAR-100 when present.
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "ts_dataset.h"

namespace fs = std::filesystem;

namespace {

// Format facts (the published layouts), written once for the whole file.
constexpr int kSide = 32, kCifarC = 3;
constexpr int kCifarPixels = kCifarC * kSide * kSide;  // planes R, G, B
constexpr uint32_t kIdxImages = 0x00000803u, kIdxLabels = 0x00000801u;

using Bytes = std::vector<uint8_t>;

// A pixel value that differs by record, channel and position, so a record
// copied from the wrong place, or a plane swapped, cannot go unnoticed.
uint8_t Pixel(int record, int ch, int k) {
  return static_cast<uint8_t>(record * 37 + ch * 101 + k * 7 + (k >> 5) * 3);
}

void WriteFile(const fs::path &p, const Bytes &b) {
  FILE *f = std::fopen(p.c_str(), "wb");
  ASSERT_NE(f, nullptr) << "cannot create " << p;
  if (!b.empty()) {
    ASSERT_EQ(std::fwrite(b.data(), 1, b.size(), f), b.size());
  }
  std::fclose(f);
}

void WriteGz(const fs::path &p, const Bytes &b) {
  gzFile g = gzopen(p.c_str(), "wb");
  ASSERT_NE(g, nullptr) << "cannot create " << p;
  if (!b.empty()) {
    ASSERT_EQ(gzwrite(g, b.data(), static_cast<unsigned>(b.size())), static_cast<int>(b.size()));
  }
  ASSERT_EQ(gzclose(g), Z_OK);
}

Bytes ReadFile(const fs::path &p) {
  Bytes b(fs::file_size(p));
  FILE *f = std::fopen(p.c_str(), "rb");
  EXPECT_NE(f, nullptr);
  if (f) {
    EXPECT_EQ(std::fread(b.data(), 1, b.size(), f), b.size());
    std::fclose(f);
  }
  return b;
}

// One CIFAR record: label bytes (1 for CIFAR-10, coarse + fine for
// CIFAR-100), then the three planes.
Bytes CifarRecords(int first, const std::vector<Bytes> &label_bytes) {
  Bytes out;
  for (size_t r = 0; r < label_bytes.size(); r++) {
    out.insert(out.end(), label_bytes[r].begin(), label_bytes[r].end());
    for (int ch = 0; ch < kCifarC; ch++)
      for (int k = 0; k < kSide * kSide; k++) out.push_back(Pixel(first + static_cast<int>(r), ch, k));
  }
  return out;
}

void PutBe32(Bytes &b, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<uint8_t>(v >> s));
}

Bytes IdxImages(int n, int h, int w, uint32_t magic = kIdxImages) {
  Bytes b;
  PutBe32(b, magic);
  PutBe32(b, static_cast<uint32_t>(n));
  PutBe32(b, static_cast<uint32_t>(h));
  PutBe32(b, static_cast<uint32_t>(w));
  for (int i = 0; i < n; i++)
    for (int k = 0; k < h * w; k++) b.push_back(Pixel(i, 0, k));
  return b;
}

Bytes IdxLabels(const Bytes &labels, uint32_t magic = kIdxLabels) {
  Bytes b;
  PutBe32(b, magic);
  PutBe32(b, static_cast<uint32_t>(labels.size()));
  b.insert(b.end(), labels.begin(), labels.end());
  return b;
}

// Labels for record i of a CIFAR-100 set: fine 0..99, coarse fine / 5.
uint8_t Fine(int i) { return static_cast<uint8_t>((i * 13 + 5) % 100); }
uint8_t Coarse(int i) { return static_cast<uint8_t>(Fine(i) / 5); }
uint8_t Label10(int i) { return static_cast<uint8_t>((i * 3 + 1) % 10); }

testing::AssertionResult Mentions(const ts_error &e, const std::string &what) {
  if (std::string(e.msg).find(what) != std::string::npos) return testing::AssertionSuccess();
  return testing::AssertionFailure() << "error message \"" << e.msg << "\" does not mention \""
                                     << what << "\"";
}

// Checks every pixel and label of ds against Pixel() and want_labels.
void ExpectImages(const ts_dataset *ds, int c, int h, int w, const Bytes &want_labels,
                  int first_record = 0) {
  ASSERT_NE(ds, nullptr);
  ASSERT_EQ(ds->n, static_cast<int>(want_labels.size()));
  ASSERT_EQ(ds->c, c);
  ASSERT_EQ(ds->h, h);
  ASSERT_EQ(ds->w, w);
  int bad = 0;
  for (int i = 0; i < ds->n; i++) {
    EXPECT_EQ(ds->labels[i], want_labels[i]) << "label of record " << i;
    for (int ch = 0; ch < c; ch++)
      for (int k = 0; k < h * w; k++) {
        uint8_t got = ds->pixels[(static_cast<size_t>(i) * c + ch) * h * w + k];
        uint8_t want = Pixel(first_record + i, ch, k);
        if (got != want && bad++ < 5)
          ADD_FAILURE() << "pixel [" << i << "][" << ch << "][" << k << "] = " << int(got)
                        << ", expected " << int(want) << " (differs by " << int(got) - int(want)
                        << ")";
      }
  }
  EXPECT_EQ(bad, 0) << "pixels that differ";
}

class Dataset : public testing::Test {
 protected:
  void SetUp() override {
    const auto *info = testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::path(testing::TempDir()) /
           (std::string("ts_dataset_") + info->name() + "_" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    err_ = ts_error{};
  }
  void TearDown() override {
    ts_dataset_destroy(ds_);
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  // Loads into ds_ (destroying any previous one).
  ts_status Load(ts_dataset_kind k, ts_split s, int coarse = 0, int max_n = 0,
                 const fs::path &where = {}) {
    ts_dataset_destroy(ds_);
    ds_ = nullptr;
    err_ = ts_error{};
    std::string d = where.empty() ? dir_.string() : where.string();
    ts_status st = ts_dataset_load_n(k, d.c_str(), s, coarse, max_n, &ds_, &err_);
    if (st != TS_OK) {
      EXPECT_EQ(ds_, nullptr) << "a failed load must not hand out a dataset";
    }
    return st;
  }
  // Five CIFAR-10 training batches of 2, 3, 1, 2, 2 records (10 in all).
  void WriteCifar10Train(const fs::path &d) {
    const int sizes[5] = {2, 3, 1, 2, 2};
    int at = 0;
    for (int f = 0; f < 5; f++) {
      std::vector<Bytes> lab;
      for (int r = 0; r < sizes[f]; r++) lab.push_back({Label10(at + r)});
      WriteFile(d / ("data_batch_" + std::to_string(f + 1) + ".bin"), CifarRecords(at, lab));
      at += sizes[f];
    }
  }
  void WriteCifar100(const fs::path &p, int n) {
    std::vector<Bytes> lab;
    for (int i = 0; i < n; i++) lab.push_back({Coarse(i), Fine(i)});
    WriteFile(p, CifarRecords(0, lab));
  }
  // IDX train files with n images of h x w; labels Label10(i).
  void WriteIdx(const std::string &prefix, int n, int h, int w, bool gz) {
    Bytes lab;
    for (int i = 0; i < n; i++) lab.push_back(Label10(i));
    std::string sfx = gz ? ".gz" : "";
    auto write = gz ? WriteGz : WriteFile;
    write(dir_ / (prefix + "-images-idx3-ubyte" + sfx), IdxImages(n, h, w));
    write(dir_ / (prefix + "-labels-idx1-ubyte" + sfx), IdxLabels(lab));
  }

  fs::path dir_;
  ts_dataset *ds_ = nullptr;
  ts_error err_{};
};

Bytes Labels10(int n) {
  Bytes b;
  for (int i = 0; i < n; i++) b.push_back(Label10(i));
  return b;
}

// ---- Names ----------------------------------------------------------------

TEST(DatasetKind, ParseAndNameRoundTrip) {
  for (ts_dataset_kind k : {TS_DS_CIFAR10, TS_DS_CIFAR100, TS_DS_MNIST, TS_DS_FASHION_MNIST}) {
    ts_dataset_kind got = TS_DS_MNIST;
    ts_error e{};
    ASSERT_EQ(ts_dataset_kind_parse(ts_dataset_kind_name(k), &got, &e), TS_OK) << e.msg;
    EXPECT_EQ(got, k) << ts_dataset_kind_name(k);
  }
  EXPECT_STREQ(ts_dataset_kind_name(TS_DS_FASHION_MNIST), "fashion-mnist");
  EXPECT_STREQ(ts_dataset_kind_name(static_cast<ts_dataset_kind>(42)), "unknown");
  EXPECT_STREQ(ts_split_name(TS_SPLIT_TRAIN), "train");
  EXPECT_STREQ(ts_split_name(TS_SPLIT_TEST), "test");
}

TEST(DatasetKind, UnknownNameListsTheValidOnes) {
  ts_dataset_kind k;
  ts_error e{};
  EXPECT_EQ(ts_dataset_kind_parse("cifar1000", &k, &e), TS_E_ARG);
  for (const char *n : {"cifar1000", "cifar10,", "cifar100", "mnist", "fashion-mnist"})
    EXPECT_TRUE(Mentions(e, n));
  EXPECT_EQ(ts_dataset_kind_parse(nullptr, &k, &e), TS_E_ARG);
  EXPECT_EQ(ts_dataset_kind_parse("CIFAR10", &k, nullptr), TS_E_ARG);  // err may be NULL
}

TEST(DatasetKind, Classes) {
  EXPECT_EQ(ts_dataset_kind_classes(TS_DS_CIFAR10, 0), 10);
  EXPECT_EQ(ts_dataset_kind_classes(TS_DS_CIFAR100, 0), 100);
  EXPECT_EQ(ts_dataset_kind_classes(TS_DS_CIFAR100, 1), 20);
  EXPECT_EQ(ts_dataset_kind_classes(TS_DS_MNIST, 0), 10);
  EXPECT_EQ(ts_dataset_kind_classes(TS_DS_FASHION_MNIST, 1), 10);
}

// ---- CIFAR-10 ------------------------------------------------------------------

TEST_F(Dataset, Cifar10TrainJoinsTheFiveBatchesInOrder) {
  WriteCifar10Train(dir_);
  ASSERT_EQ(Load(TS_DS_CIFAR10, TS_SPLIT_TRAIN), TS_OK) << err_.msg;
  EXPECT_EQ(ds_->classes, 10);
  ExpectImages(ds_, kCifarC, kSide, kSide, Labels10(10));
}

TEST_F(Dataset, Cifar10TestBatchFromTheConventionalSubfolder) {
  fs::create_directories(dir_ / "cifar-10-batches-bin");
  WriteFile(dir_ / "cifar-10-batches-bin" / "test_batch.bin",
            CifarRecords(0, {{Label10(0)}, {Label10(1)}, {Label10(2)}}));
  ASSERT_EQ(Load(TS_DS_CIFAR10, TS_SPLIT_TEST), TS_OK) << err_.msg;
  ExpectImages(ds_, kCifarC, kSide, kSide, Labels10(3));
  // Pointing at the sub-folder itself works too.
  ASSERT_EQ(Load(TS_DS_CIFAR10, TS_SPLIT_TEST, 0, 0, dir_ / "cifar-10-batches-bin"), TS_OK)
      << err_.msg;
  ExpectImages(ds_, kCifarC, kSide, kSide, Labels10(3));
}

TEST_F(Dataset, Cifar10MaxNStopsPartWayThroughTheSecondFile) {
  WriteCifar10Train(dir_);
  ASSERT_EQ(Load(TS_DS_CIFAR10, TS_SPLIT_TRAIN, 0, 4), TS_OK) << err_.msg;
  ExpectImages(ds_, kCifarC, kSide, kSide, Labels10(4));
  // A limit above the total keeps everything.
  ASSERT_EQ(Load(TS_DS_CIFAR10, TS_SPLIT_TRAIN, 0, 1000), TS_OK) << err_.msg;
  EXPECT_EQ(ds_->n, 10);
  EXPECT_EQ(Load(TS_DS_CIFAR10, TS_SPLIT_TRAIN, 0, -1), TS_E_ARG);
  EXPECT_TRUE(Mentions(err_, "max_n = -1"));
}

TEST_F(Dataset, Cifar10MissingBatchIsNamed) {
  WriteCifar10Train(dir_);
  fs::remove(dir_ / "data_batch_3.bin");
  EXPECT_EQ(Load(TS_DS_CIFAR10, TS_SPLIT_TRAIN), TS_E_IO);
  EXPECT_TRUE(Mentions(err_, "data_batch_3.bin"));
  EXPECT_TRUE(Mentions(err_, "data_batch_1.bin"));
  EXPECT_TRUE(Mentions(err_, dir_.string()));
}

TEST_F(Dataset, Cifar10LabelOutOfRange) {
  WriteCifar10Train(dir_);
  WriteFile(dir_ / "data_batch_2.bin", CifarRecords(2, {{1}, {2}, {10}}));
  EXPECT_EQ(Load(TS_DS_CIFAR10, TS_SPLIT_TRAIN), TS_E_FORMAT);
  EXPECT_TRUE(Mentions(err_, "data_batch_2.bin"));
  EXPECT_TRUE(Mentions(err_, "record 2 has label 10"));
  EXPECT_TRUE(Mentions(err_, "0..9"));
}

// A CIFAR-100 file (3074-byte records) given as CIFAR-10 (3073) is caught
// by its size unless the byte counts happen to divide.
TEST_F(Dataset, Cifar100FileReadAsCifar10IsRejected) {
  for (int f = 1; f <= 5; f++) WriteCifar100(dir_ / ("data_batch_" + std::to_string(f) + ".bin"), 3);
  EXPECT_EQ(Load(TS_DS_CIFAR10, TS_SPLIT_TRAIN), TS_E_FORMAT);
  EXPECT_TRUE(Mentions(err_, "3073-byte"));
}

// ---- CIFAR-100 -----------------------------------------------------------------

TEST_F(Dataset, Cifar100FineAndCoarseLabels) {
  const int n = 7;
  WriteCifar100(dir_ / "train.bin", n);
  Bytes fine, coarse;
  for (int i = 0; i < n; i++) fine.push_back(Fine(i)), coarse.push_back(Coarse(i));
  ASSERT_EQ(Load(TS_DS_CIFAR100, TS_SPLIT_TRAIN), TS_OK) << err_.msg;
  EXPECT_EQ(ds_->classes, 100);
  ExpectImages(ds_, kCifarC, kSide, kSide, fine);
  ASSERT_EQ(Load(TS_DS_CIFAR100, TS_SPLIT_TRAIN, 1), TS_OK) << err_.msg;
  EXPECT_EQ(ds_->classes, 20);
  ExpectImages(ds_, kCifarC, kSide, kSide, coarse);
}

TEST_F(Dataset, Cifar100TestFromTheConventionalSubfolder) {
  fs::create_directories(dir_ / "cifar-100-binary");
  WriteCifar100(dir_ / "cifar-100-binary" / "test.bin", 2);
  ASSERT_EQ(Load(TS_DS_CIFAR100, TS_SPLIT_TEST), TS_OK) << err_.msg;
  ExpectImages(ds_, kCifarC, kSide, kSide, {Fine(0), Fine(1)});
}

TEST_F(Dataset, Cifar100SizeNotAWholeNumberOfRecords) {
  Bytes good;
  WriteCifar100(dir_ / "train.bin", 3);
  good = ReadFile(dir_ / "train.bin");
  const size_t rec = good.size() / 3;
  struct Case {
    size_t size;
    std::string says;
  };
  for (const Case &c : {Case{good.size() - 1, "2 records + 3073 bytes"},
                        Case{good.size() + 1, "3 records + 1 bytes"},
                        Case{rec / 2, "0 records + 1537 bytes"}, Case{0, "size 0 bytes"}}) {
    SCOPED_TRACE("file of " + std::to_string(c.size) + " bytes");
    Bytes b(good.begin(), good.begin() + std::min(c.size, good.size()));
    b.resize(c.size, 0xAB);
    WriteFile(dir_ / "train.bin", b);
    EXPECT_EQ(Load(TS_DS_CIFAR100, TS_SPLIT_TRAIN), TS_E_FORMAT);
    EXPECT_TRUE(Mentions(err_, (dir_ / "train.bin").string()));
    EXPECT_TRUE(Mentions(err_, "size " + std::to_string(c.size) + " bytes"));
    EXPECT_TRUE(Mentions(err_, std::to_string(rec) + "-byte"));
    EXPECT_TRUE(Mentions(err_, c.says));
  }
}

TEST_F(Dataset, Cifar100LabelsOutOfRange) {
  WriteFile(dir_ / "train.bin", CifarRecords(0, {{0, 0}, {19, 99}, {3, 100}}));
  EXPECT_EQ(Load(TS_DS_CIFAR100, TS_SPLIT_TRAIN), TS_E_FORMAT);
  EXPECT_TRUE(Mentions(err_, "record 2 has fine label 100"));
  EXPECT_TRUE(Mentions(err_, "train.bin"));
  // Coarse labels are checked even when fine ones are used, and vice versa.
  WriteFile(dir_ / "train.bin", CifarRecords(0, {{0, 0}, {20, 99}}));
  EXPECT_EQ(Load(TS_DS_CIFAR100, TS_SPLIT_TRAIN), TS_E_FORMAT);
  EXPECT_TRUE(Mentions(err_, "record 1 has coarse label 20"));
  // A limit that stops before the bad record does not read it.
  WriteFile(dir_ / "train.bin", CifarRecords(0, {{0, 0}, {1, 5}, {255, 255}}));
  EXPECT_EQ(Load(TS_DS_CIFAR100, TS_SPLIT_TRAIN, 0, 2), TS_OK) << err_.msg;
}

TEST_F(Dataset, MissingFileSaysWhereItLooked) {
  EXPECT_EQ(Load(TS_DS_CIFAR100, TS_SPLIT_TRAIN), TS_E_IO);
  EXPECT_TRUE(Mentions(err_, "'train.bin'"));
  EXPECT_TRUE(Mentions(err_, "'" + dir_.string() + "'"));
  EXPECT_TRUE(Mentions(err_, (dir_ / "cifar-100-binary").string()));
  EXPECT_EQ(Load(TS_DS_CIFAR10, TS_SPLIT_TEST), TS_E_IO);
  EXPECT_TRUE(Mentions(err_, "test_batch.bin"));
  EXPECT_TRUE(Mentions(err_, "cifar-10-batches-bin"));
  EXPECT_EQ(Load(TS_DS_FASHION_MNIST, TS_SPLIT_TEST), TS_E_IO);
  EXPECT_TRUE(Mentions(err_, "'t10k-images-idx3-ubyte' or 't10k-images-idx3-ubyte.gz'"));
  EXPECT_TRUE(Mentions(err_, (dir_ / "fashion-mnist").string()));
}

TEST_F(Dataset, BadDirectoryArguments) {
  EXPECT_EQ(Load(TS_DS_MNIST, TS_SPLIT_TRAIN, 0, 0, dir_ / "nope"), TS_E_IO);
  EXPECT_TRUE(Mentions(err_, "nope' does not exist"));
  WriteFile(dir_ / "plain", {1, 2, 3});
  EXPECT_EQ(Load(TS_DS_MNIST, TS_SPLIT_TRAIN, 0, 0, dir_ / "plain"), TS_E_IO);
  EXPECT_TRUE(Mentions(err_, "is not a directory"));
  ts_dataset *ds = nullptr;
  EXPECT_EQ(ts_dataset_load(TS_DS_MNIST, nullptr, TS_SPLIT_TRAIN, 0, &ds, &err_), TS_E_ARG);
  EXPECT_TRUE(Mentions(err_, "--data DIR"));
  EXPECT_TRUE(Mentions(err_, TS_DATA_ENV));
  EXPECT_EQ(ts_dataset_load(TS_DS_MNIST, "", TS_SPLIT_TRAIN, 0, &ds, nullptr), TS_E_ARG);
  EXPECT_EQ(ts_dataset_load(static_cast<ts_dataset_kind>(9), dir_.c_str(), TS_SPLIT_TRAIN, 0,
                            &ds, &err_),
            TS_E_ARG);
  EXPECT_EQ(ts_dataset_load(TS_DS_MNIST, dir_.c_str(), static_cast<ts_split>(5), 0, &ds, &err_),
            TS_E_ARG);
  EXPECT_EQ(ts_dataset_load(TS_DS_MNIST, dir_.c_str(), TS_SPLIT_TRAIN, 0, nullptr, &err_),
            TS_E_ARG);
  EXPECT_EQ(ds, nullptr);
  // A directory where a file is expected is not taken for the file.
  fs::create_directories(dir_ / "train.bin");
  EXPECT_EQ(Load(TS_DS_CIFAR100, TS_SPLIT_TRAIN), TS_E_IO);
}

// ---- IDX -------------------------------------------------------------------------

TEST_F(Dataset, IdxRawAndGzipLoadTheSameBytes) {
  for (bool gz : {false, true}) {
    SCOPED_TRACE(gz ? "gzip" : "raw");
    for (auto &e : fs::directory_iterator(dir_)) fs::remove(e.path());
    WriteIdx("train", 5, 3, 4, gz);
    WriteIdx("t10k", 2, 3, 4, gz);
    ASSERT_EQ(Load(TS_DS_MNIST, TS_SPLIT_TRAIN), TS_OK) << err_.msg;
    EXPECT_EQ(ds_->classes, 10);
    ExpectImages(ds_, 1, 3, 4, Labels10(5));
    ASSERT_EQ(Load(TS_DS_FASHION_MNIST, TS_SPLIT_TEST), TS_OK) << err_.msg;
    ExpectImages(ds_, 1, 3, 4, Labels10(2));
  }
}

TEST_F(Dataset, IdxMixedRawImagesGzipLabelsInSubfolder) {
  fs::path sub = dir_ / "fashion-mnist";
  fs::create_directories(sub);
  WriteFile(sub / "train-images-idx3-ubyte", IdxImages(4, 28, 28));
  WriteGz(sub / "train-labels-idx1-ubyte.gz", IdxLabels(Labels10(4)));
  ASSERT_EQ(Load(TS_DS_FASHION_MNIST, TS_SPLIT_TRAIN), TS_OK) << err_.msg;
  ExpectImages(ds_, 1, 28, 28, Labels10(4));
  // MNIST looks in its own sub-folder, not Fashion-MNIST's.
  EXPECT_EQ(Load(TS_DS_MNIST, TS_SPLIT_TRAIN), TS_E_IO);
  EXPECT_TRUE(Mentions(err_, (dir_ / "mnist").string()));
  // Labels must sit beside the images.
  fs::remove(sub / "train-labels-idx1-ubyte.gz");
  EXPECT_EQ(Load(TS_DS_FASHION_MNIST, TS_SPLIT_TRAIN), TS_E_IO);
  EXPECT_TRUE(Mentions(err_, "train-labels-idx1-ubyte"));
  EXPECT_TRUE(Mentions(err_, sub.string()));
}

TEST_F(Dataset, IdxMaxN) {
  WriteIdx("train", 6, 2, 2, true);
  ASSERT_EQ(Load(TS_DS_MNIST, TS_SPLIT_TRAIN, 0, 3), TS_OK) << err_.msg;
  ExpectImages(ds_, 1, 2, 2, Labels10(3));
}

TEST_F(Dataset, IdxBadMagic) {
  WriteIdx("train", 2, 2, 2, false);
  WriteFile(dir_ / "train-images-idx3-ubyte", IdxImages(2, 2, 2, 0x00000804u));
  EXPECT_EQ(Load(TS_DS_MNIST, TS_SPLIT_TRAIN), TS_E_FORMAT);
  EXPECT_TRUE(Mentions(err_, "train-images-idx3-ubyte': bad IDX magic 0x00000804, expected 0x00000803"));
  // Images and labels swapped.
  WriteFile(dir_ / "train-images-idx3-ubyte", IdxImages(2, 2, 2));
  WriteFile(dir_ / "train-labels-idx1-ubyte", IdxLabels(Labels10(2), kIdxImages));
  EXPECT_EQ(Load(TS_DS_MNIST, TS_SPLIT_TRAIN), TS_E_FORMAT);
  EXPECT_TRUE(Mentions(err_, "train-labels-idx1-ubyte': bad IDX magic 0x00000803, expected 0x00000801"));
}

TEST_F(Dataset, IdxCountMismatch) {
  WriteIdx("train", 3, 2, 2, true);
  WriteGz(dir_ / "train-labels-idx1-ubyte.gz", IdxLabels(Labels10(4)));
  EXPECT_EQ(Load(TS_DS_MNIST, TS_SPLIT_TRAIN), TS_E_FORMAT);
  EXPECT_TRUE(Mentions(err_, "holds 3 images"));
  EXPECT_TRUE(Mentions(err_, "holds 4 labels"));
}

TEST_F(Dataset, IdxImpossibleDims) {
  WriteIdx("train", 2, 2, 2, false);
  for (auto dims : {std::vector<uint32_t>{0, 2, 2}, {2, 0, 2}, {2, 2, 70000}, {0x80000000u, 1, 1}}) {
    Bytes b;
    PutBe32(b, kIdxImages);
    for (uint32_t d : dims) PutBe32(b, d);
    b.resize(b.size() + 8, 0);
    WriteFile(dir_ / "train-images-idx3-ubyte", b);
    EXPECT_EQ(Load(TS_DS_MNIST, TS_SPLIT_TRAIN), TS_E_FORMAT);
    EXPECT_TRUE(Mentions(err_, "header dims " + std::to_string(dims[0])));
  }
}

// A header announcing ~2^31 images of 65535 x 65535 in a tiny file must
// fail on the missing data, not try to allocate 9 exabytes.
TEST_F(Dataset, IdxHugeHeaderSmallFile) {
  Bytes lab;
  PutBe32(lab, kIdxLabels);
  PutBe32(lab, 0x7fffffffu);
  lab.resize(lab.size() + 100, 1);
  Bytes img;
  PutBe32(img, kIdxImages);
  for (uint32_t d : {0x7fffffffu, 65535u, 65535u}) PutBe32(img, d);
  img.resize(img.size() + 100, 7);
  for (bool gz : {false, true}) {
    for (auto &e : fs::directory_iterator(dir_)) fs::remove(e.path());
    (gz ? WriteGz : WriteFile)(dir_ / (gz ? "train-images-idx3-ubyte.gz" : "train-images-idx3-ubyte"), img);
    (gz ? WriteGz : WriteFile)(dir_ / (gz ? "train-labels-idx1-ubyte.gz" : "train-labels-idx1-ubyte"), lab);
    EXPECT_EQ(Load(TS_DS_MNIST, TS_SPLIT_TRAIN), TS_E_FORMAT);
    EXPECT_TRUE(Mentions(err_, "truncated"));
    EXPECT_TRUE(Mentions(err_, "only 100"));
  }
}

TEST_F(Dataset, IdxTruncatedOrTrailingDataRaw) {
  WriteIdx("train", 3, 2, 2, false);
  Bytes img = IdxImages(3, 2, 2);
  img.pop_back();
  WriteFile(dir_ / "train-images-idx3-ubyte", img);
  EXPECT_EQ(Load(TS_DS_MNIST, TS_SPLIT_TRAIN), TS_E_FORMAT);
  EXPECT_TRUE(Mentions(err_, "train-images-idx3-ubyte': truncated: 3 images of 2x2 needs 12 bytes, the file has only 11"));
  img.push_back(0);
  img.push_back(0);
  img.push_back(0);
  WriteFile(dir_ / "train-images-idx3-ubyte", img);
  EXPECT_EQ(Load(TS_DS_MNIST, TS_SPLIT_TRAIN), TS_E_FORMAT);
  EXPECT_TRUE(Mentions(err_, "2 bytes of trailing data after the 3 images of 2x2"));
  WriteFile(dir_ / "train-images-idx3-ubyte", IdxImages(3, 2, 2));
  Bytes lab = IdxLabels(Labels10(3));
  lab.push_back(0);
  WriteFile(dir_ / "train-labels-idx1-ubyte", lab);
  EXPECT_EQ(Load(TS_DS_MNIST, TS_SPLIT_TRAIN), TS_E_FORMAT);
  EXPECT_TRUE(Mentions(err_, "train-labels-idx1-ubyte': 1 bytes of trailing data after the 3 labels"));
}

TEST_F(Dataset, IdxTrailingDataInsideGzip) {
  WriteIdx("train", 3, 2, 2, true);
  Bytes img = IdxImages(3, 2, 2);
  img.push_back(9);
  WriteGz(dir_ / "train-images-idx3-ubyte.gz", img);
  EXPECT_EQ(Load(TS_DS_MNIST, TS_SPLIT_TRAIN), TS_E_FORMAT);
  EXPECT_TRUE(Mentions(err_, "1 bytes of trailing data"));
}

TEST_F(Dataset, IdxTruncatedHeader) {
  WriteIdx("train", 3, 2, 2, false);
  for (size_t len : {0, 3, 9, 15}) {
    Bytes img = IdxImages(3, 2, 2);
    img.resize(len);
    WriteFile(dir_ / "train-images-idx3-ubyte", img);
    EXPECT_EQ(Load(TS_DS_MNIST, TS_SPLIT_TRAIN), TS_E_FORMAT);
    EXPECT_TRUE(Mentions(err_, "truncated IDX header: " + std::to_string(len) + " of 16 bytes"));
  }
}

TEST_F(Dataset, IdxTruncatedGzipAtEveryLength) {
  // Cutting the compressed file anywhere must fail cleanly; most cuts are
  // reported as a truncated gzip stream by name.
  WriteIdx("train", 4, 5, 5, true);
  Bytes gz = ReadFile(dir_ / "train-images-idx3-ubyte.gz");
  int said_gzip = 0;
  for (size_t len = 1; len < gz.size(); len++) {
    WriteFile(dir_ / "train-images-idx3-ubyte.gz", Bytes(gz.begin(), gz.begin() + len));
    ASSERT_NE(Load(TS_DS_MNIST, TS_SPLIT_TRAIN), TS_OK) << "cut at " << len << " of " << gz.size();
    EXPECT_TRUE(Mentions(err_, "train-images-idx3-ubyte.gz")) << "cut at " << len;
    said_gzip += std::string(err_.msg).find("truncated gzip stream") != std::string::npos;
  }
  EXPECT_GE(said_gzip, static_cast<int>(gz.size()) / 2) << "of " << gz.size() << " cuts";
  // The data intact but the 8-byte gzip trailer (CRC, length) missing.
  WriteFile(dir_ / "train-images-idx3-ubyte.gz", Bytes(gz.begin(), gz.end() - 8));
  EXPECT_EQ(Load(TS_DS_MNIST, TS_SPLIT_TRAIN), TS_E_FORMAT);
  EXPECT_TRUE(Mentions(err_, "truncated gzip stream"));
}

// A damaged gzip trailer is found only after all the data was decompressed:
// the message says how far it got and that the checksum failed.
TEST_F(Dataset, IdxGzipBadCrcSaysHowFarItGot) {
  WriteIdx("train", 40, 28, 28, true);
  Bytes gz = ReadFile(dir_ / "train-images-idx3-ubyte.gz");
  gz[gz.size() - 8] ^= 0x01;  // first byte of the CRC-32
  WriteFile(dir_ / "train-images-idx3-ubyte.gz", gz);
  EXPECT_EQ(Load(TS_DS_MNIST, TS_SPLIT_TRAIN), TS_E_FORMAT);
  EXPECT_TRUE(Mentions(err_, "decompressed to its end but its CRC-32 check failed"));
  EXPECT_TRUE(Mentions(err_, "at compressed byte " + std::to_string(gz.size() - 4)))
      << "the CRC is the trailer's first 4 bytes";
  EXPECT_EQ(std::strstr(err_.msg, "after 0 bytes"), nullptr) << err_.msg;
}

TEST_F(Dataset, IdxCorruptGzipOrGarbage) {
  WriteIdx("train", 4, 5, 5, true);
  Bytes gz = ReadFile(dir_ / "train-images-idx3-ubyte.gz");
  int failed = 0;
  for (size_t at = 10; at < gz.size(); at++) {  // past the gzip header
    Bytes bad = gz;
    bad[at] ^= 0x5A;
    WriteFile(dir_ / "train-images-idx3-ubyte.gz", bad);
    failed += Load(TS_DS_MNIST, TS_SPLIT_TRAIN) != TS_OK;
  }
  // The CRC-32 catches every corruption of the data or the trailer.
  EXPECT_EQ(failed, static_cast<int>(gz.size()) - 10);
  // Random bytes without gzip framing are read raw and fail the magic check.
  Bytes junk(500);
  uint32_t x = 12345;
  for (auto &b : junk) b = static_cast<uint8_t>((x = x * 1103515245u + 12345u) >> 24);
  junk[0] = 0x42;
  WriteFile(dir_ / "train-images-idx3-ubyte.gz", junk);
  EXPECT_EQ(Load(TS_DS_MNIST, TS_SPLIT_TRAIN), TS_E_FORMAT);
  EXPECT_TRUE(Mentions(err_, "bad IDX magic"));
}

TEST_F(Dataset, IdxLabelOutOfRange) {
  WriteIdx("t10k", 4, 2, 2, false);
  WriteFile(dir_ / "t10k-labels-idx1-ubyte", IdxLabels({0, 9, 3, 10}));
  EXPECT_EQ(Load(TS_DS_MNIST, TS_SPLIT_TEST), TS_E_FORMAT);
  EXPECT_TRUE(Mentions(err_, "t10k-labels-idx1-ubyte': record 3 has label 10, outside 0..9"));
}

// ---- Create, split, normalisation, batches ---------------------------------------

TEST(DatasetCreate, RejectsImpossibleShapes) {
  ts_dataset *ds = nullptr;
  ts_error e{};
  EXPECT_EQ(ts_dataset_create(0, 1, 2, 2, 10, &ds, &e), TS_E_ARG);
  EXPECT_TRUE(Mentions(e, "n=0"));
  EXPECT_EQ(ts_dataset_create(1, TS_MAX_CHANNELS + 1, 2, 2, 10, &ds, &e), TS_E_ARG);
  EXPECT_EQ(ts_dataset_create(1, 1, -2, 2, 10, &ds, &e), TS_E_ARG);
  EXPECT_EQ(ts_dataset_create(1, 1, 2, 2, 0, &ds, &e), TS_E_ARG);
  EXPECT_EQ(ds, nullptr);
  ASSERT_EQ(ts_dataset_create(2, 3, 4, 5, 7, &ds, &e), TS_OK) << e.msg;
  EXPECT_EQ(ds->n * ds->c * ds->h * ds->w, 120);
  EXPECT_EQ(ds->pixels[119], 0);
  ts_dataset_destroy(ds);
  ts_dataset_destroy(nullptr);
}

TEST_F(Dataset, SplitCopiesARange) {
  WriteIdx("train", 6, 3, 3, false);
  ASSERT_EQ(Load(TS_DS_MNIST, TS_SPLIT_TRAIN), TS_OK) << err_.msg;
  ts_dataset *part = nullptr;
  ASSERT_EQ(ts_dataset_split(ds_, 2, 3, &part, &err_), TS_OK) << err_.msg;
  ExpectImages(part, 1, 3, 3, {Label10(2), Label10(3), Label10(4)}, 2);
  EXPECT_EQ(part->classes, ds_->classes);
  EXPECT_NE(part->pixels, ds_->pixels + 2 * 9) << "a split must be a copy";
  ts_dataset_destroy(part);
  ASSERT_EQ(ts_dataset_split(ds_, 0, 6, &part, &err_), TS_OK);
  ts_dataset_destroy(part);
  ts_dataset dummy{};
  for (auto r : {std::pair{4, 3}, {-1, 2}, {0, 0}, {6, 1}, {1, -1}, {2, 0x7fffffff}}) {
    part = &dummy;  // must be cleared on failure
    EXPECT_EQ(ts_dataset_split(ds_, r.first, r.second, &part, &err_), TS_E_ARG)
        << r.first << " + " << r.second;
    EXPECT_EQ(part, nullptr);
    EXPECT_TRUE(Mentions(err_, "6 records"));
  }
}

// 2 images of 3 channels x 1 x 2 with values chosen so the statistics can
// be worked out by hand:
//   ch 0: 0, 255, 0, 255          -> mean 0.5, std 0.5
//   ch 1: 51 everywhere           -> mean 0.2, std 0 (reported as 1)
//   ch 2: 0, 51, 102, 153         -> /255: 0, .2, .4, .6: mean .3,
//                                    var (.09 + .01 + .01 + .09) / 4 = .05
ts_dataset *HandSet() {
  ts_dataset *ds = nullptr;
  EXPECT_EQ(ts_dataset_create(2, 3, 1, 2, 4, &ds, nullptr), TS_OK);
  const uint8_t px[2][3][2] = {{{0, 255}, {51, 51}, {0, 51}}, {{0, 255}, {51, 51}, {102, 153}}};
  std::memcpy(ds->pixels, px, sizeof px);
  ds->labels[0] = 3;
  ds->labels[1] = 1;
  return ds;
}

TEST(DatasetNorm, HandComputedValues) {
  ts_dataset *ds = HandSet();
  ts_norm nm;
  ts_error e{};
  ASSERT_EQ(ts_dataset_norm(ds, &nm, &e), TS_OK) << e.msg;
  EXPECT_EQ(nm.c, 3);
  const double mean[3] = {0.5, 0.2, 0.3}, sd[3] = {0.5, 1.0, std::sqrt(0.05)};
  for (int c = 0; c < 3; c++) {
    EXPECT_NEAR(nm.mean[c], mean[c], 1e-7) << "channel " << c;
    EXPECT_NEAR(nm.std[c], sd[c], 1e-7) << "channel " << c;
  }
  ts_dataset_destroy(ds);
  EXPECT_EQ(ts_dataset_norm(nullptr, &nm, &e), TS_E_ARG);
}

TEST(DatasetBatch, GathersAndNormalises) {
  ts_dataset *ds = HandSet();
  ts_norm nm;
  ASSERT_EQ(ts_dataset_norm(ds, &nm, nullptr), TS_OK);
  const int idx[3] = {1, 0, 1};
  float x[3][3][1][2];  // [n][c][h][w]
  int y[3] = {-1, -1, -1};
  ts_error e{};
  ASSERT_EQ(ts_dataset_batch(ds, &nm, idx, 3, &x[0][0][0][0], y, &e), TS_OK) << e.msg;
  for (int i = 0; i < 3; i++) {
    EXPECT_EQ(y[i], ds->labels[idx[i]]) << "label of batch item " << i;
    for (int c = 0; c < 3; c++)
      for (int k = 0; k < 2; k++) {
        float p = ds->pixels[(idx[i] * 3 + c) * 2 + k];
        float want = (p / 255.0f - nm.mean[c]) / nm.std[c];
        EXPECT_FLOAT_EQ(x[i][c][0][k], want) << "x[" << i << "][" << c << "][0][" << k << "]";
      }
  }
  // Hand values: channel 0 maps 0 -> -1 and 255 -> +1; the constant channel to 0.
  EXPECT_NEAR(x[0][0][0][0], -1.0f, 1e-6);
  EXPECT_NEAR(x[0][0][0][1], 1.0f, 1e-6);
  EXPECT_NEAR(x[0][1][0][0], 0.0f, 1e-6);
  EXPECT_NEAR(x[0][2][0][1], (0.6 - 0.3) / std::sqrt(0.05), 1e-6);
  // Labels are optional.
  EXPECT_EQ(ts_dataset_batch(ds, &nm, idx, 3, &x[0][0][0][0], nullptr, &e), TS_OK);

  const int bad[2] = {0, 2};
  EXPECT_EQ(ts_dataset_batch(ds, &nm, bad, 2, &x[0][0][0][0], y, &e), TS_E_ARG);
  EXPECT_TRUE(Mentions(e, "idx[1] = 2"));
  const int neg[1] = {-1};
  EXPECT_EQ(ts_dataset_batch(ds, &nm, neg, 1, &x[0][0][0][0], y, &e), TS_E_ARG);
  ts_norm other = nm;
  other.c = 1;
  EXPECT_EQ(ts_dataset_batch(ds, &other, idx, 3, &x[0][0][0][0], y, &e), TS_E_ARG);
  EXPECT_TRUE(Mentions(e, "1 channels"));
  EXPECT_EQ(ts_dataset_batch(ds, &nm, idx, 0, nullptr, nullptr, &e), TS_OK);
  ts_dataset_destroy(ds);
}

// ---- Real data ---------------------------------------------------------------------

constexpr const char *kFashionDir = "/usr/share/datasets/fashion-mnist";

TEST(DatasetReal, FashionMnist) {
  if (!fs::exists(fs::path(kFashionDir) / "train-images-idx3-ubyte.gz"))
    GTEST_SKIP() << kFashionDir << " absent (apt-get install dataset-fashion-mnist)";
  ts_error e{};
  ts_dataset *ds = nullptr;
  ASSERT_EQ(ts_dataset_load(TS_DS_FASHION_MNIST, kFashionDir, TS_SPLIT_TRAIN, 0, &ds, &e), TS_OK)
      << e.msg;
  EXPECT_EQ(ds->n, 60000);
  EXPECT_EQ(ds->c, 1);
  EXPECT_EQ(ds->h, 28);
  EXPECT_EQ(ds->w, 28);
  std::vector<int> count(10, 0);
  for (int i = 0; i < ds->n; i++) count[ds->labels[i]]++;
  for (int k = 0; k < 10; k++) EXPECT_EQ(count[k], 6000) << "training images of class " << k;
  EXPECT_EQ(ds->labels[0], 9) << "the first training image is an ankle boot";
  ts_norm nm;
  ASSERT_EQ(ts_dataset_norm(ds, &nm, &e), TS_OK);
  EXPECT_NEAR(nm.mean[0], 0.28604, 1e-4);  // the published figures
  EXPECT_NEAR(nm.std[0], 0.35302, 1e-4);
  ts_dataset_destroy(ds);
  ASSERT_EQ(ts_dataset_load(TS_DS_FASHION_MNIST, kFashionDir, TS_SPLIT_TEST, 0, &ds, &e), TS_OK)
      << e.msg;
  EXPECT_EQ(ds->n, 10000);
  std::fill(count.begin(), count.end(), 0);
  for (int i = 0; i < ds->n; i++) count[ds->labels[i]]++;
  for (int k = 0; k < 10; k++) EXPECT_EQ(count[k], 1000) << "test images of class " << k;
  ts_dataset_destroy(ds);
}

TEST(DatasetReal, Cifar100) {
  const char *dir = std::getenv("TESSERA_CIFAR100_DIR");
  if (!dir || !*dir || !fs::exists(dir))
    GTEST_SKIP() << "TESSERA_CIFAR100_DIR not set or absent; point it at cifar-100-binary/";
  ts_error e{};
  ts_dataset *ds = nullptr;
  ASSERT_EQ(ts_dataset_load(TS_DS_CIFAR100, dir, TS_SPLIT_TRAIN, 0, &ds, &e), TS_OK) << e.msg;
  EXPECT_EQ(ds->n, 50000);
  EXPECT_EQ(ds->classes, 100);
  std::vector<int> count(100, 0);
  for (int i = 0; i < ds->n; i++) count[ds->labels[i]]++;
  for (int k = 0; k < 100; k++) EXPECT_EQ(count[k], 500) << "training images of fine class " << k;
  ts_norm nm;
  ASSERT_EQ(ts_dataset_norm(ds, &nm, &e), TS_OK);
  const double mean[3] = {0.50708, 0.48655, 0.44092};  // published, R G B
  for (int c = 0; c < 3; c++) EXPECT_NEAR(nm.mean[c], mean[c], 1e-4) << "channel " << c;
  ts_dataset_destroy(ds);
  ASSERT_EQ(ts_dataset_load(TS_DS_CIFAR100, dir, TS_SPLIT_TEST, 0, &ds, &e), TS_OK) << e.msg;
  EXPECT_EQ(ds->n, 10000);
  EXPECT_EQ(ds->labels[0], 49) << "fine label of test image 0";
  ts_dataset_destroy(ds);
  ASSERT_EQ(ts_dataset_load(TS_DS_CIFAR100, dir, TS_SPLIT_TEST, 1, &ds, &e), TS_OK) << e.msg;
  EXPECT_EQ(ds->classes, 20);
  EXPECT_EQ(ds->labels[0], 10) << "coarse label of test image 0";
  std::vector<int> coarse(20, 0);
  for (int i = 0; i < ds->n; i++) coarse[ds->labels[i]]++;
  for (int k = 0; k < 20; k++) EXPECT_EQ(coarse[k], 500) << "test images of coarse class " << k;
  ts_dataset_destroy(ds);
}

}  // namespace
