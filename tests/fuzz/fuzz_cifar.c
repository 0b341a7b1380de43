/* Fuzz target: CIFAR binary records. Byte 0 picks the dataset (bit 0:
 * CIFAR-10 / CIFAR-100) and, for CIFAR-100, coarse labels (bit 1); the rest
 * is the test file (test_batch.bin / test.bin) read by ts_dataset_load_n,
 * whole or only its first records (bits 2-3: a limit of 0..3). */
#include "fuzz_util.h"
#include "ts_dataset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  const int c100 = data[0] & 1, coarse = (data[0] >> 1) & 1;
  const int limit = (data[0] >> 2) & 3;
  char path[PATH_MAX];
  if (fuzz_write(path, sizeof path, c100 ? "test.bin" : "test_batch.bin",
                 data + 1, size - 1))
    return 0;
  const ts_dataset_kind kind = c100 ? TS_DS_CIFAR100 : TS_DS_CIFAR10;
  ts_dataset *ds = NULL;
  ts_error e = {0};
  const ts_status s =
      ts_dataset_load_n(kind, fuzz_dir(), TS_SPLIT_TEST, coarse, limit, &ds, &e);
  fuzz_check_error(s, &e);
  if (s == TS_OK) {
    const int classes = ts_dataset_kind_classes(kind, coarse);
    for (int i = 0; i < ds->n; i++)
      if (ds->labels[i] >= classes) abort(); /* a label the net cannot have */
    ts_dataset_destroy(ds);
  }
  return 0;
}
