// models/base/ts_file.c: what ts_file_open says for each kind of path that
// is not a regular file, and the default role name.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "test_util.h"
#include "ts_file.h"

namespace {

// The message of opening path as a "model", which must fail with TS_E_IO.
std::string OpenError(const std::string &path, const char *what = "model") {
  FILE *fp = nullptr;
  ts_error err{};
  EXPECT_EQ(ts_file_open(path.c_str(), what, &fp, &err), TS_E_IO) << path;
  EXPECT_EQ(fp, nullptr);
  return err.msg;
}

TEST(FileKinds, EachKindOfNonRegularFileIsNamed) {
  ts_test::TestDir dir("file_kinds");
  EXPECT_NE(OpenError(dir.str()).find("is a directory; a regular file is needed"),
            std::string::npos);
  EXPECT_NE(OpenError("/dev/null").find("is a character device"), std::string::npos);
  const std::string sock = dir.str() + "/s.sock";
  const int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  ASSERT_LT(sock.size(), sizeof addr.sun_path);
  std::strcpy(addr.sun_path, sock.c_str());
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr), 0);
  // a socket cannot be open()ed: the error is open's, naming the path
  EXPECT_NE(OpenError(sock).find(sock), std::string::npos);
  close(fd);
}

TEST(FileKinds, RoleDefaultsToFile) {
  EXPECT_EQ(OpenError("/nonexistent/x", nullptr).rfind("cannot open file '/nonexistent/x'", 0),
            0u);
  FILE *fp = nullptr;
  ts_error err{};
  EXPECT_EQ(ts_file_open("", nullptr, &fp, &err), TS_E_ARG);
  EXPECT_STREQ(err.msg, "file: empty path");
  EXPECT_EQ(ts_file_open(nullptr, "model", &fp, &err), TS_E_ARG);
}

}  // namespace
