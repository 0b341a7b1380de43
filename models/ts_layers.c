#include "ts_layers.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

ts_strides ts_strides_nchw(int c, int h, int w) {
  ts_strides s = {(long)c * h * w, (long)h * w, w, 1};
  return s;
}

ts_strides ts_strides_nhwc(int c, int h, int w) {
  ts_strides s = {(long)c * h * w, 1, (long)w * c, c};
  return s;
}

void ts_im2col(float *col, const float *in, ts_strides s, int n, int c, int h,
               int w, int k) {
  const int oh = h - k + 1, ow = w - k + 1, kk = c * k * k;
  for (int img = 0; img < n; img++) {
    const float *src = in + img * s.n;
    for (int y = 0; y < oh; y++) {
      for (int x = 0; x < ow; x++) {
        float *row = col + (((long)img * oh + y) * ow + x) * kk; /* [c][k][k] */
        for (int ch = 0; ch < c; ch++) {
          const float *base = src + ch * s.c + y * s.h + x * s.w;
          for (int ky = 0; ky < k; ky++) {
            const float *p = base + ky * s.h;
            for (int kx = 0; kx < k; kx++) *row++ = p[kx * s.w];
          }
        }
      }
    }
  }
}

void ts_col2im_nhwc(float *din, const float *dcol, int n, int c, int h, int w,
                    int k) {
  const int oh = h - k + 1, ow = w - k + 1;
  const ts_strides s = ts_strides_nhwc(c, h, w);
  for (int img = 0; img < n; img++) {
    float *dst = din + img * s.n;
    for (int y = 0; y < oh; y++) {
      for (int x = 0; x < ow; x++) {
        const float *row = dcol + (((long)img * oh + y) * ow + x) * c * k * k;
        for (int ch = 0; ch < c; ch++) {
          float *base = dst + ch * s.c + y * s.h + x * s.w;
          for (int ky = 0; ky < k; ky++) {
            float *p = base + ky * s.h;
            for (int kx = 0; kx < k; kx++) p[kx * s.w] += *row++;
          }
        }
      }
    }
  }
}

void ts_dense_forward(float *out, const float *in, const float *w,
                      const float *b, int p, int k, int m, int relu) {
  /* Bias first, then the GEMM accumulates onto it (beta = 1). */
  for (int i = 0; i < p; i++) memcpy(out + (long)i * m, b, sizeof(float) * m);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, p, m, k, 1.0f, in, k, w,
              k, 1.0f, out, m);
  if (relu) {
    const long count = (long)p * m;
    /* written so that a NaN passes through, as in PyTorch */
    for (long i = 0; i < count; i++) out[i] = out[i] < 0.0f ? 0.0f : out[i];
  }
}

void ts_dense_backward(float *din, float *dw, float *db, const float *dout,
                       const float *in, const float *w, int p, int k, int m) {
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, m, k, p, 1.0f, dout, m,
              in, k, 1.0f, dw, k);
  for (int i = 0; i < p; i++) {
    const float *row = dout + (long)i * m;
    for (int j = 0; j < m; j++) db[j] += row[j];
  }
  if (din)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, p, k, m, 1.0f, dout,
                m, w, k, 0.0f, din, k);
}

void ts_relu_backward(float *dx, const float *y, long count) {
  for (long i = 0; i < count; i++)
    if (y[i] <= 0.0f) dx[i] = 0.0f;
}

void ts_maxpool_forward(float *out, int32_t *arg, const float *in, int n,
                        int c, int h, int w) {
  const int ph = h / 2, pw = w / 2;
  for (int img = 0; img < n; img++) {
    for (int y = 0; y < ph; y++) {
      for (int x = 0; x < pw; x++) {
        float *o = out + (((long)img * ph + y) * pw + x) * c;
        int32_t *a = arg + (((long)img * ph + y) * pw + x) * c;
        for (int ch = 0; ch < c; ch++) {
          int32_t best = -1;
          float bv = 0.0f;
          for (int dy = 0; dy < 2; dy++) {
            for (int dx = 0; dx < 2; dx++) {
              int32_t idx = (int32_t)((((long)img * h + 2 * y + dy) * w + 2 * x + dx) * c + ch);
              if (best < 0 || in[idx] > bv) {
                best = idx;
                bv = in[idx];
              }
            }
          }
          o[ch] = bv;
          a[ch] = best;
        }
      }
    }
  }
}

void ts_maxpool_backward(float *din, const float *dout, const int32_t *arg,
                         int n, int c, int h, int w) {
  memset(din, 0, sizeof(float) * (size_t)n * h * w * c);
  const long count = (long)n * (h / 2) * (w / 2) * c;
  for (long i = 0; i < count; i++) din[arg[i]] += dout[i];
}

void ts_flatten_chw(float *out, const float *in, int n, int c, int h, int w) {
  for (int img = 0; img < n; img++)
    for (int ch = 0; ch < c; ch++)
      for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
          out[(((long)img * c + ch) * h + y) * w + x] =
              in[(((long)img * h + y) * w + x) * c + ch];
}

void ts_unflatten_chw(float *out, const float *in, int n, int c, int h, int w) {
  for (int img = 0; img < n; img++)
    for (int ch = 0; ch < c; ch++)
      for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
          out[(((long)img * h + y) * w + x) * c + ch] =
              in[(((long)img * c + ch) * h + y) * w + x];
}

double ts_softmax_xent(float *dlogits, const float *logits, const int *labels,
                       int n, int classes, float grad_scale, int *correct) {
  double total = 0.0;
  for (int i = 0; i < n; i++) {
    const float *z = logits + (long)i * classes;
    int best = 0;
    for (int j = 1; j < classes; j++)
      if (z[j] > z[best]) best = j;
    if (correct && best == labels[i]) (*correct)++;
    const float zmax = z[best];
    double sum = 0.0;
    for (int j = 0; j < classes; j++) sum += exp((double)(z[j] - zmax));
    const double lse = log(sum) + zmax;
    total += lse - z[labels[i]];
    if (dlogits) {
      float *d = dlogits + (long)i * classes;
      for (int j = 0; j < classes; j++) {
        double pj = exp((double)z[j] - lse);
        d[j] = (float)((pj - (j == labels[i])) * grad_scale);
      }
    }
  }
  return total;
}
