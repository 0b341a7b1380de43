#include "cli_opts.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

/* Most options one command may have (shared + own + --help). */
#define TS_CLI_MAX_OPTS 48
/* getopt_long returns 256 + the option's index in the table: above every
 * character, so a short option can never be mistaken for one of ours. */
#define TS_CLI_OPT_BASE 256

void ts_cli_common_default(ts_cli_common *c) {
  memset(c, 0, sizeof *c);
  c->model = TS_CLI_DEFAULT_MODEL;
  c->threads = TS_CLI_DEFAULT_THREADS;
  c->threads_max = TS_MAX_THREADS;
  c->out = TS_CLI_DEFAULT_OUT;
}

static int opt_dataset(const char *cmd, const char *flag, const char *arg, void *dst) {
  (void)flag;
  *(const char **)dst = arg;
  return ts_cli_dataset_name(cmd, arg);
}

static int opt_out(const char *cmd, const char *flag, const char *arg, void *dst) {
  if (!*arg) {
    fprintf(stderr, "tessera %s: %s needs a folder name, got ''\n", cmd, flag);
    return 1;
  }
  *(const char **)dst = arg;
  return 0;
}

int ts_opt_int_pair(const char *cmd, const char *flag, const char *arg, void *dst) {
  int *v = dst; /* [2] */
  char first[64];
  const char *comma = strchr(arg, ',');
  if (!comma || comma - arg >= (long)sizeof first) {
    fprintf(stderr, "tessera %s: %s takes two numbers, e.g. 6,16; got '%s'\n", cmd, flag,
            arg);
    return 1;
  }
  memcpy(first, arg, comma - arg);
  first[comma - arg] = 0;
  return ts_cli_int(cmd, flag, first, 1, TS_CLI_MAX_DIM, &v[0]) ||
         ts_cli_int(cmd, flag, comma + 1, 1, TS_CLI_MAX_DIM, &v[1]);
}

/* The shared options selected by mask, appended to t; returns the count. */
static int shared_opts(unsigned mask, ts_cli_common *c, ts_opt *t) {
  const ts_opt all[] = {
      TS_OPT_S("model", &c->model),
      TS_OPT_CALL("dataset", opt_dataset, &c->data.dataset),
      TS_OPT_S("data", &c->data.dir),
      TS_OPT_SWITCH("coarse", &c->data.coarse, 1),
      TS_OPT_I("limit", &c->data.limit, 1, TS_CLI_MAX_LIMIT),
      TS_OPT_I("threads", &c->threads, 1, c->threads_max),
      TS_OPT_CALL("out", opt_out, &c->out)};
  int n = 0;
  for (int i = 0; i < TS_OPT_COUNT(all); i++)
    if (mask >> i & 1) t[n++] = all[i];
  return n;
}

/* Stores one value; returns 1 (message printed) when it is bad. */
static int set_value(const char *cmd, const ts_opt *o, const char *arg) {
  char flag[64];
  snprintf(flag, sizeof flag, "--%s", o->name);
  double d = 0;
  int bad = 0;
  switch (o->kind) {
    case TS_OPT_SET: *(int *)o->dst = (int)o->lo; break;
    case TS_OPT_STR: *(const char **)o->dst = arg; break;
    case TS_OPT_INT: bad = ts_cli_int(cmd, flag, arg, (long)o->lo, (long)o->hi, o->dst); break;
    case TS_OPT_U64: bad = ts_cli_u64(cmd, flag, arg, o->dst); break;
    case TS_OPT_REAL: bad = ts_cli_real(cmd, flag, arg, o->lo, o->hi, o->dst); break;
    case TS_OPT_FLOAT:
      bad = ts_cli_real(cmd, flag, arg, o->lo, o->hi, &d);
      if (!bad) *(float *)o->dst = (float)d;
      break;
    case TS_OPT_FN: bad = o->fn(cmd, flag, arg, o->dst); break;
  }
  if (!bad && o->seen) *o->seen = 1;
  return bad;
}

/* One line on stderr for an option getopt_long rejected (called with
 * optstring ":" and opterr = 0): ':' an option missing its value, '?' an
 * unknown or ambiguous option, or "=value" on a switch. */
static void bad_option(const char *cmd, int o, char *const *argv) {
  /* getopt_long has stepped past the word it rejected, except for an
   * unknown short option inside a cluster (-xv): optopt names that one */
  const char *arg = argv[optind - 1];
  if (o == ':')
    fprintf(stderr, "tessera %s: option '%s' needs a value (see tessera %s --help)\n",
            cmd, arg, cmd);
  else if (optopt > 0 && optopt < TS_CLI_OPT_BASE)
    fprintf(stderr, "tessera %s: unknown option '-%c' (see tessera %s --help)\n", cmd,
            optopt, cmd);
  else if (optopt) /* a known long option given "=value" */
    fprintf(stderr, "tessera %s: option '%s' takes no value (see tessera %s --help)\n",
            cmd, arg, cmd);
  else
    fprintf(stderr, "tessera %s: unknown or ambiguous option '%s' (see tessera %s --help)\n",
            cmd, arg, cmd);
}

int ts_cli_parse(const ts_cli_spec *spec, int argc, char **argv,
                 ts_cli_common *c, int *exit_code) {
  ts_opt t[TS_CLI_MAX_OPTS];
  struct option longopts[TS_CLI_MAX_OPTS + 2];
  int n = shared_opts(spec->shared, c, t);
  if (n + spec->nown > TS_CLI_MAX_OPTS) { /* a table too long for this file */
    fprintf(stderr, "tessera %s: %d options; raise TS_CLI_MAX_OPTS\n", spec->cmd,
            n + spec->nown);
    *exit_code = 1;
    return 1;
  }
  for (int i = 0; i < spec->nown; i++) t[n++] = spec->own[i];
  for (int i = 0; i < n; i++)
    longopts[i] = (struct option){t[i].name,
                                  t[i].kind == TS_OPT_SET ? no_argument : required_argument,
                                  NULL, TS_CLI_OPT_BASE + i};
  const int help = TS_CLI_OPT_BASE + n;
  longopts[n] = (struct option){"help", no_argument, NULL, help};
  longopts[n + 1] = (struct option){NULL, 0, NULL, 0};
  *exit_code = 2;
  optind = 1;
  opterr = 0; /* bad_option says it in one line */
  int o;
  while ((o = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
    if (o == help) {
      fputs(spec->usage, stdout);
      *exit_code = 0;
      return 1;
    }
    if (o < TS_CLI_OPT_BASE || o > help) {
      bad_option(spec->cmd, o, argv);
      return 1;
    }
    if (set_value(spec->cmd, &t[o - TS_CLI_OPT_BASE], optarg)) return 1;
  }
  if (optind < argc) {
    fprintf(stderr, "tessera %s: unexpected argument '%s' (see --help)\n", spec->cmd,
            argv[optind]);
    return 1;
  }
  return 0;
}
