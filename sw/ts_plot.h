/* A tiny gnuplot driver: every plot is a PNG with its data beside it.
 *
 * For "dir/name.png" three files are written: dir/name.csv (the data
 * behind the plot, with a header row), dir/name.gp (the gnuplot script,
 * which reads name.csv; `cd dir && gnuplot name.gp` redraws it) and
 * dir/name.png. Each is written to a temporary name and renamed, so a
 * reader never sees half a file; the PNG is renamed only after its
 * signature has been checked. When gnuplot is missing or fails, the status
 * says so (with gnuplot's own message) and no PNG is left behind; the CSV
 * and script stay, complete, for a rerun.
 *
 * Text is drawn literally (gnuplot's "noenhanced" mode: '_' and '^' are
 * not sub/superscripts). */
#ifndef TS_PLOT_H
#define TS_PLOT_H

#include <stddef.h>

#include "ts_status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ts_plot_opts {
  const char *title;   /* required */
  const char *xlabel;  /* required, with units: "weight bits", "MACs" */
  const char *ylabel;  /* required, with units: "test accuracy (%)" */
  const char *zlabel;  /* heat map colour bar label (heat map only) */
  int logx;            /* 1: logarithmic x axis; every x must be > 0 */
  int logy;            /* 1: logarithmic y axis (lines: every y > 0;
                          histogram: counts, empty bins not drawn) */
  int width, height;   /* pixels; 0 means 960 x 600 */
  const char *gnuplot; /* program to run; NULL means "gnuplot" on PATH */
} ts_plot_opts;

typedef struct ts_plot_series {
  const char *name;    /* legend entry */
  const double *x, *y; /* [n] finite values */
  int n;               /* >= 1 */
} ts_plot_series;

/* 1 when `gnuplot --version` runs successfully (prog NULL = "gnuplot"). */
int ts_plot_gnuplot_found(const char *prog);

/* Line plot of ns >= 1 series (points joined in the given order), with a
 * legend. CSV columns: series,x,y,name (series = 0-based index). */
ts_status ts_plot_lines(const char *png, const ts_plot_opts *o,
                        const ts_plot_series *s, int ns, ts_error *err);

/* Histogram of v[n] (finite) in `bins` equal bins over [min, max] (a
 * constant v uses [v - 0.5, v + 0.5]); the maximum falls in the last bin.
 * name labels the legend. CSV columns: bin_lo,bin_hi,count. */
ts_status ts_plot_histogram(const char *png, const ts_plot_opts *o,
                            const char *name, const float *v, size_t n,
                            int bins, ts_error *err);

/* Heat map of z over a grid: x[nx] (columns, e.g. pruning %), y[ny] (rows,
 * e.g. bits), z: [ny][nx] finite. Cells are equal-sized whatever the
 * spacing of x and y, each labelled with its value (printf format
 * label_fmt, e.g. "%.1f"; NULL means "%.3g"). CSV columns:
 * x,y,value,x_index,y_index. */
ts_status ts_plot_heatmap(const char *png, const ts_plot_opts *o,
                          const double *x, int nx, const double *y, int ny,
                          const double *z, const char *label_fmt,
                          ts_error *err);

/* TS_OK when path starts with the 8-byte PNG signature. */
ts_status ts_plot_check_png(const char *path, ts_error *err);

#ifdef __cplusplus
}
#endif
#endif /* TS_PLOT_H */
