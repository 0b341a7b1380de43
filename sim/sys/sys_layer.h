// One layer in flight: the state the accelerator's controller thread and
// the DMA's two threads (DRAM -> input banks, result banks -> DRAM) share,
// and the driver that spawns them and turns the run into a ts_sys_report.
//
// Double buffering: input chunk c goes to bank (bank0 + c) % 2, so the DMA
// fills one bank while the accelerator drains the other through its host
// port, and prefetches the next run's first chunks while the array
// computes; results of run r go to result bank r % 2 while the DMA writes
// the other to DRAM. Across layers (ts_sys_prefetch) the DMA goes on with
// the next layer's leading chunks (no activations) once the banks drain.
#ifndef SYS_LAYER_H
#define SYS_LAYER_H

#include <systemc>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "sys_program.h"
#include "sys_trace.h"
#include "ts_hw.h"
#include "ts_status.h"
#include "ts_sys.h"

struct SysTop;

using SysIntervals = std::vector<std::pair<sc_core::sc_time, sc_core::sc_time>>;

// Appends [a, b) to sorted, disjoint intervals, merging when they touch.
void sys_intervals_add(SysIntervals *iv, sc_core::sc_time a, sc_core::sc_time b);

// The two input staging banks. They are outside the RTL, so they outlive a
// layer: a prefetched layer's chunks wait in them.
struct SysBanks {
  std::vector<uint8_t> data[2];
  bool free[2] = {true, true};
};

// A layer declared by ts_sys_prefetch and what the DMA moved of it while
// the layer before it ran.
struct SysPrefetch {
  SysProgram prog;  // built with X = 0 (the activations are not known yet)
  std::string name;
  uint64_t base = 0;           // its DRAM region
  size_t lead = 0;             // leading chunks without activations, <= 2
  size_t moved = 0;            // of them, in the banks
  int bank0 = 0;               // the bank of its chunk 0
  sc_core::sc_time ready_at[2];
  SysIntervals xfer;           // its transfers on the DRAM channel
  SysIntervals compute;        // the compute of the layer that moved them
  uint64_t bytes[TS_SYS_KINDS] = {};
};

struct SysLayer {
  const SysProgram *prog = nullptr;
  std::string name;
  sc_core::sc_time period;
  uint64_t limit_cycles = 0;  // the layer's cycle limit
  uint64_t out_n = 0;         // N: columns of Y
  sc_core::sc_time t0;        // layer start

  uint64_t base = 0;          // the program's DRAM region
  // Input banks: free, or holding chunk c (bank (bank0 + c) % 2), ready
  // once the DMA completed it; prefetched chunks are ready at ready_at[c].
  SysBanks *banks = nullptr;
  int bank0 = 0;
  size_t first_chunk = 0;     // chunks before it were prefetched
  std::vector<char> ready;    // [chunk]
  std::vector<sc_core::sc_time> ready_at;  // [chunk]
  SysPrefetch *next = nullptr;  // the next layer's chunks to move, or null
  SysProbes *probes = nullptr;  // state for the VCD trace
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
  SysIntervals compute;  // array busy
  SysIntervals xfer;     // this layer's DRAM transfers
  uint64_t bytes[TS_SYS_KINDS] = {};
  ts_hw_counters hw = {};

  // Records the first failure and stops the other threads.
  void fail(ts_status s, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
  void wake_all();
};

// Where a layer runs: the banks, and the prefetched layer it is (in, its
// chunks in the banks, its image in DRAM) and the one it prefetches (out).
struct SysLayerEnv {
  SysBanks *banks;
  const SysPrefetch *in;  // null: DRAM and banks start empty
  SysPrefetch *out;       // null: no prefetch
};

// Runs prog on the fabric: DRAM loaded with prog's image, the three threads
// spawned, the kernel run to completion or the cycle limit. y [m][n].
ts_status sys_layer_run(SysTop *top, const SysProgram &prog, const SysLayerEnv &env,
                        const ts_sys_opts &o, const char *name, int out_mode, int m, int n,
                        int64_t *y, ts_sys_report *rep, ts_error *err);

#endif  // SYS_LAYER_H
