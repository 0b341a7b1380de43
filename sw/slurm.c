#include "slurm.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ts_atomic.h"

extern char **environ;

/* ---- Option values ---------------------------------------------------- */

/* Slurm names (partition, account): letters, digits, '_', '-', '.'. Checked
 * here so that a typo fails now, not in sbatch on the cluster, and so that
 * nothing else can reach the #SBATCH lines. */
static int name_ok(const char *s, size_t n) {
  if (n == 0 || n > 64) return 0;
  for (size_t i = 0; i < n; i++)
    if (!(s[i] >= 'a' && s[i] <= 'z') && !(s[i] >= 'A' && s[i] <= 'Z') &&
        !(s[i] >= '0' && s[i] <= '9') && !strchr("_-.", s[i]))
      return 0;
  return 1;
}

int ts_slurm_opt_name(const char *cmd, const char *flag, const char *arg, void *dst) {
  if (!name_ok(arg, strlen(arg))) {
    fprintf(stderr, "tessera %s: %s takes a Slurm name (letters, digits, '_', '-', '.'; "
            "at most 64), got '%s'\n", cmd, flag, arg);
    return 1;
  }
  *(const char **)dst = arg;
  return 0;
}

int ts_slurm_opt_names(const char *cmd, const char *flag, const char *arg, void *dst) {
  for (const char *p = arg;;) {
    const char *comma = strchr(p, ',');
    const size_t n = comma ? (size_t)(comma - p) : strlen(p);
    if (!name_ok(p, n)) {
      fprintf(stderr, "tessera %s: %s takes partition names separated by commas (letters, "
              "digits, '_', '-', '.'), got '%s'\n", cmd, flag, arg);
      return 1;
    }
    if (!comma) break;
    p = comma + 1;
  }
  *(const char **)dst = arg;
  return 0;
}

/* Reads digits into *v; returns the end, NULL if none. */
static const char *digits(const char *p, long *v) {
  if (*p < '0' || *p > '9') return NULL;
  *v = 0;
  while (*p >= '0' && *p <= '9') {
    if (*v < 1000000) *v = *v * 10 + (*p - '0');
    p++;
  }
  return p;
}

int ts_slurm_opt_time(const char *cmd, const char *flag, const char *arg, void *dst) {
  /* sbatch --time: M, M:S, H:M:S, D-H, D-H:M, D-H:M:S, or UNLIMITED */
  long f[4] = {0}, total = 0;
  int nf = 0, days = 0;
  const char *p = arg;
  if (!strcmp(arg, "UNLIMITED") || !strcmp(arg, "INFINITE")) {
    *(const char **)dst = arg;
    return 0;
  }
  while (p && nf < 4) {
    p = digits(p, &f[nf++]);
    if (!p || !*p) break;
    if (*p == '-' && nf == 1 && !days) days = 1;
    else if (*p != ':') p = NULL;
    if (p) p++;
  }
  const int ok = p && !*p && (days ? nf <= 4 : nf <= 3);
  if (ok) {
    /* seconds, to refuse a limit of zero */
    if (days) total = f[0] * 86400 + f[1] * 3600 + f[2] * 60 + f[3];
    else if (nf == 1) total = f[0] * 60;
    else if (nf == 2) total = f[0] * 60 + f[1];
    else total = f[0] * 3600 + f[1] * 60 + f[2];
  }
  if (!ok || total == 0) {
    fprintf(stderr, "tessera %s: %s takes a non-zero Slurm time limit: MINUTES, "
            "MINUTES:SECONDS, HOURS:MINUTES:SECONDS, DAYS-HOURS[:MINUTES[:SECONDS]] or "
            "UNLIMITED, got '%s'\n", cmd, flag, arg);
    return 1;
  }
  *(const char **)dst = arg;
  return 0;
}

int ts_slurm_opt_count(const char *cmd, const char *flag, const char *arg, void *dst) {
  const long hi = strstr(flag, "cpus") ? 4096 : TS_SLURM_MAX_TASKS;
  char *end;
  errno = 0;
  const long v = strtol(arg, &end, 10);
  if (end != arg && !*end && !errno && v == 0) {
    const char *why = strstr(flag, "throttle") ? "would let no task run"
                      : strstr(flag, "cpus")   ? "gives a task no CPU"
                                               : "makes an array of no task";
    fprintf(stderr, "tessera %s: %s 0 %s; give 1..%ld\n", cmd, flag, why, hi);
    return 1;
  }
  return ts_cli_int(cmd, flag, arg, 1, hi, (int *)dst);
}

