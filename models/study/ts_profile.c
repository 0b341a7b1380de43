#include "ts_profile.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ts_atomic.h"
#include "ts_fmt.h"

#define F32 4LL /* bytes of an FP32 value, and of an int32 pool index */

const char *ts_op_kind_name(ts_op_kind k) {
  switch (k) {
    case TS_OP_CONV: return "conv";
    case TS_OP_RELU: return "relu";
    case TS_OP_POOL: return "maxpool";
    case TS_OP_FC: return "fc";
  }
  return "?";
}

static long long elems_in(const ts_profile_op *o) {
  return (long long)o->in_c * o->in_h * o->in_w;
}
static long long elems_out(const ts_profile_op *o) {
  return (long long)o->out_c * o->out_h * o->out_w;
}

/* Appends an op whose input is the previous op's output (or the image). */
static ts_profile_op *push_op(ts_profile *p, const char *name, int idx,
                              ts_op_kind kind, int c, int h, int w) {
  ts_profile_op *o = &p->op[p->n_ops++];
  memset(o, 0, sizeof *o);
  snprintf(o->name, sizeof o->name, "%s%d", name, idx);
  o->kind = kind;
  o->layer = -1;
  o->in_c = c;
  o->in_h = h;
  o->in_w = w;
  o->out_c = c;
  o->out_h = h;
  o->out_w = w;
  return o;
}

ts_status ts_profile_compute(const ts_arch *a, int batch, ts_profile *p,
                             ts_error *err) {
  ts_layer_info L[TS_NUM_LAYERS];
  ts_status st = ts_arch_layers(a, L, err);
  if (st) return st;
  if (!p) return ts_fail(err, TS_E_ARG, "profile: output is NULL");
  if (batch < 1 || batch > 1000000)
    return ts_fail(err, TS_E_ARG, "profile: batch = %d; use 1..1000000",
                   batch);
  memset(p, 0, sizeof *p);
  p->arch = *a;
  p->batch = batch;

  /* forward order: each parameter layer, then its ReLU, then its pool */
  int c = a->in_c, h = a->in_h, w = a->in_w, nconv = 0, nfc = 0, nrelu = 0;
  for (int i = 0; i < TS_NUM_LAYERS; i++) {
    const ts_layer_info *l = &L[i];
    const int conv = l->kind == TS_LAYER_CONV;
    if (!conv) { /* flatten: a view, FC sees c*h*w features */
      c = c * h * w;
      h = w = 1;
    }
    ts_profile_op *o = push_op(p, conv ? "conv" : "fc", conv ? ++nconv : ++nfc,
                               conv ? TS_OP_CONV : TS_OP_FC, c, h, w);
    o->layer = i;
    o->out_c = l->out_c;
    o->out_h = l->out_h;
    o->out_w = l->out_w;
    o->k = conv ? l->k : 0;
    o->weights = (long long)l->w_len;
    o->biases = (long long)l->b_len;
    o->macs = l->macs;
    c = l->out_c;
    h = l->out_h;
    w = l->out_w;
    if (l->relu) push_op(p, "relu", ++nrelu, TS_OP_RELU, c, h, w);
    if (conv) {
      o = push_op(p, "pool", nconv, TS_OP_POOL, c, h, w);
      o->out_h = l->pooled_h;
      o->out_w = l->pooled_w;
      o->k = 2;
      h = l->pooled_h;
      w = l->pooled_w;
    }
  }

  const long long N = batch;
  p->input_bytes = F32 * a->in_c * a->in_h * a->in_w;
  p->input_batch_bytes = N * p->input_bytes;
  p->act_sum_bytes = p->input_bytes;
  p->saved_bytes = p->input_batch_bytes;
  for (int i = 0; i < p->n_ops; i++) {
    ts_profile_op *o = &p->op[i];
    const long long out = elems_out(o), in = elems_in(o);
    const int next_is_relu = i + 1 < p->n_ops && p->op[i + 1].kind == TS_OP_RELU;
    o->param_bytes = F32 * (o->weights + o->biases);
    o->act_bytes = F32 * out;
    o->live_bytes = F32 * (in + out);
    /* saved when a backward step reads it (see the header) */
    if (o->kind == TS_OP_POOL)
      o->saved_bytes = N * F32 * out * 2; /* output + int32 argmax */
    else if (o->kind == TS_OP_RELU || !next_is_relu)
      o->saved_bytes = N * F32 * out;
    o->grad_act_bytes = N * F32 * out;
    o->grad_live_bytes = N * F32 * (out + (i == 0 ? 0 : in));
    o->grad_w_bytes = o->param_bytes;
    o->momentum_bytes = o->param_bytes;

    p->weights += o->weights;
    p->biases += o->biases;
    p->macs += o->macs;
    p->param_bytes += o->param_bytes;
    p->act_sum_bytes += o->act_bytes;
    if (o->live_bytes > p->act_peak_bytes) {
      p->act_peak_bytes = o->live_bytes;
      p->act_peak_op = i;
    }
    p->saved_bytes += o->saved_bytes;
    p->grad_act_sum_bytes += o->grad_act_bytes;
    if (o->grad_live_bytes > p->grad_act_peak_bytes)
      p->grad_act_peak_bytes = o->grad_live_bytes;
    p->grad_w_bytes += o->grad_w_bytes;
    p->momentum_bytes += o->momentum_bytes;
  }
  p->params = p->weights + p->biases;
  p->infer_bytes = p->param_bytes + p->act_peak_bytes;
  p->train_bytes = p->param_bytes + p->grad_w_bytes + p->momentum_bytes +
                   p->saved_bytes + p->grad_act_peak_bytes;
  return TS_OK;
}

