#include "ts_weights.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NUM_TENSORS (2 * TS_NUM_LAYERS)

/* Checkpoint metadata keys (docs/weights.md). */
#define KEY_FORMAT "format"
#define KEY_EPOCH TS_WEIGHTS_CKPT_EPOCH_KEY
#define KEY_ITER "tessera.ckpt.iteration"
#define KEY_RNG "tessera.ckpt.rng"
#define KEY_LR "tessera.ckpt.lr"
#define KEY_BEST "tessera.ckpt.best_accuracy"

static const char *const reserved_keys[] = {
    KEY_FORMAT, TS_WEIGHTS_ARCH_KEY, KEY_EPOCH, KEY_ITER, KEY_RNG, KEY_LR,
    KEY_BEST};

/* state_dict order; must agree with ts_arch_layers' names and offsets. */
static const char *const tensor_names[NUM_TENSORS] = {
    "conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias",
    "fc1.weight",   "fc1.bias",   "fc2.weight",   "fc2.bias",
    "fc3.weight",   "fc3.bias"};

/* Every ts_arch field, by the name used in "tessera.arch". */
static const struct {
  const char *name;
  size_t off;
} arch_fields[] = {
    {"in_c", offsetof(ts_arch, in_c)}, {"in_h", offsetof(ts_arch, in_h)},
    {"in_w", offsetof(ts_arch, in_w)}, {"k1", offsetof(ts_arch, k1)},
    {"k2", offsetof(ts_arch, k2)},     {"c1", offsetof(ts_arch, c1)},
    {"c2", offsetof(ts_arch, c2)},     {"f1", offsetof(ts_arch, f1)},
    {"f2", offsetof(ts_arch, f2)},     {"classes", offsetof(ts_arch, classes)}};
#define NUM_ARCH_FIELDS ((int)(sizeof arch_fields / sizeof arch_fields[0]))

static int *arch_field(ts_arch *a, int i) {
  return (int *)(void *)((char *)a + arch_fields[i].off);
}
static int arch_field_get(const ts_arch *a, int i) {
  return *(const int *)(const void *)((const char *)a + arch_fields[i].off);
}

const char *ts_weights_tensor_name(int i) {
  return i >= 0 && i < NUM_TENSORS ? tensor_names[i] : NULL;
}

/* One tensor the architecture expects: its shape and slice of the params. */
typedef struct expect {
  const char *name;
  int ndim;
  int64_t shape[TS_ST_MAX_NDIM];
  size_t off, len;
} expect;

static void expected_tensors(const ts_layer_info l[TS_NUM_LAYERS],
                             expect e[NUM_TENSORS]) {
  memset(e, 0, sizeof(expect) * NUM_TENSORS);
  for (int i = 0; i < TS_NUM_LAYERS; i++) {
    expect *w = &e[2 * i], *b = &e[2 * i + 1];
    w->name = tensor_names[2 * i];
    b->name = tensor_names[2 * i + 1];
    w->shape[0] = l[i].out_c;
    w->shape[1] = l[i].in_c;
    if (l[i].kind == TS_LAYER_CONV) {
      w->ndim = 4;
      w->shape[2] = w->shape[3] = l[i].k;
    } else {
      w->ndim = 2;
    }
    w->off = l[i].w_off;
    w->len = l[i].w_len;
    b->ndim = 1;
    b->shape[0] = l[i].out_c;
    b->off = l[i].b_off;
    b->len = l[i].b_len;
  }
}

static void format_shape(char *buf, size_t n, int ndim, const int64_t *shape) {
  size_t at = (size_t)snprintf(buf, n, "[");
  for (int d = 0; d < ndim && at < n; d++)
    at += (size_t)snprintf(buf + at, n - at, "%s%lld", d ? ", " : "",
                           (long long)shape[d]);
  if (at < n) snprintf(buf + at, n - at, "]");
}

