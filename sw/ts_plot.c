#include "ts_plot.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "ts_atomic.h"

#define PLOT_W 960
#define PLOT_H 600
#define MAX_SERIES 64
#define MAX_BINS 100000
#define MSG_MAX 400 /* bytes of gnuplot's output quoted in an error */

/* ---- Paths --------------------------------------------------------------- */

/* The three files of one plot, split for running gnuplot inside dir. */
typedef struct plot_paths {
  char *dir;      /* folder of the PNG ("." when none given) */
  char *png;      /* full paths */
  char *csv;
  char *gp;
  char *png_tmp;
  const char *png_base; /* basenames, pointing into the full paths */
  const char *csv_base;
  const char *gp_base;
  const char *png_tmp_base;
  char *block;    /* one allocation behind all of the above */
} plot_paths;

static ts_status paths_make(const char *png, plot_paths *p, ts_error *err) {
  memset(p, 0, sizeof *p);
  if (!png || !*png) return ts_fail(err, TS_E_ARG, "plot: PNG path is empty");
  const size_t n = strlen(png);
  if (n < 5 || strcmp(png + n - 4, ".png") != 0)
    return ts_fail(err, TS_E_ARG,
                   "plot: output '%s' must end in .png (the data and script "
                   "are written beside it as .csv and .gp)", png);
  const char *slash = strrchr(png, '/');
  const size_t cap = 5 * (n + 32);
  p->block = malloc(cap);
  if (!p->block) return ts_fail(err, TS_E_NOMEM, "plot '%s': out of memory", png);
  char *b = p->block;
  const int stem = (int)(n - 4);
  p->dir = b;
  if (!slash) b += sprintf(b, ".") + 1;
  else if (slash == png) b += sprintf(b, "/") + 1;
  else b += sprintf(b, "%.*s", (int)(slash - png), png) + 1;
  const size_t base_off = slash ? (size_t)(slash - png) + 1 : 0;
  p->png = b;
  b += sprintf(b, "%s", png) + 1;
  p->csv = b;
  b += sprintf(b, "%.*s.csv", stem, png) + 1;
  p->gp = b;
  b += sprintf(b, "%.*s.gp", stem, png) + 1;
  p->png_tmp = b;
  /* pid: two processes drawing the same plot do not share a temp file */
  (void)ts_atomic_tmp_name(png, b, n + 32);
  ts_atomic_clean_stale(png); /* temp PNGs of killed runs */
  p->png_base = p->png + base_off;
  p->csv_base = p->csv + base_off;
  p->gp_base = p->gp + base_off;
  p->png_tmp_base = p->png_tmp + base_off;
  return TS_OK;
}

static void paths_free(plot_paths *p) { free(p->block); }

/* A gnuplot single-quoted string: '' stands for ', newlines become spaces. */
static void gp_str(FILE *f, const char *s) {
  fputc('\'', f);
  for (; s && *s; s++) {
    if (*s == '\'') fputs("''", f);
    else if (*s == '\n' || *s == '\r') fputc(' ', f);
    else fputc(*s, f);
  }
  fputc('\'', f);
}

/* A CSV field, quoted when it holds a comma, quote or line break. */
static void csv_str(FILE *f, const char *s) {
  if (!s) s = "";
  if (!strpbrk(s, ",\"\n\r")) {
    fputs(s, f);
    return;
  }
  fputc('"', f);
  for (; *s; s++) {
    if (*s == '"') fputc('"', f);
    fputc(*s, f);
  }
  fputc('"', f);
}

/* Preamble shared by every script; the caller sets the axes and plots. */
static void gp_head(FILE *f, const plot_paths *p, const ts_plot_opts *o) {
  fprintf(f, "# Written by tessera (sw/ts_plot.c); data in %s.\n"
             "# Redraw from this folder: gnuplot %s\n", p->csv_base, p->gp_base);
  fputs("if (!exists(\"outfile\")) outfile = ", f);
  gp_str(f, p->png_base);
  fprintf(f, "\nset terminal pngcairo noenhanced size %d,%d font 'sans,11'\n"
             "set output outfile\n"
             "set datafile separator comma\n",
          o->width > 0 ? o->width : PLOT_W, o->height > 0 ? o->height : PLOT_H);
  fputs("set title ", f);
  gp_str(f, o->title);
  fputs("\nset xlabel ", f);
  gp_str(f, o->xlabel);
  fputs("\nset ylabel ", f);
  gp_str(f, o->ylabel);
  fputc('\n', f);
}

