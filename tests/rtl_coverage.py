#!/usr/bin/env python3
"""Summarise Verilator coverage files (make rtl-coverage).

usage: rtl_coverage.py OUT_DIR FILE.dat...

Reads every .dat written by the coverage build's handles, merges them, and
prints line, branch and toggle coverage of rtl/ per module. A point is a
line (block), a branch, or one bit of a signal; Verilator counts a module's
instances together (the hierarchy reads gen_lane[*]). Writes
OUT_DIR/rtl_coverage.csv (one row per module and kind) and
OUT_DIR/rtl_uncovered.txt (the source points never hit). Exit 1 if no file
holds a point (a build without coverage, or no handle destroyed).
"""
import collections
import csv
import os
import re
import sys

# One point: C '<key/value pairs, each \x01key\x02value>' count
POINT = re.compile(r"^C '(.*)' (\d+)$")


def parse(path):
    with open(path, encoding="latin-1") as f:
        for line in f:
            m = POINT.match(line.rstrip("\n"))
            if not m:
                continue
            fields = dict(kv.split("\x02", 1) for kv in m.group(1).split("\x01") if "\x02" in kv)
            yield fields, int(m.group(2))


def main():
    if len(sys.argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    out_dir, files = sys.argv[1], sys.argv[2:]
    source = collections.Counter()  # (kind, module, file, line, comment) -> hits
    for path in files:
        for f, n in parse(path):
            kind, _, module = f.get("page", "?/?").partition("/")
            key = (kind.replace("v_", ""), module, f.get("f", "?"), int(f.get("l", 0)),
                   f.get("o", ""))
            source[key] += n
    if not source:
        sys.stderr.write("rtl_coverage: no coverage points in %d file(s)\n" % len(files))
        return 1
    rows = collections.defaultdict(lambda: [0, 0])  # (kind, module) -> points hit, points
    for key, n in source.items():
        r = rows[key[:2]]
        r[0] += n > 0
        r[1] += 1
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "rtl_coverage.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["kind", "module", "points_hit", "points"])
        for (kind, module), r in sorted(rows.items()):
            w.writerow([kind, module] + r)
    with open(os.path.join(out_dir, "rtl_uncovered.txt"), "w") as f:
        for key in sorted(k for k, n in source.items() if n == 0):
            kind, module, path, line, comment = key
            f.write("%s %s %s:%d %s\n" % (kind, module, path, line, comment))
    pct = lambda a, b: 100.0 * a / b if b else 100.0
    print("%-8s %-28s %16s" % ("kind", "module", "points hit"))
    totals = collections.defaultdict(lambda: [0, 0])
    for (kind, module), r in sorted(rows.items()):
        print("%-8s %-28s %7d/%-7d %5.1f%%" % (kind, module, r[0], r[1], pct(r[0], r[1])))
        totals[kind][0] += r[0]
        totals[kind][1] += r[1]
    for kind, t in sorted(totals.items()):
        print("%-8s %-28s %7d/%-7d %5.1f%%" % (kind, "ALL", t[0], t[1], pct(t[0], t[1])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
