/* The one small-GEMM entry point of the float model.
 *
 * Computes, in column-major terms, C[m x n] (+)= A[m x k] B[k x n] with
 * leading dimensions lda, ldb, ldc, by tiling m into blocks that libxsmm
 * JIT-compiles for the exact (tile, n, k) shape; falls back to CBLAS when
 * libxsmm cannot generate a kernel. In row-major terms the same call is
 * C^T[n][m] = B^T[n][k] A^T[k][m], i.e. out[M][P] = W[M][K] colT[K][P]
 * with m = P, n = M, k = K, A = colT, B = W. */
#ifndef TS_GEMM_H
#define TS_GEMM_H

#ifdef __cplusplus
extern "C" {
#endif

/* beta is 0 (overwrite C) or 1 (accumulate into C). */
void ts_gemm_cm(int m, int n, int k, const float *a, int lda, const float *b,
                int ldb, float *c, int ldc, int beta);

#ifdef __cplusplus
}
#endif
#endif /* TS_GEMM_H */
