/* tessera eval: accuracy of a saved model on a dataset split. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "ts_eval.h"
#include "ts_weights.h"

static const char *const USAGE =
    "usage: tessera eval [--model FILE] [--dataset NAME] [--data DIR] [--coarse]\n"
    "                    [--split test|train] [--limit N] [--threads N]\n"
    "Classifies a split with a saved model (default out/model.safetensors)\n"
    "and prints its accuracy. The dataset and normalisation default to those\n"
    "stored in the model file.\n";

int ts_cmd_eval(int argc, char **argv) {
  const char *cmd = "eval", *model = "out/model.safetensors";
  ts_cli_data data = {0};
  int threads = 2;
  ts_split split = TS_SPLIT_TEST;
  enum { O_MODEL = 256, O_DATASET, O_DATA, O_COARSE, O_SPLIT, O_LIMIT, O_THREADS, O_HELP };
  static const struct option opts[] = {
      {"model", 1, 0, O_MODEL}, {"dataset", 1, 0, O_DATASET}, {"data", 1, 0, O_DATA},
      {"coarse", 0, 0, O_COARSE}, {"split", 1, 0, O_SPLIT}, {"limit", 1, 0, O_LIMIT},
      {"threads", 1, 0, O_THREADS}, {"help", 0, 0, O_HELP}, {0, 0, 0, 0}};
  int o;
  optind = 1;
  opterr = 0; /* ts_cli_bad_option says it in one line */
  while ((o = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
    int bad = 0;
    switch (o) {
      case O_MODEL: model = optarg; break;
      case O_DATASET: data.dataset = optarg; bad = ts_cli_dataset_name(cmd, optarg); break;
      case O_DATA: data.dir = optarg; break;
      case O_COARSE: data.coarse = 1; break;
      case O_SPLIT:
        if (!strcmp(optarg, "test")) split = TS_SPLIT_TEST;
        else if (!strcmp(optarg, "train")) split = TS_SPLIT_TRAIN;
        else {
          fprintf(stderr, "tessera eval: --split must be test or train, got '%s'\n", optarg);
          bad = 1;
        }
        break;
      case O_LIMIT: bad = ts_cli_int(cmd, "--limit", optarg, 1, 1 << 30, &data.limit); break;
      case O_THREADS: bad = ts_cli_int(cmd, "--threads", optarg, 1, 256, &threads); break;
      case O_HELP: fputs(USAGE, stdout); return 0;
      default: return ts_cli_bad_option(cmd, o, argv);
    }
    if (bad) return 2;
  }
  if (ts_cli_no_extra_args(cmd, argc, argv)) return 2;
  ts_error err = {0};
  ts_st_file *f = NULL;
  ts_net *net = NULL;
  ts_dataset *ds = NULL;
  int rc = 1;
  if (ts_st_open(model, &f, &err)) {
    fprintf(stderr, "tessera eval: %s\n", err.msg);
    return 1;
  }
  ts_norm nm;
  const char *normtxt = ts_st_meta_get(f, "tessera.norm");
  if (!normtxt || ts_cli_norm_parse(normtxt, &nm)) {
    fprintf(stderr, "tessera eval: '%s' has no valid tessera.norm metadata "
            "(normalisation of the training data); was it saved by tessera train?\n", model);
    goto done;
  }
  if (!data.dataset) data.dataset = ts_st_meta_get(f, "tessera.dataset");
  if (!(ds = ts_cli_load(cmd, &data, split))) goto done;
  if (nm.c != ds->c) {
    fprintf(stderr, "tessera eval: '%s' was trained on %d-channel images (tessera.norm), "
            "the %s images have %d\n", model, nm.c,
            data.dataset ? data.dataset : "fashion-mnist", ds->c);
    goto done;
  }
  ts_arch hint;
  ts_arch_default(&hint, ds->c, ds->h, ds->w, ds->classes);
  double acc;
  if (ts_weights_load(model, &hint, &net, &err) ||
      ts_evaluate(net, ds, &nm, 0, threads, &acc, NULL, &err)) {
    fprintf(stderr, "tessera eval: %s\n", err.msg);
    goto done;
  }
  printf("%s on %s %s (%d images): accuracy %.2f%% (error %.2f%%)\n", model,
         data.dataset, ts_split_name(split), ds->n, 100 * acc, 100 * (1 - acc));
  rc = 0;
done:
  ts_st_close(f);
  ts_net_destroy(net);
  ts_dataset_destroy(ds);
  return rc;
}
