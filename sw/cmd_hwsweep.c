/* tessera hw-sweep: bits x scheme x sparsity on the simulated accelerator.
 *
 * Every point prunes the FP32 weights (ts_prune, local magnitude), builds
 * the integer network at B bits (ts_qnet) and measures, per layer: cycles
 * on the RTL (dense mode; sparse mode when the build has it), the ideal
 * speedup from the non-zero MAC count, utilization, weight memory dense and
 * compressed (ts_wmem), and the integer golden model's accuracy on the whole
 * test set; the first --rtl-images images also go through the RTL and their
 * logits must equal the golden model's. Points are independent: --threads
 * workers take them one at a time, each with its own simulation. Every
 * finished point is saved at once (atomically) in OUT/hw_sweep.csv, which a
 * rerun resumes from. docs/study.md ("The hardware sweep") explains the
 * columns and the weight-memory files. */
#include <cjson/cJSON.h>
#include <math.h>
#include <omp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_model.h"
#include "cli_opts.h"
#include "commands.h"
#include "hwsweep_sys.h"
#include "slurm.h"
#include "study.h"
#include "sys_net.h"
#include "ts_atomic.h"
#include "ts_energy.h"
#include "ts_hw.h"
#include "ts_plot.h"
#include "ts_prune.h"
#include "ts_qnet.h"
#include "ts_wmem.h"

/* 1: every point also runs the RTL in sparse (zero-skipping) mode,
 * ts_hw_gemm_sparse; 0 leaves the sparse columns NA. */
#define HWSWEEP_HAVE_SPARSE 1

static const char *const USAGE =
    "usage: tessera hw-sweep [--model FILE] [--dataset NAME] [--data DIR] [--coarse]\n"
    "                        [--bits LIST] [--scheme LIST] [--sparsity LIST]\n"
    "                        [--rtl-images N] [--batch N] [--calib N] [--limit N]\n"
    "                        [--rbits R] [--dram-bw BYTES] [--dram-latency CYCLES]\n"
    "                        [--threads T] [--out DIR] [--no-resume]\n"
    "Sweeps weight bits x quantization scheme x magnitude-pruning sparsity on the\n"
    "simulated 16x16 array. Per point and layer: dense and sparse cycles, speedup\n"
    "and its ideal 1/(1-s) from the non-zero MACs, utilization, weight memory\n"
    "dense-packed and compressed (metadata included) and the automatic per-layer\n"
    "choice, energy per image from the RTL's counters (45 nm table, docs/energy.md),\n"
    "integer golden accuracy on the whole test set (--limit N: first N),\n"
    "and the RTL on the first --rtl-images images (default 16), whose logits must\n"
    "equal the golden model's (exit 1 otherwise). The system model (DRAM, DMA,\n"
    "staging banks; docs/system.md) runs the first test image at every point, each\n"
    "layer's weights in the chosen format: cycles, transfer, stall, bytes by kind,\n"
    "bound; and every B of the reference scheme at 0%% and the top sparsity over\n"
    "DRAM bandwidths 0.5..64 B/cycle (hw_sys_bw.csv).\n"
    "  --bits LIST       weight bits, each 1..16 (default 2,4,6,8,16)\n"
    "  --scheme LIST     per-tensor,per-channel (default both)\n"
    "  --sparsity LIST   percent of weights pruned per layer, each 0..100\n"
    "                    (default 0,25,50,70,80,90,95)\n"
    "  --batch N         images per GEMM on the RTL (default 16)\n"
    "  --calib N         training images for activation scales (default 256)\n"
    "  --rbits R         relative-index delta bits, 1..8 (default 4)\n"
    "  --dram-bw BYTES   DRAM bytes per cycle of the system columns (default 16)\n"
    "  --dram-latency C  DRAM latency in cycles (default 100)\n"
    "  --threads T       points run in parallel, one simulation each (default 2)\n"
    "  --no-resume       recompute points already in OUT/hw_sweep.csv\n"
    "Writes OUT/hw_sweep.csv (resumable), hw_sweep.json, hw_wmem.csv (weight memory\n"
    "of every layer, B = 1..16, sparsity 0..99%, real and random patterns),\n"
    "hw_crossover.csv, hw_sys_bw.csv and plots hw_*.png (hw_roofline.png, hw_bw_time.png)\n"
    "(default OUT: out).\n" TS_SLURM_USAGE;

enum { MAX_BITS = 16, MAX_PCT = 64, MAX_SCHEMES = 2 };
#define HWSWEEP_MAX_THREADS 64 /* one simulation each */

typedef struct cfg {
  int bits[MAX_BITS], nbits;
  ts_quant_scheme scheme[MAX_SCHEMES];
  int nschemes;
  double pct[MAX_PCT];
  int npct;
  int rtl_images, batch, calib, rbits, threads, resume;
  const char *out;
  ts_sys_opts sys; /* the system columns' DRAM setting */
} cfg;

typedef struct point {
  int bits;
  ts_quant_scheme scheme;
  double pct;
  int done;
  char *rows;  /* its CSV rows (layers, then total), each ending in '\n' */
  int mismatches; /* RTL logits that differ from the golden model's */
  double acc, kib_dense, kib_auto; /* for the progress line */
  unsigned long long dcyc, scyc;
} point;

/* Read-only state shared by the workers. */
typedef struct shared {
  const cfg *c;
  ts_study *s;
  const float *cal; /* [ncal][c][h][w] normalised training images */
  int ncal;
  ts_layer_info info[TS_NUM_LAYERS];
  const char *mode; /* "dense" or "dense+sparse" */
  ts_sys_server *srv; /* the process's one system model */
} shared;

/* One worker: its own network copy and simulation. */
typedef struct worker {
  ts_net *net;
  ts_hw *hw;
  int sparse; /* mode of the current RTL pass */
  ts_hw_counters cnt[TS_NUM_LAYERS];
} worker;

/* Energy per image in nJ (models/int/ts_energy.h, docs/energy.md): dense and
 * sparse mode, each split compute / on-chip / off-chip, and per layer the
 * cheaper mode (the total row sums the layers' choices). */
#define ENERGY_COLS                                                                          \
  "energy_dense_nj,energy_dense_compute_nj,energy_dense_onchip_nj,energy_dense_offchip_nj,"  \
  "energy_sparse_nj,energy_sparse_compute_nj,energy_sparse_onchip_nj,"                       \
  "energy_sparse_offchip_nj,energy_best_mode,energy_best_nj,energy_best_compute_nj,"         \
  "energy_best_onchip_nj,energy_best_offchip_nj,energy_best_act_sram_nj,"                    \
  "energy_best_dram_weights_nj"

static const char COLS[] =
    "bits,scheme,sparsity,layer,m,k,n,batch,rtl_images,weights,nonzero_weights,macs,"
    "nonzero_macs,dense_cycles,dense_util,dense_wport,sparse_cycles,sparse_util,speedup,"
    "ideal_speedup,speedup_of_ideal,sparse_wport,sparse_lane_run,sparse_lane_load,"
    "sparse_lane_stall,sparse_lane_idle,sparse_bound,wmem_dense_bits,wmem_bitmap_bits,wmem_relidx_bits,"
    "wmem_hw_bits,wmem_choice,wmem_chosen_bits," ENERGY_COLS "," HWSWEEP_SYS_COLS
    ",golden_accuracy,test_images,"
    "rtl_pred_mismatch,rtl_logit_mismatch,calib,rbits,mode,model_hash";

/* ---- Running a point --------------------------------------------------- */

static ts_status hw_exec(void *ctx, int layer, const ts_int_gemm *g, const uint8_t *x,
                         int64_t *y, ts_error *err) {
  worker *w = ctx;
  ts_hw_counters c = {0};
  ts_status st;
  st = w->sparse ? ts_hw_gemm_sparse(w->hw, g, NULL, x, y, &c, err)
                 : ts_hw_gemm(w->hw, g, x, y, &c, err);
  ts_hw_counters_add(&w->cnt[layer], &c);
  return st;
}

/* Images [first, first + n) through q: golden (w NULL) or the RTL. */
static ts_status run_block(const shared *sh, const ts_qnet *q, worker *w, int first, int n,
                           uint8_t *bytes, int64_t *logits, ts_error *err) {
  const size_t px = ts_qnet_image_bytes(q);
  ts_status st = ts_qnet_quantize_input(q, sh->s->x + px * first, px * n, bytes, err);
  if (!st) st = ts_qnet_run(q, bytes, n, w ? hw_exec : NULL, w, logits, err);
  return st;
}

typedef struct layer_res {
  ts_hw_counters dense, sparse;
  ts_wmem_layer mem;
  long long macs, nz_macs; /* on the RTL images */
} layer_res;

static void fmt_ratio(char *b, size_t len, double num, double den) {
  if (den > 0 && isfinite(num)) snprintf(b, len, "%.4f", num / den);
  else snprintf(b, len, "NA");
}

