// One processing element: a signed multiply-accumulate.
//
//   w_i (B <= 16, sign-extended) --\
//                                   (x) -- + -- acc_q
//   a_i (byte, sign/zero ext.) ----/       |
//                        first_i ? 0 : acc_q
//
// The accumulator is HW_ACC_BITS wide, derived in models/int/ts_hw_params.h so
// that K_MAX products never overflow; a_acc_no_overflow checks it anyway.
//
// Two datapath widths, one behaviour. Synthesis (SYNTHESIS defined, as Yosys
// does) gets the real widths: a W_W x (HW_ABITS + 1) signed multiplier (16 x 9),
// an AccBits adder and an AccBits register. Simulation holds the datapath in
// native 64-bit signals: the simulator then does one machine multiply and add
// per cycle instead of sign-extending 25- and 36-bit values. Only the low
// AccBits are significant there: a_acc_no_overflow fires when a tile's sum
// leaves the AccBits range, so the visible results are those of an AccBits
// register (tests/rtl checks them bit for bit against the golden model).
module tessera_pe
#(
  parameter int unsigned AccBits = tessera_pkg::HW_ACC_BITS
) (
  input  logic                               clk_i,
  input  logic                               rst_ni,
  input  logic                               en_i,          // accumulate this cycle
  input  logic                               first_i,       // restart from zero
  input  logic                               last_i,        // the tile's last accumulate (checked)
  input  logic                               act_signed_i,  // a_i is int8, else uint8
  input  logic signed [tessera_pkg::W_W-1:0] w_i,
  input  logic [tessera_pkg::HW_ABITS-1:0]   a_i,
  output logic signed [AccBits-1:0]          sum_o          // value acc_q takes on en_i
);
`ifdef SYNTHESIS
  localparam bit Native = 1'b0;
`else
  localparam bit Native = 1'b1;
`endif
  localparam int unsigned NatW = 64;
  // Operand, product, sum and register widths.
  localparam int unsigned WOpW  = Native ? NatW : tessera_pkg::W_W;
  localparam int unsigned AOpW  = Native ? NatW : tessera_pkg::HW_ABITS + 1;
  localparam int unsigned ProdW = Native ? NatW : tessera_pkg::PROD_W;
  localparam int unsigned SumW  = Native ? NatW : AccBits;
  localparam int unsigned RegW  = Native ? NatW : AccBits;

  logic signed [WOpW-1:0]  w_op;
  logic signed [AOpW-1:0]  a_op;
  logic signed [ProdW-1:0] prod;
  logic signed [SumW-1:0]  base, sum;
  logic signed [RegW-1:0]  acc_q;

  assign w_op = WOpW'(w_i);                                      // sign-extends
  // A select between the two extensions rather than a replicated sign bit:
  // the same value, 6 fewer simulator instructions per MAC (docs/hw.md).
  assign a_op = act_signed_i ? AOpW'($signed(a_i)) : AOpW'(a_i);
  assign prod = ProdW'(w_op) * ProdW'(a_op);  // exact: |w * a| < 2^(ProdW-1)
  assign base = first_i ? '0 : SumW'(acc_q);
  assign sum   = base + SumW'(prod);
  assign sum_o = sum[AccBits-1:0];

  // An enable flop rather than `acc_q <= en_i ? sum : acc_q`: the simulator
  // then stores the register only when it changes, with no acc_d copy.
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      acc_q <= '0;
    end else if (en_i) begin
      acc_q <= RegW'(sum);
    end
  end

  // Parameter legality: the accumulator must hold at least one product.
  if (AccBits < tessera_pkg::PROD_W) begin : gen_param_error
    $error("tessera_pe: AccBits=%0d is narrower than a product (%0d)",
           AccBits, tessera_pkg::PROD_W);
  end

  if (AccBits >= NatW) begin : gen_param_error_nat
    $error("tessera_pe: AccBits=%0d must be below the %0d-bit native datapath", AccBits, NatW);
  end

`ifndef SYNTHESIS  // assertions: simulation only (Yosys reads no SVA)
  // The tile's final sum fits AccBits signed bits (everything above bit
  // AccBits-2 of the native sum is a copy of the sign): then it equals what
  // the AccBits register of the synthesized PE holds, whose two's complement
  // sums are exact modulo 2^AccBits, whatever the partial sums did. Checked
  // once per tile in a clocked block, not as a flag per accumulate: the 256
  // flags, computed and packed on every edge, cost ~2,000 simulator
  // instructions a cycle (docs/hw.md, "Simulation speed").
  always_ff @(posedge clk_i) begin
    if (rst_ni && en_i && last_i) begin
      a_acc_no_overflow: assert (((NatW'(sum) + (NatW'(1) << (AccBits-1))) >> AccBits) == '0)
        else $error("tessera_pe: accumulator overflow, sum %0d (K above HW_K_MAX?)", sum);
    end
  end
`endif

endmodule
