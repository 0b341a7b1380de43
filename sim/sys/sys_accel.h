// The Verilated accelerator (rtl/tessera_top, the model sim/sim.mk builds)
// as an SC_MODULE: its controller thread drains the staging banks through
// the RTL's host port (one write a clock), starts the array, clocks it
// until idle and reads the results row by row into a result bank.
//
// The module keeps local time ahead of the kernel between synchronisation
// points (TLM-2.0 temporal decoupling): the RTL talks to nobody while it
// computes or drains a bank, so the kernel is entered once per chunk and
// per run instead of once per clock, with the same timing.
#ifndef SYS_ACCEL_H
#define SYS_ACCEL_H

#include <systemc>

#include <cstdint>
#include <memory>

#include "sys_layer.h"
#include "ts_status.h"

class VerilatedContext;
class Vtessera_top;

struct SysAccel : sc_core::sc_module {
  explicit SysAccel(sc_core::sc_module_name name);
  ~SysAccel() override;

  // A fresh RTL model, reset (one per ts_sys handle). TS_E_HW on a failure
  // at reset.
  ts_status attach(ts_error *err);
  void detach();
  bool failed() const;  // an RTL assertion fired earlier
  uint64_t clocks() const { return clocks_; }

  void layer_thread(SysLayer *L);

 private:
  void tick();
  void host_write(int sel, int addr, const uint8_t *data, int bytes);
  // Start, clock until idle; false (and L failed) on an assertion or the limit.
  bool run_array(SysLayer *L, size_t ri, uint64_t *ticks);
  void read_results(SysLayer *L, size_t ri, uint8_t *dst);

  std::unique_ptr<VerilatedContext> ctx_;
  std::unique_ptr<Vtessera_top> top_;
  uint64_t clocks_ = 0;
};

#endif  // SYS_ACCEL_H
