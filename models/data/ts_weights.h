/* Network weights and training checkpoints as safetensors files.
 *
 * Tensors carry PyTorch state_dict names and layouts, so a file loads into
 * the twin nn.Module (sw/py/tessera_torch.py) with load_state_dict(strict):
 *
 *   conv1.weight [c1][in_c][k1][k1]   conv1.bias [c1]
 *   conv2.weight [c2][c1][k2][k2]     conv2.bias [c2]
 *   fc1.weight   [f1][c2*h*w]         fc1.bias   [f1]
 *   fc2.weight   [f2][f1]             fc2.bias   [f2]
 *   fc3.weight   [classes][f2]        fc3.bias   [classes]
 *
 * Metadata "tessera.arch" holds every ts_arch field as a JSON object string
 * ({"in_c":3,"in_h":32,...}); callers add their own keys (dataset,
 * normalisation, epochs, ...). A checkpoint adds "momentum.<name>" tensors
 * and "tessera.ckpt.*" scalars. docs/weights.md has the details. */
#ifndef TS_WEIGHTS_H
#define TS_WEIGHTS_H

#include <stddef.h>
#include <stdint.h>

#include "ts_arch.h"
#include "ts_net.h"
#include "ts_safetensors.h"
#include "ts_status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TS_WEIGHTS_ARCH_KEY "tessera.arch"
/* Keys `tessera train` adds to a model file and its checkpoint. */
#define TS_WEIGHTS_DATASET_KEY "tessera.dataset" /* dataset name, e.g. "cifar100" */
#define TS_WEIGHTS_NORM_KEY "tessera.norm"       /* "m0,m1,m2/s0,s1,s2" per channel */
#define TS_WEIGHTS_EPOCHS_KEY "tessera.epochs"   /* epochs trained */
#define TS_WEIGHTS_SEED_KEY "tessera.seed"       /* shuffling and init seed */
#define TS_WEIGHTS_MOMENTUM_PREFIX "momentum."
/* Epochs a checkpoint holds (its other "tessera.ckpt.*" keys are read
 * through ts_weights_load_checkpoint). */
#define TS_WEIGHTS_CKPT_EPOCH_KEY "tessera.ckpt.epoch"
#define TS_WEIGHTS_MAX_NAME 32 /* longest tensor name + NUL, with prefix */

/* Name of tensor i in 0..2*TS_NUM_LAYERS-1 in state_dict order
 * ("conv1.weight", "conv1.bias", ..., "fc3.bias"); NULL out of range. */
const char *ts_weights_tensor_name(int i);

/* The JSON text stored under "tessera.arch" (malloc'd; caller frees), and
 * its inverse. Parsing rejects missing, non-integer or unknown fields and
 * an invalid architecture, naming the field. */
char *ts_weights_arch_json(const ts_arch *a);
ts_status ts_weights_arch_parse(const char *json, ts_arch *a, ts_error *err);

/* Saves params ([count], flat in ts_arch_layers order) for arch. Refuses
 * NaN/Inf (naming tensor and index) and extra keys that clash with the
 * "tessera." ones. extra may be NULL when nextra = 0. */
ts_status ts_weights_save_params(const ts_arch *arch, const float *params,
                                 size_t count, const char *path,
                                 const ts_st_meta *extra, int nextra,
                                 ts_error *err);

/* ts_weights_save_params on net's architecture and parameters. */
ts_status ts_weights_save(const ts_net *net, const char *path,
                          const ts_st_meta *extra, int nextra, ts_error *err);

/* Reads the architecture of a weights file: from "tessera.arch" when
 * present, else derived from the tensor shapes (k1, k2, c1, c2, f1, f2,
 * classes) with the input shape taken from hint (e.g. a PyTorch export).
 * Only hint's in_c, in_h, in_w and classes are read; classes = 0 means
 * "take it from the file". When the file has "tessera.arch" and a hint is
 * given, the two must agree (TS_E_SHAPE otherwise, e.g. a CIFAR model
 * offered Fashion-MNIST images). hint may be NULL only when the file has
 * "tessera.arch". */
ts_status ts_weights_read_arch(const ts_st_file *f, const ts_arch *hint,
                               ts_arch *out, ts_error *err);

/* Checks that f holds exactly the tensors of arch (a checkpoint's
 * "momentum.*" copies are allowed), with the right shapes and finite
 * values, and copies them into params[count]. */
ts_status ts_weights_read_params(const ts_st_file *f, const ts_arch *arch,
                                 float *params, size_t count, ts_error *err);

/* Opens path, reads its architecture (see ts_weights_read_arch), creates a
 * network and fills its parameters. *out is NULL on failure. */
ts_status ts_weights_load(const char *path, const ts_arch *hint, ts_net **out,
                          ts_error *err);

/* ---- Checkpoints (training resume) ------------------------------------- */

/* Scalar training state stored beside the parameters and momentum. */
typedef struct ts_train_state {
  int epoch;            /* epochs completed */
  long long iteration;  /* SGD steps taken */
  uint64_t rng[4];      /* ts_rng state (ts_rng.s), to resume shuffling */
  double lr;            /* learning rate in effect (after any schedule) */
  double best_accuracy; /* best validation accuracy so far, in [0, 1] */
} ts_train_state;

/* Writes weights + "momentum.<name>" tensors + the state, atomically.
 * params and momentum are [count] with count = ts_arch_num_params(arch). */
ts_status ts_weights_save_checkpoint(const char *path, const ts_arch *arch,
                                     const float *params,
                                     const float *momentum, size_t count,
                                     const ts_train_state *st,
                                     const ts_st_meta *extra, int nextra,
                                     ts_error *err);

/* Reads a checkpoint written for arch (its architecture must equal arch:
 * TS_E_SHAPE otherwise). momentum may be NULL to skip it; otherwise the
 * file must hold it. params and momentum are [count]. Outputs are written
 * only when the whole file checks out. */
ts_status ts_weights_load_checkpoint(const char *path, const ts_arch *arch,
                                     float *params, float *momentum,
                                     size_t count, ts_train_state *st,
                                     ts_error *err);

#ifdef __cplusplus
}
#endif
#endif /* TS_WEIGHTS_H */
