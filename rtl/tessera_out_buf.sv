// Output buffer: one row of COLS results per (m, tile), written by the
// requantization stage, read by the host (combinational read: the host only
// reads while the array is idle).
module tessera_out_buf
#(
  parameter int unsigned Rows  = tessera_pkg::HW_OUT_ROWS,
  parameter int unsigned Width = tessera_pkg::HW_COLS * tessera_pkg::HW_ACC_BITS,
  localparam int unsigned Aw = $clog2(Rows)
) (
  input  logic             clk_i,
  input  logic             we_i,
  input  logic [Aw-1:0]    waddr_i,
  input  logic [Width-1:0] wdata_i,
  input  logic [Aw-1:0]    raddr_i,
  output logic [Width-1:0] rdata_o
);
  logic [Width-1:0] mem_q [Rows];

  always_ff @(posedge clk_i) begin
    if (we_i) begin
      mem_q[waddr_i] <= wdata_i;
    end
  end

  assign rdata_o = mem_q[raddr_i];

`ifndef SYNTHESIS  // assertions: simulation only (Yosys reads no SVA)
  a_waddr_in_range: assert property (@(posedge clk_i) we_i |-> (32'(waddr_i) < Rows))
    else $error("tessera_out_buf: write row %0d >= %0d rows", waddr_i, Rows);
`endif

endmodule
