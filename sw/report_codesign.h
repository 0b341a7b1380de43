/* The co-design section of `tessera report` (out/report.md): the chosen
 * per-layer widths and sparsities, every verified candidate and the
 * Pareto plots, from the files `tessera codesign` writes (docs/study.md
 * section 12). */
#ifndef TS_REPORT_CODESIGN_H
#define TS_REPORT_CODESIGN_H

#include <stdio.h>

/* Writes the section from out/codesign.csv (a note naming the command
 * when it is missing). */
void ts_report_codesign(FILE *f, const char *out);

#endif /* TS_REPORT_CODESIGN_H */
