// Simple dual-port RAM: one synchronous write, one synchronous read
// (data one cycle after the address): each lane's filter buffer and the
// weight memory. No reset and no initial contents: the lane writes before it
// reads, the host loads the weights before a run.
module tessera_ram_1r1w #(
  parameter int unsigned Width = 64,
  parameter int unsigned Depth = 512,
  localparam int unsigned Aw = (Depth > 1) ? $clog2(Depth) : 1
) (
  input  logic             clk_i,
  input  logic             we_i,
  input  logic [Aw-1:0]    waddr_i,
  input  logic [Width-1:0] wdata_i,
  input  logic             re_i,
  input  logic [Aw-1:0]    raddr_i,
  output logic [Width-1:0] rdata_o
);
  logic [Width-1:0] mem_q [Depth];

  always_ff @(posedge clk_i) begin
    if (we_i) begin
      mem_q[waddr_i] <= wdata_i;
    end
    if (re_i) begin
      rdata_o <= mem_q[raddr_i];
    end
  end

`ifndef SYNTHESIS  // assertions: simulation only (Yosys reads no SVA)
  // Immediate, in a clocked block: evaluated only when a port is used.
  always_ff @(posedge clk_i) begin
    if (we_i) begin
      a_waddr_in_range: assert (32'(waddr_i) < Depth)
        else $error("tessera_ram_1r1w: write address %0d >= depth %0d", waddr_i, Depth);
    end
    if (re_i) begin
      a_raddr_in_range: assert (32'(raddr_i) < Depth)
        else $error("tessera_ram_1r1w: read address %0d >= depth %0d", raddr_i, Depth);
    end
  end
`endif

endmodule