int ts_slurm_opt_slice(const char *cmd, const char *flag, const char *arg, void *dst) {
  long i, n;
  const char *p = digits(arg, &i);
  if (p && *p == '/') p = digits(p + 1, &n);
  else p = NULL;
  if (!p || *p || n < 1 || n > TS_SLURM_MAX_TASKS || i >= n) {
    fprintf(stderr, "tessera %s: %s takes I/N with 0 <= I < N <= %d, got '%s'\n", cmd, flag,
            TS_SLURM_MAX_TASKS, arg);
    return 1;
  }
  *(const char **)dst = arg;
  return 0;
}

int ts_slurm_opt_dir(const char *cmd, const char *flag, const char *arg, void *dst) {
  /* the folder name goes into job scripts and #SBATCH lines */
  if (!*arg || strpbrk(arg, "\n\r") || strlen(arg) > 1024) {
    fprintf(stderr, "tessera %s: %s takes a folder name (not empty, one line), got '%s'\n",
            cmd, flag, arg);
    return 1;
  }
  *(const char **)dst = arg;
  return 0;
}

static void slice_of(const ts_slurm_opts *o, int *i, int *n) {
  long a = 0, b = 1;
  const char *p = digits(o->slice, &a);
  digits(p + 1, &b); /* checked by ts_slurm_opt_slice */
  *i = (int)a;
  *n = (int)b;
}

int ts_slurm_check(const char *cmd, const ts_slurm_opts *o) {
  const char *need = !o->dir ? (o->partition ? "--slurm-partition"
                                : o->time    ? "--slurm-time"
                                : o->account ? "--slurm-account"
                                : o->cpus    ? "--slurm-cpus"
                                : o->throttle ? "--slurm-throttle"
                                : o->tasks   ? "--slurm-tasks"
                                : o->submit  ? "--slurm-submit"
                                             : NULL)
                             : NULL;
  if (need) {
    fprintf(stderr, "tessera %s: %s needs --slurm DIR\n", cmd, need);
    return 1;
  }
  if (!!o->dir + !!o->slice + !!o->merge > 1) {
    fprintf(stderr, "tessera %s: --slurm, --slice and --merge exclude each other "
            "(--slice and --merge are what the --slurm job scripts run)\n", cmd);
    return 1;
  }
  if (!o->slice != !o->parts) {
    fprintf(stderr, "tessera %s: --slice I/N and --parts DIR go together\n", cmd);
    return 1;
  }
  return 0;
}

/* ---- Job scripts -------------------------------------------------------- */

/* s as one shell word: as it is when it is plain, else single-quoted. */
static void put_word(FILE *fp, const char *s) {
  int plain = *s != 0;
  for (const char *p = s; *p && plain; p++)
    plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("_-./,:=+@%", *p);
  if (plain) {
    fputs(s, fp);
    return;
  }
  fputc('\'', fp);
  for (const char *p = s; *p; p++) {
    if (*p == '\'') fputs("'\\''", fp);
    else fputc(*p, fp);
  }
  fputc('\'', fp);
}

/* 1 when the argv word arg is one of the --slurm* options; *takes_value
 * when its value is the next word. getopt_long accepted argv already, so
 * an abbreviation names exactly one option: an exact name, else the only
 * one it prefixes. */
static int slurm_word(const char *arg, int *takes_value) {
  static const char *const names[] = {"slurm", "slurm-partition", "slurm-time",
                                      "slurm-account", "slurm-cpus", "slurm-throttle",
                                      "slurm-tasks", "slurm-submit"};
  enum { N = sizeof names / sizeof names[0] };
  if (strncmp(arg, "--", 2)) return 0;
  const char *name = arg + 2, *eq = strchr(name, '=');
  const size_t len = eq ? (size_t)(eq - name) : strlen(name);
  int hit = -1, hits = 0;
  for (int k = 0; k < N; k++) {
    if (strncmp(names[k], name, len)) continue;
    if (strlen(names[k]) == len) {
      hit = k, hits = 1;
      break;
    }
    hit = k, hits++;
  }
  if (hits != 1 || len < 2) return 0;
  *takes_value = !eq && strcmp(names[hit], "slurm-submit");
  return 1;
}

