/* tessera profile: layer table, MACs, inference/training memory and the
 * storage of quantized weights, from the architecture alone. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_opts.h"
#include "commands.h"
#include "study.h"
#include "ts_profile.h"
#include "ts_safetensors.h"
#include "ts_weights.h"

static const char *const USAGE =
    "usage: tessera profile [--model FILE | --dataset NAME [--coarse] [--k1 K] [--k2 K]\n"
    "                       [--channels C1,C2]] [--batch N] [--out DIR]\n"
    "Static profile of the CNN: per-layer shapes, parameters and MACs; inference\n"
    "memory (one image); training memory for a batch (SGD with momentum); model\n"
    "storage with 2/4/8-bit weights vs FP32. The architecture comes from a model\n"
    "file (default out/model.safetensors) or, with --dataset, from the dataset's\n"
    "image shape and class count plus the kernel and channel options. No data is\n"
    "read.\n"
    "  --batch N   training batch for the backprop figures (default 64)\n"
    "Writes OUT/profile.csv, OUT/profile.json and OUT/profile_quant_memory.csv\n"
    "(default OUT = out).\n";

typedef struct profile_args {
  ts_cli_common c;
  int batch, k[2], ch[2], arch_opts;
} profile_args;

/* Returns 0 to go on, else 1 with the exit code in *rc. */
static int parse_args(const char *cmd, int argc, char **argv, profile_args *a, int *rc) {
  *a = (profile_args){.batch = 64, .k = {5, 5}, .ch = {6, 16}};
  ts_cli_common_default(&a->c);
  a->c.model = NULL; /* the architecture comes from --model or --dataset */
  ts_opt own[] = {TS_OPT_I("k1", &a->k[0], 1, TS_CLI_MAX_DIM),
                  TS_OPT_I("k2", &a->k[1], 1, TS_CLI_MAX_DIM),
                  TS_OPT_CALL("channels", ts_opt_int_pair, a->ch),
                  TS_OPT_I("batch", &a->batch, 1, 1 << 20)};
  for (int i = 0; i < 3; i++) own[i].seen = &a->arch_opts;
  const ts_cli_spec spec = {cmd, USAGE, TS_CLI_MODEL | TS_CLI_DATASET | TS_CLI_COARSE |
                            TS_CLI_OUT, own, TS_OPT_COUNT(own)};
  if (ts_cli_parse(&spec, argc, argv, &a->c, rc)) return 1;
  *rc = 2;
  if (a->c.model && a->c.data.dataset) {
    fprintf(stderr, "tessera %s: give either --model or --dataset, not both\n", cmd);
    return 1;
  }
  if (a->c.model && a->arch_opts) {
    fprintf(stderr, "tessera %s: --k1/--k2/--channels go with --dataset; a model file "
            "carries its own architecture\n", cmd);
    return 1;
  }
  return 0;
}

/* The architecture from the dataset's image shape and class count plus the
 * kernel and channel options; source names it. Returns an exit code. */
static int arch_of_dataset(const char *cmd, const profile_args *a, ts_arch *arch,
                           char *source, int len) {
  const char *dataset = a->c.data.dataset;
  ts_dataset_kind kind;
  ts_error err = {0};
  ts_status st = ts_dataset_kind_parse(dataset, &kind, &err);
  if (!st) {
    const int cifar = kind == TS_DS_CIFAR10 || kind == TS_DS_CIFAR100;
    ts_arch_default(arch, cifar ? 3 : 1, cifar ? 32 : 28, cifar ? 32 : 28,
                    ts_dataset_kind_classes(kind, a->c.data.coarse));
    arch->k1 = a->k[0];
    arch->k2 = a->k[1];
    arch->c1 = a->ch[0];
    arch->c2 = a->ch[1];
    st = ts_arch_validate(arch, &err);
  }
  if (st) {
    ts_cli_error(cmd, &err);
    return 2;
  }
  snprintf(source, len, "dataset %s", dataset);
  return 0;
}

/* The architecture stored in the model file. Returns an exit code. */
static int arch_of_model(const char *cmd, const char *model, ts_arch *arch, char *source,
                         int len) {
  ts_error err = {0};
  ts_st_file *f = NULL;
  ts_status st = ts_st_open(model, &f, &err);
  if (!st) st = ts_weights_read_arch(f, NULL, arch, &err);
  ts_st_close(f);
  if (st) {
    fprintf(stderr, "tessera %s: %s%s\n", cmd, err.msg,
            st == TS_E_IO ? " (train one with `tessera train`, or use --dataset NAME)" : "");
    return 1;
  }
  snprintf(source, len, "model %s", model);
  return 0;
}

enum { F_CSV, F_JSON, F_MEM, NFILES };
static const char *const FILES[NFILES] = {"profile.csv", "profile.json",
                                          "profile_quant_memory.csv"};

/* The tables on stdout and in the files. Returns 0 / 1. */
static int report(const char *cmd, const profile_args *a, const ts_arch *arch,
                  const char *source, ts_profile *p, char (*f)[TS_STUDY_PATH_MAX]) {
  ts_error err = {0};
  ts_quant_mem mem[TS_STUDY_MEM_ROWS];
  if (ts_profile_compute(arch, a->batch, p, &err)) goto fail;
  if (ts_study_quant_mem(cmd, arch, mem)) return 1;
  printf("profile of %s: input %dx%dx%d, k1=%d k2=%d, channels %d,%d, fc %d,%d, %d classes; "
         "training batch %d\n\n", source, arch->in_c, arch->in_h, arch->in_w, arch->k1,
         arch->k2, arch->c1, arch->c2, arch->f1, arch->f2, arch->classes, a->batch);
  if (ts_profile_print(stdout, p, &err)) goto fail;
  printf("\n");
  if (ts_quant_mem_print(stdout, mem, TS_STUDY_MEM_ROWS, &err)) goto fail;
  if (ts_cli_mkdirs(cmd, a->c.out)) return 1;
  if (ts_profile_write_csv(f[F_CSV], p, &err) || ts_profile_write_json(f[F_JSON], p, &err) ||
      ts_quant_mem_write_csv(f[F_MEM], mem, TS_STUDY_MEM_ROWS, &err))
    goto fail;
  printf("\nwrote %s, %s, %s\n", f[F_CSV], f[F_JSON], f[F_MEM]);
  return 0;
fail:
  ts_cli_error(cmd, &err);
  return 1;
}

int ts_cmd_profile(int argc, char **argv) {
  const char *cmd = "profile";
  profile_args a;
  ts_arch arch;
  char source[TS_STUDY_PATH_MAX + 16], f[NFILES][TS_STUDY_PATH_MAX];
  int rc;
  if (parse_args(cmd, argc, argv, &a, &rc)) return rc;
  if (a.c.data.dataset)
    rc = arch_of_dataset(cmd, &a, &arch, source, sizeof source);
  else
    rc = arch_of_model(cmd, a.c.model ? a.c.model : TS_CLI_DEFAULT_MODEL, &arch, source,
                       sizeof source);
  if (rc) return rc;
  if (ts_study_paths(cmd, a.c.out, FILES, NFILES, f)) return 2;
  ts_profile *p = malloc(sizeof *p);
  if (!p) {
    fprintf(stderr, "tessera %s: out of memory\n", cmd);
    return 1;
  }
  rc = report(cmd, &a, &arch, source, p, f);
  free(p);
  return rc;
}
