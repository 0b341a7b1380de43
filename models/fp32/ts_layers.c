#include "ts_layers.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

#include "ts_gemm.h"

/* Eight lanes of GCC's generic vectors: AVX registers here, plain SSE
 * pairs (or scalars) elsewhere, so no intrinsics are needed. */
typedef float v8f __attribute__((vector_size(32)));
typedef int v8i __attribute__((vector_size(32)));

static inline v8f ld8(const float *p) {
  v8f v;
  memcpy(&v, p, sizeof v); /* unaligned load */
  return v;
}

static inline void st8(float *p, v8f v) { memcpy(p, &v, sizeof v); }

ts_strides ts_strides_nchw(int c, int h, int w) {
  ts_strides s = {(long)c * h * w, (long)h * w, w};
  return s;
}

ts_strides ts_strides_cnhw(int n, int h, int w) {
  ts_strides s = {(long)h * w, (long)n * h * w, w};
  return s;
}

void ts_im2col_t(float *colT, const float *in, ts_strides s, int n, int c,
                 int h, int w, int k) {
  const int oh = h - k + 1, ow = w - k + 1;
  const long p = (long)n * oh * ow;
  for (int ch = 0; ch < c; ch++)
    for (int ky = 0; ky < k; ky++)
      for (int kx = 0; kx < k; kx++) {
        float *row = colT + ((long)(ch * k + ky) * k + kx) * p; /* [p] */
        for (int img = 0; img < n; img++) {
          const float *src = in + img * s.n + ch * s.c + ky * s.h + kx;
          /* rows are short (ow <= 32 here): an inline copy beats memcpy,
           * and eight at a time with the last eight overlapping beats a
           * loop with a scalar remainder */
          if (ow >= 8)
            for (int y = 0; y < oh; y++, row += ow) {
              const float *r = src + y * s.h;
              for (int x = 0; x < ow - 8; x += 8) st8(row + x, ld8(r + x));
              st8(row + ow - 8, ld8(r + ow - 8));
            }
          else
            for (int y = 0; y < oh; y++, row += ow) {
              const float *r = src + y * s.h;
              for (int x = 0; x < ow; x++) row[x] = r[x];
            }
        }
      }
}

void ts_col2im_t(float *din, const float *dcolT, int n, int c, int h, int w,
                 int k) {
  const int oh = h - k + 1, ow = w - k + 1;
  const long p = (long)n * oh * ow;
  const ts_strides s = ts_strides_cnhw(n, h, w);
  for (int ch = 0; ch < c; ch++)
    for (int ky = 0; ky < k; ky++)
      for (int kx = 0; kx < k; kx++) {
        const float *row = dcolT + ((long)(ch * k + ky) * k + kx) * p;
        for (int img = 0; img < n; img++) {
          float *dst = din + img * s.n + ch * s.c + ky * s.h + kx;
          /* eight at a time, then single floats: an overlapping last
           * eight would reload what was just stored, which stalls */
          for (int y = 0; y < oh; y++, row += ow) {
            float *d = dst + y * s.h;
            int x = 0;
            for (; x + 8 <= ow; x += 8) st8(d + x, ld8(d + x) + ld8(row + x));
            for (; x < ow; x++) d[x] += row[x];
          }
        }
      }
}

/* Sixteen-lane generic vectors: one AVX-512 register here, two AVX2 ones
 * (GCC splits them) where AVX-512 is missing. GCC then warns that passing
 * such a vector by value would change the ABI (-Wpsabi); these helpers are
 * static and inlined, never called across objects, so it does not apply. */
#pragma GCC diagnostic ignored "-Wpsabi"
typedef float v16f __attribute__((vector_size(64)));
typedef int v16i __attribute__((vector_size(64)));

static inline v16f ld16(const float *p) {
  v16f v;
  memcpy(&v, p, sizeof v); /* unaligned load */
  return v;
}

/* Sum of row[0..len) in 16 interleaved partial sums: a single running
 * sum is bound by the latency of each addition. */
