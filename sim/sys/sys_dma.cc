// The DMA engine of the system model (sys_dma.h).
#include "sys_dma.h"

#include <algorithm>
#include <cmath>

#include "ts_hw_params.h"

using sc_core::sc_time;
using sc_core::SC_ZERO_TIME;

namespace {

// The DMA signals at a clock edge: a completion delay rounded up to one.
sc_time to_edge(const SysLayer *L, sc_time delay) {
  const double edges = std::ceil((sc_core::sc_time_stamp() + delay) / L->period - 1e-9);
  return L->period * edges - sc_core::sc_time_stamp();
}

}  // namespace

SysDma::SysDma(sc_core::sc_module_name name) : sc_module(name), socket("socket") {}

bool SysDma::transfer(SysLayer *L, tlm::tlm_command cmd, uint64_t addr, uint8_t *buf,
                      uint32_t len, sc_time *done, SysIntervals *iv) {
  tlm::tlm_generic_payload tr;
  tr.set_command(cmd);
  tr.set_address(addr);
  tr.set_data_ptr(buf);
  tr.set_data_length(len);
  tr.set_streaming_width(len);
  tr.set_byte_enable_ptr(nullptr);
  tr.set_dmi_allowed(false);
  tr.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  sc_time d = SC_ZERO_TIME;  // all of a chunk's requests leave now: outstanding
  socket->b_transport(tr, d);
  if (tr.is_response_error()) {
    L->fail(TS_E_HW,
            "sys: layer %s: DMA %s of %u bytes at DRAM address %llu failed (%s; DRAM holds "
            "%llu bytes, --dram-bytes)",
            L->name.c_str(), cmd == tlm::TLM_READ_COMMAND ? "read" : "write", len,
            (unsigned long long)addr, tr.get_response_string().c_str(),
            (unsigned long long)(channel ? channel->contents().size() : 0));
    return false;
  }
  *done = std::max(*done, d);
  if (channel) sys_intervals_add(iv, channel->last().first, channel->last().second);
  return true;
}

bool SysDma::fill(SysLayer *L, const SysProgram &p, uint64_t base, size_t c, int b,
                  uint64_t *bytes, SysIntervals *iv, sc_time *done) {
  // Contiguous items of one kind become one transaction (a weight run, a
  // metadata block); activation rows are K x N strided: one row each.
  const SysChunk &ch = p.chunks[c];
  uint8_t *bank = L->banks->data[b].data();
  *done = SC_ZERO_TIME;
  for (size_t i = ch.first; i < ch.first + ch.count;) {
    const SysItem &a = p.items[i];
    uint32_t len = a.bytes;
    size_t j = i + 1;
    while (j < ch.first + ch.count && p.items[j].kind == a.kind &&
           p.items[j].dram == a.dram + len && p.items[j].bank_off == a.bank_off + len)
      len += p.items[j++].bytes;
    if (!transfer(L, tlm::TLM_READ_COMMAND, base + a.dram, bank + a.bank_off, len, done, iv))
      return false;
    bytes[a.kind] += len;
    i = j;
  }
  return true;
}

void SysDma::in_thread(SysLayer *L) {
  const SysProgram &p = *L->prog;
  SysBanks &B = *L->banks;
  const auto take_bank = [&](int b) {
    const sc_time t = sc_core::sc_time_stamp();
    while (!B.free[b] && !L->abort) wait(L->ev_bank_free);
    L->stall_dma += sc_core::sc_time_stamp() - t;
    if (L->abort) return false;
    B.free[b] = false;
    L->probes->bank_full[b] = true;
    return true;
  };
  sc_time done;
  for (size_t c = L->first_chunk; c < p.chunks.size(); c++) {
    const int b = (int)((L->bank0 + c) % 2);
    if (!take_bank(b)) return;
    L->probes->dma_in = true;
    if (!fill(L, p, L->base, c, b, L->bytes, &L->xfer, &done)) return;
    wait(to_edge(L, done));
    L->probes->dma_in = false;
    L->ready[c] = 1;
    L->ev_ready.notify();
  }
  // The next layer's leading chunks, as the accelerator drains the banks
  // (the last one when it starts this layer's last run). They complete in
  // the background: the next layer waits for ready_at if it must.
  SysPrefetch *nx = L->next;
  if (!nx) return;
  nx->bank0 = (int)((L->bank0 + p.chunks.size()) % 2);
  for (size_t j = 0; j < nx->lead; j++) {
    const int b = (nx->bank0 + (int)j) % 2;
    if (!take_bank(b) || !fill(L, nx->prog, nx->base, j, b, nx->bytes, &nx->xfer, &done)) return;
    nx->ready_at[j] = sc_core::sc_time_stamp() + to_edge(L, done);
    nx->moved = j + 1;
  }
}

void SysDma::out_thread(SysLayer *L) {
  const SysProgram &p = *L->prog;
  for (size_t ri = 0; ri < p.runs.size(); ri++) {
    const int b = (int)(ri % 2);
    while (L->out_run[b] != (long)ri && !L->abort) wait(L->ev_out_full);
    if (L->abort) return;
    // The bank holds rows i = 0..mm-1 of the run, each `cols` results of
    // ebytes, destined for Y[m0 + i][n0 ..]: one transaction per row.
    const HwRun &r = p.runs[ri].r;
    const uint64_t n = L->out_n, n0 = (uint64_t)r.t0 * TS_HW_COLS;
    const uint32_t cols = (uint32_t)std::min<uint64_t>((uint64_t)r.tt * TS_HW_COLS, n - n0);
    const uint32_t row_bytes = cols * (uint32_t)p.ebytes;
    sc_time done = SC_ZERO_TIME;
    L->probes->dma_out = true;
    for (int i = 0; i < r.mm; i++) {
      const uint64_t addr = p.y_base + ((uint64_t)(r.m0 + i) * n + n0) * p.ebytes;
      if (!transfer(L, tlm::TLM_WRITE_COMMAND, L->base + addr,
                    L->out[b].data() + (size_t)i * row_bytes, row_bytes, &done, &L->xfer))
        return;
      L->bytes[TS_SYS_RESULTS] += row_bytes;
    }
    wait(to_edge(L, done));
    L->probes->dma_out = false;
    L->out_run[b] = -1;
    L->ev_out_free.notify();
  }
  L->out_end = sc_core::sc_time_stamp();
  L->out_done = true;
}
