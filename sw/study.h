/* Shared machinery of the study commands (profile, quant, prune, plots,
 * report, run): a loaded model with its FP32 weights kept aside, the test
 * images normalised once, a reusable inference context, sweep points that
 * always start from the FP32 weights, result CSVs written atomically and
 * read back (csv.h) for --resume and for the report.
 *
 * Like cli.h, the ts_study_* functions that serve commands print their own
 * one-line errors ("tessera CMD: ...") and return 0 / 1; the CSV and sweep
 * helpers return a ts_status with a ts_error like the library. */
#ifndef TS_STUDY_H
#define TS_STUDY_H

#include <stdint.h>

#include "cli.h"
#include "cli_opts.h"
#include "csv.h"
#include "ts_arch.h"
#include "ts_dataset.h"
#include "ts_net.h"
#include "ts_quant.h"
#include "ts_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A model under study. */
typedef struct ts_study {
  const char *cmd;
  char model_path[4096];
  char dataset[32]; /* dataset name used for the test images */
  ts_net *net;      /* the working copy that sweep points modify */
  float *fp32;      /* [num_params] the weights as loaded */
  size_t nparams;
  int threads;
  ts_infer *infer;
  float *x;         /* [n][c][h][w] normalised test images */
  int *y;           /* [n] labels */
  int n;            /* test images */
  uint64_t hash;    /* FNV-1a of the FP32 weights, image count and dataset:
                       which results a CSV may be resumed from */
  char meta_epochs[32], meta_seed[32]; /* training metadata ("?" unknown) */
  double t_open;    /* ts_study_now() when ts_study_open started */
} ts_study;

/* Loads `model` (with its metadata, see cli_model.h), the test split (data->limit images), and an inference
 * context for `threads` threads. Prints the error and returns 1 on
 * failure (s is then safe to pass to ts_study_close). */
int ts_study_open(const char *cmd, const char *model, ts_cli_data *data,
                  int threads, ts_study *s);
void ts_study_close(ts_study *s);

/* Copies the FP32 weights back into the working network. */
void ts_study_restore(ts_study *s);

/* Accuracy of the working network on the test images (fraction). */
ts_status ts_study_accuracy(ts_study *s, double *acc, ts_error *err);
/* The same on n other images: x [n][c][h][w] normalised, y [n]. */
ts_status ts_study_accuracy_of(ts_study *s, const float *x, const int *y, int n,
                               double *acc, ts_error *err);

/* ---- Sweep points --------------------------------------------------- */

#define TS_STUDY_FP32_BITS 32 /* "bits" of an unquantized point */

/* One evaluated configuration: weights pruned by `percent` (all layers, or
 * only `layer`), then quantized to `bits` (32 = not quantized). */
typedef struct ts_study_point {
  char experiment[16]; /* "fp32", "quant", "prune", "layer", "grid" */
  char scheme[16];     /* "per-tensor", "per-channel" or "-" */
  char layer[16];      /* "all" or a layer name */
  int bits;            /* 1..16, or 32 */
  double percent;      /* 0..100 */
  double accuracy;     /* fraction in [0, 1] */
  long long nonzero_macs, macs; /* whole model, one image */
  long long nonzero_weights, weights;
  double seconds;      /* time to prepare and evaluate this point */
  int done;            /* 1 once evaluated (or read back from the CSV) */
} ts_study_point;

/* Evaluates p (starting from the FP32 weights and restoring them after). */
ts_status ts_study_run_point(ts_study *s, ts_study_point *p, ts_error *err);

/* A list of points and the CSV they live in. */
typedef struct ts_sweep {
  ts_study_point *p;
  int n, cap;
  uint64_t hash; /* ts_study.hash of the run, stored in every row */
  int images;    /* test images, stored in every row */
} ts_sweep;

/* Appends a point (not done); returns its index or -1 on allocation
 * failure. */
int ts_sweep_add(ts_sweep *w, const char *experiment, const char *scheme,
                 const char *layer, int bits, double percent);
void ts_sweep_free(ts_sweep *w);

/* Marks as done every point of w found in the CSV at path with the same
 * hash and image count, copying its results. A missing file is not an
 * error; a malformed one is (TS_E_FORMAT, naming it). *reused counts. */
ts_status ts_sweep_resume(ts_sweep *w, const char *path, int *reused,
                          ts_error *err);

/* Writes the done points (atomically). Columns: experiment,scheme,layer,
 * bits,percent,accuracy,nonzero_macs,macs,nonzero_weights,weights,images,
 * model_hash,seconds. */
ts_status ts_sweep_write(const ts_sweep *w, const char *path, ts_error *err);

/* Runs every point not yet done, printing progress, rewriting the CSV after
 * each. Prints errors; returns 0 / 1. */