/* One CSV row into *buf (grows). */
static int append(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int append(char **buf, size_t *len, size_t *cap, const char *fmt, ...) {
  for (;;) {
    va_list ap;
    va_start(ap, fmt);
    const int n = vsnprintf(*buf ? *buf + *len : NULL, *buf ? *cap - *len : 0, fmt, ap);
    va_end(ap);
    if (n < 0) return 1;
    if (*buf && *len + (size_t)n < *cap) {
      *len += (size_t)n;
      return 0;
    }
    const size_t nc = (*cap + (size_t)n + 1) * 2;
    char *nb = realloc(*buf, nc);
    if (!nb) return 1;
    *buf = nb, *cap = nc;
  }
}

/* ---- Energy per image (models/int/ts_energy.h) ------------------------- */

/* Layer l's energy per image in one mode from its RTL counters; off chip it
 * fetches its weights as stored in that mode (dense-packed / compressed)
 * once per batch and its input and output activations (bytes) once. */
static ts_status layer_energy(const shared *sh, int l, const layer_res *x, int bits, int sparse,
                              ts_energy *e, ts_error *err) {
  const cfg *c = sh->c;
  const ts_layer_info *I = &sh->info[l];
  const ts_hw_counters *q = sparse ? &x->sparse : &x->dense;
  const int64_t batches = (c->rtl_images + c->batch - 1) / c->batch;
  const int64_t wbits = sparse ? x->mem.hw.bits : x->mem.fmt[TS_WMEM_DENSE].bits;
  const int64_t act_bytes = (int64_t)I->in_c * I->in_h * I->in_w +
                            (int64_t)I->out_c * I->pooled_h * I->pooled_w;
  const ts_energy_counts n = {
      .wbits = bits, .sparse = sparse, .images = c->rtl_images, .m = I->gemm_m,
      .k = I->gemm_k, .macs = (int64_t)q->macs, .lane_issues = (int64_t)q->lane_run,
      .wport_words = (int64_t)q->wport_cycles, .tiles = (int64_t)q->tiles,
      .outputs = (int64_t)I->gemm_m * I->gemm_n * c->rtl_images,
      .dram_weight_bits = wbits * batches, .dram_act_bits = act_bytes * 8 * c->rtl_images};
  ts_status st = ts_energy_layer(NULL, &n, e, err);
  if (st) return ts_fail(err, st, "hw-sweep: energy of %s (%s mode): %s", I->name,
                         sparse ? "sparse" : "dense", err ? err->msg : "");
  return TS_OK;
}

/* The energy cells of every row (layers, then total) into cells[l]. */
static ts_status energy_cells(const shared *sh, const point *p, const layer_res *r,
                              int have_sparse, char cells[TS_NUM_LAYERS + 1][512],
                              ts_error *err) {
  ts_energy td = {0}, ts = {0}, tb = {0};
  for (int l = 0; l <= TS_NUM_LAYERS; l++) {
    ts_energy d, s, *b;
    const char *mode;
    if (l < TS_NUM_LAYERS) {
      ts_status st = layer_energy(sh, l, &r[l], p->bits, 0, &d, err);
      if (!st && have_sparse) st = layer_energy(sh, l, &r[l], p->bits, 1, &s, err);
      if (st) return st;
      const int sp = have_sparse && s.total < d.total;
      b = sp ? &s : &d, mode = sp ? "sparse" : "dense";
      ts_energy_add(&td, &d), ts_energy_add(&tb, b);
      if (have_sparse) ts_energy_add(&ts, &s);
    } else {
      d = td, s = ts, b = &tb, mode = "per-layer";
    }
    char sc[160];
    if (have_sparse)
      snprintf(sc, sizeof sc, "%.4f,%.4f,%.4f,%.4f", s.total / 1e3, s.compute / 1e3,
               s.onchip / 1e3, s.offchip / 1e3);
    else
      snprintf(sc, sizeof sc, "NA,NA,NA,NA");
    snprintf(cells[l], 512, "%.4f,%.4f,%.4f,%.4f,%s,%s,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f",
             d.total / 1e3, d.compute / 1e3, d.onchip / 1e3, d.offchip / 1e3, sc, mode,
             b->total / 1e3, b->compute / 1e3, b->onchip / 1e3, b->offchip / 1e3, b->act / 1e3,
             b->dram_w / 1e3);
  }
  return TS_OK;
}

static ts_status point_rows(const shared *sh, point *p, const layer_res *r,
                            const hwsweep_sys_res *sys, double acc, int pred_mis,
                            int logit_mis, int have_sparse, char **out, ts_error *err) {
  const cfg *c = sh->c;
  const double pes = (double)ts_hw_rows() * ts_hw_cols();
  char *buf = NULL;
  size_t len = 0, cap = 0;
  layer_res tot;
  memset(&tot, 0, sizeof tot);
  char energy[TS_NUM_LAYERS + 1][512];
  ts_status st = energy_cells(sh, p, r, have_sparse, energy, err);
  if (st) return st;
  int bad = 0;
  for (int l = 0; l <= TS_NUM_LAYERS && !bad; l++) {
    const int is_tot = l == TS_NUM_LAYERS;
    const layer_res *x = is_tot ? &tot : &r[l];
    if (!is_tot) {
      ts_wmem_add(&tot.mem, &x->mem);
      tot.macs += x->macs, tot.nz_macs += x->nz_macs;
      tot.dense.cycles += x->dense.cycles, tot.dense.wport_cycles += x->dense.wport_cycles;
      tot.sparse.cycles += x->sparse.cycles, tot.sparse.wport_cycles += x->sparse.wport_cycles;
      tot.sparse.lane_run += x->sparse.lane_run, tot.sparse.lane_load += x->sparse.lane_load;
      tot.sparse.lane_stall += x->sparse.lane_stall, tot.sparse.lane_idle += x->sparse.lane_idle;
    }
    char du[32], dw[32], sc[32], su[32], sp[32], id[32], of[32], lanes[160];
    fmt_ratio(du, sizeof du, (double)x->macs, x->dense.cycles * pes);
    fmt_ratio(dw, sizeof dw, (double)x->dense.wport_cycles, (double)x->dense.cycles);
    fmt_ratio(id, sizeof id, (double)x->macs, (double)x->nz_macs);
    if (have_sparse) {
      snprintf(sc, sizeof sc, "%llu", (unsigned long long)x->sparse.cycles);
      fmt_ratio(su, sizeof su, (double)x->nz_macs, x->sparse.cycles * pes);
      fmt_ratio(sp, sizeof sp, (double)x->dense.cycles, (double)x->sparse.cycles);
      const double ideal = x->nz_macs ? (double)x->macs / x->nz_macs : NAN;
      fmt_ratio(of, sizeof of, x->sparse.cycles ? (double)x->dense.cycles / x->sparse.cycles : NAN,
                ideal);
      /* lane-cycle shares, and what held the lanes back when they did not
       * issue most of the time (docs/study.md, "The hardware sweep") */
      const ts_hw_counters *q = &x->sparse;
      const double lc = (double)q->cycles * ts_hw_rows();
      const double sh[4] = {q->lane_run / lc, q->lane_load / lc, q->lane_stall / lc,
                            q->lane_idle / lc};
      static const char *const why[4] = {"compute", "filter-load", "output-stage", "idle"};
      int wi = 0; /* compute-bound when lanes issue >= 85% of the time */
      if (sh[0] < 0.85) {
        wi = 1;
        for (int k = 2; k < 4; k++)
          if (sh[k] > sh[wi]) wi = k;
      }
      char wp[32];
      fmt_ratio(wp, sizeof wp, (double)q->wport_cycles, (double)q->cycles);
      if (q->cycles)
        snprintf(lanes, sizeof lanes, "%s,%.4f,%.4f,%.4f,%.4f,%s", wp, sh[0], sh[1], sh[2], sh[3],
                 why[wi]);
      else
        snprintf(lanes, sizeof lanes, "NA,NA,NA,NA,NA,NA");
    } else {
      strcpy(sc, "NA"), strcpy(su, "NA"), strcpy(sp, "NA"), strcpy(of, "NA");
      strcpy(lanes, "NA,NA,NA,NA,NA,NA");
    }
    const int64_t dense_b = x->mem.fmt[TS_WMEM_DENSE].bits, hw_b = x->mem.hw.bits;
    /* the per-layer choice; the total sums the layers' choices */
    int64_t chosen = 0;
    const char *choice;
    if (is_tot) {
      for (int k = 0; k < TS_NUM_LAYERS; k++)
        chosen += ts_wmem_choose_compressed(r[k].mem.fmt[TS_WMEM_DENSE].bits, r[k].mem.hw.bits)
                      ? r[k].mem.hw.bits
                      : r[k].mem.fmt[TS_WMEM_DENSE].bits;
      choice = "per-layer";
    } else {
      const int comp = ts_wmem_choose_compressed(dense_b, hw_b);
      chosen = comp ? hw_b : dense_b;
      choice = comp ? "compressed" : "dense";
    }
    const ts_layer_info *I = is_tot ? NULL : &sh->info[l];
    char syscells[512];
    hwsweep_sys_cells(sys, &c->sys, l, syscells, sizeof syscells);
    bad = append(&buf, &len, &cap,
                 "%d,%s,%g,%s,%d,%d,%d,%d,%d,%lld,%lld,%lld,%lld,%llu,%s,%s,%s,%s,%s,%s,%s,%s,"
                 "%lld,%lld,%lld,%lld,%s,%lld,%s,%s,%.6f,%d,%d,%d,%d,%d,%s,%016llx\n",
                 p->bits, ts_quant_scheme_name(p->scheme), p->pct, is_tot ? "total" : I->name,
                 is_tot ? 0 : I->gemm_m, is_tot ? 0 : I->gemm_k, is_tot ? 0 : I->gemm_n,
                 c->batch, c->rtl_images, (long long)x->mem.weights, (long long)x->mem.nnz,
                 x->macs, x->nz_macs, (unsigned long long)x->dense.cycles, du, dw, sc, su, sp,
                 id, of, lanes, (long long)dense_b, (long long)x->mem.fmt[TS_WMEM_BITMAP].bits,
                 (long long)x->mem.fmt[TS_WMEM_RELIDX].bits, (long long)hw_b, choice,
                 (long long)chosen, energy[l], syscells, acc, sh->s->n, pred_mis, logit_mis,
                 sh->ncal, c->rbits,
                 sh->mode, (unsigned long long)sh->s->hash);
  }
  p->acc = acc, p->dcyc = tot.dense.cycles, p->scyc = tot.sparse.cycles;
  p->kib_dense = tot.mem.fmt[TS_WMEM_DENSE].bits / 8192.0;
  p->kib_auto = 0;
  for (int k = 0; k < TS_NUM_LAYERS; k++)
    p->kib_auto += (ts_wmem_choose_compressed(r[k].mem.fmt[TS_WMEM_DENSE].bits, r[k].mem.hw.bits)
                        ? r[k].mem.hw.bits
                        : r[k].mem.fmt[TS_WMEM_DENSE].bits) / 8192.0;
  if (bad) {
    free(buf);
    return ts_fail(err, TS_E_NOMEM, "hw-sweep: no memory for CSV rows");
  }
  *out = buf;
  return TS_OK;
}

static ts_status run_point(const shared *sh, worker *w, point *p, ts_error *err) {
  const cfg *c = sh->c;
  ts_study *s = sh->s;
  ts_qnet *q = NULL;
  memcpy(ts_net_params(w->net), s->fp32, sizeof(float) * s->nparams);
  ts_status st = p->pct > 0 ? ts_prune_net(w->net, p->pct / 100, err) : TS_OK;
  if (!st) st = ts_qnet_create(w->net, p->bits, p->scheme, sh->cal, sh->ncal, &q, err);
  if (st) return st;
  const int C = ts_qnet_classes(q), blk = 256;
  const size_t px = ts_qnet_image_bytes(q);
  const int nb = blk > c->batch ? blk : c->batch;
  uint8_t *bytes = malloc(px * nb);
  int64_t *lg = malloc(sizeof *lg * (size_t)C * nb);
  int64_t *gold = malloc(sizeof *gold * (size_t)C * c->rtl_images);
  int *pred = malloc(sizeof *pred * nb), *gpred = malloc(sizeof *gpred * c->rtl_images);
  layer_res r[TS_NUM_LAYERS];
  memset(r, 0, sizeof r);
  int hits = 0, pred_mis = 0, logit_mis = 0;
  int64_t *gold0 = malloc(sizeof *gold0 * (size_t)C); /* image 0, for the system model */
  uint8_t *img0 = malloc(px);
  hwsweep_sys_res sys;
  if (!bytes || !lg || !gold || !pred || !gpred || !gold0 || !img0)
    st = ts_fail(err, TS_E_NOMEM, "hw-sweep: no memory for a point");
  /* the golden model on every test image */
  for (int first = 0; !st && first < s->n; first += blk) {
    const int n = s->n - first < blk ? s->n - first : blk;
    if ((st = run_block(sh, q, NULL, first, n, bytes, lg, err))) break;
    ts_qnet_predict(q, lg, n, pred);
    if (first == 0) {
      memcpy(gold0, lg, sizeof *lg * C);
      memcpy(img0, bytes, px);
    }
    for (int i = 0; i < n; i++) {
      hits += pred[i] == s->y[first + i];
      if (first + i < c->rtl_images) {
        gpred[first + i] = pred[i];
        memcpy(gold + (size_t)(first + i) * C, lg + (size_t)i * C, sizeof *lg * C);
      }
    }
  }
  /* the RTL on the first rtl_images, dense then (if built) sparse */
  for (int mode = 0; !st && mode <= HWSWEEP_HAVE_SPARSE; mode++) {
    memset(w->cnt, 0, sizeof w->cnt);
    w->sparse = mode;
    for (int first = 0; !st && first < c->rtl_images; first += c->batch) {
      const int n = c->rtl_images - first < c->batch ? c->rtl_images - first : c->batch;
      if ((st = run_block(sh, q, w, first, n, bytes, lg, err))) break;
      ts_qnet_predict(q, lg, n, pred);
      for (int i = 0; i < n; i++) {
        pred_mis += pred[i] != gpred[first + i];
        for (int j = 0; j < C; j++)
          logit_mis += lg[(size_t)i * C + j] != gold[(size_t)(first + i) * C + j];
      }
    }
    for (int l = 0; l < TS_NUM_LAYERS; l++) (mode ? &r[l].sparse : &r[l].dense)[0] = w->cnt[l];
  }
  /* weight memory of the codes the network really holds */
  for (int l = 0; !st && l < TS_NUM_LAYERS; l++) {
    ts_int_gemm g;
    if ((st = ts_qnet_layer(q, l, &g, err))) break;
    if ((st = ts_wmem_measure(g.w, g.m, g.k, g.wbits, c->rbits, &r[l].mem, err))) break;
    const long long cols = (long long)g.n * c->rtl_images;
    r[l].macs = (long long)g.m * g.k * cols;
    r[l].nz_macs = r[l].mem.nnz * cols;
  }
  /* the first image on the system model, each layer's weights as chosen */
  int choose[TS_NUM_LAYERS];
  for (int l = 0; l < TS_NUM_LAYERS; l++)
    choose[l] = ts_wmem_choose_compressed(r[l].mem.fmt[TS_WMEM_DENSE].bits, r[l].mem.hw.bits);
  if (!st) st = hwsweep_sys_point(sh->srv, q, w->net, img0, gold0, choose, &sys, err);
  if (!st)
    st = point_rows(sh, p, r, &sys, s->n ? (double)hits / s->n : 0, pred_mis, logit_mis,
                    HWSWEEP_HAVE_SPARSE, &p->rows, err);
  p->mismatches = logit_mis + (st ? 0 : sys.mismatch);
  free(bytes);
  free(lg);
  free(gold);
  free(pred);
  free(gpred);
  free(gold0);
  free(img0);
  ts_qnet_destroy(q);
  return st;
}

/* ---- The CSV: written after every point, read back to resume ---------- */

typedef struct sweep {
  point *p;
  int n;
} sweep;

static ts_status write_csv(FILE *fp, void *user, ts_error *err) {
  (void)err;
  const sweep *w = user;
  fprintf(fp, "%s\n", COLS);
  for (int i = 0; i < w->n; i++)
    if (w->p[i].done) fputs(w->p[i].rows, fp);
  return ferror(fp) ? TS_E_IO : TS_OK;
}

/* Marks done the points whose every row (layers + total) is in the CSV at
 * path with this run's settings; their rows are kept verbatim. */
static ts_status resume(const shared *sh, sweep *w, const char *path, int *reused,
                        ts_error *err) {
  *reused = 0;
  ts_csv *t = NULL;
  ts_status st = ts_csv_read(path, &t, err);
  if (st == TS_E_IO) return TS_OK;
  if (st) return st;
  char want[sizeof COLS];
  snprintf(want, sizeof want, "%s", COLS);
  int ncols = 1;
  for (const char *q = COLS; *q; q++) ncols += *q == ',';
  if (t->cols != ncols) {
    ts_csv_free(t);
    return ts_fail(err, TS_E_FORMAT, "file '%s' has %d columns, hw-sweep writes %d; "
                   "delete it or run with --no-resume", path, t->cols, ncols);
  }
  for (int c = 0; c < ncols; c++) {
    char *name = strtok(c ? NULL : want, ",");
    if (!name || strcmp(name, t->cell[c])) {
      ts_csv_free(t);
      return ts_fail(err, TS_E_FORMAT, "file '%s': column %d is '%s', expected '%s'; delete "
                     "it or run with --no-resume", path, c + 1, t->cell[c], name ? name : "");
    }
  }
  char hash[32];
  snprintf(hash, sizeof hash, "%016llx", (unsigned long long)sh->s->hash);
  for (int i = 0; i < w->n; i++) {
    point *p = &w->p[i];
    if (p->done) continue; /* read from an earlier file (--merge reads several) */
    char *buf = NULL;
    size_t len = 0, cap = 0;
    int found = 0, bad = 0;
    for (int r = 0; r < t->rows && !bad; r++) {
      const char *sc = ts_csv_get(t, r, "scheme"), *h = ts_csv_get(t, r, "model_hash"),
                 *mode = ts_csv_get(t, r, "mode");
      if (ts_csv_num(t, r, "bits") != p->bits || strcmp(sc, ts_quant_scheme_name(p->scheme)) ||
          fabs(ts_csv_num(t, r, "sparsity") - p->pct) > 1e-9 || strcmp(h, hash) ||
          strcmp(mode, sh->mode) || ts_csv_num(t, r, "test_images") != sh->s->n ||
          ts_csv_num(t, r, "rtl_images") != sh->c->rtl_images ||
          ts_csv_num(t, r, "batch") != sh->c->batch || ts_csv_num(t, r, "calib") != sh->ncal ||
          ts_csv_num(t, r, "rbits") != sh->c->rbits ||
          !hwsweep_sys_row_matches(t, r, &sh->c->sys))
        continue;
      /* the row, verbatim: its cells joined again */
      for (int c = 0; c < ncols && !bad; c++)
        bad = append(&buf, &len, &cap, "%s%s", c ? "," : "",
                     t->cell[(size_t)(r + 1) * ncols + c]);
      bad = bad || append(&buf, &len, &cap, "\n");
      p->mismatches += (int)(ts_csv_num(t, r, "rtl_logit_mismatch") +
                             ts_csv_num(t, r, "sys_logit_mismatch")) *
                       !strcmp(ts_csv_get(t, r, "layer"), "total");
      found++;
    }
    if (!bad && found == TS_NUM_LAYERS + 1) {
      p->rows = buf;
      p->done = 1;
      ++*reused;
    } else {
      free(buf);
      p->mismatches = 0;
    }
  }
  ts_csv_free(t);
  return TS_OK;
}

/* resume() and the point states for ts_slurm_prepare */
typedef struct resume_ctx {
  const shared *sh;
  sweep *w;
  const char *cmd;
} resume_ctx;

static int resume_cb(void *user, const char *path) {
  const resume_ctx *x = user;
  ts_error err = {0};
  int reused;
  if (!resume(x->sh, x->w, path, &reused, &err)) return 0;
  fprintf(stderr, "tessera %s: %s\n", x->cmd, err.msg);
  return 1;
}

static int done_cb(void *user, int i) { return ((const resume_ctx *)user)->w->p[i].done; }

/* ---- Weight memory over B = 1..16 and a fine sparsity grid ------------- */

enum { WM_PCTS = 100, WM_SOURCES = MAX_SCHEMES + 1 }; /* model per scheme, random */

typedef struct wm_grid {
  int nsrc;
  char src[WM_SOURCES][16], scheme[WM_SOURCES][16];
  /* [src][pct][bits-1][layer 0..4, 5 = total] */
  ts_wmem_layer *v;
} wm_grid;

static ts_wmem_layer *wm_at(const wm_grid *g, int s, int p, int b, int l) {
  return &g->v[(((size_t)s * WM_PCTS + p) * MAX_BITS + (b - 1)) * (TS_NUM_LAYERS + 1) + l];
}

static ts_status wm_compute(const shared *sh, wm_grid *g, ts_error *err) {
  const cfg *c = sh->c;
  ts_study *s = sh->s;
  const ts_arch *a = ts_net_arch(s->net);
  g->nsrc = c->nschemes + 1;
  for (int i = 0; i < c->nschemes; i++) {
    snprintf(g->src[i], sizeof g->src[i], "model");
    snprintf(g->scheme[i], sizeof g->scheme[i], "%s", ts_quant_scheme_name(c->scheme[i]));
  }
  snprintf(g->src[c->nschemes], 16, "random");
  snprintf(g->scheme[c->nschemes], 16, "-");
  g->v = calloc((size_t)g->nsrc * WM_PCTS * MAX_BITS * (TS_NUM_LAYERS + 1), sizeof *g->v);
  if (!g->v) return ts_fail(err, TS_E_NOMEM, "hw-sweep: no memory for the weight-memory grid");
  size_t most = 0;
  for (int l = 0; l < TS_NUM_LAYERS; l++)
    if (sh->info[l].w_len > most) most = sh->info[l].w_len;
  ts_status st_all = TS_OK;
#pragma omp parallel num_threads(c->threads)
  {
    float *par = malloc(sizeof *par * s->nparams);
    int32_t *codes = malloc(sizeof *codes * most);
    ts_error e = {0};
    ts_status st = par && codes ? TS_OK : ts_fail(&e, TS_E_NOMEM, "hw-sweep: no memory");
#pragma omp for schedule(dynamic, 1)
    for (int p = 0; p < WM_PCTS; p++) {
      if (st) continue;
      memcpy(par, s->fp32, sizeof *par * s->nparams);
      if (p > 0 && (st = ts_prune_params(a, par, p / 100.0, &e))) continue;
      for (int i = 0; i < c->nschemes && !st; i++)
        for (int b = 1; b <= MAX_BITS && !st; b++) {
          ts_wmem_layer tot;
          st = ts_wmem_net(a, par, b, c->scheme[i], c->rbits, wm_at(g, i, p, b, 0), &tot, &e);
          *wm_at(g, i, p, b, TS_NUM_LAYERS) = tot;
        }
      /* a random unstructured pattern of the same sparsity, per layer */
      for (int l = 0; l < TS_NUM_LAYERS && !st; l++) {
        const int m = sh->info[l].gemm_m, k = sh->info[l].gemm_k;
        if ((st = ts_wmem_random_codes(codes, m, k, p / 100.0, 1000u * l + p, &e))) break;
        for (int b = 1; b <= MAX_BITS && !st; b++) {
          st = ts_wmem_measure(codes, m, k, b, c->rbits, wm_at(g, c->nschemes, p, b, l), &e);
          ts_wmem_add(wm_at(g, c->nschemes, p, b, TS_NUM_LAYERS), wm_at(g, c->nschemes, p, b, l));
        }
      }
    }
#pragma omp critical
    if (st && !st_all) {
      st_all = st;
      if (err) *err = e;
    }
    free(par);
    free(codes);
  }
  return st_all;
}

static const char *wm_layer(const shared *sh, int l) {
  return l == TS_NUM_LAYERS ? "total" : sh->info[l].name;
}

typedef struct wm_out {
  const shared *sh;
  const wm_grid *g;
} wm_out;

static ts_status write_wmem(FILE *fp, void *user, ts_error *err) {
  (void)err;
  const wm_out *o = user;
  fprintf(fp, "source,scheme,layer,bits,sparsity,weights,nonzero_weights,pad_entries,"
              "dense_bits,bitmap_bits,relidx_bits,hw_bits,choice\n");
  for (int s = 0; s < o->g->nsrc; s++)
    for (int l = 0; l <= TS_NUM_LAYERS; l++)
      for (int b = 1; b <= MAX_BITS; b++)
        for (int p = 0; p < WM_PCTS; p++) {
          const ts_wmem_layer *x = wm_at(o->g, s, p, b, l);
          const int64_t d = x->fmt[TS_WMEM_DENSE].bits;
          fprintf(fp, "%s,%s,%s,%d,%d,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%s\n", o->g->src[s],
                  o->g->scheme[s], wm_layer(o->sh, l), b, p, (long long)x->weights,
                  (long long)x->nnz, (long long)x->pad_entries, (long long)d,
                  (long long)x->fmt[TS_WMEM_BITMAP].bits, (long long)x->fmt[TS_WMEM_RELIDX].bits,
                  (long long)x->hw.bits,
                  ts_wmem_choose_compressed(d, x->hw.bits) ? "compressed" : "dense");
        }
  return ferror(fp) ? TS_E_IO : TS_OK;
}

/* Crossover of one format for (source, layer, bits); -1: never. */
static double wm_cross(const wm_grid *g, int s, int l, int b, int which) {
  double pct[WM_PCTS];
  int64_t d[WM_PCTS], c[WM_PCTS];
  for (int p = 0; p < WM_PCTS; p++) {
    const ts_wmem_layer *x = wm_at(g, s, p, b, l);
    pct[p] = p;
    d[p] = x->fmt[TS_WMEM_DENSE].bits;
    c[p] = which < 0 ? x->hw.bits : x->fmt[which].bits;
  }
  return ts_wmem_crossover(pct, d, c, WM_PCTS);
}

static ts_status write_cross(FILE *fp, void *user, ts_error *err) {
  (void)err;
  const wm_out *o = user;
  fprintf(fp, "source,scheme,layer,bits,bitmap_crossover,relidx_crossover,hw_crossover\n");
  for (int s = 0; s < o->g->nsrc; s++)
    for (int l = 0; l <= TS_NUM_LAYERS; l++)
      for (int b = 1; b <= MAX_BITS; b++)
        fprintf(fp, "%s,%s,%s,%d,%g,%g,%g\n", o->g->src[s], o->g->scheme[s], wm_layer(o->sh, l),
                b, wm_cross(o->g, s, l, b, TS_WMEM_BITMAP), wm_cross(o->g, s, l, b, TS_WMEM_RELIDX),
                wm_cross(o->g, s, l, b, -1));
  return ferror(fp) ? TS_E_IO : TS_OK;
}

/* ---- JSON and plots from the finished CSV ------------------------------ */

typedef struct json_in {
  const ts_csv *t;
  const cfg *c;
  const shared *sh;
  double seconds;
} json_in;

static ts_status write_json(FILE *fp, void *user, ts_error *err) {
  const json_in *j = user;
  cJSON *root = cJSON_CreateObject();
  if (!root) return ts_fail(err, TS_E_NOMEM, "hw-sweep: no memory for JSON");
  cJSON_AddStringToObject(root, "model", j->sh->s->model_path);
  cJSON_AddStringToObject(root, "dataset", j->sh->s->dataset);
  cJSON_AddNumberToObject(root, "test_images", j->sh->s->n);
  cJSON_AddNumberToObject(root, "rtl_images", j->c->rtl_images);
  cJSON_AddNumberToObject(root, "batch", j->c->batch);
  cJSON_AddNumberToObject(root, "calib", j->sh->ncal);
  cJSON_AddNumberToObject(root, "rbits", j->c->rbits);
  cJSON_AddNumberToObject(root, "threads", j->c->threads);
  cJSON_AddStringToObject(root, "mode", j->sh->mode);
  cJSON_AddStringToObject(root, "hw_format", ts_wmem_hw_format_name());
  cJSON_AddNumberToObject(root, "seconds", j->seconds);
  cJSON *rows = cJSON_AddArrayToObject(root, "rows");
  for (int r = 0; rows && r < j->t->rows; r++) {
    cJSON *o = cJSON_CreateObject();
    if (!o) break;
    for (int c = 0; c < j->t->cols; c++) {
      const char *name = j->t->cell[c], *v = j->t->cell[(size_t)(r + 1) * j->t->cols + c];
      char *end;
      const double d = strtod(v, &end);
      /* numbers as numbers (the hash stays a string), NA as null */
      if (!strcmp(v, "NA")) cJSON_AddNullToObject(o, name);
      else if (*v && !*end && strcmp(name, "model_hash")) cJSON_AddNumberToObject(o, name, d);
      else cJSON_AddStringToObject(o, name, v);
    }
    cJSON_AddItemToArray(rows, o);
  }
  char *txt = cJSON_Print(root);
  cJSON_Delete(root);
  if (!txt) return ts_fail(err, TS_E_NOMEM, "hw-sweep: no memory for JSON text");
  fputs(txt, fp);
  fputc('\n', fp);
  free(txt);
  return ferror(fp) ? TS_E_IO : TS_OK;
}

/* Row of the CSV for (bits, scheme, pct, layer), -1 if absent. */
static int find_row(const ts_csv *t, int bits, const char *scheme, double pct, const char *layer) {
  for (int r = 0; r < t->rows; r++)
    if (ts_csv_num(t, r, "bits") == bits && !strcmp(ts_csv_get(t, r, "scheme"), scheme) &&
        fabs(ts_csv_num(t, r, "sparsity") - pct) < 1e-9 &&
        !strcmp(ts_csv_get(t, r, "layer"), layer))
      return r;
  return -1;
}

/* Plots of the energy per image (whole network, per-layer cheaper mode):
 * a heat map over bits x sparsity, and its split vs sparsity at B = bref.
 * xs, ys: scratch of at least 4 * MAX_PCT values. Returns 1 after printing
 * a failure. */
static int plot_energy(const char *cmd, const cfg *c, const shared *sh, const ts_csv *t,
                       const char *sch, int bref, double *xs, double *ys) {
  int bad = 0;
  ts_error err = {0};
  char png[4096], title[256];
  ts_plot_series ser[4];
  const int nx = c->npct, ny = c->nbits;
  double *z = malloc(sizeof(double) * nx * ny), x[MAX_PCT], y[MAX_BITS];
  int ok = z != NULL;
  for (int i = 0; ok && i < nx; i++) x[i] = c->pct[i];
  for (int b = 0; ok && b < ny; b++) {
    y[b] = c->bits[b];
    for (int i = 0; ok && i < nx; i++) {
      const int r = find_row(t, c->bits[b], sch, c->pct[i], "total");
      z[b * nx + i] = r < 0 ? NAN : ts_csv_num(t, r, "energy_best_nj") / 1e3;
      ok = isfinite(z[b * nx + i]);
    }
  }
  if (ok) {
    snprintf(title, sizeof title, "Energy per image (uJ, 45 nm table), cheaper mode per "
             "layer, %s (%s)", sch, sh->s->dataset);
    ts_plot_opts po = {.title = title, .xlabel = "weights pruned per layer (%)",
                       .ylabel = "weight bits B", .zlabel = "uJ per image"};
    if (ts_study_path(png, sizeof png, c->out, "hw_energy_map.png") ||
        ts_plot_heatmap(png, &po, x, nx, y, ny, z, "%.2f", &err))
      bad |= ts_study_plot_failed(cmd, &err);
  }
  free(z);
  static const char *const part[4] = {"energy_best_compute_nj", "energy_best_onchip_nj",
                                      "energy_best_offchip_nj", "energy_best_nj"};
  static const char *const pname[4] = {"compute", "on-chip SRAM", "off-chip DRAM", "total"};
  int ns = 0, k = 0;
  for (int j = 0; j < 4; j++) {
    const int k0 = k;
    for (int i = 0; i < c->npct; i++) {
      const int r = find_row(t, bref, sch, c->pct[i], "total");
      const double v = r < 0 ? NAN : ts_csv_num(t, r, part[j]) / 1e3;
      if (isfinite(v) && v > 0) xs[k] = c->pct[i], ys[k++] = v;
    }
    if (k > k0) ser[ns] = (ts_plot_series){pname[j], xs + k0, ys + k0, k - k0}, ns++;
  }
  snprintf(title, sizeof title, "Energy per image by class vs sparsity, B = %d %s (%s)", bref,
           sch, sh->s->dataset);
  ts_plot_opts po = {.title = title, .xlabel = "weights pruned per layer (%)",
                     .ylabel = "uJ per image (45 nm table)", .logy = 1};
  if (ns && (ts_study_path(png, sizeof png, c->out, "hw_energy_split.png") ||
             ts_plot_lines(png, &po, ser, ns, &err)))
    bad |= ts_study_plot_failed(cmd, &err);
  return bad;
}

static int plots(const char *cmd, const cfg *c, const shared *sh, const ts_csv *t,
                 const wm_grid *g, int have_sparse) {
  int bad = 0;
  ts_error err = {0};
  char png[4096], title[256];
  const char *sch = ts_quant_scheme_name(c->scheme[c->nschemes - 1]);
  const int b_ref = c->bits[c->nbits - 1] >= 8 ? 8 : c->bits[c->nbits - 1];
  int bref = c->bits[0];
  for (int i = 0; i < c->nbits; i++)
    if (abs(c->bits[i] - b_ref) < abs(bref - b_ref)) bref = c->bits[i];
  /* x and y of every series of one plot, and the points of the front */
  enum { NV = MAX_PCT * (TS_NUM_LAYERS + 1) * MAX_BITS * MAX_SCHEMES };
  double *xs = malloc(sizeof(double) * 4 * NV);
  if (!xs) return ts_study_plot_failed(cmd, &(ts_error){TS_E_NOMEM, "no memory"});
  double *ys = xs + NV, *px = ys + NV, *py = px + NV;
  ts_plot_series ser[64];
  /* 1. speedup vs sparsity, measured and ideal, per layer (at bref, sch) */
  if (have_sparse) {
    int ns = 0, k = 0;
    for (int l = 0; l <= TS_NUM_LAYERS; l++)
      for (int ideal = 0; ideal < 2; ideal++) {
        const int k0 = k;
        for (int i = 0; i < c->npct; i++) {
          const int r = find_row(t, bref, sch, c->pct[i], wm_layer(sh, l));
          const double v = r < 0 ? NAN : ts_csv_num(t, r, ideal ? "ideal_speedup" : "speedup");
          if (isfinite(v)) xs[k] = c->pct[i], ys[k++] = v;
        }
        static char names[2 * (TS_NUM_LAYERS + 1)][48];
        snprintf(names[ns], sizeof names[ns], "%s %s", wm_layer(sh, l), ideal ? "ideal 1/(1-s)" : "RTL");
        if (k > k0) ser[ns] = (ts_plot_series){names[ns], xs + k0, ys + k0, k - k0}, ns++;
      }
    snprintf(title, sizeof title, "Zero-skipping speedup vs sparsity, B = %d %s (%s)", bref, sch,
             sh->s->dataset);
    ts_plot_opts po = {.title = title, .xlabel = "weights pruned per layer (%)",
                       .ylabel = "speedup, dense cycles / sparse cycles (x)", .logy = 1};
    if (ns && (ts_study_path(png, sizeof png, c->out, "hw_speedup.png") ||
               ts_plot_lines(png, &po, ser, ns, &err)))
      bad |= ts_study_plot_failed(cmd, &err);
  }
  /* 2. cycles vs bits, per layer, dense at the lowest sparsity (and sparse
   * at the highest when measured) */
  {
    int ns = 0, k = 0;
    static char names[2 * (TS_NUM_LAYERS + 1)][64];
    for (int sp = 0; sp <= have_sparse; sp++)
      for (int l = 0; l <= TS_NUM_LAYERS; l++) {
        const double pct = sp ? c->pct[c->npct - 1] : c->pct[0];
        const int k0 = k;
        for (int i = 0; i < c->nbits; i++) {
          const int r = find_row(t, c->bits[i], sch, pct, wm_layer(sh, l));
          const double v = r < 0 ? NAN : ts_csv_num(t, r, sp ? "sparse_cycles" : "dense_cycles");
          if (isfinite(v) && v > 0) xs[k] = c->bits[i], ys[k++] = v / c->rtl_images;
        }
        snprintf(names[ns], sizeof names[ns], "%s %s %g%%", wm_layer(sh, l), sp ? "sparse" : "dense", pct);
        if (k > k0) ser[ns] = (ts_plot_series){names[ns], xs + k0, ys + k0, k - k0}, ns++;
      }
    snprintf(title, sizeof title, "Cycles per image vs weight bits, %s, batch %d (%s)", sch,
             c->batch, sh->s->dataset);
    ts_plot_opts po = {.title = title, .xlabel = "weight bits B",
                       .ylabel = "array cycles per image", .logy = 1};
    if (ns && (ts_study_path(png, sizeof png, c->out, "hw_cycles_bits.png") ||
               ts_plot_lines(png, &po, ser, ns, &err)))
      bad |= ts_study_plot_failed(cmd, &err);
  }
  /* 3. weight memory (whole model, per-layer automatic choice) vs bits and
   * sparsity, the real pruned weights of the last scheme */
  {
    double x[WM_PCTS], y[MAX_BITS], *z = malloc(sizeof(double) * WM_PCTS * MAX_BITS);
    static const int P[] = {0, 10, 25, 50, 70, 80, 90, 95, 99};
    const int np = sizeof P / sizeof P[0];
    if (z) {
      for (int i = 0; i < np; i++) x[i] = P[i];
      for (int b = 1; b <= MAX_BITS; b++) {
        y[b - 1] = b;
        for (int i = 0; i < np; i++) {
          double kib = 0;
          for (int l = 0; l < TS_NUM_LAYERS; l++) {
            const ts_wmem_layer *m = wm_at(g, g->nsrc - 2, P[i], b, l);
            const int64_t d = m->fmt[TS_WMEM_DENSE].bits;
            kib += (ts_wmem_choose_compressed(d, m->hw.bits) ? m->hw.bits : d) / 8192.0;
          }
          z[(b - 1) * np + i] = kib;
        }
      }
      snprintf(title, sizeof title, "Weight memory (KiB), dense or %s per layer, %s (%s)",
               "compressed", g->scheme[g->nsrc - 2], sh->s->dataset);
      ts_plot_opts po = {.title = title, .xlabel = "weights pruned per layer (%)",
                         .ylabel = "weight bits B", .zlabel = "KiB"};
      if (ts_study_path(png, sizeof png, c->out, "hw_wmem_map.png") ||
          ts_plot_heatmap(png, &po, x, np, y, MAX_BITS, z, "%.0f", &err))
        bad |= ts_study_plot_failed(cmd, &err);
      free(z);
    }
  }
  /* 4. accuracy vs cycles: every (bits, scheme) over sparsity, and the
   * Pareto front (no other point has fewer cycles and higher accuracy) */
  {
    int ns = 0, k = 0, npts = 0;
    static char names[MAX_BITS * MAX_SCHEMES + 1][48];
    const char *col = have_sparse ? "sparse_cycles" : "dense_cycles";
    for (int si = 0; si < c->nschemes; si++)
      for (int bi = 0; bi < c->nbits; bi++) {
        const int k0 = k;
        for (int i = 0; i < c->npct; i++) {
          const int r = find_row(t, c->bits[bi], ts_quant_scheme_name(c->scheme[si]), c->pct[i], "total");
          if (r < 0) continue;
          const double cy = ts_csv_num(t, r, col) / c->rtl_images, a = 100 * ts_csv_num(t, r, "golden_accuracy");
          if (!isfinite(cy) || !isfinite(a)) continue;
          xs[k] = cy, ys[k++] = a;
          px[npts] = cy, py[npts++] = a;
        }
        snprintf(names[ns], sizeof names[ns], "B=%d %s", c->bits[bi], ts_quant_scheme_name(c->scheme[si]));
        if (k > k0 && ns < 63) ser[ns] = (ts_plot_series){names[ns], xs + k0, ys + k0, k - k0}, ns++;
      }
    /* front: sort by cycles, keep points more accurate than all cheaper */
    double fx[MAX_PCT * MAX_BITS * MAX_SCHEMES], fy[MAX_PCT * MAX_BITS * MAX_SCHEMES];
    int nf = 0;
    for (int i = 0; i < npts; i++) {
      int dominated = 0;
      for (int j = 0; j < npts && !dominated; j++)
        dominated = (px[j] <= px[i] && py[j] > py[i]) || (px[j] < px[i] && py[j] >= py[i]);
      if (!dominated) fx[nf] = px[i], fy[nf++] = py[i];
    }
    for (int i = 1; i < nf; i++)
      for (int j = i; j > 0 && fx[j] < fx[j - 1]; j--) {
        double tx = fx[j], ty = fy[j];
        fx[j] = fx[j - 1], fy[j] = fy[j - 1], fx[j - 1] = tx, fy[j - 1] = ty;
      }
    if (nf) ser[ns++] = (ts_plot_series){"Pareto front", fx, fy, nf};
    snprintf(title, sizeof title, "Accuracy vs %s cycles per image, bits x sparsity (%s)",
             have_sparse ? "sparse" : "dense (sparse RTL pending)", sh->s->dataset);
    ts_plot_opts po = {.title = title, .xlabel = "array cycles per image",
                       .ylabel = "integer golden accuracy, whole test set (%)"};
    if (ns && (ts_study_path(png, sizeof png, c->out, "hw_pareto.png") ||
               ts_plot_lines(png, &po, ser, ns, &err)))
      bad |= ts_study_plot_failed(cmd, &err);
  }
  bad |= plot_energy(cmd, c, sh, t, sch, bref, xs, ys);
  free(xs);
  return bad;
}

/* ---- Options ------------------------------------------------------------ */

static int parse_bits(const char *cmd, const char *flag, const char *s, void *dst) {
  cfg *c = dst;
  return ts_study_parse_bits_list(cmd, flag, s, c->bits, MAX_BITS, &c->nbits);
}

static int parse_schemes(const char *cmd, const char *flag, const char *s, void *dst) {
  cfg *c = dst;
  (void)flag;
  char buf[128];
  snprintf(buf, sizeof buf, "%s", s);
  c->nschemes = 0;
  for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
    ts_error e = {0};
    ts_quant_scheme q;
    if (ts_quant_scheme_parse(tok, &q, &e)) {
      fprintf(stderr, "tessera %s: --scheme: %s\n", cmd, e.msg);
      return 1;
    }
    if (c->nschemes == MAX_SCHEMES || (c->nschemes && c->scheme[0] == q)) {
      fprintf(stderr, "tessera %s: --scheme lists a scheme twice\n", cmd);
      return 1;
    }
    c->scheme[c->nschemes++] = q;
  }
  if (!c->nschemes) {
    fprintf(stderr, "tessera %s: --scheme needs per-tensor and/or per-channel\n", cmd);
    return 1;
  }
  return 0;
}

