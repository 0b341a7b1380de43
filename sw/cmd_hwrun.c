/* tessera hw-run: the trained CNN as an integer network on the simulated
 * accelerator (sim/ts_hw.h), layer by layer, with per-layer cycles and
 * utilization, and the accuracy table FP32 / fake-quant / integer golden
 * for B = 1..16. docs/hw.md describes the output files. */
#include <cjson/cJSON.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cli_model.h"
#include "cli_opts.h"
#include "commands.h"
#include "study.h"
#include "ts_atomic.h"
#include "ts_eval.h"
#include "ts_hw.h"
#include "ts_qnet.h"
#include "ts_quant.h"

static const char *const USAGE =
    "usage: tessera hw-run [--model FILE] [--dataset NAME] [--data DIR] [--coarse]\n"
    "                      [--bits B] [--scheme per-tensor|per-channel] [--images N]\n"
    "                      [--batch N] [--calib N] [--acc-images N] [--threads T]\n"
    "                      [--out DIR] [--check] [--no-table]\n"
    "Runs the first N test images (default 64) through the integer CNN on the\n"
    "simulated 16x16 array (RTL, Verilator), layer by layer, B-bit weights\n"
    "(default 8) and 8-bit activations calibrated on --calib training images\n"
    "(default 256). Prints per-layer cycles, useful MACs, utilization = MACs /\n"
    "(cycles x PEs), weight-port busy share, fetch- or compute-bound, and the\n"
    "accuracy. --check compares every logit with the C golden model and fails\n"
    "on any difference. --batch images share one GEMM per layer (default 16).\n"
    "The accuracy table (FP32, weight-only fake-quant, integer golden; B = 1..16,\n"
    "both schemes) uses --acc-images test images (default all; --no-table skips\n"
    "it). Writes OUT/hw.csv, OUT/hw_accuracy.csv and OUT/hw.json (default out/).\n";

typedef struct layer_cnt {
  ts_hw_counters c[TS_NUM_LAYERS];
} layer_cnt;

typedef struct hw_ctx {
  ts_hw *hw;
  layer_cnt cnt;
} hw_ctx;

static ts_status hw_exec(void *ctx, int layer, const ts_int_gemm *g,
                         const uint8_t *x, int64_t *y, ts_error *err) {
  hw_ctx *h = ctx;
  ts_hw_counters c = {0};
  ts_status st = ts_hw_gemm(h->hw, g, x, y, &c, err);
  ts_hw_counters *t = &h->cnt.c[layer];
  t->cycles += c.cycles;
  t->macs += c.macs;
  t->wport_cycles += c.wport_cycles;
  t->lane_run += c.lane_run;
  t->lane_load += c.lane_load;
  t->lane_stall += c.lane_stall;
  t->host_cycles += c.host_cycles;
  t->runs += c.runs;
  return st;
}

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Integer predictions of images [first, first + n) of ds, in chunks of
 * `batch`, on `threads` threads; gemm NULL = golden kernel, else hws[t] is
 * thread t's context. logits (nullable): [n][classes]. */
typedef struct run_args {
  const ts_qnet *q;
  const ts_dataset *ds;
  const ts_norm *nm;
  int n, batch, threads;
  hw_ctx *hws; /* [threads] or NULL */
  int *pred;   /* [n] */
  int64_t *logits;
} run_args;

static ts_status run_images(const run_args *a, ts_error *err) {
  const int chunks = (a->n + a->batch - 1) / a->batch;
  const size_t px = ts_qnet_image_bytes(a->q);
  const int C = ts_qnet_classes(a->q);
  ts_status st_all = TS_OK;
#pragma omp parallel num_threads(a->threads)
  {
    const int t = omp_get_thread_num();
    float *x = malloc(sizeof *x * px * a->batch);
    uint8_t *b = malloc(px * a->batch);
    int64_t *lg = malloc(sizeof *lg * (size_t)C * a->batch);
    int *idx = malloc(sizeof *idx * a->batch);
    ts_error e = {0};
    ts_status st = (x && b && lg && idx) ? TS_OK
                                          : ts_fail(&e, TS_E_NOMEM, "hw-run: no memory");
#pragma omp for schedule(dynamic, 1)
    for (int ch = 0; ch < chunks; ch++) {
      if (st) continue;
      const int first = ch * a->batch;
      const int n = a->n - first < a->batch ? a->n - first : a->batch;
      for (int i = 0; i < n; i++) idx[i] = first + i;
      if ((st = ts_dataset_batch(a->ds, a->nm, idx, n, x, NULL, &e))) continue;
      if ((st = ts_qnet_quantize_input(a->q, x, px * n, b, &e))) continue;
      if ((st = ts_qnet_run(a->q, b, n, a->hws ? hw_exec : NULL,
                            a->hws ? &a->hws[t] : NULL, lg, &e)))
        continue;
      ts_qnet_predict(a->q, lg, n, a->pred + first);
      if (a->logits) memcpy(a->logits + (size_t)first * C, lg, sizeof *lg * (size_t)C * n);
    }
#pragma omp critical
    if (st && !st_all) {
      st_all = st;
      if (err) *err = e;
    }
    free(x);
    free(b);
    free(lg);
    free(idx);
  }
  return st_all;
}

