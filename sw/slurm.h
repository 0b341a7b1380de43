/* Scale-out of the resumable sweeps (quant, prune, hw-sweep) on a Slurm
 * cluster with a job array; Slurm does the scheduling, Tessera only splits
 * the point list and merges the results.
 *
 * `tessera CMD ... --slurm DIR` evaluates nothing; it writes into DIR
 *   array.sbatch  a job array of N tasks; task I runs the same command with
 *                 `--slice I/N --parts DIR/parts`: only the points i with
 *                 i mod N == I, saved in DIR/parts/CMD.slice-I-of-N.csv
 *                 (rewritten atomically after every point and resumed from
 *                 when the task is run again: no point is computed twice)
 *   merge.sbatch  the same command with `--merge DIR/parts`: every point is
 *                 read back from the partial CSVs (in any order, any number
 *                 of times), then the command writes the CSV, plots and
 *                 report a single-machine run writes; it computes nothing
 *                 and fails, naming the tasks to resubmit, if a point is
 *                 missing
 *   submit.sh     sbatch the array, then the merge with
 *                 --dependency=afterok:<array job>; `submit.sh 3,5`
 *                 resubmits only tasks 3 and 5 (and a new merge)
 * The jobs run in the folder the command was started from (relative paths
 * keep their meaning) with the same `tessera` binary: both must be on a
 * file system the compute nodes share. docs/scale-out.md has the recipe.
 *
 * Like cli.h, functions that serve commands print their own one-line
 * errors ("tessera CMD: ...") and return 0 / 1. */
#ifndef TS_SLURM_H
#define TS_SLURM_H

#include "study.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TS_SLURM_MAX_TASKS 1000 /* Slurm's default MaxArraySize is 1001 */

/* The --slurm options (all zero / NULL = not given). */
typedef struct ts_slurm_opts {
  const char *dir;       /* --slurm DIR: write the jobs there */
  const char *partition; /* --slurm-partition P[,P...] */
  const char *time;      /* --slurm-time T, per task, Slurm's format */
  const char *account;   /* --slurm-account A */
  int cpus;              /* --slurm-cpus N per task (0: the --threads value) */
  int throttle;          /* --slurm-throttle N tasks at once (0: no limit) */
  int tasks;             /* --slurm-tasks N array size (0: one per point) */
  int submit;            /* --slurm-submit: run DIR/submit.sh at once */
  /* written into the job scripts, not for users: */
  const char *slice;     /* --slice I/N */
  const char *parts;     /* --parts DIR, with --slice: where its CSV goes */
  const char *merge;     /* --merge DIR: read every point from DIR's parts */
} ts_slurm_opts;

/* Lines for a command's --help (the hidden options are not listed). */
#define TS_SLURM_USAGE                                                          \
  "Scale-out on a Slurm cluster (docs/scale-out.md):\n"                        \
  "  --slurm DIR         evaluate nothing here: write DIR/array.sbatch (a job\n" \
  "                      array, one task per slice of points), DIR/merge.sbatch\n" \
  "                      (merges the tasks' CSVs into the outputs above once\n" \
  "                      every task has succeeded) and DIR/submit.sh\n"          \
  "  --slurm-submit      and run DIR/submit.sh (sbatch) right away\n"           \
  "  --slurm-tasks N     array tasks (default one per point, at most 1000)\n"   \
  "  --slurm-throttle N  at most N tasks running at once (sbatch --array=...%N)\n" \
  "  --slurm-cpus N      CPUs per task (default the --threads value)\n"          \
  "  --slurm-time T      time limit per task: MM, HH:MM:SS, D-HH[:MM[:SS]]\n"    \
  "  --slurm-partition P partition(s), comma-separated\n"                        \
  "  --slurm-account A   account to charge\n"

/* Value parsers with ts_opt_fn's signature (cli_opts.h); dst is the field
 * of ts_slurm_opts the option sets. Each prints "tessera CMD: FLAG ..." and
 * returns 1 on a bad value. */
int ts_slurm_opt_name(const char *cmd, const char *flag, const char *arg, void *dst);
int ts_slurm_opt_names(const char *cmd, const char *flag, const char *arg, void *dst);
int ts_slurm_opt_time(const char *cmd, const char *flag, const char *arg, void *dst);
int ts_slurm_opt_count(const char *cmd, const char *flag, const char *arg, void *dst);
int ts_slurm_opt_slice(const char *cmd, const char *flag, const char *arg, void *dst);
int ts_slurm_opt_dir(const char *cmd, const char *flag, const char *arg, void *dst);

/* Table entries for those options, for a command's ts_opt table (the
 * cli_opts.h macros spelled out, so that this header needs only study.h). */
