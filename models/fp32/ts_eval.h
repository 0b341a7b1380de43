/* Accuracy of a network on a dataset, multithreaded. */
#ifndef TS_EVAL_H
#define TS_EVAL_H

#include "ts_dataset.h"
#include "ts_net.h"
#include "ts_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Classifies the first `count` images of ds (count <= 0: all of them) and
 * returns the fraction classified correctly in *accuracy and, when
 * confusion != NULL, adds to confusion [classes][classes] (row = true
 * label, column = prediction). The dataset's image shape and class count
 * must match the network's architecture (ts_dataset_check_arch). */
ts_status ts_evaluate(const ts_net *net, const ts_dataset *ds,
                      const ts_norm *nm, int count, int threads,
                      double *accuracy, long long *confusion, ts_error *err);

#ifdef __cplusplus
}
#endif
#endif /* TS_EVAL_H */
