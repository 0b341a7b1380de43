// The contract every entry point shares for a NULL pointer where an object
// is needed: TS_E_ARG and a message, no crash, also with err == NULL.
#ifndef TESSERA_TESTS_MODELS_TEST_ARGS_H
#define TESSERA_TESTS_MODELS_TEST_ARGS_H

#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "ts_status.h"

namespace ts_test {

inline void ExpectArg(const std::string &what, const std::function<ts_status(ts_error *)> &call) {
  ts_error e{};
  EXPECT_EQ(call(&e), TS_E_ARG) << what;
  EXPECT_EQ(e.status, TS_E_ARG) << what;
  EXPECT_NE(e.msg[0], '\0') << what << ": no message";
  EXPECT_EQ(call(nullptr), TS_E_ARG) << what << " (err = NULL)";
}

}  // namespace ts_test

#endif  // TESSERA_TESTS_MODELS_TEST_ARGS_H