/* ---- Text output ------------------------------------------------------- */

/* bytes -> "12.3 KiB" */
static const char *fmt_b(char buf[32], long long v) {
  const char *unit[] = {"B", "KiB", "MiB", "GiB"};
  double x = (double)v;
  int u = 0;
  while (x >= 1024.0 && u < 3) {
    x /= 1024.0;
    u++;
  }
  if (u == 0) snprintf(buf, 32, "%lld B", v);
  else snprintf(buf, 32, "%.2f %s", x, unit[u]);
  return buf;
}

static const char *fmt_shape(char buf[32], int c, int h, int w) {
  if (h == 1 && w == 1) snprintf(buf, 32, "%d", c);
  else snprintf(buf, 32, "%dx%dx%d", c, h, w);
  return buf;
}

static const char *fmt_kernel(char buf[32], const ts_profile_op *o) {
  if (o->kind == TS_OP_CONV) snprintf(buf, 32, "%dx%d", o->k, o->k);
  else if (o->kind == TS_OP_POOL) snprintf(buf, 32, "%dx%d/%d", o->k, o->k, o->k);
  else snprintf(buf, 32, "-");
  return buf;
}

static ts_status io_check(FILE *f, const char *what, ts_error *err) {
  if (ferror(f))
    return ts_fail(err, TS_E_IO, "%s: write failed: %s", what,
                   strerror(errno));
  return TS_OK;
}

