/* tessera hw-run: the trained CNN (optionally magnitude-pruned) as an
 * integer network on the simulated accelerator (sim/ts_hw.h), layer by
 * layer in dense, zero-skipping or automatic mode, with per-layer cycles
 * and utilization, and the accuracy table FP32 / fake-quant / integer
 * golden for B = 1..16. docs/hw.md describes the output files. */
#include <cjson/cJSON.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_model.h"
#include "cli_opts.h"
#include "commands.h"
#include "study.h"
#include "ts_atomic.h"
#include "ts_eval.h"
#include "ts_hw.h"
#include "ts_prune.h"
#include "ts_qnet.h"
#include "ts_quant.h"

static const char *const USAGE =
    "usage: tessera hw-run [--model FILE] [--dataset NAME] [--data DIR] [--coarse]\n"
    "                      [--bits B] [--scheme per-tensor|per-channel] [--images N]\n"
    "                      [--batch N] [--calib N] [--acc-images N] [--threads T]\n"
    "                      [--sparsity PCT] [--mode dense|sparse|auto]\n"
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
    "it). --sparsity prunes PCT percent of every layer's weights by magnitude\n"
    "(0..100, default 0) before quantizing; --mode runs each layer with every\n"
    "weight issued (dense), with the zero-skipping controller streaming the\n"
    "compressed filters (sparse), or in whichever the planner expects to be\n"
    "faster (auto, the default: dense below the crossover sparsity).\n"
    "Writes OUT/hw.csv, OUT/hw_accuracy.csv and OUT/hw.json (default out/).\n";

typedef enum hw_mode { HW_DENSE, HW_SPARSE, HW_AUTO } hw_mode;
static const char *const MODE_NAMES[] = {"dense", "sparse", "auto"};

typedef struct layer_cnt {
  ts_hw_counters c[TS_NUM_LAYERS];
  uint64_t sparse_calls[TS_NUM_LAYERS], calls[TS_NUM_LAYERS]; /* GEMMs, sparse of all */
} layer_cnt;

static void layer_cnt_add(layer_cnt *t, const layer_cnt *c) {
  for (int l = 0; l < TS_NUM_LAYERS; l++) {
    ts_hw_counters_add(&t->c[l], &c->c[l]);
    t->sparse_calls[l] += c->sparse_calls[l];
    t->calls[l] += c->calls[l];
  }
}

/* The mode layer l ran in: auto may choose differently per GEMM (a
 * partial last batch has other N), hence "mixed". */
static const char *mode_of(const layer_cnt *c, int l) {
  return c->sparse_calls[l] == 0 ? "dense" : c->sparse_calls[l] == c->calls[l] ? "sparse"
                                                                               : "mixed";
}

typedef struct hw_ctx {
  ts_hw *hw;
  hw_mode mode;
  layer_cnt cnt;
} hw_ctx;

