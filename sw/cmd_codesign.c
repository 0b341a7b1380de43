/* tessera codesign: a per-layer weight width and sparsity for the trained
 * CNN that minimises the array's cycles per image (or the weight memory)
 * within an accuracy budget, chosen from measured per-layer sensitivities
 * (codesign_tables.h, models/study/ts_codesign.h) and verified end to end:
 * pruned (and fine-tuned), quantized, the integer golden accuracy on the
 * whole test set, the cycles on the RTL with RTL = golden. docs/study.md
 * section 12 describes the method. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_model.h"
#include "cli_opts.h"
#include "codesign_tables.h"
#include "commands.h"
#include "study.h"
#include "ts_atomic.h"
#include "ts_codesign.h"
#include "ts_finetune.h"
#include "ts_plot.h"
#include "ts_prune.h"
#include "ts_qeval.h"
#include "ts_wmem.h"

static const char *const USAGE =
    "usage: tessera codesign [--model FILE] [--dataset NAME] [--data DIR] [--coarse]\n"
    "                        [--budget POINTS] [--objective cycles|memory]\n"
    "                        [--bits LIST] [--sparsity LIST] [--val-images N]\n"
    "                        [--val-from test|train] [--search layer|global|both]\n"
    "                        [--finetune EPOCHS] [--lr X] [--calib N] [--rtl-images N]\n"
    "                        [--threads T] [--out DIR]\n"
    "Chooses per layer a weight width B (--bits, default 2,3,4,5,6,8) and a\n"
    "sparsity s (--sparsity, percent pruned by magnitude, default\n"
    "0,25,50,70,80,90,95) that minimise the RTL array's cycles for one image\n"
    "(or the weight memory, --objective memory) while the test accuracy of the\n"
    "integer network stays at most --budget points (default 1) below the FP32\n"
    "model's.\n"
    "Two families of candidates (--search, default both):\n"
    "layer: a sparsity and a width per layer, from single-layer tables:\n"
    "  1. sensitivity: every layer alone at every (B, s), the others at 8 bits,\n"
    "     accuracy on --val-images images (default 5000): the first ones of the\n"
    "     test set (--val-from test, the default), or the last ones of the\n"
    "     training set (--val-from train: held out only for a model trained\n"
    "     with a --val-split that covers them); and the layer's cycles on the\n"
    "     RTL (dense and zero-skipping mode) and memory;\n"
    "  2. search: the cheapest combination whose summed validation drops fit\n"
    "     a budget (exact dynamic programme); fine-tuning recovers much of the\n"
    "     measured drops, so budgets of 1, 2, 4, ... x --budget are tried while\n"
    "     the choices verify (else 0.75, 0.5, ... x until one does), then two\n"
    "     halvings between the last budget met and the first failed; the\n"
    "     cheapest verified choice wins;\n"
    "  3. verification of each choice: prune per layer, gradually over\n"
    "     --finetune epochs of fine-tuning (default 5; cosine from --lr,\n"
    "     default 0.01; the mask held) on the training set, quantize; the\n"
    "     integer accuracy on the whole test set must meet the target, and the\n"
    "     cycles are measured on the RTL (--rtl-images test images, default 4,\n"
    "     RTL = golden checked).\n"
    "global: for each sparsity S of --sparsity (ascending, S > 0) the model is\n"
    "  pruned to S with one magnitude threshold over all layers, gradually\n"
    "  over the same fine-tuning; on that model every layer alone at every B\n"
    "  (validation accuracy, RTL cycles) gives the tables for a search over\n"
    "  the widths (budget: the model's 8-bit validation accuracy minus the\n"
    "  target, then the same ladder), each choice verified as above; stops at\n"
    "  the first S where no width meets the target, then two halvings between\n"
    "  the largest S met and that one.\n"
    "     Every uniform configuration (one B and s for all\n"
    "     layers, not fine-tuned) is measured for comparison; when one of them\n"
    "     meets the target more cheaply, it is verified the same way and can\n"
    "     be the choice.\n"
    "Writes OUT/codesign.csv (every configuration), OUT/codesign_layers.csv\n"
    "(the layer family's tables), OUT/codesign_global.csv (the global family's),\n"
    "OUT/codesign.json (the choice) and OUT/codesign_*.png.\n";

enum { CD_MAX_BITS = 16, CD_MAX_PCT = 16, CD_MAX_CONFIGS = 512 };
enum { OBJ_CYCLES, OBJ_MEMORY };
static const char *const OBJ_NAMES[] = {"cycles", "memory"};
enum { SEARCH_LAYER = 1, SEARCH_GLOBAL = 2 };
static const char *const SEARCH_NAMES[] = {"", "layer", "global", "both"};
/* The search's drop budget as multiples of --budget: the summed drops are
 * measured without fine-tuning, which recovers much of them, so larger
 * budgets are tried while their choices still verify (UP), and smaller
 * ones when the first does not (DOWN). */
static const double UP[] = {1, 2, 4, 8, 16, 32};
static const double DOWN[] = {0.75, 0.5, 0.35, 0.25, 0.15, 0.05, 0.0};
enum { NUP = sizeof UP / sizeof UP[0], NDOWN = sizeof DOWN / sizeof DOWN[0] };
enum { CD_BISECTIONS = 2 };
/* pruned models of the global family: the sparsities, then the halvings */
enum { CD_MAX_GLOBAL = CD_MAX_PCT + CD_BISECTIONS };

typedef struct cd_args {
  ts_cli_common c;
  double budget; /* points */
  int objective;
  int bits[CD_MAX_BITS], nbits;
  double pct[CD_MAX_PCT];
  int npct;
  int val_images, calib, finetune, rtl_images;
  int val_train; /* --val-from train */
  int search;    /* SEARCH_* bits */
  float lr;
} cd_args;

/* One configuration: a (B, s) per layer and what it measured. */
typedef struct cd_config {
  const char *kind; /* "uniform" or "search" */
  double level;     /* search: the budget used, points */
  int bits[TS_NUM_LAYERS];
  double pct[TS_NUM_LAYERS];
  int sparse[TS_NUM_LAYERS]; /* the layer's mode on the RTL */
  double pred_drop;          /* summed validation drops (search) */
  double test_acc;           /* integer golden, whole test set */
  double val_acc;            /* integer golden, held-out training images
                                (--val-from train; else NAN) */
  double cycles;             /* per image: the tables' sum */
  double layer_cycles[TS_NUM_LAYERS]; /* the tables' */
  int64_t layer_wmem[TS_NUM_LAYERS];  /* the tables', bits */
  double rtl_cycles;         /* per image, measured on the RTL (search), else NAN */
  int64_t wmem_bits;
  int finetuned, rtl_equal;  /* rtl_equal: -1 not run */
} cd_config;

