/* Multi-seed training: the seeds as the points of a resumable sweep
 * (train_seeds.h). */
#include "train_seeds.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "csv.h"
#include "ts_atomic.h"

int ts_opt_seed_list(const char *cmd, const char *flag, const char *arg, void *dst) {
  ts_seed_list *l = dst;
  uint64_t *s = malloc(sizeof *s * TS_SEEDS_MAX);
  int n = 0;
  const char *p = arg;
  if (!s) {
    fprintf(stderr, "tessera %s: out of memory\n", cmd);
    return 1;
  }
  while (*p) {
    char *end;
    errno = 0;
    const unsigned long long a = strtoull(p, &end, 10);
    unsigned long long b = a;
    if (end == p || *p == '-' || *p == '+' || errno) goto bad;
    p = end;
    if (*p == '-') {
      const char *q = p + 1;
      b = strtoull(q, &end, 10);
      if (end == q || *q == '-' || *q == '+' || errno || b < a) goto bad;
      p = end;
    }
    if (*p && *p != ',') goto bad;
    if (*p == ',' && !p[1]) goto bad;
    if (*p) p++;
    for (unsigned long long v = a;; v++) {
      if (n == TS_SEEDS_MAX) {
        fprintf(stderr, "tessera %s: %s: more than %d seeds in '%s'\n", cmd, flag,
                TS_SEEDS_MAX, arg);
        free(s);
        return 1;
      }
      for (int i = 0; i < n; i++)
        if (s[i] == v) {
          fprintf(stderr, "tessera %s: %s: seed %llu appears twice in '%s'\n", cmd, flag, v,
                  arg);
          free(s);
          return 1;
        }
      s[n++] = v;
      if (v == b) break;
    }
  }
  if (!n) goto bad;
  free(l->seed);
  l->seed = s;
  l->n = n;
  return 0;
bad:
  fprintf(stderr, "tessera %s: %s takes seeds and ranges like 1,2,7-9, got '%s'\n", cmd, flag,
          arg);
  free(s);
  return 1;
}

/* ---- The table ----------------------------------------------------------- */

typedef struct seeds_state {
  const ts_seeds_cmd *c;
  int n;         /* seeds of this process (its slice under --slice) */
  uint64_t *seed; /* [n] */
  char **row;    /* [n] the seed's CSV row (no newline), NULL until done */
  char header[1024];
} seeds_state;

static ts_status write_rows(FILE *fp, void *user, ts_error *err) {
  (void)err;
  const seeds_state *s = user;
  fprintf(fp, "%s\n", s->header);
  for (int i = 0; i < s->n; i++)
    if (s->row[i]) fprintf(fp, "%s\n", s->row[i]);
  return ferror(fp) ? TS_E_IO : TS_OK;
}

/* The rows of path whose seed is one of ours and whose recipe is this
 * run's, verbatim. A missing file is no error; another header is. */
static int resume_cb(void *user, const char *path) {
  seeds_state *s = user;
  const char *cmd = s->c->job->cmd;
  ts_csv *t = NULL;
  ts_error err = {0};
  ts_status st = ts_csv_read(path, &t, &err);
  if (st == TS_E_IO) return 0;
  if (st) {
    fprintf(stderr, "tessera %s: %s\n", cmd, err.msg);
    return 1;
  }
  char head[sizeof s->header] = "";
  for (int c = 0; c < t->cols; c++)
    snprintf(head + strlen(head), sizeof head - strlen(head), "%s%s", c ? "," : "", t->cell[c]);
  if (strcmp(head, s->header)) {
    fprintf(stderr, "tessera %s: '%s' has the columns '%s', expected '%s'; delete it to "
            "train every seed again\n", cmd, path, head, s->header);
    ts_csv_free(t);
    return 1;
  }
  for (int r = 0; r < t->rows; r++) {
    char rec[sizeof s->header] = "";
    /* the recipe: every column between the seed (first) and the 4 results */
    for (int c = 1; c < t->cols - 4; c++)
      snprintf(rec + strlen(rec), sizeof rec - strlen(rec), "%s%s", c > 1 ? "," : "",
               t->cell[(size_t)(r + 1) * t->cols + c]);
    if (strcmp(rec, s->c->recipe_vals)) continue;
    const char *seed = t->cell[(size_t)(r + 1) * t->cols];
    for (int i = 0; i < s->n; i++) {
      char want[32];
      snprintf(want, sizeof want, "%llu", (unsigned long long)s->seed[i]);
      if (s->row[i] || strcmp(seed, want)) continue;
      size_t len = 0;
      for (int c = 0; c < t->cols; c++) len += strlen(t->cell[(size_t)(r + 1) * t->cols + c]) + 1;
      if (!(s->row[i] = malloc(len + 1))) {
        ts_csv_free(t);
        fprintf(stderr, "tessera %s: out of memory\n", cmd);
        return 1;
      }
      s->row[i][0] = 0;
      for (int c = 0; c < t->cols; c++)
        strcat(strcat(s->row[i], c ? "," : ""), t->cell[(size_t)(r + 1) * t->cols + c]);
    }
  }
  ts_csv_free(t);
  return 0;
}

