// The extern "C" API of the system model (ts_sys.h).
#include "ts_sys.h"

#include <cmath>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "sys_layer.h"
#include "ts_hw_params.h"
#include "sys_program.h"
#include "sys_top.h"

struct ts_sys {
  ts_sys_opts o;
  SysTop *top;
  sc_core::sc_time t_start;
  bool failed;
  SysBanks banks;
  // Declared by ts_sys_prefetch, moved by the next layer; then carried
  // (its chunks in the banks) to the layer after.
  std::unique_ptr<SysPrefetch> pending, carry;
};

namespace {

// A layer's descriptor with its filters decoded (sparse) and checked.
ts_status layer_desc(const char *what, const char *name, const ts_int_gemm *g,
                     const ts_sparse *sp, ts_int_gemm *d, std::vector<int32_t> *decoded,
                     ts_error *err) {
  *d = *g;
  if (sp) {  // the descriptor's other fields are checked with the decoded codes
    if (ts_sparse_m(sp) != g->m || ts_sparse_k(sp) != g->k || ts_sparse_wbits(sp) != g->wbits)
      return ts_fail(err, TS_E_ARG,
                     "%s: layer %s: packed layer m=%d k=%d B=%d differs from the "
                     "descriptor m=%d k=%d B=%d",
                     what, name, ts_sparse_m(sp), ts_sparse_k(sp), ts_sparse_wbits(sp), g->m,
                     g->k, g->wbits);
    decoded->resize((size_t)g->m * g->k);
    ts_status st = ts_sparse_decode(sp, decoded->data(), err);
    if (st != TS_OK) return st;
    d->w = decoded->data();
  }
  return ts_int_gemm_check(d, err);
}

void drop_prefetch(ts_sys *s) {
  s->pending.reset();
  s->carry.reset();
  s->banks.free[0] = s->banks.free[1] = true;
}

}  // namespace

