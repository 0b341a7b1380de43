// The co-design search (models/study/ts_codesign.c) against brute force:
// on random small grids (3 layers x 4-6 options, drops on the unit grid)
// the dynamic programme's cost equals the least cost of every combination
// within the budget, and its choice is within the budget; bad arguments
// and an unreachable budget give clear errors.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "ts_codesign.h"

namespace {

struct Grid {
  std::vector<std::vector<ts_cd_option>> opt;
  std::vector<const ts_cd_option *> ptr;
  std::vector<int> n;
  void Finish() {
    for (auto &o : opt) {
      ptr.push_back(o.data());
      n.push_back(static_cast<int>(o.size()));
    }
  }
};

Grid RandomGrid(std::mt19937 &rng, double unit) {
  Grid g;
  std::uniform_int_distribution<int> nopt(4, 6), units(-2, 40), cost(0, 1000);
  for (int l = 0; l < 3; l++) {
    std::vector<ts_cd_option> o;
    const int n = nopt(rng);
    for (int i = 0; i < n; i++)
      o.push_back({2 + i, 0.1 * i, units(rng) * unit, static_cast<double>(cost(rng))});
    g.opt.push_back(o);
  }
  g.Finish();
  return g;
}

// Least cost over every combination whose drops (negative ones as 0) sum to
// at most the budget; INFINITY when none does.
double BruteForce(const Grid &g, double budget) {
  double best = INFINITY;
  for (size_t a = 0; a < g.opt[0].size(); a++)
    for (size_t b = 0; b < g.opt[1].size(); b++)
      for (size_t c = 0; c < g.opt[2].size(); c++) {
        const double d = std::fmax(0, g.opt[0][a].drop) + std::fmax(0, g.opt[1][b].drop) +
                         std::fmax(0, g.opt[2][c].drop);
        if (d <= budget + 1e-12)
          best = std::fmin(best, g.opt[0][a].cost + g.opt[1][b].cost + g.opt[2][c].cost);
      }
  return best;
}

TEST(Codesign, EqualsBruteForceOnRandomGrids) {
  const double unit = 0.001;
  std::mt19937 rng(2026);
  for (int trial = 0; trial < 300; trial++) {
    const Grid g = RandomGrid(rng, unit);
    const double budget = (trial % 60) * unit;
    const double want = BruteForce(g, budget);
    int choice[3] = {-1, -1, -1};
    double cost = -1, drop = -1;
    ts_error err{};
    const ts_status st =
        ts_codesign_search(g.ptr.data(), g.n.data(), 3, budget, unit, choice, &cost, &drop, &err);
    if (std::isinf(want)) {
      EXPECT_EQ(st, TS_E_ARG) << "trial " << trial << ": brute force finds nothing within "
                              << budget << ", the search returned cost " << cost;
      EXPECT_NE(std::string(err.msg).find("smallest reachable"), std::string::npos) << err.msg;
      continue;
    }
    ASSERT_EQ(st, TS_OK) << "trial " << trial << ": " << err.msg;
    EXPECT_DOUBLE_EQ(cost, want) << "trial " << trial << ", budget " << budget;
    double c = 0, d = 0;
    for (int l = 0; l < 3; l++) {
      ASSERT_GE(choice[l], 0);
      ASSERT_LT(choice[l], g.n[l]);
      c += g.opt[l][choice[l]].cost;
      d += std::fmax(0, g.opt[l][choice[l]].drop);
    }
    EXPECT_DOUBLE_EQ(c, cost) << "the choice's cost is the reported cost";
    EXPECT_LE(d, budget + 1e-12) << "trial " << trial << ": the choice exceeds the budget";
  }
}

TEST(Codesign, DropsOffTheUnitGridAreRoundedUpNeverOver) {
  // 0.0015 is 2 units of 0.001: two such layers need 4 units, not 3.
  Grid g;
  g.opt = {{{8, 0, 0, 10}, {4, 0.5, 0.0015, 1}}, {{8, 0, 0, 10}, {4, 0.5, 0.0015, 1}}};
  g.Finish();
  int choice[2];
  double cost = 0, drop = 0;
  ts_error err{};
  ASSERT_EQ(ts_codesign_search(g.ptr.data(), g.n.data(), 2, 0.003, 0.001, choice, &cost, &drop,
                               &err), TS_OK) << err.msg;
  EXPECT_EQ(cost, 11) << "only one layer may take the cheap option";
  EXPECT_LE(drop, 0.003);
  ASSERT_EQ(ts_codesign_search(g.ptr.data(), g.n.data(), 2, 0.004, 0.001, choice, &cost, &drop,
                               &err), TS_OK) << err.msg;
  EXPECT_EQ(cost, 2);
}

TEST(Codesign, BadArgumentsAreRejected) {
  Grid g;
  g.opt = {{{8, 0, 0, 10}}};
  g.Finish();
  int choice[1];
  ts_error err{};
  EXPECT_EQ(ts_codesign_search(g.ptr.data(), g.n.data(), 1, -0.01, 0.001, choice, nullptr,
                               nullptr, &err), TS_E_ARG);
  EXPECT_EQ(ts_codesign_search(g.ptr.data(), g.n.data(), 1, NAN, 0.001, choice, nullptr,
                               nullptr, &err), TS_E_ARG);
  EXPECT_EQ(ts_codesign_search(g.ptr.data(), g.n.data(), 1, 0.01, 0, choice, nullptr, nullptr,
                               &err), TS_E_ARG);
  EXPECT_EQ(ts_codesign_search(g.ptr.data(), g.n.data(), 1, 1e9, 0.001, choice, nullptr,
                               nullptr, &err), TS_E_ARG);
  EXPECT_NE(std::string(err.msg).find("units"), std::string::npos) << err.msg;
  EXPECT_EQ(ts_codesign_search(g.ptr.data(), g.n.data(), 0, 0.01, 0.001, choice, nullptr,
                               nullptr, &err), TS_E_ARG);
  g.opt[0][0].cost = NAN;
  g.ptr.clear();
  g.n.clear();
  g.Finish();
  EXPECT_EQ(ts_codesign_search(g.ptr.data(), g.n.data(), 1, 0.01, 0.001, choice, nullptr,
                               nullptr, &err), TS_E_ARG);
  EXPECT_NE(std::string(err.msg).find("cost"), std::string::npos) << err.msg;
}

}  // namespace
