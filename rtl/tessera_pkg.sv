// Shared types and derived widths of the Tessera accelerator.
//
// The numbers themselves (HW_*) come from tessera_hw_params.svh, generated at
// build time from models/int/ts_hw_params.h (the single source of truth);
// this package only derives widths from them, it never re-types one. The
// numbers are included rather than imported from a package of their own:
// Yosys 0.23 reads no package that refers to another package.
package tessera_pkg;
  `include "tessera_hw_params.svh"

  // Activation row: one byte per array column.
  localparam int unsigned ACT_W   = HW_COLS * HW_ABITS;
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
  // Lane index, 0..ROWS-1 (one bit even for a single lane).
  localparam int unsigned ROW_W   = (HW_ROWS > 1) ? $clog2(HW_ROWS) : 1;
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
  localparam int unsigned EBITS_MAX = HW_WBITS_MAX + HW_SPARSE_RBITS;
  localparam int unsigned EBITS_W = $clog2(EBITS_MAX + 1);
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

  // Output mode register; Yosys 0.23 casts to no user type, so the register
  // is plain logic of this width holding an out_mode_e value.
  localparam int unsigned OUT_MODE_W = 2;

  typedef enum logic [OUT_MODE_W-1:0] {
    OutAcc = OUT_MODE_W'(INT_OUT_ACC),
    OutU8  = OUT_MODE_W'(INT_OUT_U8),
    OutS8  = OUT_MODE_W'(INT_OUT_S8)
  } out_mode_e;

  // Entries per HW_WPORT_BITS-bit word at E bits (E = B dense, B + RUN_W
  // sparse), 0 for E = 0 (a small ROM). Written as a loop of constant
  // divisions, the plain form Yosys 0.23 reads (it rejects `?:` and
  // `return` in a package function).
  function automatic logic [WPW_W-1:0] weights_per_word(input logic [EBITS_W-1:0] wbits);
    weights_per_word = '0;
    for (int b = 1; b <= EBITS_MAX; b++) begin
      if (32'(wbits) == b) begin
        weights_per_word = WPW_W'(HW_WPORT_BITS / b);
      end
    end
  endfunction

endpackage
