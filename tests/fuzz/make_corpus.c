/* Writes the seed corpus of the fuzz targets (tests/fuzz/corpus/<target>/):
 * small valid files made by the library itself, so a change of a format
 * shows up as a changed seed. Run by `make fuzz-corpus`; the output is
 * committed (every file is a few hundred bytes to 7 KB).
 *
 *   make_corpus DIR      writes DIR/<target>/<name> for every target */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "fuzz_tiny.h"
#include "csv.h"
#include "study.h"
#include "ts_net.h"
#include "ts_safetensors.h"
#include "ts_weights.h"

static const char *root;

static void die(const char *what, const ts_error *e) {
  fprintf(stderr, "make_corpus: %s: %s\n", what, e ? e->msg : strerror(errno));
  exit(1);
}

static const char *at(const char *target, const char *name) {
  static char p[4096];
  snprintf(p, sizeof p, "%s/%s", root, target);
  mkdir(p, 0755);
  snprintf(p, sizeof p, "%s/%s/%s", root, target, name);
  return p;
}

static void put(const char *target, const char *name, const void *d, size_t n) {
  FILE *f = fopen(at(target, name), "wb");
  if (!f || fwrite(d, 1, n, f) != n || fclose(f) != 0) die(name, NULL);
}

/* A file's bytes (for re-use under another target), malloc'd. */
static unsigned char *slurp(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  if (!f) die(path, NULL);
  unsigned char *b = malloc(1 << 20);
  *n = fread(b, 1, 1 << 20, f);
  fclose(f);
  return b;
}

static void copy(const char *from_target, const char *name, const char *to_target,
                 const char *to_name, const void *prefix, size_t np) {
  size_t n;
  unsigned char *b = slurp(at(from_target, name), &n);
  unsigned char *c = malloc(np + n);
  memcpy(c, prefix, np);
  memcpy(c + np, b, n);
  put(to_target, to_name, c, np + n);
  free(b);
  free(c);
}

static void models(void) {
  ts_arch a;
  fuzz_tiny_arch(&a);
  ts_net *net = NULL;
  ts_error e = {0};
  if (ts_net_create(&a, &net, &e)) die("net", &e);
  ts_net_init(net, 1);
  const ts_st_meta meta[] = {{"tessera.dataset", "mnist"}, {"tessera.norm", "0.5/0.25"}};
  if (ts_weights_save(net, at("weights", "tiny.safetensors"), meta, 2, &e)) die("save", &e);
  copy("weights", "tiny.safetensors", "safetensors", "tiny.safetensors", "", 0);
  /* the same tensors without metadata: a PyTorch export, arch from shapes */
  const float *p = ts_net_params(net);
  ts_layer_info L[TS_NUM_LAYERS];
  if (ts_arch_layers(&a, L, &e)) die("layers", &e);
  ts_st_tensor t[2 * TS_NUM_LAYERS];
  for (int l = 0; l < TS_NUM_LAYERS; l++) {
    const int k = L[l].kind == TS_LAYER_CONV ? L[l].in_c * L[l].k * L[l].k : L[l].in_c;
    ts_st_tensor w = {ts_weights_tensor_name(2 * l), 2, {L[l].out_c, k, 0, 0}, p};
    if (L[l].kind == TS_LAYER_CONV) {
      w.ndim = 4;
      w.shape[1] = L[l].in_c;
      w.shape[2] = w.shape[3] = L[l].k;
    }
    p += (size_t)L[l].out_c * k;
    ts_st_tensor b = {ts_weights_tensor_name(2 * l + 1), 1, {L[l].out_c, 0, 0, 0}, p};
    p += L[l].out_c;
    t[2 * l] = w;
    t[2 * l + 1] = b;
  }
  if (ts_st_write(at("weights", "no_arch.safetensors"), t, 2 * TS_NUM_LAYERS, NULL, 0, &e))
    die("export", &e);
  copy("weights", "no_arch.safetensors", "safetensors", "no_arch.safetensors", "", 0);
  char *json = ts_weights_arch_json(&a);
  put("weights", "arch.json", json, strlen(json));
  free(json);
  const float v[3] = {1, -2, 0.5f};
  const ts_st_tensor small[2] = {{"a", 1, {3, 0, 0, 0}, v}, {"s", 0, {0}, v}};
  const ts_st_meta m1[] = {{"k", "v"}};
  if (ts_st_write(at("safetensors", "two.safetensors"), small, 2, m1, 1, &e)) die("two", &e);
  if (ts_st_write(at("safetensors", "empty.safetensors"), NULL, 0, NULL, 0, &e)) die("empty", &e);
  /* a checkpoint: weights, momentum, training state */
  const size_t n = ts_arch_num_params(&a);
  float *mom = calloc(n, sizeof *mom);
  for (size_t i = 0; i < n; i++) mom[i] = 0.01f * (float)i;
  ts_train_state st = {2, 64, {1, 2, 3, 4}, 0.05, 0.5};
  if (ts_weights_save_checkpoint(at("checkpoint", "checkpoint.safetensors"), &a,
                                 ts_net_params(net), mom, n, &st, meta, 2, &e))
    die("checkpoint", &e);
  free(mom);
  ts_net_destroy(net);
}