typedef struct script_ctx {
  const ts_slurm_opts *o;
  const ts_slurm_cmd *c;
  const char *dir, *cwd, *exe;
  int tasks, npoints, merge; /* merge: the merge job, else the array */
} script_ctx;

static void put_cmdline(FILE *fp, const script_ctx *x) {
  put_word(fp, x->exe);
  fputc(' ', fp);
  put_word(fp, x->c->cmd);
  for (int i = 1; i < x->c->argc; i++) {
    const char *a = x->c->argv[i];
    int skip_value = 0;
    if (!strcmp(a, "--")) break; /* the commands take no positional words */
    if (slurm_word(a, &skip_value)) {
      i += skip_value;
      continue;
    }
    fputc(' ', fp);
    put_word(fp, a);
  }
}

static ts_status write_script(FILE *fp, void *user, ts_error *err) {
  const script_ctx *x = user;
  const ts_slurm_opts *o = x->o;
  (void)err;
  fprintf(fp, "#!/bin/sh\n");
  if (x->merge)
    fprintf(fp, "# Written by `tessera %s --slurm`: once every task of array.sbatch has\n"
            "# succeeded, reads their partial CSVs (parts/) and writes the outputs a\n"
            "# single-machine run writes. Computes nothing; safe to run again.\n", x->c->cmd);
  else
    fprintf(fp, "# Written by `tessera %s --slurm`: %d points in %d tasks; task I\n"
            "# evaluates the points i with i mod %d == I into parts/%s.slice-I-of-%d.csv.\n"
            "# Resubmit tasks alone with ./submit.sh IDS (finished points are kept).\n",
            x->c->cmd, x->npoints, x->tasks, x->tasks, x->c->cmd, x->tasks);
  fprintf(fp, "#SBATCH --job-name=tessera-%s%s\n", x->c->cmd, x->merge ? "-merge" : "");
  if (!x->merge) {
    fprintf(fp, "#SBATCH --array=0-%d", x->tasks - 1);
    if (o->throttle) fprintf(fp, "%%%d", o->throttle);
    fputc('\n', fp);
  }
  fprintf(fp, "#SBATCH --ntasks=1\n#SBATCH --cpus-per-task=%d\n",
          o->cpus ? o->cpus : x->c->threads);
  if (o->partition) fprintf(fp, "#SBATCH --partition=%s\n", o->partition);
  if (o->time) fprintf(fp, "#SBATCH --time=%s\n", o->time);
  if (o->account) fprintf(fp, "#SBATCH --account=%s\n", o->account);
  /* #SBATCH lines are not shell words: no quoting; the paths were checked
   * to hold no newline */
  fprintf(fp, "#SBATCH --chdir=%s\n", x->cwd);
  if (x->merge)
    fprintf(fp, "#SBATCH --output=%s/logs/merge-%%j.out\n#SBATCH --kill-on-invalid-dep=yes\n",
            x->dir);
  else fprintf(fp, "#SBATCH --output=%s/logs/task-%%a-%%A.out\n", x->dir);
  fputs("exec ", fp);
  put_cmdline(fp, x);
  if (x->merge) {
    fputs(" --merge ", fp);
  } else {
    fprintf(fp, " --slice \"$SLURM_ARRAY_TASK_ID/%d\" --parts ", x->tasks);
  }
  char parts[PATH_MAX + 16];
  snprintf(parts, sizeof parts, "%s/parts", x->dir);
  put_word(fp, parts);
  fputc('\n', fp);
  return TS_OK;
}

