/* The system-level part of `tessera hw-sweep` (hwsweep_sys.h). */
#include "hwsweep_sys.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "study.h"
#include "ts_atomic.h"
#include "ts_hw_params.h"
#include "ts_plot.h"
#include "ts_prune.h"
#include "ts_wmem.h"

/* The array's peak: one MAC per PE per cycle. */
#define PEAK_MACS ((double)TS_HW_ROWS * TS_HW_COLS)
/* The host port takes one 64-bit weight word a cycle (docs/system.md). */
#define PORT_WEIGHT_BYTES 8.0

static uint64_t bytes_of(const ts_sys_report *r) {
  uint64_t b = 0;
  for (int k = 0; k < TS_SYS_KINDS; k++) b += r->bytes[k];
  return b;
}

ts_status hwsweep_sys_point(ts_sys_server *srv, const ts_qnet *q, const ts_net *net,
                            const uint8_t *img, const int64_t *gold,
                            const int sparse[TS_NUM_LAYERS], hwsweep_sys_res *out,
                            ts_error *err) {
  memset(out, 0, sizeof *out);
  const int C = ts_qnet_classes(q);
  int64_t *lg = malloc(sizeof *lg * (size_t)C);
  if (!lg) return ts_fail(err, TS_E_NOMEM, "hw-sweep: no memory for the system run");
  ts_status st = ts_sys_server_run(srv, NULL, q, net, img, 1, sparse, out->rep, lg, err);
  for (int l = 0; !st && l < TS_NUM_LAYERS; l++) {
    ts_int_gemm g;
    if ((st = ts_qnet_layer(q, l, &g, err))) break;
    out->macs[l] = (long long)g.m * g.k * g.n;
    out->sparse[l] = sparse[l];
  }
  for (int j = 0; !st && j < C; j++) out->mismatch += lg[j] != gold[j];
  free(lg);
  return st;
}

/* What bounds a run of layers: the rule of ts_sys_report's bound. */
static const char *bound_of(uint64_t compute, uint64_t port, uint64_t dram) {
  return dram > (compute > port ? compute : port) ? "dram" : port > compute ? "port" : "compute";
}

void hwsweep_sys_cells(const hwsweep_sys_res *r, const ts_sys_opts *o, int l, char *buf,
                       size_t len) {
  ts_sys_report t = {0};
  long long macs = 0;
  const char *fmt = "per-layer", *bound;
  if (l < TS_NUM_LAYERS) {
    t = r->rep[l];
    macs = r->macs[l];
    fmt = r->sparse[l] ? "compressed" : "dense";
    bound = ts_sys_bound_str(t.bound);
  } else {
    for (int k = 0; k < TS_NUM_LAYERS; k++) {
      const ts_sys_report *x = &r->rep[k];
      uint64_t *a = &t.total_cycles;
      for (const uint64_t *p = &x->total_cycles; p <= &x->prefetched; p++)
        a[p - &x->total_cycles] += *p;
      macs += r->macs[k];
    }
    bound = bound_of(t.compute_cycles, t.port_cycles + t.readback_cycles, t.transfer_cycles);
  }
  const uint64_t b = bytes_of(&t);
  snprintf(buf, len,
           "%s,%g,%u,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%lld,%.4f,%s,%d",
           fmt, o->dram_bytes_per_cycle, o->dram_latency, (unsigned long long)t.total_cycles,
           (unsigned long long)t.compute_cycles,
           (unsigned long long)(t.port_cycles + t.readback_cycles),
           (unsigned long long)t.transfer_cycles, (unsigned long long)t.overlap_cycles,
           (unsigned long long)t.prefetch_cycles,
           (unsigned long long)(t.stall_data + t.stall_out), (unsigned long long)t.stall_dma,
           (unsigned long long)t.bytes[TS_SYS_WEIGHTS], (unsigned long long)t.bytes[TS_SYS_ACTS],
           (unsigned long long)t.bytes[TS_SYS_RESULTS], (unsigned long long)t.bytes[TS_SYS_META],
           macs, b ? (double)macs / (double)b : 0.0, bound,
           l < TS_NUM_LAYERS ? 0 : r->mismatch);
}

