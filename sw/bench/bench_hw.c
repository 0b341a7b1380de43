/* C harness for the simulated accelerator (compiled as C, links the C++
 * shim): simulated cycles per second of the Rows x Cols array, and dense
 * per-layer utilization of the default CNN's GEMMs (CIFAR 3x32x32, 100
 * classes) at several weight widths.
 *
 *   make hw-bench            (or build/hw/bench_hw [reps])
 *
 * Utilization = useful MACs / (cycles x PEs). A layer is "fetch" bound when
 * the shared weight port was busy for more cycles than the average lane
 * spent issuing MACs. Values are random: the dense array's timing does not
 * depend on them. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "ts_arch.h"
#include "ts_hw.h"
#include "ts_int.h"
#include "ts_rng.h"

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

int main(int argc, char **argv) {
  const int reps = argc > 1 ? atoi(argv[1]) : 3;
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
  ts_hw_destroy(hw);
  return 0;
}