/* "[i][j]..." position of flat index k in a row-major shape. */
static void format_index(char *buf, size_t n, int ndim, const int64_t *shape,
                         size_t k) {
  int64_t idx[TS_ST_MAX_NDIM] = {0};
  for (int d = ndim - 1; d >= 0; d--) {
    idx[d] = shape[d] ? (int64_t)(k % (size_t)shape[d]) : 0;
    k = shape[d] ? k / (size_t)shape[d] : 0;
  }
  size_t at = 0;
  buf[0] = '\0';
  for (int d = 0; d < ndim && at < n; d++)
    at += (size_t)snprintf(buf + at, n - at, "[%lld]", (long long)idx[d]);
}

/* First non-finite element of x[n], or n. */
static size_t first_nonfinite(const float *x, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!isfinite(x[i])) return i;
  return n;
}

static ts_status nonfinite_error(ts_error *err, const char *verb,
                                 const char *path, const char *prefix,
                                 const expect *e, const float *x, size_t k) {
  char pos[96];
  format_index(pos, sizeof pos, e->ndim, e->shape, k);
  return ts_fail(err, TS_E_NONFINITE,
                 "%s '%s': tensor '%s%s' element %zu %s is %s (NaN/Inf "
                 "weights are refused)", verb, path, prefix, e->name, k, pos,
                 isnan(x[k]) ? "NaN" : (x[k] > 0 ? "+Inf" : "-Inf"));
}

/* ---- Architecture metadata -------------------------------------------- */

char *ts_weights_arch_json(const ts_arch *a) {
  cJSON *o = cJSON_CreateObject();
  int ok = o != NULL && a != NULL;
  for (int i = 0; ok && i < NUM_ARCH_FIELDS; i++)
    ok = cJSON_AddNumberToObject(o, arch_fields[i].name,
                                 arch_field_get(a, i)) != NULL;
  char *s = ok ? cJSON_PrintUnformatted(o) : NULL;
  cJSON_Delete(o);
  return s;
}

ts_status ts_weights_arch_parse(const char *json, ts_arch *out, ts_error *err) {
  if (!json || !out) return ts_fail(err, TS_E_ARG, "arch JSON or output is NULL");
  cJSON *o = cJSON_Parse(json);
  ts_status s = TS_OK;
  ts_arch a;
  memset(&a, 0, sizeof a);
  if (!cJSON_IsObject(o)) {
    s = ts_fail(err, TS_E_FORMAT,
                "'%s' is not valid JSON object text: %.80s",
                TS_WEIGHTS_ARCH_KEY, json);
    goto done;
  }
  for (int i = 0; i < NUM_ARCH_FIELDS && !s; i++) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, arch_fields[i].name);
    double d = cJSON_IsNumber(v) ? v->valuedouble : NAN;
    if (!v)
      s = ts_fail(err, TS_E_FORMAT, "'%s' lacks field \"%s\"",
                  TS_WEIGHTS_ARCH_KEY, arch_fields[i].name);
    else if (!(d >= INT_MIN && d <= INT_MAX) || d != (double)(int)d)
      s = ts_fail(err, TS_E_FORMAT, "'%s' field \"%s\" is not an integer",
                  TS_WEIGHTS_ARCH_KEY, arch_fields[i].name);
    else
      *arch_field(&a, i) = (int)d;
  }
  const cJSON *v;
  cJSON_ArrayForEach(v, o) {
    if (s) break;
    int known = 0;
    for (int i = 0; i < NUM_ARCH_FIELDS; i++)
      known |= !strcmp(v->string, arch_fields[i].name);
    if (!known)
      s = ts_fail(err, TS_E_FORMAT,
                  "'%s' has unknown field \"%s\" (written by a newer Tessera?)",
                  TS_WEIGHTS_ARCH_KEY, v->string);
  }
  if (!s) {
    ts_error e2 = {TS_OK, ""};
    if (ts_arch_validate(&a, &e2))
      s = ts_fail(err, TS_E_FORMAT, "'%s' is not a valid architecture: %s",
                  TS_WEIGHTS_ARCH_KEY, e2.msg);
  }
done:
  cJSON_Delete(o);
  if (!s) *out = a;
  return s;
}

/* ---- Writing ------------------------------------------------------------ */

/* Writes params (and momentum when non-NULL) with our metadata ours[nours]
 * followed by the caller's extra[nextra]. */