static int done_cb(void *user, int i) { return ((const seeds_state *)user)->row[i] != NULL; }

/* Mean, standard deviation (n - 1), minimum and maximum of one column of
 * the rows (NA cells skipped). */
typedef struct stat {
  int n;
  double mean, sd, min, max;
} stat;

static stat column_stat(const ts_csv *t, const char *name) {
  stat s = {0, 0, 0, INFINITY, -INFINITY};
  double sum = 0, sq = 0;
  for (int r = 0; r < t->rows; r++) {
    const double v = ts_csv_num(t, r, name);
    if (isnan(v)) continue;
    s.n++, sum += v, sq += v * v;
    if (v < s.min) s.min = v;
    if (v > s.max) s.max = v;
  }
  if (s.n) s.mean = sum / s.n;
  if (s.n > 1) s.sd = sqrt(fmax(0, (sq - s.n * s.mean * s.mean) / (s.n - 1)));
  return s;
}

static const char *const SUMMARY_COLS[] = {"val_accuracy", "val_error", "train_loss"};
enum { NSUMMARY = 3 };

static ts_status write_summary(FILE *fp, void *user, ts_error *err) {
  (void)err;
  const ts_csv *t = user;
  fprintf(fp, "metric,seeds,mean,sd,min,max\n");
  for (int k = 0; k < NSUMMARY; k++) {
    const stat s = column_stat(t, SUMMARY_COLS[k]);
    if (s.n) fprintf(fp, "%s,%d,%.6f,%.6f,%.6f,%.6f\n", SUMMARY_COLS[k], s.n, s.mean, s.sd,
                     s.min, s.max);
    else fprintf(fp, "%s,0,NA,NA,NA,NA\n", SUMMARY_COLS[k]);
  }
  return ferror(fp) ? TS_E_IO : TS_OK;
}

/* The summary of the whole table, written and printed. */
static int summarise(const char *cmd, const char *csv, const char *out) {
  char path[4096];
  ts_csv *t = NULL;
  ts_error err = {0};
  if (ts_study_path(path, sizeof path, out, "train_seeds_summary.csv")) {
    fprintf(stderr, "tessera %s: --out '%s' is too long\n", cmd, out);
    return 1;
  }
  if (ts_csv_read(csv, &t, &err) || ts_atomic_write(path, write_summary, t, &err)) {
    ts_csv_free(t);
    fprintf(stderr, "tessera %s: %s\n", cmd, err.msg);
    return 1;
  }
  const stat a = column_stat(t, "val_accuracy");
  if (a.n)
    printf("val accuracy over %d seeds: mean %.2f%%, sd %.2f points, min %.2f%%, max %.2f%%\n",
           a.n, 100 * a.mean, 100 * a.sd, 100 * a.min, 100 * a.max);
  printf("wrote %s, %s\n", csv, path);
  ts_csv_free(t);
  return 0;
}

