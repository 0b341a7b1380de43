/* tessera sys-run: the trained CNN as an integer network on the system
 * model (sim/sys/ts_sys.h: the RTL array with DRAM, DMA and double-buffered
 * staging), layer by layer: cycles by kind, bytes by kind, what bounds each
 * layer. docs/system.md describes the model and the columns. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_model.h"
#include "cli_opts.h"
#include "commands.h"
#include "study.h"
#include "sys_net.h"
#include "ts_atomic.h"
#include "ts_prune.h"
#include "ts_qnet.h"
#include "ts_quant.h"
#include "ts_sys.h"

static const char *const USAGE =
    "usage: tessera sys-run [--model FILE] [--dataset NAME] [--data DIR] [--coarse]\n"
    "                       [--bits B] [--scheme per-tensor|per-channel] [--sparse]\n"
    "                       [--sparsity PCT]\n"
    "                       [--images N] [--batch N] [--calib N] [--dram-bw BYTES|inf]\n"
    "                       [--dram-latency CYCLES] [--clock-mhz F] [--bank-bytes N]\n"
    "                       [--max-cycles N] [--no-prefetch] [--trace FILE.vcd]\n"
    "                       [--out DIR] [--check]\n"
    "Runs the first N test images (default 1) through the integer CNN on the\n"
    "system model: weights, activations and metadata move DRAM -> DMA -> staging\n"
    "bank -> the RTL's host port, results back, the next chunk's transfer\n"
    "overlapping the current work, and the next layer's weights moving into the\n"
    "staging banks while the current layer computes (--no-prefetch: layer by\n"
    "layer). --batch images share one GEMM per layer\n"
    "(default 1). B-bit weights (default 8), 8-bit activations calibrated on\n"
    "--calib training images (default 256); --sparsity PCT magnitude-prunes\n"
    "every layer first; --sparse moves compressed weights and runs the array\n"
    "in zero-skipping mode. DRAM: --dram-bw bytes per cycle\n"
    "(default 16; inf: no transfer time), --dram-latency cycles (default 100),\n"
    "--clock-mhz (default 1000), two staging banks of --bank-bytes (default\n"
    "4096: the largest filter). --max-cycles per layer (default: a bound from\n"
    "the layer). Prints per-layer cycles and bytes by kind and the bound\n"
    "(compute, dram or port);\n"
    "--check compares every logit with the C golden model. Writes OUT/sys.csv.\n"
    "--trace FILE.vcd writes SystemC's VCD trace of the system's state (accelerator\n"
    "state, layer, run, chunk, DMA busy, staging banks; GTKWave reads it).\n";

typedef struct sysrun_args {
  ts_cli_common c;
  int bits, images, batch, calib, check, sparse, no_prefetch;
  double sparsity; /* --sparsity PCT: magnitude-prune every layer first */
  ts_quant_scheme scheme;
  ts_sys_opts so;
} sysrun_args;

static int opt_scheme(const char *cmd, const char *flag, const char *arg, void *dst) {
  ts_error e = {0};
  if (!ts_quant_scheme_parse(arg, dst, &e)) return 0;
  fprintf(stderr, "tessera %s: %s: %s\n", cmd, flag, e.msg);
  return 1;
}

static int parse_args(const char *cmd, int argc, char **argv, sysrun_args *a, int *rc) {
  *a = (sysrun_args){.bits = 8, .images = 1, .batch = 1, .calib = 256,
                     .scheme = TS_QUANT_PER_CHANNEL};
  ts_sys_opts_default(&a->so);
  ts_cli_common_default(&a->c);
  int lat = (int)a->so.dram_latency, bank = (int)a->so.bank_bytes;
  const ts_opt own[] = {TS_OPT_I("bits", &a->bits, TS_HW_WBITS_MIN, TS_HW_WBITS_MAX),
                        TS_OPT_CALL("scheme", opt_scheme, &a->scheme),
                        TS_OPT_SWITCH("sparse", &a->sparse, 1),
                        TS_OPT_R("sparsity", &a->sparsity, 0, 99.9),
                        TS_OPT_I("images", &a->images, 1, 1 << 24),
                        TS_OPT_I("batch", &a->batch, 1, 256),
                        TS_OPT_I("calib", &a->calib, 1, 100000),
                        TS_OPT_CALL("dram-bw", ts_sys_opt_bw, &a->so.dram_bytes_per_cycle),
                        TS_OPT_I("dram-latency", &lat, 0, 1000000),
                        TS_OPT_R("clock-mhz", &a->so.clock_mhz, -1e9, 1e9),
                        TS_OPT_I("bank-bytes", &bank, 0, 1 << 30),
                        TS_OPT_U("max-cycles", &a->so.max_cycles),
                        TS_OPT_SWITCH("no-prefetch", &a->no_prefetch, 1),
                        TS_OPT_S("trace", &a->so.trace_vcd),
                        TS_OPT_SWITCH("check", &a->check, 1)};
  const ts_cli_spec spec = {cmd, USAGE, TS_CLI_MODEL | TS_CLI_DATA_OPTS | TS_CLI_OUT, own,
                            TS_OPT_COUNT(own)};
  if (ts_cli_parse(&spec, argc, argv, &a->c, rc)) return 1;
  a->so.dram_latency = (uint32_t)lat;
  a->so.bank_bytes = (uint32_t)bank;
  return 0;
}