static double accuracy(const int *pred, const uint8_t *labels, int n) {
  int ok = 0;
  for (int i = 0; i < n; i++) ok += pred[i] == labels[i];
  return n ? (double)ok / n : 0;
}

/* ---- Output files ------------------------------------------------------ */

typedef struct acc_row {
  int bits;
  ts_quant_scheme scheme;
  double fp32, fake, golden;
} acc_row;

typedef struct outputs {
  const ts_layer_info *info;
  const layer_cnt *cnt;
  int bits, images, batch, threads;
  ts_quant_scheme scheme;
  double rtl_acc, golden_acc, sim_s;
  int checked, mismatches;
  uint64_t sim_cycles;
  const acc_row *rows;
  int nrows, acc_images;
  const char *model, *dataset;
} outputs;

static const char *bound_of(const ts_hw_counters *c) {
  /* Fetch-bound: the shared weight port was busier than the average lane
   * was issuing MACs (the lanes waited for weights). */
  return (double)c->wport_cycles > (double)c->lane_run / ts_hw_rows() ? "fetch" : "compute";
}

static double util_of(const ts_hw_counters *c) {
  return c->cycles ? (double)c->macs / ((double)c->cycles * ts_hw_rows() * ts_hw_cols()) : 0;
}

static ts_status write_hw_csv(FILE *fp, void *user, ts_error *err) {
  (void)err;
  const outputs *o = user;
  fprintf(fp, "layer,bits,scheme,images,batch,m,k,n,runs,macs,cycles,ideal_cycles,"
              "utilization,wport_busy,bound\n");
  for (int l = 0; l < TS_NUM_LAYERS; l++) {
    const ts_hw_counters *c = &o->cnt->c[l];
    const ts_layer_info *I = &o->info[l];
    fprintf(fp, "%s,%d,%s,%d,%d,%d,%d,%d,%llu,%llu,%llu,%.1f,%.4f,%.4f,%s\n", I->name, o->bits,
            ts_quant_scheme_name(o->scheme), o->images, o->batch, I->gemm_m, I->gemm_k,
            I->gemm_n, (unsigned long long)c->runs, (unsigned long long)c->macs,
            (unsigned long long)c->cycles,
            (double)c->macs / (ts_hw_rows() * ts_hw_cols()), util_of(c),
            c->cycles ? (double)c->wport_cycles / c->cycles : 0, bound_of(c));
  }
  return ferror(fp) ? TS_E_IO : TS_OK;
}

static ts_status write_acc_csv(FILE *fp, void *user, ts_error *err) {
  (void)err;
  const outputs *o = user;
  fprintf(fp, "bits,scheme,images,fp32_accuracy,fakequant_accuracy,int_golden_accuracy\n");
  for (int i = 0; i < o->nrows; i++)
    fprintf(fp, "%d,%s,%d,%.4f,%.4f,%.4f\n", o->rows[i].bits,
            ts_quant_scheme_name(o->rows[i].scheme), o->acc_images, o->rows[i].fp32,
            o->rows[i].fake, o->rows[i].golden);
  return ferror(fp) ? TS_E_IO : TS_OK;
}