static ts_status write_file(const char *path, const ts_arch *arch,
                            const float *params, const float *momentum,
                            size_t count, const ts_st_meta *ours, int nours,
                            const ts_st_meta *extra, int nextra,
                            ts_error *err) {
  if (!path) return ts_fail(err, TS_E_ARG, "weights: path is NULL");
  ts_layer_info l[TS_NUM_LAYERS];
  ts_error e2 = {TS_OK, ""};
  if (ts_arch_layers(arch, l, &e2))
    return ts_fail(err, TS_E_ARG, "cannot save '%s': %s", path, e2.msg);
  size_t need = ts_arch_num_params(arch);
  if (!params || count != need)
    return ts_fail(err, TS_E_ARG,
                   "cannot save '%s': %zu parameters given (params %s), the "
                   "architecture has %zu", path, count,
                   params ? "non-NULL" : "NULL", need);
  if (nextra < 0 || (nextra > 0 && !extra))
    return ts_fail(err, TS_E_ARG, "cannot save '%s': bad extra metadata list",
                   path);
  for (int i = 0; i < nextra; i++)
    for (size_t r = 0; r < sizeof reserved_keys / sizeof *reserved_keys; r++)
      if (extra[i].key && !strcmp(extra[i].key, reserved_keys[r]))
        return ts_fail(err, TS_E_ARG,
                       "cannot save '%s': extra metadata key '%s' is reserved "
                       "by Tessera; pick another name", path, extra[i].key);

  expect e[NUM_TENSORS];
  expected_tensors(l, e);
  int ntens = momentum ? 2 * NUM_TENSORS : NUM_TENSORS;
  ts_st_tensor t[2 * NUM_TENSORS];
  char mnames[NUM_TENSORS][TS_WEIGHTS_MAX_NAME];
  for (int i = 0; i < ntens; i++) {
    const expect *x = &e[i % NUM_TENSORS];
    int is_m = i >= NUM_TENSORS;
    const float *src = (is_m ? momentum : params) + x->off;
    size_t bad = first_nonfinite(src, x->len);
    if (bad < x->len)
      return nonfinite_error(err, "cannot save", path,
                             is_m ? TS_WEIGHTS_MOMENTUM_PREFIX : "", x, src,
                             bad);
    if (is_m)
      snprintf(mnames[i - NUM_TENSORS], TS_WEIGHTS_MAX_NAME, "%s%s",
               TS_WEIGHTS_MOMENTUM_PREFIX, x->name);
    t[i].name = is_m ? mnames[i - NUM_TENSORS] : x->name;
    t[i].ndim = x->ndim;
    memcpy(t[i].shape, x->shape, sizeof t[i].shape);
    t[i].data = src;
  }

  int nm = nours + nextra;
  ts_st_meta *m = malloc(((size_t)nm + 1) * sizeof *m);
  if (!m) return ts_fail(err, TS_E_NOMEM, "cannot save '%s': out of memory", path);
  for (int i = 0; i < nours; i++) m[i] = ours[i];
  for (int i = 0; i < nextra; i++) m[nours + i] = extra[i];
  ts_status s = ts_st_write(path, t, ntens, m, nm, err);
  free(m);
  return s;
}

ts_status ts_weights_save_params(const ts_arch *arch, const float *params,
                                 size_t count, const char *path,
                                 const ts_st_meta *extra, int nextra,
                                 ts_error *err) {
  char *aj = arch ? ts_weights_arch_json(arch) : NULL;
  if (!aj)
    return ts_fail(err, arch ? TS_E_NOMEM : TS_E_ARG,
                   "cannot save '%s': %s", path ? path : "(null)",
                   arch ? "out of memory" : "architecture is NULL");
  ts_st_meta ours[] = {{KEY_FORMAT, "pt"}, {TS_WEIGHTS_ARCH_KEY, aj}};
  ts_status s = write_file(path, arch, params, NULL, count, ours, 2, extra,
                           nextra, err);
  free(aj);
  return s;
}

ts_status ts_weights_save(const ts_net *net, const char *path,
                          const ts_st_meta *extra, int nextra, ts_error *err) {
  if (!net) return ts_fail(err, TS_E_ARG, "cannot save '%s': network is NULL",
                           path ? path : "(null)");
  return ts_weights_save_params(ts_net_arch(net), ts_net_params_const(net),
                                ts_net_num_params(net), path, extra, nextra,
                                err);
}

