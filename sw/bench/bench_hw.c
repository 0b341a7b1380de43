/* C harness for the simulated accelerator (compiled as C, links the C++
 * shim). Two parts:
 *
 * 1. Dense: simulated cycles per second of the Rows x Cols array and the
 *    dense per-layer utilization of the default CNN's GEMMs (CIFAR 3x32x32,
 *    100 classes) at several weight widths (random values: the dense
 *    timing does not depend on them).
 * 2. Zero-skipping: per layer (one image) and for the whole network, the
 *    speedup dense cycles / sparse cycles on the same RTL at sparsity 0, 25,
 *    50, 70, 80, 90, 95, 99%, against the ideal 1/(1 - s) from the actual
 *    non-zero MAC count (and, for FC layers, which are weight-port bound,
 *    against dense bits / compressed bits), with (a) a trained CNN's weights
 *    magnitude-pruned per layer, quantized at B = 8 per channel, and (b)
 *    random unstructured patterns at B = 8. Where a point falls short of
 *    85% of its goal, the lane-cycle shares say which resource bound it.
 *
 *   make hw-bench            (or build/hw/bench_hw [reps] [--model PATH] [--data DIR]
 *                             [--dense-only])
 *
 * The model comes from --model or TESSERA_MODEL (a tessera train
 * model.safetensors); CIFAR-100 images for its calibration from --data or
 * TESSERA_CIFAR100_DIR (random images otherwise). Without a model only (b)
 * runs, and the bench says so. Utilization = useful MACs / (cycles x PEs);
 * a layer is "fetch" bound when the shared weight port was busy for more
 * cycles than the average lane spent issuing. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <string.h>

#include "ts_arch.h"
#include "ts_dataset.h"
#include "ts_hw.h"
#include "ts_int.h"
#include "ts_net.h"
#include "ts_prune.h"
#include "ts_qnet.h"
#include "ts_rng.h"
#include "ts_sparse.h"
#include "ts_weights.h"

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* CPU time of this process: the fair figure when other jobs share the cores. */
static double cpu_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

typedef struct layer_buf {
  int32_t *w;
  int64_t *bias;
  int32_t *mult;
  uint8_t *shift;
  uint8_t *x;
  int64_t *y;
} layer_buf;

static int alloc_layer(layer_buf *b, int m, int k, int n) {
  b->w = malloc(sizeof *b->w * (size_t)m * k);
  b->bias = calloc((size_t)m, sizeof *b->bias);
  b->mult = malloc(sizeof *b->mult * (size_t)m);
  b->shift = malloc((size_t)m);
  b->x = malloc((size_t)k * n);
  b->y = malloc(sizeof *b->y * (size_t)m * n);
  return b->w && b->bias && b->mult && b->shift && b->x && b->y;
}

static void free_layer(layer_buf *b) {
  free(b->w); free(b->bias); free(b->mult); free(b->shift); free(b->x); free(b->y);
}

/* ---- Part 2: zero-skipping speedup ------------------------------------- */

#define SP_BITS 8
static const double kSparsity[] = {0.0, 0.25, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99};
#define NSP ((int)(sizeof kSparsity / sizeof kSparsity[0]))

/* Totals of one layer (or the network) at one sparsity. */
typedef struct sp_point {
  uint64_t dense_cycles, sparse_cycles, auto_cycles, dense_macs, nz_macs;
  int auto_sparse; /* layers ts_hw_gemm_auto ran in sparse mode */
  uint64_t dense_bits, sparse_bits;
  ts_hw_counters s; /* the sparse run's counters */
} sp_point;

static void sp_add(sp_point *a, const sp_point *b) {
  a->dense_cycles += b->dense_cycles;
  a->sparse_cycles += b->sparse_cycles;
  a->auto_cycles += b->auto_cycles;
  a->auto_sparse += b->auto_sparse;
  a->dense_macs += b->dense_macs;
  a->nz_macs += b->nz_macs;
  a->dense_bits += b->dense_bits;
  a->sparse_bits += b->sparse_bits;
  a->s.cycles += b->s.cycles;
  a->s.lane_run += b->s.lane_run;
  a->s.lane_load += b->s.lane_load;
  a->s.lane_stall += b->s.lane_stall;
  a->s.lane_idle += b->s.lane_idle;
  a->s.wport_cycles += b->s.wport_cycles;
  a->s.tiles += b->s.tiles;
  a->s.plan_cycles += b->s.plan_cycles;
}

