/* C API of the system model (SystemC / TLM-2.0): the Verilated accelerator
 * (rtl/tessera_top) with a DRAM, a DMA engine and double-buffered staging
 * SRAM, layer by layer. docs/system.md has the block diagram and numbers.
 *
 * Every weight word, activation row and metadata word travels DRAM -> DMA
 * (TLM-2.0 b_transport, annotated delays) -> staging bank -> the RTL's host
 * port (one write a cycle); results travel host read port -> staging ->
 * DMA -> DRAM. Outputs equal ts_hw_gemm and ts_int_gemm_run bit for bit.
 *
 * SystemC has one simulation kernel per process, so at most one ts_sys
 * exists at a time (ts_sys_create fails otherwise) and calls must come from
 * one thread. Status codes are ts_status (ts_status_str names them). */
#ifndef TS_SYS_H
#define TS_SYS_H

#include <stdint.h>

#include "ts_hw.h"
#include "ts_int.h"
#include "ts_sparse.h"
#include "ts_status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ts_sys ts_sys;

typedef struct ts_sys_opts {
  double dram_bytes_per_cycle; /* DRAM bandwidth per accelerator cycle; > 0,
                                  INFINITY: no transfer time */
  uint32_t dram_latency;       /* cycles from request to first data */
  double clock_mhz;            /* accelerator clock (for times in us), > 0 */
  uint32_t bank_bytes;         /* each of the two input staging banks; must
                                  hold the largest filter of a layer */
  uint64_t dram_bytes;         /* DRAM capacity; a DMA transfer past it fails */
  uint64_t max_cycles;         /* per layer before TS_E_HW; 0: a bound from
                                  the layer's bytes and work */
  const char *trace_vcd;       /* NULL, or a file ending in .vcd: SystemC's
                                  VCD trace of the system's state (accelerator
                                  state, layer, run, chunk, DMA in/out busy,
                                  staging banks taken; docs/system.md), written
                                  until ts_sys_destroy */
} ts_sys_opts;

/* Defaults: 16 bytes/cycle, 100 cycles latency, 1000 MHz, 2 x 4 KiB banks
 * (TS_HW_LANE_WORDS words: the largest filter),
 * 1 GiB DRAM, max_cycles 0, no trace. */
void ts_sys_opts_default(ts_sys_opts *o);

/* What bounds a layer: the array, the DRAM, or the host port's loads. */
typedef enum ts_sys_bound {
  TS_SYS_BOUND_COMPUTE = 0,
  TS_SYS_BOUND_DRAM = 1,
  TS_SYS_BOUND_PORT = 2
} ts_sys_bound;

const char *ts_sys_bound_str(ts_sys_bound b);

/* Bytes through the DMA by kind. */
typedef enum ts_sys_kind {
  TS_SYS_WEIGHTS = 0, /* packed (dense) or compressed (sparse) filter words */
  TS_SYS_ACTS = 1,    /* activation rows (valid bytes of X[k][tile]) */
  TS_SYS_RESULTS = 2, /* outputs: 1 byte (requantized) or 8 (accumulator) */
  TS_SYS_META = 3,    /* filter table, channel parameters, jobs, configuration */
  TS_SYS_KINDS = 4
} ts_sys_kind;

/* One layer (one ts_sys_gemm call). Cycles are accelerator cycles. The
 * accelerator's timeline is total = port + run + readback + stall_data +
 * stall_out + tail (the write-back after the accelerator's last result); DRAM transfers run
 * beside it and overlap_cycles of them coincide with compute. A layer's
 * transfer_cycles count its own bytes only: a prefetched layer's
 * transfer - prefetch_cycles lie within its total, the rest within the
 * previous layer's (whose total they may lengthen by contention). */