int hwsweep_sys_row_matches(const ts_csv *t, int r, const ts_sys_opts *o) {
  const double bw = ts_csv_num(t, r, "sys_dram_bw");
  return (bw == o->dram_bytes_per_cycle || fabs(bw - o->dram_bytes_per_cycle) < 1e-9) &&
         ts_csv_num(t, r, "sys_dram_latency") == o->dram_latency;
}

/* ---- Layer time against DRAM bandwidth --------------------------------- */

static const double BWS[] = {0.5, 1, 2, 4, 8, 16, 32, 64};
enum { NBW = sizeof BWS / sizeof BWS[0] };

typedef struct bw_rows {
  char *buf;
  size_t len, cap;
} bw_rows;

static ts_status write_rows(FILE *fp, void *user, ts_error *err) {
  (void)err;
  const bw_rows *r = user;
  fputs("scheme,bits,sparsity,layer,weights,dram_bw,dram_latency,cycles,compute_cycles,"
        "port_cycles,transfer_cycles,prefetch_cycles,bytes_weights,bytes,macs,bound\n", fp);
  if (r->buf) fwrite(r->buf, 1, r->len, fp);
  return ferror(fp) ? TS_E_IO : TS_OK;
}

static int add_row(bw_rows *r, const char *line) {
  const size_t n = strlen(line);
  if (r->len + n + 1 > r->cap) {
    const size_t nc = (r->cap + n + 1) * 2;
    char *nb = realloc(r->buf, nc);
    if (!nb) return 1;
    r->buf = nb, r->cap = nc;
  }
  memcpy(r->buf + r->len, line, n + 1);
  r->len += n;
  return 0;
}

/* One B and sparsity at every bandwidth into rows. */
static ts_status bw_point(const hwsweep_bw_in *in, int bits, double pct, bw_rows *rows,
                          ts_error *err) {
  ts_qnet *q = NULL;
  memcpy(ts_net_params(in->net), in->fp32, sizeof(float) * in->nparams);
  ts_status st = pct > 0 ? ts_prune_net(in->net, pct / 100, err) : TS_OK;
  if (!st) st = ts_qnet_create(in->net, bits, in->scheme, in->cal, in->ncal, &q, err);
  if (st) return st;
  const size_t px = ts_qnet_image_bytes(q);
  const int C = ts_qnet_classes(q);
  uint8_t *img = malloc(px);
  int64_t *gold = malloc(sizeof *gold * (size_t)C), *lg = malloc(sizeof *lg * (size_t)C);
  int sparse[TS_NUM_LAYERS] = {0};
  if (!img || !gold || !lg) st = ts_fail(err, TS_E_NOMEM, "hw-sweep: no memory");
  if (!st) st = ts_qnet_quantize_input(q, in->x0, px, img, err);
  if (!st) st = ts_qnet_run(q, img, 1, NULL, NULL, gold, err);
  for (int l = 0; !st && pct > 0 && l < TS_NUM_LAYERS; l++) {
    ts_int_gemm g;
    ts_wmem_layer m;
    if (!(st = ts_qnet_layer(q, l, &g, err)) &&
        !(st = ts_wmem_measure(g.w, g.m, g.k, g.wbits, in->rbits, &m, err)))
      sparse[l] = ts_wmem_choose_compressed(m.fmt[TS_WMEM_DENSE].bits, m.hw.bits);
  }
  for (int b = 0; !st && b < NBW; b++) {
    ts_sys_opts o = *in->base;
    o.dram_bytes_per_cycle = BWS[b];
    ts_sys_report rep[TS_NUM_LAYERS];
    if ((st = ts_sys_server_run(in->srv, &o, q, in->net, img, 1, sparse, rep, lg, err))) break;
    for (int j = 0; j < C; j++)
      if (lg[j] != gold[j]) {
        st = ts_fail(err, TS_E_HW, "hw-sweep: system model at B=%d %g%% %g B/cycle: logit %d "
                     "is %lld, golden %lld", bits, pct, BWS[b], j, (long long)lg[j],
                     (long long)gold[j]);
        break;
      }
    for (int l = 0; !st && l < TS_NUM_LAYERS; l++) {
      ts_int_gemm g;
      if ((st = ts_qnet_layer(q, l, &g, err))) break;
      const ts_sys_report *r = &rep[l];
      char line[512];
      snprintf(line, sizeof line,
               "%s,%d,%g,%s,%s,%g,%u,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%lld,%s\n",
               ts_quant_scheme_name(in->scheme), bits, pct, ts_net_layer(in->net, l)->name,
               sparse[l] ? "compressed" : "dense", BWS[b], o.dram_latency,
               (unsigned long long)r->total_cycles, (unsigned long long)r->compute_cycles,
               (unsigned long long)(r->port_cycles + r->readback_cycles),
               (unsigned long long)r->transfer_cycles, (unsigned long long)r->prefetch_cycles,
               (unsigned long long)r->bytes[TS_SYS_WEIGHTS], (unsigned long long)bytes_of(r),
               (long long)g.m * g.k * g.n, ts_sys_bound_str(r->bound));
      if (add_row(rows, line)) st = ts_fail(err, TS_E_NOMEM, "hw-sweep: no memory");
    }
  }
  free(img);
  free(gold);
  free(lg);
  ts_qnet_destroy(q);
  return st;
}

