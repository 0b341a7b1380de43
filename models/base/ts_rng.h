/* Small deterministic random numbers (SplitMix64 seeding a xoshiro256**).
 * State lives in the caller's struct: no hidden globals, reproducible for a
 * seed on every machine. */
#ifndef TS_RNG_H
#define TS_RNG_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ts_rng {
  uint64_t s[4];
} ts_rng;

void ts_rng_seed(ts_rng *r, uint64_t seed);
uint64_t ts_rng_u64(ts_rng *r);
/* Uniform integer in [0, n), n > 0, without modulo bias. */
uint64_t ts_rng_below(ts_rng *r, uint64_t n);
/* Uniform float in [0, 1). */
float ts_rng_uniform(ts_rng *r);
/* Fisher-Yates shuffle of idx[0..n). */
void ts_rng_shuffle(ts_rng *r, int *idx, int n);

#ifdef __cplusplus
}
#endif
#endif /* TS_RNG_H */
