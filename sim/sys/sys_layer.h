// One layer in flight: the state the accelerator's controller thread and
// the DMA's two threads (DRAM -> input banks, result banks -> DRAM) share,
// and the driver that spawns them and turns the run into a ts_sys_report.
//
// Double buffering: input chunk c goes to bank c % 2, so the DMA fills one
// bank while the accelerator drains the other through its host port, and
// prefetches the next run's first chunks while the array computes; results
// of run r go to result bank r % 2 while the DMA writes the other to DRAM.
#ifndef SYS_LAYER_H
#define SYS_LAYER_H

#include <systemc>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "sys_program.h"
#include "ts_hw.h"
#include "ts_status.h"
#include "ts_sys.h"

struct SysTop;

struct SysLayer {
  const SysProgram *prog = nullptr;
  std::string name;
  sc_core::sc_time period;
  uint64_t limit_cycles = 0;  // the layer's cycle limit
  uint64_t out_n = 0;         // N: columns of Y
  sc_core::sc_time t0;        // layer start

  // Input banks: free, or holding chunk ready[c] once the DMA completed it.
  std::vector<uint8_t> bank[2];
  bool bank_free[2] = {true, true};
  std::vector<char> ready;  // [chunk]
  sc_core::sc_event ev_bank_free, ev_ready;
  // Result banks: the run they hold (its rows in DRAM order), -1 when free.
  std::vector<uint8_t> out[2];
  long out_run[2] = {-1, -1};
  sc_core::sc_event ev_out_full, ev_out_free;

  bool abort = false, accel_done = false, out_done = false;
  std::string waiting = "nothing";  // what the accelerator waits for, for errors
  sc_core::sc_time accel_end, out_end;
  ts_error err = {};
  ts_status st = TS_OK;

  // Accumulated in simulated time; converted to cycles for the report.
  sc_core::sc_time port, run, readback, stall_data, stall_out, stall_dma;
  std::vector<std::pair<sc_core::sc_time, sc_core::sc_time>> compute;  // array busy
  uint64_t bytes[TS_SYS_KINDS] = {};
  ts_hw_counters hw = {};

  // Records the first failure and stops the other threads.
  void fail(ts_status s, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
  void wake_all();
};

// Runs prog on the fabric: DRAM loaded with prog's image, the three threads
// spawned, the kernel run to completion or the cycle limit. y [m][n].
ts_status sys_layer_run(SysTop *top, const SysProgram &prog, const ts_sys_opts &o,
                        const char *name, int out_mode, int m, int n, int64_t *y,
                        ts_sys_report *rep, ts_error *err);

#endif  // SYS_LAYER_H