static int parse_pct(const char *cmd, const char *flag, const char *s, void *dst) {
  cfg *c = dst;
  return ts_study_parse_pct_list(cmd, flag, s, c->pct, MAX_PCT, &c->npct);
}

static float *load_calib(const char *cmd, const char *model, const ts_cli_data *data,
                         int *calib) {
  ts_error err = {0};
  ts_cli_data d = *data;
  ts_cli_model m;
  float *cal = NULL;
  int *idx = NULL;
  ts_dataset *tr = NULL;
  if (ts_cli_model_open(cmd, model, &d, &m)) goto done;
  d.limit = *calib;
  if (!(tr = ts_cli_load(cmd, &d, TS_SPLIT_TRAIN))) goto done;
  if (*calib > tr->n) *calib = tr->n;
  const size_t px = (size_t)tr->c * tr->h * tr->w;
  cal = malloc(sizeof *cal * px * *calib);
  idx = malloc(sizeof *idx * *calib);
  if (!cal || !idx) {
    fprintf(stderr, "tessera %s: no memory for %d calibration images\n", cmd, *calib);
    free(cal);
    cal = NULL;
    goto done;
  }
  for (int i = 0; i < *calib; i++) idx[i] = i;
  if (ts_dataset_batch(tr, &m.norm, idx, *calib, cal, NULL, &err)) {
    fprintf(stderr, "tessera %s: %s\n", cmd, err.msg);
    free(cal);
    cal = NULL;
  }
done:
  free(idx);
  ts_dataset_destroy(tr);
  ts_cli_model_close(&m);
  return cal;
}

