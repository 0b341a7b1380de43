/* Fuzz target: a training checkpoint (weights, "momentum.*" tensors and the
 * scalar training state in the metadata) through
 * ts_weights_load_checkpoint for the tiny architecture of the corpus. The
 * outputs must stay untouched unless the whole file checks out. */
#include "fuzz_util.h"
#include "fuzz_tiny.h"
#include "ts_weights.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char path[PATH_MAX];
  if (fuzz_write(path, sizeof path, "checkpoint.safetensors", data, size))
    return 0;
  ts_arch a;
  fuzz_tiny_arch(&a);
  const size_t n = ts_arch_num_params(&a);
  float *p = malloc(2 * n * sizeof *p);
  if (!p) return 0;
  for (size_t i = 0; i < 2 * n; i++) p[i] = -7.0f; /* a canary */
  ts_train_state st;
  memset(&st, 0xA5, sizeof st);
  ts_error e = {0};
  const ts_status s = ts_weights_load_checkpoint(path, &a, p, p + n, n, &st, &e);
  fuzz_check_error(s, &e);
  if (s != TS_OK)
    for (size_t i = 0; i < 2 * n; i++)
      if (p[i] != -7.0f) abort(); /* written although the file was refused */
  free(p);
  return 0;
}
