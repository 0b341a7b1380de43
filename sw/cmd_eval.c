/* tessera eval: accuracy of a saved model on a dataset split. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_model.h"
#include "cli_opts.h"
#include "commands.h"
#include "ts_eval.h"

static const char *const USAGE =
    "usage: tessera eval [--model FILE] [--dataset NAME] [--data DIR] [--coarse]\n"
    "                    [--split test|train] [--limit N] [--threads N]\n"
    "Classifies a split with a saved model (default out/model.safetensors)\n"
    "and prints its accuracy. The dataset and normalisation default to those\n"
    "stored in the model file.\n";

static int opt_split(const char *cmd, const char *flag, const char *arg, void *dst) {
  if (!strcmp(arg, "test")) *(ts_split *)dst = TS_SPLIT_TEST;
  else if (!strcmp(arg, "train")) *(ts_split *)dst = TS_SPLIT_TRAIN;
  else {
    fprintf(stderr, "tessera %s: %s must be test or train, got '%s'\n", cmd, flag, arg);
    return 1;
  }
  return 0;
}

int ts_cmd_eval(int argc, char **argv) {
  const char *cmd = "eval";
  ts_cli_common c;
  ts_cli_common_default(&c);
  ts_split split = TS_SPLIT_TEST;
  const ts_opt own[] = {TS_OPT_CALL("split", opt_split, &split)};
  const ts_cli_spec spec = {cmd, USAGE, TS_CLI_MODEL | TS_CLI_DATA_OPTS | TS_CLI_THREADS, own,
                            TS_OPT_COUNT(own)};
  int rc;
  if (ts_cli_parse(&spec, argc, argv, &c, &rc)) return rc;
  ts_cli_model m;
  ts_net *net = NULL;
  ts_dataset *ds = NULL;
  ts_error err = {0};
  double acc;
  rc = 1;
  if (ts_cli_model_open(cmd, c.model, &c.data, &m) ||
      !(ds = ts_cli_load(cmd, &c.data, split)) || ts_cli_model_net(cmd, &m, ds, &net))
    goto done;
  if (ts_evaluate(net, ds, &m.norm, 0, c.threads, &acc, NULL, &err)) {
    ts_cli_error("eval", &err);
    goto done;
  }
  printf("%s on %s %s (%d images): accuracy %.2f%% (error %.2f%%)\n", c.model, m.dataset,
         ts_split_name(split), ds->n, 100 * acc, 100 * (1 - acc));
  rc = 0;
done:
  ts_cli_model_close(&m);
  ts_net_destroy(net);
  ts_dataset_destroy(ds);
  return rc;
}
