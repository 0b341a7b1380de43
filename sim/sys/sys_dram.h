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

  // bytes_per_cycle: INFINITY for no transfer time. Resets the statistics
  // and frees the channel at the current time.
  void configure(double bytes_per_cycle, uint32_t latency_cycles, sc_core::sc_time period);
  // The contents from address 0; the storage ends at min(image, capacity)
  // and a transfer past it gets TLM_ADDRESS_ERROR_RESPONSE.
  void load(const std::vector<uint8_t> &image, uint64_t capacity);
  const std::vector<uint8_t> &contents() const { return mem_; }

  sc_core::sc_time busy() const { return busy_; }  // channel occupied, summed
  // Channel busy intervals [start, end), merged when they touch.
  const std::vector<std::pair<sc_core::sc_time, sc_core::sc_time>> &intervals() const {
    return iv_;
  }

 private:
  void b_transport(tlm::tlm_generic_payload &tr, sc_core::sc_time &delay);

  std::vector<uint8_t> mem_;
  double bpc_ = 16;
  bool infinite_ = false;
  sc_core::sc_time period_, latency_, free_at_, busy_;
  std::vector<std::pair<sc_core::sc_time, sc_core::sc_time>> iv_;
};

#endif  // SYS_DRAM_H
