// safetensors reader/writer (models/data/ts_safetensors.c): bit-identical round
// trips, files written by hand to the spec, every malformed header we can
// think of, truncation at every byte, random corruption, and atomic writes.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "ts_safetensors.h"

namespace fs = std::filesystem;

namespace {

using Bytes = std::vector<unsigned char>;

Bytes ReadFile(const fs::path &p) {
  std::ifstream f(p, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(f), {});
}

void WriteFile(const fs::path &p, const Bytes &b) {
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char *>(b.data()), (std::streamsize)b.size());
  ASSERT_TRUE(f.good()) << "cannot write " << p;
}

// A file from a header text and nbytes of data (value of byte i: i & 0xff),
// laid out exactly as the spec says, independent of ts_st_write.
Bytes RawFile(const std::string &header, size_t nbytes) {
  Bytes b(8);
  uint64_t n = header.size();
  for (int i = 0; i < 8; i++) b[i] = (unsigned char)(n >> (8 * i));
  b.insert(b.end(), header.begin(), header.end());
  for (size_t i = 0; i < nbytes; i++) b.push_back((unsigned char)i);
  return b;
}

// Files other than `keep` left in d (stray temporaries).
std::vector<std::string> OtherFiles(const fs::path &d, const std::string &keep) {
  std::vector<std::string> out;
  for (auto &e : fs::directory_iterator(d))
    if (e.path().filename() != keep) out.push_back(e.path().filename().string());
  return out;
}

