/* Accuracy of an integer network (ts_qnet.h) on a set of images with the
 * built-in golden kernel, in chunks, on several threads. */
#ifndef TS_QEVAL_H
#define TS_QEVAL_H

#include "ts_qnet.h"

#ifdef __cplusplus
extern "C" {
#endif

/* x: [n][in_c][in_h][in_w] normalised floats, labels: [n]; n >= 1,
 * threads >= 1. acc receives the fraction predicted right; pred (nullable,
 * [n]) each image's class. Fails as ts_qnet_run does, or TS_E_NOMEM. */
ts_status ts_qnet_accuracy(const ts_qnet *q, const float *x, const int *labels, int n,
                           int threads, double *acc, int *pred, ts_error *err);

#ifdef __cplusplus
}
#endif
#endif /* TS_QEVAL_H */
