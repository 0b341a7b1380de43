/* Fuzz target: the sweep CSVs that `quant` and `prune` read back to resume
 * (sw/csv.c: ts_csv_read; sw/study.c: ts_sweep_resume) and the key,value files
 * `report` reads (ts_csv_kv). The sweep asks for the points the seed
 * corpus holds, under its model hash and image count, so that mutations of
 * matching rows reach the copying of results. */
#include "fuzz_util.h"
#include "csv.h"
#include "study.h"

#define FUZZ_HASH 0x0123456789abcdefull
#define FUZZ_IMAGES 40

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char path[PATH_MAX];
  if (fuzz_write(path, sizeof path, "quant.csv", data, size)) return 0;
  ts_csv *t = NULL;
  ts_error e = {0};
  ts_status s = ts_csv_read(path, &t, &e);
  fuzz_check_error(s, &e);
  if (s == TS_OK) {
    volatile size_t sum = 0;
    for (int c = 0; c < t->cols; c++)
      for (int r = 0; r < t->rows; r++) {
        const char *v = ts_csv_get(t, r, t->cell[c]);
        if (!v) abort(); /* every cell of a read table exists */
        sum += strlen(v) + (ts_csv_num(t, r, t->cell[c]) > 0);
      }
    const char *kv = ts_csv_kv(t, "reused");
    if (kv) sum += strlen(kv);
    (void)sum;
    ts_csv_free(t);
  }
  ts_sweep w = {0};
  w.hash = FUZZ_HASH;
  w.images = FUZZ_IMAGES;
  ts_sweep_add(&w, "fp32", "-", "all", TS_STUDY_FP32_BITS, 0);
  for (int b = 1; b <= 4; b++) {
    ts_sweep_add(&w, "quant", "per-tensor", "all", b, 0);
    ts_sweep_add(&w, "quant", "per-channel", "all", b, 0);
  }
  ts_sweep_add(&w, "prune", "-", "all", TS_STUDY_FP32_BITS, 50);
  ts_sweep_add(&w, "layer", "-", "conv1", TS_STUDY_FP32_BITS, 100.0 / 3);
  int reused = -1;
  e.msg[0] = '\0';
  s = ts_sweep_resume(&w, path, &reused, &e);
  fuzz_check_error(s, &e);
  if (s == TS_OK) {
    if (reused < 0 || reused > w.n) abort();
    for (int i = 0; i < w.n; i++)
      if (w.p[i].done && !(w.p[i].accuracy >= 0 && w.p[i].accuracy <= 1)) abort();
  }
  ts_sweep_free(&w);
  return 0;
}