static float row_sum(const float *row, long len) {
  v16f part = {0};
  long j = 0;
  for (; j + 16 <= len; j += 16) part += ld16(row + j);
  float sum = 0.0f;
  for (int l = 0; l < 16; l++) sum += part[l];
  for (; j < len; j++) sum += row[j];
  return sum;
}

static void bias_relu_rows(float *out, const float *b, int m, long p,
                           int relu) {
  for (int i = 0; i < m; i++) {
    float *row = out + i * p;
    const float bi = b[i];
    if (relu) /* written so that a NaN passes through, as in PyTorch */
      for (long j = 0; j < p; j++) {
        const float v = row[j] + bi;
        row[j] = v < 0.0f ? 0.0f : v;
      }
    else
      for (long j = 0; j < p; j++) row[j] += bi;
  }
}

void ts_conv_gemm_forward(float *out, const float *colT, const float *w,
                          const float *b, int m, int k, int p, int relu) {
  /* column-major: out^T[p x m] = colT^T[p x k] W^T[k x m] */
  ts_gemm_cm(p, m, k, colT, p, w, k, out, p, 0);
  bias_relu_rows(out, b, m, p, relu);
}

void ts_conv_forward_fused(float *out, const float *in, ts_strides s, int n,
                           int c, int h, int w, int k, const float *wt,
                           const float *b, int m, int relu, float *tile) {
  const int oh = h - k + 1, ow = w - k + 1, kk = c * k * k;
  const long p = (long)n * oh * ow;
  long seg_src[TS_CONV_TILE]; /* source offset of each run of output pixels */
  int seg_dst[TS_CONV_TILE], seg_len[TS_CONV_TILE];
  for (long p0 = 0; p0 < p; p0 += TS_CONV_TILE) {
    const int len = p - p0 < TS_CONV_TILE ? (int)(p - p0) : TS_CONV_TILE;
    /* the tile's pixels as runs along image rows */
    long img = p0 / ((long)oh * ow);
    int rem = (int)(p0 % ((long)oh * ow)), y = rem / ow, x = rem % ow, nseg = 0;
    for (int t = 0; t < len; nseg++) {
      const int run = ow - x < len - t ? ow - x : len - t;
      seg_src[nseg] = img * s.n + y * s.h + x;
      seg_dst[nseg] = t;
      seg_len[nseg] = run;
      t += run;
      x += run;
      if (x == ow) {
        x = 0;
        if (++y == oh) y = 0, img++;
      }
    }
    /* tile [kk][len] of the transposed im2col, built in L1 */
    for (int ch = 0; ch < c; ch++)
      for (int ky = 0; ky < k; ky++)
        for (int kx = 0; kx < k; kx++) {
          float *row = tile + ((long)(ch * k + ky) * k + kx) * TS_CONV_TILE;
          const long shift = ch * s.c + ky * s.h + kx;
          for (int g = 0; g < nseg; g++) {
            const float *src = in + seg_src[g] + shift;
            float *dst = row + seg_dst[g];
            for (int q = 0; q < seg_len[g]; q++) dst[q] = src[q];
          }
        }
    ts_gemm_cm(len, m, kk, tile, TS_CONV_TILE, wt, kk, out + p0, (int)p, 0);
  }
  bias_relu_rows(out, b, m, p, relu);
}

/* Pixels per step of the weight-gradient reduction: one step's slices of
 * dout^T and colT stay in L1/L2. */
#define TS_DW_STEP 256

