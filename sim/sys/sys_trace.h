// The optional VCD trace of the system model (ts_sys_opts.trace_vcd):
// SystemC's own VCD writer (sc_create_vcd_trace_file) records a few plain
// variables that the accelerator and DMA threads set at their
// synchronisation points, i.e. the system's state over simulated time, as
// GTKWave shows it. Not the RTL's internal signals (a Verilator --trace
// build of the model would be needed for those). The threads always set
// the variables (a store each); with no trace file nothing reads them.
#ifndef SYS_TRACE_H
#define SYS_TRACE_H

#include <systemc>

#include <string>

#include "ts_status.h"

// Accelerator states (probe "accel_state").
enum SysAccelState : unsigned {
  SYS_ACC_IDLE = 0,
  SYS_ACC_PORT = 1,      // host-port writes from a staging bank
  SYS_ACC_RUN = 2,       // the array computing
  SYS_ACC_READBACK = 3,  // result rows into a result bank
  SYS_ACC_WAIT_DATA = 4, // waiting for an input chunk
  SYS_ACC_WAIT_OUT = 5   // waiting for a free result bank
};

struct SysProbes {
  unsigned accel_state = SYS_ACC_IDLE;
  unsigned layer = 0;         // ts_sys_gemm calls so far
  unsigned run = 0;           // the accelerator's run in the layer
  unsigned chunk = 0;         // the chunk it drains
  bool dma_in = false;        // the DMA's input transfers of a chunk in flight
  bool dma_out = false;       // result write-back in flight
  bool bank_full[2] = {false, false};  // input staging bank taken: a chunk (of
                                       // this layer or prefetched) in or on its way
};

class SysTrace {
 public:
  // path must end in ".vcd" (SystemC appends the suffix itself).
  ts_status open(const std::string &path, const SysProbes &p, ts_error *err);
  void close();
  bool on() const { return tf_ != nullptr; }

 private:
  sc_core::sc_trace_file *tf_ = nullptr;
};

#endif  // SYS_TRACE_H
