// DRAM: a TLM-2.0 target (b_transport, loosely timed) with one channel of
// configurable bandwidth (bytes per accelerator cycle) and latency.
// Transactions are served in arrival order: a transaction occupies the
// channel for len / bandwidth and completes `latency` after its last byte,
// so requests issued together (a DMA burst list) pay the latency once.
#ifndef SYS_DRAM_H
#define SYS_DRAM_H

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

#include <cstdint>
#include <utility>
#include <vector>

struct SysDram : sc_core::sc_module {
  tlm_utils::simple_target_socket<SysDram> socket;

  explicit SysDram(sc_core::sc_module_name name);

  // bytes_per_cycle: INFINITY for no transfer time. The channel stays busy
  // with what was issued before (a prefetch may run past a layer's end).
  void configure(double bytes_per_cycle, uint32_t latency_cycles, sc_core::sc_time period);
  // Empties the DRAM.
  void clear() { mem_.clear(); }
  // image at address base; the storage ends at min(the highest image end,
  // capacity) and a transfer past it gets TLM_ADDRESS_ERROR_RESPONSE.
  void place(const std::vector<uint8_t> &image, uint64_t base, uint64_t capacity);
  const std::vector<uint8_t> &contents() const { return mem_; }

  // The channel interval [start, end) of the last transaction.
  std::pair<sc_core::sc_time, sc_core::sc_time> last() const { return last_; }

 private:
  void b_transport(tlm::tlm_generic_payload &tr, sc_core::sc_time &delay);

  std::vector<uint8_t> mem_;
  double bpc_ = 16;
  bool infinite_ = false;
  sc_core::sc_time period_, latency_, free_at_;
  std::pair<sc_core::sc_time, sc_core::sc_time> last_;
};

#endif  // SYS_DRAM_H
