/* The system-level part of `tessera hw-sweep` (issue 12, docs/system.md):
 * every point's integer network on the SystemC model (DRAM, DMA, staging
 * banks; sim/sys/ts_sys.h) for the first test image at one DRAM setting,
 * each layer's weights in the format the point chose (dense-packed or
 * compressed); a DRAM-bandwidth sweep at the reference scheme; the
 * roofline and time-vs-bandwidth plots. The model has one SystemC kernel
 * per process, so one ts_sys_server thread serves the sweep's workers. */
#ifndef TS_HWSWEEP_SYS_H
#define TS_HWSWEEP_SYS_H

#include <stddef.h>

#include "csv.h"
#include "sys_server.h"
#include "ts_net.h"
#include "ts_qnet.h"
#include "ts_sys.h"

/* The CSV columns hw-sweep appends per point and layer (docs/study.md). */
#define HWSWEEP_SYS_COLS                                                                      \
  "sys_weights,sys_dram_bw,sys_dram_latency,sys_cycles,sys_compute_cycles,sys_port_cycles,"   \
  "sys_transfer_cycles,sys_overlap_cycles,sys_prefetch_cycles,sys_stall_cycles,"              \
  "sys_stall_dma,sys_bytes_weights,sys_bytes_acts,sys_bytes_results,sys_bytes_meta,sys_macs," \
  "sys_macs_per_byte,sys_bound,sys_logit_mismatch"

/* A point on the system: per layer its report and weight format. */
typedef struct hwsweep_sys_res {
  ts_sys_report rep[TS_NUM_LAYERS];
  int sparse[TS_NUM_LAYERS];
  long long macs[TS_NUM_LAYERS]; /* m * k * n for one image */
  int mismatch;                  /* logits that differ from gold */
} hwsweep_sys_res;

/* Runs image img (bytes of one image) through q on the server with
 * compressed weights where sparse[l]; gold: its golden logits. */
ts_status hwsweep_sys_point(ts_sys_server *srv, const ts_qnet *q, const ts_net *net,
                            const uint8_t *img, const int64_t *gold,
                            const int sparse[TS_NUM_LAYERS], hwsweep_sys_res *out,
                            ts_error *err);

/* The HWSWEEP_SYS_COLS cells of layer l (l == TS_NUM_LAYERS: the total). */
void hwsweep_sys_cells(const hwsweep_sys_res *r, const ts_sys_opts *o, int l, char *buf,
                       size_t len);

/* Whether row r of a resumed CSV was made at the DRAM setting o. */
int hwsweep_sys_row_matches(const ts_csv *t, int r, const ts_sys_opts *o);

/* Layer time against DRAM bandwidth: for each B of bits[nb] at scheme, the
 * network pruned to 0% (dense weights) and to top_pct (each layer's
 * cheaper format), one image at every bandwidth of the list; written to
 * path (CSV). net is a working copy (its parameters are overwritten from
 * fp32). Returns 0, or 1 after printing. */
typedef struct hwsweep_bw_in {
  const char *cmd;
  ts_sys_server *srv;
  const ts_sys_opts *base;
  ts_net *net;
  const float *fp32;
  size_t nparams;
  const float *cal; /* calibration images, ncal */
  int ncal;
  const float *x0;  /* the first test image, normalised */
  const int *bits;
  int nb;
  ts_quant_scheme scheme;
  double top_pct;
  int rbits;
} hwsweep_bw_in;
int hwsweep_sys_bw(const hwsweep_bw_in *in, const char *path);

/* The roofline (hw_roofline.png: MACs per DRAM byte against MACs per cycle
 * per layer at each B and sparsity of scheme, with the array's peak, the
 * DRAM and the host-port lines) from hw_sweep.csv, and layer time against
 * bandwidth (hw_bw_time.png) from hw_sys_bw.csv. Returns 1 if a plot failed
 * (after printing), else 0. */
int hwsweep_sys_plots(const char *cmd, const char *out, const ts_csv *sweep, const char *scheme,
                      int bref, const ts_csv *bw);

#endif /* TS_HWSWEEP_SYS_H */
