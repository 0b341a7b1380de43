#include "ts_gemm.h"

#include <cblas.h>
#include <libxsmm.h>

/* Rows of C per JIT tile: 4 AVX-512 vectors, which with n <= 16 columns
 * keeps the tile's accumulators in registers. */
#define TS_GEMM_TILE 64

static void gemm_tile(int m, int n, int k, const float *a, int lda,
                      const float *b, int ldb, float *c, int ldc, int beta) {
  const libxsmm_blasint M = m, N = n, K = k, LDA = lda, LDB = ldb, LDC = ldc;
  const float alpha = 1.0f, fbeta = (float)beta;
  /* libxsmm caches generated kernels: dispatch is a table look-up after the
   * first call of a shape, and it is thread-safe. */
  libxsmm_smmfunction f =
      libxsmm_smmdispatch(M, N, K, &LDA, &LDB, &LDC, &alpha, &fbeta, NULL, NULL);
  if (f) {
    f(a, b, c);
    return;
  }
  cblas_sgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, a, lda,
              b, ldb, (float)beta, c, ldc);
}

void ts_gemm_cm(int m, int n, int k, const float *a, int lda, const float *b,
                int ldb, float *c, int ldc, int beta) {
  int i = 0;
  for (; i + TS_GEMM_TILE <= m; i += TS_GEMM_TILE)
    gemm_tile(TS_GEMM_TILE, n, k, a + i, lda, b, ldb, c + i, ldc, beta);
  if (i < m) gemm_tile(m - i, n, k, a + i, lda, b, ldb, c + i, ldc, beta);
}