static void cifar(void) {
  /* two records each; byte 0 of a fuzz input picks the kind (fuzz_cifar.c) */
  unsigned char b[1 + 2 * 3074];
  for (int kind = 0; kind < 2; kind++) {
    const size_t rec = kind ? 3074 : 3073;
    b[0] = (unsigned char)kind;
    for (int r = 0; r < 2; r++) {
      unsigned char *x = b + 1 + r * rec;
      x[0] = (unsigned char)r; /* label (CIFAR-100: coarse, then fine) */
      if (kind) x[1] = (unsigned char)(99 - r);
      for (size_t i = kind ? 2 : 1; i < rec; i++) x[i] = (unsigned char)(i * 7 + r);
    }
    put("cifar", kind ? "cifar100_2.bin" : "cifar10_2.bin", b, 1 + 2 * rec);
  }
}

/* In-memory gzip of d[n] (zlib's gzip wrapper: windowBits 15 + 16). */
static size_t gz(const unsigned char *d, size_t n, unsigned char *out, size_t cap) {
  z_stream z = {0};
  if (deflateInit2(&z, 9, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK) die("zlib", NULL);
  z.next_in = (unsigned char *)d;
  z.avail_in = (unsigned)n;
  z.next_out = out;
  z.avail_out = (unsigned)cap;
  if (deflate(&z, Z_FINISH) != Z_STREAM_END) die("deflate", NULL);
  deflateEnd(&z);
  return z.total_out;
}

static void idx(void) {
  /* 3 images of 4x4 and their labels */
  unsigned char img[16 + 3 * 16], lbl[8 + 3];
  const unsigned char ih[16] = {0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 4};
  const unsigned char lh[8] = {0, 0, 8, 1, 0, 0, 0, 3};
  memcpy(img, ih, 16);
  for (int i = 0; i < 48; i++) img[16 + i] = (unsigned char)(i * 5);
  memcpy(lbl, lh, 8);
  lbl[8] = 0, lbl[9] = 9, lbl[10] = 4;
  for (int mode = 0; mode < 4; mode++) {
    unsigned char in[512], gi[256], gl[256];
    const unsigned char *pi = img, *pl = lbl;
    size_t ni = sizeof img, nl = sizeof lbl;
    if (mode & 1) ni = gz(img, sizeof img, gi, sizeof gi), pi = gi;
    if (mode & 2) nl = gz(lbl, sizeof lbl, gl, sizeof gl), pl = gl;
    in[0] = (unsigned char)mode;
    in[1] = (unsigned char)ni, in[2] = (unsigned char)(ni >> 8), in[3] = in[4] = 0;
    memcpy(in + 5, pi, ni);
    memcpy(in + 5 + ni, pl, nl);
    char name[32];
    snprintf(name, sizeof name, "idx_%s_%s", mode & 1 ? "gz" : "raw", mode & 2 ? "gz" : "raw");
    put("idx", name, in, 5 + ni + nl);
  }
}

static void csv(void) {
  ts_sweep w = {0};
  w.hash = 0x0123456789abcdefull; /* as fuzz_csv.c asks */
  w.images = 40;
  ts_sweep_add(&w, "fp32", "-", "all", TS_STUDY_FP32_BITS, 0);
  ts_sweep_add(&w, "quant", "per-tensor", "all", 2, 0);
  ts_sweep_add(&w, "quant", "per-channel", "all", 3, 0);
  ts_sweep_add(&w, "prune", "-", "all", TS_STUDY_FP32_BITS, 50);
  ts_sweep_add(&w, "layer", "-", "conv1", TS_STUDY_FP32_BITS, 100.0 / 3);
  for (int i = 0; i < w.n; i++) {
    w.p[i].accuracy = (i + 1) / 7.0;
    w.p[i].macs = 1000;
    w.p[i].nonzero_macs = 900 - i;
    w.p[i].done = 1;
  }
  ts_error e = {0};
  if (ts_sweep_write(&w, at("csv", "quant.csv"), &e)) die("sweep", &e);
  ts_sweep_free(&w);
  const char *kv[] = {"reused", "3", "evaluations", "4", "model", "m.safetensors"};
  if (ts_csv_write_kv(at("csv", "quant_run.csv"), kv, 3, &e)) die("kv", &e);
  put("csv", "crlf.csv", "a,b\r\n1,2\r\n\r\n3,x\n", 17);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: make_corpus DIR\n");
    return 2;
  }
  root = argv[1];
  mkdir(root, 0755);
  models();
  cifar();
  idx();
  csv();
  return 0;
}