static ts_status hw_exec(void *ctx, int layer, const ts_int_gemm *g,
                         const uint8_t *x, int64_t *y, ts_error *err) {
  hw_ctx *h = ctx;
  ts_hw_counters c = {0};
  int sparse = h->mode == HW_SPARSE;
  ts_status st = h->mode == HW_AUTO ? ts_hw_gemm_auto(h->hw, g, x, y, &c, &sparse, err)
                 : sparse           ? ts_hw_gemm_sparse(h->hw, g, NULL, x, y, &c, err)
                                    : ts_hw_gemm(h->hw, g, x, y, &c, err);
  ts_hw_counters_add(&h->cnt.c[layer], &c);
  h->cnt.sparse_calls[layer] += sparse != 0;
  h->cnt.calls[layer]++;
  return st;
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
  double sparsity; /* percent pruned per layer */
  hw_mode mode;
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
              "utilization,wport_busy,bound,sparsity,mode_asked,mode,useful_macs,skipped,"
              "lane_run,lane_load,lane_stall,lane_idle\n");
  for (int l = 0; l < TS_NUM_LAYERS; l++) {
    const ts_hw_counters *c = &o->cnt->c[l];
    const ts_layer_info *I = &o->info[l];
    fprintf(fp, "%s,%d,%s,%d,%d,%d,%d,%d,%llu,%llu,%llu,%.1f,%.4f,%.4f,%s,%g,%s,%s,%llu,%llu,"
            "%llu,%llu,%llu,%llu\n", I->name, o->bits,
            ts_quant_scheme_name(o->scheme), o->images, o->batch, I->gemm_m, I->gemm_k,
            I->gemm_n, (unsigned long long)c->runs, (unsigned long long)c->macs,
            (unsigned long long)c->cycles,
            (double)c->macs / (ts_hw_rows() * ts_hw_cols()), util_of(c),
            c->cycles ? (double)c->wport_cycles / c->cycles : 0, bound_of(c), o->sparsity,
            MODE_NAMES[o->mode], mode_of(o->cnt, l), (unsigned long long)c->useful_macs,
            (unsigned long long)c->skipped, (unsigned long long)c->lane_run,
            (unsigned long long)c->lane_load, (unsigned long long)c->lane_stall,
            (unsigned long long)c->lane_idle);
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
  cJSON_AddNumberToObject(root, "sparsity", o->sparsity);
  cJSON_AddStringToObject(root, "mode", MODE_NAMES[o->mode]);
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
    cJSON_AddStringToObject(L, "mode", mode_of(o->cnt, l));
    cJSON_AddNumberToObject(L, "macs", (double)c->macs);
    cJSON_AddNumberToObject(L, "useful_macs", (double)c->useful_macs);
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
#define HWRUN_TABLE_BATCH 64 /* images per chunk of the accuracy table */

static int opt_scheme(const char *cmd, const char *flag, const char *arg, void *dst) {
  ts_error e = {0};
  if (!ts_quant_scheme_parse(arg, dst, &e)) return 0;
  fprintf(stderr, "tessera %s: %s: %s\n", cmd, flag, e.msg);
  return 1;
}

typedef struct hwrun_args {
  ts_cli_common c;
  int bits, images, batch, calib, acc_images, check, table;
  ts_quant_scheme scheme;
  double sparsity; /* percent */
  hw_mode mode;
} hwrun_args;

static int opt_mode(const char *cmd, const char *flag, const char *arg, void *dst) {
  for (int m = 0; m < (int)(sizeof MODE_NAMES / sizeof *MODE_NAMES); m++)
    if (!strcmp(arg, MODE_NAMES[m])) {
      *(hw_mode *)dst = (hw_mode)m;
      return 0;
    }
  fprintf(stderr, "tessera %s: %s: '%s' is not a mode (dense, sparse or auto)\n", cmd, flag,
          arg);
  return 1;
}

/* Returns 0 to go on, else 1 with the exit code in *rc. */
static int parse_args(const char *cmd, int argc, char **argv, hwrun_args *a, int *rc) {
  *a = (hwrun_args){.bits = 8, .images = 64, .batch = 16, .calib = 256, .table = 1,
                    .scheme = TS_QUANT_PER_CHANNEL, .mode = HW_AUTO};
  ts_cli_common_default(&a->c);
  a->c.threads_max = HWRUN_MAX_THREADS;
  const ts_opt own[] = {TS_OPT_I("bits", &a->bits, TS_HW_WBITS_MIN, TS_HW_WBITS_MAX),
                        TS_OPT_CALL("scheme", opt_scheme, &a->scheme),
                        TS_OPT_I("images", &a->images, 1, 1 << 24),
                        TS_OPT_I("batch", &a->batch, 1, 256),
                        TS_OPT_I("calib", &a->calib, 1, 100000),
                        TS_OPT_I("acc-images", &a->acc_images, 1, 1 << 24),
                        TS_OPT_R("sparsity", &a->sparsity, 0, 100),
                        TS_OPT_CALL("mode", opt_mode, &a->mode),
                        TS_OPT_SWITCH("check", &a->check, 1),
                        TS_OPT_SWITCH("no-table", &a->table, 0)};
  const ts_cli_spec spec = {cmd, USAGE, TS_CLI_STUDY_OPTS, own, TS_OPT_COUNT(own)};
  return ts_cli_parse(&spec, argc, argv, &a->c, rc);
}

/* What the run reads. */
typedef struct hw_inputs {
  ts_cli_model m;
  ts_net *net;
  ts_dataset *test, *train;
  float *cal; /* [calib][c][h][w] normalised calibration images */
} hw_inputs;

static void free_inputs(hw_inputs *in) {
  ts_cli_model_close(&in->m);
  ts_net_destroy(in->net);
  ts_dataset_destroy(in->test);
  ts_dataset_destroy(in->train);
  free(in->cal);
}

/* The model, the test split and the first --calib training images, which
 * calibrate the activation scales. Clamps a->calib and a->acc_images to
 * the images there are. Returns an exit code. */
static int load_inputs(const char *cmd, hwrun_args *a, hw_inputs *in) {
  ts_cli_data tdata;
  if (ts_cli_model_open(cmd, a->c.model, &a->c.data, &in->m) ||
      !(in->test = ts_cli_load(cmd, &a->c.data, TS_SPLIT_TEST)))
    return 1;
  tdata = a->c.data;
  tdata.limit = a->calib;
  if (!(in->train = ts_cli_load(cmd, &tdata, TS_SPLIT_TRAIN)) ||
      ts_cli_model_net(cmd, &in->m, in->test, &in->net))
    return 1;
  ts_error err = {0};
  /* Pruned before anything is quantized: the accuracy table and the RTL
   * both see the pruned model. */
  if (a->sparsity > 0 && ts_prune_net(in->net, a->sparsity / 100, &err)) {
    ts_cli_error(cmd, &err);
    return 1;
  }
  const ts_dataset *test = in->test;
  if (a->images > test->n) {
    fprintf(stderr, "tessera %s: --images %d but the %s test split has %d images\n", cmd,
            a->images, in->m.dataset, test->n);
    return 2;
  }
  if (a->acc_images == 0 || a->acc_images > test->n) a->acc_images = test->n;
  if (a->calib > in->train->n) a->calib = in->train->n;
  const size_t px = (size_t)test->c * test->h * test->w;
  in->cal = malloc(sizeof *in->cal * px * a->calib);
  int *idx = malloc(sizeof *idx * a->calib);
  ts_status st = in->cal && idx ? TS_OK
                                : ts_fail(&err, TS_E_NOMEM, "no memory for %d calibration "
                                          "images", a->calib);
  for (int i = 0; !st && i < a->calib; i++) idx[i] = i;
  if (!st) st = ts_dataset_batch(in->train, &in->m.norm, idx, a->calib, in->cal, NULL, &err);
  free(idx);
  if (st) {
    ts_cli_error(cmd, &err);
    return 1;
  }
  return 0;
}

/* One row of the accuracy table: the fake-quantized float net and the
 * integer net at b bits. saved: the FP32 weights, restored after. */
static ts_status table_row(const hwrun_args *a, hw_inputs *in, const float *saved,
                           int *pred, acc_row *r, ts_error *err) {
  ts_net *net = in->net;
  const size_t np = ts_net_num_params(net);
  ts_qnet *q = NULL;
  /* the integer net from the FP32 weights (quantizing the fake-quantized
   * ones again would give other codes), then the fake-quantized float net */
  ts_status st = ts_qnet_create(net, r->bits, r->scheme, in->cal, a->calib, &q, err);
  if (!st) st = ts_quant_net(net, r->bits, r->scheme, err);
  if (!st) st = ts_evaluate(net, in->test, &in->m.norm, a->acc_images, a->c.threads, &r->fake,
                            NULL, err);
  memcpy(ts_net_params(net), saved, sizeof *saved * np);
  if (!st) {
    run_args ra = {q, in->test, &in->m.norm, a->acc_images, HWRUN_TABLE_BATCH,
                   a->c.threads, NULL, pred, NULL};
    st = run_images(&ra, err);
  }
  ts_qnet_destroy(q);
  if (!st) r->golden = accuracy(pred, in->test->labels, a->acc_images);
  return st;
}

/* FP32, fake-quant and integer golden accuracy for every B, both schemes
 * (pure C, fast). Returns 0 / 1. */
static int accuracy_table(const char *cmd, const hwrun_args *a, hw_inputs *in, acc_row *rows,
                          int *nrows) {
  const double t0 = ts_study_now();
  const size_t np = ts_net_num_params(in->net);
  float *saved = malloc(sizeof *saved * np);
  int *pred = malloc(sizeof *pred * a->acc_images);
  ts_error err = {0};
  double fp32;
  int rc = 1;
  if (!saved || !pred) {
    fprintf(stderr, "tessera %s: no memory for the accuracy table\n", cmd);
    goto done;
  }
  memcpy(saved, ts_net_params_const(in->net), sizeof *saved * np);
  if (ts_evaluate(in->net, in->test, &in->m.norm, a->acc_images, a->c.threads, &fp32, NULL,
                  &err)) {
    ts_cli_error(cmd, &err);
    goto done;
  }
  printf("\naccuracy on %d %s test images (FP32 %.2f%%)\n", a->acc_images, in->m.dataset,
         100 * fp32);
  printf("%4s  %-11s  %9s  %9s  %9s\n", "B", "scheme", "FP32", "fake-q", "int");
  for (int b = TS_HW_WBITS_MIN; b <= TS_HW_WBITS_MAX; b++)
    for (int sc = 0; sc < 2; sc++) {
      acc_row *r = &rows[(*nrows)++];
      *r = (acc_row){b, (ts_quant_scheme)sc, fp32, 0, 0};
      if (table_row(a, in, saved, pred, r, &err)) {
        fprintf(stderr, "tessera %s: B=%d %s: %s\n", cmd, b, ts_quant_scheme_name(r->scheme),
                err.msg);
        goto done;
      }
      printf("%4d  %-11s  %8.2f%%  %8.2f%%  %8.2f%%\n", b, ts_quant_scheme_name(r->scheme),
             100 * r->fp32, 100 * r->fake, 100 * r->golden);
    }
  printf("(table: %.1f s)\n", ts_study_now() - t0);
  rc = 0;
done:
  free(saved);
  free(pred);
  return rc;
}

/* The RTL run and its comparison with the golden model. */
typedef struct rtl_result {
  layer_cnt tot;       /* counters summed over threads */
  uint64_t sim_cycles;
  double sim_s, rtl_acc, golden_acc; /* golden_acc: -1 without --check */
  int mismatches;
  int64_t *lg;         /* [images][classes] RTL logits */
} rtl_result;

/* Runs the images through the integer CNN on the simulated array, one
 * simulator per thread. Returns 0 / 1. */
static int run_rtl(const char *cmd, const hwrun_args *a, const hw_inputs *in, const ts_qnet *q,
                   rtl_result *r) {
  const int T = a->c.threads;
  hw_ctx *hws = calloc((size_t)T, sizeof *hws);
  int *pred = malloc(sizeof *pred * a->images);
  r->lg = malloc(sizeof *r->lg * (size_t)a->images * in->test->classes);
  ts_error err = {0};
  ts_status st = hws && pred && r->lg ? TS_OK : ts_fail(&err, TS_E_NOMEM, "no memory");
  for (int t = 0; !st && t < T; t++) {
    hws[t].mode = a->mode;
    st = ts_hw_create(NULL, &hws[t].hw, &err);
  }
  const double t0 = ts_study_now();
  if (!st) {
    run_args ra = {q, in->test, &in->m.norm, a->images, a->batch, T, hws, pred, r->lg};
    if ((st = run_images(&ra, &err))) fprintf(stderr, "tessera %s: RTL: %s\n", cmd, err.msg);
  } else {
    ts_cli_error(cmd, &err);
  }
  r->sim_s = ts_study_now() - t0;
  for (int t = 0; hws && t < T; t++) {
    if (!st) r->sim_cycles += ts_hw_sim_cycles(hws[t].hw);
    layer_cnt_add(&r->tot, &hws[t].cnt);
    ts_hw_destroy(hws[t].hw);
  }
  if (!st) r->rtl_acc = accuracy(pred, in->test->labels, a->images);
  free(hws);
  free(pred);
  return st != TS_OK;
}

/* --check: the golden model on the same images, logit by logit. */
static int check_golden(const char *cmd, const hwrun_args *a, const hw_inputs *in,
                        const ts_qnet *q, rtl_result *r) {
  const int C = in->test->classes;
  int64_t *glg = malloc(sizeof *glg * (size_t)a->images * C);
  int *gp = malloc(sizeof *gp * a->images);
  ts_error err = {0};
  run_args ga = {q, in->test, &in->m.norm, a->images, a->batch, a->c.threads, NULL, gp, glg};
  if (!glg || !gp || run_images(&ga, &err)) {
    fprintf(stderr, "tessera %s: golden: %s\n", cmd, glg && gp ? err.msg : "no memory");
    free(glg);
    free(gp);
    return 1;
  }
  r->golden_acc = accuracy(gp, in->test->labels, a->images);
  for (size_t i = 0; i < (size_t)a->images * C; i++)
    if (r->lg[i] != glg[i]) {
      if (r->mismatches < 10)
        fprintf(stderr, "tessera %s: MISMATCH image %zu logit %zu: RTL %lld, golden "
                "%lld (diff %lld)\n", cmd, i / C, i % C, (long long)r->lg[i],
                (long long)glg[i], (long long)(r->lg[i] - glg[i]));
      r->mismatches++;
    }
  free(glg);
  free(gp);
  return 0;
}

static void print_layers(const hwrun_args *a, const ts_layer_info *info, const rtl_result *r) {
  printf("\nRTL, %d images, B=%d %s, %g%% pruned per layer, mode %s, batch %d (MACs = "
         "issued, useful = non-zero weight; util = MACs / (cycles x %d PEs); wport = "
         "weight-port busy / cycles)\n", a->images, a->bits, ts_quant_scheme_name(a->scheme),
         a->sparsity, MODE_NAMES[a->mode], a->batch, ts_hw_rows() * ts_hw_cols());
  printf("%-6s %5s %5s %6s %6s %12s %12s %11s %7s %6s %8s\n", "layer", "M", "K", "N", "mode",
         "MACs", "useful", "cycles", "util", "wport", "bound");
  uint64_t all_c = 0, all_m = 0, all_u = 0;
  for (int l = 0; l < TS_NUM_LAYERS; l++) {
    const ts_hw_counters *c = &r->tot.c[l];
    all_c += c->cycles, all_m += c->macs, all_u += c->useful_macs;
    printf("%-6s %5d %5d %6d %6s %12llu %12llu %11llu %6.1f%% %5.1f%% %8s\n", info[l].name,
           info[l].gemm_m, info[l].gemm_k, info[l].gemm_n, mode_of(&r->tot, l),
           (unsigned long long)c->macs, (unsigned long long)c->useful_macs,
           (unsigned long long)c->cycles, 100 * util_of(c),
           c->cycles ? 100.0 * c->wport_cycles / c->cycles : 0.0, bound_of(c));
  }
  printf("%-6s %5s %5s %6s %6s %12llu %12llu %11llu %6.1f%%\n", "total", "", "", "", "",
         (unsigned long long)all_m, (unsigned long long)all_u, (unsigned long long)all_c,
         all_c ? 100.0 * all_m / ((double)all_c * ts_hw_rows() * ts_hw_cols()) : 0.0);
  printf("RTL accuracy on %d images: %.2f%%", a->images, 100 * r->rtl_acc);
  if (a->check) printf(" (golden %.2f%%)", 100 * r->golden_acc);
  /* Weights and activations are backdoor loads (docs/hw.md): these cycles
   * are compute cycles plus the host-port writes of parameters and jobs. */
  const int T = a->c.threads;
  printf("\nsimulated %llu cycles (compute + host-port writes) in %.2f s wall: %.2f M cycles/s "
         "over %d thread%s, %.1f images/s\n", (unsigned long long)r->sim_cycles, r->sim_s,
         r->sim_s > 0 ? r->sim_cycles / r->sim_s / 1e6 : 0.0, T, T > 1 ? "s" : "",
         r->sim_s > 0 ? a->images / r->sim_s : 0.0);
}

enum { F_HW, F_ACC, F_JSON, NFILES };
static const char *const FILES[NFILES] = {"hw.csv", "hw_accuracy.csv", "hw.json"};

static int write_outputs(const char *cmd, const hwrun_args *a, const hw_inputs *in,
                         const ts_layer_info *info, const rtl_result *r, const acc_row *rows,
                         int nrows, char (*f)[TS_STUDY_PATH_MAX]) {
  const outputs op = {info, &r->tot, a->bits, a->images, a->batch, a->c.threads, a->scheme,
                      a->sparsity, a->mode, r->rtl_acc, r->golden_acc, r->sim_s, a->check, r->mismatches,
                      r->sim_cycles, rows, nrows, a->acc_images, a->c.model, in->m.dataset};
  ts_error err = {0};
  if (ts_cli_mkdirs(cmd, a->c.out)) return 1;
  if (ts_atomic_write(f[F_HW], write_hw_csv, (void *)&op, &err) ||
      (a->table && ts_atomic_write(f[F_ACC], write_acc_csv, (void *)&op, &err)) ||
      ts_atomic_write(f[F_JSON], write_json, (void *)&op, &err)) {
    ts_cli_error(cmd, &err);
    return 1;
  }
  printf("wrote %s%s%s, %s\n", f[F_HW], a->table ? ", " : "", a->table ? f[F_ACC] : "",
         f[F_JSON]);
  return 0;
}

/* The RTL part, its report and files; returns the exit code. */
static int rtl(const char *cmd, const hwrun_args *a, const hw_inputs *in, const acc_row *rows,
               int nrows, char (*f)[TS_STUDY_PATH_MAX]) {
  ts_qnet *q = NULL;
  ts_error err = {0};
  rtl_result r = {.golden_acc = -1};
  int rc = 1;
  if (ts_qnet_create(in->net, a->bits, a->scheme, in->cal, a->calib, &q, &err)) {
    ts_cli_error(cmd, &err);
    goto done;
  }
  if (run_rtl(cmd, a, in, q, &r) || (a->check && check_golden(cmd, a, in, q, &r))) goto done;
  ts_layer_info info[TS_NUM_LAYERS];
  for (int l = 0; l < TS_NUM_LAYERS; l++) info[l] = *ts_net_layer(in->net, l);
  print_layers(a, info, &r);
  if (write_outputs(cmd, a, in, info, &r, rows, nrows, f)) goto done;
  const long long logits = (long long)a->images * in->test->classes;
  if (a->check && r.mismatches) {
    fprintf(stderr, "tessera %s: --check FAILED: %d of %lld logits differ between the "
            "RTL and the golden model\n", cmd, r.mismatches, logits);
    goto done;
  }
  if (a->check)
    printf("--check: all %lld logits of %d images equal the golden model's\n", logits,
           a->images);
  rc = 0;
done:
  ts_qnet_destroy(q);
  free(r.lg);
  return rc;
}

int ts_cmd_hwrun(int argc, char **argv) {
  const char *cmd = "hw-run";
  hwrun_args a;
  char f[NFILES][TS_STUDY_PATH_MAX];
  int rc;
  if (parse_args(cmd, argc, argv, &a, &rc)) return rc;
  if (ts_study_paths(cmd, a.c.out, FILES, NFILES, f)) return 2;
  hw_inputs in = {0};
  acc_row rows[2 * (TS_HW_WBITS_MAX - TS_HW_WBITS_MIN + 1)];
  int nrows = 0;
  if (!(rc = load_inputs(cmd, &a, &in))) {
    printf("hw-run: %s on %s, %d test images on the RTL at B=%d %s, %g%% of each layer's "
           "weights pruned, %s mode, calibration on %d training images, batch %d, %d "
           "thread%s\n", a.c.model, in.m.dataset, a.images, a.bits,
           ts_quant_scheme_name(a.scheme), a.sparsity, MODE_NAMES[a.mode], a.calib, a.batch,
           a.c.threads, a.c.threads > 1 ? "s" : "");
    rc = (a.table && accuracy_table(cmd, &a, &in, rows, &nrows)) ? 1
                                                                   : rtl(cmd, &a, &in, rows,
                                                                         nrows, f);
  }
  free_inputs(&in);
  return rc;
}