static ts_status write_json(FILE *fp, void *user, ts_error *err) {
  const outputs *o = user;
  cJSON *root = cJSON_CreateObject();
  if (!root) return ts_fail(err, TS_E_NOMEM, "hw-run: no memory for JSON");
  cJSON_AddStringToObject(root, "model", o->model);
  cJSON_AddStringToObject(root, "dataset", o->dataset);
  cJSON_AddNumberToObject(root, "bits", o->bits);
  cJSON_AddStringToObject(root, "scheme", ts_quant_scheme_name(o->scheme));
  cJSON_AddNumberToObject(root, "images", o->images);
  cJSON_AddNumberToObject(root, "batch", o->batch);
  cJSON_AddNumberToObject(root, "threads", o->threads);
  cJSON_AddNumberToObject(root, "rows", ts_hw_rows());
  cJSON_AddNumberToObject(root, "cols", ts_hw_cols());
  cJSON_AddNumberToObject(root, "rtl_accuracy", o->rtl_acc);
  cJSON_AddNumberToObject(root, "golden_accuracy", o->golden_acc);
  cJSON_AddBoolToObject(root, "checked", o->checked);
  cJSON_AddNumberToObject(root, "mismatches", o->mismatches);
  cJSON_AddNumberToObject(root, "sim_cycles", (double)o->sim_cycles);
  cJSON_AddNumberToObject(root, "sim_seconds", o->sim_s);
  cJSON *layers = cJSON_AddArrayToObject(root, "layers");
  for (int l = 0; layers && l < TS_NUM_LAYERS; l++) {
    const ts_hw_counters *c = &o->cnt->c[l];
    cJSON *L = cJSON_CreateObject();
    if (!L) break;
    cJSON_AddStringToObject(L, "layer", o->info[l].name);
    cJSON_AddNumberToObject(L, "macs", (double)c->macs);
    cJSON_AddNumberToObject(L, "cycles", (double)c->cycles);
    cJSON_AddNumberToObject(L, "utilization", util_of(c));
    cJSON_AddNumberToObject(L, "wport_busy", c->cycles ? (double)c->wport_cycles / c->cycles : 0);
    cJSON_AddStringToObject(L, "bound", bound_of(c));
    cJSON_AddItemToArray(layers, L);
  }
  cJSON *acc = cJSON_AddArrayToObject(root, "accuracy");
  for (int i = 0; acc && i < o->nrows; i++) {
    cJSON *r = cJSON_CreateObject();
    if (!r) break;
    cJSON_AddNumberToObject(r, "bits", o->rows[i].bits);
    cJSON_AddStringToObject(r, "scheme", ts_quant_scheme_name(o->rows[i].scheme));
    cJSON_AddNumberToObject(r, "fp32", o->rows[i].fp32);
    cJSON_AddNumberToObject(r, "fakequant", o->rows[i].fake);
    cJSON_AddNumberToObject(r, "int_golden", o->rows[i].golden);
    cJSON_AddItemToArray(acc, r);
  }
  char *txt = cJSON_Print(root);
  cJSON_Delete(root);
  if (!txt) return ts_fail(err, TS_E_NOMEM, "hw-run: no memory for JSON text");
  fputs(txt, fp);
  fputc('\n', fp);
  free(txt);
  return ferror(fp) ? TS_E_IO : TS_OK;
}

/* ---- The command ------------------------------------------------------- */

/* Each thread simulates its own accelerator: more would only share the
 * same cores. */
#define HWRUN_MAX_THREADS 64

static int opt_scheme(const char *cmd, const char *flag, const char *arg, void *dst) {
  ts_error e = {0};
  if (!ts_quant_scheme_parse(arg, dst, &e)) return 0;
  fprintf(stderr, "tessera %s: %s: %s\n", cmd, flag, e.msg);
  return 1;
}