void ts_conv_gemm_backward(float *dcolT, float *dw, float *db,
                           const float *dout, const float *colT,
                           const float *w, float *dout_t, float *wk, int m,
                           int k, int p) {
  for (int i = 0; i < m; i++) db[i] += row_sum(dout + (long)i * p, p);
  if (dcolT) {
    /* column-major: dcolT^T[p x k] = dout^T[p x m] W[m x k], with W
     * transposed into wk [k][m] so the JIT tiles need no transpose */
    for (int i = 0; i < m; i++)
      for (int j = 0; j < k; j++) wk[(long)j * m + i] = w[(long)i * k + j];
    ts_gemm_cm(p, k, m, dout, p, wk, m, dcolT, p, 0);
  }
  /* dW[m][k] = sum_p dout[m][p] colT[k][p]. Both operands have p
   * contiguous, a shape BLIS packs element by element (measured 2.2
   * GFLOP/s for conv1); with dout transposed to [p][m] it is a plain
   * column-major GEMM, wk^T[m x k] += dout_t[m x p] colT^T[p x k], reduced
   * over p in steps. */
  for (int i = 0; i < m; i++)
    for (long j = 0; j < p; j++) dout_t[j * m + i] = dout[(long)i * p + j];
  memset(wk, 0, sizeof(float) * (size_t)k * m);
  for (int p0 = 0; p0 < p; p0 += TS_DW_STEP) {
    const int len = p - p0 < TS_DW_STEP ? p - p0 : TS_DW_STEP;
    ts_gemm_cm(m, k, len, dout_t + (long)p0 * m, m, colT + p0, p, wk, m, 1);
  }
  for (int i = 0; i < m; i++)
    for (int j = 0; j < k; j++) dw[(long)i * k + j] += wk[(long)j * m + i];
}

/* Register block of the direct weight gradient: WG_MB output channels x
 * WG_SB kernel positions of one input channel, 15 accumulators. */
#define WG_MB 3
#define WG_SB 5

void ts_conv_wgrad_direct(float *dw, float *db, const float *dout,
                          const float *in, ts_strides s, int n, int c, int h,
                          int w, int k, int m) {
  const int oh = h - k + 1, ow = w - k + 1, kk = k * k;
  const long plane = (long)oh * w; /* one [oh][w] plane of dout */
  /* Flat pixel q = y*w + x of a plane, read up to the last valid pixel:
   * input q + ky*w + kx then stays inside the input plane. */
  const long Q = (long)(oh - 1) * w + ow;
  for (int i = 0; i < m; i++) /* the bias: padding columns are zero */
    db[i] += row_sum(dout + (long)i * n * plane, (long)n * plane);
  long off[WG_SB * 32]; /* flat offset of each kernel position */
  const int kpad = (kk + WG_SB - 1) / WG_SB * WG_SB;
  if (kpad > (int)(sizeof off / sizeof off[0]) || Q < 16) {
    /* tiny shapes (or kernels beyond 13x13): plain loops */
    for (int i = 0; i < m; i++)
      for (int ch = 0; ch < c; ch++)
        for (int t = 0; t < kk; t++) {
          const long o = (long)(t / k) * w + t % k;
          float sum = 0.0f;
          for (int img = 0; img < n; img++) {
            const float *d = dout + ((long)i * n + img) * plane;
            const float *x = in + img * s.n + ch * s.c + o;
            for (long q = 0; q < Q; q++) sum += d[q] * x[q];
          }
          dw[((long)i * c + ch) * kk + t] += sum;
        }
    return;
  }
  /* positions past kk repeat the last one; their sums are dropped */
  for (int t = 0; t < kpad; t++) {
    const int u = t < kk ? t : kk - 1;
    off[t] = (long)(u / k) * w + u % k;
  }
  /* The last vector ends at Q and overlaps the previous one: its lanes
   * below the end of the full vectors are masked out of dout. */
  const long full = Q / 16 * 16;
  v16i tail_mask;
  for (int l = 0; l < 16; l++) tail_mask[l] = Q - 16 + l >= full ? -1 : 0;
  for (int ch = 0; ch < c; ch++)
    for (int m0 = 0; m0 < m; m0 += WG_MB)
      for (int t0 = 0; t0 < kpad; t0 += WG_SB) {
        const float *drow[WG_MB]; /* rows past m repeat the last one */
        for (int i = 0; i < WG_MB; i++)
          drow[i] = dout + (long)(m0 + i < m ? m0 + i : m - 1) * n * plane;
        const long *o = off + t0;
        v16f acc[WG_MB][WG_SB];
        memset(acc, 0, sizeof acc);
        for (int img = 0; img < n; img++) {
          const float *x = in + img * s.n + ch * s.c;
          const float *d0 = drow[0] + img * plane, *d1 = drow[1] + img * plane,
                      *d2 = drow[2] + img * plane;
          for (long q = 0; q < Q; q += 16) {
            long at = q;
            v16f g0, g1, g2;
            if (q + 16 <= Q) {
              g0 = ld16(d0 + q), g1 = ld16(d1 + q), g2 = ld16(d2 + q);
            } else {
              at = Q - 16;
              g0 = (v16f)((v16i)ld16(d0 + at) & tail_mask);
              g1 = (v16f)((v16i)ld16(d1 + at) & tail_mask);
              g2 = (v16f)((v16i)ld16(d2 + at) & tail_mask);
            }
#pragma GCC unroll 8
            for (int j = 0; j < WG_SB; j++) {
              const v16f xv = ld16(x + at + o[j]);
              acc[0][j] += g0 * xv;
              acc[1][j] += g1 * xv;
              acc[2][j] += g2 * xv;
            }
          }
        }
        for (int i = 0; i < WG_MB && m0 + i < m; i++)
          for (int j = 0; j < WG_SB && t0 + j < kk; j++) {
            float sum = 0.0f;
            for (int l = 0; l < 16; l++) sum += acc[i][j][l];
            dw[((long)(m0 + i) * c + ch) * kk + t0 + j] += sum;
          }
      }
}

