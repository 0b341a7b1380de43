/* Training and inference throughput of the reference CNN on random data
 * (batch-sized calls, like the PyTorch anchor in sw/py/torch_anchor.py),
 * plus the SGEMM ceiling of the BLAS it links, so that the GFLOP/s figure
 * can be judged. Prints one `key=value` line per measurement.
 *
 * usage: bench_cnn [--threads T] [--batch B] [--seconds S] [--k1 K] [--k2 K]
 *                  [--classes C] [--side H] [--channels C] */
#include <blis.h>
#include <cblas.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "ts_net.h"
#include "ts_rng.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

/* CPU seconds of the whole process: with other work on the machine,
 * images per CPU-second is steadier than images per wall second. */
static double cpu_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

/* Best-of-3 SGEMM rate for n x n x n, in GFLOP/s, on `threads` threads. */
static double sgemm_peak(int n, int threads) {
  float *a = malloc(sizeof(float) * n * n), *b = malloc(sizeof(float) * n * n),
        *c = malloc(sizeof(float) * n * n);
  for (long i = 0; i < (long)n * n; i++) a[i] = b[i] = 1.0f / (1 + i % 7);
  bli_thread_set_num_threads(threads);
  double best = 1e30;
  for (int r = 0; r < 3; r++) {
    double t0 = now();
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.f, a, n,
                b, n, 0.f, c, n);
    double dt = now() - t0;
    if (dt < best) best = dt;
  }
  bli_thread_set_num_threads(1);
  free(a);
  free(b);
  free(c);
  return 2.0 * n * n * (double)n / best / 1e9;
}

int main(int argc, char **argv) {
  int threads = 2, batch = 64, classes = 100, side = 32, chans = 3, k1 = 5, k2 = 5;
  double seconds = 3.0;
  for (int i = 1; i + 1 < argc; i += 2) {
    const char *f = argv[i], *v = argv[i + 1];
    if (!strcmp(f, "--threads")) threads = atoi(v);
    else if (!strcmp(f, "--batch")) batch = atoi(v);
    else if (!strcmp(f, "--seconds")) seconds = atof(v);
    else if (!strcmp(f, "--k1")) k1 = atoi(v);
    else if (!strcmp(f, "--k2")) k2 = atoi(v);
    else if (!strcmp(f, "--classes")) classes = atoi(v);
    else if (!strcmp(f, "--side")) side = atoi(v);
    else if (!strcmp(f, "--channels")) chans = atoi(v);
    else {
      fprintf(stderr, "bench_cnn: unknown flag %s\n", f);
      return 2;
    }
  }
  ts_cli_select_blas();
  ts_arch a;
  ts_arch_default(&a, chans, side, side, classes);
  a.k1 = k1;
  a.k2 = k2;
  ts_error err = {0};
  ts_net *net = NULL;
  ts_trainer *tr = NULL;
  if (ts_net_create(&a, &net, &err) || ts_trainer_create(net, batch, threads, &tr, &err)) {
    fprintf(stderr, "bench_cnn: %s\n", err.msg);
    return 1;
  }
  ts_net_init(net, 1);
  const int pool = 16; /* distinct batches cycled through */
  const long img = (long)chans * side * side;
  float *x = malloc(sizeof(float) * img * batch * pool);
  int *y = malloc(sizeof(int) * batch * pool);
  float *logits = malloc(sizeof(float) * classes * batch * pool);
  ts_rng rng;
  ts_rng_seed(&rng, 2);
  for (long i = 0; i < img * batch * pool; i++) x[i] = ts_rng_uniform(&rng) * 2 - 1;
  for (int i = 0; i < batch * pool; i++) y[i] = (int)ts_rng_below(&rng, classes);
  const ts_sgd opt = {0.01f, 0.9f, 5e-4f};

  /* training */
  long done = 0;
  double t0 = now(), c0 = cpu_now(), t;
  for (int i = 0; (t = now() - t0) < seconds || i < 3; i++) {
    const int b = i % pool;
    if (ts_trainer_step(tr, &opt, x + b * batch * img, y + b * batch, batch,
                        NULL, NULL, &err)) {
      fprintf(stderr, "bench_cnn: %s\n", err.msg);
      return 1;
    }
    done += batch;
  }
  const double train_ips = done / t, train_cpu = done / (cpu_now() - c0);
  /* inference: calls of `batch` images, as PyTorch's benchmark runs it */
  ts_infer *ctx = NULL;
  if (ts_infer_create(net, threads, &ctx, &err)) {
    fprintf(stderr, "bench_cnn: %s\n", err.msg);
    return 1;
  }
  done = 0;
  t0 = now();
  c0 = cpu_now();
  for (int i = 0; (t = now() - t0) < seconds || done == 0; i++) {
    const int b = i % pool;
    if (ts_infer_run(ctx, x + b * batch * img, batch, logits, &err)) {
      fprintf(stderr, "bench_cnn: %s\n", err.msg);
      return 1;
    }
    done += batch;
  }
  const double infer_ips = done / t, infer_cpu = done / (cpu_now() - c0);
  ts_infer_destroy(ctx);
  const double macs = (double)ts_arch_macs(&a);
  const double peak = sgemm_peak(2048, threads);
  printf("arch=%dx%dx%d k1=%d k2=%d classes=%d batch=%d threads=%d\n", chans,
         side, side, k1, k2, classes, batch, threads);
  printf("blas=BLIS %s arch=%s\n", bli_info_get_version_str(),
         bli_arch_string(bli_arch_query_id()));
  printf("macs_per_img=%.0f\n", macs);
  printf("train_img_per_s=%.0f\n", train_ips);
  printf("infer_img_per_s=%.0f\n", infer_ips);
  printf("train_img_per_cpu_s=%.0f\n", train_cpu);
  printf("infer_img_per_cpu_s=%.0f\n", infer_cpu);
  /* training = forward + two backward GEMMs per layer: ~3x forward FLOPs */
  printf("train_gflops=%.1f\n", train_ips * macs * 2 * 3 / 1e9);
  printf("infer_gflops=%.1f\n", infer_ips * macs * 2 / 1e9);
  printf("sgemm2048_peak_gflops=%.1f\n", peak);
  free(x);
  free(y);
  free(logits);
  ts_trainer_destroy(tr);
  ts_net_destroy(net);
  return 0;
}
