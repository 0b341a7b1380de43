/* The area section of `tessera report` (out/report.md): what narrower
 * weights and the zero-skipping output stage cost in logic, from the
 * Yosys results `make synth-area` leaves in build/synth/<cfg>/ (docs/hw.md,
 * "Area per maximum weight width"). */
#ifndef TS_REPORT_AREA_H
#define TS_REPORT_AREA_H

#include <stdio.h>

/* Writes the section from synth_dir's configurations (a note naming the
 * make target when none has been synthesized). */
void ts_report_area(FILE *f, const char *synth_dir);

#endif /* TS_REPORT_AREA_H */