/* The integer network of the model at a->bits, calibrated on the first
 * --calib training images; the test split in *test. Returns an exit code. */
static int load_qnet(const char *cmd, sysrun_args *a, ts_cli_model *m, ts_net **net,
                     ts_dataset **test, ts_qnet **q) {
  ts_cli_data tdata;
  ts_dataset *train = NULL;
  if (ts_cli_model_open(cmd, a->c.model, &a->c.data, m) ||
      !(*test = ts_cli_load(cmd, &a->c.data, TS_SPLIT_TEST)))
    return 1;
  tdata = a->c.data;
  tdata.limit = a->calib;
  if (!(train = ts_cli_load(cmd, &tdata, TS_SPLIT_TRAIN)) ||
      ts_cli_model_net(cmd, m, *test, net)) {
    ts_dataset_destroy(train);
    return 1;
  }
  if (a->images > (*test)->n) {
    fprintf(stderr, "tessera %s: --images %d but the test split has %d images\n", cmd,
            a->images, (*test)->n);
    ts_dataset_destroy(train);
    return 2;
  }
  if (a->calib > train->n) a->calib = train->n;
  const size_t px = (size_t)train->c * train->h * train->w;
  float *cal = malloc(sizeof *cal * px * a->calib);
  int *idx = malloc(sizeof *idx * a->calib);
  ts_error err = {0};
  ts_status st = cal && idx ? TS_OK : ts_fail(&err, TS_E_NOMEM, "no memory for calibration");
  for (int i = 0; !st && i < a->calib; i++) idx[i] = i;
  if (!st) st = ts_dataset_batch(train, &m->norm, idx, a->calib, cal, NULL, &err);
  if (!st && a->sparsity > 0) st = ts_prune_net(*net, a->sparsity / 100, &err);
  if (!st) st = ts_qnet_create(*net, a->bits, a->scheme, cal, a->calib, q, &err);
  free(cal);
  free(idx);
  ts_dataset_destroy(train);
  if (st) ts_cli_error(cmd, &err);
  return st != TS_OK;
}

/* The images in batches through the system (s non-NULL) or the golden
 * kernel; logits [images][classes]. */
static ts_status run_images(const sysrun_args *a, const ts_qnet *q, const ts_dataset *ds,
                            const ts_norm *nm, ts_sys_net *s, int64_t *logits, ts_error *err) {
  const size_t px = ts_qnet_image_bytes(q);
  const int C = ts_qnet_classes(q);
  float *x = malloc(sizeof *x * px * a->batch);
  uint8_t *b = malloc(px * a->batch);
  int *idx = malloc(sizeof *idx * a->batch);
  ts_status st = x && b && idx ? TS_OK : ts_fail(err, TS_E_NOMEM, "sys-run: no memory");
  for (int first = 0; !st && first < a->images; first += a->batch) {
    const int n = a->images - first < a->batch ? a->images - first : a->batch;
    for (int i = 0; i < n; i++) idx[i] = first + i;
    if (!(st = ts_dataset_batch(ds, nm, idx, n, x, NULL, err)) &&
        !(st = ts_qnet_quantize_input(q, x, px * n, b, err)))
      st = ts_qnet_run(q, b, n, s ? ts_sys_net_exec : NULL, s, logits + (size_t)first * C, err);
  }
  free(x);
  free(b);
  free(idx);
  return st;
}

/* ---- Output ------------------------------------------------------------ */

typedef struct sys_out {
  const sysrun_args *a;
  const ts_sys_net *s;
} sys_out;

