// Host-side preparation of a layer for the system model (sys_program.h).
#include "sys_program.h"

#include <algorithm>
#include <cstring>

#include "sys_port.h"
#include "ts_hw_params.h"

namespace {

constexpr uint64_t kAlign = 64;  // regions start on a DRAM burst

uint64_t align_up(uint64_t v) { return (v + kAlign - 1) / kAlign * kAlign; }

bool same_item(const SysItem &a, const SysItem &b) {
  return a.dram == b.dram && a.bank_off == b.bank_off && a.addr == b.addr && a.sel == b.sel &&
         a.kind == b.kind && a.bytes == b.bytes;
}

// Appends port writes and cuts them into chunks of at most `bank` bytes; a
// group (one filter's words) never straddles two chunks, nor does a run.
struct ChunkCutter {
  SysProgram *p;
  uint32_t bank;
  bool open = false;
  SysChunk cur = {0, 0, 0};

  void close() {
    if (open && cur.count) p->chunks.push_back(cur);
    open = false;
  }
  void group(uint32_t bytes) {
    if (open && cur.bytes + bytes > bank) close();
  }
  void add(SysItem it) {
    if (!open || cur.bytes + it.bytes > bank) {
      close();
      cur = {p->items.size(), 0, 0};
      open = true;
    }
    it.bank_off = cur.bytes;
    cur.bytes += it.bytes;
    cur.count++;
    p->items.push_back(it);
  }
};

// The layer's filters as the planner sees them and their words in DRAM.
struct Filters {
  std::vector<HwFilter> f;       // [m]
  std::vector<uint64_t> off;     // [m] first word in `words`
  std::vector<uint64_t> words;   // packed dense rows or compressed filters
};

ts_status pack_filters(const ts_int_gemm *g, const ts_sparse *sp, Filters *F, ts_error *err) {
  if (!sp) {
    const int wpr = ts_hw_words_per_row(g->k, g->wbits);
    F->words.assign((size_t)g->m * wpr, 0);
    ts_status st = ts_int_pack_weights(g->w, g->m, g->k, g->wbits, F->words.data(),
                                       F->words.size(), err);
    if (st != TS_OK) return st;
    F->f.assign(g->m, HwFilter{g->k, wpr});
    for (int m = 0; m < g->m; m++) F->off.push_back((uint64_t)m * wpr);
    return TS_OK;
  }
  size_t n = 0;
  const uint64_t *w = ts_sparse_words(sp, &n);
  F->words.assign(w, w + n);
  for (int m = 0; m < g->m; m++) {
    const ts_sparse_filter f = ts_sparse_filter_info(sp, m);
    F->f.push_back({f.entries, f.words});
    F->off.push_back((uint64_t)f.word_off);
  }
  return TS_OK;
}

}  // namespace

