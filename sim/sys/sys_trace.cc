// The VCD trace of the system model (sys_trace.h).
#include "sys_trace.h"

#include <cstdio>

ts_status SysTrace::open(const std::string &path, const SysProbes &p, ts_error *err) {
  close();
  const std::string sfx = ".vcd";
  if (path.size() <= sfx.size() || path.compare(path.size() - sfx.size(), sfx.size(), sfx))
    return ts_fail(err, TS_E_ARG, "sys create: trace file '%s' must end in .vcd", path.c_str());
  if (FILE *f = fopen(path.c_str(), "w"))  // SystemC only warns when it cannot write
    fclose(f);
  else
    return ts_fail(err, TS_E_IO, "sys create: cannot write trace file '%s'", path.c_str());
  tf_ = sc_core::sc_create_vcd_trace_file(path.substr(0, path.size() - sfx.size()).c_str());
  if (!tf_) return ts_fail(err, TS_E_IO, "sys create: cannot open trace file '%s'", path.c_str());
  // The kernel's resolution; SystemC prints an info line on stdout about
  // the unit, which a command's output does not want.
  sc_core::sc_report_handler::set_actions("tracing timescale unit set",
                                          sc_core::SC_DO_NOTHING);
  tf_->set_time_unit(1, sc_core::SC_PS);
  sc_core::sc_trace(tf_, p.accel_state, "accel_state", 3);
  sc_core::sc_trace(tf_, p.layer, "layer", 16);
  sc_core::sc_trace(tf_, p.run, "run", 16);
  sc_core::sc_trace(tf_, p.chunk, "chunk", 16);
  sc_core::sc_trace(tf_, p.dma_in, "dma_in");
  sc_core::sc_trace(tf_, p.dma_out, "dma_out");
  sc_core::sc_trace(tf_, p.bank_full[0], "bank0_full");
  sc_core::sc_trace(tf_, p.bank_full[1], "bank1_full");
  return TS_OK;
}

void SysTrace::close() {
  if (tf_) sc_core::sc_close_vcd_trace_file(tf_);
  tf_ = nullptr;
}
