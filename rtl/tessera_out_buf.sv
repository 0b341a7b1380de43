// Output buffer: one row of COLS results per (m, tile), written by the
// requantization stage, read by the host (combinational read: the host only
// reads while the array is idle).
module tessera_out_buf
#(
  parameter int unsigned Rows  = tessera_pkg::HW_OUT_ROWS,
  parameter int unsigned Width = tessera_pkg::HW_COLS * tessera_pkg::HW_ACC_BITS,
  parameter int unsigned Ports = tessera_pkg::HW_OUT_PORTS,
  localparam int unsigned Aw = $clog2(Rows)
) (
  input  logic                   clk_i,
  input  logic [Ports-1:0]       we_i,     // write port p: [p*Aw +: Aw], [p*Width +: Width]
  input  logic [Ports*Aw-1:0]    waddr_i,
  input  logic [Ports*Width-1:0] wdata_i,
  input  logic [Aw-1:0]          raddr_i,
  output logic [Width-1:0]       rdata_o
);
  logic [Width-1:0] mem_q [Rows];

  // Ports write distinct rows (distinct tiles): banked by row in silicon.
  always_ff @(posedge clk_i) begin
    for (int p = 0; p < Ports; p++) begin
      if (we_i[p]) begin
        mem_q[waddr_i[p*Aw +: Aw]] <= wdata_i[p*Width +: Width];
      end
    end
  end

  assign rdata_o = mem_q[raddr_i];

`ifndef SYNTHESIS  // assertions: simulation only (Yosys reads no SVA)
  // Immediate, in a clocked block: evaluated only for the ports that write.
  always_ff @(posedge clk_i) begin
    for (int p = 0; p < Ports; p++) begin
      if (we_i[p]) begin
        a_waddr_in_range: assert (32'(waddr_i[p*Aw +: Aw]) < Rows)
          else $error("tessera_out_buf: port %0d writes row %0d >= %0d rows", p,
                      waddr_i[p*Aw +: Aw], Rows);
        for (int q = p + 1; q < Ports; q++) begin
          if (we_i[q]) begin
            a_ports_distinct_rows: assert (waddr_i[p*Aw +: Aw] != waddr_i[q*Aw +: Aw])
              else $error("tessera_out_buf: ports %0d and %0d write row %0d together", p, q,
                          waddr_i[p*Aw +: Aw]);
          end
        end
      end
    end
  end
`endif

endmodule
