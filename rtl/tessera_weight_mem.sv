// Packed weight memory: B-bit codes packed floor(WPORT/B) to a word (see
// docs/int-arith.md). The host writes words; the single WPORT-bit read port
// is shared by all lanes through the controller's arbiter, so narrow weights
// arrive faster (B = 4: 16 weights a cycle, B = 16: 4).
module tessera_weight_mem
  import tessera_pkg::*;
#(
  parameter int unsigned Words = tessera_hw_pkg::HW_WMEM_WORDS,
  parameter int unsigned Width = tessera_hw_pkg::HW_WPORT_BITS,
  localparam int unsigned Aw = $clog2(Words)
) (
  input  logic             clk_i,
  input  logic             we_i,
  input  logic [Aw-1:0]    waddr_i,
  input  logic [Width-1:0] wdata_i,
  input  logic             re_i,
  input  logic [Aw-1:0]    raddr_i,
  output logic [Width-1:0] rdata_o
);
  logic [Width-1:0] mem_q [Words];

  always_ff @(posedge clk_i) begin
    if (we_i) begin
      mem_q[waddr_i] <= wdata_i;
    end
    if (re_i) begin
      rdata_o <= mem_q[raddr_i];
    end
  end

  if (Width % W_W != 0) begin : gen_param_error
    $error("tessera_weight_mem: port width %0d must hold whole %0d-bit weights", Width, W_W);
  end

  a_waddr_in_range: assert property (@(posedge clk_i) we_i |-> (32'(waddr_i) < Words))
    else $error("tessera_weight_mem: write address %0d >= %0d words", waddr_i, Words);
  a_raddr_in_range: assert property (@(posedge clk_i) re_i |-> (32'(raddr_i) < Words))
    else $error("tessera_weight_mem: read address %0d >= %0d words", raddr_i, Words);

endmodule
