// std::unique_ptr owners for the library's handles, so a failing ASSERT in a
// test never leaks (ASan's leak check runs after every suite), and the
// network and input factories several suites share.
#ifndef TESSERA_TESTS_TEST_HANDLES_H
#define TESSERA_TESTS_TEST_HANDLES_H

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <random>
#include <vector>

#include "ts_dataset.h"
#include "ts_net.h"

namespace ts_test {

struct NetDeleter {
  void operator()(ts_net *n) const { ts_net_destroy(n); }
};
struct TrainerDeleter {
  void operator()(ts_trainer *t) const { ts_trainer_destroy(t); }
};
struct DatasetDeleter {
  void operator()(ts_dataset *d) const { ts_dataset_destroy(d); }
};
using NetPtr = std::unique_ptr<ts_net, NetDeleter>;
using TrainerPtr = std::unique_ptr<ts_trainer, TrainerDeleter>;
using DsPtr = std::unique_ptr<ts_dataset, DatasetDeleter>;

// A small network with every layer kind and odd sizes: 2x13x11 input,
// 4 classes, k1 = 3, k2 = 2.
inline ts_arch TinyArch() {
  ts_arch a;
  ts_arch_default(&a, 2, 13, 11, 4);
  a.k1 = 3;
  a.k2 = 2;
  a.c1 = 3;
  a.c2 = 4;
  a.f1 = 7;
  a.f2 = 5;
  return a;
}

// A network of architecture a with ts_net_init(seed) weights.
inline NetPtr MakeNet(const ts_arch &a, uint64_t seed) {
  ts_net *n = nullptr;
  ts_error err{};
  EXPECT_EQ(ts_net_create(&a, &n, &err), TS_OK) << err.msg;
  if (n) ts_net_init(n, seed);
  return NetPtr(n);
}

// n images [n][c][h][w] of standard normal values.
inline std::vector<float> RandomImages(const ts_arch &a, int n, uint32_t seed) {
  std::mt19937 g(seed);
  std::normal_distribution<float> d(0.f, 1.f);
  std::vector<float> x((size_t)n * a.in_c * a.in_h * a.in_w);
  for (auto &v : x) v = d(g);
  return x;
}

// A small network for MakeStripes' images: 1x12x12 input, 3 classes, a
// few channels and hidden units per layer.
inline ts_arch StripesArch() {
  ts_arch a;
  ts_arch_default(&a, 1, 12, 12, 3);
  a.k1 = 3;
  a.k2 = 2;
  a.c1 = 2;
  a.c2 = 3;
  a.f1 = 5;
  a.f2 = 4;
  return a;
}

// 3 classes told apart by which third of a 1x12x12 image is bright.
inline DsPtr MakeStripes(int n, uint32_t seed) {
  ts_dataset *d = nullptr;
  EXPECT_EQ(ts_dataset_create(n, 1, 12, 12, 3, &d, nullptr), TS_OK);
  std::mt19937 g(seed);
  std::uniform_int_distribution<int> noise(0, 80);
  for (int i = 0; i < n; i++) {
    const int label = (int)(g() % 3);
    d->labels[i] = (uint8_t)label;
    for (int y = 0; y < 12; y++)
      for (int x = 0; x < 12; x++)
        d->pixels[(size_t)i * 144 + y * 12 + x] = (uint8_t)(noise(g) + (y / 4 == label ? 150 : 0));
  }
  return DsPtr(d);
}

}  // namespace ts_test

#endif  // TESSERA_TESTS_TEST_HANDLES_H