static ts_status write_submit(FILE *fp, void *user, ts_error *err) {
  const script_ctx *x = user;
  (void)err;
  char throttle[16] = ""; /* also applies to a resubmission's --array */
  if (x->o->throttle) snprintf(throttle, sizeof throttle, "%%%d", x->o->throttle);
  fprintf(fp,
          "#!/bin/sh\n"
          "# Written by `tessera %s --slurm`. Submits the job array, then the merge job\n"
          "# that runs once every task has succeeded (--dependency=afterok).\n"
          "#   ./submit.sh          all %d tasks\n"
          "#   ./submit.sh 3,5-7    only those tasks (after a failure: their finished\n"
          "#                        points are read back, not recomputed) and a new merge\n"
          "set -eu\n"
          "here=$(cd \"$(dirname \"$0\")\" && pwd)\n"
          "if [ $# -gt 0 ]; then set -- \"--array=$1%s\"; fi\n"
          "jid=$(sbatch --parsable \"$@\" \"$here/array.sbatch\")\n"
          "jid=${jid%%%%;*}\n"
          "mid=$(sbatch --parsable --dependency=afterok:\"$jid\" \"$here/merge.sbatch\")\n"
          "mid=${mid%%%%;*}\n"
          "echo \"$jid $mid\" >\"$here/jobs\"\n"
          "echo \"tessera: array job $jid, merge job $mid (squeue -j $jid,$mid; logs in "
          "$here/logs)\"\n",
          x->c->cmd, x->tasks, throttle);
  return TS_OK;
}

/* Deletes dir's partial CSVs of cmd (a sweep started again from scratch). */
static int clear_parts(const char *cmd, const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return 0;
  char prefix[64];
  snprintf(prefix, sizeof prefix, "%s.slice-", cmd);
  int rc = 0;
  for (struct dirent *e; (e = readdir(d));) {
    const size_t n = strlen(e->d_name);
    if (strncmp(e->d_name, prefix, strlen(prefix)) || n < 4 || strcmp(e->d_name + n - 4, ".csv"))
      continue;
    if (unlinkat(dirfd(d), e->d_name, 0) != 0) {
      fprintf(stderr, "tessera %s: cannot delete '%s/%s': %s\n", cmd, dir, e->d_name,
              strerror(errno));
      rc = 1;
    }
  }
  closedir(d);
  return rc;
}

static int run_submit(const char *cmd, const char *script) {
  char *const argv[] = {"/bin/sh", (char *)script, NULL};
  pid_t pid;
  int st = posix_spawn(&pid, "/bin/sh", NULL, NULL, argv, environ);
  if (st) {
    fprintf(stderr, "tessera %s: cannot run %s: %s\n", cmd, script, strerror(st));
    return 1;
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status)) {
    fprintf(stderr, "tessera %s: %s failed (is sbatch on PATH, and SLURM_CONF right?); the "
            "job scripts are written, submit them with it later\n", cmd, script);
    return 1;
  }
  return 0;
}

int ts_slurm_write_jobs(const ts_slurm_cmd *c, int npoints) {
  const ts_slurm_opts *o = c->opts;
  char dir[PATH_MAX], cwd[PATH_MAX], exe[PATH_MAX], sub[PATH_MAX + 32];
  char logs[PATH_MAX + 32], parts[PATH_MAX + 32], arr[PATH_MAX + 32], mrg[PATH_MAX + 32];
  if (npoints < 1) {
    fprintf(stderr, "tessera %s: --slurm: the sweep has no point\n", c->cmd);
    return 1;
  }
  if (ts_cli_mkdirs(c->cmd, o->dir)) return 1;
  if (!realpath(o->dir, dir) || !getcwd(cwd, sizeof cwd)) {
    fprintf(stderr, "tessera %s: --slurm %s: %s\n", c->cmd, o->dir, strerror(errno));
    return 1;
  }
  /* the binary that runs this: the jobs run the very same one */
  const ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) {
    fprintf(stderr, "tessera %s: cannot find the tessera binary: %s\n", c->cmd, strerror(errno));
    return 1;
  }
  exe[n] = 0;
  if (strpbrk(dir, "\n\r") || strpbrk(cwd, "\n\r")) {
    fprintf(stderr, "tessera %s: --slurm: a folder name holds a line break\n", c->cmd);
    return 1;
  }
  snprintf(logs, sizeof logs, "%s/logs", dir);
  snprintf(parts, sizeof parts, "%s/parts", dir);
  snprintf(arr, sizeof arr, "%s/array.sbatch", dir);
  snprintf(mrg, sizeof mrg, "%s/merge.sbatch", dir);
  snprintf(sub, sizeof sub, "%s/submit.sh", dir);
  if (ts_cli_mkdirs(c->cmd, logs) || ts_cli_mkdirs(c->cmd, parts)) return 1;
  if (!c->resume && clear_parts(c->cmd, parts)) return 1;
  int tasks = o->tasks ? o->tasks : npoints;
  if (tasks > npoints) tasks = npoints;
  if (tasks > TS_SLURM_MAX_TASKS) tasks = TS_SLURM_MAX_TASKS;
  script_ctx x = {o, c, dir, cwd, exe, tasks, npoints, 0};
  script_ctx m = x;
  m.merge = 1;
  ts_error err = {0};
  if (ts_atomic_write(arr, write_script, &x, &err) ||
      ts_atomic_write(mrg, write_script, &m, &err) ||
      ts_atomic_write(sub, write_submit, &x, &err)) {
    fprintf(stderr, "tessera %s: %s\n", c->cmd, err.msg);
    return 1;
  }
  if (chmod(arr, 0755) || chmod(mrg, 0755) || chmod(sub, 0755)) {
    fprintf(stderr, "tessera %s: chmod %s: %s\n", c->cmd, dir, strerror(errno));
    return 1;
  }
  printf("slurm: %d points in %d array tasks (task I: points i with i mod %d == I)\n"
         "wrote %s, %s and %s\n", npoints, tasks, tasks, arr, mrg, sub);
  if (!o->submit) {
    printf("submit with: %s   (resubmit failed tasks: %s IDS)\n", sub, sub);
    return 0;
  }
  return run_submit(c->cmd, sub);
}