/* ---- Running gnuplot ----------------------------------------------------- */

/* Runs `prog args...` inside dir (NULL: here) with stdin from /dev/null;
 * out (nullable) receives the start of its stdout+stderr. Returns the exit
 * status, 127 when prog could not be started, -1 on a fork/pipe failure. */
static int run_in(const char *prog, const char *dir, char *const argv[],
                  char *out, size_t cap) {
  int fds[2];
  if (pipe(fds) != 0) return -1;
  const pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return -1;
  }
  if (pid == 0) { /* child: only async-signal-safe calls until exec */
    int null = open("/dev/null", O_RDONLY);
    if (null >= 0) dup2(null, 0);
    dup2(fds[1], 1);
    dup2(fds[1], 2);
    close(fds[0]);
    close(fds[1]);
    if (dir && chdir(dir) != 0) _exit(126);
    execvp(prog, argv);
    _exit(127);
  }
  close(fds[1]);
  size_t used = 0;
  char buf[512];
  ssize_t r;
  while ((r = read(fds[0], buf, sizeof buf)) != 0) {
    if (r < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (ssize_t i = 0; out && i < r && used + 1 < cap; i++)
      out[used++] = buf[i] == '\n' ? ' ' : buf[i];
  }
  if (out && cap) out[used] = '\0';
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return -1;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

int ts_plot_gnuplot_found(const char *prog) {
  if (!prog) prog = "gnuplot";
  char *argv[] = {(char *)prog, (char *)"--version", NULL};
  return run_in(prog, NULL, argv, NULL, 0) == 0;
}

static uint32_t be32(const unsigned char *b) {
  return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* The whole file, chunk by chunk: a PNG cut short by a full disk still has
 * its signature (gnuplot exits 0 and says nothing then), so only the CRC of
 * every chunk and an IEND that ends the file prove it was written whole. */
ts_status ts_plot_check_png(const char *path, ts_error *err) {
  static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a,
                                       '\n'};
  FILE *f = path ? fopen(path, "rb") : NULL;
  if (!f)
    return ts_fail(err, TS_E_IO, "PNG '%s': cannot open: %s",
                   path ? path : "(null)", strerror(errno));
  unsigned char head[8];
  size_t n = fread(head, 1, sizeof head, f);
  ts_status st = TS_OK;
  if (n != sizeof head || memcmp(head, sig, sizeof sig) != 0) {
    st = ts_fail(err, TS_E_FORMAT,
                 "PNG '%s': %zu bytes read and no PNG signature at the start",
                 path, n);
    goto done;
  }
  unsigned char *buf = NULL;
  size_t cap = 0;
  long long at = 8; /* file offset of the chunk being read */
  for (int k = 0;; k++) {
    unsigned char h[8];
    n = fread(h, 1, sizeof h, f);
    if (n == 0 && k > 0) {
      st = ts_fail(err, TS_E_FORMAT,
                   "PNG '%s' is incomplete: %lld bytes, %d chunks and no IEND "
                   "chunk at the end (disk full?)", path, at, k);
      break;
    }
    const uint32_t len = n == sizeof h ? be32(h) : 0;
    char type[5] = {0};
    if (n == sizeof h) memcpy(type, h + 4, 4);
    if (n != sizeof h || len > 0x7fffffffu) {
      st = ts_fail(err, TS_E_FORMAT,
                   "PNG '%s' is incomplete: it ends inside the header of chunk "
                   "%d at byte %lld (disk full?)", path, k, at);
      break;
    }
    if (len + 4 > cap) {
      unsigned char *grown = realloc(buf, len + 4);
      if (!grown) {
        st = ts_fail(err, TS_E_NOMEM, "PNG '%s': out of memory", path);
        break;
      }
      buf = grown;
      cap = len + 4;
    }
    memcpy(buf, h + 4, 4); /* the CRC covers type and data */
    if (fread(buf + 4, 1, len, f) != len || fread(h, 1, 4, f) != 4) {
      st = ts_fail(err, TS_E_FORMAT,
                   "PNG '%s' is incomplete: chunk %d ('%s', %u bytes) at byte "
                   "%lld is cut short (disk full?)", path, k, type, len, at);
      break;
    }
    if ((uint32_t)crc32(crc32(0, Z_NULL, 0), buf, len + 4) != be32(h)) {
      st = ts_fail(err, TS_E_FORMAT,
                   "PNG '%s' is corrupt: chunk %d ('%s') at byte %lld fails "
                   "its CRC", path, k, type, at);
      break;
    }
    if (k == 0 && strcmp(type, "IHDR") != 0) {
      st = ts_fail(err, TS_E_FORMAT, "PNG '%s': first chunk is '%s', not IHDR",
                   path, type);
      break;
    }
    at += 12 + (long long)len;
    if (!strcmp(type, "IEND")) {
      if (fgetc(f) != EOF)
        st = ts_fail(err, TS_E_FORMAT, "PNG '%s': bytes follow the IEND chunk "
                     "at byte %lld", path, at);
      break;
    }
  }
  free(buf);
done:
  fclose(f);
  return st;
}

/* gnuplot's PNG, complete and on disk, before it may replace p->png: it
 * exits 0 even when its write failed, so fsync and the chunk walk are the
 * only evidence. */
static ts_status check_drawn(const plot_paths *p, ts_error *err) {
  ts_error e = {0};
  int fd = open(p->png_tmp, O_RDONLY | O_CLOEXEC);
  ts_status st = fd < 0 || fsync(fd) != 0
                     ? ts_fail(&e, TS_E_IO, "'%s': %s", p->png_tmp,
                               strerror(errno))
                     : ts_plot_check_png(p->png_tmp, &e);
  if (fd >= 0) close(fd);
  if (st)
    ts_fail(err, st, "plot '%s' not written (an earlier one, if any, is "
            "kept): %s", p->png, e.msg);
  return st;
}

/* Draws p->gp into p->png_tmp, checks it, renames it to p->png. */
static ts_status draw(const plot_paths *p, const ts_plot_opts *o,
                      ts_error *err) {
  const char *prog = o->gnuplot ? o->gnuplot : "gnuplot";
  /* outfile='<tmp>' with gnuplot's quoting; the path is inside dir */
  const size_t n = 2 * strlen(p->png_tmp_base) + 16;
  char *expr = malloc(n), *e = expr;
  if (!expr) return ts_fail(err, TS_E_NOMEM, "plot '%s': out of memory", p->png);
  e += sprintf(e, "outfile='");
  for (const char *s = p->png_tmp_base; *s; s++) {
    if (*s == '\'') *e++ = '\'';
    *e++ = *s;
  }
  sprintf(e, "'");
  char out[MSG_MAX + 1];
  char *argv[] = {(char *)prog, (char *)"-e", expr, (char *)p->gp_base, NULL};
  const int rc = run_in(prog, p->dir, argv, out, sizeof out);
  free(expr);
  ts_status st = TS_OK;
  if (rc == 127)
    st = ts_fail(err, TS_E_IO,
                 "plot '%s': gnuplot ('%s') was not found or could not start; "
                 "install gnuplot-nox (make deps). Data and script are in "
                 "'%s' and '%s'", p->png, prog, p->csv, p->gp);
  else if (rc == 126)
    st = ts_fail(err, TS_E_IO, "plot '%s': cannot enter folder '%s'", p->png,
                 p->dir);
  else if (rc < 0)
    st = ts_fail(err, TS_E_IO, "plot '%s': cannot start a process: %s",
                 p->png, strerror(errno));
  else if (rc != 0)
    st = ts_fail(err, TS_E_IO, "plot '%s': gnuplot exited with status %d on "
                 "'%s': %s", p->png, rc, p->gp, out);
  else if ((st = check_drawn(p, err)) == TS_OK &&
           rename(p->png_tmp, p->png) != 0)
    st = ts_fail(err, TS_E_IO, "plot '%s': cannot rename '%s' to it: %s",
                 p->png, p->png_tmp, strerror(errno));
  if (st) remove(p->png_tmp);
  return st;
}

static ts_status check_opts(const char *png, const ts_plot_opts *o,
                            ts_error *err) {
  if (!o) return ts_fail(err, TS_E_ARG, "plot '%s': options are NULL", png);
  if (!o->title || !*o->title || !o->xlabel || !*o->xlabel || !o->ylabel ||
      !*o->ylabel)
    return ts_fail(err, TS_E_ARG,
                   "plot '%s': a title and both axis labels (with units) are "
                   "required", png);
  if (o->width < 0 || o->height < 0 || o->width > 10000 || o->height > 10000)
    return ts_fail(err, TS_E_ARG, "plot '%s': size %dx%d; use 1..10000 or 0",
                   png, o->width, o->height);
  return TS_OK;
}

/* ---- Line plots -------------------------------------------------------- */

typedef struct lines_ctx {
  const plot_paths *p;
  const ts_plot_opts *o;
  const ts_plot_series *s;
  int ns;
} lines_ctx;

static ts_status lines_csv(FILE *f, void *ctx, ts_error *err) {
  (void)err;
  const lines_ctx *c = ctx;
  fputs("series,x,y,name\n", f);
  for (int i = 0; i < c->ns; i++)
    for (int j = 0; j < c->s[i].n; j++) {
      fprintf(f, "%d,%.10g,%.10g,", i, c->s[i].x[j], c->s[i].y[j]);
      csv_str(f, c->s[i].name);
      fputc('\n', f);
    }
  return TS_OK;
}

static ts_status lines_gp(FILE *f, void *ctx, ts_error *err) {
  (void)err;
  const lines_ctx *c = ctx;
  gp_head(f, c->p, c->o);
  fputs("set grid\nset key below\n", f);
  /* xfix: a log axis would otherwise widen to whole decades */
  if (c->o->logx) fputs("set logscale x\nset autoscale xfix\n", f);
  if (c->o->logy) fputs("set logscale y\n", f);
  /* one block of rows per series: pick it by the index in column 1 */
  for (int i = 0; i < c->ns; i++) {
    fprintf(f, "%s", i ? ", \\\n     " : "plot ");
    gp_str(f, c->p->csv_base);
    fprintf(f, " skip 1 using 2:($1 == %d ? $3 : NaN) with linespoints lw 2 "
               "title ", i);
    gp_str(f, c->s[i].name);
  }
  fputc('\n', f);
  return TS_OK;
}

ts_status ts_plot_lines(const char *png, const ts_plot_opts *o,
                        const ts_plot_series *s, int ns, ts_error *err) {
  ts_status st = check_opts(png, o, err);
  if (st) return st;
  if (!s || ns < 1 || ns > MAX_SERIES)
    return ts_fail(err, TS_E_ARG, "plot '%s': %d series; need 1..%d", png,
                   s ? ns : 0, MAX_SERIES);
  for (int i = 0; i < ns; i++) {
    if (!s[i].name || !s[i].x || !s[i].y || s[i].n < 1)
      return ts_fail(err, TS_E_ARG,
                     "plot '%s': series %d needs a name, x, y and n >= 1 "
                     "points (n = %d)", png, i, s[i].n);
    for (int j = 0; j < s[i].n; j++) {
      if (!isfinite(s[i].x[j]) || !isfinite(s[i].y[j]))
        return ts_fail(err, TS_E_NONFINITE,
                       "plot '%s': series '%s' point %d is (%g, %g); values "
                       "must be finite", png, s[i].name, j, s[i].x[j],
                       s[i].y[j]);
      if ((o->logx && s[i].x[j] <= 0) || (o->logy && s[i].y[j] <= 0))
        return ts_fail(err, TS_E_ARG,
                       "plot '%s': series '%s' point %d is (%g, %g) but a log "
                       "axis needs values > 0", png, s[i].name, j, s[i].x[j],
                       s[i].y[j]);
    }
  }
  plot_paths p;
  if ((st = paths_make(png, &p, err))) return st;
  lines_ctx c = {&p, o, s, ns};
  if (!(st = ts_atomic_write(p.csv, lines_csv, &c, err)) &&
      !(st = ts_atomic_write(p.gp, lines_gp, &c, err)))
    st = draw(&p, o, err);
  paths_free(&p);
  return st;
}

/* ---- Histogram ----------------------------------------------------------- */

typedef struct hist_ctx {
  const plot_paths *p;
  const ts_plot_opts *o;
  const char *name;
  double lo, width;
  const long long *count;
  int bins;
} hist_ctx;

static ts_status hist_csv(FILE *f, void *ctx, ts_error *err) {
  (void)err;
  const hist_ctx *c = ctx;
  fputs("bin_lo,bin_hi,count\n", f);
  for (int i = 0; i < c->bins; i++)
    fprintf(f, "%.10g,%.10g,%lld\n", c->lo + i * c->width,
            c->lo + (i + 1) * c->width, c->count[i]);
  return TS_OK;
}

static ts_status hist_gp(FILE *f, void *ctx, ts_error *err) {
  (void)err;
  const hist_ctx *c = ctx;
  gp_head(f, c->p, c->o);
  fputs("set grid ytics\nset key top right\nset style fill solid 0.6 "
        "border -1\n", f);
  if (c->o->logx) fputs("set logscale x\n", f);
  if (c->o->logy) fputs("set logscale y\n", f);
  fputs("plot ", f);
  gp_str(f, c->p->csv_base);
  fputs(" skip 1 using (($1 + $2) / 2):3:($2 - $1) with boxes title ", f);
  gp_str(f, c->name);
  fputc('\n', f);
  return TS_OK;
}

ts_status ts_plot_histogram(const char *png, const ts_plot_opts *o,
                            const char *name, const float *v, size_t n,
                            int bins, ts_error *err) {
  ts_status st = check_opts(png, o, err);
  if (st) return st;
  if (!name || !v || n == 0)
    return ts_fail(err, TS_E_ARG,
                   "histogram '%s': needs a name and at least one value", png);
  if (bins < 1 || bins > MAX_BINS)
    return ts_fail(err, TS_E_ARG, "histogram '%s': %d bins; use 1..%d", png,
                   bins, MAX_BINS);
  if (o->logx)
    return ts_fail(err, TS_E_ARG,
                   "histogram '%s': a log x axis is not supported (bins are "
                   "linear)", png);
  double lo = INFINITY, hi = -INFINITY;
  for (size_t i = 0; i < n; i++) {
    if (!isfinite(v[i]))
      return ts_fail(err, TS_E_NONFINITE,
                     "histogram '%s': value %zu of '%s' is %f; values must be "
                     "finite", png, i, name, (double)v[i]);
    if (v[i] < lo) lo = v[i];
    if (v[i] > hi) hi = v[i];
  }
  if (hi == lo) {
    lo -= 0.5;
    hi += 0.5;
  }
  const double width = (hi - lo) / bins;
  long long *count = calloc((size_t)bins, sizeof *count);
  if (!count) return ts_fail(err, TS_E_NOMEM, "histogram '%s': out of memory", png);
  for (size_t i = 0; i < n; i++) {
    int b = (int)((v[i] - lo) / width);
    count[b < 0 ? 0 : b >= bins ? bins - 1 : b]++;
  }
  plot_paths p;
  if (!(st = paths_make(png, &p, err))) {
    hist_ctx c = {&p, o, name, lo, width, count, bins};
    if (!(st = ts_atomic_write(p.csv, hist_csv, &c, err)) &&
        !(st = ts_atomic_write(p.gp, hist_gp, &c, err)))
      st = draw(&p, o, err);
    paths_free(&p);
  }
  free(count);
  return st;
}

/* ---- Heat map ------------------------------------------------------------ */

typedef struct heat_ctx {
  const plot_paths *p;
  const ts_plot_opts *o;
  const double *x, *y, *z;
  int nx, ny;
  const char *fmt;
} heat_ctx;

static ts_status heat_csv(FILE *f, void *ctx, ts_error *err) {
  (void)err;
  const heat_ctx *c = ctx;
  fputs("x,y,value,x_index,y_index\n", f);
  for (int j = 0; j < c->ny; j++)
    for (int i = 0; i < c->nx; i++)
      fprintf(f, "%.10g,%.10g,%.10g,%d,%d\n", c->x[i], c->y[j],
              c->z[(size_t)j * c->nx + i], i, j);
  return TS_OK;
}

static void gp_tics(FILE *f, const char *axis, const double *v, int n) {
  fprintf(f, "set %stics (", axis);
  for (int i = 0; i < n; i++) {
    char lab[32];
    snprintf(lab, sizeof lab, "%g", v[i]);
    fprintf(f, "%s", i ? ", " : "");
    gp_str(f, lab);
    fprintf(f, " %d", i);
  }
  fprintf(f, ")\nset %srange [-0.5:%d.5]\n", axis, n - 1);
}

static ts_status heat_gp(FILE *f, void *ctx, ts_error *err) {
  (void)err;
  const heat_ctx *c = ctx;
  gp_head(f, c->p, c->o);
  fputs("set cblabel ", f);
  gp_str(f, c->o->zlabel ? c->o->zlabel : "");
  /* red (low) - yellow - green (high): black labels stay readable */
  fputs("\nset palette defined (0 '#d73027', 0.5 '#ffffbf', 1 '#1a9850')\n"
        "unset key\nset tics out\n", f);
  gp_tics(f, "x", c->x, c->nx);
  gp_tics(f, "y", c->y, c->ny);
  /* cells on index coordinates: equal-sized whatever the spacing of x, y;
   * boxes rather than "with image", which needs a grid of at least 2x2 */
  fputs("plot ", f);
  gp_str(f, c->p->csv_base);
  fputs(" skip 1 using 4:5:(0.5):(0.5):3 with boxxyerror fs solid 1.0 "
        "noborder fc palette, \\\n     ", f);
  gp_str(f, c->p->csv_base);
  fputs(" skip 1 using 4:5:(sprintf(", f);
  gp_str(f, c->fmt);
  fputs(", $3)) with labels\n", f);
  return TS_OK;
}

/* One numeric conversion (%f, %.2f, %g, %e ...) and no other '%' or quote:
 * gnuplot's sprintf gets exactly one double. */
static int fmt_ok(const char *fmt) {
  int conv = 0;
  for (const char *s = fmt; *s; s++) {
    if (*s == '\'' || *s == '"' || *s == '\\') return 0;
    if (*s != '%') continue;
    if (s[1] == '%') {
      s++;
      continue;
    }
    s++;
    while (*s == '.' || (*s >= '0' && *s <= '9')) s++;
    if (*s != 'f' && *s != 'g' && *s != 'e') return 0;
    conv++;
  }
  return conv == 1;
}

ts_status ts_plot_heatmap(const char *png, const ts_plot_opts *o,
                          const double *x, int nx, const double *y, int ny,
                          const double *z, const char *label_fmt,
                          ts_error *err) {
  ts_status st = check_opts(png, o, err);
  if (st) return st;
  if (!x || !y || !z || nx < 1 || ny < 1 || nx > 1000 || ny > 1000)
    return ts_fail(err, TS_E_ARG,
                   "heat map '%s': needs x[nx], y[ny], z[ny][nx] with "
                   "1 <= nx, ny <= 1000 (nx = %d, ny = %d)", png, nx, ny);
  if (o->logx || o->logy)
    return ts_fail(err, TS_E_ARG,
                   "heat map '%s': log axes are not supported (cells are "
                   "evenly spaced)", png);
  if (!label_fmt) label_fmt = "%.3g";
  if (!fmt_ok(label_fmt))
    return ts_fail(err, TS_E_ARG,
                   "heat map '%s': label format '%s' must hold exactly one "
                   "%%f, %%g or %%e conversion and no quotes", png, label_fmt);
  for (int i = 0; i < nx; i++)
    if (!isfinite(x[i]))
      return ts_fail(err, TS_E_NONFINITE, "heat map '%s': x[%d] = %g", png, i,
                     x[i]);
  for (int j = 0; j < ny; j++)
    if (!isfinite(y[j]))
      return ts_fail(err, TS_E_NONFINITE, "heat map '%s': y[%d] = %g", png, j,
                     y[j]);
  for (int j = 0; j < ny; j++)
    for (int i = 0; i < nx; i++)
      if (!isfinite(z[(size_t)j * nx + i]))
        return ts_fail(err, TS_E_NONFINITE,
                       "heat map '%s': z at (x = %g, y = %g) is %g; values "
                       "must be finite", png, x[i], y[j], z[(size_t)j * nx + i]);
  plot_paths p;
  if ((st = paths_make(png, &p, err))) return st;
  heat_ctx c = {&p, o, x, y, z, nx, ny, label_fmt};
  if (!(st = ts_atomic_write(p.csv, heat_csv, &c, err)) &&
      !(st = ts_atomic_write(p.gp, heat_gp, &c, err)))
    st = draw(&p, o, err);
  paths_free(&p);
  return st;
}
