/* The accelerator's numeric and size parameters: the single source of truth.
 *
 * The RTL never re-types a width: sim/gen_params.c includes this header and
 * prints every parameter of TS_HW_PARAMS below into
 * build/hw/tessera_hw_params.svh, which rtl/tessera_pkg.sv includes. The C
 * golden model (models/int/ts_int.c), the Verilator shim (sim/) and the tests
 * read the same macros. docs/int-arith.md explains each number.
 *
 * The sizes marked "(overridable)" may be set with -D when gen_params is
 * compiled, to print the package of another configuration for synthesis
 * (sim/synth.mk: a small array for the tests, other weight widths); every
 * derived number and check below then follows. The C library, the shim and
 * the simulated RTL are always built with the defaults.
 *
 * Accumulator width, derived (not guessed):
 *   |w| <= 2^(WBITS_MAX-1)          (two's complement minimum -2^(B-1))
 *   |a| <= 2^ABITS - 1 < 2^ABITS    (unsigned activations; signed: <= 2^(ABITS-1))
 *   |dot| <= K_MAX * |w| * |a| < 2^(WBITS_MAX-1 + ABITS + LOG2_K_MAX)
 *   |bias| is limited to the same bound (ts_int_gemm_check enforces it), so
 *   |bias + dot| < 2^(WBITS_MAX + ABITS + LOG2_K_MAX): one more bit for the sign.
 */
#ifndef TS_HW_PARAMS_H
#define TS_HW_PARAMS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Array geometry ---------------------------------------------------- */
#ifndef TS_HW_ROWS /* (overridable) */
#define TS_HW_ROWS 16 /* lanes: each row streams its own (weight, index) pairs */
#endif
#ifndef TS_HW_COLS /* (overridable) */
#define TS_HW_COLS 16 /* output positions (GEMM columns) a lane computes at once */
#endif

/* ---- Number formats ---------------------------------------------------- */
#define TS_HW_WBITS_MIN 1  /* weight bits B, runtime, two's complement */
#ifndef TS_HW_WBITS_MAX /* (overridable) */
#define TS_HW_WBITS_MAX 16
#endif
#define TS_HW_ABITS 8      /* activation bits (uint8, or int8 for the image) */
#ifndef TS_HW_LOG2_K_MAX /* (overridable) */
#define TS_HW_LOG2_K_MAX 11
#endif
#define TS_HW_K_MAX (1 << TS_HW_LOG2_K_MAX) /* longest dot product */
#define TS_HW_ACC_BITS \
  (TS_HW_WBITS_MAX + TS_HW_ABITS + TS_HW_LOG2_K_MAX + 1) /* see above */
#define TS_HW_MULT_BITS 16 /* requant multiplier: 1 .. 2^(MULT_BITS-1) - 1 */
#define TS_HW_MULT_MAX ((1 << (TS_HW_MULT_BITS - 1)) - 1)
#define TS_HW_SHIFT_BITS 6 /* requant right shift: 0 .. 2^SHIFT_BITS - 1 */
#define TS_HW_SHIFT_MAX ((1 << TS_HW_SHIFT_BITS) - 1)

/* ---- Memories ---------------------------------------------------------- */
#define TS_HW_WPORT_BITS 64 /* weight memory read port, bits per cycle */
#ifndef TS_HW_WMEM_WORDS /* (overridable) */
#define TS_HW_WMEM_WORDS 16384 /* packed weight memory depth (64-bit words) */
#endif
#define TS_HW_LANE_WORDS \
  (TS_HW_K_MAX / (TS_HW_WPORT_BITS / TS_HW_WBITS_MAX)) /* one filter at B=16 */
#ifndef TS_HW_ACT_ROWS /* (overridable) */
#define TS_HW_ACT_ROWS 4096  /* activation buffer rows of COLS bytes: (k, tile) */
#endif
#ifndef TS_HW_OUT_ROWS /* (overridable) */
#define TS_HW_OUT_ROWS 4096  /* output buffer rows of COLS results: (m, tile) */
#endif
#ifndef TS_HW_CHAN_DEPTH /* (overridable) */
#define TS_HW_CHAN_DEPTH 1024 /* per-output-channel bias / mult / shift entries */
#endif
#ifndef TS_HW_JOB_DEPTH /* (overridable) */
#define TS_HW_JOB_DEPTH 256  /* job queue entries (m, first tile, tile count) */
#endif
#define TS_HW_ADDR_BITS 16   /* host port address width */
#define TS_HW_ACT_ROW_BITS (TS_HW_COLS * TS_HW_ABITS) /* one activation row */
/* Host write data: an activation row, or one 64-bit word (weights, channel
 * parameters, jobs, configuration), whichever is wider. */