/* Runs g (x random) in dense and sparse mode; fills p. */
static int sp_measure(ts_hw *hw, const ts_int_gemm *g, ts_rng *r, sp_point *p,
                      ts_error *err) {
  uint8_t *x = malloc((size_t)g->k * g->n);
  int64_t *y = malloc(sizeof *y * (size_t)g->m * g->n);
  int ok = x && y;
  for (size_t i = 0; ok && i < (size_t)g->k * g->n; i++) x[i] = (uint8_t)ts_rng_below(r, 256);
  ts_hw_counters d = {0}, s = {0}, a = {0};
  ts_sparse_size sz;
  int used = 0;
  ok = ok && ts_hw_gemm(hw, g, x, y, &d, err) == TS_OK &&
       ts_hw_gemm_sparse(hw, g, NULL, x, y, &s, err) == TS_OK &&
       ts_hw_gemm_auto(hw, g, x, y, &a, &used, err) == TS_OK &&
       ts_sparse_size_of(g->w, g->m, g->k, g->wbits, &sz, err) == TS_OK;
  if (ok) {
    memset(p, 0, sizeof *p);
    p->dense_cycles = d.cycles;
    p->sparse_cycles = s.cycles;
    p->auto_cycles = a.cycles;
    p->auto_sparse = used;
    p->dense_macs = d.macs;
    p->nz_macs = s.useful_macs;
    p->dense_bits = sz.dense_bits;
    p->sparse_bits = sz.bits;
    p->s = s;
  }
  free(x);
  free(y);
  return ok;
}

/* One table row. fc: the goal is dense bits / compressed bits (the layer
 * is weight-port bound), else the ideal 1/(1-s). Returns 1 when short. */
static int sp_print(const char *src, const char *name, double sp, const sp_point *p, int fc) {
  const double speed = (double)p->dense_cycles / (double)p->sparse_cycles;
  const double ideal = p->nz_macs ? (double)p->dense_macs / (double)p->nz_macs : 0.0;
  const double bits = (double)p->dense_bits / (double)p->sparse_bits;
  const double goal = fc ? bits : ideal;
  const double lanecyc = (double)p->s.cycles * ts_hw_rows();
  const double run = p->s.lane_run / lanecyc, load = p->s.lane_load / lanecyc,
               stall = p->s.lane_stall / lanecyc, idle = p->s.lane_idle / lanecyc,
               wport = (double)p->s.wport_cycles / (double)p->s.cycles;
  const int short_ = ideal > 0 && speed < 0.85 * goal;
  const char *bound = "-";
  if (short_) {
    /* The largest non-issuing share of lane-cycles names the resource. */
    bound = wport > 0.8 ? "port" : load >= stall && load >= idle ? "load/fill"
            : stall >= idle ? "output stage" : "imbalance/tail";
  }
  printf("%-5s %-7s %5.0f%% %6.1f%% %8llu %8llu %6llu %7.2f %5.2f%c %7.2f %6.2f %6s %6.0f%% | %5.1f %5.1f %5.1f %5.1f %5.1f %s\n",
         src, name, 100 * sp, ideal > 0 ? 100.0 * (1.0 - 1.0 / ideal) : 100.0,
         (unsigned long long)p->dense_cycles, (unsigned long long)p->sparse_cycles,
         (unsigned long long)p->s.plan_cycles, speed,
         (double)p->dense_cycles / (double)p->auto_cycles, p->auto_sparse ? 's' : 'd', ideal,
         bits, fc ? "bits" : "ideal", ideal > 0 ? 100.0 * speed / goal : 0.0, 100 * run,
         100 * load, 100 * stall, 100 * idle, 100 * wport, bound);
  return short_;
}

