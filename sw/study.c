#include "study.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "slurm.h"
#include "ts_atomic.h"
#include "ts_hw_params.h"
#include "ts_profile.h"
#include "ts_prune.h"
#include "cli_model.h"

/* Images per inference call: enough for every thread to get work. */
#define TS_STUDY_BLOCK 1024

double ts_study_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

int ts_study_path(char *buf, int len, const char *dir, const char *name) {
  return snprintf(buf, len, "%s/%s", dir, name) >= len;
}

int ts_study_exists(const char *dir, const char *name) {
  char p[TS_STUDY_PATH_MAX];
  struct stat sb;
  return !ts_study_path(p, sizeof p, dir, name) && stat(p, &sb) == 0;
}

ts_csv *ts_study_load_csv(const char *dir, const char *name) {
  char p[TS_STUDY_PATH_MAX];
  ts_csv *t = NULL;
  if (ts_study_path(p, sizeof p, dir, name) || ts_csv_read(p, &t, NULL)) return NULL;
  return t;
}

int ts_study_paths(const char *cmd, const char *out, const char *const *names, int n,
                   char (*paths)[TS_STUDY_PATH_MAX]) {
  for (int i = 0; i < n; i++)
    if (ts_study_path(paths[i], TS_STUDY_PATH_MAX, out, names[i])) {
      fprintf(stderr, "tessera %s: --out path too long\n", cmd);
      return 1;
    }
  return 0;
}

int ts_study_quant_mem(const char *cmd, const ts_arch *a, ts_quant_mem *mem) {
  static const int bits[TS_STUDY_MEM_ROWS / 2] = {2, 4, 8};
  ts_error err = {0};
  for (int sc = 0; sc < 2; sc++)
    for (int k = 0; k < TS_STUDY_MEM_ROWS / 2; k++)
      if (ts_profile_quant_mem(a, bits[k], (ts_quant_scheme)sc, &mem[sc * 3 + k], &err)) {
        ts_cli_error(cmd, &err);
        return 1;
      }
  return 0;
}

static uint64_t fnv1a(uint64_t h, const void *data, size_t n) {
  const unsigned char *p = data;
  for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ull;
  return h;
}

int ts_study_open(const char *cmd, const char *model, ts_cli_data *data,
                  int threads, ts_study *s) {
  memset(s, 0, sizeof *s);
  s->t_open = ts_study_now();
  s->cmd = cmd;
  s->threads = threads;
  snprintf(s->model_path, sizeof s->model_path, "%s", model);
  ts_cli_model m;
  ts_error err = {0};
  ts_dataset *ds = NULL;
  float *x = NULL;
  int rc = 1;
  if (ts_cli_model_open(cmd, model, data, &m)) goto done;
  snprintf(s->meta_epochs, sizeof s->meta_epochs, "%s", m.epochs);
  snprintf(s->meta_seed, sizeof s->meta_seed, "%s", m.seed);
  snprintf(s->dataset, sizeof s->dataset, "%s", m.dataset);
  data->dataset = s->dataset; /* m is closed below */
  if (!(ds = ts_cli_load(cmd, data, TS_SPLIT_TEST)) || ts_cli_model_net(cmd, &m, ds, &s->net))
    goto done;
  s->nparams = ts_net_num_params(s->net);
  const long img = (long)ds->c * ds->h * ds->w;
  s->fp32 = malloc(sizeof(float) * s->nparams);
  x = malloc(sizeof(float) * img * ds->n);
  s->y = malloc(sizeof(int) * ds->n);
  int *idx = malloc(sizeof(int) * ds->n);
  if (!s->fp32 || !x || !s->y || !idx) {
    free(idx);
    fprintf(stderr, "tessera %s: out of memory for %d test images\n", cmd, ds->n);
    goto done;
  }
  for (int i = 0; i < ds->n; i++) idx[i] = i;
  ts_status st = ts_dataset_batch(ds, &m.norm, idx, ds->n, x, s->y, &err);
  free(idx);
  if (st || ts_infer_create(s->net, threads, &s->infer, &err)) {
    ts_cli_error(cmd, &err);
    goto done;
  }
  memcpy(s->fp32, ts_net_params_const(s->net), sizeof(float) * s->nparams);
  s->x = x;
  x = NULL;
  s->n = ds->n;
  uint64_t h = 1469598103934665603ull;
  h = fnv1a(h, s->fp32, sizeof(float) * s->nparams);
  h = fnv1a(h, &s->n, sizeof s->n);
  h = fnv1a(h, s->dataset, strlen(s->dataset));
  s->hash = h;
  rc = 0;
done:
  free(x);
  ts_dataset_destroy(ds);
  ts_cli_model_close(&m);
  return rc;
}

