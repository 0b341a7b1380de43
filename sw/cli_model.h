/* Loading a model file as the commands that read one (eval, the study
 * commands, hw-run) need it: the weights with the metadata `tessera train`
 * stored beside them -- the normalisation of the training images and the
 * dataset name (TS_WEIGHTS_*_KEY in ts_weights.h).
 *
 *   ts_cli_model m;
 *   if (ts_cli_model_open(cmd, path, &data, &m)) ...  metadata; data.dataset
 *   ds = ts_cli_load(cmd, &data, TS_SPLIT_TEST);      the images
 *   if (ts_cli_model_net(cmd, &m, ds, &net)) ...      the weights for them
 *   ts_cli_model_close(&m);
 *
 * Like cli.h, these print their one-line errors ("tessera CMD: ...") and
 * return 1 on failure. */
#ifndef TS_CLI_MODEL_H
#define TS_CLI_MODEL_H

#include "cli.h"
#include "ts_dataset.h"
#include "ts_net.h"
#include "ts_safetensors.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ts_cli_model {
  const char *path;
  ts_st_file *file;    /* open until ts_cli_model_close */
  ts_norm norm;        /* TS_WEIGHTS_NORM_KEY */
  const char *dataset; /* --dataset, else TS_WEIGHTS_DATASET_KEY, else the
                          default; valid until ts_cli_model_close */
  const char *epochs;  /* TS_WEIGHTS_EPOCHS_KEY, "?" when absent */
  const char *seed;    /* TS_WEIGHTS_SEED_KEY, "?" when absent */
} ts_cli_model;

/* Opens the model file at path and reads its metadata; a model without a
 * valid normalisation is refused. Sets data->dataset to m->dataset. On
 * failure m is still safe to pass to ts_cli_model_close. */
int ts_cli_model_open(const char *cmd, const char *path, ts_cli_data *data,
                      ts_cli_model *m);

/* The network of the model for images shaped like ds: their channels must
 * match the normalisation, and the architecture stored in the file must
 * take ds's image size and class count. */
int ts_cli_model_net(const char *cmd, const ts_cli_model *m, const ts_dataset *ds,
                     ts_net **net);

void ts_cli_model_close(ts_cli_model *m);

#ifdef __cplusplus
}
#endif
#endif /* TS_CLI_MODEL_H */