typedef struct cd_run {
  const cd_args *a;
  ts_study s;             /* model, test images (x, y, n), working net */
  cd_data d;
  ts_dataset *train;      /* the training split minus the validation images */
  ts_norm norm;
  float *cal, *vx;
  int *vy;
  double fp32_acc, ref_val;
  double fp32_val;        /* --val-from train: FP32 on the held-out images */
  cd_cell *cell;          /* [L][nopt] the layer family's tables */
  int nopt;
  cd_cell *gcell;         /* [CD_MAX_GLOBAL][L][nbits] the global family's tables */
  double gsp[CD_MAX_GLOBAL];  /* their models' sparsity, % */
  double gpct[CD_MAX_GLOBAL][TS_NUM_LAYERS]; /* their zeros per layer, % */
  double gval8[CD_MAX_GLOBAL]; /* their 8-bit validation accuracy */
  int ng;                 /* global models measured */
  cd_config cfg[CD_MAX_CONFIGS];
  int ncfg, chosen;       /* chosen: index in cfg, -1 none */
} cd_run;

/* ---- Arguments --------------------------------------------------------- */

static int opt_objective(const char *cmd, const char *flag, const char *arg, void *dst) {
  for (int i = 0; i < 2; i++)
    if (!strcmp(arg, OBJ_NAMES[i])) return *(int *)dst = i, 0;
  fprintf(stderr, "tessera %s: %s: '%s' is not an objective (cycles or memory)\n", cmd, flag,
          arg);
  return 1;
}

static int opt_search(const char *cmd, const char *flag, const char *arg, void *dst) {
  for (int i = 1; i < 4; i++)
    if (!strcmp(arg, SEARCH_NAMES[i])) return *(int *)dst = i, 0;
  fprintf(stderr, "tessera %s: %s: '%s' is not a search (layer, global or both)\n", cmd, flag,
          arg);
  return 1;
}

static int opt_val_from(const char *cmd, const char *flag, const char *arg, void *dst) {
  if (!strcmp(arg, "test") || !strcmp(arg, "train")) return *(int *)dst = arg[1] == 'r', 0;
  fprintf(stderr, "tessera %s: %s: '%s' is neither test nor train\n", cmd, flag, arg);
  return 1;
}

static int opt_bits(const char *cmd, const char *flag, const char *arg, void *dst) {
  cd_args *a = dst;
  return ts_study_parse_bits_list(cmd, flag, arg, a->bits, CD_MAX_BITS, &a->nbits);
}

static int opt_pct(const char *cmd, const char *flag, const char *arg, void *dst) {
  cd_args *a = dst;
  return ts_study_parse_pct_list(cmd, flag, arg, a->pct, CD_MAX_PCT, &a->npct);
}

static int parse_args(const char *cmd, int argc, char **argv, cd_args *a, int *rc) {
  *a = (cd_args){.budget = 1, .val_images = 5000, .calib = 256, .finetune = 5,
                 .rtl_images = 4, .search = SEARCH_LAYER | SEARCH_GLOBAL, .lr = 0.01f};
  ts_cli_common_default(&a->c);
  opt_bits(cmd, "--bits", "2,3,4,5,6,8", a);
  opt_pct(cmd, "--sparsity", "0,25,50,70,80,90,95", a);
  const ts_opt own[] = {TS_OPT_R("budget", &a->budget, 0, 100),
                        TS_OPT_CALL("objective", opt_objective, &a->objective),
                        TS_OPT_CALL("bits", opt_bits, a),
                        TS_OPT_CALL("sparsity", opt_pct, a),
                        TS_OPT_I("val-images", &a->val_images, 1, 1 << 24),
                        TS_OPT_CALL("val-from", opt_val_from, &a->val_train),
                        TS_OPT_CALL("search", opt_search, &a->search),
                        TS_OPT_I("finetune", &a->finetune, 0, 1000),
                        TS_OPT_F("lr", &a->lr, 1e-9, 10.0),
                        TS_OPT_I("calib", &a->calib, 1, 100000),
                        TS_OPT_I("rtl-images", &a->rtl_images, 1, 10000)};
  const ts_cli_spec spec = {cmd, USAGE, TS_CLI_STUDY_OPTS, own, TS_OPT_COUNT(own)};
  return ts_cli_parse(&spec, argc, argv, &a->c, rc);
}

/* ---- Inputs ------------------------------------------------------------ */

/* The training split: its last val_images images (validation, with
 * --val-from train) and the rest (fine-tuning, calibration: its first
 * --calib images); or the first val_images test images for validation.
 * Returns an exit code. */
static int load_train(const char *cmd, cd_run *r) {
  const cd_args *a = r->a;
  ts_cli_model m;
  ts_cli_data d = a->c.data;
  ts_dataset *all = NULL;
  ts_error err = {0};
  int rc = 1;
  if (ts_cli_model_open(cmd, a->c.model, &d, &m)) return 1;
  r->norm = m.norm;
  d.limit = 0;
  if (!(all = ts_cli_load(cmd, &d, TS_SPLIT_TRAIN))) goto done;
  const int nval = a->val_train ? a->val_images : 0, nrest = all->n - nval;
  if (nrest < 1) {
    fprintf(stderr, "tessera %s: --val-images %d leaves none of the %d training images for "
            "fine-tuning and calibration\n", cmd, nval, all->n);
    rc = 2;
    goto done;
  }
  const int ncal = a->calib < nrest ? a->calib : nrest;
  const size_t px = (size_t)all->c * all->h * all->w;
  int *idx = malloc(sizeof *idx * (nval > ncal ? nval : ncal));
  r->vx = malloc(sizeof *r->vx * px * (nval ? nval : 1));
  r->vy = malloc(sizeof *r->vy * (nval ? nval : 1));
  r->cal = malloc(sizeof *r->cal * px * ncal);
  ts_status st = idx && r->vx && r->vy && r->cal ? TS_OK
                                                  : ts_fail(&err, TS_E_NOMEM, "no memory");
  for (int i = 0; !st && i < nval; i++) idx[i] = nrest + i;
  if (!st && nval) st = ts_dataset_batch(all, &r->norm, idx, nval, r->vx, r->vy, &err);
  for (int i = 0; !st && i < ncal; i++) idx[i] = i;
  if (!st) st = ts_dataset_batch(all, &r->norm, idx, ncal, r->cal, NULL, &err);
  if (!st) st = ts_dataset_split(all, 0, nrest, &r->train, &err);
  free(idx);
  if (st) {
    ts_cli_error(cmd, &err);
    goto done;
  }
  r->d = (cd_data){r->s.net, r->cal, ncal, r->vx, r->vy, nval, TS_QUANT_PER_CHANNEL};
  if (!a->val_train) { /* the first test images */
    r->d.vx = r->s.x;
    r->d.vy = r->s.y;
    r->d.nval = a->val_images < r->s.n ? a->val_images : r->s.n;
  }
  rc = 0;
done:
  ts_dataset_destroy(all);
  ts_cli_model_close(&m);
  return rc;
}

