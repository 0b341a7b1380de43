// DMA engine: a TLM-2.0 initiator towards the DRAM. Its input thread moves
// a layer's chunks (weight words, activation rows, metadata) into the
// staging banks; its output thread moves result rows back to DRAM. A
// chunk's transfers are issued together (several outstanding requests), so
// the DRAM latency is paid once per chunk and the bandwidth per byte.
#ifndef SYS_DMA_H
#define SYS_DMA_H

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include <cstdint>

#include "sys_dram.h"
#include "sys_layer.h"

struct SysDma : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<SysDma> socket;
  // The channel's timing of each transaction, to attribute it to a layer
  // (statistics only: data moves through the socket).
  const SysDram *channel = nullptr;

  explicit SysDma(sc_core::sc_module_name name);

  // DRAM -> input banks, chunk by chunk; then the next layer's leading
  // chunks (L->next) as the banks drain.
  void in_thread(SysLayer *L);
  void out_thread(SysLayer *L);  // result banks -> DRAM, run by run

 private:
  // One transaction; delay accumulates the completion time (annotated,
  // relative to now), iv gets its channel interval. false (and L failed)
  // on an error response.
  bool transfer(SysLayer *L, tlm::tlm_command cmd, uint64_t addr, uint8_t *buf, uint32_t len,
                sc_core::sc_time *done, SysIntervals *iv);
  // Chunk c of p (DRAM region base) into bank b; bytes by kind added to
  // bytes. The completion delay in *done.
  bool fill(SysLayer *L, const SysProgram &p, uint64_t base, size_t c, int b, uint64_t *bytes,
            SysIntervals *iv, sc_core::sc_time *done);
};

#endif  // SYS_DMA_H
