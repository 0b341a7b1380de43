#include "ts_rng.h"

static uint64_t splitmix64(uint64_t *x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

void ts_rng_seed(ts_rng *r, uint64_t seed) {
  for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&seed);
}

uint64_t ts_rng_u64(ts_rng *r) {
  uint64_t *s = r->s;
  uint64_t result = rotl(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

uint64_t ts_rng_below(ts_rng *r, uint64_t n) {
  /* Rejection sampling: discard the top partial block of 2^64 mod n. */
  uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  uint64_t x;
  do x = ts_rng_u64(r); while (x >= limit);
  return x % n;
}

float ts_rng_uniform(ts_rng *r) {
  return (float)(ts_rng_u64(r) >> 40) * (1.0f / 16777216.0f);
}

void ts_rng_shuffle(ts_rng *r, int *idx, int n) {
  for (int i = n - 1; i > 0; i--) {
    int j = (int)ts_rng_below(r, (uint64_t)i + 1);
    int t = idx[i];
    idx[i] = idx[j];
    idx[j] = t;
  }
}