/* ---- Configurations ----------------------------------------------------- */

static const cd_cell *cell_at(const cd_run *r, int l, int bits, double pct) {
  for (int i = 0; i < r->nopt; i++) {
    const cd_cell *c = &r->cell[l * r->nopt + i];
    if (c->bits == bits && c->pct == pct) return c;
  }
  return NULL;
}

/* The tables' totals of a configuration (cycles, memory, modes) from its
 * layers' cells: cell[l]. */
static void table_costs(cd_config *c, const cd_cell *const cell[TS_NUM_LAYERS]) {
  c->cycles = 0;
  c->wmem_bits = 0;
  for (int l = 0; l < TS_NUM_LAYERS; l++) {
    c->layer_cycles[l] = (double)cd_cycles(cell[l]);
    c->layer_wmem[l] = cd_wmem(cell[l]);
    c->cycles += c->layer_cycles[l];
    c->wmem_bits += c->layer_wmem[l];
    c->sparse[l] = cd_sparse(cell[l]);
  }
}

/* The fine-tuning of every candidate: gradual pruning (Zhu & Gupta) over
 * --finetune epochs, cosine from --lr, the recipe of docs/study.md
 * section 11; the caller sets the sparsity. */
static void finetune_config(const cd_args *a, ts_finetune_config *f) {
  ts_finetune_config_default(f);
  f->mode = TS_FINETUNE_GRADUAL;
  f->train.epochs = a->finetune;
  f->train.sgd.lr = a->lr;
  f->train.lr_schedule = TS_LR_COSINE;
  f->train.threads = a->c.threads;
  f->train.log_every = 0;
}

/* s.net as c says, quantized: *q. base (nullable): weights already pruned
 * and fine-tuned (the global family); else the FP32 weights pruned per
 * layer and fine-tuned `finetune` epochs (0: pruned only). */
static ts_status build(cd_run *r, cd_config *c, const float *base, int finetune, ts_qnet **q,
                       ts_error *err) {
  const cd_args *a = r->a;
  double frac[TS_NUM_LAYERS];
  for (int l = 0; l < TS_NUM_LAYERS; l++) frac[l] = c->pct[l] / 100;
  ts_status st = TS_OK;
  if (base) {
    memcpy(ts_net_params(r->s.net), base, sizeof *base * r->s.nparams);
  } else if (finetune > 0) {
    ts_study_restore(&r->s);
    ts_finetune_config f;
    finetune_config(a, &f);
    f.train.epochs = finetune;
    f.layer_sparsity = frac;
    ts_train_result res;
    st = ts_finetune(r->s.net, r->train, NULL, &r->norm, &f, NULL, NULL, &res, err);
  } else {
    ts_study_restore(&r->s);
    st = ts_prune_params_mask_layers(ts_net_arch(r->s.net), ts_net_params(r->s.net), frac,
                                     NULL, err);
  }
  c->finetuned = base || finetune > 0;
  if (!st) st = ts_qnet_create_mixed(r->s.net, c->bits, r->d.scheme, r->cal, r->d.ncal, q, err);
  if (!st) st = ts_qnet_accuracy(*q, r->s.x, r->s.y, r->s.n, a->c.threads, &c->test_acc, NULL,
                                 err);
  c->val_acc = NAN;
  if (!st && a->val_train)
    st = ts_qnet_accuracy(*q, r->d.vx, r->d.vy, r->d.nval, a->c.threads, &c->val_acc, NULL, err);
  return st;
}

/* A searched configuration end to end: built, then on the RTL against the
 * golden model, cycles and memory of its final codes. */
static ts_status verify(cd_run *r, ts_hw *hw, cd_config *c, const float *base,
                        ts_error *err) {
  const int n = r->a->rtl_images < r->s.n ? r->a->rtl_images : r->s.n;
  ts_qnet *q = NULL;
  ts_status st = build(r, c, base, r->a->finetune, &q, err);
  if (st) {
    ts_qnet_destroy(q);
    return st;
  }
  const int C = ts_qnet_classes(q);
  int64_t *rl = malloc(sizeof *rl * (size_t)n * C); /* [n][classes] RTL logits */
  int64_t *gl = malloc(sizeof *gl * (size_t)n * C); /* [n][classes] golden */
  if (!rl || !gl) st = ts_fail(err, TS_E_NOMEM, "codesign: no memory");
  uint64_t cyc[TS_NUM_LAYERS];
  if (!st) st = cd_rtl_cycles(hw, q, r->s.x, n, c->sparse, -1, cyc, rl, err);
  if (!st) {
    const size_t px = ts_qnet_image_bytes(q);
    uint8_t *img = malloc(px * n); /* [n][c][h][w] */
    st = img ? ts_qnet_quantize_input(q, r->s.x, px * n, img, err)
             : ts_fail(err, TS_E_NOMEM, "codesign: no memory");
    if (!st) st = ts_qnet_run(q, img, n, NULL, NULL, gl, err);
    free(img);
  }
  if (!st) {
    c->rtl_equal = !memcmp(rl, gl, sizeof *rl * (size_t)n * C);
    c->rtl_cycles = 0;
    for (int l = 0; l < TS_NUM_LAYERS; l++) c->rtl_cycles += (double)cyc[l] / n;
    c->wmem_bits = 0;
    for (int l = 0; !st && l < TS_NUM_LAYERS; l++) {
      ts_int_gemm g;
      ts_wmem_layer wm;
      st = ts_qnet_layer(q, l, &g, err);
      if (!st) st = ts_wmem_measure(g.w, g.m, g.k, c->bits[l], TS_HW_SPARSE_RBITS, &wm, err);
      if (!st) c->wmem_bits += ts_wmem_choose_compressed(wm.fmt[TS_WMEM_DENSE].bits, wm.hw.bits)
                                   ? wm.hw.bits : wm.fmt[TS_WMEM_DENSE].bits;
    }
  }
  free(rl);
  free(gl);
  ts_qnet_destroy(q);
  return st;
}

/* The target: the FP32 model's accuracy minus --budget, on the held-out
 * training images (on_val, with --val-from train) or on the test set. */
static double target_of(const cd_run *r, int on_val) {
  return (on_val ? r->fp32_val : r->fp32_acc) - r->a->budget / 100;
}

/* c's accuracy where the target is checked: on the held-out training
 * images with --val-from train (the test set then plays no part in any
 * choice), else on the test set. */
static double checked_acc(const cd_run *r, const cd_config *c) {
  return r->a->val_train ? c->val_acc : c->test_acc;
}