#define TS_SLURM_OPTS(o)                                                       \
  {"slurm", TS_OPT_FN, (void *)&(o)->dir, 0, 0, ts_slurm_opt_dir, 0},            \
  {"slurm-partition", TS_OPT_FN, (void *)&(o)->partition, 0, 0, ts_slurm_opt_names, 0}, \
  {"slurm-time", TS_OPT_FN, (void *)&(o)->time, 0, 0, ts_slurm_opt_time, 0},      \
  {"slurm-account", TS_OPT_FN, (void *)&(o)->account, 0, 0, ts_slurm_opt_name, 0}, \
  {"slurm-cpus", TS_OPT_FN, (void *)&(o)->cpus, 0, 0, ts_slurm_opt_count, 0},      \
  {"slurm-throttle", TS_OPT_FN, (void *)&(o)->throttle, 0, 0, ts_slurm_opt_count, 0}, \
  {"slurm-tasks", TS_OPT_FN, (void *)&(o)->tasks, 0, 0, ts_slurm_opt_count, 0},    \
  {"slurm-submit", TS_OPT_SET, (void *)&(o)->submit, 1, 0, 0, 0},                  \
  {"slice", TS_OPT_FN, (void *)&(o)->slice, 0, 0, ts_slurm_opt_slice, 0},          \
  {"parts", TS_OPT_FN, (void *)&(o)->parts, 0, 0, ts_slurm_opt_dir, 0},            \
  {"merge", TS_OPT_FN, (void *)&(o)->merge, 0, 0, ts_slurm_opt_dir, 0}

/* Options that only make sense together: --slurm-* need --slurm, --slice
 * needs --parts and the reverse, --slurm / --slice / --merge exclude each
 * other. Prints the error; returns 1 (a usage error, exit 2). */
int ts_slurm_check(const char *cmd, const ts_slurm_opts *o);

/* The command being scaled out. */
typedef struct ts_slurm_cmd {
  const char *cmd;   /* "quant" */
  int argc;          /* the command's argv (argv[0] is cmd), copied into */
  char **argv;       /* the job scripts without the --slurm* options */
  int threads;       /* its --threads: CPUs per task by default */
  int resume;        /* 0 after --no-resume */
  const ts_slurm_opts *opts; /* what it was given */
} ts_slurm_cmd;

/* ---- The pieces, for a command with its own kind of points ------------ */

/* Writes DIR/{array,merge}.sbatch and DIR/submit.sh for a sweep of npoints
 * points (and, after --no-resume, deletes DIR/parts' old CSVs of cmd);
 * runs submit.sh after --slurm-submit. Prints what it did; 0 / 1. */
int ts_slurm_write_jobs(const ts_slurm_cmd *c, int npoints);

/* 1 when point i belongs to this process: always, except under --slice. */
int ts_slurm_in_slice(const ts_slurm_opts *o, int i);

/* Under --slice: DIR/parts/CMD.slice-I-of-N.csv into buf (its folder is
 * created). Prints the error; 0 / 1. */
int ts_slurm_part_path(const ts_slurm_opts *o, const char *cmd, char *buf, int len);

/* Under --merge: the paths of the partial CSVs of cmd in the --merge
 * folder, sorted by name (*paths is one allocation, free() it); *slices is
 * their N when all agree, else 0. None found is an error. 0 / 1. */
int ts_slurm_parts(const ts_slurm_opts *o, const char *cmd, char ***paths, int *n,
                   int *slices);

/* Under --merge, after reading the parts: done[i] says whether point i has
 * a result. Prints how many points are missing and which tasks to
 * resubmit; returns 1 if any is missing. */
int ts_slurm_check_merged(const ts_slurm_opts *o, const char *cmd, const int *done,
                          int n, int slices);

/* ---- The whole flow ------------------------------------------------------ */

/* What a sweep command does after ts_slurm_prepare / ts_slurm_sweep. */
typedef struct ts_slurm_plan {
  int stop;       /* end now with exit code 0: jobs written (--slurm) */
  int slice_only; /* end with 0 once its points are saved: a task (--slice) */
  int reused;     /* points already done */
  char csv[4096]; /* where the points are saved: OUT/CMD.csv, or the part */
} ts_slurm_plan;

/* A command's points, seen through its own resume. */
typedef struct ts_slurm_points {
  int n;      /* points (under --slice: only this slice's, in order) */
  void *user;
  /* Marks done the points with a result in the CSV at path, leaving the
   * points already done alone; a missing file is no error. Prints the
   * error; 0 / 1. */
  int (*resume)(void *user, const char *path);
  int (*done)(void *user, int i); /* 1 when point i has a result */
} ts_slurm_points;

/* Replaces a sweep command's resume step. With --slurm: writes the jobs
 * (plan->stop). With --slice (after the caller kept only the points i with
 * ts_slurm_in_slice): resumes from the part, then from csv unless
 * --no-resume. With --merge: resumes from every part (and csv), fails if a
 * point is missing. Else: resumes from csv unless --no-resume. 0 / 1. */
int ts_slurm_prepare(const ts_slurm_cmd *c, const ts_slurm_points *pts, const char *csv,
                     ts_slurm_plan *plan);

/* ts_slurm_prepare for the study sweeps (quant, prune; ts_sweep_execute
 * calls it): keeps the slice's points of w under --slice, resumes with
 * ts_sweep_resume. */
int ts_slurm_sweep(const ts_slurm_cmd *c, ts_sweep *w, const char *csv, ts_slurm_plan *plan);

#ifdef __cplusplus
}
#endif
#endif /* TS_SLURM_H */
