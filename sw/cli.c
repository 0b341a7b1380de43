#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

const char *ts_cli_dataset(const ts_cli_data *o) {
  return o->dataset ? o->dataset : TS_CLI_DEFAULT_DATASET;
}

int ts_cli_dataset_name(const char *cmd, const char *name) {
  ts_dataset_kind kind;
  ts_error err = {0};
  if (!ts_dataset_kind_parse(name, &kind, &err)) return 0;
  fprintf(stderr, "tessera %s: --dataset: %s\n", cmd, err.msg);
  return 1;
}

int ts_cli_int(const char *cmd, const char *flag, const char *s, long lo,
               long hi, int *out) {
  char *end;
  errno = 0;
  long v = strtol(s ? s : "", &end, 10);
  if (!s || !*s || *end || errno || v < lo || v > hi) {
    fprintf(stderr, "tessera %s: %s must be a whole number in [%ld, %ld], got '%s'\n",
            cmd, flag, lo, hi, s ? s : "");
    return 1;
  }
  *out = (int)v;
  return 0;
}

int ts_cli_u64(const char *cmd, const char *flag, const char *s, uint64_t *out) {
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s ? s : "", &end, 10);
  /* strtoull negates "-1" (also after blanks) instead of refusing it */
  if (!s || !*s || *end || errno || strchr(s, '-')) {
    fprintf(stderr, "tessera %s: %s must be a non-negative whole number, got '%s'\n",
            cmd, flag, s ? s : "");
    return 1;
  }
  *out = v;
  return 0;
}

int ts_cli_real(const char *cmd, const char *flag, const char *s, double lo,
                double hi, double *out) {
  char *end;
  errno = 0;
  double v = strtod(s ? s : "", &end);
  if (!s || !*s || *end || errno || !isfinite(v) || v < lo || v > hi) {
    fprintf(stderr, "tessera %s: %s must be a number in [%g, %g], got '%s'\n",
            cmd, flag, lo, hi, s ? s : "");
    return 1;
  }
  *out = v;
  return 0;
}

#define TS_FASHION_MNIST_DEBIAN "/usr/share/datasets/fashion-mnist"

const char *ts_cli_data_dir(const char *cmd, const ts_cli_data *o) {
  if (o->dir && *o->dir) return o->dir;
  const char *env = getenv(TS_DATA_ENV);
  if (env && *env) return env;
  const char *name = ts_cli_dataset(o);
  if (!strcmp(name, "fashion-mnist")) return TS_FASHION_MNIST_DEBIAN;
  fprintf(stderr,
          "tessera %s: no data directory for %s: pass --data DIR or set %s\n",
          cmd, name, TS_DATA_ENV);
  return NULL;
}

ts_dataset *ts_cli_load(const char *cmd, const ts_cli_data *o, ts_split split) {
  ts_error err = {0};
  ts_dataset_kind kind;
  if (ts_dataset_kind_parse(ts_cli_dataset(o), &kind, &err)) {
    ts_cli_error(cmd, &err);
    return NULL;
  }
  const char *dir = ts_cli_data_dir(cmd, o);
  if (!dir) return NULL;
  struct stat sb;
  if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
    fprintf(stderr, "tessera %s: data directory '%s' does not exist%s\n", cmd,
            dir,
            kind == TS_DS_FASHION_MNIST
                ? " (install Debian's dataset-fashion-mnist, or pass --data DIR)"
                : " (pass --data DIR)");
    return NULL;
  }
  ts_dataset *ds = NULL;
  if (ts_dataset_load_n(kind, dir, split, o->coarse, o->limit, &ds, &err)) {
    ts_cli_error(cmd, &err);
    return NULL;
  }
  return ds;
}

void ts_cli_norm_format(const ts_norm *nm, char *buf, int len) {
  int used = 0;
  for (int part = 0; part < 2; part++) {
    const float *v = part ? nm->std : nm->mean;
    for (int c = 0; c < nm->c; c++)
      used += snprintf(buf + used, len - used, "%s%.9g", c ? "," : (part ? "/" : ""), v[c]);
  }
}

int ts_cli_norm_parse(const char *s, ts_norm *nm) {
  memset(nm, 0, sizeof *nm);
  const char *slash = s ? strchr(s, '/') : NULL;
  if (!slash) return 1;
  for (int part = 0; part < 2; part++) {
    const char *p = part ? slash + 1 : s;
    float *v = part ? nm->std : nm->mean;
    int c = 0;
    for (;;) {
      char *end;
      double d = strtod(p, &end);
      if (end == p || c == TS_MAX_CHANNELS || !isfinite(d)) return 1;
      v[c++] = (float)d;
      if (*end != ',') {
        if (part == 0 && *end != '/') return 1;
        if (part == 1 && *end) return 1;
        break;
      }
      p = end + 1;
    }
    if (part == 0) nm->c = c;
    else if (c != nm->c) return 1;
  }
  for (int c = 0; c < nm->c; c++)
    if (!(nm->std[c] > 0)) return 1;
  return 0;
}

int ts_cli_mkdirs(const char *cmd, const char *dir) {
  char path[4096];
  if (!dir || !*dir) { /* the loop below starts at path[1] */
    fprintf(stderr, "tessera %s: the output folder name is empty\n", cmd);
    return 1;
  }
  if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path) {
    fprintf(stderr, "tessera %s: output path too long\n", cmd);
    return 1;
  }
  for (char *p = path + 1;; p++) {
    if (*p == '/' || *p == 0) {
      const char keep = *p;
      *p = 0;
      if (mkdir(path, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "tessera %s: cannot create directory '%s': %s\n", cmd,
                path, strerror(errno));
        return 1;
      }
      *p = keep;
      if (!keep) break;
    }
  }
  struct stat sb; /* mkdir's EEXIST also covers a file of that name */
  if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
    fprintf(stderr, "tessera %s: '%s' exists and is not a directory\n", cmd, path);
    return 1;
  }
  return 0;
}

void ts_cli_select_blas(void) {
  if (getenv("BLIS_ARCH_TYPE")) return;
  /* BLIS 0.9 numbers its sub-configurations (arch_t): 0 is skx (AVX-512),
   * 3 is haswell (AVX2). Measured with BLIS_ARCH_DEBUG=1 on this machine:
   * generic 12.7 GFLOP/s, skx 67-130 GFLOP/s on one core. */
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) setenv("BLIS_ARCH_TYPE", "0", 0);
  else if (__builtin_cpu_supports("avx2")) setenv("BLIS_ARCH_TYPE", "3", 0);
}

void ts_cli_error(const char *cmd, const ts_error *err) {
  fprintf(stderr, "tessera %s: %s\n", cmd, err->msg[0] ? err->msg : ts_status_str(err->status));
}

void ts_cli_duration(double s, char *buf, int len) {
  if (s < 0) s = 0;
  if (s < 60) snprintf(buf, len, "%.1fs", s);
  else if (s < 3600) snprintf(buf, len, "%dm%02ds", (int)s / 60, (int)s % 60);
  else snprintf(buf, len, "%dh%02dm", (int)s / 3600, ((int)s % 3600) / 60);
}