/* Runs the points not yet done, in parallel (one network copy and one
 * simulation per worker), saving the CSV after each. Returns 0, or 1 after
 * printing the first failure. */
static int run_points(const char *cmd, shared *sh, sweep *w, worker *wk, int reused,
                      const char *save) {
  const int todo = w->n - reused;
  int finished = 0, failed = 0;
#pragma omp parallel for schedule(dynamic, 1) num_threads(sh->c->threads)
  for (int i = 0; i < w->n; i++) {
    point *p = &w->p[i];
    if (p->done || failed) continue;
    const double tp = ts_study_now();
    ts_error e = {0};
    ts_status st = run_point(sh, &wk[omp_get_thread_num()], p, &e);
#pragma omp critical
    {
      if (st) {
        if (!failed)
          fprintf(stderr, "tessera %s: B=%d %s %g%%: %s\n", cmd, p->bits,
                  ts_quant_scheme_name(p->scheme), p->pct, e.msg);
        failed = 1;
      } else {
        p->done = 1;
        if ((st = ts_atomic_write(save, write_csv, w, &e))) {
          fprintf(stderr, "tessera %s: %s\n", cmd, e.msg);
          failed = 1;
        }
      }
      if (!st)
        printf("  [%d/%d] B=%-2d %-11s %5g%%  golden %6.2f%%  cycles dense %llu sparse %llu  "
               "weights %.1f -> %.1f KiB%s (%.1f s)\n", ++finished, todo, p->bits,
               ts_quant_scheme_name(p->scheme), p->pct, 100 * p->acc, p->dcyc, p->scyc, p->kib_dense,
               p->kib_auto, p->mismatches ? "  RTL MISMATCH" : "", ts_study_now() - tp);
    }
  }
  return failed;
}