/* ---- Reading ------------------------------------------------------------ */

/* Dimension of a tensor used to derive the architecture, clamped so that
 * absurd values reach ts_arch_validate's range message intact. */
static int dim_to_int(int64_t v) { return v > (1 << 30) ? (1 << 30) : (int)v; }

static ts_status derive_dims(const ts_st_file *f, const char *name, int ndim,
                             const char *layout, int64_t shape[TS_ST_MAX_NDIM],
                             ts_error *err) {
  const ts_st_tensor *t = ts_st_find(f, name);
  if (!t)
    return ts_fail(err, TS_E_FORMAT, "file '%s': tensor '%s' is missing",
                   ts_st_path(f), name);
  if (t->ndim != ndim) {
    char got[128];
    format_shape(got, sizeof got, t->ndim, t->shape);
    return ts_fail(err, TS_E_SHAPE,
                   "file '%s': tensor '%s' has shape %s; expected %d "
                   "dimensions %s", ts_st_path(f), name, got, ndim, layout);
  }
  memcpy(shape, t->shape, sizeof t->shape);
  return TS_OK;
}

/* Architecture from the tensor shapes plus hint's input shape. */
static ts_status derive_arch(const ts_st_file *f, const ts_arch *hint,
                             ts_arch *a, ts_error *err) {
  int64_t c1[4], c2[4], f1[4], f2[4], f3[4];
  ts_status s;
  if ((s = derive_dims(f, "conv1.weight", 4, "[out][in][kh][kw]", c1, err)) ||
      (s = derive_dims(f, "conv2.weight", 4, "[out][in][kh][kw]", c2, err)) ||
      (s = derive_dims(f, "fc1.weight", 2, "[out][in]", f1, err)) ||
      (s = derive_dims(f, "fc2.weight", 2, "[out][in]", f2, err)) ||
      (s = derive_dims(f, "fc3.weight", 2, "[out][in]", f3, err)))
    return s;
  const char *sq = c1[2] != c1[3] ? "conv1.weight" : c2[2] != c2[3] ? "conv2.weight" : NULL;
  if (sq)
    return ts_fail(err, TS_E_SHAPE,
                   "file '%s': tensor '%s' has a non-square kernel; Tessera "
                   "supports square kernels only", ts_st_path(f), sq);
  memset(a, 0, sizeof *a);
  a->in_c = hint->in_c;
  a->in_h = hint->in_h;
  a->in_w = hint->in_w;
  a->c1 = dim_to_int(c1[0]);
  a->k1 = dim_to_int(c1[2]);
  a->c2 = dim_to_int(c2[0]);
  a->k2 = dim_to_int(c2[2]);
  a->f1 = dim_to_int(f1[0]);
  a->f2 = dim_to_int(f2[0]);
  a->classes = dim_to_int(f3[0]);
  ts_error e2 = {TS_OK, ""};
  if (ts_arch_validate(a, &e2))
    return ts_fail(err, TS_E_SHAPE,
                   "file '%s': the tensor shapes with a %dx%dx%d input give "
                   "no valid architecture: %s", ts_st_path(f), hint->in_c,
                   hint->in_h, hint->in_w, e2.msg);
  return TS_OK;
}

ts_status ts_weights_read_arch(const ts_st_file *f, const ts_arch *hint,
                               ts_arch *out, ts_error *err) {
  if (!f || !out) return ts_fail(err, TS_E_ARG, "ts_weights_read_arch: NULL file or output");
  const char *aj = ts_st_meta_get(f, TS_WEIGHTS_ARCH_KEY);
  ts_arch a;
  ts_status s;
  if (aj) {
    ts_error e2 = {TS_OK, ""};
    if ((s = ts_weights_arch_parse(aj, &a, &e2)))
      return ts_fail(err, s, "file '%s': metadata %s", ts_st_path(f), e2.msg);
  } else {
    if (!hint)
      return ts_fail(err, TS_E_ARG,
                     "file '%s' has no '%s' metadata (a PyTorch export?): "
                     "give the input shape and classes as a hint",
                     ts_st_path(f), TS_WEIGHTS_ARCH_KEY);
    if ((s = derive_arch(f, hint, &a, err))) return s;
  }
  if (hint && (a.in_c != hint->in_c || a.in_h != hint->in_h ||
               a.in_w != hint->in_w ||
               (hint->classes > 0 && a.classes != hint->classes)))
    return ts_fail(err, TS_E_SHAPE,
                   "file '%s' holds a network for %dx%dx%d inputs and %d "
                   "classes, but %dx%dx%d inputs and %d classes were asked for",
                   ts_st_path(f), a.in_c, a.in_h, a.in_w, a.classes,
                   hint->in_c, hint->in_h, hint->in_w, hint->classes);
  *out = a;
  return TS_OK;
}