int hwsweep_sys_bw(const hwsweep_bw_in *in, const char *path) {
  bw_rows rows = {0};
  ts_error err = {0};
  ts_status st = TS_OK;
  for (int i = 0; !st && i < in->nb; i++) {
    st = bw_point(in, in->bits[i], 0, &rows, &err);
    if (!st && in->top_pct > 0) st = bw_point(in, in->bits[i], in->top_pct, &rows, &err);
  }
  if (!st) st = ts_atomic_write(path, write_rows, &rows, &err);
  free(rows.buf);
  if (st) fprintf(stderr, "tessera %s: %s\n", in->cmd, err.msg);
  return st != TS_OK;
}

/* ---- Plots -------------------------------------------------------------- */

enum { MAXS = 24, MAXP = 64 };

int hwsweep_sys_plots(const char *cmd, const char *out, const ts_csv *t, const char *scheme,
                      int bref, const ts_csv *bw) {
  static double xs[MAXS][MAXP], ys[MAXS][MAXP];
  static char names[MAXS][64];
  ts_plot_series ser[MAXS];
  int ns = 0, bad = 0;
  double xmin = INFINITY, xmax = 0;
  char png[4096], title[256];
  ts_error err = {0};
  /* per layer: over B at 0% pruned, and over sparsity at B = bref */
  for (int pass = 0; pass < 2; pass++)
    for (int l = 0; l < TS_NUM_LAYERS && ns < MAXS - 3; l++) {
      int n = 0;
      const char *lname = NULL;
      double minpct = INFINITY;
      for (int r = 0; r < t->rows; r++)
        if (!strcmp(ts_csv_get(t, r, "scheme"), scheme))
          minpct = fmin(minpct, ts_csv_num(t, r, "sparsity"));
      int li = 0;
      for (int r = 0; r < t->rows && n < MAXP; r++) {
        if (strcmp(ts_csv_get(t, r, "scheme"), scheme) ||
            !strcmp(ts_csv_get(t, r, "layer"), "total"))
          continue;
        /* the layers come in order within a point: l-th non-total row */
        const int bits = (int)ts_csv_num(t, r, "bits");
        const double pct = ts_csv_num(t, r, "sparsity");
        if (pass == 0 ? pct != minpct : bits != bref) continue;
        if (li++ % TS_NUM_LAYERS != l) continue;
        lname = ts_csv_get(t, r, "layer");
        const double mpb = ts_csv_num(t, r, "sys_macs_per_byte"),
                     cyc = ts_csv_num(t, r, "sys_cycles"), macs = ts_csv_num(t, r, "sys_macs");
        if (!(mpb > 0) || !(cyc > 0) || !(macs > 0)) continue;
        xs[ns][n] = mpb, ys[ns][n] = macs / cyc, n++;
        xmin = fmin(xmin, mpb), xmax = fmax(xmax, mpb);
      }
      if (!n) continue;
      if (pass == 0)
        snprintf(names[ns], sizeof names[ns], "%s, over B, %g%% pruned", lname, minpct);
      else
        snprintf(names[ns], sizeof names[ns], "%s, B = %d, pruning 0..max", lname, bref);
      ser[ns] = (ts_plot_series){names[ns], xs[ns], ys[ns], n};
      ns++;
    }
  if (!ns) return 0;
  /* the roofs over the measured range */
  const double bwv = ts_csv_num(t, 0, "sys_dram_bw");
  xmin /= 2, xmax *= 2;
  const int nr = 32;
  for (int k = 0; k < 3; k++) {
    for (int i = 0; i < nr; i++) {
      const double x = xmin * pow(xmax / xmin, i / (nr - 1.0));
      xs[ns][i] = x;
      ys[ns][i] = k == 0 ? PEAK_MACS : k == 1 ? fmin(PEAK_MACS, bwv * x)
                                              : fmin(PEAK_MACS, PORT_WEIGHT_BYTES * x);
    }
    if (k == 1 && !isfinite(bwv)) continue;
    snprintf(names[ns], sizeof names[ns],
             k == 0   ? "array peak (%.0f MACs/cycle)"
             : k == 1 ? "DRAM roof (%g B/cycle)"
                      : "host-port roof (%g B/cycle of weights)",
             k == 0 ? PEAK_MACS : k == 1 ? bwv : PORT_WEIGHT_BYTES);
    ser[ns] = (ts_plot_series){names[ns], xs[ns], ys[ns], nr};
    ns++;
  }
  snprintf(title, sizeof title, "Roofline of the system model (%s, DRAM %g B/cycle, 1 image)",
           scheme, bwv);
  ts_plot_opts po = {.title = title, .xlabel = "operational intensity (MACs per DRAM byte)",
                     .ylabel = "attained MACs per cycle", .logx = 1, .logy = 1};
  if (ts_study_path(png, sizeof png, out, "hw_roofline.png") ||
      ts_plot_lines(png, &po, ser, ns, &err))
    bad |= ts_study_plot_failed(cmd, &err);

  /* layer time against bandwidth: every layer at B = bref, dense and
   * at the top sparsity; fc1 at every B, dense */
  ns = 0;
  for (int pass = 0; bw && pass < 2; pass++) {
    char seen[MAXS][64];
    int nseen = 0;
    for (int r = 0; r < bw->rows && ns < MAXS; r++) {
      const int bits = (int)ts_csv_num(bw, r, "bits");
      const char *layer = ts_csv_get(bw, r, "layer");
      char key[64];
      snprintf(key, sizeof key, "%s %d %s", layer, bits, ts_csv_get(bw, r, "sparsity"));
      if (pass == 0 ? bits != bref : (strcmp(layer, "fc1") || bits == bref ||
                                      ts_csv_num(bw, r, "sparsity") > 0))
        continue;
      int dup = 0;
      for (int i = 0; i < nseen; i++) dup |= !strcmp(seen[i], key);
      if (dup) continue;
      snprintf(seen[nseen++], 64, "%s", key);
      int n = 0;
      for (int k = r; k < bw->rows && n < MAXP; k++)
        if ((int)ts_csv_num(bw, k, "bits") == bits && !strcmp(ts_csv_get(bw, k, "layer"), layer) &&
            !strcmp(ts_csv_get(bw, k, "sparsity"), ts_csv_get(bw, r, "sparsity")))
          xs[ns][n] = ts_csv_num(bw, k, "dram_bw"), ys[ns][n] = ts_csv_num(bw, k, "cycles"), n++;
      snprintf(names[ns], sizeof names[ns], "%s, B = %d, %s%% pruned (%s)", layer, bits,
               ts_csv_get(bw, r, "sparsity"), ts_csv_get(bw, r, "weights"));
      ser[ns] = (ts_plot_series){names[ns], xs[ns], ys[ns], n};
      ns++;
    }
  }
  if (ns) {
    snprintf(title, sizeof title, "Layer time against DRAM bandwidth (%s, 1 image)", scheme);
    ts_plot_opts pb = {.title = title, .xlabel = "DRAM bandwidth (bytes per cycle)",
                       .ylabel = "layer cycles", .logx = 1, .logy = 1};
    if (ts_study_path(png, sizeof png, out, "hw_bw_time.png") ||
        ts_plot_lines(png, &pb, ser, ns, &err))
      bad |= ts_study_plot_failed(cmd, &err);
  }
  return bad;
}