extern "C" {

void ts_sys_opts_default(ts_sys_opts *o) {
  o->dram_bytes_per_cycle = 16;
  o->dram_latency = 100;
  o->clock_mhz = 1000;
  o->bank_bytes = TS_HW_LANE_WORDS * 8;  // the largest filter (K_MAX at B_max)
  o->dram_bytes = 1ull << 30;
  o->max_cycles = 0;
  o->trace_vcd = nullptr;
}

const char *ts_sys_bound_str(ts_sys_bound b) {
  switch (b) {
    case TS_SYS_BOUND_COMPUTE: return "compute";
    case TS_SYS_BOUND_DRAM: return "dram";
    case TS_SYS_BOUND_PORT: return "port";
  }
  return "?";
}

ts_status ts_sys_create(const ts_sys_opts *opts, ts_sys **out, ts_error *err) {
  if (!out) return ts_fail(err, TS_E_ARG, "sys create: out is NULL");
  *out = nullptr;
  ts_sys_opts o;
  ts_sys_opts_default(&o);
  if (opts) o = *opts;
  if (!(o.dram_bytes_per_cycle > 0))
    return ts_fail(err, TS_E_ARG, "sys create: DRAM bandwidth must be > 0 bytes/cycle, got %g",
                   o.dram_bytes_per_cycle);
  if (!(o.clock_mhz > 0) || !std::isfinite(o.clock_mhz))
    return ts_fail(err, TS_E_ARG, "sys create: clock must be > 0 MHz, got %g", o.clock_mhz);
  if (o.bank_bytes < TS_HW_COLS)
    return ts_fail(err, TS_E_ARG,
                   "sys create: a staging bank of %u bytes holds no activation row (%d bytes)",
                   o.bank_bytes, TS_HW_COLS);
  if (o.dram_bytes == 0) return ts_fail(err, TS_E_ARG, "sys create: DRAM capacity is 0");
  SysTop *top = sys_top_get();
  if (top->in_use)
    return ts_fail(err, TS_E_ARG,
                   "sys create: a ts_sys already exists in this process (SystemC has one "
                   "simulation kernel)");
  ts_sys *s = new (std::nothrow) ts_sys{o, top, sc_core::sc_time_stamp(), false, {}, {}, {}};
  if (!s) return ts_fail(err, TS_E_NOMEM, "sys create: out of memory");
  s->banks.data[0].assign(o.bank_bytes, 0);
  s->banks.data[1].assign(o.bank_bytes, 0);
  ts_status st = top->accel.attach(err);
  if (st == TS_OK && o.trace_vcd) st = top->trace.open(o.trace_vcd, top->probes, err);
  if (st != TS_OK) {
    top->accel.detach();
    delete s;
    return st;
  }
  top->in_use = true;
  *out = s;
  return TS_OK;
}

void ts_sys_destroy(ts_sys *s) {
  if (!s) return;
  s->top->accel.detach();
  s->top->trace.close();
  s->top->in_use = false;
  delete s;
}

uint64_t ts_sys_cycles(const ts_sys *s) {
  if (!s) return 0;
  const sc_core::sc_time period(1e6 / s->o.clock_mhz, sc_core::SC_PS);
  return (uint64_t)std::llround((sc_core::sc_time_stamp() - s->t_start) / period);
}

ts_status ts_sys_prefetch(ts_sys *s, const char *name, const ts_int_gemm *next,
                          const ts_sparse *sp, ts_error *err) {
  if (!s) return ts_fail(err, TS_E_ARG, "sys prefetch: handle is NULL");
  if (!next) return ts_fail(err, TS_E_ARG, "sys prefetch: descriptor is NULL");
  if (!name) name = "?";
  ts_int_gemm d;
  std::vector<int32_t> decoded;
  ts_status st = layer_desc("sys prefetch", name, next, sp, &d, &decoded, err);
  if (st != TS_OK) return st;
  std::unique_ptr<SysPrefetch> pf(new (std::nothrow) SysPrefetch);
  if (!pf) return ts_fail(err, TS_E_NOMEM, "sys prefetch: out of memory");
  const std::vector<uint8_t> x((size_t)d.k * d.n, 0);  // not known yet
  if ((st = sys_program_build(&d, sp, x.data(), s->o.bank_bytes, true, name, &pf->prog, err)) !=
      TS_OK)
    return st;
  pf->name = name;
  pf->lead = std::min<size_t>(2, sys_program_lead_chunks(pf->prog));
  s->pending = std::move(pf);
  return TS_OK;
}

ts_status ts_sys_gemm(ts_sys *s, const char *name, const ts_int_gemm *g, const ts_sparse *sp,
                      const uint8_t *x, int64_t *y, ts_sys_report *rep, ts_error *err) {
  if (!s) return ts_fail(err, TS_E_ARG, "sys gemm: handle is NULL");
  if (!g || !x || !y) return ts_fail(err, TS_E_ARG, "sys gemm: descriptor, input or output is NULL");
  if (!name) name = "?";
  if (s->failed || s->top->accel.failed())
    return ts_fail(err, TS_E_HW, "sys gemm: layer %s: the model is in an error state from an "
                                 "earlier layer", name);
  ts_int_gemm d;
  std::vector<int32_t> decoded;
  ts_status st = layer_desc("sys gemm", name, g, sp, &d, &decoded, err);
  if (st != TS_OK) return st;
  SysProgram prog;
  if ((st = sys_program_build(&d, sp, x, s->o.bank_bytes, s->carry != nullptr, name, &prog,
                              err)) != TS_OK)
    return st;
  if (s->carry && !sys_program_same_but_x(s->carry->prog, prog)) {
    const std::string was = s->carry->name;
    drop_prefetch(s);
    return ts_fail(err, TS_E_ARG,
                   "sys gemm: layer %s is not the layer prefetched (%s): its weights, metadata "
                   "or shape differ; the prefetched chunks are dropped",
                   name, was.c_str());
  }
  SysPrefetch *out = s->pending.get();
  const uint64_t base = s->carry ? s->carry->base : 0;
  if (out) {  // the next layer's region: above this one, or below it if it fits
    const uint64_t sz = out->prog.image.size();
    out->base = base == 0 ? sys_align(prog.image.size())
                : sz <= base ? 0 : sys_align(base + prog.image.size());
  }
  st = sys_layer_run(s->top, prog, SysLayerEnv{&s->banks, s->carry.get(), out}, s->o, name,
                     g->out, g->m, g->n, y, rep, err);
  if (st != TS_OK) {
    drop_prefetch(s);
    if (st == TS_E_HW) s->failed = true;
    return st;
  }
  s->carry.reset();
  if (s->pending && s->pending->moved > 0) s->carry = std::move(s->pending);
  s->pending.reset();
  return TS_OK;
}

}  // extern "C"
