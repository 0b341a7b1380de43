// The system's module hierarchy: DRAM <- TLM -> DMA, and the accelerator.
//
//   SysAccel (Verilated RTL) <-- staging banks --> SysDma ==TLM==> SysDram
//
// SystemC elaborates a hierarchy once per process (modules and socket
// bindings cannot be added after the first sc_start), so the hierarchy is
// built on first use and kept; a ts_sys handle configures it and owns the
// RTL model inside SysAccel. That is why only one ts_sys may exist at a time.
#ifndef SYS_TOP_H
#define SYS_TOP_H

#include <systemc>

#include "sys_accel.h"
#include "sys_dma.h"
#include "sys_dram.h"
#include "sys_trace.h"

struct SysTop : sc_core::sc_module {
  SysDram dram;
  SysDma dma;
  SysAccel accel;
  bool in_use = false;  // a live ts_sys handle
  SysProbes probes;     // the state the threads show (sys_trace.h)
  SysTrace trace;       // open while a handle traces

  explicit SysTop(sc_core::sc_module_name name);
};

// The process's hierarchy, built on the first call.
SysTop *sys_top_get();

#endif  // SYS_TOP_H