/* ---- Slices and parts ---------------------------------------------------- */

int ts_slurm_in_slice(const ts_slurm_opts *o, int i) {
  if (!o->slice) return 1;
  int s, n;
  slice_of(o, &s, &n);
  return i % n == s;
}

int ts_slurm_part_path(const ts_slurm_opts *o, const char *cmd, char *buf, int len) {
  int s, n;
  slice_of(o, &s, &n);
  if (ts_cli_mkdirs(cmd, o->parts)) return 1;
  if (snprintf(buf, len, "%s/%s.slice-%d-of-%d.csv", o->parts, cmd, s, n) >= len) {
    fprintf(stderr, "tessera %s: --parts path too long\n", cmd);
    return 1;
  }
  return 0;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

int ts_slurm_parts(const ts_slurm_opts *o, const char *cmd, char ***paths, int *n,
                   int *slices) {
  *paths = NULL;
  *n = 0;
  *slices = 0;
  DIR *d = opendir(o->merge);
  if (!d) {
    fprintf(stderr, "tessera %s: --merge %s: %s\n", cmd, o->merge, strerror(errno));
    return 1;
  }
  char prefix[64];
  snprintf(prefix, sizeof prefix, "%s.slice-", cmd);
  const size_t plen = strlen(prefix), dlen = strlen(o->merge);
  char **names = NULL;
  size_t bytes = 0;
  int cap = 0, count = 0, agree = 1, rc = 0;
  for (struct dirent *e; (e = readdir(d));) {
    int i, m, used = 0;
    if (strncmp(e->d_name, prefix, plen) ||
        sscanf(e->d_name + plen, "%d-of-%d.csv%n", &i, &m, &used) != 2 ||
        e->d_name[plen + used] || i < 0 || i >= m)
      continue; /* not a part (a temp file of an atomic write, say) */
    if (count == cap) {
      cap = cap ? 2 * cap : 16;
      char **nn = realloc(names, sizeof(char *) * cap);
      if (!nn) {
        rc = 1;
        break;
      }
      names = nn;
    }
    if (!(names[count] = strdup(e->d_name))) {
      rc = 1;
      break;
    }
    bytes += dlen + strlen(e->d_name) + 2;
    count++;
    if (*slices && *slices != m) agree = 0;
    *slices = m;
  }
  closedir(d);
  /* one block: the pointers, then the strings */
  char **out = rc ? NULL : malloc(sizeof(char *) * (count + 1) + bytes);
  if (out) {
    qsort(names, count, sizeof(char *), cmp_str);
    char *s = (char *)(out + count + 1);
    for (int k = 0; k < count; k++) {
      out[k] = s;
      s += sprintf(s, "%s/%s", o->merge, names[k]) + 1;
    }
    out[count] = NULL;
  }
  for (int k = 0; k < count; k++) free(names[k]);
  free(names);
  if (!out) {
    fprintf(stderr, "tessera %s: out of memory listing %s\n", cmd, o->merge);
    return 1;
  }
  if (!count) {
    free(out);
    fprintf(stderr, "tessera %s: --merge %s: no partial CSV (%s.slice-I-of-N.csv) there; "
            "did the array tasks run?\n", cmd, o->merge, cmd);
    return 1;
  }
  if (!agree) *slices = 0;
  *paths = out;
  *n = count;
  return 0;
}

int ts_slurm_check_merged(const ts_slurm_opts *o, const char *cmd, const int *done,
                          int n, int slices) {
  int missing = 0, first = -1;
  for (int i = 0; i < n; i++)
    if (!done[i]) missing++, first = first < 0 ? i : first;
  if (!missing) return 0;
  char ids[256] = "";
  int used = 0, listed = 0;
  for (int s = 0; s < slices && used < (int)sizeof ids - 16; s++) {
    int miss = 0;
    for (int i = s; i < n && !miss; i += slices) miss = !done[i];
    if (miss) used += snprintf(ids + used, sizeof ids - used, "%s%d", listed++ ? "," : "", s);
  }
  if (slices)
    fprintf(stderr, "tessera %s: --merge %s: %d of %d points have no result; unfinished "
            "tasks: %s (resubmit them with: submit.sh %s, in the folder above)\n", cmd,
            o->merge, missing, n, ids, ids);
  else
    fprintf(stderr, "tessera %s: --merge %s: %d of %d points have no result (the first is "
            "point %d); the partial CSVs come from arrays of different sizes: write the "
            "jobs again with --slurm\n", cmd, o->merge, missing, n, first);
  return 1;
}

/* ---- The flow ------------------------------------------------------------ */

int ts_slurm_prepare(const ts_slurm_cmd *c, const ts_slurm_points *pts, const char *csv,
                     ts_slurm_plan *plan) {
  const ts_slurm_opts *o = c->opts;
  memset(plan, 0, sizeof *plan);
  snprintf(plan->csv, sizeof plan->csv, "%s", csv);
  if (o->dir) {
    plan->stop = 1;
    return ts_slurm_write_jobs(c, pts->n);
  }
  if (o->slice) {
    plan->slice_only = 1;
    if (ts_slurm_part_path(o, c->cmd, plan->csv, sizeof plan->csv) ||
        pts->resume(pts->user, plan->csv))
      return 1;
  }
  if (o->merge) {
    char **paths;
    int np, slices, bad = 0;
    if (ts_slurm_parts(o, c->cmd, &paths, &np, &slices)) return 1;
    for (int k = 0; k < np && !bad; k++) bad = pts->resume(pts->user, paths[k]);
    free(paths);
    if (bad) return 1;
    int *done = malloc(sizeof(int) * (pts->n + 1));
    if (!done) {
      fprintf(stderr, "tessera %s: out of memory\n", c->cmd);
      return 1;
    }
    for (int i = 0; i < pts->n; i++) done[i] = pts->done(pts->user, i);
    bad = ts_slurm_check_merged(o, c->cmd, done, pts->n, slices);
    free(done);
    if (bad) return 1;
  }
  if (c->resume && pts->resume(pts->user, csv)) return 1;
  for (int i = 0; i < pts->n; i++) plan->reused += pts->done(pts->user, i);
  return 0;
}

/* ---- The study sweeps ---------------------------------------------------- */

typedef struct sweep_ctx {
  const char *cmd;
  ts_sweep *w;
} sweep_ctx;

static int sweep_resume(void *user, const char *path) {
  const sweep_ctx *x = user;
  ts_error err = {0};
  int reused; /* ts_sweep_resume skips points already done */
  if (!ts_sweep_resume(x->w, path, &reused, &err)) return 0;
  fprintf(stderr, "tessera %s: %s\n", x->cmd, err.msg);
  return 1;
}

static int sweep_done(void *user, int i) { return ((const sweep_ctx *)user)->w->p[i].done; }

int ts_slurm_sweep(const ts_slurm_cmd *c, ts_sweep *w, const char *csv, ts_slurm_plan *plan) {
  if (c->opts->slice) { /* keep this slice's points, in order */
    int k = 0;
    for (int i = 0; i < w->n; i++)
      if (ts_slurm_in_slice(c->opts, i)) w->p[k++] = w->p[i];
    w->n = k;
  }
  sweep_ctx x = {c->cmd, w};
  const ts_slurm_points pts = {w->n, &x, sweep_resume, sweep_done};
  return ts_slurm_prepare(c, &pts, csv, plan);
}