ts_status ts_profile_print(FILE *f, const ts_profile *p, ts_error *err) {
  if (!f || !p) return ts_fail(err, TS_E_ARG, "profile print: NULL argument");
  char b1[32], b2[32], b3[32], b4[32], b5[32], b6[32];
  const ts_arch *a = &p->arch;
  fprintf(f, "Architecture: input %s, %d classes, k1=%d k2=%d\n",
          fmt_shape(b1, a->in_c, a->in_h, a->in_w), a->classes, a->k1, a->k2);
  fprintf(f, "%-6s %-7s %-9s %-9s %-6s %9s %7s %11s\n", "layer", "type",
          "input", "output", "kernel", "weights", "biases", "MACs");
  for (int i = 0; i < p->n_ops; i++) {
    const ts_profile_op *o = &p->op[i];
    fprintf(f, "%-6s %-7s %-9s %-9s %-6s %9s %7s %11s\n", o->name,
            ts_op_kind_name(o->kind), fmt_shape(b1, o->in_c, o->in_h, o->in_w),
            fmt_shape(b2, o->out_c, o->out_h, o->out_w), fmt_kernel(b3, o),
            ts_fmt_thousands(b4, o->weights), ts_fmt_thousands(b5, o->biases), ts_fmt_thousands(b6, o->macs));
  }
  fprintf(f, "%-6s %-7s %-9s %-9s %-6s %9s %7s %11s\n", "total", "", "", "",
          "", ts_fmt_thousands(b1, p->weights), ts_fmt_thousands(b2, p->biases), ts_fmt_thousands(b3, p->macs));
  fprintf(f, "parameters: %s; MACs per image: %s (relu/pool: 0 MACs)\n\n",
          ts_fmt_thousands(b1, p->params), ts_fmt_thousands(b2, p->macs));

  fprintf(f, "Inference memory, one image, FP32 (bytes)\n");
  fprintf(f, "%-6s %11s %11s %14s\n", "layer", "params", "output",
          "input+output");
  fprintf(f, "%-6s %11s %11s %14s\n", "input", "0",
          ts_fmt_thousands(b1, p->input_bytes), "");
  for (int i = 0; i < p->n_ops; i++) {
    const ts_profile_op *o = &p->op[i];
    fprintf(f, "%-6s %11s %11s %14s\n", o->name, ts_fmt_thousands(b1, o->param_bytes),
            ts_fmt_thousands(b2, o->act_bytes), ts_fmt_thousands(b3, o->live_bytes));
  }
  fprintf(f, "parameters %s; activations: peak live %s (%s: its input + "
          "output), sum of all %s; model + peak = %s\n\n",
          fmt_b(b1, p->param_bytes), fmt_b(b2, p->act_peak_bytes),
          p->op[p->act_peak_op].name, fmt_b(b3, p->act_sum_bytes),
          fmt_b(b4, p->infer_bytes));

  fprintf(f, "Training memory, batch %d, SGD with momentum (bytes)\n",
          p->batch);
  fprintf(f, "%-6s %12s %12s %12s %11s %10s\n", "layer", "saved act",
          "d(output)", "dOut+dIn", "weight grad", "momentum");
  fprintf(f, "%-6s %12s %12s %12s %11s %10s\n", "input",
          ts_fmt_thousands(b1, p->input_batch_bytes), "-", "-", "0", "0");
  for (int i = 0; i < p->n_ops; i++) {
    const ts_profile_op *o = &p->op[i];
    fprintf(f, "%-6s %12s %12s %12s %11s %10s\n", o->name,
            ts_fmt_thousands(b1, o->saved_bytes), ts_fmt_thousands(b2, o->grad_act_bytes),
            ts_fmt_thousands(b3, o->grad_live_bytes), ts_fmt_thousands(b4, o->grad_w_bytes),
            ts_fmt_thousands(b5, o->momentum_bytes));
  }
  fprintf(f, "saved activations %s; activation gradients: peak %s, sum %s; "
          "weight gradients %s; momentum %s; parameters %s\n",
          fmt_b(b1, p->saved_bytes), fmt_b(b2, p->grad_act_peak_bytes),
          fmt_b(b3, p->grad_act_sum_bytes), fmt_b(b4, p->grad_w_bytes),
          fmt_b(b5, p->momentum_bytes), fmt_b(b6, p->param_bytes));
  fprintf(f, "training total (params + grads + momentum + saved + peak "
          "dAct): %s (%s bytes)\n", fmt_b(b1, p->train_bytes),
          ts_fmt_thousands(b2, p->train_bytes));
  return io_check(f, "profile table", err);
}

/* ---- Files --------------------------------------------------------------- */

/* v: weights .. momentum_bytes, in the header's order */
static void csv_row(FILE *f, const char *name, const char *type, int ic,
                    int ih, int iw, int oc, int oh, int ow, int k,
                    const long long v[11], int batch) {
  fprintf(f, "%s,%s,%d,%d,%d,%d,%d,%d,%d", name, type, ic, ih, iw, oc, oh, ow,
          k);
  for (int i = 0; i < 11; i++) fprintf(f, ",%lld", v[i]);
  fprintf(f, ",%d\n", batch);
}

static ts_status profile_csv(FILE *f, void *ctx, ts_error *err) {
  const ts_profile *p = ctx;
  const ts_arch *a = &p->arch;
  fprintf(f, "layer,type,in_c,in_h,in_w,out_c,out_h,out_w,kernel,weights,"
          "biases,macs,param_bytes,act_bytes,live_bytes,saved_bytes,"
          "grad_act_bytes,grad_live_bytes,grad_w_bytes,momentum_bytes,batch\n");
  /* the trailing column is the batch the training columns are for */
  long long in[11] = {0, 0, 0, 0, p->input_bytes, 0, p->input_batch_bytes,
                      0, 0, 0, 0};
  csv_row(f, "input", "input", 0, 0, 0, a->in_c, a->in_h, a->in_w, 0, in,
          p->batch);
  for (int i = 0; i < p->n_ops; i++) {
    const ts_profile_op *o = &p->op[i];
    long long v[11] = {o->weights,        o->biases,         o->macs,
                       o->param_bytes,    o->act_bytes,      o->live_bytes,
                       o->saved_bytes,    o->grad_act_bytes, o->grad_live_bytes,
                       o->grad_w_bytes,   o->momentum_bytes};
    csv_row(f, o->name, ts_op_kind_name(o->kind), o->in_c, o->in_h, o->in_w,
            o->out_c, o->out_h, o->out_w, o->k, v, p->batch);
  }
  /* total: sums, except the two live columns, which hold the peaks */
  long long t[11] = {p->weights,          p->biases,
                     p->macs,             p->param_bytes,
                     p->act_sum_bytes,    p->act_peak_bytes,
                     p->saved_bytes,      p->grad_act_sum_bytes,
                     p->grad_act_peak_bytes, p->grad_w_bytes,
                     p->momentum_bytes};
  csv_row(f, "total", "", a->in_c, a->in_h, a->in_w, a->classes, 1, 1, 0, t,
          p->batch);
  return io_check(f, "profile CSV", err);
}