static int meets(const cd_run *r, const cd_config *c) {
  return checked_acc(r, c) >= target_of(r, r->a->val_train);
}

/* A verified configuration's line: its accuracy against the target, its
 * cycles on the RTL. */
static void print_verified(const cd_run *r, const cd_config *c) {
  if (r->a->val_train)
    printf("    validation accuracy %.2f%% (target %.2f%%; test %.2f%%), ", 100 * c->val_acc,
           100 * target_of(r, 1), 100 * c->test_acc);
  else
    printf("    test accuracy %.2f%% (target %.2f%%), ", 100 * c->test_acc, 100 * target_of(r, 0));
  printf("%.0f cycles per image on the RTL, RTL %s golden\n", c->rtl_cycles,
         c->rtl_equal ? "=" : "!=");
}

/* Every uniform configuration (one B and s for all layers, not
 * fine-tuned): the baseline a per-layer choice must beat. */
static ts_status uniform_configs(cd_run *r, ts_error *err) {
  const cd_args *a = r->a;
  ts_status st = TS_OK;
  for (int b = 0; !st && b < a->nbits; b++)
    for (int p = 0; !st && p < a->npct && r->ncfg < CD_MAX_CONFIGS; p++) {
      cd_config *c = &r->cfg[r->ncfg++];
      *c = (cd_config){.kind = "uniform", .level = NAN, .pred_drop = 0, .rtl_cycles = NAN,
                       .val_acc = NAN, .rtl_equal = -1};
      const cd_cell *cell[TS_NUM_LAYERS];
      for (int l = 0; l < TS_NUM_LAYERS; l++) {
        c->bits[l] = a->bits[b];
        c->pct[l] = a->pct[p];
        cell[l] = cell_at(r, l, a->bits[b], a->pct[p]);
        c->pred_drop += cell[l]->drop;
      }
      table_costs(c, cell);
      ts_qnet *q = NULL;
      st = build(r, c, NULL, 0, &q, err);
      ts_qnet_destroy(q);
    }
  printf("  %d uniform configurations measured on %d test images\n", r->ncfg, r->s.n);
  return st;
}

static double cost_of(const cd_run *r, const cd_config *c) {
  return r->a->objective == OBJ_MEMORY ? (double)c->wmem_bits : c->cycles;
}

/* The cheapest uniform configuration that met the target unverified, when
 * it is cheaper than the search's choice: verified like a searched one
 * (fine-tuned, on the RTL) and chosen if it still meets the target. */
static ts_status uniform_candidate(cd_run *r, ts_hw *hw, ts_error *err) {
  int best = -1;
  for (int i = 0; i < r->ncfg; i++) {
    const cd_config *c = &r->cfg[i];
    if (!strcmp(c->kind, "uniform") && meets(r, c) &&
        (best < 0 || cost_of(r, c) < cost_of(r, &r->cfg[best])))
      best = i;
  }
  if (best < 0 || r->ncfg == CD_MAX_CONFIGS ||
      (r->chosen >= 0 && cost_of(r, &r->cfg[best]) >= cost_of(r, &r->cfg[r->chosen])))
    return TS_OK;
  cd_config c = r->cfg[best];
  c.kind = "uniform-verified";
  printf("  uniform %db/%g%% met the target untuned at a lower cost; verifying...\n", c.bits[0],
         c.pct[0]);
  ts_status st = verify(r, hw, &c, NULL, err);
  if (st) return st;
  print_verified(r, &c);
  r->cfg[r->ncfg++] = c;
  if (meets(r, &c) && c.rtl_equal) r->chosen = r->ncfg - 1;
  return TS_OK;
}

/* The layer options as the search sees them, with their cells and the
 * sparsity each stands for. */
typedef struct cd_space {
  ts_cd_option opt[TS_NUM_LAYERS][CD_MAX_BITS * CD_MAX_PCT];
  const ts_cd_option *ptr[TS_NUM_LAYERS];
  const cd_cell *cell[TS_NUM_LAYERS][CD_MAX_BITS * CD_MAX_PCT];
  double pct[TS_NUM_LAYERS][CD_MAX_BITS * CD_MAX_PCT];
  int nopt[TS_NUM_LAYERS];
  const char *kind;   /* "search" (layer family) or "global" */
  const float *base;  /* global: the pruned, fine-tuned weights; else NULL */
  int first;          /* r->cfg index of the first configuration of this space */
} cd_space;

/* Option i of layer l: its cell x standing for sparsity pct. */
static void space_set(cd_space *sp, const cd_run *r, int l, int i, const cd_cell *x, double pct) {
  sp->opt[l][i] = (ts_cd_option){x->bits, pct / 100, x->drop,
                                 r->a->objective == OBJ_MEMORY ? (double)cd_wmem(x)
                                                               : (double)cd_cycles(x)};
  sp->cell[l][i] = x;
  sp->pct[l][i] = pct;
  sp->ptr[l] = sp->opt[l];
  if (i >= sp->nopt[l]) sp->nopt[l] = i + 1;
}

enum { LEVEL_SKIPPED = -1, LEVEL_FAILED = 0, LEVEL_MET = 1 };

/* The search's choice within a drop budget of `level` points, verified
 * unless an earlier level chose the same. *res: LEVEL_*. */
static ts_status try_level(cd_run *r, ts_hw *hw, const cd_space *sp, double level,
                           int *res, ts_error *err) {
  int choice[TS_NUM_LAYERS];
  double drop;
  ts_error e = {0};
  *res = LEVEL_SKIPPED;
  if (r->ncfg == CD_MAX_CONFIGS ||
      ts_codesign_search(sp->ptr, sp->nopt, TS_NUM_LAYERS, level / 100, 1e-4, choice, NULL,
                         &drop, &e))
    return TS_OK; /* nothing fits this level */
  cd_config c = {.kind = sp->kind, .level = level, .pred_drop = drop, .rtl_equal = -1};
  const cd_cell *cell[TS_NUM_LAYERS];
  for (int l = 0; l < TS_NUM_LAYERS; l++) {
    c.bits[l] = sp->opt[l][choice[l]].bits;
    c.pct[l] = sp->pct[l][choice[l]];
    cell[l] = sp->cell[l][choice[l]];
  }
  for (int i = sp->first; i < r->ncfg; i++)
    if (!memcmp(r->cfg[i].bits, c.bits, sizeof c.bits) &&
        !memcmp(r->cfg[i].pct, c.pct, sizeof c.pct))
      return TS_OK;
  table_costs(&c, cell);
  printf("  budget %.2f points: ", level);
  for (int l = 0; l < TS_NUM_LAYERS; l++)
    printf("%s%s %db/%g%%", l ? ", " : "", ts_net_layer(r->s.net, l)->name, c.bits[l],
           c.pct[l]);
  printf(" (predicted drop %.2f points); verifying...\n", 100 * drop);
  fflush(stdout);
  ts_status st = verify(r, hw, &c, sp->base, err);
  if (st) return st;
  print_verified(r, &c);
  r->cfg[r->ncfg++] = c;
  *res = meets(r, &c) && c.rtl_equal ? LEVEL_MET : LEVEL_FAILED;
  if (*res == LEVEL_MET && (r->chosen < 0 || cost_of(r, &c) < cost_of(r, &r->cfg[r->chosen])))
    r->chosen = r->ncfg - 1;
  return TS_OK;
}