#define TS_HW_HOST_BITS (TS_HW_ACT_ROW_BITS > 64 ? TS_HW_ACT_ROW_BITS : 64)

/* Tile results the output stage takes (and requantizes) per cycle. Under
 * zero-skipping a tile costs ~nnz(filter) cycles: at 90% sparsity conv1's
 * 16 lanes finish ~2 tiles a cycle (docs/hw.md, "Bottlenecks"). */
#ifndef TS_HW_OUT_PORTS /* (overridable) */
#define TS_HW_OUT_PORTS 4
#endif

/* Jobs the controller dispatches per cycle: one job bus each, lane r on bus
 * r % TS_HW_DISPATCH, so all 16 lanes hold a job 8 cycles into a run
 * instead of 16 (a 150-cycle sparse run cannot afford the ramp: docs/hw.md,
 * "Measured: zero-skipping"). */
#define TS_HW_DISPATCH 2

/* ---- Sparse (zero-skipping) weight format, models/int/ts_sparse.h ------ */
/* Each non-zero code travels with an R-bit relative index: the number of
 * zero weights skipped since the previous entry (EIE style); gaps longer
 * than 2^R - 1 cost one zero-code padding entry per 2^R positions. R = 5:
 * at 90% sparsity a random filter needs ~3.5% padding entries (R = 4:
 * ~23%, which alone would miss the 85%-of-ideal goal); docs/hw.md. */
#define TS_HW_SPARSE_RBITS 5
#define TS_HW_SPARSE_RUN_MAX ((1 << TS_HW_SPARSE_RBITS) - 1)

/* ---- Host port register map (shim and RTL agree through this list) ---- */
/* host_sel_i: which storage a host write goes to. */
#define TS_HW_SEL_CFG 0  /* configuration registers, addr = TS_HW_CFG_* */
#define TS_HW_SEL_WMEM 1 /* packed weight word, addr = word index */
#define TS_HW_SEL_ACT 2  /* activation row (COLS bytes), addr = t * K + k */
#define TS_HW_SEL_CHAN 3 /* {shift, mult, bias} of output channel addr */
#define TS_HW_SEL_JOB 4  /* job {count, first tile, m}, addr = job index */
#define TS_HW_SEL_FILT 5 /* filter table {entries, words, word base} of channel addr */
#define TS_HW_SEL_BITS 3
/* Configuration registers (written with TS_HW_SEL_CFG before start). */
#define TS_HW_CFG_K 0          /* dot-product length, 1..K_MAX */
#define TS_HW_CFG_TILES 1      /* column tiles T = ceil(n / COLS) */
#define TS_HW_CFG_LAST_COLS 2  /* valid columns of the last tile, 1..COLS */
#define TS_HW_CFG_WBITS 3      /* B, 1..16 */
#define TS_HW_CFG_SPARSE 4     /* 1: filters are ts_sparse entries {run, code} */
#define TS_HW_CFG_ACT_SIGNED 5 /* 1: activation bytes are int8 */
#define TS_HW_CFG_OUT_MODE 6   /* a ts_int_out value */
#define TS_HW_CFG_NJOBS 7      /* jobs in the queue */
#define TS_HW_CFG_CNT_BASE 8   /* 64-bit value every counter starts a run
                                  from (default 0; design for test: a run
                                  from near 2^64 wraps every counter bit) */
/* Field layout of a job word and a channel word (LSB first). */
#define TS_HW_JOB_FIELD_BITS 16 /* m, first tile, tile count: 16 bits each;
                                   a job stays inside one filter m */
#define TS_HW_FILT_FIELD_BITS 16 /* word base, words, entries: 16 bits each */
#define TS_HW_CHAN_BIAS_LSB 0
#define TS_HW_CHAN_MULT_LSB TS_HW_ACC_BITS
#define TS_HW_CHAN_SHIFT_LSB (TS_HW_ACC_BITS + TS_HW_MULT_BITS)

/* ---- Every parameter the RTL reads (X-macro) ------------------------------
 * sim/gen_params.c prints X(name) for each as `localparam int unsigned`; a
 * new hardware number is defined above and listed here once. */
