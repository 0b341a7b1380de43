// Activation buffer: rows of COLS bytes, row (k * tiles + t) holding
// X[k][t*COLS .. t*COLS+COLS-1]. One synchronous read port per lane, because
// every lane walks its own k (the zero-skipping dataflow, docs/hw.md): in
// silicon this is a replicated or banked SRAM; the cost is discussed there.
module tessera_act_buf
#(
  parameter int unsigned Rows  = tessera_pkg::HW_ACT_ROWS,
  parameter int unsigned Ports = tessera_pkg::HW_ROWS,
  parameter int unsigned Width = tessera_pkg::ACT_W,
  localparam int unsigned Aw = $clog2(Rows)
) (
  input  logic                   clk_i,
  input  logic                   we_i,
  input  logic [Aw-1:0]          waddr_i,
  input  logic [Width-1:0]       wdata_i,
  input  logic [Ports-1:0]       re_i,
  input  logic [Ports*Aw-1:0]    raddr_i,  // port p: [p*Aw +: Aw]
  output logic [Ports*Width-1:0] rdata_o   // port p: [p*Width +: Width]
);
  logic [Width-1:0] mem_q [Rows];

  always_ff @(posedge clk_i) begin
    if (we_i) begin
      mem_q[waddr_i] <= wdata_i;
    end
  end

  for (genvar p = 0; p < Ports; p++) begin : gen_port
    always_ff @(posedge clk_i) begin
      if (re_i[p]) begin
        rdata_o[p*Width +: Width] <= mem_q[raddr_i[p*Aw +: Aw]];
      end
    end
  end

`ifndef SYNTHESIS  // assertions: simulation only (Yosys reads no SVA)
  // Immediate, in a clocked block: evaluated only on a write.
  always_ff @(posedge clk_i) begin
    if (we_i) begin
      a_waddr_in_range: assert (32'(waddr_i) < Rows)
        else $error("tessera_act_buf: write row %0d >= %0d rows", waddr_i, Rows);
    end
  end
`endif

endmodule
