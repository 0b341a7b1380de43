/* Layer kernels of the reference CNN, forward and backward.
 *
 * Internal activations are channels-last ("NHWC"): a conv becomes one GEMM
 * over all output pixels of all images of a batch,
 *     out[P][M] = col[P][K] * W[M][K]^T + b,    P = n*oh*ow, K = c*k*k,
 * with the im2col columns ordered (c, kh, kw) to match PyTorch's weight
 * layout [M][C][kh][kw]. A fully connected layer is the same GEMM with
 * P = n and col = the input rows. GEMMs go through CBLAS.
 *
 * Backward functions accumulate (+=) into weight and bias gradients and
 * overwrite input gradients. */
#ifndef TS_LAYERS_H
#define TS_LAYERS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Strides of an image tensor, in elements: element (img, ch, y, x) is at
 * img*n + ch*c + y*h + x*w. NCHW and NHWC are two settings of it. */
typedef struct ts_strides {
  long n, c, h, w;
} ts_strides;

ts_strides ts_strides_nchw(int c, int h, int w);
ts_strides ts_strides_nhwc(int c, int h, int w);

/* col: [n*oh*ow][c*k*k], oh = h-k+1, ow = w-k+1, stride 1, no padding. */
void ts_im2col(float *col, const float *in, ts_strides s, int n, int c, int h,
               int w, int k);
/* Adds col's entries back to their image positions; din must be zeroed by
 * the caller (it is an NHWC [n][h][w][c] gradient). */
void ts_col2im_nhwc(float *din, const float *dcol, int n, int c, int h, int w,
                    int k);

/* out: [p][m] = in[p][k] * W[m][k]^T + b[m]; ReLU applied when relu != 0. */
void ts_dense_forward(float *out, const float *in, const float *w,
                      const float *b, int p, int k, int m, int relu);
/* dout: [p][m] gradient at the layer output (after the ReLU mask has been
 * applied by the caller). dw: [m][k] +=, db: [m] +=, din: [p][k] = (may be
 * NULL when the input gradient is not needed). */
void ts_dense_backward(float *din, float *dw, float *db, const float *dout,
                       const float *in, const float *w, int p, int k, int m);

/* dx[i] = 0 where y[i] <= 0 (ReLU backward through its own output y). */
void ts_relu_backward(float *dx, const float *y, long count);

/* 2x2 max-pool, stride 2, NHWC: in [n][h][w][c] -> out [n][h/2][w/2][c]
 * (floored). arg [n][h/2][w/2][c] keeps the flat input index of each max
 * (the first one in scan order on ties). */
void ts_maxpool_forward(float *out, int32_t *arg, const float *in, int n,
                        int c, int h, int w);
/* din: [n][h][w][c], zeroed here, receives dout at the argmax positions. */
void ts_maxpool_backward(float *din, const float *dout, const int32_t *arg,
                         int n, int c, int h, int w);

/* NHWC [n][h][w][c] -> rows [n][c*h*w] in PyTorch's flatten order, and back. */
void ts_flatten_chw(float *out, const float *in, int n, int c, int h, int w);
void ts_unflatten_chw(float *out, const float *in, int n, int c, int h, int w);

/* Mean softmax cross-entropy of logits [n][classes] against labels [n].
 * Returns the SUM of per-image losses (the caller divides), adds argmax
 * hits to *correct when non-NULL, and writes dlogits [n][classes] =
 * (softmax - onehot) * grad_scale when dlogits is non-NULL. */
double ts_softmax_xent(float *dlogits, const float *logits, const int *labels,
                       int n, int classes, float grad_scale, int *correct);

#ifdef __cplusplus
}
#endif
#endif /* TS_LAYERS_H */
