/* tessera profile: layer table, MACs, inference/training memory and the
 * storage of quantized weights, from the architecture alone. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
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
  const char *cmd = "profile", *model = NULL, *dataset = NULL, *out = "out";
  int batch = 64, k1 = 5, k2 = 5, c1 = 6, c2 = 16, coarse = 0, arch_opts = 0;
  enum { O_MODEL = 256, O_DATASET, O_COARSE, O_K1, O_K2, O_CH, O_BATCH, O_OUT, O_HELP };
  static const struct option opts[] = {
      {"model", 1, 0, O_MODEL}, {"dataset", 1, 0, O_DATASET}, {"coarse", 0, 0, O_COARSE},
      {"k1", 1, 0, O_K1}, {"k2", 1, 0, O_K2}, {"channels", 1, 0, O_CH},
      {"batch", 1, 0, O_BATCH}, {"out", 1, 0, O_OUT}, {"help", 0, 0, O_HELP}, {0, 0, 0, 0}};
  int o;
  optind = 1;
  opterr = 0; /* ts_cli_bad_option says it in one line */
  while ((o = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
    int bad = 0;
    switch (o) {
      case O_MODEL: model = optarg; break;
      case O_DATASET: dataset = optarg; break;
      case O_COARSE: coarse = 1; break;
      case O_K1: bad = ts_cli_int(cmd, "--k1", optarg, 1, 4096, &k1); arch_opts = 1; break;
      case O_K2: bad = ts_cli_int(cmd, "--k2", optarg, 1, 4096, &k2); arch_opts = 1; break;
      case O_CH: {
        const char *comma = strchr(optarg, ',');
        char first[32];
        if (!comma || comma - optarg >= (long)sizeof first) {
          fprintf(stderr, "tessera profile: --channels takes C1,C2 (e.g. 6,16), got '%s'\n", optarg);
          return 2;
        }
        memcpy(first, optarg, comma - optarg);
        first[comma - optarg] = 0;
        bad = ts_cli_int(cmd, "--channels", first, 1, 4096, &c1) ||
              ts_cli_int(cmd, "--channels", comma + 1, 1, 4096, &c2);
        arch_opts = 1;
        break;
      }
      case O_BATCH: bad = ts_cli_int(cmd, "--batch", optarg, 1, 1 << 20, &batch); break;
      case O_OUT: out = optarg; break;
      case O_HELP: fputs(USAGE, stdout); return 0;
      default: return ts_cli_bad_option(cmd, o, argv);
    }
    if (bad) return 2;
  }
  if (ts_cli_no_extra_args(cmd, argc, argv)) return 2;
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
  int rc = 1;
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
