/* Shared pieces of the `tessera` command line: number parsing with ranges,
 * dataset options, the model's stored normalisation, progress output.
 * These functions print their own one-line errors (they serve main()). */
#ifndef TS_CLI_H
#define TS_CLI_H

#include <stdint.h>

#include "ts_dataset.h"
#include "ts_net.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Parse `s` as a whole number / real number in [lo, hi] for option `flag`
 * of command `cmd`. On error print "tessera CMD: FLAG ..." and return 1. */
int ts_cli_int(const char *cmd, const char *flag, const char *s, long lo,
               long hi, int *out);
int ts_cli_u64(const char *cmd, const char *flag, const char *s, uint64_t *out);
int ts_cli_real(const char *cmd, const char *flag, const char *s, double lo,
                double hi, double *out);

#define TS_CLI_DEFAULT_DATASET "fashion-mnist"

/* Where the data comes from. */
typedef struct ts_cli_data {
  const char *dataset; /* name, e.g. "cifar100"; NULL = TS_CLI_DEFAULT_DATASET */
  const char *dir;     /* --data; NULL = $TESSERA_DATA, then the default */
  int coarse;          /* CIFAR-100 coarse labels */
  int limit;           /* keep only the first N images of each split (0 all) */
} ts_cli_data;

/* The dataset's name: o->dataset, else TS_CLI_DEFAULT_DATASET. */
const char *ts_cli_dataset(const ts_cli_data *o);

/* --dataset NAME: an unknown name is a usage error, found before any file
 * is read. Prints "tessera CMD: --dataset: ..." and returns 1. */
int ts_cli_dataset_name(const char *cmd, const char *name);

/* The directory to read: --data, else $TESSERA_DATA, else Debian's
 * Fashion-MNIST folder for fashion-mnist; NULL (with a message) if none. */
const char *ts_cli_data_dir(const char *cmd, const ts_cli_data *o);

/* Loads one split; prints the error and returns NULL on failure. */
ts_dataset *ts_cli_load(const char *cmd, const ts_cli_data *o, ts_split split);

/* The normalisation as stored in a model (TS_WEIGHTS_NORM_KEY):
 * "m0,m1,m2/s0,s1,s2". */
void ts_cli_norm_format(const ts_norm *nm, char *buf, int len);
int ts_cli_norm_parse(const char *s, ts_norm *nm);

/* Creates dir (and parents); prints the error and returns 1 on failure. */
int ts_cli_mkdirs(const char *cmd, const char *dir);

/* Points BLIS at its AVX-512 or AVX2 kernels when it would otherwise fall
 * back to the generic ones on a CPU model it does not know (this machine's
 * case; see docs/performance.md). Respects a BLIS_ARCH_TYPE set by the
 * user. Call before any BLAS work. */
void ts_cli_select_blas(void);

/* "tessera CMD: MESSAGE" on stderr for a failed library call: err's
 * message, or the name of its status when the message is empty. */
void ts_cli_error(const char *cmd, const ts_error *err);

/* Seconds as "1h02m", "3m20s", "12.3s". */
void ts_cli_duration(double s, char *buf, int len);

#ifdef __cplusplus
}
#endif
#endif /* TS_CLI_H */
