/* Golden-model accuracy of an integer network (ts_qeval.h). */
#include "ts_qeval.h"

#include <omp.h>
#include <stdlib.h>

enum { QEVAL_CHUNK = 64 }; /* images per ts_qnet_run call */

ts_status ts_qnet_accuracy(const ts_qnet *q, const float *x, const int *labels, int n,
                           int threads, double *acc, int *pred, ts_error *err) {
  if (!q || !x || !labels || !acc) return ts_fail(err, TS_E_ARG, "qnet accuracy: NULL argument");
  if (n < 1 || threads < 1)
    return ts_fail(err, TS_E_ARG, "qnet accuracy: %d images on %d threads (need >= 1)", n,
                   threads);
  const size_t px = ts_qnet_image_bytes(q);
  const int C = ts_qnet_classes(q), chunks = (n + QEVAL_CHUNK - 1) / QEVAL_CHUNK;
  long right = 0;
  ts_status st_all = TS_OK;
#pragma omp parallel num_threads(threads) reduction(+ : right)
  {
    uint8_t *b = malloc(px * QEVAL_CHUNK);     /* [chunk][c][h][w] */
    int64_t *lg = malloc(sizeof *lg * (size_t)C * QEVAL_CHUNK); /* [chunk][classes] */
    int p[QEVAL_CHUNK];
    ts_error e = {0};
    ts_status st = b && lg ? TS_OK : ts_fail(&e, TS_E_NOMEM, "qnet accuracy: no memory");
#pragma omp for schedule(dynamic, 1)
    for (int ch = 0; ch < chunks; ch++) {
      if (st) continue;
      const int first = ch * QEVAL_CHUNK, m = n - first < QEVAL_CHUNK ? n - first : QEVAL_CHUNK;
      if ((st = ts_qnet_quantize_input(q, x + px * first, px * m, b, &e)) ||
          (st = ts_qnet_run(q, b, m, NULL, NULL, lg, &e)))
        continue;
      ts_qnet_predict(q, lg, m, p);
      for (int i = 0; i < m; i++) {
        right += p[i] == labels[first + i];
        if (pred) pred[first + i] = p[i];
      }
    }
#pragma omp critical
    if (st && !st_all) {
      st_all = st;
      if (err) *err = e;
    }
    free(b);
    free(lg);
  }
  if (!st_all) *acc = (double)right / n;
  return st_all;
}