/* Trains seed i and keeps its row. Returns an exit code. */
static int train_seed(seeds_state *s, int i) {
  const ts_seeds_cmd *c = s->c;
  const char *cmd = c->job->cmd;
  char dir[4096], name[64];
  snprintf(name, sizeof name, "seed-%llu", (unsigned long long)s->seed[i]);
  if (ts_study_path(dir, sizeof dir, c->out, name)) {
    fprintf(stderr, "tessera %s: --out '%s' is too long\n", cmd, c->out);
    return 1;
  }
  ts_seed_result r = {0, -1};
  const int rc = c->train(c->user, s->seed[i], dir, &r);
  if (rc) return rc;
  char acc[32] = "NA", err[32] = "NA";
  if (r.val_error >= 0) {
    snprintf(err, sizeof err, "%.6f", r.val_error);
    snprintf(acc, sizeof acc, "%.6f", 1 - r.val_error);
  }
  const size_t len = strlen(c->recipe_vals) + strlen(name) + 160;
  if (!(s->row[i] = malloc(len))) {
    fprintf(stderr, "tessera %s: out of memory\n", cmd);
    return 1;
  }
  snprintf(s->row[i], len, "%llu,%s,%.6f,%s,%s,%s/model.safetensors",
           (unsigned long long)s->seed[i], c->recipe_vals, r.train_loss, err, acc, name);
  return 0;
}

int ts_train_seeds(const ts_seeds_cmd *c) {
  const char *cmd = c->job->cmd;
  const ts_slurm_opts *so = c->job->opts;
  seeds_state s = {c, 0, NULL, NULL, ""};
  char csv[4096];
  int rc = 1;
  if (snprintf(s.header, sizeof s.header, "seed,%s,train_loss,val_error,val_accuracy,model", c->recipe_cols) >= (int)sizeof s.header ||
      ts_study_path(csv, sizeof csv, c->out, "train_seeds.csv")) {
    fprintf(stderr, "tessera %s: --out '%s' is too long\n", cmd, c->out);
    return 1;
  }
  s.seed = malloc(sizeof *s.seed * c->seeds->n);
  s.row = calloc((size_t)c->seeds->n, sizeof *s.row);
  if (!s.seed || !s.row) {
    fprintf(stderr, "tessera %s: out of memory\n", cmd);
    goto done;
  }
  for (int i = 0; i < c->seeds->n; i++) /* under --slice only this task's seeds */
    if (ts_slurm_in_slice(so, i)) s.seed[s.n++] = c->seeds->seed[i];
  const ts_slurm_points pts = {s.n, &s, resume_cb, done_cb};
  ts_slurm_plan plan;
  if (ts_cli_mkdirs(cmd, c->out) || ts_slurm_prepare(c->job, &pts, csv, &plan)) goto done;
  if (plan.stop) {
    rc = 0;
    goto done;
  }
  printf("train: %d seed%s, %d already trained (%s)\n", s.n, s.n > 1 ? "s" : "", plan.reused,
         plan.csv);
  ts_error err = {0};
  for (int i = 0, k = plan.reused; i < s.n; i++) {
    if (s.row[i]) continue;
    printf("\n== seed %llu (%d of %d) ==\n", (unsigned long long)s.seed[i], ++k, s.n);
    if ((rc = train_seed(&s, i))) goto done;
    rc = 1;
    if (ts_atomic_write(plan.csv, write_rows, &s, &err)) {
      fprintf(stderr, "tessera %s: %s\n", cmd, err.msg);
      goto done;
    }
  }
  /* the table, also when every row was reused (a merge) */
  if (ts_atomic_write(plan.csv, write_rows, &s, &err)) {
    fprintf(stderr, "tessera %s: %s\n", cmd, err.msg);
    goto done;
  }
  if (plan.slice_only) {
    printf("wrote %s\n", plan.csv);
    rc = 0;
    goto done;
  }
  rc = summarise(cmd, csv, c->out);
done:
  for (int i = 0; s.row && i < s.n; i++) free(s.row[i]);
  free(s.row);
  free(s.seed);
  return rc;
}
