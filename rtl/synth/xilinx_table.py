#!/usr/bin/env python3
"""Per-module table of a Yosys synth_xilinx `stat` (rtl/synth.mk, make synth-xilinx).

usage: xilinx_table.py XILINX_TXT OUT_BUF_TXT OUT_LVT_TXT PORTS

XILINX_TXT is the whole design with both buffers black boxes; OUT_BUF_TXT
one output-buffer bank (one write port); OUT_LVT_TXT the live-value table
of a PORTS-write-port buffer (or a one-line note when PORTS = 1). The
output buffer is counted as PORTS banks + the table + a PORTS:1 read mux
(one LUT a bit for PORTS = 2..4). Prints a markdown table: each module's
own cells per instance, its instance count, and the sums.
LUTs = LUT1..LUT6 (logic; the INV that synth_xilinx puts before every
flip-flop's active-low reset is left out, a vendor tool shares one),
LUTRAM = RAM64M (4 LUTs each), FFs = FD*E.
"""
import re
import sys

COLS = ("LUT", "RAM64M", "FF", "DSP48E1", "RAMB36E1", "RAMB18E1", "CARRY4")


def parse(path):
    """{module: {cell type: count}} and {module: instances} of a stat file."""
    mods, hier, cur, in_hier = {}, {}, None, False
    stack = []
    for line in open(path):
        m = re.match(r"=== (.*) ===", line.strip())
        if m:
            cur = m.group(1)
            in_hier = cur == "design hierarchy"
            if not in_hier:
                mods[cur] = {}
            continue
        if in_hier:
            m = re.match(r"^(\s+)(\S+)\s+(\d+)$", line.rstrip("\n"))
            if m and not line.strip().startswith("Number"):
                depth = len(m.group(1))
                while stack and stack[-1][0] >= depth:
                    stack.pop()
                parent = stack[-1][2] if stack else 1
                n = parent * int(m.group(3))
                hier[m.group(2)] = hier.get(m.group(2), 0) + n
                stack.append((depth, m.group(2), n))
            continue
        m = re.match(r"^\s+(\S+)\s+(\d+)$", line)
        if cur and m and not line.strip().startswith("Number"):
            mods[cur][m.group(1)] = int(m.group(2))
    return mods, hier


def summary(cells):
    out = dict.fromkeys(COLS, 0)
    for t, n in cells.items():
        if re.fullmatch(r"LUT[1-6]", t):
            out["LUT"] += n
        elif re.fullmatch(r"FD[CPRS]E", t):
            out["FF"] += n
        elif t in out:
            out[t] += n
    return out


def short(name):
    m = re.search(r"\\(tessera_\w+?)(\\|$)", name)
    return m.group(1) if m else name.lstrip("\\")


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    mods, hier = parse(sys.argv[1])
    ports = int(sys.argv[4])
    rows = []
    for name, cells in mods.items():
        s = summary(cells)
        if not any(s.values()):
            continue
        label = short(name)
        n = hier.get(name, 1)
        if label == "tessera_ram_1r1w":
            # one weight memory; one filter buffer per lane (B_max = 16's
            # buffer takes 2 RAMB36, so the size cannot tell them apart)
            label += " (weight memory)" if n == 1 else " (filter buffer)"
        rows.append((label, n, s))
    bank = summary(list(parse(sys.argv[2])[0].values())[0])
    ob = {c: ports * bank[c] for c in COLS}
    lvt_mods = parse(sys.argv[3])[0]
    if ports > 1:
        lvt = summary(list(lvt_mods.values())[0])
        width = int(re.search(r"OBUF\s+(\d+)", open(sys.argv[2]).read()).group(1))
        for c in COLS:
            ob[c] += lvt[c]
        ob["LUT"] += width  # the PORTS:1 read mux
        label = f"tessera_out_buf ({ports} banks + live-value table + {ports}:1 mux)"
    else:
        label = "tessera_out_buf (one bank)"
    rows.append((label, 1, ob))
    print("| module | instances | " + " | ".join(COLS) + " |")
    print("|---|---|" + "---|" * len(COLS))
    total = dict.fromkeys(COLS, 0)
    for label, n, s in rows:
        print(f"| {label} | {n} | " + " | ".join(f"{s[c]:,}" for c in COLS) + " |")
        for c in COLS:
            total[c] += n * s[c]
    print("| **total** (activation buffer not included) | | "
          + " | ".join(f"**{total[c]:,}**" for c in COLS) + " |")


if __name__ == "__main__":
    main()
