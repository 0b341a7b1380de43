// Tessera accelerator top: a Rows x Cols INT MAC array for tiled GEMMs.
//
//   host port --cfg/wmem/act/chan/job--> +---------------------------------+
//                                        | weight mem (packed, 64b port)   |
//      +------------+  jobs   +--------+ |    | shared, arbitrated         |
//      | tessera_   |-------->| lane 0 |<-----+                            |
//      | ctrl       |-------->| lane 1 |<-- act buf (read port per lane)   |
//      | queue, arb |   ...   |  ...   |                                   |
//      +------------+-------->| lane R |--res--> requant x Cols --> out buf --> host
//                                                (bias, mult, shift per m)
//
// A run: the host writes configuration (dense or sparse mode), packed
// weights (dense: B-bit codes; sparse: ts_sparse entries {run, code}), the
// filter table (per m: word base, words, entries), activation rows
// (t * K + k), per-channel {shift, mult, bias}, and a job list; pulses
// start_i; waits for busy_o to fall; reads out rows (m * tiles + t) and the
// counters. Numbers follow
// docs/int-arith.md exactly (checked by tests/rtl against models/int/ts_int.c).
module tessera_top
#(
  localparam int unsigned Rows    = tessera_pkg::HW_ROWS,
  localparam int unsigned Cols    = tessera_pkg::HW_COLS,
  localparam int unsigned AccBits = tessera_pkg::HW_ACC_BITS,
  localparam int unsigned AddrW   = tessera_pkg::HW_ADDR_BITS,
  localparam int unsigned HostW   = tessera_pkg::HW_HOST_BITS,
  localparam int unsigned ChanW   = tessera_pkg::HW_CHAN_SHIFT_LSB + tessera_pkg::HW_SHIFT_BITS,
  localparam int unsigned Fw      = tessera_pkg::HW_JOB_FIELD_BITS,
  localparam int unsigned Ff      = tessera_pkg::HW_FILT_FIELD_BITS
) (
  input  logic clk_i,
  input  logic rst_ni,
  // Host writes.
  input  logic host_we_i,
  input  tessera_pkg::host_sel_e               host_sel_i,
  input  logic [AddrW-1:0]              host_addr_i,
  input  logic [HostW-1:0]              host_wdata_i,
  // Run control.
  input  logic                          start_i,
  output logic                          busy_o,
  // Result read (while idle): row m * tiles + t, Cols results of AccBits.
  input  logic [AddrW-1:0]              host_raddr_i,
  output logic [Cols*AccBits-1:0]       host_rdata_o,
  // Counters of the last run, each from HW_CFG_CNT_BASE (0 unless set).
  output logic [tessera_pkg::CNT_W-1:0] cnt_cycles_o,
  output logic [tessera_pkg::CNT_W-1:0] cnt_macs_o,
  output logic [tessera_pkg::CNT_W-1:0] cnt_nz_macs_o,
  output logic [tessera_pkg::CNT_W-1:0] cnt_skipped_o,
  output logic [tessera_pkg::CNT_W-1:0] cnt_wport_o,
  output logic [tessera_pkg::CNT_W-1:0] cnt_lane_run_o,
  output logic [tessera_pkg::CNT_W-1:0] cnt_lane_load_o,
  output logic [tessera_pkg::CNT_W-1:0] cnt_lane_stall_o,
  output logic [tessera_pkg::CNT_W-1:0] cnt_lane_idle_o,
  output logic [tessera_pkg::CNT_W-1:0] cnt_tiles_o
);
  // ---- Configuration registers.
  logic [tessera_pkg::K_W-1:0]        cfg_k_q;
  logic [tessera_pkg::TILE_W-1:0]     cfg_tiles_q;
  logic [tessera_pkg::COL_W-1:0]      cfg_last_cols_q;
  logic [tessera_pkg::WBITS_W-1:0]    cfg_wbits_q;
  logic                               cfg_sparse_q;
  logic                               cfg_act_signed_q;
  logic [tessera_pkg::OUT_MODE_W-1:0] cfg_out_mode_q;  // an out_mode_e value
  logic [tessera_pkg::JOB_AW:0]       cfg_njobs_q;
  logic [tessera_pkg::CNT_W-1:0]      cfg_cnt_base_q;  // counters' start value
  logic [tessera_pkg::EBITS_W-1:0]    cfg_ebits;
  logic [tessera_pkg::WPW_W-1:0]      cfg_epw;

  logic cfg_we;
  assign cfg_we    = host_we_i && (host_sel_i == tessera_pkg::SelCfg);
  // Entry bits: a dense entry is the code alone, a sparse one adds its run.
  assign cfg_ebits = tessera_pkg::EBITS_W'(cfg_wbits_q) +
                     (cfg_sparse_q ? tessera_pkg::EBITS_W'(tessera_pkg::RUN_W) : '0);
  assign cfg_epw   = tessera_pkg::weights_per_word(cfg_ebits);

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      cfg_k_q          <= tessera_pkg::K_W'(1);
      cfg_tiles_q      <= tessera_pkg::TILE_W'(1);
      cfg_last_cols_q  <= tessera_pkg::COL_W'(Cols);
      cfg_wbits_q      <= tessera_pkg::WBITS_W'(tessera_pkg::HW_WBITS_MAX);
      cfg_sparse_q     <= 1'b0;
      cfg_act_signed_q <= 1'b0;
      cfg_out_mode_q   <= tessera_pkg::OutAcc;
      cfg_njobs_q      <= '0;
      cfg_cnt_base_q   <= '0;
    end else if (cfg_we) begin
      unique case (32'(host_addr_i))
        tessera_pkg::HW_CFG_K:          cfg_k_q          <= tessera_pkg::K_W'(host_wdata_i);
        tessera_pkg::HW_CFG_TILES:      cfg_tiles_q      <= tessera_pkg::TILE_W'(host_wdata_i);
        tessera_pkg::HW_CFG_LAST_COLS:  cfg_last_cols_q  <= tessera_pkg::COL_W'(host_wdata_i);
        tessera_pkg::HW_CFG_WBITS:      cfg_wbits_q      <= tessera_pkg::WBITS_W'(host_wdata_i);
        tessera_pkg::HW_CFG_SPARSE:     cfg_sparse_q     <= host_wdata_i[0];
        tessera_pkg::HW_CFG_ACT_SIGNED: cfg_act_signed_q <= host_wdata_i[0];
        tessera_pkg::HW_CFG_OUT_MODE:
          cfg_out_mode_q <= host_wdata_i[tessera_pkg::OUT_MODE_W-1:0];
        tessera_pkg::HW_CFG_NJOBS:      cfg_njobs_q      <= (tessera_pkg::JOB_AW+1)'(host_wdata_i);
        tessera_pkg::HW_CFG_CNT_BASE:   cfg_cnt_base_q   <= tessera_pkg::CNT_W'(host_wdata_i);
        default: ;
      endcase
    end
  end

  // ---- Per-channel requantization parameters {shift, mult, bias}.
  logic [ChanW-1:0] chan_q [tessera_pkg::HW_CHAN_DEPTH];
  always_ff @(posedge clk_i) begin
    if (host_we_i && host_sel_i == tessera_pkg::SelChan) begin
      chan_q[tessera_pkg::M_W'(host_addr_i)] <= ChanW'(host_wdata_i);
    end
  end

  // ---- Lanes, memories, controller.
  logic [Rows-1:0]                 job_valid, lane_idle, lane_busy, wreq, wurg, wgnt, wissue;
  // Job buses, bus b: [b*W +: W]; lane r listens to bus r % Dsp.
  localparam int unsigned Dsp = tessera_pkg::HW_DISPATCH;
  logic [Dsp*tessera_pkg::M_W-1:0]         job_m;
  logic [Dsp*tessera_pkg::TILE_W-1:0]      job_t;
  logic [Dsp*(tessera_pkg::OUT_AW+1)-1:0]  job_count;
  logic [Dsp*tessera_pkg::OUT_AW-1:0]      job_row;
  logic [Dsp*tessera_pkg::ACT_AW-1:0]      job_abase;
  logic [Dsp*tessera_pkg::WMEM_AW-1:0]     job_wbase;
  logic [Dsp*(tessera_pkg::LANE_AW+1)-1:0] job_words;
  logic [Dsp*tessera_pkg::ENT_W-1:0]       job_entries;
  // Per-lane buses are unpacked arrays: with a packed [Rows][wide] vector the
  // simulator rebuilt the whole 9216-bit concatenation every cycle.
  logic [tessera_pkg::WMEM_AW-1:0]       waddr [Rows];
  logic [Rows*tessera_pkg::WMEM_AW-1:0]  waddr_all; // lane r: [r*WMEM_AW +: WMEM_AW] (multicast)
  logic [tessera_pkg::ROW_W-1:0]         wowner;
  logic [tessera_pkg::HW_WPORT_BITS-1:0] wdata;
  logic [Rows-1:0]                       are;
  logic [Rows*tessera_pkg::ACT_AW-1:0]   aaddr;    // lane r: [r*ACT_AW +: ACT_AW]
  logic [Rows*tessera_pkg::ACT_W-1:0]    adata;    // lane r: [r*ACT_W +: ACT_W]
  logic [Rows-1:0]                       res_valid, res_take;
  logic [tessera_pkg::M_W-1:0]           res_m [Rows];
  logic [tessera_pkg::OUT_AW-1:0]        res_row [Rows];
  logic [Cols*AccBits-1:0]               res_acc [Rows];
  logic [Rows*tessera_pkg::COL_W-1:0]    mac_cols; // lane r: [r*COL_W +: COL_W]
  logic [Rows*tessera_pkg::COL_W-1:0]    nz_cols;  // lane r: [r*COL_W +: COL_W]
  logic [Rows*tessera_pkg::K_W-1:0]      skip;     // lane r: [r*K_W +: K_W]
  logic [Rows-1:0]                       run, load, stall;
  logic                                  clear, busy;
  logic [tessera_pkg::HW_OUT_PORTS-1:0]  res_sel_valid;  // per output port
  logic [tessera_pkg::HW_OUT_PORTS*tessera_pkg::ROW_W-1:0] res_sel;

  tessera_weight_mem u_weight_mem (
    .clk_i   (clk_i),
    .we_i    (host_we_i && host_sel_i == tessera_pkg::SelWmem),
    .waddr_i (tessera_pkg::WMEM_AW'(host_addr_i)),
    .wdata_i (host_wdata_i[tessera_pkg::HW_WPORT_BITS-1:0]),
    .re_i    (|wissue),
    .raddr_i (waddr[wowner]),
    .rdata_o (wdata)
  );

  tessera_act_buf u_act_buf (
    .clk_i   (clk_i),
    .we_i    (host_we_i && host_sel_i == tessera_pkg::SelAct),
    .waddr_i (tessera_pkg::ACT_AW'(host_addr_i)),
    .wdata_i (host_wdata_i[tessera_pkg::ACT_W-1:0]),
    .re_i    (are),
    .raddr_i (aaddr),
    .rdata_o (adata)
  );

  for (genvar r = 0; r < Rows; r++) begin : gen_lane
    tessera_lane #(
      .AccBits (AccBits)
    ) u_lane (
      .clk_i            (clk_i),
      .rst_ni           (rst_ni),
      .cfg_k_i          (cfg_k_q),
      .cfg_tiles_i      (cfg_tiles_q),
      .cfg_last_cols_i  (cfg_last_cols_q),
      .cfg_wbits_i      (cfg_wbits_q),
      .cfg_ebits_i      (cfg_ebits),
      .cfg_epw_i        (cfg_epw),
      .cfg_sparse_i     (cfg_sparse_q),
      .cfg_act_signed_i (cfg_act_signed_q),
      .clear_i          (clear),
      .job_valid_i      (job_valid[r]),
      .job_m_i          (job_m[(r % Dsp)*tessera_pkg::M_W +: tessera_pkg::M_W]),
      .job_t_i          (job_t[(r % Dsp)*tessera_pkg::TILE_W +: tessera_pkg::TILE_W]),
      .job_count_i      (job_count[(r % Dsp)*(tessera_pkg::OUT_AW+1) +: tessera_pkg::OUT_AW+1]),
      .job_row_i        (job_row[(r % Dsp)*tessera_pkg::OUT_AW +: tessera_pkg::OUT_AW]),
      .job_abase_i      (job_abase[(r % Dsp)*tessera_pkg::ACT_AW +: tessera_pkg::ACT_AW]),
      .job_wbase_i      (job_wbase[(r % Dsp)*tessera_pkg::WMEM_AW +: tessera_pkg::WMEM_AW]),
      .job_words_i      (job_words[(r % Dsp)*(tessera_pkg::LANE_AW+1) +: tessera_pkg::LANE_AW+1]),
      .job_entries_i    (job_entries[(r % Dsp)*tessera_pkg::ENT_W +: tessera_pkg::ENT_W]),
      .idle_o           (lane_idle[r]),
      .busy_o           (lane_busy[r]),
      .wreq_o           (wreq[r]),
      .wurg_o           (wurg[r]),
      .wgnt_i           (wgnt[r]),
      .wissue_o         (wissue[r]),
      .waddr_o          (waddr[r]),
      .wdata_i          (wdata),
      .are_o            (are[r]),
      .aaddr_o          (aaddr[r*tessera_pkg::ACT_AW +: tessera_pkg::ACT_AW]),
      .adata_i          (adata[r*tessera_pkg::ACT_W +: tessera_pkg::ACT_W]),
      .res_valid_o      (res_valid[r]),
      .res_take_i       (res_take[r]),
      .res_m_o          (res_m[r]),
      .res_row_o        (res_row[r]),
      .res_acc_o        (res_acc[r]),
      .mac_cols_o       (mac_cols[r*tessera_pkg::COL_W +: tessera_pkg::COL_W]),
      .nz_cols_o        (nz_cols[r*tessera_pkg::COL_W +: tessera_pkg::COL_W]),
      .skip_o           (skip[r*tessera_pkg::K_W +: tessera_pkg::K_W]),
      .run_o            (run[r]),
      .load_o           (load[r]),
      .stall_o          (stall[r])
    );
    assign waddr_all[r*tessera_pkg::WMEM_AW +: tessera_pkg::WMEM_AW] = waddr[r];
  end

  // ---- Output stage: HW_OUT_PORTS tiles a cycle. Port p requantizes the
  // tile the controller selected for it (res_sel) into its register in the
  // cycle of the take; the output buffer writes it the next cycle.
  localparam int unsigned Op = tessera_pkg::HW_OUT_PORTS;
  localparam int unsigned Rw = tessera_pkg::ROW_W;
  localparam int unsigned Ow = tessera_pkg::OUT_AW;
  logic [Op-1:0]              os_valid;
  logic [Op*Ow-1:0]           os_row;
  logic [Op*Cols*AccBits-1:0] os_y;
  logic [Op*Cols-1:0]         os_ovf;        // port p's tile: its bias add overflowed

  for (genvar p = 0; p < Op; p++) begin : gen_os
    logic             valid_q;
    logic [Ow-1:0]    row_q;
    logic [Rw-1:0]    sel;
    logic [ChanW-1:0] chan;

    assign sel  = res_sel[p*Rw +: Rw];
    assign chan = chan_q[res_m[sel]];
    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        valid_q <= 1'b0;
        row_q   <= '0;
      end else begin
        valid_q <= res_sel_valid[p];
        if (res_sel_valid[p]) begin
          row_q <= res_row[sel];
        end
      end
    end

    tessera_requant u_requant (
      .clk_i   (clk_i),
      .en_i    (res_sel_valid[p]),
      .acc_i   (res_acc[sel]),
      .bias_i  (chan[tessera_pkg::HW_CHAN_BIAS_LSB +: AccBits]),
      .mult_i  (chan[tessera_pkg::HW_CHAN_MULT_LSB +: tessera_pkg::HW_MULT_BITS]),
      .shift_i (chan[tessera_pkg::HW_CHAN_SHIFT_LSB +: tessera_pkg::HW_SHIFT_BITS]),
      .mode_i  (cfg_out_mode_q),
      .y_o     (os_y[p*Cols*AccBits +: Cols*AccBits]),
      .ovf_o   (os_ovf[p*Cols +: Cols])
    );

    assign os_valid[p]        = valid_q;
    assign os_row[p*Ow +: Ow] = row_q;
  end

  tessera_out_buf #(
    .Width (Cols * AccBits),
    .Ports (Op)
  ) u_out_buf (
    .clk_i   (clk_i),
    .we_i    (os_valid),
    .waddr_i (os_row),
    .wdata_i (os_y),
    .raddr_i (tessera_pkg::OUT_AW'(host_raddr_i)),
    .rdata_o (host_rdata_o)
  );

  tessera_ctrl u_ctrl (
    .clk_i            (clk_i),
    .rst_ni           (rst_ni),
    .job_we_i         (host_we_i && host_sel_i == tessera_pkg::SelJob),
    .job_waddr_i      (tessera_pkg::JOB_AW'(host_addr_i)),
    .job_wdata_i      (host_wdata_i[3*Fw-1:0]),
    .filt_we_i        (host_we_i && host_sel_i == tessera_pkg::SelFilt),
    .filt_waddr_i     (tessera_pkg::M_W'(host_addr_i)),
    .filt_wdata_i     (host_wdata_i[3*Ff-1:0]),
    .cfg_njobs_i      (cfg_njobs_q),
    .cfg_tiles_i      (cfg_tiles_q),
    .cfg_k_i          (cfg_k_q),
    .cfg_cnt_base_i   (cfg_cnt_base_q),
    .start_i          (start_i),
    .busy_o           (busy),
    .clear_o          (clear),
    .job_valid_o      (job_valid),
    .job_m_o          (job_m),
    .job_t_o          (job_t),
    .job_count_o      (job_count),
    .job_row_o        (job_row),
    .job_abase_o      (job_abase),
    .job_wbase_o      (job_wbase),
    .job_words_o      (job_words),
    .job_entries_o    (job_entries),
    .lane_idle_i      (lane_idle),
    .lane_busy_i      (lane_busy),
    .wreq_i           (wreq),
    .wurg_i           (wurg),
    .waddr_i          (waddr_all),
    .wgnt_o           (wgnt),
    .wowner_o         (wowner),
    .res_valid_i      (res_valid),
    .res_take_o       (res_take),
    .res_sel_valid_o  (res_sel_valid),
    .res_sel_o        (res_sel),
    .out_pending_i    (|os_valid),
    .mac_cols_i       (mac_cols),
    .nz_cols_i        (nz_cols),
    .skip_i           (skip),
    .wissue_i         (wissue),
    .run_i            (run),
    .load_i           (load),
    .stall_i          (stall),
    .cnt_cycles_o     (cnt_cycles_o),
    .cnt_macs_o       (cnt_macs_o),
    .cnt_nz_macs_o    (cnt_nz_macs_o),
    .cnt_skipped_o    (cnt_skipped_o),
    .cnt_lane_idle_o  (cnt_lane_idle_o),
    .cnt_tiles_o      (cnt_tiles_o),
    .cnt_wport_o      (cnt_wport_o),
    .cnt_lane_run_o   (cnt_lane_run_o),
    .cnt_lane_load_o  (cnt_lane_load_o),
    .cnt_lane_stall_o (cnt_lane_stall_o)
  );

  assign busy_o = busy || start_i;

  // ---- Parameter legality.
  if (Rows < 1 || Cols < 1) begin : gen_param_error_size
    $error("tessera_top: Rows=%0d and Cols=%0d must be >= 1", Rows, Cols);
  end
  if (ChanW > 64) begin : gen_param_error_chan
    $error("tessera_top: a channel word (%0d bits) must fit the 64-bit host word", ChanW);
  end

`ifndef SYNTHESIS  // assertions: simulation only (Yosys reads no SVA)
  // Immediate assertions in a clocked block (pre-edge values, as sampled
  // concurrent assertions; evaluated only when their condition holds).
  always_ff @(posedge clk_i) begin
    if (rst_ni) begin
      // ---- Run configuration and protocol.
      if (start_i && !busy) begin
        a_start_config_legal: assert (
            cfg_k_q >= tessera_pkg::K_W'(1) && 32'(cfg_k_q) <= tessera_pkg::HW_K_MAX &&
            cfg_wbits_q >= tessera_pkg::WBITS_W'(tessera_pkg::HW_WBITS_MIN) &&
            32'(cfg_wbits_q) <= tessera_pkg::HW_WBITS_MAX &&
            cfg_tiles_q >= tessera_pkg::TILE_W'(1) &&
            cfg_last_cols_q >= tessera_pkg::COL_W'(1) && 32'(cfg_last_cols_q) <= Cols &&
            32'(cfg_k_q) * 32'(cfg_tiles_q) <= tessera_pkg::HW_ACT_ROWS &&
            cfg_out_mode_q inside {tessera_pkg::OutAcc, tessera_pkg::OutU8, tessera_pkg::OutS8})
          else $error("tessera_top: illegal configuration at start (k=%0d B=%0d sparse=%0d tiles=%0d)",
                      cfg_k_q, cfg_wbits_q, cfg_sparse_q, cfg_tiles_q);
      end
      if (host_we_i) begin
        a_no_host_write_busy: assert (!busy)
          else $error("tessera_top: host write during a run");
        a_host_addr_in_range: assert (
            host_sel_i == tessera_pkg::SelCfg ||
            (host_sel_i == tessera_pkg::SelWmem &&
             32'(host_addr_i) < tessera_pkg::HW_WMEM_WORDS) ||
            (host_sel_i == tessera_pkg::SelAct && 32'(host_addr_i) < tessera_pkg::HW_ACT_ROWS) ||
            (host_sel_i == tessera_pkg::SelChan &&
             32'(host_addr_i) < tessera_pkg::HW_CHAN_DEPTH) ||
            (host_sel_i == tessera_pkg::SelJob && 32'(host_addr_i) < tessera_pkg::HW_JOB_DEPTH) ||
            (host_sel_i == tessera_pkg::SelFilt && 32'(host_addr_i) < tessera_pkg::HW_CHAN_DEPTH))
          else $error("tessera_top: host write to sel %0d address %0d out of range",
                      host_sel_i, host_addr_i);
      end
      for (int p = 0; p < Op; p++) begin
        if (os_valid[p]) begin
          a_bias_add_no_overflow: assert (os_ovf[p*Cols +: Cols] == '0)
            else $error("tessera_top: bias + accumulator overflowed (bias beyond the contract bound)");
        end
      end
    end
  end
`endif

endmodule
