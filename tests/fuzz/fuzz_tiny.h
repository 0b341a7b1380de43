/* The tiny network of the fuzz corpus: every file of the seed corpus is a
 * few hundred bytes, so mutations reach the metadata and the tensor table. */
#ifndef TS_FUZZ_TINY_H
#define TS_FUZZ_TINY_H

#include "ts_arch.h"

static inline void fuzz_tiny_arch(ts_arch *a) {
  ts_arch_default(a, 1, 12, 12, 2);
  a->k1 = 3;
  a->k2 = 2;
  a->c1 = 1;
  a->c2 = 2;
  a->f1 = 3;
  a->f2 = 2;
}

#endif /* TS_FUZZ_TINY_H */