ts_status ts_profile_write_csv(const char *path, const ts_profile *p,
                               ts_error *err) {
  if (!p) return ts_fail(err, TS_E_ARG, "profile CSV: profile is NULL");
  /* the writers only read through the pointer */
  return ts_atomic_write(path, profile_csv, (void *)p, err);
}

/* cJSON returns NULL from every call after an allocation failure; `ok`
 * collects that so a partial document is never written. */
static cJSON *add_num(cJSON *o, const char *k, double v, int *ok) {
  cJSON *r = cJSON_AddNumberToObject(o, k, v);
  if (!r) *ok = 0;
  return r;
}

/* o[key] = [c, h, w]; an array that could not be added is freed. */
static void add_shape(cJSON *o, const char *key, int c, int h, int w, int *ok) {
  const int v[3] = {c, h, w};
  cJSON *a = cJSON_CreateIntArray(v, 3);
  if (!a || !cJSON_AddItemToObject(o, key, a)) {
    cJSON_Delete(a);
    *ok = 0;
  }
}

static ts_status profile_json(FILE *f, void *ctx, ts_error *err) {
  const ts_profile *p = ctx;
  const ts_arch *a = &p->arch;
  int ok = 1;
  cJSON *root = cJSON_CreateObject();
  cJSON *arch = cJSON_AddObjectToObject(root, "arch");
  add_num(arch, "in_c", a->in_c, &ok);
  add_num(arch, "in_h", a->in_h, &ok);
  add_num(arch, "in_w", a->in_w, &ok);
  add_num(arch, "k1", a->k1, &ok);
  add_num(arch, "k2", a->k2, &ok);
  add_num(arch, "c1", a->c1, &ok);
  add_num(arch, "c2", a->c2, &ok);
  add_num(arch, "f1", a->f1, &ok);
  add_num(arch, "f2", a->f2, &ok);
  add_num(arch, "classes", a->classes, &ok);
  add_num(root, "batch", p->batch, &ok);
  cJSON *rules = cJSON_AddObjectToObject(root, "rules");
  if (!cJSON_AddStringToObject(rules, "units", "bytes; FP32 = 4, int32 pool index = 4") ||
      !cJSON_AddStringToObject(rules, "inference",
                               "one image; each op has its own output buffer; "
                               "live = input + output; peak = max live; "
                               "sum = input + all outputs") ||
      !cJSON_AddStringToObject(rules, "training",
                               "batch images; saved = input batch + outputs "
                               "read by a backward step (ReLU outputs, pool "
                               "outputs + argmax, logits); activation "
                               "gradients peak = max over ops of dOut + dIn; "
                               "total = params + weight grads + momentum + "
                               "saved + peak"))
    ok = 0;
  cJSON *ops = cJSON_AddArrayToObject(root, "ops");
  for (int i = 0; i < p->n_ops; i++) {
    const ts_profile_op *o = &p->op[i];
    cJSON *j = cJSON_CreateObject();
    if (!j || !cJSON_AddItemToArray(ops, j)) {
      cJSON_Delete(j);
      ok = 0;
      break;
    }
    if (!cJSON_AddStringToObject(j, "name", o->name) ||
        !cJSON_AddStringToObject(j, "type", ts_op_kind_name(o->kind)))
      ok = 0;
    add_shape(j, "input", o->in_c, o->in_h, o->in_w, &ok);
    add_shape(j, "output", o->out_c, o->out_h, o->out_w, &ok);
    add_num(j, "kernel", o->k, &ok);
    add_num(j, "weights", (double)o->weights, &ok);
    add_num(j, "biases", (double)o->biases, &ok);
    add_num(j, "macs", (double)o->macs, &ok);
    add_num(j, "param_bytes", (double)o->param_bytes, &ok);
    add_num(j, "act_bytes", (double)o->act_bytes, &ok);
    add_num(j, "live_bytes", (double)o->live_bytes, &ok);
    add_num(j, "saved_bytes", (double)o->saved_bytes, &ok);
    add_num(j, "grad_act_bytes", (double)o->grad_act_bytes, &ok);
    add_num(j, "grad_live_bytes", (double)o->grad_live_bytes, &ok);
    add_num(j, "grad_w_bytes", (double)o->grad_w_bytes, &ok);
    add_num(j, "momentum_bytes", (double)o->momentum_bytes, &ok);
  }
  cJSON *t = cJSON_AddObjectToObject(root, "totals");
  add_num(t, "weights", (double)p->weights, &ok);
  add_num(t, "biases", (double)p->biases, &ok);
  add_num(t, "params", (double)p->params, &ok);
  add_num(t, "macs", (double)p->macs, &ok);
  add_num(t, "param_bytes", (double)p->param_bytes, &ok);
  add_num(t, "input_bytes", (double)p->input_bytes, &ok);
  add_num(t, "act_sum_bytes", (double)p->act_sum_bytes, &ok);
  add_num(t, "act_peak_bytes", (double)p->act_peak_bytes, &ok);
  if (!cJSON_AddStringToObject(t, "act_peak_op", p->op[p->act_peak_op].name))
    ok = 0;
  add_num(t, "infer_bytes", (double)p->infer_bytes, &ok);
  add_num(t, "input_batch_bytes", (double)p->input_batch_bytes, &ok);
  add_num(t, "saved_bytes", (double)p->saved_bytes, &ok);
  add_num(t, "grad_act_sum_bytes", (double)p->grad_act_sum_bytes, &ok);
  add_num(t, "grad_act_peak_bytes", (double)p->grad_act_peak_bytes, &ok);
  add_num(t, "grad_w_bytes", (double)p->grad_w_bytes, &ok);
  add_num(t, "momentum_bytes", (double)p->momentum_bytes, &ok);
  add_num(t, "train_bytes", (double)p->train_bytes, &ok);
  char *s = ok && root && arch && rules && ops && t ? cJSON_Print(root) : NULL;
  cJSON_Delete(root);
  if (!s) return ts_fail(err, TS_E_NOMEM, "profile JSON: out of memory");
  fputs(s, f);
  fputc('\n', f);
  cJSON_free(s);
  return io_check(f, "profile JSON", err);
}

