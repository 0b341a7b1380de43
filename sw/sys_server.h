/* One thread that owns the process's only ts_sys (SystemC elaborates once
 * per process, sim/sys/ts_sys.h) and runs whole networks on it for other
 * threads: `tessera hw-sweep`'s workers, each computing its own points,
 * hand their integer networks to it one at a time and wait. */
#ifndef TS_SYS_SERVER_H
#define TS_SYS_SERVER_H

#include "ts_net.h"
#include "ts_qnet.h"
#include "ts_sys.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ts_sys_server ts_sys_server;

/* Starts the thread and creates the ts_sys in it (opts as ts_sys_create;
 * its errors are returned here). */
ts_status ts_sys_server_start(const ts_sys_opts *opts, ts_sys_server **out, ts_error *err);

/* Runs n images img [n][c][h][w] (int8 bytes) through q on the system
 * (with cross-layer prefetch), one GEMM per layer for the n; opts: NULL
 * for the server's, else the ts_sys is made again with them (the one
 * kernel stays; bad options fail as ts_sys_create does); sparse[l]: layer
 * l moves compressed weights and runs in zero-skipping mode. rep[l]: the
 * layer's report; logits [n][classes]. net names the layers. Blocks until
 * done; callable from any thread, one request at a time is served. */
ts_status ts_sys_server_run(ts_sys_server *s, const ts_sys_opts *opts, const ts_qnet *q,
                            const ts_net *net, const uint8_t *img, int n,
                            const int sparse[TS_NUM_LAYERS],
                            ts_sys_report rep[TS_NUM_LAYERS], int64_t *logits, ts_error *err);

/* Stops the thread and destroys the ts_sys. NULL is ignored. */
void ts_sys_server_stop(ts_sys_server *s);

#ifdef __cplusplus
}
#endif
#endif /* TS_SYS_SERVER_H */