/* The search over sp at growing budgets (unit x UP) while its choices
 * meet the target on the test set, two halvings between the largest met
 * and the smallest failed, else at shrinking ones (unit x DOWN) until one
 * does; unit <= 0 tries the budget 0 only. *met: a choice met it. */
static ts_status ladder(cd_run *r, ts_hw *hw, const cd_space *sp, double unit, int *met_any,
                        ts_error *err) {
  int res = LEVEL_SKIPPED;
  *met_any = 0;
  if (unit <= 0) {
    ts_status st = try_level(r, hw, sp, 0, &res, err);
    *met_any = res == LEVEL_MET;
    return st;
  }
  ts_status st = TS_OK;
  double met = -1, failed = -1; /* the largest budget met, the smallest failed */
  for (int k = 0; !st && k < NUP; k++) {
    st = try_level(r, hw, sp, UP[k] * unit, &res, err);
    if (res == LEVEL_MET) met = UP[k] * unit;
    if (res == LEVEL_FAILED) {
      failed = UP[k] * unit;
      break; /* larger budgets only get worse */
    }
  }
  /* between the two: a few halvings find a cheaper choice that still
   * verifies when the step from met to failed was large */
  for (int k = 0; !st && k < CD_BISECTIONS && met >= 0 && failed > met; k++) {
    const double mid = (met + failed) / 2;
    st = try_level(r, hw, sp, mid, &res, err);
    if (res == LEVEL_FAILED) failed = mid;
    else met = mid;
  }
  for (int k = 0; !st && met < 0 && k < NDOWN; k++) {
    st = try_level(r, hw, sp, DOWN[k] * unit, &res, err);
    if (res == LEVEL_MET) met = DOWN[k] * unit;
  }
  *met_any = met >= 0;
  return st;
}

/* The layer family: the single-layer tables of the FP32 model, searched
 * with budgets in units of --budget. */
static ts_status search_layers(cd_run *r, ts_hw *hw, ts_error *err) {
  cd_space *sp = calloc(1, sizeof *sp);
  if (!sp) return ts_fail(err, TS_E_NOMEM, "codesign: no memory");
  for (int l = 0; l < TS_NUM_LAYERS; l++)
    for (int i = 0; i < r->nopt; i++) {
      const cd_cell *x = &r->cell[l * r->nopt + i];
      space_set(sp, r, l, i, x, x->pct);
    }
  sp->kind = "search";
  sp->first = r->ncfg;
  int met;
  const ts_status st = ladder(r, hw, sp, r->a->budget, &met, err);
  free(sp);
  return st;
}

/* The global family at one sparsity: the model pruned to pct percent with
 * one threshold, gradually, while fine-tuning (in r->s.net, copied to ms);
 * the widths searched on its tables (r->gcell's slot r->ng). *met: a
 * width choice met the target. */
static ts_status global_one(cd_run *r, ts_hw *hw, double pct, ts_net *ms, cd_space *sp,
                            int *met, ts_error *err) {
  const cd_args *a = r->a;
  const double t0 = ts_study_now();
  ts_finetune_config f;
  finetune_config(a, &f);
  f.sparsity = pct / 100;
  f.allocation = TS_PRUNE_GLOBAL;
  ts_train_result res;
  ts_layer_sparsity per[TS_NUM_LAYERS], tot;
  ts_study_restore(&r->s);
  printf("  %g%% global: fine-tuning %d epochs...\n", pct, a->finetune);
  fflush(stdout);
  ts_status st = a->finetune > 0
                     ? ts_finetune(r->s.net, r->train, NULL, &r->norm, &f, NULL, NULL, &res, err)
                     : ts_prune_params_alloc(ts_net_arch(r->s.net), ts_net_params(r->s.net),
                                             f.sparsity, TS_PRUNE_GLOBAL, NULL, err);
  if (!st) st = ts_prune_stats(r->s.net, per, &tot, err);
  if (st) return st;
  memcpy(ts_net_params(ms), ts_net_params_const(r->s.net), sizeof(float) * r->s.nparams);
  const int g = r->ng;
  cd_cell *cell = r->gcell + (size_t)g * TS_NUM_LAYERS * a->nbits; /* [L][nbits] */
  cd_data d = r->d;
  d.fp32 = ms;
  const double none = 0;
  st = cd_measure(&d, a->bits, a->nbits, &none, 1, a->c.threads, cell, &r->gval8[g], err);
  if (st) return st;
  r->gsp[g] = pct;
  r->ng++;
  *sp = (cd_space){.kind = "global", .base = ts_net_params_const(ms), .first = r->ncfg};
  printf("  (%.1f s) zeros per layer:", ts_study_now() - t0);
  for (int l = 0; l < TS_NUM_LAYERS; l++) {
    r->gpct[g][l] = 100.0 * (double)(per[l].weights - per[l].nonzero) / (double)per[l].weights;
    printf(" %s %.1f%%", per[l].name, r->gpct[g][l]);
    for (int i = 0; i < a->nbits; i++)
      space_set(sp, r, l, i, &cell[l * a->nbits + i], r->gpct[g][l]);
  }
  /* the widths may lose what the pruned model has above the target (on
   * the validation images, against the unpruned 8-bit network's) */
  const double slack = 100 * (r->gval8[g] - r->ref_val) + a->budget;
  printf("; 8-bit validation accuracy %.2f%% (%+.2f points for the widths)\n",
         100 * r->gval8[g], slack);
  return ladder(r, hw, sp, slack, met, err);
}

/* The global family: sparsities of --sparsity in ascending order until
 * one where no widths meet the target (a larger one only prunes more),
 * then two halvings between the largest met and that one. */
