/* Table-driven option parsing for every `tessera` command.
 *
 * The options several commands share (--model --dataset --data --coarse
 * --limit --threads --out) are defined once here, so every command accepts
 * and validates them the same way; a command lists its own options in a
 * table of the same kind. One getopt_long loop serves all commands:
 *
 *   ts_cli_common c;
 *   ts_cli_common_default(&c);
 *   const ts_opt own[] = {TS_OPT_I("epochs", &epochs, 1, 100000), ...};
 *   const ts_cli_spec spec = {"train", USAGE, TS_CLI_DATA_OPTS | TS_CLI_OUT,
 *                             own, TS_OPT_COUNT(own)};
 *   int rc;
 *   if (ts_cli_parse(&spec, argc, argv, &c, &rc)) return rc;
 *
 * Usage errors print one line ("tessera CMD: ...") and give exit code 2. */
#ifndef TS_CLI_OPTS_H
#define TS_CLI_OPTS_H

#include <stdint.h>

#include "cli.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ts_opt_kind {
  TS_OPT_SET,   /* a switch: *(int *)dst = (int)lo */
  TS_OPT_STR,   /* *(const char **)dst = the value */
  TS_OPT_INT,   /* whole number in [lo, hi] -> *(int *)dst */
  TS_OPT_U64,   /* non-negative whole number -> *(uint64_t *)dst */
  TS_OPT_REAL,  /* number in [lo, hi] -> *(double *)dst */
  TS_OPT_FLOAT, /* number in [lo, hi] -> *(float *)dst */
  TS_OPT_FN     /* fn parses the value into dst */
} ts_opt_kind;

/* Parses `arg` of option `flag` ("--name") for command `cmd` into dst.
 * On a bad value it prints "tessera CMD: ..." and returns 1. */
typedef int (*ts_opt_fn)(const char *cmd, const char *flag, const char *arg,
                         void *dst);

typedef struct ts_opt {
  const char *name; /* long name without the dashes */
  ts_opt_kind kind;
  void *dst;
  double lo, hi;    /* range (INT, REAL, FLOAT); the value of a SET switch */
  ts_opt_fn fn;     /* TS_OPT_FN only */
  int *seen;        /* nullable: set to 1 when the option is given */
} ts_opt;

/* Table entries. */
#define TS_OPT_S(name, dst) {name, TS_OPT_STR, (void *)(dst), 0, 0, 0, 0}
#define TS_OPT_SWITCH(name, dst, value) \
  {name, TS_OPT_SET, (void *)(dst), (value), 0, 0, 0}
#define TS_OPT_I(name, dst, lo, hi) \
  {name, TS_OPT_INT, (void *)(dst), (lo), (hi), 0, 0}
#define TS_OPT_U(name, dst) {name, TS_OPT_U64, (void *)(dst), 0, 0, 0, 0}
#define TS_OPT_R(name, dst, lo, hi) \
  {name, TS_OPT_REAL, (void *)(dst), (lo), (hi), 0, 0}
#define TS_OPT_F(name, dst, lo, hi) \
  {name, TS_OPT_FLOAT, (void *)(dst), (lo), (hi), 0, 0}
#define TS_OPT_CALL(name, fn, dst) {name, TS_OPT_FN, (void *)(dst), 0, 0, fn, 0}
#define TS_OPT_COUNT(table) ((int)(sizeof(table) / sizeof((table)[0])))

/* The shared options a command accepts (a mask). */
enum {
  TS_CLI_MODEL = 1 << 0,   /* --model FILE */
  TS_CLI_DATASET = 1 << 1, /* --dataset NAME (unknown names: exit 2) */
  TS_CLI_DATA = 1 << 2,    /* --data DIR */
  TS_CLI_COARSE = 1 << 3,  /* --coarse */
  TS_CLI_LIMIT = 1 << 4,   /* --limit N */
  TS_CLI_THREADS = 1 << 5, /* --threads N, 1..threads_max */
  TS_CLI_OUT = 1 << 6      /* --out DIR (not empty) */
};
#define TS_CLI_DATA_OPTS (TS_CLI_DATASET | TS_CLI_DATA | TS_CLI_COARSE | TS_CLI_LIMIT)
/* A command that studies a model on data and writes to OUT. */
#define TS_CLI_STUDY_OPTS (TS_CLI_MODEL | TS_CLI_DATA_OPTS | TS_CLI_THREADS | TS_CLI_OUT)

#define TS_CLI_DEFAULT_MODEL "out/model.safetensors"
#define TS_CLI_DEFAULT_OUT "out"
#define TS_CLI_DEFAULT_THREADS 2
#define TS_CLI_MAX_LIMIT (1 << 30) /* --limit: images per split */

/* What the shared options hold after parsing. */
typedef struct ts_cli_common {
  const char *model; /* --model */
  ts_cli_data data;  /* --dataset --data --coarse --limit */
  int threads;       /* --threads */
  int threads_max;   /* upper bound of --threads (set before parsing) */
  const char *out;   /* --out */
} ts_cli_common;

/* model TS_CLI_DEFAULT_MODEL, no data options, TS_CLI_DEFAULT_THREADS
 * threads of at most TS_MAX_THREADS, out TS_CLI_DEFAULT_OUT. */
void ts_cli_common_default(ts_cli_common *c);

/* One command's options. */
typedef struct ts_cli_spec {
  const char *cmd;   /* "train", "hw-run", ... */
  const char *usage; /* printed on stdout by --help */
  unsigned shared;   /* TS_CLI_* mask */
  const ts_opt *own; /* the command's own options (nullable if none) */
  int nown;
} ts_cli_spec;

/* Parses argv[1..argc) (argv[0] is the command name) into c and the own
 * options' destinations. Returns 0 when the command should go on; else
 * the command returns *exit_code at once: 0 after --help, 2 after a usage
 * error (one line on stderr: a bad value, an unknown option, a missing
 * value, a value on a switch, a positional argument). */
int ts_cli_parse(const ts_cli_spec *spec, int argc, char **argv,
                 ts_cli_common *c, int *exit_code);

/* Parsers for TS_OPT_FN options several commands use. */
/* "A,B": two whole numbers in 1..TS_CLI_MAX_DIM into dst = int[2]. */
int ts_opt_int_pair(const char *cmd, const char *flag, const char *arg, void *dst);
#define TS_CLI_MAX_DIM 4096 /* largest kernel size / channel count accepted */

#ifdef __cplusplus
}
#endif
#endif /* TS_CLI_OPTS_H */