/* The whole network per point, and the crossover sparsities per B. */
static void print_summary(const cfg *c, const ts_csv *t, const wm_grid *g) {
  printf("\nwhole network per point (cycles for %d images; memory in KiB, %s per layer)\n",
         c->rtl_images, "dense or compressed");
  printf("%3s %-11s %5s %9s %11s %11s %8s %7s %9s %9s\n", "B", "scheme", "s%", "golden",
         "dense cyc", "sparse cyc", "speedup", "ideal", "dense KiB", "auto KiB");
  for (int r = 0; r < t->rows; r++) {
    if (strcmp(ts_csv_get(t, r, "layer"), "total")) continue;
    printf("%3s %-11s %5s %8.2f%% %11s %11s %8s %7.2f %9.1f %9.1f\n", ts_csv_get(t, r, "bits"),
           ts_csv_get(t, r, "scheme"), ts_csv_get(t, r, "sparsity"),
           100 * ts_csv_num(t, r, "golden_accuracy"), ts_csv_get(t, r, "dense_cycles"),
           ts_csv_get(t, r, "sparse_cycles"), ts_csv_get(t, r, "speedup"),
           ts_csv_num(t, r, "ideal_speedup"), ts_csv_num(t, r, "wmem_dense_bits") / 8192,
           ts_csv_num(t, r, "wmem_chosen_bits") / 8192);
  }
  printf("\ncrossover sparsity (%%) below which compression costs more than it saves, whole "
         "model, real pruned weights (%s) / random pattern:\n", g->scheme[g->nsrc - 2]);
  printf("%3s %15s %15s %15s\n", "B", "bitmap", "relidx", "hardware");
  for (int b = 1; b <= MAX_BITS; b++)
    printf("%3d %7g / %-5g %7g / %-5g %7g / %-5g\n", b,
           wm_cross(g, g->nsrc - 2, TS_NUM_LAYERS, b, TS_WMEM_BITMAP),
           wm_cross(g, g->nsrc - 1, TS_NUM_LAYERS, b, TS_WMEM_BITMAP),
           wm_cross(g, g->nsrc - 2, TS_NUM_LAYERS, b, TS_WMEM_RELIDX),
           wm_cross(g, g->nsrc - 1, TS_NUM_LAYERS, b, TS_WMEM_RELIDX),
           wm_cross(g, g->nsrc - 2, TS_NUM_LAYERS, b, -1),
           wm_cross(g, g->nsrc - 1, TS_NUM_LAYERS, b, -1));
  printf("(relidx R = %d; hardware format: %s; -1: compression never wins up to 99%%)\n",
         c->rbits, ts_wmem_hw_format_name());
}