ts_status sys_program_build(const ts_int_gemm *g, const ts_sparse *sp, const uint8_t *x,
                            uint32_t bank_bytes, bool lead_split, const char *name,
                            SysProgram *p, ts_error *err) {
  Filters F;
  ts_status st = pack_filters(g, sp, &F, err);
  if (st != TS_OK) return st;
  for (int m = 0; m < g->m; m++)
    if ((uint64_t)F.f[m].words * 8 > bank_bytes)
      return ts_fail(err, TS_E_ARG,
                     "sys: layer %s: filter %d is %d bytes, larger than a staging bank of %u "
                     "bytes (--bank-bytes)",
                     name, m, F.f[m].words * 8, bank_bytes);
  std::vector<HwRun> runs;
  if ((st = hw_plan_runs(g->m, g->k, g->n, F.f, &runs, err)) != TS_OK) return st;

  // DRAM layout: W | X | META | Y, each on a burst boundary.
  const uint64_t K = (uint64_t)g->k, N = (uint64_t)g->n;
  const uint64_t xb = align_up(F.words.size() * 8), mb = align_up(xb + K * N);
  std::vector<uint64_t> meta;
  ChunkCutter cut{p, bank_bytes};
  auto add_meta = [&](int sel, int addr, uint64_t v) {
    cut.add({mb + 8 * meta.size(), 0, (uint16_t)addr, (uint8_t)sel, TS_SYS_META, 8});
    meta.push_back(v);
  };
  std::vector<HwJob> jobs;
  int loaded_m0 = -1;
  for (const HwRun &r : runs) {
    SysRunProg rp = {r, p->chunks.size(), 0};
    if (r.m0 != loaded_m0) {  // as ts_hw_gemm: filters stay while m0 does
      uint32_t base = 0;
      for (int i = 0; i < r.mm; i++) {
        const HwFilter &f = F.f[r.m0 + i];
        cut.group((uint32_t)f.words * 8);
        for (int j = 0; j < f.words; j++)
          cut.add({(F.off[r.m0 + i] + j) * 8, 0, (uint16_t)(base + j), TS_HW_SEL_WMEM,
                   TS_SYS_WEIGHTS, 8});
        base += (uint32_t)f.words;
      }
      base = 0;
      for (int i = 0; i < r.mm; i++) {
        add_meta(TS_HW_SEL_FILT, i, sys_filt_word(base, F.f[r.m0 + i]));
        add_meta(TS_HW_SEL_CHAN, i, sys_chan_word(g, r.m0 + i));
        base += (uint32_t)F.f[r.m0 + i].words;
      }
      loaded_m0 = r.m0;
    }
    if (lead_split && p->runs.empty()) cut.close();  // W and META ahead go early
    // Activation rows t * K + k: the valid bytes of X[k][n0 .. n0 + 16).
    for (int t = 0; t < r.tt; t++) {
      const uint64_t n0 = (uint64_t)(r.t0 + t) * TS_HW_COLS;
      const uint8_t bytes = (uint8_t)std::min<uint64_t>(TS_HW_COLS, N - n0);
      for (int k = 0; k < g->k; k++)
        cut.add({xb + (uint64_t)k * N + n0, 0, (uint16_t)(t * g->k + k), TS_HW_SEL_ACT,
                 TS_SYS_ACTS, bytes});
    }
    p->plan_cycles += hw_plan_jobs(r, F.f.data() + r.m0, &jobs);
    for (size_t j = 0; j < jobs.size(); j++) add_meta(TS_HW_SEL_JOB, (int)j, sys_job_word(jobs[j]));
    for (const auto &c : sys_cfg_words(g, sp != nullptr, r, jobs.size()))
      add_meta(TS_HW_SEL_CFG, c.first, c.second);
    cut.close();  // a run's chunks are its own: the next run's prefetch overlaps compute
    rp.nchunks = p->chunks.size() - rp.chunk0;
    p->runs.push_back(rp);
    // As ts_hw_gemm's bound: every entry of every tile on one lane plus every load.
    p->work_bound += 1000;
    for (int i = 0; i < r.mm; i++)
      p->work_bound += 4ull * ((uint64_t)r.tt * (F.f[r.m0 + i].entries + 4) +
                               2ull * F.f[r.m0 + i].words + 8);
  }

  p->x_base = xb;
  p->x_bytes = K * N;
  p->ebytes = g->out == TS_INT_OUT_ACC ? 8 : 1;
  p->y_base = align_up(mb + 8 * meta.size());
  p->image.assign(p->y_base + (uint64_t)g->m * N * p->ebytes, 0);
  std::memcpy(p->image.data(), F.words.data(), F.words.size() * 8);
  std::memcpy(p->image.data() + xb, x, K * N);
  std::memcpy(p->image.data() + mb, meta.data(), meta.size() * 8);
  return TS_OK;
}

uint64_t sys_align(uint64_t v) { return align_up(v); }

size_t sys_program_lead_chunks(const SysProgram &p) {
  size_t c = 0;
  for (; c < p.chunks.size(); c++)
    for (size_t i = p.chunks[c].first; i < p.chunks[c].first + p.chunks[c].count; i++)
      if (p.items[i].kind == TS_SYS_ACTS) return c;
  return c;
}

bool sys_program_same_but_x(const SysProgram &a, const SysProgram &b) {
  if (a.image.size() != b.image.size() || a.x_base != b.x_base || a.x_bytes != b.x_bytes ||
      a.y_base != b.y_base || a.ebytes != b.ebytes || a.items.size() != b.items.size() ||
      a.chunks.size() != b.chunks.size() || a.runs.size() != b.runs.size())
    return false;
  for (size_t i = 0; i < a.items.size(); i++)
    if (!same_item(a.items[i], b.items[i])) return false;
  for (size_t c = 0; c < a.chunks.size(); c++)
    if (a.chunks[c].first != b.chunks[c].first || a.chunks[c].count != b.chunks[c].count)
      return false;
  const auto x0 = (ptrdiff_t)a.x_base, x1 = (ptrdiff_t)(a.x_base + a.x_bytes);
  return std::equal(a.image.begin(), a.image.begin() + x0, b.image.begin()) &&
         std::equal(a.image.begin() + x1, a.image.end(), b.image.begin() + x1);
}
