// Output stage of one column: bias add, fixed-point requantization with
// round-to-nearest-ties-away-from-zero, saturation (docs/int-arith.md).
//
//   acc + bias -> |x * mult| -> (+ 2^(shift-1)) >> shift -> sign -> clamp
//
// OutAcc returns acc + bias unchanged (the logits of the last layer).
// Combinational; the caller registers the result.
module tessera_requant
#(
  parameter int unsigned AccBits   = tessera_pkg::HW_ACC_BITS,
  parameter int unsigned MultBits  = tessera_pkg::HW_MULT_BITS,
  parameter int unsigned ShiftBits = tessera_pkg::HW_SHIFT_BITS
) (
  input  logic signed [AccBits-1:0] acc_i,
  input  logic signed [AccBits-1:0] bias_i,
  input  logic [MultBits-1:0]       mult_i,
  input  logic [ShiftBits-1:0]      shift_i,
  input  tessera_pkg::out_mode_e                 mode_i,
  output logic signed [AccBits-1:0] y_o,
  output logic                      ovf_o    // acc + bias overflowed (never, by contract)
);
  // acc * mult needs AccBits + MultBits bits; the rounding add needs up to
  // 2^(2^ShiftBits - 2) more, so the magnitude path is 64 bits wide.
  localparam int unsigned MagW = 64;

  logic signed [AccBits:0]   sum_wide;
  logic signed [AccBits-1:0] sum;
  logic signed [MagW-1:0]    prod;
  logic                      neg;
  logic [MagW-1:0]           mag, half, rounded;
  logic signed [MagW-1:0]    q;

  assign sum_wide = (AccBits+1)'(acc_i) + (AccBits+1)'(bias_i);
  assign sum      = sum_wide[AccBits-1:0];
  assign ovf_o    = sum_wide[AccBits] != sum_wide[AccBits-1];

  assign prod    = MagW'(sum) * $signed(MagW'(mult_i));  // mult_i zero-extends: positive
  assign neg     = prod[MagW-1];
  assign mag     = neg ? (~prod + 1'b1) : prod;
  assign half    = (shift_i == '0) ? '0 : (MagW'(1) << (shift_i - 1'b1));
  assign rounded = (mag + half) >> shift_i;
  assign q       = neg ? -$signed(rounded) : $signed(rounded);

  always_comb begin
    y_o = sum;
    unique case (mode_i)
      tessera_pkg::OutU8: begin
        if (q < 0) begin
          y_o = '0;
        end else if (q > 255) begin
          y_o = AccBits'(255);
        end else begin
          y_o = AccBits'(q);
        end
      end
      tessera_pkg::OutS8: begin
        if (q < -128) begin
          y_o = -AccBits'(128);
        end else if (q > 127) begin
          y_o = AccBits'(127);
        end else begin
          y_o = AccBits'(q);
        end
      end
      tessera_pkg::OutAcc: y_o = sum;
      default: y_o = sum;
    endcase
  end

  if (AccBits + MultBits + 1 > MagW - 1) begin : gen_param_error
    $error("tessera_requant: acc * mult (%0d bits) must fit %0d bits", AccBits + MultBits, MagW);
  end

endmodule