static ts_status search_global(cd_run *r, ts_hw *hw, ts_error *err) {
  const cd_args *a = r->a;
  ts_net *ms = NULL;
  cd_space *sp = calloc(1, sizeof *sp);
  r->gcell = calloc((size_t)CD_MAX_GLOBAL * TS_NUM_LAYERS * a->nbits, sizeof *r->gcell);
  ts_status st = sp && r->gcell ? ts_net_create(ts_net_arch(r->s.net), &ms, err)
                                : ts_fail(err, TS_E_NOMEM, "codesign: no memory");
  double met_pct = -1, failed_pct = -1;
  for (int p = 0; !st && p < a->npct; p++) {
    if (a->pct[p] <= 0) continue;
    int met = 0;
    st = global_one(r, hw, a->pct[p], ms, sp, &met, err);
    if (!st && met) met_pct = a->pct[p];
    if (!st && !met) {
      failed_pct = a->pct[p];
      printf("  no widths meet the target at %g%% global: larger sparsities not tried\n",
             a->pct[p]);
      break;
    }
  }
  for (int k = 0; !st && k < CD_BISECTIONS && met_pct >= 0 && failed_pct > met_pct; k++) {
    const double mid = (met_pct + failed_pct) / 2;
    int met = 0;
    st = global_one(r, hw, mid, ms, sp, &met, err);
    if (met) met_pct = mid;
    else failed_pct = mid;
  }
  ts_net_destroy(ms);
  free(sp);
  return st;
}

/* Both families (as --search says), then the uniform candidate; r->chosen:
 * the cheapest configuration that met the target. */
static ts_status search(cd_run *r, ts_hw *hw, ts_error *err) {
  r->chosen = -1;
  ts_status st = TS_OK;
  if (r->a->search & SEARCH_LAYER) {
    printf(" layer family (per-layer tables of the FP32 model)\n");
    st = search_layers(r, hw, err);
  }
  if (!st && (r->a->search & SEARCH_GLOBAL)) {
    printf(" global family (one magnitude threshold, then widths per layer)\n");
    st = search_global(r, hw, err);
  }
  return st ? st : uniform_candidate(r, hw, err);
}

/* ---- Outputs ------------------------------------------------------------ */

typedef struct cd_out {
  const cd_run *r;
  double dense8; /* cycles per image of the dense 8-bit configuration */
} cd_out;

/* One table row: the cell of layer l; prefix: the leading columns. */
static void write_cell(FILE *fp, const char *prefix, const cd_run *r, int l, const cd_cell *c,
                       double pct) {
  fprintf(fp, "%s%s,%d,%.6g,%.6f,%.6f,%llu,%llu,%llu,%s,%lld,%lld,%lld\n", prefix,
          ts_net_layer(r->s.net, l)->name, c->bits, pct, c->val_acc, c->drop,
          (unsigned long long)c->dense_cycles, (unsigned long long)c->sparse_cycles,
          (unsigned long long)cd_cycles(c), cd_sparse(c) ? "sparse" : "dense",
          (long long)c->wmem_dense_bits, (long long)c->wmem_hw_bits, (long long)cd_wmem(c));
}

static const char CELL_HEADER[] = "layer,bits,sparsity,val_accuracy,drop,dense_cycles,"
                                  "sparse_cycles,cycles,mode,wmem_dense_bits,wmem_hw_bits,"
                                  "wmem_bits\n";

static ts_status write_layers(FILE *fp, void *user, ts_error *err) {
  (void)err;
  const cd_run *r = ((const cd_out *)user)->r;
  fputs(CELL_HEADER, fp);
  for (int l = 0; l < TS_NUM_LAYERS; l++)
    for (int i = 0; i < r->nopt; i++) {
      const cd_cell *c = &r->cell[l * r->nopt + i];
      write_cell(fp, "", r, l, c, c->pct);
    }
  return ferror(fp) ? TS_E_IO : TS_OK;
}

/* The global family's tables: per pruned model (its target sparsity and
 * 8-bit validation accuracy), every layer at every width; sparsity is the
 * layer's zeros in that model, drop against its 8-bit accuracy. */
static ts_status write_global(FILE *fp, void *user, ts_error *err) {
  (void)err;
  const cd_run *r = ((const cd_out *)user)->r;
  const cd_args *a = r->a;
  fprintf(fp, "model_sparsity,model_val_accuracy_8bit,%s", CELL_HEADER);
  for (int g = 0; g < r->ng; g++) {
    char prefix[64];
    snprintf(prefix, sizeof prefix, "%g,%.6f,", r->gsp[g], r->gval8[g]);
    for (int l = 0; l < TS_NUM_LAYERS; l++)
      for (int i = 0; i < a->nbits; i++)
        write_cell(fp, prefix, r, l, &r->gcell[((size_t)g * TS_NUM_LAYERS + l) * a->nbits + i],
                   r->gpct[g][l]);
  }
  return ferror(fp) ? TS_E_IO : TS_OK;
}

static ts_status write_configs(FILE *fp, void *user, ts_error *err) {
  (void)err;
  const cd_out *o = user;
  const cd_run *r = o->r;
  fprintf(fp, "kind,budget_level");
  for (int l = 0; l < TS_NUM_LAYERS; l++) fprintf(fp, ",bits_%s", ts_net_layer(r->s.net, l)->name);
  for (int l = 0; l < TS_NUM_LAYERS; l++)
    fprintf(fp, ",sparsity_%s", ts_net_layer(r->s.net, l)->name);
  fprintf(fp, ",predicted_drop,test_accuracy,fp32_accuracy,target_accuracy,val_accuracy,"
              "fp32_val_accuracy,cycles,rtl_cycles,speedup_vs_dense8,wmem_bits,finetuned,"
              "rtl_equal,chosen\n");
  for (int i = 0; i < r->ncfg; i++) {
    const cd_config *c = &r->cfg[i];
    fprintf(fp, "%s,%.4g", c->kind, c->level);
    for (int l = 0; l < TS_NUM_LAYERS; l++) fprintf(fp, ",%d", c->bits[l]);
    for (int l = 0; l < TS_NUM_LAYERS; l++) fprintf(fp, ",%g", c->pct[l]);
    const double cyc = isnan(c->rtl_cycles) ? c->cycles : c->rtl_cycles;
    fprintf(fp, ",%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%.0f,%.0f,%.4f,%lld,%d,%d,%d\n", c->pred_drop,
            c->test_acc, r->fp32_acc, target_of(r, 0), c->val_acc,
            r->a->val_train ? r->fp32_val : NAN, c->cycles, c->rtl_cycles, o->dense8 / cyc,
            (long long)c->wmem_bits, c->finetuned, c->rtl_equal, i == r->chosen);
  }
  return ferror(fp) ? TS_E_IO : TS_OK;
}

