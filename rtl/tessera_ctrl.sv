// Controller: job queue, dispatch, weight-port arbitration, result
// collection, run state and counters.
//
//   host --jobs--> [queue] --next jobs--> first idle lanes (HW_DISPATCH a cycle)
//   host --filter table {entries, words, word base} per m--> read at dispatch
//   lanes --wreq--> [arbiter] --grant held for a whole filter--> weight port
//   (a lane waiting for its filter goes before a lane prefetching one)
//   lanes --res_valid--> [round robin] --one tile a cycle--> output stage
//   (pipelined: the output stage takes a tile every cycle)
//
// Dense and sparse runs use the same queue: the host cuts each filter's
// tiles into jobs (a job never crosses a filter, so filters of any size can
// sit anywhere in the weight memory) and orders them by their non-zero
// counts (sim/ts_hw_plan.cc); a lane that finishes early takes the next
// job, which is how load imbalance from zero-skipping is absorbed.
module tessera_ctrl
#(
  localparam int unsigned Rows = tessera_pkg::HW_ROWS,
  localparam int unsigned Fw   = tessera_pkg::HW_JOB_FIELD_BITS,
  localparam int unsigned Ff   = tessera_pkg::HW_FILT_FIELD_BITS,
  localparam int unsigned Op   = tessera_pkg::HW_OUT_PORTS,
  localparam int unsigned Dsp  = tessera_pkg::HW_DISPATCH
) (
  input  logic                               clk_i,
  input  logic                               rst_ni,
  // Host: job writes, start, status.
  input  logic                               job_we_i,
  input  logic [tessera_pkg::JOB_AW-1:0]     job_waddr_i,
  input  logic [3*Fw-1:0]                    job_wdata_i,   // {count, t, m}
  input  logic                               filt_we_i,
  input  logic [tessera_pkg::M_W-1:0]        filt_waddr_i,
  input  logic [3*Ff-1:0]                    filt_wdata_i,  // {entries, words, word base}
  input  logic [tessera_pkg::JOB_AW:0]       cfg_njobs_i,
  input  logic [tessera_pkg::TILE_W-1:0]     cfg_tiles_i,
  input  logic [tessera_pkg::K_W-1:0]        cfg_k_i,
  input  logic [tessera_pkg::CNT_W-1:0]      cfg_cnt_base_i, // every counter's value at start
  input  logic                               start_i,
  output logic                               busy_o,
  output logic                               clear_o,       // first cycle of a run
  // Job dispatch: Dsp job buses (bus b: [b*W +: W] of each field), lane r
  // listens to bus r % Dsp; job_valid_o has one bit per lane.
  output logic [Rows-1:0]                      job_valid_o,
  output logic [Dsp*tessera_pkg::M_W-1:0]      job_m_o,
  output logic [Dsp*tessera_pkg::TILE_W-1:0]   job_t_o,
  output logic [Dsp*(tessera_pkg::OUT_AW+1)-1:0] job_count_o,
  output logic [Dsp*tessera_pkg::OUT_AW-1:0]   job_row_o,
  output logic [Dsp*tessera_pkg::ACT_AW-1:0]   job_abase_o,
  output logic [Dsp*tessera_pkg::WMEM_AW-1:0]  job_wbase_o,
  output logic [Dsp*(tessera_pkg::LANE_AW+1)-1:0] job_words_o,
  output logic [Dsp*tessera_pkg::ENT_W-1:0]    job_entries_o,
  input  logic [Rows-1:0]                    lane_idle_i,
  input  logic [Rows-1:0]                    lane_busy_i,
  // Weight port.
  input  logic [Rows-1:0]                    wreq_i,
  input  logic [Rows-1:0]                    wurg_i,        // the requester waits (else a prefetch)
  input  logic [Rows*tessera_pkg::WMEM_AW-1:0] waddr_i,     // lane r: [r*WMEM_AW +: WMEM_AW]
  output logic [Rows-1:0]                    wgnt_o,
  output logic [tessera_pkg::ROW_W-1:0]      wowner_o,
  // Results.
  input  logic [Rows-1:0]                    res_valid_i,
  output logic [Rows-1:0]                    res_take_o,
  output logic [Op-1:0]                      res_sel_valid_o, // per output port
  output logic [Op*tessera_pkg::ROW_W-1:0]   res_sel_o,       // port p: [p*ROW_W +: ROW_W]
  input  logic                               out_pending_i,   // output stage holds a tile
  // Activity.
  input  logic [Rows*tessera_pkg::COL_W-1:0] mac_cols_i,    // lane r: [r*COL_W +: COL_W]
  input  logic [Rows*tessera_pkg::COL_W-1:0] nz_cols_i,     // lane r: [r*COL_W +: COL_W]
  input  logic [Rows*tessera_pkg::K_W-1:0]   skip_i,        // lane r: [r*K_W +: K_W]
  input  logic [Rows-1:0]                    wissue_i,
  input  logic [Rows-1:0]                    run_i,
  input  logic [Rows-1:0]                    load_i,
  input  logic [Rows-1:0]                    stall_i,
  output logic [tessera_pkg::CNT_W-1:0]      cnt_cycles_o,
  output logic [tessera_pkg::CNT_W-1:0]      cnt_macs_o,
  output logic [tessera_pkg::CNT_W-1:0]      cnt_nz_macs_o,
  output logic [tessera_pkg::CNT_W-1:0]      cnt_skipped_o,
  output logic [tessera_pkg::CNT_W-1:0]      cnt_wport_o,
  output logic [tessera_pkg::CNT_W-1:0]      cnt_lane_run_o,
  output logic [tessera_pkg::CNT_W-1:0]      cnt_lane_load_o,
  output logic [tessera_pkg::CNT_W-1:0]      cnt_lane_stall_o,
  output logic [tessera_pkg::CNT_W-1:0]      cnt_lane_idle_o,
  output logic [tessera_pkg::CNT_W-1:0]      cnt_tiles_o
);
  logic [3*Fw-1:0]               jobs_q [tessera_pkg::HW_JOB_DEPTH];
  logic [tessera_pkg::JOB_AW:0]  jp_d, jp_q;
  logic                          busy_d, busy_q, clear_q;
  logic                          dispatch;

  logic [3*Ff-1:0] filt_q [tessera_pkg::HW_CHAN_DEPTH];

  always_ff @(posedge clk_i) begin
    if (job_we_i) begin
      jobs_q[job_waddr_i] <= job_wdata_i;
    end
    if (filt_we_i) begin
      filt_q[filt_waddr_i] <= filt_wdata_i;
    end
  end

  // ---- Dispatch: up to Dsp jobs a cycle, one per job bus. Each bus picks
  // the lowest-numbered candidate lane it serves, and the picks take the
  // next jobs in lane order, so job jp_q goes to the lowest-numbered
  // candidate as with one bus. Candidates are lanes whose pending slot is
  // free (lane_idle_i; the lane may still be issuing its current job, and
  // prefetches the new job's filter meanwhile), those with nothing at all
  // to do first: a lane still issuing would only queue the job behind its
  // current one. Dispatch may start in the run's first cycle (clear_q): the
  // job reaches its lane the cycle after, when its filter tags are cleared.
  logic [Rows-1:0]               job_valid_q;
  logic [Rows-1:0]               free, free_idle, cand;
  logic [Dsp-1:0]                pick_v, disp;
  logic [tessera_pkg::ROW_W-1:0] pick_lane [Dsp];
  // A bus's rank among this cycle's picks is at most Dsp - 1 and the jobs
  // dispatched at most Dsp: each as wide as that, zero-extended at the add.
  localparam int unsigned RankW  = (Dsp > 1) ? $clog2(Dsp) : 1;
  localparam int unsigned NdispW = $clog2(Dsp + 1);
  logic [RankW-1:0]              rank [Dsp];        // the bus's job: jp_q + rank
  logic [NdispW-1:0]             ndisp;
  assign free      = lane_idle_i & ~job_valid_q;
  assign free_idle = free & ~lane_busy_i;
  assign cand      = (free_idle != '0) ? free_idle : free;
  always_comb begin
    for (int b = 0; b < Dsp; b++) begin
      pick_v[b]    = 1'b0;
      pick_lane[b] = '0;
      for (int r = Rows - 1; r >= 0; r--) begin
        if (r % Dsp == b && cand[r]) begin
          pick_v[b]    = 1'b1;
          pick_lane[b] = tessera_pkg::ROW_W'(r);
        end
      end
    end
    ndisp = '0;
    for (int b = 0; b < Dsp; b++) begin
      rank[b] = '0;
      for (int c = 0; c < Dsp; c++) begin
        if (pick_v[c] && pick_lane[c] < pick_lane[b]) begin
          rank[b] = rank[b] + RankW'(1);
        end
      end
      disp[b] = busy_q && pick_v[b] &&
                (jp_q + (tessera_pkg::JOB_AW+1)'(rank[b]) < cfg_njobs_i);
      ndisp   = ndisp + NdispW'(disp[b]);
    end
  end
  assign dispatch    = disp != '0;
  assign job_valid_o = job_valid_q;

  // Per bus: the job and its filter-table entry, registered with the lane's
  // valid bit; the two multiplies happen once per job, not per tile.
  for (genvar b = 0; b < Dsp; b++) begin : gen_bus
    logic [3*Fw-1:0]                 job;
    logic [3*Ff-1:0]                 filt;
    logic [tessera_pkg::M_W-1:0]     jm;
    logic [tessera_pkg::TILE_W-1:0]  jt;
    logic [tessera_pkg::M_W-1:0]     m_q;
    logic [tessera_pkg::TILE_W-1:0]  t_q;
    logic [tessera_pkg::OUT_AW:0]    count_q;
    logic [tessera_pkg::OUT_AW-1:0]  row_q;
    logic [tessera_pkg::ACT_AW-1:0]  abase_q;
    logic [tessera_pkg::WMEM_AW-1:0] wbase_q;
    logic [tessera_pkg::LANE_AW:0]   words_q;
    logic [tessera_pkg::ENT_W-1:0]   entries_q;
    assign job  = jobs_q[tessera_pkg::JOB_AW'(jp_q + (tessera_pkg::JOB_AW+1)'(rank[b]))];
    assign jm   = tessera_pkg::M_W'(job[0 +: Fw]);
    assign jt   = tessera_pkg::TILE_W'(job[Fw +: Fw]);
    assign filt = filt_q[jm];
    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        m_q       <= '0;
        t_q       <= '0;
        count_q   <= '0;
        row_q     <= '0;
        abase_q   <= '0;
        wbase_q   <= '0;
        words_q   <= '0;
        entries_q <= '0;
      end else if (disp[b]) begin
        m_q       <= jm;
        t_q       <= jt;
        count_q   <= (tessera_pkg::OUT_AW+1)'(job[2*Fw +: Fw]);
        row_q     <= tessera_pkg::OUT_AW'(32'(jm) * 32'(cfg_tiles_i) + 32'(jt));
        abase_q   <= tessera_pkg::ACT_AW'(32'(jt) * 32'(cfg_k_i));
        wbase_q   <= tessera_pkg::WMEM_AW'(filt[0 +: Ff]);
        words_q   <= (tessera_pkg::LANE_AW+1)'(filt[Ff +: Ff]);
        entries_q <= tessera_pkg::ENT_W'(filt[2*Ff +: Ff]);
      end
    end
    assign job_m_o[b*tessera_pkg::M_W +: tessera_pkg::M_W]                   = m_q;
    assign job_t_o[b*tessera_pkg::TILE_W +: tessera_pkg::TILE_W]             = t_q;
    assign job_count_o[b*(tessera_pkg::OUT_AW+1) +: tessera_pkg::OUT_AW+1]   = count_q;
    assign job_row_o[b*tessera_pkg::OUT_AW +: tessera_pkg::OUT_AW]           = row_q;
    assign job_abase_o[b*tessera_pkg::ACT_AW +: tessera_pkg::ACT_AW]         = abase_q;
    assign job_wbase_o[b*tessera_pkg::WMEM_AW +: tessera_pkg::WMEM_AW]       = wbase_q;
    assign job_words_o[b*(tessera_pkg::LANE_AW+1) +: tessera_pkg::LANE_AW+1] = words_q;
    assign job_entries_o[b*tessera_pkg::ENT_W +: tessera_pkg::ENT_W]         = entries_q;
  end

  // ---- Weight port: one owner for a whole filter load, round robin from
  // the lane after the last owner (a fixed priority starved high lanes
  // under the many short loads of sparse runs; the planner's queue model
  // assumes loads are served about in request order). Loads a lane waits
  // for go first; prefetches take the port when none waits. A load in
  // progress is not interrupted.
  // Multicast: every lane requesting the same first word as the new owner
  // (the same filter: a requester that is not granted is at its word 0)
  // is granted with it and takes the same words off the port in lockstep.
  logic                          wown_valid_d, wown_valid_q;
  logic [tessera_pkg::ROW_W-1:0] wown_d, wown_q;
  logic [Rows-1:0]               wgrp_d, wgrp_q;
  logic [tessera_pkg::WMEM_AW-1:0] wown_addr;
  logic [tessera_pkg::ROW_W-1:0] wcand;
  logic [Rows-1:0]               wmask;
  assign wmask = ((wreq_i & wurg_i) != '0) ? (wreq_i & wurg_i) : wreq_i;
  always_comb begin
    wown_valid_d = wown_valid_q;
    wown_d       = wown_q;
    wcand        = '0;
    if (!(wown_valid_q && wreq_i[wown_q])) begin
      wown_valid_d = 1'b0;
      for (int i = Rows; i >= 1; i--) begin
        wcand = tessera_pkg::ROW_W'((32'(wown_q) + 32'(i)) % Rows);
        if (wmask[wcand] && !(wown_valid_q && wcand == wown_q)) begin
          wown_valid_d = 1'b1;
          wown_d       = wcand;
        end
      end
    end
  end
  assign wown_addr = waddr_i[wown_d*tessera_pkg::WMEM_AW +: tessera_pkg::WMEM_AW];
  always_comb begin
    wgrp_d = wgrp_q;
    if (!(wown_valid_q && wreq_i[wown_q])) begin
      for (int r = 0; r < Rows; r++) begin
        wgrp_d[r] = wown_valid_d && wreq_i[r] &&
                    (waddr_i[r*tessera_pkg::WMEM_AW +: tessera_pkg::WMEM_AW] == wown_addr);
      end
    end
  end
  assign wgnt_o = wown_valid_q ? wgrp_q : '0;
  assign wowner_o = wown_q;

  // ---- Results: round robin, up to Op tiles a cycle (one per output port).
  logic [tessera_pkg::ROW_W-1:0] rr_q, rr_d;
  always_comb begin
    res_sel_valid_o = '0;
    res_sel_o       = '0;
    res_take_o      = '0;
    rr_d            = rr_q;
    for (int p = 0; p < Op; p++) begin
      logic                          found;
      logic [tessera_pkg::ROW_W-1:0] pick;
      found = 1'b0;
      pick  = '0;
      for (int i = Rows - 1; i >= 0; i--) begin
        // Candidates in the order rr_q, rr_q+1, ... not taken by an earlier
        // port: the loop runs backwards so the first in that order wins.
        logic [tessera_pkg::ROW_W-1:0] r;
        r = tessera_pkg::ROW_W'((32'(rr_q) + 32'(i)) % Rows);
        if (res_valid_i[r] && !res_take_o[r]) begin
          found = 1'b1;
          pick  = r;
        end
      end
      if (found) begin
        res_sel_valid_o[p]                                   = 1'b1;
        res_sel_o[p*tessera_pkg::ROW_W +: tessera_pkg::ROW_W] = pick;
        res_take_o[pick]                                     = 1'b1;
        rr_d = tessera_pkg::ROW_W'((32'(pick) + 1) % Rows);
      end
    end
  end

  // ---- Run state.
  always_comb begin
    busy_d = busy_q;
    jp_d   = jp_q;
    if (start_i && !busy_q) begin
      busy_d = 1'b1;
      jp_d   = '0;
    end else if (busy_q) begin
      jp_d = jp_q + (tessera_pkg::JOB_AW+1)'(ndisp);
      if (!clear_q && jp_q >= cfg_njobs_i && !dispatch && lane_busy_i == '0 &&
          job_valid_q == '0 && !out_pending_i) begin
        busy_d = 1'b0;
      end
    end
  end

  // ---- Counters (loaded with cfg_cnt_base_i at start, counting while
  // busy). The base is 0 in normal use; a base near 2^64 makes a short run
  // wrap every counter, so a test can see each bit toggle and each carry.
  // Each per-cycle increment is as wide as its largest sum (every summand
  // at its width's maximum, so the sum cannot wrap), zero-extended at the add:
  //   tiles: Op one-bit picks                  <= Op
  //   macs, nz: Rows column counts of COL_W   <= Rows * (2^COL_W - 1)
  //   skip: Rows skip counts of K_W           <= Rows * (2^K_W - 1)
  //   idle, run, load, stall: Rows lane bits  <= Rows
  localparam int unsigned TileIncW = $clog2(Op + 1);
  localparam int unsigned ColIncW  = $clog2(Rows * ((1 << tessera_pkg::COL_W) - 1) + 1);
  localparam int unsigned SkipIncW = $clog2(Rows * ((1 << tessera_pkg::K_W) - 1) + 1);
  localparam int unsigned LaneIncW = $clog2(Rows + 1);
  logic [tessera_pkg::CNT_W-1:0] cycles_q, macs_q, nz_q, skip_q, wport_q, run_q, load_q, stall_q;
  logic [tessera_pkg::CNT_W-1:0] idle_q, tiles_q;
  logic [ColIncW-1:0]            macs_inc, nz_inc;
  logic [SkipIncW-1:0]           skip_inc;
  logic [LaneIncW-1:0]           run_inc, load_inc, stall_inc, idle_inc;
  logic [TileIncW-1:0]           tiles_inc;
  always_comb begin
    macs_inc  = '0;
    nz_inc    = '0;
    skip_inc  = '0;
    run_inc   = '0;
    load_inc  = '0;
    stall_inc = '0;
    idle_inc  = '0;
    tiles_inc = '0;
    for (int p = 0; p < Op; p++) begin
      tiles_inc += TileIncW'(res_sel_valid_o[p]);
    end
    for (int r = 0; r < Rows; r++) begin
      macs_inc  += ColIncW'(mac_cols_i[r*tessera_pkg::COL_W +: tessera_pkg::COL_W]);
      nz_inc    += ColIncW'(nz_cols_i[r*tessera_pkg::COL_W +: tessera_pkg::COL_W]);
      skip_inc  += SkipIncW'(skip_i[r*tessera_pkg::K_W +: tessera_pkg::K_W]);
      idle_inc  += LaneIncW'(lane_idle_i[r] && !lane_busy_i[r]);
      run_inc   += LaneIncW'(run_i[r]);
      load_inc  += LaneIncW'(load_i[r]);
      stall_inc += LaneIncW'(stall_i[r]);
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      busy_q       <= 1'b0;
      clear_q      <= 1'b0;
      jp_q         <= '0;
      job_valid_q  <= '0;
      wown_valid_q <= 1'b0;
      wown_q       <= '0;
      wgrp_q       <= '0;
      rr_q         <= '0;
      cycles_q     <= '0;
      macs_q       <= '0;
      nz_q         <= '0;
      skip_q       <= '0;
      wport_q      <= '0;
      run_q        <= '0;
      load_q       <= '0;
      stall_q      <= '0;
      idle_q       <= '0;
      tiles_q      <= '0;
    end else begin
      busy_q       <= busy_d;
      clear_q      <= start_i && !busy_q;
      jp_q         <= jp_d;
      job_valid_q  <= '0;
      for (int b = 0; b < Dsp; b++) begin
        if (disp[b]) begin
          job_valid_q[pick_lane[b]] <= 1'b1;
        end
      end
      // A run starts from the arbiters' reset state, so its cycles do not
      // depend on the runs before it (the system model, sim/sys, runs
      // layers in another order than a fresh standalone handle).
      if (start_i && !busy_q) begin
        wown_valid_q <= 1'b0;
        wown_q       <= '0;
        wgrp_q       <= '0;
        rr_q         <= '0;
      end else begin
        wown_valid_q <= wown_valid_d;
        wown_q       <= wown_d;
        wgrp_q       <= wgrp_d;
        rr_q         <= rr_d;
      end
      if (start_i && !busy_q) begin
        cycles_q <= cfg_cnt_base_i;
        macs_q   <= cfg_cnt_base_i;
        nz_q     <= cfg_cnt_base_i;
        skip_q   <= cfg_cnt_base_i;
        wport_q  <= cfg_cnt_base_i;
        run_q    <= cfg_cnt_base_i;
        load_q   <= cfg_cnt_base_i;
        stall_q  <= cfg_cnt_base_i;
        idle_q   <= cfg_cnt_base_i;
        tiles_q  <= cfg_cnt_base_i;
      end else if (busy_q) begin
        cycles_q <= cycles_q + 1'b1;
        macs_q   <= macs_q + tessera_pkg::CNT_W'(macs_inc);
        nz_q     <= nz_q + tessera_pkg::CNT_W'(nz_inc);
        skip_q   <= skip_q + tessera_pkg::CNT_W'(skip_inc);
        idle_q   <= idle_q + tessera_pkg::CNT_W'(idle_inc);
        tiles_q  <= tiles_q + tessera_pkg::CNT_W'(tiles_inc);
        wport_q  <= wport_q + tessera_pkg::CNT_W'(|wissue_i);
        run_q    <= run_q + tessera_pkg::CNT_W'(run_inc);
        load_q   <= load_q + tessera_pkg::CNT_W'(load_inc);
        stall_q  <= stall_q + tessera_pkg::CNT_W'(stall_inc);
      end
    end
  end

  assign busy_o           = busy_q;
  assign clear_o          = clear_q;
  assign cnt_cycles_o     = cycles_q;
  assign cnt_macs_o       = macs_q;
  assign cnt_nz_macs_o    = nz_q;
  assign cnt_skipped_o    = skip_q;
  assign cnt_lane_idle_o  = idle_q;
  assign cnt_tiles_o      = tiles_q;
  assign cnt_wport_o      = wport_q;
  assign cnt_lane_run_o   = run_q;
  assign cnt_lane_load_o  = load_q;
  assign cnt_lane_stall_o = stall_q;

`ifndef SYNTHESIS  // assertions: simulation only (Yosys reads no SVA)
  // Immediate assertions in a clocked block (pre-edge values, as sampled
  // concurrent assertions; evaluated only when their condition holds).
  always_ff @(posedge clk_i) begin
    if (rst_ni) begin
      if (start_i) begin
        a_start_when_idle: assert (!busy_q)
          else $error("tessera_ctrl: start while a run is in progress");
        a_njobs_fit: assert (32'(cfg_njobs_i) <= tessera_pkg::HW_JOB_DEPTH)
          else $error("tessera_ctrl: %0d jobs exceed the queue depth", cfg_njobs_i);
      end
      if (job_we_i) begin
        a_no_job_write_busy: assert (!busy_q)
          else $error("tessera_ctrl: job queue written during a run");
      end
      // Lanes sharing the port in one cycle are one multicast group on one word.
      if (wissue_i != '0) begin
        a_one_wport_owner: assert (wown_valid_q && wissue_i[wown_q] && (wissue_i & ~wgrp_q) == '0)
          else $error("tessera_ctrl: a lane outside the owner's group drives the weight port");
        for (int r = 0; r < Rows; r++) begin
          if (wissue_i[r]) begin
            a_mcast_same_word: assert (
                waddr_i[r*tessera_pkg::WMEM_AW +: tessera_pkg::WMEM_AW] ==
                waddr_i[wown_q*tessera_pkg::WMEM_AW +: tessera_pkg::WMEM_AW])
              else $error("tessera_ctrl: lane %0d reads word %0d in a multicast of word %0d", r,
                          waddr_i[r*tessera_pkg::WMEM_AW +: tessera_pkg::WMEM_AW],
                          waddr_i[wown_q*tessera_pkg::WMEM_AW +: tessera_pkg::WMEM_AW]);
          end
        end
      end
    end
  end
`endif

endmodule