class Safetensors : public testing::Test {
 protected:
  void SetUp() override {
    const auto *info = testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::path(testing::TempDir()) /
           (std::string("ts_st_") + info->name() + "_" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    ts_st_close(f_);
    std::error_code ec;
    fs::permissions(dir_, fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(dir_, ec);
  }
  // Opens p into f_; a failure must leave f_ NULL and say something.
  ts_status Open(const fs::path &p) {
    ts_st_close(f_);
    f_ = reinterpret_cast<ts_st_file *>(0x1);  // must be overwritten
    err_ = ts_error{};
    ts_status s = ts_st_open(p.c_str(), &f_, &err_);
    if (s != TS_OK) {
      EXPECT_EQ(f_, nullptr) << "a failed open must not hand out a file";
      EXPECT_NE(err_.msg[0], '\0') << "a failure must come with a message";
      f_ = nullptr;
    }
    return s;
  }
  fs::path dir_;
  ts_st_file *f_ = nullptr;
  ts_error err_{};
};

// Tensors with every rank 0..4, an empty one, and values that only a
// bit-exact copy keeps (signed zero, denormals, NaN payloads, extremes).
struct Sample {
  std::vector<std::vector<float>> data;
  std::vector<ts_st_tensor> t;
  std::vector<ts_st_meta> m;
};

Sample MakeSample() {
  Sample s;
  const int64_t shapes[][5] = {  // ndim, dims...
      {0}, {1, 7}, {2, 3, 5}, {3, 2, 3, 4}, {4, 6, 3, 5, 5}, {2, 0, 4}};
  const char *names[] = {"scalar", "conv1.bias", "fc2.weight", "cube",
                         "conv1.weight", "empty"};
  std::mt19937 g(42);
  for (size_t i = 0; i < std::size(shapes); i++) {
    ts_st_tensor t{};
    t.name = names[i];
    t.ndim = (int)shapes[i][0];
    size_t n = 1;
    for (int d = 0; d < t.ndim; d++) n *= (size_t)(t.shape[d] = shapes[i][1 + d]);
    std::vector<float> v(n);
    for (auto &x : v) {
      uint32_t bits = g();
      std::memcpy(&x, &bits, 4);  // any bit pattern, NaNs included
    }
    if (n >= 4) {
      v[0] = -0.0f;
      v[1] = std::numeric_limits<float>::denorm_min();
      v[2] = std::numeric_limits<float>::max();
      uint32_t nan_payload = 0x7fc12345u;
      std::memcpy(&v[3], &nan_payload, 4);
    }
    s.data.push_back(std::move(v));
    s.t.push_back(t);
  }
  for (size_t i = 0; i < s.t.size(); i++) s.t[i].data = s.data[i].data();
  s.m = {{"dataset", "cifar100"},
         {"mean", "0.5071,0.4865,0.4409"},
         {"quotes \"and\" \\ slashes", "line\nbreak\ttab"},
         {"unicode", "\xc3\xa9t\xc3\xa9 \xe2\x9c\x93"},
         {"empty", ""}};
  return s;
}

TEST_F(Safetensors, RoundTripIsBitIdenticalAndKeepsOrderAndMetadata) {
  Sample s = MakeSample();
  fs::path p = dir_ / "w.safetensors";
  ASSERT_EQ(ts_st_write(p.c_str(), s.t.data(), (int)s.t.size(), s.m.data(),
                        (int)s.m.size(), &err_), TS_OK) << err_.msg;
  ASSERT_EQ(Open(p), TS_OK) << err_.msg;
  ASSERT_EQ(ts_st_num_tensors(f_), (int)s.t.size());
  for (size_t i = 0; i < s.t.size(); i++) {
    const ts_st_tensor *t = ts_st_tensor_at(f_, (int)i);
    ASSERT_NE(t, nullptr);
    EXPECT_STREQ(t->name, s.t[i].name) << "tensor order changed at " << i;
    ASSERT_EQ(t->ndim, s.t[i].ndim) << t->name;
    for (int d = 0; d < t->ndim; d++)
      EXPECT_EQ(t->shape[d], s.t[i].shape[d]) << t->name << " dim " << d;
    EXPECT_EQ(reinterpret_cast<uintptr_t>(t->data) % alignof(float), 0u)
        << t->name << " data is not float-aligned";
    size_t bytes = s.data[i].size() * sizeof(float);
    if (bytes) {
      int diff = std::memcmp(t->data, s.data[i].data(), bytes);
      EXPECT_EQ(diff, 0) << t->name << ": read-back bytes differ";
    }
    int nd = -1;
    int64_t shape[TS_ST_MAX_NDIM];
    const float *data = nullptr;
    EXPECT_EQ(ts_st_get(f_, s.t[i].name, &nd, shape, &data, &err_), TS_OK) << err_.msg;
    EXPECT_EQ(nd, s.t[i].ndim);
    EXPECT_EQ(data, t->data);
  }
  ASSERT_EQ(ts_st_num_meta(f_), (int)s.m.size());
  for (size_t i = 0; i < s.m.size(); i++) {
    const char *v = ts_st_meta_get(f_, s.m[i].key);
    ASSERT_NE(v, nullptr) << "metadata '" << s.m[i].key << "' lost";
    EXPECT_STREQ(v, s.m[i].value) << "metadata '" << s.m[i].key << "'";
    EXPECT_STREQ(ts_st_meta_at(f_, (int)i)->key, s.m[i].key) << "metadata order";
  }
  EXPECT_EQ(ts_st_meta_get(f_, "absent"), nullptr);
  EXPECT_EQ(ts_st_meta_at(f_, (int)s.m.size()), nullptr);
  EXPECT_EQ(ts_st_tensor_at(f_, -1), nullptr);
  EXPECT_EQ(ts_st_get(f_, "nope", nullptr, nullptr, nullptr, &err_), TS_E_FORMAT);
  EXPECT_NE(std::strstr(err_.msg, "'nope'"), nullptr) << err_.msg;
  EXPECT_NE(std::strstr(err_.msg, p.c_str()), nullptr) << err_.msg;
}

TEST_F(Safetensors, WrittenLayoutFollowsTheSpec) {
  Sample s = MakeSample();
  fs::path p = dir_ / "w.safetensors";
  ASSERT_EQ(ts_st_write(p.c_str(), s.t.data(), 2, nullptr, 0, &err_), TS_OK) << err_.msg;
  Bytes b = ReadFile(p);
  ASSERT_GE(b.size(), 8u);
  uint64_t n = 0;
  for (int i = 7; i >= 0; i--) n = n << 8 | b[i];
  EXPECT_EQ(n % 8, 0u) << "header length " << n << " is not padded to 8";
  std::string h(b.begin() + 8, b.begin() + 8 + (long)n);
  // No metadata given: no "__metadata__" entry; scalar then 7 floats.
  EXPECT_EQ(h.find("__metadata__"), std::string::npos) << h;
  EXPECT_NE(h.find("\"scalar\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}"),
            std::string::npos) << h;
  EXPECT_NE(h.find("\"conv1.bias\":{\"dtype\":\"F32\",\"shape\":[7],\"data_offsets\":[4,32]}"),
            std::string::npos) << h;
  EXPECT_EQ(b.size(), 8 + n + 32) << "file size";
}

TEST_F(Safetensors, ReadsAHandWrittenFileWithTensorsOutOfOffsetOrder) {
  // Header order differs from data order; padding spaces after the JSON.
  std::string h =
      "{\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[12,20]},"
      " \"__metadata__\":{\"k\":\"v\"},"
      "\"a\":{\"shape\":[1,3],\"data_offsets\":[0,12],\"dtype\":\"F32\"}}   \n ";
  fs::path p = dir_ / "hand.safetensors";
  Bytes b = RawFile(h, 0);
  const float va[3] = {1.5f, -2.f, 3.25f}, vb[2] = {1e-30f, -0.f};
  b.insert(b.end(), (const unsigned char *)va, (const unsigned char *)va + 12);
  b.insert(b.end(), (const unsigned char *)vb, (const unsigned char *)vb + 8);
  WriteFile(p, b);
  ASSERT_EQ(Open(p), TS_OK) << err_.msg;
  const ts_st_tensor *a = ts_st_find(f_, "a"), *bb = ts_st_find(f_, "b");
  ASSERT_TRUE(a && bb);
  EXPECT_EQ(std::memcmp(a->data, va, 12), 0);
  EXPECT_EQ(std::memcmp(bb->data, vb, 8), 0);
  EXPECT_EQ(a->ndim, 2);
  EXPECT_EQ(a->shape[1], 3);
  EXPECT_STREQ(ts_st_meta_get(f_, "k"), "v");
}

// ---- Malformed files: one row per defect, each must give its message. ----

struct Bad {
  const char *what;
  std::string header;  // JSON text (8-byte length prefix added)
  size_t data_bytes;
  const char *expect;  // substring of the error message
  int64_t length_override = -1;  // write this header length instead
};

void PrintTo(const Bad &b, std::ostream *os) { *os << b.what; }

const std::string F32_6 = "{\"t\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]}}";

std::vector<Bad> BadFiles() {
  auto one = [](const std::string &entry) { return "{\"t\":" + entry + "}"; };
  return {
      {"header length past the end", F32_6, 24, "header length 1000", 1000},
      {"header length over 100 MB", F32_6, 24, "header length 200000000", 200000000},
      {"header length zero", F32_6, 24, "header length 0", 0},
      {"bad JSON", "{\"t\": {\"dtype\": ", 24, "not valid JSON"},
      {"JSON array", "[1, 2, 3]", 0, "not a JSON object"},
      {"garbage after JSON", F32_6 + " x", 24, "unexpected byte 0x78"},
      {"offset end past data",
       one("{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]}"), 20,
       "out of range"},
      {"begin after end", one("{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,4]}"), 8,
       "reversed (begin after end)"},
      {"overlap",
       "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
       "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
       12, "overlap"},
      {"gap",
       "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
       "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}",
       12, "bytes [4, 8) belong to no tensor"},
      {"trailing data", F32_6, 28, "has 28 bytes but the tensors cover 24"},
      {"dtype F16", one("{\"dtype\":\"F16\",\"shape\":[2,3],\"data_offsets\":[0,12]}"), 12,
       "tensor 't' has dtype 'F16'"},
      {"dtype missing", one("{\"shape\":[2,3],\"data_offsets\":[0,24]}"), 24, "\"dtype\""},
      {"shape product mismatch",
       one("{\"dtype\":\"F32\",\"shape\":[2,4],\"data_offsets\":[0,24]}"), 24,
       "spans 24 bytes but its shape needs 32"},
      {"shape overflow",
       one("{\"dtype\":\"F32\",\"shape\":[1099511627776,1099511627776],"
           "\"data_offsets\":[0,4]}"), 4, "needs more than"},
      {"negative dim", one("{\"dtype\":\"F32\",\"shape\":[-2,3],\"data_offsets\":[0,24]}"), 24,
       "shape[0]"},
      {"fractional dim", one("{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]}"), 8,
       "shape[0]"},
      {"5 dimensions",
       one("{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1],\"data_offsets\":[0,4]}"), 4,
       "5 dimensions"},
      {"shape not array", one("{\"dtype\":\"F32\",\"shape\":6,\"data_offsets\":[0,24]}"), 24,
       "\"shape\""},
      {"offsets wrong count", one("{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}"), 4,
       "data_offsets"},
      {"offset a string", one("{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,\"4\"]}"),
       4, "data_offsets"},
      {"entry not object", "{\"t\": 5}", 0, "tensor 't' is not an object"},
      {"duplicate name",
       "{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
       "\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
       8, "tensor 't' appears twice"},
      {"metadata value not string", "{\"__metadata__\":{\"epochs\":30}}", 0,
       "metadata 'epochs' is not a string"},
      {"metadata not object", "{\"__metadata__\":[]}", 0, "must be an object"},
      {"metadata twice", "{\"__metadata__\":{},\"__metadata__\":{}}", 0, "appears twice"},
  };
}

class SafetensorsBad : public Safetensors, public testing::WithParamInterface<Bad> {};

TEST_P(SafetensorsBad, IsRejectedWithAClearMessage) {
  const Bad &c = GetParam();
  Bytes b = RawFile(c.header, c.data_bytes);
  if (c.length_override >= 0)
    for (int i = 0; i < 8; i++) b[i] = (unsigned char)((uint64_t)c.length_override >> (8 * i));
  fs::path p = dir_ / "bad.safetensors";
  WriteFile(p, b);
  EXPECT_EQ(Open(p), TS_E_FORMAT) << c.what << ": " << err_.msg;
  EXPECT_NE(std::strstr(err_.msg, c.expect), nullptr)
      << c.what << ": message lacks \"" << c.expect << "\": " << err_.msg;
  EXPECT_NE(std::strstr(err_.msg, p.c_str()), nullptr)
      << c.what << ": message does not name the file: " << err_.msg;
}

INSTANTIATE_TEST_SUITE_P(Malformed, SafetensorsBad, testing::ValuesIn(BadFiles()),
                         [](const testing::TestParamInfo<Bad> &i) {
                           std::string n;
                           for (const char *c = i.param.what; *c; c++)
                             n += std::isalnum((unsigned char)*c) ? *c : '_';
                           return n;
                         });

TEST_F(Safetensors, EveryTruncationIsAnErrorNotACrash) {
  Sample s = MakeSample();
  fs::path good = dir_ / "w.safetensors", cut = dir_ / "cut.safetensors";
  ASSERT_EQ(ts_st_write(good.c_str(), s.t.data(), 3, s.m.data(), 2, &err_), TS_OK) << err_.msg;
  Bytes b = ReadFile(good);
  uint64_t n = 0;
  for (int i = 7; i >= 0; i--) n = n << 8 | b[i];
  // Every cut in the length and header; in the data, each float boundary
  // and the byte after it (the other cuts behave alike and only cost time).
  for (size_t len = 0; len < b.size(); len += (len < 8 + n + 8 || len % 4 == 0) ? 1 : 3) {
    WriteFile(cut, Bytes(b.begin(), b.begin() + (long)len));
    ts_status st = Open(cut);
    EXPECT_EQ(st, TS_E_FORMAT) << "truncated to " << len << " of " << b.size()
                               << " bytes: " << err_.msg;
  }
}

TEST_F(Safetensors, RandomCorruptionNeverCrashes) {
  Sample s = MakeSample();
  fs::path good = dir_ / "w.safetensors", bad = dir_ / "bad.safetensors";
  ASSERT_EQ(ts_st_write(good.c_str(), s.t.data(), (int)s.t.size(), s.m.data(),
                        (int)s.m.size(), &err_), TS_OK) << err_.msg;
  Bytes b = ReadFile(good);
  std::mt19937 g(7);
  int ok = 0, failed = 0;
  for (int iter = 0; iter < 250; iter++) {
    Bytes c = b;
    int flips = 1 + (int)(g() % 4);
    // Mostly hit the header (the data section accepts any bytes).
    for (int k = 0; k < flips; k++) c[g() % std::min<size_t>(c.size(), 700)] = (unsigned char)g();
    WriteFile(bad, c);
    (Open(bad) == TS_OK ? ok : failed)++;
  }
  EXPECT_GT(failed, 0) << "corruption was never detected";
  RecordProperty("accepted", ok);
}

TEST_F(Safetensors, MissingFileAndDirectoryAreIoErrors) {
  EXPECT_EQ(Open(dir_ / "absent.safetensors"), TS_E_IO);
  EXPECT_NE(std::strstr(err_.msg, "absent.safetensors"), nullptr) << err_.msg;
  EXPECT_EQ(Open(dir_), TS_E_IO) << err_.msg;
  EXPECT_NE(std::strstr(err_.msg, "a directory"), nullptr) << err_.msg;
}

// A FIFO in place of a model: refused at once, not an open() that waits for
// a writer forever. The open runs in a child so that the old behaviour
// shows as a failure after 5 s instead of hanging the suite.
TEST_F(Safetensors, FifoIsRefusedWithoutBlocking) {
  const fs::path p = dir_ / "x.safetensors";
  ASSERT_EQ(mkfifo(p.c_str(), 0600), 0) << std::strerror(errno);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ts_st_file *f = nullptr;
    ts_error e{};
    const ts_status st = ts_st_open(p.c_str(), &f, &e);
    _exit(st == TS_E_IO && std::strstr(e.msg, "FIFO") && std::strstr(e.msg, p.c_str()) ? 0 : 1);
  }
  int status = 0, waited_ms = 0;
  while (waitpid(pid, &status, WNOHANG) == 0 && waited_ms < 5000) {
    usleep(10000);
    waited_ms += 10;
  }
  if (waited_ms >= 5000) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    FAIL() << "ts_st_open on a FIFO still blocked after 5 s";
  }
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "ts_st_open on a FIFO did not return TS_E_IO naming the FIFO and its path";
  Open(p); // in this process too: must return at once
  EXPECT_NE(std::strstr(err_.msg, "FIFO"), nullptr) << err_.msg;
}