typedef struct ts_sys_report {
  uint64_t total_cycles;    /* layer start to the last result in DRAM */
  uint64_t compute_cycles;  /* the array busy (RTL counter, = ts_hw_gemm's) */
  uint64_t run_cycles;      /* clocks from the start pulse to idle (timeline) */
  uint64_t port_cycles;     /* host-port writes: weights, acts, metadata, start */
  uint64_t readback_cycles; /* result rows read from the output buffer */
  uint64_t transfer_cycles; /* DRAM channel busy (bytes / bandwidth) */
  uint64_t overlap_cycles;  /* of transfer_cycles, while the array computed
                               (this layer's compute, or the previous
                               layer's for prefetched chunks) */
  uint64_t prefetch_cycles; /* of transfer_cycles, before the layer started:
                               its chunks moved during the previous layer
                               (ts_sys_prefetch) */
  uint64_t stall_data;      /* accelerator waiting for a staging bank's data */
  uint64_t stall_out;       /* accelerator waiting for a free result bank */
  uint64_t stall_dma;       /* DMA waiting for a free input bank */
  uint64_t tail_cycles;     /* after the accelerator's end: last results to DRAM */
  uint64_t bytes[TS_SYS_KINDS];
  uint64_t runs, chunks;    /* array runs; staging-bank fills */
  uint64_t prefetched;      /* of chunks, moved during the previous layer */
  ts_sys_bound bound;
  ts_hw_counters hw;        /* the array's own counters, summed over runs */
} ts_sys_report;

/* opts may be NULL (defaults). Errors: TS_E_ARG for a bad option (zero or
 * negative bandwidth, zero clock, a bank smaller than an activation row or
 * a metadata word, a trace name not ending in .vcd) or a second live
 * handle; TS_E_IO for a trace file that cannot be written; TS_E_HW when
 * the model fails at reset. */
ts_status ts_sys_create(const ts_sys_opts *opts, ts_sys **out, ts_error *err);
void ts_sys_destroy(ts_sys *s);

/* Y = the layer g applied to X through the system: x [k][n] bytes in, y
 * [m][n] out (as ts_int_gemm_run). sp NULL: dense mode (g->w packed);
 * else the compressed filters of g (ts_sparse_pack; m, k, B equal) in
 * sparse mode. name (nullable) names the layer in errors and reports.
 * rep (nullable) receives the layer's report. Errors: ts_int_gemm_check
 * (TS_E_ARG), a filter larger than a bank (TS_E_ARG), a DMA transfer out
 * of the DRAM (TS_E_HW), the cycle limit or an RTL assertion (TS_E_HW,
 * naming the layer and what it waited for). After TS_E_HW the handle
 * refuses further layers. */
ts_status ts_sys_gemm(ts_sys *s, const char *name, const ts_int_gemm *g, const ts_sparse *sp,
                      const uint8_t *x, int64_t *y, ts_sys_report *rep, ts_error *err);

/* Cross-layer prefetch: declares the layer the call AFTER the next
 * ts_sys_gemm will run (next: its descriptor with the batch's n; sp: its
 * compressed filters or NULL; both are copied). Its weights and metadata
 * are known now, its activations are not (they are the next layer's
 * result), so the next ts_sys_gemm lets the DMA move the declared layer's
 * leading chunks that hold no activations (weight words, filter table,
 * channel parameters; at most the two staging banks) into whichever bank
 * the current layer has drained, i.e. while the array computes: the RTL
 * takes no host-port writes while busy, but the banks are outside it.
 * The declared layer's program cuts a chunk before its first activation
 * row so its weights can go early.
 *
 *   ts_sys_prefetch(s, "l1", &g1, NULL)  ts_sys_gemm(s, "l0", &g0, ...)
 *   ts_sys_prefetch(s, "l2", &g2, NULL)  ts_sys_gemm(s, "l1", &g1, ...)
 *   ...                                   ts_sys_gemm(s, "lN", &gN, ...)
 *
 * The ts_sys_gemm after the one that moved them must run the declared
 * layer: its program is rebuilt and compared word for word with what was
 * prefetched; a different layer fails (TS_E_ARG naming both; the
 * prefetched chunks are dropped and the handle stays usable). A second
 * ts_sys_prefetch before the ts_sys_gemm replaces the first. Errors:
 * TS_E_ARG for a bad descriptor (ts_int_gemm_check) or a filter larger
 * than a bank. */
ts_status ts_sys_prefetch(ts_sys *s, const char *name, const ts_int_gemm *next,
                          const ts_sparse *sp, ts_error *err);

/* Simulated time of the handle so far, in accelerator cycles. */
uint64_t ts_sys_cycles(const ts_sys *s);

#ifdef __cplusplus
}
#endif
#endif /* TS_SYS_H */
