// The system's module hierarchy (sys_top.h).
#include "sys_top.h"

#include <cstdlib>

SysTop::SysTop(sc_core::sc_module_name name)
    : sc_module(name), dram("dram"), dma("dma"), accel("accel") {
  dma.socket.bind(dram.socket);
  dma.channel = &dram;
}

SysTop *sys_top_get() {
  // One per process, by SystemC's rule (sys_top.h); never destroyed, since
  // SystemC does not support tearing a simulation context down.
  static SysTop *top = nullptr;
  if (!top) {
    setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);  // keep the CLI's stdout clean
    top = new SysTop("tessera_sys");
  }
  return top;
}

// libsystemc's own main() calls sc_main; Tessera's programs have their own
// main() and never call it, but the shared library needs the symbol.
int sc_main(int, char **) { return 1; }