void ts_study_close(ts_study *s) {
  ts_infer_destroy(s->infer);
  ts_net_destroy(s->net);
  free(s->fp32);
  free(s->x);
  free(s->y);
  memset(s, 0, sizeof *s);
}

void ts_study_restore(ts_study *s) {
  memcpy(ts_net_params(s->net), s->fp32, sizeof(float) * s->nparams);
}

ts_status ts_study_accuracy(ts_study *s, double *acc, ts_error *err) {
  return ts_study_accuracy_of(s, s->x, s->y, s->n, acc, err);
}

ts_status ts_study_accuracy_of(ts_study *s, const float *x, const int *y, int n_img,
                               double *acc, ts_error *err) {
  const ts_arch *a = ts_net_arch(s->net);
  const long img = (long)a->in_c * a->in_h * a->in_w;
  float *logits = malloc(sizeof(float) * a->classes * TS_STUDY_BLOCK); /* [block][classes] */
  if (!logits) return ts_fail(err, TS_E_NOMEM, "cannot allocate logits");
  long long hits = 0;
  ts_status st = TS_OK;
  for (int lo = 0; lo < n_img && !st; lo += TS_STUDY_BLOCK) {
    const int n = n_img - lo < TS_STUDY_BLOCK ? n_img - lo : TS_STUDY_BLOCK;
    st = ts_infer_run(s->infer, x + img * lo, n, logits, err);
    for (int i = 0; i < n && !st; i++) {
      const float *z = logits + (long)i * a->classes;
      int best = 0;
      for (int j = 1; j < a->classes; j++)
        if (z[j] > z[best]) best = j;
      hits += best == y[lo + i];
    }
  }
  free(logits);
  if (!st) *acc = n_img ? (double)hits / n_img : 0;
  return st;
}

ts_status ts_study_run_point(ts_study *s, ts_study_point *p, ts_error *err) {
  const double t0 = ts_study_now();
  ts_study_restore(s);
  ts_status st = TS_OK;
  if (p->percent > 0) {
    if (!strcmp(p->layer, "all")) st = ts_prune_net(s->net, p->percent / 100, err);
    else st = ts_prune_layer(s->net, p->layer, p->percent / 100, err);
  }
  /* prune first: a zero stays zero under symmetric quantization */
  if (!st && p->bits != TS_STUDY_FP32_BITS) {
    ts_quant_scheme q;
    st = ts_quant_scheme_parse(p->scheme, &q, err);
    if (!st) st = ts_quant_net(s->net, p->bits, q, err);
  }
  ts_layer_sparsity per[TS_NUM_LAYERS], tot;
  if (!st) st = ts_prune_stats(s->net, per, &tot, err);
  if (!st) st = ts_study_accuracy(s, &p->accuracy, err);
  ts_study_restore(s);
  if (st) return st;
  p->nonzero_macs = tot.nonzero_macs;
  p->macs = tot.macs;
  p->nonzero_weights = (long long)tot.nonzero;
  p->weights = (long long)tot.weights;
  p->seconds = ts_study_now() - t0;
  p->done = 1;
  return TS_OK;
}

/* ---- Sweeps ----------------------------------------------------------- */

int ts_sweep_add(ts_sweep *w, const char *experiment, const char *scheme,
                 const char *layer, int bits, double percent) {
  if (w->n == w->cap) {
    const int cap = w->cap ? 2 * w->cap : 64;
    ts_study_point *np = realloc(w->p, sizeof *np * cap);
    if (!np) return -1;
    w->p = np;
    w->cap = cap;
  }
  ts_study_point *p = &w->p[w->n];
  memset(p, 0, sizeof *p);
  snprintf(p->experiment, sizeof p->experiment, "%s", experiment);
  snprintf(p->scheme, sizeof p->scheme, "%s", scheme);
  snprintf(p->layer, sizeof p->layer, "%s", layer);
  p->bits = bits;
  p->percent = percent;
  return w->n++;
}

void ts_sweep_free(ts_sweep *w) {
  free(w->p);
  memset(w, 0, sizeof *w);
}

static const char *const SWEEP_COLS[] = {
    "experiment", "scheme", "layer", "bits", "percent", "accuracy",
    "nonzero_macs", "macs", "nonzero_weights", "weights", "images",
    "model_hash", "seconds"};