static ts_status write_json(FILE *fp, void *user, ts_error *err) {
  const cd_out *o = user;
  const cd_run *r = o->r;
  const cd_args *a = r->a;
  cJSON *root = cJSON_CreateObject();
  if (!root) return ts_fail(err, TS_E_NOMEM, "codesign: no memory for JSON");
  cJSON_AddStringToObject(root, "model", a->c.model);
  cJSON_AddStringToObject(root, "objective", OBJ_NAMES[a->objective]);
  cJSON_AddNumberToObject(root, "budget_points", a->budget);
  cJSON_AddNumberToObject(root, "fp32_accuracy", r->fp32_acc);
  cJSON_AddNumberToObject(root, "target_accuracy", target_of(r, 0));
  cJSON_AddNumberToObject(root, "dense8_cycles_per_image", o->dense8);
  cJSON_AddNumberToObject(root, "finetune_epochs", a->finetune);
  cJSON_AddNumberToObject(root, "finetune_lr", a->lr);
  cJSON_AddStringToObject(root, "search", SEARCH_NAMES[a->search]);
  cJSON_AddNumberToObject(root, "validation_images", r->d.nval);
  cJSON_AddStringToObject(root, "target_checked_on",
                          a->val_train ? "held-out training images" : "test set");
  if (r->chosen >= 0) {
    const cd_config *c = &r->cfg[r->chosen];
    cJSON *ch = cJSON_AddObjectToObject(root, "chosen");
    cJSON_AddStringToObject(ch, "family", strcmp(c->kind, "global") ? "layer" : "global");
    cJSON_AddNumberToObject(ch, "test_accuracy", c->test_acc);
    if (a->val_train) cJSON_AddNumberToObject(ch, "val_accuracy", c->val_acc);
    cJSON_AddNumberToObject(ch, "rtl_cycles_per_image", c->rtl_cycles);
    cJSON_AddNumberToObject(ch, "speedup_vs_dense8", o->dense8 / c->rtl_cycles);
    cJSON_AddNumberToObject(ch, "wmem_bits", (double)c->wmem_bits);
    cJSON_AddBoolToObject(ch, "rtl_equals_golden", c->rtl_equal == 1);
    cJSON *layers = cJSON_AddArrayToObject(ch, "layers");
    for (int l = 0; layers && l < TS_NUM_LAYERS; l++) {
      cJSON *L = cJSON_CreateObject();
      if (!L) break;
      cJSON_AddStringToObject(L, "layer", ts_net_layer(r->s.net, l)->name);
      cJSON_AddNumberToObject(L, "bits", c->bits[l]);
      cJSON_AddNumberToObject(L, "sparsity", c->pct[l]);
      cJSON_AddStringToObject(L, "mode", c->sparse[l] ? "sparse" : "dense");
      cJSON_AddItemToArray(layers, L);
    }
  }
  char *txt = cJSON_Print(root);
  cJSON_Delete(root);
  if (!txt) return ts_fail(err, TS_E_NOMEM, "codesign: no memory for JSON text");
  fputs(txt, fp);
  fputc('\n', fp);
  free(txt);
  return ferror(fp) ? TS_E_IO : TS_OK;
}

/* Accuracy vs cost: the uniform configurations' Pareto front and the
 * searched ones. which: 0 cycles, 1 memory (KiB). Returns 1 if the plot
 * failed (a warning). */
static int plot_pareto(const char *cmd, const cd_run *r, const char *png, int which) {
  double ux[CD_MAX_CONFIGS], uy[CD_MAX_CONFIGS], sx[CD_MAX_CONFIGS], sy[CD_MAX_CONFIGS];
  int nu = 0, ns = 0;
  for (int i = 0; i < r->ncfg; i++) {
    const cd_config *c = &r->cfg[i];
    const double x = which ? (double)c->wmem_bits / 8192
                           : (isnan(c->rtl_cycles) ? c->cycles : c->rtl_cycles);
    if (strcmp(c->kind, "uniform")) {
      sx[ns] = x, sy[ns++] = 100 * c->test_acc;
      continue;
    }
    int dominated = 0; /* another uniform one is cheaper and no less accurate */
    for (int j = 0; j < r->ncfg && !dominated; j++) {
      const cd_config *o = &r->cfg[j];
      const double ox = which ? (double)o->wmem_bits / 8192 : o->cycles;
      dominated = j != i && !strcmp(o->kind, "uniform") && ox <= x &&
                  o->test_acc >= c->test_acc && (ox < x || o->test_acc > c->test_acc);
    }
    if (!dominated) ux[nu] = x, uy[nu++] = 100 * c->test_acc;
  }
  for (int i = 1; i < nu; i++) /* by cost, for the line */
    for (int j = i; j > 0 && ux[j] < ux[j - 1]; j--) {
      double t = ux[j]; ux[j] = ux[j - 1]; ux[j - 1] = t;
      t = uy[j]; uy[j] = uy[j - 1]; uy[j - 1] = t;
    }
  const ts_plot_series s[2] = {{"uniform B and s (Pareto front, no fine-tuning)", ux, uy, nu},
                               {"verified choices (per-layer search, uniform)", sx, sy, ns}};
  const ts_plot_opts po = {.title = which ? "Co-design: accuracy vs weight memory"
                                          : "Co-design: accuracy vs array cycles per image",
                           .xlabel = which ? "weight memory (KiB)" : "RTL cycles per image",
                           .ylabel = "integer test accuracy (%)", .logx = 1};
  ts_error e = {0};
  return ts_plot_lines(png, &po, s, ns ? 2 : 1, &e) ? ts_study_plot_failed(cmd, &e) : 0;
}

enum { F_CSV, F_LAYERS, F_GLOBAL, F_JSON, F_PCYC, F_PMEM, NFILES };
static const char *const FILES[NFILES] = {"codesign.csv",        "codesign_layers.csv",
                                          "codesign_global.csv", "codesign.json",
                                          "codesign_cycles.png", "codesign_memory.png"};

static int write_outputs(const char *cmd, const cd_out *o, char (*f)[TS_STUDY_PATH_MAX]) {
  ts_error err = {0};
  if (ts_atomic_write(f[F_CSV], write_configs, (void *)o, &err) ||
      ts_atomic_write(f[F_LAYERS], write_layers, (void *)o, &err) ||
      ts_atomic_write(f[F_GLOBAL], write_global, (void *)o, &err) ||
      ts_atomic_write(f[F_JSON], write_json, (void *)o, &err)) {
    ts_cli_error(cmd, &err);
    return 1;
  }
  plot_pareto(cmd, o->r, f[F_PCYC], 0);
  plot_pareto(cmd, o->r, f[F_PMEM], 1);
  printf("wrote %s, %s, %s, %s, %s, %s\n", f[F_CSV], f[F_LAYERS], f[F_GLOBAL], f[F_JSON],
         f[F_PCYC], f[F_PMEM]);
  return 0;
}

