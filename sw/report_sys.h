/* The system-model section of `tessera report` (out/report.md): what
 * lower precision and compression do to the memory-bound FC layers, from
 * hw-sweep's system columns and DRAM-bandwidth sweep (docs/system.md). */
#ifndef TS_REPORT_SYS_H
#define TS_REPORT_SYS_H

#include <stdio.h>

/* Writes the section from the CSVs in folder out (a note when absent). */
void ts_report_system(FILE *f, const char *out);

#endif /* TS_REPORT_SYS_H */