enum { SWEEP_NCOLS = sizeof SWEEP_COLS / sizeof SWEEP_COLS[0] };

/* The shortest of %.15g / %.17g that reads back as exactly v: a point
 * reused on resume must equal the one computed (plots, reports, matching). */
static const char *exact(char buf[32], double v) {
  snprintf(buf, 32, "%.15g", v);
  if (strtod(buf, NULL) != v) snprintf(buf, 32, "%.17g", v);
  return buf;
}

static ts_status write_sweep(FILE *fp, void *user, ts_error *err) {
  const ts_sweep *w = user;
  char pct[32], acc[32];
  (void)err;
  for (int c = 0; c < SWEEP_NCOLS; c++) fprintf(fp, "%s%s", c ? "," : "", SWEEP_COLS[c]);
  fputc('\n', fp);
  for (int i = 0; i < w->n; i++) {
    const ts_study_point *p = &w->p[i];
    if (!p->done) continue;
    fprintf(fp, "%s,%s,%s,%d,%s,%s,%lld,%lld,%lld,%lld,%d,%016llx,%.4f\n",
            p->experiment, p->scheme, p->layer, p->bits, exact(pct, p->percent),
            exact(acc, p->accuracy),
            p->nonzero_macs, p->macs, p->nonzero_weights, p->weights, w->images,
            (unsigned long long)w->hash, p->seconds);
  }
  return TS_OK;
}

ts_status ts_sweep_write(const ts_sweep *w, const char *path, ts_error *err) {
  return ts_atomic_write(path, write_sweep, (void *)w, err);
}

ts_status ts_sweep_resume(ts_sweep *w, const char *path, int *reused,
                          ts_error *err) {
  *reused = 0;
  ts_csv *t = NULL;
  if (access(path, F_OK) != 0 && errno == ENOENT) return TS_OK; /* nothing to resume from */
  ts_status st = ts_csv_read(path, &t, err);
  for (int c = 0; !st && c < SWEEP_NCOLS; c++)
    if (ts_csv_col(t, SWEEP_COLS[c]) < 0)
      st = ts_fail(err, TS_E_FORMAT, "file '%s': no column '%s'", path, SWEEP_COLS[c]);
  /* counts become long long: NaN or 1e300 would be undefined (found by
   * tests/fuzz/fuzz_csv.c) */
  static const char *const COUNTS[] = {"nonzero_macs", "macs", "nonzero_weights", "weights"};
  char hash[32];
  snprintf(hash, sizeof hash, "%016llx", (unsigned long long)w->hash);
  for (int r = 0; !st && r < t->rows; r++) {
    if (strcmp(ts_csv_get(t, r, "model_hash"), hash) ||
        ts_csv_num(t, r, "images") != w->images)
      continue; /* another model or test set */
    for (int i = 0; !st && i < w->n; i++) {
      ts_study_point *p = &w->p[i];
      if (p->done || strcmp(p->experiment, ts_csv_get(t, r, "experiment")) ||
          strcmp(p->scheme, ts_csv_get(t, r, "scheme")) ||
          strcmp(p->layer, ts_csv_get(t, r, "layer")) ||
          ts_csv_num(t, r, "bits") != p->bits ||
          fabs(ts_csv_num(t, r, "percent") - p->percent) > 1e-9)
        continue;
      const double acc = ts_csv_num(t, r, "accuracy");
      if (!(acc >= 0 && acc <= 1)) continue;
      long long n[4];
      for (int k = 0; !st && k < 4; k++) {
        const double v = ts_csv_num(t, r, COUNTS[k]);
        if (!(v >= 0 && v <= 9007199254740992.0)) /* 2^53: exact in a double */
          st = ts_fail(err, TS_E_FORMAT, "file '%s': data row %d: %s is '%s', not a count",
                       path, r + 1, COUNTS[k], ts_csv_get(t, r, COUNTS[k]));
        else n[k] = (long long)v;
      }
      if (st) break;
      p->accuracy = acc;
      p->nonzero_macs = n[0];
      p->macs = n[1];
      p->nonzero_weights = n[2];
      p->weights = n[3];
      p->seconds = ts_csv_num(t, r, "seconds");
      p->done = 1;
      ++*reused;
      break;
    }
  }
  ts_csv_free(t);
  if (st && err) { /* the way out, whatever went wrong */
    const size_t len = strlen(err->msg);
    snprintf(err->msg + len, sizeof err->msg - len,
             "; run with --no-resume to start over (it rewrites the file)");
  }
  if (st) *reused = 0;
  return st;
}