/* Register block of the direct forward conv: up to CF_MB output channels
 * x CF_QB vectors of 16 pixels, 24 accumulators. */
#define CF_MB TS_CONV_DIRECT_MB
#define CF_QB 4

int ts_conv_direct_ok(int h, int w, int k) {
  const long Q = (long)(h - k) * w + (w - k + 1);
  return Q >= 16 * CF_QB;
}

void ts_conv_forward_direct(float *out, const float *in, ts_strides s, int n,
                            int c, int h, int w, int k, const float *wt,
                            const float *b, int m, int relu, float *stage) {
  const int oh = h - k + 1, ow = w - k + 1, kk = k * k;
  const long Q = (long)(oh - 1) * w + ow; /* as in ts_conv_wgrad_direct */
  const long P = (long)n * oh * ow;
  for (int img = 0; img < n; img++) {
    const float *x = in + img * s.n;
    for (int m0 = 0; m0 < m; m0 += CF_MB) {
      const int mb = m - m0 < CF_MB ? m - m0 : CF_MB;
      const float *wrow[CF_MB]; /* rows past m repeat the last one */
      for (int i = 0; i < CF_MB; i++)
        wrow[i] = wt + (long)(m0 + (i < mb ? i : mb - 1)) * c * kk;
      for (long q0 = 0; q0 < Q; q0 += 16 * CF_QB) {
        /* the last block ends at Q, overlapping the one before: its pixels
         * are recomputed to the same values */
        const long q = q0 + 16 * CF_QB <= Q ? q0 : Q - 16 * CF_QB;
        v16f acc[CF_MB][CF_QB];
        memset(acc, 0, sizeof acc);
        for (int ch = 0; ch < c; ch++)
          for (int ky = 0; ky < k; ky++)
            for (int kx = 0; kx < k; kx++) {
              const float *xt = x + ch * s.c + q + (long)ky * w + kx;
              const int t = (ch * k + ky) * k + kx;
              v16f xv[CF_QB];
#pragma GCC unroll 8
              for (int j = 0; j < CF_QB; j++) xv[j] = ld16(xt + 16 * j);
#pragma GCC unroll 8
              for (int i = 0; i < CF_MB; i++) {
                const v16f wv = wrow[i][t] - (v16f){0}; /* broadcast */
#pragma GCC unroll 8
                for (int j = 0; j < CF_QB; j++) acc[i][j] += xv[j] * wv;
              }
            }
        for (int i = 0; i < mb; i++)
          memcpy(stage + (long)i * Q + q, acc[i], sizeof acc[i]);
      }
      /* rows of the staged [mb][Q] flat planes -> CNHW, bias and ReLU */
      for (int i = 0; i < mb; i++) {
        const float bi = b[m0 + i];
        for (int y = 0; y < oh; y++) {
          const float *src = stage + (long)i * Q + (long)y * w;
          float *dst = out + (m0 + i) * P + ((long)img * oh + y) * ow;
          if (relu) /* a NaN passes through, as in PyTorch */
            for (int xx = 0; xx < ow; xx++) {
              const float v = src[xx] + bi;
              dst[xx] = v < 0.0f ? 0.0f : v;
            }
          else
            for (int xx = 0; xx < ow; xx++) dst[xx] = src[xx] + bi;
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

void ts_maxpool_forward(float *out, const float *in, long planes, int h,
                        int w) {
  const int ph = h / 2, pw = w / 2;
  for (long pl = 0; pl < planes; pl++) {
    const float *src = in + pl * h * w;
    float *o = out + pl * ph * pw;
    for (int y = 0; y < ph; y++) {
      const float *r0 = src + 2 * y * w, *r1 = r0 + w;
      float *oy = o + y * pw;
      /* selects, not branches: a loop the compiler vectorizes */
      for (int x = 0; x < pw; x++) {
        const float m0 = r0[2 * x + 1] > r0[2 * x] ? r0[2 * x + 1] : r0[2 * x];
        const float m1 = r1[2 * x + 1] > r1[2 * x] ? r1[2 * x + 1] : r1[2 * x];
        oy[x] = m1 > m0 ? m1 : m0;
      }
    }
  }
}

void ts_maxpool_backward(float *din, const float *dout, const float *in,
                         const float *out, long planes, int h, int w) {
  memset(din, 0, sizeof(float) * (size_t)planes * h * w);
  const int ph = h / 2, pw = w / 2;
  for (long pl = 0; pl < planes; pl++) {
    const float *src = in + pl * h * w;
    float *dst = din + pl * h * w;
    const long o = pl * ph * pw;
    for (int y = 0; y < ph; y++)
      for (int x = 0; x < pw; x++) {
        /* the window's first element equal to its maximum, in the scan
         * order the forward pass breaks ties in */
        const float m = out[o + y * pw + x];
        const int i00 = 2 * y * w + 2 * x, i01 = i00 + 1, i10 = i00 + w,
                  i11 = i10 + 1;
        const int at = src[i00] == m ? i00
                       : src[i01] == m ? i01
                       : src[i10] == m ? i10
                                       : i11;
        dst[at] += dout[o + y * pw + x];
      }
  }
}

/* Eight pooling windows: r0, r1 [16] the two input rows, m, g [8] the
 * forward output and its gradient, d0, d1 [16] the rows of din. */
static inline void maxpool_relu_bwd8(float *d0, float *d1, const float *r0,
                                     const float *r1, const float *m,
                                     const float *g) {
  const v8i ev = {0, 2, 4, 6, 8, 10, 12, 14}, od = ev + 1;
  const v8i lo = {0, 8, 1, 9, 2, 10, 3, 11}, hi = lo + 4;
  const v8f a0 = ld8(r0), a1 = ld8(r0 + 8), c0 = ld8(r1), c1 = ld8(r1 + 8);
  const v8f a = __builtin_shuffle(a0, a1, ev), b = __builtin_shuffle(a0, a1, od);
  const v8f c = __builtin_shuffle(c0, c1, ev), d = __builtin_shuffle(c0, c1, od);
  const v8f mv = ld8(m), zero = {0};
  const v8i gv = (v8i)(zero + ld8(g)); /* 0 + g: as the unfused += on 0 */
  /* the first maximum in scan order (a, b, c, d), as the forward breaks
   * ties; then the ReLU's mask: no gradient where the value is <= 0 */
  const v8i ea = a == mv, eb = (b == mv) & ~ea, ec = (c == mv) & ~(ea | eb),
            ed = ~(ea | eb | ec);
  const v8f ga = (v8f)(gv & ea & ~(a <= zero)), gb = (v8f)(gv & eb & ~(b <= zero));
  const v8f gc = (v8f)(gv & ec & ~(c <= zero)), gd = (v8f)(gv & ed & ~(d <= zero));
  st8(d0, __builtin_shuffle(ga, gb, lo));
  st8(d0 + 8, __builtin_shuffle(ga, gb, hi));
  st8(d1, __builtin_shuffle(gc, gd, lo));
  st8(d1 + 8, __builtin_shuffle(gc, gd, hi));
}

void ts_maxpool_relu_backward(float *din, const float *dout, const float *in,
                              const float *out, long planes, int h, int w,
                              int ldd) {
  const int ph = h / 2, pw = w / 2;
  for (long pl = 0; pl < planes; pl++) {
    const float *src = in + pl * h * w;   /* [h][w] */
    float *dst = din + pl * h * ldd;      /* [h][ldd] */
    const float *o = out + pl * ph * pw;  /* [ph][pw] */
    const float *g = dout + pl * ph * pw; /* [ph][pw] */
    for (int y = 0; y < ph; y++) {
      const float *r0 = src + 2 * y * w, *r1 = r0 + w;
      float *d0 = dst + 2 * y * ldd, *d1 = d0 + ldd;
      const float *oy = o + y * pw, *gy = g + y * pw;
      /* Every element of din is written, so it needs no memset, and the
       * windows go eight at a time without branches (a data-dependent
       * branch per window mispredicts about half the time). */
      if (pw >= 8) {
        for (int x = 0;; x += 8) {
          if (x > pw - 8) x = pw - 8; /* the last eight overlap: rewriting
                                         a window gives the same values */
          maxpool_relu_bwd8(d0 + 2 * x, d1 + 2 * x, r0 + 2 * x, r1 + 2 * x,
                            oy + x, gy + x);
          if (x == pw - 8) break;
        }
      } else if (pw > 0) { /* narrow rows: through a padded copy */
        float t0[16] = {0}, t1[16] = {0}, tm[8] = {0}, tg[8] = {0}, u0[16],
              u1[16];
        memcpy(t0, r0, sizeof(float) * 2 * pw);
        memcpy(t1, r1, sizeof(float) * 2 * pw);
        memcpy(tm, oy, sizeof(float) * pw);
        memcpy(tg, gy, sizeof(float) * pw);
        maxpool_relu_bwd8(u0, u1, t0, t1, tm, tg);
        memcpy(d0, u0, sizeof(float) * 2 * pw);
        memcpy(d1, u1, sizeof(float) * 2 * pw);
      }
      for (int x = 2 * pw; x < ldd; x++) d0[x] = d1[x] = 0.0f;
    }
    for (int y = 2 * ph; y < h; y++) /* the row an odd height drops */
      memset(dst + (long)y * ldd, 0, sizeof(float) * ldd);
  }
}

void ts_flatten_cnhw(float *out, const float *in, int n, int c, int h, int w) {
  const long plane = (long)h * w;
  for (int img = 0; img < n; img++)
    for (int ch = 0; ch < c; ch++)
      memcpy(out + ((long)img * c + ch) * plane,
             in + ((long)ch * n + img) * plane, sizeof(float) * plane);
}

void ts_unflatten_cnhw(float *out, const float *in, int n, int c, int h, int w) {
  const long plane = (long)h * w;
  for (int img = 0; img < n; img++)
    for (int ch = 0; ch < c; ch++)
      memcpy(out + ((long)ch * n + img) * plane,
             in + ((long)img * c + ch) * plane, sizeof(float) * plane);
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