/* Checks one expected tensor (name = prefix + e->name): present, shaped as
 * e says, finite. *data receives its values. */
static ts_status check_tensor(const ts_st_file *f, const expect *e,
                              const char *prefix, const float **data,
                              ts_error *err) {
  char name[TS_WEIGHTS_MAX_NAME], want[128], got[128];
  snprintf(name, sizeof name, "%s%s", prefix, e->name);
  format_shape(want, sizeof want, e->ndim, e->shape);
  const ts_st_tensor *t = ts_st_find(f, name);
  if (!t)
    return ts_fail(err, TS_E_FORMAT,
                   "file '%s': tensor '%s' is missing (expected shape %s)",
                   ts_st_path(f), name, want);
  int same = t->ndim == e->ndim;
  for (int d = 0; same && d < e->ndim; d++) same = t->shape[d] == e->shape[d];
  if (!same) {
    format_shape(got, sizeof got, t->ndim, t->shape);
    return ts_fail(err, TS_E_SHAPE,
                   "file '%s': tensor '%s' has shape %s; the architecture "
                   "expects %s", ts_st_path(f), name, got, want);
  }
  size_t bad = first_nonfinite(t->data, e->len);
  if (bad < e->len)
    return nonfinite_error(err, "file", ts_st_path(f), prefix, e, t->data, bad);
  *data = t->data;
  return TS_OK;
}

/* Every tensor in f is one of ours, with or without the momentum prefix. */
static ts_status check_no_extra(const ts_st_file *f, ts_error *err) {
  size_t plen = strlen(TS_WEIGHTS_MOMENTUM_PREFIX);
  for (int i = 0; i < ts_st_num_tensors(f); i++) {
    const char *n = ts_st_tensor_at(f, i)->name;
    const char *base = strncmp(n, TS_WEIGHTS_MOMENTUM_PREFIX, plen) ? n : n + plen;
    int known = 0;
    for (int j = 0; j < NUM_TENSORS; j++) known |= !strcmp(base, tensor_names[j]);
    if (!known)
      return ts_fail(err, TS_E_FORMAT,
                     "file '%s': unexpected tensor '%s' (a Tessera weights "
                     "file holds conv1.weight .. fc3.bias and, in a "
                     "checkpoint, their momentum.* buffers)", ts_st_path(f), n);
  }
  return TS_OK;
}

/* Validates the weights (and the momentum when mom != NULL) of f for arch,
 * then copies them: nothing is written unless everything checks out. */
static ts_status read_tensors(const ts_st_file *f, const ts_arch *arch,
                              float *params, float *mom, size_t count,
                              ts_error *err) {
  ts_layer_info l[TS_NUM_LAYERS];
  ts_error e2 = {TS_OK, ""};
  if (!f || !params || ts_arch_layers(arch, l, &e2))
    return ts_fail(err, TS_E_ARG, "reading weights: %s",
                   e2.status ? e2.msg : "NULL file or params");
  size_t need = ts_arch_num_params(arch);
  if (count != need)
    return ts_fail(err, TS_E_ARG,
                   "file '%s': caller's buffer holds %zu parameters, the "
                   "architecture has %zu", ts_st_path(f), count, need);
  expect e[NUM_TENSORS];
  expected_tensors(l, e);
  const float *src[2][NUM_TENSORS];
  ts_status s = check_no_extra(f, err);
  for (int i = 0; i < NUM_TENSORS && !s; i++)
    s = check_tensor(f, &e[i], "", &src[0][i], err);
  for (int i = 0; i < NUM_TENSORS && !s && mom; i++)
    s = check_tensor(f, &e[i], TS_WEIGHTS_MOMENTUM_PREFIX, &src[1][i], err);
  if (s) return s;
  for (int i = 0; i < NUM_TENSORS; i++) {
    memcpy(params + e[i].off, src[0][i], e[i].len * sizeof(float));
    if (mom) memcpy(mom + e[i].off, src[1][i], e[i].len * sizeof(float));
  }
  return TS_OK;
}