/* Energy per image of the whole network per point, and every place where it
 * rises although the configuration got cheaper (more sparsity at equal B,
 * fewer bits at equal sparsity), per scheme and mode. Returns the rises. */
static int print_energy(const cfg *c, const ts_csv *t, int have_sparse) {
  printf("\nenergy per image, whole network (uJ, 45 nm table, docs/energy.md): dense / sparse "
         "mode / cheaper mode per layer, and that one's compute + on-chip + off-chip\n");
  printf("%3s %-11s %5s %9s %9s %9s %9s %9s %9s\n", "B", "scheme", "s%", "dense", "sparse",
         "best", "compute", "on-chip", "off-chip");
  for (int r = 0; r < t->rows; r++) {
    if (strcmp(ts_csv_get(t, r, "layer"), "total")) continue;
    printf("%3s %-11s %5s %9.3f %9.3f %9.3f %9.3f %9.3f %9.3f\n", ts_csv_get(t, r, "bits"),
           ts_csv_get(t, r, "scheme"), ts_csv_get(t, r, "sparsity"),
           ts_csv_num(t, r, "energy_dense_nj") / 1e3, ts_csv_num(t, r, "energy_sparse_nj") / 1e3,
           ts_csv_num(t, r, "energy_best_nj") / 1e3,
           ts_csv_num(t, r, "energy_best_compute_nj") / 1e3,
           ts_csv_num(t, r, "energy_best_onchip_nj") / 1e3,
           ts_csv_num(t, r, "energy_best_offchip_nj") / 1e3);
  }
  static const char *const col[3] = {"energy_dense_nj", "energy_sparse_nj", "energy_best_nj"};
  int rises = 0;
  for (int si = 0; si < c->nschemes; si++)
    for (int m = 0; m < 3; m++) {
      if (m == 1 && !have_sparse) continue;
      ts_energy_point pt[MAX_BITS * MAX_PCT];
      int n = 0;
      for (int r = 0; r < t->rows && n < MAX_BITS * MAX_PCT; r++)
        if (!strcmp(ts_csv_get(t, r, "layer"), "total") &&
            !strcmp(ts_csv_get(t, r, "scheme"), ts_quant_scheme_name(c->scheme[si])))
          pt[n++] = (ts_energy_point){(int)ts_csv_num(t, r, "bits"),
                                                    ts_csv_num(t, r, "sparsity"),
                                                    ts_csv_num(t, r, col[m])};
      ts_energy_rise rs[8];
      const int k = ts_energy_rises(pt, n, 0, rs, 8);
      for (int i = 0; i < k && i < 8; i++)
        printf("energy RISES (%s, %s): B=%d %g%% %.3f uJ -> B=%d %g%% %.3f uJ\n",
               ts_quant_scheme_name(c->scheme[si]), col[m], pt[rs[i].from].wbits,
               pt[rs[i].from].sparsity, pt[rs[i].from].pj / 1e3, pt[rs[i].to].wbits,
               pt[rs[i].to].sparsity, pt[rs[i].to].pj / 1e3);
      rises += k;
    }
  if (!rises)
    printf("energy check: never rises when sparsity rises at equal B or B falls at equal "
           "sparsity (whole network; dense, sparse and per-layer modes)\n");
  return rises;
}

