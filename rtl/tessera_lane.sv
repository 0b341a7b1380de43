// One array row ("lane"): COLS PEs sharing one stream of weight entries.
//
//            job (m, t0, count, filter words / entries) from the controller
//                 |
//   weight port ->[filter buffer]--word--> entry at slot: {run, code}
//   (shared, 64b)  packed words              |        |
//                                  k = nk + run   code, sign-extended (B bits)
//                                            |        |
//                 act buffer port (own) <- t*K + k    v
//                           X[k][t*COLS + c] -----> PE[0] .. PE[COLS-1]
//
// A lane owns its entry stream and fetches the activation row by the
// entry's index, so it never waits for other lanes: in sparse mode a tile
// costs one cycle per entry (non-zeros plus rare padding, ts_sparse.h)
// instead of K, and a lane that finishes early takes the next job.
// Dense mode is the same datapath with E = B and run = 0 (every k issued).
//
// Work: a job is `count` consecutive tiles of one filter m. For each tile
// the lane issues the filter's entries (one per cycle), the PEs accumulate,
// and the COLS sums wait in res_* for the output stage.
//
// Double-buffered filters: the lane holds a current job and one pending
// job (idle_o = the pending slot is free, so the controller may dispatch).
// The filter buffer has two banks with a tag (filter m) each; a pending
// job whose filter is in neither bank loads it through the shared port into
// the bank the current job does not use, while the current job issues. When
// the current job issues its last entry and the pending filter is in, the
// next cycle issues the pending job's first entry (no bubble; its word 0 is
// read in that last cycle). A lane alternating between two filters loads
// neither again.
//
// Pipeline, no bubble between tiles: the filter buffer's output register
// holds the current word; the cycle that issues the word's last entry (or
// the filter's last entry) reads the next word (or word 0 for the next
// tile). Cycle c decodes the entry and reads the activation row; cycle c+1
// accumulates.
module tessera_lane
#(
  parameter int unsigned AccBits = tessera_pkg::HW_ACC_BITS,
  localparam int unsigned Cols   = tessera_pkg::HW_COLS
) (
  input  logic                     clk_i,
  input  logic                     rst_ni,
  // Configuration, stable while the array runs.
  input  logic [tessera_pkg::K_W-1:0]           cfg_k_i,
  input  logic [tessera_pkg::TILE_W-1:0]        cfg_tiles_i,
  input  logic [tessera_pkg::COL_W-1:0]          cfg_last_cols_i,
  input  logic [tessera_pkg::WBITS_W-1:0]       cfg_wbits_i,
  input  logic [tessera_pkg::EBITS_W-1:0]       cfg_ebits_i,  // entry bits: B, or B + tessera_pkg::RUN_W sparse
  input  logic [tessera_pkg::WPW_W-1:0]         cfg_epw_i,    // entries per word
  input  logic                     cfg_sparse_i,
  input  logic                     cfg_act_signed_i,
  input  logic                     clear_i,      // start of a run: forget the cached filter
  // Job from the controller.
  input  logic                     job_valid_i,
  input  logic [tessera_pkg::M_W-1:0]           job_m_i,
  input  logic [tessera_pkg::TILE_W-1:0]        job_t_i,
  input  logic [tessera_pkg::OUT_AW:0]          job_count_i,
  input  logic [tessera_pkg::OUT_AW-1:0]        job_row_i,    // m * tiles + t
  input  logic [tessera_pkg::ACT_AW-1:0]        job_abase_i,  // t * K
  input  logic [tessera_pkg::WMEM_AW-1:0]       job_wbase_i,  // filter m's first word
  input  logic [tessera_pkg::LANE_AW:0]         job_words_i,  // its words
  input  logic [tessera_pkg::ENT_W-1:0]         job_entries_i,// its entries (>= 1)
  output logic                     idle_o,       // pending slot free: may take a job
  output logic                     busy_o,       // anything in flight
  // Shared weight port (granted by the controller for a whole filter).
  output logic                     wreq_o,
  output logic                     wurg_o,       // the lane waits for this load (not a prefetch)
  input  logic                     wgnt_i,
  output logic                     wissue_o,     // address valid this cycle
  output logic [tessera_pkg::WMEM_AW-1:0]       waddr_o,
  input  logic [tessera_pkg::HW_WPORT_BITS-1:0] wdata_i,
  // Own activation read port.
  output logic                     are_o,
  output logic [tessera_pkg::ACT_AW-1:0]        aaddr_o,
  input  logic [tessera_pkg::ACT_W-1:0]          adata_i,
  // Result of a finished tile.
  output logic                     res_valid_o,
  input  logic                     res_take_i,
  output logic [tessera_pkg::M_W-1:0]           res_m_o,
  output logic [tessera_pkg::OUT_AW-1:0]        res_row_o,
  output logic [Cols*AccBits-1:0]  res_acc_o,
  // Activity, for the counters.
  output logic [tessera_pkg::COL_W-1:0]          mac_cols_o,   // MACs issued this cycle (valid columns)
  output logic [tessera_pkg::COL_W-1:0]          nz_cols_o,    // of those, with a non-zero weight
  output logic [tessera_pkg::K_W-1:0]           skip_o,       // weights not issued by the tile ending now
  output logic                     run_o,        // issued an entry this cycle
  output logic                     load_o,       // waiting for / loading a filter
  output logic                     stall_o       // last entry held: result slot full
);
  localparam int unsigned ABits = tessera_pkg::HW_ABITS;
  localparam int unsigned WPort = tessera_pkg::HW_WPORT_BITS;

  // State of the current job (StIdle: none; its filter is always in a bank).
  typedef enum logic [1:0] {
    StIdle, StPrime, StRun
  } lane_state_e;

  lane_state_e state_d, state_q;

  // Position in the current job.
  logic [tessera_pkg::M_W-1:0]     m_d, m_q;
  logic [tessera_pkg::TILE_W-1:0]  t_d, t_q;
  logic [tessera_pkg::OUT_AW:0]    count_d, count_q;   // tiles left, including the current one
  logic [tessera_pkg::OUT_AW-1:0]  row_d, row_q;
  logic [tessera_pkg::ACT_AW-1:0]  abase_d, abase_q;   // t * K
  logic [tessera_pkg::ENT_W-1:0]   entries_d, entries_q;
  logic                            bank_d, bank_q;     // bank holding its filter
  // Pending job (written by a dispatch, moved to the current job when its
  // filter is in a bank and the current job is done).
  logic                            pv_q;
  logic [tessera_pkg::M_W-1:0]     pm_q;
  logic [tessera_pkg::TILE_W-1:0]  pt_q;
  logic [tessera_pkg::OUT_AW:0]    pcount_q;
  logic [tessera_pkg::OUT_AW-1:0]  prow_q;
  logic [tessera_pkg::ACT_AW-1:0]  pabase_q;
  logic [tessera_pkg::WMEM_AW-1:0] pwbase_q;
  logic [tessera_pkg::LANE_AW:0]   pwords_q;
  logic [tessera_pkg::ENT_W-1:0]   pentries_q;
  logic                            p_hit0, p_hit1, p_ready, p_bank, take_p;
  logic                            j_hit;
  // Bank tags: bank b holds filter tag_m_q[b] when tag_v_q[b].
  logic [1:0]                      tag_v_d, tag_v_q;
  logic [tessera_pkg::M_W-1:0]     tag_m0_q, tag_m1_q;
  // Filter load for the pending job, into bank ld_bank_q.
  logic                            ld_start;
  logic                            ld_busy_q, ld_bank_q;
  logic [tessera_pkg::LANE_AW:0]   ld_j_q;
  logic                            ld_wr_q, ld_wr_last_q;
  logic [tessera_pkg::LANE_AW-1:0] ld_wr_idx_q;
  // Issue position inside the tile.
  logic [tessera_pkg::ENT_W-1:0]   e_d, e_q;            // entry index
  logic [tessera_pkg::K_W-1:0]     nk_d, nk_q;          // k of the previous entry + 1
  logic [tessera_pkg::LANE_AW-1:0] wi_d, wi_q;          // word in the buffer's output register
  logic [tessera_pkg::WPW_W-1:0]   slot_d, slot_q;      // entry inside the word
  logic [tessera_pkg::BOFF_W-1:0]  boff_d, boff_q;      // = slot * E
  // MAC stage.
  logic               p_valid_q, p_first_q, p_last_q, p_nz_q;
  logic signed [tessera_pkg::W_W-1:0] p_w_q;
  logic [tessera_pkg::M_W-1:0]     p_m_q;
  logic [tessera_pkg::OUT_AW-1:0]  p_row_q;
  logic [tessera_pkg::COL_W-1:0]    p_cols_q;
  // Result slot.
  // Result queue of two tiles (head: res_*_q, second: res1_*_q), so a tile
  // of one entry can issue every cycle while its predecessor waits one
  // cycle for the output stage (one slot cost 3 cycles per such tile).
  logic [1:0]                      res_cnt_d, res_cnt_q;
  logic                            res_valid_q;
  logic                            push, pop, head_new, head_shift, second_new;
  logic [tessera_pkg::M_W-1:0]     res_m_q, res1_m_q;
  logic [tessera_pkg::OUT_AW-1:0]  res_row_q, res1_row_q;
  logic [Cols*AccBits-1:0]         res_acc_q, res1_acc_q;

  logic               issue, last_e, slot_last, ld_issue, ld_last, tile_cols_last;
  logic               fb_re, fb_rbank, job_end;
  logic [tessera_pkg::LANE_AW-1:0] fb_raddr;
  logic [tessera_pkg::COL_W-1:0]    tile_cols;
  logic [WPort-1:0]   fword, entry;
  logic [tessera_pkg::RUN_W-1:0]   run;
  logic [tessera_pkg::K_W-1:0]     k_cur;
  logic [tessera_pkg::W_W-1:0]     w_raw;
  logic [tessera_pkg::WBITS_W-1:0] ext_sh;
  logic signed [tessera_pkg::W_W-1:0] w_ext;
  logic [Cols*AccBits-1:0] sums;

  // Decode the entry at the current slot: code in the low B bits, run above.
  assign entry  = fword >> boff_q;
  assign run    = cfg_sparse_i ? tessera_pkg::RUN_W'(entry >> cfg_wbits_i) : '0;
  assign k_cur  = nk_q + tessera_pkg::K_W'(run);
  assign w_raw  = tessera_pkg::W_W'(entry);
  assign ext_sh = tessera_pkg::WBITS_W'(tessera_pkg::W_W) - cfg_wbits_i;
  assign w_ext  = $signed(w_raw << ext_sh) >>> ext_sh;

  assign last_e    = (e_q == entries_q - 1'b1);
  assign slot_last = (slot_q == cfg_epw_i - 1'b1);
  assign ld_issue  = ld_busy_q && wgnt_i;
  assign ld_last   = (ld_j_q == pwords_q - 1'b1);
  // The last entry of a tile may only issue when its result has somewhere
  // to go: it lands in the queue at the end of the next cycle, so at most
  // one result may be held or arriving after this cycle's take.
  assign push      = p_valid_q && p_last_q;
  assign pop       = res_take_i;
  assign issue     = (state_q == StRun) &&
                     !(last_e && (32'(res_cnt_q) + 32'(push) - 32'(pop) > 1));
  assign tile_cols_last = (t_q == cfg_tiles_i - 1'b1);
  assign tile_cols = tile_cols_last ? cfg_last_cols_i : tessera_pkg::COL_W'(Cols);
  // The pending job's filter is in a bank (a load sets the tag in the cycle
  // its last word is written, so the word is readable when the tag is).
  assign p_hit0  = tag_v_q[0] && (tag_m0_q == pm_q);
  assign p_hit1  = tag_v_q[1] && (tag_m1_q == pm_q);
  assign p_ready = pv_q && (p_hit0 || p_hit1);
  assign p_bank  = p_hit1;
  // A dispatched job whose filter is in neither bank starts its load at
  // once (the loader is free: the previous pending job's load finished
  // before that job left the slot).
  assign j_hit    = (tag_v_q[0] && tag_m0_q == job_m_i) || (tag_v_q[1] && tag_m1_q == job_m_i);
  assign ld_start = job_valid_i && !j_hit;
  assign job_end  = issue && last_e && (count_q == 1);
  assign take_p   = p_ready && ((state_q == StIdle) || job_end);
  // Next word: after the word's last entry, or word 0 after the filter's
  // last entry (the next tile, or the next job: of the pending job's bank
  // when it starts right away).
  assign fb_re    = (state_q == StPrime) || (issue && (last_e || slot_last));
  assign fb_rbank = (job_end && p_ready) ? p_bank : bank_q;
  assign fb_raddr = (state_q == StPrime || last_e) ? '0 : wi_q + 1'b1;

  always_comb begin
    state_d    = state_q;
    m_d        = m_q;
    t_d        = t_q;
    count_d    = count_q;
    row_d      = row_q;
    abase_d    = abase_q;
    entries_d  = entries_q;
    bank_d     = bank_q;
    e_d        = e_q;
    nk_d       = nk_q;
    wi_d       = wi_q;
    slot_d     = slot_q;
    boff_d     = boff_q;

    unique case (state_q)
      StIdle: begin
        // The previous job ended by reading word 0 of bank_q: a pending job
        // in that bank issues at once, one in the other bank reads its word 0.
        if (take_p) begin
          state_d = (p_bank == bank_q) ? StRun : StPrime;
        end
      end
      StPrime: begin
        // Word 0 is read this cycle.
        state_d = StRun;
      end
      StRun: begin
        if (issue) begin
          if (!last_e) begin
            e_d  = e_q + 1'b1;
            nk_d = k_cur + 1'b1;
            if (slot_last) begin
              slot_d = '0;
              boff_d = '0;
              wi_d   = wi_q + 1'b1;
            end else begin
              slot_d = slot_q + 1'b1;
              boff_d = boff_q + tessera_pkg::BOFF_W'(cfg_ebits_i);
            end
          end else begin
            // Tile done: next tile of the job, or idle.
            e_d     = '0;
            nk_d    = '0;
            wi_d    = '0;
            slot_d  = '0;
            boff_d  = '0;
            count_d = count_q - 1'b1;
            row_d   = row_q + 1'b1;
            t_d     = t_q + 1'b1;
            abase_d = abase_q + tessera_pkg::ACT_AW'(cfg_k_i);
            if (count_q == 1) begin
              state_d = take_p ? StRun : StIdle;
            end
          end
        end
      end
      default: state_d = StIdle;
    endcase
    if (take_p) begin
      m_d       = pm_q;
      t_d       = pt_q;
      count_d   = pcount_q;
      row_d     = prow_q;
      abase_d   = pabase_q;
      entries_d = pentries_q;
      bank_d    = p_bank;
    end
  end

  // Bank tags: cleared at the start of a run, a bank's tag dropped when a
  // load into it starts and set when its last word is written.
  always_comb begin
    tag_v_d = clear_i ? 2'b00 : tag_v_q;
    if (ld_start) begin
      tag_v_d[!bank_q] = 1'b0;
    end
    if (ld_wr_q && ld_wr_last_q) begin
      tag_v_d[ld_bank_q] = 1'b1;
    end
  end

  // Queue moves: the head takes the new result when the queue is (or is
  // becoming) empty, else the second entry when the head leaves.
  assign res_cnt_d  = res_cnt_q + 2'(push) - 2'(pop);
  assign head_new   = push && (res_cnt_q == 2'd0 || (res_cnt_q == 2'd1 && pop));
  assign head_shift = pop && res_cnt_q == 2'd2;
  assign second_new = push && ((res_cnt_q == 2'd1 && !pop) || (res_cnt_q == 2'd2 && pop));
  assign res_valid_q = (res_cnt_q != 2'd0);

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q     <= StIdle;
      m_q         <= '0;
      t_q         <= '0;
      count_q     <= '0;
      row_q       <= '0;
      abase_q     <= '0;
      entries_q   <= '0;
      bank_q      <= 1'b0;
      pv_q        <= 1'b0;
      pm_q        <= '0;
      pt_q        <= '0;
      pcount_q    <= '0;
      prow_q      <= '0;
      pabase_q    <= '0;
      pwbase_q    <= '0;
      pwords_q    <= '0;
      pentries_q  <= '0;
      tag_v_q     <= 2'b00;
      tag_m0_q    <= '0;
      tag_m1_q    <= '0;
      ld_busy_q   <= 1'b0;
      ld_bank_q   <= 1'b0;
      ld_j_q      <= '0;
      ld_wr_q     <= 1'b0;
      ld_wr_last_q <= 1'b0;
      ld_wr_idx_q <= '0;
      e_q         <= '0;
      nk_q        <= '0;
      wi_q        <= '0;
      slot_q      <= '0;
      boff_q      <= '0;
      p_valid_q   <= 1'b0;
      p_first_q   <= 1'b0;
      p_last_q    <= 1'b0;
      p_nz_q      <= 1'b0;
      p_w_q       <= '0;
      p_m_q       <= '0;
      p_row_q     <= '0;
      p_cols_q    <= '0;
      res_cnt_q   <= '0;
      res_m_q     <= '0;
      res_row_q   <= '0;
      res1_m_q    <= '0;
      res1_row_q  <= '0;
    end else begin
      state_q     <= state_d;
      m_q         <= m_d;
      t_q         <= t_d;
      count_q     <= count_d;
      row_q       <= row_d;
      abase_q     <= abase_d;
      entries_q   <= entries_d;
      bank_q      <= bank_d;
      if (job_valid_i) begin
        pv_q       <= 1'b1;
        pm_q       <= job_m_i;
        pt_q       <= job_t_i;
        pcount_q   <= job_count_i;
        prow_q     <= job_row_i;
        pabase_q   <= job_abase_i;
        pwbase_q   <= job_wbase_i;
        pwords_q   <= job_words_i;
        pentries_q <= job_entries_i;
      end else if (take_p) begin
        pv_q       <= 1'b0;
      end
      tag_v_q     <= tag_v_d;
      if (ld_wr_q && ld_wr_last_q) begin
        if (ld_bank_q) begin
          tag_m1_q <= pm_q;
        end else begin
          tag_m0_q <= pm_q;
        end
      end
      if (ld_start) begin
        ld_busy_q <= 1'b1;
        ld_bank_q <= !bank_q;
        ld_j_q    <= '0;
      end else if (ld_issue) begin
        ld_j_q    <= ld_j_q + 1'b1;
        if (ld_last) begin
          ld_busy_q <= 1'b0;
        end
      end
      ld_wr_q      <= ld_issue;
      ld_wr_last_q <= ld_issue && ld_last;
      ld_wr_idx_q  <= tessera_pkg::LANE_AW'(ld_j_q);
      e_q         <= e_d;
      nk_q        <= nk_d;
      wi_q        <= wi_d;
      slot_q      <= slot_d;
      boff_q      <= boff_d;
      p_valid_q   <= issue;
      p_first_q   <= (e_q == '0);
      p_last_q    <= issue && last_e;
      p_nz_q      <= (w_ext != '0);
      p_w_q       <= w_ext;
      p_m_q       <= m_q;
      p_row_q     <= row_q;
      p_cols_q    <= tile_cols;
      res_cnt_q   <= res_cnt_d;
      if (head_new) begin
        res_m_q   <= p_m_q;
        res_row_q <= p_row_q;
      end else if (head_shift) begin
        res_m_q   <= res1_m_q;
        res_row_q <= res1_row_q;
      end
      if (second_new) begin
        res1_m_q   <= p_m_q;
        res1_row_q <= p_row_q;
      end
    end
  end

  // The tile's sums, captured when its last entry accumulates (no reset:
  // only read while the queue holds them).
  always_ff @(posedge clk_i) begin
    if (head_new) begin
      res_acc_q <= sums;
    end else if (head_shift) begin
      res_acc_q <= res1_acc_q;
    end
    if (second_new) begin
      res1_acc_q <= sums;
    end
  end

  // Filter buffer: two banks of packed words as they came from the weight
  // memory, the bank the address's top bit.
  tessera_ram_1r1w #(
    .Width (WPort),
    .Depth (2 * tessera_pkg::HW_LANE_WORDS)
  ) u_filter_buf (
    .clk_i   (clk_i),
    .we_i    (ld_wr_q),
    .waddr_i ({ld_bank_q, ld_wr_idx_q}),
    .wdata_i (wdata_i),
    .re_i    (fb_re),
    .raddr_i ({fb_rbank, fb_raddr}),
    .rdata_o (fword)
  );

  for (genvar c = 0; c < Cols; c++) begin : gen_pe
    tessera_pe #(
      .AccBits (AccBits)
    ) u_pe (
      .clk_i        (clk_i),
      .rst_ni       (rst_ni),
      .en_i         (p_valid_q),
      .first_i      (p_first_q),
      .last_i       (p_last_q),
      .act_signed_i (cfg_act_signed_i),
      .w_i          (p_w_q),
      .a_i          (adata_i[c*ABits +: ABits]),
      .sum_o        (sums[c*AccBits +: AccBits])
    );
  end

  assign idle_o      = !pv_q;
  assign busy_o      = (state_q != StIdle) || pv_q || ld_busy_q || ld_wr_q || p_valid_q ||
                       res_valid_q;
  assign wreq_o      = ld_busy_q && !(wgnt_i && ld_last);
  assign wurg_o      = ld_busy_q && (state_q == StIdle);
  assign wissue_o    = ld_issue;
  assign waddr_o     = pwbase_q + tessera_pkg::WMEM_AW'(ld_j_q);
  assign are_o       = issue;
  assign aaddr_o     = abase_q + tessera_pkg::ACT_AW'(k_cur);
  assign res_valid_o = res_valid_q;
  assign res_m_o     = res_m_q;
  assign res_row_o   = res_row_q;
  assign res_acc_o   = res_acc_q;
  assign mac_cols_o  = p_valid_q ? p_cols_q : '0;
  assign nz_cols_o   = (p_valid_q && p_nz_q) ? p_cols_q : '0;
  assign skip_o      = (issue && last_e) ? (cfg_k_i - tessera_pkg::K_W'(entries_q)) : '0;
  assign run_o       = issue;
  assign load_o      = (state_q == StIdle && pv_q) || (state_q == StPrime);
  assign stall_o     = (state_q == StRun) && !issue;

`ifdef PF_DEBUG
  always @(posedge clk_i) begin
    if (job_valid_i) $display("%0t lane %m job m=%0d t=%0d cnt=%0d hit=%0d state=%0d bank=%0d", $time, job_m_i, job_t_i, job_count_i, j_hit, state_q, bank_q);
    if (take_p) $display("%0t lane %m take m=%0d state=%0d pbank=%0d", $time, pm_q, state_q, p_bank);
    if (job_end) $display("%0t lane %m end", $time);
  end
`endif
`ifndef SYNTHESIS  // assertions: simulation only (Yosys reads no SVA)
  // Immediate assertions in a clocked block: they see the values before the
  // edge, as sampled concurrent assertions do, but the simulator evaluates
  // each only when its condition holds (concurrent ones copied every sampled
  // signal and evaluated every check on every edge: docs/hw.md,
  // "Simulation speed"). The accumulator check is in tessera_pe.
  always_ff @(posedge clk_i) begin
    if (rst_ni) begin
      // Protocol: jobs only reach a lane whose pending slot and loader are
      // free; the filter they name fits the buffer.
      if (job_valid_i) begin
        a_job_to_free_slot: assert (!pv_q && !ld_busy_q && !ld_wr_q)
          else $error("tessera_lane: job dispatched while the pending slot or its load is busy");
        a_job_filter_legal: assert (job_entries_i != '0 && job_words_i != '0 &&
                                    32'(job_words_i) <= tessera_pkg::HW_LANE_WORDS &&
                                    32'(job_entries_i) <= 32'(job_words_i) * 32'(cfg_epw_i))
          else $error("tessera_lane: filter of %0d entries in %0d words is illegal",
                      job_entries_i, job_words_i);
      end
      // Prefetch: a load never writes the bank the current job issues from,
      // and a job only starts on a filter whose load has finished.
      if (ld_wr_q) begin
        a_prefetch_other_bank: assert (ld_bank_q != bank_q)
          else $error("tessera_lane: filter load writes bank %0d while it is issued", ld_bank_q);
      end
      if (take_p) begin
        a_take_loaded_filter: assert (!(ld_busy_q || ld_wr_q))
          else $error("tessera_lane: job %0d started while its filter loads", pm_q);
      end
      if (ld_issue) begin
        a_filter_fits: assert (32'(ld_j_q) < tessera_pkg::HW_LANE_WORDS)
          else $error("tessera_lane: filter of %0d words exceeds the buffer", pwords_q);
      end
      // A sparse stream whose runs walk past K is malformed (ts_sparse.h).
      if (issue) begin
        a_entry_k_in_range: assert (k_cur < cfg_k_i)
          else $error("tessera_lane: entry %0d of filter %0d lands at k=%0d >= K=%0d",
                      e_q, m_q, k_cur, cfg_k_i);
      end
      // Results are only taken when there, and never overwritten.
      if (res_take_i) begin
        a_take_valid: assert (res_valid_q)
          else $error("tessera_lane: result taken from an empty slot");
      end
      if (push) begin
        a_no_result_overwrite: assert (res_cnt_q != 2'd2 || pop)
          else $error("tessera_lane: tile result overwrote an untaken one");
      end
    end
  end
`endif

endmodule
