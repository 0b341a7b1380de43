// Packed weight memory: B-bit codes packed floor(WPORT/B) to a word (see
// docs/int-arith.md). The host writes words; the single WPORT-bit read port
// is shared by all lanes through the controller's arbiter, so narrow weights
// arrive faster (B = 4: 16 weights a cycle, B = 16: 4). The storage is a
// tessera_ram_1r1w (u_ram), which also checks the addresses.
module tessera_weight_mem #(
  parameter int unsigned Words = tessera_pkg::HW_WMEM_WORDS,
  parameter int unsigned Width = tessera_pkg::HW_WPORT_BITS,
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
  tessera_ram_1r1w #(
    .Width (Width),
    .Depth (Words)
  ) u_ram (
    .clk_i   (clk_i),
    .we_i    (we_i),
    .waddr_i (waddr_i),
    .wdata_i (wdata_i),
    .re_i    (re_i),
    .raddr_i (raddr_i),
    .rdata_o (rdata_o)
  );

  if (Width % tessera_pkg::W_W != 0) begin : gen_param_error
    $error("tessera_weight_mem: port width %0d must hold whole %0d-bit weights",
           Width, tessera_pkg::W_W);
  end

endmodule
