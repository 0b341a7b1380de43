// Fields of the Verilated model's wide ports (arrays of 32-bit words,
// little-endian), shared by the harness shim and the system model.
#ifndef TS_HW_WORDS_H
#define TS_HW_WORDS_H

#include <cstdint>

// Bits [lsb, lsb + bits) of w, sign-extended (1 <= bits <= 64). The field
// spans at most three 32-bit words: gather them into 96 bits and shift,
// instead of a loop over the bits (which was 6% of hw-bench's instructions).
template <typename W>
inline int64_t ts_hw_field_signed(const W &w, int lsb, int bits) {
  const int w0 = lsb / 32, sh = lsb % 32, last = (lsb + bits - 1) / 32;
  unsigned __int128 acc = 0;
  for (int i = last; i >= w0; i--) acc = (acc << 32) | (uint32_t)w[i];
  uint64_t v = (uint64_t)(acc >> sh);
  if (bits < 64) {
    v &= ((uint64_t)1 << bits) - 1;
    if ((v >> (bits - 1)) & 1u) v |= ~(((uint64_t)1 << bits) - 1);
  }
  return (int64_t)v;
}

#endif  // TS_HW_WORDS_H