TEST_F(Safetensors, WriteRejectsBadArgumentsAndCreatesNothing) {
  float v[4] = {1, 2, 3, 4};
  ts_st_tensor ok{"a", 1, {4, 0, 0, 0}, v};
  struct Case {
    const char *what;
    std::vector<ts_st_tensor> t;
    std::vector<ts_st_meta> m;
    const char *expect;
  } cases[] = {
      {"duplicate name", {ok, ok}, {}, "used twice"},
      {"reserved name", {{"__metadata__", 1, {4, 0, 0, 0}, v}}, {}, "reserved"},
      {"empty name", {{"", 1, {4, 0, 0, 0}, v}}, {}, "empty"},
      {"ndim 5", {{"a", 5, {1, 1, 1, 1}, v}}, {}, "ndim = 5"},
      {"negative dim", {{"a", 2, {2, -2, 0, 0}, v}}, {}, "negative"},
      {"NULL data", {{"a", 1, {4, 0, 0, 0}, nullptr}}, {}, "no data"},
      {"duplicate metadata", {ok}, {{"k", "1"}, {"k", "2"}}, "given twice"},
      {"NULL metadata value", {ok}, {{"k", nullptr}}, "NULL"},
  };
  fs::path p = dir_ / "w.safetensors";
  for (const Case &c : cases) {
    err_ = ts_error{};
    EXPECT_EQ(ts_st_write(p.c_str(), c.t.data(), (int)c.t.size(), c.m.data(), (int)c.m.size(),
                          &err_), TS_E_ARG) << c.what;
    EXPECT_NE(std::strstr(err_.msg, c.expect), nullptr) << c.what << ": " << err_.msg;
    EXPECT_TRUE(fs::is_empty(dir_)) << c.what << " left a file behind";
  }
  EXPECT_EQ(ts_st_write(nullptr, &ok, 1, nullptr, 0, &err_), TS_E_ARG);
  EXPECT_EQ(ts_st_write(p.c_str(), nullptr, 1, nullptr, 0, &err_), TS_E_ARG);
}