int ts_sweep_run(ts_study *s, ts_sweep *w, const char *csv_path);

/* What a sweep command did, for its OUT/<cmd>_run.csv. */
typedef struct ts_sweep_stats {
  int evaluations, reused; /* points evaluated now, read back from the CSV */
  double sweep_s;          /* seconds the evaluations took */
  int stop;                /* Slurm jobs written, or a task's slice saved:
                              the command ends now with exit code 0 */
} ts_sweep_stats;

struct ts_slurm_cmd; /* slurm.h */

/* The common course of a sweep command once w holds its points: creates
 * the folder out, ties w to s (hash, images), reads back the points
 * already in csv_path unless job->resume is 0, prints "KIND sweep: MODEL
 * on DATASET (N test images), DETAIL..." and runs the rest. The Slurm
 * options in job (slurm.h) write the jobs instead (st->stop), run one
 * task's slice into its partial CSV (st->stop), or read every point back
 * from the tasks' CSVs (--merge). Prints errors; returns 0 / 1. */
int ts_sweep_execute(ts_study *s, ts_sweep *w, const char *out, const char *csv_path,
                     const struct ts_slurm_cmd *job, const char *kind, const char *detail,
                     ts_sweep_stats *st);

/* A sweep command after parsing: opens the study of c's model and data,
 * runs body (the sweep, its tables and files) with an empty sweep, and
 * closes both. Returns body's exit code, 1 if the study cannot be opened. */
typedef int (*ts_sweep_body)(ts_study *s, ts_sweep *w, const void *user);
int ts_sweep_command(const char *cmd, ts_cli_common *c, ts_sweep_body body,
                     const void *user);

/* Writes the run file of a sweep command: model, dataset, test_images,
 * threads, then the command's own nextra {key, value} pairs, then
 * evaluations, reused, sweep_seconds, total_seconds (since the study was
 * opened). Prints errors; returns 0 / 1. */
int ts_study_write_run(const ts_study *s, const char *path, const char *const *extra,
                       int nextra, const ts_sweep_stats *st);

/* ---- Small helpers ---------------------------------------------------- */

/* Parses "LO-HI" or "N" into an inclusive bits range within 1..16. Prints
 * "tessera CMD: --bits ..." and returns 1 on error. */
int ts_study_parse_bits(const char *cmd, const char *s, int *lo, int *hi);

/* Parses a comma list of numbers in [lo, hi] (at most max) for flag. */
int ts_study_parse_list(const char *cmd, const char *flag, const char *s,
                        double lo, double hi, double *v, int max, int *n);

/* A comma list of distinct whole bit widths 1..16 (at most max) for flag. */
int ts_study_parse_bits_list(const char *cmd, const char *flag, const char *s, int *bits,
                             int max, int *n);

/* A strictly increasing comma list of percentages 0..100 (at most max). */
int ts_study_parse_pct_list(const char *cmd, const char *flag, const char *s, double *pct,
                            int max, int *n);

/* The model's layers must fit the array: a filter of K weights in a lane's
 * buffer (K <= TS_HW_K_MAX, which also bounds the accumulator). info:
 * [TS_NUM_LAYERS]. Prints the error; 0 / 1. */
int ts_study_check_fit(const char *cmd, const char *model, const ts_layer_info *info);

/* Prints "tessera CMD: warning: MSG" for a plot that could not be drawn and
 * returns 1 (callers OR it into a "some plot failed" flag). */
int ts_study_plot_failed(const char *cmd, const ts_error *err);

/* Seconds on a monotonic clock. */
double ts_study_now(void);

/* Joins dir and name into buf (len bytes); 1 if it does not fit. */
int ts_study_path(char *buf, int len, const char *dir, const char *name);

/* 1 if dir/name exists (for the report: which outputs a run left). */
int ts_study_exists(const char *dir, const char *name);

/* dir/name read as a CSV table (ts_csv_free it); NULL if it is missing or
 * unreadable (the report then says the section's input is missing). */
ts_csv *ts_study_load_csv(const char *dir, const char *name);

#define TS_STUDY_PATH_MAX 4096
/* Joins out and each of the n names into paths[i]; prints "tessera CMD:
 * --out path too long" and returns 1 if one does not fit. */
int ts_study_paths(const char *cmd, const char *out, const char *const *names, int n,
                   char (*paths)[TS_STUDY_PATH_MAX]);

/* Model storage with 2, 4 and 8-bit weights, per-tensor then per-channel
 * (TS_STUDY_MEM_ROWS rows), for the quant and profile tables. Prints
 * errors; returns 0 / 1. */
#define TS_STUDY_MEM_ROWS 6
int ts_study_quant_mem(const char *cmd, const ts_arch *a, ts_quant_mem *mem);

#ifdef __cplusplus
}
#endif
#endif /* TS_STUDY_H */
