// One processing element: a signed multiply-accumulate.
//
//   w_i (B <= 16, sign-extended) --\
//                                   (x) -- + -- acc_q
//   a_i (byte, sign/zero ext.) ----/       |
//                        first_i ? 0 : acc_q
//
// The accumulator is HW_ACC_BITS wide, derived in models/ts_hw_params.h so
// that K_MAX products never overflow; a_acc_no_overflow checks it anyway.
module tessera_pe
  import tessera_pkg::*;
#(
  parameter int unsigned AccBits = tessera_hw_pkg::HW_ACC_BITS
) (
  input  logic                       clk_i,
  input  logic                       rst_ni,
  input  logic                       en_i,          // accumulate this cycle
  input  logic                       first_i,       // restart from zero
  input  logic                       act_signed_i,  // a_i is int8, else uint8
  input  logic signed [W_W-1:0]      w_i,
  input  logic [tessera_hw_pkg::HW_ABITS-1:0] a_i,
  output logic signed [AccBits-1:0]  sum_o          // value acc_q takes on en_i
);
  localparam int unsigned ABits = tessera_hw_pkg::HW_ABITS;

  logic signed [ABits:0]     a_ext;
  logic signed [PROD_W-1:0]  prod;
  logic signed [AccBits-1:0] acc_d, acc_q, base;
  logic signed [AccBits:0]   sum_wide;

  assign a_ext    = {act_signed_i & a_i[ABits-1], a_i};
  assign prod     = PROD_W'(w_i) * PROD_W'(a_ext);
  assign base     = first_i ? '0 : acc_q;
  assign sum_wide = (AccBits+1)'(base) + (AccBits+1)'(prod);
  assign sum_o    = sum_wide[AccBits-1:0];
  assign acc_d    = en_i ? sum_o : acc_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      acc_q <= '0;
    end else begin
      acc_q <= acc_d;
    end
  end

  // Parameter legality: the accumulator must hold at least one product.
  if (AccBits < PROD_W) begin : gen_param_error
    $error("tessera_pe: AccBits=%0d is narrower than a product (%0d)", AccBits, PROD_W);
  end

  // The sign bit and the carry out agree unless the sum overflowed.
  a_acc_no_overflow: assert property (@(posedge clk_i) disable iff (!rst_ni)
      en_i |-> (sum_wide[AccBits] == sum_wide[AccBits-1]))
    else $error("tessera_pe: accumulator overflow (K above HW_K_MAX?)");

endmodule
