/* Fuzz target: a safetensors file (header JSON, tensor table, data
 * section) through ts_st_open, then every accessor over what it accepted,
 * and the architecture read from its metadata. */
#include "fuzz_util.h"
#include "ts_safetensors.h"
#include "ts_weights.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char path[PATH_MAX];
  if (fuzz_write(path, sizeof path, "m.safetensors", data, size)) return 0;
  ts_st_file *f = NULL;
  ts_error e = {0};
  const ts_status s = ts_st_open(path, &f, &e);
  fuzz_check_error(s, &e);
  if (s != TS_OK) return 0;
  /* an accepted file must be readable in full: every element of every
   * tensor (ASan sees an overrun), every metadata string */
  volatile float sum = 0;
  for (int i = 0; i < ts_st_num_tensors(f); i++) {
    const ts_st_tensor *t = ts_st_tensor_at(f, i);
    size_t count = 1;
    for (int d = 0; d < t->ndim; d++) count *= (size_t)t->shape[d];
    for (size_t j = 0; j < count; j++) sum += t->data[j];
    if (ts_st_find(f, t->name) == NULL) abort(); /* a listed name is found */
  }
  for (int i = 0; i < ts_st_num_meta(f); i++) {
    const ts_st_meta *m = ts_st_meta_at(f, i);
    if (ts_st_meta_get(f, m->key) == NULL) abort();
    sum += (float)(strlen(m->key) + strlen(m->value));
  }
  (void)sum; /* read: the loads above are not optimised away */
  ts_arch a;
  e.msg[0] = '\0';
  fuzz_check_error(ts_weights_read_arch(f, NULL, &a, &e), &e);
  ts_st_close(f);
  return 0;
}