TEST_F(Safetensors, ReplacingAFileLeavesNoTemporaries) {
  Sample s = MakeSample();
  fs::path p = dir_ / "w.safetensors";
  ASSERT_EQ(ts_st_write(p.c_str(), s.t.data(), 1, nullptr, 0, &err_), TS_OK) << err_.msg;
  ASSERT_EQ(ts_st_write(p.c_str(), s.t.data(), 3, nullptr, 0, &err_), TS_OK) << err_.msg;
  ASSERT_EQ(Open(p), TS_OK) << err_.msg;
  EXPECT_EQ(ts_st_num_tensors(f_), 3) << "the second write did not replace the first";
  EXPECT_TRUE(OtherFiles(dir_, "w.safetensors").empty())
      << "stray file: " << OtherFiles(dir_, "w.safetensors")[0];
}

TEST_F(Safetensors, WriteIntoMissingDirectoryFailsCleanly) {
  Sample s = MakeSample();
  fs::path p = dir_ / "no" / "such" / "dir" / "w.safetensors";
  EXPECT_EQ(ts_st_write(p.c_str(), s.t.data(), 2, nullptr, 0, &err_), TS_E_IO);
  EXPECT_NE(std::strstr(err_.msg, "No such file"), nullptr) << err_.msg;
  EXPECT_TRUE(fs::is_empty(dir_));
}

