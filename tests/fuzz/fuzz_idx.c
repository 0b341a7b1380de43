/* Fuzz target: IDX image and label files, raw or gzipped (MNIST /
 * Fashion-MNIST). Byte 0: bit 0 names the images file ".gz", bit 1 the
 * labels file, bit 2 picks a limit of 3 records instead of all; bytes 1-4
 * (little-endian) give the length of the images file, the labels file is
 * the rest. ts_dataset_load_n reads the training split. */
#include "fuzz_util.h"
#include "ts_dataset.h"

#define IMG "train-images-idx3-ubyte"
#define LBL "train-labels-idx1-ubyte"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 5) return 0;
  const int img_gz = data[0] & 1, lbl_gz = (data[0] >> 1) & 1;
  const int limit = (data[0] >> 2) & 1 ? 3 : 0;
  size_t ni = (size_t)data[1] | (size_t)data[2] << 8 | (size_t)data[3] << 16 |
              (size_t)data[4] << 24;
  data += 5;
  size -= 5;
  if (ni > size) ni = size;
  char path[PATH_MAX];
  /* only this input's two files may be found */
  fuzz_unlink(img_gz ? IMG : IMG ".gz");
  fuzz_unlink(lbl_gz ? LBL : LBL ".gz");
  if (fuzz_write(path, sizeof path, img_gz ? IMG ".gz" : IMG, data, ni) ||
      fuzz_write(path, sizeof path, lbl_gz ? LBL ".gz" : LBL, data + ni, size - ni))
    return 0;
  ts_dataset *ds = NULL;
  ts_error e = {0};
  const ts_status s =
      ts_dataset_load_n(TS_DS_MNIST, fuzz_dir(), TS_SPLIT_TRAIN, 0, limit, &ds, &e);
  fuzz_check_error(s, &e);
  if (s == TS_OK) {
    for (int i = 0; i < ds->n; i++)
      if (ds->labels[i] >= ds->classes) abort();
    volatile unsigned sum = 0;
    for (size_t i = 0; i < (size_t)ds->n * ds->c * ds->h * ds->w; i++)
      sum += ds->pixels[i];
    (void)sum;
    ts_dataset_destroy(ds);
  }
  return 0;
}
