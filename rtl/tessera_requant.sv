// Output stage of one output port: bias add, fixed-point requantization with
// round-to-nearest-ties-away-from-zero and saturation (docs/int-arith.md) of
// a whole tile of Cols columns, registered.
//
//   acc + bias -> |x * mult| -> (+ 2^(shift-1)) >> shift -> sign -> clamp -> y_o
//                                            (one channel: bias, mult, shift)
//
// OutAcc returns acc + bias unchanged (the logits of the last layer).
//
// The arithmetic is a function called in the clocked block under en_i, not
// an always_comb: Verilator evaluates every combinational signal on every
// clock edge, while a port holds a new tile in a few percent of the cycles;
// written this way the simulator requantizes only the tiles that arrive
// (docs/hw.md, "Simulation speed"). The hardware is the same: Cols
// combinational requantizers in front of a register with an enable.
module tessera_requant
#(
  parameter int unsigned Cols      = tessera_pkg::HW_COLS,
  parameter int unsigned AccBits   = tessera_pkg::HW_ACC_BITS,
  parameter int unsigned MultBits  = tessera_pkg::HW_MULT_BITS,
  parameter int unsigned ShiftBits = tessera_pkg::HW_SHIFT_BITS
) (
  input  logic                      clk_i,
  input  logic                      en_i,    // a tile arrives: requantize and hold it
  input  logic [Cols*AccBits-1:0]   acc_i,   // column c: [c*AccBits +: AccBits], signed
  input  logic signed [AccBits-1:0] bias_i,
  input  logic [MultBits-1:0]       mult_i,
  input  logic [ShiftBits-1:0]      shift_i,
  input  tessera_pkg::out_mode_e    mode_i,
  output logic [Cols*AccBits-1:0]   y_o,     // registered: the held tile's results
  output logic [Cols-1:0]           ovf_o    // registered: its bias add overflowed (never, by contract)
);
  // acc * mult needs AccBits + MultBits bits; the rounding add needs up to
  // 2^(2^ShiftBits - 2) more, so the magnitude path is 64 bits wide.
  localparam int unsigned MagW = 64;

  // One column: {bias add overflowed, result}.
  function automatic logic [AccBits:0] requant_col(
    input logic signed [AccBits-1:0] acc,
    input logic signed [AccBits-1:0] bias,
    input logic [MultBits-1:0]       mult,
    input logic [ShiftBits-1:0]      shift,
    input tessera_pkg::out_mode_e    mode
  );
    logic signed [AccBits:0]   sum_wide;
    logic signed [AccBits-1:0] sum, y;
    logic signed [MagW-1:0]    prod, q;
    logic                      neg;
    logic [MagW-1:0]           mag, half, rounded;

    sum_wide = (AccBits+1)'(acc) + (AccBits+1)'(bias);
    sum      = sum_wide[AccBits-1:0];
    prod     = MagW'(sum) * $signed(MagW'(mult));  // mult zero-extends: positive
    neg      = prod[MagW-1];
    mag      = neg ? (~prod + 1'b1) : prod;
    half     = (shift == '0) ? '0 : (MagW'(1) << (shift - 1'b1));
    rounded  = (mag + half) >> shift;
    q        = neg ? -$signed(rounded) : $signed(rounded);

    y = sum;
    if (mode == tessera_pkg::OutU8) begin
      if (q < 0) begin
        y = '0;
      end else if (q > 255) begin
        y = AccBits'(255);
      end else begin
        y = AccBits'(q);
      end
    end else if (mode == tessera_pkg::OutS8) begin
      if (q < -128) begin
        y = -AccBits'(128);
      end else if (q > 127) begin
        y = AccBits'(127);
      end else begin
        y = AccBits'(q);
      end
    end
    requant_col = {sum_wide[AccBits] != sum_wide[AccBits-1], y};
  endfunction

  // No reset: the port's valid flag (tessera_top) says when y_o is read.
  always_ff @(posedge clk_i) begin
    if (en_i) begin
      for (int c = 0; c < Cols; c++) begin
        {ovf_o[c], y_o[c*AccBits +: AccBits]} <=
            requant_col(acc_i[c*AccBits +: AccBits], bias_i, mult_i, shift_i, mode_i);
      end
    end
  end

  if (AccBits + MultBits + 1 > MagW - 1) begin : gen_param_error
    $error("tessera_requant: acc * mult (%0d bits) must fit %0d bits", AccBits + MultBits, MagW);
  end

endmodule
