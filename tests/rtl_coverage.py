#!/usr/bin/env python3
"""Summarise Verilator coverage files (make rtl-coverage).

usage: rtl_coverage.py OUT_DIR FILE.dat...

Reads every .dat written by the coverage build's handles, merges them, and
prints line and toggle coverage of rtl/ per module, counted two ways:
per source point (a line, or one bit of a signal, covered if any instance hit
it) and per instance point (each of the 256 PEs counted apart). Writes
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
    inst = collections.Counter()  # (kind, module, file, line, comment, hier) -> hits
    for path in files:
        for f, n in parse(path):
            kind, _, module = f.get("page", "?/?").partition("/")
            key = (kind.replace("v_", ""), module, f.get("f", "?"), int(f.get("l", 0)),
                   f.get("o", ""), f.get("h", ""))
            inst[key] += n
    if not inst:
        sys.stderr.write("rtl_coverage: no coverage points in %d file(s)\n" % len(files))
        return 1
    source = collections.Counter()  # the same without the instance
    for key, n in inst.items():
        source[key[:5]] += n
    rows = collections.defaultdict(lambda: [0, 0, 0, 0])  # (kind, module) -> src hit, src all, inst hit, inst all
    for key, n in source.items():
        r = rows[key[:2]]
        r[0] += n > 0
        r[1] += 1
    for key, n in inst.items():
        r = rows[key[:2]]
        r[2] += n > 0
        r[3] += 1
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "rtl_coverage.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["kind", "module", "source_hit", "source_points", "instance_hit", "instance_points"])
        for (kind, module), r in sorted(rows.items()):
            w.writerow([kind, module] + r)
    with open(os.path.join(out_dir, "rtl_uncovered.txt"), "w") as f:
        for key in sorted(k for k, n in source.items() if n == 0):
            kind, module, path, line, comment = key
            f.write("%s %s %s:%d %s\n" % (kind, module, path, line, comment))
    pct = lambda a, b: 100.0 * a / b if b else 100.0
    print("%-8s %-18s %22s %22s" % ("kind", "module", "source points hit", "instance points hit"))
    totals = collections.defaultdict(lambda: [0, 0, 0, 0])
    for (kind, module), r in sorted(rows.items()):
        print("%-8s %-18s %9d/%-7d %5.1f%% %9d/%-7d %5.1f%%" %
              (kind, module, r[0], r[1], pct(r[0], r[1]), r[2], r[3], pct(r[2], r[3])))
        t = totals[kind]
        for i in range(4):
            t[i] += r[i]
    for kind, t in sorted(totals.items()):
        print("%-8s %-18s %9d/%-7d %5.1f%% %9d/%-7d %5.1f%%" %
              (kind, "ALL", t[0], t[1], pct(t[0], t[1]), t[2], t[3], pct(t[2], t[3])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