static void describe(const ts_study_point *p, char *buf, int len) {
  int u = snprintf(buf, len, "%s", p->experiment);
  if (p->percent > 0 || strcmp(p->experiment, "quant"))
    u += snprintf(buf + u, len - u, " %s %g%%", p->layer, p->percent);
  if (p->bits != TS_STUDY_FP32_BITS)
    snprintf(buf + u, len - u, " %s B=%d", p->scheme, p->bits);
}

int ts_sweep_execute(ts_study *s, ts_sweep *w, const char *out, const char *csv_path,
                     const ts_slurm_cmd *job, const char *kind, const char *detail,
                     ts_sweep_stats *st) {
  memset(st, 0, sizeof *st);
  if (ts_cli_mkdirs(s->cmd, out)) return 1;
  w->hash = s->hash;
  w->images = s->n;
  ts_slurm_plan plan; /* the resume step, and where the points go */
  if (ts_slurm_sweep(job, w, csv_path, &plan)) return 1;
  if ((st->stop = plan.stop)) return 0;
  st->reused = plan.reused;
  st->evaluations = w->n - st->reused;
  printf("%s sweep: %s on %s (%d test images), %s%d threads; %d of %d points evaluated, "
         "%d reused from %s\n", kind, s->model_path, s->dataset, s->n, detail, s->threads,
         st->evaluations, w->n, st->reused, plan.csv);
  const double t0 = ts_study_now();
  if (ts_sweep_run(s, w, plan.csv)) return 1;
  st->sweep_s = ts_study_now() - t0;
  st->stop = plan.slice_only; /* a task: the merge job writes the rest */
  return 0;
}

int ts_sweep_command(const char *cmd, ts_cli_common *c, ts_sweep_body body,
                     const void *user) {
  ts_study s;
  ts_sweep w = {0};
  const int rc = ts_study_open(cmd, c->model, &c->data, c->threads, &s) ? 1 : body(&s, &w, user);
  ts_sweep_free(&w);
  ts_study_close(&s);
  return rc;
}

int ts_study_write_run(const ts_study *s, const char *path, const char *const *extra,
                       int nextra, const ts_sweep_stats *st) {
  enum { MAX_EXTRA = 8 };
  char images[32], threads[32], evals[32], reused[32], sweep[32], total[32];
  snprintf(images, sizeof images, "%d", s->n);
  snprintf(threads, sizeof threads, "%d", s->threads);
  snprintf(evals, sizeof evals, "%d", st->evaluations);
  snprintf(reused, sizeof reused, "%d", st->reused);
  snprintf(sweep, sizeof sweep, "%.3f", st->sweep_s);
  snprintf(total, sizeof total, "%.3f", ts_study_now() - s->t_open);
  const char *head[] = {"model", s->model_path, "dataset", s->dataset,
                        "test_images", images, "threads", threads};
  const char *tail[] = {"evaluations", evals, "reused", reused, "sweep_seconds", sweep,
                        "total_seconds", total};
  const char *kv[sizeof head / sizeof *head + 2 * MAX_EXTRA + sizeof tail / sizeof *tail];
  int n = 0;
  if (nextra > MAX_EXTRA) nextra = MAX_EXTRA;
  for (size_t i = 0; i < sizeof head / sizeof *head; i++) kv[n++] = head[i];
  for (int i = 0; i < 2 * nextra; i++) kv[n++] = extra[i];
  for (size_t i = 0; i < sizeof tail / sizeof *tail; i++) kv[n++] = tail[i];
  ts_error err = {0};
  if (ts_csv_write_kv(path, kv, n / 2, &err)) {
    ts_cli_error(s->cmd, &err);
    return 1;
  }
  return 0;
}

int ts_sweep_run(ts_study *s, ts_sweep *w, const char *csv_path) {
  ts_error err = {0};
  int todo = 0, k = 0;
  for (int i = 0; i < w->n; i++) todo += !w->p[i].done;
  for (int i = 0; i < w->n; i++) {
    ts_study_point *p = &w->p[i];
    if (p->done) continue;
    char what[96];
    describe(p, what, sizeof what);
    if (ts_study_run_point(s, p, &err)) {
      fprintf(stderr, "tessera %s: %s: %s\n", s->cmd, what, err.msg);
      return 1;
    }
    if (ts_sweep_write(w, csv_path, &err)) {
      ts_cli_error(s->cmd, &err);
      return 1;
    }
    printf("  [%d/%d] %-34s accuracy %6.2f%%  non-zero MACs %lld  (%.2fs)\n", ++k, todo,
           what, 100 * p->accuracy, p->nonzero_macs, p->seconds);
  }
  if (!todo && ts_sweep_write(w, csv_path, &err)) {
    ts_cli_error(s->cmd, &err);
    return 1;
  }
  return 0;
}

