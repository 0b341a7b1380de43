// One processing element: a signed multiply-accumulate.
//
//   w_i (B <= 16, sign-extended) --\
//                                   (x) -- + -- acc_q
//   a_i (byte, sign/zero ext.) ----/       |
//                        first_i ? 0 : acc_q
//
// The accumulator is HW_ACC_BITS wide, derived in models/int/ts_hw_params.h so
// that K_MAX products never overflow; ovf_o flags it anyway (the lane's
// a_acc_no_overflow assertion).
// (In simulation the register is a native 64-bit signal, see below.)
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
  output logic signed [AccBits-1:0]  sum_o,         // value acc_q takes on en_i
  output logic                       ovf_o          // sum_o overflowed (never, by contract)
);
  // The datapath is held in native 64-bit signals: the simulator then does
  // one machine multiply and add per cycle instead of sign-extending 25- and
  // 37-bit values. Only the low AccBits are significant: ovf_o (and the
  // lane's a_acc_no_overflow) fires as soon as a sum leaves the AccBits
  // range, so the visible results are those of an AccBits register.
  localparam int unsigned NatW  = 64;

  logic signed [NatW-1:0] w_nat, a_nat, prod, base, sum, acc_d, acc_q;

  assign w_nat = NatW'(w_i);                                     // sign-extends
  // A select between the two extensions rather than a replicated sign bit:
  // the same value, 6 fewer simulator instructions per MAC (docs/hw.md).
  assign a_nat = act_signed_i ? NatW'($signed(a_i)) : NatW'(a_i);
  assign prod  = w_nat * a_nat;
  assign base  = first_i ? '0 : acc_q;
  assign sum   = base + prod;
  assign sum_o = sum[AccBits-1:0];
  assign acc_d = en_i ? sum : acc_q;

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

  if (AccBits > NatW) begin : gen_param_error_nat
    $error("tessera_pe: AccBits=%0d exceeds the %0d-bit native datapath", AccBits, NatW);
  end

  // The sum fits AccBits signed bits (everything above bit AccBits-2 is a
  // copy of the sign) unless the AccBits register would have wrapped:
  // sum + 2^(AccBits-1) then leaves [0, 2^AccBits). The lane asserts on the
  // OR of its PEs' flags (a_acc_no_overflow): one sampled check per lane
  // instead of 256 assertions, which cost ~22% of the simulation time.
  assign ovf_o = en_i && (((NatW'(sum) + (NatW'(1) << (AccBits-1))) >> AccBits) != '0);

endmodule
