// std::unique_ptr owners for the library's handles, so a failing ASSERT in a
// test never leaks (ASan's leak check runs after every suite).
#ifndef TESSERA_TESTS_TEST_HANDLES_H
#define TESSERA_TESTS_TEST_HANDLES_H

#include <memory>

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

}  // namespace ts_test

#endif  // TESSERA_TESTS_TEST_HANDLES_H