/* ---- Argument helpers ------------------------------------------------- */

int ts_study_parse_bits(const char *cmd, const char *s, int *lo, int *hi) {
  char *end;
  long a = strtol(s, &end, 10), b = a;
  int ok = end != s;
  if (ok && *end == '-') {
    const char *q = end + 1;
    b = strtol(q, &end, 10);
    ok = end != q;
  }
  if (!ok || *end) {
    fprintf(stderr, "tessera %s: --bits takes N or LO-HI (e.g. 1-16), got '%s'\n", cmd, s);
    return 1;
  }
  if (a < TS_QUANT_MIN_BITS || b > TS_QUANT_MAX_BITS || a > b) {
    fprintf(stderr, "tessera %s: --bits %s is out of range: weights take %d..%d bits "
            "(0 bits stores nothing; more than %d is beyond the quantizer), LO <= HI\n",
            cmd, s, TS_QUANT_MIN_BITS, TS_QUANT_MAX_BITS, TS_QUANT_MAX_BITS);
    return 1;
  }
  *lo = (int)a;
  *hi = (int)b;
  return 0;
}

int ts_study_parse_list(const char *cmd, const char *flag, const char *s,
                        double lo, double hi, double *v, int max, int *n) {
  *n = 0;
  const char *p = s;
  for (;;) {
    char *end;
    errno = 0;
    double d = strtod(p, &end);
    if (end == p || errno || !isfinite(d) || (*end && *end != ',')) {
      fprintf(stderr, "tessera %s: %s takes a comma-separated list of numbers, got '%s'\n",
              cmd, flag, s);
      return 1;
    }
    if (d < lo || d > hi) {
      fprintf(stderr, "tessera %s: %s value %g is out of range; use %g..%g\n", cmd, flag,
              d, lo, hi);
      return 1;
    }
    if (*n == max) {
      fprintf(stderr, "tessera %s: %s has more than %d values\n", cmd, flag, max);
      return 1;
    }
    v[(*n)++] = d;
    if (!*end) return 0;
    p = end + 1;
  }
}

int ts_study_parse_bits_list(const char *cmd, const char *flag, const char *s, int *bits,
                             int max, int *n) {
  double v[TS_HW_WBITS_MAX];
  if (max > TS_HW_WBITS_MAX) max = TS_HW_WBITS_MAX;
  if (ts_study_parse_list(cmd, flag, s, TS_HW_WBITS_MIN, TS_HW_WBITS_MAX, v, max, n)) return 1;
  for (int i = 0; i < *n; i++) {
    if (v[i] != floor(v[i])) {
      fprintf(stderr, "tessera %s: %s value %g is not a whole number of bits\n", cmd, flag,
              v[i]);
      return 1;
    }
    for (int j = 0; j < i; j++)
      if (v[j] == v[i]) {
        fprintf(stderr, "tessera %s: %s lists %g twice\n", cmd, flag, v[i]);
        return 1;
      }
    bits[i] = (int)v[i];
  }
  return 0;
}

int ts_study_parse_pct_list(const char *cmd, const char *flag, const char *s, double *pct,
                            int max, int *n) {
  if (ts_study_parse_list(cmd, flag, s, 0, 100, pct, max, n)) return 1;
  for (int i = 1; i < *n; i++)
    if (pct[i] <= pct[i - 1]) {
      fprintf(stderr, "tessera %s: %s must be increasing, got %g after %g\n", cmd, flag,
              pct[i], pct[i - 1]);
      return 1;
    }
  return 0;
}

int ts_study_check_fit(const char *cmd, const char *model, const ts_layer_info *info) {
  for (int l = 0; l < TS_NUM_LAYERS; l++)
    if (info[l].gemm_k > TS_HW_K_MAX) {
      fprintf(stderr, "tessera %s: '%s' does not fit the array: layer %s has K = %d weights "
              "per filter, the lanes' filter buffers and accumulators hold at most %d\n",
              cmd, model, info[l].name, info[l].gemm_k, TS_HW_K_MAX);
      return 1;
    }
  return 0;
}

int ts_study_plot_failed(const char *cmd, const ts_error *err) {
  fprintf(stderr, "tessera %s: warning: plot not drawn: %s\n", cmd, err->msg);
  return 1;
}