/* The chosen configuration, layer by layer, and the goal's figures. */
static void print_choice(const cd_run *r, double dense8) {
  const cd_config *c = &r->cfg[r->chosen];
  printf("\nchosen configuration (%s family; test accuracy %.2f%%, FP32 %.2f%%, budget %g "
         "points):\n", strcmp(c->kind, "global") ? "layer" : "global", 100 * c->test_acc,
         100 * r->fp32_acc, r->a->budget);
  printf("%-6s %5s %9s %7s %12s %12s\n", "layer", "bits", "pruned", "mode", "cycles/img",
         "memory bits");
  for (int l = 0; l < TS_NUM_LAYERS; l++)
    printf("%-6s %5d %8.4g%% %7s %12.0f %12lld\n", ts_net_layer(r->s.net, l)->name, c->bits[l],
           c->pct[l], c->sparse[l] ? "sparse" : "dense", c->layer_cycles[l],
           (long long)c->layer_wmem[l]);
  printf("RTL: %.0f cycles per image (%d images, RTL = golden), dense 8-bit %.0f: %.2fx fewer "
         "cycles; weight memory %.1f KiB\n", c->rtl_cycles, r->a->rtl_images, dense8,
         dense8 / c->rtl_cycles, (double)c->wmem_bits / 8192);
}

/* Cycles per image of the unpruned 8-bit network in dense mode. */
static ts_status dense8_cycles(cd_run *r, ts_hw *hw, double *out, ts_error *err) {
  ts_qnet *q = NULL;
  uint64_t cyc[TS_NUM_LAYERS];
  const int dense[TS_NUM_LAYERS] = {0};
  ts_study_restore(&r->s);
  ts_status st = ts_qnet_create(r->s.net, 8, r->d.scheme, r->cal, r->d.ncal, &q, err);
  if (!st) st = cd_rtl_cycles(hw, q, r->s.x, 1, dense, -1, cyc, NULL, err);
  ts_qnet_destroy(q);
  *out = 0;
  for (int l = 0; !st && l < TS_NUM_LAYERS; l++) *out += (double)cyc[l];
  return st;
}

static int run(const char *cmd, cd_run *r, char (*f)[TS_STUDY_PATH_MAX]) {
  const cd_args *a = r->a;
  ts_error err = {0};
  ts_hw *hw = NULL;
  cd_out o = {r, 0};
  const double t0 = ts_study_now();
  r->nopt = a->nbits * a->npct;
  r->cell = calloc((size_t)TS_NUM_LAYERS * r->nopt, sizeof *r->cell);
  ts_status st = r->cell ? TS_OK : ts_fail(&err, TS_E_NOMEM, "no memory");
  if (!st) st = ts_study_accuracy(&r->s, &r->fp32_acc, &err);
  if (!st && a->val_train) {
    st = ts_study_accuracy_of(&r->s, r->d.vx, r->d.vy, r->d.nval, &r->fp32_val, &err);
    if (!st)
      printf("codesign: the target is checked on the %d held-out training images: FP32 %.2f%% "
             "there, target >= %.2f%%; the test set is only reported\n", r->d.nval,
             100 * r->fp32_val, 100 * target_of(r, 1));
  }
  if (!st) st = ts_hw_create(NULL, &hw, &err);
  if (!st) st = dense8_cycles(r, hw, &o.dense8, &err);
  if (!st) {
    printf("codesign: FP32 test accuracy %.2f%%, target >= %.2f%%; dense 8-bit: %.0f RTL "
           "cycles per image\n1. %d layers x %d options on %d validation images\n",
           100 * r->fp32_acc, 100 * target_of(r, 0), o.dense8, TS_NUM_LAYERS,
           r->nopt, r->d.nval);
    ts_study_restore(&r->s);
    st = cd_measure(&r->d, a->bits, a->nbits, a->pct, a->npct, a->c.threads, r->cell,
                    &r->ref_val, &err);
  }
  if (!st) {
    printf("  (%.1f s) 8-bit validation accuracy %.2f%%\n2. uniform configurations\n",
           ts_study_now() - t0, 100 * r->ref_val);
    st = uniform_configs(r, &err);
  }
  if (!st) {
    printf("  (%.1f s)\n3. search (objective: %s), fine-tuning %d epochs per candidate (gradual, "
           "cosine from lr %g)\n", ts_study_now() - t0, OBJ_NAMES[a->objective], a->finetune,
           a->lr);
    st = search(r, hw, &err);
  }
  ts_hw_destroy(hw);
  if (st) {
    ts_cli_error(cmd, &err);
    return 1;
  }
  if (ts_cli_mkdirs(cmd, a->c.out) || write_outputs(cmd, &o, f)) return 1;
  printf("(%.1f s in all)\n", ts_study_now() - t0);
  if (r->chosen < 0) {
    const int v = a->val_train;
    int best = -1;
    for (int i = 0; i < r->ncfg; i++)
      if (best < 0 || checked_acc(r, &r->cfg[i]) > checked_acc(r, &r->cfg[best])) best = i;
    const double ref = v ? r->fp32_val : r->fp32_acc;
    fprintf(stderr, "tessera %s: no configuration met the budget: the best reachable %s "
            "accuracy is %.2f%% (%s configuration), the target %.2f%% (FP32 %.2f%% - %g "
            "points); raise --budget, fine-tune longer (--finetune) or allow wider weights "
            "(--bits)\n", cmd, v ? "validation" : "test",
            best < 0 ? 0.0 : 100 * checked_acc(r, &r->cfg[best]),
            best >= 0 ? r->cfg[best].kind : "no", 100 * target_of(r, v), 100 * ref,
            a->budget);
    return 1;
  }
  print_choice(r, o.dense8);
  return 0;
}

int ts_cmd_codesign(int argc, char **argv) {
  const char *cmd = "codesign";
  cd_args a;
  int rc;
  char f[NFILES][TS_STUDY_PATH_MAX];
  if (parse_args(cmd, argc, argv, &a, &rc)) return rc;
  if (ts_study_paths(cmd, a.c.out, FILES, NFILES, f)) return 2;
  cd_run *r = calloc(1, sizeof *r);
  if (!r) {
    fprintf(stderr, "tessera %s: out of memory\n", cmd);
    return 1;
  }
  r->a = &a;
  ts_cli_data data = a.c.data;
  rc = 1;
  if (!ts_study_open(cmd, a.c.model, &data, a.c.threads, &r->s)) {
    ts_layer_info info[TS_NUM_LAYERS];
    for (int l = 0; l < TS_NUM_LAYERS; l++) info[l] = *ts_net_layer(r->s.net, l);
    if (!ts_study_check_fit(cmd, a.c.model, info) && !(rc = load_train(cmd, r)))
      rc = run(cmd, r, f);
  }
  ts_study_close(&r->s);
  ts_dataset_destroy(r->train);
  free(r->cal);
  free(r->vx);
  free(r->vy);
  free(r->cell);
  free(r->gcell);
  free(r);
  return rc;
}