/* The options; returns 0 to go on, else 1 with the exit code in *code. */
static int parse_args(const char *cmd, int argc, char **argv, cfg *c, ts_cli_common *cc,
                      ts_slurm_opts *so, int *code) {
  ts_cli_common_default(cc);
  cc->threads_max = HWSWEEP_MAX_THREADS;
  *c = (cfg){.rtl_images = 16, .batch = 16, .calib = 256, .rbits = TS_WMEM_RBITS_DEFAULT,
           .resume = 1};
  ts_sys_opts_default(&c->sys);
  int lat = (int)c->sys.dram_latency;
  parse_bits(cmd, "--bits", "2,4,6,8,16", c);
  parse_schemes(cmd, "--scheme", "per-tensor,per-channel", c);
  parse_pct(cmd, "--sparsity", "0,25,50,70,80,90,95", c);
  const ts_opt own[] = {TS_OPT_CALL("bits", parse_bits, c),
                        TS_OPT_CALL("scheme", parse_schemes, c),
                        TS_OPT_CALL("sparsity", parse_pct, c),
                        TS_OPT_I("rtl-images", &c->rtl_images, 1, 1 << 20),
                        TS_OPT_I("batch", &c->batch, 1, 256),
                        TS_OPT_I("calib", &c->calib, 1, 100000),
                        TS_OPT_I("rbits", &c->rbits, TS_WMEM_RBITS_MIN, TS_WMEM_RBITS_MAX),
                        TS_OPT_CALL("dram-bw", ts_sys_opt_bw, &c->sys.dram_bytes_per_cycle),
                        TS_OPT_I("dram-latency", &lat, 0, 1000000),
                        TS_OPT_SWITCH("no-resume", &c->resume, 0), TS_SLURM_OPTS(so)};
  const ts_cli_spec spec = {cmd, USAGE, TS_CLI_MODEL | TS_CLI_DATA_OPTS | TS_CLI_THREADS |
                            TS_CLI_OUT, own, TS_OPT_COUNT(own)};
  if (ts_cli_parse(&spec, argc, argv, cc, code)) return 1;
  if (ts_slurm_check(cmd, so)) return (*code = 2);
  c->sys.dram_latency = (uint32_t)lat;
  if (!(c->sys.dram_bytes_per_cycle > 0)) {
    fprintf(stderr, "tessera %s: --dram-bw must be > 0 bytes per cycle (or inf), got %g\n", cmd,
            c->sys.dram_bytes_per_cycle);
    return (*code = 2);
  }
  c->threads = cc->threads;
  c->out = cc->out;
  return 0;
}

