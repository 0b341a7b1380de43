/* The integer CNN on the system model (sim/sys/ts_sys.h), one GEMM per
 * layer through ts_qnet_run, each layer declaring the next one to the DMA
 * first (ts_sys_prefetch) so that its weights move while this layer
 * computes. Used by `tessera sys-run` and the system columns of
 * `tessera hw-sweep` (sys_server.h). */
#ifndef TS_SYS_NET_H
#define TS_SYS_NET_H

#include "ts_net.h"
#include "ts_qnet.h"
#include "ts_sys.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ts_sys_net {
  ts_sys *sys;
  const ts_net *net;            /* layer names */
  const ts_qnet *q;             /* the next layer's descriptor */
  int sparse[TS_NUM_LAYERS];    /* 1: compressed weights, zero-skipping mode */
  int prefetch;                 /* 1: declare layer l + 1 before running l */
  ts_sys_report rep[TS_NUM_LAYERS]; /* summed over the calls */
} ts_sys_net;

/* A ts_qnet_gemm_fn: ctx is a ts_sys_net. */
ts_status ts_sys_net_exec(void *ctx, int layer, const ts_int_gemm *g, const uint8_t *x,
                          int64_t *y, ts_error *err);

/* t += r, field by field (the bound: r's, batches being alike). */
void ts_sys_report_add(ts_sys_report *t, const ts_sys_report *r);

/* A --dram-bw option (cli_opts TS_OPT_CALL): bytes per cycle or "inf";
 * not a number fails, the range is ts_sys_create's to name. */
int ts_sys_opt_bw(const char *cmd, const char *flag, const char *arg, void *dst);

#ifdef __cplusplus
}
#endif
#endif /* TS_SYS_NET_H */
