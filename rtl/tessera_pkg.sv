// Shared types and derived widths of the Tessera accelerator.
//
// The numbers themselves come from tessera_hw_pkg, generated at build time
// from models/int/ts_hw_params.h (the single source of truth); this package only
// derives widths from them, it never re-types one.
package tessera_pkg;
  import tessera_hw_pkg::*;

  // Activation row: one byte per array column.
  localparam int unsigned ACT_W   = HW_COLS * HW_ABITS;
  // Host write data is wide enough for an activation row or a weight word.
  localparam int unsigned HOST_W  = (ACT_W > 64) ? ACT_W : 64;
  // Weight as seen by a PE: sign-extended to the widest B.
  localparam int unsigned W_W     = HW_WBITS_MAX;
  // Runtime B (1..16) needs 5 bits.
  localparam int unsigned WBITS_W = $clog2(HW_WBITS_MAX + 1);
  // Dot-product length 1..K_MAX.
  localparam int unsigned K_W     = $clog2(HW_K_MAX + 1);
  // Column tiles (at most one per activation row when K = 1).
  localparam int unsigned TILE_W  = $clog2(HW_ACT_ROWS + 1);
  // Valid columns of a tile, 1..COLS.
  localparam int unsigned COL_W   = $clog2(HW_COLS + 1);
  // Output channels of one run.
  localparam int unsigned M_W     = $clog2(HW_CHAN_DEPTH);
  // Memory address widths.
  localparam int unsigned WMEM_AW = $clog2(HW_WMEM_WORDS);
  localparam int unsigned LANE_AW = $clog2(HW_LANE_WORDS);
  localparam int unsigned ACT_AW  = $clog2(HW_ACT_ROWS);
  localparam int unsigned OUT_AW  = $clog2(HW_OUT_ROWS);
  localparam int unsigned JOB_AW  = $clog2(HW_JOB_DEPTH);
  // Weights per packed word, 1..WPORT (B = 1 packs 64 a word).
  localparam int unsigned WPW_W   = $clog2(HW_WPORT_BITS + 1);
  // Bit offset of a weight inside its packed word.
  localparam int unsigned BOFF_W  = $clog2(HW_WPORT_BITS);
  // Sparse entries {run, code}: run bits, entry count of a filter (<= K_MAX).
  localparam int unsigned RUN_W   = HW_SPARSE_RBITS;
  localparam int unsigned ENT_W   = K_W;
  // Entry width E = B (dense) or B + RUN_W (sparse).
  localparam int unsigned EBITS_W = $clog2(HW_WBITS_MAX + HW_SPARSE_RBITS + 1);
  // Product of a B_max weight and a sign- or zero-extended byte.
  localparam int unsigned PROD_W  = W_W + HW_ABITS + 1;
  // Counters read by the host.
  localparam int unsigned CNT_W   = 64;

  typedef enum logic [HW_SEL_BITS-1:0] {
    SelCfg  = HW_SEL_BITS'(HW_SEL_CFG),
    SelWmem = HW_SEL_BITS'(HW_SEL_WMEM),
    SelAct  = HW_SEL_BITS'(HW_SEL_ACT),
    SelChan = HW_SEL_BITS'(HW_SEL_CHAN),
    SelJob  = HW_SEL_BITS'(HW_SEL_JOB),
    SelFilt = HW_SEL_BITS'(HW_SEL_FILT)
  } host_sel_e;

  typedef enum logic [1:0] {
    OutAcc = 2'(INT_OUT_ACC),
    OutU8  = 2'(INT_OUT_U8),
    OutS8  = 2'(INT_OUT_S8)
  } out_mode_e;

  // Entries per 64-bit word at E bits (E = B dense, B + RUN_W sparse; a
  // small ROM after synthesis).
  function automatic logic [WPW_W-1:0] weights_per_word(logic [EBITS_W-1:0] wbits);
    return (wbits == '0) ? '0 : WPW_W'(HW_WPORT_BITS / 32'(wbits));
  endfunction

endpackage
