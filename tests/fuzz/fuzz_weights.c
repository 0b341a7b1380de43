/* Fuzz target: a weights file as `--model` reads it (ts_weights_load:
 * safetensors, the "tessera.arch" metadata, tensor shapes and values), once
 * on its own metadata and once against a hint (the dataset's image shape);
 * and the input as the "tessera.arch" JSON text itself. */
#include "fuzz_util.h"
#include "fuzz_tiny.h"
#include "ts_net.h"
#include "ts_weights.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char path[PATH_MAX];
  ts_error e = {0};
  char *json = malloc(size + 1);
  if (!json) return 0;
  memcpy(json, data, size);
  json[size] = '\0';
  ts_arch a;
  fuzz_check_error(ts_weights_arch_parse(json, &a, &e), &e);
  free(json);
  if (fuzz_write(path, sizeof path, "w.safetensors", data, size)) return 0;
  ts_arch hint;
  fuzz_tiny_arch(&hint); /* the corpus's models: input 1x12x12, 2 classes */
  for (int h = 0; h < 2; h++) {
    ts_net *net = NULL;
    e.msg[0] = '\0';
    const ts_status s = ts_weights_load(path, h ? &hint : NULL, &net, &e);
    fuzz_check_error(s, &e);
    if ((s == TS_OK) != (net != NULL)) abort(); /* *out NULL on failure */
    ts_net_destroy(net);
  }
  return 0;
}
