// DRAM target of the system model (sys_dram.h).
#include "sys_dram.h"

#include <algorithm>
#include <cmath>
#include <cstring>

using sc_core::sc_time;

SysDram::SysDram(sc_core::sc_module_name name) : sc_module(name), socket("socket") {
  socket.register_b_transport(this, &SysDram::b_transport);
}

void SysDram::configure(double bytes_per_cycle, uint32_t latency_cycles, sc_time period) {
  bpc_ = bytes_per_cycle;
  infinite_ = std::isinf(bytes_per_cycle);
  period_ = period;
  latency_ = period * (double)latency_cycles;
  free_at_ = std::max(free_at_, sc_core::sc_time_stamp());
}

void SysDram::place(const std::vector<uint8_t> &image, uint64_t base, uint64_t capacity) {
  const uint64_t end = std::min<uint64_t>(base + image.size(), capacity);
  if (end > mem_.size()) mem_.resize(end, 0);
  if (base < end) std::memcpy(mem_.data() + base, image.data(), end - base);
}

void SysDram::b_transport(tlm::tlm_generic_payload &tr, sc_time &delay) {
  const uint64_t addr = tr.get_address();
  const uint32_t len = tr.get_data_length();
  if (tr.get_byte_enable_ptr() || tr.get_streaming_width() != len) {
    tr.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
    return;
  }
  if (addr > mem_.size() || len > mem_.size() - addr) {
    tr.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  if (tr.is_read())
    std::memcpy(tr.get_data_ptr(), &mem_[addr], len);
  else if (tr.is_write())
    std::memcpy(&mem_[addr], tr.get_data_ptr(), len);
  else {
    tr.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
    return;
  }
  // The channel: in arrival order (the initiator's local time), len / bandwidth.
  const sc_time now = sc_core::sc_time_stamp();
  const sc_time start = std::max(now + delay, free_at_);
  const sc_time xfer = infinite_ ? sc_core::SC_ZERO_TIME : period_ * ((double)len / bpc_);
  free_at_ = start + xfer;
  last_ = {start, free_at_};
  delay = free_at_ + latency_ - now;
  tr.set_response_status(tlm::TLM_OK_RESPONSE);
}