static ts_status write_csv(FILE *fp, void *user, ts_error *err) {
  (void)err;
  const sys_out *o = user;
  const sysrun_args *a = o->a;
  fprintf(fp, "layer,bits,scheme,sparse,images,batch,dram_bytes_per_cycle,dram_latency,m,k,n,"
              "prefetch,total_cycles,compute_cycles,run_cycles,port_cycles,readback_cycles,"
              "transfer_cycles,overlap_cycles,prefetch_cycles,stall_data,stall_out,stall_dma,"
              "tail_cycles,bytes_weights,bytes_acts,bytes_results,bytes_meta,runs,chunks,"
              "prefetched_chunks,bound\n");
  for (int l = 0; l < TS_NUM_LAYERS; l++) {
    const ts_sys_report *r = &o->s->rep[l];
    const ts_layer_info *I = ts_net_layer(o->s->net, l);
    fprintf(fp, "%s,%d,%s,%d,%d,%d,%g,%u,%d,%d,%d,%d", I->name, a->bits,
            ts_quant_scheme_name(a->scheme), a->sparse, a->images, a->batch,
            a->so.dram_bytes_per_cycle, a->so.dram_latency, I->gemm_m, I->gemm_k, I->gemm_n,
            !a->no_prefetch);
    for (const uint64_t *p = &r->total_cycles; p <= &r->prefetched; p++)
      fprintf(fp, ",%llu", (unsigned long long)*p);
    fprintf(fp, ",%s\n", ts_sys_bound_str(r->bound));
  }
  return ferror(fp) ? TS_E_IO : TS_OK;
}

static void print_table(const sysrun_args *a, const ts_sys_net *s, uint64_t sim_cycles,
                        double sim_s) {
  const double bw = a->so.dram_bytes_per_cycle;
  printf("\nsystem model, %d image%s (batch %d), B=%d %s%s; DRAM %g B/cycle, latency %u, "
         "%g MHz, 2 x %u-byte banks\n", a->images, a->images > 1 ? "s" : "", a->batch, a->bits,
         ts_quant_scheme_name(a->scheme), a->sparse ? " sparse" : " dense", bw,
         a->so.dram_latency, a->so.clock_mhz, a->so.bank_bytes);
  printf("%-6s %10s %9s %9s %9s %9s %9s %9s %9s %9s %8s %8s %8s %6s %8s\n", "layer",
         "cycles", "compute", "port", "dram", "overlap", "prefetch", "stall-in", "stall-dma",
         "weightB", "actB",
         "resultB", "metaB", "us", "bound");
  ts_sys_report t = {0};
  for (int l = 0; l < TS_NUM_LAYERS; l++) {
    const ts_sys_report *r = &s->rep[l];
    ts_sys_report_add(&t, r);
    printf("%-6s %10llu %9llu %9llu %9llu %9llu %9llu %9llu %9llu %9llu %8llu %8llu %8llu "
           "%6.1f %8s\n",
           ts_net_layer(s->net, l)->name, (unsigned long long)r->total_cycles,
           (unsigned long long)r->compute_cycles,
           (unsigned long long)(r->port_cycles + r->readback_cycles),
           (unsigned long long)r->transfer_cycles, (unsigned long long)r->overlap_cycles,
           (unsigned long long)r->prefetch_cycles,
           (unsigned long long)r->stall_data, (unsigned long long)r->stall_dma,
           (unsigned long long)r->bytes[TS_SYS_WEIGHTS], (unsigned long long)r->bytes[TS_SYS_ACTS],
           (unsigned long long)r->bytes[TS_SYS_RESULTS], (unsigned long long)r->bytes[TS_SYS_META],
           r->total_cycles / a->so.clock_mhz, ts_sys_bound_str(r->bound));
  }
  printf("%-6s %10llu %9llu %9llu %9llu %9llu %9llu %9llu %9llu %9llu %8llu %8llu %8llu "
         "%6.1f\n",
         "total", (unsigned long long)t.total_cycles, (unsigned long long)t.compute_cycles,
         (unsigned long long)(t.port_cycles + t.readback_cycles),
         (unsigned long long)t.transfer_cycles, (unsigned long long)t.overlap_cycles,
         (unsigned long long)t.prefetch_cycles,
         (unsigned long long)t.stall_data, (unsigned long long)t.stall_dma,
         (unsigned long long)t.bytes[TS_SYS_WEIGHTS], (unsigned long long)t.bytes[TS_SYS_ACTS],
         (unsigned long long)t.bytes[TS_SYS_RESULTS], (unsigned long long)t.bytes[TS_SYS_META],
         t.total_cycles / a->so.clock_mhz);
  printf("(port = host-port writes + result reads; dram = channel busy for the layer's bytes; "
         "prefetch = of it, during the previous layer; overlap = of it, while the array "
         "computes)\n");
  printf("simulated %llu cycles in %.2f s: %.2f M cycles/s\n",
         (unsigned long long)sim_cycles, sim_s, sim_s > 0 ? sim_cycles / sim_s / 1e6 : 0.0);
}