#define TS_HW_PARAMS(X)                                                        \
  X(TS_HW_ROWS) X(TS_HW_COLS)                                                  \
  X(TS_HW_WBITS_MIN) X(TS_HW_WBITS_MAX) X(TS_HW_ABITS)                         \
  X(TS_HW_LOG2_K_MAX) X(TS_HW_K_MAX) X(TS_HW_ACC_BITS)                         \
  X(TS_HW_MULT_BITS) X(TS_HW_MULT_MAX) X(TS_HW_SHIFT_BITS)                     \
  X(TS_HW_WPORT_BITS) X(TS_HW_WMEM_WORDS) X(TS_HW_LANE_WORDS)                  \
  X(TS_HW_ACT_ROWS) X(TS_HW_OUT_ROWS) X(TS_HW_CHAN_DEPTH)                      \
  X(TS_HW_JOB_DEPTH) X(TS_HW_ADDR_BITS) X(TS_HW_HOST_BITS)                     \
  X(TS_HW_SPARSE_RBITS) X(TS_HW_SPARSE_RUN_MAX) X(TS_HW_OUT_PORTS)             \
  X(TS_HW_DISPATCH)                                                            \
  X(TS_HW_SEL_CFG) X(TS_HW_SEL_WMEM) X(TS_HW_SEL_ACT) X(TS_HW_SEL_CHAN)        \
  X(TS_HW_SEL_JOB) X(TS_HW_SEL_FILT) X(TS_HW_SEL_BITS)                         \
  X(TS_HW_CFG_K) X(TS_HW_CFG_TILES) X(TS_HW_CFG_LAST_COLS)                     \
  X(TS_HW_CFG_WBITS) X(TS_HW_CFG_SPARSE) X(TS_HW_CFG_ACT_SIGNED)               \
  X(TS_HW_CFG_OUT_MODE) X(TS_HW_CFG_NJOBS) X(TS_HW_CFG_CNT_BASE)              \
  X(TS_HW_JOB_FIELD_BITS) X(TS_HW_FILT_FIELD_BITS)                             \
  X(TS_HW_CHAN_BIAS_LSB) X(TS_HW_CHAN_MULT_LSB)                                \
  X(TS_HW_CHAN_SHIFT_LSB)

/* ---- Checks: a parameter change that breaks the contract fails to build -- */
#ifdef __cplusplus
#define TS_HW_STATIC_ASSERT(c, m) static_assert(c, m)
#else
#define TS_HW_STATIC_ASSERT(c, m) _Static_assert(c, m)
#endif
TS_HW_STATIC_ASSERT((long long)TS_HW_K_MAX * (1LL << (TS_HW_WBITS_MAX - 1)) *
                            ((1LL << TS_HW_ABITS) - 1) * 2 <
                        (1LL << (TS_HW_ACC_BITS - 1)),
                    "accumulator too narrow for bias + K_MAX products");
TS_HW_STATIC_ASSERT(TS_HW_ACC_BITS + TS_HW_MULT_BITS - 1 + 1 < 63,
                    "requant product acc * mult must fit int64 with rounding");
TS_HW_STATIC_ASSERT(TS_HW_WPORT_BITS % TS_HW_WBITS_MAX == 0,
                    "the weight port must hold whole B_max weights");
TS_HW_STATIC_ASSERT(TS_HW_WPORT_BITS <= 64, "packed words are uint64_t");
TS_HW_STATIC_ASSERT(TS_HW_CHAN_SHIFT_LSB + TS_HW_SHIFT_BITS <= 64,
                    "a channel word {shift, mult, bias} must fit 64 bits");
TS_HW_STATIC_ASSERT(TS_HW_WBITS_MAX + TS_HW_SPARSE_RBITS <= TS_HW_WPORT_BITS / 2 &&
                        TS_HW_WBITS_MAX + TS_HW_SPARSE_RBITS < 32,
                    "a sparse entry {run, code} must fit twice in a word and in 5 bits of width");
TS_HW_STATIC_ASSERT(TS_HW_DISPATCH >= 1 && TS_HW_DISPATCH <= TS_HW_ROWS,
                    "between one job bus and one per lane");
TS_HW_STATIC_ASSERT(TS_HW_ABITS == 8, "activations travel as bytes");
TS_HW_STATIC_ASSERT(TS_HW_HOST_BITS % 64 == 0,
                    "the host word is whole 64-bit words (the shim writes them)");
TS_HW_STATIC_ASSERT(TS_HW_WMEM_WORDS < (1 << TS_HW_ADDR_BITS) &&
                        TS_HW_ACT_ROWS <= (1 << TS_HW_ADDR_BITS) &&
                        TS_HW_OUT_ROWS <= (1 << TS_HW_ADDR_BITS),
                    "memories must be addressable from the host port");

/* Weights per packed word at B bits: weights never straddle a word, so a
 * word holds floor(WPORT/B) of them (B = 3: 21 weights, 1 bit unused). */
static inline int ts_hw_weights_per_word(int wbits) {
  return TS_HW_WPORT_BITS / wbits;
}

/* Packed words holding one filter row of k weights at B bits. */
static inline int ts_hw_words_per_row(int k, int wbits) {
  int wpw = ts_hw_weights_per_word(wbits);
  return (k + wpw - 1) / wpw;
}

#ifdef __cplusplus
}
#endif
#endif /* TS_HW_PARAMS_H */
