// Synthesis of the RTL with Yosys (rtl/synth.mk) in a small configuration
// (2x2 array, small buffers): a construct Yosys 0.23 rejects fails this
// test, and the synthesized PE must have its real accumulator width (the
// simulation's PE datapath is 64 bits wide, rtl/tessera_pe.sv).
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#if !defined(TS_SYNTH_SMALL_DIR) || !defined(TS_YOSYS)
#error "build with -DTS_SYNTH_SMALL_DIR and -DTS_YOSYS (rtl/synth.mk, HW_TEST_DEFS)"
#endif

namespace {

std::string slurp(const std::string &path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// Value of `localparam int unsigned NAME = v;` in the generated parameters.
int param(const std::string &svh, const std::string &name) {
  std::smatch m;
  const std::regex re("localparam int unsigned " + name + " = ([0-9]+);");
  return std::regex_search(svh, m, re) ? std::stoi(m[1]) : -1;
}

// The block of `stat` output for the first module whose name contains mod.
std::string module_block(const std::string &stat, const std::string &mod) {
  size_t pos = 0;
  while ((pos = stat.find("=== ", pos)) != std::string::npos) {
    const size_t end_name = stat.find(" ===", pos + 4);
    const size_t next = stat.find("=== ", end_name + 4);
    if (stat.substr(pos, end_name - pos).find(mod) != std::string::npos)
      return stat.substr(pos, next == std::string::npos ? std::string::npos : next - pos);
    pos = end_name + 4;
  }
  return "";
}

// Flip-flops among a module's gate-level cells ($_DFF*, $_DFFE*, $_SDFF*...).
int flops(const std::string &block) {
  int n = 0;
  std::smatch m;
  const std::regex re(R"(\$_S?DFFS?E?_\w+\s+([0-9]+))");
  for (auto it = block.cbegin(); std::regex_search(it, block.cend(), m, re); it = m[0].second)
    n += std::stoi(m[1]);
  return n;
}

}  // namespace

TEST(Synth, SmallArrayThroughYosys) {
  const std::string dir = TS_SYNTH_SMALL_DIR;
  const std::string out = dir + "/stat_test.txt", log = dir + "/yosys_test.log",
                    msg = dir + "/yosys_test.out";
  std::remove(out.c_str());
  // synth.ys reads every rtl/ module with this configuration's parameters,
  // synthesizes tessera_top and ends with `check -assert`.
  const std::string cmd = std::string(TS_YOSYS) + " -q -l " + log + " -p 'script " + dir +
                          "/synth.ys; tee -q -o " + out + " stat' >" + msg + " 2>&1";
  const int rc = std::system(cmd.c_str());
  if (rc != 0) {
    // Yosys's messages name the file, line and construct it rejected.
    const std::string m = slurp(msg);
    FAIL() << "yosys failed on the RTL (system() status " << rc << "; full log " << log
           << "):\n" << m.substr(m.size() > 1500 ? m.size() - 1500 : 0);
  }
  const std::string stat = slurp(out);
  ASSERT_FALSE(stat.empty()) << "no stat output in " << out;

  // Every module was synthesized (the hierarchy is kept, one block each).
  for (const char *m : {"tessera_top", "tessera_ctrl", "tessera_lane", "tessera_pe",
                        "tessera_requant", "tessera_act_buf", "tessera_out_buf",
                        "tessera_weight_mem", "tessera_ram_1r1w"})
    EXPECT_FALSE(module_block(stat, m).empty()) << m << " missing from the synthesized design";

  // The PE at its real width: the accumulator is HW_ACC_BITS flip-flops of
  // this configuration, not the simulation's 64.
  const int acc_bits = param(slurp(dir + "/tessera_hw_params.svh"), "HW_ACC_BITS");
  ASSERT_GT(acc_bits, 0) << "HW_ACC_BITS not found in " << dir << "/tessera_hw_params.svh";
  EXPECT_EQ(flops(module_block(stat, "tessera_pe")), acc_bits)
      << "flip-flops in the synthesized PE (expected its HW_ACC_BITS accumulator)";
}