int ts_cmd_hwrun(int argc, char **argv) {
  const char *cmd = "hw-run";
  ts_cli_common c;
  ts_cli_common_default(&c);
  c.threads_max = HWRUN_MAX_THREADS;
  int bits = 8, images = 64, batch = 16, calib = 256, acc_images = 0;
  int check = 0, table = 1;
  ts_quant_scheme scheme = TS_QUANT_PER_CHANNEL;
  const ts_opt own[] = {TS_OPT_I("bits", &bits, TS_HW_WBITS_MIN, TS_HW_WBITS_MAX),
                        TS_OPT_CALL("scheme", opt_scheme, &scheme),
                        TS_OPT_I("images", &images, 1, 1 << 24),
                        TS_OPT_I("batch", &batch, 1, 256),
                        TS_OPT_I("calib", &calib, 1, 100000),
                        TS_OPT_I("acc-images", &acc_images, 1, 1 << 24),
                        TS_OPT_SWITCH("check", &check, 1),
                        TS_OPT_SWITCH("no-table", &table, 0)};
  const ts_cli_spec spec = {cmd, USAGE, TS_CLI_MODEL | TS_CLI_DATA_OPTS | TS_CLI_THREADS |
                            TS_CLI_OUT, own, TS_OPT_COUNT(own)};
  int rc;
  if (ts_cli_parse(&spec, argc, argv, &c, &rc)) return rc;
  const char *model = c.model, *out = c.out;
  ts_cli_data data = c.data;
  const int threads = c.threads;

  ts_error err = {0};
  ts_net *net = NULL;
  ts_dataset *test = NULL, *train = NULL;
  ts_qnet *q = NULL;
  hw_ctx *hws = NULL;
  float *cal = NULL, *saved = NULL;
  int *pred = NULL, *gpred = NULL;
  int64_t *lg = NULL, *glg = NULL;
  acc_row rows[2 * TS_HW_WBITS_MAX];
  int nrows = 0, mismatches = 0;
  rc = 1;
  ts_cli_model m;
  if (ts_cli_model_open(cmd, model, &data, &m)) goto done;
  const ts_norm nm = m.norm;
  const char *dsname = m.dataset;
  if (!(test = ts_cli_load(cmd, &data, TS_SPLIT_TEST))) goto done;
  ts_cli_data tdata = data;
  tdata.limit = calib;
  if (!(train = ts_cli_load(cmd, &tdata, TS_SPLIT_TRAIN)) ||
      ts_cli_model_net(cmd, &m, test, &net))
    goto done;
  if (images > test->n) {
    fprintf(stderr, "tessera hw-run: --images %d but the %s test split has %d images\n",
            images, dsname, test->n);
    rc = 2;
    goto done;
  }
  if (acc_images == 0 || acc_images > test->n) acc_images = test->n;
  if (calib > train->n) calib = train->n;
  const size_t px = (size_t)test->c * test->h * test->w;
  cal = malloc(sizeof *cal * px * calib);
  int *cidx = malloc(sizeof *cidx * calib);
  if (!cal || !cidx) {
    free(cidx);
    fprintf(stderr, "tessera hw-run: no memory for %d calibration images\n", calib);
    goto done;
  }
  for (int i = 0; i < calib; i++) cidx[i] = i;
  ts_status cst = ts_dataset_batch(train, &nm, cidx, calib, cal, NULL, &err);
  free(cidx);
  if (cst) {
    fprintf(stderr, "tessera hw-run: %s\n", err.msg);
    goto done;
  }
  printf("hw-run: %s on %s, %d test images on the RTL at B=%d %s, calibration on %d "
         "training images, batch %d, %d thread%s\n", model, dsname, images, bits,
         ts_quant_scheme_name(scheme), calib, batch, threads, threads > 1 ? "s" : "");

  /* ---- Accuracy table: pure C, fast ---- */
  if (table) {
    const double t0 = now_s();
    double fp32;
    const size_t np = ts_net_num_params(net);
    saved = malloc(sizeof *saved * np);
    gpred = malloc(sizeof *gpred * acc_images);
    if (!saved || !gpred) {
      fprintf(stderr, "tessera hw-run: no memory for the accuracy table\n");
      goto done;
    }
    memcpy(saved, ts_net_params_const(net), sizeof *saved * np);
    if (ts_evaluate(net, test, &nm, acc_images, threads, &fp32, NULL, &err)) {
      fprintf(stderr, "tessera hw-run: %s\n", err.msg);
      goto done;
    }
    printf("\naccuracy on %d %s test images (FP32 %.2f%%)\n", acc_images, dsname, 100 * fp32);
    printf("%4s  %-11s  %9s  %9s  %9s\n", "B", "scheme", "FP32", "fake-q", "int");
    for (int b = TS_HW_WBITS_MIN; b <= TS_HW_WBITS_MAX; b++)
      for (int s = 0; s < 2; s++) {
        acc_row *r = &rows[nrows++];
        r->bits = b;
        r->scheme = (ts_quant_scheme)s;
        r->fp32 = fp32;
        ts_qnet *tq = NULL;
        run_args ra = {NULL, test, &nm, acc_images, 64, threads, NULL, gpred, NULL};
        /* the integer net from the FP32 weights (quantizing the
         * fake-quantized ones again would give other codes), then the
         * fake-quantized float net */
        if (ts_qnet_create(net, b, r->scheme, cal, calib, &tq, &err) ||
            ts_quant_net(net, b, r->scheme, &err) ||
            ts_evaluate(net, test, &nm, acc_images, threads, &r->fake, NULL, &err)) {
          ts_qnet_destroy(tq);
          memcpy(ts_net_params(net), saved, sizeof *saved * np);
          fprintf(stderr, "tessera hw-run: B=%d %s: %s\n", b, ts_quant_scheme_name(r->scheme),
                  err.msg);
          goto done;
        }
        memcpy(ts_net_params(net), saved, sizeof *saved * np);
        ra.q = tq;
        ts_status st = run_images(&ra, &err);
        ts_qnet_destroy(tq);
        if (st) {
          fprintf(stderr, "tessera hw-run: B=%d: %s\n", b, err.msg);
          goto done;
        }
        r->golden = accuracy(gpred, test->labels, acc_images);
        printf("%4d  %-11s  %8.2f%%  %8.2f%%  %8.2f%%\n", b, ts_quant_scheme_name(r->scheme),
               100 * r->fp32, 100 * r->fake, 100 * r->golden);
      }
    printf("(table: %.1f s)\n", now_s() - t0);
  }

  /* ---- The RTL, layer by layer ---- */
  if (ts_qnet_create(net, bits, scheme, cal, calib, &q, &err)) {
    fprintf(stderr, "tessera hw-run: %s\n", err.msg);
    goto done;
  }
  hws = calloc((size_t)threads, sizeof *hws);
  pred = malloc(sizeof *pred * images);
  lg = malloc(sizeof *lg * (size_t)images * test->classes);
  if (!hws || !pred || !lg) {
    fprintf(stderr, "tessera hw-run: no memory\n");
    goto done;
  }
  for (int t = 0; t < threads; t++)
    if (ts_hw_create(NULL, &hws[t].hw, &err)) {
      fprintf(stderr, "tessera hw-run: %s\n", err.msg);
      goto done;
    }
  const double t0 = now_s();
  run_args ra = {q, test, &nm, images, batch, threads, hws, pred, lg};
  if (run_images(&ra, &err)) {
    fprintf(stderr, "tessera hw-run: RTL: %s\n", err.msg);
    goto done;
  }
  const double sim_s = now_s() - t0;
  layer_cnt tot = {0};
  uint64_t sim_cycles = 0;
  for (int t = 0; t < threads; t++) {
    sim_cycles += ts_hw_sim_cycles(hws[t].hw);
    for (int l = 0; l < TS_NUM_LAYERS; l++) {
      const ts_hw_counters *c = &hws[t].cnt.c[l];
      ts_hw_counters *d = &tot.c[l];
      d->cycles += c->cycles, d->macs += c->macs, d->wport_cycles += c->wport_cycles;
      d->lane_run += c->lane_run, d->lane_load += c->lane_load;
      d->lane_stall += c->lane_stall, d->host_cycles += c->host_cycles, d->runs += c->runs;
    }
  }
  const double rtl_acc = accuracy(pred, test->labels, images);
  double golden_acc = -1;
  if (check) {
    glg = malloc(sizeof *glg * (size_t)images * test->classes);
    int *gp = malloc(sizeof *gp * images);
    run_args ga = {q, test, &nm, images, batch, threads, NULL, gp, glg};
    if (!glg || !gp || run_images(&ga, &err)) {
      free(gp);
      fprintf(stderr, "tessera hw-run: golden: %s\n", glg && gp ? err.msg : "no memory");
      goto done;
    }
    golden_acc = accuracy(gp, test->labels, images);
    free(gp);
    const int C = test->classes;
    for (size_t i = 0; i < (size_t)images * C; i++)
      if (lg[i] != glg[i]) {
        if (mismatches < 10)
          fprintf(stderr, "tessera hw-run: MISMATCH image %zu logit %zu: RTL %lld, golden "
                  "%lld (diff %lld)\n", i / C, i % C, (long long)lg[i], (long long)glg[i],
                  (long long)(lg[i] - glg[i]));
        mismatches++;
      }
  }
  ts_layer_info info[TS_NUM_LAYERS];
  for (int l = 0; l < TS_NUM_LAYERS; l++) info[l] = *ts_net_layer(net, l);
  printf("\nRTL, %d images, B=%d %s, batch %d (util = MACs / (cycles x %d PEs); wport = "
         "weight-port busy / cycles)\n", images, bits, ts_quant_scheme_name(scheme), batch,
         ts_hw_rows() * ts_hw_cols());
  printf("%-6s %5s %5s %6s %12s %11s %7s %6s %8s\n", "layer", "M", "K", "N", "MACs", "cycles",
         "util", "wport", "bound");
  uint64_t all_c = 0, all_m = 0;
  for (int l = 0; l < TS_NUM_LAYERS; l++) {
    const ts_hw_counters *c = &tot.c[l];
    all_c += c->cycles, all_m += c->macs;
    printf("%-6s %5d %5d %6d %12llu %11llu %6.1f%% %5.1f%% %8s\n", info[l].name,
           info[l].gemm_m, info[l].gemm_k, info[l].gemm_n, (unsigned long long)c->macs,
           (unsigned long long)c->cycles, 100 * util_of(c),
           c->cycles ? 100.0 * c->wport_cycles / c->cycles : 0.0, bound_of(c));
  }
  printf("%-6s %5s %5s %6s %12llu %11llu %6.1f%%\n", "total", "", "", "",
         (unsigned long long)all_m, (unsigned long long)all_c,
         all_c ? 100.0 * all_m / ((double)all_c * ts_hw_rows() * ts_hw_cols()) : 0.0);
  printf("RTL accuracy on %d images: %.2f%%", images, 100 * rtl_acc);
  if (check) printf(" (golden %.2f%%)", 100 * golden_acc);
  /* Weights and activations are backdoor loads (docs/hw.md): these cycles
   * are compute cycles plus the host-port writes of parameters and jobs. */
  printf("\nsimulated %llu cycles (compute + host-port writes) in %.2f s wall: %.2f M cycles/s "
         "over %d thread%s, %.1f images/s\n", (unsigned long long)sim_cycles, sim_s,
         sim_s > 0 ? sim_cycles / sim_s / 1e6 : 0.0, threads, threads > 1 ? "s" : "",
         sim_s > 0 ? images / sim_s : 0.0);

  if (ts_cli_mkdirs(cmd, out)) goto done;
  outputs op = {info, &tot, bits, images, batch, threads, scheme, rtl_acc, golden_acc, sim_s,
                check, mismatches, sim_cycles, rows, nrows, acc_images, model, dsname};
  char p1[4096], p2[4096], p3[4096];
  if (ts_study_path(p1, sizeof p1, out, "hw.csv") ||
      ts_study_path(p2, sizeof p2, out, "hw_accuracy.csv") ||
      ts_study_path(p3, sizeof p3, out, "hw.json")) {
    fprintf(stderr, "tessera hw-run: --out '%s' is too long\n", out);
    goto done;
  }
  if (ts_atomic_write(p1, write_hw_csv, &op, &err) ||
      (table && ts_atomic_write(p2, write_acc_csv, &op, &err)) ||
      ts_atomic_write(p3, write_json, &op, &err)) {
    fprintf(stderr, "tessera hw-run: %s\n", err.msg);
    goto done;
  }
  printf("wrote %s%s%s, %s\n", p1, table ? ", " : "", table ? p2 : "", p3);
  if (check) {
    if (mismatches) {
      fprintf(stderr, "tessera hw-run: --check FAILED: %d of %lld logits differ between the "
              "RTL and the golden model\n", mismatches, (long long)images * test->classes);
      goto done;
    }
    printf("--check: all %lld logits of %d images equal the golden model's\n",
           (long long)images * test->classes, images);
  }
  rc = 0;
done:
  if (hws)
    for (int t = 0; t < threads; t++) ts_hw_destroy(hws[t].hw);
  free(hws);
  free(pred);
  free(gpred);
  free(lg);
  free(glg);
  free(cal);
  free(saved);
  ts_qnet_destroy(q);
  ts_cli_model_close(&m);
  ts_net_destroy(net);
  ts_dataset_destroy(test);
  ts_dataset_destroy(train);
  return rc;
}