static void sp_header(void) {
  printf("%-5s %-7s %6s %7s %8s %8s %6s %7s %6s %7s %6s %6s %7s | %5s %5s %5s %5s %5s %s\n", "src",
         "layer", "prune", "zeros", "dense", "sparse", "(plan)", "speedup", "auto", "ideal", "bits", "goal",
         "of goal", "issue", "load", "stall", "idle", "wport", "short: bound");
}

/* Random codes at B bits, each zero with probability s. */
static void random_codes(ts_rng *r, int32_t *w, size_t n, int b, double s) {
  const int32_t lo = -(1 << (b - 1)), span = 1 << b;
  for (size_t i = 0; i < n; i++) {
    int32_t v = 0;
    if (ts_rng_uniform(r) >= s)
      do v = lo + (int32_t)ts_rng_below(r, (uint64_t)span); while (v == 0);
    w[i] = v;
  }
}

/* Calibration images for the model: CIFAR-100 test images from dir, or
 * random ones in the normalised range. [n][3][32][32]. */
static float *calib_images(const char *dir, int n, int *real) {
  float *x = malloc(sizeof *x * (size_t)n * 3 * 32 * 32);
  *real = 0;
  if (!x) return NULL;
  if (dir) {
    ts_dataset *ds = NULL;
    ts_error err = {0};
    ts_norm nm;
    int *idx = malloc(sizeof *idx * (size_t)n);
    if (idx && ts_dataset_load_n(TS_DS_CIFAR100, dir, TS_SPLIT_TEST, 0, n, &ds, &err) == TS_OK &&
        ds->n == n && ts_dataset_norm(ds, &nm, &err) == TS_OK) {
      for (int i = 0; i < n; i++) idx[i] = i;
      *real = ts_dataset_batch(ds, &nm, idx, n, x, NULL, &err) == TS_OK;
    }
    free(idx);
    ts_dataset_destroy(ds);
  }
  if (!*real) {
    ts_rng r;
    ts_rng_seed(&r, 99);
    for (size_t i = 0; i < (size_t)n * 3 * 32 * 32; i++) x[i] = 4.0f * (float)ts_rng_uniform(&r) - 2.0f;
  }
  return x;
}

/* The table for one source: model (path non-NULL) or random. Returns the
 * number of points short of their goal, or -1 on error. */
static int sp_table(ts_hw *hw, const ts_layer_info *L, const char *model, const float *calib,
                    int ncalib, int batch) {
  char src[16]; /* model / random for one image, modN / rndN for a batch of N */
  if (batch > 1)
    snprintf(src, sizeof src, "%s%d", model ? "mod" : "rnd", batch);
  else
    snprintf(src, sizeof src, "%s", model ? "model" : "random");
  ts_rng r;
  ts_rng_seed(&r, 7);
  int shorts = 0;
  ts_error err = {0};
  for (int si = 0; si < NSP; si++) {
    const double sp = kSparsity[si];
    ts_qnet *q = NULL;
    if (model) {
      ts_net *net = NULL;
      if (ts_weights_load(model, NULL, &net, &err) != TS_OK ||
          ts_prune_net(net, sp, &err) != TS_OK ||
          ts_qnet_create(net, SP_BITS, TS_QUANT_PER_CHANNEL, calib, ncalib, &q, &err) != TS_OK) {
        fprintf(stderr, "bench_hw: model %s: %s\n", model, err.msg);
        ts_net_destroy(net);
        return -1;
      }
      ts_net_destroy(net);
    }
    sp_point net_pt, conv_pt;
    memset(&net_pt, 0, sizeof net_pt);
    memset(&conv_pt, 0, sizeof conv_pt);
    for (int li = 0; li < TS_NUM_LAYERS; li++) {
      ts_int_gemm g;
      int32_t *w = NULL;
      if (q) {
        if (ts_qnet_layer(q, li, &g, &err) != TS_OK) return -1;
      } else {
        const int m = L[li].gemm_m, k = L[li].gemm_k;
        w = malloc(sizeof *w * (size_t)m * k);
        if (!w) return -1;
        random_codes(&r, w, (size_t)m * k, SP_BITS, sp);
        g = (ts_int_gemm){m, k, L[li].gemm_n, SP_BITS, 0, TS_INT_OUT_ACC, w, NULL, NULL, NULL};
      }
      /* A batch: conv N = pixels x images, FC N = images (as hw-run --batch). */
      g.n = L[li].kind == TS_LAYER_CONV ? L[li].gemm_n * batch : batch;
      sp_point p;
      if (!sp_measure(hw, &g, &r, &p, &err)) {
        fprintf(stderr, "bench_hw: %s %s: %s\n", src, L[li].name, err.msg);
        free(w);
        return -1;
      }
      free(w);
      shorts += sp_print(src, L[li].name, sp, &p, L[li].kind == TS_LAYER_FC);
      sp_add(&net_pt, &p);
      if (L[li].kind == TS_LAYER_CONV) sp_add(&conv_pt, &p);
    }
    sp_print(src, "conv", sp, &conv_pt, 0);
    shorts += sp_print(src, "network", sp, &net_pt, 0);
    ts_qnet_destroy(q);
  }
  return shorts;
}

