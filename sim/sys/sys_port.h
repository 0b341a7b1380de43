// The host-port words of rtl/tessera_top (register map in
// models/int/ts_hw_params.h), as the system model's metadata: filter
// table, channel parameters, jobs and configuration. The same encodings as
// sim/ts_hw_shim.cc's load_filters / configure (whose helpers are private
// to the shim); HwSys.OutputsEqualStandalone checks that both agree.
#ifndef SYS_PORT_H
#define SYS_PORT_H

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "ts_hw_params.h"
#include "ts_hw_plan.h"
#include "ts_int.h"

// {word base, words, entries} of one filter (TS_HW_SEL_FILT).
inline uint64_t sys_filt_word(uint32_t base, const HwFilter &f) {
  const uint64_t fb = TS_HW_FILT_FIELD_BITS;
  return (uint64_t)base | (uint64_t)f.words << fb | (uint64_t)f.entries << (2 * fb);
}

// {shift, mult, bias} of output channel m (TS_HW_SEL_CHAN).
inline uint64_t sys_chan_word(const ts_int_gemm *g, int m) {
  const int64_t bias = g->bias ? g->bias[m] : 0;
  const uint64_t mult = g->out == TS_INT_OUT_ACC ? 1 : (uint64_t)g->mult[m];
  const uint64_t shift = g->out == TS_INT_OUT_ACC ? 0 : (uint64_t)g->shift[m];
  const uint64_t acc_mask = ((uint64_t)1 << TS_HW_ACC_BITS) - 1;
  return ((uint64_t)bias & acc_mask) << TS_HW_CHAN_BIAS_LSB | mult << TS_HW_CHAN_MULT_LSB |
         shift << TS_HW_CHAN_SHIFT_LSB;
}

// {count, first tile, m} (TS_HW_SEL_JOB).
inline uint64_t sys_job_word(const HwJob &j) {
  const uint64_t f = TS_HW_JOB_FIELD_BITS;
  return (uint64_t)j.m | (uint64_t)j.t0 << f | (uint64_t)j.count << (2 * f);
}

// The configuration registers of a run, {address, value} in write order.
inline std::vector<std::pair<int, uint64_t>> sys_cfg_words(const ts_int_gemm *g, bool sparse,
                                                           const HwRun &r, size_t njobs) {
  const int cols = TS_HW_COLS;
  const int nn = std::min(r.tt * cols, g->n - r.t0 * cols);
  const int last_cols = nn - (r.tt - 1) * cols;
  return {{TS_HW_CFG_K, (uint64_t)g->k},
          {TS_HW_CFG_TILES, (uint64_t)r.tt},
          {TS_HW_CFG_LAST_COLS, (uint64_t)last_cols},
          {TS_HW_CFG_WBITS, (uint64_t)g->wbits},
          {TS_HW_CFG_SPARSE, sparse ? 1u : 0u},
          {TS_HW_CFG_ACT_SIGNED, (uint64_t)g->act_signed},
          {TS_HW_CFG_OUT_MODE, (uint64_t)g->out},
          {TS_HW_CFG_NJOBS, (uint64_t)njobs}};
}

#endif  // SYS_PORT_H
