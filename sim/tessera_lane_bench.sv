// Simulation-speed harness for one lane (sim/bench_lane.cc), not part of
// the accelerator: it feeds tessera_lane from registers, as tessera_top and
// tessera_ctrl do, so the simulator evaluates the lane's logic once per
// clock edge as in the full array (logic that depends on a model's own
// input ports is re-evaluated at every eval() call, both clock phases).
//
// Workload: conv1's shape at B = 8 (K = 75, 49 tiles), jobs of 20 tiles
// with a different filter each (a reload per job), weight port always
// granted, results taken as soon as they appear, activations and weights
// from a 64-bit LFSR, signed and unsigned activations in alternate jobs.
module tessera_lane_bench
  import tessera_pkg::*;
(
  input  logic             clk_i,
  input  logic             rst_ni,
  output logic [CNT_W-1:0] macs_o,     // useful MACs so far
  output logic [CNT_W-1:0] results_o,  // tile results taken so far
  output logic [63:0]      check_o     // XOR of the results' low words (keeps them live)
);
  localparam int unsigned Cols  = HW_COLS;
  localparam int unsigned ColW  = COL_W;
  localparam int unsigned ActW  = ACT_W;
  localparam int unsigned WPort = HW_WPORT_BITS;
  localparam int unsigned AccW  = HW_ACC_BITS;

  logic [63:0]      lfsr_q;
  logic [M_W-1:0]   m_q;
  logic             job_valid_q, res_take_q, act_signed_q;
  logic [CNT_W-1:0] macs_q, results_q;
  logic [63:0]      check_q;
  // Only the low and high words of a result feed the checksum.
  /* verilator lint_off UNUSEDSIGNAL */
  logic [Cols*AccW-1:0] res_acc;
  /* verilator lint_on UNUSEDSIGNAL */
  logic             idle, res_valid;
  logic [ColW-1:0]  mac_cols;
  logic [ActW-1:0]  adata;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      lfsr_q       <= 64'h1;
      m_q          <= '0;
      job_valid_q  <= 1'b0;
      res_take_q   <= 1'b0;
      act_signed_q <= 1'b0;
      macs_q       <= '0;
      results_q    <= '0;
      check_q      <= '0;
    end else begin
      // x^64 + x^63 + x^61 + x^60 + 1
      lfsr_q       <= {lfsr_q[62:0], lfsr_q[63] ^ lfsr_q[62] ^ lfsr_q[60] ^ lfsr_q[59]};
      job_valid_q  <= idle && !job_valid_q;
      if (job_valid_q) begin
        m_q          <= m_q + 1'b1;
        act_signed_q <= ~act_signed_q;  // int8 and uint8 jobs alternate
      end
      res_take_q   <= res_valid && !res_take_q;
      macs_q       <= macs_q + CNT_W'(mac_cols);
      results_q    <= results_q + CNT_W'(res_take_q);
      if (res_take_q) begin
        check_q <= check_q ^ res_acc[63:0] ^ res_acc[Cols*AccW-1 -: 64];
      end
    end
  end

  // Activations: the LFSR and a scrambled copy alternate along the row, so
  // no two columns see the same byte (the simulator cannot share their
  // products).
  logic [63:0] lfsr_mix;
  assign lfsr_mix = lfsr_q * 64'h9e37_79b9_7f4a_7c15;
  /* verilator lint_off UNUSEDSIGNAL */
  logic [(ActW / 128 + 1) * 128 - 1:0] act_rep;  // rounded up to whole pairs of words
  /* verilator lint_on UNUSEDSIGNAL */
  assign act_rep = {(ActW / 128 + 1){lfsr_mix, lfsr_q}};
  assign adata   = act_rep[ActW-1:0];

  // The outputs the controller would use are left open here.
  /* verilator lint_off PINCONNECTEMPTY */
  tessera_lane u_lane (
    .clk_i            (clk_i),
    .rst_ni           (rst_ni),
    .cfg_k_i          (K_W'(75)),
    .cfg_tiles_i      (TILE_W'(49)),
    .cfg_last_cols_i  (ColW'(Cols)),
    .cfg_wbits_i      (WBITS_W'(8)),
    .cfg_ebits_i      (EBITS_W'(8)),
    .cfg_epw_i        (WPW_W'(WPort / 8)),
    .cfg_sparse_i     (1'b0),
    .cfg_act_signed_i (act_signed_q),
    .clear_i          (1'b0),
    .job_valid_i      (job_valid_q),
    .job_m_i          (M_W'(m_q[1:0])),
    .job_t_i          ('0),
    .job_count_i      ((OUT_AW+1)'(20)),
    .job_row_i        ('0),
    .job_abase_i      ('0),
    .job_wbase_i      ('0),
    .job_words_i      ((LANE_AW+1)'((75 + WPort / 8 - 1) / (WPort / 8))),
    .job_entries_i    (ENT_W'(75)),
    .idle_o           (idle),
    .busy_o           (),
    .wreq_o           (),
    .wurg_o           (),
    .wgnt_i           (1'b1),
    .wissue_o         (),
    .waddr_o          (),
    .wdata_i          (lfsr_q[WPort-1:0]),
    .are_o            (),
    .aaddr_o          (),
    .adata_i          (adata),
    .res_valid_o      (res_valid),
    .res_take_i       (res_take_q),
    .res_m_o          (),
    .res_row_o        (),
    .res_acc_o        (res_acc),
    .mac_cols_o       (mac_cols),
    .nz_cols_o        (),
    .skip_o           (),
    .run_o            (),
    .load_o           (),
    .stall_o          ()
  );
  /* verilator lint_on PINCONNECTEMPTY */

  assign macs_o    = macs_q;
  assign results_o = results_q;
  assign check_o   = check_q;

endmodule