/* Weight memory over the whole B x sparsity grid (wm, cr), then the JSON (js)
 * from the finished CSV, read back into *t. Returns 0, or 1 after printing. */
static int write_outputs(const char *cmd, shared *sh, wm_grid *g, const char *csv,
                         const char *js, const char *wm, const char *cr, double t0, ts_csv **t) {
  ts_error err = {0};
  /* weight memory over the whole B x sparsity grid */
  if (wm_compute(sh, g, &err)) {
    fprintf(stderr, "tessera %s: %s\n", cmd, err.msg);
    return 1;
  }
  wm_out wo = {sh, g};
  if (ts_atomic_write(wm, write_wmem, &wo, &err) || ts_atomic_write(cr, write_cross, &wo, &err)) {
    fprintf(stderr, "tessera %s: %s\n", cmd, err.msg);
    return 1;
  }
  if (ts_csv_read(csv, t, &err)) {
    fprintf(stderr, "tessera %s: %s\n", cmd, err.msg);
    return 1;
  }
  json_in ji = {*t, sh->c, sh, ts_study_now() - t0};
  if (ts_atomic_write(js, write_json, &ji, &err)) {
    fprintf(stderr, "tessera %s: %s\n", cmd, err.msg);
    return 1;
  }
  return 0;
}

int ts_cmd_hwsweep(int argc, char **argv) {
  const char *cmd = "hw-sweep";
  ts_cli_common cc;
  ts_slurm_opts so = {0};
  cfg c;
  int code;
  if (parse_args(cmd, argc, argv, &c, &cc, &so, &code)) return code;
  const char *model = cc.model;
  ts_cli_data data = cc.data;

  const double t0 = ts_study_now();
  ts_study s;
  if (ts_study_open(cmd, model, &data, 1, &s)) {
    ts_study_close(&s);
    return 1;
  }
  int rc = 1;
  float *cal = NULL;
  sweep w = {0};
  worker *wk = NULL;
  wm_grid g = {0};
  ts_csv *t = NULL;
  shared sh = {&c, &s, NULL, c.calib, {{0}}, HWSWEEP_HAVE_SPARSE ? "dense+sparse" : "dense",
               NULL};
  for (int l = 0; l < TS_NUM_LAYERS; l++) sh.info[l] = *ts_net_layer(s.net, l);
  if (ts_study_check_fit(cmd, model, sh.info)) goto done;
  if (c.rtl_images > s.n) {
    fprintf(stderr, "tessera %s: --rtl-images %d but the test set has %d images\n", cmd,
            c.rtl_images, s.n);
    rc = 2;
    goto done;
  }
  if (!(cal = load_calib(cmd, model, &data, &sh.ncal))) goto done;
  sh.cal = cal;
  char csv[4096], js[4096], wm[4096], cr[4096], sbw[4096];
  if (ts_study_path(csv, sizeof csv, c.out, "hw_sweep.csv") ||
      ts_study_path(sbw, sizeof sbw, c.out, "hw_sys_bw.csv") ||
      ts_study_path(js, sizeof js, c.out, "hw_sweep.json") ||
      ts_study_path(wm, sizeof wm, c.out, "hw_wmem.csv") ||
      ts_study_path(cr, sizeof cr, c.out, "hw_crossover.csv")) {
    fprintf(stderr, "tessera %s: --out '%s' is too long\n", cmd, c.out);
    goto done;
  }
  if (ts_cli_mkdirs(cmd, c.out)) goto done;
  w.p = calloc((size_t)c.nbits * c.nschemes * c.npct, sizeof *w.p);
  if (!w.p) goto done;
  for (int si = 0; si < c.nschemes; si++)
    for (int bi = 0; bi < c.nbits; bi++)
      for (int pi = 0; pi < c.npct; pi++)
        w.p[w.n++] = (point){.bits = c.bits[bi], .scheme = c.scheme[si], .pct = c.pct[pi]};
  ts_error err = {0};
  int reused = 0;
  if (so.slice) { /* an array task: only its slice of the points */
    int k = 0;
    for (int i = 0; i < w.n; i++)
      if (ts_slurm_in_slice(&so, i)) w.p[k++] = w.p[i];
    w.n = k;
  }
  const ts_slurm_cmd sc = {cmd, argc, argv, c.threads, c.resume, &so};
  resume_ctx rx = {&sh, &w, cmd};
  const ts_slurm_points pts = {w.n, &rx, resume_cb, done_cb};
  ts_slurm_plan plan; /* --slurm: write the jobs; --slice, --merge: a job */
  if (ts_slurm_prepare(&sc, &pts, csv, &plan)) goto done;
  if (plan.stop) {
    rc = 0;
    goto done;
  }
  reused = plan.reused;
  const char *save = plan.csv; /* OUT/hw_sweep.csv, or this task's part */
  printf("hw-sweep: %s on %s (%d test images), %d points (%d bits x %d schemes x %d "
         "sparsities), RTL on %d images (%s mode%s), %d thread%s; %d points resumed from %s\n",
         model, s.dataset, s.n, w.n, c.nbits, c.nschemes, c.npct, c.rtl_images, sh.mode,
         HWSWEEP_HAVE_SPARSE ? "" : ", sparse RTL pending", c.threads, c.threads > 1 ? "s" : "",
         reused, save);
  /* the system model: one per process, in its own thread */
  if (ts_sys_server_start(&c.sys, &sh.srv, &err)) {
    fprintf(stderr, "tessera %s: %s\n", cmd, err.msg);
    rc = 2;
    goto done;
  }
  /* the points, in parallel: one network copy and one simulation per worker */
  wk = calloc((size_t)c.threads, sizeof *wk);
  if (!wk) goto done;
  for (int i = 0; i < c.threads; i++)
    if (ts_net_create(ts_net_arch(s.net), &wk[i].net, &err) || ts_hw_create(NULL, &wk[i].hw, &err)) {
      fprintf(stderr, "tessera %s: %s\n", cmd, err.msg);
      goto done;
    }
  if (run_points(cmd, &sh, &w, wk, reused, save)) goto done;
  const int todo = w.n - reused;
  if (!todo && ts_atomic_write(save, write_csv, &w, &err)) {
    fprintf(stderr, "tessera %s: %s\n", cmd, err.msg);
    goto done;
  }
  if (plan.slice_only) { /* the merge job checks the RTL and writes the rest */
    rc = 0;
    goto done;
  }
  if (write_outputs(cmd, &sh, &g, csv, js, wm, cr, t0, &t)) goto done;
  /* layer time against DRAM bandwidth at the reference scheme */
  ts_quant_scheme bsch = c.scheme[0]; /* per-channel if swept, as the report's */
  for (int i = 0; i < c.nschemes; i++)
    if (c.scheme[i] == TS_QUANT_PER_CHANNEL) bsch = c.scheme[i];
  double top = 0;
  for (int i = 0; i < c.npct; i++) top = c.pct[i] > top ? c.pct[i] : top;
  const double tb = ts_study_now();
  const hwsweep_bw_in bi = {cmd, sh.srv, &c.sys, wk[0].net, s.fp32, s.nparams, cal, sh.ncal,
                            s.x, c.bits, c.nbits, bsch, top, c.rbits};
  if (hwsweep_sys_bw(&bi, sbw)) goto done;
  printf("system model over DRAM bandwidth: wrote %s (%.1f s)\n", sbw, ts_study_now() - tb);
  int mism = 0;
  for (int i = 0; i < w.n; i++) mism += w.p[i].mismatches;
  print_summary(&c, t, &g);
  print_energy(&c, t, HWSWEEP_HAVE_SPARSE);
  plots(cmd, &c, &sh, t, &g, HWSWEEP_HAVE_SPARSE);
  {
    ts_csv *bwt = NULL;
    if (ts_csv_read(sbw, &bwt, &err)) fprintf(stderr, "tessera %s: %s\n", cmd, err.msg);
    int bref = c.bits[0];
    for (int i = 0; i < c.nbits; i++)
      if (abs(c.bits[i] - 8) < abs(bref - 8)) bref = c.bits[i];
    hwsweep_sys_plots(cmd, c.out, t, ts_quant_scheme_name(bsch), bref, bwt);
    ts_csv_free(bwt);
  }
  printf("wrote %s, %s, %s, %s in %.1f s\n", csv, js, wm, cr, ts_study_now() - t0);
  if (mism) {
    fprintf(stderr, "tessera %s: RTL check FAILED: %d logits differ from the golden model's\n",
            cmd, mism);
    goto done;
  }
  printf("RTL check: all logits of the %d RTL images equal the golden model's at every point\n",
         c.rtl_images);
  rc = 0;
done:
  if (wk)
    for (int i = 0; i < c.threads; i++) {
      ts_hw_destroy(wk[i].hw);
      ts_net_destroy(wk[i].net);
    }
  free(wk);
  ts_sys_server_stop(sh.srv);
  for (int i = 0; i < w.n; i++) free(w.p[i].rows);
  free(w.p);
  free(g.v);
  free(cal);
  ts_csv_free(t);
  ts_study_close(&s);
  return rc;
}
