// The gnuplot driver (sw/ts_plot.c): PNG + CSV + script for line plots,
// histograms and heat maps; errors when gnuplot is missing or fails, and
// on bad input. Tests that need gnuplot skip when it is not installed.
#include <dirent.h>
#include <sys/stat.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "test_util.h"
#include "ts_plot.h"

namespace {

using ts_test::ReadLines;

// Per-test temporary directory (tests/test_util.h).
class TestDir : public ts_test::TestDir {
 public:
  TestDir() : ts_test::TestDir("plot") {}
};

bool Exists(const std::string &p) { return access(p.c_str(), F_OK) == 0; }

// Names in dir that contain ".tmp": none may be left behind.
std::vector<std::string> TempFiles(const std::string &dir) {
  std::vector<std::string> out;
  DIR *d = opendir(dir.c_str());
  if (!d) return out;
  while (dirent *e = readdir(d))
    if (std::strstr(e->d_name, ".tmp")) out.push_back(e->d_name);
  closedir(d);
  return out;
}

ts_plot_opts Opts() {
  ts_plot_opts o{};
  o.title = "Test accuracy vs weight bits";
  o.xlabel = "weight bits";
  o.ylabel = "test accuracy (%)";
  o.zlabel = "accuracy (%)";
  return o;
}

const char kNoGnuplot[] = "gnuplot is not installed (apt-get install gnuplot-nox)";

TEST(Plot, LinesWritePngCsvAndScript) {
  if (!ts_plot_gnuplot_found(nullptr)) GTEST_SKIP() << kNoGnuplot;
  const TestDir tmp;
  const std::string dir = tmp.str();
  const double bits[] = {1, 2, 4, 8, 16};
  const double a[] = {1.0, 5.5, 30.25, 41.0, 41.5};
  const double b[] = {1.0, 9.0, 35.0, 41.25};
  ts_plot_series s[2] = {{"per-tensor", bits, a, 5},
                         {"per-channel, with comma", bits, b, 4}};
  ts_plot_opts o = Opts();
  o.logx = 1;
  const std::string png = dir + "/quant_acc.png";
  ts_error err{};
  ASSERT_EQ(ts_plot_lines(png.c_str(), &o, s, 2, &err), TS_OK) << err.msg;
  EXPECT_EQ(ts_plot_check_png(png.c_str(), &err), TS_OK) << err.msg;
  const auto csv = ReadLines(dir + "/quant_acc.csv");
  ASSERT_EQ(csv.size(), 1u + 5 + 4);
  EXPECT_EQ(csv[0], "series,x,y,name");
  EXPECT_EQ(csv[1], "0,1,1,per-tensor");
  EXPECT_EQ(csv[3], "0,4,30.25,per-tensor");
  EXPECT_EQ(csv[9], "1,8,41.25,\"per-channel, with comma\"");
  const auto gp = ReadLines(dir + "/quant_acc.gp");
  std::string all;
  for (const auto &l : gp) all += l + "\n";
  EXPECT_NE(all.find("'quant_acc.csv'"), std::string::npos) << all;
  EXPECT_NE(all.find("set logscale x"), std::string::npos) << all;
  EXPECT_NE(all.find("'test accuracy (%)'"), std::string::npos) << all;
  EXPECT_TRUE(TempFiles(dir).empty()) << TempFiles(dir)[0];
}

// Quotes, underscores and spaces in titles and paths reach gnuplot intact.
TEST(Plot, AwkwardTextAndPathsAreQuoted) {
  if (!ts_plot_gnuplot_found(nullptr)) GTEST_SKIP() << kNoGnuplot;
  const TestDir tmp;
  const std::string dir = tmp.str() + "/it's a dir";
  ASSERT_EQ(mkdir(dir.c_str(), 0755), 0) << dir;
  const double x[] = {0, 1}, y[] = {2, 3};
  ts_plot_series s = {"conv1_weight's curve", x, y, 2};
  ts_plot_opts o = Opts();
  o.title = "it's 'quoted' and_underscored\nover two lines";
  const std::string png = dir + "/my plot's.png";
  ts_error err{};
  ASSERT_EQ(ts_plot_lines(png.c_str(), &o, &s, 1, &err), TS_OK) << err.msg;
  EXPECT_EQ(ts_plot_check_png(png.c_str(), &err), TS_OK) << err.msg;
  EXPECT_TRUE(Exists(dir + "/my plot's.csv"));
  EXPECT_TRUE(Exists(dir + "/my plot's.gp"));
}

// v = {0, 0, 1, 1, 1, 2, 3, 4}, 4 bins over [0, 4]: 2, 3, 1, 2 (the
// maximum goes in the last bin).
TEST(Plot, HistogramCountsEveryValueOnce) {
  if (!ts_plot_gnuplot_found(nullptr)) GTEST_SKIP() << kNoGnuplot;
  const TestDir tmp;
  const std::string dir = tmp.str();
  const float v[] = {0, 0, 1, 1, 1, 2, 3, 4};
  ts_plot_opts o = Opts();
  o.title = "conv1 weights";
  o.xlabel = "weight value";
  o.ylabel = "count (weights)";
  o.logy = 1;
  const std::string png = dir + "/hist_conv1.png";
  ts_error err{};
  ASSERT_EQ(ts_plot_histogram(png.c_str(), &o, "conv1", v, 8, 4, &err), TS_OK)
      << err.msg;
  EXPECT_EQ(ts_plot_check_png(png.c_str(), &err), TS_OK) << err.msg;
  const auto csv = ReadLines(dir + "/hist_conv1.csv");
  ASSERT_EQ(csv.size(), 5u);
  EXPECT_EQ(csv[0], "bin_lo,bin_hi,count");
  EXPECT_EQ(csv[1], "0,1,2");
  EXPECT_EQ(csv[2], "1,2,3");
  EXPECT_EQ(csv[3], "2,3,1");
  EXPECT_EQ(csv[4], "3,4,2");
  // a constant tensor (e.g. fully pruned) still plots: one bin around it
  const float zeros[5] = {0, 0, 0, 0, 0};
  ASSERT_EQ(ts_plot_histogram(png.c_str(), &o, "pruned", zeros, 5, 1, &err),
            TS_OK)
      << err.msg;
  const auto one = ReadLines(dir + "/hist_conv1.csv");
  ASSERT_EQ(one.size(), 2u);
  EXPECT_EQ(one[1], "-0.5,0.5,5");
}

TEST(Plot, HeatMapOnAnUnevenGridAndASingleRow) {
  if (!ts_plot_gnuplot_found(nullptr)) GTEST_SKIP() << kNoGnuplot;
  const TestDir tmp;
  const std::string dir = tmp.str();
  const double prune[] = {0, 50, 90, 99}, bits[] = {2, 4, 8};
  std::vector<double> acc(12);
  for (int j = 0; j < 3; j++)
    for (int i = 0; i < 4; i++) acc[j * 4 + i] = 40.0 * bits[j] / 8 - prune[i] / 3;
  ts_plot_opts o = Opts();
  o.title = "Accuracy: weight bits x pruning";
  o.xlabel = "pruned weights (%)";
  o.ylabel = "weight bits";
  const std::string png = dir + "/grid.png";
  ts_error err{};
  ASSERT_EQ(ts_plot_heatmap(png.c_str(), &o, prune, 4, bits, 3, acc.data(),
                            "%.1f", &err),
            TS_OK)
      << err.msg;
  EXPECT_EQ(ts_plot_check_png(png.c_str(), &err), TS_OK) << err.msg;
  const auto csv = ReadLines(dir + "/grid.csv");
  ASSERT_EQ(csv.size(), 13u);
  EXPECT_EQ(csv[0], "x,y,value,x_index,y_index");
  EXPECT_EQ(csv[6], "50,4,3.333333333,1,1"); // 40*4/8 - 50/3, j-major
  const std::string one = dir + "/row.png";
  ASSERT_EQ(ts_plot_heatmap(one.c_str(), &o, prune, 4, bits, 1, acc.data(),
                            nullptr, &err),
            TS_OK)
      << err.msg;
  EXPECT_EQ(ts_plot_check_png(one.c_str(), &err), TS_OK) << err.msg;
}

// No gnuplot needed below: the failures are the point.
TEST(Plot, MissingGnuplotIsAClearErrorAndLeavesNoPng) {
  const TestDir tmp;
  const std::string dir = tmp.str();
  const double x[] = {1, 2}, y[] = {3, 4};
  ts_plot_series s = {"a", x, y, 2};
  ts_plot_opts o = Opts();
  o.gnuplot = "/nonexistent/bin/gnuplot";
  const std::string png = dir + "/p.png";
  ts_error err{};
  EXPECT_EQ(ts_plot_lines(png.c_str(), &o, &s, 1, &err), TS_E_IO);
  EXPECT_NE(std::strstr(err.msg, "not found"), nullptr) << err.msg;
  EXPECT_NE(std::strstr(err.msg, "gnuplot-nox"), nullptr) << err.msg;
  EXPECT_FALSE(Exists(png));
  EXPECT_TRUE(Exists(dir + "/p.csv")) << "data should stay for a rerun";
  EXPECT_TRUE(TempFiles(dir).empty());
  EXPECT_EQ(ts_plot_gnuplot_found("/nonexistent/bin/gnuplot"), 0);
}

TEST(Plot, FailingGnuplotReportsItsStatus) {
  const TestDir tmp;
  const std::string dir = tmp.str();
  const double x[] = {1, 2}, y[] = {3, 4};
  ts_plot_series s = {"a", x, y, 2};
  ts_plot_opts o = Opts();
  o.gnuplot = "false"; // runs, exits 1, writes nothing
  const std::string png = dir + "/p.png";
  ts_error err{};
  EXPECT_EQ(ts_plot_lines(png.c_str(), &o, &s, 1, &err), TS_E_IO);
  EXPECT_NE(std::strstr(err.msg, "exited with status 1"), nullptr) << err.msg;
  EXPECT_FALSE(Exists(png));
}

TEST(Plot, NotAPngIsDetected) {
  const TestDir tmp;
  const std::string dir = tmp.str();
  const std::string p = dir + "/fake.png";
  std::ofstream(p) << "GIF89a not a png";
  ts_error err{};
  EXPECT_EQ(ts_plot_check_png(p.c_str(), &err), TS_E_FORMAT);
  EXPECT_NE(std::strstr(err.msg, "signature"), nullptr) << err.msg;
  EXPECT_EQ(ts_plot_check_png((dir + "/none.png").c_str(), &err), TS_E_IO);
  std::ofstream(dir + "/empty.png");
  EXPECT_EQ(ts_plot_check_png((dir + "/empty.png").c_str(), &err),
            TS_E_FORMAT);
}

// A gnuplot that exits 0 after writing a PNG cut short, as on a full disk
// (gnuplot 5.4 neither reports the failed write nor changes its status).
// It runs the real gnuplot, then truncates the output to `keep` bytes.
std::string TruncatingGnuplot(const std::string &dir, const char *keep) {
  const std::string prog = dir + "/short-gnuplot.sh";
  std::ofstream(prog) << "#!/bin/sh\n"
                         "eval \"$2\"  # outfile='<name>', also valid sh\n"
                         "gnuplot \"$@\" || exit\n"
                         "truncate -s "
                      << keep << " \"$outfile\"\n";
  chmod(prog.c_str(), 0755);
  return prog;
}

std::string Slurp(const std::string &p) {
  std::ifstream f(p, std::ios::binary);
  std::ostringstream o;
  o << f.rdbuf();
  return o.str();
}

TEST(Plot, TruncatedPngIsAnErrorAndNeverReplacesTheOldOne) {
  if (!ts_plot_gnuplot_found(nullptr)) GTEST_SKIP() << kNoGnuplot;
  const TestDir tmp;
  const std::string dir = tmp.str();
  const double x[] = {1, 2, 3}, y[] = {3, 4, 1};
  ts_plot_series s = {"a", x, y, 3};
  ts_plot_opts o = Opts();
  const std::string png = dir + "/train_curve.png";
  ts_error err{};
  ASSERT_EQ(ts_plot_lines(png.c_str(), &o, &s, 1, &err), TS_OK) << err.msg;
  const std::string good = Slurp(png);
  // -12: exactly the IEND chunk missing; 4096: cut inside the image data
  for (const char *keep : {"-12", "4096"}) {
    const std::string prog = TruncatingGnuplot(dir, keep);
    o.gnuplot = prog.c_str();
    EXPECT_EQ(ts_plot_lines(png.c_str(), &o, &s, 1, &err), TS_E_FORMAT)
        << "keep " << keep << ": a truncated PNG was accepted";
    EXPECT_NE(std::strstr(err.msg, png.c_str()), nullptr)
        << "the error should name the PNG: " << err.msg;
    EXPECT_NE(std::strstr(err.msg, "disk full"), nullptr) << err.msg;
    EXPECT_EQ(Slurp(png), good) << "keep " << keep
                                << ": the earlier PNG was replaced";
    EXPECT_TRUE(TempFiles(dir).empty()) << TempFiles(dir)[0];
  }
}

// Every chunk is checked: its length, its CRC, IHDR first, IEND last.
TEST(Plot, CheckPngReadsEveryChunk) {
  if (!ts_plot_gnuplot_found(nullptr)) GTEST_SKIP() << kNoGnuplot;
  const TestDir tmp;
  const std::string dir = tmp.str();
  const double x[] = {1, 2}, y[] = {3, 4};
  ts_plot_series s = {"a", x, y, 2};
  ts_plot_opts o = Opts();
  const std::string png = dir + "/p.png";
  ts_error err{};
  ASSERT_EQ(ts_plot_lines(png.c_str(), &o, &s, 1, &err), TS_OK) << err.msg;
  const std::string good = Slurp(png);
  ASSERT_GT(good.size(), 100u);
  struct Case {
    std::string bytes;
    const char *why;
  };
  std::string flipped = good;
  flipped[good.size() / 2] ^= 0x40;
  const std::vector<Case> cases = {
      {good.substr(0, good.size() - 12), "no IEND"},
      {good.substr(0, good.size() / 2), "cut in the middle"},
      {good.substr(0, 8), "signature only"},
      {flipped, "one bit flipped"},
      {good + "trailing", "bytes after IEND"},
  };
  for (const Case &c : cases) {
    const std::string bad = dir + "/bad.png";
    std::ofstream(bad, std::ios::binary) << c.bytes;
    EXPECT_EQ(ts_plot_check_png(bad.c_str(), &err), TS_E_FORMAT)
        << c.why << " (" << c.bytes.size() << " bytes) passed the check";
  }
  EXPECT_EQ(ts_plot_check_png(png.c_str(), &err), TS_OK) << err.msg;
}

TEST(Plot, BadInputIsRejectedBeforeAnythingIsWritten) {
  const TestDir tmp;
  const std::string dir = tmp.str();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double x[] = {0, 1}, y[] = {1, 2}, ybad[] = {1, nan};
  const std::string png = dir + "/p.png";
  ts_plot_opts o = Opts();
  ts_error err{};
  ts_plot_series bad = {"a", x, ybad, 2};
  EXPECT_EQ(ts_plot_lines(png.c_str(), &o, &bad, 1, &err), TS_E_NONFINITE);
  EXPECT_NE(std::strstr(err.msg, "point 1"), nullptr) << err.msg;
  ts_plot_series good = {"a", x, y, 2};
  o.logx = 1; // x = 0 on a log axis
  EXPECT_EQ(ts_plot_lines(png.c_str(), &o, &good, 1, &err), TS_E_ARG);
  EXPECT_NE(std::strstr(err.msg, "log"), nullptr) << err.msg;
  o = Opts();
  EXPECT_EQ(ts_plot_lines((dir + "/p.svg").c_str(), &o, &good, 1, &err),
            TS_E_ARG);
  EXPECT_NE(std::strstr(err.msg, ".png"), nullptr) << err.msg;
  EXPECT_EQ(ts_plot_lines(png.c_str(), &o, &good, 0, &err), TS_E_ARG);
  ts_plot_series empty = {"a", x, y, 0};
  EXPECT_EQ(ts_plot_lines(png.c_str(), &o, &empty, 1, &err), TS_E_ARG);
  o.ylabel = nullptr;
  EXPECT_EQ(ts_plot_lines(png.c_str(), &o, &good, 1, &err), TS_E_ARG);
  EXPECT_NE(std::strstr(err.msg, "axis labels"), nullptr) << err.msg;
  o = Opts();
  const float fv[] = {1.0f, std::numeric_limits<float>::infinity()};
  EXPECT_EQ(ts_plot_histogram(png.c_str(), &o, "h", fv, 2, 10, &err),
            TS_E_NONFINITE);
  EXPECT_EQ(ts_plot_histogram(png.c_str(), &o, "h", fv, 1, 0, &err), TS_E_ARG);
  const double z[] = {1, 2};
  EXPECT_EQ(ts_plot_heatmap(png.c_str(), &o, x, 2, y, 1, z, "%s", &err),
            TS_E_ARG);
  EXPECT_EQ(ts_plot_heatmap(png.c_str(), &o, x, 2, y, 1, z, "%.1f'", &err),
            TS_E_ARG);
  const double zbad[] = {1, nan};
  EXPECT_EQ(ts_plot_heatmap(png.c_str(), &o, x, 2, y, 1, zbad, nullptr, &err),
            TS_E_NONFINITE);
  DIR *d = opendir(dir.c_str());
  int files = 0;
  while (dirent *e = readdir(d)) files += e->d_name[0] != '.';
  closedir(d);
  EXPECT_EQ(files, 0) << "rejected calls wrote files";
  // an output folder that does not exist
  EXPECT_EQ(ts_plot_lines((dir + "/no/such/p.png").c_str(), &o, &good, 1, &err),
            TS_E_IO);
  EXPECT_NE(std::strstr(err.msg, "no/such"), nullptr) << err.msg;
}

} // namespace
