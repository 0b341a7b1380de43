/* C API of the simulated accelerator (Verilator model of rtl/tessera_top).
 *
 * A ts_hw owns one VerilatedContext and one model; handles are independent
 * (no global state besides Verilator's own), so tests may run several. The
 * numbers follow docs/int-arith.md: ts_hw_gemm must equal ts_int_gemm_run
 * bit for bit. Status codes are ts_status; ts_status_str names them. */
#ifndef TS_HW_H
#define TS_HW_H

#include <stdint.h>

#include "ts_int.h"
#include "ts_sparse.h"
#include "ts_status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ts_hw ts_hw;

typedef struct ts_hw_opts {
  const char *trace_fst; /* FST waveform path, NULL: none (needs HW_TRACE=1) */
  uint64_t max_cycles;   /* per run before TS_E_HW; 0: a bound from the shape */
  int port_loads;        /* 1: weights and activations go through the host port,
                            one simulated cycle per word / row (host_cycles);
                            0 (default): written straight into the memories
                            between clock edges, no simulated cycles. Channel
                            parameters, jobs and configuration always use
                            the port. Results and compute cycles are equal. */
} ts_hw_opts;

/* Counters of the array, summed over the runs of a call. Every lane-cycle
 * of a run is issuing, loading, stalled, idle, or (rarely) draining: a
 * lane with no job left whose last result still waits for the output
 * stage; so lane_run + lane_load + lane_stall + lane_idle <= rows * cycles. */
typedef struct ts_hw_counters {
  uint64_t cycles;       /* cycles from start to idle (compute runs only) */
  uint64_t macs;         /* MACs issued, valid columns only (dense: m*k*n;
                            sparse: entries incl. padding x columns) */
  uint64_t useful_macs;  /* of those, with a non-zero weight: the work itself */
  uint64_t skipped;      /* weights not issued (K - entries per filter and tile) */
  uint64_t wport_cycles; /* weight-port words: cycles the port delivered one */
  uint64_t lane_run;     /* lane-cycles issuing an entry (a MAC on 16 columns) */
  uint64_t lane_load;    /* lane-cycles waiting for / loading a filter */
  uint64_t lane_stall;   /* lane-cycles holding a tile's last entry because
                            its result slot is full (output stage busy) */
  uint64_t lane_idle;    /* lane-cycles idle with nothing in flight: no job */
  uint64_t tiles;        /* tile results through the output stage */
  uint64_t host_cycles;  /* cycles spent by host-port writes (loading buffers;
                            weights and activations only with port_loads) */
  uint64_t runs;         /* start pulses */
  uint64_t plan_cycles;  /* the planner's estimate of cycles (sim/ts_hw_plan.h) */
} ts_hw_counters;

/* Array geometry of the built model (from models/int/ts_hw_params.h). */
int ts_hw_rows(void);
int ts_hw_cols(void);

/* 1 when the model was built with FST tracing (make HW_TRACE=1), else 0. */
int ts_hw_has_trace(void);

/* opts may be NULL. Fails with TS_E_ARG when tracing is asked of a build
 * without it, TS_E_IO when the trace file cannot be opened. */
ts_status ts_hw_create(const ts_hw_opts *opts, ts_hw **out, ts_error *err);
void ts_hw_destroy(ts_hw *hw);

/* Y = the layer g applied to X on the array in dense mode (every weight
 * issued): x [k][n] bytes, y [m][n] as ts_int_gemm_run. Splits M and N into
 * runs that fit the buffers, loads packed weights / activations / filter
 * table / channel parameters / jobs, runs, reads back. cnt (nullable)
 * receives the counters summed over the runs. Errors: the checks of
 * ts_int_gemm_check (TS_E_ARG), an RTL assertion or a run that does not
 * finish (TS_E_HW). */
ts_status ts_hw_gemm(ts_hw *hw, const ts_int_gemm *g, const uint8_t *x,
                     int64_t *y, ts_hw_counters *cnt, ts_error *err);

/* The same layer in sparse (zero-skipping) mode on the same hardware: the
 * lanes stream the compressed filters of s (models/int/ts_sparse.h) and
 * issue only their entries. s may be NULL: then g->w is packed here; else
 * s must be g's weights packed (m, k, B equal; g->w is not read). Results
 * equal ts_int_gemm_run bit for bit, as in dense mode. */
ts_status ts_hw_gemm_sparse(ts_hw *hw, const ts_int_gemm *g, const ts_sparse *s,
                            const uint8_t *x, int64_t *y, ts_hw_counters *cnt,
                            ts_error *err);

/* The layer in whichever mode the planner expects to take fewer cycles
 * (sim/ts_hw_plan.h: dense below the sparsity where the wider entries
 * {run, code} cost more than the skipped weights save, sparse above it).
 * sparse_used (nullable) receives 1 for sparse, 0 for dense. Same results
 * and errors as ts_hw_gemm. */
ts_status ts_hw_gemm_auto(ts_hw *hw, const ts_int_gemm *g, const uint8_t *x, int64_t *y,
                          ts_hw_counters *cnt, int *sparse_used, ts_error *err);

/* Design for test: the value every hardware counter (cycles .. tiles of
 * ts_hw_counters) starts each run from, written now to the configuration
 * register TS_HW_CFG_CNT_BASE; it stays until set again (a new handle: 0).
 * With base b, each of those fields of a call is R * b + its value from
 * base 0, modulo 2^64 (R = runs; the counters are 64-bit and wrap), so a
 * base near 2^64 makes a short GEMM wrap every counter and toggle every bit
 * (tests/rtl/test_hw_counters.cc). host_cycles, runs and plan_cycles are
 * not hardware counters and do not change. Costs one host-port cycle.
 * Errors: hw NULL (TS_E_ARG); the model in an error state (TS_E_HW). */
ts_status ts_hw_set_counter_base(ts_hw *hw, uint64_t base, ts_error *err);

/* t += c, field by field (summing a layer's counters over calls). */
void ts_hw_counters_add(ts_hw_counters *t, const ts_hw_counters *c);

/* Total simulated clock cycles of the handle (host writes included). */
uint64_t ts_hw_sim_cycles(const ts_hw *hw);

#ifdef __cplusplus
}
#endif
#endif /* TS_HW_H */
