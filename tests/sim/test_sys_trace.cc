// The system model's optional VCD trace (ts_sys_opts.trace_vcd,
// sim/sys/sys_trace.h): the file is well-formed VCD with the documented
// variables, the accelerator goes through its states in it, and tracing
// changes no cycle of the layer's report.
#include <gtest/gtest.h>

#include <unistd.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "../rtl/hw_layer.h"
#include "ts_rng.h"
#include "ts_sys.h"

namespace {

ts_sys_report run_layer(const ts_sys_opts *o, const Layer &L, std::string *err_msg) {
  ts_sys *s = nullptr;
  ts_error err = {};
  ts_sys_report rep = {};
  if (ts_sys_create(o, &s, &err) != TS_OK) {
    *err_msg = err.msg;
    return rep;
  }
  const ts_int_gemm g = L.desc();
  std::vector<int64_t> y((size_t)L.m * L.n), want(y.size());
  if (ts_sys_gemm(s, "fc1", &g, nullptr, L.x.data(), y.data(), &rep, &err) != TS_OK)
    *err_msg = err.msg;
  else if (ts_int_gemm_run(&g, L.x.data(), want.data(), &err) != TS_OK || y != want)
    *err_msg = "outputs differ from the golden model";
  ts_sys_destroy(s);
  return rep;
}

TEST(HwSysTrace, VcdIsWellFormedAndTracingChangesNoCycle) {
  ts_rng r;
  ts_rng_seed(&r, 50);
  const Layer L = make_layer(&r, 120, 400, 1, 8, 0, TS_INT_OUT_U8, Fill::Random, Fill::Random);
  ts_sys_opts o;
  ts_sys_opts_default(&o);
  o.dram_bytes_per_cycle = 2;
  std::string msg;
  const ts_sys_report plain = run_layer(&o, L, &msg);
  ASSERT_EQ(msg, "");
  const std::string path = testing::TempDir() + "ts_sys_trace_" + std::to_string(getpid()) + ".vcd";
  o.trace_vcd = path.c_str();
  const ts_sys_report traced = run_layer(&o, L, &msg);
  ASSERT_EQ(msg, "");
  EXPECT_EQ(traced.total_cycles, plain.total_cycles);
  EXPECT_EQ(traced.stall_data, plain.stall_data);
  EXPECT_EQ(traced.transfer_cycles, plain.transfer_cycles);

  std::ifstream f(path);
  ASSERT_TRUE(f.good()) << path;
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string vcd = ss.str();
  ASSERT_NE(vcd.find("$enddefinitions"), std::string::npos) << vcd.substr(0, 2000);
  EXPECT_NE(vcd.find("$timescale"), std::string::npos);
  // $var <type> <width> <id> <name> ... $end: every documented variable once
  std::map<std::string, std::string> id;  // name -> id code
  std::istringstream in(vcd);
  std::string line;
  long long last_t = -1;
  bool defs = true, times_increase = true;
  std::map<std::string, std::vector<std::string>> values;  // id -> values in order
  while (std::getline(in, line)) {
    if (defs) {
      if (line.find("$enddefinitions") != std::string::npos) defs = false;
      std::istringstream w(line);
      std::string tok, type, width, code, name;
      if (w >> tok && tok == "$var" && w >> type >> width >> code >> name) id[name] = code;
      continue;
    }
    if (line.empty()) continue;
    if (line[0] == '#') {
      const long long t = std::stoll(line.substr(1));
      times_increase &= t > last_t;
      last_t = t;
    } else if (line[0] == 'b') {
      const size_t sp = line.find(' ');
      values[line.substr(sp + 1)].push_back(line.substr(1, sp - 1));
    } else if (line[0] == '0' || line[0] == '1') {
      values[line.substr(1)].push_back(line.substr(0, 1));
    }
  }
  for (const char *v : {"accel_state", "layer", "run", "chunk", "dma_in", "dma_out",
                        "bank0_full", "bank1_full"})
    EXPECT_EQ(id.count(v), 1u) << "no $var " << v;
  EXPECT_TRUE(times_increase) << "timestamps must increase";
  EXPECT_GT(last_t, 0);
  // the accelerator loads (1), runs (2) and reads back (3); the DMA moves data
  std::string states;
  for (const std::string &v : values[id["accel_state"]])
    states += std::to_string(std::stoi(v, nullptr, 2));
  EXPECT_NE(states.find('1'), std::string::npos) << states;
  EXPECT_NE(states.find('2'), std::string::npos) << states;
  EXPECT_NE(states.find('3'), std::string::npos) << states;
  EXPECT_NE(states.find("12"), std::string::npos) << "load then run: " << states;
  bool dma = false;
  for (const std::string &v : values[id["dma_in"]]) dma |= v == "1";
  EXPECT_TRUE(dma) << "dma_in never high";
  unlink(path.c_str());
}

TEST(HwSysTrace, BadTraceNamesAreErrors) {
  ts_sys_opts o;
  ts_sys_opts_default(&o);
  ts_sys *s = nullptr;
  ts_error err = {};
  o.trace_vcd = "trace.txt";
  EXPECT_EQ(ts_sys_create(&o, &s, &err), TS_E_ARG);
  EXPECT_NE(std::string(err.msg).find("must end in .vcd"), std::string::npos) << err.msg;
  o.trace_vcd = "/nonexistent-dir/t.vcd";
  EXPECT_EQ(ts_sys_create(&o, &s, &err), TS_E_IO);
  EXPECT_NE(std::string(err.msg).find("cannot write trace file"), std::string::npos) << err.msg;
  EXPECT_EQ(s, nullptr);
  // the handle slot is free again
  o.trace_vcd = nullptr;
  ASSERT_EQ(ts_sys_create(&o, &s, &err), TS_OK) << err.msg;
  ts_sys_destroy(s);
}

}  // namespace