/* --check: the golden model on the same images, logit by logit. Returns
 * the number of differing logits, or -1 on an error. */
static long check_golden(const char *cmd, const sysrun_args *a, const ts_qnet *q,
                         const ts_dataset *ds, const ts_norm *nm, const int64_t *lg) {
  const size_t n = (size_t)a->images * ts_qnet_classes(q);
  int64_t *g = malloc(sizeof *g * n);
  ts_error err = {0};
  if (!g || run_images(a, q, ds, nm, NULL, g, &err)) {
    fprintf(stderr, "tessera %s: golden: %s\n", cmd, g ? err.msg : "no memory");
    free(g);
    return -1;
  }
  long bad = 0;
  for (size_t i = 0; i < n; i++)
    if (lg[i] != g[i] && bad++ < 10)
      fprintf(stderr, "tessera %s: MISMATCH image %zu logit %zu: system %lld, golden %lld "
              "(diff %lld)\n", cmd, i / ts_qnet_classes(q), i % ts_qnet_classes(q),
              (long long)lg[i], (long long)g[i], (long long)(lg[i] - g[i]));
  free(g);
  return bad;
}

int ts_cmd_sysrun(int argc, char **argv) {
  const char *cmd = "sys-run";
  sysrun_args a;
  int rc;
  if (parse_args(cmd, argc, argv, &a, &rc)) return rc;
  static const char *const FILES[] = {"sys.csv"};
  char f[1][TS_STUDY_PATH_MAX];
  if (ts_study_paths(cmd, a.c.out, FILES, 1, f)) return 2;
  ts_error err = {0};
  ts_sys_net s = {.prefetch = !a.no_prefetch};
  for (int l = 0; l < TS_NUM_LAYERS; l++) s.sparse[l] = a.sparse;
  if (ts_sys_create(&a.so, &s.sys, &err)) {
    ts_cli_error(cmd, &err);
    return 2;
  }
  ts_cli_model m = {0};
  ts_net *net = NULL;
  ts_dataset *test = NULL;
  ts_qnet *q = NULL;
  int64_t *lg = NULL;
  if ((rc = load_qnet(cmd, &a, &m, &net, &test, &q))) goto done;
  s.net = net;
  s.q = q;
  rc = 1;
  printf("sys-run: %s on %s, %d test image%s, B=%d %s, %.1f%% pruned%s\n", a.c.model,
         m.dataset, a.images, a.images > 1 ? "s" : "", a.bits, ts_quant_scheme_name(a.scheme),
         a.sparsity, a.sparse ? ", compressed weights" : "");
  lg = malloc(sizeof *lg * (size_t)a.images * ts_qnet_classes(q));
  const double t0 = ts_study_now();
  if (!lg || run_images(&a, q, test, &m.norm, &s, lg, &err)) {
    fprintf(stderr, "tessera %s: %s\n", cmd, lg ? err.msg : "no memory");
    goto done;
  }
  print_table(&a, &s, ts_sys_cycles(s.sys), ts_study_now() - t0);
  const sys_out o = {&a, &s};
  if (ts_cli_mkdirs(cmd, a.c.out) || ts_atomic_write(f[0], write_csv, (void *)&o, &err)) {
    if (err.status) ts_cli_error(cmd, &err);
    goto done;
  }
  printf("wrote %s\n", f[0]);
  if (a.check) {
    const long bad = check_golden(cmd, &a, q, test, &m.norm, lg);
    const long n = (long)a.images * ts_qnet_classes(q);
    if (bad) {
      if (bad > 0)
        fprintf(stderr, "tessera %s: --check FAILED: %ld of %ld logits differ\n", cmd, bad, n);
      goto done;
    }
    printf("--check: all %ld logits of %d image%s equal the golden model's\n", n, a.images,
           a.images > 1 ? "s" : "");
  }
  rc = 0;
done:
  free(lg);
  ts_qnet_destroy(q);
  ts_net_destroy(net);
  ts_dataset_destroy(test);
  ts_cli_model_close(&m);
  ts_sys_destroy(s.sys); /* closes the trace */
  if (!rc && a.so.trace_vcd) printf("wrote %s (VCD trace)\n", a.so.trace_vcd);
  return rc;
}
