#include "ts_eval.h"

#include <stdlib.h>

/* Images gathered and classified per call: large enough that every thread
 * gets several inference chunks. */
#define TS_EVAL_BLOCK 1024

ts_status ts_evaluate(const ts_net *net, const ts_dataset *ds,
                      const ts_norm *nm, int count, int threads,
                      double *accuracy, long long *confusion, ts_error *err) {
  const ts_arch *a = ts_net_arch(net);
  ts_status s = ts_dataset_check_arch(ds, a, err);
  if (s) return s;
  if (count <= 0 || count > ds->n) count = ds->n;
  if (count < 1) return ts_fail(err, TS_E_ARG, "the dataset is empty");
  const long img = (long)ds->c * ds->h * ds->w;
  const int block = count < TS_EVAL_BLOCK ? count : TS_EVAL_BLOCK;
  float *x = malloc(sizeof(float) * img * block);          /* [block][c][h][w] */
  float *logits = malloc(sizeof(float) * a->classes * block); /* [block][classes] */
  int *idx = malloc(sizeof(int) * block);
  int *y = malloc(sizeof(int) * block);
  ts_infer *ctx = NULL;
  if ((s = ts_infer_create(net, threads, &ctx, err))) goto done;
  if (!x || !logits || !idx || !y) {
    s = ts_fail(err, TS_E_NOMEM, "cannot allocate evaluation buffers");
    goto done;
  }
  long long hits = 0;
  for (int lo = 0; lo < count && !s; lo += block) {
    const int n = count - lo < block ? count - lo : block;
    for (int i = 0; i < n; i++) idx[i] = lo + i;
    s = ts_dataset_batch(ds, nm, idx, n, x, y, err);
    if (!s) s = ts_infer_run(ctx, x, n, logits, err);
    for (int i = 0; i < n && !s; i++) {
      const float *z = logits + (long)i * a->classes;
      int best = 0;
      for (int j = 1; j < a->classes; j++)
        if (z[j] > z[best]) best = j;
      hits += best == y[i];
      if (confusion) confusion[(long)y[i] * a->classes + best]++;
    }
  }
  if (!s) *accuracy = (double)hits / count;
done:
  ts_infer_destroy(ctx);
  free(x);
  free(logits);
  free(idx);
  free(y);
  return s;
}