ts_status ts_weights_read_params(const ts_st_file *f, const ts_arch *arch,
                                 float *params, size_t count, ts_error *err) {
  return read_tensors(f, arch, params, NULL, count, err);
}

ts_status ts_weights_load(const char *path, const ts_arch *hint, ts_net **out,
                          ts_error *err) {
  if (!out) return ts_fail(err, TS_E_ARG, "ts_weights_load: out is NULL");
  *out = NULL;
  ts_st_file *f = NULL;
  ts_net *net = NULL;
  ts_arch a;
  ts_status s = ts_st_open(path, &f, err);
  if (!s) s = ts_weights_read_arch(f, hint, &a, err);
  if (!s) s = ts_net_create(&a, &net, err);
  if (!s)
    s = read_tensors(f, &a, ts_net_params(net), NULL, ts_net_num_params(net),
                     err);
  ts_st_close(f);
  if (s) {
    ts_net_destroy(net);
    return s;
  }
  *out = net;
  return TS_OK;
}

/* ---- Checkpoints -------------------------------------------------------- */

ts_status ts_weights_save_checkpoint(const char *path, const ts_arch *arch,
                                     const float *params,
                                     const float *momentum, size_t count,
                                     const ts_train_state *st,
                                     const ts_st_meta *extra, int nextra,
                                     ts_error *err) {
  const char *p = path ? path : "(null)";
  if (!arch || !st || !momentum)
    return ts_fail(err, TS_E_ARG,
                   "cannot save checkpoint '%s': NULL architecture, momentum "
                   "or training state", p);
  if (st->epoch < 0 || st->iteration < 0 || !isfinite(st->lr) ||
      !isfinite(st->best_accuracy))
    return ts_fail(err, TS_E_ARG,
                   "cannot save checkpoint '%s': bad training state (epoch "
                   "%d, iteration %lld, lr %g, best_accuracy %g)", p,
                   st->epoch, st->iteration, st->lr, st->best_accuracy);
  char *aj = ts_weights_arch_json(arch);
  if (!aj) return ts_fail(err, TS_E_NOMEM, "cannot save '%s': out of memory", p);
  char epoch[32], iter[32], rng[80], lr[40], best[40];
  snprintf(epoch, sizeof epoch, "%d", st->epoch);
  snprintf(iter, sizeof iter, "%lld", st->iteration);
  snprintf(rng, sizeof rng, "%016" PRIx64 ",%016" PRIx64 ",%016" PRIx64
           ",%016" PRIx64, st->rng[0], st->rng[1], st->rng[2], st->rng[3]);
  snprintf(lr, sizeof lr, "%.17g", st->lr); /* 17 digits: exact round trip */
  snprintf(best, sizeof best, "%.17g", st->best_accuracy);
  ts_st_meta ours[] = {{KEY_FORMAT, "pt"}, {TS_WEIGHTS_ARCH_KEY, aj},
                       {KEY_EPOCH, epoch}, {KEY_ITER, iter}, {KEY_RNG, rng},
                       {KEY_LR, lr},       {KEY_BEST, best}};
  ts_status s = write_file(path, arch, params, momentum, count, ours,
                           (int)(sizeof ours / sizeof *ours), extra, nextra, err);
  free(aj);
  return s;
}

static ts_status meta_value(const ts_st_file *f, const char *key,
                            const char **v, ts_error *err) {
  *v = ts_st_meta_get(f, key);
  if (!*v)
    return ts_fail(err, TS_E_FORMAT,
                   "file '%s' is not a Tessera checkpoint: metadata '%s' is "
                   "missing", ts_st_path(f), key);
  return TS_OK;
}