int main(int argc, char **argv) {
  int reps = 3, dense_only = 0;
  const char *model = getenv("TESSERA_MODEL"), *data = getenv("TESSERA_CIFAR100_DIR");
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--model") && i + 1 < argc) {
      model = argv[++i];
    } else if (!strcmp(argv[i], "--data") && i + 1 < argc) {
      data = argv[++i];
    } else if (!strcmp(argv[i], "--dense-only")) {
      dense_only = 1; /* part 1 alone: the simulation-speed comparison */
    } else if (atoi(argv[i]) > 0) {
      reps = atoi(argv[i]);
    } else {
      fprintf(stderr, "usage: bench_hw [reps] [--model model.safetensors] [--data cifar-100-dir] "
                      "[--dense-only]\n");
      return 2;
    }
  }
  ts_error err = {0};
  ts_arch a;
  ts_layer_info L[TS_NUM_LAYERS];
  ts_arch_default(&a, 3, 32, 32, 100);
  if (ts_arch_layers(&a, L, &err) != TS_OK) {
    fprintf(stderr, "bench_hw: %s\n", err.msg);
    return 1;
  }
  ts_hw *hw = NULL;
  if (ts_hw_create(NULL, &hw, &err) != TS_OK) {
    fprintf(stderr, "bench_hw: %s\n", err.msg);
    return 1;
  }
  const int pes = ts_hw_rows() * ts_hw_cols();
  ts_rng r;
  ts_rng_seed(&r, 1);
  printf("Tessera accelerator, %dx%d array, dense, random values\n",
         ts_hw_rows(), ts_hw_cols());
  printf("%-6s %3s %5s %5s %5s %6s %9s %9s %8s %6s %6s %8s\n", "layer", "B",
         "M", "K", "N", "runs", "MACs", "cycles", "ideal", "util", "wport",
         "bound");
  const int widths[] = {4, 8, 16};
  const int batches[] = {1, 16};
  double sim_s = 0, sim_cpu = 0;
  uint64_t sim_cycles = 0;
  for (int bi = 0; bi < 2; bi++)
    for (int wi = 0; wi < 3; wi++) {
      const int B = widths[wi];
      for (int li = 0; li < TS_NUM_LAYERS; li++) {
        const int m = L[li].gemm_m, k = L[li].gemm_k;
        /* Conv: N = output pixels of one image; FC: N = images in a batch. */
        const int n = L[li].kind == TS_LAYER_CONV ? L[li].gemm_n * batches[bi]
                                                  : batches[bi];
        layer_buf b;
        if (!alloc_layer(&b, m, k, n)) {
          fprintf(stderr, "bench_hw: out of memory\n");
          return 1;
        }
        for (long i = 0; i < (long)m * k; i++)
          b.w[i] = (int32_t)ts_rng_below(&r, 1u << B) - (1 << (B - 1));
        for (long i = 0; i < (long)k * n; i++) b.x[i] = (uint8_t)ts_rng_below(&r, 256);
        for (int i = 0; i < m; i++) {
          b.mult[i] = 20000;
          b.shift[i] = (uint8_t)(20 + B);
        }
        ts_int_gemm g = {m, k, n, B, 0, TS_INT_OUT_U8, b.w, b.bias, b.mult, b.shift};
        ts_hw_counters c = {0};
        const uint64_t c0 = ts_hw_sim_cycles(hw);
        const double t0 = now_s(), u0 = cpu_s();
        for (int rep = 0; rep < reps; rep++) {
          if (ts_hw_gemm(hw, &g, b.x, b.y, &c, &err) != TS_OK) {
            fprintf(stderr, "bench_hw: %s: %s\n", L[li].name, err.msg);
            return 1;
          }
        }
        sim_s += now_s() - t0;
        sim_cpu += cpu_s() - u0;
        sim_cycles += ts_hw_sim_cycles(hw) - c0;
        const double ideal = (double)c.macs / pes;
        const double run_per_lane = (double)c.lane_run / ts_hw_rows();
        printf("%-6s %3d %5d %5d %5d %6llu %9llu %9llu %8.0f %5.1f%% %5.1f%% %8s\n",
               L[li].name, B, m, k, n, (unsigned long long)c.runs,
               (unsigned long long)c.macs, (unsigned long long)c.cycles, ideal,
               100.0 * ideal / (double)c.cycles,
               100.0 * (double)c.wport_cycles / (double)c.cycles,
               (double)c.wport_cycles > run_per_lane ? "fetch" : "compute");
        free_layer(&b);
      }
      if (bi == 0 && wi == 2) printf("-- batch of 16 images (conv N x16, FC N = 16)\n");
    }
  printf("simulated %llu cycles (compute + host-port writes; bulk loads are backdoor) in %.2f s wall, %.2f s CPU: "
         "%.2f M cycles/s wall, %.2f M cycles per CPU second\n",
         (unsigned long long)sim_cycles, sim_s, sim_cpu,
         (double)sim_cycles / sim_s / 1e6, (double)sim_cycles / sim_cpu / 1e6);
  if (dense_only) {
    ts_hw_destroy(hw);
    return 0;
  }
  printf("\nZero-skipping: dense vs sparse mode on the same RTL, one image, B = %d, "
         "activations random (timing does not depend on them)\n", SP_BITS);
  printf("speedup = dense cycles / sparse cycles (plan: the planner's estimate); auto = "
         "ts_hw_gemm_auto's speedup, d/s the mode it chose (network: s if any layer); ideal = dense MACs / non-zero MACs = "
         "1/(1-s); bits = dense-packed / compressed weight bits (the FC goal: weight-port "
         "bound); lane-cycle shares of the sparse run in %%\n");
  sp_header();
  int shorts = 0;
  if (model) {
    int real = 0;
    float *calib = calib_images(data, 64, &real);
    printf("(a) %s, magnitude-pruned per layer (ts_prune_net), B = %d per channel, calibrated on "
           "%s\n", model, SP_BITS, real ? "64 CIFAR-100 test images" : "64 random images");
    int sh = calib ? sp_table(hw, L, model, calib, 64, 1) : -1;
    /* Batches: 16 is hw-run's default; at 64 the FC layers reuse each
     * weight 64 times and stop being weight-port bound (docs/hw.md). */
    const int sp_batches[] = {16, 64};
    for (int bi = 0; bi < 2 && sh >= 0; bi++) {
      printf("(a, batch) the same weights, a batch of %d images per GEMM (conv N x %d, FC N = %d%s)\n",
             sp_batches[bi], sp_batches[bi], sp_batches[bi],
             sp_batches[bi] == 16 ? "; hw-run's default" : "");
      const int shb = sp_table(hw, L, model, calib, 64, sp_batches[bi]);
      sh = shb < 0 ? -1 : sh + shb;
    }
    free(calib);
    if (sh < 0) return 1;
    shorts += sh;
  } else {
    printf("(a) no trained model (--model or TESSERA_MODEL): real pruned weights skipped, "
           "random patterns only\n");
  }
  printf("(b) random unstructured patterns, B = %d\n", SP_BITS);
  const int sh = sp_table(hw, L, NULL, NULL, 0, 1);
  if (sh < 0) return 1;
  shorts += sh;
  printf("points short of 85%% of their goal (layers and network): %d\n", shorts);
  ts_hw_destroy(hw);
  return 0;
}
