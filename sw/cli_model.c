#include "cli_model.h"

#include <stdio.h>
#include <string.h>

#include "ts_weights.h"

static const char *meta_or(const ts_st_file *f, const char *key, const char *dflt) {
  const char *v = ts_st_meta_get(f, key);
  return v ? v : dflt;
}

int ts_cli_model_open(const char *cmd, const char *path, ts_cli_data *data,
                      ts_cli_model *m) {
  memset(m, 0, sizeof *m);
  m->path = path;
  ts_error err = {0};
  if (ts_st_open(path, &m->file, &err)) {
    fprintf(stderr, "tessera %s: %s%s\n", cmd, err.msg,
            err.status == TS_E_IO ? " (train one with `tessera train`, or pass --model FILE)"
                                  : "");
    return 1;
  }
  const char *norm = ts_st_meta_get(m->file, TS_WEIGHTS_NORM_KEY);
  if (!norm || ts_cli_norm_parse(norm, &m->norm)) {
    fprintf(stderr, "tessera %s: '%s' has no valid " TS_WEIGHTS_NORM_KEY " metadata "
            "(normalisation of the training data); was it saved by tessera train?\n",
            cmd, path);
    return 1;
  }
  m->epochs = meta_or(m->file, TS_WEIGHTS_EPOCHS_KEY, "?");
  m->seed = meta_or(m->file, TS_WEIGHTS_SEED_KEY, "?");
  if (!data->dataset)
    data->dataset = meta_or(m->file, TS_WEIGHTS_DATASET_KEY, TS_CLI_DEFAULT_DATASET);
  m->dataset = data->dataset;
  return 0;
}

int ts_cli_model_net(const char *cmd, const ts_cli_model *m, const ts_dataset *ds,
                     ts_net **net) {
  *net = NULL;
  if (m->norm.c != ds->c) {
    fprintf(stderr, "tessera %s: '%s' was trained on %d-channel images (" TS_WEIGHTS_NORM_KEY
            "), the %s images have %d\n", cmd, m->path, m->norm.c, m->dataset, ds->c);
    return 1;
  }
  ts_error err = {0};
  ts_arch hint, a;
  ts_arch_default(&hint, ds->c, ds->h, ds->w, ds->classes);
  ts_status st = ts_weights_read_arch(m->file, &hint, &a, &err);
  if (!st) st = ts_net_create(&a, net, &err);
  if (!st)
    st = ts_weights_read_params(m->file, &a, ts_net_params(*net), ts_net_num_params(*net),
                                &err);
  if (st) {
    ts_net_destroy(*net);
    *net = NULL;
    ts_cli_error(cmd, &err);
    return 1;
  }
  return 0;
}

void ts_cli_model_close(ts_cli_model *m) {
  ts_st_close(m->file);
  memset(m, 0, sizeof *m);
}