static ts_status bad_meta(const ts_st_file *f, const char *key, const char *v,
                          const char *what, ts_error *err) {
  return ts_fail(err, TS_E_FORMAT, "file '%s': metadata '%s' = '%.60s' is not %s",
                 ts_st_path(f), key, v, what);
}

static ts_status meta_ll(const ts_st_file *f, const char *key, long long max,
                         long long *out, ts_error *err) {
  const char *v;
  ts_status s = meta_value(f, key, &v, err);
  if (s) return s;
  char *end;
  errno = 0;
  long long x = strtoll(v, &end, 10);
  if (end == v || *end || errno || x < 0 || x > max || *v == ' ' || *v == '+')
    return bad_meta(f, key, v, "a non-negative decimal integer in range", err);
  *out = x;
  return TS_OK;
}

static ts_status meta_double(const ts_st_file *f, const char *key, double *out,
                             ts_error *err) {
  const char *v;
  ts_status s = meta_value(f, key, &v, err);
  if (s) return s;
  char *end;
  double x = strtod(v, &end);
  if (end == v || *end || !isfinite(x))
    return bad_meta(f, key, v, "a finite number", err);
  *out = x;
  return TS_OK;
}

static ts_status meta_rng(const ts_st_file *f, uint64_t rng[4], ts_error *err) {
  const char *v;
  ts_status s = meta_value(f, KEY_RNG, &v, err);
  if (s) return s;
  const char *p = v;
  for (int i = 0; i < 4; i++) {
    uint64_t x = 0;
    int digits = 0;
    for (; digits < 16; digits++, p++) {
      int c = *p, h = c >= '0' && c <= '9' ? c - '0'
                     : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
      if (h < 0) break;
      x = x << 4 | (uint64_t)h;
    }
    if (digits != 16 || *p != (i < 3 ? ',' : '\0'))
      return bad_meta(f, KEY_RNG, v,
                      "four comma-separated 16-digit lowercase hex words", err);
    p++;
    rng[i] = x;
  }
  return TS_OK;
}

ts_status ts_weights_load_checkpoint(const char *path, const ts_arch *arch,
                                     float *params, float *momentum,
                                     size_t count, ts_train_state *st,
                                     ts_error *err) {
  if (!arch || !params || !st)
    return ts_fail(err, TS_E_ARG,
                   "cannot load checkpoint '%s': NULL architecture, params or "
                   "state", path ? path : "(null)");
  ts_st_file *f = NULL;
  ts_status s = ts_st_open(path, &f, err);
  if (s) return s;
  ts_arch fa;
  ts_train_state t;
  long long epoch = 0;
  memset(&t, 0, sizeof t);
  if (!ts_st_meta_get(f, TS_WEIGHTS_ARCH_KEY))
    s = ts_fail(err, TS_E_FORMAT,
                "file '%s' is not a Tessera checkpoint: metadata '%s' is "
                "missing", path, TS_WEIGHTS_ARCH_KEY);
  if (!s) s = ts_weights_read_arch(f, NULL, &fa, err);
  int same = 1;
  for (int i = 0; i < NUM_ARCH_FIELDS; i++)
    same &= arch_field_get(&fa, i) == arch_field_get(arch, i);
  if (!s && !same) {
    char *want = ts_weights_arch_json(arch), *got = ts_weights_arch_json(&fa);
    s = ts_fail(err, TS_E_SHAPE,
                "checkpoint '%s' is for architecture %s, not %s", path,
                got ? got : "?", want ? want : "?");
    free(want);
    free(got);
  }
  if (!s) s = meta_ll(f, KEY_EPOCH, INT_MAX, &epoch, err);
  if (!s) s = meta_ll(f, KEY_ITER, LLONG_MAX, &t.iteration, err);
  if (!s) s = meta_rng(f, t.rng, err);
  if (!s) s = meta_double(f, KEY_LR, &t.lr, err);
  if (!s) s = meta_double(f, KEY_BEST, &t.best_accuracy, err);
  if (!s) s = read_tensors(f, arch, params, momentum, count, err);
  ts_st_close(f);
  if (s) return s;
  t.epoch = (int)epoch;
  *st = t;
  return TS_OK;
}
