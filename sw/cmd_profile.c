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

int ts_cmd_profile(int argc, char **argv) {
  const char *cmd = "profile";
  ts_cli_common c;
  ts_cli_common_default(&c);
  c.model = NULL; /* the architecture comes from --model or --dataset */
  int batch = 64, k[2] = {5, 5}, ch[2] = {6, 16}, arch_opts = 0;
  ts_opt own[] = {TS_OPT_I("k1", &k[0], 1, TS_CLI_MAX_DIM),
                  TS_OPT_I("k2", &k[1], 1, TS_CLI_MAX_DIM),
                  TS_OPT_CALL("channels", ts_opt_int_pair, ch),
                  TS_OPT_I("batch", &batch, 1, 1 << 20)};
  for (int i = 0; i < 3; i++) own[i].seen = &arch_opts;
  const ts_cli_spec spec = {cmd, USAGE, TS_CLI_MODEL | TS_CLI_DATASET | TS_CLI_COARSE |
                            TS_CLI_OUT, own, TS_OPT_COUNT(own)};
  int rc;
  if (ts_cli_parse(&spec, argc, argv, &c, &rc)) return rc;
  const char *model = c.model, *dataset = c.data.dataset, *out = c.out;
  const int coarse = c.data.coarse, k1 = k[0], k2 = k[1], c1 = ch[0], c2 = ch[1];
  if (model && dataset) {
    fprintf(stderr, "tessera profile: give either --model or --dataset, not both\n");
    return 2;
  }
  if (model && arch_opts) {
    fprintf(stderr, "tessera profile: --k1/--k2/--channels go with --dataset; a model file "
            "carries its own architecture\n");
    return 2;
  }
  ts_error err = {0};
  ts_arch a;
  char source[4200];
  if (dataset) {
    ts_dataset_kind kind;
    if (ts_dataset_kind_parse(dataset, &kind, &err)) {
      fprintf(stderr, "tessera profile: %s\n", err.msg);
      return 2;
    }
    const int cifar = kind == TS_DS_CIFAR10 || kind == TS_DS_CIFAR100;
    ts_arch_default(&a, cifar ? 3 : 1, cifar ? 32 : 28, cifar ? 32 : 28,
                    ts_dataset_kind_classes(kind, coarse));
    a.k1 = k1;
    a.k2 = k2;
    a.c1 = c1;
    a.c2 = c2;
    if (ts_arch_validate(&a, &err)) {
      fprintf(stderr, "tessera profile: %s\n", err.msg);
      return 2;
    }
    snprintf(source, sizeof source, "dataset %s", dataset);
  } else {
    if (!model) model = "out/model.safetensors";
    ts_st_file *f = NULL;
    ts_status st = ts_st_open(model, &f, &err);
    if (!st) st = ts_weights_read_arch(f, NULL, &a, &err);
    ts_st_close(f);
    if (st) {
      fprintf(stderr, "tessera profile: %s%s\n", err.msg,
              st == TS_E_IO ? " (train one with `tessera train`, or use --dataset NAME)" : "");
      return 1;
    }
    snprintf(source, sizeof source, "model %s", model);
  }
  char csv[4096], json[4096], qcsv[4096];
  if (ts_study_path(csv, sizeof csv, out, "profile.csv") ||
      ts_study_path(json, sizeof json, out, "profile.json") ||
      ts_study_path(qcsv, sizeof qcsv, out, "profile_quant_memory.csv")) {
    fprintf(stderr, "tessera profile: --out path too long\n");
    return 2;
  }
  ts_profile *p = malloc(sizeof *p);
  if (!p) {
    fprintf(stderr, "tessera profile: out of memory\n");
    return 1;
  }
  rc = 1;
  ts_quant_mem mem[6];
  const int bits[3] = {2, 4, 8};
  if (ts_profile_compute(&a, batch, p, &err)) goto fail;
  for (int sc = 0; sc < 2; sc++)
    for (int k = 0; k < 3; k++)
      if (ts_profile_quant_mem(&a, bits[k], (ts_quant_scheme)sc, &mem[sc * 3 + k], &err))
        goto fail;
  printf("profile of %s: input %dx%dx%d, k1=%d k2=%d, channels %d,%d, fc %d,%d, %d classes; "
         "training batch %d\n\n", source, a.in_c, a.in_h, a.in_w, a.k1, a.k2, a.c1, a.c2,
         a.f1, a.f2, a.classes, batch);
  if (ts_profile_print(stdout, p, &err)) goto fail;
  printf("\n");
  if (ts_quant_mem_print(stdout, mem, 6, &err)) goto fail;
  if (ts_cli_mkdirs(cmd, out)) goto done;
  if (ts_profile_write_csv(csv, p, &err) || ts_profile_write_json(json, p, &err) ||
      ts_quant_mem_write_csv(qcsv, mem, 6, &err))
    goto fail;
  printf("\nwrote %s, %s, %s\n", csv, json, qcsv);
  rc = 0;
  goto done;
fail:
  fprintf(stderr, "tessera profile: %s\n", err.msg);
done:
  free(p);
  return rc;
}
