/* Layer kernels of the reference CNN, forward and backward.
 *
 * Conv activations are channel-major over the whole chunk of images,
 * "CNHW": x[c][img][y][x]. A conv then is one GEMM over every output pixel
 * of every image of the chunk,
 *     out[M][P] = W[M][K] * colT[K][P] + b,   P = n*oh*ow, K = c*k*k,
 * with the im2col rows ordered (c, kh, kw) to match PyTorch's weight layout
 * [M][C][kh][kw], and each im2col row made of whole image rows (memcpy).
 * The forward GEMMs of the convolutions have few output channels (6, 16),
 * a shape general BLAS kernels handle poorly (measured: BLIS 4.6 GFLOP/s vs
 * libxsmm 37 GFLOP/s for conv1's 6x75x25088), so they go through ts_gemm's
 * JIT small-GEMM tiles; everything else through CBLAS. conv1 (few input and
 * output channels) skips im2col and GEMMs: ts_conv_forward_direct and
 * ts_conv_wgrad_direct.
 *
 * Fully connected layers keep images as rows: out[n][M] = in[n][K] W^T + b.
 * Backward functions accumulate (+=) into weight and bias gradients and
 * overwrite input gradients. */
#ifndef TS_LAYERS_H
#define TS_LAYERS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Strides of an image tensor in elements: element (img, ch, y, x) is at
 * img*n + ch*c + y*h + x (rows contiguous). NCHW and CNHW are two settings. */
typedef struct ts_strides {
  long n, c, h;
} ts_strides;

ts_strides ts_strides_nchw(int c, int h, int w);
ts_strides ts_strides_cnhw(int n, int h, int w);

/* colT: [c*k*k][n*oh*ow], oh = h-k+1, ow = w-k+1 (stride 1, no padding). */
void ts_im2col_t(float *colT, const float *in, ts_strides s, int n, int c,
                 int h, int w, int k);
/* Adds dcolT's entries back to their image positions in din, a CNHW
 * [c][n][h][w] gradient that the caller has zeroed. */
void ts_col2im_t(float *din, const float *dcolT, int n, int c, int h, int w,
                 int k);

/* Conv as GEMM: out [m][p] = W[m][k] colT[k][p] + b[m], ReLU if relu. */
void ts_conv_gemm_forward(float *out, const float *colT, const float *w,
                          const float *b, int m, int k, int p, int relu);
/* Inference: the same convolution without materialising im2col. Tiles of
 * TS_CONV_TILE output pixels are gathered into tile [c*k*k][TS_CONV_TILE]
 * (caller's scratch, L1-sized) and multiplied at once, so the input is
 * read from cache instead of a k*k times larger im2col buffer streaming
 * through memory. Same results as im2col + ts_conv_gemm_forward. */
#define TS_CONV_TILE 64
void ts_conv_forward_fused(float *out, const float *in, ts_strides s, int n,
                           int c, int h, int w, int k, const float *wt,
                           const float *b, int m, int relu, float *tile);

/* The same convolution computed directly, for few output channels: each
 * input plane is read as flat pixels y*w + x, shifted by ky*w + kx for each
 * kernel position, so 16 output pixels take one unaligned vector load per
 * kernel position and input channel, and no im2col is built at all. Needs
 * contiguous input rows (s.h == w) and ts_conv_direct_ok(h, w, k); stage
 * is the caller's scratch, [TS_CONV_DIRECT_MB][(oh-1)*w + ow]. */
#define TS_CONV_DIRECT_MB 6
int ts_conv_direct_ok(int h, int w, int k);
void ts_conv_forward_direct(float *out, const float *in, ts_strides s, int n,
                            int c, int h, int w, int k, const float *wt,
                            const float *b, int m, int relu, float *stage);

/* dout: [m][p] (ReLU mask already applied). dw [m][k] +=, db [m] +=,
 * dcolT [k][p] = W^T dout (skipped when dcolT is NULL). Scratch the
 * caller owns: dout_t [p][m] and wk [k][m]. */
void ts_conv_gemm_backward(float *dcolT, float *dw, float *db,
                           const float *dout, const float *colT,
                           const float *w, float *dout_t, float *wk, int m,
                           int k, int p);

/* A conv's weight and bias gradients straight from its input, without
 * im2col: dw [m][c][k][k] +=, db [m] +=. dout [m][n][oh][w] is the output
 * gradient with rows padded to the input width w, padding columns zero
 * (ts_maxpool_relu_backward writes this layout with ldd = w); in rows must
 * be contiguous (s.h == w). Both operands then line up along the flat
 * pixel index y*w + x, shifted by ky*w + kx, and the reduction runs on
 * 16-pixel vectors: for conv1 (6 channels) a GEMM would either expand the
 * input 25x through im2col or use 6 of 16 vector lanes. The input gradient
 * is not computed (conv1 does not need it). */
void ts_conv_wgrad_direct(float *dw, float *db, const float *dout,
                          const float *in, ts_strides s, int n, int c, int h,
                          int w, int k, int m);

/* FC: out [p][m] = in[p][k] W[m][k]^T + b[m]; ReLU when relu != 0. */
void ts_dense_forward(float *out, const float *in, const float *w,
                      const float *b, int p, int k, int m, int relu);
/* dout: [p][m] (ReLU mask applied). dw [m][k] +=, db [m] +=,
 * din [p][k] = dout W (skipped when din is NULL). */
void ts_dense_backward(float *din, float *dw, float *db, const float *dout,
                       const float *in, const float *w, int p, int k, int m);

/* dx[i] = 0 where y[i] <= 0 (ReLU backward through its own output y). */
void ts_relu_backward(float *dx, const float *y, long count);

/* 2x2 max-pool, stride 2, over `planes` planes of h x w (CNHW: c*n planes)
 * -> [planes][h/2][w/2] (floored, as PyTorch). */
void ts_maxpool_forward(float *out, const float *in, long planes, int h,
                        int w);
/* din [planes][h][w] is zeroed here and receives dout at each window's
 * maximum, found again by comparing in with the forward output out (the
 * first in scan order on ties): cheaper than storing indices. */
void ts_maxpool_backward(float *din, const float *dout, const float *in,
                         const float *out, long planes, int h, int w);

/* ts_maxpool_backward followed by ts_relu_backward(din, in, ...) in one
 * pass, equal to them bit for bit; in is the ReLU output the pool read.
 * Every element of din [planes][h][ldd] is written (rows padded to ldd >= w
 * with zeros), so din needs no zeroing. */
void ts_maxpool_relu_backward(float *din, const float *dout, const float *in,
                              const float *out, long planes, int h, int w,
                              int ldd);

/* CNHW [c][n][h][w] <-> rows [n][c*h*w] in PyTorch's flatten order. */
void ts_flatten_cnhw(float *out, const float *in, int n, int c, int h, int w);
void ts_unflatten_cnhw(float *out, const float *in, int n, int c, int h, int w);

/* Softmax cross-entropy of logits [n][classes] against labels [n].
 * Returns the SUM of per-image losses, adds argmax hits to *correct when
 * non-NULL, and writes dlogits [n][classes] = (softmax - onehot) *
 * grad_scale when dlogits is non-NULL. */
double ts_softmax_xent(float *dlogits, const float *logits, const int *labels,
                       int n, int classes, float grad_scale, int *correct);

#ifdef __cplusplus
}
#endif
#endif /* TS_LAYERS_H */