ts_status ts_profile_write_json(const char *path, const ts_profile *p,
                                ts_error *err) {
  if (!p) return ts_fail(err, TS_E_ARG, "profile JSON: profile is NULL");
  return ts_atomic_write(path, profile_json, (void *)p, err);
}

/* ---- Quantized storage ------------------------------------------------- */

ts_status ts_profile_quant_mem(const ts_arch *a, int bits, ts_quant_scheme s,
                               ts_quant_mem *m, ts_error *err) {
  ts_layer_info L[TS_NUM_LAYERS];
  ts_status st = ts_arch_layers(a, L, err);
  if (st) return st;
  if (!m) return ts_fail(err, TS_E_ARG, "quantized memory: output is NULL");
  if (bits < TS_QUANT_MIN_BITS || bits > TS_QUANT_MAX_BITS)
    return ts_fail(err, TS_E_ARG,
                   "quantized memory: bits = %d is out of range; use %d..%d",
                   bits, TS_QUANT_MIN_BITS, TS_QUANT_MAX_BITS);
  if (s != TS_QUANT_PER_TENSOR && s != TS_QUANT_PER_CHANNEL)
    return ts_fail(err, TS_E_ARG, "quantized memory: unknown scheme %d",
                   (int)s);
  ts_profile p;
  if ((st = ts_profile_compute(a, 1, &p, err))) return st;
  memset(m, 0, sizeof *m);
  m->bits = bits;
  m->scheme = s;
  for (int i = 0; i < TS_NUM_LAYERS; i++) {
    /* each layer's codes start on a byte boundary */
    m->weight_bytes[i] = ((long long)L[i].w_len * bits + 7) / 8;
    m->scale_bytes[i] = F32 * ts_quant_num_scales(L[i].out_c, s);
    m->bias_bytes[i] = F32 * (long long)L[i].b_len;
    m->model_bytes += m->weight_bytes[i] + m->scale_bytes[i] + m->bias_bytes[i];
    m->fp32_bytes += F32 * (long long)(L[i].w_len + L[i].b_len);
  }
  m->ratio = (double)m->fp32_bytes / (double)m->model_bytes;
  m->act_peak_bytes = p.act_peak_bytes;
  return TS_OK;
}
