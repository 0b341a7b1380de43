// A layer as the system model executes it (host-side preparation, no
// SystemC): the DRAM image (packed weights | activations X | metadata |
// room for the results Y), the host-port writes in order, cut into chunks
// that fit one staging bank, and the array runs of the planner
// (sim/ts_hw_plan.h, the same runs and jobs as ts_hw_gemm).
#ifndef SYS_PROGRAM_H
#define SYS_PROGRAM_H

#include <cstdint>
#include <vector>

#include "ts_hw_plan.h"
#include "ts_int.h"
#include "ts_sparse.h"
#include "ts_status.h"
#include "ts_sys.h"

// One host-port write; its data (bytes <= 16, zero padded to the port) is
// read by the DMA from DRAM at `dram` into the chunk's bank at `bank_off`.
struct SysItem {
  uint64_t dram;
  uint32_t bank_off;
  uint16_t addr;
  uint8_t sel;    // TS_HW_SEL_*
  uint8_t kind;   // ts_sys_kind
  uint8_t bytes;  // 8 (a 64-bit word) or up to 16 (an activation row)
};

// Items [first, first + count) fill one staging bank (bytes <= bank size).
struct SysChunk {
  size_t first, count;
  uint32_t bytes;
};

struct SysRunProg {
  HwRun r;
  size_t chunk0, nchunks;  // this run's chunks
};

struct SysProgram {
  std::vector<uint8_t> image;  // DRAM from the layer's base: W | X | META | Y (zero)
  uint64_t x_base = 0, x_bytes = 0;  // X[k][n] in the image
  uint64_t y_base = 0;         // results: Y[m][n], ebytes each
  int ebytes = 1;              // 1 (requantized) or 8 (accumulator)
  std::vector<SysItem> items;
  std::vector<SysChunk> chunks;
  std::vector<SysRunProg> runs;
  uint64_t plan_cycles = 0;    // the planner's estimate (ts_hw_counters)
  uint64_t work_bound = 0;     // generous cycles of compute for the limit
};

// DRAM regions start on a burst.
uint64_t sys_align(uint64_t v);

// Builds the program of layer g (sparse: sp non-null, compressed filters)
// on input x [k][n]. lead_split: close a chunk before the first activation
// row, so the weights and metadata ahead of it can be prefetched (they are
// known before x is). Fails (TS_E_ARG) when a filter's words do not fit a
// bank of bank_bytes, and with the planner's errors.
ts_status sys_program_build(const ts_int_gemm *g, const ts_sparse *sp, const uint8_t *x,
                            uint32_t bank_bytes, bool lead_split, const char *name,
                            SysProgram *p, ts_error *err);

// The leading chunks of p that hold no activation row (prefetchable).
size_t sys_program_lead_chunks(const SysProgram &p);

// Whether a and b are the same layer but for X: the same port writes,
// chunks, runs and DRAM image outside X.
bool sys_program_same_but_x(const SysProgram &a, const SysProgram &b);

#endif  // SYS_PROGRAM_H