// A write that fails half-way (the file-size limit stands in for a full
// disk) must keep the previous file byte for byte and remove its temporary.
TEST_F(Safetensors, FailedWriteKeepsTheOldFileIntact) {
  Sample s = MakeSample();
  fs::path p = dir_ / "w.safetensors";
  ASSERT_EQ(ts_st_write(p.c_str(), s.t.data(), 2, s.m.data(), 1, &err_), TS_OK) << err_.msg;
  const Bytes before = ReadFile(p);
  std::vector<float> big(64 * 1024, 1.0f);
  ts_st_tensor t{"big", 1, {(int64_t)big.size(), 0, 0, 0}, big.data()};

  struct rlimit old_lim;
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old_lim), 0);
  struct rlimit lim = old_lim;
  lim.rlim_cur = 16 * 1024;  // the new file needs 256 KiB
  void (*old_sig)(int) = signal(SIGXFSZ, SIG_IGN);
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &lim), 0);
  ts_status st = ts_st_write(p.c_str(), &t, 1, nullptr, 0, &err_);
  setrlimit(RLIMIT_FSIZE, &old_lim);
  signal(SIGXFSZ, old_sig);

  EXPECT_EQ(st, TS_E_IO) << err_.msg;
  EXPECT_NE(std::strstr(err_.msg, "File too large"), nullptr) << err_.msg;
  EXPECT_TRUE(ReadFile(p) == before) << "the old file changed";
  std::vector<std::string> stray = OtherFiles(dir_, "w.safetensors");
  EXPECT_TRUE(stray.empty()) << "temporary left behind: " << stray[0];
}

TEST_F(Safetensors, WriteIntoReadOnlyDirectoryKeepsTheOldFile) {
  if (geteuid() == 0) GTEST_SKIP() << "root ignores directory permissions";
  Sample s = MakeSample();
  fs::path p = dir_ / "w.safetensors";
  ASSERT_EQ(ts_st_write(p.c_str(), s.t.data(), 2, nullptr, 0, &err_), TS_OK) << err_.msg;
  const Bytes before = ReadFile(p);
  fs::permissions(dir_, fs::perms::owner_write | fs::perms::group_write | fs::perms::others_write,
                  fs::perm_options::remove);
  EXPECT_EQ(ts_st_write(p.c_str(), s.t.data(), 4, nullptr, 0, &err_), TS_E_IO);
  EXPECT_NE(std::strstr(err_.msg, "Permission denied"), nullptr) << err_.msg;
  EXPECT_TRUE(ReadFile(p) == before) << "the old file changed";
}

}  // namespace
