/* N:M structured sparsity along the input (K) dimension of every layer's
 * GEMM, Out[M x N] = W[M x K] X[K x N] (ts_layer_info.gemm_k): in each
 * weight row, every group of M consecutive K entries keeps at most N
 * non-zeros, the N largest magnitudes (ties: the entry stored first is
 * pruned first, as in ts_prune.h). The row's K entries are a weight's
 * [in_c][k][k] (conv) or [in] (FC) slice, so the groups follow the im2col
 * order (c, kh, kw). A short last group (K not a multiple of M) holds the
 * K % M entries left and also keeps at most N, as if padded with zeros.
 * Biases are never pruned. Every row then has the same non-zero count,
 * which keeps the lanes of a zero-skipping array balanced. */
#ifndef TS_NM_H
#define TS_NM_H

#include <stdint.h>

#include "ts_arch.h"
#include "ts_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Accepts 0 < n <= m; anything else fails with a message naming it. */
ts_status ts_nm_check(int n, int m, ts_error *err);

/* Parses "N:M" (for instance "2:4") and checks it as above. */
ts_status ts_nm_parse(const char *text, int *n, int *m, ts_error *err);

/* Prunes every layer of a flat parameter array (laid out as ts_arch_layers
 * describes; params: [num_params]) to n:m along K. mask (nullable,
 * [num_params]) gets 0 at every pruned weight and 1 elsewhere. All layers
 * are checked (finite weights) before any is changed. */
ts_status ts_nm_prune_params(const ts_arch *a, float *params, int n, int m,
                             uint8_t *mask, ts_error *err);

#ifdef __cplusplus
}
#endif
#endif /* TS_NM_H */
